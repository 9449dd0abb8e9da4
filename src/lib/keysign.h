/* keysign.h - signing with the private key of a pair on the token. */
#ifndef P11E_KEYSIGN_H
#define P11E_KEYSIGN_H

#include <stddef.h>

#include <openssl/evp.h>

#include "keygen.h"

/* Sign DIGEST (made with MD) with the private key of KP: a DER
 * ECDSA-Sig-Value for EC (CKM_ECDSA), a PKCS#1 v1.5 signature over the
 * DigestInfo for RSA (CKM_RSA_PKCS). Free *SIG with OPENSSL_free(). */
int keysign_digest(struct token *t, const struct keypair *kp,
		   const EVP_MD *md, const unsigned char *digest,
		   size_t dlen, unsigned char **sig, size_t *siglen);

#endif
