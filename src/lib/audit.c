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
#include "keyusage.h"
#include "profile.h"
#include "profile-load.h"
#include "rolestate.h"
#include "text.h"

/* What the audit of one row can see: the whole inventory too. */
struct audit_ctx {
	const struct inventory_entry *inv;
	size_t n;
	const struct audit_options *opts;
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

/* Another certificate on the token certifies the same key. */
static int
audit_key_shared(struct audit_ctx *c)
{
	char label[TEXT_PRINTABLE_SIZE(64)];
	size_t i, j, k;

	for (i = 0; i < c->e->ncerts; i++) {
		EVP_PKEY *key = X509_get0_pubkey(c->e->certs[i].cert);

		for (j = 0; key != NULL && j < c->n; j++) {
			for (k = 0; k < c->inv[j].ncerts; k++) {
				const struct inventory_cert *other = &c->inv[j].certs[k];

				if (other->handle == c->e->certs[i].handle ||
				    EVP_PKEY_eq(key, X509_get0_pubkey(other->cert)) != 1)
					continue;
				if (audit_add(c, "key-shared", POLICY_ERROR, "the key is "
					      "also certified by the certificate labelled "
					      "'%s': one key serves two roles",
					      text_shown(other->label, label,
							 sizeof(label))) < 0)
					return -1;
			}
		}
	}
	return 0;
}

static int
audit_key_extractable(struct audit_ctx *c)
{
	if (c->e->has_private && c->e->extractable)
		return audit_add(c, "key-extractable", POLICY_ERROR, "the private key "
				 "is extractable (CKA_EXTRACTABLE): it can leave the token");
	return 0;
}

static int
audit_key_not_sensitive(struct audit_ctx *c)
{
	if (c->e->has_private && !c->e->sensitive)
		return audit_add(c, "key-not-sensitive", POLICY_ERROR, "the private "
				 "key is not sensitive (CKA_SENSITIVE false): its value "
				 "can be read");
	return 0;
}

static int
audit_key_exceeds_usage(struct audit_ctx *c)
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
	char extra[80] = "";
	unsigned caps;
	X509 *cert;
	size_t i;

	if (!c->e->has_private || c->e->ncerts == 0)
		return 0;
	cert = c->e->certs[0].cert;
	/* Without a keyUsage extension the certificate restricts nothing. */
	if (!(X509_get_extension_flags(cert) & EXFLAG_KUSAGE))
		return 0;
	caps = c->e->key_caps & ~keyusage_caps(X509_get_key_usage(cert));
	if (caps == 0)
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (caps & names[i].cap)
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
				 "%s%s", extra[0] ? ", " : "", names[i].name);
	return audit_add(c, "key-exceeds-usage", POLICY_ERROR, "the private key "
			 "may do more than its certificate's key usage allows: %s", extra);
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
	size_t j;

	for (j = 0; key != NULL && j < c->n; j++)
		if (c->inv[j].has_private && c->inv[j].key != NULL &&
		    EVP_PKEY_eq(c->inv[j].key, key) == 1)
			return true;
	return false;
}

static int
audit_cert_without_key(struct audit_ctx *c)
{
	size_t i;

	if (c->e->has_private)
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

/* pending, awaiting, retired and orphan keys. */
static int
audit_key_state(struct audit_ctx *c)
{
	const char *state = c->row->state;

	if (strcmp(state, "pending") == 0)
		return audit_add(c, "key-pending", POLICY_WARNING, "left by an "
				 "interrupted run; p11enroll status --repair cleans it up");
	if (strcmp(state, "awaiting-certificate") == 0)
		return audit_add(c, "key-awaiting", POLICY_INFO, "the key awaits its "
				 "certificate (p11enroll install, or enroll again "
				 "when the CA asked to wait)");
	if (strcmp(state, "retired") == 0)
		return audit_add(c, "key-retired", POLICY_INFO, "kept by renew "
				 "--keep-old; p11enroll remove --only-retired deletes it");
	if (c->e->has_private && c->e->ncerts == 0)
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

static int (*const audit_rules[])(struct audit_ctx *) = {
	audit_cert_mixed_tls,
	audit_cert_no_eku,
	audit_cert_any_eku,
	audit_key_shared,
	audit_key_extractable,
	audit_key_not_sensitive,
	audit_key_exceeds_usage,
	audit_cert_dates,
	audit_cert_without_key,
	audit_key_state,
	audit_waiver_in_force,
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

/* Role and state of E into ROW. */
static int
audit_classify(const struct inventory_entry *e, struct audit_row *row)
{
	const char *label = e->label, *role;
	enum rolestate state;

	/* One pending object makes the group pending (LABEL is then its). */
	audit_any_pending(e, &label);
	state = rolestate_parse(label, &role);
	if (state != ROLESTATE_ROLE) {
		row->state = rolestate_name(state);
	} else if (e->has_private && e->ncerts > 0) {
		row->state = "enrolled";
	} else if (e->ncerts > 0) {
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
	for (i = 0; i < n; i++) {
		rows[i].entry = &inv[i];
		if (audit_classify(&inv[i], &rows[i]) < 0)
			goto out;
		/* A role without a loadable profile simply has no waiver. */
		if (opts->profiles_dir != NULL && rows[i].role[0] != '\0' &&
		    profile_load(opts->profiles_dir, rows[i].role, &p) < 0)
			err_clear();
		c = (struct audit_ctx){ inv, n, opts, &inv[i], &rows[i], p };
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
		for (j = 0; j < rows[i].nfindings; j++)
			free(rows[i].findings[j].message);
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

/* A pending group can be finished when its certificate certifies its own
 * key pair: the certificate was only written after every check passed. */
static bool
audit_finishable(const struct inventory_entry *e)
{
	return e->has_private && e->has_public && e->ncerts == 1 && e->key != NULL &&
	       EVP_PKEY_eq(e->key, X509_get0_pubkey(e->certs[0].cert)) == 1;
}

int
audit_repair_plan(const struct inventory_entry *inv, size_t n,
		  struct audit_repair **out, size_t *count)
{
	struct audit_repair *plan = NULL, *grown;
	const char *label, *role;
	size_t i, used = 0, cap = 0;
	int rc = -1;

	*out = NULL;
	*count = 0;
	for (i = 0; i < n; i++) {
		if (!audit_any_pending(&inv[i], &label))
			continue;
		grown = array_grow(plan, &cap, used + 1, sizeof(*plan));
		if (grown == NULL)
			goto out;
		plan = grown;
		plan[used].entry = i;
		rolestate_parse(label, &role);
		plan[used].role = strdup(role);
		if (plan[used].role == NULL) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
		plan[used].action = audit_finishable(&inv[i]) &&
				    !audit_role_taken(inv, n, i, plan[used].role) ?
				    AUDIT_REPAIR_FINISH : AUDIT_REPAIR_REMOVE;
		used++;
	}
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
	if (e->has_public &&
	    rolestate_group_add(g, e->pub, CKO_PUBLIC_KEY, e->pub_label) < 0)
		return -1;
	for (i = 0; i < e->ncerts; i++)
		if (rolestate_group_add(g, e->certs[i].handle, CKO_CERTIFICATE,
					e->certs[i].label) < 0)
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

/* Carry out one repair. */
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
	rc = 0;
out:
	if (rc < 0)
		err_prefix("%s the pending %s", r->action == AUDIT_REPAIR_FINISH ?
			   "finish" : "remove", r->role);
	rolestate_group_clear(&g);
	return rc;
}

int
audit_repair_apply(struct token *t, const struct inventory_entry *inv,
		   const struct audit_repair *plan, size_t count)
{
	struct err_saved first;
	size_t i, failed = 0;

	for (i = 0; i < count; i++)
		if (audit_repair_one(t, &inv[plan[i].entry], &plan[i]) < 0)
			err_collect(&first, &failed);
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
	for (i = 0; i < count; i++)
		free(plan[i].role);
	free(plan);
}
