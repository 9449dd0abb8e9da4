/* SPDX-License-Identifier: MIT */
/* ca-acme-jws.h - the JSON Web Signature side of ACME (RFC 8555 6.2,
 * RFC 7515, 7518, 7638): the account key, its JWK and thumbprint, ES256
 * signatures over a protected header and payload, and the HS256 binding
 * of External Account Binding.
 */
#ifndef P11E_CA_ACME_JWS_H
#define P11E_CA_ACME_JWS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

/* DATA in base64url without padding; caller frees *OUT. */
int acme_b64url(const unsigned char *data, size_t len, char **out);

/* TEXT (base64url, padding allowed) decoded; caller frees *OUT. A text
 * that is not base64url is ERR_USAGE naming WHAT. */
int acme_b64url_decode(const char *text, const char *what,
		       unsigned char **out, size_t *len);

/* The account key at PATH (PEM, P-256): read it, or create it when there
 * is no file yet (0600, never through a link). *CREATED says which. */
int acme_account_key(const char *path, EVP_PKEY **out, bool *created);

/* KEY's public JWK ({"crv","kty","x","y"}); caller decrefs. */
int acme_jwk(EVP_PKEY *key, json_t **out);

/* KEY's JWK thumbprint (RFC 7638), base64url; caller frees. */
int acme_thumbprint(EVP_PKEY *key, char **out);

/* A flattened JWS (the request body) of PAYLOAD (NULL: "", a
 * POST-as-GET) for URL with NONCE, signed ES256 with KEY and naming KID
 * (the account URL) or, when KID is NULL, carrying KEY's JWK. Caller
 * frees *OUT. */
int acme_jws(EVP_PKEY *key, const char *kid, const char *nonce,
	     const char *url, const char *payload, char **out);

/* The externalAccountBinding object for newAccount at URL: KEY's JWK
 * signed HS256 with the CA's HMAC key MAC (MAC_LEN bytes) under KID. */
int acme_eab(EVP_PKEY *key, const char *kid, const unsigned char *mac,
	     size_t mac_len, const char *url, json_t **out);

#endif
