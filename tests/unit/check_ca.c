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

static void
setup(void)
{
	strcpy(tmpdir, "/tmp/check_ca.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	err_clear();
}

static void
teardown(void)
{
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
submit(const char *spec, const struct ca_options *opts, const char *csr,
       const char *role, unsigned char **answer, size_t *len)
{
	struct ca *ca = NULL;
	int rc;

	*answer = NULL;
	*len = 0;
	err_clear();
	if (ca_open(spec, opts, &ca) == -1) {
		ck_assert_ptr_null(ca);
		return -1;
	}
	rc = ca_submit(ca, csr, role, answer, len);
	ca_free(ca);
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

static const char fake_csr[] =
	"-----BEGIN CERTIFICATE REQUEST-----\n"
	"TUlJQmZha2U=\n"
	"-----END CERTIFICATE REQUEST-----\n";

/* ---- exit statuses ------------------------------------------------- */

static const struct {
	const char *name;
	const char *body;
	int rc;
	const char *message;     /* after "CA exec:PATH: " */
} exit_cases[] = {
	{ "issued",
	  "echo '-----BEGIN CERTIFICATE-----'; echo AAAA; "
	  "echo '-----END CERTIFICATE-----'; exit 0",
	  0, NULL },
	{ "issued-empty", "exit 0", 0, NULL },
	{ "rejected", "echo 'request denied by policy'; exit 2",
	  -1, "the CA rejected the request: request denied by policy" },
	{ "rejected-stderr", "echo 'no such profile' >&2; exit 2",
	  -1, "the CA rejected the request: no such profile" },
	{ "rejected-silent", "exit 2",
	  -1, "the CA rejected the request (no reason given)" },
	{ "unreachable", "echo; echo 'connection refused'; exit 3",
	  -1, "the CA could not be reached: connection refused" },
	{ "unconfigured", "echo 'no CA key in /etc/ca'; exit 4",
	  -1, "the CA helper is not configured correctly: no CA key in /etc/ca" },
	{ "wait-5", "echo cookie-1234; exit 5",
	  -1, "the CA has not issued the certificate yet (it asked to wait)" },
	{ "wait-1", "echo cookie-1234; exit 1",
	  -1, "the CA has not issued the certificate yet (it asked to wait)" },
	{ "other-code", "echo stdout-line; echo 'segfault in ca' >&2; exit 7",
	  -1, "the CA helper failed (exit 7): segfault in ca" },
	{ "not-supported", "exit 6",
	  -1, "the CA helper failed (exit 6) (no reason given)" },
	{ "signal", "echo dying >&2; kill -KILL $$",
	  -1, "the CA helper failed (signal 9): dying" },
	{ "control-chars", "printf 'bad\\033[31m red\\r\\nsecond\\n'; exit 2",
	  -1, "the CA rejected the request: bad?[31m red" },
};

START_TEST(test_exit_status)
{
	unsigned char *answer = NULL;
	char spec[600], expect[1024];
	const char *path;
	size_t len;
	int fds_before, rc;

	path = write_script(exit_cases[_i].name, exit_cases[_i].body);
	snprintf(spec, sizeof(spec), "exec:%s", path);
	fds_before = count_fds();
	rc = submit(spec, NULL, fake_csr, "tls-server", &answer, &len);
	ck_assert_int_eq(count_fds(), fds_before);
	assert_no_children();
	ck_assert_msg(rc == exit_cases[_i].rc, "%s: rc %d, message %s",
		      exit_cases[_i].name, rc, err_message());
	if (rc == 0) {
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
	}
	free(answer);
}
END_TEST

/* ---- specs that cannot be opened ----------------------------------- */

static const struct {
	const char *spec;        /* @: the test directory */
	const char *message;     /* a part of the message */
} usage_cases[] = {
	{ "", "no CA given" },
	{ "foo:bar", "unknown CA kind 'foo' (known: exec, cfssl, scep)" },
	{ "file", "unknown CA kind 'file' (known: exec, cfssl, scep)" },
	{ "EXEC:/bin/true", "unknown CA kind 'EXEC' (known: exec, cfssl, scep)" },
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
	ck_assert_int_eq(submit(spec, NULL, fake_csr, "r", &answer, &len), 0);
	ck_assert_str_eq((char *)answer, "6|one|two|*|$HOME|'q|r'|");
	free(answer);
}
END_TEST

START_TEST(test_csr_on_stdin)
{
	unsigned char *answer;
	size_t len;

	ck_assert_int_eq(submit("exec:/bin/cat", NULL, fake_csr, "tls-server",
				&answer, &len), 0);
	ck_assert_uint_eq(len, strlen(fake_csr));
	ck_assert_str_eq((char *)answer, fake_csr);
	free(answer);
}
END_TEST

START_TEST(test_environment_is_minimal)
{
	static const char *const expected[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"CERTMONGER_OPERATION=SUBMIT",
		NULL,   /* CERTMONGER_CSR, built below */
		"CERTMONGER_CA_PROFILE=user-sign",
	};
	unsigned char *answer;
	char csr_var[256];
	const char *entry;
	size_t len, off, i, n = 0;

	ck_assert_int_eq(setenv("P11ENROLL_TEST_SECRET", "hunter2", 1), 0);
	ck_assert_int_eq(setenv("PATH", "/usr/bin:/bin:/tmp/elsewhere", 1), 0);
	snprintf(csr_var, sizeof(csr_var), "CERTMONGER_CSR=%s", fake_csr);

	/* env itself is the helper: a shell would add variables of its own. */
	ck_assert_int_eq(submit("exec:/usr/bin/env -0", NULL, fake_csr,
				"user-sign", &answer, &len), 0);
	for (off = 0; off < len; off += strlen(entry) + 1, n++) {
		entry = (const char *)answer + off;
		for (i = 0; i < 4; i++) {
			if (strcmp(entry, expected[i] ? expected[i] : csr_var) == 0)
				break;
		}
		ck_assert_msg(i < 4, "unexpected variable in the helper: %s", entry);
	}
	ck_assert_uint_eq(n, 4);
	for (off = 0; off + 7 <= len; off++)
		ck_assert_int_ne(memcmp(answer + off, "hunter2", 7), 0);
	free(answer);
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
	ck_assert_int_eq(submit(spec, NULL, fake_csr, "r", &answer, &len), 0);
	ck_assert_str_eq((char *)answer, "checked\n");
	free(answer);
	close(50);
	close(fd);
}
END_TEST

/* Larger than a pipe's buffer, smaller than one environment string may
 * be: the helper below never reads it. */
static char *
big_csr(void)
{
	size_t size = 100 * 1024;
	char *csr = malloc(size + 1);

	ck_assert_ptr_nonnull(csr);
	memset(csr, 'A', size);
	csr[size] = '\0';
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
	ck_assert_int_eq(submit(spec, &opts, fake_csr, "r", &answer, &len), -1);
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
	ck_assert_int_eq(submit(spec, &opts, fake_csr, "r", &answer, &len), -1);
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
	ck_assert_int_eq(submit(spec, &opts, fake_csr, "r", &answer, &len), 0);
	ck_assert_uint_eq(len, 100000);
	free(answer);
}
END_TEST

/* ---- the shipped fixtures ----------------------------------------- */

START_TEST(test_fixture_helpers)
{
	unsigned char *answer;
	char spec[1024];
	size_t len;

	snprintf(spec, sizeof(spec), "exec:%s/tests/fixtures/ca-fail.sh",
		 top_srcdir());
	ck_assert_int_eq(submit(spec, NULL, fake_csr, "r", &answer, &len), -1);
	ck_assert_ptr_nonnull(strstr(err_message(),
	    "the CA rejected the request: request denied by policy"));

	snprintf(spec, sizeof(spec), "exec:%s/tests/fixtures/ca-wait.sh",
		 top_srcdir());
	ck_assert_int_eq(submit(spec, NULL, fake_csr, "r", &answer, &len), -1);
	ck_assert_ptr_nonnull(strstr(err_message(), "asked to wait"));

	snprintf(spec, sizeof(spec), "exec:%s/tests/fixtures/ca-garbage.sh",
		 top_srcdir());
	ck_assert_int_eq(submit(spec, NULL, fake_csr, "r", &answer, &len), 0);
	ck_assert_uint_gt(len, 0);
	ck_assert_ptr_null(strstr((char *)answer, "BEGIN CERTIFICATE"));
	free(answer);
}
END_TEST

/* ---- the test CA -------------------------------------------------- */

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

static void
add_ext(STACK_OF(X509_EXTENSION) *exts, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, nid, value);

	ck_assert_ptr_nonnull(ext);
	ck_assert_int_gt(sk_X509_EXTENSION_push(exts, ext), 0);
}

/* A signed request for www.example.org with extended key usage EKU. */
static char *
make_csr(const char *eku)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem;
	long n;

	ck_assert_ptr_nonnull(key);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"www.example.org", -1, -1, 0), 1);
	ck_assert_int_eq(X509_REQ_set_subject_name(req, name), 1);
	ck_assert_int_eq(X509_REQ_set_pubkey(req, key), 1);
	add_ext(exts, NID_key_usage, "critical,digitalSignature");
	add_ext(exts, NID_ext_key_usage, eku);
	add_ext(exts, NID_subject_alt_name, "DNS:www.example.org");
	ck_assert_int_eq(X509_REQ_add_extensions(req, exts), 1);
	ck_assert_int_gt(X509_REQ_sign(req, key, EVP_sha256()), 0);
	ck_assert_int_eq(PEM_write_bio_X509_REQ(bio, req), 1);
	n = BIO_get_mem_data(bio, &data);
	pem = strndup(data, (size_t)n);
	ck_assert_ptr_nonnull(pem);
	BIO_free(bio);
	X509_NAME_free(name);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return pem;
}

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

START_TEST(test_testca_rejects_garbage)
{
	unsigned char *answer;
	char dir[600], spec[1600];
	size_t len;

	snprintf(dir, sizeof(dir), "%s/ca", tmpdir);
	run_testca_init(dir);
	snprintf(spec, sizeof(spec), "exec:%s/tools/p11enroll-testca %s",
		 top_srcdir(), dir);
	ck_assert_int_eq(submit(spec, NULL, fake_csr, "r", &answer, &len), -1);
	ck_assert_ptr_nonnull(strstr(err_message(), "the CA rejected the request: "
				     "p11enroll-testca: the request is not"));

	snprintf(spec, sizeof(spec), "exec:%s/tools/p11enroll-testca %s/none",
		 top_srcdir(), tmpdir);
	ck_assert_int_eq(submit(spec, NULL, fake_csr, "r", &answer, &len), -1);
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
	tcase_add_test(tc, test_other_fds_closed);
	tcase_add_test(tc, test_helper_ignores_stdin);
	tcase_add_test(tc, test_timeout_kills_the_group);
	tcase_add_test(tc, test_oversized_answer);
	tcase_add_test(tc, test_answer_at_the_limit);
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
