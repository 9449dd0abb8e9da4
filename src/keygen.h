/* keygen.h - key pairs generated on the token, and signing with them. */
#ifndef P11E_KEYGEN_H
#define P11E_KEYGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/evp.h>
#include "token.h"

enum key_alg {
	KEY_EC_P256,
	KEY_EC_P384,
	KEY_RSA_2048,
	KEY_RSA_3072,
	KEY_RSA_4096,
};

/* What the private key may do on the token; everything else is off. */
enum key_cap {
	KEY_CAP_SIGN = 1 << 0,
	KEY_CAP_DECRYPT = 1 << 1,
	KEY_CAP_UNWRAP = 1 << 2,
	KEY_CAP_DERIVE = 1 << 3,
};

#define KEYGEN_ID_MAX 64

/* What a token can do with keys, from its mechanism list and mechanism
 * information: each mask holds 1 << enum key_alg. */
struct keygen_support {
	bool known;             /* false: the module would not say */
	unsigned sign;          /* generate, and sign a request with */
	unsigned decrypt;       /* RSA decryption as well */
	unsigned derive;        /* ECDH as well */
};

/* Room for every algorithm's name, comma-separated. */
#define KEYGEN_NAMES_MAX 64

struct keypair {
	CK_OBJECT_HANDLE pub;
	CK_OBJECT_HANDLE priv;
	enum key_alg alg;
	unsigned char id[KEYGEN_ID_MAX];
	size_t id_len;
};

/* "ec-p256" -> KEY_EC_P256; -1 with ERR_USAGE for unknown names. */
int keygen_alg_parse(const char *name, enum key_alg *out);

/* KEY_EC_P256 -> "ec-p256". */
const char *keygen_alg_name(enum key_alg alg);

/* Whether ALG is an EC algorithm. */
int keygen_alg_is_ec(enum key_alg alg);

/* Read what the token in SLOT can do. A module that does not list its
 * mechanisms gives known == false, which keygen_check_support() lets
 * through: the key generation itself then answers. */
int keygen_read_support(CK_FUNCTION_LIST *fn, CK_SLOT_ID slot,
			struct keygen_support *out);

/* Whether a key of ALG with capabilities CAPS can be made and used on a
 * token that can do S; the error lists what it can do. */
int keygen_check_support(const struct keygen_support *s, enum key_alg alg,
			 unsigned caps);

/* The algorithms in MASK joined by SEP ("ec-p256, rsa-2048"), or "none". */
void keygen_alg_names(unsigned mask, const char *sep, char *buf, size_t size);

/* Every algorithm in MASK, for iterating: the name of the Ith, or NULL. */
const char *keygen_alg_nth(unsigned mask, size_t i);

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
 * public key (keygen_id_of). */
int keygen_generate(struct token *t, enum key_alg alg, unsigned caps,
		    const char *label, const unsigned char *fixed_id,
		    size_t fixed_id_len, struct keypair *out);

/* Take away CKA_SIGN from a key whose role does not sign. */
int keygen_narrow(struct token *t, const struct keypair *kp, unsigned caps);

/* The public key of an on-token public key object, for OpenSSL. */
int keygen_public_key(struct token *t, CK_OBJECT_HANDLE pub, EVP_PKEY **out);

/* The CKA_ID convention: SHA-1 of the subjectPublicKey bits (as in the
 * X.509 subject key identifier). OUT has room for 20 bytes. */
int keygen_id_of(EVP_PKEY *key, unsigned char *out, size_t *len);

/* Give both halves of KP a new CKA_LABEL. */
int keygen_relabel(struct token *t, const struct keypair *kp, const char *label);

/* Destroy both halves of KP; keeps going after a failure, reports the first. */
int keygen_destroy(struct token *t, const struct keypair *kp);

/* Sign DIGEST (made with MD) with the private key of KP: a DER
 * ECDSA-Sig-Value for EC (CKM_ECDSA), a PKCS#1 v1.5 signature over the
 * DigestInfo for RSA (CKM_RSA_PKCS). Free *SIG with OPENSSL_free(). */
int keygen_sign_digest(struct token *t, const struct keypair *kp,
		       const EVP_MD *md, const unsigned char *digest,
		       size_t dlen, unsigned char **sig, size_t *siglen);

#endif
