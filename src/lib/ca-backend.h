/* SPDX-License-Identifier: MIT */
/* ca-backend.h - what each CA kind implements behind ca.h.
 *
 * ca.c splits "SCHEME:REST" and hands REST to the backend whose scheme
 * matches. The state is the backend's own; ca.c only carries it.
 */
#ifndef P11E_CA_BACKEND_H
#define P11E_CA_BACKEND_H

#include <stddef.h>

#include "ca-reply.h"

struct ca_backend {
	const char *scheme;     /* "exec" */

	/* Parse REST (the spec after "SCHEME:") with OPTS already filled
	 * with defaults; set *STATE. Malformed specs are ERR_USAGE. */
	int (*open)(const char *rest, const struct ca_options *opts,
		    void **state);

	/* Ask once: 0 issued, CA_PENDING asked to wait, -1 error; REPLY
	 * as in ca_submit(). */
	int (*submit)(void *state, const char *csr_pem, const char *profile,
		      struct ca_reply *reply);

	/* Ask once again with COOKIE, as submit; NULL for kinds whose CA
	 * never asks to wait across runs. */
	int (*poll)(void *state, const char *cookie, const char *csr_pem,
		    const char *profile, struct ca_reply *reply);

	/* As ca_describe(); owned by STATE. */
	const char *(*describe)(const void *state);

	/* Revoke CERT_PEM (the certificate as issued) with RFC 5280
	 * CRLReason REASON; 0 done, -1 error that says why. NULL: the kind
	 * cannot revoke. */
	int (*revoke)(void *state, const char *cert_pem, int reason);

	/* As ca_request_challenge(); NULL for kinds without one. */
	const char *(*request_challenge)(const void *state);

	/* Release STATE, wiping any secret it copied; NULL is fine. */
	void (*free)(void *state);
};

/* exec:COMMAND, certmonger's helper protocol (ca-exec.c). */
extern const struct ca_backend ca_exec_backend;

struct spawn_result;

/* COMMAND split at blanks into *ARGV (no shell, no quoting) and its
 * program found as execvp would, into *PATH; WHAT opens the messages
 * ("CA exec:") and WHO names the program in them ("helper").
 * ca_exec_argv_free() and free() release them. */
int ca_exec_command(const char *what, const char *who, const char *command,
		    char ***argv, char **path);

/* Free a NULL-terminated vector of strings; NULL is fine. */
void ca_exec_argv_free(char **argv);

/* What the helper's exit status and output in RES say, as submit
 * returns it; the certificate moves from RES to REPLY. DESCRIPTION names
 * the CA in messages. */
int ca_exec_parse_answer(const char *description, struct spawn_result *res,
			 struct ca_reply *reply);
/* cfssl:URL[#PROFILE], the cfssl signing API (ca-cfssl.c). */
extern const struct ca_backend ca_cfssl_backend;

/* The body to POST for CSR_PEM: the sign request naming PROFILE (NULL:
 * none) or, with KEY, that request wrapped for authsign. Caller frees. */
int ca_cfssl_request_body(const char *csr_pem, const char *profile,
			  const unsigned char *key, size_t key_len, char **out);

/* cfssl's authsign token for REQUEST: base64(HMAC-SHA-256(KEY, REQUEST)).
 * Caller frees *OUT. */
int ca_cfssl_token(const unsigned char *key, size_t key_len,
		   const unsigned char *request, size_t request_len, char **out);

/* The body to POST to cfssl's revoke endpoint for the certificate
 * CERT_PEM with CRLReason REASON: its serial in decimal and its
 * authority key identifier in lower-case hex, as cfssl's certificate
 * database records them (AKI NULL: the certificate's own). Caller frees. */
int ca_cfssl_revoke_body(const char *cert_pem, int reason, const char *aki,
			 char **out);

/* The certificate (PEM, NUL-terminated, caller frees) in a cfssl API
 * answer of LEN bytes; a refusal or a malformed answer is an error that
 * says which. */
int ca_cfssl_parse_answer(const unsigned char *body, size_t len, char **pem,
			  size_t *pem_len);
/* scep:URL, RFC 8894 (ca-scep.c). */
extern const struct ca_backend ca_scep_backend;
/* acme:DIRECTORY_URL[#PROFILE], RFC 8555 (ca-acme.c). */
extern const struct ca_backend ca_acme_backend;

#endif
