/* SPDX-License-Identifier: MIT */
/* keyrights.c - a key's rights are what the token does, not what the
 * template asked for: some modules widen a template (tpm2-pkcs11 maps the
 * public half's CKA_VERIFY onto the TPM object's decrypt right) or accept
 * C_SetAttributeValue(CKA_SIGN, FALSE) and go on signing. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "err.h"
#include "keymech.h"
#include "keyrights.h"
#include "token-login.h"
#include "token-object.h"
#include "util.h"

/* The attributes read back, and the capability each grants (0: not a
 * capability, kept in its own field). */
static const struct keyrights_attr {
	CK_ATTRIBUTE_TYPE type;
	unsigned cap;
} keyrights_attrs[] = {
	{ CKA_SIGN, KEY_CAP_SIGN },
	{ CKA_DECRYPT, KEY_CAP_DECRYPT },
	{ CKA_UNWRAP, KEY_CAP_UNWRAP },
	{ CKA_DERIVE, KEY_CAP_DERIVE },
	{ CKA_SIGN_RECOVER, 0 },
	{ CKA_EXTRACTABLE, 0 },
	{ CKA_SENSITIVE, 0 },
	{ CKA_PRIVATE, 0 },
};

int
keyrights_read(struct token *t, CK_OBJECT_HANDLE priv, struct keyrights *out)
{
	CK_BBOOL v[NELEM(keyrights_attrs)];
	CK_ATTRIBUTE tmpl[NELEM(keyrights_attrs)];
	size_t i;
	CK_RV rv;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < NELEM(keyrights_attrs); i++) {
		v[i] = CK_FALSE;
		tmpl[i] = (CK_ATTRIBUTE){ keyrights_attrs[i].type, &v[i], sizeof(v[i]) };
	}
	rv = token_fn(t)->C_GetAttributeValue(token_session(t), token_handle(t, priv),
					      tmpl, NELEM(tmpl));
	/* These two answers still fill every attribute the module knows;
	 * the others are marked unavailable. */
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID &&
	    rv != CKR_ATTRIBUTE_SENSITIVE)
		return err_ckr(rv, "read the rights of key object %lu",
			       (unsigned long)priv);
	for (i = 0; i < NELEM(keyrights_attrs); i++) {
		bool set = tmpl[i].ulValueLen == sizeof(CK_BBOOL) && v[i] == CK_TRUE;

		if (keyrights_attrs[i].cap != 0 && set)
			out->caps |= keyrights_attrs[i].cap;
		else if (tmpl[i].type == CKA_SIGN_RECOVER)
			out->sign_recover = set;
		else if (tmpl[i].type == CKA_EXTRACTABLE)
			out->extractable = set;
		else if (tmpl[i].type == CKA_SENSITIVE)
			out->sensitive = set;
		else if (tmpl[i].type == CKA_PRIVATE)
			out->private_ = set;
	}
	return 0;
}

/* The names of the capabilities in CAPS, comma-separated, into BUF. */
static void
keyrights_cap_names(unsigned caps, char *buf, size_t size)
{
	const char *name;
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; (name = keyalg_cap_nth(caps, i)) != NULL && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i > 0 ? ", " : "", name);
}

int
keyrights_check(const struct keyrights *r, unsigned allowed)
{
	char extra[64];

	if (r->caps & ~allowed) {
		keyrights_cap_names(r->caps & ~allowed, extra, sizeof(extra));
		return err_set(ERR_FAILED, "the token gave the new key rights its "
			       "role does not have (%s)", extra);
	}
	if (r->sign_recover)
		return err_set(ERR_FAILED, "the token gave the new key the right "
			       "to sign with recovery, which no role has");
	if (r->extractable)
		return err_set(ERR_FAILED, "the token made the new key extractable");
	if (!r->sensitive || !r->private_)
		return err_set(ERR_FAILED, "the token did not make the new key %s",
			       !r->sensitive ? "sensitive" : "private");
	return 0;
}

/* Whether PRIV has a CKA_ALLOWED_MECHANISMS list without any mechanism
 * that signs: the token then refuses every signature. A mechanism the
 * table does not know counts as one that may sign. */
static int
keyrights_mechs_forbid_signing(struct token *t, CK_OBJECT_HANDLE priv, bool *forbid)
{
	unsigned char *v = NULL;
	size_t len = 0, i;
	CK_MECHANISM_TYPE m;
	keymech_set set;

	*forbid = false;
	if (token_get_attr(t, priv, CKA_ALLOWED_MECHANISMS, &v, &len) < 0)
		return -1;
	*forbid = len >= sizeof(m) && len % sizeof(m) == 0;
	for (i = 0; *forbid && i < len / sizeof(m); i++) {
		memcpy(&m, v + i * sizeof(m), sizeof(m));
		set = keymech_of(m);
		if (set == 0 || keymech_serving(set, KEY_CAP_SIGN) != 0)
			*forbid = false;
	}
	free(v);
	return 0;
}

int
keyrights_probe_sign(struct token *t, CK_OBJECT_HANDLE priv, CK_KEY_TYPE type,
		     bool *signs)
{
	CK_FUNCTION_LIST *fn = token_fn(t);
	CK_MECHANISM m = { type == CKK_EC ? CKM_ECDSA : CKM_RSA_PKCS, NULL, 0 };
	/* A SHA-256 digest's worth of bytes: a valid input for both. */
	unsigned char data[32] = { 0 }, sig[1024];
	CK_ULONG len = sizeof(sig);
	bool forbid = false;
	CK_RV rv;

	*signs = false;
	if (type != CKK_EC && type != CKK_RSA)
		return err_set(ERR_FAILED, "cannot check whether key object %lu "
			       "signs: key type 0x%lx is not supported",
			       (unsigned long)priv, (unsigned long)type);
	if (token_login_for_sign(t) < 0)
		return -1;
	rv = fn->C_SignInit(token_session(t), &m, token_handle(t, priv));
	if (rv == CKR_KEY_FUNCTION_NOT_PERMITTED || rv == CKR_KEY_TYPE_INCONSISTENT)
		return 0;
	/* Refused for the mechanism: by the key's list of mechanisms when it
	 * has no signing one. */
	if (rv == CKR_MECHANISM_INVALID &&
	    keyrights_mechs_forbid_signing(t, priv, &forbid) == 0 && forbid)
		return 0;
	if (rv != CKR_OK)
		return err_ckr(rv, "check whether key object %lu signs",
			       (unsigned long)priv);
	/* C_Sign ends the operation whatever it answers, except
	 * CKR_BUFFER_TOO_SMALL, which room for a 8192-bit signature rules
	 * out. A module may refuse only here; any other answer (a card that
	 * wants the PIN again for this key, say) still means it signs. */
	rv = fn->C_Sign(token_session(t), data, sizeof(data), sig, &len);
	OPENSSL_cleanse(sig, sizeof(sig));
	*signs = rv != CKR_KEY_FUNCTION_NOT_PERMITTED;
	return 0;
}
