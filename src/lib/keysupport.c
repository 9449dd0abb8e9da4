/* SPDX-License-Identifier: MIT */
/* keysupport.c - what a token can do with keys, from its mechanism list
 * and mechanism information. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "keyalg.h"
#include "keysupport.h"
#include "util.h"

/* Whether the token in SLOT has mechanism TYPE (in LIST) with the flags
 * NEED: 1 and its information in *INFO, 0 when it lacks either, -1 when
 * the token could not be asked. */
static int
keysupport_mech(CK_FUNCTION_LIST *fn, CK_SLOT_ID slot,
		const CK_MECHANISM_TYPE *list, CK_ULONG n,
		CK_MECHANISM_TYPE type, CK_FLAGS need, CK_MECHANISM_INFO *info)
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
keysupport_size_ok(const CK_MECHANISM_INFO *info, CK_ULONG bits)
{
	if (info->ulMaxKeySize == 0)
		return true;
	return bits >= info->ulMinKeySize && bits <= info->ulMaxKeySize;
}

/* What one key type needs from the token: generation, signing (every
 * key signs its own request), and decryption or ECDH for some roles. */
struct keysupport_type_mechs {
	CK_KEY_TYPE type;
	CK_MECHANISM_TYPE gen, sign, extra;
	CK_FLAGS extra_flag;
};

static const struct keysupport_type_mechs keysupport_type_mechs[] = {
	{ CKK_RSA, CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_RSA_PKCS, CKM_RSA_PKCS, CKF_DECRYPT },
	{ CKK_EC, CKM_EC_KEY_PAIR_GEN, CKM_ECDSA, CKM_ECDH1_DERIVE, CKF_DERIVE },
};

/* Whether an algorithm of ALGS has keys of TYPE. */
static bool
keysupport_type_wanted(CK_KEY_TYPE type, unsigned algs)
{
	const struct keyalg_info *e;
	size_t j;

	for (j = 0; (e = keyalg_at(j)) != NULL; j++)
		if (e->ec == (type == CKK_EC) && (algs & (1u << e->alg)))
			return true;
	return false;
}

/* The capability each flag of mechanism information offers. */
static const struct {
	CK_FLAGS flag;
	unsigned cap;
} keysupport_flag_caps[] = {
	{ CKF_SIGN, KEY_CAP_SIGN },
	{ CKF_DECRYPT, KEY_CAP_DECRYPT },
	{ CKF_UNWRAP, KEY_CAP_UNWRAP },
	{ CKF_DERIVE, KEY_CAP_DERIVE },
};

/* What the token offers each mechanism of keymech.h's table for, for
 * the key types of ALGS. */
static int
keysupport_read_mechs(CK_FUNCTION_LIST *fn, CK_SLOT_ID slot,
		      const CK_MECHANISM_TYPE *list, CK_ULONG n, unsigned algs,
		      struct key_support *out)
{
	const struct keymech_info *m;
	CK_MECHANISM_INFO info;
	size_t i, j;
	int has;

	for (i = 0; (m = keymech_at(i)) != NULL; i++) {
		if (!keysupport_type_wanted(m->ec ? CKK_EC : CKK_RSA, algs))
			continue;
		if ((has = keysupport_mech(fn, slot, list, n, m->mech, 0, &info)) < 0)
			return -1;
		for (j = 0; has && j < NELEM(keysupport_flag_caps); j++)
			if (info.flags & keysupport_flag_caps[j].flag)
				out->mech_caps[i] |= keysupport_flag_caps[j].cap;
	}
	return 0;
}

int
keysupport_read(CK_FUNCTION_LIST *fn, CK_SLOT_ID slot, unsigned algs,
		struct key_support *out)
{
	CK_MECHANISM_TYPE *list = NULL;
	CK_MECHANISM_INFO gen, sign, extra;
	CK_ULONG n = 0;
	int can_gen, can_sign, can_extra;
	const struct keyalg_info *e;
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
	if (keysupport_read_mechs(fn, slot, list, n, algs, out) < 0) {
		free(list);
		return -1;
	}
	for (i = 0; i < NELEM(keysupport_type_mechs); i++) {
		const struct keysupport_type_mechs *m = &keysupport_type_mechs[i];

		if (!keysupport_type_wanted(m->type, algs))
			continue;
		can_gen = keysupport_mech(fn, slot, list, n, m->gen, CKF_GENERATE_KEY_PAIR, &gen);
		can_sign = keysupport_mech(fn, slot, list, n, m->sign, CKF_SIGN, &sign);
		can_extra = keysupport_mech(fn, slot, list, n, m->extra, m->extra_flag, &extra);
		if (can_gen < 0 || can_sign < 0 || can_extra < 0) {
			free(list);
			return -1;
		}
		for (j = 0; (e = keyalg_at(j)) != NULL; j++) {
			if (e->ec != (m->type == CKK_EC) || !can_gen || !can_sign ||
			    !keysupport_size_ok(&gen, e->bits) ||
			    !keysupport_size_ok(&sign, e->bits))
				continue;
			out->sign |= 1u << e->alg;
			if (can_extra && keysupport_size_ok(&extra, e->bits)) {
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

int
keysupport_mechs(const struct key_support *s, enum key_alg alg, unsigned caps,
		 keymech_set narrow, keymech_set *out)
{
	keymech_set role = keymech_for_role(keyalg_is_ec(alg), caps), set = 0;
	char names[KEYMECH_NAMES_MAX];
	const struct keymech_info *m;
	const char *doing;
	unsigned cap;
	size_t i;

	*out = 0;
	if (narrow != 0)
		role &= narrow;
	for (i = 0; (m = keymech_at(i)) != NULL; i++)
		if ((role & keymech_of(m->mech)) &&
		    (!s->known || (m->caps & caps & s->mech_caps[i])))
			set |= keymech_of(m->mech);
	if ((cap = keymech_unserved(set, caps, &doing)) != 0) {
		keymech_names(keymech_serving(role, cap), ", ", names, sizeof(names));
		return err_set(ERR_FAILED, "the token offers none of the "
			       "mechanisms the key may %s with (%s)", doing, names);
	}
	*out = set;
	return 0;
}

keymech_set
keysupport_request_mech(const struct key_support *s, enum key_alg alg,
			unsigned caps, keymech_set allowed)
{
	keymech_set hashed = keymech_request(false), raw = keymech_of(CKM_RSA_PKCS);
	keymech_set need = hashed;
	const struct keymech_info *m;
	size_t i;

	if (keyalg_is_ec(alg))
		return (allowed & keymech_request(true)) ? 0 : keymech_request(true);
	/* A signing key keeps what is added where the module fixes the list,
	 * so it gets nothing its list does not let it fall back on. */
	if ((caps & KEY_CAP_SIGN) && (allowed & (hashed | raw)))
		return 0;
	for (i = 0; s->known && (m = keymech_at(i)) != NULL; i++)
		if (keymech_of(m->mech) == hashed && !(s->mech_caps[i] & KEY_CAP_SIGN))
			need = raw;
	return (allowed & need) ? 0 : need;
}

int
keysupport_check(const struct key_support *s, enum key_alg alg, unsigned caps,
		 keymech_set narrow)
{
	keymech_set mechs;
	const char *name = keyalg_name(alg);
	char offers[KEYALG_NAMES_MAX];
	unsigned bit = 1u << alg;

	if (!s->known)
		return 0;
	keyalg_names(s->sign, ", ", offers, sizeof(offers));
	if (!(s->sign & bit))
		return err_set(ERR_FAILED, "the token cannot generate %s keys and "
			       "sign with them; it offers %s", name, offers);
	if ((caps & (KEY_CAP_DECRYPT | KEY_CAP_UNWRAP)) && !(s->decrypt & bit)) {
		keyalg_names(s->decrypt, ", ", offers, sizeof(offers));
		return err_set(ERR_FAILED, "the token cannot decrypt with %s keys; "
			       "it decrypts with %s", name, offers);
	}
	if ((caps & KEY_CAP_DERIVE) && !(s->derive & bit)) {
		keyalg_names(s->derive, ", ", offers, sizeof(offers));
		return err_set(ERR_FAILED, "the token cannot agree keys (ECDH) with "
			       "%s keys; it does with %s", name, offers);
	}
	return keysupport_mechs(s, alg, caps, narrow, &mechs);
}

