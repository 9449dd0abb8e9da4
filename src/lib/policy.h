/* SPDX-License-Identifier: MIT */
/* policy.h - what single-purpose means for a role profile (lint).
 *
 * Each finding has a stable identifier, documented in p11enroll-profile(5),
 * a severity and a sentence. A profile with a finding of error severity
 * is refused wherever it is loaded.
 */
#ifndef P11E_POLICY_H
#define P11E_POLICY_H

#include <stddef.h>
#include "profile.h"

enum policy_severity {
	POLICY_INFO,            /* reported, e.g. a waiver in force */
	POLICY_WARNING,         /* reported, the profile is still used */
	POLICY_ERROR,           /* the profile is refused */
};

/* The findings, by stable identifier:
 *   eku-missing          error    no extended key usage
 *   eku-any              error    anyExtendedKeyUsage
 *   eku-mixed-tls        error    serverAuth with clientAuth, no waiver
 *   waiver-unjustified   error    allow_mixed_roles without justification
 *   waiver-unused        warning  allow_mixed_roles where nothing is mixed
 *   waiver-in-force      info     a justified waiver allows mixed roles
 *   added-eku-unjustified error accept_added_eku without justification
 *   added-eku-in-force   info     a justified waiver accepts EKUs a CA adds
 *   unnarrowed-unjustified error allow_unnarrowed without justification
 *   unnarrowed-unused    warning  allow_unnarrowed on a role that signs
 *   unnarrowed-in-force  info     a justified waiver keeps a key that may
 *                                 still sign on a module that ignores
 *                                 the narrowing
 *   write-login-so       info     the security officer writes the
 *                                 role's key and objects
 *   ku-missing           error    no key usage
 *   ku-ca                error    keyCertSign or cRLSign on an end entity
 *   ku-ec-encipherment   error    keyEncipherment/dataEncipherment on EC
 *   ku-rsa-agreement     error    keyAgreement on RSA
 *   ku-modifier-alone    error    encipherOnly/decipherOnly without keyAgreement
 *   ku-not-for-eku       error    a key usage no extended key usage allows
 *                                 (RFC 5280 4.2.1.12)
 *   eku-without-ku       error    an extended key usage none of whose key
 *                                 usages the role has
 *   ku-sign-and-decrypt  warning  one key both signs and decrypts
 *   lifetime-missing     error    no max_lifetime_days
 *   mechanisms-not-for-key error  allowed_mechanisms names a mechanism the
 *                                 key's type and key usage do not use
 *   mechanisms-missing   error    allowed_mechanisms leaves a capability
 *                                 of the key without a mechanism
 */
struct policy_finding {
	const char *id;                 /* static */
	enum policy_severity severity;
	char *message;                  /* owned: one sentence */
};

/* Every finding for P, in the order of the table above. */
int policy_lint(const struct profile *p, struct policy_finding **out,
		size_t *count);

/* Refuse P when policy_lint() finds an error in it: ERR_USAGE
 * "FILE: ID: sentence" for the first error finding, with how many more
 * there are. */
int policy_check(const struct profile *p);

/* Free what policy_lint() returned. */
void policy_findings_free(struct policy_finding *f, size_t count);

/* "error", "warning", "info". */
const char *policy_severity_name(enum policy_severity s);

#endif
