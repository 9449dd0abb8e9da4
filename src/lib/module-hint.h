/* SPDX-License-Identifier: MIT */
/* module-hint.h - what to check when a PKCS#11 module will not start. */
#ifndef P11E_MODULE_HINT_H
#define P11E_MODULE_HINT_H

#include <p11-kit/pkcs11.h>

/* A sentence naming what to check when the module at PATH answered
 * C_Initialize with RV: its service, group membership, initialisation
 * arguments, its configuration. Static; never NULL. */
const char *module_hint(const char *path, CK_RV rv);

#endif
