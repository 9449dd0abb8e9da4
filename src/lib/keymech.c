/* SPDX-License-Identifier: MIT */
/* keymech.c - the mechanisms a role's private key may be limited to. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "keyalg.h"
#include "keymech.h"
#include "util.h"

#define SIGN KEY_CAP_SIGN
#define DECRYPT (KEY_CAP_DECRYPT | KEY_CAP_UNWRAP)

/* What TLS, CMS and the request itself use. TLS 1.2 signs with the raw
 * mechanisms (libp11's engine and GnuTLS hash on the host: CKM_ECDSA,
 * CKM_RSA_PKCS over a DigestInfo), TLS 1.3 with RSA-PSS (CKM_RSA_PKCS_PSS);
 * the hashed variants serve signers that hash on the token (a TPM signs
 * RSA natively only so). SHA-1 and SHA-224 variants are left out: no
 * TLS 1.3 or current CA signature uses them, and the raw mechanisms
 * still sign whatever digest an older peer asks for. */
static const struct keymech_info keymech_table[] = {
	{ CKM_ECDSA, "CKM_ECDSA", true, SIGN },
	{ CKM_ECDSA_SHA256, "CKM_ECDSA_SHA256", true, SIGN },
	{ CKM_ECDSA_SHA384, "CKM_ECDSA_SHA384", true, SIGN },
	{ CKM_ECDSA_SHA512, "CKM_ECDSA_SHA512", true, SIGN },
	{ CKM_ECDH1_DERIVE, "CKM_ECDH1_DERIVE", true, KEY_CAP_DERIVE },
	{ CKM_ECDH1_COFACTOR_DERIVE, "CKM_ECDH1_COFACTOR_DERIVE", true, KEY_CAP_DERIVE },
	{ CKM_RSA_PKCS, "CKM_RSA_PKCS", false, SIGN | DECRYPT },
	{ CKM_SHA256_RSA_PKCS, "CKM_SHA256_RSA_PKCS", false, SIGN },
	{ CKM_SHA384_RSA_PKCS, "CKM_SHA384_RSA_PKCS", false, SIGN },
	{ CKM_SHA512_RSA_PKCS, "CKM_SHA512_RSA_PKCS", false, SIGN },
	{ CKM_RSA_PKCS_PSS, "CKM_RSA_PKCS_PSS", false, SIGN },
	{ CKM_SHA256_RSA_PKCS_PSS, "CKM_SHA256_RSA_PKCS_PSS", false, SIGN },
	{ CKM_SHA384_RSA_PKCS_PSS, "CKM_SHA384_RSA_PKCS_PSS", false, SIGN },
	{ CKM_SHA512_RSA_PKCS_PSS, "CKM_SHA512_RSA_PKCS_PSS", false, SIGN },
	{ CKM_RSA_PKCS_OAEP, "CKM_RSA_PKCS_OAEP", false, DECRYPT },
};

#undef SIGN
#undef DECRYPT

_Static_assert(NELEM(keymech_table) == KEYMECH_COUNT &&
	       KEYMECH_COUNT <= 8 * sizeof(keymech_set),
	       "KEYMECH_COUNT is the table's size, and a set has a bit for each");

const struct keymech_info *
keymech_at(size_t i)
{
	return i < NELEM(keymech_table) ? &keymech_table[i] : NULL;
}

keymech_set
keymech_of(CK_MECHANISM_TYPE mech)
{
	size_t i;

	for (i = 0; i < NELEM(keymech_table); i++)
		if (keymech_table[i].mech == mech)
			return (keymech_set)1 << i;
	return 0;
}

int
keymech_parse(const char *name, keymech_set *out)
{
	char names[KEYMECH_NAMES_MAX];
	size_t i;

	*out = 0;
	for (i = 0; i < NELEM(keymech_table); i++) {
		if (strcmp(keymech_table[i].name, name) == 0) {
			*out = (keymech_set)1 << i;
			return 0;
		}
	}
	keymech_names(~(keymech_set)0, ", ", names, sizeof(names));
	return err_set(ERR_USAGE, "unknown mechanism '%s' (use %s)", name, names);
}

const char *
keymech_name(CK_MECHANISM_TYPE mech)
{
	size_t i;

	for (i = 0; i < NELEM(keymech_table); i++)
		if (keymech_table[i].mech == mech)
			return keymech_table[i].name;
	return NULL;
}

keymech_set
keymech_for_role(bool ec, unsigned caps)
{
	keymech_set set = 0;
	size_t i;

	for (i = 0; i < NELEM(keymech_table); i++)
		if (keymech_table[i].ec == ec && (keymech_table[i].caps & caps))
			set |= (keymech_set)1 << i;
	return set;
}

keymech_set
keymech_serving(keymech_set set, unsigned cap)
{
	keymech_set out = 0;
	size_t i;

	for (i = 0; i < NELEM(keymech_table); i++)
		if ((set & ((keymech_set)1 << i)) && (keymech_table[i].caps & cap))
			out |= (keymech_set)1 << i;
	return out;
}

unsigned
keymech_unserved(keymech_set set, unsigned caps, const char **doing)
{
	static const struct {
		unsigned cap;
		const char *doing;
	} needs[] = {
		{ KEY_CAP_SIGN, "sign" },
		{ KEY_CAP_DECRYPT, "decrypt" },
		{ KEY_CAP_DERIVE, "agree keys" },
	};
	size_t i;

	*doing = NULL;
	for (i = 0; i < NELEM(needs); i++) {
		if ((caps & needs[i].cap) && keymech_serving(set, needs[i].cap) == 0) {
			*doing = needs[i].doing;
			return needs[i].cap;
		}
	}
	return 0;
}

keymech_set
keymech_request(bool ec)
{
	return keymech_of(ec ? CKM_ECDSA : CKM_SHA256_RSA_PKCS);
}

size_t
keymech_list(keymech_set set, CK_MECHANISM_TYPE *out)
{
	size_t i, n = 0;

	for (i = 0; i < NELEM(keymech_table); i++)
		if (set & ((keymech_set)1 << i))
			out[n++] = keymech_table[i].mech;
	return n;
}

void
keymech_names(keymech_set set, const char *sep, char *buf, size_t size)
{
	size_t i, used = 0;
	int n;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < NELEM(keymech_table) && used < size; i++) {
		if (!(set & ((keymech_set)1 << i)))
			continue;
		n = snprintf(buf + used, size - used, "%s%s", used > 0 ? sep : "",
			     keymech_table[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (buf[0] == '\0')
		snprintf(buf, size, "none");
}
