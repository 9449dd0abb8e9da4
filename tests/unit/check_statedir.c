/* SPDX-License-Identifier: MIT */
/* check_statedir.c - the state directory without a token: its default,
 * the file names made from a hostile serial and read back, the checks on
 * the directory, and files written, read and removed. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "statedir.h"
#include "util.h"

/* The default directory for a user, root, and without a home. */
static const struct {
	uid_t uid;
	const char *xdg, *home;
	const char *want;       /* NULL: refused */
} defaults[] = {
	{ 1000, "/x/state", "/home/a", "/x/state/p11enroll" },
	{ 1000, NULL, "/home/a", "/home/a/.local/state/p11enroll" },
	{ 1000, "", "/home/a", "/home/a/.local/state/p11enroll" },
	/* XDG says a relative path is to be ignored. */
	{ 1000, "relative", "/home/a", "/home/a/.local/state/p11enroll" },
	{ 0, "/x/state", "/root", "/var/lib/p11enroll" },
	{ 0, NULL, NULL, "/var/lib/p11enroll" },
	{ 1000, NULL, NULL, NULL },
	{ 1000, "relative", "", NULL },
};

START_TEST(test_default)
{
	char *path = NULL;
	int rc;

	err_clear();
	rc = statedir_default(defaults[_i].uid, defaults[_i].xdg, defaults[_i].home,
			      &path);
	if (defaults[_i].want == NULL) {
		ck_assert_int_eq(rc, -1);
		ck_assert_ptr_null(path);
		ck_assert_int_eq(err_kind(), ERR_USAGE);
		ck_assert_ptr_nonnull(strstr(err_message(), "--state-dir"));
		return;
	}
	ck_assert_msg(rc == 0, "%s", err_message());
	ck_assert_str_eq(path, defaults[_i].want);
	free(path);
}
END_TEST

/* Names made from a serial: every byte but a letter or digit is %HH, so
 * that no serial can reach outside the directory, hide a file or make
 * two tokens' names meet. */
static const unsigned char id2[] = { 0x01, 0xab };
static const struct {
	const char *serial;
	enum statedir_kind kind;
	const char *want;
} names[] = {
	{ "1f2e3d4c", STATEDIR_REQUEST, "1f2e3d4c-01ab.request" },
	{ "1f2e3d4c", STATEDIR_CA_TICKET, "1f2e3d4c-01ab.ca-ticket" },
	{ "../../etc", STATEDIR_REQUEST, "%2e%2e%2f%2e%2e%2fetc-01ab.request" },
	{ ".hidden", STATEDIR_REQUEST, "%2ehidden-01ab.request" },
	{ "a-b", STATEDIR_REQUEST, "a%2db-01ab.request" },
	{ "a%2db", STATEDIR_REQUEST, "a%252db-01ab.request" },
	{ "sp ace\n", STATEDIR_REQUEST, "sp%20ace%0a-01ab.request" },
	{ "\xc3\xa9\x1b", STATEDIR_REQUEST, "%c3%a9%1b-01ab.request" },
	{ "", STATEDIR_REQUEST, "-01ab.request" },
};

START_TEST(test_name)
{
	char buf[STATEDIR_NAME_MAX];
	unsigned char id[64];
	size_t id_len = 0;
	enum statedir_kind kind = STATEDIR_KINDS;

	err_clear();
	ck_assert_msg(statedir_name(names[_i].serial, id2, sizeof(id2),
				    names[_i].kind, buf, sizeof(buf)) == 0,
		      "%s", err_message());
	ck_assert_str_eq(buf, names[_i].want);
	ck_assert_ptr_null(strchr(buf, '/'));
	ck_assert_int_ne(buf[0], '.');
	/* It reads back as the same key and kind, for this serial only. */
	ck_assert(statedir_parse_name(buf, names[_i].serial, id, &id_len, &kind));
	ck_assert_uint_eq(id_len, sizeof(id2));
	ck_assert_mem_eq(id, id2, sizeof(id2));
	ck_assert_int_eq(kind, names[_i].kind);
	ck_assert(!statedir_parse_name(buf, "other", id, &id_len, &kind));
}
END_TEST

/* Names that are no state file of the token with serial "ab12". */
static const char *const foreign[] = {
	"ab12-01ab.csr", "ab12-01a.request", "ab12-.request", "ab12-01AB.request",
	"ab12-01ab", "ab12-01zz.request", "ab1-01ab.request", "ab12x-01ab.request",
	".ab12-01ab.request.tmp", "ab12-01ab.request.tmp", "xab12-01ab.request", "",
};

START_TEST(test_parse_foreign)
{
	unsigned char id[64];
	size_t id_len = 0;
	enum statedir_kind kind;

	ck_assert_msg(!statedir_parse_name(foreign[_i], "ab12", id, &id_len, &kind),
		      "%s", foreign[_i]);
}
END_TEST

START_TEST(test_name_limits)
{
	char buf[STATEDIR_NAME_MAX], serial[33];
	unsigned char id[65];

	memset(id, 0xff, sizeof(id));
	memset(serial, '/', 32);
	serial[32] = '\0';
	/* The longest serial, all escaped, and the longest CKA_ID fit. */
	ck_assert_int_eq(statedir_name(serial, id, 64, STATEDIR_CA_TICKET, buf,
				       sizeof(buf)), 0);
	err_clear();
	ck_assert_int_eq(statedir_name("ab", id, 65, STATEDIR_REQUEST, buf,
				       sizeof(buf)), -1);
	ck_assert_int_eq(statedir_name("ab", id, 0, STATEDIR_REQUEST, buf,
				       sizeof(buf)), -1);
	ck_assert_int_eq(statedir_name("ab", id, 1, STATEDIR_REQUEST, buf, 8), -1);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* A fresh temporary directory; caller removes it. */
static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/check_statedir.XXXXXX";
	char *dir = mkdtemp(tmpl);

	ck_assert_ptr_nonnull(dir);
	return strdup(dir);
}

static void
rmtree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_files)
{
	char *top = tmpdir(), path[300], name[STATEDIR_NAME_MAX];
	struct statedir *d = NULL;
	struct statedir_entry *list = NULL;
	unsigned char *data = NULL;
	struct stat st;
	size_t len = 0, n = 0;
	bool yes = true;

	snprintf(path, sizeof(path), "%s/a/b", top);
	/* Without CREATE a missing directory holds nothing. */
	ck_assert_int_eq(statedir_open(path, false, &d), 0);
	ck_assert_ptr_null(d);
	ck_assert_msg(statedir_open(path, true, &d) == 0, "%s", err_message());
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(statedir_name("ab12", id2, sizeof(id2), STATEDIR_REQUEST,
				       name, sizeof(name)), 0);
	ck_assert_int_eq(statedir_read(d, name, &data, &len), 0);
	ck_assert_int_eq(statedir_write(d, name, (const unsigned char *)"one", 3), 0);
	ck_assert_int_eq(statedir_write(d, name, (const unsigned char *)"two!", 4), 0);
	ck_assert_int_eq(statedir_read(d, name, &data, &len), 1);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(data, "two!", 4);
	free(data);
	snprintf(path, sizeof(path), "%s/a/b/%s", top, name);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(statedir_list(d, "ab12", &list, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list[0].name, name);
	free(list);
	ck_assert_int_eq(statedir_list(d, "other", &list, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(list);
	ck_assert_int_eq(statedir_exists(d, name, &yes), 0);
	ck_assert(yes);
	ck_assert_int_eq(statedir_remove(d, name), 0);
	ck_assert_int_eq(statedir_remove(d, name), 0);
	ck_assert_int_eq(statedir_exists(d, name, &yes), 0);
	ck_assert(!yes);
	/* A file that is a symbolic link is neither read nor followed. */
	snprintf(path, sizeof(path), "%s/a/b/%s", top, name);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	ck_assert_int_eq(statedir_read(d, name, &data, &len), -1);
	ck_assert_ptr_nonnull(strstr(err_message(), "symbolic link"));
	ck_assert_int_eq(statedir_exists(d, name, &yes), -1);
	statedir_free(d);
	rmtree(top);
	free(top);
}
END_TEST

START_TEST(test_dir_refused)
{
	char *top = tmpdir(), real[300], link[300], file[300];
	struct statedir *d = NULL;
	FILE *f;

	snprintf(real, sizeof(real), "%s/real", top);
	snprintf(link, sizeof(link), "%s/link", top);
	snprintf(file, sizeof(file), "%s/file", top);
	ck_assert_int_eq(mkdir(real, 0700), 0);
	ck_assert_int_eq(symlink(real, link), 0);
	ck_assert_ptr_nonnull(f = fopen(file, "w"));
	fclose(f);
	ck_assert_int_eq(statedir_open(link, true, &d), -1);
	ck_assert_ptr_nonnull(strstr(err_message(), "symbolic link"));
	ck_assert_ptr_nonnull(strstr(err_message(), link));
	ck_assert_int_eq(statedir_open(file, true, &d), -1);
	ck_assert_ptr_nonnull(strstr(err_message(), "not a directory"));
	ck_assert_int_eq(chmod(real, 0720), 0);
	ck_assert_int_eq(statedir_open(real, true, &d), -1);
	ck_assert_ptr_nonnull(strstr(err_message(), "written by others (mode 0720)"));
	ck_assert_int_eq(chmod(real, 0702), 0);
	ck_assert_int_eq(statedir_open(real, false, &d), -1);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(chmod(real, 0700), 0);
	ck_assert_int_eq(statedir_open(real, false, &d), 0);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(statedir_path(d), real);
	statedir_free(d);
	rmtree(top);
	free(top);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("statedir");
	TCase *paths = tcase_create("paths");
	TCase *files = tcase_create("files");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(paths, test_default, 0, (int)NELEM(defaults));
	tcase_add_loop_test(paths, test_name, 0, (int)NELEM(names));
	tcase_add_loop_test(paths, test_parse_foreign, 0, (int)NELEM(foreign));
	tcase_add_test(paths, test_name_limits);
	suite_add_tcase(s, paths);
	tcase_add_test(files, test_files);
	tcase_add_test(files, test_dir_refused);
	suite_add_tcase(s, files);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
