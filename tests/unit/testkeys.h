/* SPDX-License-Identifier: MIT */
/* testkeys.h - fixture keys, a software request signer, request specs
 * and certificates issued with OpenSSL, for tests that need no token.
 * Every helper fails the running Check test on error instead of returning
 * one. */
#ifndef P11E_TESTKEYS_H
#define P11E_TESTKEYS_H

#include <stdbool.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "csr.h"

enum testkeys_alg {
	TESTKEYS_EC_P256,
	TESTKEYS_EC_P384,
	TESTKEYS_RSA_2048,
};

/* Key pair N (from 1) of ALG: tests/fixtures/keys/ALG-N.pem under
 * $top_srcdir (else "."), made once with openssl genpkey and kept, since
 * generating RSA keys dominated the unit tests' time. Two calls with the
 * same ALG and N give the same key, different N different keys; there
 * are TESTKEYS_COUNT_* of each. Free with EVP_PKEY_free(). */
EVP_PKEY *testkeys_load(enum testkeys_alg alg, int n);

#define TESTKEYS_COUNT_EC_P256 4
#define TESTKEYS_COUNT_EC_P384 2
#define TESTKEYS_COUNT_RSA_2048 3

/* A signer that signs with KEY (borrowed) the way a token does: DER
 * ECDSA-Sig-Value for EC, a PKCS#1 v1.5 signature over the DigestInfo
 * for RSA. */
struct csr_signer testkeys_signer(EVP_PKEY *key);

/* A name from "/O=Example/CN=host" (openssl's one-line form). */
X509_NAME *testkeys_name(const char *oneline);

/* General names from openssl's config syntax ("DNS:a,IP:192.0.2.1"). */
GENERAL_NAMES *testkeys_sans(const char *conf);

/* Fill SPEC: SUBJECT in one-line form, KU_* bits, EKU names in config
 * syntax ("serverAuth,clientAuth"), SANs in config syntax or NULL. */
void testkeys_spec(struct csr_spec *spec, const char *subject,
		   unsigned key_usage, const char *eku, const char *san);

/* What a test certificate holds. Extension values are in openssl's config
 * syntax ("critical,digitalSignature"); NULL leaves the extension out. */
struct testkeys_cert {
	const char *subject;            /* one-line form */
	const char *basic_constraints;
	const char *key_usage;
	const char *eku;
	const char *san;
	time_t not_before;
	time_t not_after;
};

/* Issue a certificate for PUB as described by WHAT, signed by ISSUER_KEY
 * and naming ISSUER; ISSUER NULL makes it self-signed (PUB must then be
 * ISSUER_KEY). Every certificate gets a subject key identifier, and an
 * authority key identifier when it has an issuer. */
X509 *testkeys_issue(EVP_PKEY *pub, const struct testkeys_cert *what,
		     X509 *issuer, EVP_PKEY *issuer_key);

/* A self-signed root CA named CN, valid a year around NOW. */
X509 *testkeys_root(EVP_PKEY *key, const char *cn, time_t now);

/* An intermediate CA named CN for KEY, issued by ISSUER, valid a year
 * around NOW. */
X509 *testkeys_intermediate(EVP_PKEY *key, const char *cn, X509 *issuer,
			    EVP_PKEY *issuer_key, time_t now);

/* PEM text of CERT appended to the NUL-terminated *BUF (grown with
 * realloc). */
void testkeys_append_pem(char **buf, X509 *cert);

#endif
