/* SPDX-License-Identifier: MIT */
/* check_policy.c - profile lint, one case per finding, and role sets. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "util.h"
#include "policy.h"
#include "profile.h"
#include "profile-load.h"
#include "testfiles.h"


/* The ids of F joined with ",", "" for none. */
static void
finding_ids(const struct policy_finding *f, size_t n, char *buf, size_t size)
{
	size_t i, len;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", i ? "," : "", f[i].id);
	}
}

/* ---- one profile per finding, and profiles that must not trigger ---- */

#define EC "[key]\nalgorithm = ec-p256\n[request]\nsubject = CN=${cn}\n"
#define RSA "[key]\nalgorithm = rsa-2048\n[request]\nsubject = CN=${cn}\n"
#define CERT "[certificate]\nmax_lifetime_days = 30\n"
#define KU(x) "key_usage = " x "\n"
#define EKU(x) "extended_key_usage = " x "\n"
#define WAIVER "allow_mixed_roles = yes\njustification = one slot only\n"
#define EC_MECHS(m) "[key]\nalgorithm = ec-p256\nallowed_mechanisms = " m \
	"\n[request]\nsubject = CN=${cn}\n"
#define RSA_MECHS(m) "[key]\nalgorithm = rsa-2048\nallowed_mechanisms = " m \
	"\n[request]\nsubject = CN=${cn}\n"
#define RSA_KEY_WAIVER(why) "[key]\nalgorithm = rsa-2048\nallow_unnarrowed = yes\n" \
	why "[request]\nsubject = CN=${cn}\n"

static const struct lint_case {
	const char *text;
	const char *ids;                /* the findings, in order */
	enum policy_severity severity;  /* of the first finding */
	const char *says;               /* in the first finding's sentence */
} lint_cases[] = {
	{ EC CERT KU("digitalSignature"), "eku-missing", POLICY_ERROR,
	  "no extended key usage" },
	{ EC CERT KU("digitalSignature") EKU("anyExtendedKeyUsage"), "eku-any",
	  POLICY_ERROR, "anyExtendedKeyUsage" },
	{ EC CERT KU("digitalSignature") EKU("serverAuth, clientAuth"),
	  "eku-mixed-tls", POLICY_ERROR, "serverAuth and clientAuth in one "
	  "role make a server identity also a client identity; set "
	  "allow_mixed_roles = yes with a justification" },
	{ EC CERT KU("digitalSignature") EKU("serverAuth, clientAuth")
	  "allow_mixed_roles = yes\n", "waiver-unjustified", POLICY_ERROR,
	  "justification" },
	{ EC CERT KU("digitalSignature") EKU("clientAuth") WAIVER,
	  "waiver-unused", POLICY_WARNING, "mixes nothing" },
	{ EC CERT KU("digitalSignature") EKU("serverAuth, clientAuth") WAIVER,
	  "waiver-in-force", POLICY_INFO, "one slot only" },
	{ EC CERT EKU("clientAuth"), "ku-missing", POLICY_ERROR,
	  "no key usage" },
	{ EC CERT KU("digitalSignature, keyCertSign, cRLSign") EKU("clientAuth"),
	  "ku-ca", POLICY_ERROR, "keyCertSign and cRLSign" },
	{ EC CERT KU("keyEncipherment") EKU("serverAuth"), "ku-ec-encipherment",
	  POLICY_ERROR, "keyEncipherment on an ec-p256 key" },
	{ RSA CERT KU("keyAgreement") EKU("clientAuth"), "ku-rsa-agreement",
	  POLICY_ERROR, "keyAgreement on an rsa-2048 key" },
	{ EC CERT KU("digitalSignature, encipherOnly") EKU("clientAuth"),
	  "ku-modifier-alone", POLICY_ERROR, "encipherOnly only qualifies "
	  "keyAgreement" },
	{ EC CERT KU("digitalSignature, nonRepudiation") EKU("clientAuth"),
	  "ku-not-for-eku", POLICY_ERROR, "nonRepudiation is not a key usage of "
	  "clientAuth (RFC 5280 4.2.1.12)" },
	{ RSA CERT KU("keyEncipherment") EKU("emailProtection, codeSigning"),
	  "eku-without-ku", POLICY_ERROR, "codeSigning needs digitalSignature" },
	{ RSA CERT KU("digitalSignature, keyEncipherment") EKU("serverAuth"),
	  "ku-sign-and-decrypt", POLICY_WARNING,
	  "digitalSignature with keyEncipherment" },
	{ EC "[certificate]\n" KU("digitalSignature") EKU("clientAuth"),
	  "lifetime-missing", POLICY_ERROR, "max_lifetime_days" },

	/* An extended key usage the table does not know may allow anything. */
	{ RSA CERT KU("keyEncipherment") EKU("1.3.6.1.4.1.99999.1"), "",
	  POLICY_INFO, NULL },
	{ EC CERT KU("digitalSignature, nonRepudiation")
	  EKU("clientAuth, 1.3.6.1.4.1.99999.1"), "", POLICY_INFO, NULL },
	/* EC encryption is key agreement. */
	{ EC CERT KU("keyAgreement") EKU("emailProtection"), "", POLICY_INFO,
	  NULL },
	/* The modifiers go wherever keyAgreement goes. */
	{ EC CERT KU("keyAgreement, decipherOnly") EKU("clientAuth"), "",
	  POLICY_INFO, NULL },
	{ RSA CERT KU("digitalSignature, nonRepudiation")
	  EKU("emailProtection, timeStamping, OCSPSigning"), "", POLICY_INFO,
	  NULL },
	{ EC CERT KU("digitalSignature") EKU("clientAuth, msSmartcardLogin"),
	  "", POLICY_INFO, NULL },
	/* A justified waiver covers signing and decrypting with one key. */
	{ RSA CERT KU("digitalSignature, keyEncipherment") EKU("serverAuth")
	  WAIVER, "waiver-in-force", POLICY_INFO, "sign and decrypt" },
	/* The waiver for what a CA adds. */
	{ EC CERT KU("digitalSignature") EKU("serverAuth")
	  "accept_added_eku = clientAuth\n", "added-eku-unjustified",
	  POLICY_ERROR, "accept_added_eku = clientAuth needs a justification" },
	{ EC CERT KU("digitalSignature") EKU("serverAuth")
	  "accept_added_eku = clientAuth, 1.3.6.1.4.1.99999.1\n"
	  "justification = the CA has one profile\n", "added-eku-in-force",
	  POLICY_INFO, "accepts clientAuth, 1.3.6.1.4.1.99999.1 added by the "
	  "CA to this role's certificate; justification: the CA has one "
	  "profile" },
	/* The waiver for modules that ignore the narrowing. */
	{ RSA_KEY_WAIVER("") CERT KU("keyEncipherment") EKU("emailProtection"),
	  "unnarrowed-unjustified", POLICY_ERROR, "allow_unnarrowed = yes needs "
	  "a justification" },
	{ RSA_KEY_WAIVER("justification = the TPM is all we have\n") CERT
	  KU("digitalSignature") EKU("clientAuth"), "unnarrowed-unused",
	  POLICY_WARNING, "the role signs" },
	{ RSA_KEY_WAIVER("justification = the TPM is all we have\n") CERT
	  KU("keyEncipherment") EKU("emailProtection"), "unnarrowed-in-force",
	  POLICY_INFO, "the TPM is all we have" },
	/* [key] allowed_mechanisms within the key usage. */
	{ EC_MECHS("CKM_ECDSA, CKM_ECDSA_SHA256") CERT KU("digitalSignature")
	  EKU("serverAuth"), "", POLICY_INFO, NULL },
	{ RSA_MECHS("CKM_RSA_PKCS_PSS") CERT KU("digitalSignature")
	  EKU("serverAuth"), "", POLICY_INFO, NULL },
	{ RSA_MECHS("CKM_RSA_PKCS_OAEP") CERT KU("keyEncipherment")
	  EKU("emailProtection"), "", POLICY_INFO, NULL },
	/* CKM_RSA_PKCS both signs and decrypts. */
	{ RSA_MECHS("CKM_RSA_PKCS") CERT KU("keyEncipherment")
	  EKU("emailProtection"), "", POLICY_INFO, NULL },
	{ EC_MECHS("CKM_ECDH1_DERIVE") CERT KU("keyAgreement")
	  EKU("emailProtection"), "", POLICY_INFO, NULL },
	/* A decryption mechanism on a key that only signs. */
	{ RSA_MECHS("CKM_RSA_PKCS_PSS, CKM_RSA_PKCS_OAEP") CERT
	  KU("digitalSignature") EKU("serverAuth"), "mechanisms-not-for-key",
	  POLICY_ERROR, "allowed_mechanisms lists CKM_RSA_PKCS_OAEP, which an "
	  "rsa-2048 key whose key usage lets it sign does not use; remove it" },
	/* The other key type's. */
	{ EC_MECHS("CKM_ECDSA, CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS") CERT
	  KU("digitalSignature") EKU("serverAuth"), "mechanisms-not-for-key",
	  POLICY_ERROR, "CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS, which an ec-p256 key" },
	/* A key that signs and agrees keys, allowed only to sign. */
	{ EC_MECHS("CKM_ECDSA") CERT KU("digitalSignature, keyAgreement")
	  EKU("clientAuth"), "mechanisms-missing", POLICY_ERROR,
	  "nothing to agree keys with, which its key usage needs; add one of "
	  "CKM_ECDH1_DERIVE, CKM_ECDH1_COFACTOR_DERIVE" },
	/* Nothing to sign with. */
	{ EC_MECHS("CKM_ECDH1_DERIVE") CERT KU("digitalSignature") EKU("serverAuth"),
	  "mechanisms-not-for-key,mechanisms-missing", POLICY_ERROR, NULL },
	{ RSA_MECHS("CKM_RSA_PKCS_OAEP") CERT KU("digitalSignature")
	  EKU("codeSigning"), "mechanisms-not-for-key,mechanisms-missing",
	  POLICY_ERROR, NULL },
	/* Several at once, in the order of policy.h. */
	{ EC "[certificate]\n" KU("keyEncipherment, keyCertSign")
	  EKU("serverAuth, clientAuth"), "eku-mixed-tls,ku-ca,"
	  "ku-ec-encipherment,eku-without-ku,lifetime-missing", POLICY_ERROR, NULL },
};

START_TEST(test_lint)
{
	const struct lint_case *c = &lint_cases[_i];
	struct policy_finding *f = NULL;
	struct profile *p = NULL;
	char path[PATH_MAX], name[32], ids[512];
	size_t n = 99;

	snprintf(name, sizeof(name), "case%d.profile", _i);
	write_file("lint", name, c->text, path, sizeof(path));
	err_clear();
	if (profile_parse_file(path, &p) < 0)
		ck_abort_msg("case %d: %s", _i, err_message());
	ck_assert_int_eq(policy_lint(p, &f, &n), 0);
	finding_ids(f, n, ids, sizeof(ids));
	if (strcmp(ids, c->ids) != 0)
		ck_abort_msg("case %d: findings \"%s\", want \"%s\" (first: %s)",
			     _i, ids, c->ids, n > 0 ? f[0].message : "-");
	if (n > 0) {
		ck_assert_int_eq(f[0].severity, c->severity);
		ck_assert_ptr_nonnull(f[0].message);
		ck_assert_int_gt(strlen(f[0].message), 20);
	}
	if (c->says != NULL && strstr(f[0].message, c->says) == NULL)
		ck_abort_msg("case %d: \"%s\" does not say \"%s\"", _i,
			     f[0].message, c->says);
	policy_findings_free(f, n);
	profile_free(p);
}
END_TEST

/* Loading refuses exactly the profiles with an error finding, naming the
 * file, the first error's identifier and its sentence. */
START_TEST(test_load_refuses_errors)
{
	const struct lint_case *c = &lint_cases[_i];
	struct policy_finding *f = NULL;
	struct profile *p = NULL, *parsed = NULL;
	char path[PATH_MAX], name[32], want[PATH_MAX + 600];
	size_t i, n = 0, errors = 0, first = 0;

	snprintf(name, sizeof(name), "load%d.profile", _i);
	write_file("load", name, c->text, path, sizeof(path));
	ck_assert_int_eq(profile_parse_file(path, &parsed), 0);
	ck_assert_int_eq(policy_lint(parsed, &f, &n), 0);
	for (i = 0; i < n; i++)
		if (f[i].severity == POLICY_ERROR && errors++ == 0)
			first = i;
	err_clear();
	if (errors == 0) {
		if (profile_load_file(path, &p) < 0)
			ck_abort_msg("case %d: %s", _i, err_message());
		ck_assert_str_eq(profile_path(p), path);
	} else {
		ck_assert_int_eq(profile_load_file(path, &p), -1);
		ck_assert_ptr_null(p);
		ck_assert_int_eq(err_kind(), ERR_USAGE);
		if (errors == 1)
			snprintf(want, sizeof(want), "%s: %s: %s", path,
				 f[first].id, f[first].message);
		else
			snprintf(want, sizeof(want), "%s: %s: %s (and %zu more)",
				 path, f[first].id, f[first].message, errors - 1);
		ck_assert_str_eq(err_message(), want);
	}
	policy_findings_free(f, n);
	profile_free(parsed);
	profile_free(p);
}
END_TEST

static const char *
shipped_dir(char *buf, size_t size)
{
	const char *top = getenv("top_srcdir");

	snprintf(buf, size, "%s/profiles", top != NULL ? top : ".");
	return buf;
}

static const char *const shipped_tls[] = { "tls-server", "tls-client" };

START_TEST(test_shipped_tls_clean)
{
	struct policy_finding *f = NULL;
	struct profile *p = NULL;
	char dir[PATH_MAX], ids[512];
	size_t n = 99;

	err_clear();
	if (profile_load(shipped_dir(dir, sizeof(dir)), shipped_tls[_i], &p) < 0)
		ck_abort_msg("%s: %s", shipped_tls[_i], err_message());
	ck_assert_int_eq(policy_lint(p, &f, &n), 0);
	finding_ids(f, n, ids, sizeof(ids));
	ck_assert_str_eq(ids, "");
	ck_assert_uint_eq(n, 0);
	policy_findings_free(f, n);
	profile_free(p);
}
END_TEST

START_TEST(test_severity_names)
{
	ck_assert_str_eq(policy_severity_name(POLICY_INFO), "info");
	ck_assert_str_eq(policy_severity_name(POLICY_WARNING), "warning");
	ck_assert_str_eq(policy_severity_name(POLICY_ERROR), "error");
	policy_findings_free(NULL, 0);
}
END_TEST

/* ---- role sets ---- */

#define GOOD EC CERT KU("digitalSignature") EKU("clientAuth")

/* TMPDIR/sets: roles a, b, c; set s1 = b c; a set naming a set, and one
 * naming a role that does not exist. */
static void
sets_setup(void)
{
	char path[PATH_MAX];

	tmpdir_setup();
	write_file("sets", "a.profile", GOOD, path, sizeof(path));
	write_file("sets", "b.profile", GOOD, path, sizeof(path));
	write_file("sets", "c.profile", GOOD, path, sizeof(path));
	write_file("sets", "s1.set", "# b and c\n[set]\nroles = b  c\n", path,
		   sizeof(path));
	write_file("sets", "nested.set", "[set]\nroles = a s1\n", path,
		   sizeof(path));
	write_file("sets", "missing.set", "[set]\nroles = a zz\n", path,
		   sizeof(path));
	write_file("setfiles", "a.profile", GOOD, path, sizeof(path));
	write_file("setfiles", "b.profile", GOOD, path, sizeof(path));
}

static const char *
sets_dir(char *buf, size_t size)
{
	snprintf(buf, size, "%s/sets", tmpdir);
	return buf;
}

/* A search path of two directories (and one that is not there): the
 * first that holds a name gives it, as a role or as a set, and a set's
 * roles come from the whole path. */
START_TEST(test_profile_path)
{
	char dirs[3 * PATH_MAX], path[PATH_MAX], want[4 * PATH_MAX];
	char **roles = NULL, **sets = NULL, *found = NULL;
	size_t nroles = 0, nsets = 0;
	enum profile_kind kind;

	write_file("upper", "b.profile", GOOD, path, sizeof(path));
	write_file("upper", "s1.profile", GOOD, path, sizeof(path));
	write_file("upper", "x.set", "[set]\nroles = c b\n", path, sizeof(path));
	snprintf(dirs, sizeof(dirs), "%s/none:%s/upper::%s/sets", tmpdir, tmpdir,
		 tmpdir);

	ck_assert_int_eq(profile_locate(dirs, "b", &kind, &found), 1);
	ck_assert_int_eq(kind, PROFILE_KIND_ROLE);
	snprintf(want, sizeof(want), "%s/upper/b.profile", tmpdir);
	ck_assert_str_eq(found, want);
	free(found);
	ck_assert_int_eq(profile_locate(dirs, "a", &kind, &found), 1);
	snprintf(want, sizeof(want), "%s/sets/a.profile", tmpdir);
	ck_assert_str_eq(found, want);
	free(found);
	ck_assert_int_eq(profile_locate(dirs, "zz", &kind, &found), 0);
	ck_assert_ptr_null(found);

	/* The role s1 above hides the set s1 below. */
	ck_assert_int_eq(profile_find(dirs, "s1", &kind), 0);
	ck_assert_int_eq(kind, PROFILE_KIND_ROLE);

	/* x's roles: c from below, b from above. */
	ck_assert_int_eq(profile_set_load(dirs, "x", &roles, &nroles), 0);
	ck_assert_uint_eq(nroles, 2);
	ck_assert_str_eq(roles[0], "c");
	ck_assert_str_eq(roles[1], "b");
	profile_names_free(roles, nroles);

	ck_assert_int_eq(profile_dir_list(dirs, &roles, &nroles, &sets, &nsets), 0);
	ck_assert_uint_eq(nroles, 4);
	ck_assert_str_eq(roles[0], "a");
	ck_assert_str_eq(roles[1], "b");
	ck_assert_str_eq(roles[2], "c");
	ck_assert_str_eq(roles[3], "s1");
	ck_assert_uint_eq(nsets, 3);
	ck_assert_str_eq(sets[0], "missing");
	ck_assert_str_eq(sets[1], "nested");
	ck_assert_str_eq(sets[2], "x");
	profile_names_free(roles, nroles);
	profile_names_free(sets, nsets);

	/* An unknown name lists every directory and everything in them. */
	err_clear();
	ck_assert_int_eq(profile_find(dirs, "zz", &kind), -1);
	snprintf(want, sizeof(want), "unknown role 'zz' (no zz.profile or zz.set "
		 "in %s/none, %s/upper or %s/sets; roles there: a, b, c, s1; sets "
		 "there: missing, nested, x)", tmpdir, tmpdir, tmpdir);
	ck_assert_str_eq(err_message(), want);

	snprintf(path, sizeof(path), "%s/upper/b.profile", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/upper/s1.profile", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/upper/x.set", tmpdir);
	unlink(path);
}
END_TEST

static const struct expand_case {
	const char *names[4];
	const char *roles;              /* joined with ",", NULL: refused */
	const char *message;            /* the refusal's start; @ is the
					 * directory */
} expand_cases[] = {
	{ { "a", "s1", NULL }, "a,b,c", NULL },
	{ { "s1", "a", NULL }, "b,c,a", NULL },
	{ { "c", NULL }, "c", NULL },
	{ { "s1", NULL }, "b,c", NULL },
	{ { "a", "a", NULL }, NULL, "role a is named twice" },
	{ { "b", "s1", NULL }, NULL, "role b is named twice (once through set "
	  "s1)" },
	{ { "s1", "c", NULL }, NULL, "role c is named twice (once through set "
	  "s1)" },
	{ { "s1", "s1", NULL }, NULL, "role b is named twice (through set s1 "
	  "and through set s1)" },
	{ { "a", "x", NULL }, NULL, "unknown role 'x' (no x.profile or x.set "
	  "in @; roles there: a, b, c; sets there: missing, nested, s1)" },
	{ { "a", "../sets/a", NULL }, NULL, "bad role name '../sets/a'" },
	{ { "nested", NULL }, NULL, "@/nested.set:2: roles: 's1' is a role "
	  "set; sets do not nest" },
	{ { "missing", NULL }, NULL, "@/missing.set:2: roles: no zz.profile "
	  "in @" },
};

/* TMPL with each '@' replaced by DIR. */
static void
with_dir(const char *tmpl, const char *dir, char *out, size_t size)
{
	size_t len;

	out[0] = '\0';
	for (; *tmpl != '\0'; tmpl++) {
		len = strlen(out);
		if (*tmpl == '@')
			snprintf(out + len, size - len, "%s", dir);
		else if (len + 1 < size) {
			out[len] = *tmpl;
			out[len + 1] = '\0';
		}
	}
}

START_TEST(test_expand)
{
	const struct expand_case *c = &expand_cases[_i];
	char dir[PATH_MAX], got[256], want[2 * PATH_MAX + 256];
	char **roles = NULL;
	size_t i, n = 0, count = 99;

	while (c->names[n] != NULL)
		n++;
	sets_dir(dir, sizeof(dir));
	err_clear();
	if (c->roles == NULL) {
		ck_assert_int_eq(profile_expand_roles(dir, (char **)c->names, n,
						      &roles, &count), -1);
		ck_assert_ptr_null(roles);
		ck_assert_uint_eq(count, 0);
		ck_assert_int_eq(err_kind(), ERR_USAGE);
		with_dir(c->message, dir, want, sizeof(want));
		if (strncmp(err_message(), want, strlen(want)) != 0)
			ck_abort_msg("case %d: got \"%s\", want \"%s...\"", _i,
				     err_message(), want);
		return;
	}
	if (profile_expand_roles(dir, (char **)c->names, n, &roles, &count) < 0)
		ck_abort_msg("case %d: %s", _i, err_message());
	got[0] = '\0';
	for (i = 0; i < count; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
			 i ? "," : "", roles[i]);
	ck_assert_str_eq(got, c->roles);
	profile_names_free(roles, count);
}
END_TEST

static const struct set_file_case {
	const char *text;
	int line;                       /* 0: a whole-file message */
	const char *key;
	const char *message;
} set_file_cases[] = {
	{ "[set]\nroles = a\n[extra]\nx = y\n", 4, "x", "unknown section "
	  "[extra] (use [set])" },
	{ "[set]\nroles = a\nmembers = b\n", 3, "members", "unknown key in "
	  "[set]" },
	{ "[set]\nroles = a\nroles = b\n", 3, "roles", "given more than once" },
	{ "[set]\nroles =\n", 2, "roles", "no value" },
	{ "[set]\nroles = a b a\n", 2, "roles", "'a' is listed twice" },
	{ "[set]\nroles = a, b\n", 2, "roles", "'a,' is not a role name" },
	{ "roles = a\n", 1, "roles", "not in a section ([set])" },
	{ "[set]\nroles = a\n  b\n", 3, "roles", "indented line would "
	  "continue the value above" },
	{ "# nothing\n[set]\n", 0, NULL, "[set] roles is required" },
};

START_TEST(test_set_file)
{
	const struct set_file_case *c = &set_file_cases[_i];
	char path[PATH_MAX], name[32], want[PATH_MAX + 256];
	char **roles = NULL;
	size_t count = 99;

	snprintf(name, sizeof(name), "bad%d.set", _i);
	write_file("setfiles", name, c->text, path, sizeof(path));
	err_clear();
	ck_assert_int_eq(profile_set_load_file(path, &roles, &count), -1);
	ck_assert_ptr_null(roles);
	ck_assert_uint_eq(count, 0);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	if (c->line == 0)
		snprintf(want, sizeof(want), "%s: %s", path, c->message);
	else
		snprintf(want, sizeof(want), "%s:%d: %s: %s", path, c->line,
			 c->key, c->message);
	if (strncmp(err_message(), want, strlen(want)) != 0)
		ck_abort_msg("case %d: got \"%s\", want \"%s...\"", _i,
			     err_message(), want);
}
END_TEST

START_TEST(test_set_load_and_find)
{
	char dir[PATH_MAX], path[PATH_MAX], want[2 * PATH_MAX];
	char **roles = NULL, **sets = NULL;
	size_t nroles = 0, nsets = 0;
	enum profile_kind kind;
	struct profile *p = NULL;

	sets_dir(dir, sizeof(dir));
	ck_assert_int_eq(profile_set_load(dir, "s1", &roles, &nroles), 0);
	ck_assert_uint_eq(nroles, 2);
	ck_assert_str_eq(roles[0], "b");
	ck_assert_str_eq(roles[1], "c");
	profile_names_free(roles, nroles);

	ck_assert_int_eq(profile_dir_list(dir, &roles, &nroles, &sets, &nsets), 0);
	ck_assert_uint_eq(nroles, 3);
	ck_assert_str_eq(roles[0], "a");
	ck_assert_str_eq(roles[2], "c");
	ck_assert_uint_eq(nsets, 3);
	ck_assert_str_eq(sets[0], "missing");
	ck_assert_str_eq(sets[2], "s1");
	profile_names_free(roles, nroles);
	profile_names_free(sets, nsets);

	ck_assert_int_eq(profile_find(dir, "a", &kind), 0);
	ck_assert_int_eq(kind, PROFILE_KIND_ROLE);
	ck_assert_int_eq(profile_find(dir, "s1", &kind), 0);
	ck_assert_int_eq(kind, PROFILE_KIND_SET);

	/* A role and a set of one name is ambiguous. */
	write_file("sets", "a.set", "[set]\nroles = b\n", path, sizeof(path));
	err_clear();
	ck_assert_int_eq(profile_find(dir, "a", &kind), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err_message(), "is both a role"));
	unlink(path);

	/* A set is no role: profile_load names the sets too. */
	err_clear();
	ck_assert_int_eq(profile_load(dir, "s2", &p), -1);
	snprintf(want, sizeof(want), "unknown role 's2' (no s2.profile in %s; "
		 "roles there: a, b, c; sets there: missing, nested, s1)", dir);
	ck_assert_str_eq(err_message(), want);
	err_clear();
	ck_assert_int_eq(profile_load(dir, "s1", &p), -1);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	snprintf(want, sizeof(want), "'s1' is a role set (%s/s1.set), not a "
		 "role; name one of its roles", dir);
	ck_assert_str_eq(err_message(), want);
	profile_names_free(NULL, 0);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase_create("lint");
	tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_loop_test(tc, test_lint, 0, NELEM(lint_cases));
	tcase_add_loop_test(tc, test_load_refuses_errors, 0, NELEM(lint_cases));
	tcase_add_loop_test(tc, test_shipped_tls_clean, 0, NELEM(shipped_tls));
	tcase_add_test(tc, test_severity_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("sets");
	tcase_add_unchecked_fixture(tc, sets_setup, tmpdir_teardown);
	tcase_add_loop_test(tc, test_expand, 0, NELEM(expand_cases));
	tcase_add_loop_test(tc, test_set_file, 0, NELEM(set_file_cases));
	tcase_add_test(tc, test_set_load_and_find);
	tcase_add_test(tc, test_profile_path);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
