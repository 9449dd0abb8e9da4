/* SPDX-License-Identifier: MIT */
/* testkeys.c - in-memory keys, a software signer and test certificates. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "testkeys.h"

#define TESTKEYS_DAY (24 * 60 * 60)

/* The fixture files of each algorithm: their name's stem, how many there
 * are, and what a loaded key must be. */
static const struct {
	enum testkeys_alg alg;
	const char *stem;
	int count;
	const char *type;
	int bits;
} testkeys_files[] = {
	{ TESTKEYS_EC_P256, "ec-p256", TESTKEYS_COUNT_EC_P256, "EC", 256 },
	{ TESTKEYS_EC_P384, "ec-p384", TESTKEYS_COUNT_EC_P384, "EC", 384 },
	{ TESTKEYS_RSA_2048, "rsa-2048", TESTKEYS_COUNT_RSA_2048, "RSA", 2048 },
};

EVP_PKEY *
testkeys_load(enum testkeys_alg alg, int n)
{
	const char *top = getenv("top_srcdir");
	char path[512];
	EVP_PKEY *key;
	size_t i;
	BIO *bio;

	for (i = 0; i < sizeof(testkeys_files) / sizeof(testkeys_files[0]); i++)
		if (testkeys_files[i].alg == alg)
			break;
	ck_assert_msg(i < sizeof(testkeys_files) / sizeof(testkeys_files[0]),
		      "no fixture keys for algorithm %d", (int)alg);
	ck_assert_msg(n >= 1 && n <= testkeys_files[i].count,
		      "no fixture key %s-%d", testkeys_files[i].stem, n);
	snprintf(path, sizeof(path), "%s/tests/fixtures/keys/%s-%d.pem",
		 top != NULL && *top != '\0' ? top : ".", testkeys_files[i].stem, n);
	bio = BIO_new_file(path, "r");
	ck_assert_msg(bio != NULL, "cannot open %s", path);
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ck_assert_msg(key != NULL, "%s holds no private key", path);
	ck_assert_msg(EVP_PKEY_is_a(key, testkeys_files[i].type) &&
		      EVP_PKEY_get_bits(key) == testkeys_files[i].bits,
		      "%s is not a %s key", path, testkeys_files[i].stem);
	return key;
}

/* The csr_signer callback: CTX is the EVP_PKEY. With the signature digest
 * set, EVP_PKEY_sign wraps an RSA digest in its DigestInfo and pads it,
 * and returns ECDSA signatures DER-encoded: what a token gives back. */
static int
testkeys_sign(void *ctx, const struct csr_tbs *tbs, unsigned char **sig,
	      size_t *siglen)
{
	EVP_PKEY *key = ctx;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc = -1;

	*sig = NULL;
	*siglen = 0;
	if ((pctx = EVP_PKEY_CTX_new(key, NULL)) == NULL ||
	    EVP_PKEY_sign_init(pctx) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(pctx, tbs->md) <= 0 ||
	    (EVP_PKEY_is_a(key, "RSA") &&
	     EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) ||
	    EVP_PKEY_sign(pctx, NULL, &len, tbs->digest, tbs->dlen) <= 0 ||
	    (buf = OPENSSL_malloc(len)) == NULL ||
	    EVP_PKEY_sign(pctx, buf, &len, tbs->digest, tbs->dlen) <= 0) {
		ERR_clear_error();
		err_set(ERR_FAILED, "software signature failed");
		goto out;
	}
	*sig = buf;
	*siglen = len;
	buf = NULL;
	rc = 0;
out:
	OPENSSL_free(buf);
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

struct csr_signer
testkeys_signer(EVP_PKEY *key)
{
	struct csr_signer signer = { testkeys_sign, key };

	return signer;
}

X509_NAME *
testkeys_name(const char *oneline)
{
	X509_NAME *name;
	char *copy, *field, *value, *save = NULL;

	name = X509_NAME_new();
	copy = strdup(oneline);
	ck_assert_ptr_nonnull(name);
	ck_assert_ptr_nonnull(copy);
	for (field = strtok_r(copy, "/", &save); field != NULL;
	     field = strtok_r(NULL, "/", &save)) {
		value = strchr(field, '=');
		ck_assert_msg(value != NULL, "bad name field %s", field);
		*value++ = '\0';
		ck_assert_msg(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
		    (const unsigned char *)value, -1, -1, 0) == 1,
		    "cannot add %s to a name", field);
	}
	free(copy);
	return name;
}

/* Decode an extension written in openssl's config syntax. */
static void *
testkeys_conf_d2i(int nid, const char *conf)
{
	X509_EXTENSION *ext;
	void *value;

	ext = X509V3_EXT_conf_nid(NULL, NULL, nid, conf);
	ck_assert_msg(ext != NULL, "bad %s: %s", OBJ_nid2sn(nid), conf);
	value = X509V3_EXT_d2i(ext);
	ck_assert_ptr_nonnull(value);
	X509_EXTENSION_free(ext);
	return value;
}

GENERAL_NAMES *
testkeys_sans(const char *conf)
{
	return testkeys_conf_d2i(NID_subject_alt_name, conf);
}

void
testkeys_spec(struct csr_spec *spec, const char *subject, unsigned key_usage,
	      const char *eku, const char *san)
{
	memset(spec, 0, sizeof(*spec));
	spec->subject = testkeys_name(subject);
	spec->key_usage = key_usage;
	spec->eku = testkeys_conf_d2i(NID_ext_key_usage, eku);
	if (san != NULL)
		spec->san = testkeys_sans(san);
}

/* Add an extension in config syntax; VALUE NULL adds nothing. */
static void
testkeys_add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext;

	if (value == NULL)
		return;
	ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	ck_assert_msg(ext != NULL, "bad %s: %s", OBJ_nid2sn(nid), value);
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

X509 *
testkeys_issue(EVP_PKEY *pub, const struct testkeys_cert *what, X509 *issuer,
	       EVP_PKEY *issuer_key)
{
	static long serial = 0x1000;
	X509V3_CTX ctx;
	X509_NAME *name;
	X509 *x;

	x = X509_new();
	ck_assert_ptr_nonnull(x);
	name = testkeys_name(what->subject);
	ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), ++serial), 1);
	ck_assert_int_eq(X509_set_subject_name(x, name), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : name), 1);
	ck_assert_int_eq(X509_set_pubkey(x, pub), 1);
	ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notBefore(x), what->not_before));
	ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notAfter(x), what->not_after));
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	testkeys_add_ext(x, &ctx, NID_basic_constraints, what->basic_constraints);
	testkeys_add_ext(x, &ctx, NID_key_usage, what->key_usage);
	testkeys_add_ext(x, &ctx, NID_ext_key_usage, what->eku);
	testkeys_add_ext(x, &ctx, NID_subject_alt_name, what->san);
	testkeys_add_ext(x, &ctx, NID_subject_key_identifier, "hash");
	if (issuer != NULL)
		testkeys_add_ext(x, &ctx, NID_authority_key_identifier,
				 "keyid:always");
	ck_assert_int_gt(X509_sign(x, issuer_key, EVP_sha256()), 0);
	X509_NAME_free(name);
	return x;
}

X509 *
testkeys_root(EVP_PKEY *key, const char *cn, time_t now)
{
	char subject[256];
	struct testkeys_cert what = {
		.subject = subject,
		.basic_constraints = "critical,CA:TRUE",
		.key_usage = "critical,keyCertSign,cRLSign",
		.not_before = now - 30 * TESTKEYS_DAY,
		.not_after = now + 365 * TESTKEYS_DAY,
	};

	snprintf(subject, sizeof(subject), "/O=p11enroll tests/CN=%s", cn);
	return testkeys_issue(key, &what, NULL, key);
}

X509 *
testkeys_intermediate(EVP_PKEY *key, const char *cn, X509 *issuer,
		      EVP_PKEY *issuer_key, time_t now)
{
	char subject[256];
	struct testkeys_cert what = {
		.subject = subject,
		.basic_constraints = "critical,CA:TRUE,pathlen:0",
		.key_usage = "critical,keyCertSign,cRLSign",
		.not_before = now - 30 * TESTKEYS_DAY,
		.not_after = now + 365 * TESTKEYS_DAY,
	};

	snprintf(subject, sizeof(subject), "/O=p11enroll tests/CN=%s", cn);
	return testkeys_issue(key, &what, issuer, issuer_key);
}

void
testkeys_append_pem(char **buf, X509 *cert)
{
	size_t have = *buf != NULL ? strlen(*buf) : 0;
	char *data, *grown;
	long len;
	BIO *bio;

	bio = BIO_new(BIO_s_mem());
	ck_assert_ptr_nonnull(bio);
	ck_assert_int_eq(PEM_write_bio_X509(bio, cert), 1);
	len = BIO_get_mem_data(bio, &data);
	ck_assert_int_gt(len, 0);
	grown = realloc(*buf, have + (size_t)len + 1);
	ck_assert_ptr_nonnull(grown);
	memcpy(grown + have, data, (size_t)len);
	grown[have + (size_t)len] = '\0';
	*buf = grown;
	BIO_free(bio);
}
