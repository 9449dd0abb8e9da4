/* SPDX-License-Identifier: MIT */
/* ca-scep-msg.c - the messages of SCEP (RFC 8894), built and read with
 * OpenSSL's PKCS#7 API. */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ca-scep-msg.h"
#include "err.h"
#include "util.h"

#define CA_SCEP_NONCE_LEN 16
#define CA_SCEP_TRANSIENT_BITS 2048
/* The transient certificate outlives any wait for the CA. */
#define CA_SCEP_TRANSIENT_DAYS 30

enum ca_scep_message_type {
	CA_SCEP_CERTREP = 3,
	CA_SCEP_PKCSREQ = 19,
	CA_SCEP_CERTPOLL = 20,
};

/* ---- object identifiers -------------------------------------------- */

enum ca_scep_attr {
	CA_SCEP_MESSAGE_TYPE,
	CA_SCEP_PKI_STATUS,
	CA_SCEP_FAIL_INFO,
	CA_SCEP_SENDER_NONCE,
	CA_SCEP_RECIPIENT_NONCE,
	CA_SCEP_TRANSACTION_ID,
	CA_SCEP_NATTRS,
};

static const struct {
	const char *oid, *sn, *ln;
} ca_scep_msg_oids[CA_SCEP_NATTRS] = {
	[CA_SCEP_MESSAGE_TYPE] = { "2.16.840.1.113733.1.9.2",
		"scep-messageType", "SCEP messageType" },
	[CA_SCEP_PKI_STATUS] = { "2.16.840.1.113733.1.9.3",
		"scep-pkiStatus", "SCEP pkiStatus" },
	[CA_SCEP_FAIL_INFO] = { "2.16.840.1.113733.1.9.4",
		"scep-failInfo", "SCEP failInfo" },
	[CA_SCEP_SENDER_NONCE] = { "2.16.840.1.113733.1.9.5",
		"scep-senderNonce", "SCEP senderNonce" },
	[CA_SCEP_RECIPIENT_NONCE] = { "2.16.840.1.113733.1.9.6",
		"scep-recipientNonce", "SCEP recipientNonce" },
	[CA_SCEP_TRANSACTION_ID] = { "2.16.840.1.113733.1.9.7",
		"scep-transactionID", "SCEP transactionID" },
};

/* Set once for the process: OpenSSL's object table is shared by every
 * thread, and an OID must be created only once. */
static int ca_scep_msg_nid[CA_SCEP_NATTRS];
static int ca_scep_msg_nids_ok;
static CRYPTO_ONCE ca_scep_msg_once = CRYPTO_ONCE_STATIC_INIT;

static void
ca_scep_msg_nids_init(void)
{
	int i, nid;

	for (i = 0; i < CA_SCEP_NATTRS; i++) {
		nid = OBJ_txt2nid(ca_scep_msg_oids[i].oid);
		if (nid == NID_undef)
			nid = OBJ_create(ca_scep_msg_oids[i].oid,
					 ca_scep_msg_oids[i].sn,
					 ca_scep_msg_oids[i].ln);
		if (nid == NID_undef)
			return;
		ca_scep_msg_nid[i] = nid;
	}
	ca_scep_msg_nids_ok = 1;
}

static int
ca_scep_msg_nids(void)
{
	if (!CRYPTO_THREAD_run_once(&ca_scep_msg_once, ca_scep_msg_nids_init) ||
	    !ca_scep_msg_nids_ok) {
		ERR_clear_error();
		return err_set(ERR_FAILED,
			       "cannot register the SCEP object identifiers");
	}
	return 0;
}

/* ---- one enrolment --------------------------------------------------- */

struct ca_scep_msg {
	X509_REQ *csr;
	EVP_PKEY *key;          /* transient: signs requests, decrypts */
	X509 *cert;             /* self-signed for KEY */
	const EVP_MD *md;
	const EVP_CIPHER *cipher;
	char *transaction_id;
	unsigned char nonce[CA_SCEP_NONCE_LEN]; /* of the last message */
	bool built;
};

/* IssuerAndSubject (RFC 8894 3.3.3), the content of a CertPoll. */
typedef struct {
	X509_NAME *issuer;
	X509_NAME *subject;
} CA_SCEP_ISSUER_AND_SUBJECT;

ASN1_SEQUENCE(CA_SCEP_ISSUER_AND_SUBJECT) = {
	ASN1_SIMPLE(CA_SCEP_ISSUER_AND_SUBJECT, issuer, X509_NAME),
	ASN1_SIMPLE(CA_SCEP_ISSUER_AND_SUBJECT, subject, X509_NAME),
} static_ASN1_SEQUENCE_END(CA_SCEP_ISSUER_AND_SUBJECT)

void
ca_scep_msg_free(struct ca_scep_msg *msg)
{
	if (msg == NULL)
		return;
	X509_REQ_free(msg->csr);
	EVP_PKEY_free(msg->key);
	X509_free(msg->cert);
	free(msg->transaction_id);
	free(msg);
}

const char *
ca_scep_msg_transaction_id(const struct ca_scep_msg *msg)
{
	return msg->transaction_id;
}

/* Hex SHA-256 of the request's SubjectPublicKeyInfo: the same request
 * gets the same transactionID however often it is sent (RFC 8894 3.2.1.1). */
static int
ca_scep_msg_make_id(struct ca_scep_msg *msg)
{
	unsigned char digest[EVP_MAX_MD_SIZE], *spki = NULL;
	unsigned int dlen = 0;
	int spki_len, rc = -1;

	if ((spki_len = i2d_PUBKEY(X509_REQ_get0_pubkey(msg->csr),
				   &spki)) <= 0 ||
	    !EVP_Digest(spki, (size_t)spki_len, digest, &dlen, EVP_sha256(),
			NULL)) {
		err_openssl(ERR_FAILED, "no public key",
			"cannot digest the request's public key");
		goto out;
	}
	if ((msg->transaction_id = util_hex(digest, dlen)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_free(spki);
	return rc;
}

/* The transient key and its self-signed certificate, named like the
 * request (RFC 8894 2.3); a request without a subject lends its
 * transactionID, since a certificate cannot have an empty issuer. */
static int
ca_scep_msg_transient(struct ca_scep_msg *msg)
{
	X509_NAME *name = NULL;
	BIGNUM *serial = NULL;
	X509 *cert = NULL;
	int rc = -1;

	if ((msg->key = EVP_RSA_gen(CA_SCEP_TRANSIENT_BITS)) == NULL)
		goto fail;
	if (X509_NAME_entry_count(X509_REQ_get_subject_name(msg->csr)) > 0)
		name = X509_NAME_dup(X509_REQ_get_subject_name(msg->csr));
	else if ((name = X509_NAME_new()) != NULL &&
		 !X509_NAME_add_entry_by_NID(name, NID_commonName,
		     MBSTRING_ASC, (unsigned char *)msg->transaction_id, -1,
		     -1, 0)) {
		X509_NAME_free(name);
		name = NULL;
	}
	if (name == NULL)
		goto fail;
	if ((cert = X509_new()) == NULL || (serial = BN_new()) == NULL ||
	    !BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) == NULL ||
	    !X509_set_version(cert, X509_VERSION_3) ||
	    !X509_set_subject_name(cert, name) ||
	    !X509_set_issuer_name(cert, name) ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(cert),
			    86400L * CA_SCEP_TRANSIENT_DAYS) == NULL ||
	    !X509_set_pubkey(cert, msg->key) ||
	    X509_sign(cert, msg->key, EVP_sha256()) <= 0)
		goto fail;
	msg->cert = cert;
	cert = NULL;
	rc = 0;
	goto out;
fail:
	err_openssl(ERR_FAILED, "out of memory",
		"cannot make the transient SCEP signing key");
out:
	BN_free(serial);
	X509_free(cert);
	X509_NAME_free(name);
	return rc;
}

int
ca_scep_msg_new(const X509_REQ *csr, unsigned caps, struct ca_scep_msg **out)
{
	struct ca_scep_msg *msg = NULL;
	int rc = -1;

	*out = NULL;
	if (ca_scep_msg_nids() < 0)
		goto out;
	if ((msg = calloc(1, sizeof(*msg))) == NULL ||
	    (msg->csr = X509_REQ_dup(csr)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (caps & CA_SCEP_CAP_SHA256)
		msg->md = EVP_sha256();
	else if (caps & CA_SCEP_CAP_SHA512)
		msg->md = EVP_sha512();
	else
		msg->md = EVP_sha1();   /* what every SCEP CA reads */
	msg->cipher = (caps & CA_SCEP_CAP_AES) ? EVP_aes_128_cbc() :
	    EVP_des_ede3_cbc();
	if (ca_scep_msg_make_id(msg) < 0 || ca_scep_msg_transient(msg) < 0)
		goto out;
	*out = msg;
	msg = NULL;
	rc = 0;
out:
	ca_scep_msg_free(msg);
	return rc;
}

/* ---- building a pkiMessage ------------------------------------------- */

/* Add attribute ATTR of TYPE holding LEN bytes of DATA to SI. */
static int
ca_scep_msg_add_attr(PKCS7_SIGNER_INFO *si, enum ca_scep_attr attr, int type,
		     const void *data, size_t len)
{
	ASN1_STRING *value = NULL;
	int rc = -1;

	if (len > INT_MAX || (value = ASN1_STRING_type_new(type)) == NULL ||
	    !ASN1_STRING_set(value, data, (int)len) ||
	    !PKCS7_add_signed_attribute(si, ca_scep_msg_nid[attr], type,
					value))
		goto out;
	value = NULL;   /* the attribute has it now */
	rc = 0;
out:
	ASN1_STRING_free(value);
	return rc;
}

/* CONTENT encrypted to the CA's recipient certificate. */
static int
ca_scep_msg_envelope(const struct ca_scep_msg *msg,
		     const struct ca_scep_certs *certs,
		     const unsigned char *content, size_t content_len,
		     unsigned char **der, int *der_len)
{
	STACK_OF(X509) *to = NULL;
	PKCS7 *env = NULL;
	BIO *in = NULL;
	int rc = -1;

	*der = NULL;
	*der_len = 0;
	if (!EVP_PKEY_is_a(X509_get0_pubkey(certs->recipient), "RSA")) {
		err_set(ERR_FAILED, "the CA's certificate has a key of type "
			"%s, which SCEP cannot encrypt to (it needs RSA)",
			EVP_PKEY_get0_type_name(
			    X509_get0_pubkey(certs->recipient)));
		goto out;
	}
	if ((to = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(to, certs->recipient) ||
	    (in = BIO_new_mem_buf(content, (int)content_len)) == NULL ||
	    (env = PKCS7_encrypt(to, in, msg->cipher, PKCS7_BINARY)) == NULL ||
	    (*der_len = i2d_PKCS7(env, der)) <= 0) {
		err_openssl(ERR_FAILED, "out of memory",
			"cannot encrypt the request to the CA");
		*der_len = 0;
		goto out;
	}
	rc = 0;
out:
	sk_X509_free(to);
	PKCS7_free(env);
	BIO_free(in);
	return rc;
}

/* A pkiMessage of TYPE: CONTENT enveloped for CERTS, signed by the
 * transient key, with a fresh senderNonce. */
static int
ca_scep_msg_build(struct ca_scep_msg *msg, const struct ca_scep_certs *certs,
		  enum ca_scep_message_type type, const unsigned char *content,
		  size_t content_len, unsigned char **der, size_t *len)
{
	PKCS7_SIGNER_INFO *si;
	unsigned char *env = NULL, *out = NULL;
	char type_text[8];
	PKCS7 *p7 = NULL;
	BIO *data = NULL;
	int env_len = 0, out_len, rc = -1;

	*der = NULL;
	*len = 0;
	if (content_len > INT_MAX) {
		err_set(ERR_FAILED, "the request is too large for SCEP");
		goto out;
	}
	if (ca_scep_msg_envelope(msg, certs, content, content_len, &env,
				 &env_len) < 0)
		goto out;
	if (RAND_bytes(msg->nonce, sizeof(msg->nonce)) != 1)
		goto fail;
	snprintf(type_text, sizeof(type_text), "%d", (int)type);
	if ((p7 = PKCS7_sign(NULL, NULL, NULL, NULL,
			     PKCS7_PARTIAL | PKCS7_BINARY)) == NULL ||
	    (si = PKCS7_sign_add_signer(p7, msg->cert, msg->key, msg->md,
					PKCS7_BINARY |
					PKCS7_NOSMIMECAP)) == NULL ||
	    ca_scep_msg_add_attr(si, CA_SCEP_TRANSACTION_ID,
				 V_ASN1_PRINTABLESTRING, msg->transaction_id,
				 strlen(msg->transaction_id)) < 0 ||
	    ca_scep_msg_add_attr(si, CA_SCEP_MESSAGE_TYPE,
				 V_ASN1_PRINTABLESTRING, type_text,
				 strlen(type_text)) < 0 ||
	    ca_scep_msg_add_attr(si, CA_SCEP_SENDER_NONCE,
				 V_ASN1_OCTET_STRING, msg->nonce,
				 sizeof(msg->nonce)) < 0 ||
	    (data = BIO_new_mem_buf(env, env_len)) == NULL ||
	    !PKCS7_final(p7, data, PKCS7_BINARY) ||
	    (out_len = i2d_PKCS7(p7, &out)) <= 0)
		goto fail;
	msg->built = true;
	*der = out;
	*len = (size_t)out_len;
	out = NULL;
	rc = 0;
	goto out;
fail:
	err_openssl(ERR_FAILED, "out of memory",
		"cannot sign the SCEP message");
out:
	OPENSSL_free(out);
	OPENSSL_free(env);
	BIO_free(data);
	PKCS7_free(p7);
	return rc;
}

int
ca_scep_msg_pkcsreq(struct ca_scep_msg *msg, const struct ca_scep_certs *certs,
		    unsigned char **der, size_t *len)
{
	unsigned char *csr = NULL;
	int csr_len, rc = -1;

	*der = NULL;
	*len = 0;
	if ((csr_len = i2d_X509_REQ(msg->csr, &csr)) <= 0) {
		err_openssl(ERR_FAILED, "out of memory",
			"cannot encode the request");
		goto out;
	}
	rc = ca_scep_msg_build(msg, certs, CA_SCEP_PKCSREQ, csr,
			       (size_t)csr_len, der, len);
out:
	OPENSSL_free(csr);
	return rc;
}

int
ca_scep_msg_certpoll(struct ca_scep_msg *msg,
		     const struct ca_scep_certs *certs,
		     unsigned char **der, size_t *len)
{
	CA_SCEP_ISSUER_AND_SUBJECT *ias = NULL;
	unsigned char *content = NULL;
	int content_len, rc = -1;

	*der = NULL;
	*len = 0;
	if ((ias = (CA_SCEP_ISSUER_AND_SUBJECT *)ASN1_item_new(
		 ASN1_ITEM_rptr(CA_SCEP_ISSUER_AND_SUBJECT))) == NULL ||
	    !X509_NAME_set(&ias->issuer, X509_get_subject_name(certs->ca)) ||
	    !X509_NAME_set(&ias->subject,
			   X509_REQ_get_subject_name(msg->csr)) ||
	    (content_len = ASN1_item_i2d((ASN1_VALUE *)ias, &content,
		 ASN1_ITEM_rptr(CA_SCEP_ISSUER_AND_SUBJECT))) <= 0) {
		err_openssl(ERR_FAILED, "out of memory",
			"cannot encode the CertPoll");
		goto out;
	}
	rc = ca_scep_msg_build(msg, certs, CA_SCEP_CERTPOLL, content,
			       (size_t)content_len, der, len);
out:
	OPENSSL_free(content);
	ASN1_item_free((ASN1_VALUE *)ias,
		       ASN1_ITEM_rptr(CA_SCEP_ISSUER_AND_SUBJECT));
	return rc;
}

/* ---- reading a CertRep ----------------------------------------------- */

/* failInfo values (RFC 8894 3.2.1.4) as sentences. */
static const struct {
	int code;
	const char *name;
	const char *sentence;
} ca_scep_msg_fail_infos[] = {
	{ 0, "badAlg", "the CA does not accept the algorithm" },
	{ 1, "badMessageCheck", "the CA could not verify the message" },
	{ 2, "badRequest", "the CA refused the request (often a wrong "
	  "challenge password)" },
	{ 3, "badTime", "the CA found the message's time wrong" },
	{ 4, "badCertId", "the CA does not know the certificate asked for" },
};

static int
ca_scep_msg_malformed(const char *why)
{
	return err_set(ERR_FAILED, "the CA's answer is malformed: %s", why);
}

/* The signed attribute ATTR of SI as a string of one of the types SCEP
 * uses; NULL when absent or of another type. */
static const ASN1_STRING *
ca_scep_msg_attr(PKCS7_SIGNER_INFO *si, enum ca_scep_attr attr, int type)
{
	ASN1_TYPE *value;

	value = PKCS7_get_signed_attribute(si, ca_scep_msg_nid[attr]);
	if (value == NULL || value->type != type)
		return NULL;
	return value->value.asn1_string;
}

/* A small decimal number in a PrintableString attribute; -1 when absent
 * or not a number. */
static int
ca_scep_msg_attr_number(PKCS7_SIGNER_INFO *si, enum ca_scep_attr attr)
{
	const ASN1_STRING *s;
	const unsigned char *d;
	int i, n = 0;

	s = ca_scep_msg_attr(si, attr, V_ASN1_PRINTABLESTRING);
	if (s == NULL || ASN1_STRING_length(s) < 1 ||
	    ASN1_STRING_length(s) > 3)
		return -1;
	d = ASN1_STRING_get0_data(s);
	for (i = 0; i < ASN1_STRING_length(s); i++) {
		if (d[i] < '0' || d[i] > '9')
			return -1;
		n = n * 10 + (d[i] - '0');
	}
	return n;
}

static bool
ca_scep_msg_attr_is(PKCS7_SIGNER_INFO *si, enum ca_scep_attr attr, int type,
		    const void *want, size_t want_len)
{
	const ASN1_STRING *s = ca_scep_msg_attr(si, attr, type);

	return s != NULL && (size_t)ASN1_STRING_length(s) == want_len &&
	    memcmp(ASN1_STRING_get0_data(s), want, want_len) == 0;
}

/* Verify ANSWER's signature against the CA's certificates (never the ones
 * it carries itself) and return its content and signer info. */
static int
ca_scep_msg_verify(const struct ca_scep_certs *certs, PKCS7 *answer,
		   BIO *content, PKCS7_SIGNER_INFO **si)
{
	STACK_OF(PKCS7_SIGNER_INFO) *infos;
	BIO *detached = NULL;
	int rc = -1;

	*si = NULL;
	if (!PKCS7_type_is_signed(answer) || answer->d.sign == NULL ||
	    answer->d.sign->contents == NULL) {
		ca_scep_msg_malformed("it is not a PKCS#7 SignedData");
		goto out;
	}
	infos = PKCS7_get_signer_info(answer);
	if (infos == NULL || sk_PKCS7_SIGNER_INFO_num(infos) != 1) {
		ca_scep_msg_malformed("it does not have exactly one signer");
		goto out;
	}
	/* FAILURE and PENDING may come with no content at all. */
	if (PKCS7_get_detached(answer) &&
	    (detached = BIO_new_mem_buf("", 0)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (PKCS7_verify(answer, certs->all, NULL, detached, content,
			 PKCS7_NOINTERN | PKCS7_NOVERIFY |
			 PKCS7_BINARY) != 1) {
		err_openssl(ERR_FAILED, "no signer", "the CA's answer is not "
			"signed by the CA's certificate");
		goto out;
	}
	*si = sk_PKCS7_SIGNER_INFO_value(infos, 0);
	rc = 0;
out:
	BIO_free(detached);
	return rc;
}

static int
ca_scep_msg_failure(PKCS7_SIGNER_INFO *si)
{
	int code;
	size_t i;

	code = ca_scep_msg_attr_number(si, CA_SCEP_FAIL_INFO);
	for (i = 0; i < sizeof(ca_scep_msg_fail_infos) /
		 sizeof(ca_scep_msg_fail_infos[0]); i++) {
		if (ca_scep_msg_fail_infos[i].code == code)
			return err_set(ERR_FAILED, "the CA rejected the "
				       "request: %s: %s",
				       ca_scep_msg_fail_infos[i].name,
				       ca_scep_msg_fail_infos[i].sentence);
	}
	if (code < 0)
		return err_set(ERR_FAILED, "the CA rejected the request "
			       "(no reason given)");
	return err_set(ERR_FAILED, "the CA rejected the request: failInfo "
		       "%d", code);
}

/* PEM of the certificates in CERTS, the one for PUB first. */
static int
ca_scep_msg_pem(STACK_OF(X509) *certs, EVP_PKEY *pub, char **pem,
		size_t *pem_len)
{
	BIO *bio = NULL;
	char *text = NULL, *data;
	long len;
	int pass, i, rc = -1;
	X509 *cert;

	*pem = NULL;
	*pem_len = 0;
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		goto nomem;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < sk_X509_num(certs); i++) {
			cert = sk_X509_value(certs, i);
			if ((EVP_PKEY_eq(X509_get0_pubkey(cert), pub) == 1) !=
			    (pass == 0))
				continue;
			if (!PEM_write_bio_X509(bio, cert))
				goto nomem;
		}
	}
	ERR_clear_error();
	if ((len = BIO_get_mem_data(bio, &data)) <= 0 ||
	    (text = malloc((size_t)len + 1)) == NULL)
		goto nomem;
	memcpy(text, data, (size_t)len);
	text[len] = '\0';
	*pem = text;
	*pem_len = (size_t)len;
	text = NULL;
	rc = 0;
	goto out;
nomem:
	err_openssl(ERR_FAILED, "out of memory",
		"cannot write the issued certificates");
out:
	free(text);
	BIO_free(bio);
	return rc;
}

/* Answers are decrypted in a library context of their own: some CAs
 * (micromdm's scepserver among them) encrypt them with single DES, which
 * OpenSSL 3 keeps in its legacy provider, and the process's own context
 * should not offer such algorithms to anything else. */
static OSSL_LIB_CTX *ca_scep_msg_answer_ctx;
static CRYPTO_ONCE ca_scep_msg_answer_once = CRYPTO_ONCE_STATIC_INIT;

static void
ca_scep_msg_answer_ctx_init(void)
{
	OSSL_LIB_CTX *ctx;

	if ((ctx = OSSL_LIB_CTX_new()) == NULL)
		return;
	if (OSSL_PROVIDER_load(ctx, "default") == NULL) {
		OSSL_LIB_CTX_free(ctx);
		return;
	}
	/* Optional: without it, only single-DES answers fail. */
	(void)OSSL_PROVIDER_load(ctx, "legacy");
	ERR_clear_error();
	ca_scep_msg_answer_ctx = ctx;
}

/* The name of ENV's content-encryption algorithm, for messages. */
static const char *
ca_scep_msg_cipher_name(const PKCS7 *env)
{
	const PKCS7_ENC_CONTENT *enc = env->d.enveloped->enc_data;
	const char *name = NULL;

	if (enc != NULL && enc->algorithm != NULL)
		name = OBJ_nid2sn(OBJ_obj2nid(enc->algorithm->algorithm));
	return name != NULL ? name : "an unknown cipher";
}

/* SUCCESS: CONTENT is an EnvelopedData for the transient key holding a
 * degenerate PKCS#7 with the issued certificate. */
static int
ca_scep_msg_issued(const struct ca_scep_msg *msg, BIO *content, char **pem,
		   size_t *pem_len)
{
	PKCS7 *env = NULL, *bundle = NULL;
	BIO *plain = NULL;
	const unsigned char *p;
	unsigned char *data;
	long len;
	int rc = -1;

	if ((len = BIO_get_mem_data(content, &data)) <= 0) {
		ca_scep_msg_malformed("SUCCESS without a certificate");
		goto out;
	}
	if (!CRYPTO_THREAD_run_once(&ca_scep_msg_answer_once,
				    ca_scep_msg_answer_ctx_init) ||
	    ca_scep_msg_answer_ctx == NULL ||
	    (env = PKCS7_new_ex(ca_scep_msg_answer_ctx, NULL)) == NULL) {
		err_openssl(ERR_FAILED, "out of memory",
			"cannot prepare to decrypt the CA's answer");
		goto out;
	}
	p = data;
	/* Read into ENV so that it keeps its library context. */
	if (d2i_PKCS7(&env, &p, len) == NULL ||
	    !PKCS7_type_is_enveloped(env) || env->d.enveloped == NULL) {
		ERR_clear_error();
		ca_scep_msg_malformed("its content is not a PKCS#7 "
				      "EnvelopedData");
		goto out;
	}
	if ((plain = BIO_new(BIO_s_mem())) == NULL ||
	    PKCS7_decrypt(env, msg->key, msg->cert, plain, PKCS7_BINARY) != 1) {
		err_openssl(ERR_FAILED, "out of memory",
			"the CA's answer (%s) cannot be decrypted "
			"with the key the request was signed with",
			ca_scep_msg_cipher_name(env));
		goto out;
	}
	if ((len = BIO_get_mem_data(plain, &data)) <= 0 ||
	    (p = data, bundle = d2i_PKCS7(NULL, &p, len)) == NULL ||
	    !PKCS7_type_is_signed(bundle) || bundle->d.sign == NULL ||
	    sk_X509_num(bundle->d.sign->cert) < 1) {
		ERR_clear_error();
		ca_scep_msg_malformed("the decrypted content holds no "
				      "certificate");
		goto out;
	}
	rc = ca_scep_msg_pem(bundle->d.sign->cert,
			     X509_REQ_get0_pubkey(msg->csr), pem, pem_len);
out:
	PKCS7_free(bundle);
	BIO_free(plain);
	PKCS7_free(env);
	return rc;
}

/* The attributes that tie SI to our last message. */
static int
ca_scep_msg_check_reply(const struct ca_scep_msg *msg, PKCS7_SIGNER_INFO *si)
{
	if (ca_scep_msg_attr_number(si, CA_SCEP_MESSAGE_TYPE) !=
	    CA_SCEP_CERTREP)
		return ca_scep_msg_malformed("it is not a CertRep");
	if (!ca_scep_msg_attr_is(si, CA_SCEP_TRANSACTION_ID,
				 V_ASN1_PRINTABLESTRING, msg->transaction_id,
				 strlen(msg->transaction_id)))
		return ca_scep_msg_malformed("it answers another transaction");
	/* A replayed answer to an earlier message has another nonce. */
	if (!ca_scep_msg_attr_is(si, CA_SCEP_RECIPIENT_NONCE,
				 V_ASN1_OCTET_STRING, msg->nonce,
				 sizeof(msg->nonce)))
		return ca_scep_msg_malformed("its recipientNonce is not the "
					     "nonce we sent");
	return 0;
}

int
ca_scep_msg_certrep(struct ca_scep_msg *msg, const struct ca_scep_certs *certs,
		    const unsigned char *der, size_t len,
		    enum ca_scep_status *status, char **pem, size_t *pem_len)
{
	PKCS7_SIGNER_INFO *si = NULL;
	const unsigned char *p = der;
	PKCS7 *answer = NULL;
	BIO *content = NULL;
	int st, rc = -1;

	*status = CA_SCEP_FAILURE;
	*pem = NULL;
	*pem_len = 0;
	if (!msg->built) {
		err_set(ERR_FAILED, "no SCEP message was sent to answer");
		goto out;
	}
	if (len == 0 || len > LONG_MAX ||
	    (answer = d2i_PKCS7(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		ERR_clear_error();
		ca_scep_msg_malformed(len == 0 ? "it is empty" :
				      "it is not a PKCS#7 message");
		goto out;
	}
	if ((content = BIO_new(BIO_s_mem())) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (ca_scep_msg_verify(certs, answer, content, &si) < 0 ||
	    ca_scep_msg_check_reply(msg, si) < 0)
		goto out;
	switch ((st = ca_scep_msg_attr_number(si, CA_SCEP_PKI_STATUS))) {
	case CA_SCEP_SUCCESS:
		if (ca_scep_msg_issued(msg, content, pem, pem_len) < 0)
			goto out;
		break;
	case CA_SCEP_PENDING:
		break;
	case CA_SCEP_FAILURE:
		ca_scep_msg_failure(si);
		goto out;
	default:
		if (st < 0)
			ca_scep_msg_malformed("it has no pkiStatus");
		else
			err_set(ERR_FAILED, "the CA's answer is malformed: "
				"unknown pkiStatus %d", st);
		goto out;
	}
	*status = (enum ca_scep_status)st;
	rc = 0;
out:
	BIO_free(content);
	PKCS7_free(answer);
	return rc;
}
