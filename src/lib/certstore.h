/* SPDX-License-Identifier: MIT */
/* certstore.h - certificate objects on the token, and the inventory that
 * groups keys and certificates into roles by CKA_ID. */
#ifndef P11E_CERTSTORE_H
#define P11E_CERTSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/x509.h>
#include "keygen.h"
#include "token.h"

/* CKA_CERTIFICATE_CATEGORY values (PKCS#11 2.40). */
#define CERTSTORE_CATEGORY_OWN 1        /* token user: a role's */
#define CERTSTORE_CATEGORY_AUTHORITY 2  /* a CA's */

/* Write CERT as a public CKO_CERTIFICATE with CKA_ID, CKA_LABEL,
 * CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER, CKA_VALUE and
 * CKA_CERTIFICATE_CATEGORY 1 (token user; left out where the module
 * refuses the attribute). */
int certstore_write(struct token *t, X509 *cert, const unsigned char *id,
		    size_t id_len, const char *label, CK_OBJECT_HANDLE *out);

/* The same for a CA's certificate: CKA_CERTIFICATE_CATEGORY 2. */
int certstore_write_authority(struct token *t, X509 *cert,
			      const unsigned char *id, size_t id_len,
			      const char *label, CK_OBJECT_HANDLE *out);

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

/* What a data object of ours holds beside a key awaiting its
 * certificate, told apart by CKA_APPLICATION. */
enum certstore_data {
	CERTSTORE_REQUEST,      /* the request, DER ("p11enroll") */
	CERTSTORE_CA_TICKET,    /* the CA that asked to wait and its cookie
				 * ("p11enroll ca-ticket") */
	CERTSTORE_RECORD,       /* an enrolled role's record, JSON
				 * ("p11enroll record", rolerecord.h) */
};

/* What a data object of KIND is called in messages: "request", ... */
const char *certstore_data_name(enum certstore_data kind);

/* Store DATA as a public CKO_DATA object of KIND under LABEL, or a
 * private one where the token refuses public ones (tpm2-pkcs11). A
 * record is stored private first, public where the token refuses
 * private data objects. */
int certstore_write_data(struct token *t, const char *label,
			 enum certstore_data kind, const unsigned char *data,
			 size_t len, CK_OBJECT_HANDLE *out);

/* Whether RV, the answer of C_CreateObject to a data object, refuses the
 * object itself (its class or visibility) rather than failing the call:
 * after certstore_write_data() it means that the token keeps no data
 * objects at all. */
bool certstore_data_refused(CK_RV rv);

/* Data objects of KIND labelled LABEL. */
int certstore_find_data(struct token *t, const char *label,
			enum certstore_data kind, CK_OBJECT_HANDLE **out,
			size_t *count);

/* An ASN1_TIME as "YYYY-MM-DDTHH:MM:SSZ" into BUF ("unknown" when it
 * cannot be read). */
void certstore_time_string(const ASN1_TIME *t, char *buf, size_t size);

/* SHA-256 fingerprint and serial of CERT in hex; callers free both,
 * either may be NULL when out of memory. */
void certstore_cert_ids(X509 *cert, char **sha256, char **serial);

/* CERT as PEM text; caller frees; NULL when out of memory. */
char *certstore_cert_pem(X509 *cert);

/* A certificate object of an inventory group. */
struct inventory_cert {
	CK_OBJECT_HANDLE handle;
	char *label;            /* owned; NULL when it has none */
	X509 *cert;             /* owned */
};

/* A private key of a group beyond its first: reported, never skipped. */
struct inventory_key {
	CK_OBJECT_HANDLE handle;
	char *label;            /* owned; NULL when it has none */
	unsigned key_caps;      /* as inventory_entry's */
	bool sign_recover, extractable, sensitive, private_;
};

/* An object of a group that could not be read, or a certificate object
 * whose value does not parse: a finding, not the end of the inventory. */
struct inventory_bad {
	CK_OBJECT_HANDLE handle;
	CK_OBJECT_CLASS cls;
	char *label;            /* owned; NULL when it has none */
	char *why;              /* owned */
};

/* One CKA_ID's worth of objects. */
struct inventory_entry {
	unsigned char *id;
	size_t id_len;
	bool pending;           /* the objects' labels start with pending: */
	char *label;            /* the private key's, else the public key's,
				 * else the first certificate's (borrowed) */
	bool has_private, has_public;
	CK_OBJECT_HANDLE priv, pub;
	char *priv_label, *pub_label;   /* owned */
	CK_KEY_TYPE key_type;
	unsigned long key_bits; /* RSA modulus or EC field size; 0 unknown */
	unsigned key_caps;      /* KEY_CAP_* the private key has; sign-recover
				 * counts as sign */
	bool sign_recover;      /* of those, CKA_SIGN_RECOVER */
	bool extractable, sensitive, private_;  /* the private key's */
	CK_MECHANISM_TYPE *mechs;       /* owned: the private key's
					 * CKA_ALLOWED_MECHANISMS; NULL when
					 * it has none (no restriction) */
	size_t nmechs;
	EVP_PKEY *key;          /* owned: the public key, from the public key
				 * object, else from the first certificate */
	struct inventory_cert *certs;   /* owned */
	size_t ncerts, certs_cap;
	struct inventory_key *more_keys;        /* owned: private keys beyond
						 * the first (priv) */
	size_t nmore_keys, more_keys_cap;
	struct inventory_bad *bad;      /* owned */
	size_t nbad, bad_cap;
};

/* Every key and certificate on the token grouped by CKA_ID (objects
 * labelled pending: apart from the others), in a stable order (by label,
 * then id). Each object is read in one call where its attributes fit;
 * one that cannot be read or parsed goes to its group's bad objects (to
 * the group of the empty id when even its id cannot be read). Fails only
 * when the token cannot be searched, memory runs out or a signal was
 * caught (interrupt_check()). */
int certstore_inventory(struct token *t, struct inventory_entry **out,
			size_t *count);

/* Free an inventory. */
void certstore_inventory_free(struct inventory_entry *e, size_t count);

#endif
