/* SPDX-License-Identifier: MIT */
/* keygen.h - key pairs generated on the token. */
#ifndef P11E_KEYGEN_H
#define P11E_KEYGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "keyalg.h"
#include "keymech.h"
#include "token.h"

struct keypair {
	CK_OBJECT_HANDLE pub;
	CK_OBJECT_HANDLE priv;
	enum key_alg alg;
	unsigned char id[KEY_ID_MAX];
	size_t id_len;
	keymech_set mechs;      /* CKA_ALLOWED_MECHANISMS as generated, or 0 */
};

/* What keygen_generate() makes. */
struct keygen_spec {
	enum key_alg alg;
	unsigned caps;                  /* enum key_cap bits */
	const char *label;
	const unsigned char *fixed_id;  /* CKA_ID, or NULL for keygen_id_of */
	size_t fixed_id_len;
	const X509_NAME *subject;       /* CKA_SUBJECT of both halves, or NULL */
	keymech_set mechs;              /* CKA_ALLOWED_MECHANISMS of the
					 * private half until keygen_narrow(),
					 * or 0 */
};

/* Told when a key generation starts and ends: a card takes seconds for an
 * RSA key, and the command may show that it is working. The core never
 * prints; with no hook set nothing is told. */
struct keygen_progress {
	void (*begin)(void *ctx, const char *what);
	void (*end)(void *ctx);
	void *ctx;
};

/* Set the hook (NULL: none) for the key generations that follow. */
void keygen_set_progress(const struct keygen_progress *p);

/* Generate a key pair of S->alg on the token under S->label: private,
 * sensitive, never extractable, with the capabilities S->caps and nothing
 * more, except that every key may sign until keygen_narrow(), so that it
 * can sign its own request. CKA_ID becomes S->fixed_id when given, else
 * the SHA-1 of the public key (keygen_id_of). A module that refuses the
 * template is asked again without the public half's rights, then without
 * CKA_SUBJECT and CKA_ALLOWED_MECHANISMS, which are then set after (a
 * module that refuses them too leaves them out); either way the private
 * half's rights are read back, and a pair that may do more than S->caps
 * (and signing) is destroyed. CKA_PUBLIC_KEY_INFO is set on both halves
 * where the module takes it. The public key, as read from the token, goes
 * to *PUB unless PUB is NULL. */
int keygen_generate(struct token *t, const struct keygen_spec *s,
		    struct keypair *out, EVP_PKEY **pub);

/* Limit CKA_ALLOWED_MECHANISMS to MECHS where the key was generated with
 * more (the mechanism that signed its request); a module that fixes the
 * attribute at generation (SoftHSM) keeps the longer list. Then, for a
 * key whose role does not sign, take away CKA_SIGN and prove it: the
 * right reads back gone and the key refuses to sign with each mechanism
 * of its list (keyrights_probe_sign). A module that accepts the change
 * and goes on signing is an error, unless ALLOW_UNNARROWED (the profile's
 * waiver): then 0 with *UNNARROWED set. */
int keygen_narrow(struct token *t, const struct keypair *kp, unsigned caps,
		  keymech_set mechs, bool allow_unnarrowed, bool *unnarrowed);

/* The DER of NAME in *DER and *LEN (free with OPENSSL_free()) when the
 * public half of KP does not carry it as its CKA_SUBJECT; NULL when it
 * does, or when NAME cannot be encoded. */
void keygen_subject_change(struct token *t, const struct keypair *kp,
			   const X509_NAME *name, unsigned char **der, size_t *len);

/* The public key of an on-token public key object, for OpenSSL. */
int keygen_public_key(struct token *t, CK_OBJECT_HANDLE pub, EVP_PKEY **out);

/* The CKA_ID convention: SHA-1 of the subjectPublicKey bits (as in the
 * X.509 subject key identifier). OUT has room for 20 bytes. */
int keygen_id_of(EVP_PKEY *key, unsigned char *out, size_t *len);

/* Give both halves of KP a new CKA_LABEL. */
int keygen_relabel(struct token *t, const struct keypair *kp, const char *label);

/* The same, and with SUBJECT (DER, may be NULL) CKA_SUBJECT in the same
 * write where the module takes both: one file rewrite in SoftHSM
 * instead of two. The subject is not needed: a half that refuses the two
 * (CKR_ATTRIBUTE_READ_ONLY and the like) is given the label alone, as is
 * the half after it. */
int keygen_relabel_subject(struct token *t, const struct keypair *kp, const char *label,
			   const unsigned char *subject, size_t subject_len);

/* Destroy both halves of KP; keeps going after a failure, reports the first. */
int keygen_destroy(struct token *t, const struct keypair *kp);

#endif
