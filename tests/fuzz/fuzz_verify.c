/* SPDX-License-Identifier: MIT */
/* fuzz_verify.c - the checks on a certificate a CA returns. The input is
 * the CA's answer (PEM, or DER) and, after the separator "@@chain@@",
 * more certificates for the chain. The role is tls-server for
 * www.example.org, the key and the trusted root are fixed, and so is the
 * clock, so that the seed certificates pass every check. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "csr.h"
#include "err.h"
#include "verify.h"

#define FUZZ_SEPARATOR "@@chain@@"
/* 2026-12-03 00:00:00 UTC: inside the seed certificates' validity. */
#define FUZZ_NOW 1796256000

/* The public key of the key generated on the token. */
static const char fuzz_leaf_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEnsKDrJLXlGnj5Cy44sA/dEVNfUbR\n"
	"QkMe1Dms7js0UyZDfULcsIO66+fa4rL040ytjvi6KoyUdV69uJs3WKxNVw==\n"
	"-----END PUBLIC KEY-----\n"
;

/* The root the answers chain up to (--trust). */
static const char fuzz_root[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBoDCCAUagAwIBAgIBATAKBggqhkjOPQQDAjAmMRAwDgYDVQQKDAdFeGFtcGxl\n"
	"MRIwEAYDVQQDDAlGdXp6IFJvb3QwIBcNMjYxMjAyMDAwNDQwWhgPMjEyNjExMDgw\n"
	"MDA0NDBaMCYxEDAOBgNVBAoMB0V4YW1wbGUxEjAQBgNVBAMMCUZ1enogUm9vdDBZ\n"
	"MBMGByqGSM49AgEGCCqGSM49AwEHA0IABKN73DhRkqh0UGHgEW/ed6UENQekx00s\n"
	"SfvsPoO2HqLTGIw6tT48aLAp4hZACJhA6TBH5ocyQ8D/8auxhpa5bP2jYzBhMB0G\n"
	"A1UdDgQWBBRZtUU6JqCPnsZMyXUbRGNn5YdhDzAfBgNVHSMEGDAWgBRZtUU6JqCP\n"
	"nsZMyXUbRGNn5YdhDzAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAK\n"
	"BggqhkjOPQQDAgNIADBFAiAROtr3Kned6h8T9I5MKGGTBNOoKejhGKrCc3hobHth\n"
	"rwIhALQhiTq67HQ+F/7PakTJekn9Zh81TOR9Z1Ag3DW7UeLZ\n"
	"-----END CERTIFICATE-----\n"
;

static struct csr_spec fuzz_spec;
static EVP_PKEY *fuzz_key;
static X509_STORE *fuzz_trust;

static void *
fuzz_read_pem(const char *pem, int cert)
{
	BIO *bio;
	void *obj;

	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL)
		abort();
	obj = cert ? (void *)PEM_read_bio_X509(bio, NULL, NULL, NULL) :
	    (void *)PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (obj == NULL)
		abort();
	BIO_free(bio);
	return obj;
}

/* What tls-server asks for with dns=www.example.org. */
static void
fuzz_spec_init(struct csr_spec *spec)
{
	static const char *const dns[] = { "www.example.org", "example.org" };
	GENERAL_NAME *gn;
	ASN1_IA5STRING *ia5;
	size_t i;

	memset(spec, 0, sizeof(*spec));
	if ((spec->subject = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(spec->subject, "O", MBSTRING_ASC,
					(const unsigned char *)"Example", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(spec->subject, "CN", MBSTRING_ASC,
					(const unsigned char *)"www.example.org",
					-1, -1, 0) ||
	    (spec->san = GENERAL_NAMES_new()) == NULL ||
	    (spec->eku = sk_ASN1_OBJECT_new_null()) == NULL ||
	    !sk_ASN1_OBJECT_push(spec->eku, OBJ_nid2obj(NID_server_auth)))
		abort();
	for (i = 0; i < sizeof(dns) / sizeof(dns[0]); i++) {
		if ((gn = GENERAL_NAME_new()) == NULL ||
		    (ia5 = ASN1_IA5STRING_new()) == NULL ||
		    !ASN1_STRING_set(ia5, dns[i], -1))
			abort();
		GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
		if (!sk_GENERAL_NAME_push(spec->san, gn))
			abort();
	}
	spec->key_usage = KU_DIGITAL_SIGNATURE;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	X509 *root;

	fuzz_spec_init(&fuzz_spec);
	fuzz_key = fuzz_read_pem(fuzz_leaf_pub, 0);
	root = fuzz_read_pem(fuzz_root, 1);
	if ((fuzz_trust = X509_STORE_new()) == NULL ||
	    !X509_STORE_add_cert(fuzz_trust, root))
		abort();
	X509_free(root);
	return 0;
}

/* Move the certificate and chain of the answer at DATA to the end of
 * CHAIN. */
static void
fuzz_add_chain(const uint8_t *data, size_t size, STACK_OF(X509) *chain)
{
	STACK_OF(X509) *more = NULL;
	X509 *cert = NULL;

	if (verify_parse_answer(data, size, &cert, &more) < 0)
		return;
	if (!sk_X509_push(chain, cert))
		abort();
	while (sk_X509_num(more) > 0)
		if (!sk_X509_push(chain, sk_X509_shift(more)))
			abort();
	sk_X509_free(more);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t seplen = sizeof(FUZZ_SEPARATOR) - 1;
	struct verify_policy policy = {
		.spec = &fuzz_spec,
		.key = fuzz_key,
		.max_lifetime_days = 398,
		.trust = fuzz_trust,
		.now = FUZZ_NOW,
	};
	STACK_OF(X509) *chain = NULL;
	enum verify_check failed;
	const uint8_t *sep;
	size_t head = size;
	X509 *cert = NULL;

	sep = memmem(data, size, FUZZ_SEPARATOR, seplen);
	if (sep != NULL)
		head = (size_t)(sep - data);
	if (verify_parse_answer(data, head, &cert, &chain) < 0)
		goto out;
	if (sep != NULL)
		fuzz_add_chain(sep + seplen, size - head - seplen, chain);
	err_clear();
	(void)verify_issued(cert, chain, &policy, &failed);
	/* The same answer where the profile lets the CA edit the subject
	 * and there is no --trust. */
	policy.allow_subject_change = true;
	policy.trust = NULL;
	policy.max_lifetime_days = 0;
	err_clear();
	(void)verify_issued(cert, chain, &policy, &failed);
out:
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	err_clear();
	ERR_clear_error();
	return 0;
}
