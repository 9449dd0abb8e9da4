/* SPDX-License-Identifier: MIT */
/* policy.c - what single-purpose means for a role profile (lint).
 *
 * One rule function per finding, run in the order of policy.h. A rule
 * looks at the parsed profile only and writes its sentence when it finds
 * something; the sentences name the usages involved and say what to do.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "keyalg.h"
#include "keymech.h"
#include "keyusage.h"
#include "policy.h"
#include "profile.h"
#include "util.h"

#define POLICY_MSG_MAX 512
#define POLICY_NAMES_MAX 16

#define KU_SIGNS (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)
#define KU_DECRYPTS (KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT)
#define KU_CA (KU_KEY_CERT_SIGN | KU_CRL_SIGN)
#define KU_MODIFIERS (KU_ENCIPHER_ONLY | KU_DECIPHER_ONLY)

/* The key usages each extended key usage is consistent with (RFC 5280
 * 4.2.1.12 and the specifications of each purpose). An extended key usage
 * not in this table constrains nothing. */
static const struct {
	int nid;
	unsigned allowed;
} policy_eku_table[] = {
	{ NID_server_auth, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT |
	  KU_KEY_AGREEMENT },
	{ NID_client_auth, KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT },
	{ NID_code_sign, KU_DIGITAL_SIGNATURE },
	{ NID_email_protect, KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION |
	  KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT },
	{ NID_time_stamp, KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION },
	{ NID_OCSP_sign, KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION },
	{ NID_ms_smartcard_login, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT |
	  KU_KEY_AGREEMENT },
};

static const char *const policy_severity_names[] = {
	[POLICY_INFO] = "info",
	[POLICY_WARNING] = "warning",
	[POLICY_ERROR] = "error",
};

/* ---- helpers ---- */

/* The key usages extended key usage I of P allows; false when the table
 * does not know it. encipherOnly and decipherOnly only qualify
 * keyAgreement, so they go wherever it goes. */
static bool
policy_eku_allows(const struct profile *p, size_t i, unsigned *allowed)
{
	int nid = OBJ_obj2nid(profile_eku(p, i));
	size_t j;

	for (j = 0; j < NELEM(policy_eku_table); j++) {
		if (policy_eku_table[j].nid != nid)
			continue;
		*allowed = policy_eku_table[j].allowed;
		if (*allowed & KU_KEY_AGREEMENT)
			*allowed |= KU_MODIFIERS;
		return true;
	}
	return false;
}

static bool
policy_has_eku(const struct profile *p, int nid)
{
	size_t i;

	for (i = 0; i < profile_eku_count(p); i++)
		if (OBJ_obj2nid(profile_eku(p, i)) == nid)
			return true;
	return false;
}

/* Append the N NAMES to BUF as "a", "a and b", "a, b and c" (CONJ is
 * "and" or "or"). */
static void
policy_join(char *buf, size_t size, const char *const *names, size_t n,
	    const char *conj)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s",
			 i == 0 ? "" : i + 1 == n ? conj : ", ", names[i]);
	}
}

/* Append the names of the key usage BITS to BUF, joined with CONJ. */
static void
policy_join_ku(char *buf, size_t size, unsigned bits, const char *conj)
{
	const char *names[KEYUSAGE_COUNT];

	policy_join(buf, size, names, keyusage_names(bits, names), conj);
}

/* Whether the role mixes purposes that a waiver would have to allow:
 * TLS server with TLS client, and a key that both signs and decrypts. */
static bool
policy_mixed_tls(const struct profile *p)
{
	return policy_has_eku(p, NID_server_auth) &&
	    policy_has_eku(p, NID_client_auth);
}

static bool
policy_sign_and_decrypt(const struct profile *p)
{
	unsigned ku = profile_key_usage(p);

	return (ku & KU_SIGNS) && (ku & KU_DECRYPTS);
}

/* ---- the rules: true and a sentence in MSG when P has the finding ---- */

static bool
policy_eku_missing(const struct profile *p, char *msg, size_t size)
{
	if (profile_eku_count(p) > 0)
		return false;
	snprintf(msg, size, "the role has no extended key usage, so its "
		 "certificate would be good for any purpose; set [certificate] "
		 "extended_key_usage to the role's one purpose");
	return true;
}

static bool
policy_eku_any(const struct profile *p, char *msg, size_t size)
{
	if (!policy_has_eku(p, NID_anyExtendedKeyUsage))
		return false;
	snprintf(msg, size, "anyExtendedKeyUsage makes the certificate good "
		 "for every purpose; name the role's purpose instead");
	return true;
}

static bool
policy_eku_mixed_tls(const struct profile *p, char *msg, size_t size)
{
	if (!policy_mixed_tls(p) || profile_allow_mixed_roles(p))
		return false;
	snprintf(msg, size, "serverAuth and clientAuth in one role make a "
		 "server identity also a client identity; set "
		 "allow_mixed_roles = yes with a justification if this device "
		 "truly needs it");
	return true;
}

static bool
policy_waiver_unjustified(const struct profile *p, char *msg, size_t size)
{
	if (!profile_allow_mixed_roles(p) || profile_justification(p) != NULL)
		return false;
	snprintf(msg, size, "allow_mixed_roles = yes needs a justification = "
		 "line saying why this role cannot be split");
	return true;
}

static bool
policy_waiver_unused(const struct profile *p, char *msg, size_t size)
{
	if (!profile_allow_mixed_roles(p) || policy_mixed_tls(p) ||
	    policy_sign_and_decrypt(p))
		return false;
	snprintf(msg, size, "allow_mixed_roles = yes, but the role mixes "
		 "nothing (neither serverAuth with clientAuth nor signing with "
		 "decryption); remove the waiver");
	return true;
}

static bool
policy_waiver_in_force(const struct profile *p, char *msg, size_t size)
{
	bool tls = policy_mixed_tls(p), both = policy_sign_and_decrypt(p);

	if (!profile_allow_mixed_roles(p) || profile_justification(p) == NULL ||
	    (!tls && !both))
		return false;
	snprintf(msg, size, "a waiver lets this role %s%s%s; justification: %s",
		 tls ? "be both TLS server and TLS client" : "",
		 tls && both ? ", and " : "",
		 both ? "use one key to both sign and decrypt" : "",
		 profile_justification(p));
	return true;
}

/* The names of the usages a CA may add, "clientAuth, 1.2.3", into BUF. */
static const char *
policy_added_eku_names(const struct profile *p, char *buf, size_t size)
{
	char name[80];
	size_t i, len;
	int nid;

	buf[0] = '\0';
	for (i = 0; i < profile_added_eku_count(p); i++) {
		nid = OBJ_obj2nid(profile_added_eku(p, i));
		if (nid != NID_undef)
			snprintf(name, sizeof(name), "%s", OBJ_nid2sn(nid));
		else if (OBJ_obj2txt(name, sizeof(name), profile_added_eku(p, i),
				     1) <= 0)
			snprintf(name, sizeof(name), "?");
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", i > 0 ? ", " : "", name);
	}
	return buf;
}

static bool
policy_added_eku_unjustified(const struct profile *p, char *msg, size_t size)
{
	char names[256];

	if (profile_added_eku_count(p) == 0 || profile_justification(p) != NULL)
		return false;
	snprintf(msg, size, "accept_added_eku = %s needs a justification = "
		 "line in [certificate] saying why this role's certificate may "
		 "carry what the CA adds",
		 policy_added_eku_names(p, names, sizeof(names)));
	return true;
}

static bool
policy_added_eku_in_force(const struct profile *p, char *msg, size_t size)
{
	char names[256];

	if (profile_added_eku_count(p) == 0 || profile_justification(p) == NULL)
		return false;
	snprintf(msg, size, "a waiver accepts %s added by the CA to this "
		 "role's certificate; justification: %s",
		 policy_added_eku_names(p, names, sizeof(names)),
		 profile_justification(p));
	return true;
}

static bool
policy_unnarrowed_unjustified(const struct profile *p, char *msg, size_t size)
{
	if (!profile_allow_unnarrowed(p) || profile_key_justification(p) != NULL)
		return false;
	snprintf(msg, size, "allow_unnarrowed = yes needs a justification = "
		 "line in [key] saying why this role must be enrolled on a "
		 "module whose keys sign whatever their rights say");
	return true;
}

static bool
policy_unnarrowed_unused(const struct profile *p, char *msg, size_t size)
{
	if (!profile_allow_unnarrowed(p) || !(profile_key_caps(p) & KEY_CAP_SIGN))
		return false;
	snprintf(msg, size, "allow_unnarrowed = yes, but the role signs: its "
		 "key is never narrowed; remove the waiver");
	return true;
}

static bool
policy_unnarrowed_in_force(const struct profile *p, char *msg, size_t size)
{
	if (!profile_allow_unnarrowed(p) || profile_key_justification(p) == NULL ||
	    (profile_key_caps(p) & KEY_CAP_SIGN))
		return false;
	snprintf(msg, size, "a waiver lets this role keep a key that still "
		 "signs on a module that ignores the narrowing; justification: %s",
		 profile_key_justification(p));
	return true;
}

static bool
policy_write_login_so(const struct profile *p, char *msg, size_t size)
{
	if (!profile_writes_as_so(p))
		return false;
	snprintf(msg, size, "write_login = so: the role's key is generated, and "
		 "its objects written and removed, as the token's security "
		 "officer, whose PIN --so-pin-source gives");
	return true;
}

static bool
policy_ku_missing(const struct profile *p, char *msg, size_t size)
{
	if (profile_key_usage(p) != 0)
		return false;
	snprintf(msg, size, "the role has no key usage, so its key would be "
		 "good for any operation; set [certificate] key_usage, e.g. "
		 "digitalSignature");
	return true;
}

static bool
policy_ku_ca(const struct profile *p, char *msg, size_t size)
{
	unsigned bits = profile_key_usage(p) & KU_CA;

	if (bits == 0)
		return false;
	msg[0] = '\0';
	policy_join_ku(msg, size, bits, " and ");
	snprintf(msg + strlen(msg), size - strlen(msg), " make%s a CA key that "
		 "can issue certificates or CRLs; a role is an end entity",
		 bits == KU_CA ? "" : "s");
	return true;
}

static bool
policy_ku_ec_encipherment(const struct profile *p, char *msg, size_t size)
{
	unsigned bits = profile_key_usage(p) & KU_DECRYPTS;

	if (bits == 0 || !keyalg_is_ec(profile_key_alg(p)))
		return false;
	msg[0] = '\0';
	policy_join_ku(msg, size, bits, " and ");
	snprintf(msg + strlen(msg), size - strlen(msg), " on an %s key: EC "
		 "keys do not encrypt (RFC 5480); use keyAgreement",
		 keyalg_name(profile_key_alg(p)));
	return true;
}

static bool
policy_ku_rsa_agreement(const struct profile *p, char *msg, size_t size)
{
	if (!(profile_key_usage(p) & KU_KEY_AGREEMENT) ||
	    keyalg_is_ec(profile_key_alg(p)))
		return false;
	snprintf(msg, size, "keyAgreement on an %s key: RSA keys do not agree "
		 "on keys; use keyEncipherment", keyalg_name(profile_key_alg(p)));
	return true;
}

static bool
policy_ku_modifier_alone(const struct profile *p, char *msg, size_t size)
{
	unsigned ku = profile_key_usage(p), bits = ku & KU_MODIFIERS;

	if (bits == 0 || (ku & KU_KEY_AGREEMENT))
		return false;
	msg[0] = '\0';
	policy_join_ku(msg, size, bits, " and ");
	snprintf(msg + strlen(msg), size - strlen(msg), " only qualif%s "
		 "keyAgreement, which the role does not have",
		 bits == KU_MODIFIERS ? "y" : "ies");
	return true;
}

/* keyCertSign and cRLSign are left to ku-ca, which says more. An
 * extended key usage the table does not know may allow anything, so one
 * of them silences this rule. */
static bool
policy_ku_not_for_eku(const struct profile *p, char *msg, size_t size)
{
	const char *names[POLICY_NAMES_MAX];
	char buf[POLICY_NAMES_MAX][80];
	unsigned allowed = 0, one, bits;
	size_t i, n = profile_eku_count(p);

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (!policy_eku_allows(p, i, &one))
			return false;
		allowed |= one;
	}
	if ((bits = profile_key_usage(p) & ~allowed & ~KU_CA) == 0)
		return false;
	for (i = 0; i < n && i < POLICY_NAMES_MAX; i++)
		names[i] = profile_eku_name(p, i, buf[i], sizeof(buf[i]));
	msg[0] = '\0';
	policy_join_ku(msg, size, bits, " and ");
	snprintf(msg + strlen(msg), size - strlen(msg), " %s of ",
		 (bits & (bits - 1)) ? "are not key usages" : "is not a key usage");
	policy_join(msg, size, names, i, " or ");
	snprintf(msg + strlen(msg), size - strlen(msg), " (RFC 5280 4.2.1.12); "
		 "remove %s or give %s a role of its own",
		 (bits & (bits - 1)) ? "them" : "it",
		 (bits & (bits - 1)) ? "them" : "it");
	return true;
}

/* Without any key usage, ku-missing says it all. */
static bool
policy_eku_without_ku(const struct profile *p, char *msg, size_t size)
{
	char name[80];
	unsigned allowed, ku = profile_key_usage(p);
	size_t i, len;
	bool found = false;

	if (ku == 0)
		return false;
	msg[0] = '\0';
	for (i = 0; i < profile_eku_count(p); i++) {
		if (!policy_eku_allows(p, i, &allowed) || (ku & allowed))
			continue;
		len = strlen(msg);
		snprintf(msg + len, size - len, "%s%s needs ", found ? "; " : "",
			 profile_eku_name(p, i, name, sizeof(name)));
		/* The modifiers alone never satisfy a usage. */
		policy_join_ku(msg, size, allowed & ~KU_MODIFIERS, " or ");
		found = true;
	}
	if (!found)
		return false;
	len = strlen(msg);
	snprintf(msg + len, size - len, ", which the role's key usage does not "
		 "have (RFC 5280 4.2.1.12)");
	return true;
}

static bool
policy_ku_sign_and_decrypt(const struct profile *p, char *msg, size_t size)
{
	unsigned ku = profile_key_usage(p);

	if (!policy_sign_and_decrypt(p) || profile_allow_mixed_roles(p))
		return false;
	msg[0] = '\0';
	policy_join_ku(msg, size, ku & KU_SIGNS, " and ");
	snprintf(msg + strlen(msg), size - strlen(msg), " with ");
	policy_join_ku(msg, size, ku & KU_DECRYPTS, " and ");
	snprintf(msg + strlen(msg), size - strlen(msg), ": one key both signs "
		 "and decrypts, though a decryption key may need a recovery "
		 "copy that a signature key must never have; give each its own "
		 "role");
	return true;
}

static bool
policy_lifetime_missing(const struct profile *p, char *msg, size_t size)
{
	if (profile_max_lifetime_days(p) > 0)
		return false;
	snprintf(msg, size, "the role has no max_lifetime_days, so any "
		 "validity the CA grants would be accepted; set [certificate] "
		 "max_lifetime_days");
	return true;
}

/* A mechanism of [key] allowed_mechanisms that serves none of what the
 * role's key may do: the other key type's, or a decryption mechanism on
 * a key that only signs. */
static bool
policy_mechs_not_for_key(const struct profile *p, char *msg, size_t size)
{
	bool ec = keyalg_is_ec(profile_key_alg(p));
	unsigned caps = profile_key_caps(p);
	keymech_set wrong = profile_allowed_mechs(p) & ~keymech_for_role(ec, caps);
	char names[KEYMECH_NAMES_MAX], doing[64];
	const char *cap;
	size_t i, used = 0;

	if (wrong == 0)
		return false;
	keymech_names(wrong, ", ", names, sizeof(names));
	doing[0] = '\0';
	for (i = 0; (cap = keyalg_cap_nth(caps, i)) != NULL && used < sizeof(doing); i++)
		used += (size_t)snprintf(doing + used, sizeof(doing) - used, "%s%s",
					 i > 0 ? ", " : "", cap);
	snprintf(msg, size, "allowed_mechanisms lists %s, which an %s key whose "
		 "key usage lets it %s does not use; remove %s", names,
		 keyalg_name(profile_key_alg(p)), doing[0] != '\0' ? doing : "nothing",
		 (wrong & (wrong - 1)) ? "them" : "it");
	return true;
}

/* [key] allowed_mechanisms that leaves one of the key's capabilities
 * without a mechanism: the role could not do what its certificate says.
 * Unwrapping uses decryption's mechanisms. */
static bool
policy_mechs_missing(const struct profile *p, char *msg, size_t size)
{
	bool ec = keyalg_is_ec(profile_key_alg(p));
	unsigned caps = profile_key_caps(p), cap;
	keymech_set mechs = profile_allowed_mechs(p);
	char names[KEYMECH_NAMES_MAX];
	const char *doing;

	if (mechs == 0 || (cap = keymech_unserved(mechs, caps, &doing)) == 0)
		return false;
	keymech_names(keymech_serving(keymech_for_role(ec, caps), cap), ", ",
		      names, sizeof(names));
	snprintf(msg, size, "allowed_mechanisms leaves the key nothing to %s "
		 "with, which its key usage needs; add one of %s", doing, names);
	return true;
}

/* In the order of policy.h. */
static const struct policy_rule {
	const char *id;
	enum policy_severity severity;
	bool (*check)(const struct profile *p, char *msg, size_t size);
} policy_rules[] = {
	{ "eku-missing", POLICY_ERROR, policy_eku_missing },
	{ "eku-any", POLICY_ERROR, policy_eku_any },
	{ "eku-mixed-tls", POLICY_ERROR, policy_eku_mixed_tls },
	{ "waiver-unjustified", POLICY_ERROR, policy_waiver_unjustified },
	{ "waiver-unused", POLICY_WARNING, policy_waiver_unused },
	{ "waiver-in-force", POLICY_INFO, policy_waiver_in_force },
	{ "added-eku-unjustified", POLICY_ERROR, policy_added_eku_unjustified },
	{ "added-eku-in-force", POLICY_INFO, policy_added_eku_in_force },
	{ "unnarrowed-unjustified", POLICY_ERROR, policy_unnarrowed_unjustified },
	{ "unnarrowed-unused", POLICY_WARNING, policy_unnarrowed_unused },
	{ "unnarrowed-in-force", POLICY_INFO, policy_unnarrowed_in_force },
	{ "write-login-so", POLICY_INFO, policy_write_login_so },
	{ "ku-missing", POLICY_ERROR, policy_ku_missing },
	{ "ku-ca", POLICY_ERROR, policy_ku_ca },
	{ "ku-ec-encipherment", POLICY_ERROR, policy_ku_ec_encipherment },
	{ "ku-rsa-agreement", POLICY_ERROR, policy_ku_rsa_agreement },
	{ "ku-modifier-alone", POLICY_ERROR, policy_ku_modifier_alone },
	{ "ku-not-for-eku", POLICY_ERROR, policy_ku_not_for_eku },
	{ "eku-without-ku", POLICY_ERROR, policy_eku_without_ku },
	{ "ku-sign-and-decrypt", POLICY_WARNING, policy_ku_sign_and_decrypt },
	{ "lifetime-missing", POLICY_ERROR, policy_lifetime_missing },
	{ "mechanisms-not-for-key", POLICY_ERROR, policy_mechs_not_for_key },
	{ "mechanisms-missing", POLICY_ERROR, policy_mechs_missing },
};

int
policy_lint(const struct profile *p, struct policy_finding **out,
	    size_t *count)
{
	struct policy_finding *f = NULL;
	char msg[POLICY_MSG_MAX];
	size_t i, n = 0;
	int rc = -1;

	*out = NULL;
	*count = 0;
	if ((f = calloc(NELEM(policy_rules), sizeof(*f))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < NELEM(policy_rules); i++) {
		if (!policy_rules[i].check(p, msg, sizeof(msg)))
			continue;
		if ((f[n].message = strdup(msg)) == NULL) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
		f[n].id = policy_rules[i].id;
		f[n].severity = policy_rules[i].severity;
		n++;
	}
	*out = f;
	*count = n;
	f = NULL;
	n = 0;
	rc = 0;
out:
	policy_findings_free(f, n);
	return rc;
}

void
policy_findings_free(struct policy_finding *f, size_t count)
{
	size_t i;

	for (i = 0; f != NULL && i < count; i++)
		free(f[i].message);
	free(f);
}

const char *
policy_severity_name(enum policy_severity s)
{
	if ((size_t)s >= NELEM(policy_severity_names))
		return "unknown";
	return policy_severity_names[s];
}

int
policy_check(const struct profile *p)
{
	struct policy_finding *f = NULL;
	size_t i, n = 0, errors = 0, first = 0;
	int rc = -1;

	if (policy_lint(p, &f, &n) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (f[i].severity == POLICY_ERROR && errors++ == 0)
			first = i;
	if (errors == 1)
		err_set(ERR_USAGE, "%s: %s: %s", profile_path(p), f[first].id,
			f[first].message);
	else if (errors > 1)
		err_set(ERR_USAGE, "%s: %s: %s (and %zu more)", profile_path(p),
			f[first].id, f[first].message, errors - 1);
	else
		rc = 0;
	if (errors > 0)
		err_tag(ERR_CODE_POLICY_REFUSED);
out:
	policy_findings_free(f, n);
	return rc;
}
