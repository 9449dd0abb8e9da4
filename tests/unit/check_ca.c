/* SPDX-License-Identifier: MIT */
/* check_ca.c - the CA layer and its exec backend, driven with small
 * certmonger helpers written by the tests and with p11enroll-testca. */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "err.h"

static char tmpdir[] = "/tmp/check_ca.XXXXXX";

static const char *
top_srcdir(void)
{
	const char *top = getenv("top_srcdir");

	return top != NULL && *top != '\0' ? top : ".";
}

static void
remove_tree(const char *path)
{
	struct dirent *de;
	struct stat st;
	char child[1024];
	DIR *dir;

	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (dir = opendir(path)) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
			remove_tree(child);
		}
		closedir(dir);
	}
	remove(path);
}

/* The request most tests submit, made by setup(). */
#define TEST_SAN "DNS:www.example.org,DNS:alt.example.org,IP:192.0.2.7," \
		 "IP:2001:db8::1,email:ops@example.org"
static char *test_csr;

static char *make_csr_san(const char *eku, const char *san);

static void
setup(void)
{
	strcpy(tmpdir, "/tmp/check_ca.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	test_csr = make_csr_san("serverAuth", TEST_SAN);
	err_clear();
}

static void
teardown(void)
{
	free(test_csr);
	test_csr = NULL;
	remove_tree(tmpdir);
}

/* Write an executable script NAME in the test directory; returns its
 * path (static). */
static const char *
write_script(const char *name, const char *body)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0755), 0);
	return path;
}

/* Open SPEC and submit CSR for ROLE; returns ca_submit's result or -1
 * when ca_open failed. */
static int
submit_reply(const char *spec, const struct ca_options *opts, const char *csr,
	     const char *role, struct ca_reply *reply)
{
	struct ca *ca = NULL;
	int rc;

	memset(reply, 0, sizeof(*reply));
	err_clear();
	if (ca_open(spec, opts, &ca) == -1) {
		ck_assert_ptr_null(ca);
		return -1;
	}
	rc = ca_submit(ca, csr, role, reply);
	ca_free(ca);
	return rc;
}

/* The same for a CA expected to answer at once: issued or an error. */
static int
submit(const char *spec, const struct ca_options *opts, const char *csr,
       const char *role, unsigned char **answer, size_t *len)
{
	struct ca_reply reply;
	int rc = submit_reply(spec, opts, csr, role, &reply);

	ck_assert_int_ne(rc, CA_PENDING);
	*answer = reply.answer;
	*len = reply.len;
	return rc;
}

static int
count_fds(void)
{
	char path[64];
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (access(path, F_OK) == 0)
			n++;
	}
	return n;
}

static void
assert_no_children(void)
{
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What memory BIO holds, as a string; BIO is freed. */
static char *
bio_string(BIO *bio)
{
	char *data, *s;
	long n = BIO_get_mem_data(bio, &data);

	ck_assert_int_ge(n, 0);
	s = strndup(data, (size_t)n);
	ck_assert_ptr_nonnull(s);
	BIO_free(bio);
	return s;
}

static void
add_ext(STACK_OF(X509_EXTENSION) *exts, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, nid, value);

	ck_assert_ptr_nonnull(ext);
	ck_assert_int_gt(sk_X509_EXTENSION_push(exts, ext), 0);
}

/* A signed request for www.example.org with extended key usage EKU and
 * subject alternative names SAN (openssl's config syntax). */
static char *
make_csr_san(const char *eku, const char *san)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;

	ck_assert_ptr_nonnull(key);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"www.example.org", -1, -1, 0), 1);
	ck_assert_int_eq(X509_REQ_set_subject_name(req, name), 1);
	ck_assert_int_eq(X509_REQ_set_pubkey(req, key), 1);
	add_ext(exts, NID_key_usage, "critical,digitalSignature");
	add_ext(exts, NID_ext_key_usage, eku);
	add_ext(exts, NID_subject_alt_name, san);
	ck_assert_int_eq(X509_REQ_add_extensions(req, exts), 1);
	ck_assert_int_gt(X509_REQ_sign(req, key, EVP_sha256()), 0);
	ck_assert_int_eq(PEM_write_bio_X509_REQ(bio, req), 1);
	pem = bio_string(bio);
	X509_NAME_free(name);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return pem;
}

static char *
make_csr(const char *eku)
{
	return make_csr_san(eku, "DNS:www.example.org");
}


/* ---- exit statuses ------------------------------------------------- */

static const struct {
	const char *name;
	const char *body;
	int rc;
	const char *message;     /* after "CA exec:PATH: "; CA_PENDING: the
				  * cookie */
	int retry;               /* CA_PENDING: the delay */
} exit_cases[] = {
	{ "issued",
	  "echo '-----BEGIN CERTIFICATE-----'; echo AAAA; "
	  "echo '-----END CERTIFICATE-----'; exit 0",
	  0, NULL, 0 },
	{ "issued-empty", "exit 0", 0, NULL, 0 },
	{ "rejected", "echo 'request denied by policy'; exit 2",
	  -1, "the CA rejected the request: request denied by policy", 0 },
	{ "rejected-stderr", "echo 'no such profile' >&2; exit 2",
	  -1, "the CA rejected the request: no such profile", 0 },
	{ "rejected-silent", "exit 2",
	  -1, "the CA rejected the request (no reason given)", 0 },
	{ "unreachable", "echo; echo 'connection refused'; exit 3",
	  -1, "the CA could not be reached: connection refused", 0 },
	{ "unconfigured", "echo 'no CA key in /etc/ca'; exit 4",
	  -1, "the CA helper is not configured correctly: no CA key in /etc/ca", 0 },
	{ "wait-1", "echo cookie-1234; exit 1", CA_PENDING, "cookie-1234", 0 },
	{ "wait-1-silent", "exit 1", CA_PENDING, "", 0 },
	{ "wait-1-lines", "printf 'two\\nlines\\r\\n\\n'; exit 1",
	  CA_PENDING, "two\nlines", 0 },
	{ "wait-5", "printf '30\\ncookie-5678\\n'; exit 5",
	  CA_PENDING, "cookie-5678", 30 },
	{ "wait-5-crlf", "printf '7\\r\\nc\\r\\n'; exit 5", CA_PENDING, "c", 7 },
	{ "wait-5-no-cookie", "echo 0; exit 5", CA_PENDING, "", 0 },
	{ "wait-5-no-delay", "echo cookie-1234; exit 5",
	  -1, "the CA helper asked to wait (exit 5) but did not begin its "
	  "answer with a delay in seconds from 0 to 86400", 0 },
	{ "wait-5-negative", "printf -- '-1\\nc\\n'; exit 5",
	  -1, "the CA helper asked to wait (exit 5) but did not begin its "
	  "answer with a delay in seconds from 0 to 86400", 0 },
	{ "wait-5-too-long", "printf '86401\\nc\\n'; exit 5",
	  -1, "the CA helper asked to wait (exit 5) but did not begin its "
	  "answer with a delay in seconds from 0 to 86400", 0 },
	{ "wait-nul", "printf 'a\\000b'; exit 1",
	  -1, "the CA helper asked to wait but its cookie holds a NUL byte", 0 },
	{ "wait-huge-cookie", "head -c 5000 /dev/zero | tr '\\0' c; exit 1",
	  -1, "the CA helper asked to wait with a cookie of more than 4096 "
	  "bytes", 0 },
	{ "other-code", "echo stdout-line; echo 'segfault in ca' >&2; exit 7",
	  -1, "the CA helper failed (exit 7): segfault in ca", 0 },
	{ "not-supported", "exit 6",
	  -1, "the CA helper does not know this operation", 0 },
	{ "signal", "echo dying >&2; kill -KILL $$",
	  -1, "the CA helper failed (signal 9): dying", 0 },
	{ "control-chars", "printf 'bad\\033[31m red\\r\\nsecond\\n'; exit 2",
	  -1, "the CA rejected the request: bad\\x1b[31m red", 0 },
};

START_TEST(test_exit_status)
{
	struct ca_reply reply;
	unsigned char *answer;
	char spec[600], expect[1024];
	const char *path;
	size_t len;
	int fds_before, rc;

	path = write_script(exit_cases[_i].name, exit_cases[_i].body);
	snprintf(spec, sizeof(spec), "exec:%s", path);
	fds_before = count_fds();
	rc = submit_reply(spec, NULL, test_csr, "tls-server", &reply);
	answer = reply.answer;
	len = reply.len;
	ck_assert_int_eq(count_fds(), fds_before);
	assert_no_children();
	ck_assert_msg(rc == exit_cases[_i].rc, "%s: rc %d, message %s",
		      exit_cases[_i].name, rc, err_message());
	if (rc == CA_PENDING) {
		ck_assert_ptr_null(answer);
		ck_assert_ptr_nonnull(reply.cookie);
		ck_assert_str_eq(reply.cookie, exit_cases[_i].message);
		ck_assert_int_eq(reply.retry_seconds, exit_cases[_i].retry);
	} else if (rc == 0) {
		ck_assert_ptr_nonnull(answer);
		ck_assert_int_eq(answer[len], '\0');
		ck_assert_uint_eq(len, strlen((char *)answer));
		if (strcmp(exit_cases[_i].name, "issued") == 0)
			ck_assert_str_eq((char *)answer,
					 "-----BEGIN CERTIFICATE-----\nAAAA\n"
					 "-----END CERTIFICATE-----\n");
		else
			ck_assert_uint_eq(len, 0);
	} else {
		ck_assert_ptr_null(answer);
		ck_assert_uint_eq(len, 0);
		ck_assert_int_eq(err_kind(), ERR_FAILED);
		snprintf(expect, sizeof(expect), "CA exec:%s: %s", path,
			 exit_cases[_i].message);
		ck_assert_str_eq(err_message(), expect);
		ck_assert_ptr_null(reply.cookie);
	}
	ca_reply_clear(&reply);
}
END_TEST

/* ---- specs that cannot be opened ----------------------------------- */

static const struct {
	const char *spec;        /* @: the test directory */
	const char *message;     /* a part of the message */
} usage_cases[] = {
	{ "", "no CA given" },
	{ "foo:bar", "unknown CA kind 'foo' (known: exec, cfssl, scep, acme)" },
	{ "file", "unknown CA kind 'file' (known: exec, cfssl, scep, acme)" },
	{ "EXEC:/bin/true", "unknown CA kind 'EXEC' (known: exec, cfssl, scep, acme)" },
	{ "exec", "no helper command given" },
	{ "exec:", "no helper command given" },
	{ "exec: \t ", "no helper command given" },
	{ "exec:@/missing-helper", "missing-helper: cannot run the helper: "
	  "No such file or directory" },
	{ "exec:@/not-executable", "not-executable: cannot run the helper: "
	  "Permission denied" },
	{ "exec:@", ": cannot run the helper: Permission denied" },
	{ "exec:p11enroll-no-such-helper --x", "CA exec:p11enroll-no-such-helper:"
	  " no such program on the PATH" },
	{ "acme:", "CA acme: no URL given (acme:https://HOST/DIRECTORY[#PROFILE])" },
	{ "acme:ftp://ca.example/dir", "the URL must be http or https, not ftp" },
	{ "acme:https://ca.example/dir", "CA acme:https://ca.example/dir: no "
	  "account key file: give --acme-account FILE or --state-dir" },
	{ "acme:https://ca.example/dir#", "the profile after '#' must be 1 to 64 "
	  "characters" },
};

START_TEST(test_open_usage)
{
	struct ca *ca = (struct ca *)1;
	char spec[600];
	FILE *f;

	snprintf(spec, sizeof(spec), "%s/not-executable", tmpdir);
	f = fopen(spec, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	if (strcmp(usage_cases[_i].spec, "exec:@") == 0)
		snprintf(spec, sizeof(spec), "exec:%s", tmpdir);
	else if (strncmp(usage_cases[_i].spec, "exec:@/", 7) == 0)
		snprintf(spec, sizeof(spec), "exec:%s%s", tmpdir,
			 usage_cases[_i].spec + 6);
	else
		snprintf(spec, sizeof(spec), "%s", usage_cases[_i].spec);
	err_clear();
	ck_assert_int_eq(ca_open(spec, NULL, &ca), -1);
	ck_assert_ptr_null(ca);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_msg(strstr(err_message(), usage_cases[_i].message) != NULL,
		      "%s: got \"%s\"", spec, err_message());
}
END_TEST

START_TEST(test_negative_timeout)
{
	struct ca_options opts = { .timeout_seconds = -1 };
	struct ca *ca = NULL;

	ck_assert_int_eq(ca_open("exec:/bin/true", &opts, &ca), -1);
	ck_assert_ptr_null(ca);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
}
END_TEST

START_TEST(test_describe)
{
	struct ca *ca = NULL;
	const char *d;

	ck_assert_int_eq(ca_open("exec:/bin/true --secret-arg", NULL, &ca), 0);
	ck_assert_str_eq(ca_describe(ca), "exec:/bin/true");
	ca_free(ca);
	ca = NULL;

	/* A bare name is looked up on the PATH, as a shell would. */
	ck_assert_int_eq(ca_open("exec:true", NULL, &ca), 0);
	d = ca_describe(ca);
	ck_assert_msg(strncmp(d, "exec:/", 6) == 0 &&
		      strcmp(d + strlen(d) - 5, "/true") == 0, "got %s", d);
	ca_free(ca);
	ca_free(NULL);
}
END_TEST

/* ---- arguments, stdin and environment ------------------------------ */

START_TEST(test_arguments_literal)
{
	unsigned char *answer;
	char spec[600];
	size_t len;
	const char *path;

	path = write_script("args", "printf '%s|' \"$#\" \"$@\"");
	snprintf(spec, sizeof(spec), "exec:%s  one\ttwo   * $HOME 'q r'", path);
	ck_assert_int_eq(submit(spec, NULL, test_csr, "r", &answer, &len), 0);
	ck_assert_str_eq((char *)answer, "6|one|two|*|$HOME|'q|r'|");
	free(answer);
}
END_TEST

START_TEST(test_csr_on_stdin)
{
	unsigned char *answer;
	size_t len;

	ck_assert_int_eq(submit("exec:/bin/cat", NULL, test_csr, "tls-server",
				&answer, &len), 0);
	ck_assert_uint_eq(len, strlen(test_csr));
	ck_assert_str_eq((char *)answer, test_csr);
	free(answer);
}
END_TEST

/* The helper's environment, as env -0 prints it, against EXPECTED (NULL:
 * CERTMONGER_CSR with the test request). */
static void
assert_environment(const unsigned char *answer, size_t len,
		   const char *const *expected, size_t n_expected)
{
	char csr_var[4096];
	const char *entry;
	size_t off, i, n = 0;

	snprintf(csr_var, sizeof(csr_var), "CERTMONGER_CSR=%s", test_csr);
	for (off = 0; off < len; off += strlen(entry) + 1, n++) {
		entry = (const char *)answer + off;
		for (i = 0; i < n_expected; i++) {
			if (strcmp(entry, expected[i] ? expected[i] : csr_var) == 0)
				break;
		}
		ck_assert_msg(i < n_expected, "unexpected variable in the helper: "
			      "%s", entry);
	}
	ck_assert_uint_eq(n, n_expected);
	for (off = 0; off + 7 <= len; off++)
		ck_assert_int_ne(memcmp(answer + off, "hunter2", 7), 0);
}

START_TEST(test_environment_is_minimal)
{
	static const char *const expected[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"CERTMONGER_OPERATION=SUBMIT",
		NULL,   /* CERTMONGER_CSR */
		"CERTMONGER_CA_PROFILE=user-sign",
		"CERTMONGER_REQ_SUBJECT=CN=www.example.org",
		"CERTMONGER_REQ_HOSTNAME=www.example.org\nalt.example.org",
		"CERTMONGER_REQ_EMAIL=ops@example.org",
		"CERTMONGER_REQ_IP_ADDRESS=192.0.2.7\n2001:db8::1",
		"CERTMONGER_KEY_TYPE=EC",
	};
	unsigned char *answer;
	size_t len;

	ck_assert_int_eq(setenv("P11ENROLL_TEST_SECRET", "hunter2", 1), 0);
	ck_assert_int_eq(setenv("PATH", "/usr/bin:/bin:/tmp/elsewhere", 1), 0);
	/* env itself is the helper: a shell would add variables of its own. */
	ck_assert_int_eq(submit("exec:/usr/bin/env -0", NULL, test_csr,
				"user-sign", &answer, &len), 0);
	assert_environment(answer, len, expected,
			   sizeof(expected) / sizeof(expected[0]));
	free(answer);
}
END_TEST

/* POLL carries the cookie, and everything SUBMIT had. */
START_TEST(test_poll_environment)
{
	static const char *const expected[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"CERTMONGER_OPERATION=POLL",
		"CERTMONGER_CA_COOKIE=request 42; $(id)",
		NULL,   /* CERTMONGER_CSR */
		"CERTMONGER_CA_PROFILE=tls-server",
		"CERTMONGER_REQ_SUBJECT=CN=www.example.org",
		"CERTMONGER_REQ_HOSTNAME=www.example.org\nalt.example.org",
		"CERTMONGER_REQ_EMAIL=ops@example.org",
		"CERTMONGER_REQ_IP_ADDRESS=192.0.2.7\n2001:db8::1",
		"CERTMONGER_KEY_TYPE=EC",
	};
	struct ca_reply reply;
	struct ca *ca = NULL;

	ck_assert_int_eq(setenv("P11ENROLL_TEST_SECRET", "hunter2", 1), 0);
	ck_assert_int_eq(ca_open("exec:/usr/bin/env -0", NULL, &ca), 0);
	ck_assert_int_eq(ca_poll(ca, "request 42; $(id)", test_csr, "tls-server",
				 &reply), 0);
	assert_environment(reply.answer, reply.len, expected,
			   sizeof(expected) / sizeof(expected[0]));
	ca_reply_clear(&reply);
	ck_assert_ptr_null(reply.answer);
	ca_free(ca);
}
END_TEST

START_TEST(test_other_fds_closed)
{
	unsigned char *answer;
	char spec[600];
	size_t len;
	const char *path;
	int fd;

	/* Not close-on-exec: only the child's own cleanup closes it. */
	fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, 50), 50);
	path = write_script("fds",
	    "for n in 3 50; do\n"
	    "  if [ -e /proc/$$/fd/$n ]; then echo \"$n open\"; fi\n"
	    "done\n"
	    "echo checked");
	snprintf(spec, sizeof(spec), "exec:%s", path);
	ck_assert_int_eq(submit(spec, NULL, test_csr, "r", &answer, &len), 0);
	ck_assert_str_eq((char *)answer, "checked\n");
	free(answer);
	close(50);
	close(fd);
}
END_TEST

/* A real request larger than a pipe's buffer (about 95 kB of PEM) and
 * smaller than one environment string may be: the helpers below never
 * read it. */
static char *
big_csr(void)
{
	size_t size = 70 * 1024, off = 0;
	char *san = malloc(size + 100), *csr;
	int i;

	ck_assert_ptr_nonnull(san);
	for (i = 0; off < size; i++)
		off += (size_t)snprintf(san + off, size + 100 - off,
		    "%sDNS:host-%d.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    ".example.org", i > 0 ? "," : "", i);
	csr = make_csr_san("serverAuth", san);
	ck_assert_uint_gt(strlen(csr), 65536);
	free(san);
	return csr;
}

START_TEST(test_helper_ignores_stdin)
{
	static const char *const bodies[] = {
		"exit 0",
		"exec 0<&-; sleep 0.3; echo done",
	};
	unsigned char *answer;
	char spec[600], *csr = big_csr();
	const char *path;
	sigset_t mask, pending;
	size_t len;
	int i;

	for (i = 0; i < 2; i++) {
		path = write_script(i == 0 ? "nostdin0" : "nostdin1", bodies[i]);
		snprintf(spec, sizeof(spec), "exec:%s", path);
		ck_assert_int_eq(submit(spec, NULL, csr, "r", &answer, &len), 0);
		ck_assert_str_eq((char *)answer, i == 0 ? "" : "done\n");
		free(answer);
	}
	/* No SIGPIPE left behind, and the caller's mask is back. */
	sigpending(&pending);
	ck_assert_int_eq(sigismember(&pending, SIGPIPE), 0);
	sigprocmask(SIG_SETMASK, NULL, &mask);
	ck_assert_int_eq(sigismember(&mask, SIGPIPE), 0);
	free(csr);
}
END_TEST

/* ---- limits ---------------------------------------------------------- */

static int
process_gone(pid_t pid)
{
	char path[64], stat[256];
	FILE *f;
	char *state;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 1;
	/* A zombie waiting for init is gone as far as we care. */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	if (fgets(stat, sizeof(stat), f) == NULL)
		stat[0] = '\0';
	fclose(f);
	state = strrchr(stat, ')');
	return state != NULL && state[1] == ' ' && state[2] == 'Z';
}

START_TEST(test_timeout_kills_the_group)
{
	struct ca_options opts = { .timeout_seconds = 1 };
	unsigned char *answer;
	char spec[600], body[600], pidfile[560], expect[700];
	const char *path;
	double start;
	size_t len;
	FILE *f;
	int pid = 0, i, fds_before;

	snprintf(pidfile, sizeof(pidfile), "%s/sleep.pid", tmpdir);
	snprintf(body, sizeof(body),
		 "sleep 30 &\necho $! > '%s'\nwait", pidfile);
	path = write_script("slow", body);
	snprintf(spec, sizeof(spec), "exec:%s", path);
	fds_before = count_fds();
	start = now();
	ck_assert_int_eq(submit(spec, &opts, test_csr, "r", &answer, &len), -1);
	ck_assert_double_lt(now() - start, 5.0);
	ck_assert_ptr_null(answer);
	snprintf(expect, sizeof(expect),
		 "CA exec:%s: the CA helper did not answer within 1 seconds", path);
	ck_assert_str_eq(err_message(), expect);
	ck_assert_int_eq(count_fds(), fds_before);
	assert_no_children();

	f = fopen(pidfile, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d", &pid), 1);
	fclose(f);
	ck_assert_int_gt(pid, 0);
	for (i = 0; i < 40 && !process_gone(pid); i++)
		usleep(50 * 1000);
	ck_assert_msg(process_gone(pid), "the helper's sleep %d survived", pid);
}
END_TEST

START_TEST(test_oversized_answer)
{
	struct ca_options opts = { .max_answer = 1024 * 1024 };
	unsigned char *answer;
	char spec[600], expect[700];
	const char *path;
	double start;
	size_t len;

	path = write_script("big", "head -c 10000000 /dev/zero; exit 0");
	snprintf(spec, sizeof(spec), "exec:%s", path);
	start = now();
	ck_assert_int_eq(submit(spec, &opts, test_csr, "r", &answer, &len), -1);
	ck_assert_double_lt(now() - start, 10.0);
	ck_assert_ptr_null(answer);
	ck_assert_int_eq(err_kind(), ERR_FAILED);
	snprintf(expect, sizeof(expect), "CA exec:%s: the CA helper's answer "
		 "is larger than 1048576 bytes", path);
	ck_assert_str_eq(err_message(), expect);
	assert_no_children();
}
END_TEST

START_TEST(test_answer_at_the_limit)
{
	struct ca_options opts = { .max_answer = 100000 };
	unsigned char *answer;
	char spec[600];
	const char *path;
	size_t len;

	path = write_script("exact", "head -c 100000 /dev/zero; "
			    "head -c 10000 /dev/zero >&2; exit 0");
	snprintf(spec, sizeof(spec), "exec:%s", path);
	ck_assert_int_eq(submit(spec, &opts, test_csr, "r", &answer, &len), 0);
	ck_assert_uint_eq(len, 100000);
	free(answer);
}
END_TEST

/* ---- waiting ------------------------------------------------------ */

/* A helper that logs each call's operation and cookie to TMPDIR/calls and
 * runs BODY with $n set to the call's number. */
static const char *
write_logging_helper(const char *name, const char *body)
{
	char script[2048];

	snprintf(script, sizeof(script),
		 "echo \"$CERTMONGER_OPERATION ${CERTMONGER_CA_COOKIE:--}\" "
		 ">> '%s/calls'\n"
		 "n=$(wc -l < '%s/calls')\n%s", tmpdir, tmpdir, body);
	return write_script(name, script);
}

static char *
read_calls(void)
{
	static char calls[4096];
	char path[600];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/calls", tmpdir);
	calls[0] = '\0';
	if ((f = fopen(path, "r")) == NULL)
		return calls;
	n = fread(calls, 1, sizeof(calls) - 1, f);
	calls[n] = '\0';
	fclose(f);
	return calls;
}

/* Twice "wait a second", then the certificate: asked again with each
 * cookie, within --wait. */
START_TEST(test_wait_then_issue)
{
	struct ca_options opts = { .wait_seconds = 30 };
	struct ca_reply reply;
	char spec[600];
	const char *path;
	double start;

	path = write_logging_helper("waits-twice",
	    "case $n in\n"
	    "1) printf '1\\nticket-1\\n'; exit 5;;\n"
	    "2) printf '1\\nticket-2\\n'; exit 5;;\n"
	    "esac\n"
	    "printf -- '-----BEGIN CERTIFICATE-----\\nAAAA\\n"
	    "-----END CERTIFICATE-----\\n'");
	snprintf(spec, sizeof(spec), "exec:%s", path);
	start = now();
	ck_assert_msg(submit_reply(spec, &opts, test_csr, "tls-server",
				   &reply) == 0, "%s", err_message());
	ck_assert_double_ge(now() - start, 1.9);
	ck_assert_double_lt(now() - start, 15.0);
	ck_assert_str_eq((char *)reply.answer, "-----BEGIN CERTIFICATE-----\n"
			 "AAAA\n-----END CERTIFICATE-----\n");
	ck_assert_ptr_null(reply.cookie);
	ck_assert_str_eq(read_calls(), "SUBMIT -\nPOLL ticket-1\nPOLL ticket-2\n");
	ca_reply_clear(&reply);
	assert_no_children();
}
END_TEST

/* A CA that keeps saying "wait" is asked until --wait runs out, and the
 * last cookie comes back. */
START_TEST(test_wait_runs_out)
{
	struct ca_options opts = { .wait_seconds = 2 };
	struct ca_reply reply;
	char spec[600], *calls;
	const char *path;
	double start;
	int n = 0;

	path = write_logging_helper("waits-forever",
				    "printf '1\\nticket-%s\\n' \"$n\"; exit 5");
	snprintf(spec, sizeof(spec), "exec:%s", path);
	start = now();
	ck_assert_int_eq(submit_reply(spec, &opts, test_csr, "tls-server",
				      &reply), CA_PENDING);
	ck_assert_double_lt(now() - start, 5.0);
	calls = read_calls();
	for (; *calls != '\0'; calls++)
		n += *calls == '\n';
	ck_assert_msg(n == 2 || n == 3, "%d calls", n);
	ck_assert_ptr_null(reply.answer);
	ck_assert_ptr_nonnull(reply.cookie);
	ck_assert_int_eq(reply.cookie[strlen("ticket-")] - '0', n);
	ck_assert_int_eq(reply.retry_seconds, 1);
	ca_reply_clear(&reply);
}
END_TEST

/* Exit 1 names no delay: the default retry is longer than what is left
 * of --wait, so the helper is not asked again. Without --wait, likewise. */
START_TEST(test_wait_shorter_than_retry)
{
	struct ca_options opts = { .wait_seconds = CA_DEFAULT_RETRY - 1 };
	struct ca_reply reply;
	char spec[600];
	const char *path;
	double start;

	path = write_logging_helper("waits-unsaid", "echo ticket; exit 1");
	snprintf(spec, sizeof(spec), "exec:%s", path);
	start = now();
	ck_assert_int_eq(submit_reply(spec, &opts, test_csr, "r", &reply),
			 CA_PENDING);
	ck_assert_double_lt(now() - start, 2.0);
	ck_assert_str_eq(reply.cookie, "ticket");
	ca_reply_clear(&reply);
	ck_assert_int_eq(submit_reply(spec, NULL, test_csr, "r", &reply),
			 CA_PENDING);
	ca_reply_clear(&reply);
	ck_assert_str_eq(read_calls(), "SUBMIT -\nSUBMIT -\n");
}
END_TEST

/* A rejection on POLL is a rejection: the error, and no cookie. */
START_TEST(test_poll_rejected)
{
	struct ca_options opts = { .wait_seconds = 30 };
	struct ca_reply reply;
	char spec[600], expect[700];
	const char *path;

	path = write_logging_helper("waits-then-rejects",
	    "[ \"$n\" = 1 ] && { printf '0\\nt\\n'; exit 5; }\n"
	    "echo 'denied by an officer'; exit 2");
	snprintf(spec, sizeof(spec), "exec:%s", path);
	ck_assert_int_eq(submit_reply(spec, &opts, test_csr, "r", &reply), -1);
	ck_assert_ptr_null(reply.cookie);
	ck_assert_ptr_null(reply.answer);
	snprintf(expect, sizeof(expect), "CA exec:%s: the CA rejected the "
		 "request: denied by an officer", path);
	ck_assert_str_eq(err_message(), expect);
	ck_assert_str_eq(read_calls(), "SUBMIT -\nPOLL t\n");
}
END_TEST

START_TEST(test_wait_bounds)
{
	struct ca_options opts = { .wait_seconds = -1 };
	struct ca *ca = NULL;

	ck_assert_int_eq(ca_open("exec:/bin/true", &opts, &ca), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	opts.wait_seconds = CA_MAX_WAIT + 1;
	ck_assert_int_eq(ca_open("exec:/bin/true", &opts, &ca), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	opts.wait_seconds = CA_MAX_WAIT;
	ck_assert_int_eq(ca_open("exec:/bin/true", &opts, &ca), 0);
	ca_free(ca);
}
END_TEST

/* --ca-retry's bounds: 0 is the default, a day at most. */
static const struct retry_bound {
	int seconds;
	int rc;
} retry_bounds[] = {
	{ -1, -1 }, { 0, 0 }, { 1, 0 }, { CA_MAX_WAIT, 0 }, { CA_MAX_WAIT + 1, -1 },
};

START_TEST(test_retry_bounds)
{
	const struct retry_bound *b = &retry_bounds[_i];
	struct ca_options opts = { .retry_seconds = b->seconds };
	struct ca *ca = NULL;

	err_clear();
	ck_assert_int_eq(ca_open("exec:/bin/true", &opts, &ca), b->rc);
	if (b->rc < 0) {
		ck_assert_ptr_null(ca);
		ck_assert_int_eq(err_kind(), ERR_USAGE);
		ck_assert_ptr_nonnull(strstr(err_message(), "asking the CA again every"));
	}
	ca_free(ca);
}
END_TEST

/* A helper that asks to wait without saying how long (exit 1) is asked
 * again after the options' retry delay, not the default one. */
START_TEST(test_retry_delay_from_options)
{
	struct ca_options opts = { .wait_seconds = 30, .retry_seconds = 1 };
	struct ca_reply reply;
	char spec[600];
	const char *path;
	double start;

	path = write_logging_helper("waits-unsaid-twice",
	    "[ \"$n\" -le 2 ] && { echo \"ticket-$n\"; exit 1; }\n"
	    "printf -- '-----BEGIN CERTIFICATE-----\\nAAAA\\n"
	    "-----END CERTIFICATE-----\\n'");
	snprintf(spec, sizeof(spec), "exec:%s", path);
	start = now();
	ck_assert_msg(submit_reply(spec, &opts, test_csr, "tls-server",
				   &reply) == 0, "%s", err_message());
	ck_assert_double_ge(now() - start, 1.9);
	/* Two default delays would take this long. */
	ck_assert_double_lt(now() - start, 2 * CA_DEFAULT_RETRY);
	ck_assert_str_eq(read_calls(), "SUBMIT -\nPOLL ticket-1\nPOLL ticket-2\n");
	ca_reply_clear(&reply);
}
END_TEST

/* The HTTP kinds finish within one run: there is nothing to poll. */
START_TEST(test_poll_http_kinds)
{
	static const char *const specs[] = {
		"cfssl:http://127.0.0.1:1", "scep:http://127.0.0.1:1/scep",
	};
	struct ca_reply reply;
	struct ca *ca = NULL;
	size_t i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		ck_assert_int_eq(ca_open(specs[i], NULL, &ca), 0);
		err_clear();
		ck_assert_int_eq(ca_poll(ca, "c", test_csr, "r", &reply), -1);
		ck_assert_ptr_nonnull(strstr(err_message(), "cannot be asked "
					     "about an earlier request"));
		ca_free(ca);
	}
}
END_TEST

static void
run_testca_init(const char *dir)
{
	char tool[1024];
	pid_t pid;
	int status, devnull;

	snprintf(tool, sizeof(tool), "%s/tools/p11enroll-testca", top_srcdir());
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		execl(tool, tool, "init", dir, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "%s init %s failed", tool, dir);
}

/* ---- the shipped fixtures ----------------------------------------- */

START_TEST(test_fixture_helpers)
{
	struct ca_options opts = { .wait_seconds = 10 };
	struct ca_reply reply;
	unsigned char *answer;
	char spec[1600], dir[600];
	size_t len;

	snprintf(spec, sizeof(spec), "exec:%s/tests/fixtures/ca-exit.sh 2 "
		 "request denied by policy", top_srcdir());
	ck_assert_int_eq(submit(spec, NULL, test_csr, "r", &answer, &len), -1);
	ck_assert_ptr_nonnull(strstr(err_message(),
	    "the CA rejected the request: request denied by policy"));

	/* Once "wait", then issued by the test CA. */
	snprintf(dir, sizeof(dir), "%s/ca", tmpdir);
	run_testca_init(dir);
	snprintf(spec, sizeof(spec), "exec:%s/tests/fixtures/ca-wait.sh %s 1 %s",
		 top_srcdir(), tmpdir, dir);
	ck_assert_int_eq(submit_reply(spec, NULL, test_csr, "r", &reply),
			 CA_PENDING);
	ck_assert_str_eq(reply.cookie, "cookie-1");
	ck_assert_int_eq(reply.retry_seconds, 1);
	ca_reply_clear(&reply);
	ck_assert_msg(submit_reply(spec, &opts, test_csr, "r", &reply) == 0,
		      "%s", err_message());
	ck_assert_ptr_nonnull(strstr((char *)reply.answer, "BEGIN CERTIFICATE"));
	ca_reply_clear(&reply);
	ck_assert_str_eq(read_calls(), "SUBMIT -\nSUBMIT -\n");

	snprintf(spec, sizeof(spec), "exec:%s/tests/fixtures/ca-garbage.sh",
		 top_srcdir());
	ck_assert_int_eq(submit(spec, NULL, test_csr, "r", &answer, &len), 0);
	ck_assert_uint_gt(len, 0);
	ck_assert_ptr_null(strstr((char *)answer, "BEGIN CERTIFICATE"));
	free(answer);
}
END_TEST

/* ---- the test CA -------------------------------------------------- */

/* The EKU of CERT as a bit set over a few known NIDs; -1 if absent. */
static long
eku_bits(const EXTENDED_KEY_USAGE *eku)
{
	static const int nids[] = {
		NID_server_auth, NID_client_auth, NID_code_sign,
		NID_email_protect, NID_time_stamp, NID_OCSP_sign,
	};
	long bits = 0;
	int i;
	size_t j;

	if (eku == NULL)
		return -1;
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));

		for (j = 0; j < sizeof(nids) / sizeof(nids[0]); j++) {
			if (nids[j] == nid)
				break;
		}
		bits |= 1L << j;   /* unknown usages land in their own bit */
	}
	return bits;
}

static long
request_eku_bits(const char *csr_pem)
{
	BIO *bio = BIO_new_mem_buf(csr_pem, -1);
	X509_REQ *req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	STACK_OF(X509_EXTENSION) *exts;
	EXTENDED_KEY_USAGE *eku;
	long bits;

	ck_assert_ptr_nonnull(req);
	exts = X509_REQ_get_extensions(req);
	eku = X509V3_get_d2i(exts, NID_ext_key_usage, NULL, NULL);
	bits = eku_bits(eku);
	EXTENDED_KEY_USAGE_free(eku);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	BIO_free(bio);
	return bits;
}

/* A helper of the source tree, run on a fresh test CA. */
struct testca_helper {
	const char *program;     /* under top_srcdir */
	const char *options;     /* after the CA directory */
};

/* Submit a fresh request with EKU through HELPER; check the answer is
 * leaf + issuing CA chaining to the root, and return the leaf's EKU
 * bits. */
static long
testca_issue(const struct testca_helper *helper, const char *eku,
	     long *requested)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *chain = sk_X509_new_null();
	EXTENDED_KEY_USAGE *leaf_eku;
	unsigned char *answer;
	char dir[600], spec[1600], root[700];
	X509 *cert, *leaf = NULL;
	char *csr;
	size_t len;
	BIO *bio;
	long bits;

	snprintf(dir, sizeof(dir), "%s/ca", tmpdir);
	run_testca_init(dir);
	snprintf(spec, sizeof(spec), "exec:%s/%s %s %s", top_srcdir(),
		 helper->program, dir, helper->options);
	csr = make_csr(eku);
	*requested = request_eku_bits(csr);
	ck_assert_msg(submit(spec, NULL, csr, "tls-server", &answer, &len) == 0,
		      "%s", err_message());
	bio = BIO_new_mem_buf(answer, (int)len);
	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (leaf == NULL)
			leaf = cert;
		else
			ck_assert_int_gt(sk_X509_push(chain, cert), 0);
	}
	ERR_clear_error();
	ck_assert_ptr_nonnull(leaf);
	ck_assert_int_eq(sk_X509_num(chain), 1);

	snprintf(root, sizeof(root), "%s/root.pem", dir);
	ck_assert_int_eq(X509_STORE_load_file(store, root), 1);
	ck_assert_int_eq(X509_STORE_CTX_init(ctx, store, leaf, chain), 1);
	ck_assert_msg(X509_verify_cert(ctx) == 1, "leaf does not verify: %s",
		      X509_verify_cert_error_string(
			  X509_STORE_CTX_get_error(ctx)));
	ck_assert_int_eq(X509_check_ca(leaf), 0);

	leaf_eku = X509_get_ext_d2i(leaf, NID_ext_key_usage, NULL, NULL);
	bits = eku_bits(leaf_eku);
	EXTENDED_KEY_USAGE_free(leaf_eku);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	BIO_free(bio);
	free(answer);
	free(csr);
	return bits;
}

static const struct testca_helper testca_plain = {
	"tools/p11enroll-testca", ""
};

START_TEST(test_testca_copies_eku)
{
	long requested, issued;

	issued = testca_issue(&testca_plain, "serverAuth", &requested);
	ck_assert_int_eq(requested, 1L << 0);
	ck_assert_int_eq(issued, requested);

	teardown();
	setup();
	issued = testca_issue(&testca_plain, "clientAuth,emailProtection",
			      &requested);
	ck_assert_int_eq(requested, (1L << 1) | (1L << 3));
	ck_assert_int_eq(issued, requested);
}
END_TEST

static const struct testca_helper mixed_helpers[] = {
	{ "tools/p11enroll-testca", "--eku serverAuth,clientAuth" },
	{ "tests/fixtures/ca-mixed-eku.sh", "" },
};

START_TEST(test_testca_mixed_eku)
{
	long requested, issued;

	issued = testca_issue(&mixed_helpers[_i], "serverAuth", &requested);
	ck_assert_int_eq(requested, 1L << 0);
	ck_assert_int_eq(issued, (1L << 0) | (1L << 1));
}
END_TEST

/* The test request with one bit of its signature flipped: its last byte
 * is the signature's. */
static char *
make_badly_signed_csr(void)
{
	BIO *in = BIO_new_mem_buf(test_csr, -1), *out = BIO_new(BIO_s_mem());
	X509_REQ *req = PEM_read_bio_X509_REQ(in, NULL, NULL, NULL);
	unsigned char *der = NULL;
	char *pem;
	int der_len;

	ck_assert_ptr_nonnull(req);
	der_len = i2d_X509_REQ(req, &der);
	ck_assert_int_gt(der_len, 0);
	der[der_len - 1] ^= 0x01;
	ck_assert_int_gt(PEM_write_bio(out, "CERTIFICATE REQUEST", "", der,
				       der_len), 0);
	pem = bio_string(out);
	OPENSSL_free(der);
	X509_REQ_free(req);
	BIO_free(in);
	return pem;
}

START_TEST(test_testca_rejects_garbage)
{
	unsigned char *answer;
	char dir[600], spec[1600], *bad = make_badly_signed_csr();
	size_t len;

	snprintf(dir, sizeof(dir), "%s/ca", tmpdir);
	run_testca_init(dir);
	snprintf(spec, sizeof(spec), "exec:%s/tools/p11enroll-testca %s",
		 top_srcdir(), dir);
	ck_assert_int_eq(submit(spec, NULL, bad, "r", &answer, &len), -1);
	free(bad);
	ck_assert_msg(strstr(err_message(), "the CA rejected the request: "
			     "p11enroll-testca: the request is not") != NULL,
		      "%s", err_message());

	snprintf(spec, sizeof(spec), "exec:%s/tools/p11enroll-testca %s/none",
		 top_srcdir(), tmpdir);
	ck_assert_int_eq(submit(spec, NULL, test_csr, "r", &answer, &len), -1);
	ck_assert_ptr_nonnull(strstr(err_message(),
	    "the CA helper is not configured correctly: p11enroll-testca: "));
}
END_TEST

static Suite *
ca_suite(void)
{
	Suite *s = suite_create("ca");
	TCase *tc = tcase_create("exec");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_exit_status, 0,
	    (int)(sizeof(exit_cases) / sizeof(exit_cases[0])));
	tcase_add_loop_test(tc, test_open_usage, 0,
	    (int)(sizeof(usage_cases) / sizeof(usage_cases[0])));
	tcase_add_test(tc, test_negative_timeout);
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_arguments_literal);
	tcase_add_test(tc, test_csr_on_stdin);
	tcase_add_test(tc, test_environment_is_minimal);
	tcase_add_test(tc, test_poll_environment);
	tcase_add_test(tc, test_other_fds_closed);
	tcase_add_test(tc, test_helper_ignores_stdin);
	tcase_add_test(tc, test_timeout_kills_the_group);
	tcase_add_test(tc, test_oversized_answer);
	tcase_add_test(tc, test_answer_at_the_limit);
	tcase_add_test(tc, test_wait_then_issue);
	tcase_add_test(tc, test_wait_runs_out);
	tcase_add_test(tc, test_wait_shorter_than_retry);
	tcase_add_test(tc, test_poll_rejected);
	tcase_add_test(tc, test_wait_bounds);
	tcase_add_loop_test(tc, test_retry_bounds, 0,
			    sizeof(retry_bounds) / sizeof(retry_bounds[0]));
	tcase_add_test(tc, test_retry_delay_from_options);
	tcase_add_test(tc, test_poll_http_kinds);
	tcase_add_test(tc, test_fixture_helpers);
	suite_add_tcase(s, tc);

	tc = tcase_create("testca");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_testca_copies_eku);
	tcase_add_loop_test(tc, test_testca_mixed_eku, 0,
	    (int)(sizeof(mixed_helpers) / sizeof(mixed_helpers[0])));
	tcase_add_test(tc, test_testca_rejects_garbage);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ca_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
