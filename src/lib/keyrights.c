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

/* The mechanisms the probe tries on PRIV of TYPE, into OUT (room for
 * KEYMECH_COUNT + 1): the signing ones of its CKA_ALLOWED_MECHANISMS
 * (*LISTED of them), then the raw one of its type when it has no list or
 * one that holds a mechanism the table does not know. */
static int
keyrights_probe_mechs(struct token *t, CK_OBJECT_HANDLE priv, CK_KEY_TYPE type,
		      CK_MECHANISM_TYPE *out, size_t *n, size_t *listed)
{
	CK_MECHANISM_TYPE raw = type == CKK_EC ? CKM_ECDSA : CKM_RSA_PKCS, m;
	unsigned char *v = NULL;
	size_t len = 0, i;
	keymech_set set = 0, one;
	bool unknown = false;

	*n = *listed = 0;
	if (token_get_attr(t, priv, CKA_ALLOWED_MECHANISMS, &v, &len) < 0)
		return -1;
	if (len < sizeof(m) || len % sizeof(m) != 0)
		unknown = true;
	for (i = 0; !unknown && i < len / sizeof(m); i++) {
		memcpy(&m, v + i * sizeof(m), sizeof(m));
		if ((one = keymech_of(m)) == 0)
			unknown = true;
		set |= keymech_serving(one, KEY_CAP_SIGN);
	}
	free(v);
	*n = *listed = keymech_list(set, out);
	if (unknown && !(set & keymech_of(raw)))
		out[(*n)++] = raw;
	return 0;
}

/* Whether MECH is a PSS mechanism, and the parameters it is probed with:
 * the mechanism's own hash, SHA-256 for raw PSS over a digest's worth of
 * input. */
static bool
keyrights_pss_params(CK_MECHANISM_TYPE mech, CK_RSA_PKCS_PSS_PARAMS *pss)
{
	static const struct {
		CK_MECHANISM_TYPE mech, hash;
		CK_RSA_PKCS_MGF_TYPE mgf;
		CK_ULONG len;
	} table[] = {
		{ CKM_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256, 32 },
		{ CKM_SHA256_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256, 32 },
		{ CKM_SHA384_RSA_PKCS_PSS, CKM_SHA384, CKG_MGF1_SHA384, 48 },
		{ CKM_SHA512_RSA_PKCS_PSS, CKM_SHA512, CKG_MGF1_SHA512, 64 },
	};
	size_t i;

	for (i = 0; i < NELEM(table); i++) {
		if (table[i].mech == mech) {
			*pss = (CK_RSA_PKCS_PSS_PARAMS){ table[i].hash, table[i].mgf,
							 table[i].len };
			return true;
		}
	}
	return false;
}

/* What one probe found. */
enum keyrights_answer {
	KEYRIGHTS_SIGNS,
	KEYRIGHTS_KEY_REFUSED,          /* the key does not sign at all */
	KEYRIGHTS_MECH_REFUSED,         /* not with this mechanism */
};

/* One signature over zeros with MECH, answered in *A. The key refuses
 * with CKR_KEY_FUNCTION_NOT_PERMITTED (or its type with
 * CKR_KEY_TYPE_INCONSISTENT); where LISTED (a mechanism of the key's own
 * list) the token may refuse the mechanism or its parameters for it. */
static int
keyrights_probe_one(struct token *t, CK_OBJECT_HANDLE priv, CK_MECHANISM_TYPE mech,
		    bool listed, enum keyrights_answer *a)
{
	CK_FUNCTION_LIST *fn = token_fn(t);
	CK_RSA_PKCS_PSS_PARAMS pss;
	CK_MECHANISM m = { mech, NULL, 0 };
	/* A SHA-256 digest's worth of bytes: a valid input for all. */
	unsigned char data[32] = { 0 }, sig[1024];
	CK_ULONG len = sizeof(sig);
	CK_RV rv;

	*a = KEYRIGHTS_KEY_REFUSED;
	if (keyrights_pss_params(mech, &pss)) {
		m.pParameter = &pss;
		m.ulParameterLen = sizeof(pss);
	}
	rv = fn->C_SignInit(token_session(t), &m, token_handle(t, priv));
	if (rv == CKR_KEY_FUNCTION_NOT_PERMITTED || rv == CKR_KEY_TYPE_INCONSISTENT)
		return 0;
	if (listed && (rv == CKR_MECHANISM_INVALID || rv == CKR_MECHANISM_PARAM_INVALID)) {
		*a = KEYRIGHTS_MECH_REFUSED;
		return 0;
	}
	if (rv != CKR_OK)
		return err_ckr(rv, "check whether key object %lu signs",
			       (unsigned long)priv);
	/* C_Sign ends the operation whatever it answers, except
	 * CKR_BUFFER_TOO_SMALL, which room for a 8192-bit signature rules
	 * out. A module may refuse only here; any other answer (a card that
	 * wants the PIN again for this key, say) still means it signs. */
	rv = fn->C_Sign(token_session(t), data, sizeof(data), sig, &len);
	OPENSSL_cleanse(sig, sizeof(sig));
	if (rv != CKR_KEY_FUNCTION_NOT_PERMITTED)
		*a = KEYRIGHTS_SIGNS;
	return 0;
}

int
keyrights_probe_sign(struct token *t, CK_OBJECT_HANDLE priv, CK_KEY_TYPE type,
		     bool *signs)
{
	enum keyrights_answer a = KEYRIGHTS_MECH_REFUSED;
	CK_MECHANISM_TYPE mechs[KEYMECH_COUNT + 1];
	size_t n = 0, listed = 0, i;

	*signs = false;
	if (type != CKK_EC && type != CKK_RSA)
		return err_set(ERR_FAILED, "cannot check whether key object %lu "
			       "signs: key type 0x%lx is not supported",
			       (unsigned long)priv, (unsigned long)type);
	if (token_login_for_sign(t) < 0 ||
	    keyrights_probe_mechs(t, priv, type, mechs, &n, &listed) < 0)
		return -1;
	for (i = 0; i < n && a == KEYRIGHTS_MECH_REFUSED; i++)
		if (keyrights_probe_one(t, priv, mechs[i], i < listed, &a) < 0)
			return -1;
	*signs = a == KEYRIGHTS_SIGNS;
	return 0;
}
