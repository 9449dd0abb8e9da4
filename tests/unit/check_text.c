/* SPDX-License-Identifier: MIT */
/* check_text.c - outside text made safe for a terminal: what is escaped,
 * what stays, and how a line is cut. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define LEN(s) (sizeof(s) - 1)

/* IN (LEN bytes, NULs allowed) through text_printable() into SIZE bytes. */
static const struct {
	const char *name;
	const char *in;
	size_t len;
	size_t size;
	const char *out;
	size_t used;
} printable_cases[] = {
	{ "plain ASCII stays", "issued", 6, 64, "issued", 6 },
	{ "ESC is escaped", "\x1b[2J", 4, 64, "\\x1b[2J", 4 },
	{ "TAB and NUL are escaped", "a\tb\0c", 5, 64, "a\\x09b\\x00c", 5 },
	{ "DEL is escaped", "\x7f", 1, 64, "\\x7f", 1 },
	{ "a lone C1 byte (CSI) is escaped", "\x9b" "31m", 4, 64,
	  "\\x9b31m", 4 },
	{ "C1 in UTF-8 is escaped whole", "\xc2\x9b" "31m", 5, 64,
	  "\\xc2\\x9b31m", 5 },
	{ "U+0085 (NEL) is escaped", "a\xc2\x85" "b", 4, 64,
	  "a\\xc2\\x85b", 4 },
	{ "U+00A0 is text", "a\xc2\xa0" "b", 4, 64, "a\xc2\xa0" "b", 4 },
	{ "U+202E (RLO) is escaped", "abc\xe2\x80\xae" "fdp.exe", 13, 64,
	  "abc\\xe2\\x80\\xaefdp.exe", 13 },
	{ "U+202A (LRE) is escaped", "\xe2\x80\xaa", 3, 64,
	  "\\xe2\\x80\\xaa", 3 },
	{ "U+2066 (LRI) is escaped", "\xe2\x81\xa6", 3, 64,
	  "\\xe2\\x81\\xa6", 3 },
	{ "U+2069 (PDI) is escaped", "\xe2\x81\xa9", 3, 64,
	  "\\xe2\\x81\\xa9", 3 },
	{ "U+2070 is text", "\xe2\x81\xb0", 3, 64, "\xe2\x81\xb0", 3 },
	{ "UTF-8 text stays", "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac "
	  "\xf0\x9f\x94\x91", 16, 64,
	  "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x94\x91", 16 },
	{ "a stray continuation byte is escaped", "a\x80" "b", 3, 64,
	  "a\\x80b", 3 },
	{ "a cut sequence is escaped byte by byte", "a\xe2\x80", 3, 64,
	  "a\\xe2\\x80", 3 },
	{ "an overlong form is escaped", "\xc0\xaf", 2, 64,
	  "\\xc0\\xaf", 2 },
	{ "an overlong C1 is escaped", "\xe0\x82\x9b", 3, 64,
	  "\\xe0\\x82\\x9b", 3 },
	{ "a surrogate is escaped", "\xed\xa0\x80", 3, 64,
	  "\\xed\\xa0\\x80", 3 },
	{ "past U+10FFFF is escaped", "\xf4\x90\x80\x80", 4, 64,
	  "\\xf4\\x90\\x80\\x80", 4 },
	{ "0xff is escaped", "\xff", 1, 64, "\\xff", 1 },
	/* Only whole characters and whole escapes are written. */
	{ "cut before an escape", "ab\x1b", 3, 6, "ab", 2 },
	{ "an escape that just fits", "ab\x1b", 3, 7, "ab\\x1b", 3 },
	{ "cut before a UTF-8 character", "a\xe2\x82\xac", 4, 4, "a", 1 },
	{ "cut before a C1 pair", "a\xc2\x9b", 3, 9, "a", 1 },
	{ "no room at all", "abc", 3, 1, "", 0 },
};

START_TEST(test_printable)
{
	char out[64];
	size_t used;

	memset(out, 'Z', sizeof(out));
	used = text_printable(printable_cases[_i].in, printable_cases[_i].len,
			      out, printable_cases[_i].size);
	ck_assert_msg(strcmp(out, printable_cases[_i].out) == 0,
		      "%s: '%s'", printable_cases[_i].name, out);
	ck_assert_msg(used == printable_cases[_i].used, "%s: used %zu",
		      printable_cases[_i].name, used);
	ck_assert_msg(strlen(out) < printable_cases[_i].size,
		      "%s: past the end", printable_cases[_i].name);
}
END_TEST

/* What a CA or its helper printed, as the message quotes it. */
static const struct {
	const char *name;
	const char *in;
	size_t size;
	const char *out;
} line_cases[] = {
	{ "the first line", "request denied\nsecond line\n", 64,
	  "request denied" },
	{ "leading blank lines are skipped", "\n \r\n\t  denied  \n", 64,
	  "denied" },
	{ "a CR ends the line", "denied\rcovered", 64, "denied" },
	{ "nothing", "", 64, "" },
	{ "only blanks", " \n\t\n", 64, "" },
	{ "a CSI byte is escaped", "\x9b" "2Jdenied\n", 64,
	  "\\x9b2Jdenied" },
	{ "ESC is escaped", "\x1b]0;owned\x07\n", 64,
	  "\\x1b]0;owned\\x07" },
	{ "a long line is cut", "0123456789abcdef", 12, "01234567..." },
	{ "a cut drops the blanks before it", "0123 56789abcdef", 9,
	  "0123..." },
	{ "a cut never splits an escape", "0123\x1b" "56789", 10,
	  "0123..." },
	{ "a cut never splits a character", "0123\xc3\xbc" "56789", 10,
	  "0123\xc3\xbc..." },
	{ "a line that just fits is whole", "01234567", 12, "01234567" },
};

START_TEST(test_first_line)
{
	char line[64];

	memset(line, 'Z', sizeof(line));
	text_first_line(line_cases[_i].in, strlen(line_cases[_i].in), line,
			line_cases[_i].size);
	ck_assert_msg(strcmp(line, line_cases[_i].out) == 0, "%s: '%s'",
		      line_cases[_i].name, line);
	ck_assert_msg(strlen(line) < line_cases[_i].size, "%s: past the end",
		      line_cases[_i].name);
}
END_TEST

/* A message of ours: its own newlines stay, all else as
 * text_printable() writes it. */
static const struct {
	const char *name;
	const char *in;
	size_t size;
	const char *out;
} message_cases[] = {
	{ "one line", "no token matches 'x'", 64, "no token matches 'x'" },
	{ "its own lines stay", "tokens present:\n  pkcs11:a\n  pkcs11:b", 64,
	  "tokens present:\n  pkcs11:a\n  pkcs11:b" },
	{ "ESC, CR and TAB are escaped", "a\x1b[2J\rb\tc", 64,
	  "a\\x1b[2J\\x0db\\x09c" },
	{ "bidi and C1 are escaped", "\xe2\x80\xae\xc2\x9b\x9b", 64,
	  "\\xe2\\x80\\xae\\xc2\\x9b\\x9b" },
	{ "a trailing newline stays", "a\n", 64, "a\n" },
	{ "a long first line is cut", "0123456789\nabc", 10, "012345..." },
	{ "a long second line is cut", "012\n456789", 10, "012\n45..." },
	{ "no room for a second line", "01234\nabc", 10, "01234\n..." },
	{ "an escape is never split", "01234\x1b", 10, "01234..." },
};

START_TEST(test_message)
{
	char out[64];

	memset(out, 'Z', sizeof(out));
	text_message(message_cases[_i].in, strlen(message_cases[_i].in), out,
		     message_cases[_i].size);
	ck_assert_msg(strcmp(out, message_cases[_i].out) == 0, "%s: '%s'",
		      message_cases[_i].name, out);
	ck_assert_msg(strlen(out) < message_cases[_i].size, "%s: past the end",
		      message_cases[_i].name);
}
END_TEST

/* A label as it enters a message: one line, whatever it holds. */
START_TEST(test_shown)
{
	char buf[16], *dup;

	ck_assert_str_eq(text_shown("a\nb", buf, sizeof(buf)), "a\\x0ab");
	ck_assert_str_eq(text_shown(NULL, buf, sizeof(buf)), "");
	ck_assert_str_eq(text_shown("0123456789abcdef", buf, sizeof(buf)),
			 "0123456789ab...");
	dup = text_shown_dup("\x1b[2J\np11enroll: forged");
	ck_assert_ptr_nonnull(dup);
	ck_assert_str_eq(dup, "\\x1b[2J\\x0ap11enroll: forged");
	free(dup);
}
END_TEST

static const struct {
	const char *in;
	bool utf8;
} utf8_cases[] = {
	{ "", true },
	{ "plain", true },
	{ "M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x94\x91", true },
	{ "\x1b[2J \xc2\x9b \xe2\x80\xae", true },
	{ "\x9b", false },
	{ "\xff", false },
	{ "\xc3", false },
	{ "\xc0\xaf", false },               /* overlong */
	{ "\xed\xa0\x80", false },           /* a surrogate */
	{ "\xf4\x90\x80\x80", false },       /* past U+10FFFF */
};

/* A table cell: padded to its width, or cut with an ellipsis; a
 * character is one column, an escape four. */
static const struct {
	const char *in;
	size_t width;
	const char *out;
} cell_cases[] = {
	{ "web1", 8, "web1    " },
	{ "exactly8", 8, "exactly8" },
	{ "a-label-of-thirty-two-bytes-long", 20, "a-label-of-thirty-t\xe2\x80\xa6" },
	{ "caf\xc3\xa9", 5, "caf\xc3\xa9 " },
	{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3, "\xc3\xa9\xc3\xa9\xe2\x80\xa6" },
	{ "a\033b", 4, "a\xe2\x80\xa6  " },
	{ "ab\033c", 7, "ab\\x1bc" },
	{ "ab\033cd", 7, "ab\\x1b\xe2\x80\xa6" },
	{ "", 3, "   " },
	{ NULL, 2, "  " },
};

START_TEST(test_cell)
{
	char buf[TEXT_CELL_SIZE(20)];

	ck_assert_str_eq(text_cell(cell_cases[_i].in, cell_cases[_i].width, buf,
				   sizeof(buf)), cell_cases[_i].out);
}
END_TEST

START_TEST(test_is_utf8)
{
	ck_assert_msg(text_is_utf8(utf8_cases[_i].in, strlen(utf8_cases[_i].in)) ==
		      utf8_cases[_i].utf8, "case %d", _i);
}
END_TEST

static Suite *
text_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("text");

	tcase_add_loop_test(tc, test_printable, 0, sizeof(printable_cases) /
			    sizeof(printable_cases[0]));
	tcase_add_loop_test(tc, test_first_line, 0, sizeof(line_cases) /
			    sizeof(line_cases[0]));
	tcase_add_loop_test(tc, test_message, 0, sizeof(message_cases) /
			    sizeof(message_cases[0]));
	tcase_add_test(tc, test_shown);
	tcase_add_loop_test(tc, test_cell, 0, sizeof(cell_cases) /
			    sizeof(cell_cases[0]));
	tcase_add_loop_test(tc, test_is_utf8, 0, sizeof(utf8_cases) /
			    sizeof(utf8_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(text_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
