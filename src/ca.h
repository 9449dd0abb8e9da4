/* ca.h - where a request goes. One interface, one backend per CA kind:
 * exec:COMMAND (certmonger's helper protocol), cfssl:URL[#PROFILE] (the
 * cfssl signing API) and scep:URL (RFC 8894).
 */
#ifndef P11E_CA_H
#define P11E_CA_H

#include <stddef.h>

struct ca;

struct ca_options {
	int timeout_seconds;    /* one submission; 0: the default */
	size_t max_answer;      /* bytes accepted from the CA; 0: the default */
	const char *tls_trust;  /* https: verify the CA against this PEM file */
	const char *auth_key;   /* cfssl authsign HMAC key (secret; copied) */
	const char *challenge;  /* SCEP challenge password (secret; copied) */
};

#define CA_DEFAULT_TIMEOUT 300
#define CA_DEFAULT_MAX_ANSWER (1024 * 1024)

/* Parse SPEC ("exec:/path/helper arg...") and prepare the backend.
 * Unknown kinds and malformed specs are ERR_USAGE. */
int ca_open(const char *spec, const struct ca_options *opts, struct ca **out);

/* Submit CSR_PEM for ROLE (passed on as the CA profile). On issue, *ANSWER
 * holds the CA's answer (NUL-terminated, certificate first, chain may
 * follow). Rejection, waiting, unreachable and misconfiguration are each
 * an error with its own message. */
int ca_submit(struct ca *ca, const char *csr_pem, const char *role,
	      unsigned char **answer, size_t *len);

/* The challenge password the request itself must carry (SCEP), or NULL. */
const char *ca_request_challenge(const struct ca *ca);

/* A short description for messages ("exec:/usr/bin/helper"). */
const char *ca_describe(const struct ca *ca);

/* NULL is fine. */
void ca_free(struct ca *ca);

#endif
