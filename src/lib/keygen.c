/* SPDX-License-Identifier: MIT */
/* keygen.c - key pairs generated on the token: generation, narrowing,
 * labels, and the public half for OpenSSL. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "ckr.h"
#include "err.h"
#include "keygen.h"
#include "keyrights.h"
#include "token-login.h"
#include "util.h"

/* DER of the named curve's OID, as CKA_EC_PARAMS wants it. */
static int
keygen_ec_params(int nid, unsigned char **der, int *len)
{
	*der = NULL;
	*len = i2d_ASN1_OBJECT(OBJ_nid2obj(nid), der);
	if (*len <= 0)
		return err_set(ERR_FAILED, "cannot encode curve %s", OBJ_nid2sn(nid));
	return 0;
}

int
keygen_id_of(EVP_PKEY *key, unsigned char *out, size_t *len)
{
	const unsigned char *bits = NULL;
	X509_PUBKEY *xpk = NULL;
	int bits_len = 0, rc = -1;
	unsigned int dlen = 0;

	*len = 0;
	if (!X509_PUBKEY_set(&xpk, key) ||
	    !X509_PUBKEY_get0_param(NULL, &bits, &bits_len, NULL, xpk) ||
	    !EVP_Digest(bits, (size_t)bits_len, out, &dlen, EVP_sha1(), NULL)) {
		err_set(ERR_FAILED, "cannot compute the key identifier");
		goto out;
	}
	*len = dlen;
	rc = 0;
out:
	X509_PUBKEY_free(xpk);
	return rc;
}

/* Whether a write answered RV refuses what it was to write (and the same
 * write without an attribute it need not make may be taken), rather than
 * failing on the token or session. */
static bool
keygen_attr_refused(CK_RV rv)
{
	return rv == CKR_ATTRIBUTE_READ_ONLY || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
	       rv == CKR_ATTRIBUTE_VALUE_INVALID || rv == CKR_TEMPLATE_INCONSISTENT ||
	       rv == CKR_ACTION_PROHIBITED;
}

/* Write A[0] on object H and, with BOTH, A[1] in the same
 * C_SetAttributeValue: one file rewrite in SoftHSM instead of two. A
 * module that refuses the two as attributes (keygen_attr_refused()) is
 * asked for A[0] alone, which decides: its error is the last one; any
 * other failure of the two is the answer. *TOOK: A[1] was written. */
static int
keygen_write_with(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE a[2], bool both,
		  bool *took)
{
	*took = both && token_set_attrs(t, h, a, 2) == 0;
	if (*took)
		return 0;
	if (both && !keygen_attr_refused(err_last_ckr()))
		return -1;
	return token_set_attrs(t, h, a, 1);
}

/* The module (function list) and token make (manufacturer and model)
 * whose public or private half refused CKA_PUBLIC_KEY_INFO with its
 * CKA_ID: later pairs of such tokens are not asked again, and a batch
 * makes one refused write, not one per role. */
static struct {
	const CK_FUNCTION_LIST *fn;
	char make[sizeof(((struct token_info *)0)->raw.manufacturer) +
		  sizeof(((struct token_info *)0)->raw.model)];
} keygen_spki_refused[2];

/* T's make, as keygen_spki_refused keeps it. */
static void
keygen_make_of(struct token *t, char *make, size_t size)
{
	const struct token_info *info = token_get_info(t);

	snprintf(make, size, "%s/%s", info->raw.manufacturer, info->raw.model);
}

/* Whether half I of T's pairs is known to refuse CKA_PUBLIC_KEY_INFO. */
static bool
keygen_spki_refuses(struct token *t, size_t i)
{
	char make[sizeof(keygen_spki_refused[0].make)];

	keygen_make_of(t, make, sizeof(make));
	return keygen_spki_refused[i].fn == token_fn(t) &&
	       strcmp(keygen_spki_refused[i].make, make) == 0;
}

/* Set CKA_ID on both halves of KP and, in the same write where the
 * half takes it, CKA_PUBLIC_KEY_INFO SPKI (may be NULL; SoftHSM keeps
 * the public half's as it is): keygen_write_with(). *SPKI_DONE: nothing
 * is left to try with SPKI. */
static int
keygen_set_id(struct token *t, const struct keypair *kp, const unsigned char *spki,
	      size_t spki_len, bool *spki_done)
{
	const CK_OBJECT_HANDLE half[] = { kp->pub, kp->priv };
	CK_ATTRIBUTE a[2] = {
		{ CKA_ID, (void *)kp->id, kp->id_len },
		{ CKA_PUBLIC_KEY_INFO, (void *)spki, spki_len },
	};
	bool both, took;
	size_t i;

	for (i = 0; i < NELEM(half); i++) {
		both = spki != NULL && !keygen_spki_refuses(t, i);
		if (keygen_write_with(t, half[i], a, both, &took) < 0)
			return err_prefix("set CKA_ID");
		if (both && !took) {
			keygen_spki_refused[i].fn = token_fn(t);
			keygen_make_of(t, keygen_spki_refused[i].make,
				       sizeof(keygen_spki_refused[i].make));
		}
	}
	*spki_done = true;
	err_clear();
	return 0;
}

/* Answers to C_GenerateKeyPair that refuse the template itself. A
 * general error is among them: it is how tpm2-pkcs11 refuses rights it
 * would set differently. */
static bool
keygen_template_refused(CK_RV rv)
{
	return rv == CKR_TEMPLATE_INCONSISTENT || rv == CKR_ATTRIBUTE_VALUE_INVALID ||
	       rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_GENERAL_ERROR;
}

/* One C_GenerateKeyPair, its answer in *RV, asked once more as the
 * security officer when the token refuses it to the user for want of
 * one; -1 only when that login cannot be made. The handles in KP are set
 * only when it answers CKR_OK: a module may write them on failure, and
 * destroying such a handle could destroy somebody else's object. */
static int
keygen_call(struct token *t, CK_MECHANISM *mech, CK_ATTRIBUTE *pub, CK_ULONG np,
	    CK_ATTRIBUTE *priv, CK_ULONG nq, struct keypair *kp, CK_RV *rv)
{
	CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
	int again;

	if (token_login_for_write(t) < 0)
		return -1;
	*rv = token_fn(t)->C_GenerateKeyPair(token_session(t), mech, pub, np,
					     priv, nq, &hpub, &hpriv);
	if ((again = token_login_retry_write(t, *rv, "C_GenerateKeyPair")) < 0)
		return -1;
	if (again) {
		hpub = hpriv = CK_INVALID_HANDLE;
		*rv = token_fn(t)->C_GenerateKeyPair(token_session(t), mech, pub,
						     np, priv, nq, &hpub, &hpriv);
	}
	if (*rv == CKR_OK) {
		kp->pub = hpub;
		kp->priv = hpriv;
	}
	return 0;
}

/* Whether key object H says it is fixed (CKA_MODIFIABLE false); a
 * module that does not report it counts as letting it change. */
static int
keygen_fixed(struct token *t, CK_OBJECT_HANDLE h, bool *fixed)
{
	CK_BBOOL v = CK_TRUE;
	bool got;

	*fixed = false;
	if (token_get_fixed(t, h, CKA_MODIFIABLE, &v, sizeof(v), &got) < 0)
		return -1;
	*fixed = got && v == CK_FALSE;
	return 0;
}

/* Prove on the new pair KP, before anything else is done with it, that
 * the module lets a key's attributes change: the role's label comes only
 * once the certificate is written, after the CA has issued it, and CKA_ID
 * and the narrowing come after generation too. The first write is done
 * here: CKA_ID (with SPKI, see keygen_set_id()), or with a fixed id the
 * pending LABEL written again. A pair that says CKA_MODIFIABLE false, or
 * whose write the module refuses as read-only, is refused with a sentence
 * that says why. */
static int
keygen_prove_modifiable(struct token *t, const struct keypair *kp,
			bool fixed_id, const char *label, const unsigned char *spki,
			size_t spki_len, bool *spki_done)
{
	static const char fixed_keys[] = "this module cannot change a key's "
		"label or rights once it has generated it, so it cannot hold a "
		"role that is complete or absent (a new key takes its role's "
		"label only after its certificate is written)";
	bool priv_fixed = false, pub_fixed = false;
	CK_RV rv;

	if (keygen_fixed(t, kp->priv, &priv_fixed) < 0 ||
	    keygen_fixed(t, kp->pub, &pub_fixed) < 0)
		return -1;
	if (priv_fixed || pub_fixed)
		return err_set(ERR_FAILED, "the new %s key is not modifiable "
			       "(CKA_MODIFIABLE false): %s", priv_fixed ?
			       "private" : "public", fixed_keys);
	*spki_done = false;
	if ((fixed_id ? keygen_relabel(t, kp, label) :
	     keygen_set_id(t, kp, spki, spki_len, spki_done)) == 0)
		return 0;
	rv = err_last_ckr();
	if (rv == CKR_ATTRIBUTE_READ_ONLY)
		return err_set(ERR_FAILED, "the module refused to change the new "
			       "key's %s (%s): %s", fixed_id ? "CKA_LABEL" : "CKA_ID",
			       ckr_name(rv), fixed_keys);
	return -1;
}

static const struct keygen_progress *keygen_progress;

/* Remove the pair a failing keygen_generate() made, keeping the error
 * that failed it: a failed removal is added to it, not put in its place,
 * since the user needs both (the cause, and a key left on the token). */
static void
keygen_discard(struct token *t, const struct keypair *kp)
{
	char why[ERR_MESSAGE_MAX];
	struct err_saved first;

	err_save(&first);
	if (keygen_destroy(t, kp) == 0) {
		err_restore(&first);
		err_append("the new key was removed");
		return;
	}
	snprintf(why, sizeof(why), "%s", err_message());
	err_restore(&first);
	err_append("the new key pair could not be removed: %s", why);
}

void
keygen_set_progress(const struct keygen_progress *p)
{
	keygen_progress = p;
}

/* The shapes of the templates, in the order they are tried while the
 * module refuses the template itself: everything; without the public
 * half's rights (tpm2-pkcs11 derives them itself); then both again
 * without the attributes a consumer looks for but the key does not need
 * (CKA_SUBJECT, CKA_ALLOWED_MECHANISMS), which keygen_complete() then
 * sets where the module takes them. */
static const struct {
	bool pub_rights, extras;
} keygen_shapes[] = {
	{ true, true }, { false, true }, { true, false }, { false, false },
};

#define KEYGEN_ATTRS_MAX 16

/* The templates of one key generation, in parts that keygen_shapes
 * put together. */
struct keygen_tmpl {
	CK_ATTRIBUTE pub[KEYGEN_ATTRS_MAX], pub_rights[3], pub_extras[1];
	CK_ATTRIBUTE priv[KEYGEN_ATTRS_MAX], priv_extras[2];
	CK_ULONG np, nq, n_pub_extras, n_priv_extras;
};

/* Append N attributes FROM to TO, which holds *AT. */
static CK_ULONG
keygen_append(CK_ATTRIBUTE *to, CK_ULONG at, const CK_ATTRIBUTE *from, CK_ULONG n)
{
	memcpy(to + at, from, n * sizeof(*from));
	return at + n;
}

/* C_GenerateKeyPair with the shapes of keygen_shapes until one is not
 * refused as a template; *RV the last answer, *FIRST the first, *EXTRAS
 * whether the answered one carried the extras. -1 only when a login
 * cannot be made. */
static int
keygen_try_shapes(struct token *t, CK_MECHANISM *mech, const struct keygen_tmpl *k,
		  struct keypair *kp, CK_RV *rv, CK_RV *first, bool *extras)
{
	CK_ATTRIBUTE pub[KEYGEN_ATTRS_MAX + 4], priv[KEYGEN_ATTRS_MAX + 2];
	CK_ULONG np, nq;
	size_t i;

	*first = CKR_OK;
	for (i = 0; i < NELEM(keygen_shapes); i++) {
		if (!keygen_shapes[i].extras && k->n_pub_extras + k->n_priv_extras == 0)
			break;
		np = keygen_append(pub, 0, k->pub, k->np);
		if (keygen_shapes[i].pub_rights)
			np = keygen_append(pub, np, k->pub_rights, NELEM(k->pub_rights));
		nq = keygen_append(priv, 0, k->priv, k->nq);
		if (keygen_shapes[i].extras) {
			np = keygen_append(pub, np, k->pub_extras, k->n_pub_extras);
			nq = keygen_append(priv, nq, k->priv_extras, k->n_priv_extras);
		}
		*extras = keygen_shapes[i].extras;
		if (keygen_call(t, mech, pub, np, priv, nq, kp, rv) < 0)
			return -1;
		if (i == 0)
			*first = *rv;
		if (!keygen_template_refused(*rv))
			break;
	}
	return 0;
}

/* Give both halves of KP the CKA_SUBJECT of NAME unless the public half
 * has it already, where the module takes it (errors are forgotten). */
static void
keygen_set_subject(struct token *t, const struct keypair *kp, const X509_NAME *name)
{
	unsigned char *der;
	size_t len;

	keygen_subject_change(t, kp, name, &der, &len);
	if (der != NULL) {
		(void)token_set_attr(t, kp->pub, CKA_SUBJECT, der, len);
		(void)token_set_attr(t, kp->priv, CKA_SUBJECT, der, len);
	}
	OPENSSL_free(der);
	err_clear();
}

/* What the new pair KP carries for consumers, set after its generation:
 * CKA_SUBJECT and CKA_ALLOWED_MECHANISMS when the template could not
 * carry them (the key goes on without what the module refuses; status
 * shows a key without a mechanism list), and CKA_PUBLIC_KEY_INFO SPKI,
 * which only the generated key gives, unless it was written with CKA_ID
 * (SPKI_DONE). Errors are forgotten: none of it is needed for the key to
 * serve its role. */
static void
keygen_complete(struct token *t, struct keypair *kp, const struct keygen_spec *s,
		bool extras, const unsigned char *spki, size_t spki_len,
		bool spki_done)
{
	CK_MECHANISM_TYPE list[KEYMECH_COUNT];
	size_t n;

	if (!extras) {
		keygen_set_subject(t, kp, s->subject);
		n = keymech_list(s->mechs, list);
		if (n > 0 && token_set_attr(t, kp->priv, CKA_ALLOWED_MECHANISMS,
					    list, n * sizeof(list[0])) < 0)
			kp->mechs = 0;
	}
	if (spki != NULL && !spki_done) {
		(void)token_set_attr(t, kp->pub, CKA_PUBLIC_KEY_INFO, spki, spki_len);
		(void)token_set_attr(t, kp->priv, CKA_PUBLIC_KEY_INFO, spki, spki_len);
	}
	err_clear();
}

void
keygen_subject_change(struct token *t, const struct keypair *kp,
		      const X509_NAME *name, unsigned char **der, size_t *len)
{
	CK_ATTRIBUTE now = { CKA_SUBJECT, NULL, 0 };
	int n;

	*der = NULL;
	*len = 0;
	if (name == NULL || (n = i2d_X509_NAME(name, der)) <= 0) {
		OPENSSL_free(*der);
		*der = NULL;
		goto out;
	}
	*len = (size_t)n;
	/* Nothing to write where the public half has it already. */
	if (token_get_attrs(t, kp->pub, &now, 1) == 0 &&
	    now.ulValueLen == *len && memcmp(now.pValue, *der, *len) == 0) {
		OPENSSL_free(*der);
		*der = NULL;
		*len = 0;
	}
out:
	token_attrs_clear(&now, 1);
	err_clear();
}

int
keygen_generate(struct token *t, const struct keygen_spec *s, struct keypair *out,
		EVP_PKEY **pub)
{
	const struct keyalg_info *e = keyalg_info(s->alg);
	static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	static CK_BYTE exponent[] = { 0x01, 0x00, 0x01 };
	CK_MECHANISM mech = { 0, NULL, 0 };
	CK_BBOOL sign = CK_TRUE;        /* every key signs its own request */
	CK_BBOOL decrypt = (s->caps & KEY_CAP_DECRYPT) ? CK_TRUE : CK_FALSE;
	CK_BBOOL unwrap = (s->caps & KEY_CAP_UNWRAP) ? CK_TRUE : CK_FALSE;
	CK_BBOOL derive = (s->caps & KEY_CAP_DERIVE) ? CK_TRUE : CK_FALSE;
	CK_ULONG bits = e->bits;
	CK_MECHANISM_TYPE mechs[KEYMECH_COUNT];
	struct keygen_tmpl k;
	struct keyrights rights;
	CK_RV first = CKR_OK;
	unsigned char *ec_params = NULL, *subject = NULL, *spki = NULL;
	int ec_params_len = 0, subject_len = 0, spki_len;
	bool spki_done;
	size_t nmechs = keymech_list(s->mechs, mechs);
	struct keypair kp;
	EVP_PKEY *key = NULL;
	bool made = false, extras = false;
	CK_RV rv = CKR_OK;
	int called, rc = -1;

	memset(out, 0, sizeof(*out));
	if (pub != NULL)
		*pub = NULL;
	memset(&kp, 0, sizeof(kp));
	memset(&k, 0, sizeof(k));
	kp.alg = s->alg;
	kp.mechs = s->mechs;
	if (s->fixed_id_len > sizeof(kp.id)) {
		err_set(ERR_USAGE, "fixed key id is longer than %zu bytes", sizeof(kp.id));
		goto out;
	}
	if (e->ec && (s->caps & (KEY_CAP_DECRYPT | KEY_CAP_UNWRAP))) {
		err_set(ERR_USAGE, "an EC key cannot decrypt or unwrap");
		goto out;
	}
	if (s->subject != NULL &&
	    (subject_len = i2d_X509_NAME(s->subject, &subject)) <= 0) {
		err_set(ERR_FAILED, "cannot encode the subject");
		goto out;
	}
#define ATTR(tmpl, n, type, ptr, len) \
	(tmpl)[(n)++] = (CK_ATTRIBUTE){ (type), (void *)(ptr), (len) }
	ATTR(k.pub, k.np, CKA_TOKEN, &yes, sizeof(yes));
	ATTR(k.pub, k.np, CKA_PRIVATE, &no, sizeof(no));
	ATTR(k.pub, k.np, CKA_LABEL, s->label, strlen(s->label));
	if (s->fixed_id != NULL)
		ATTR(k.pub, k.np, CKA_ID, s->fixed_id, s->fixed_id_len);
	if (e->ec) {
		if (keygen_ec_params(e->curve_nid, &ec_params, &ec_params_len) < 0)
			goto out;
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		ATTR(k.pub, k.np, CKA_EC_PARAMS, ec_params, (CK_ULONG)ec_params_len);
	} else {
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		ATTR(k.pub, k.np, CKA_MODULUS_BITS, &bits, sizeof(bits));
		ATTR(k.pub, k.np, CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent));
	}
	k.pub_rights[0] = (CK_ATTRIBUTE){ CKA_VERIFY, &sign, sizeof(sign) };
	k.pub_rights[1] = (CK_ATTRIBUTE){ CKA_ENCRYPT, &decrypt, sizeof(decrypt) };
	k.pub_rights[2] = (CK_ATTRIBUTE){ CKA_WRAP, &unwrap, sizeof(unwrap) };
	ATTR(k.priv, k.nq, CKA_TOKEN, &yes, sizeof(yes));
	ATTR(k.priv, k.nq, CKA_PRIVATE, &yes, sizeof(yes));
	ATTR(k.priv, k.nq, CKA_SENSITIVE, &yes, sizeof(yes));
	ATTR(k.priv, k.nq, CKA_EXTRACTABLE, &no, sizeof(no));
	ATTR(k.priv, k.nq, CKA_LABEL, s->label, strlen(s->label));
	ATTR(k.priv, k.nq, CKA_SIGN, &sign, sizeof(sign));
	ATTR(k.priv, k.nq, CKA_SIGN_RECOVER, &no, sizeof(no));
	ATTR(k.priv, k.nq, CKA_DECRYPT, &decrypt, sizeof(decrypt));
	ATTR(k.priv, k.nq, CKA_UNWRAP, &unwrap, sizeof(unwrap));
	ATTR(k.priv, k.nq, CKA_DERIVE, &derive, sizeof(derive));
	if (s->fixed_id != NULL)
		ATTR(k.priv, k.nq, CKA_ID, s->fixed_id, s->fixed_id_len);
	if (subject != NULL) {
		ATTR(k.pub_extras, k.n_pub_extras, CKA_SUBJECT, subject, (CK_ULONG)subject_len);
		ATTR(k.priv_extras, k.n_priv_extras, CKA_SUBJECT, subject, (CK_ULONG)subject_len);
	}
	if (nmechs > 0)
		ATTR(k.priv_extras, k.n_priv_extras, CKA_ALLOWED_MECHANISMS, mechs,
		     nmechs * sizeof(mechs[0]));
#undef ATTR
	if (keygen_progress != NULL) {
		char what[64 + TEXT_PRINTABLE_SIZE(32)];

		snprintf(what, sizeof(what), "generating an %s key on token %s",
			 e->name, token_get_info(t)->label);
		keygen_progress->begin(keygen_progress->ctx, what);
	}
	called = keygen_try_shapes(t, &mech, &k, &kp, &rv, &first, &extras);
	if (keygen_progress != NULL)
		keygen_progress->end(keygen_progress->ctx);
	if (called < 0)
		goto out;
	/* The handles of a failed call are not the module's word: nothing
	 * is destroyed by them (the device may still have made the pair;
	 * status --repair finds it under its pending label). */
	if (rv != CKR_OK) {
		if (first != CKR_OK && first != rv)
			err_set(ERR_FAILED, "C_GenerateKeyPair: %s (%s), and with "
				"the public half's rights or the subject and "
				"mechanisms left out: %s (%s)",
				ckr_name(first), ckr_sentence(first), ckr_name(rv),
				ckr_sentence(rv));
		else
			err_ckr(rv, "C_GenerateKeyPair");
		goto out;
	}
	made = true;
	if (keyrights_read(t, kp.priv, &rights) < 0 ||
	    keyrights_check(&rights, s->caps | KEY_CAP_SIGN) < 0 ||
	    keygen_public_key(t, kp.pub, &key) < 0)
		goto out;
	if (s->fixed_id != NULL) {
		memcpy(kp.id, s->fixed_id, s->fixed_id_len);
		kp.id_len = s->fixed_id_len;
	} else if (keygen_id_of(key, kp.id, &kp.id_len) < 0) {
		goto out;
	}
	if ((spki_len = i2d_PUBKEY(key, &spki)) <= 0) {
		OPENSSL_free(spki);
		spki = NULL;
		spki_len = 0;
	}
	if (keygen_prove_modifiable(t, &kp, s->fixed_id != NULL, s->label, spki,
				    (size_t)spki_len, &spki_done) < 0)
		goto out;
	keygen_complete(t, &kp, s, extras, spki, (size_t)spki_len, spki_done);
	*out = kp;
	if (pub != NULL) {
		*pub = key;
		key = NULL;
	}
	made = false;
	rc = 0;
out:
	if (made)
		keygen_discard(t, &kp);
	EVP_PKEY_free(key);
	OPENSSL_free(ec_params);
	OPENSSL_free(subject);
	OPENSSL_free(spki);
	return rc;
}

/* Limit the private half of KP to MECHS where it was generated with
 * more. A module that refuses (SoftHSM fixes the list at generation) is
 * no error: the extra mechanism signed the request, and a key whose role
 * does not sign has lost CKA_SIGN already. */
static void
keygen_narrow_mechs(struct token *t, const struct keypair *kp, keymech_set mechs)
{
	CK_MECHANISM_TYPE list[KEYMECH_COUNT];
	size_t n;

	if (kp->mechs == 0 || mechs == 0 || kp->mechs == mechs)
		return;
	n = keymech_list(mechs, list);
	(void)token_set_attr(t, kp->priv, CKA_ALLOWED_MECHANISMS, list,
			     n * sizeof(list[0]));
	err_clear();
}

int
keygen_narrow(struct token *t, const struct keypair *kp, unsigned caps,
	      keymech_set mechs, bool allow_unnarrowed, bool *unnarrowed)
{
	CK_BBOOL no = CK_FALSE;
	struct keyrights rights;
	bool signs = false;

	*unnarrowed = false;
	/* On a module that ignores CKA_SIGN (tpm2-pkcs11) the list may be
	 * what keeps a key whose role does not sign from signing. */
	keygen_narrow_mechs(t, kp, mechs);
	if (caps & KEY_CAP_SIGN)
		return 0;
	if (token_set_attr(t, kp->priv, CKA_SIGN, &no, sizeof(no)) < 0 ||
	    token_set_attr(t, kp->pub, CKA_VERIFY, &no, sizeof(no)) < 0)
		return err_prefix("take the signing right away from a key whose "
				  "role does not sign (the token refused)");
	/* Proven, not assumed: the right reads back gone, and the key
	 * refuses to start a signature. */
	if (keyrights_read(t, kp->priv, &rights) < 0 ||
	    keyrights_probe_sign(t, kp->priv, keyalg_is_ec(kp->alg) ? CKK_EC : CKK_RSA,
				 &signs) < 0)
		return err_prefix("check that the new key no longer signs");
	if (signs && allow_unnarrowed) {
		*unnarrowed = true;
		return 0;
	}
	if (signs)
		return err_set(ERR_FAILED, "the token took the new key's signing "
			       "right away, yet the key still signs: this module "
			       "ignores the narrowing, so a key whose role does "
			       "not sign cannot be kept from signing on it "
			       "(a profile may accept it with [key] "
			       "allow_unnarrowed = yes and a justification)");
	if (rights.caps & KEY_CAP_SIGN)
		return err_set(ERR_FAILED, "the token still reports CKA_SIGN on the "
			       "new key after taking it away");
	return 0;
}

/* The EC point from CKA_EC_POINT: DER OCTET STRING per the standard, raw
 * from some modules. */
static int
keygen_ec_point(const unsigned char *v, size_t len, ASN1_OCTET_STRING **out)
{
	const unsigned char *p = v;
	ASN1_OCTET_STRING *os;

	os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)len);
	if (os != NULL && p == v + len) {
		*out = os;
		return 0;
	}
	ASN1_OCTET_STRING_free(os);
	os = ASN1_OCTET_STRING_new();
	if (os == NULL || !ASN1_OCTET_STRING_set(os, v, (int)len)) {
		ASN1_OCTET_STRING_free(os);
		return err_set(ERR_FAILED, "out of memory");
	}
	*out = os;
	return 0;
}

/* Public parameters of an EC key object into BLD. */
static int
keygen_ec_public(struct token *t, CK_OBJECT_HANDLE h, OSSL_PARAM_BLD *bld,
		 unsigned char **keep_point)
{
	unsigned char *params = NULL, *point = NULL;
	size_t params_len = 0, point_len = 0;
	ASN1_OCTET_STRING *os = NULL;
	ASN1_OBJECT *oid = NULL;
	const unsigned char *p;
	CK_ATTRIBUTE a[2] = { { CKA_EC_PARAMS, NULL, 0 }, { CKA_EC_POINT, NULL, 0 } };
	int nid, rc = -1;

	/* One call for both. */
	if (token_get_attrs(t, h, a, NELEM(a)) < 0) {
		token_attrs_clear(a, NELEM(a));
		goto out;
	}
	params = a[0].pValue;
	params_len = a[0].ulValueLen;
	point = a[1].pValue;
	point_len = a[1].ulValueLen;
	p = params;
	if (params == NULL || point == NULL ||
	    (oid = d2i_ASN1_OBJECT(NULL, &p, (long)params_len)) == NULL ||
	    (nid = OBJ_obj2nid(oid)) == NID_undef) {
		err_set(ERR_FAILED, "the EC public key uses an unknown curve");
		goto out;
	}
	if (keygen_ec_point(point, point_len, &os) < 0)
		goto out;
	*keep_point = OPENSSL_memdup(os->data, (size_t)os->length);
	if (*keep_point == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     OBJ_nid2sn(nid), 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					      *keep_point, (size_t)os->length)) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	rc = 0;
out:
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(oid);
	free(params);
	free(point);
	return rc;
}

/* Public parameters of an RSA key object into BLD. */
static int
keygen_rsa_public(struct token *t, CK_OBJECT_HANDLE h, OSSL_PARAM_BLD *bld,
		  BIGNUM **n, BIGNUM **e)
{
	unsigned char *mod = NULL, *exp = NULL;
	size_t mod_len = 0, exp_len = 0;
	CK_ATTRIBUTE a[2] = { { CKA_MODULUS, NULL, 0 }, { CKA_PUBLIC_EXPONENT, NULL, 0 } };
	int rc = -1;

	if (token_get_attrs(t, h, a, NELEM(a)) < 0) {
		token_attrs_clear(a, NELEM(a));
		goto out;
	}
	mod = a[0].pValue;
	mod_len = a[0].ulValueLen;
	exp = a[1].pValue;
	exp_len = a[1].ulValueLen;
	if (mod == NULL || exp == NULL) {
		err_set(ERR_FAILED, "the RSA public key has no modulus or exponent");
		goto out;
	}
	*n = BN_bin2bn(mod, (int)mod_len, NULL);
	*e = BN_bin2bn(exp, (int)exp_len, NULL);
	if (*n == NULL || *e == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, *n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, *e)) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(mod);
	free(exp);
	return rc;
}

int
keygen_public_key(struct token *t, CK_OBJECT_HANDLE pub, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	unsigned char *point = NULL;
	BIGNUM *n = NULL, *e = NULL;
	CK_ULONG type = 0;
	int rc = -1;

	*out = NULL;
	if (token_get_ulong(t, pub, CKA_KEY_TYPE, &type) < 0)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (type == CKK_EC) {
		if (keygen_ec_public(t, pub, bld, &point) < 0)
			goto out;
	} else if (type == CKK_RSA) {
		if (keygen_rsa_public(t, pub, bld, &n, &e) < 0)
			goto out;
	} else {
		err_set(ERR_FAILED, "key type 0x%lx is not supported", (unsigned long)type);
		goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type == CKK_EC ? "EC" : "RSA", NULL);
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		err_set(ERR_FAILED, "the token's public key is not a valid %s key",
			type == CKK_EC ? "EC" : "RSA");
		goto out;
	}
	*out = key;
	key = NULL;
	rc = 0;
out:
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	OPENSSL_free(point);
	BN_free(n);
	BN_free(e);
	return rc;
}

int
keygen_relabel(struct token *t, const struct keypair *kp, const char *label)
{
	return keygen_relabel_subject(t, kp, label, NULL, 0);
}

int
keygen_relabel_subject(struct token *t, const struct keypair *kp, const char *label,
		       const unsigned char *subject, size_t subject_len)
{
	const CK_OBJECT_HANDLE half[] = { kp->priv, kp->pub };
	CK_ATTRIBUTE a[2] = {
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_SUBJECT, (void *)subject, subject_len },
	};
	bool both = subject != NULL, took;
	size_t i;

	for (i = 0; i < NELEM(half); i++) {
		if (keygen_write_with(t, half[i], a, both, &took) < 0)
			return err_prefix("label the key pair '%s'", label);
		both = took;
	}
	err_clear();
	return 0;
}

int
keygen_destroy(struct token *t, const struct keypair *kp)
{
	struct err_saved first;
	bool priv_failed = false;
	int rc = 0;

	if (token_destroy(t, kp->priv) < 0) {
		err_save(&first);
		priv_failed = true;
		rc = -1;
	}
	if (token_destroy(t, kp->pub) < 0)
		rc = -1;
	if (priv_failed)
		err_restore(&first);
	return rc;
}
