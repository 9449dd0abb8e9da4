/* SPDX-License-Identifier: MIT */
/* token-uri.h - a token selector read as an RFC 7512 URI, and the form of
 * it that may be shown.
 *
 * A URI's pin-value is a secret and its pin-source says where one is:
 * whatever the tool prints or records (messages, progress, the batch
 * journal and report, JSON) names a token by token_uri_printable()'s form
 * of the URI, never by the URI as given.
 */
#ifndef P11E_TOKEN_URI_H
#define P11E_TOKEN_URI_H

#include <jansson.h>
#include <p11-kit/uri.h>

#include "token-info.h"

/* SELECTOR parsed: a pkcs11: URI by p11-kit, a bare label as
 * pkcs11:token=LABEL, NULL as a URI that matches every token. Free *OUT
 * with token_uri_free(). */
int token_uri_parse(const char *selector, P11KitUri **out);

/* Wipe the URI's pin-value and free it; NULL is fine. */
void token_uri_free(P11KitUri *uri);

/* SELECTOR as it may be shown or recorded, malloc'ed: a URI without its
 * pin-value and pin-source (formatted again by p11-kit when it had one,
 * else as given), a bare label as given, NULL as "". A URI that p11-kit
 * cannot parse is refused (ERR_USAGE) without being quoted, since where
 * its PIN is cannot be told. */
int token_uri_printable(const char *selector, char **out);

/* The RFC 7512 URI of the object of class CLS (a private key or a
 * certificate: type=private, type=cert) labelled LABEL with CKA_ID ID on
 * the token INFO describes, as libp11's engine, GnuTLS and curl take it:
 * pkcs11:model=...;manufacturer=...;serial=...;token=...;id=...;
 * object=...;type=...  It names, never holds, a PIN. Caller frees. */
int token_uri_object(const struct token_info *info, CK_OBJECT_CLASS cls,
		     const char *label, const unsigned char *id, size_t id_len,
		     char **out);

/* A role's two: its private key's and its certificate's, as JSON
 * {"private_key": URI, "certificate": URI}; JSON null when they cannot
 * be made. The recorded error is left as it was. */
json_t *token_uri_role_json(const struct token_info *info, const char *label,
			    const unsigned char *id, size_t id_len);

#endif
