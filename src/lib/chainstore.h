/* SPDX-License-Identifier: MIT */
/* chainstore.h - the CA certificates that issued a role's certificate,
 * kept on the token beside it as authority certificates.
 *
 * What is kept: every certificate of the CA's answer after the role's
 * own, duplicates dropped, but a self-signed one (a root is the relying
 * party's trust anchor, to be had from its own store, and a server need
 * not send it). Each is one public CKO_CERTIFICATE object with
 * CKA_CERTIFICATE_CATEGORY 2 (authority), labelled by its subject's
 * common name, its CKA_ID its subject key identifier; never CKA_TRUSTED.
 * One object per certificate whatever the number of roles it issued:
 * one already on the token (the same DER) is not written again. An
 * authority certificate goes when the last certificate it issued on
 * the token goes (chainstore_prune()).
 */
#ifndef P11E_CHAINSTORE_H
#define P11E_CHAINSTORE_H

#include <stdbool.h>
#include <openssl/x509.h>
#include "token.h"

/* Drop from CHAIN every certificate that is LEAF or one that comes
 * earlier in CHAIN: a CA's answer and an install's --chain file may
 * both hold the issuing CA, which is no misordering. */
void chainstore_dedupe(X509 *leaf, STACK_OF(X509) *chain);

/* Of CHAIN, the certificates chainstore_keep() writes (borrowed, up
 * referenced in *OUT): all but the self-signed ones. */
int chainstore_kept(STACK_OF(X509) *chain, STACK_OF(X509) **out);

/* Write the certificates of chainstore_kept(CHAIN) that are not on T
 * yet as authority certificates. On failure the ones this call wrote
 * are removed again. */
int chainstore_keep(struct token *t, STACK_OF(X509) *chain);

/* The authority certificates on T above LEAF, leaf's issuer first, as
 * far as the token holds them (an empty stack when it holds none). */
int chainstore_read(struct token *t, X509 *leaf, STACK_OF(X509) **out);

/* The certificates of POOL above LEAF, leaf's issuer first, as far as
 * POOL holds them; up referenced. */
int chainstore_build(X509 *leaf, STACK_OF(X509) *pool, STACK_OF(X509) **out);

/* After the certificate LEAF left T: delete each authority certificate
 * of its chain on T that issued no other certificate left on T, from
 * LEAF's issuer up. One marked CKA_TRUSTED is never deleted. */
int chainstore_prune(struct token *t, X509 *leaf);

/* The label an authority certificate CERT gets: its subject's common
 * name (else its whole subject), printable, at most 64 bytes. */
void chainstore_label(X509 *cert, char *buf, size_t size);

#endif
