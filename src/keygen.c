/* keygen.c - key pairs generated on the token, and signing with them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "err.h"
#include "keygen.h"
#include "util.h"

struct keygen_alg_entry {
	enum key_alg alg;
	const char *name;
	CK_KEY_TYPE type;
	int curve_nid;          /* EC */
	CK_ULONG bits;          /* key size, as mechanism information gives it */
};

static const struct keygen_alg_entry keygen_algs[] = {
	{ KEY_EC_P256, "ec-p256", CKK_EC, NID_X9_62_prime256v1, 256 },
	{ KEY_EC_P384, "ec-p384", CKK_EC, NID_secp384r1, 384 },
	{ KEY_RSA_2048, "rsa-2048", CKK_RSA, NID_undef, 2048 },
	{ KEY_RSA_3072, "rsa-3072", CKK_RSA, NID_undef, 3072 },
	{ KEY_RSA_4096, "rsa-4096", CKK_RSA, NID_undef, 4096 },
};

static const struct keygen_alg_entry *
keygen_alg_entry(enum key_alg alg)
{
	size_t i;

	for (i = 0; i < sizeof(keygen_algs) / sizeof(keygen_algs[0]); i++)
		if (keygen_algs[i].alg == alg)
			return &keygen_algs[i];
	return &keygen_algs[0];
}

int
keygen_alg_parse(const char *name, enum key_alg *out)
{
	size_t i;

	for (i = 0; i < sizeof(keygen_algs) / sizeof(keygen_algs[0]); i++) {
		if (strcmp(keygen_algs[i].name, name) == 0) {
			*out = keygen_algs[i].alg;
			return 0;
		}
	}
	return err_set(ERR_USAGE, "unknown key algorithm '%s' (use ec-p256, "
		       "ec-p384, rsa-2048, rsa-3072 or rsa-4096)", name);
}

const char *
keygen_alg_name(enum key_alg alg)
{
	return keygen_alg_entry(alg)->name;
}

int
keygen_alg_is_ec(enum key_alg alg)
{
	return keygen_alg_entry(alg)->type == CKK_EC;
}

/* Whether the token in SLOT has mechanism TYPE (in LIST) with the flags
 * NEED: 1 and its information in *INFO, 0 when it lacks either, -1 when
 * the token could not be asked. */
static int
keygen_mech(CK_FUNCTION_LIST *fn, CK_SLOT_ID slot, const CK_MECHANISM_TYPE *list,
	    CK_ULONG n, CK_MECHANISM_TYPE type, CK_FLAGS need, CK_MECHANISM_INFO *info)
{
	CK_ULONG i;
	CK_RV rv;

	for (i = 0; i < n; i++)
		if (list[i] == type)
			break;
	if (i == n)
		return 0;
	rv = fn->C_GetMechanismInfo(slot, type, info);
	if (rv == CKR_MECHANISM_INVALID)
		return 0;
	if (rv != CKR_OK)
		return err_ckr(rv, "read mechanism 0x%lx of slot %lu",
			       (unsigned long)type, (unsigned long)slot);
	return (info->flags & need) == need;
}

/* Whether BITS is within the sizes INFO gives; a module that gives no
 * maximum does not say, and is believed. */
static bool
keygen_size_ok(const CK_MECHANISM_INFO *info, CK_ULONG bits)
{
	if (info->ulMaxKeySize == 0)
		return true;
	return bits >= info->ulMinKeySize && bits <= info->ulMaxKeySize;
}

/* What one key type needs from the token: generation, signing (every
 * key signs its own request), and decryption or ECDH for some roles. */
struct keygen_type_mechs {
	CK_KEY_TYPE type;
	CK_MECHANISM_TYPE gen, sign, extra;
	CK_FLAGS extra_flag;
};

static const struct keygen_type_mechs keygen_type_mechs[] = {
	{ CKK_RSA, CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_RSA_PKCS, CKM_RSA_PKCS, CKF_DECRYPT },
	{ CKK_EC, CKM_EC_KEY_PAIR_GEN, CKM_ECDSA, CKM_ECDH1_DERIVE, CKF_DERIVE },
};

int
keygen_read_support(CK_FUNCTION_LIST *fn, CK_SLOT_ID slot, struct keygen_support *out)
{
	CK_MECHANISM_TYPE *list = NULL;
	CK_MECHANISM_INFO gen, sign, extra;
	CK_ULONG n = 0;
	int can_gen, can_sign, can_extra;
	size_t i, j;
	CK_RV rv;

	memset(out, 0, sizeof(*out));
	rv = fn->C_GetMechanismList(slot, NULL, &n);
	if (rv == CKR_FUNCTION_NOT_SUPPORTED)
		return 0;
	if (rv == CKR_OK && n > 0) {
		if ((list = calloc(n, sizeof(*list))) == NULL)
			return err_set(ERR_FAILED, "out of memory");
		rv = fn->C_GetMechanismList(slot, list, &n);
	}
	if (rv != CKR_OK) {
		free(list);
		return err_ckr(rv, "read the mechanisms of slot %lu", (unsigned long)slot);
	}
	out->known = true;
	for (i = 0; i < sizeof(keygen_type_mechs) / sizeof(keygen_type_mechs[0]); i++) {
		const struct keygen_type_mechs *m = &keygen_type_mechs[i];

		can_gen = keygen_mech(fn, slot, list, n, m->gen, CKF_GENERATE_KEY_PAIR, &gen);
		can_sign = keygen_mech(fn, slot, list, n, m->sign, CKF_SIGN, &sign);
		can_extra = keygen_mech(fn, slot, list, n, m->extra, m->extra_flag, &extra);
		if (can_gen < 0 || can_sign < 0 || can_extra < 0) {
			free(list);
			return -1;
		}
		for (j = 0; j < sizeof(keygen_algs) / sizeof(keygen_algs[0]); j++) {
			const struct keygen_alg_entry *e = &keygen_algs[j];

			if (e->type != m->type || !can_gen || !can_sign ||
			    !keygen_size_ok(&gen, e->bits) ||
			    !keygen_size_ok(&sign, e->bits))
				continue;
			out->sign |= 1u << e->alg;
			if (can_extra && keygen_size_ok(&extra, e->bits)) {
				if (m->type == CKK_RSA)
					out->decrypt |= 1u << e->alg;
				else
					out->derive |= 1u << e->alg;
			}
		}
	}
	free(list);
	return 0;
}

const char *
keygen_alg_nth(unsigned mask, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(keygen_algs) / sizeof(keygen_algs[0]); i++)
		if ((mask & (1u << keygen_algs[i].alg)) && n-- == 0)
			return keygen_algs[i].name;
	return NULL;
}

void
keygen_alg_names(unsigned mask, const char *sep, char *buf, size_t size)
{
	const char *name;
	size_t i, used = 0;

	snprintf(buf, size, "none");
	for (i = 0; (name = keygen_alg_nth(mask, i)) != NULL; i++)
		used += (size_t)snprintf(buf + used, used < size ? size - used : 0,
					 "%s%s", i > 0 ? sep : "", name);
}

int
keygen_check_support(const struct keygen_support *s, enum key_alg alg, unsigned caps)
{
	const char *name = keygen_alg_name(alg);
	char offers[KEYGEN_NAMES_MAX];
	unsigned bit = 1u << alg;

	if (!s->known)
		return 0;
	keygen_alg_names(s->sign, ", ", offers, sizeof(offers));
	if (!(s->sign & bit))
		return err_set(ERR_FAILED, "the token cannot generate %s keys and "
			       "sign with them; it offers %s", name, offers);
	if ((caps & (KEY_CAP_DECRYPT | KEY_CAP_UNWRAP)) && !(s->decrypt & bit)) {
		keygen_alg_names(s->decrypt, ", ", offers, sizeof(offers));
		return err_set(ERR_FAILED, "the token cannot decrypt with %s keys; "
			       "it decrypts with %s", name, offers);
	}
	if ((caps & KEY_CAP_DERIVE) && !(s->derive & bit)) {
		keygen_alg_names(s->derive, ", ", offers, sizeof(offers));
		return err_set(ERR_FAILED, "the token cannot agree keys (ECDH) with "
			       "%s keys; it does with %s", name, offers);
	}
	return 0;
}

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

/* Set CKA_ID on both halves. */
static int
keygen_set_id(struct token *t, const struct keypair *kp)
{
	if (token_set_attr(t, kp->pub, CKA_ID, kp->id, kp->id_len) < 0 ||
	    token_set_attr(t, kp->priv, CKA_ID, kp->id, kp->id_len) < 0)
		return err_prefix("set CKA_ID");
	return 0;
}

static const struct keygen_progress *keygen_progress;

void
keygen_set_progress(const struct keygen_progress *p)
{
	keygen_progress = p;
}

int
keygen_generate(struct token *t, enum key_alg alg, unsigned caps,
		const char *label, const unsigned char *fixed_id,
		size_t fixed_id_len, struct keypair *out)
{
	const struct keygen_alg_entry *e = keygen_alg_entry(alg);
	static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	static CK_BYTE exponent[] = { 0x01, 0x00, 0x01 };
	CK_MECHANISM mech = { 0, NULL, 0 };
	CK_BBOOL sign = CK_TRUE;        /* every key signs its own request */
	CK_BBOOL decrypt = (caps & KEY_CAP_DECRYPT) ? CK_TRUE : CK_FALSE;
	CK_BBOOL unwrap = (caps & KEY_CAP_UNWRAP) ? CK_TRUE : CK_FALSE;
	CK_BBOOL derive = (caps & KEY_CAP_DERIVE) ? CK_TRUE : CK_FALSE;
	CK_ULONG bits = e->bits;
	CK_ATTRIBUTE pub_tmpl[12], priv_tmpl[14];
	CK_ULONG np = 0, nq = 0;
	unsigned char *ec_params = NULL;
	int ec_params_len = 0;
	struct keypair kp;
	EVP_PKEY *key = NULL;
	bool made = false;
	CK_RV rv;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&kp, 0, sizeof(kp));
	kp.alg = alg;
	if (fixed_id_len > sizeof(kp.id)) {
		err_set(ERR_USAGE, "fixed key id is longer than %zu bytes", sizeof(kp.id));
		goto out;
	}
	if (e->type == CKK_EC && (caps & (KEY_CAP_DECRYPT | KEY_CAP_UNWRAP))) {
		err_set(ERR_USAGE, "an EC key cannot decrypt or unwrap");
		goto out;
	}
#define ATTR(tmpl, n, type, ptr, len) \
	(tmpl)[(n)++] = (CK_ATTRIBUTE){ (type), (void *)(ptr), (len) }
	ATTR(pub_tmpl, np, CKA_TOKEN, &yes, sizeof(yes));
	ATTR(pub_tmpl, np, CKA_PRIVATE, &no, sizeof(no));
	ATTR(pub_tmpl, np, CKA_LABEL, label, strlen(label));
	ATTR(pub_tmpl, np, CKA_VERIFY, &sign, sizeof(sign));
	ATTR(pub_tmpl, np, CKA_ENCRYPT, &decrypt, sizeof(decrypt));
	ATTR(pub_tmpl, np, CKA_WRAP, &unwrap, sizeof(unwrap));
	ATTR(priv_tmpl, nq, CKA_TOKEN, &yes, sizeof(yes));
	ATTR(priv_tmpl, nq, CKA_PRIVATE, &yes, sizeof(yes));
	ATTR(priv_tmpl, nq, CKA_SENSITIVE, &yes, sizeof(yes));
	ATTR(priv_tmpl, nq, CKA_EXTRACTABLE, &no, sizeof(no));
	ATTR(priv_tmpl, nq, CKA_LABEL, label, strlen(label));
	ATTR(priv_tmpl, nq, CKA_SIGN, &sign, sizeof(sign));
	ATTR(priv_tmpl, nq, CKA_SIGN_RECOVER, &no, sizeof(no));
	ATTR(priv_tmpl, nq, CKA_DECRYPT, &decrypt, sizeof(decrypt));
	ATTR(priv_tmpl, nq, CKA_UNWRAP, &unwrap, sizeof(unwrap));
	ATTR(priv_tmpl, nq, CKA_DERIVE, &derive, sizeof(derive));
	if (fixed_id != NULL) {
		ATTR(pub_tmpl, np, CKA_ID, fixed_id, fixed_id_len);
		ATTR(priv_tmpl, nq, CKA_ID, fixed_id, fixed_id_len);
	}
	if (e->type == CKK_EC) {
		if (keygen_ec_params(e->curve_nid, &ec_params, &ec_params_len) < 0)
			goto out;
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		ATTR(pub_tmpl, np, CKA_EC_PARAMS, ec_params, (CK_ULONG)ec_params_len);
	} else {
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		ATTR(pub_tmpl, np, CKA_MODULUS_BITS, &bits, sizeof(bits));
		ATTR(pub_tmpl, np, CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent));
	}
#undef ATTR
	if (keygen_progress != NULL) {
		char what[96];

		snprintf(what, sizeof(what), "generating an %s key on token %s",
			 e->name, token_get_info(t)->label);
		keygen_progress->begin(keygen_progress->ctx, what);
	}
	rv = token_fn(t)->C_GenerateKeyPair(token_session(t), &mech, pub_tmpl, np,
					    priv_tmpl, nq, &kp.pub, &kp.priv);
	if (keygen_progress != NULL)
		keygen_progress->end(keygen_progress->ctx);
	if (rv != CKR_OK) {
		err_ckr(rv, "generate %s key", e->name);
		goto out;
	}
	made = true;
	if (fixed_id != NULL) {
		memcpy(kp.id, fixed_id, fixed_id_len);
		kp.id_len = fixed_id_len;
	} else {
		if (keygen_public_key(t, kp.pub, &key) < 0 ||
		    keygen_id_of(key, kp.id, &kp.id_len) < 0 ||
		    keygen_set_id(t, &kp) < 0)
			goto out;
	}
	*out = kp;
	made = false;
	rc = 0;
out:
	if (made)
		keygen_destroy(t, &kp);
	EVP_PKEY_free(key);
	OPENSSL_free(ec_params);
	return rc;
}

int
keygen_narrow(struct token *t, const struct keypair *kp, unsigned caps)
{
	CK_BBOOL no = CK_FALSE;

	if (caps & KEY_CAP_SIGN)
		return 0;
	if (token_set_attr(t, kp->priv, CKA_SIGN, &no, sizeof(no)) < 0 ||
	    token_set_attr(t, kp->pub, CKA_VERIFY, &no, sizeof(no)) < 0)
		return err_prefix("take the signing right away from a key whose "
				  "role does not sign (the token refused)");
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
	int nid, rc = -1;

	if (token_get_attr(t, h, CKA_EC_PARAMS, &params, &params_len) < 0 ||
	    token_get_attr(t, h, CKA_EC_POINT, &point, &point_len) < 0)
		goto out;
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
	int rc = -1;

	if (token_get_attr(t, h, CKA_MODULUS, &mod, &mod_len) < 0 ||
	    token_get_attr(t, h, CKA_PUBLIC_EXPONENT, &exp, &exp_len) < 0)
		goto out;
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
	if (token_set_attr(t, kp->priv, CKA_LABEL, label, strlen(label)) < 0 ||
	    token_set_attr(t, kp->pub, CKA_LABEL, label, strlen(label)) < 0)
		return err_prefix("label the key pair '%s'", label);
	return 0;
}

int
keygen_destroy(struct token *t, const struct keypair *kp)
{
	int rc_priv = token_destroy(t, kp->priv);
	int rc_pub = token_destroy(t, kp->pub);

	return rc_priv < 0 || rc_pub < 0 ? -1 : 0;
}

/* One C_Sign call with MECH over DATA; free *SIG with OPENSSL_free(). */
static int
keygen_c_sign(struct token *t, CK_OBJECT_HANDLE priv, CK_MECHANISM_TYPE mech,
	      const unsigned char *data, size_t len, unsigned char **sig,
	      size_t *siglen)
{
	CK_FUNCTION_LIST *fn = token_fn(t);
	CK_MECHANISM m = { mech, NULL, 0 };
	unsigned char *buf = NULL;
	CK_ULONG n = 0;
	CK_RV rv;
	int rc = -1;

	*sig = NULL;
	*siglen = 0;
	rv = fn->C_SignInit(token_session(t), &m, priv);
	if (rv == CKR_OK)
		rv = fn->C_Sign(token_session(t), (CK_BYTE_PTR)data, len, NULL, &n);
	if (rv == CKR_OK && (buf = OPENSSL_malloc(n ? n : 1)) == NULL)
		rv = CKR_HOST_MEMORY;
	if (rv == CKR_OK)
		rv = fn->C_Sign(token_session(t), (CK_BYTE_PTR)data, len, buf, &n);
	if (rv != CKR_OK) {
		err_ckr(rv, "sign with the new key");
		goto out;
	}
	*sig = buf;
	*siglen = n;
	buf = NULL;
	rc = 0;
out:
	OPENSSL_free(buf);
	return rc;
}

/* r||s from CKM_ECDSA to a DER ECDSA-Sig-Value. */
static int
keygen_ecdsa_der(const unsigned char *raw, size_t len, unsigned char **der,
		 size_t *der_len)
{
	ECDSA_SIG *s = NULL;
	BIGNUM *r = NULL, *sv = NULL;
	unsigned char *p = NULL;
	int n, rc = -1;

	if (len == 0 || len % 2 != 0) {
		err_set(ERR_FAILED, "the token returned an ECDSA signature of odd length");
		goto out;
	}
	s = ECDSA_SIG_new();
	r = BN_bin2bn(raw, (int)(len / 2), NULL);
	sv = BN_bin2bn(raw + len / 2, (int)(len / 2), NULL);
	if (s == NULL || r == NULL || sv == NULL || !ECDSA_SIG_set0(s, r, sv)) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	r = sv = NULL;
	n = i2d_ECDSA_SIG(s, &p);
	if (n <= 0) {
		err_set(ERR_FAILED, "cannot encode the ECDSA signature");
		goto out;
	}
	*der = p;
	*der_len = (size_t)n;
	rc = 0;
out:
	ECDSA_SIG_free(s);
	BN_free(r);
	BN_free(sv);
	return rc;
}

/* The DigestInfo that PKCS#1 v1.5 signs. */
static int
keygen_digest_info(const EVP_MD *md, const unsigned char *digest, size_t dlen,
		   unsigned char **der, size_t *der_len)
{
	X509_SIG *sig = NULL;
	X509_ALGOR *alg = NULL;
	ASN1_OCTET_STRING *value = NULL;
	unsigned char *p = NULL;
	int n, rc = -1;

	sig = X509_SIG_new();
	if (sig == NULL)
		goto fail;
	X509_SIG_getm(sig, &alg, &value);
	if (!X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(md)), V_ASN1_NULL, NULL) ||
	    !ASN1_OCTET_STRING_set(value, digest, (int)dlen))
		goto fail;
	n = i2d_X509_SIG(sig, &p);
	if (n <= 0)
		goto fail;
	*der = p;
	*der_len = (size_t)n;
	rc = 0;
	goto out;
fail:
	err_set(ERR_FAILED, "cannot encode the DigestInfo");
out:
	X509_SIG_free(sig);
	return rc;
}

int
keygen_sign_digest(struct token *t, const struct keypair *kp, const EVP_MD *md,
		   const unsigned char *digest, size_t dlen, unsigned char **sig,
		   size_t *siglen)
{
	unsigned char *raw = NULL, *info = NULL;
	size_t raw_len = 0, info_len = 0;
	int rc = -1;

	*sig = NULL;
	*siglen = 0;
	if (keygen_alg_is_ec(kp->alg)) {
		if (keygen_c_sign(t, kp->priv, CKM_ECDSA, digest, dlen, &raw, &raw_len) < 0 ||
		    keygen_ecdsa_der(raw, raw_len, sig, siglen) < 0)
			goto out;
	} else {
		if (keygen_digest_info(md, digest, dlen, &info, &info_len) < 0 ||
		    keygen_c_sign(t, kp->priv, CKM_RSA_PKCS, info, info_len, sig, siglen) < 0)
			goto out;
	}
	rc = 0;
out:
	OPENSSL_free(raw);
	OPENSSL_free(info);
	return rc;
}
