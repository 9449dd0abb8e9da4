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

/* RFC 5280 CRLReason codes that a revocation may give. */
enum ca_reason {
	CA_REASON_UNSPECIFIED = 0,
	CA_REASON_KEY_COMPROMISE = 1,
	CA_REASON_AFFILIATION_CHANGED = 3,
	CA_REASON_SUPERSEDED = 4,
	CA_REASON_CESSATION_OF_OPERATION = 5,
	CA_REASON_CERTIFICATE_HOLD = 6,
	CA_REASON_PRIVILEGE_WITHDRAWN = 9,
};

/* The code of reason NAME (RFC 5280's names, any case), or -1 with an
 * ERR_USAGE error that lists them. */
int ca_reason_parse(const char *name);

/* RFC 5280's name of REASON ("superseded"), or NULL for another code. */
const char *ca_reason_name(int reason);

/* Whether the CA's kind can revoke: 1 or 0. */
int ca_can_revoke(const struct ca *ca);

/* Ask the CA to revoke CERT_PEM (one certificate it issued, PEM) with
 * CRLReason REASON. 0: revoked; -1: an error that says why, among them
 * "CA ... cannot revoke" for kinds without revocation. */
int ca_revoke(struct ca *ca, const char *cert_pem, int reason);

/* The challenge password the request itself must carry (SCEP), or NULL. */
const char *ca_request_challenge(const struct ca *ca);

/* A short description for messages ("exec:/usr/bin/helper"). */
const char *ca_describe(const struct ca *ca);

/* NULL is fine. */
void ca_free(struct ca *ca);

#endif
