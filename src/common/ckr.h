/* SPDX-License-Identifier: MIT */
/* ckr.h - names and plain sentences for PKCS#11 return values. */
#ifndef P11E_CKR_H
#define P11E_CKR_H

#include <p11-kit/pkcs11.h>

/* "CKR_PIN_INCORRECT"; a hex string for values without a name (static). */
const char *ckr_name(CK_RV rv);

/* A plain sentence for RV ("the PIN is wrong"). */
const char *ckr_sentence(CK_RV rv);

#endif
