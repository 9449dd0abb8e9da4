/* SPDX-License-Identifier: MIT */
/* check_pin.c - PIN sources: parsing and reading each kind. */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "util.h"
#include "interrupt.h"
#include "pin.h"

#define WHAT "user PIN for token alice"
#define GENERIC "bad PIN source (expected file:PATH, env:VAR, fd:N or prompt)"

/* ---- parsing ---- */

static const struct parse_case {
	const char *spec;
	int rc;
	enum pin_source_kind kind;
	const char *arg;
	const char *message;    /* for rc -1: the start of the message */
} parse_cases[] = {
	{ "file:/etc/p11enroll/pin", 0, PIN_FILE, "/etc/p11enroll/pin", NULL },
	{ "file:relative/pin:with:colons", 0, PIN_FILE,
	  "relative/pin:with:colons", NULL },
	{ "env:P11ENROLL_PIN", 0, PIN_ENV, "P11ENROLL_PIN", NULL },
	{ "fd:0", 0, PIN_FD, "0", NULL },
	{ "fd:2147483647", 0, PIN_FD, "2147483647", NULL },
	{ "prompt", 0, PIN_PROMPT, NULL, NULL },
	{ "file:", -1, 0, NULL, "bad PIN source 'file:': nothing after" },
	{ "env:", -1, 0, NULL, "bad PIN source 'env:': nothing after" },
	{ "env:A=B", -1, 0, NULL, "bad PIN source 'env:A=B': '='" },
	{ "fd:", -1, 0, NULL, "bad PIN source 'fd:': nothing after" },
	{ "fd:-1", -1, 0, NULL, "bad PIN source 'fd:-1': N must be" },
	{ "fd:+3", -1, 0, NULL, "bad PIN source 'fd:+3': N must be" },
	{ "fd: 3", -1, 0, NULL, "bad PIN source 'fd: 3': N must be" },
	{ "fd:3x", -1, 0, NULL, "bad PIN source 'fd:3x': N must be" },
	{ "fd:2147483648", -1, 0, NULL, "bad PIN source 'fd:2147483648'" },
	/* No known prefix: possibly the PIN itself, never echoed. */
	{ "123456", -1, 0, NULL, GENERIC },
	{ "s3cr3t-Pin", -1, 0, NULL, GENERIC },
	{ "prompt:yes", -1, 0, NULL, GENERIC },
	{ "Prompt", -1, 0, NULL, GENERIC },
	{ "FILE:/tmp/pin", -1, 0, NULL, GENERIC },
	{ "pin:1234", -1, 0, NULL, GENERIC },
	{ "", -1, 0, NULL, GENERIC },
};

START_TEST(test_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	struct pin_source src;

	memset(&src, 0xa5, sizeof(src));
	err_clear();
	ck_assert_int_eq(pin_source_parse(c->spec, &src), c->rc);
	if (c->rc == 0) {
		ck_assert_int_eq(src.kind, c->kind);
		if (c->arg == NULL)
			ck_assert_ptr_null(src.arg);
		else
			ck_assert_str_eq(src.arg, c->arg);
		pin_source_clear(&src);
		ck_assert_ptr_null(src.arg);
		return;
	}
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_ptr_null(src.arg);
	if (strcmp(c->message, GENERIC) == 0) {
		ck_assert_str_eq(err_message(), GENERIC);
		if (*c->spec != '\0')
			ck_assert_ptr_null(strstr(err_message(), c->spec));
	} else {
		ck_assert_int_eq(strncmp(err_message(), c->message,
					 strlen(c->message)), 0);
	}
}
END_TEST

/* ---- reading ---- */

static char tmpfile_path[PATH_MAX];

static void
remove_tmpfile(void)
{
	if (tmpfile_path[0] != '\0')
		unlink(tmpfile_path);
	tmpfile_path[0] = '\0';
}

/* Write LEN bytes of DATA to a fresh temporary file; its name goes into
 * tmpfile_path and it is removed by the teardown. */
static void
write_tmpfile(const char *data, size_t len)
{
	int fd;

	snprintf(tmpfile_path, sizeof(tmpfile_path), "/tmp/check_pin.XXXXXX");
	fd = mkstemp(tmpfile_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Read the PIN from SPEC; returns pin_source_read's result. */
static int
read_spec(const char *spec, pin_prompt_fn prompt, void *ctx, char **pin)
{
	struct pin_source src;
	int rc;

	ck_assert_int_eq(pin_source_parse(spec, &src), 0);
	err_clear();
	*pin = (char *)"not cleared";
	rc = pin_source_read(&src, WHAT, prompt, ctx, pin);
	pin_source_clear(&src);
	return rc;
}

static const struct file_case {
	const char *data;
	size_t len;             /* 0: strlen(data) */
	const char *pin;        /* NULL: refused */
	const char *message;    /* part of the message when refused */
} file_cases[] = {
	{ "123456\r\n", 0, "123456", NULL },
	{ "123456\n", 0, "123456", NULL },
	{ "123456", 0, "123456", NULL },
	{ "pass phrase with spaces \n", 0, "pass phrase with spaces ", NULL },
	{ "first\nsecond\n", 0, "first", NULL },
	{ "", 0, NULL, "is empty" },
	{ "\r\n", 0, NULL, "is empty" },
	{ "\nsecond\n", 0, NULL, "is empty" },
	{ "12\0" "34\n", 6, NULL, "contains a NUL byte" },
};

START_TEST(test_file)
{
	const struct file_case *c = &file_cases[_i];
	char spec[PATH_MAX + 8], *pin;

	write_tmpfile(c->data, c->len ? c->len : strlen(c->data));
	snprintf(spec, sizeof(spec), "file:%s", tmpfile_path);
	if (c->pin != NULL) {
		ck_assert_int_eq(read_spec(spec, NULL, NULL, &pin), 0);
		ck_assert_str_eq(pin, c->pin);
		pin_free(pin);
		return;
	}
	ck_assert_int_eq(read_spec(spec, NULL, NULL, &pin), -1);
	ck_assert_ptr_null(pin);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err_message(), c->message));
	ck_assert_ptr_nonnull(strstr(err_message(), tmpfile_path));
	ck_assert_ptr_nonnull(strstr(err_message(), WHAT));
}
END_TEST

static const struct length_case {
	size_t len;
	const char *end;
	int rc;
} length_cases[] = {
	{ 256, "", 0 }, { 256, "\n", 0 }, { 256, "\r\n", 0 },
	{ 257, "", -1 }, { 257, "\n", -1 }, { 4000, "\n", -1 },
};

START_TEST(test_file_length)
{
	const struct length_case *c = &length_cases[_i];
	char data[4096], spec[PATH_MAX + 8], *pin;

	memset(data, '7', c->len);
	memcpy(data + c->len, c->end, strlen(c->end));
	write_tmpfile(data, c->len + strlen(c->end));
	snprintf(spec, sizeof(spec), "file:%s", tmpfile_path);
	ck_assert_int_eq(read_spec(spec, NULL, NULL, &pin), c->rc);
	if (c->rc == 0) {
		ck_assert_uint_eq(strlen(pin), c->len);
		pin_free(pin);
	} else {
		ck_assert_ptr_nonnull(strstr(err_message(),
					     "longer than 256 bytes"));
		ck_assert_ptr_null(strstr(err_message(), "7777"));
	}
}
END_TEST

START_TEST(test_file_missing)
{
	char *pin;

	ck_assert_int_eq(read_spec("file:/nonexistent/p11enroll-pin", NULL,
				   NULL, &pin), -1);
	ck_assert_ptr_null(pin);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_str_eq(err_message(), "cannot read " WHAT " from "
			 "/nonexistent/p11enroll-pin: No such file or directory");
}
END_TEST

/* A regular PIN file open to group or others is refused, naming the
 * file and the fix; a private one is read. */
static const struct mode_case {
	mode_t mode;
	int rc;
} mode_cases[] = {
	{ 0600, 0 }, { 0400, 0 }, { 0640, -1 }, { 0604, -1 }, { 0644, -1 },
	{ 0620, -1 }, { 0602, -1 },
};

START_TEST(test_file_mode)
{
	const struct mode_case *c = &mode_cases[_i];
	char spec[PATH_MAX + 8], want[64], *pin;
	struct pin_source src;

	write_tmpfile("2468\n", 5);
	ck_assert_int_eq(chmod(tmpfile_path, c->mode), 0);
	snprintf(spec, sizeof(spec), "file:%s", tmpfile_path);
	ck_assert_int_eq(read_spec(spec, NULL, NULL, &pin), c->rc);
	ck_assert_int_eq(pin_source_parse(spec, &src), 0);
	ck_assert_int_eq(pin_source_prepare(&src, WHAT), c->rc);
	pin_source_clear(&src);
	if (c->rc == 0) {
		ck_assert_str_eq(pin, "2468");
		pin_free(pin);
		return;
	}
	ck_assert_ptr_null(pin);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	snprintf(want, sizeof(want), "(mode %04o)", (unsigned)c->mode);
	ck_assert_ptr_nonnull(strstr(err_message(), want));
	ck_assert_ptr_nonnull(strstr(err_message(), tmpfile_path));
	ck_assert_ptr_nonnull(strstr(err_message(), "chmod 600"));
}
END_TEST

/* A FIFO has no mode that matters: it is read whatever its mode. */
START_TEST(test_file_fifo)
{
	char spec[PATH_MAX + 8], *pin;
	int fd;

	snprintf(tmpfile_path, sizeof(tmpfile_path), "/tmp/check_pin.%ld",
		 (long)getpid());
	ck_assert_int_eq(mkfifo(tmpfile_path, 0644), 0);
	ck_assert_int_eq(chmod(tmpfile_path, 0666), 0);
	fd = open(tmpfile_path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "1357\n", 5), 5);
	snprintf(spec, sizeof(spec), "file:%s", tmpfile_path);
	ck_assert_int_eq(read_spec(spec, NULL, NULL, &pin), 0);
	ck_assert_str_eq(pin, "1357");
	pin_free(pin);
	close(fd);
}
END_TEST

/* An env: variable leaves the environment once read, its value wiped
 * where it was; it reads the same again, and a source prepared before
 * a fork is still found after it. */
START_TEST(test_env_taken)
{
	struct pin_source src;
	char *pin, *entry = NULL;
	extern char **environ;
	char **e;

	ck_assert_int_eq(setenv("CHECK_PIN_TAKEN", "97531", 1), 0);
	for (e = environ; *e != NULL; e++)
		if (strncmp(*e, "CHECK_PIN_TAKEN=", 16) == 0)
			entry = *e;
	ck_assert_ptr_nonnull(entry);
	ck_assert_int_eq(read_spec("env:CHECK_PIN_TAKEN", NULL, NULL, &pin), 0);
	ck_assert_str_eq(pin, "97531");
	pin_free(pin);
	ck_assert_ptr_null(getenv("CHECK_PIN_TAKEN"));
	/* setenv's copy of the value is wiped (not freed: glibc keeps it). */
	ck_assert_ptr_null(strstr(entry + 16, "97531"));
	ck_assert_int_eq(read_spec("env:CHECK_PIN_TAKEN", NULL, NULL, &pin), 0);
	ck_assert_str_eq(pin, "97531");
	pin_free(pin);

	ck_assert_int_eq(setenv("CHECK_PIN_PREPARED", "8642", 1), 0);
	ck_assert_int_eq(pin_source_parse("env:CHECK_PIN_PREPARED", &src), 0);
	ck_assert_int_eq(pin_source_prepare(&src, WHAT), 0);
	pin_source_clear(&src);
	ck_assert_ptr_null(getenv("CHECK_PIN_PREPARED"));
	ck_assert_int_eq(read_spec("env:CHECK_PIN_PREPARED", NULL, NULL, &pin), 0);
	ck_assert_str_eq(pin, "8642");
	pin_free(pin);
	pin_env_clear();
	ck_assert_int_eq(read_spec("env:CHECK_PIN_PREPARED", NULL, NULL, &pin), -1);
}
END_TEST

START_TEST(test_env)
{
	char *pin;

	ck_assert_int_eq(setenv("CHECK_PIN_SET", "24680\n", 1), 0);
	ck_assert_int_eq(read_spec("env:CHECK_PIN_SET", NULL, NULL, &pin), 0);
	/* The value is taken as it is: a variable has no line to end. */
	ck_assert_str_eq(pin, "24680\n");
	pin_free(pin);

	ck_assert_int_eq(unsetenv("CHECK_PIN_UNSET"), 0);
	ck_assert_int_eq(read_spec("env:CHECK_PIN_UNSET", NULL, NULL, &pin), -1);
	ck_assert_ptr_null(pin);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_str_eq(err_message(), "cannot read " WHAT ": environment "
			 "variable CHECK_PIN_UNSET is not set");

	ck_assert_int_eq(setenv("CHECK_PIN_EMPTY", "", 1), 0);
	ck_assert_int_eq(read_spec("env:CHECK_PIN_EMPTY", NULL, NULL, &pin), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_str_eq(err_message(), WHAT " from environment variable "
			 "CHECK_PIN_EMPTY is empty");
}
END_TEST

START_TEST(test_fd)
{
	char spec[32], rest[16], *pin;
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "4321\r\nafter", 11), 11);
	close(fds[1]);
	snprintf(spec, sizeof(spec), "fd:%d", fds[0]);
	ck_assert_int_eq(read_spec(spec, NULL, NULL, &pin), 0);
	ck_assert_str_eq(pin, "4321");
	pin_free(pin);
	/* Nothing after the PIN's line was consumed. */
	ck_assert_int_eq(read(fds[0], rest, sizeof(rest)), 5);
	ck_assert_mem_eq(rest, "after", 5);
	close(fds[0]);

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "8642", 4), 4);
	close(fds[1]);
	snprintf(spec, sizeof(spec), "fd:%d", fds[0]);
	ck_assert_int_eq(read_spec(spec, NULL, NULL, &pin), 0);
	ck_assert_str_eq(pin, "8642");
	pin_free(pin);
	close(fds[0]);
}
END_TEST

/* A PIN descriptor whose writer never writes: a signal caught before the
 * read ends it at once (the old read() blocked until the writer wrote). */
START_TEST(test_fd_interrupted)
{
	char spec[32], want[128], *pin = NULL;
	int fds[2];

	interrupt_catch();
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(raise(SIGTERM), 0);
	snprintf(spec, sizeof(spec), "fd:%d", fds[0]);
	ck_assert_int_eq(read_spec(spec, NULL, NULL, &pin), -1);
	ck_assert_ptr_null(pin);
	snprintf(want, sizeof(want), "read " WHAT " from fd %d: interrupted by "
		 "SIGTERM", fds[0]);
	ck_assert_str_eq(err_message(), want);
	ck_assert_int_eq(err_kind(), ERR_FAILED);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(test_fd_bad)
{
	char spec[32], want[128], *pin;
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	close(fds[0]);
	close(fds[1]);
	snprintf(spec, sizeof(spec), "fd:%d", fds[0]);
	ck_assert_int_eq(read_spec(spec, NULL, NULL, &pin), -1);
	ck_assert_ptr_null(pin);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	snprintf(want, sizeof(want), "cannot read " WHAT " from fd %d: Bad "
		 "file descriptor", fds[0]);
	ck_assert_str_eq(err_message(), want);

	/* An empty stream is an empty PIN. */
	ck_assert_int_eq(pipe(fds), 0);
	close(fds[1]);
	snprintf(spec, sizeof(spec), "fd:%d", fds[0]);
	ck_assert_int_eq(read_spec(spec, NULL, NULL, &pin), -1);
	snprintf(want, sizeof(want), WHAT " from fd %d is empty", fds[0]);
	ck_assert_str_eq(err_message(), want);
	close(fds[0]);
}
END_TEST

struct prompt_ctx {
	int calls;
	char what[128];
	const char *answer;     /* NULL: fail with an error recorded */
};

static char *
fake_prompt(const char *what, void *ctx)
{
	struct prompt_ctx *pc = ctx;
	char *pin;

	pc->calls++;
	snprintf(pc->what, sizeof(pc->what), "%s", what);
	if (pc->answer == NULL) {
		err_set(ERR_FAILED, "reading the terminal failed");
		return NULL;
	}
	pin = strdup(pc->answer);
	ck_assert_ptr_nonnull(pin);
	return pin;
}

START_TEST(test_prompt)
{
	struct prompt_ctx pc = { 0, "", "1357" };
	char *pin;

	ck_assert_int_eq(read_spec("prompt", fake_prompt, &pc, &pin), 0);
	ck_assert_str_eq(pin, "1357");
	ck_assert_int_eq(pc.calls, 1);
	ck_assert_str_eq(pc.what, WHAT);
	pin_free(pin);

	pc.answer = "";
	ck_assert_int_eq(read_spec("prompt", fake_prompt, &pc, &pin), -1);
	ck_assert_ptr_null(pin);
	ck_assert_str_eq(err_message(), WHAT " from the prompt is empty");

	pc.answer = NULL;
	ck_assert_int_eq(read_spec("prompt", fake_prompt, &pc, &pin), -1);
	ck_assert_ptr_null(pin);
	ck_assert_int_eq(err_kind(), ERR_FAILED);
	ck_assert_str_eq(err_message(), "reading the terminal failed");
	ck_assert_int_eq(pc.calls, 3);
}
END_TEST

START_TEST(test_prompt_refused)
{
	char *pin;

	ck_assert_int_eq(read_spec("prompt", NULL, NULL, &pin), -1);
	ck_assert_ptr_null(pin);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_str_eq(err_message(), "cannot prompt for " WHAT ": not on a "
			 "terminal; use --pin-source");
}
END_TEST

START_TEST(test_free)
{
	struct pin_source src = { PIN_PROMPT, NULL };

	pin_free(NULL);
	pin_source_clear(NULL);
	pin_source_clear(&src);
}
END_TEST

static Suite *
pin_suite(void)
{
	Suite *s = suite_create("pin");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse, 0, NELEM(parse_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("read");
	tcase_add_checked_fixture(tc, NULL, remove_tmpfile);
	tcase_add_loop_test(tc, test_file, 0, NELEM(file_cases));
	tcase_add_loop_test(tc, test_file_length, 0, NELEM(length_cases));
	tcase_add_test(tc, test_file_missing);
	tcase_add_loop_test(tc, test_file_mode, 0, NELEM(mode_cases));
	tcase_add_test(tc, test_file_fifo);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_env_taken);
	tcase_add_test(tc, test_fd);
	tcase_add_test(tc, test_fd_interrupted);
	tcase_add_test(tc, test_fd_bad);
	tcase_add_test(tc, test_prompt);
	tcase_add_test(tc, test_prompt_refused);
	tcase_add_test(tc, test_free);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pin_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
