/* SPDX-License-Identifier: MIT */
/* ca-acme-chal.h - answering ACME challenges: http-01 by a built-in
 * responder or by files in a webroot, dns-01 through a hook command.
 */
#ifndef P11E_CA_ACME_CHAL_H
#define P11E_CA_ACME_CHAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether TOKEN is usable as a path component: base64url characters
 * alone, 1 to 256 of them (RFC 8555 8.1: at least 128 bits of entropy). */
bool acme_token_ok(const char *token);

/* ---- http-01, built in: a listener answering only the token paths ---- */

struct acme_responder;

/* Listen on ADDR:PORT ("127.0.0.1:80", "[::1]:80", ":80" for every
 * address). Usage errors name --acme-http. */
int acme_responder_open(const char *addr_port, struct acme_responder **out);

/* Answer GET /.well-known/acme-challenge/TOKEN with KEYAUTH (both
 * copied) from now on. */
int acme_responder_add(struct acme_responder *r, const char *token,
		       const char *keyauth);

/* Answer whatever comes in for MS milliseconds (or until a caught
 * signal); each connection is served and closed. */
void acme_responder_serve(struct acme_responder *r, int64_t ms);

/* Stop listening; NULL is fine. */
void acme_responder_free(struct acme_responder *r);

/* ---- http-01 through a webroot ---- */

/* Write KEYAUTH to DIR/.well-known/acme-challenge/TOKEN, mode 0644 (the
 * web server reads it), making the two directories 0755 when missing. */
int acme_webroot_put(const char *dir, const char *token, const char *keyauth);

/* Remove what acme_webroot_put() wrote for TOKEN; errors are ignored,
 * a missing file is fine. */
void acme_webroot_remove(const char *dir, const char *token);

/* ---- dns-01 through a hook ---- */

/* Run the hook (its argument vector ARGV, program PATH): ARGV...
 * OPERATION ("add" or "remove") NAME (_acme-challenge.DOMAIN) VALUE (the
 * TXT record), no shell, an empty environment but PATH, for at most
 * TIMEOUT seconds. Exit status 0 is success; anything else is an error
 * quoting the hook's first line of stderr. */
int acme_dns_hook(const char *path, char *const *argv, int timeout,
		  const char *operation, const char *name, const char *value);

#endif
