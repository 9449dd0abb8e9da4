/* SPDX-License-Identifier: MIT */
/* ca-acme-proto.h - the ACME backend's talk with the server (RFC 8555
 * 6, 7.1, 7.3): signed requests with nonces, problem documents, the
 * directory and the account; ca-acme.c builds orders on top of it.
 */
#ifndef P11E_CA_ACME_PROTO_H
#define P11E_CA_ACME_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "ca-http.h"

/* A CA's text quoted in a message is cut to this many bytes. */
#define ACME_SHOWN 200

struct ca_acme {
	char *description;      /* "acme:URL[#PROFILE]" */
	char *directory_url;
	char *profile;          /* #PROFILE, or NULL */
	struct ca_http_opts http;
	char *tls_trust;
	int timeout_seconds;
	char *account_path;
	char *email;
	bool agree_tos;
	char *eab_kid;
	unsigned char *eab_mac;
	size_t eab_mac_len;
	char *http_addr;
	char *webroot;
	char **hook_argv;
	char *hook_path;
	/* Learnt on the way. */
	json_t *directory;
	EVP_PKEY *key;
	char *thumbprint;
	char *kid;              /* the account URL */
	char *nonce;
	int64_t deadline;
};

/* An answer: status, body as JSON when it is JSON, headers. */
struct acme_answer {
	long status;
	struct ca_http_body body;
	struct ca_http_headers h;
	json_t *json;
};

/* Free what A holds and zero it. */
void acme_answer_clear(struct acme_answer *a);

/* OBJ (owned, NULL is fine) as compact JSON text; NULL when out of memory. */
char *acme_dumps(json_t *obj);

/* The problem document (RFC 7807) in ANS as a sentence opening with
 * DOING; returns -1. */
int acme_problem(const char *doing, const struct acme_answer *ans);

/* The URL the directory names KEY ("newOrder"), or NULL (recorded). */
const char *acme_dir_url(const struct ca_acme *a, const char *key);

/* POST PAYLOAD (NULL: POST-as-GET) to URL, signed with the account's kid
 * or, when JWK, with the key itself, into ANS; a badNonce refusal is
 * asked again with a fresh nonce. An HTTP error is a sentence opening
 * with DOING. */
int acme_post(struct ca_acme *a, const char *doing, const char *url,
	      const char *payload, bool jwk, struct acme_answer *ans);

/* The directory, the account key and the account, once per run. */
int acme_session(struct ca_acme *a);

#endif
