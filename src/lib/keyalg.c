/* SPDX-License-Identifier: MIT */
/* keyalg.c - the key algorithms a role may name: names, sizes, curves.
 * Knows nothing of tokens, so that profiles can be parsed without them. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/obj_mac.h>

#include "err.h"
#include "keyalg.h"
#include "util.h"

static const struct keyalg_info keyalg_table[] = {
	{ KEY_EC_P256, "ec-p256", true, NID_X9_62_prime256v1, 256 },
	{ KEY_EC_P384, "ec-p384", true, NID_secp384r1, 384 },
	{ KEY_RSA_2048, "rsa-2048", false, NID_undef, 2048 },
	{ KEY_RSA_3072, "rsa-3072", false, NID_undef, 3072 },
	{ KEY_RSA_4096, "rsa-4096", false, NID_undef, 4096 },
};

const struct keyalg_info *
keyalg_at(size_t i)
{
	return i < NELEM(keyalg_table) ? &keyalg_table[i] : NULL;
}

const struct keyalg_info *
keyalg_info(enum key_alg alg)
{
	size_t i;

	for (i = 0; i < NELEM(keyalg_table); i++)
		if (keyalg_table[i].alg == alg)
			return &keyalg_table[i];
	return &keyalg_table[0];
}

int
keyalg_parse(const char *name, enum key_alg *out)
{
	size_t i;

	for (i = 0; i < NELEM(keyalg_table); i++) {
		if (strcmp(keyalg_table[i].name, name) == 0) {
			*out = keyalg_table[i].alg;
			return 0;
		}
	}
	return err_set(ERR_USAGE, "unknown key algorithm '%s' (use ec-p256, "
		       "ec-p384, rsa-2048, rsa-3072 or rsa-4096)", name);
}

const char *
keyalg_name(enum key_alg alg)
{
	return keyalg_info(alg)->name;
}

int
keyalg_is_ec(enum key_alg alg)
{
	return keyalg_info(alg)->ec;
}


const char *
keyalg_nth(unsigned mask, size_t n)
{
	size_t i;

	for (i = 0; i < NELEM(keyalg_table); i++)
		if ((mask & (1u << keyalg_table[i].alg)) && n-- == 0)
			return keyalg_table[i].name;
	return NULL;
}

void
keyalg_names(unsigned mask, const char *sep, char *buf, size_t size)
{
	const char *name;
	size_t i, used = 0;

	snprintf(buf, size, "none");
	for (i = 0; (name = keyalg_nth(mask, i)) != NULL; i++)
		used += (size_t)snprintf(buf + used, used < size ? size - used : 0,
					 "%s%s", i > 0 ? sep : "", name);
}

const char *
keyalg_cap_nth(unsigned caps, size_t n)
{
	static const struct {
		unsigned cap;
		const char *name;
	} names[] = {
		{ KEY_CAP_SIGN, "sign" },
		{ KEY_CAP_DECRYPT, "decrypt" },
		{ KEY_CAP_UNWRAP, "unwrap" },
		{ KEY_CAP_DERIVE, "derive" },
	};
	size_t i;

	for (i = 0; i < NELEM(names); i++)
		if ((caps & names[i].cap) && n-- == 0)
			return names[i].name;
	return NULL;
}
