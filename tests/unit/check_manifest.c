/* SPDX-License-Identifier: MIT */
/* check_manifest.c - the batch manifest (CSV read with libcsv) and the
 * batch journal, driven with files written by the tests. */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "journal.h"
#include "manifest.h"
#include "testfiles.h"

/* ---- manifests that are read ------------------------------------------ */

START_TEST(test_manifest_read)
{
	static const char text[] =
		"token,roles,dns,pin_source,note\r\n"
		"web01,tls-server tls-client,web01.example.org,,plain\r\n"
		"\"pkcs11:token=web%2002\",\"  tls-server\t\",\"a,b\",file:/p,\"two\n"
		"lines with \"\"quotes\"\"\"\n"
		"web03,smartcard-user,,env:PIN,\n"
		"pkcs11:token=web04?pin-value=8642,tls-server,,,\n";
	struct manifest *m = NULL;
	char path[600];

	write_file(NULL, "m.csv", text, path, sizeof(path));
	ck_assert_msg(manifest_load(path, &m) == 0, "%s", err_message());
	ck_assert_uint_eq(m->nrows, 4);
	ck_assert_uint_eq(m->column_token, 1);
	ck_assert_uint_eq(m->column_roles, 2);
	ck_assert_uint_eq(m->column_pin_source, 4);

	ck_assert_uint_eq(m->rows[0].line, 2);
	ck_assert_str_eq(m->rows[0].token, "web01");
	ck_assert_uint_eq(m->rows[0].nroles, 2);
	ck_assert_str_eq(m->rows[0].roles[0], "tls-server");
	ck_assert_str_eq(m->rows[0].roles[1], "tls-client");
	ck_assert_ptr_null(m->rows[0].roles[2]);
	ck_assert_ptr_null(m->rows[0].pin_source);
	ck_assert_str_eq(vars_get(m->rows[0].vars, "dns"), "web01.example.org");
	ck_assert_str_eq(vars_get(m->rows[0].vars, "note"), "plain");

	ck_assert_uint_eq(m->rows[1].line, 3);
	ck_assert_str_eq(m->rows[1].token, "pkcs11:token=web%2002");
	ck_assert_str_eq(m->rows[1].token_shown, "pkcs11:token=web%2002");
	/* What is shown and recorded of a token has no PIN. */
	ck_assert_str_eq(m->rows[3].token, "pkcs11:token=web04?pin-value=8642");
	ck_assert_str_eq(m->rows[3].token_shown, "pkcs11:token=web04");
	ck_assert_uint_eq(m->rows[1].nroles, 1);
	ck_assert_str_eq(m->rows[1].roles[0], "tls-server");
	ck_assert_str_eq(m->rows[1].pin_source, "file:/p");
	ck_assert_str_eq(vars_get(m->rows[1].vars, "dns"), "a,b");
	ck_assert_str_eq(vars_get(m->rows[1].vars, "note"),
			 "two\nlines with \"quotes\"");

	/* The record after a two-line field starts on line 5. */
	ck_assert_uint_eq(m->rows[2].line, 5);
	ck_assert_ptr_null(vars_get(m->rows[2].vars, "dns"));
	ck_assert_ptr_null(vars_get(m->rows[2].vars, "note"));
	ck_assert_str_eq(m->rows[2].pin_source, "env:PIN");
	manifest_free(m);
	manifest_free(NULL);
}
END_TEST

/* A byte-order mark, as spreadsheets write it, is not part of the header:
 * the first column is still "token". One elsewhere is data. */
START_TEST(test_manifest_bom)
{
	static const char text[] =
		"\xef\xbb\xbftoken,roles,note\n"
		"web01,tls-server,\xef\xbb\xbfkept\n";
	struct manifest *m = NULL;
	char path[600];

	write_file(NULL, "bom.csv", text, path, sizeof(path));
	ck_assert_msg(manifest_load(path, &m) == 0, "%s", err_message());
	ck_assert_uint_eq(m->nrows, 1);
	ck_assert_uint_eq(m->column_token, 1);
	ck_assert_str_eq(m->rows[0].token, "web01");
	ck_assert_str_eq(m->rows[0].roles[0], "tls-server");
	ck_assert_str_eq(vars_get(m->rows[0].vars, "note"), "\xef\xbb\xbfkept");
	manifest_free(m);
}
END_TEST

/* One byte more, another digest. */
START_TEST(test_manifest_digest)
{
	struct manifest *a = NULL, *b = NULL;
	char path[600];

	write_file(NULL, "a.csv", "token,roles\nt,r\n", path, sizeof(path));
	ck_assert_int_eq(manifest_load(path, &a), 0);
	write_file(NULL, "a.csv", "token,roles\nt,r \n", path, sizeof(path));
	ck_assert_int_eq(manifest_load(path, &b), 0);
	ck_assert_int_ne(memcmp(a->digest, b->digest, sizeof(a->digest)), 0);
	manifest_free(a);
	manifest_free(b);
}
END_TEST

/* ---- manifests that are refused ---------------------------------------- */

static const struct {
	const char *name;
	const char *text;
	const char *message;    /* after "PATH:" */
} bad_cases[] = {
	{ "empty", "", "1: empty: no header row" },
	{ "header only", "token,roles\n", "2: no rows after the header" },
	{ "no token column", "label,roles\nx,y\n",
	  "1: the header has no column 'token'" },
	{ "no roles column", "token\nx\n", "1: the header has no column 'roles'" },
	{ "column twice", "token,roles,token\nx,y,z\n",
	  "1:3: column 'token' is named twice" },
	{ "bad variable name", "token,roles,9lives\nx,y,z\n",
	  "1:3: column '9lives' is neither token, roles, pin_source, "
	  "init_label nor ca, and not a template variable name (letters, "
	  "digits and '_')" },
	{ "long init_label", "token,roles,init_label\nx,y,"
	  "abcdefghijklmnopqrstuvwxyz0123456\n",
	  "2:3 (init_label): init_label 'abcdefghijklmnopqrstuvwxyz0123456' is longer than a "
	  "token label may be (32 bytes)" },
	{ "too few fields", "token,roles,dns\nx,y,z\nx2,y\n",
	  "3: 2 fields where the header has 3" },
	{ "too many fields", "token,roles\nx,y,z\n",
	  "2: 3 fields where the header has 2" },
	{ "empty token", "token,roles\n,tls-server\n", "2:1 (token): no token given" },
	{ "bad token URI", "token,roles\npkcs11:token=%zz?pin-value=8642,x\n",
	  "2:1 (token): bad token URI: URI encoding invalid or corrupted (the URI is not quoted, "
	  "as it may hold a PIN)" },
	{ "blank roles", "token,roles\nx,  \t \n", "2:2 (roles): no role given" },
	{ "quote in a bare field", "token,roles\nx,y\nab\"c,d\n",
	  "3:1: not valid CSV: error parsing data while strict checking enabled" },
	{ "unclosed quote", "token,roles\nx,\"y\n",
	  "2:2: not valid CSV: a quoted field is not closed" },
	{ "NUL byte", "token,roles\nx\0y,z\n", "2:1: a NUL byte in a field" },
};

START_TEST(test_manifest_refused)
{
	struct manifest *m = (struct manifest *)1;
	char path[600], expect[900];
	FILE *f;
	size_t len = strlen(bad_cases[_i].text);

	/* The NUL case is longer than strlen says. */
	if (strcmp(bad_cases[_i].name, "NUL byte") == 0)
		len = sizeof("token,roles\nx\0y,z\n") - 1;
	snprintf(path, sizeof(path), "%s/bad.csv", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(bad_cases[_i].text, 1, len, f), len);
	fclose(f);
	err_clear();
	snprintf(expect, sizeof(expect), "%s:%s", path, bad_cases[_i].message);
	/* A bad row is kept aside and the reading goes on; a file that
	 * cannot be read as a whole fails. */
	if (manifest_load(path, &m) == 0) {
		ck_assert_msg(m->nbad == 1, "%s: %zu bad rows", bad_cases[_i].name,
			      m->nbad);
		ck_assert_msg(strcmp(m->bad[0].message, expect) == 0,
			      "%s: got \"%s\"", bad_cases[_i].name,
			      m->bad[0].message);
		manifest_free(m);
		return;
	}
	ck_assert_ptr_null(m);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_msg(strcmp(err_message(), expect) == 0, "%s: got \"%s\"",
		      bad_cases[_i].name, err_message());
}
END_TEST

/* Every bad row is kept aside with its line and column, named and
 * numbered, and the good ones are read: one run shows them all. */
START_TEST(test_manifest_bad_rows_all)
{
	static const char text[] =
		"token,roles,dns,init_label\n"
		",tls-server,a,\n"
		"ok1,tls-server,b,\n"
		"x,  ,c,\n"
		"x2,tls-server\n"
		"x3,tls-server,d,abcdefghijklmnopqrstuvwxyz0123456\n"
		"ok2,tls-server,e,\n";
	struct manifest *m = NULL;
	char path[600], expect[900];

	write_file(NULL, "rows.csv", text, path, sizeof(path));
	ck_assert_msg(manifest_load(path, &m) == 0, "%s", err_message());
	ck_assert_uint_eq(m->nrows, 2);
	ck_assert_uint_eq(m->rows[0].line, 3);
	ck_assert_uint_eq(m->rows[1].line, 7);
	ck_assert_uint_eq(m->nbad, 4);
	ck_assert_uint_eq(m->bad[0].line, 2);
	ck_assert_uint_eq(m->bad[0].column, 1);
	snprintf(expect, sizeof(expect), "%s:2:1 (token): no token given", path);
	ck_assert_str_eq(m->bad[0].message, expect);
	snprintf(expect, sizeof(expect), "%s:4:2 (roles): no role given", path);
	ck_assert_str_eq(m->bad[1].message, expect);
	snprintf(expect, sizeof(expect), "%s:5: 2 fields where the header has 4",
		 path);
	ck_assert_str_eq(m->bad[2].message, expect);
	ck_assert_uint_eq(m->bad[2].column, 0);
	ck_assert_uint_eq(m->bad[3].line, 6);
	ck_assert_uint_eq(m->bad[3].column, 4);
	ck_assert_uint_eq(manifest_column(m, "dns"), 3);
	ck_assert_uint_eq(manifest_column(m, "upn"), 0);
	manifest_free(m);
}
END_TEST

START_TEST(test_manifest_missing)
{
	struct manifest *m = NULL;
	char path[600];

	snprintf(path, sizeof(path), "%s/none.csv", tmpdir);
	ck_assert_int_eq(manifest_load(path, &m), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err_message(), "none.csv"));
}
END_TEST

/* A manifest that opens but cannot be read (a directory) fails with
 * ERR_FAILED inside; manifest_load() makes that a usage error and keeps
 * the reason. It used to format the error buffer into itself, which
 * glibc answers with an empty message. */
START_TEST(test_manifest_unreadable)
{
	struct manifest *m = (struct manifest *)1;
	char expect[900];

	err_clear();
	ck_assert_int_eq(manifest_load(tmpdir, &m), -1);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	snprintf(expect, sizeof(expect), "manifest: cannot read %s: %s",
		 tmpdir, strerror(EISDIR));
	ck_assert_str_eq(err_message(), expect);
}
END_TEST

START_TEST(test_manifest_long_field)
{
	char *text = malloc(MANIFEST_MAX_FIELD + 64), path[600];
	struct manifest *m = NULL;

	ck_assert_ptr_nonnull(text);
	strcpy(text, "token,roles\nx,");
	memset(text + strlen(text), 'r', MANIFEST_MAX_FIELD + 1);
	strcpy(text + strlen("token,roles\nx,") + MANIFEST_MAX_FIELD + 1, "\n");
	write_file(NULL, "long.csv", text, path, sizeof(path));
	ck_assert_int_eq(manifest_load(path, &m), -1);
	ck_assert_ptr_nonnull(strstr(err_message(), "long.csv:2:2: a field longer "
				     "than 4096 bytes"));
	free(text);
}
END_TEST

/* ---- the journal -------------------------------------------------------- */

static const unsigned char digest_a[32] = { 1, 2, 3 };
static const unsigned char digest_b[32] = { 9, 9, 9 };

START_TEST(test_journal_round_trip)
{
	struct journal_cert cert = { "5A31", "07d1", "2027-12-01T11:14:16Z" };
	struct journal_cert got;
	struct journal *j = NULL;
	struct stat st;
	char path[600];

	snprintf(path, sizeof(path), "%s/journal", tmpdir);
	ck_assert_msg(journal_open(path, digest_a, &j) == 0, "%s", err_message());
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(journal_state(j, 2, "tls-server", NULL), JOURNAL_NONE);
	ck_assert_int_eq(journal_record(j, 2, "web01", "tls-server",
					JOURNAL_STARTED, NULL, NULL), 0);
	ck_assert_int_eq(journal_record(j, 2, "web01", "tls-server",
					JOURNAL_DONE, &cert, NULL), 0);
	ck_assert_int_eq(journal_record(j, 2, "web01", "tls-client",
					JOURNAL_STARTED, NULL, NULL), 0);
	ck_assert_int_eq(journal_record(j, 3, "web02", "tls-server",
					JOURNAL_FAILED, NULL, "CA said no"), 0);
	journal_free(j);

	ck_assert_int_eq(journal_open(path, digest_a, &j), 0);
	ck_assert_int_eq(journal_state(j, 2, "tls-server", &got), JOURNAL_DONE);
	ck_assert_str_eq(got.serial, "5A31");
	ck_assert_str_eq(got.sha256, "07d1");
	ck_assert_str_eq(got.not_after, "2027-12-01T11:14:16Z");
	journal_cert_clear(&got);
	ck_assert_int_eq(journal_state(j, 2, "tls-client", &got), JOURNAL_STARTED);
	ck_assert_ptr_null(got.serial);
	ck_assert_int_eq(journal_state(j, 3, "tls-server", NULL), JOURNAL_FAILED);
	ck_assert_int_eq(journal_state(j, 3, "tls-client", NULL), JOURNAL_NONE);
	journal_free(j);
}
END_TEST

/* A crash cuts the last line short: it is dropped, on disk too. */
START_TEST(test_journal_cut_line)
{
	struct journal *j = NULL;
	char path[600];
	FILE *f;
	long size_before;

	snprintf(path, sizeof(path), "%s/journal", tmpdir);
	ck_assert_int_eq(journal_open(path, digest_a, &j), 0);
	ck_assert_int_eq(journal_record(j, 2, "t", "tls-server", JOURNAL_STARTED,
					NULL, NULL), 0);
	journal_free(j);
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	size_before = ftell(f);
	fputs("{\"line\":2,\"token\":\"t\",\"role\":\"tls-server\",\"sta", f);
	fclose(f);

	ck_assert_msg(journal_open(path, digest_a, &j) == 0, "%s", err_message());
	ck_assert_int_eq(journal_state(j, 2, "tls-server", NULL), JOURNAL_STARTED);
	f = fopen(path, "r");
	fseek(f, 0, SEEK_END);
	ck_assert_int_eq(ftell(f), size_before);
	fclose(f);
	journal_free(j);
}
END_TEST

START_TEST(test_journal_refused)
{
	struct journal *j = NULL, *k = NULL;
	char path[600], other[600];

	snprintf(path, sizeof(path), "%s/journal", tmpdir);
	ck_assert_int_eq(journal_open(path, digest_a, &j), 0);
	/* In use by another batch. */
	ck_assert_int_eq(journal_open(path, digest_a, &k), -1);
	ck_assert_ptr_nonnull(strstr(err_message(), "in use by another batch"));
	journal_free(j);
	/* Another manifest. */
	ck_assert_int_eq(journal_open(path, digest_b, &k), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err_message(), "belongs to another manifest"));
	/* Not a journal. */
	write_file(NULL, "other", "hello\n", other, sizeof(other));
	ck_assert_int_eq(journal_open(other, digest_a, &k), -1);
	ck_assert_ptr_nonnull(strstr(err_message(), "not a JSON line"));
	write_file(NULL, "other", "{\"x\":1}\n", other, sizeof(other));
	ck_assert_int_eq(journal_open(other, digest_a, &k), -1);
	ck_assert_ptr_nonnull(strstr(err_message(), "not a p11enroll batch journal"));
	ck_assert_ptr_null(k);
}
END_TEST

static Suite *
manifest_suite(void)
{
	Suite *s = suite_create("manifest");
	TCase *tc = tcase_create("manifest");

	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, test_manifest_read);
	tcase_add_test(tc, test_manifest_bom);
	tcase_add_test(tc, test_manifest_digest);
	tcase_add_loop_test(tc, test_manifest_refused, 0,
			    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_manifest_bad_rows_all);
	tcase_add_test(tc, test_manifest_missing);
	tcase_add_test(tc, test_manifest_unreadable);
	tcase_add_test(tc, test_manifest_long_field);
	suite_add_tcase(s, tc);

	tc = tcase_create("journal");
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, test_journal_round_trip);
	tcase_add_test(tc, test_journal_cut_line);
	tcase_add_test(tc, test_journal_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(manifest_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
