/* SPDX-License-Identifier: MIT */
/* check_verify.c - the checks on a certificate a CA sends back. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "testkeys.h"
#include "verify.h"

#define DAY (24 * 60 * 60)
/* The case passes every check. */
#define PASS (-1)
/* An extension or SAN list left out (NULL in a case means "the good one"). */
#define OMIT ""
/* No lifetime bound (0 in a case means the role's 398 days). */
#define NO_MAX (-1)

/* What the role asks for. */
#define ROLE_SUBJECT "/O=Example/CN=www.example.org"
#define ROLE_KU KU_DIGITAL_SIGNATURE
#define ROLE_EKU "serverAuth"
#define ROLE_SAN "DNS:www.example.org,DNS:example.org"
#define ROLE_MAX_DAYS 398

enum chain_mode {
	CHAIN_INTERMEDIATE,     /* [intermediate], trust the root */
	CHAIN_FULL,             /* [intermediate, root], trust the root */
	CHAIN_NO_TRUST,         /* no chain, no --trust */
	CHAIN_REVERSED,         /* [root, intermediate], trust the root */
	CHAIN_MISSING,          /* no chain, trust the root */
	CHAIN_FOREIGN_TRUST,    /* [intermediate], trust another root */
	CHAIN_EXPIRED,          /* [an expired intermediate], trust the root */
};

enum answer_mode {
	ANSWER_PEM,             /* leaf then chain, PEM */
	ANSWER_LEADING_TEXT,    /* the same with text before and between */
	ANSWER_DER,             /* the leaf alone, DER */
	ANSWER_DER_TRAILING,    /* the leaf, DER, then a stray byte */
	ANSWER_GARBAGE,
	ANSWER_EMPTY,
	ANSWER_BLANK,
	ANSWER_BAD_BASE64,
};

static const struct verify_case {
	const char *name;
	int expect;                     /* PASS or the enum verify_check */
	const char *why;                /* the message holds this */
	/* the certificate; NULL fields are the good values */
	int wrong_key;
	const char *subject;
	const char *bc;
	const char *ku;
	const char *eku;
	const char *san;
	long not_before;                /* from now; 0: an hour ago */
	long not_after;                 /* from now; 0: 90 days on */
	/* the role and the answer */
	const char *role_eku;
	unsigned role_ku;
	const char *role_san;
	int max_days;
	int allow_subject_change;
	enum chain_mode chain;
	enum answer_mode answer;
} cases[] = {
	{ .name = "good leaf", .expect = PASS },
	{ .name = "good leaf, chain up to the root", .expect = PASS,
	  .chain = CHAIN_FULL },
	{ .name = "good leaf, no trust given", .expect = PASS,
	  .chain = CHAIN_NO_TRUST },
	{ .name = "good leaf as DER", .expect = PASS, .chain = CHAIN_NO_TRUST,
	  .answer = ANSWER_DER },
	{ .name = "PEM with text around the blocks", .expect = PASS,
	  .answer = ANSWER_LEADING_TEXT },
	{ .name = "SANs in another order", .expect = PASS,
	  .san = "DNS:example.org,DNS:www.example.org" },
	{ .name = "no SAN asked, none given", .expect = PASS, .san = OMIT,
	  .role_san = OMIT },
	{ .name = "subject changed where the role allows it", .expect = PASS,
	  .subject = "/O=Example CA/CN=www.example.org",
	  .allow_subject_change = 1 },
	{ .name = "subject differs only in case and spacing", .expect = PASS,
	  .subject = "/O=EXAMPLE/CN=www.example.org  " },
	{ .name = "fewer key usages than the role allows", .expect = PASS,
	  .role_ku = KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT },
	{ .name = "one of two allowed EKUs", .expect = PASS,
	  .role_eku = "serverAuth,clientAuth" },
	{ .name = "CA clock a little ahead", .expect = PASS,
	  .not_before = 200 },
	{ .name = "lifetime exactly the maximum", .expect = PASS,
	  .not_before = -DAY, .not_after = (ROLE_MAX_DAYS - 1) * DAY },
	{ .name = "long lifetime without a maximum", .expect = PASS,
	  .not_after = 1000L * DAY, .max_days = NO_MAX },

	{ .name = "garbage answer", .expect = VERIFY_PARSE,
	  .why = "the CA's answer holds no certificate",
	  .answer = ANSWER_GARBAGE },
	{ .name = "empty answer", .expect = VERIFY_PARSE,
	  .why = "the CA's answer is empty", .answer = ANSWER_EMPTY },
	{ .name = "blank answer", .expect = VERIFY_PARSE,
	  .why = "the CA's answer is empty", .answer = ANSWER_BLANK },
	{ .name = "broken PEM block", .expect = VERIFY_PARSE,
	  .why = "malformed", .answer = ANSWER_BAD_BASE64 },
	{ .name = "DER with stray bytes", .expect = VERIFY_PARSE,
	  .why = "stray bytes", .chain = CHAIN_NO_TRUST,
	  .answer = ANSWER_DER_TRAILING },
	{ .name = "wrong public key", .expect = VERIFY_PUBLIC_KEY,
	  .why = "not the key generated on the token", .wrong_key = 1 },
	{ .name = "CA:TRUE", .expect = VERIFY_NOT_CA, .why = "cA=TRUE",
	  .bc = "critical,CA:TRUE" },
	{ .name = "keyCertSign", .expect = VERIFY_NOT_CA, .why = "keyCertSign",
	  .ku = "critical,digitalSignature,keyCertSign" },
	{ .name = "cRLSign", .expect = VERIFY_NOT_CA, .why = "cRLSign",
	  .ku = "critical,digitalSignature,cRLSign" },
	{ .name = "clientAuth on a serverAuth role", .expect = VERIFY_EKU,
	  .why = "clientAuth is not allowed for this role", .eku = "clientAuth" },
	{ .name = "mixed serverAuth and clientAuth", .expect = VERIFY_EKU,
	  .why = "clientAuth is not allowed for this role",
	  .eku = "serverAuth,clientAuth" },
	{ .name = "anyExtendedKeyUsage", .expect = VERIFY_EKU,
	  .why = "it allows anyExtendedKeyUsage",
	  .eku = "serverAuth,anyExtendedKeyUsage" },
	{ .name = "no EKU", .expect = VERIFY_EKU, .why = "no extendedKeyUsage",
	  .eku = OMIT },
	{ .name = "unknown EKU OID", .expect = VERIFY_EKU,
	  .why = "1.3.6.1.4.1.99999.1 is not allowed for this role",
	  .eku = "serverAuth,1.3.6.1.4.1.99999.1" },
	{ .name = "extra keyEncipherment", .expect = VERIFY_KEY_USAGE,
	  .why = "keyEncipherment is not allowed for this role",
	  .ku = "critical,digitalSignature,keyEncipherment" },
	{ .name = "no keyUsage", .expect = VERIFY_KEY_USAGE,
	  .why = "no keyUsage", .ku = OMIT },
	{ .name = "subject changed", .expect = VERIFY_SUBJECT,
	  .why = "/O=Example/CN=other.example.org",
	  .subject = "/O=Example/CN=other.example.org" },
	{ .name = "subject field added", .expect = VERIFY_SUBJECT,
	  .why = "not the requested",
	  .subject = "/C=US/O=Example/CN=www.example.org" },
	{ .name = "SAN changed", .expect = VERIFY_SAN,
	  .why = "the CA added DNS:evil.example",
	  .san = "DNS:www.example.org,DNS:evil.example" },
	{ .name = "SAN added", .expect = VERIFY_SAN,
	  .why = "the CA added IP Address:192.0.2.1",
	  .san = "DNS:www.example.org,DNS:example.org,IP:192.0.2.1" },
	{ .name = "SAN missing", .expect = VERIFY_SAN,
	  .why = "the requested DNS:example.org is missing",
	  .san = "DNS:www.example.org" },
	{ .name = "no SAN at all", .expect = VERIFY_SAN,
	  .why = "the requested DNS:www.example.org is missing", .san = OMIT },
	{ .name = "SAN given, none asked", .expect = VERIFY_SAN,
	  .why = "the CA added DNS:www.example.org", .role_san = OMIT },
	{ .name = "expired", .expect = VERIFY_VALIDITY, .why = "expired on",
	  .not_before = -300L * DAY, .not_after = -DAY },
	{ .name = "not yet valid", .expect = VERIFY_VALIDITY,
	  .why = "not valid until", .not_before = 3600, .not_after = 30L * DAY },
	{ .name = "lifetime over the maximum", .expect = VERIFY_LIFETIME,
	  .why = "more than this role's maximum of 398",
	  .not_after = 400L * DAY },
	{ .name = "lifetime a second over the maximum", .expect = VERIFY_LIFETIME,
	  .why = "398+ days", .not_before = -DAY,
	  .not_after = (ROLE_MAX_DAYS - 1) * DAY + 1 },
	{ .name = "unknown issuer", .expect = VERIFY_CHAIN,
	  .why = "unable to get local issuer certificate",
	  .chain = CHAIN_FOREIGN_TRUST },
	{ .name = "chain out of order", .expect = VERIFY_CHAIN,
	  .why = "out of order", .chain = CHAIN_REVERSED },
	{ .name = "intermediate expired", .expect = VERIFY_CHAIN,
	  .why = "certificate has expired (at chain depth 1)",
	  .chain = CHAIN_EXPIRED },
	{ .name = "intermediate missing", .expect = VERIFY_CHAIN,
	  .why = "unable to get local issuer certificate",
	  .chain = CHAIN_MISSING },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* A small PKI, made afresh in each test's process. */
static time_t now;
static EVP_PKEY *root_key, *inter_key, *foreign_key, *leaf_key, *other_key;
static X509 *root, *inter, *old_inter, *foreign;

static void
pki_setup(void)
{
	now = time(NULL);
	root_key = testkeys_load(TESTKEYS_EC_P256, 1);
	inter_key = testkeys_load(TESTKEYS_EC_P384, 1);
	foreign_key = testkeys_load(TESTKEYS_EC_P256, 2);
	leaf_key = testkeys_load(TESTKEYS_EC_P256, 3);
	other_key = testkeys_load(TESTKEYS_EC_P256, 4);
	root = testkeys_root(root_key, "Test Root", now);
	inter = testkeys_intermediate(inter_key, "Test Issuing CA", root,
				      root_key, now);
	/* The issuing CA's previous certificate: same name and key. */
	old_inter = testkeys_intermediate(inter_key, "Test Issuing CA", root,
					  root_key, now - 400L * DAY);
	/* Same name as the real root: only the key tells them apart. */
	foreign = testkeys_root(foreign_key, "Test Root", now);
}

static void
pki_teardown(void)
{
	X509_free(foreign);
	X509_free(old_inter);
	X509_free(inter);
	X509_free(root);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(foreign_key);
	EVP_PKEY_free(inter_key);
	EVP_PKEY_free(root_key);
}

/* A case's field, its default, or NULL when the case leaves it out. */
static const char *
field(const char *value, const char *good)
{
	if (value == NULL)
		return good;
	return value[0] == '\0' ? NULL : value;
}

static X509 *
issue_leaf(const struct verify_case *c)
{
	struct testkeys_cert what = {
		.subject = c->subject != NULL ? c->subject : ROLE_SUBJECT,
		.basic_constraints = field(c->bc, "critical,CA:FALSE"),
		.key_usage = field(c->ku, "critical,digitalSignature"),
		.eku = field(c->eku, ROLE_EKU),
		.san = field(c->san, ROLE_SAN),
		.not_before = now + (c->not_before != 0 ? c->not_before : -3600),
		.not_after = now + (c->not_after != 0 ? c->not_after : 90L * DAY),
	};

	return testkeys_issue(c->wrong_key ? other_key : leaf_key, &what,
			      inter, inter_key);
}

/* What the CA sends back for case C; caller frees. */
static unsigned char *
make_answer(const struct verify_case *c, X509 *leaf, size_t *len)
{
	static const char bad_pem[] = "-----BEGIN CERTIFICATE-----\n"
	    "MIIB!!!!not base64 at all!!!!\n-----END CERTIFICATE-----\n";
	unsigned char *der = NULL, *out;
	char *pem = NULL;
	int n;

	switch (c->answer) {
	case ANSWER_DER:
	case ANSWER_DER_TRAILING:
		n = i2d_X509(leaf, &der);
		ck_assert_int_gt(n, 0);
		out = malloc((size_t)n + 1);
		ck_assert_ptr_nonnull(out);
		memcpy(out, der, (size_t)n);
		out[n] = '\n';
		*len = (size_t)n + (c->answer == ANSWER_DER_TRAILING);
		OPENSSL_free(der);
		return out;
	case ANSWER_GARBAGE:
		pem = strdup("<html><body>Internal Server Error</body></html>\n");
		break;
	case ANSWER_EMPTY:
		pem = strdup("");
		break;
	case ANSWER_BLANK:
		pem = strdup(" \r\n\t\n");
		break;
	case ANSWER_BAD_BASE64:
		pem = strdup(bad_pem);
		break;
	case ANSWER_LEADING_TEXT:
		pem = strdup("subject=/CN=www.example.org\nissuer=Test Issuing CA\n");
		testkeys_append_pem(&pem, leaf);
		pem = realloc(pem, strlen(pem) + 64);
		ck_assert_ptr_nonnull(pem);
		strcat(pem, "\nchain follows:\n");
		testkeys_append_pem(&pem, inter);
		break;
	case ANSWER_PEM:
		testkeys_append_pem(&pem, leaf);
		switch (c->chain) {
		case CHAIN_INTERMEDIATE:
		case CHAIN_FOREIGN_TRUST:
			testkeys_append_pem(&pem, inter);
			break;
		case CHAIN_FULL:
			testkeys_append_pem(&pem, inter);
			testkeys_append_pem(&pem, root);
			break;
		case CHAIN_EXPIRED:
			testkeys_append_pem(&pem, old_inter);
			break;
		case CHAIN_REVERSED:
			testkeys_append_pem(&pem, root);
			testkeys_append_pem(&pem, inter);
			break;
		case CHAIN_NO_TRUST:
		case CHAIN_MISSING:
			break;
		}
		break;
	}
	ck_assert_ptr_nonnull(pem);
	*len = strlen(pem);
	return (unsigned char *)pem;
}

static X509_STORE *
make_trust(enum chain_mode mode)
{
	X509_STORE *store;

	if (mode == CHAIN_NO_TRUST)
		return NULL;
	store = X509_STORE_new();
	ck_assert_ptr_nonnull(store);
	ck_assert_int_eq(X509_STORE_add_cert(store,
	    mode == CHAIN_FOREIGN_TRUST ? foreign : root), 1);
	return store;
}

START_TEST(test_case)
{
	const struct verify_case *c = &cases[_i];
	struct csr_spec spec;
	struct verify_policy policy;
	STACK_OF(X509) *chain = NULL;
	enum verify_check failed = VERIFY_PARSE;
	X509 *leaf, *cert = NULL;
	unsigned char *answer;
	char expected[128];
	size_t len = 0;
	int got, rc;

	leaf = issue_leaf(c);
	answer = make_answer(c, leaf, &len);
	testkeys_spec(&spec, ROLE_SUBJECT, c->role_ku != 0 ? c->role_ku : ROLE_KU,
		      c->role_eku != NULL ? c->role_eku : ROLE_EKU,
		      field(c->role_san, ROLE_SAN));
	memset(&policy, 0, sizeof(policy));
	policy.spec = &spec;
	policy.key = leaf_key;
	policy.max_lifetime_days = c->max_days == NO_MAX ? 0 :
	    c->max_days != 0 ? c->max_days : ROLE_MAX_DAYS;
	policy.allow_subject_change = c->allow_subject_change;
	policy.trust = make_trust(c->chain);
	policy.now = now;

	err_clear();
	rc = verify_parse_answer(answer, len, &cert, &chain);
	if (rc < 0) {
		ck_assert_ptr_null(cert);
		ck_assert_ptr_null(chain);
		got = VERIFY_PARSE;
	} else {
		ck_assert_int_eq(X509_cmp(cert, leaf), 0);
		rc = verify_issued(cert, chain, &policy, &failed);
		got = rc < 0 ? (int)failed : PASS;
	}
	ck_assert_msg(got == c->expect, "%s: expected %s, got %s (%s)", c->name,
		      c->expect == PASS ? "pass" : verify_check_name(c->expect),
		      got == PASS ? "pass" : verify_check_name(got), err_message());
	if (c->expect == PASS) {
		ck_assert_int_eq(err_kind(), ERR_NONE);
	} else {
		ck_assert_int_eq(err_kind(), ERR_FAILED);
		snprintf(expected, sizeof(expected), "certificate check %s failed: ",
			 verify_check_name(c->expect));
		ck_assert_msg(strncmp(err_message(), expected, strlen(expected)) == 0,
			      "%s: message \"%s\" does not start with \"%s\"",
			      c->name, err_message(), expected);
		ck_assert_msg(strstr(err_message(), c->why) != NULL,
			      "%s: message \"%s\" lacks \"%s\"", c->name,
			      err_message(), c->why);
	}
	/* Nothing left behind for the next OpenSSL caller to misread. */
	ck_assert_int_eq(ERR_peek_error(), 0);

	X509_STORE_free(policy.trust);
	csr_spec_clear(&spec);
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
	X509_free(leaf);
	free(answer);
}
END_TEST

/* The chain of an answer comes back in the order the CA sent it. */
START_TEST(test_parse_keeps_chain_order)
{
	static const struct verify_case full = { .chain = CHAIN_FULL };
	STACK_OF(X509) *chain = NULL;
	X509 *leaf, *cert = NULL;
	unsigned char *answer;
	size_t len = 0;

	leaf = issue_leaf(&full);
	answer = make_answer(&full, leaf, &len);
	ck_assert_int_eq(verify_parse_answer(answer, len, &cert, &chain), 0);
	ck_assert_int_eq(X509_cmp(cert, leaf), 0);
	ck_assert_int_eq(sk_X509_num(chain), 2);
	ck_assert_int_eq(X509_cmp(sk_X509_value(chain, 0), inter), 0);
	ck_assert_int_eq(X509_cmp(sk_X509_value(chain, 1), root), 0);
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
	X509_free(leaf);
	free(answer);
}
END_TEST

START_TEST(test_no_certificate)
{
	struct csr_spec spec;
	struct verify_policy policy = { .spec = &spec, .now = now };
	enum verify_check failed = VERIFY_CHAIN;

	testkeys_spec(&spec, ROLE_SUBJECT, ROLE_KU, ROLE_EKU, NULL);
	err_clear();
	ck_assert_int_eq(verify_issued(NULL, NULL, &policy, &failed), -1);
	ck_assert_int_eq(failed, VERIFY_PARSE);
	ck_assert_str_eq(err_message(),
			 "certificate check parse failed: there is no certificate");
	/* FAILED may be NULL. */
	ck_assert_int_eq(verify_issued(NULL, NULL, &policy, NULL), -1);
	csr_spec_clear(&spec);
}
END_TEST

static const char *const check_names[] = {
	[VERIFY_PARSE] = "parse",
	[VERIFY_PUBLIC_KEY] = "public-key",
	[VERIFY_NOT_CA] = "not-ca",
	[VERIFY_EKU] = "eku",
	[VERIFY_KEY_USAGE] = "key-usage",
	[VERIFY_SUBJECT] = "subject",
	[VERIFY_SAN] = "san",
	[VERIFY_VALIDITY] = "validity",
	[VERIFY_LIFETIME] = "lifetime",
	[VERIFY_CHAIN] = "chain",
};

START_TEST(test_check_names)
{
	ck_assert_str_eq(verify_check_name((enum verify_check)_i), check_names[_i]);
}
END_TEST

START_TEST(test_check_name_out_of_range)
{
	ck_assert_str_eq(verify_check_name((enum verify_check)99), "unknown");
}
END_TEST

/* Write TEXT to a fresh temporary file; caller unlinks and frees. */
static char *
temp_file(const char *text)
{
	char *path = strdup("/tmp/check_verify.XXXXXX");
	FILE *f;
	int fd;

	ck_assert_ptr_nonnull(path);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

START_TEST(test_load_trust)
{
	static const struct verify_case good = { .chain = CHAIN_INTERMEDIATE };
	struct csr_spec spec;
	struct verify_policy policy;
	STACK_OF(X509) *chain;
	X509_STORE *store = (X509_STORE *)&now;
	X509 *leaf;
	char *pem, *path;

	pem = strdup("# trusted roots\n");
	ck_assert_ptr_nonnull(pem);
	testkeys_append_pem(&pem, foreign);
	testkeys_append_pem(&pem, root);
	path = temp_file(pem);
	err_clear();
	ck_assert_msg(verify_load_trust(path, &store) == 0, "%s", err_message());
	ck_assert_ptr_nonnull(store);

	leaf = issue_leaf(&good);
	chain = sk_X509_new_null();
	ck_assert_ptr_nonnull(chain);
	ck_assert_int_gt(sk_X509_push(chain, inter), 0);
	testkeys_spec(&spec, ROLE_SUBJECT, ROLE_KU, ROLE_EKU, ROLE_SAN);
	memset(&policy, 0, sizeof(policy));
	policy.spec = &spec;
	policy.key = leaf_key;
	policy.trust = store;
	policy.now = now;
	ck_assert_msg(verify_issued(leaf, chain, &policy, NULL) == 0, "%s",
		      err_message());

	csr_spec_clear(&spec);
	sk_X509_free(chain);
	X509_free(leaf);
	X509_STORE_free(store);
	unlink(path);
	free(path);
	free(pem);
}
END_TEST

START_TEST(test_load_trust_without_certificates)
{
	X509_STORE *store = (X509_STORE *)&now;
	char *path;

	path = temp_file("nothing to trust here\n");
	err_clear();
	ck_assert_int_eq(verify_load_trust(path, &store), -1);
	ck_assert_ptr_null(store);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err_message(), path));
	ck_assert_ptr_nonnull(strstr(err_message(), "no PEM certificate"));
	unlink(path);
	free(path);
}
END_TEST

START_TEST(test_load_trust_missing_file)
{
	static const char path[] = "/nonexistent/p11enroll/trust.pem";
	X509_STORE *store = (X509_STORE *)&now;

	err_clear();
	ck_assert_int_eq(verify_load_trust(path, &store), -1);
	ck_assert_ptr_null(store);
	ck_assert_ptr_nonnull(strstr(err_message(), path));
}
END_TEST

static Suite *
verify_suite(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = tcase_create("verify");

	tcase_add_checked_fixture(tc, pki_setup, pki_teardown);
	tcase_add_loop_test(tc, test_case, 0, NCASES);
	tcase_add_test(tc, test_parse_keeps_chain_order);
	tcase_add_test(tc, test_no_certificate);
	tcase_add_loop_test(tc, test_check_names, 0,
	    sizeof(check_names) / sizeof(check_names[0]));
	tcase_add_test(tc, test_check_name_out_of_range);
	tcase_add_test(tc, test_load_trust);
	tcase_add_test(tc, test_load_trust_without_certificates);
	tcase_add_test(tc, test_load_trust_missing_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(verify_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
