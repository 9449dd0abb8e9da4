/* SPDX-License-Identifier: MIT */
/* check_csr.c - building, signing and parsing PKCS#10 requests. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "csr.h"
#include "err.h"
#include "testkeys.h"

/* One role's request, and what the parsed request must then hold. */
static const struct csr_case {
	const char *role;
	enum testkeys_alg alg;
	const char *subject;
	unsigned key_usage;
	const char *eku;
	const char *san;
	int sig_nid;
} csr_cases[] = {
	{ "tls-server", TESTKEYS_EC_P256, "/O=Example/CN=www.example.org",
	  KU_DIGITAL_SIGNATURE, "serverAuth",
	  "DNS:www.example.org,DNS:example.org,IP:192.0.2.10",
	  NID_ecdsa_with_SHA256 },
	{ "user-sign", TESTKEYS_EC_P384, "/O=Example/CN=Alice Example",
	  KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION, "emailProtection",
	  "email:alice@example.org", NID_ecdsa_with_SHA384 },
	{ "user-auth", TESTKEYS_EC_P256, "/O=Example/OU=Staff/CN=alice",
	  KU_DIGITAL_SIGNATURE, "clientAuth,msSmartcardLogin",
	  "otherName:msUPN;UTF8:alice@example.org", NID_ecdsa_with_SHA256 },
	{ "user-encrypt", TESTKEYS_RSA_2048, "/O=Example/CN=Alice Example",
	  KU_KEY_ENCIPHERMENT, "emailProtection", "email:alice@example.org",
	  NID_sha256WithRSAEncryption },
	{ "tls-client", TESTKEYS_RSA_2048, "/CN=client.example.org",
	  KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT, "clientAuth", NULL,
	  NID_sha256WithRSAEncryption },
	{ "code-signing without keyUsage", TESTKEYS_EC_P384,
	  "/O=Example/CN=Release signing", 0, "codeSigning", NULL,
	  NID_ecdsa_with_SHA384 },
	{ "decipherOnly in the second octet", TESTKEYS_EC_P256, "/CN=ka",
	  KU_KEY_AGREEMENT | KU_DECIPHER_ONLY, "emailProtection", NULL,
	  NID_ecdsa_with_SHA256 },
};

/* Out-parameters start pointing here to show they are cleared. */
static char sentinel;

#define NCASES (sizeof(csr_cases) / sizeof(csr_cases[0]))

/* The KU_* bits of a keyUsage BIT STRING, read the way X509 does. */
static unsigned
ku_bits(const ASN1_BIT_STRING *bs)
{
	unsigned bits = 0;

	if (bs->length > 0)
		bits = bs->data[0];
	if (bs->length > 1)
		bits |= (unsigned)bs->data[1] << 8;
	return bits;
}

static void
check_key_usage(STACK_OF(X509_EXTENSION) *exts, const struct csr_case *c)
{
	ASN1_BIT_STRING *ku;
	int crit = 0;

	ku = X509V3_get_d2i(exts, NID_key_usage, &crit, NULL);
	if (c->key_usage == 0) {
		ck_assert_ptr_null(ku);
		ck_assert_int_eq(crit, -1);
		return;
	}
	ck_assert_ptr_nonnull(ku);
	ck_assert_int_eq(crit, 1);
	ck_assert_uint_eq(ku_bits(ku), c->key_usage);
	ASN1_BIT_STRING_free(ku);
}

static void
check_eku(STACK_OF(X509_EXTENSION) *exts, const struct csr_spec *spec)
{
	EXTENDED_KEY_USAGE *eku;
	int crit = 0, i;

	eku = X509V3_get_d2i(exts, NID_ext_key_usage, &crit, NULL);
	ck_assert_ptr_nonnull(eku);
	ck_assert_int_eq(crit, 0);
	ck_assert_int_eq(sk_ASN1_OBJECT_num(eku), sk_ASN1_OBJECT_num(spec->eku));
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
		ck_assert_int_eq(OBJ_cmp(sk_ASN1_OBJECT_value(eku, i),
		    sk_ASN1_OBJECT_value(spec->eku, i)), 0);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
}

static void
check_san(STACK_OF(X509_EXTENSION) *exts, const struct csr_spec *spec)
{
	GENERAL_NAMES *san;
	int crit = 0, i;

	san = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	if (spec->san == NULL) {
		ck_assert_ptr_null(san);
		ck_assert_int_eq(crit, -1);
		return;
	}
	ck_assert_ptr_nonnull(san);
	ck_assert_int_eq(crit, 0);
	ck_assert_int_eq(sk_GENERAL_NAME_num(san), sk_GENERAL_NAME_num(spec->san));
	for (i = 0; i < sk_GENERAL_NAME_num(san); i++)
		ck_assert_int_eq(GENERAL_NAME_cmp(sk_GENERAL_NAME_value(san, i),
		    sk_GENERAL_NAME_value(spec->san, i)), 0);
	GENERAL_NAMES_free(san);
}

static void
check_signature_algorithm(X509_REQ *req, const struct csr_case *c)
{
	const ASN1_BIT_STRING *sig = NULL;
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;
	const void *pval = NULL;
	int ptype = 0;

	ck_assert_int_eq(X509_REQ_get_signature_nid(req), c->sig_nid);
	X509_REQ_get0_signature(req, &sig, &alg);
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	/* RSA carries an explicit NULL parameter, ECDSA none at all. */
	ck_assert_int_eq(ptype, (c->alg == TESTKEYS_RSA_2048 ? V_ASN1_NULL : V_ASN1_UNDEF));
}

START_TEST(test_build_and_parse)
{
	const struct csr_case *c = &csr_cases[_i];
	struct csr_spec spec;
	struct csr_signer signer;
	STACK_OF(X509_EXTENSION) *exts;
	X509_REQ *req = NULL, *back = NULL, *der_back = NULL;
	EVP_PKEY *key;
	unsigned char *der = NULL;
	char *pem = NULL;
	int der_len;

	key = testkeys_load(c->alg, 1);
	signer = testkeys_signer(key);
	testkeys_spec(&spec, c->subject, c->key_usage, c->eku, c->san);
	err_clear();
	ck_assert_msg(csr_build(&spec, key, &signer, &req) == 0, "%s: %s",
		      c->role, err_message());
	ck_assert_int_eq(csr_to_pem(req, &pem), 0);
	ck_assert_ptr_nonnull(strstr(pem, "-----BEGIN CERTIFICATE REQUEST-----"));
	ck_assert_int_eq(csr_from_bytes((unsigned char *)pem, strlen(pem), &back), 0);

	ck_assert_int_eq(X509_REQ_get_version(back), X509_REQ_VERSION_1);
	ck_assert_int_eq(X509_NAME_cmp(X509_REQ_get_subject_name(back), spec.subject), 0);
	ck_assert_int_eq(EVP_PKEY_eq(X509_REQ_get0_pubkey(back), key), 1);
	exts = X509_REQ_get_extensions(back);
	ck_assert_ptr_nonnull(exts);
	ck_assert_int_eq(sk_X509_EXTENSION_num(exts),
	    1 + (c->key_usage != 0) + (c->san != NULL));
	check_key_usage(exts, c);
	check_eku(exts, &spec);
	check_san(exts, &spec);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	check_signature_algorithm(back, c);
	ck_assert_int_eq(X509_REQ_verify(back, key), 1);

	/* The same request read from DER. */
	der_len = i2d_X509_REQ(back, &der);
	ck_assert_int_gt(der_len, 0);
	ck_assert_int_eq(csr_from_bytes(der, (size_t)der_len, &der_back), 0);
	ck_assert_int_eq(X509_REQ_verify(der_back, key), 1);

	OPENSSL_free(der);
	X509_REQ_free(der_back);
	X509_REQ_free(back);
	X509_REQ_free(req);
	free(pem);
	csr_spec_clear(&spec);
	EVP_PKEY_free(key);
}
END_TEST

/* A signer holding another key of the same kind: the request must not be
 * handed out. */
START_TEST(test_wrong_key_fails)
{
	const struct csr_case *c = &csr_cases[_i];
	struct csr_spec spec;
	struct csr_signer signer;
	EVP_PKEY *key, *other;
	X509_REQ *req = (X509_REQ *)&sentinel;

	key = testkeys_load(c->alg, 1);
	other = testkeys_load(c->alg, 2);
	signer = testkeys_signer(other);
	testkeys_spec(&spec, c->subject, c->key_usage, c->eku, c->san);
	err_clear();
	ck_assert_int_eq(csr_build(&spec, key, &signer, &req), -1);
	ck_assert_ptr_null(req);
	ck_assert_int_eq(err_kind(), ERR_FAILED);
	ck_assert_str_eq(err_message(),
			 "request signature does not verify against the public key");
	csr_spec_clear(&spec);
	EVP_PKEY_free(other);
	EVP_PKEY_free(key);
}
END_TEST

static int
failing_sign(void *ctx, const struct csr_tbs *tbs, unsigned char **sig,
	     size_t *siglen)
{
	*sig = NULL;
	*siglen = 0;
	return err_set(ERR_FAILED, "C_Sign: CKR_DEVICE_REMOVED");
}

START_TEST(test_signer_error_passes_through)
{
	struct csr_signer signer = { failing_sign, NULL };
	struct csr_spec spec;
	EVP_PKEY *key;
	X509_REQ *req = NULL;

	key = testkeys_load(TESTKEYS_EC_P256, 1);
	testkeys_spec(&spec, "/CN=host", KU_DIGITAL_SIGNATURE, "serverAuth", NULL);
	err_clear();
	ck_assert_int_eq(csr_build(&spec, key, &signer, &req), -1);
	ck_assert_ptr_null(req);
	/* Unchanged: the caller says what was being signed. */
	ck_assert_str_eq(err_message(), "C_Sign: CKR_DEVICE_REMOVED");
	csr_spec_clear(&spec);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(test_no_eku_refused)
{
	struct csr_signer signer;
	struct csr_spec spec;
	EVP_PKEY *key;
	X509_REQ *req = NULL;

	key = testkeys_load(TESTKEYS_EC_P256, 1);
	signer = testkeys_signer(key);
	testkeys_spec(&spec, "/CN=host", KU_DIGITAL_SIGNATURE, "serverAuth", NULL);
	sk_ASN1_OBJECT_pop_free(spec.eku, ASN1_OBJECT_free);
	spec.eku = sk_ASN1_OBJECT_new_null();
	err_clear();
	ck_assert_int_eq(csr_build(&spec, key, &signer, &req), -1);
	ck_assert_ptr_null(req);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err_message(), "extended key usage"));
	csr_spec_clear(&spec);
	EVP_PKEY_free(key);
}
END_TEST

/* Records the last signature so the test can pick one that ends in 0x00. */
struct recording_signer {
	EVP_PKEY *key;
	unsigned char last;
};

static int
recording_sign(void *ctx, const struct csr_tbs *tbs, unsigned char **sig,
	       size_t *siglen)
{
	struct recording_signer *r = ctx;
	struct csr_signer inner = testkeys_signer(r->key);

	if (inner.sign(inner.ctx, tbs, sig, siglen) < 0)
		return -1;
	r->last = (*sig)[*siglen - 1];
	return 0;
}

/* A signature whose last octet is zero must survive encoding whole
 * (BIT STRING encoders like to trim trailing zero bits). */
START_TEST(test_signature_ending_in_zero)
{
	struct recording_signer rec = { NULL, 1 };
	struct csr_signer signer = { recording_sign, &rec };
	struct csr_spec spec;
	X509_REQ *req = NULL, *back = NULL;
	char cn[64], *pem = NULL;
	int tries;

	rec.key = testkeys_load(TESTKEYS_EC_P256, 1);
	for (tries = 0; tries < 20000; tries++) {
		snprintf(cn, sizeof(cn), "/CN=try %d", tries);
		testkeys_spec(&spec, cn, KU_DIGITAL_SIGNATURE, "serverAuth", NULL);
		ck_assert_msg(csr_build(&spec, rec.key, &signer, &req) == 0,
			      "%s", err_message());
		csr_spec_clear(&spec);
		if (rec.last == 0)
			break;
		X509_REQ_free(req);
		req = NULL;
	}
	ck_assert_msg(rec.last == 0, "no signature ended in a zero octet");
	ck_assert_int_eq(csr_to_pem(req, &pem), 0);
	ck_assert_int_eq(csr_from_bytes((unsigned char *)pem, strlen(pem), &back), 0);
	ck_assert_int_eq(X509_REQ_verify(back, rec.key), 1);
	free(pem);
	X509_REQ_free(back);
	X509_REQ_free(req);
	EVP_PKEY_free(rec.key);
}
END_TEST

static const struct digest_case {
	enum testkeys_alg alg;
	int md_nid;
} digest_cases[] = {
	{ TESTKEYS_EC_P256, NID_sha256 },
	{ TESTKEYS_EC_P384, NID_sha384 },
	{ TESTKEYS_RSA_2048, NID_sha256 },
};

START_TEST(test_digest_for)
{
	EVP_PKEY *key = testkeys_load(digest_cases[_i].alg, 1);

	ck_assert_int_eq(EVP_MD_get_type(csr_digest_for(key)), digest_cases[_i].md_nid);
	EVP_PKEY_free(key);
}
END_TEST

static const struct bad_bytes {
	const char *what;
	const char *data;
} bad_bytes[] = {
	{ "empty", "" },
	{ "text", "this is not a request\n" },
	{ "a certificate, not a request",
	  "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n" },
	{ "truncated DER", "\x30\x82\x01\x00\x30" },
};

START_TEST(test_from_bytes_rejects)
{
	const struct bad_bytes *b = &bad_bytes[_i];
	X509_REQ *req = (X509_REQ *)&sentinel;

	err_clear();
	ck_assert_msg(csr_from_bytes((const unsigned char *)b->data,
				     strlen(b->data), &req) == -1,
		      "%s was accepted", b->what);
	ck_assert_ptr_null(req);
	ck_assert_int_eq(err_kind(), ERR_FAILED);
	ck_assert_ptr_nonnull(strstr(err_message(), "request"));
	ck_assert_int_eq(ERR_peek_error(), 0);
}
END_TEST

START_TEST(test_der_trailing_bytes_rejected)
{
	struct csr_signer signer;
	struct csr_spec spec;
	EVP_PKEY *key;
	X509_REQ *req = NULL, *back = NULL;
	unsigned char *der = NULL, *padded;
	int len;

	key = testkeys_load(TESTKEYS_EC_P256, 1);
	signer = testkeys_signer(key);
	testkeys_spec(&spec, "/CN=host", KU_DIGITAL_SIGNATURE, "serverAuth", NULL);
	ck_assert_int_eq(csr_build(&spec, key, &signer, &req), 0);
	len = i2d_X509_REQ(req, &der);
	ck_assert_int_gt(len, 0);
	padded = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(padded);
	memcpy(padded, der, (size_t)len);
	padded[len] = 0;
	ck_assert_int_eq(csr_from_bytes(padded, (size_t)len + 1, &back), -1);
	ck_assert_ptr_null(back);
	ck_assert_ptr_nonnull(strstr(err_message(), "trailing"));
	free(padded);
	OPENSSL_free(der);
	X509_REQ_free(req);
	csr_spec_clear(&spec);
	EVP_PKEY_free(key);
}
END_TEST

/* A SCEP challenge goes into the request as PKCS#9 challengePassword,
 * covered by the signature; the spec only borrows it. */
static const char *const challenge_cases[] = {
	"s3cret-Enrol", "pässwort ünïcode",
};

START_TEST(test_challenge_password)
{
	const char *challenge = challenge_cases[_i];
	struct csr_spec spec;
	struct csr_signer signer;
	X509_REQ *req = NULL, *back = NULL, *plain = NULL;
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *value;
	EVP_PKEY *key;
	char *pem = NULL;
	int loc;

	key = testkeys_load(TESTKEYS_RSA_2048, 1);
	signer = testkeys_signer(key);
	testkeys_spec(&spec, "/CN=host.example.org", KU_DIGITAL_SIGNATURE,
		      "serverAuth", "DNS:host.example.org");
	spec.challenge = challenge;
	err_clear();
	ck_assert_msg(csr_build(&spec, key, &signer, &req) == 0, "%s",
		      err_message());
	ck_assert_int_eq(csr_to_pem(req, &pem), 0);
	ck_assert_int_eq(csr_from_bytes((unsigned char *)pem, strlen(pem),
					&back), 0);
	ck_assert_int_eq(X509_REQ_verify(back, key), 1);
	ck_assert_int_eq(X509_REQ_get_attr_count(back), 2);
	loc = X509_REQ_get_attr_by_NID(back, NID_pkcs9_challengePassword, -1);
	ck_assert_int_ge(loc, 0);
	attr = X509_REQ_get_attr(back, loc);
	ck_assert_int_eq(X509_ATTRIBUTE_count(attr), 1);
	value = X509_ATTRIBUTE_get0_type(attr, 0);
	ck_assert_ptr_nonnull(value);
	ck_assert(value->type == V_ASN1_PRINTABLESTRING ||
		  value->type == V_ASN1_UTF8STRING);
	ck_assert_int_eq(ASN1_STRING_length(value->value.asn1_string),
			 (int)strlen(challenge));
	ck_assert_mem_eq(ASN1_STRING_get0_data(value->value.asn1_string),
			 challenge, strlen(challenge));
	/* The extension request is still there beside it. */
	ck_assert_int_ge(X509_REQ_get_attr_by_NID(back, NID_ext_req, -1), 0);

	/* Borrowed: clearing the spec leaves the caller's string alone. */
	csr_spec_clear(&spec);
	ck_assert_ptr_null(spec.challenge);
	ck_assert_str_eq(challenge, challenge_cases[_i]);

	/* Without one, no attribute but the extension request. */
	testkeys_spec(&spec, "/CN=host.example.org", KU_DIGITAL_SIGNATURE,
		      "serverAuth", NULL);
	ck_assert_int_eq(csr_build(&spec, key, &signer, &plain), 0);
	ck_assert_int_eq(X509_REQ_get_attr_by_NID(plain,
	    NID_pkcs9_challengePassword, -1), -1);
	ck_assert_int_eq(X509_REQ_get_attr_count(plain), 1);

	X509_REQ_free(plain);
	X509_REQ_free(back);
	X509_REQ_free(req);
	free(pem);
	csr_spec_clear(&spec);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(test_spec_clear)
{
	struct csr_spec spec;

	testkeys_spec(&spec, "/CN=host", KU_DIGITAL_SIGNATURE, "serverAuth",
		      "DNS:host");
	csr_spec_clear(&spec);
	ck_assert_ptr_null(spec.subject);
	ck_assert_ptr_null(spec.san);
	ck_assert_ptr_null(spec.eku);
	ck_assert_uint_eq(spec.key_usage, 0);
	csr_spec_clear(&spec);
	csr_spec_clear(NULL);
}
END_TEST

static Suite *
csr_suite(void)
{
	Suite *s = suite_create("csr");
	TCase *tc = tcase_create("csr");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_build_and_parse, 0, NCASES);
	tcase_add_loop_test(tc, test_wrong_key_fails, 0, NCASES);
	tcase_add_test(tc, test_signer_error_passes_through);
	tcase_add_test(tc, test_no_eku_refused);
	tcase_add_test(tc, test_signature_ending_in_zero);
	tcase_add_loop_test(tc, test_digest_for, 0,
	    sizeof(digest_cases) / sizeof(digest_cases[0]));
	tcase_add_loop_test(tc, test_from_bytes_rejects, 0,
	    sizeof(bad_bytes) / sizeof(bad_bytes[0]));
	tcase_add_test(tc, test_der_trailing_bytes_rejected);
	tcase_add_test(tc, test_spec_clear);
	tcase_add_loop_test(tc, test_challenge_password, 0,
	    sizeof(challenge_cases) / sizeof(challenge_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(csr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
