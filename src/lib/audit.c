/* SPDX-License-Identifier: MIT */
/* audit.c - what is on a token, role by role, and what is wrong with it. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "array.h"
#include "audit.h"
#include "err.h"
#include "interrupt.h"
#include "keyrights.h"
#include "keyusage.h"
#include "profile.h"
#include "profile-load.h"
#include "rolestate.h"
#include "text.h"
#include "verify.h"

/* A public key by the SHA-256 of its SubjectPublicKeyInfo: where it is
 * certified, or where its private key is. */
struct audit_keyref {
	unsigned char md[32];
	size_t entry;
	size_t cert;            /* index into the entry's certs */
};

/* Every certificate's key, and every private key's, sorted by digest: so
 * that finding who shares a key costs a search, not a scan. */
struct audit_index {
	struct audit_keyref *certs;
	size_t ncerts;
	struct audit_keyref *privs;
	size_t nprivs;
};

/* At most this many labels in the text of a finding; JSON has them all. */
#define AUDIT_NAMED_MAX 5

/* What the audit of one row can see: the whole inventory too. */
struct audit_ctx {
	const struct inventory_entry *inv;
	size_t n;
	const struct audit_options *opts;
	const struct audit_index *index;
	const struct inventory_entry *e;
	struct audit_row *row;
	const struct profile *profile;  /* the role's, when it loads */
};

/* Add a finding to the row; -1 only when out of memory. */
static int __attribute__((format(printf, 4, 5)))
audit_add(struct audit_ctx *c, const char *id, enum policy_severity severity,
	  const char *fmt, ...)
{
	struct audit_finding *grown;
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	grown = array_grow(c->row->findings, &c->row->findings_cap,
			   c->row->nfindings + 1, sizeof(*grown));
	if (grown == NULL)
		return -1;
	c->row->findings = grown;
	memset(&grown[c->row->nfindings], 0, sizeof(*grown));
	grown[c->row->nfindings].id = id;
	grown[c->row->nfindings].severity = severity;
	if ((grown[c->row->nfindings].message = strdup(message)) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	c->row->nfindings++;
	return 0;
}

static bool
audit_is_ca(X509 *cert)
{
	return X509_check_ca(cert) != 0;
}

static bool
audit_has_eku(X509 *cert, int nid)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
	bool found = false;
	int i;

	for (i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++)
		if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == nid)
			found = true;
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return found;
}

/* The waiver of the role's profile, or NULL. */
static const char *
audit_waiver(const struct audit_ctx *c)
{
	if (c->profile == NULL || !profile_allow_mixed_roles(c->profile))
		return NULL;
	return profile_justification(c->profile);
}

/* Whether the role's profile accepts the extended key usage NID when the
 * CA adds it, with a justification. */
static bool
audit_added_accepted(const struct audit_ctx *c, int nid)
{
	size_t i;

	if (c->profile == NULL || profile_justification(c->profile) == NULL)
		return false;
	for (i = 0; i < profile_added_eku_count(c->profile); i++)
		if (OBJ_obj2nid(profile_added_eku(c->profile, i)) == nid)
			return true;
	return false;
}

static int
audit_cert_mixed_tls(struct audit_ctx *c)
{
	size_t i;

	for (i = 0; i < c->e->ncerts; i++) {
		X509 *cert = c->e->certs[i].cert;

		if (!audit_has_eku(cert, NID_server_auth) || !audit_has_eku(cert, NID_client_auth))
			continue;
		if (audit_waiver(c) != NULL)
			continue;       /* reported as waiver-in-force */
		if (audit_added_accepted(c, NID_client_auth) ||
		    audit_added_accepted(c, NID_server_auth))
			continue;       /* reported as added-eku-in-force */
		if (audit_add(c, "cert-mixed-tls", POLICY_ERROR, "the certificate allows "
			      "both serverAuth and clientAuth: a server identity that "
			      "is also a client identity") < 0)
			return -1;
	}
	return 0;
}

static int
audit_cert_no_eku(struct audit_ctx *c)
{
	size_t i;
	int crit;

	for (i = 0; i < c->e->ncerts; i++) {
		X509 *cert = c->e->certs[i].cert;
		EXTENDED_KEY_USAGE *eku;

		if (audit_is_ca(cert))
			continue;
		eku = X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, NULL);
		if (eku == NULL && audit_add(c, "cert-no-eku", POLICY_ERROR,
					     "the certificate has no extended key usage: "
					     "it is good for any purpose") < 0)
			return -1;
		sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	}
	return 0;
}

static int
audit_cert_any_eku(struct audit_ctx *c)
{
	size_t i;

	for (i = 0; i < c->e->ncerts; i++)
		if (audit_has_eku(c->e->certs[i].cert, NID_anyExtendedKeyUsage) &&
		    audit_add(c, "cert-any-eku", POLICY_ERROR, "the certificate allows "
			      "anyExtendedKeyUsage: it is good for any purpose") < 0)
			return -1;
	return 0;
}

/* The digest of KEY's SubjectPublicKeyInfo into MD; -1 when it has none. */
static int
audit_key_digest(EVP_PKEY *key, unsigned char md[32])
{
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	int len, rc = -1;

	if (key == NULL || (len = i2d_PUBKEY(key, &der)) <= 0)
		return -1;
	if (EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL) == 1 &&
	    mdlen == 32)
		rc = 0;
	OPENSSL_free(der);
	return rc;
}

static int
audit_keyref_cmp(const void *a, const void *b)
{
	const struct audit_keyref *x = a, *y = b;
	int c = memcmp(x->md, y->md, sizeof(x->md));

	if (c != 0)
		return c;
	if (x->entry != y->entry)
		return x->entry < y->entry ? -1 : 1;
	return (x->cert > y->cert) - (x->cert < y->cert);
}

/* The first of REFS (N, sorted) with digest MD: its index, or N. */
static size_t
audit_keyref_find(const struct audit_keyref *refs, size_t n,
		  const unsigned char md[32])
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (memcmp(refs[mid].md, md, 32) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && memcmp(refs[lo].md, md, 32) == 0 ? lo : n;
}

static void
audit_index_clear(struct audit_index *x)
{
	free(x->certs);
	free(x->privs);
	memset(x, 0, sizeof(*x));
}

/* Index the keys of INV's certificates and private keys. */
static int
audit_index_build(const struct inventory_entry *inv, size_t n,
		  struct audit_index *x)
{
	size_t i, j, total = 0;

	memset(x, 0, sizeof(*x));
	for (i = 0; i < n; i++)
		total += inv[i].ncerts;
	x->certs = calloc(total ? total : 1, sizeof(*x->certs));
	x->privs = calloc(n ? n : 1, sizeof(*x->privs));
	if (x->certs == NULL || x->privs == NULL) {
		audit_index_clear(x);
		return err_set(ERR_FAILED, "out of memory");
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < inv[i].ncerts; j++) {
			struct audit_keyref *r = &x->certs[x->ncerts];

			if (audit_key_digest(X509_get0_pubkey(inv[i].certs[j].cert),
					     r->md) < 0)
				continue;
			r->entry = i;
			r->cert = j;
			x->ncerts++;
		}
		if (inv[i].has_private &&
		    audit_key_digest(inv[i].key, x->privs[x->nprivs].md) == 0)
			x->privs[x->nprivs++].entry = i;
	}
	qsort(x->certs, x->ncerts, sizeof(*x->certs), audit_keyref_cmp);
	qsort(x->privs, x->nprivs, sizeof(*x->privs), audit_keyref_cmp);
	return 0;
}

/* Append LABEL (borrowed; NULL as "") to *LIST. */
static int
audit_related_add(const char ***list, size_t *used, size_t *cap, const char *label)
{
	const char **grown = array_grow(*list, cap, *used + 1, sizeof(**list));

	if (grown == NULL)
		return -1;
	*list = grown;
	grown[(*used)++] = label ? label : "";
	return 0;
}

/* "'a', 'b' and 3 more" from LIST (N) into BUF. */
static void
audit_related_text(const char *const *list, size_t n, char *buf, size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && i < AUDIT_NAMED_MAX && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s'%s'",
					 i == 0 ? "" : i + 1 == n ? " and " : ", ",
					 list[i]);
	if (n > AUDIT_NAMED_MAX && used < size)
		snprintf(buf + used, size - used, " and %zu more",
			 n - AUDIT_NAMED_MAX);
}

/* Hand RELATED (N) over to the row's last finding. */
static void
audit_attach(struct audit_ctx *c, const char ***related, size_t n)
{
	struct audit_finding *f = &c->row->findings[c->row->nfindings - 1];

	f->related = *related;
	f->nrelated = n;
	*related = NULL;
}

/* Other certificates on the token certify a key certified here: one
 * finding for the group, naming every other certificate of each such key
 * (and saying how many of the group's own certify one key). */
static int
audit_key_shared(struct audit_ctx *c)
{
	const struct audit_index *x = c->index;
	size_t self = (size_t)(c->e - c->inv), i, k, lo, own, max_own = 0;
	size_t *seen = NULL, nseen = 0, used = 0, cap = 0;
	const char **others = NULL;
	unsigned char md[32];
	char names[400];
	int rc = -1;

	seen = calloc(c->e->ncerts ? c->e->ncerts : 1, sizeof(*seen));
	if (seen == NULL)
		goto out;
	for (i = 0; i < c->e->ncerts; i++) {
		if (audit_key_digest(X509_get0_pubkey(c->e->certs[i].cert), md) < 0 ||
		    (lo = audit_keyref_find(x->certs, x->ncerts, md)) == x->ncerts)
			continue;
		/* Each key once, however many of the group's certify it. */
		for (k = 0; k < nseen && seen[k] != lo; k++)
			;
		if (k < nseen)
			continue;
		seen[nseen++] = lo;
		own = 0;
		for (k = lo; k < x->ncerts && memcmp(x->certs[k].md, md, 32) == 0; k++) {
			if (x->certs[k].entry == self) {
				own++;
				continue;
			}
			if (audit_related_add(&others, &used, &cap,
					      c->inv[x->certs[k].entry].certs[x->certs[k].cert].label) < 0)
				goto out;
		}
		if (own > max_own)
			max_own = own;
	}
	if (used > 0) {
		audit_related_text(others, used, names, sizeof(names));
		if (audit_add(c, "key-shared", POLICY_ERROR, "the key is also "
			      "certified by %zu other certificate%s: %s: one key "
			      "serves two roles", used, used == 1 ? "" : "s", names) < 0)
			goto out;
		audit_attach(c, &others, used);
	} else if (max_own > 1 &&
		   audit_add(c, "key-shared", POLICY_ERROR, "%zu certificates of "
			     "this group certify one key", max_own) < 0) {
		goto out;
	}
	rc = 0;
out:
	if (rc < 0 && others == NULL && seen == NULL)
		err_set(ERR_FAILED, "out of memory");
	free(others);
	free(seen);
	return rc;
}

/* CAPS as "sign, decrypt" into BUF ("no rights" for none). */
static void
audit_caps_words(unsigned caps, char *buf, size_t size)
{
	const char *name;
	size_t i, used = 0;

	snprintf(buf, size, "no rights");
	for (i = 0; (name = keyalg_cap_nth(caps, i)) != NULL && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i ? ", " : "", name);
}

/* Two or more private keys under one CKA_ID: the audit judges the group
 * by the first, so the finding names each with its rights. */
static int
audit_key_duplicate(struct audit_ctx *c)
{
	const char **labels = NULL;
	char text[1024], names[256];
	size_t i, used = 0, cap = 0, len;

	if (c->e->nmore_keys == 0)
		return 0;
	if (audit_related_add(&labels, &used, &cap, c->e->priv_label) < 0)
		goto nomem;
	audit_caps_words(c->e->key_caps, names, sizeof(names));
	len = (size_t)snprintf(text, sizeof(text), "'%s' (%s%s%s)",
			       c->e->priv_label ? c->e->priv_label : "", names,
			       c->e->extractable ? ", extractable" : "",
			       c->e->sensitive ? "" : ", not sensitive");
	for (i = 0; i < c->e->nmore_keys; i++) {
		const struct inventory_key *k = &c->e->more_keys[i];

		if (audit_related_add(&labels, &used, &cap, k->label) < 0)
			goto nomem;
		audit_caps_words(k->key_caps, names, sizeof(names));
		if (len < sizeof(text))
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"%s'%s' (%s%s%s)",
						i + 1 == c->e->nmore_keys ? " and " : ", ",
						k->label ? k->label : "", names,
						k->extractable ? ", extractable" : "",
						k->sensitive ? "" : ", not sensitive");
	}
	if (audit_add(c, "key-duplicate", POLICY_ERROR, "%zu private keys under "
		      "one CKA_ID: %s; a tool that takes the first key of an id "
		      "misses the others", used, text) < 0) {
		free(labels);
		return -1;
	}
	audit_attach(c, &labels, used);
	return 0;
nomem:
	free(labels);
	return err_set(ERR_FAILED, "out of memory");
}

/* Objects of the group that could not be read or parsed. */
static int
audit_unreadable(struct audit_ctx *c)
{
	size_t i;

	for (i = 0; i < c->e->nbad; i++) {
		const struct inventory_bad *b = &c->e->bad[i];
		bool cert = b->cls == CKO_CERTIFICATE;

		if (audit_add(c, cert ? "cert-unparseable" : "object-unreadable",
			      POLICY_ERROR, "the %s object '%s' (handle %lu): %s",
			      cert ? "certificate" : b->cls == CKO_PRIVATE_KEY ?
			      "private key" : "public key", b->label ? b->label : "",
			      (unsigned long)b->handle, b->why) < 0)
			return -1;
	}
	return 0;
}

static int
audit_key_extractable(struct audit_ctx *c)
{
	size_t i;

	if (c->e->has_private && c->e->extractable &&
	    audit_add(c, "key-extractable", POLICY_ERROR, "the private key "
		      "is extractable (CKA_EXTRACTABLE): it can leave the token") < 0)
		return -1;
	for (i = 0; i < c->e->nmore_keys; i++)
		if (c->e->more_keys[i].extractable &&
		    audit_add(c, "key-extractable", POLICY_ERROR, "the private key "
			      "'%s' is extractable (CKA_EXTRACTABLE): it can leave "
			      "the token", c->e->more_keys[i].label ?
			      c->e->more_keys[i].label : "") < 0)
			return -1;
	return 0;
}

static int
audit_key_not_sensitive(struct audit_ctx *c)
{
	size_t i;

	if (c->e->has_private && !c->e->sensitive &&
	    audit_add(c, "key-not-sensitive", POLICY_ERROR, "the private "
		      "key is not sensitive (CKA_SENSITIVE false): its value "
		      "can be read") < 0)
		return -1;
	for (i = 0; i < c->e->nmore_keys; i++)
		if (!c->e->more_keys[i].sensitive &&
		    audit_add(c, "key-not-sensitive", POLICY_ERROR, "the private "
			      "key '%s' is not sensitive (CKA_SENSITIVE false): its "
			      "value can be read", c->e->more_keys[i].label ?
			      c->e->more_keys[i].label : "") < 0)
			return -1;
	return 0;
}

/* The capabilities in CAPS as attribute names, appended to BUF. */
static void
audit_cap_names(unsigned caps, char *buf, size_t size)
{
	static const struct {
		unsigned cap;
		const char *name;
	} names[] = {
		{ KEY_CAP_SIGN, "CKA_SIGN" },
		{ KEY_CAP_DECRYPT, "CKA_DECRYPT" },
		{ KEY_CAP_UNWRAP, "CKA_UNWRAP" },
		{ KEY_CAP_DERIVE, "CKA_DERIVE" },
	};
	size_t i, used;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		used = strlen(buf);
		if (caps & names[i].cap)
			snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
				 names[i].name);
	}
}

/* Whether the row's key must not sign by its role's profile: its sign
 * right is then judged by key-unnarrowed or unnarrowed-in-force. A
 * pending key may still sign, for its own request. */
static bool
audit_must_not_sign(const struct audit_ctx *c)
{
	return c->profile != NULL && c->e->has_private &&
	       strcmp(c->row->state, "pending") != 0 &&
	       !(profile_key_caps(c->profile) & KEY_CAP_SIGN);
}

/* The row's real rights: as read back, and for a key whose role must not
 * sign, whether it signs as the token answers it, not as its CKA_SIGN
 * says (tpm2-pkcs11 accepts CKA_SIGN = FALSE and the key goes on
 * signing). */
static int
audit_key_rights(struct audit_ctx *c)
{
	bool signs = false;

	c->row->rights = c->e->key_caps;
	c->row->sign_probe = AUDIT_PROBE_NONE;
	if (c->opts->token == NULL || !audit_must_not_sign(c) ||
	    (c->e->key_type != CKK_EC && c->e->key_type != CKK_RSA))
		return 0;
	if (keyrights_probe_sign(c->opts->token, c->e->priv, c->e->key_type,
				 &signs) < 0)
		return err_prefix("role %s", c->row->role);
	c->row->sign_probe = signs ? AUDIT_PROBE_SIGNS : AUDIT_PROBE_REFUSED;
	if (signs)
		c->row->rights |= KEY_CAP_SIGN;
	else
		c->row->rights &= ~(unsigned)KEY_CAP_SIGN;
	return 0;
}

/* The private key's rights beyond its certificate's key usage, but for
 * the sign right of a role that must not sign. */
static unsigned
audit_usage_extra(const struct audit_ctx *c)
{
	unsigned caps;
	X509 *cert;

	if (!c->e->has_private || c->e->ncerts == 0)
		return 0;
	cert = c->e->certs[0].cert;
	/* Without a keyUsage extension the certificate restricts nothing. */
	if (!(X509_get_extension_flags(cert) & EXFLAG_KUSAGE))
		return 0;
	caps = c->row->rights & ~keyusage_caps(X509_get_key_usage(cert));
	if (audit_must_not_sign(c))
		caps &= ~(unsigned)KEY_CAP_SIGN;
	return caps;
}

static int
audit_key_exceeds_usage(struct audit_ctx *c)
{
	unsigned caps = audit_usage_extra(c);
	char extra[80] = "";

	if (caps == 0)
		return 0;
	audit_cap_names(caps, extra, sizeof(extra));
	return audit_add(c, "key-exceeds-usage", POLICY_ERROR, "the private key "
			 "may do more than its certificate's key usage allows: %s", extra);
}

/* A key whose role must not sign, and which signs. */
static int
audit_key_unnarrowed(struct audit_ctx *c)
{
	const char *why;

	if (!audit_must_not_sign(c) || !(c->row->rights & KEY_CAP_SIGN))
		return 0;
	why = profile_allow_unnarrowed(c->profile) ?
	      profile_key_justification(c->profile) : NULL;
	if (why != NULL)
		return audit_add(c, "unnarrowed-in-force", POLICY_INFO, "the key "
				 "still signs although its role does not (the "
				 "module ignores the narrowing); the profile's "
				 "waiver allows it: %s", why);
	return audit_add(c, "key-unnarrowed", POLICY_ERROR, "the key still signs "
			 "although its role does not: it can do more than its "
			 "certificate says; renew the role on a module that takes "
			 "the signing right away, or accept it in the role's "
			 "profile with [key] allow_unnarrowed = yes and a "
			 "justification");
}

/* Rights read back beyond the role's profile that no other finding
 * names: the certificate's key usage is judged by key-exceeds-usage, a
 * role's sign right by key-unnarrowed, CKA_EXTRACTABLE and CKA_SENSITIVE
 * by their own. */
static int
audit_key_exceeds_role(struct audit_ctx *c)
{
	char extra[128] = "";
	unsigned caps;
	size_t used;

	if (c->profile == NULL || !c->e->has_private ||
	    strcmp(c->row->state, "pending") == 0)
		return 0;
	caps = c->row->rights & ~profile_key_caps(c->profile) &
	       ~(unsigned)KEY_CAP_SIGN & ~audit_usage_extra(c);
	audit_cap_names(caps, extra, sizeof(extra));
	used = strlen(extra);
	if (c->e->sign_recover)
		used += (size_t)snprintf(extra + used, sizeof(extra) - used, "%s%s",
					 used ? ", " : "", "CKA_SIGN_RECOVER");
	if (!c->e->private_ && used < sizeof(extra))
		used += (size_t)snprintf(extra + used, sizeof(extra) - used, "%s%s",
					 used ? ", " : "", "CKA_PRIVATE false");
	if (used == 0)
		return 0;
	return audit_add(c, "key-exceeds-role", POLICY_ERROR, "the private key "
			 "may do more than its role allows: %s", extra);
}

/* Days from NOW to T, rounded down; negative in the past. */
static long
audit_days_until(const ASN1_TIME *t, time_t now)
{
	int days = 0, secs = 0;
	ASN1_TIME *from = ASN1_TIME_set(NULL, now);

	if (from == NULL || !ASN1_TIME_diff(&days, &secs, from, t))
		days = 0;
	ASN1_TIME_free(from);
	return secs < 0 && days <= 0 ? days - 1 : days;
}

static int
audit_cert_dates(struct audit_ctx *c)
{
	size_t i;
	long days;

	for (i = 0; i < c->e->ncerts; i++) {
		const ASN1_TIME *na = X509_get0_notAfter(c->e->certs[i].cert);

		if (X509_cmp_time(na, &(time_t){ c->opts->now }) <= 0) {
			if (audit_add(c, "cert-expired", POLICY_ERROR, "the certificate "
				      "has expired") < 0)
				return -1;
			continue;
		}
		days = audit_days_until(na, c->opts->now);
		if (days < c->opts->expiring_days &&
		    audit_add(c, "cert-expiring", POLICY_WARNING, "the certificate "
			      "expires in %ld day%s", days, days == 1 ? "" : "s") < 0)
			return -1;
	}
	return 0;
}

/* Whether some private key on the token is KEY. */
static bool
audit_key_present(const struct audit_ctx *c, EVP_PKEY *key)
{
	unsigned char md[32];

	return audit_key_digest(key, md) == 0 &&
	       audit_keyref_find(c->index->privs, c->index->nprivs, md) <
	       c->index->nprivs;
}

static int
audit_cert_without_key(struct audit_ctx *c)
{
	size_t i;

	/* Without a login the private keys are not seen. */
	if (c->e->has_private || c->opts->logged_out)
		return 0;
	for (i = 0; i < c->e->ncerts; i++) {
		X509 *cert = c->e->certs[i].cert;

		if (audit_is_ca(cert) || audit_key_present(c, X509_get0_pubkey(cert)))
			continue;
		if (audit_add(c, "cert-without-key", POLICY_WARNING, "the certificate's "
			      "private key is not on the token") < 0)
			return -1;
	}
	return 0;
}

/* Whether the survey found the request of the awaiting key at entry I of
 * INV nowhere. */
static bool
audit_lost(const struct waitstore_survey *w, const struct inventory_entry *inv,
	   size_t i)
{
	return w != NULL && i < w->n && inv[i].has_private &&
	       rolestate_parse(inv[i].priv_label, NULL) == ROLESTATE_AWAITING &&
	       w->places[i][CERTSTORE_REQUEST].where == WAITSTORE_NONE;
}

/* The same for the row being judged. */
static bool
audit_request_lost(const struct audit_ctx *c)
{
	return audit_lost(c->opts->waiting, c->inv, (size_t)(c->e - c->inv));
}

/* pending, awaiting, retired and orphan keys. */
static int
audit_key_state(struct audit_ctx *c)
{
	const char *state = c->row->state;

	if (strcmp(state, "pending") == 0)
		return audit_add(c, "key-pending", POLICY_WARNING, "left by an "
				 "interrupted run; p11enroll status --repair cleans it up");
	if (strcmp(state, "awaiting-certificate") == 0 && audit_request_lost(c))
		return audit_add(c, "key-awaiting-no-request", POLICY_WARNING, "the "
				 "key awaits its certificate, but its request is "
				 "neither on the token nor in the state directory; "
				 "p11enroll status --repair removes it");
	if (strcmp(state, "awaiting-certificate") == 0)
		return audit_add(c, "key-awaiting", POLICY_INFO, "the key awaits its "
				 "certificate (p11enroll install, or enroll again "
				 "when the CA asked to wait)");
	if (strcmp(state, "retired") == 0)
		return audit_add(c, "key-retired", POLICY_INFO, "kept by renew "
				 "--keep-old; p11enroll remove --only-retired deletes it");
	if (c->e->has_private && c->e->ncerts == 0 && c->e->nbad == 0)
		return audit_add(c, "key-orphan", POLICY_WARNING, "a key pair with no "
				 "certificate");
	return 0;
}

static int
audit_waiver_in_force(struct audit_ctx *c)
{
	const char *why = audit_waiver(c);
	char shown[256];

	if (why == NULL)
		return 0;
	return audit_add(c, "waiver-in-force", POLICY_INFO, "the profile allows "
			 "mixed roles: %s", text_shown(why, shown, sizeof(shown)));
}

/* A private key the token lets use any mechanism its rights allow: made
 * by another tool, or on a module that does not keep
 * CKA_ALLOWED_MECHANISMS. */
static int
audit_key_unrestricted(struct audit_ctx *c)
{
	if (!c->e->has_private || c->e->nmechs > 0)
		return 0;
	return audit_add(c, "key-unrestricted", POLICY_INFO, "the private key "
			 "has no CKA_ALLOWED_MECHANISMS: the token lets it use "
			 "any mechanism its rights allow");
}

/* A certificate carrying a usage the CA added and the profile accepts. */
static int
audit_added_eku_in_force(struct audit_ctx *c)
{
	char shown[256], name[80];
	size_t i, k;
	int nid;

	if (c->profile == NULL || profile_justification(c->profile) == NULL)
		return 0;
	for (k = 0; k < profile_added_eku_count(c->profile); k++) {
		nid = OBJ_obj2nid(profile_added_eku(c->profile, k));
		for (i = 0; nid != NID_undef && i < c->e->ncerts; i++) {
			if (!audit_has_eku(c->e->certs[i].cert, nid))
				continue;
			snprintf(name, sizeof(name), "%s", OBJ_nid2sn(nid));
			return audit_add(c, "added-eku-in-force", POLICY_INFO,
					 "the certificate carries %s, which the CA "
					 "added and the profile accepts: %s", name,
					 text_shown(profile_justification(c->profile),
						    shown, sizeof(shown)));
		}
	}
	return 0;
}

static int (*const audit_rules[])(struct audit_ctx *) = {
	audit_cert_mixed_tls,
	audit_cert_no_eku,
	audit_cert_any_eku,
	audit_key_shared,
	audit_key_duplicate,
	audit_unreadable,
	audit_key_extractable,
	audit_key_not_sensitive,
	audit_key_exceeds_usage,
	audit_key_unnarrowed,
	audit_key_exceeds_role,
	audit_key_unrestricted,
	audit_cert_dates,
	audit_cert_without_key,
	audit_key_state,
	audit_waiver_in_force,
	audit_added_eku_in_force,
};

/* Whether LABEL is in the pending state. */
static bool
audit_is_pending(const char *label)
{
	return rolestate_parse(label, NULL) == ROLESTATE_PENDING;
}

/* Whether any object of E is labelled with the pending prefix. */
static bool
audit_any_pending(const struct inventory_entry *e, const char **label)
{
	const char *labels[2] = { e->priv_label, e->pub_label };
	size_t i;

	for (i = 0; i < e->ncerts; i++)
		if (audit_is_pending(e->certs[i].label)) {
			*label = e->certs[i].label;
			return true;
		}
	for (i = 0; i < 2; i++)
		if (audit_is_pending(labels[i])) {
			*label = labels[i];
			return true;
		}
	return false;
}

/* Whether E is CA certificates alone, as chainstore.h keeps them: no
 * key, every certificate a CA's. */
static bool
audit_is_authority(const struct inventory_entry *e)
{
	size_t i;

	if (e->has_private || e->has_public || e->ncerts == 0 || e->nbad > 0)
		return false;
	for (i = 0; i < e->ncerts; i++)
		if (!audit_is_ca(e->certs[i].cert))
			return false;
	return true;
}

/* Role and state of E into ROW. */
static int
audit_classify(const struct inventory_entry *e, bool logged_out,
	       struct audit_row *row)
{
	const char *label = e->label, *role;
	enum rolestate state;
	size_t i, ncerts = e->ncerts;

	/* A CA certificate is no role: it is a role's chain. */
	if (audit_is_authority(e) && !audit_any_pending(e, &label)) {
		row->state = "authority";
		row->role = strdup("");
		return row->role ? 0 : err_set(ERR_FAILED, "out of memory");
	}

	/* A certificate object that does not parse is still one. */
	for (i = 0; i < e->nbad; i++)
		ncerts += e->bad[i].cls == CKO_CERTIFICATE;

	/* One pending object makes the group pending (LABEL is then its). */
	audit_any_pending(e, &label);
	state = rolestate_parse(label, &role);
	if (state != ROLESTATE_ROLE) {
		row->state = rolestate_name(state);
	} else if (e->has_private && ncerts > 0) {
		row->state = "enrolled";
	} else if (ncerts > 0 && logged_out) {
		/* Private keys are not seen without a login. */
		row->state = "key-not-checked";
	} else if (ncerts > 0) {
		row->state = "certificate-without-key";
	} else {
		row->state = "key-without-certificate";
	}
	row->role = strdup(role);
	return row->role ? 0 : err_set(ERR_FAILED, "out of memory");
}

int
audit_token(const struct inventory_entry *inv, size_t n,
	    const struct audit_options *opts, struct audit_row **out)
{
	struct audit_index index = { NULL, 0, NULL, 0 };
	struct audit_row *rows = NULL;
	struct profile *p = NULL;
	struct audit_ctx c;
	size_t i, r;
	int rc = -1;

	*out = NULL;
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (rows == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (audit_index_build(inv, n, &index) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (interrupt_check() < 0)
			goto out;
		rows[i].entry = &inv[i];
		if (audit_classify(&inv[i], opts->logged_out, &rows[i]) < 0)
			goto out;
		/* A role without a loadable profile simply has no waiver. */
		if (opts->profiles_dir != NULL && rows[i].role[0] != '\0' &&
		    profile_load(opts->profiles_dir, rows[i].role, &p) < 0)
			err_clear();
		c = (struct audit_ctx){ inv, n, opts, &index, &inv[i], &rows[i], p };
		if (audit_key_rights(&c) < 0)
			goto out;
		for (r = 0; r < sizeof(audit_rules) / sizeof(audit_rules[0]); r++)
			if (audit_rules[r](&c) < 0)
				goto out;
		profile_free(p);
		p = NULL;
	}
	*out = rows;
	rows = NULL;
	rc = 0;
out:
	audit_index_clear(&index);
	profile_free(p);
	audit_rows_free(rows, n);
	return rc;
}

void
audit_rows_free(struct audit_row *rows, size_t n)
{
	size_t i, j;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < rows[i].nfindings; j++) {
			free(rows[i].findings[j].message);
			free(rows[i].findings[j].related);
		}
		free(rows[i].findings);
		free(rows[i].role);
	}
	free(rows);
}

size_t
audit_count(const struct audit_row *rows, size_t n, enum policy_severity severity)
{
	size_t i, j, count = 0;

	for (i = 0; i < n; i++)
		for (j = 0; j < rows[i].nfindings; j++)
			if (rows[i].findings[j].severity == severity)
				count++;
	return count;
}

/* Whether any object outside group SKIP is labelled ROLE. */
static bool
audit_role_taken(const struct inventory_entry *inv, size_t n, size_t skip,
		 const char *role)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (i == skip)
			continue;
		if ((inv[i].priv_label && strcmp(inv[i].priv_label, role) == 0) ||
		    (inv[i].pub_label && strcmp(inv[i].pub_label, role) == 0))
			return true;
		for (j = 0; j < inv[i].ncerts; j++)
			if (inv[i].certs[j].label && strcmp(inv[i].certs[j].label, role) == 0)
				return true;
	}
	return false;
}

/* The role's profile: from POLICY's list, else loaded into *OWNED. */
static const struct profile *
audit_repair_profile(const struct audit_repair_policy *policy, const char *role,
		     struct profile **owned)
{
	size_t i;

	*owned = NULL;
	for (i = 0; i < policy->nprofiles; i++)
		if (strcmp(profile_role(policy->profiles[i]), role) == 0)
			return policy->profiles[i];
	if (policy->profiles_dir == NULL || role[0] == '\0' ||
	    profile_load(policy->profiles_dir, role, owned) < 0)
		return NULL;
	return *owned;
}

/* Whether the pending group E of ROLE can be finished: its one
 * certificate certifies its own key pair and passes the checks enroll
 * made before writing it (a certificate written by hand, or by a run
 * that wrote before checking, must not become a role). *WHY (owned) says
 * why not. */
static bool
audit_finishable(const struct inventory_entry *e, const char *role,
		 const struct audit_repair_policy *policy, char **why)
{
	struct csr_spec spec = { NULL, NULL, 0, NULL, NULL };
	struct verify_policy vp;
	const struct profile *p;
	struct profile *owned = NULL;
	GENERAL_NAMES *san;
	bool ok = false;
	X509 *cert;

	*why = NULL;
	if (!e->has_private || !e->has_public || e->ncerts != 1 || e->key == NULL ||
	    e->nmore_keys > 0 || e->nbad > 0)
		return false;
	cert = e->certs[0].cert;
	if ((p = audit_repair_profile(policy, role, &owned)) == NULL) {
		err_clear();
		*why = strdup("the role's profile cannot be loaded, so its "
			      "certificate cannot be checked");
		goto out;
	}
	/* What was asked is not on the token: the certificate's own
	 * subject and SANs stand for it; every other check is enroll's. */
	san = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	spec.subject = X509_NAME_dup(X509_get_subject_name(cert));
	spec.san = san;
	if (spec.subject == NULL || profile_spec_usages(p, &spec) < 0) {
		*why = strdup(err_message());
		err_clear();
		goto out;
	}
	memset(&vp, 0, sizeof(vp));
	vp.spec = &spec;
	vp.key = e->key;
	vp.max_lifetime_days = profile_max_lifetime_days(p);
	vp.allow_subject_change = profile_allow_subject_change(p);
	vp.added_eku = profile_added_ekus(p);
	vp.now = policy->now;
	if (verify_issued(cert, NULL, &vp, NULL) < 0) {
		*why = strdup(err_message());
		err_clear();
		goto out;
	}
	ok = true;
out:
	csr_spec_clear(&spec);
	profile_free(owned);
	return ok;
}

/* One more step in *PLAN: ACTION on ENTRY for ROLE, FILE (may be NULL). */
static int
audit_plan_add(struct audit_repair **plan, size_t *used, size_t *cap,
	       size_t entry, enum audit_repair_action action, const char *role,
	       const char *file)
{
	struct audit_repair *grown, *r;

	grown = array_grow(*plan, cap, *used + 1, sizeof(**plan));
	if (grown == NULL)
		return -1;
	*plan = grown;
	r = &grown[*used];
	memset(r, 0, sizeof(*r));
	r->entry = entry;
	r->action = action;
	r->role = strdup(role);
	r->file = file != NULL ? strdup(file) : NULL;
	r->why = NULL;
	(*used)++;
	if (r->role == NULL || (file != NULL && r->file == NULL))
		return err_set(ERR_FAILED, "out of memory");
	return 0;
}

/* The waiting state to repair: awaiting keys whose request is lost, and
 * state files whose key is not awaiting on the token. */
static int
audit_plan_waiting(const struct inventory_entry *inv, size_t n,
		   const struct waitstore_survey *w, struct audit_repair **plan,
		   size_t *used, size_t *cap)
{
	const char *role;
	char *path;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (!audit_lost(w, inv, i))
			continue;
		rolestate_parse(inv[i].priv_label, &role);
		if (audit_plan_add(plan, used, cap, i, AUDIT_REPAIR_REMOVE_AWAITING,
				   role, NULL) < 0)
			return -1;
	}
	for (i = 0; i < w->norphans; i++) {
		if (asprintf(&path, "%s/%s", w->dir, w->orphans[i].name) < 0)
			return err_set(ERR_FAILED, "out of memory");
		rc = audit_plan_add(plan, used, cap, i, AUDIT_REPAIR_DROP_STATE, "",
				    path);
		free(path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
audit_repair_plan(const struct inventory_entry *inv, size_t n,
		  const struct waitstore_survey *waiting,
		  const struct audit_repair_policy *policy,
		  struct audit_repair **out, size_t *count)
{
	struct audit_repair *plan = NULL;
	const char *label, *role;
	size_t i, used = 0, cap = 0;
	int rc = -1;

	*out = NULL;
	*count = 0;
	for (i = 0; i < n; i++) {
		if (!audit_any_pending(&inv[i], &label))
			continue;
		rolestate_parse(label, &role);
		if (audit_plan_add(&plan, &used, &cap, i, AUDIT_REPAIR_REMOVE, role,
				   NULL) < 0)
			goto out;
		if (audit_role_taken(inv, n, i, role))
			continue;
		if (audit_finishable(&inv[i], role, policy, &plan[used - 1].why))
			plan[used - 1].action = AUDIT_REPAIR_FINISH;
	}
	if (waiting != NULL &&
	    audit_plan_waiting(inv, n, waiting, &plan, &used, &cap) < 0)
		goto out;
	*out = plan;
	*count = used;
	plan = NULL;
	used = 0;
	rc = 0;
out:
	audit_repair_free(plan, used);
	return rc;
}

/* Every object of E, in the order of deletion (the private key first). */
static int
audit_group(const struct inventory_entry *e, struct rolestate_group *g)
{
	size_t i;

	if (e->has_private &&
	    rolestate_group_add(g, e->priv, CKO_PRIVATE_KEY, e->priv_label) < 0)
		return -1;
	for (i = 0; i < e->nmore_keys; i++)
		if (rolestate_group_add(g, e->more_keys[i].handle, CKO_PRIVATE_KEY,
					e->more_keys[i].label) < 0)
			return -1;
	if (e->has_public &&
	    rolestate_group_add(g, e->pub, CKO_PUBLIC_KEY, e->pub_label) < 0)
		return -1;
	for (i = 0; i < e->ncerts; i++)
		if (rolestate_group_add(g, e->certs[i].handle, CKO_CERTIFICATE,
					e->certs[i].label) < 0)
			return -1;
	for (i = 0; i < e->nbad; i++)
		if (rolestate_group_add(g, e->bad[i].handle, e->bad[i].cls,
					e->bad[i].label) < 0)
			return -1;
	return 0;
}

/* Give every object of G the label ROLE, in G's order: the certificate
 * last, as enroll writes a role, so that until it carries the role's
 * label the group still shows as pending. */
static int
audit_relabel(struct token *t, const struct rolestate_group *g, const char *role)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (token_set_attr(t, g->objs[i].handle, CKA_LABEL, role,
				   strlen(role)) < 0)
			return -1;
	return 0;
}

/* Carry out one repair of a group of objects, E. */
static int
audit_repair_one(struct token *t, const struct inventory_entry *e,
		 const struct audit_repair *r)
{
	struct rolestate_group g = { NULL, 0, 0 };
	int rc = -1;

	if (audit_group(e, &g) < 0)
		goto out;
	if ((r->action == AUDIT_REPAIR_FINISH ? audit_relabel(t, &g, r->role) :
	     rolestate_delete(t, &g, NULL)) < 0)
		goto out;
	/* The key is gone: a CA ticket of its CKA_ID has nothing to wait for. */
	if (r->action == AUDIT_REPAIR_REMOVE_AWAITING &&
	    waitstore_drop_files(t, e->id, e->id_len) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		err_prefix("%s the %s %s", r->action == AUDIT_REPAIR_FINISH ?
			   "finish" : "remove", r->action == AUDIT_REPAIR_REMOVE_AWAITING ?
			   "awaiting" : "pending", r->role);
	rolestate_group_clear(&g);
	return rc;
}

int
audit_repair_apply(struct token *t, const struct inventory_entry *inv,
		   const struct waitstore_survey *waiting,
		   const struct audit_repair *plan, size_t count)
{
	struct err_saved first;
	size_t i, failed = 0;
	int rc;

	for (i = 0; i < count; i++) {
		if (plan[i].action == AUDIT_REPAIR_DROP_STATE)
			rc = waitstore_drop_file(t, waiting->orphans[plan[i].entry].name);
		else
			rc = audit_repair_one(t, &inv[plan[i].entry], &plan[i]);
		if (rc < 0)
			err_collect(&first, &failed);
	}
	if (failed == 0)
		return 0;
	return err_restore(&first);
}

void
audit_repair_free(struct audit_repair *plan, size_t count)
{
	size_t i;

	if (plan == NULL)
		return;
	for (i = 0; i < count; i++) {
		free(plan[i].role);
		free(plan[i].file);
		free(plan[i].why);
	}
	free(plan);
}
