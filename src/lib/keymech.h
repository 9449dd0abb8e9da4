/* SPDX-License-Identifier: MIT */
/* keymech.h - the mechanisms a role's private key may be limited to
 * (CKA_ALLOWED_MECHANISMS), in one table: their names as PKCS#11 spells
 * them, the key type each is for and the capabilities each serves. A set
 * of them is a bit mask over the table. No token here: profiles and
 * policy use it without the token layer. */
#ifndef P11E_KEYMECH_H
#define P11E_KEYMECH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>

/* A set of the table's mechanisms: bit I is the table's Ith entry. */
typedef uint32_t keymech_set;

/* One mechanism of the table. */
struct keymech_info {
	CK_MECHANISM_TYPE mech;
	const char *name;       /* "CKM_ECDSA" */
	bool ec;                /* for EC keys, else RSA */
	unsigned caps;          /* enum key_cap bits it serves */
};

/* The Ith mechanism of the table, or NULL past its end. */
const struct keymech_info *keymech_at(size_t i);

/* The set of MECH, or 0 when the table lacks it. */
keymech_set keymech_of(CK_MECHANISM_TYPE mech);

/* The set of the mechanism named NAME ("CKM_ECDSA"); -1 with ERR_USAGE
 * for a name the table lacks. */
int keymech_parse(const char *name, keymech_set *out);

/* The name of MECH, or NULL when the table lacks it. */
const char *keymech_name(CK_MECHANISM_TYPE mech);

/* Every mechanism a key of type EC (else RSA) with the capabilities CAPS
 * (enum key_cap bits) may be allowed: ECDSA raw and hashed, RSA PKCS#1
 * v1.5 and PSS raw and hashed, RSA OAEP and PKCS#1 v1.5 decryption,
 * ECDH. */
keymech_set keymech_for_role(bool ec, unsigned caps);

/* The mechanisms of SET that serve capability CAP. */
keymech_set keymech_serving(keymech_set set, unsigned cap);

/* The first capability of CAPS (enum key_cap bits) that no mechanism of
 * SET serves, unwrapping counting as decryption (they use the same
 * mechanisms): its bit, with in *DOING its verb ("sign", "decrypt",
 * "agree keys"); 0 when each has one. */
unsigned keymech_unserved(keymech_set set, unsigned caps, const char **doing);

/* The mechanism a key of type EC signs its own request with first
 * (keysign.h): CKM_ECDSA, or CKM_SHA256_RSA_PKCS. */
keymech_set keymech_request(bool ec);

/* SET's mechanisms as a CK_MECHANISM_TYPE array, into OUT (room for
 * every entry of the table); returns how many. */
size_t keymech_list(keymech_set set, CK_MECHANISM_TYPE *out);

/* Room for every name of the table, joined. */
#define KEYMECH_NAMES_MAX 512

/* The names of SET's mechanisms joined by SEP, or "none". */
void keymech_names(keymech_set set, const char *sep, char *buf, size_t size);

/* How many mechanisms the table has. */
#define KEYMECH_COUNT 15

#endif
