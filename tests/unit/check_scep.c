/* SPDX-License-Identifier: MIT */
/* check_scep.c - SCEP messages without a server: the client's messages
 * are read, decrypted and answered by a CA played here with OpenSSL, and
 * the client's reading of those answers is checked. */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "ca-scep-msg.h"
#include "csr.h"
#include "err.h"
#include "testkeys.h"

#define OID_MESSAGE_TYPE "2.16.840.1.113733.1.9.2"
#define OID_PKI_STATUS "2.16.840.1.113733.1.9.3"
#define OID_FAIL_INFO "2.16.840.1.113733.1.9.4"
#define OID_SENDER_NONCE "2.16.840.1.113733.1.9.5"
#define OID_RECIPIENT_NONCE "2.16.840.1.113733.1.9.6"
#define OID_TRANSACTION_ID "2.16.840.1.113733.1.9.7"

#define SUBJECT "/O=Example/CN=www.example.org"

/* Loaded once in the parent, before Check forks each test. */
static EVP_PKEY *ca_key, *other_key, *req_key, *ec_key;
static X509 *ca_cert;
/* Single DES lives in OpenSSL's legacy provider: the CA side needs it to
 * answer the way micromdm's scepserver does. */
static OSSL_LIB_CTX *legacy_ctx;
static OSSL_PROVIDER *legacy_providers[2];

static void
keys_setup(void)
{
	ca_key = testkeys_load(TESTKEYS_RSA_2048, 1);
	other_key = testkeys_load(TESTKEYS_RSA_2048, 2);
	req_key = testkeys_load(TESTKEYS_RSA_2048, 3);
	ec_key = testkeys_load(TESTKEYS_EC_P256, 1);
	ca_cert = testkeys_root(ca_key, "SCEP test CA", time(NULL));
	legacy_ctx = OSSL_LIB_CTX_new();
	ck_assert_ptr_nonnull(legacy_ctx);
	legacy_providers[0] = OSSL_PROVIDER_load(legacy_ctx, "default");
	legacy_providers[1] = OSSL_PROVIDER_load(legacy_ctx, "legacy");
	ck_assert_ptr_nonnull(legacy_providers[0]);
	ck_assert_ptr_nonnull(legacy_providers[1]);
}

static void
keys_teardown(void)
{
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(req_key);
	EVP_PKEY_free(ec_key);
	OSSL_PROVIDER_unload(legacy_providers[1]);
	OSSL_PROVIDER_unload(legacy_providers[0]);
	OSSL_LIB_CTX_free(legacy_ctx);
}

static int
nid_of(const char *oid)
{
	int nid = OBJ_txt2nid(oid);

	ck_assert_msg(nid != NID_undef, "OID %s not registered", oid);
	return nid;
}

/* ---- the client's side ------------------------------------------------ */

/* A signed request for req_key named SUBJECT (one-line form, "" for an
 * empty name) carrying CHALLENGE. */
static X509_REQ *
make_csr(const char *subject, const char *challenge)
{
	struct csr_signer signer = testkeys_signer(req_key);
	struct csr_spec spec;
	X509_REQ *req = NULL;

	testkeys_spec(&spec, "/CN=placeholder", KU_DIGITAL_SIGNATURE,
		      "serverAuth", "DNS:www.example.org");
	X509_NAME_free(spec.subject);
	spec.subject = *subject != '\0' ? testkeys_name(subject) :
	    X509_NAME_new();
	spec.challenge = challenge;
	ck_assert_msg(csr_build(&spec, req_key, &signer, &req) == 0, "%s",
		      err_message());
	csr_spec_clear(&spec);
	return req;
}

static unsigned char *
der_of_cert(X509 *cert, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(cert, &der);

	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	return der;
}

/* A degenerate PKCS#7 (certificates only) holding CERTS in order. */
static unsigned char *
bundle_of(X509 *const *certs, size_t n, size_t *len)
{
	unsigned char *der = NULL;
	PKCS7 *p7 = PKCS7_new();
	size_t i;
	int dlen;

	ck_assert_int_eq(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
	ck_assert_int_eq(PKCS7_content_new(p7, NID_pkcs7_data), 1);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(PKCS7_add_certificate(p7, certs[i]), 1);
	dlen = i2d_PKCS7(p7, &der);
	ck_assert_int_gt(dlen, 0);
	*len = (size_t)dlen;
	PKCS7_free(p7);
	return der;
}

/* What the client knows of the CA after GetCACert. */
static void
certs_of_ca(struct ca_scep_certs *certs, X509 *cert)
{
	unsigned char *der;
	size_t len;

	der = der_of_cert(cert, &len);
	ck_assert_msg(ca_scep_certs_parse(der, len, certs) == 0, "%s",
		      err_message());
	OPENSSL_free(der);
}

/* ---- the CA's side ---------------------------------------------------- */

/* A pkiMessage as the CA reads it. */
struct seen {
	X509 *signer;                   /* the transient certificate */
	int type;
	char tid[128];
	unsigned char nonce[16];
	int digest_nid, cipher_nid;
	unsigned char *inner;           /* the decrypted content */
	size_t inner_len;
};

static void
seen_clear(struct seen *s)
{
	X509_free(s->signer);
	OPENSSL_free(s->inner);
	memset(s, 0, sizeof(*s));
}

static const ASN1_STRING *
attr_of(PKCS7_SIGNER_INFO *si, const char *oid, int type)
{
	ASN1_TYPE *t = PKCS7_get_signed_attribute(si, nid_of(oid));

	ck_assert_msg(t != NULL, "attribute %s missing", oid);
	ck_assert_int_eq(t->type, type);
	return t->value.asn1_string;
}

/* Verify and decrypt DER as the CA does, with the CA's key. */
static void
ca_read(const unsigned char *der, size_t len, struct seen *s)
{
	const unsigned char *p = der;
	STACK_OF(X509) *signers;
	PKCS7_SIGNER_INFO *si;
	const ASN1_STRING *str;
	PKCS7 *p7, *env;
	BIO *content, *plain;
	unsigned char *data;
	long n;

	memset(s, 0, sizeof(*s));
	p7 = d2i_PKCS7(NULL, &p, (long)len);
	ck_assert_ptr_nonnull(p7);
	ck_assert(p == der + len);
	ck_assert(PKCS7_type_is_signed(p7));
	content = BIO_new(BIO_s_mem());
	/* The signer's certificate travels in the message. */
	ck_assert_int_eq(PKCS7_verify(p7, NULL, NULL, NULL, content,
				      PKCS7_NOVERIFY | PKCS7_BINARY), 1);
	signers = PKCS7_get0_signers(p7, NULL, 0);
	ck_assert_int_eq(sk_X509_num(signers), 1);
	s->signer = sk_X509_value(signers, 0);
	X509_up_ref(s->signer);
	sk_X509_free(signers);
	ck_assert_int_eq(sk_PKCS7_SIGNER_INFO_num(PKCS7_get_signer_info(p7)), 1);
	si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);
	s->digest_nid = OBJ_obj2nid(si->digest_alg->algorithm);

	str = attr_of(si, OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING);
	s->type = atoi((const char *)ASN1_STRING_get0_data(str));
	str = attr_of(si, OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING);
	ck_assert_int_lt(ASN1_STRING_length(str), (int)sizeof(s->tid));
	memcpy(s->tid, ASN1_STRING_get0_data(str),
	       (size_t)ASN1_STRING_length(str));
	str = attr_of(si, OID_SENDER_NONCE, V_ASN1_OCTET_STRING);
	ck_assert_int_eq(ASN1_STRING_length(str), 16);
	memcpy(s->nonce, ASN1_STRING_get0_data(str), 16);

	n = BIO_get_mem_data(content, &data);
	ck_assert_int_gt(n, 0);
	p = data;
	env = d2i_PKCS7(NULL, &p, n);
	ck_assert_ptr_nonnull(env);
	ck_assert(PKCS7_type_is_enveloped(env));
	s->cipher_nid = OBJ_obj2nid(
	    env->d.enveloped->enc_data->algorithm->algorithm);
	plain = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PKCS7_decrypt(env, ca_key, ca_cert, plain,
				       PKCS7_BINARY), 1);
	n = BIO_get_mem_data(plain, &data);
	ck_assert_int_gt(n, 0);
	s->inner = OPENSSL_memdup(data, (size_t)n);
	s->inner_len = (size_t)n;

	BIO_free(plain);
	PKCS7_free(env);
	BIO_free(content);
	PKCS7_free(p7);
}

/* How the CA answers. */
struct answer {
	int status;                     /* pkiStatus; -1: leave it out */
	int fail_info;                  /* -1: leave it out */
	const char *type;               /* messageType; NULL: "3" */
	bool wrong_nonce, wrong_tid, detached;
	enum { SIGN_CA, SIGN_OTHER_CERT, SIGN_FORGED } signer;
	const EVP_CIPHER *(*cipher)(void);  /* NULL: AES-128-CBC */
	bool legacy;                    /* the cipher needs the legacy provider */
};

static void
add_attr(PKCS7_SIGNER_INFO *si, const char *oid, int type, const void *data,
	 size_t len)
{
	ASN1_STRING *s = ASN1_STRING_type_new(type);

	ck_assert_int_eq(ASN1_STRING_set(s, data, (int)len), 1);
	ck_assert_int_eq(PKCS7_add_signed_attribute(si, nid_of(oid), type, s), 1);
}

static void
add_number(PKCS7_SIGNER_INFO *si, const char *oid, int n)
{
	char text[16];

	snprintf(text, sizeof(text), "%d", n);
	add_attr(si, oid, V_ASN1_PRINTABLESTRING, text, strlen(text));
}

/* The issued certificate for the request's key, in an EnvelopedData for
 * the transient certificate, the CA's certificate ahead of it. */
static unsigned char *
issued_envelope(const struct seen *s, const struct answer *a, X509 **issued,
		int *len)
{
	struct testkeys_cert what = {
		.subject = SUBJECT,
		.key_usage = "critical,digitalSignature",
		.eku = "serverAuth",
		.san = "DNS:www.example.org",
		.not_before = time(NULL) - 60,
		.not_after = time(NULL) + 86400,
	};
	X509 *both[2];
	STACK_OF(X509) *to = sk_X509_new_null();
	unsigned char *bundle, *der = NULL;
	size_t blen;
	const EVP_CIPHER *cipher;
	EVP_CIPHER *fetched = NULL;
	PKCS7 *env;
	BIO *in;

	*issued = testkeys_issue(req_key, &what, ca_cert, ca_key);
	both[0] = ca_cert;
	both[1] = *issued;
	bundle = bundle_of(both, 2, &blen);
	in = BIO_new_mem_buf(bundle, (int)blen);
	sk_X509_push(to, s->signer);
	cipher = a->cipher != NULL ? a->cipher() : EVP_aes_128_cbc();
	if (a->legacy) {
		fetched = EVP_CIPHER_fetch(legacy_ctx,
		    EVP_CIPHER_get0_name(cipher), NULL);
		ck_assert_ptr_nonnull(fetched);
		env = PKCS7_encrypt_ex(to, in, fetched, PKCS7_BINARY,
				       legacy_ctx, NULL);
	} else
		env = PKCS7_encrypt(to, in, cipher, PKCS7_BINARY);
	ck_assert_ptr_nonnull(env);
	*len = i2d_PKCS7(env, &der);
	ck_assert_int_gt(*len, 0);
	PKCS7_free(env);
	EVP_CIPHER_free(fetched);
	BIO_free(in);
	sk_X509_free(to);
	OPENSSL_free(bundle);
	return der;
}

/* A certificate with the CA's name and serial number but another key. */
static X509 *
forged_ca(void)
{
	X509 *x = X509_dup(ca_cert);

	ck_assert_int_eq(X509_set_pubkey(x, other_key), 1);
	ck_assert_int_gt(X509_sign(x, other_key, EVP_sha256()), 0);
	return x;
}

/* A CertRep answering S as A says; *ISSUED the certificate on SUCCESS. */
static unsigned char *
ca_answer(const struct seen *s, const struct answer *a, X509 **issued,
	  size_t *len)
{
	unsigned char nonce[16], fresh[16], *env = NULL, *der = NULL;
	X509 *sign_cert = NULL;
	EVP_PKEY *sign_key = ca_key;
	PKCS7_SIGNER_INFO *si;
	const char *tid = a->wrong_tid ? "0123abcd" : s->tid;
	PKCS7 *p7;
	BIO *data;
	int env_len = 0, n;

	*issued = NULL;
	memcpy(nonce, s->nonce, sizeof(nonce));
	if (a->wrong_nonce)
		nonce[0] ^= 0x55;
	memset(fresh, 0xa5, sizeof(fresh));
	if (a->status == CA_SCEP_SUCCESS)
		env = issued_envelope(s, a, issued, &env_len);
	switch (a->signer) {
	case SIGN_CA:
		sign_cert = X509_dup(ca_cert);
		break;
	case SIGN_OTHER_CERT:
		sign_cert = testkeys_root(other_key, "another CA", time(NULL));
		sign_key = other_key;
		break;
	case SIGN_FORGED:
		sign_cert = forged_ca();
		sign_key = other_key;
		break;
	}
	p7 = PKCS7_sign(NULL, NULL, NULL, NULL, PKCS7_PARTIAL | PKCS7_BINARY);
	ck_assert_ptr_nonnull(p7);
	si = PKCS7_sign_add_signer(p7, sign_cert, sign_key, EVP_sha256(),
				   PKCS7_BINARY | PKCS7_NOSMIMECAP);
	ck_assert_ptr_nonnull(si);
	add_attr(si, OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING, tid,
		 strlen(tid));
	if (a->type != NULL)
		add_attr(si, OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING, a->type,
			 strlen(a->type));
	else
		add_number(si, OID_MESSAGE_TYPE, 3);
	if (a->status >= 0)
		add_number(si, OID_PKI_STATUS, a->status);
	if (a->fail_info >= 0)
		add_number(si, OID_FAIL_INFO, a->fail_info);
	add_attr(si, OID_RECIPIENT_NONCE, V_ASN1_OCTET_STRING, nonce,
		 sizeof(nonce));
	add_attr(si, OID_SENDER_NONCE, V_ASN1_OCTET_STRING, fresh,
		 sizeof(fresh));
	data = env != NULL ? BIO_new_mem_buf(env, env_len) :
	    BIO_new_mem_buf("", 0);
	ck_assert_int_eq(PKCS7_final(p7, data, PKCS7_BINARY |
	    (a->detached ? PKCS7_DETACHED : 0)), 1);
	n = i2d_PKCS7(p7, &der);
	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	BIO_free(data);
	PKCS7_free(p7);
	X509_free(sign_cert);
	OPENSSL_free(env);
	return der;
}

/* ---- one exchange ----------------------------------------------------- */

struct exchange {
	struct ca_scep_certs certs;
	struct ca_scep_msg *msg;
	X509_REQ *csr;
	struct seen seen;
};

/* The client sends a PKCSReq with CAPS, the CA reads it. */
static void
exchange_start(struct exchange *x, unsigned caps)
{
	unsigned char *der;
	size_t len;

	memset(x, 0, sizeof(*x));
	certs_of_ca(&x->certs, ca_cert);
	x->csr = make_csr(SUBJECT, "s3cret");
	ck_assert_msg(ca_scep_msg_new(x->csr, caps, &x->msg) == 0, "%s",
		      err_message());
	ck_assert_msg(ca_scep_msg_pkcsreq(x->msg, &x->certs, &der, &len) == 0,
		      "%s", err_message());
	ca_read(der, len, &x->seen);
	OPENSSL_free(der);
}

static void
exchange_end(struct exchange *x)
{
	seen_clear(&x->seen);
	ca_scep_msg_free(x->msg);
	ca_scep_certs_clear(&x->certs);
	X509_REQ_free(x->csr);
}

/* The client reads the CA's answer A. */
static int
exchange_answer(struct exchange *x, const struct answer *a,
		enum ca_scep_status *status, char **pem, X509 **issued)
{
	unsigned char *der;
	size_t len, pem_len = 0;
	int rc;

	der = ca_answer(&x->seen, a, issued, &len);
	err_clear();
	rc = ca_scep_msg_certrep(x->msg, &x->certs, der, len, status, pem,
				 &pem_len);
	if (rc == 0 && *pem != NULL)
		ck_assert_uint_eq(pem_len, strlen(*pem));
	OPENSSL_free(der);
	return rc;
}

/* ---- GetCACaps -------------------------------------------------------- */

static const struct {
	const char *text;
	unsigned caps;
} caps_cases[] = {
	{ "", 0 },
	{ "POSTPKIOperation\nSHA-256\nAES\n",
	  CA_SCEP_CAP_POST | CA_SCEP_CAP_SHA256 | CA_SCEP_CAP_AES },
	/* micromdm's scepserver 2.1.0, word for word */
	{ "Renewal\nSHA-1\nSHA-256\nAES\nDES3\nSCEPStandard\nPOSTPKIOperation",
	  CA_SCEP_CAP_RENEWAL | CA_SCEP_CAP_SHA1 | CA_SCEP_CAP_SHA256 |
	  CA_SCEP_CAP_AES | CA_SCEP_CAP_DES3 | CA_SCEP_CAP_STANDARD |
	  CA_SCEP_CAP_POST },
	{ "postpkioperation\r\n  sha-512 \r\nDES3\r\n",
	  CA_SCEP_CAP_POST | CA_SCEP_CAP_SHA512 | CA_SCEP_CAP_DES3 },
	{ "SCEPStandard", CA_SCEP_CAP_STANDARD | CA_SCEP_CAP_AES |
	  CA_SCEP_CAP_POST | CA_SCEP_CAP_SHA256 },
	{ "SHA-2561\nAESX\nPOST PKIOperation\nGetNextCACert\n",
	  CA_SCEP_CAP_NEXT_CA },
	{ "\n\n\nSHA-1", CA_SCEP_CAP_SHA1 },
};

START_TEST(test_caps)
{
	ck_assert_uint_eq(ca_scep_caps_parse(caps_cases[_i].text,
	    strlen(caps_cases[_i].text)), caps_cases[_i].caps);
}
END_TEST

/* ---- GetCACert -------------------------------------------------------- */

START_TEST(test_certs_single)
{
	struct ca_scep_certs certs = { (void *)1, (void *)1, (void *)1 };

	certs_of_ca(&certs, ca_cert);
	ck_assert_int_eq(sk_X509_num(certs.all), 1);
	ck_assert_int_eq(X509_cmp(certs.ca, ca_cert), 0);
	ck_assert_ptr_eq(certs.recipient, certs.ca);
	ca_scep_certs_clear(&certs);
	ck_assert_ptr_null(certs.all);
	ca_scep_certs_clear(NULL);
}
END_TEST

/* An RA: its encryption certificate is what requests go to, whatever
 * the order; the CA is the authority that issued it. */
START_TEST(test_certs_ra)
{
	struct testkeys_cert enc = {
		.subject = "/CN=SCEP RA encryption",
		.key_usage = "critical,keyEncipherment",
		.not_before = time(NULL) - 60, .not_after = time(NULL) + 86400,
	}, sig = {
		.subject = "/CN=SCEP RA signing",
		.key_usage = "critical,digitalSignature",
		.not_before = time(NULL) - 60, .not_after = time(NULL) + 86400,
	};
	X509 *other_root, *ra_enc, *ra_sig, *set[4];
	struct ca_scep_certs certs;
	unsigned char *der;
	size_t len;
	int order;

	other_root = testkeys_root(other_key, "unrelated root", time(NULL));
	ra_enc = testkeys_issue(other_key, &enc, ca_cert, ca_key);
	ra_sig = testkeys_issue(other_key, &sig, ca_cert, ca_key);
	for (order = 0; order < 2; order++) {
		set[0] = order ? ra_enc : other_root;
		set[1] = order ? ca_cert : ra_sig;
		set[2] = order ? ra_sig : ca_cert;
		set[3] = order ? other_root : ra_enc;
		der = bundle_of(set, 4, &len);
		ck_assert_msg(ca_scep_certs_parse(der, len, &certs) == 0, "%s",
			      err_message());
		ck_assert_int_eq(sk_X509_num(certs.all), 4);
		ck_assert_int_eq(X509_cmp(certs.recipient, ra_enc), 0);
		ck_assert_int_eq(X509_cmp(certs.ca, ca_cert), 0);
		ca_scep_certs_clear(&certs);
		OPENSSL_free(der);
	}
	X509_free(other_root);
	X509_free(ra_enc);
	X509_free(ra_sig);
}
END_TEST

/* Without keyEncipherment anywhere, the end-entity certificate. */
START_TEST(test_certs_no_key_encipherment)
{
	struct testkeys_cert ra = {
		.subject = "/CN=SCEP RA",
		.not_before = time(NULL) - 60, .not_after = time(NULL) + 86400,
	};
	X509 *ra_cert, *set[2];
	struct ca_scep_certs certs;
	unsigned char *der;
	size_t len;

	ra_cert = testkeys_issue(other_key, &ra, ca_cert, ca_key);
	set[0] = ca_cert;
	set[1] = ra_cert;
	der = bundle_of(set, 2, &len);
	ck_assert_int_eq(ca_scep_certs_parse(der, len, &certs), 0);
	ck_assert_int_eq(X509_cmp(certs.recipient, ra_cert), 0);
	ck_assert_int_eq(X509_cmp(certs.ca, ca_cert), 0);
	ca_scep_certs_clear(&certs);
	OPENSSL_free(der);
	X509_free(ra_cert);
}
END_TEST

START_TEST(test_certs_garbage)
{
	struct ca_scep_certs certs = { (void *)1, (void *)1, (void *)1 };
	unsigned char *der, *cut;
	size_t len, i;

	der = der_of_cert(ca_cert, &len);
	cut = OPENSSL_memdup(der, len);
	/* nothing; text; a certificate cut short; one with a byte after it;
	 * a PKCS#7 bundle with no certificate */
	for (i = 0; i < 5; i++) {
		const unsigned char *data = NULL;
		size_t dlen = 0;
		unsigned char *bundle = NULL;

		switch (i) {
		case 0: data = der; dlen = 0; break;
		case 1: data = (const unsigned char *)"<html>oops</html>";
			dlen = 17; break;
		case 2: data = der; dlen = len - 10; break;
		case 3: cut = OPENSSL_realloc(cut, len + 1); cut[len] = 0;
			data = cut; dlen = len + 1; break;
		case 4: bundle = bundle_of(NULL, 0, &dlen); data = bundle; break;
		}
		err_clear();
		ck_assert_int_eq(ca_scep_certs_parse(data, dlen, &certs), -1);
		ck_assert_ptr_null(certs.all);
		ck_assert_ptr_null(certs.ca);
		ck_assert_msg(strstr(err_message(), "the CA's answer is "
		    "malformed") != NULL, "%zu: %s", i, err_message());
		OPENSSL_free(bundle);
	}
	OPENSSL_free(cut);
	OPENSSL_free(der);
}
END_TEST

/* ---- PKCSReq ---------------------------------------------------------- */

static const struct {
	unsigned caps;
	int cipher_nid, digest_nid;
} pkcsreq_cases[] = {
	{ CA_SCEP_CAP_AES | CA_SCEP_CAP_SHA256 | CA_SCEP_CAP_POST,
	  NID_aes_128_cbc, NID_sha256 },
	{ CA_SCEP_CAP_STANDARD | CA_SCEP_CAP_AES | CA_SCEP_CAP_SHA256,
	  NID_aes_128_cbc, NID_sha256 },
	{ 0, NID_des_ede3_cbc, NID_sha1 },
	{ CA_SCEP_CAP_DES3 | CA_SCEP_CAP_SHA512, NID_des_ede3_cbc, NID_sha512 },
	{ CA_SCEP_CAP_AES | CA_SCEP_CAP_SHA1, NID_aes_128_cbc, NID_sha1 },
};

START_TEST(test_pkcsreq)
{
	unsigned char digest[32], *spki = NULL, *csr_der = NULL;
	char hex[65];
	struct exchange x;
	X509_NAME *subject;
	int n, i;

	exchange_start(&x, pkcsreq_cases[_i].caps);
	ck_assert_int_eq(x.seen.type, 19);
	ck_assert_int_eq(x.seen.cipher_nid, pkcsreq_cases[_i].cipher_nid);
	ck_assert_int_eq(x.seen.digest_nid, pkcsreq_cases[_i].digest_nid);

	/* transactionID: hex SHA-256 of the request's public key */
	n = i2d_PUBKEY(req_key, &spki);
	SHA256(spki, (size_t)n, digest);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	ck_assert_str_eq(x.seen.tid, hex);
	ck_assert_str_eq(ca_scep_msg_transaction_id(x.msg), hex);

	/* Signed by a transient key named like the request, not the
	 * request's own key. */
	subject = testkeys_name(SUBJECT);
	ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(x.seen.signer),
				       subject), 0);
	ck_assert_int_eq(X509_check_issued(x.seen.signer, x.seen.signer),
			 X509_V_OK);
	ck_assert_int_ne(EVP_PKEY_eq(X509_get0_pubkey(x.seen.signer), req_key),
			 1);
	ck_assert(EVP_PKEY_is_a(X509_get0_pubkey(x.seen.signer), "RSA"));
	ck_assert_int_eq(EVP_PKEY_get_bits(X509_get0_pubkey(x.seen.signer)),
			 2048);

	/* The content is the request itself, challenge included. */
	n = i2d_X509_REQ(x.csr, &csr_der);
	ck_assert_uint_eq(x.seen.inner_len, (size_t)n);
	ck_assert_mem_eq(x.seen.inner, csr_der, (size_t)n);

	OPENSSL_free(csr_der);
	OPENSSL_free(spki);
	X509_NAME_free(subject);
	exchange_end(&x);
}
END_TEST

/* Two messages of one enrolment never share a senderNonce. */
START_TEST(test_nonce_fresh)
{
	struct exchange x;
	struct seen again;
	unsigned char *der;
	size_t len;

	exchange_start(&x, CA_SCEP_CAP_AES | CA_SCEP_CAP_SHA256);
	ck_assert_int_eq(ca_scep_msg_pkcsreq(x.msg, &x.certs, &der, &len), 0);
	ca_read(der, len, &again);
	ck_assert_str_eq(again.tid, x.seen.tid);
	ck_assert_int_eq(X509_cmp(again.signer, x.seen.signer), 0);
	ck_assert_int_ne(memcmp(again.nonce, x.seen.nonce, 16), 0);
	seen_clear(&again);
	OPENSSL_free(der);
	exchange_end(&x);
}
END_TEST

/* A request with an empty subject lends the transient certificate its
 * transactionID, since a certificate needs an issuer name. */
START_TEST(test_empty_subject)
{
	struct ca_scep_certs certs;
	struct ca_scep_msg *msg = NULL;
	struct seen s;
	X509_REQ *req;
	unsigned char *der;
	size_t len;
	char cn[128];

	certs_of_ca(&certs, ca_cert);
	req = make_csr("", "s3cret");
	ck_assert_int_eq(ca_scep_msg_new(req, CA_SCEP_CAP_AES, &msg), 0);
	ck_assert_int_eq(ca_scep_msg_pkcsreq(msg, &certs, &der, &len), 0);
	ca_read(der, len, &s);
	ck_assert_int_gt(X509_NAME_get_text_by_NID(X509_get_subject_name(
	    s.signer), NID_commonName, cn, sizeof(cn)), 0);
	ck_assert_str_eq(cn, ca_scep_msg_transaction_id(msg));
	seen_clear(&s);
	OPENSSL_free(der);
	ca_scep_msg_free(msg);
	X509_REQ_free(req);
	ca_scep_certs_clear(&certs);
}
END_TEST

START_TEST(test_recipient_not_rsa)
{
	struct ca_scep_certs certs;
	struct ca_scep_msg *msg = NULL;
	unsigned char *der = (unsigned char *)"x";
	size_t len = 1;
	X509 *ec_ca;
	X509_REQ *req;

	ec_ca = testkeys_root(ec_key, "EC SCEP CA", time(NULL));
	certs_of_ca(&certs, ec_ca);
	req = make_csr(SUBJECT, NULL);
	ck_assert_int_eq(ca_scep_msg_new(req, CA_SCEP_CAP_AES, &msg), 0);
	err_clear();
	ck_assert_int_eq(ca_scep_msg_pkcsreq(msg, &certs, &der, &len), -1);
	ck_assert_ptr_null(der);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(err_message(), "the CA's certificate has a key of "
			 "type EC, which SCEP cannot encrypt to (it needs RSA)");
	ca_scep_msg_free(msg);
	X509_REQ_free(req);
	ca_scep_certs_clear(&certs);
	X509_free(ec_ca);
}
END_TEST

/* ---- CertRep ---------------------------------------------------------- */

/* The ciphers a CA may answer with; micromdm's scepserver uses single
 * DES. */
static const struct {
	const EVP_CIPHER *(*cipher)(void);
	bool legacy;
} success_cases[] = {
	{ EVP_aes_128_cbc, false },
	{ EVP_aes_256_cbc, false },
	{ EVP_des_ede3_cbc, false },
	{ EVP_des_cbc, true },
};

START_TEST(test_certrep_success)
{
	struct answer a = { .status = CA_SCEP_SUCCESS, .fail_info = -1,
			    .cipher = success_cases[_i].cipher,
			    .legacy = success_cases[_i].legacy };
	enum ca_scep_status status = CA_SCEP_FAILURE;
	struct exchange x;
	char *pem = NULL, *expect = NULL;
	X509 *issued;

	exchange_start(&x, CA_SCEP_CAP_AES | CA_SCEP_CAP_SHA256);
	ck_assert_msg(exchange_answer(&x, &a, &status, &pem, &issued) == 0,
		      "%s", err_message());
	ck_assert_int_eq(status, CA_SCEP_SUCCESS);
	/* The certificate for the request's key first, then the rest. */
	testkeys_append_pem(&expect, issued);
	testkeys_append_pem(&expect, ca_cert);
	ck_assert_str_eq(pem, expect);
	free(expect);
	free(pem);
	X509_free(issued);
	exchange_end(&x);
}
END_TEST

static const struct {
	int fail_info;
	const char *message;
} failure_cases[] = {
	{ 0, "the CA rejected the request: badAlg: the CA does not accept the "
	  "algorithm" },
	{ 1, "the CA rejected the request: badMessageCheck: the CA could not "
	  "verify the message" },
	{ 2, "the CA rejected the request: badRequest: the CA refused the "
	  "request (often a wrong challenge password)" },
	{ 3, "the CA rejected the request: badTime: the CA found the "
	  "message's time wrong" },
	{ 4, "the CA rejected the request: badCertId: the CA does not know "
	  "the certificate asked for" },
	{ 9, "the CA rejected the request: failInfo 9" },
	{ -1, "the CA rejected the request (no reason given)" },
};

START_TEST(test_certrep_failure)
{
	struct answer a = { .status = CA_SCEP_FAILURE,
			    .fail_info = failure_cases[_i].fail_info,
			    .detached = _i % 2 == 1 };
	enum ca_scep_status status = CA_SCEP_SUCCESS;
	struct exchange x;
	char *pem = (char *)"x";
	X509 *issued;

	exchange_start(&x, CA_SCEP_CAP_AES | CA_SCEP_CAP_SHA256);
	ck_assert_int_eq(exchange_answer(&x, &a, &status, &pem, &issued), -1);
	ck_assert_ptr_null(pem);
	ck_assert_int_eq(err_kind(), ERR_FAILED);
	ck_assert_str_eq(err_message(), failure_cases[_i].message);
	exchange_end(&x);
}
END_TEST

/* IssuerAndSubject as the CA reads it. */
typedef struct {
	X509_NAME *issuer;
	X509_NAME *subject;
} TEST_ISSUER_AND_SUBJECT;

ASN1_SEQUENCE(TEST_ISSUER_AND_SUBJECT) = {
	ASN1_SIMPLE(TEST_ISSUER_AND_SUBJECT, issuer, X509_NAME),
	ASN1_SIMPLE(TEST_ISSUER_AND_SUBJECT, subject, X509_NAME),
} static_ASN1_SEQUENCE_END(TEST_ISSUER_AND_SUBJECT)

/* PENDING, a CertPoll for the same transaction, then SUCCESS; the first
 * PENDING replayed after the poll no longer matches. */
START_TEST(test_pending_then_poll)
{
	struct answer pending = { .status = CA_SCEP_PENDING, .fail_info = -1,
				  .detached = _i == 1 };
	struct answer success = { .status = CA_SCEP_SUCCESS, .fail_info = -1 };
	enum ca_scep_status status = CA_SCEP_FAILURE;
	TEST_ISSUER_AND_SUBJECT *ias;
	const unsigned char *p;
	unsigned char *der, *old;
	size_t len, old_len, pem_len;
	struct exchange x;
	struct seen poll;
	char *pem = NULL;
	X509 *issued;
	X509_NAME *subject;

	exchange_start(&x, CA_SCEP_CAP_AES | CA_SCEP_CAP_SHA256);
	old = ca_answer(&x.seen, &pending, &issued, &old_len);
	ck_assert_msg(ca_scep_msg_certrep(x.msg, &x.certs, old, old_len,
	    &status, &pem, &pem_len) == 0, "%s", err_message());
	ck_assert_int_eq(status, CA_SCEP_PENDING);
	ck_assert_ptr_null(pem);

	ck_assert_msg(ca_scep_msg_certpoll(x.msg, &x.certs, &der, &len) == 0,
		      "%s", err_message());
	ca_read(der, len, &poll);
	OPENSSL_free(der);
	ck_assert_int_eq(poll.type, 20);
	ck_assert_str_eq(poll.tid, x.seen.tid);
	ck_assert_int_eq(X509_cmp(poll.signer, x.seen.signer), 0);
	ck_assert_int_ne(memcmp(poll.nonce, x.seen.nonce, 16), 0);
	p = poll.inner;
	ias = (TEST_ISSUER_AND_SUBJECT *)ASN1_item_d2i(NULL, &p,
	    (long)poll.inner_len, ASN1_ITEM_rptr(TEST_ISSUER_AND_SUBJECT));
	ck_assert_ptr_nonnull(ias);
	ck_assert(p == poll.inner + poll.inner_len);
	subject = testkeys_name(SUBJECT);
	ck_assert_int_eq(X509_NAME_cmp(ias->issuer,
				       X509_get_subject_name(ca_cert)), 0);
	ck_assert_int_eq(X509_NAME_cmp(ias->subject, subject), 0);

	/* The old answer now carries a stale recipientNonce. */
	err_clear();
	ck_assert_int_eq(ca_scep_msg_certrep(x.msg, &x.certs, old, old_len,
	    &status, &pem, &pem_len), -1);
	ck_assert_ptr_nonnull(strstr(err_message(), "recipientNonce"));

	der = ca_answer(&poll, &success, &issued, &len);
	ck_assert_msg(ca_scep_msg_certrep(x.msg, &x.certs, der, len, &status,
	    &pem, &pem_len) == 0, "%s", err_message());
	ck_assert_int_eq(status, CA_SCEP_SUCCESS);
	ck_assert_ptr_nonnull(pem);
	ck_assert_int_eq(strncmp(pem, "-----BEGIN CERTIFICATE-----", 27), 0);

	free(pem);
	X509_free(issued);
	OPENSSL_free(der);
	OPENSSL_free(old);
	X509_NAME_free(subject);
	ASN1_item_free((ASN1_VALUE *)ias,
		       ASN1_ITEM_rptr(TEST_ISSUER_AND_SUBJECT));
	seen_clear(&poll);
	exchange_end(&x);
}
END_TEST

/* Answers that must not be believed. */
static const struct {
	const char *what;
	struct answer answer;
	const char *message;
} refused_cases[] = {
	{ "wrong recipientNonce",
	  { .status = CA_SCEP_SUCCESS, .fail_info = -1, .wrong_nonce = true },
	  "the CA's answer is malformed: its recipientNonce is not the nonce "
	  "we sent" },
	{ "wrong transactionID",
	  { .status = CA_SCEP_SUCCESS, .fail_info = -1, .wrong_tid = true },
	  "the CA's answer is malformed: it answers another transaction" },
	{ "signed by another CA",
	  { .status = CA_SCEP_SUCCESS, .fail_info = -1,
	    .signer = SIGN_OTHER_CERT },
	  "the CA's answer is not signed by the CA's certificate" },
	{ "signed by another key under the CA's name and serial",
	  { .status = CA_SCEP_SUCCESS, .fail_info = -1,
	    .signer = SIGN_FORGED },
	  "the CA's answer is not signed by the CA's certificate" },
	{ "FAILURE signed by another CA",
	  { .status = CA_SCEP_FAILURE, .fail_info = 2,
	    .signer = SIGN_OTHER_CERT },
	  "the CA's answer is not signed by the CA's certificate" },
	{ "a PKCSReq, not a CertRep",
	  { .status = CA_SCEP_PENDING, .fail_info = -1, .type = "19" },
	  "the CA's answer is malformed: it is not a CertRep" },
	{ "messageType not a number",
	  { .status = CA_SCEP_PENDING, .fail_info = -1, .type = "3x" },
	  "the CA's answer is malformed: it is not a CertRep" },
	{ "unknown pkiStatus",
	  { .status = 7, .fail_info = -1 },
	  "the CA's answer is malformed: unknown pkiStatus 7" },
	{ "no pkiStatus",
	  { .status = -1, .fail_info = -1 },
	  "the CA's answer is malformed: it has no pkiStatus" },
};

START_TEST(test_certrep_refused)
{
	enum ca_scep_status status = CA_SCEP_SUCCESS;
	struct exchange x;
	char *pem = NULL;
	X509 *issued;

	exchange_start(&x, CA_SCEP_CAP_AES | CA_SCEP_CAP_SHA256);
	ck_assert_int_eq(exchange_answer(&x, &refused_cases[_i].answer,
					 &status, &pem, &issued), -1);
	ck_assert_ptr_null(pem);
	ck_assert_msg(strncmp(err_message(), refused_cases[_i].message,
			      strlen(refused_cases[_i].message)) == 0,
		      "%s: %s", refused_cases[_i].what, err_message());
	X509_free(issued);
	exchange_end(&x);
}
END_TEST

/* Bytes that are no CertRep at all. */
START_TEST(test_certrep_garbage)
{
	enum ca_scep_status status = CA_SCEP_SUCCESS;
	unsigned char *der, *bundle;
	size_t len, blen, pem_len = 1;
	struct exchange x;
	char *pem = NULL;

	exchange_start(&x, CA_SCEP_CAP_AES);
	der = der_of_cert(ca_cert, &len);
	bundle = bundle_of(&ca_cert, 1, &blen);
	err_clear();
	ck_assert_int_eq(ca_scep_msg_certrep(x.msg, &x.certs, der, len,
	    &status, &pem, &pem_len), -1);
	ck_assert_str_eq(err_message(), "the CA's answer is malformed: it is "
			 "not a PKCS#7 message");
	ck_assert_int_eq(ca_scep_msg_certrep(x.msg, &x.certs, der, 0,
	    &status, &pem, &pem_len), -1);
	ck_assert_str_eq(err_message(), "the CA's answer is malformed: it is "
			 "empty");
	/* Signed data without a signer. */
	ck_assert_int_eq(ca_scep_msg_certrep(x.msg, &x.certs, bundle, blen,
	    &status, &pem, &pem_len), -1);
	ck_assert_str_eq(err_message(), "the CA's answer is malformed: it does "
			 "not have exactly one signer");
	ck_assert_ptr_null(pem);
	ck_assert_uint_eq(pem_len, 0);
	OPENSSL_free(bundle);
	OPENSSL_free(der);
	exchange_end(&x);
}
END_TEST

/* ---- the backend behind ca.h ------------------------------------------ */

static const struct {
	const char *spec;
	const char *message;
} open_cases[] = {
	{ "scep:", "CA scep: no URL given (scep:https://HOST/PATH)" },
	{ "scep:ftp://ca.example.org/scep",
	  "CA scep:ftp://ca.example.org/scep: the URL must be http or https, "
	  "not ftp" },
	{ "scep:ca.example.org/scep", "CA scep:ca.example.org/scep: not a "
	  "usable URL: " },
	{ "scep:http://", "CA scep:http://: not a usable URL: " },
};

START_TEST(test_open_refused)
{
	struct ca_options opts = { 0 };
	struct ca *ca = (struct ca *)&opts;

	err_clear();
	ck_assert_int_eq(ca_open(open_cases[_i].spec, &opts, &ca), -1);
	ck_assert_ptr_null(ca);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_msg(strncmp(err_message(), open_cases[_i].message,
			      strlen(open_cases[_i].message)) == 0, "%s",
		      err_message());
}
END_TEST

/* The challenge is the caller's copy, never shown; a password in the URL
 * is left out of messages. */
START_TEST(test_open)
{
	char challenge[] = "s3cret";
	struct ca_options opts = { .challenge = challenge };
	struct ca *ca = NULL;

	ck_assert_msg(ca_open("scep:https://scep:pw@ca.example.org/scep/pkiclient.exe",
			      &opts, &ca) == 0, "%s", err_message());
	ck_assert_str_eq(ca_describe(ca),
			 "scep:https://scep@ca.example.org/scep/pkiclient.exe");
	ck_assert_ptr_ne(ca_request_challenge(ca), challenge);
	memset(challenge, 'x', sizeof(challenge) - 1);
	ck_assert_str_eq(ca_request_challenge(ca), "s3cret");
	ca_free(ca);

	opts.challenge = NULL;
	ck_assert_int_eq(ca_open("scep:http://127.0.0.1:8080/scep", &opts,
				 &ca), 0);
	ck_assert_ptr_null(ca_request_challenge(ca));
	ca_free(ca);
}
END_TEST

/* A port where nothing listens: the submission says so. */
START_TEST(test_unreachable)
{
	struct ca_options opts = { .timeout_seconds = 10 };
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	struct ca_reply reply = { (unsigned char *)"x", 1, NULL, 0 };
	char spec[128], prefix[256], *pem;
	struct ca *ca = NULL;
	X509_REQ *req;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
	close(fd);
	snprintf(spec, sizeof(spec), "scep:http://127.0.0.1:%u/scep",
		 (unsigned)ntohs(sa.sin_port));
	req = make_csr(SUBJECT, "s3cret");
	ck_assert_int_eq(csr_to_pem(req, &pem), 0);
	ck_assert_int_eq(ca_open(spec, &opts, &ca), 0);
	err_clear();
	ck_assert_int_eq(ca_submit(ca, pem, "tls-server", &reply), -1);
	ck_assert_ptr_null(reply.answer);
	ck_assert_uint_eq(reply.len, 0);
	snprintf(prefix, sizeof(prefix), "CA %s: the CA could not be reached: ",
		 spec);
	ck_assert_msg(strncmp(err_message(), prefix, strlen(prefix)) == 0,
		      "%s", err_message());
	ca_free(ca);
	free(pem);
	X509_REQ_free(req);
}
END_TEST

/* ---- over HTTP, with a CA served from a child process ----------------- */

/* What the served CA does: it lists no capabilities, so requests come by
 * GET with triple DES and SHA-1, and answers anything else with badAlg. */
enum serve_mode {
	SERVE_PENDING_ONCE,     /* PENDING to PKCSReq, SUCCESS to CertPoll */
	SERVE_PENDING_ALWAYS,
	SERVE_HTTP_500,         /* GetCACert fails */
};

static pid_t server_pid = -1;

static void
serve_reply(int c, int status, const char *type, const void *body,
	    size_t len)
{
	char head[256];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		     status, type, len);
	if (write(c, head, (size_t)n) != n ||
	    (len > 0 && write(c, body, len) != (ssize_t)len))
		_exit(3);
}

/* The pkiMessage in the query of a GET: URL-decoded, then base64. */
static unsigned char *
serve_message(const char *path, size_t *len)
{
	const char *p = strstr(path, "message=");
	char *b64, hex[3] = "";
	unsigned char *der;
	size_t n = 0;
	int dlen;

	if (p == NULL)
		_exit(4);
	p += strlen("message=");
	b64 = calloc(1, strlen(p) + 1);
	for (; *p != '\0' && *p != '&'; p++) {
		if (*p == '%' && p[1] != '\0' && p[2] != '\0') {
			memcpy(hex, p + 1, 2);
			b64[n++] = (char)strtol(hex, NULL, 16);
			p += 2;
		} else
			b64[n++] = *p;
	}
	der = malloc(n);
	dlen = EVP_DecodeBlock(der, (unsigned char *)b64, (int)n);
	if (dlen < 0)
		_exit(5);
	while (n > 0 && b64[n - 1] == '=') {
		n--;
		dlen--;
	}
	free(b64);
	*len = (size_t)dlen;
	return der;
}

static void
serve_pki_operation(int c, const char *path, enum serve_mode mode)
{
	struct answer a = { .status = CA_SCEP_PENDING, .fail_info = -1 };
	unsigned char *der, *reply;
	size_t len, rlen;
	struct seen s;
	X509 *issued = NULL;

	der = serve_message(path, &len);
	ca_read(der, len, &s);
	if (s.cipher_nid != NID_des_ede3_cbc || s.digest_nid != NID_sha1) {
		a.status = CA_SCEP_FAILURE;
		a.fail_info = 0;
	} else if (mode == SERVE_PENDING_ONCE && s.type == 20)
		a.status = CA_SCEP_SUCCESS;
	else if (s.type != 19 && s.type != 20) {
		a.status = CA_SCEP_FAILURE;
		a.fail_info = 1;
	}
	reply = ca_answer(&s, &a, &issued, &rlen);
	serve_reply(c, 200, "application/x-pki-message", reply, rlen);
	X509_free(issued);
	OPENSSL_free(reply);
	seen_clear(&s);
	free(der);
}

static void
serve(int fd, enum serve_mode mode)
{
	static char req[65536];
	unsigned char *cert;
	char *path, *end;
	size_t n, len;
	ssize_t r;
	int c, i;

	/* Forked before the client registered the SCEP OIDs. */
	for (i = 0; i < 6; i++) {
		char oid[32], sn[16];

		snprintf(oid, sizeof(oid), "2.16.840.1.113733.1.9.%d", i + 2);
		snprintf(sn, sizeof(sn), "test-scep-%d", i + 2);
		if (OBJ_txt2nid(oid) == NID_undef &&
		    OBJ_create(oid, sn, sn) == NID_undef)
			_exit(6);
	}
	for (;;) {
		if ((c = accept(fd, NULL, NULL)) < 0)
			_exit(2);
		n = 0;
		memset(req, 0, sizeof(req));
		while (strstr(req, "\r\n\r\n") == NULL && n < sizeof(req) - 1 &&
		       (r = read(c, req + n, sizeof(req) - 1 - n)) > 0)
			n += (size_t)r;
		if (strncmp(req, "GET /scep?", 10) != 0 ||
		    (end = strchr(req + 4, ' ')) == NULL) {
			serve_reply(c, 405, "text/plain", "GET only\n", 9);
			close(c);
			continue;
		}
		*end = '\0';
		path = req + 4;
		if (strstr(path, "operation=GetCACaps") != NULL)
			serve_reply(c, 200, "text/plain", "", 0);
		else if (strstr(path, "operation=GetCACert") != NULL &&
			 mode == SERVE_HTTP_500)
			serve_reply(c, 500, "text/plain",
				    "depot\x01 locked\nsecond line\n", 25);
		else if (strstr(path, "operation=GetCACert") != NULL) {
			cert = der_of_cert(ca_cert, &len);
			serve_reply(c, 200, "application/x-x509-ca-cert", cert,
				    len);
			OPENSSL_free(cert);
		} else if (strstr(path, "operation=PKIOperation") != NULL)
			serve_pki_operation(c, path, mode);
		else
			serve_reply(c, 404, "text/plain", "no\n", 3);
		close(c);
	}
}

/* Start the served CA; its "scep:URL" in SPEC. */
static void
server_start(enum serve_mode mode, char *spec, size_t size)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
	snprintf(spec, size, "scep:http://127.0.0.1:%u/scep",
		 (unsigned)ntohs(sa.sin_port));
	server_pid = fork();
	ck_assert_int_ge(server_pid, 0);
	if (server_pid == 0)
		serve(fd, mode);
	close(fd);
}

static void
server_stop(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
	}
	server_pid = -1;
}

/* Submit a request for req_key to the CA at SPEC; a PENDING CA is polled
 * every second rather than every CA_DEFAULT_RETRY seconds. */
static int
submit_to(const char *spec, int timeout, size_t max_answer, char **answer)
{
	struct ca_options opts = { .timeout_seconds = timeout,
				   .max_answer = max_answer,
				   .challenge = "s3cret",
				   .retry_seconds = 1 };
	struct ca_reply reply;
	struct ca *ca = NULL;
	X509_REQ *req;
	char *pem;
	int rc;

	req = make_csr(SUBJECT, "s3cret");
	ck_assert_int_eq(csr_to_pem(req, &pem), 0);
	ck_assert_int_eq(ca_open(spec, &opts, &ca), 0);
	err_clear();
	rc = ca_submit(ca, pem, "tls-server", &reply);
	*answer = (char *)reply.answer;
	if (rc == 0)
		ck_assert_uint_eq(reply.len, strlen(*answer));
	else
		ck_assert_ptr_null(*answer);
	ca_free(ca);
	free(pem);
	X509_REQ_free(req);
	return rc;
}

/* S seconds of wall-clock time, stretched by Check's CK_TIMEOUT_MULTIPLIER
 * on slow runs: under valgrind every RSA operation of the client and of the
 * forked server takes seconds, enough for a 3-second CA timeout to run
 * out before the first answer. */
static int
scaled_seconds(int s)
{
	const char *m = getenv("CK_TIMEOUT_MULTIPLIER");
	int k = m != NULL ? atoi(m) : 1;

	return k > 1 ? s * k : s;
}

/* GET with the message in the query, PENDING, a CertPoll, then the
 * certificate. */
START_TEST(test_http_pending_then_issued)
{
	char spec[128], *answer = NULL;
	X509 *cert;
	BIO *bio;

	server_start(SERVE_PENDING_ONCE, spec, sizeof(spec));
	ck_assert_msg(submit_to(spec, scaled_seconds(30), 0, &answer) == 0, "%s",
		      err_message());
	server_stop();
	bio = BIO_new_mem_buf(answer, -1);
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(cert);
	ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(cert), req_key), 1);
	X509_free(cert);
	BIO_free(bio);
	free(answer);
}
END_TEST

START_TEST(test_http_pending_timeout)
{
	char spec[128], prefix[256], *answer = NULL;
	time_t start = time(NULL);

	server_start(SERVE_PENDING_ALWAYS, spec, sizeof(spec));
	ck_assert_int_eq(submit_to(spec, scaled_seconds(3), 0, &answer), -1);
	server_stop();
	ck_assert_int_le(time(NULL) - start, scaled_seconds(5));
	snprintf(prefix, sizeof(prefix), "CA %s: the CA has not issued the "
		 "certificate yet (pending) after %d seconds; transactionID ",
		 spec, scaled_seconds(3));
	ck_assert_msg(strncmp(err_message(), prefix, strlen(prefix)) == 0,
		      "%s", err_message());
}
END_TEST

/* An HTTP error quotes the first line of the body, made printable. */
START_TEST(test_http_error_status)
{
	char spec[128], expect[256], *answer = NULL;

	server_start(SERVE_HTTP_500, spec, sizeof(spec));
	ck_assert_int_eq(submit_to(spec, scaled_seconds(10), 0, &answer), -1);
	server_stop();
	snprintf(expect, sizeof(expect), "CA %s: the CA answered HTTP 500 to "
		 "GetCACert: depot\\x01 locked", spec);
	ck_assert_str_eq(err_message(), expect);
}
END_TEST

START_TEST(test_http_answer_too_large)
{
	char spec[128], expect[256], *answer = NULL;

	server_start(SERVE_PENDING_ONCE, spec, sizeof(spec));
	ck_assert_int_eq(submit_to(spec, scaled_seconds(10), 64, &answer), -1);
	server_stop();
	snprintf(expect, sizeof(expect), "CA %s: the CA's answer to GetCACert "
		 "is larger than 64 bytes", spec);
	ck_assert_str_eq(err_message(), expect);
}
END_TEST

static Suite *
scep_suite(void)
{
	Suite *s = suite_create("scep");
	TCase *tc = tcase_create("scep");

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
	tcase_add_loop_test(tc, test_caps, 0,
	    sizeof(caps_cases) / sizeof(caps_cases[0]));
	tcase_add_test(tc, test_certs_single);
	tcase_add_test(tc, test_certs_ra);
	tcase_add_test(tc, test_certs_no_key_encipherment);
	tcase_add_test(tc, test_certs_garbage);
	tcase_add_loop_test(tc, test_pkcsreq, 0,
	    sizeof(pkcsreq_cases) / sizeof(pkcsreq_cases[0]));
	tcase_add_test(tc, test_nonce_fresh);
	tcase_add_test(tc, test_empty_subject);
	tcase_add_test(tc, test_recipient_not_rsa);
	tcase_add_loop_test(tc, test_certrep_success, 0,
	    sizeof(success_cases) / sizeof(success_cases[0]));
	tcase_add_loop_test(tc, test_certrep_failure, 0,
	    sizeof(failure_cases) / sizeof(failure_cases[0]));
	tcase_add_loop_test(tc, test_pending_then_poll, 0, 2);
	tcase_add_loop_test(tc, test_certrep_refused, 0,
	    sizeof(refused_cases) / sizeof(refused_cases[0]));
	tcase_add_test(tc, test_certrep_garbage);
	tcase_add_loop_test(tc, test_open_refused, 0,
	    sizeof(open_cases) / sizeof(open_cases[0]));
	tcase_add_test(tc, test_open);
	tcase_add_test(tc, test_unreachable);
	tcase_add_test(tc, test_http_pending_then_issued);
	tcase_add_test(tc, test_http_pending_timeout);
	tcase_add_test(tc, test_http_error_status);
	tcase_add_test(tc, test_http_answer_too_large);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(scep_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
