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
	int wait_seconds;       /* a CA that asks to wait is asked again
				 * until this much time has passed; 0: not */
};

#define CA_DEFAULT_TIMEOUT 300
#define CA_DEFAULT_MAX_ANSWER (1024 * 1024)
/* Between two questions to a CA that asked to wait without saying how
 * long. */
#define CA_DEFAULT_RETRY 5
/* The longest --wait: a day, like --ca-timeout. */
#define CA_MAX_WAIT 86400

/* What ca_submit() and ca_poll() return when the CA took the request but
 * has not issued yet. */
#define CA_PENDING 1

/* A CA's answer. Issued: ANSWER holds the certificate (NUL-terminated,
 * certificate first, chain may follow). Pending: COOKIE is what the CA
 * wants to be asked again with. */
struct ca_reply {
	unsigned char *answer;
	size_t len;
	char *cookie;           /* pending: NUL-terminated, may be empty */
	int retry_seconds;      /* pending: when the CA said to ask again;
				 * 0: it did not say */
};

/* Free what R holds and zero it. */
void ca_reply_clear(struct ca_reply *r);

/* Parse SPEC ("exec:/path/helper arg...") and prepare the backend.
 * Unknown kinds and malformed specs are ERR_USAGE. */
int ca_open(const char *spec, const struct ca_options *opts, struct ca **out);

/* Submit CSR_PEM for ROLE (passed on as the CA profile). 0: issued;
 * CA_PENDING: the CA asked to wait, and kept asking for as long as the
 * options' wait_seconds allow; -1: an error (rejected, unreachable,
 * misconfigured, timed out), each with its own message. */
int ca_submit(struct ca *ca, const char *csr_pem, const char *role,
	      struct ca_reply *reply);

/* Ask again about a request the CA asked to wait for, with the COOKIE it
 * gave; CSR_PEM and ROLE as submitted. Returns as ca_submit(). */
int ca_poll(struct ca *ca, const char *cookie, const char *csr_pem,
	    const char *role, struct ca_reply *reply);


/* The challenge password the request itself must carry (SCEP), or NULL. */
const char *ca_request_challenge(const struct ca *ca);

/* A short description for messages ("exec:/usr/bin/helper"). */
const char *ca_describe(const struct ca *ca);

/* NULL is fine. */
void ca_free(struct ca *ca);

#endif
