/* SPDX-License-Identifier: MIT */
/* keysupport.h - what a token can do with keys, read from its mechanism
 * list and mechanism information before anything is generated. */
#ifndef P11E_KEYSUPPORT_H
#define P11E_KEYSUPPORT_H

#include <stdbool.h>

#include <p11-kit/pkcs11.h>

#include "keyalg.h"
#include "keymech.h"

/* Each mask holds 1 << enum key_alg. */
struct key_support {
	bool known;             /* false: the module would not say */
	unsigned sign;          /* generate, and sign a request with */
	unsigned decrypt;       /* RSA decryption as well */
	unsigned derive;        /* ECDH as well */
	/* For the Ith mechanism of keymech.h's table, the capabilities
	 * (enum key_cap bits) the token offers it for; asked only for
	 * the key types keysupport_read() was asked about. */
	unsigned mech_caps[KEYMECH_COUNT];
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
 * token that can do S, limited to the mechanisms of NARROW (0: those of
 * the role); the error lists what it can do. */
int keysupport_check(const struct key_support *s, enum key_alg alg,
		     unsigned caps, keymech_set narrow);

/* The mechanisms a key of ALG with capabilities CAPS is allowed on a
 * token that can do S: the role's (keymech_for_role), within NARROW
 * unless it is 0, that the token offers for one of CAPS (all of them when
 * the module does not list its mechanisms). Every capability of CAPS
 * keeps at least one mechanism, else an error names the capability. */
int keysupport_mechs(const struct key_support *s, enum key_alg alg,
		     unsigned caps, keymech_set narrow, keymech_set *out);

/* The mechanism a key of ALG with capabilities CAPS, allowed ALLOWED,
 * also needs to sign its own request (keysign.h), or 0: CKM_ECDSA for
 * EC; for RSA CKM_SHA256_RSA_PKCS where the token signs with it (a TPM
 * signs PKCS#1 v1.5 natively only so), else CKM_RSA_PKCS, unless the key
 * signs and ALLOWED has either (keysign falls back on the raw one). */
keymech_set keysupport_request_mech(const struct key_support *s,
				    enum key_alg alg, unsigned caps,
				    keymech_set allowed);

#endif
