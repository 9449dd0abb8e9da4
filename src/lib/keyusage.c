/* SPDX-License-Identifier: MIT */
/* keyusage.c - the keyUsage table (see keyusage.h). */
#include "config.h"

#include <string.h>

#include <openssl/x509v3.h>

#include "keyalg.h"
#include "keyusage.h"
#include "util.h"

/* In the order of the extension's bits, which is also the order in which
 * messages and listings name them. */
static const struct {
	unsigned flag;
	const char *name;
	int bit;
	unsigned caps;
} keyusage_table[] = {
	{ KU_DIGITAL_SIGNATURE, "digitalSignature", 0, KEY_CAP_SIGN },
	{ KU_NON_REPUDIATION, "nonRepudiation", 1, KEY_CAP_SIGN },
	{ KU_KEY_ENCIPHERMENT, "keyEncipherment", 2,
	  KEY_CAP_DECRYPT | KEY_CAP_UNWRAP },
	{ KU_DATA_ENCIPHERMENT, "dataEncipherment", 3, KEY_CAP_DECRYPT },
	{ KU_KEY_AGREEMENT, "keyAgreement", 4, KEY_CAP_DERIVE },
	{ KU_KEY_CERT_SIGN, "keyCertSign", 5, KEY_CAP_SIGN },
	{ KU_CRL_SIGN, "cRLSign", 6, KEY_CAP_SIGN },
	/* Only qualify keyAgreement, which already gives KEY_CAP_DERIVE. */
	{ KU_ENCIPHER_ONLY, "encipherOnly", 7, 0 },
	{ KU_DECIPHER_ONLY, "decipherOnly", 8, 0 },
};

_Static_assert(NELEM(keyusage_table) == KEYUSAGE_COUNT,
	       "KEYUSAGE_COUNT is the size of the table");

/* Other names a profile may use (X.509 2000 renamed nonRepudiation). */
static const struct {
	const char *name;
	unsigned flag;
} keyusage_aliases[] = {
	{ "contentCommitment", KU_NON_REPUDIATION },
};

const char *
keyusage_name(unsigned flag)
{
	size_t i;

	for (i = 0; i < NELEM(keyusage_table); i++)
		if (keyusage_table[i].flag == flag)
			return keyusage_table[i].name;
	return NULL;
}

unsigned
keyusage_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < NELEM(keyusage_table); i++)
		if (strcmp(keyusage_table[i].name, name) == 0)
			return keyusage_table[i].flag;
	for (i = 0; i < NELEM(keyusage_aliases); i++)
		if (strcmp(keyusage_aliases[i].name, name) == 0)
			return keyusage_aliases[i].flag;
	return 0;
}

size_t
keyusage_names(unsigned ku, const char *names[KEYUSAGE_COUNT])
{
	size_t i, n = 0;

	for (i = 0; i < NELEM(keyusage_table); i++)
		if (ku & keyusage_table[i].flag)
			names[n++] = keyusage_table[i].name;
	return n;
}

int
keyusage_bit(unsigned flag)
{
	size_t i;

	for (i = 0; i < NELEM(keyusage_table); i++)
		if (keyusage_table[i].flag == flag)
			return keyusage_table[i].bit;
	return -1;
}

unsigned
keyusage_caps(unsigned ku)
{
	unsigned caps = 0;
	size_t i;

	for (i = 0; i < NELEM(keyusage_table); i++)
		if (ku & keyusage_table[i].flag)
			caps |= keyusage_table[i].caps;
	return caps;
}
