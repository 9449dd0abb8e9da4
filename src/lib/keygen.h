/* SPDX-License-Identifier: MIT */
/* keygen.h - key pairs generated on the token. */
#ifndef P11E_KEYGEN_H
#define P11E_KEYGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/evp.h>
#include "keyalg.h"
#include "token.h"

struct keypair {
	CK_OBJECT_HANDLE pub;
	CK_OBJECT_HANDLE priv;
	enum key_alg alg;
	unsigned char id[KEY_ID_MAX];
	size_t id_len;
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

/* Generate a key pair of ALG on the token under LABEL: private, sensitive,
 * never extractable, with the capabilities CAPS and nothing more, except
 * that every key may sign until keygen_narrow(), so that it can sign its
 * own request. CKA_ID becomes FIXED_ID when given, else the SHA-1 of the
 * public key (keygen_id_of). A module that refuses the template is asked
 * once more without the public half's rights; either way the private
 * half's rights are read back, and a pair that may do more than CAPS
 * (and signing) is destroyed. */
int keygen_generate(struct token *t, enum key_alg alg, unsigned caps,
		    const char *label, const unsigned char *fixed_id,
		    size_t fixed_id_len, struct keypair *out);

/* Take away CKA_SIGN from a key whose role does not sign, then prove it:
 * the right reads back gone and the key refuses C_SignInit. A module
 * that accepts the change and goes on signing is an error, unless
 * ALLOW_UNNARROWED (the profile's waiver): then 0 with *UNNARROWED set. */
int keygen_narrow(struct token *t, const struct keypair *kp, unsigned caps,
		  bool allow_unnarrowed, bool *unnarrowed);

/* The public key of an on-token public key object, for OpenSSL. */
int keygen_public_key(struct token *t, CK_OBJECT_HANDLE pub, EVP_PKEY **out);

/* The CKA_ID convention: SHA-1 of the subjectPublicKey bits (as in the
 * X.509 subject key identifier). OUT has room for 20 bytes. */
int keygen_id_of(EVP_PKEY *key, unsigned char *out, size_t *len);

/* Give both halves of KP a new CKA_LABEL. */
int keygen_relabel(struct token *t, const struct keypair *kp, const char *label);

/* Destroy both halves of KP; keeps going after a failure, reports the first. */
int keygen_destroy(struct token *t, const struct keypair *kp);

#endif
