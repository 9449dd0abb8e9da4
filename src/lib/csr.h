/* SPDX-License-Identifier: MIT */
/* csr.h - PKCS#10 requests: what a role asks for, built and signed. */
#ifndef P11E_CSR_H
#define P11E_CSR_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* What one role asks the CA for; also what the returned certificate is
 * checked against. */
struct csr_spec {
	X509_NAME *subject;             /* owned */
	GENERAL_NAMES *san;             /* owned; NULL when the role has none */
	unsigned key_usage;             /* KU_* bits from openssl/x509v3.h */
	STACK_OF(ASN1_OBJECT) *eku;     /* owned; never empty for a role */
	const char *challenge;          /* borrowed; PKCS#9 challengePassword
					 * (SCEP) or NULL; not freed */
};

/* Free what SPEC owns and zero it; NULL is fine. */
void csr_spec_clear(struct csr_spec *spec);

/* What a signer is given: the request's to-be-signed bytes, and their
 * digest made with MD, so that it may sign either (a token may hash and
 * sign in one mechanism, or sign a digest). */
struct csr_tbs {
	const EVP_MD *md;
	const unsigned char *data;
	size_t len;
	const unsigned char *digest;
	size_t dlen;
};

/* Signs with a key that OpenSSL cannot hold (on the token). Returns the
 * signature as it goes into the request: DER ECDSA-Sig-Value for EC keys,
 * the raw PKCS#1 v1.5 signature for RSA. */
struct csr_signer {
	int (*sign)(void *ctx, const struct csr_tbs *tbs, unsigned char **sig,
		    size_t *siglen);
	void *ctx;
};

/* The digest a request signed by PUB uses: SHA-384 for P-384, else SHA-256. */
const EVP_MD *csr_digest_for(EVP_PKEY *pub);

/* Build a request for SPEC with public key PUB (subject, extension request
 * with keyUsage (critical), extendedKeyUsage and subjectAltName, and the
 * challengePassword attribute when SPEC has one), sign it through SIGNER
 * and check the signature against PUB. */
int csr_build(const struct csr_spec *spec, EVP_PKEY *pub,
	      const struct csr_signer *signer, X509_REQ **out);

/* PEM text of REQ, NUL-terminated; caller frees. */
int csr_to_pem(X509_REQ *req, char **out);

/* Parse a PEM or DER request. */
int csr_from_bytes(const unsigned char *data, size_t len, X509_REQ **out);

#endif
