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
 * signs: C_SignInit with the type's raw signing mechanism, then C_Sign
 * over a digest's worth of zeros. *SIGNS false when the module refuses
 * either with CKR_KEY_FUNCTION_NOT_PERMITTED (or the key type with
 * CKR_KEY_TYPE_INCONSISTENT), or the mechanism with CKR_MECHANISM_INVALID
 * on a key whose CKA_ALLOWED_MECHANISMS has no signing mechanism. Works in a read-only session; an operation
 * it starts is finished, so that the session stays usable. */
int keyrights_probe_sign(struct token *t, CK_OBJECT_HANDLE priv,
			 CK_KEY_TYPE type, bool *signs);

#endif
