/* SPDX-License-Identifier: MIT */
/* lifecycle.c - a role after enroll: renew it, remove it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "certstore.h"
#include "chainstore.h"
#include "err.h"
#include "interrupt.h"
#include "keygen.h"
#include "lifecycle.h"
#include "rolerecord.h"
#include "rolestate.h"
#include "util.h"
#include "waitstore.h"

void
lifecycle_renewal_clear(struct lifecycle_renewal *r)
{
	if (r == NULL)
		return;
	enroll_result_clear(&r->result);
	free(r->retired_id);
	free(r->warning);
	X509_free(r->old_cert);
	memset(r, 0, sizeof(*r));
}

/* ---- renew ---- */

/* The role's current objects, as renew finds them. */
struct lifecycle_old {
	CK_OBJECT_HANDLE priv, pub, cert;       /* pub: CK_INVALID_HANDLE if none;
						 * any: CK_INVALID_HANDLE once the
						 * token has replaced it */
	unsigned char *id;
	size_t id_len;
	X509 *x509;
	bool fixed;                     /* the profile fixes the CKA_ID */
	CK_OBJECT_CLASS replaced;       /* 0, or what the token replaced in the
					 * fixed slot first: CKO_PRIVATE_KEY
					 * (at key generation) or
					 * CKO_CERTIFICATE (at the write) */
};

static void
lifecycle_old_clear(struct lifecycle_old *o)
{
	free(o->id);
	X509_free(o->x509);
	memset(o, 0, sizeof(*o));
	o->priv = o->pub = o->cert = CK_INVALID_HANDLE;
}

/* Whether object H has CKA_ID ID. */
static int
lifecycle_has_id(struct token *t, CK_OBJECT_HANDLE h, const unsigned char *id,
		 size_t id_len, bool *out)
{
	unsigned char *v = NULL;
	size_t len = 0;

	*out = false;
	if (token_get_attr(t, h, CKA_ID, &v, &len) < 0)
		return -1;
	*out = len == id_len && (len == 0 || memcmp(v, id, len) == 0);
	free(v);
	return 0;
}

/* The role's one private key, one certificate and at most one public key,
 * all labelled LABEL and of one CKA_ID; anything else is not a role that
 * renew can replace. */
static int
lifecycle_find_old(struct token *t, const struct profile *p, struct lifecycle_old *o)
{
	const char *label = profile_label(p), *tok = token_get_info(t)->label;
	CK_OBJECT_HANDLE *priv = NULL, *pub = NULL, *cert = NULL;
	size_t npriv = 0, npub = 0, ncert = 0;
	bool same_cert = false, same_pub = true;
	EVP_PKEY *key = NULL;
	int rc = -1;

	if (certstore_find_label(t, CKO_PRIVATE_KEY, label, &priv, &npriv) < 0 ||
	    certstore_find_label(t, CKO_PUBLIC_KEY, label, &pub, &npub) < 0 ||
	    certstore_find_label(t, CKO_CERTIFICATE, label, &cert, &ncert) < 0)
		goto out;
	if (npriv == 0 && ncert == 0) {
		err_set(ERR_FAILED, "role %s is not on token %s; use enroll",
			profile_role(p), tok);
		goto out;
	}
	if (npriv != 1 || ncert != 1 || npub > 1) {
		err_set(ERR_FAILED, "role %s on token %s is not complete: %zu private "
			"key(s), %zu certificate(s) and %zu public key(s) are labelled "
			"%s, where renew needs one key pair and its certificate; see "
			"p11enroll status", profile_role(p), tok, npriv, ncert, npub, label);
		goto out;
	}
	o->priv = priv[0];
	o->cert = cert[0];
	o->pub = npub ? pub[0] : CK_INVALID_HANDLE;
	if (token_get_attr(t, o->priv, CKA_ID, &o->id, &o->id_len) < 0 ||
	    lifecycle_has_id(t, o->cert, o->id, o->id_len, &same_cert) < 0 ||
	    (npub && lifecycle_has_id(t, o->pub, o->id, o->id_len, &same_pub) < 0) ||
	    certstore_read_cert(t, o->cert, &o->x509) < 0)
		goto out;
	if (!same_cert || !same_pub || o->id_len == 0) {
		err_set(ERR_FAILED, "role %s on token %s is not complete: its objects "
			"labelled %s do not share one CKA_ID; see p11enroll status",
			profile_role(p), tok, label);
		goto out;
	}
	if (npub && keygen_public_key(t, o->pub, &key) < 0) {
		err_prefix("read the public key of role %s", profile_role(p));
		goto out;
	}
	if (npub && EVP_PKEY_eq(key, X509_get0_pubkey(o->x509)) != 1) {
		err_set(ERR_FAILED, "role %s on token %s: its certificate does not "
			"certify its key; see p11enroll status", profile_role(p), tok);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		lifecycle_old_clear(o);
	EVP_PKEY_free(key);
	free(priv);
	free(pub);
	free(cert);
	return rc;
}

/* A fixed slot must hold the role's own key or nothing: a card that
 * generates into it replaces whatever key is there. */
static int
lifecycle_check_slot(struct token *t, const struct profile *p,
		     const struct lifecycle_old *o)
{
	size_t fixed_len = 0, n = 0, i;
	const unsigned char *fixed = profile_key_id(p, &fixed_len);
	CK_OBJECT_HANDLE *h = NULL;
	bool other = false;
	char *hex;

	if (fixed == NULL)
		return 0;
	if (certstore_find_id(t, CKO_PRIVATE_KEY, fixed, fixed_len, &h, &n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		other = other || h[i] != o->priv;
	free(h);
	if (!other)
		return 0;
	hex = util_hex(fixed, fixed_len);
	err_set(ERR_FAILED, "role %s on token %s: its fixed key slot ID %s is "
		"occupied by another key", profile_role(p), token_get_info(t)->label,
		hex != NULL ? hex : "?");
	free(hex);
	return -1;
}

/* Whether object H is still among the objects of CLS labelled LABEL. */
static int
lifecycle_still_there(struct token *t, CK_OBJECT_CLASS cls, const char *label,
		      CK_OBJECT_HANDLE h, bool *out)
{
	CK_OBJECT_HANDLE *found = NULL;
	size_t n = 0, i;

	*out = false;
	if (certstore_find_label(t, cls, label, &found, &n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		*out = *out || found[i] == h;
	free(found);
	return 0;
}

/* After the new key pair was generated, or its certificate written, with
 * the fixed CKA_ID: a card replaces what its slot held, where a token
 * such as SoftHSM keeps it beside the new one. Forget the old objects
 * that are gone, and record in O what was replaced first. */
static int
lifecycle_probe_old(struct token *t, const struct profile *p,
		    struct lifecycle_old *o)
{
	struct {
		CK_OBJECT_HANDLE *h;
		CK_OBJECT_CLASS cls;
	} objs[] = {
		{ &o->priv, CKO_PRIVATE_KEY },
		{ &o->cert, CKO_CERTIFICATE },
		{ &o->pub, CKO_PUBLIC_KEY },
	};
	size_t i;
	bool there;

	for (i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		if (*objs[i].h == CK_INVALID_HANDLE)
			continue;
		if (lifecycle_still_there(t, objs[i].cls, profile_label(p),
					  *objs[i].h, &there) < 0)
			return -1;
		if (there)
			continue;
		*objs[i].h = CK_INVALID_HANDLE;
		/* A public key alone is only a copy: the role stands. */
		if (o->replaced == 0 && objs[i].cls != CKO_PUBLIC_KEY)
			o->replaced = objs[i].cls;
	}
	return 0;
}

/* Probe the fixed slot after a step that wrote into it and returned
 * STEP; the step's own error, if any, is kept. */
static int
lifecycle_after_write(struct token *t, const struct profile *p,
		      struct lifecycle_old *o, int step)
{
	struct err_saved saved;

	if (!o->fixed)
		return step;
	err_save(&saved);
	if (lifecycle_probe_old(t, p, o) < 0) {
		if (step == 0)
			return err_prefix("look for the old key in its fixed slot");
		err_restore(&saved);
		err_append("whether the old key is still in its fixed slot could "
			   "not be told; see p11enroll status");
		return -1;
	}
	if (step < 0)
		err_restore(&saved);
	return step;
}

/* The old objects still there, into G, labelled LABEL. */
static int
lifecycle_old_group(const struct lifecycle_old *o, const char *label,
		    struct rolestate_group *g)
{
	if (rolestate_group_add(g, o->priv, CKO_PRIVATE_KEY, label) < 0 ||
	    rolestate_group_add(g, o->pub, CKO_PUBLIC_KEY, label) < 0 ||
	    rolestate_group_add(g, o->cert, CKO_CERTIFICATE, label) < 0)
		return -1;
	return 0;
}

/* Delete the old objects still there, labelled LABEL (NULL: not known for
 * sure), by handle: with a fixed CKA_ID the new objects share theirs. One
 * that the token has replaced in its fixed slot already is gone, which is
 * what was wanted (rolestate_delete() counts it as deleted). */
static int
lifecycle_delete_old(struct token *t, const struct lifecycle_old *o,
		     const char *label)
{
	struct rolestate_group g = { NULL, 0, 0 };
	int rc = -1;

	if (lifecycle_old_group(o, label, &g) < 0 || rolestate_delete(t, &g, NULL) < 0)
		goto out;
	rc = 0;
out:
	rolestate_group_clear(&g);
	return rc;
}

/* After a failed renewal in which the token replaced part of the old
 * group in its fixed slot: what is left of it (a certificate without its
 * key, or a key without its certificate) is no role, so it goes too,
 * keeping the recorded error. */
static void
lifecycle_clear_slot(struct token *t, const struct profile *p,
		     const struct lifecycle_old *o)
{
	struct err_saved saved, cleanup;
	char *hex = util_hex(o->id, o->id_len);
	bool key = o->replaced == CKO_PRIVATE_KEY;
	char replaced[200];
	int rc;

	err_save(&saved);
	snprintf(replaced, sizeof(replaced), "%s in fixed slot ID %s when %s",
		 key ? "key" : "certificate", hex != NULL ? hex : "?",
		 key ? "it generated the new one" : "the new one was written");
	rc = lifecycle_delete_old(t, o, NULL);
	/* Its record goes with it: a record labelled like the role would
	 * keep the role's label taken. */
	if (rc == 0)
		rc = rolerecord_drop(t, profile_label(p), o->id, o->id_len);
	err_save(&cleanup);
	err_restore(&saved);
	if (rc < 0)
		err_append("the card replaced the old %s, and what is left of the "
			   "old role could not all be removed: run p11enroll remove "
			   "%s, then enroll it again: %s", replaced, profile_role(p),
			   cleanup.message);
	else
		err_append("the card replaced the old %s, so the old %s was removed "
			   "too; enroll %s again", replaced, key ? "certificate" : "key",
			   profile_role(p));
	free(hex);
}

/* What the current certificate asked for, with the role's usages. */
static int
lifecycle_spec_of_cert(const struct profile *p, X509 *cert, struct csr_spec *out)
{
	struct csr_spec spec;
	int crit = -1;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&spec, 0, sizeof(spec));
	spec.subject = X509_NAME_dup(X509_get_subject_name(cert));
	spec.san = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
	if (spec.subject == NULL || (spec.san == NULL && crit != -1)) {
		err_set(ERR_FAILED, "cannot read the subject and names of the "
			"current certificate");
		goto out;
	}
	if (profile_spec_usages(p, &spec) < 0)
		goto out;
	*out = spec;
	memset(&spec, 0, sizeof(spec));
	rc = 0;
out:
	csr_spec_clear(&spec);
	return rc;
}

/* Label the old objects LABEL, private key first: from then on the group
 * no longer counts as the role, whatever happens to the rest. */
static int
lifecycle_label_old(struct token *t, const struct lifecycle_old *o, const char *label)
{
	const CK_OBJECT_HANDLE h[] = { o->priv, o->pub, o->cert };
	size_t i;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		if (h[i] == CK_INVALID_HANDLE)
			continue;
		if (token_set_attr(t, h[i], CKA_LABEL, label, strlen(label)) < 0)
			return err_prefix("label the old objects '%s'", label);
	}
	return 0;
}

/* Put the old objects back under the role's label after a failure,
 * keeping the recorded error; when the token replaced part of them in
 * their fixed slot, remove the rest instead. */
static void
lifecycle_restore_old(struct token *t, const struct profile *p,
		      const struct lifecycle_old *o)
{
	char retired[ROLESTATE_LABEL_MAX];
	struct err_saved saved, cleanup;
	int rc;

	if (o->replaced != 0) {
		lifecycle_clear_slot(t, p, o);
		return;
	}
	err_save(&saved);
	rc = lifecycle_label_old(t, o, profile_label(p));
	err_save(&cleanup);
	rolestate_label(ROLESTATE_RETIRED, profile_label(p), retired, sizeof(retired));
	err_restore(&saved);
	if (rc < 0)
		err_append("the old objects could not all be given their label %s "
			   "back and are labelled %s: %s", profile_label(p), retired,
			   cleanup.message);
	else
		err_append("the old key and certificate are as they were");
}

/* Delete the retired old objects, by handle: with a fixed CKA_ID the new
 * objects share theirs. On failure they stay, and R says so. */
static int
lifecycle_drop_old(struct token *t, const struct profile *p,
		   const struct lifecycle_old *o, struct lifecycle_renewal *r)
{
	char retired[ROLESTATE_LABEL_MAX], msg[ERR_MESSAGE_MAX + 200];

	if (rolestate_label(ROLESTATE_RETIRED, profile_label(p), retired,
			    sizeof(retired)) < 0)
		return -1;
	if (lifecycle_delete_old(t, o, retired) == 0)
		return 0;
	/* The new role is in: what is left of the old one is a warning. */
	snprintf(msg, sizeof(msg), "the old objects could not all be deleted; what "
		 "is left is labelled %s: delete it with p11enroll remove %s "
		 "--only-retired (%s)", retired, profile_role(p), err_message());
	err_clear();
	r->warning = util_strdup(msg);
	r->retired_id = util_hex(o->id, o->id_len);
	return r->warning != NULL && r->retired_id != NULL ? 0 :
	       err_set(ERR_FAILED, "out of memory");
}

/* The new certificate is in under the pending label: retire the old
 * objects, give the new ones the role's label, and let the old ones go.
 * On failure the new objects are still N's to undo. */
static int
lifecycle_switch(struct token *t, const struct profile *p, struct enroll_new *n,
		 const struct lifecycle_old *o, bool keep_old,
		 struct lifecycle_renewal *r)
{
	char retired[ROLESTATE_LABEL_MAX];

	if (rolestate_label(ROLESTATE_RETIRED, profile_label(p), retired,
			    sizeof(retired)) < 0)
		return -1;
	if (lifecycle_label_old(t, o, retired) < 0) {
		enroll_undo(t, n, profile_label(p));
		lifecycle_restore_old(t, p, o);
		return -1;
	}
	if (enroll_promote(t, p, n) < 0) {
		/* Both groups may carry the role's label now: the new one
		 * goes first, then the old one may take it back. */
		enroll_undo(t, n, profile_label(p));
		lifecycle_restore_old(t, p, o);
		return -1;
	}
	n->tried = n->made = false;
	n->cert = CK_INVALID_HANDLE;
	if (keep_old) {
		r->retired_id = util_hex(o->id, o->id_len);
		return r->retired_id != NULL ? 0 : err_set(ERR_FAILED, "out of memory");
	}
	return lifecycle_drop_old(t, p, o, r);
}

/* Submit for renew, which needs the certificate in this run: the old
 * pair cannot stay beside a new key that waits. */
static int
lifecycle_submit(struct ca *ca, const char *pem, const struct profile *p,
		 struct ca_reply *reply)
{
	int rc = ca_submit(ca, pem, profile_ca_profile(p), reply);

	if (rc != CA_PENDING)
		return rc;
	ca_reply_clear(reply);
	return err_set(ERR_FAILED, "CA %s has not issued the certificate yet "
		       "(it asked to wait); renew again later, or with --wait "
		       "SECONDS", ca_describe(ca));
}

int
lifecycle_renew(struct token *t, const struct profile *p, const struct vars *vars,
		struct ca *ca, X509_STORE *trust, bool keep_old,
		struct lifecycle_renewal *out)
{
	const unsigned leftovers = ROLESTATE_MASK(ROLESTATE_PENDING) |
				   ROLESTATE_MASK(ROLESTATE_AWAITING);
	struct lifecycle_renewal r;
	struct lifecycle_old old;
	struct csr_spec spec;
	struct enroll_new n;
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL;
	struct ca_reply reply = { NULL, 0, NULL, 0 };
	size_t fixed_len = 0;
	char *pem = NULL;
	bool found = false;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	memset(&spec, 0, sizeof(spec));
	memset(&n, 0, sizeof(n));
	n.cert = CK_INVALID_HANDLE;
	memset(&old, 0, sizeof(old));
	if (keep_old && profile_key_id(p, &fixed_len) != NULL) {
		err_set(ERR_USAGE, "renew %s --keep-old: its profile fixes the key's "
			"CKA_ID, and two keys cannot share one fixed slot",
			profile_role(p));
		goto out;
	}
	/* These refusals name the role and the token themselves. */
	if (lifecycle_find_old(t, p, &old) < 0 || lifecycle_check_slot(t, p, &old) < 0)
		goto out;
	found = true;
	/* A run's leftovers would be confused with the new objects, and
	 * each has its own way out. */
	if (rolestate_check_free(t, profile_role(p), profile_label(p), leftovers) < 0 ||
	    enroll_check_supported_one(t, p) < 0)
		goto out;
	old.fixed = profile_key_id(p, &fixed_len) != NULL;
	if ((vars != NULL ? profile_spec(p, vars, &spec) :
	     lifecycle_spec_of_cert(p, old.x509, &spec)) < 0)
		goto out;
	spec.challenge = ca_request_challenge(ca);
	/* Until the switch, the old objects are not touched: any failure
	 * before it leaves the role exactly as it was, unless a card replaced
	 * them in their fixed slot (lifecycle_after_write finds out). */
	if (interrupt_check() < 0 ||
	    lifecycle_after_write(t, p, &old,
				  enroll_make_request(t, p, &spec, &n)) < 0 ||
	    csr_to_pem(n.req, &pem) < 0 || interrupt_check() < 0 ||
	    lifecycle_submit(ca, pem, p, &reply) < 0 || interrupt_check() < 0 ||
	    enroll_check_answer(p, &spec, n.pub, reply.answer, reply.len, NULL, trust,
				&cert, &chain) < 0 ||
	    lifecycle_after_write(t, p, &old, enroll_write_pending(t, p, &n, cert)) < 0)
		goto out;
	if (lifecycle_switch(t, p, &n, &old, keep_old, &r) < 0 ||
	    enroll_fill_result(p, &n.kp, cert, &r.result) < 0 ||
	    enroll_keep_chain(t, chain, &r.result) < 0)
		goto out;
	/* The old certificate's CA certificates go with it, unless another
	 * certificate (the new one, or the retired old one) still needs
	 * them. */
	if (chainstore_prune(t, old.x509) < 0 && r.warning == NULL) {
		r.warning = util_strdup(err_message());
		err_clear();
	}
	r.old_cert = old.x509;
	old.x509 = NULL;
	*out = r;
	memset(&r, 0, sizeof(r));
	rc = 0;
out:
	if (n.tried) {
		enroll_undo(t, &n, profile_label(p));
		if (old.replaced != 0)
			lifecycle_clear_slot(t, p, &old);
		else
			err_append("the old key and certificate are as they were");
	}
	if (rc < 0 && found)
		err_prefix("renew %s on token %s", profile_role(p), token_get_info(t)->label);
	lifecycle_renewal_clear(&r);
	lifecycle_old_clear(&old);
	csr_spec_clear(&spec);
	enroll_new_clear(&n);
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
	ca_reply_clear(&reply);
	free(pem);
	return rc;
}

/* ---- remove ---- */

/* Which scopes take the objects of a state; pending ones are status
 * --repair's, never remove's, but are counted for the message. */
enum lifecycle_which { LC_ALWAYS, LC_RETIRED, LC_NEVER };

/* The states in the order their objects are listed within one class. */
static const struct {
	enum rolestate state;
	enum lifecycle_which which;
} lifecycle_states[] = {
	{ ROLESTATE_ROLE, LC_ALWAYS },
	{ ROLESTATE_AWAITING, LC_ALWAYS },
	{ ROLESTATE_RETIRED, LC_RETIRED },
	{ ROLESTATE_PENDING, LC_NEVER },
};

/* Whether SCOPE takes the objects of a state that WHICH. */
static bool
lifecycle_in_scope(enum lifecycle_which which, enum lifecycle_scope scope)
{
	switch (which) {
	case LC_ALWAYS: return scope != LIFECYCLE_RETIRED_ONLY;
	case LC_RETIRED: return scope != LIFECYCLE_ROLE;
	default: return false;
	}
}

/* Why nothing of ROLE is in the plan, with what LEFT counts out of it. */
static int
lifecycle_nothing(struct token *t, const char *role, enum lifecycle_scope scope,
		  const size_t *left)
{
	if (scope == LIFECYCLE_RETIRED_ONLY)
		return err_set(ERR_FAILED, "role %s has no retired objects on token %s",
			       role, token_get_info(t)->label);
	err_set(ERR_FAILED, "role %s is not on token %s", role, token_get_info(t)->label);
	if (left[LC_RETIRED] > 0)
		err_append("%zu retired object(s) are kept: give --retired to "
			   "delete them", left[LC_RETIRED]);
	if (left[LC_NEVER] > 0)
		err_append("its pending objects are left to p11enroll status --repair");
	return -1;
}

int
lifecycle_remove_plan(struct token *t, const char *role, const char *label,
		      enum lifecycle_scope scope, struct rolestate_group *out)
{
	struct rolestate_group plan = { NULL, 0, 0 }, skipped = { NULL, 0, 0 };
	size_t i, left[LC_NEVER + 1] = { 0, 0, 0 };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < NELEM(lifecycle_states); i++) {
		if (lifecycle_in_scope(lifecycle_states[i].which, scope)) {
			if (rolestate_find(t, lifecycle_states[i].state, label, &plan) < 0)
				goto out;
			continue;
		}
		if (rolestate_find(t, lifecycle_states[i].state, label, &skipped) < 0)
			goto out;
		left[lifecycle_states[i].which] += skipped.n;
		rolestate_group_clear(&skipped);
	}
	if (plan.n == 0) {
		lifecycle_nothing(t, role, scope, left);
		goto out;
	}
	*out = plan;
	memset(&plan, 0, sizeof(plan));
	rc = 0;
out:
	rolestate_group_clear(&plan);
	rolestate_group_clear(&skipped);
	return rc;
}

/* The state files of PLAN's keys (waitstore.h): an awaiting key's
 * request and ticket, an enrolled role's record. They go once the keys
 * have: nothing can use them without their key. */
static int
lifecycle_remove_files(struct token *t, const struct rolestate_group *plan)
{
	const struct rolestate_object *o;
	unsigned char id[KEY_ID_MAX];
	size_t i, len = 0;

	for (i = 0; i < plan->n; i++) {
		o = &plan->objs[i];
		if (o->cls != CKO_PRIVATE_KEY || o->id_hex == NULL ||
		    o->id_hex[0] == '\0')
			continue;
		if (OPENSSL_hexstr2buf_ex(id, sizeof(id), &len, o->id_hex, '\0') != 1)
			continue;
		if (waitstore_drop_files(t, id, len) < 0)
			return -1;
	}
	return 0;
}

/* The certificates of PLAN, read before they go, for chainstore_prune();
 * one that cannot be read is left out (its chain stays). */
static STACK_OF(X509) *
lifecycle_plan_certs(struct token *t, const struct rolestate_group *plan)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509 *c = NULL;
	size_t i;

	for (i = 0; certs != NULL && i < plan->n; i++) {
		if (plan->objs[i].cls != CKO_CERTIFICATE)
			continue;
		if (certstore_read_cert(t, plan->objs[i].handle, &c) < 0) {
			err_clear();
			continue;
		}
		if (!sk_X509_push(certs, c))
			X509_free(c);
	}
	return certs;
}

int
lifecycle_remove(struct token *t, const char *role,
		 const struct rolestate_group *plan, size_t *removed)
{
	STACK_OF(X509) *certs = lifecycle_plan_certs(t, plan);
	int i, rc = -1;

	if (rolestate_delete(t, plan, removed) < 0) {
		err_prefix("remove %s on token %s: %zu of %zu objects deleted",
			   role, token_get_info(t)->label, *removed, plan->n);
		goto out;
	}
	if (lifecycle_remove_files(t, plan) < 0) {
		err_prefix("remove %s on token %s: its objects are deleted, "
			   "its state file is not", role, token_get_info(t)->label);
		goto out;
	}
	/* The CA certificates that only this role's certificates needed. */
	for (i = 0; certs != NULL && i < sk_X509_num(certs); i++)
		if (chainstore_prune(t, sk_X509_value(certs, i)) < 0) {
			err_prefix("remove %s on token %s: its objects are deleted, "
				   "a CA certificate of its chain is not", role,
				   token_get_info(t)->label);
			goto out;
		}
	rc = 0;
out:
	sk_X509_pop_free(certs, X509_free);
	return rc;
}
