/* SPDX-License-Identifier: MIT */
/* ca.h - where a request goes. One interface, one backend per CA kind:
 * exec:COMMAND (certmonger's helper protocol), cfssl:URL[#PROFILE] (the
 * cfssl signing API), scep:URL (RFC 8894) and acme:DIRECTORY_URL[#PROFILE]
 * (RFC 8555).
 */
#ifndef P11E_CA_H
#define P11E_CA_H

#include <stddef.h>

#include "ca-reply.h"

struct ca;

/* Parse SPEC ("exec:/path/helper arg...") and prepare the backend.
 * Unknown kinds and malformed specs are ERR_USAGE. */
int ca_open(const char *spec, const struct ca_options *opts, struct ca **out);

/* Submit CSR_PEM under the CA profile PROFILE (the role's [ca] profile,
 * else its name; a profile in the spec overrides it). 0: issued;
 * CA_PENDING: the CA asked to wait, and kept asking for as long as the
 * options' wait_seconds allow; -1: an error (rejected, unreachable,
 * misconfigured, timed out), each with its own message. */
int ca_submit(struct ca *ca, const char *csr_pem, const char *profile,
	      struct ca_reply *reply);

/* Ask again about a request the CA asked to wait for, with the COOKIE it
 * gave; CSR_PEM and PROFILE as submitted. Returns as ca_submit(). */
int ca_poll(struct ca *ca, const char *cookie, const char *csr_pem,
	    const char *profile, struct ca_reply *reply);


/* The challenge password the request itself must carry (SCEP), or NULL. */
const char *ca_request_challenge(const struct ca *ca);

/* A short description for messages ("exec:/usr/bin/helper"). */
const char *ca_describe(const struct ca *ca);

/* NULL is fine. */
void ca_free(struct ca *ca);

#endif
