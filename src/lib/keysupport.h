/* SPDX-License-Identifier: MIT */
/* keysupport.h - what a token can do with keys, read from its mechanism
 * list and mechanism information before anything is generated. */
#ifndef P11E_KEYSUPPORT_H
#define P11E_KEYSUPPORT_H

#include <stdbool.h>

#include <p11-kit/pkcs11.h>

#include "keyalg.h"

/* Each mask holds 1 << enum key_alg. */
struct key_support {
	bool known;             /* false: the module would not say */
	unsigned sign;          /* generate, and sign a request with */
	unsigned decrypt;       /* RSA decryption as well */
	unsigned derive;        /* ECDH as well */
};

/* Every algorithm, for keysupport_read(). */
#define KEYSUPPORT_ALL_ALGS (~0u)

/* Read what the token in SLOT can do with the algorithms in ALGS (1 <<
 * enum key_alg each): the mechanisms of other key types are not asked
 * about. A module that does not list its mechanisms gives known ==
 * false, which keysupport_check() lets through: the key generation
 * itself then answers. */
int keysupport_read(CK_FUNCTION_LIST *fn, CK_SLOT_ID slot, unsigned algs,
		    struct key_support *out);

/* Whether a key of ALG with capabilities CAPS can be made and used on a
 * token that can do S; the error lists what it can do. */
int keysupport_check(const struct key_support *s, enum key_alg alg,
		     unsigned caps);

#endif
