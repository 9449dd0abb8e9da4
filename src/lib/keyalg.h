/* SPDX-License-Identifier: MIT */
/* keyalg.h - the key algorithms a role may name, and what a key may do.
 * No token here: profiles and policy use it without the token layer. */
#ifndef P11E_KEYALG_H
#define P11E_KEYALG_H

#include <stdbool.h>
#include <stddef.h>

enum key_alg {
	KEY_EC_P256,
	KEY_EC_P384,
	KEY_RSA_2048,
	KEY_RSA_3072,
	KEY_RSA_4096,
};

/* What the private key may do on the token; everything else is off. */
enum key_cap {
	KEY_CAP_SIGN = 1 << 0,
	KEY_CAP_DECRYPT = 1 << 1,
	KEY_CAP_UNWRAP = 1 << 2,
	KEY_CAP_DERIVE = 1 << 3,
};

/* The name of the Ith capability in CAPS (enum key_cap bits), in the
 * order sign, decrypt, unwrap, derive; NULL past the last. */
const char *keyalg_cap_nth(unsigned caps, size_t i);

/* The longest CKA_ID a key pair gets. */
#define KEY_ID_MAX 64

/* Room for every algorithm's name, comma-separated. */
#define KEYALG_NAMES_MAX 64

/* One algorithm of the table. */
struct keyalg_info {
	enum key_alg alg;
	const char *name;       /* "ec-p256" */
	bool ec;                /* EC, else RSA */
	int curve_nid;          /* EC: the curve's OpenSSL NID */
	unsigned long bits;     /* key size, as mechanism information gives it */
};

/* The Ith algorithm of the table, or NULL past its end. */
const struct keyalg_info *keyalg_at(size_t i);

/* The table's entry for ALG. */
const struct keyalg_info *keyalg_info(enum key_alg alg);

/* "ec-p256" -> KEY_EC_P256; -1 with ERR_USAGE for unknown names. */
int keyalg_parse(const char *name, enum key_alg *out);

/* KEY_EC_P256 -> "ec-p256". */
const char *keyalg_name(enum key_alg alg);

/* Whether ALG is an EC algorithm. */
int keyalg_is_ec(enum key_alg alg);

/* The algorithms in MASK (bits 1 << enum key_alg) joined by SEP
 * ("ec-p256, rsa-2048"), or "none". */
void keyalg_names(unsigned mask, const char *sep, char *buf, size_t size);

/* Every algorithm in MASK, for iterating: the name of the Ith, or NULL. */
const char *keyalg_nth(unsigned mask, size_t i);

#endif
