/* SPDX-License-Identifier: MIT */
/* fuzz_scep.c - what a SCEP CA answers: its CertRep to our PKCSReq, its
 * GetCACert and its GetCACaps answers. The first byte of the input
 * chooses what the rest is:
 *
 *   0  a CertRep as received (DER), checked against our last PKCSReq;
 *   1  a CertRep that the CA signs here, for our transaction and nonce:
 *      the next byte is its pkiStatus, the one after its failInfo, the
 *      rest its content (DER, an EnvelopedData when all is well);
 *   2  the same with pkiStatus SUCCESS, the rest being what the CA
 *      encrypts for us (DER, a degenerate PKCS#7 with the certificates);
 *   3  a GetCACert answer;
 *   4  a GetCACaps answer.
 *
 * Modes 1 and 2 get past the CA's signature and the decryption, which a
 * mutated CertRep never would. The CA's key and the request are fixed. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>

#include "ca-scep-msg.h"
#include "err.h"
#include "verify.h"

#define FUZZ_OID_MESSAGE_TYPE "2.16.840.1.113733.1.9.2"
#define FUZZ_OID_PKI_STATUS "2.16.840.1.113733.1.9.3"
#define FUZZ_OID_FAIL_INFO "2.16.840.1.113733.1.9.4"
#define FUZZ_OID_SENDER_NONCE "2.16.840.1.113733.1.9.5"
#define FUZZ_OID_RECIPIENT_NONCE "2.16.840.1.113733.1.9.6"
#define FUZZ_OID_TRANSACTION_ID "2.16.840.1.113733.1.9.7"

/* The CA (and its own RA): RSA, so that requests can be encrypted to it. */
static const char fuzz_ca_key[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCswE8+I6Vii6TL\n"
	"kncNlqb4W5kinEDULy8LspzgipVAd/LU2BoBk9KJq39hsdjYh30OMw4uDvRMiAUp\n"
	"2dWO0lZ/YK+95jroAGaqLOW4aNgbWRNxNPaVZ2jBCEa3niRwOwc1CB6CV3ylB49f\n"
	"KK65Gsz4Dc+T4GMAVB04RdPzQexTs7gsx3Ll20c8kylkxf331oXDQ5q+FYz7AvJT\n"
	"WUUgm/JRGtmDjPKTQtZKaYdmqUbauQqrQa38eMMJL6fBWefNdnQW+V0k4cLDGenZ\n"
	"ALF3six4BM6Sa/HTfNqQ7LBGA3DbVZjvzuZiaFqPwzCBr6bIqjWsoywMOFlfoDMM\n"
	"x/c64A2xAgMBAAECggEAKxDeMG2Og1ywvpdK2rZd9bhQGtK9TqhcoBvtBAVIZAQD\n"
	"I5CkGxSQ/gUlAmPl3UUZpfqQZGcR/CpEr0RA+xPwwFyIM107/i5raa07r5djmJ3C\n"
	"PQypFGHtOYIorwnbp6bviwb1JCVPS4zw7xYjSL4nrwcyYnkj9ScDCc5Oomwi0FKp\n"
	"vk7sYJKGc93jVYMW6wwRc6CWDVpcpL0xh5bq3AFngQ5VnlZbWpNYXSur5v/JmdD+\n"
	"eIMK8DMGAfGXOvJYIaLOMh6J7+5fZ9F1MPqqd5R2HG7kZkJbmYBLfz/vVTNqiy+z\n"
	"xQHPFO/mXw/mOTU/UnmwV/1De63+NejtNcv38HJM4QKBgQDuf7Wmeb1+CrctJd29\n"
	"WZ1ssV+GLmbKhnshKcBEHDi/flph1bLjFvKbQ2v+QHZu6OfREXzyzGtfGWK9P/Nt\n"
	"BWwD1BRd2fLTJzQf6cJDZ5nYeR+GPSvUh0vCzlhQwKnUus5ZyXm5irJYoDpTNamQ\n"
	"Y0+u0smwyoUfaRt1jznDVV2sxQKBgQC5bYFx7RbgIMZX4yygCkLODTCMzlolp20M\n"
	"2V2MfPDKjfesqT7ZKYnwv4oJ2APjy+ubagxg4i2SPTYpdH7oBqOvFFiaKFzZQxJ+\n"
	"BvAH7bPlC5Jhaqx7wKU3OwU2SyzM8TQ/q97Xb1cQdiCFKD580BMwTO3D8iwpUvKf\n"
	"/XVrI44D/QKBgHBAz8ChQB0Y8gpf7jP2/+9utKU1JdBg54c+XW4xUkxfLi8qI95a\n"
	"qKmHXEb5FEUzfhibAJJOwKKsEhs9BFfl22cZ5NQfhvj3VMNIhNSw6GpI6BuIox6O\n"
	"54uzD0JCzCyCGCmOeKppq3OnRoxvj3WUKKcCM0fwqiOUlwYH+YoEneh5AoGAfIry\n"
	"cISf4rXgwlMRPAToTeFKBKjsn3HOqtysGpooWMP14IBkeBOQVKUxn9747d2fR+l4\n"
	"mvIPTbPTVxCp1EnxUrzFrfUCN+L23rLmMU0UkPiuvsOZSh1gWrJHk+n2E0jGoSVd\n"
	"LTHZNnNA8G7RWZ+f48cnw3467x6JW7AvV2CwGDkCgYB5xyvdAmWB55vAWhLuj3GH\n"
	"YyLwtBL2tBRjaAK6j1VNuXpNr8uFdLUvNhpoL5E3dJnFO+6SgbAI1Mh6ZjlSM9vH\n"
	"AwantNipGBD9hgfPC4YEIK7uQJYf5T4mC0uTG2iBn/LcTozUYdCFMCJAa3TcNL2l\n"
	"M3oqBFVteZdXhIoN1FU/fw==\n"
	"-----END PRIVATE KEY-----\n"
;

static const char fuzz_ca_cert[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIDMjCCAhqgAwIBAgIBCjANBgkqhkiG9w0BAQsFADApMRAwDgYDVQQKDAdFeGFt\n"
	"cGxlMRUwEwYDVQQDDAxGdXp6IFNDRVAgQ0EwIBcNMjYxMjAyMDAwNTE0WhgPMjEy\n"
	"NjExMDgwMDA1MTRaMCkxEDAOBgNVBAoMB0V4YW1wbGUxFTATBgNVBAMMDEZ1enog\n"
	"U0NFUCBDQTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAKzATz4jpWKL\n"
	"pMuSdw2WpvhbmSKcQNQvLwuynOCKlUB38tTYGgGT0omrf2Gx2NiHfQ4zDi4O9EyI\n"
	"BSnZ1Y7SVn9gr73mOugAZqos5bho2BtZE3E09pVnaMEIRreeJHA7BzUIHoJXfKUH\n"
	"j18orrkazPgNz5PgYwBUHThF0/NB7FOzuCzHcuXbRzyTKWTF/ffWhcNDmr4VjPsC\n"
	"8lNZRSCb8lEa2YOM8pNC1kpph2apRtq5CqtBrfx4wwkvp8FZ5812dBb5XSThwsMZ\n"
	"6dkAsXeyLHgEzpJr8dN82pDssEYDcNtVmO/O5mJoWo/DMIGvpsiqNayjLAw4WV+g\n"
	"MwzH9zrgDbECAwEAAaNjMGEwHQYDVR0OBBYEFNRuo0PHVymWOkxstBb2drNz9OyR\n"
	"MB8GA1UdIwQYMBaAFNRuo0PHVymWOkxstBb2drNz9OyRMA8GA1UdEwEB/wQFMAMB\n"
	"Af8wDgYDVR0PAQH/BAQDAgGmMA0GCSqGSIb3DQEBCwUAA4IBAQBc0YNV8PWbcjuj\n"
	"IKfTENKHwj+tLrSGEEqu+xIfpebh4rXTPe55VIE9tiPeA11Dc4ngSzAHJL8cgG+u\n"
	"NdOrQ+KS25rpDNlGpOGAsApdFKUeNtktZR0TXxtyXLyH8KDEqHgurUmyDidLtRQg\n"
	"W2Xrz/KY7M3VXqpa3BobKYyCj/R00EgH6enCR8Bvr14xQsL6TSoxfxLoCf4SME8r\n"
	"mpFU9IKFTAyB9Mxg4IhGVKjxRzTQzqaLy/QVwUN6Tk2KJz1QhUfMDnc4bWF2kHB0\n"
	"zbkJPCYLXeSfZVRKzc/rqmsNpeu+HPP3Gpy8Fevxe4MU0+J6equRGBeaz9NcyrAz\n"
	"RKF1zPJK\n"
	"-----END CERTIFICATE-----\n"
;

/* The request for the key on the token. */
static const char fuzz_csr[] =
	"-----BEGIN CERTIFICATE REQUEST-----\n"
	"MIIBOTCB4AIBADAsMRAwDgYDVQQKDAdFeGFtcGxlMRgwFgYDVQQDDA93d3cuZXhh\n"
	"bXBsZS5vcmcwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASewoOskteUaePkLLji\n"
	"wD90RU19RtFCQx7UOazuOzRTJkN9Qtywg7rr59risvTjTK2O+LoqjJR1Xr24mzdY\n"
	"rE1XoFIwUAYJKoZIhvcNAQkOMUMwQTAOBgNVHQ8BAf8EBAMCB4AwEwYDVR0lBAww\n"
	"CgYIKwYBBQUHAwEwGgYDVR0RBBMwEYIPd3d3LmV4YW1wbGUub3JnMAoGCCqGSM49\n"
	"BAMCA0gAMEUCIAdnwGSGFMqxA+j/DfhjS9HN1LCnmfVDF/DQGSkuckJZAiEAzYVh\n"
	"0N/DO5IaGdEAjrdxgvi1DGQ205YjKorpdbWB+z0=\n"
	"-----END CERTIFICATE REQUEST-----\n"
;

static EVP_PKEY *fuzz_key;
static X509 *fuzz_cert;
static struct ca_scep_certs fuzz_certs;
static struct ca_scep_msg *fuzz_msg;
/* What our PKCSReq said, as the CA reads it. */
static X509 *fuzz_transient;
static unsigned char fuzz_nonce[16];

static int
fuzz_nid(const char *oid)
{
	int nid = OBJ_txt2nid(oid);

	if (nid == NID_undef)
		abort();
	return nid;
}

static BIO *
fuzz_bio(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);

	if (bio == NULL)
		abort();
	return bio;
}

/* The transient certificate and the senderNonce of the PKCSReq DER. */
static void
fuzz_read_request(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	STACK_OF(X509) *signers;
	PKCS7_SIGNER_INFO *si;
	ASN1_TYPE *nonce;
	PKCS7 *p7;

	if ((p7 = d2i_PKCS7(NULL, &p, (long)len)) == NULL ||
	    (signers = PKCS7_get0_signers(p7, NULL, 0)) == NULL ||
	    sk_X509_num(signers) != 1)
		abort();
	fuzz_transient = sk_X509_value(signers, 0);
	X509_up_ref(fuzz_transient);
	sk_X509_free(signers);
	si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);
	nonce = PKCS7_get_signed_attribute(si, fuzz_nid(FUZZ_OID_SENDER_NONCE));
	if (nonce == NULL || nonce->type != V_ASN1_OCTET_STRING ||
	    ASN1_STRING_length(nonce->value.octet_string) != sizeof(fuzz_nonce))
		abort();
	memcpy(fuzz_nonce, ASN1_STRING_get0_data(nonce->value.octet_string),
	       sizeof(fuzz_nonce));
	PKCS7_free(p7);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char *der = NULL;
	X509_REQ *csr;
	size_t len;
	BIO *bio;
	int n;

	bio = fuzz_bio(fuzz_ca_key);
	fuzz_key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	bio = fuzz_bio(fuzz_ca_cert);
	fuzz_cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	bio = fuzz_bio(fuzz_csr);
	csr = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (fuzz_key == NULL || fuzz_cert == NULL || csr == NULL ||
	    (n = i2d_X509(fuzz_cert, &der)) <= 0 ||
	    ca_scep_certs_parse(der, (size_t)n, &fuzz_certs) < 0)
		abort();
	OPENSSL_free(der);
	der = NULL;
	if (ca_scep_msg_new(csr, CA_SCEP_CAP_STANDARD | CA_SCEP_CAP_POST |
			    CA_SCEP_CAP_SHA256 | CA_SCEP_CAP_AES, &fuzz_msg) < 0 ||
	    ca_scep_msg_pkcsreq(fuzz_msg, &fuzz_certs, &der, &len) < 0) {
		fprintf(stderr, "fuzz_scep: %s\n", err_message());
		abort();
	}
	fuzz_read_request(der, len);
	OPENSSL_free(der);
	X509_REQ_free(csr);
	return 0;
}

static void
fuzz_attr(PKCS7_SIGNER_INFO *si, const char *oid, int type, const void *data,
	  size_t len)
{
	ASN1_STRING *s = ASN1_STRING_type_new(type);

	if (s == NULL || !ASN1_STRING_set(s, data, (int)len) ||
	    !PKCS7_add_signed_attribute(si, fuzz_nid(oid), type, s))
		abort();
}

static void
fuzz_number(PKCS7_SIGNER_INFO *si, const char *oid, int n)
{
	char text[16];

	snprintf(text, sizeof(text), "%d", n);
	fuzz_attr(si, oid, V_ASN1_PRINTABLESTRING, text, strlen(text));
}

/* A CertRep signed by the CA answering our PKCSReq; STATUS and FAIL_INFO
 * below 0 are left out. */
static unsigned char *
fuzz_certrep(int status, int fail_info, const unsigned char *content,
	     size_t content_len, size_t *len)
{
	static const unsigned char fresh[16] = { 0xa5 };
	const char *tid = ca_scep_msg_transaction_id(fuzz_msg);
	unsigned char *der = NULL;
	PKCS7_SIGNER_INFO *si;
	PKCS7 *p7;
	BIO *data;
	int n;

	if ((p7 = PKCS7_sign(NULL, NULL, NULL, NULL,
			     PKCS7_PARTIAL | PKCS7_BINARY)) == NULL ||
	    (si = PKCS7_sign_add_signer(p7, fuzz_cert, fuzz_key, EVP_sha256(),
					PKCS7_BINARY | PKCS7_NOSMIMECAP)) == NULL)
		abort();
	fuzz_attr(si, FUZZ_OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING, tid,
		  strlen(tid));
	fuzz_number(si, FUZZ_OID_MESSAGE_TYPE, 3);
	if (status >= 0)
		fuzz_number(si, FUZZ_OID_PKI_STATUS, status);
	if (fail_info >= 0)
		fuzz_number(si, FUZZ_OID_FAIL_INFO, fail_info);
	fuzz_attr(si, FUZZ_OID_RECIPIENT_NONCE, V_ASN1_OCTET_STRING, fuzz_nonce,
		  sizeof(fuzz_nonce));
	fuzz_attr(si, FUZZ_OID_SENDER_NONCE, V_ASN1_OCTET_STRING, fresh,
		  sizeof(fresh));
	if ((data = BIO_new_mem_buf(content, (int)content_len)) == NULL ||
	    PKCS7_final(p7, data, PKCS7_BINARY) != 1 ||
	    (n = i2d_PKCS7(p7, &der)) <= 0)
		abort();
	*len = (size_t)n;
	BIO_free(data);
	PKCS7_free(p7);
	return der;
}

/* PLAIN encrypted for our transient certificate, as DER. */
static unsigned char *
fuzz_envelope(const unsigned char *plain, size_t plain_len, size_t *len)
{
	STACK_OF(X509) *to = sk_X509_new_null();
	unsigned char *der = NULL;
	PKCS7 *env;
	BIO *in;
	int n;

	if (to == NULL || !sk_X509_push(to, fuzz_transient) ||
	    (in = BIO_new_mem_buf(plain, (int)plain_len)) == NULL ||
	    (env = PKCS7_encrypt(to, in, EVP_aes_128_cbc(),
				 PKCS7_BINARY)) == NULL ||
	    (n = i2d_PKCS7(env, &der)) <= 0)
		abort();
	*len = (size_t)n;
	PKCS7_free(env);
	BIO_free(in);
	sk_X509_free(to);
	return der;
}

/* Read DER as the answer to our PKCSReq; an issued answer goes on to the
 * certificate parser, as in enrol. */
static void
fuzz_answer(const unsigned char *der, size_t len)
{
	enum ca_scep_status status;
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL;
	size_t pem_len = 0;
	char *pem = NULL;

	if (ca_scep_msg_certrep(fuzz_msg, &fuzz_certs, der, len, &status, &pem,
				&pem_len) == 0 && pem != NULL) {
		if (strlen(pem) != pem_len)
			abort();
		if (verify_parse_answer((unsigned char *)pem, pem_len, &cert,
					&chain) == 0) {
			X509_free(cert);
			sk_X509_pop_free(chain, X509_free);
		}
	}
	free(pem);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ca_scep_certs certs;
	unsigned char *der = NULL, *env = NULL;
	size_t len, env_len;

	if (size < 1 || size > 65536)
		return 0;
	switch (data[0] % 5) {
	case 0:
		fuzz_answer(data + 1, size - 1);
		break;
	case 1:
		if (size < 3)
			break;
		der = fuzz_certrep((int)data[1] - 1, (int)data[2] - 1, data + 3,
				   size - 3, &len);
		fuzz_answer(der, len);
		break;
	case 2:
		env = fuzz_envelope(data + 1, size - 1, &env_len);
		der = fuzz_certrep(CA_SCEP_SUCCESS, -1, env, env_len, &len);
		fuzz_answer(der, len);
		break;
	case 3:
		memset(&certs, 0, sizeof(certs));
		(void)ca_scep_certs_parse(data + 1, size - 1, &certs);
		ca_scep_certs_clear(&certs);
		break;
	case 4:
		(void)ca_scep_caps_parse((const char *)data + 1, size - 1);
		break;
	}
	OPENSSL_free(der);
	OPENSSL_free(env);
	err_clear();
	ERR_clear_error();
	return 0;
}
