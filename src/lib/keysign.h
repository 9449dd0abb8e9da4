/* SPDX-License-Identifier: MIT */
/* keysign.h - signing a request with the private key of a pair on the
 * token. */
#ifndef P11E_KEYSIGN_H
#define P11E_KEYSIGN_H

#include <stddef.h>

#include <openssl/evp.h>

#include "csr.h"
#include "keygen.h"

/* Sign TBS with the private key of KP: a DER ECDSA-Sig-Value over the
 * digest for EC (CKM_ECDSA); a PKCS#1 v1.5 signature for RSA, made by the
 * token's hash-and-sign mechanism for the digest's hash when it has one
 * (CKM_SHA256_RSA_PKCS...), else by CKM_RSA_PKCS over the DigestInfo.
 * Free *SIG with OPENSSL_free(). */
int keysign_request(struct token *t, const struct keypair *kp,
		    const struct csr_tbs *tbs, unsigned char **sig,
		    size_t *siglen);

#endif
