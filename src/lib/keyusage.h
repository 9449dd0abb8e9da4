/* SPDX-License-Identifier: MIT */
/* keyusage.h - RFC 5280 keyUsage in one table: the KU_* flags of
 * openssl/x509v3.h, their names as openssl and profiles spell them, their
 * bits in the extension, and what each lets the private key do on the
 * token. Profiles, policy, requests, the certificate checks, the token
 * audit and the commands all read it here.
 */
#ifndef P11E_KEYUSAGE_H
#define P11E_KEYUSAGE_H

#include <stddef.h>

/* How many keyUsage flags there are. */
#define KEYUSAGE_COUNT 9

/* The name of one KU_* FLAG ("digitalSignature"), or NULL. */
const char *keyusage_name(unsigned flag);

/* The KU_* flag that NAME stands for (contentCommitment being another
 * name of nonRepudiation), or 0. */
unsigned keyusage_from_name(const char *name);

/* The names of the flags in KU, in the order of the extension's bits,
 * into NAMES; returns how many. Bits that are no keyUsage flag are left
 * out. */
size_t keyusage_names(unsigned ku, const char *names[KEYUSAGE_COUNT]);

/* The bit of KU_* FLAG in the extension's BIT STRING (RFC 5280 4.2.1.3),
 * or -1. */
int keyusage_bit(unsigned flag);

/* The KEY_CAP_* bits a private key may have when its certificate has
 * the key usage KU. */
unsigned keyusage_caps(unsigned ku);

#endif
