/* SPDX-License-Identifier: MIT */
/* coretest.c - the fixture of check_core: a fresh SoftHSM token and test
 * CA per test, the shipped profiles, and the token read back object by
 * object. Every helper fails the running Check test on error. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "certstore.h"
#include "coretest.h"
#include "err.h"
#include "keygen.h"
#include "lifecycle.h"
#include "profile-load.h"
#include "token-login.h"
#include "rolestate.h"
#include "softhsm.h"
#include "util.h"

static struct module *mod;
static bool token_made;         /* this test's token is initialised */
static bool ca_made;            /* this test's CA directory is made */

const char *
coretest_srcdir(void)
{
	const char *top = getenv("top_srcdir");

	return top != NULL && *top != '\0' ? top : ".";
}

/* Checked fixture: a fresh token directory; the token itself and the CA
 * are made on first use. */
void
coretest_setup(void)
{
	softhsm_setup();
	token_made = false;
	ca_made = false;
}

void
coretest_teardown(void)
{
	softhsm_teardown();
}

/* Open the test token, logged in: through SoftHSM itself when FAULTS is
 * NULL, else through the fault module with FAULTS as its configuration.
 * The fault module counts calls per process from its loading, so a
 * rule's "call 1" is the first such call of what the test does next. */
struct token *
coretest_open(const char *faults)
{
	struct token *t = NULL;
	const char *path = softhsm_module();
	char conf[400];
	FILE *f;

	if (faults != NULL) {
		path = getenv("P11FAULT_MODULE");
		ck_assert_msg(path != NULL && *path != '\0',
			      "P11FAULT_MODULE is not set (make check sets it)");
		snprintf(conf, sizeof(conf), "%s/fault.conf", softhsm_dir);
		ck_assert_ptr_nonnull(f = fopen(conf, "w"));
		fprintf(f, "%s\n", faults);
		ck_assert_int_eq(fclose(f), 0);
		setenv("P11FAULT_CONF", conf, 1);
		setenv("P11FAULT_TARGET", softhsm_module(), 1);
	}
	ck_assert_msg(module_load(path, &mod) == 0, "%s", err_message());
	if (!token_made) {
		softhsm_init_token(mod, CORETEST_TOKEN);
		token_made = true;
	}
	ck_assert_msg(token_open(mod, CORETEST_TOKEN, softhsm_dir, &t) == 0, "%s",
		      err_message());
	ck_assert_msg(token_login(t, TEST_USER_PIN) == 0, "%s", err_message());
	return t;
}

void
coretest_close(struct token *t)
{
	token_close(t);
	module_free(mod);
	mod = NULL;
	unsetenv("P11FAULT_CONF");
}

/* p11enroll-testca: $TESTCA, else the one in the source tree. */
static const char *
coretest_testca(void)
{
	static char path[300];
	const char *testca = getenv("TESTCA");

	if (testca != NULL && *testca != '\0')
		return testca;
	snprintf(path, sizeof(path), "%s/tools/p11enroll-testca", coretest_srcdir());
	return path;
}

/* The test CA's directory, made on first use. */
static const char *
coretest_ca_dir(void)
{
	static char dir[300];
	char cmd[800];

	snprintf(dir, sizeof(dir), "%s/ca", softhsm_dir);
	if (!ca_made) {
		snprintf(cmd, sizeof(cmd), "'%s' init '%s' >/dev/null", coretest_testca(), dir);
		ck_assert_int_eq(system(cmd), 0);
		ca_made = true;
	}
	return dir;
}

char *
coretest_ca_id(void)
{
	char path[400];
	FILE *f;
	X509 *ca;
	const ASN1_OCTET_STRING *ski;
	char *hex;

	snprintf(path, sizeof(path), "%s/ca.pem", coretest_ca_dir());
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_ptr_nonnull(ca = PEM_read_X509(f, NULL, NULL, NULL));
	fclose(f);
	ck_assert_ptr_nonnull(ski = X509_get0_subject_key_id(ca));
	ck_assert_ptr_nonnull(hex = util_hex(ski->data, (size_t)ski->length));
	X509_free(ca);
	return hex;
}

/* The test CA behind an exec: helper: p11enroll-testca itself, or the
 * fixture HELPER (under tests/fixtures) given ARGS before the CA's
 * directory. */
struct ca *
coretest_ca(const char *helper, const char *args)
{
	struct ca_options opts = { .timeout_seconds = 60 };
	const char *dir = coretest_ca_dir();
	struct ca *ca = NULL;
	char spec[1200];

	if (helper != NULL)
		snprintf(spec, sizeof(spec), "exec:%s/tests/fixtures/%s %s %s",
			 coretest_srcdir(), helper, args, dir);
	else
		snprintf(spec, sizeof(spec), "exec:%s %s", coretest_testca(), dir);
	ck_assert_msg(ca_open(spec, &opts, &ca) == 0, "%s", err_message());
	return ca;
}

struct profile *
coretest_profile(const char *role)
{
	struct profile *p = NULL;
	char dir[300];

	snprintf(dir, sizeof(dir), "%s/profiles", coretest_srcdir());
	ck_assert_msg(profile_load(dir, role, &p) == 0, "%s", err_message());
	return p;
}

/* The variables every shipped role used here needs. */
struct vars *
coretest_vars(void)
{
	static const char *const assignments[] = {
		"dns=www.example.org", "cn=client.example.org", "name=Alice Example",
		"email=alice@example.org",
	};
	struct vars *v = vars_new();
	size_t i;

	ck_assert_ptr_nonnull(v);
	for (i = 0; i < NELEM(assignments); i++)
		ck_assert_int_eq(vars_set(v, assignments[i]), 0);
	return v;
}

/* Enroll ROLE on T with the test CA; the role's CKA_ID in hex, to free. */
char *
coretest_enroll(struct token *t, const char *role)
{
	struct enroll_result r;
	struct profile *p = coretest_profile(role);
	struct vars *v = coretest_vars();
	struct ca *ca = coretest_ca(NULL, NULL);
	char *id;

	memset(&r, 0, sizeof(r));
	ck_assert_msg(enroll_role(t, p, v, ca, NULL, &r) == 0, "%s", err_message());
	ck_assert_ptr_nonnull(r.cert);
	ck_assert_ptr_nonnull(id = strdup(r.id_hex));
	enroll_result_clear(&r);
	ca_free(ca);
	vars_free(v);
	profile_free(p);
	return id;
}

/* ---- what is on the token --------------------------------------------- */

static int
coretest_cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every object on T, one "CLASS LABEL ID" line each, sorted; to free. */
char *
coretest_snapshot(struct token *t)
{
	CK_OBJECT_HANDLE *h = NULL;
	CK_ULONG cls;
	unsigned char *label, *id;
	size_t n = 0, i, label_len, id_len, size = 1;
	char **lines, *hex, *text;

	ck_assert_int_eq(token_find(t, NULL, 0, &h, &n), 0);
	ck_assert_ptr_nonnull(lines = calloc(n + 1, sizeof(*lines)));
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(token_get_ulong(t, h[i], CKA_CLASS, &cls), 0);
		ck_assert_int_eq(token_get_attr(t, h[i], CKA_LABEL, &label, &label_len), 0);
		ck_assert_int_eq(token_get_attr(t, h[i], CKA_ID, &id, &id_len), 0);
		ck_assert_ptr_nonnull(hex = util_hex(id, id_len));
		ck_assert_int_gt(asprintf(&lines[i], "%s %.*s %s\n",
					  rolestate_class_name(cls), (int)label_len,
					  label != NULL ? (char *)label : "", hex), 0);
		size += strlen(lines[i]);
		free(label);
		free(id);
		free(hex);
	}
	qsort(lines, n, sizeof(*lines), coretest_cmp_lines);
	ck_assert_ptr_nonnull(text = calloc(1, size));
	for (i = 0; i < n; i++) {
		strcat(text, lines[i]);
		free(lines[i]);
	}
	free(lines);
	free(h);
	return text;
}

/* The handles of the objects labelled LABEL; *N of them. */
CK_OBJECT_HANDLE *
coretest_labelled(struct token *t, const char *label, size_t *n)
{
	CK_ATTRIBUTE tmpl[] = { { CKA_LABEL, (void *)label, strlen(label) } };
	CK_OBJECT_HANDLE *h = NULL;

	ck_assert_int_eq(token_find(t, tmpl, 1, &h, n), 0);
	return h;
}

/* How many objects of T have a CKA_ID of ID_HEX. */
size_t
coretest_count_id(struct token *t, const char *id_hex)
{
	const char *p = id_hex;
	char *snapshot = coretest_snapshot(t);
	size_t n = 0;

	for (p = strstr(snapshot, id_hex); p != NULL; p = strstr(p + 1, id_hex))
		n++;
	free(snapshot);
	return n;
}

bool
coretest_bool(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	bool v = false;

	ck_assert_int_eq(token_get_bool(t, h, type, &v), 0);
	return v;
}

/* The lines coretest_snapshot() gives for N roles: ROLES[i]'s key pair and
 * certificate, labelled LABELS[i], with CKA_ID IDS[i], and with any role
 * the test CA's intermediate that issued them; to free. */
char *
coretest_expected(const char *const *labels, char *const *ids, size_t n)
{
	static const char *const classes[] = {
		"certificate", "private key", "public key",
	};
	char **lines, *text, *ca;
	size_t i, k, size = 1, nlines = n * NELEM(classes);

	ck_assert_ptr_nonnull(lines = calloc(nlines + 2, sizeof(*lines)));
	if (n > 0) {
		ca = coretest_ca_id();
		ck_assert_int_gt(asprintf(&lines[nlines], "certificate p11enroll "
					  "test issuing CA %s\n", ca), 0);
		size += strlen(lines[nlines++]);
		free(ca);
	}
	for (i = 0; i < n; i++)
		for (k = 0; k < NELEM(classes); k++) {
			ck_assert_int_gt(asprintf(&lines[i * NELEM(classes) + k],
						  "%s %s %s\n", classes[k], labels[i],
						  ids[i]), 0);
			size += strlen(lines[i * NELEM(classes) + k]);
		}
	qsort(lines, nlines, sizeof(*lines), coretest_cmp_lines);
	ck_assert_ptr_nonnull(text = calloc(1, size));
	for (i = 0; i < nlines; i++) {
		strcat(text, lines[i]);
		free(lines[i]);
	}
	free(lines);
	return text;
}

/* Judge T's inventory as status does; *N rows (and *INV, to free with
 * certstore_inventory_free()). */
struct audit_row *
coretest_audit(struct token *t, struct inventory_entry **inv, size_t *n)
{
	struct audit_options opts = { .expiring_days = 30, .now = time(NULL) };
	struct audit_row *rows = NULL;
	char dir[300];

	snprintf(dir, sizeof(dir), "%s/profiles", coretest_srcdir());
	opts.profiles_dir = dir;
	ck_assert_msg(certstore_inventory(t, inv, n) == 0, "%s", err_message());
	ck_assert_msg(audit_token(*inv, *n, &opts, &rows) == 0, "%s", err_message());
	return rows;
}

/* A CA that writes what the token shows while it is asked (public
 * objects, "LABEL ID" lines) to PEEK, then issues. */
struct ca *
coretest_peeking_ca(char *peek, size_t size)
{
	char conf[300], args[1000];

	snprintf(peek, size, "%s/peek", softhsm_dir);
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", softhsm_dir);
	snprintf(args, sizeof(args), "%s %s %s %s", softhsm_module(), conf,
		 CORETEST_TOKEN, peek);
	return coretest_ca("ca-peek.sh", args);
}

char *
coretest_read(const char *path)
{
	unsigned char *data = NULL;
	size_t len = 0;

	ck_assert_msg(util_read_file(path, 1 << 20, &data, &len) == 0, "%s",
		      err_message());
	return (char *)data;
}

