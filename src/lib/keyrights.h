/* SPDX-License-Identifier: MIT */
/* keyrights.h - what a private key on the token may really do: its
 * rights read back and checked against its role, and a probe of the one
 * right p11enroll takes away, for modules that accept the change and
 * ignore it. */
#ifndef P11E_KEYRIGHTS_H
#define P11E_KEYRIGHTS_H

#include <stdbool.h>

#include "keyalg.h"
#include "token.h"

/* The private key's attributes that give or guard rights. A right the
 * module does not report counts as not granted; SENSITIVE and PRIVATE
 * must be reported TRUE. */
struct keyrights {
	unsigned caps;          /* enum key_cap bits: sign, decrypt, ... */
	bool sign_recover;
	bool extractable;
	bool sensitive;
	bool private_;
};

/* Read the rights of the private key PRIV in one call. */
int keyrights_read(struct token *t, CK_OBJECT_HANDLE priv,
		   struct keyrights *out);

/* Whether R stays within ALLOWED (enum key_cap bits) and is sensitive,
 * private, never extractable and cannot sign with recovery; the error
 * names every right too many. */
int keyrights_check(const struct keyrights *r, unsigned allowed);

/* Whether the private key PRIV, of TYPE (CKK_EC or CKK_RSA), really
 * signs: C_SignInit, then C_Sign over a digest's worth of zeros, with
 * each signing mechanism of its CKA_ALLOWED_MECHANISMS, or without a list
 * with the type's raw signing mechanism. *SIGNS false when the module
 * refuses each with CKR_KEY_FUNCTION_NOT_PERMITTED (or the key type with
 * CKR_KEY_TYPE_INCONSISTENT), or refuses a mechanism of the key's list
 * for it (CKR_MECHANISM_INVALID: tpm2-pkcs11 signs PKCS#1 v1.5 only with
 * raw RSA, which such a list leaves out). Works in a read-only session;
 * an operation it starts is finished, so that the session stays usable. */
int keyrights_probe_sign(struct token *t, CK_OBJECT_HANDLE priv,
			 CK_KEY_TYPE type, bool *signs);

#endif
