/* certstore.h - certificate objects on the token, and the inventory that
 * groups keys and certificates into roles by CKA_ID. */
#ifndef P11E_CERTSTORE_H
#define P11E_CERTSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/x509.h>
#include "token.h"

/* Write CERT as a public CKO_CERTIFICATE with CKA_ID, CKA_LABEL,
 * CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER and CKA_VALUE. */
int certstore_write(struct token *t, X509 *cert, const unsigned char *id,
		    size_t id_len, const char *label, CK_OBJECT_HANDLE *out);

/* Objects of CLASS whose CKA_LABEL is LABEL. */
int certstore_find_label(struct token *t, CK_OBJECT_CLASS cls,
			 const char *label, CK_OBJECT_HANDLE **out,
			 size_t *count);

/* Objects of CLASS whose CKA_ID is ID. */
int certstore_find_id(struct token *t, CK_OBJECT_CLASS cls,
		      const unsigned char *id, size_t id_len,
		      CK_OBJECT_HANDLE **out, size_t *count);

/* The certificate in a certificate object. */
int certstore_read_cert(struct token *t, CK_OBJECT_HANDLE h, X509 **out);

/* Store DATA (a request awaiting its certificate) as a public CKO_DATA
 * object of application "p11enroll" under LABEL. */
int certstore_write_data(struct token *t, const char *label,
			 const unsigned char *data, size_t len,
			 CK_OBJECT_HANDLE *out);

/* One CKA_ID's worth of objects. */
struct inventory_entry {
	unsigned char *id;
	size_t id_len;
	char *label;            /* of the private key, else of the certificate */
	bool has_private, has_public, has_cert;
	CK_OBJECT_HANDLE priv, pub, cert_handle;
	CK_KEY_TYPE key_type;
	unsigned long key_bits; /* RSA modulus or EC field size; 0 unknown */
	X509 *cert;             /* owned; NULL when none */
};

/* Every key and certificate on the token grouped by CKA_ID, in a stable
 * order (by label, then id). */
int certstore_inventory(struct token *t, struct inventory_entry **out,
			size_t *count);

/* Free an inventory. */
void certstore_inventory_free(struct inventory_entry *e, size_t count);

#endif
