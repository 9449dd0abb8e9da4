/* SPDX-License-Identifier: MIT */
/* ca-scep-msg.h - the messages of SCEP (RFC 8894) for scep:URL, built
 * and read without a network, and the CA's answers about itself.
 *
 * A request is a pkiMessage: SignedData over EnvelopedData. The inner
 * content is encrypted to the CA (or its RA) and the whole is signed by a
 * transient RSA key with a self-signed certificate, made for this one
 * enrolment: the key on the token only ever signs the PKCS#10 request,
 * so it never needs the right to decrypt the CA's answer.
 */
#ifndef P11E_CA_SCEP_MSG_H
#define P11E_CA_SCEP_MSG_H

#include <stddef.h>
#include <openssl/x509.h>

/* What a GetCACaps answer may announce: bits of an unsigned. */
enum {
	CA_SCEP_CAP_POST = 1 << 0,      /* POSTPKIOperation */
	CA_SCEP_CAP_SHA1 = 1 << 1,
	CA_SCEP_CAP_SHA256 = 1 << 2,
	CA_SCEP_CAP_SHA512 = 1 << 3,
	CA_SCEP_CAP_AES = 1 << 4,
	CA_SCEP_CAP_DES3 = 1 << 5,
	CA_SCEP_CAP_RENEWAL = 1 << 6,
	CA_SCEP_CAP_NEXT_CA = 1 << 7,   /* GetNextCACert */
	CA_SCEP_CAP_STANDARD = 1 << 8,  /* SCEPStandard */
};

/* pkiStatus of a CertRep. */
enum ca_scep_status {
	CA_SCEP_SUCCESS = 0,
	CA_SCEP_FAILURE = 2,
	CA_SCEP_PENDING = 3,
};

/* What the CA says about itself (ca-scep.c). */

/* The capabilities named in a GetCACaps answer of LEN bytes: one per
 * line, case ignored, unknown ones skipped. SCEPStandard adds the ones
 * RFC 8894 says it implies (AES, POSTPKIOperation, SHA-256). */
unsigned ca_scep_caps_parse(const char *text, size_t len);

/* The certificates of a GetCACert answer. */
struct ca_scep_certs {
	STACK_OF(X509) *all;    /* owned: every certificate of the answer */
	X509 *ca;               /* in ALL: the CA that issues */
	X509 *recipient;        /* in ALL: what requests are encrypted to */
};

/* Read a GetCACert answer: one DER certificate, or a degenerate PKCS#7
 * with the CA and RA certificates. With several, the recipient is the
 * one with keyEncipherment (RFC 8894 3.5.1), the CA the certificate
 * authority that issued it. */
int ca_scep_certs_parse(const unsigned char *data, size_t len,
			struct ca_scep_certs *out);

/* Free what CERTS owns and zero it; NULL is fine. */
void ca_scep_certs_clear(struct ca_scep_certs *certs);

/* The pkiMessages of one enrolment (ca-scep-msg.c). */

/* One enrolment: the request, the transient key and certificate, the
 * transactionID and the senderNonce of the last message built. */
struct ca_scep_msg;

/* Start an enrolment for CSR (copied) with what CAPS allows: SHA-256
 * (else SHA-512, else SHA-1) and AES-128-CBC (else DES3). */
int ca_scep_msg_new(const X509_REQ *csr, unsigned caps,
		    struct ca_scep_msg **out);

/* NULL is fine. */
void ca_scep_msg_free(struct ca_scep_msg *msg);

/* The PKCSReq pkiMessage (DER) carrying the request to CERTS. */
int ca_scep_msg_pkcsreq(struct ca_scep_msg *msg,
			const struct ca_scep_certs *certs,
			unsigned char **der, size_t *len);

/* The CertPoll pkiMessage (DER) asking after the same request. */
int ca_scep_msg_certpoll(struct ca_scep_msg *msg,
			 const struct ca_scep_certs *certs,
			 unsigned char **der, size_t *len);

/* Read the CertRep answering the last message MSG built: signed by a
 * certificate of CERTS, same transactionID, recipientNonce equal to our
 * senderNonce. SUCCESS: *PEM holds the issued certificates (the one for
 * the request's key first), NUL-terminated. PENDING: 0 and no PEM.
 * FAILURE: -1 with "the CA rejected the request: ..." recorded. */
int ca_scep_msg_certrep(struct ca_scep_msg *msg,
			const struct ca_scep_certs *certs,
			const unsigned char *der, size_t len,
			enum ca_scep_status *status, char **pem,
			size_t *pem_len);

/* The transactionID of MSG: hex SHA-256 of the request's public key. */
const char *ca_scep_msg_transaction_id(const struct ca_scep_msg *msg);

#endif
