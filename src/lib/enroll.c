/* SPDX-License-Identifier: MIT */
/* enroll.c - one role, end to end: key -> request -> CA -> check -> write. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/pem.h>

#include "certstore.h"
#include "chainstore.h"
#include "enroll.h"
#include "err.h"
#include "interrupt.h"
#include "keygen.h"
#include "keysign.h"
#include "keysupport.h"
#include "rolestate.h"
#include "trace.h"
#include "util.h"
#include "verify.h"
#include "waitstore.h"

void
enroll_result_clear(struct enroll_result *r)
{
	if (r == NULL)
		return;
	free(r->role);
	free(r->label);
	free(r->id_hex);
	free(r->key_alg);
	free(r->ca);
	free(r->warning);
	X509_free(r->cert);
	sk_X509_pop_free(r->chain, X509_free);
	memset(r, 0, sizeof(*r));
}

/* Refuse a role that is on the token in any state but retired already,
 * or whose fixed key slot holds a key. */
static int
enroll_check_free(struct token *t, const struct profile *p)
{
	const unsigned states = ROLESTATE_MASK(ROLESTATE_ROLE) |
				ROLESTATE_MASK(ROLESTATE_PENDING) |
				ROLESTATE_MASK(ROLESTATE_AWAITING);
	const unsigned char *fixed;
	size_t fixed_len = 0, n = 0;
	CK_OBJECT_HANDLE *h = NULL;
	char *hex;

	if (rolestate_check_free(t, profile_role(p), profile_label(p), states) < 0)
		return -1;
	fixed = profile_key_id(p, &fixed_len);
	if (fixed == NULL)
		return 0;
	if (certstore_find_id(t, CKO_PRIVATE_KEY, fixed, fixed_len, &h, &n) < 0)
		return -1;
	free(h);
	if (n == 0)
		return 0;
	hex = util_hex(fixed, fixed_len);
	err_set(ERR_FAILED, "role %s: its fixed key slot ID %s on token %s is "
		"occupied by another key", profile_role(p), hex != NULL ? hex : "?",
		token_get_info(t)->label);
	free(hex);
	return -1;
}

/* Whether the token that can do S can do role P. */
static int
enroll_check_role(const struct key_support *s, const struct profile *p)
{
	if (keysupport_check(s, profile_key_alg(p), profile_key_caps(p),
			     profile_allowed_mechs(p)) < 0)
		return err_prefix("role %s", profile_role(p));
	return 0;
}

/* Whether the token T can make and use the key of each of the N roles
 * at PROFILES, asking only about their algorithms; a refusal asks about
 * every algorithm, for its list of what the token offers. */
static int
enroll_check_roles(struct token *t, const struct profile *const *profiles,
		   int n, int *refused)
{
	struct key_support s;
	unsigned algs = 0;
	int i;

	*refused = 0;
	for (i = 0; i < n; i++)
		algs |= 1u << profile_key_alg(profiles[i]);
	if (token_key_support(t, algs, &s) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (keysupport_check(&s, profile_key_alg(profiles[i]),
				     profile_key_caps(profiles[i]),
				     profile_allowed_mechs(profiles[i])) < 0)
			break;
	if (i == n) {
		trace_mark("mechanisms", NULL);
		return 0;
	}
	*refused = i;
	err_clear();
	if (token_key_support(t, KEYSUPPORT_ALL_ALGS, &s) < 0)
		return -1;
	return enroll_check_role(&s, profiles[i]);
}

int
enroll_check_supported(struct token *t, struct profile *const *profiles, int n,
		       int *refused)
{
	return enroll_check_roles(t, (const struct profile *const *)profiles, n,
				  refused);
}

int
enroll_check_supported_one(struct token *t, const struct profile *p)
{
	int refused;

	return enroll_check_roles(t, &p, 1, &refused);
}

/* What a failed key generation most likely means on a card. */
static void
enroll_keygen_hint(const struct profile *p)
{
	size_t fixed_len = 0;

	switch (err_last_ckr()) {
	case CKR_TEMPLATE_INCOMPLETE:
	case CKR_ATTRIBUTE_VALUE_INVALID:
		if (profile_key_id(p, &fixed_len) == NULL)
			err_append("a card with fixed key slots wants the slot's "
				   "CKA_ID: use a role that fixes [key] id, such "
				   "as the piv-* roles");
		else
			err_append("the card may not have a key slot with this "
				   "role's CKA_ID");
		break;
	case CKR_DEVICE_MEMORY:
		err_append("the token is full: remove a role it no longer needs");
		break;
	case CKR_FUNCTION_NOT_SUPPORTED:
		err_append("the token's module does not generate keys (OpenSC's "
			   "PIV driver, for one, leaves that to the card's own "
			   "tool); use a module that does, such as the card "
			   "maker's");
		break;
	default:
		break;
	}
}

/* csr_signer callback: sign with the new on-token key. */
struct enroll_signer_ctx {
	struct token *t;
	const struct keypair *kp;
};

static int
enroll_sign(void *ctx, const struct csr_tbs *tbs, unsigned char **sig,
	    size_t *siglen)
{
	struct enroll_signer_ctx *c = ctx;

	return keysign_request(c->t, c->kp, tbs, sig, siglen);
}

void
enroll_new_clear(struct enroll_new *n)
{
	if (n == NULL)
		return;
	EVP_PKEY_free(n->pub);
	X509_REQ_free(n->req);
	OPENSSL_free(n->subject);
	memset(n, 0, sizeof(*n));
	n->cert = CK_INVALID_HANDLE;
}

int
enroll_make_request(struct token *t, const struct profile *p,
		    const struct csr_spec *spec, struct enroll_new *n)
{
	struct enroll_signer_ctx ctx = { t, &n->kp };
	struct csr_signer signer = { enroll_sign, &ctx };
	struct keygen_spec ks = {
		.alg = profile_key_alg(p),
		.caps = profile_key_caps(p),
		.subject = spec->subject,
	};
	char pending[ROLESTATE_LABEL_MAX];
	struct key_support support;
	keymech_set mechs = 0;

	ks.fixed_id = profile_key_id(p, &ks.fixed_id_len);
	if (rolestate_label(ROLESTATE_PENDING, profile_label(p), pending,
			    sizeof(pending)) < 0)
		return err_prefix("role %s", profile_role(p));
	ks.label = pending;
	/* The key may use the role's mechanisms, and until its request is
	 * signed the one that signs it. */
	if (token_key_support(t, 1u << ks.alg, &support) < 0 ||
	    keysupport_mechs(&support, ks.alg, ks.caps, profile_allowed_mechs(p),
			     &mechs) < 0)
		return err_prefix("role %s", profile_role(p));
	ks.mechs = mechs | keysupport_request_mech(&support, ks.alg, ks.caps, mechs);
	n->tried = true;
	if (keygen_generate(t, &ks, &n->kp, &n->pub) < 0) {
		enroll_keygen_hint(p);
		return err_prefix("generate %s key", keyalg_name(ks.alg));
	}
	n->made = true;
	if (csr_build(spec, n->pub, &signer, &n->req) < 0)
		return err_prefix("sign the request");
	if (keygen_narrow(t, &n->kp, ks.caps, mechs, profile_allow_unnarrowed(p),
			  &n->unnarrowed) < 0)
		return -1;
	return 0;
}

int
enroll_write_pending(struct token *t, const struct profile *p,
		     struct enroll_new *n, X509 *cert)
{
	char pending[ROLESTATE_LABEL_MAX];

	if (rolestate_label(ROLESTATE_PENDING, profile_label(p), pending,
			    sizeof(pending)) < 0 ||
	    certstore_write(t, cert, n->kp.id, n->kp.id_len, pending, &n->cert) < 0)
		return err_prefix("write back");
	OPENSSL_free(n->subject);
	keygen_subject_change(t, &n->kp, X509_get_subject_name(cert), &n->subject,
			      &n->subject_len);
	return 0;
}

int
enroll_promote(struct token *t, const struct profile *p, const struct enroll_new *n)
{
	const char *label = profile_label(p);

	/* The certificate goes last: until it carries the role's label, the
	 * group still has a pending object and status --repair owns it. */
	if (keygen_relabel_subject(t, &n->kp, label, n->subject,
				   n->subject_len) < 0 ||
	    token_set_attr(t, n->cert, CKA_LABEL, label, strlen(label)) < 0)
		return err_prefix("write back");
	return 0;
}

int
enroll_fill_result(const struct profile *p, const struct keypair *kp, X509 *cert,
		   struct enroll_result *out)
{
	memset(out, 0, sizeof(*out));
	out->role = util_strdup(profile_role(p));
	out->label = util_strdup(profile_label(p));
	out->id_hex = util_hex(kp->id, kp->id_len);
	out->key_alg = util_strdup(keyalg_name(kp->alg));
	if (out->role == NULL || out->label == NULL || out->id_hex == NULL ||
	    out->key_alg == NULL || (cert != NULL && !X509_up_ref(cert))) {
		enroll_result_clear(out);
		return err_set(ERR_FAILED, "out of memory");
	}
	out->cert = cert;
	return 0;
}

int
enroll_keep_chain(struct token *t, STACK_OF(X509) *chain, struct enroll_result *out)
{
	if (chainstore_kept(chain, &out->chain) < 0)
		return -1;
	if (!token_keep_chain(t) || sk_X509_num(out->chain) == 0)
		return 0;
	if (chainstore_keep(t, chain) == 0) {
		out->chain_on_token = true;
		return 0;
	}
	if (err_last_ckr() == CKR_DEVICE_MEMORY)
		err_append("the role is in, without its CA certificates on the "
			   "token; give --no-chain to a token with no room for them");
	else
		err_append("the role is in, without its CA certificates on the "
			   "token");
	out->warning = util_strdup(err_message());
	err_clear();
	return out->warning != NULL ? 0 : -1;
}

/* N's objects and every other object labelled "pending:LABEL", into G;
 * the ones known by handle are in G even when the search fails. */
static int
enroll_undo_group(struct token *t, const struct enroll_new *n, const char *label,
		  struct rolestate_group *g)
{
	int rc = 0;

	if (rolestate_group_add(g, n->cert, CKO_CERTIFICATE, NULL) < 0)
		rc = -1;
	if (n->made && (rolestate_group_add(g, n->kp.priv, CKO_PRIVATE_KEY, NULL) < 0 ||
			rolestate_group_add(g, n->kp.pub, CKO_PUBLIC_KEY, NULL) < 0))
		rc = -1;
	if (rolestate_find(t, ROLESTATE_PENDING, label, g) < 0)
		rc = -1;
	return rc;
}

/* Whether G holds a certificate. */
static bool
enroll_group_has_cert(const struct rolestate_group *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (g->objs[i].cls == CKO_CERTIFICATE)
			return true;
	return false;
}

void
enroll_undo(struct token *t, struct enroll_new *n, const char *label)
{
	struct rolestate_group g = { NULL, 0, 0 };
	struct err_saved saved, cleanup;
	char pending[ROLESTATE_LABEL_MAX];
	size_t failed = 0;

	err_save(&saved);
	/* The objects known by handle go even when the search fails. */
	if (enroll_undo_group(t, n, label, &g) < 0)
		err_collect(&cleanup, &failed);
	if (rolestate_delete(t, &g, NULL) < 0)
		err_collect(&cleanup, &failed);
	rolestate_label(ROLESTATE_PENDING, label, pending, sizeof(pending));
	err_restore(&saved);
	if (failed > 0) {
		err_append("the new objects could not all be removed; run p11enroll "
			   "status --repair to remove what is left under %s", pending);
		err_append("%s", cleanup.message);
	} else if (enroll_group_has_cert(&g)) {
		err_append("the new key and certificate were removed");
	} else if (g.n > 0) {
		err_append("the new key was removed");
	}
	rolestate_group_clear(&g);
	n->cert = CK_INVALID_HANDLE;
	n->made = false;
	n->tried = false;
}

int
enroll_check_answer(const struct profile *p, const struct csr_spec *spec,
		    EVP_PKEY *pub, const unsigned char *answer, size_t len,
		    STACK_OF(X509) *extra, X509_STORE *trust, X509 **cert,
		    STACK_OF(X509) **chain_out)
{
	struct verify_policy policy;
	STACK_OF(X509) *chain = NULL;
	X509 *leaf = NULL;
	int i, rc = -1;

	*cert = NULL;
	if (chain_out != NULL)
		*chain_out = NULL;
	if (verify_parse_answer(answer, len, &leaf, &chain) < 0)
		goto out;
	for (i = 0; extra != NULL && i < sk_X509_num(extra); i++) {
		if (!X509_add_cert(chain, sk_X509_value(extra, i), X509_ADD_FLAG_UP_REF)) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
	}
	chainstore_dedupe(leaf, chain);
	memset(&policy, 0, sizeof(policy));
	policy.spec = spec;
	policy.key = pub;
	policy.max_lifetime_days = profile_max_lifetime_days(p);
	policy.allow_subject_change = profile_allow_subject_change(p);
	policy.added_eku = profile_added_ekus(p);
	policy.trust = trust;
	policy.now = time(NULL);
	if (verify_issued(leaf, chain, &policy, NULL) < 0)
		goto out;
	*cert = leaf;
	leaf = NULL;
	if (chain_out != NULL) {
		*chain_out = chain;
		chain = NULL;
	}
	rc = 0;
out:
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

/* ---- a key that awaits its certificate ---- */

/* The key and request left for the role by request, or by a CA that asked
 * to wait, and that CA's ticket if it did. */
struct enroll_waiting {
	struct keypair kp;
	struct waitstore_item data;     /* the request */
	struct waitstore_item ticket;   /* WAITSTORE_NONE: none */
	X509_REQ *req;
};

/* W with nothing found yet. */
static void
enroll_waiting_init(struct enroll_waiting *w)
{
	memset(w, 0, sizeof(*w));
	waitstore_item_init(&w->data, CERTSTORE_REQUEST);
	waitstore_item_init(&w->ticket, CERTSTORE_CA_TICKET);
}

/* What the ticket says: which CA asked to wait, and with what cookie. */
struct enroll_ticket {
	char *ca;
	char *cookie;
};

static void
enroll_ticket_clear(struct enroll_ticket *tk)
{
	free(tk->ca);
	free(tk->cookie);
	memset(tk, 0, sizeof(*tk));
}

/* The ticket's bytes: {"ca": "exec:/usr/bin/helper", "cookie": "..."}. */
static int
enroll_ticket_encode(const char *ca, const char *cookie, char **out)
{
	json_t *doc = json_pack("{s:s, s:s}", "ca", ca, "cookie", cookie);

	*out = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (*out == NULL)
		return err_set(ERR_FAILED, "cannot record the CA's cookie: it "
			       "is not UTF-8 text");
	return 0;
}

static int
enroll_ticket_read(struct token *t, const struct waitstore_item *it,
		   struct enroll_ticket *tk)
{
	unsigned char *data = NULL;
	const char *ca = NULL, *cookie = NULL;
	json_t *doc = NULL;
	size_t len = 0;
	int rc = -1;

	memset(tk, 0, sizeof(*tk));
	if (waitstore_read(t, it, &data, &len) < 0)
		goto out;
	doc = data != NULL ? json_loadb((const char *)data, len, 0, NULL) : NULL;
	if (json_unpack(doc, "{s:s, s:s}", "ca", &ca, "cookie", &cookie) != 0) {
		err_set(ERR_FAILED, "the recorded CA cookie is unreadable");
		goto out;
	}
	tk->ca = util_strdup(ca);
	tk->cookie = util_strdup(cookie);
	if (tk->ca == NULL || tk->cookie == NULL) {
		enroll_ticket_clear(tk);
		goto out;
	}
	rc = 0;
out:
	json_decref(doc);
	free(data);
	return rc;
}

/* Record COOKIE from CA in W's ticket: replaced in one step (so that an
 * interrupted run leaves the old or the new one), or made new when W has
 * none or the token will not change it. */
static int
enroll_ticket_store(struct token *t, const struct profile *p,
		    struct enroll_waiting *w, const char *ca, const char *cookie)
{
	char awaiting[ROLESTATE_LABEL_MAX], *text = NULL;
	struct waitstore_item made;
	int rc = -1;

	if (rolestate_label(ROLESTATE_AWAITING, profile_label(p), awaiting,
			    sizeof(awaiting)) < 0 ||
	    enroll_ticket_encode(ca, cookie, &text) < 0)
		return -1;
	if (w->ticket.where != WAITSTORE_NONE &&
	    waitstore_replace(t, &w->ticket, (const unsigned char *)text,
			      strlen(text)) == 0) {
		rc = 0;
		goto out;
	}
	if (waitstore_write(t, awaiting, CERTSTORE_CA_TICKET, w->kp.id, w->kp.id_len,
			    (const unsigned char *)text, strlen(text), &made) < 0)
		goto out;
	/* An old ticket that stays is found beside the new one, and the role
	 * is then refused with a word on what to do. A file was replaced
	 * under its name: there is no old one left. */
	if (w->ticket.where == WAITSTORE_TOKEN && waitstore_delete(t, &w->ticket) < 0)
		err_clear();
	w->ticket = made;
	rc = 0;
out:
	free(text);
	return rc;
}

/* After a failure to park: delete the request and ticket W made, keeping
 * the recorded error. */
static void
enroll_unpark(struct token *t, const struct profile *p,
	      const struct enroll_waiting *w, const char *awaiting)
{
	struct err_saved saved, cleanup;
	size_t failed = 0;
	const struct waitstore_item *items[] = { &w->data, &w->ticket };
	bool file_left = false;
	size_t i;

	err_save(&saved);
	for (i = 0; i < NELEM(items); i++) {
		if (waitstore_delete(t, items[i]) == 0)
			continue;
		/* A file's message names its path already. */
		if (items[i]->where == WAITSTORE_TOKEN)
			err_prefix("data %s", awaiting);
		else
			file_left = true;
		err_collect(&cleanup, &failed);
	}
	err_restore(&saved);
	if (failed > 0 && file_left)
		err_append("what was stored beside the new key could not all be "
			   "removed; run p11enroll status --repair to delete what "
			   "is left in the state directory: %s", cleanup.message);
	else if (failed > 0)
		err_append("what was stored beside the new key could not all be "
			   "removed; run p11enroll remove %s to delete what is left "
			   "under %s: %s", profile_role(p), awaiting, cleanup.message);
}

/* Leave N's key pair waiting for its certificate: its request, and the
 * ticket of the CA that asked to wait when COOKIE is not NULL, go beside
 * it, then it takes the awaiting label. On failure nothing new stays but
 * the key pair under its temporary label, for enroll_undo(). */
static int
enroll_park(struct token *t, const struct profile *p, struct enroll_new *n,
	    const char *ca, const char *cookie)
{
	char awaiting[ROLESTATE_LABEL_MAX];
	struct enroll_waiting w;
	unsigned char *der = NULL;
	int der_len, rc = -1;

	enroll_waiting_init(&w);
	w.kp = n->kp;
	if (rolestate_label(ROLESTATE_AWAITING, profile_label(p), awaiting,
			    sizeof(awaiting)) < 0)
		goto out;
	der_len = i2d_X509_REQ(n->req, &der);
	if (der_len <= 0) {
		err_set(ERR_FAILED, "cannot encode the request");
		goto out;
	}
	/* The request is kept so that install can check subject and SANs. */
	if (waitstore_write(t, awaiting, CERTSTORE_REQUEST, n->kp.id, n->kp.id_len,
			    der, (size_t)der_len, &w.data) < 0 ||
	    (cookie != NULL &&
	     enroll_ticket_store(t, p, &w, ca, cookie) < 0) ||
	    keygen_relabel(t, &n->kp, awaiting) < 0)
		goto out;
	n->tried = n->made = false;
	rc = 0;
out:
	if (rc < 0)
		enroll_unpark(t, p, &w, awaiting);
	OPENSSL_free(der);
	return rc;
}

/* The role's waiting key pair, found by its label, then its request and
 * ticket by the label and the key's CKA_ID. */
static int
enroll_find_waiting(struct token *t, const struct profile *p,
		    struct enroll_waiting *w)
{
	char awaiting[ROLESTATE_LABEL_MAX];
	CK_OBJECT_HANDLE *priv = NULL, *pub = NULL;
	struct waitstore_item *data = NULL, *ticket = NULL;
	size_t npriv = 0, npub = 0, ndata = 0, nticket = 0;
	unsigned char *id = NULL, *der = NULL;
	size_t id_len = 0, der_len = 0;
	const unsigned char *q;
	int rc = -1;

	enroll_waiting_init(w);
	if (rolestate_label(ROLESTATE_AWAITING, profile_label(p), awaiting,
			    sizeof(awaiting)) < 0 ||
	    certstore_find_label(t, CKO_PRIVATE_KEY, awaiting, &priv, &npriv) < 0)
		goto out;
	if (npriv == 1 && token_get_attr(t, priv[0], CKA_ID, &id, &id_len) < 0)
		goto out;
	if (npriv == 1 &&
	    (waitstore_find(t, awaiting, CERTSTORE_REQUEST, id, id_len, &data,
			    &ndata) < 0 ||
	     waitstore_find(t, awaiting, CERTSTORE_CA_TICKET, id, id_len, &ticket,
			    &nticket) < 0))
		goto out;
	if (npriv != 1 || ndata != 1) {
		err_set(ERR_FAILED, "no key awaits a certificate for role %s "
			"(run request first)", profile_role(p));
		if (npriv == 1 && ndata == 0)
			err_append("the key labelled %s has no request beside it, on "
				   "the token or in the state directory; p11enroll "
				   "status --repair removes it", awaiting);
		goto out;
	}
	if (nticket > 1) {
		err_set(ERR_FAILED, "the key awaiting role %s has %zu CA cookies "
			"beside it, left by an interrupted run; remove the role "
			"and enroll it again", profile_role(p), nticket);
		goto out;
	}
	if (certstore_find_id(t, CKO_PUBLIC_KEY, id ? id : (unsigned char *)"",
			      id_len, &pub, &npub) < 0)
		goto out;
	if (npub != 1 || id_len > sizeof(w->kp.id)) {
		err_set(ERR_FAILED, "the key awaiting role %s has no single "
			"public key beside it", profile_role(p));
		goto out;
	}
	if (waitstore_read(t, &data[0], &der, &der_len) < 0)
		goto out;
	q = der;
	if (der == NULL || (w->req = d2i_X509_REQ(NULL, &q, (long)der_len)) == NULL) {
		err_set(ERR_FAILED, "the stored request of role %s is unreadable",
			profile_role(p));
		goto out;
	}
	w->kp.priv = priv[0];
	w->kp.pub = pub[0];
	w->kp.alg = profile_key_alg(p);
	memcpy(w->kp.id, id, id_len);
	w->kp.id_len = id_len;
	w->data = data[0];
	if (nticket == 1)
		w->ticket = ticket[0];
	rc = 0;
out:
	free(priv);
	free(pub);
	free(data);
	free(ticket);
	free(id);
	free(der);
	return rc;
}

/* Whether role P has a key waiting on a CA that asked to wait. Without
 * one key under the awaiting label there is nothing to resume (and
 * nothing more is searched): a ticket left alone is the label check's
 * to report. */
static int
enroll_has_ticket(struct token *t, const struct profile *p, bool *yes)
{
	char awaiting[ROLESTATE_LABEL_MAX];
	CK_OBJECT_HANDLE *priv = NULL;
	struct waitstore_item *found = NULL;
	unsigned char *id = NULL;
	size_t npriv = 0, n = 0, id_len = 0;
	int rc = -1;

	*yes = false;
	/* The state directory knows a ticket by its key's CKA_ID. */
	if (rolestate_label(ROLESTATE_AWAITING, profile_label(p), awaiting,
			    sizeof(awaiting)) < 0 ||
	    certstore_find_label(t, CKO_PRIVATE_KEY, awaiting, &priv, &npriv) < 0 ||
	    (npriv == 1 &&
	     (token_get_attr(t, priv[0], CKA_ID, &id, &id_len) < 0 ||
	      waitstore_find(t, awaiting, CERTSTORE_CA_TICKET, id, id_len, &found,
			     &n) < 0)))
		goto out;
	*yes = n > 0;
	rc = 0;
out:
	free(priv);
	free(found);
	free(id);
	return rc;
}

/* What the stored request asked for, as a spec to check against. */
static int
enroll_spec_of_request(X509_REQ *req, struct csr_spec *spec)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	ASN1_BIT_STRING *ku = NULL;
	int rc = -1;

	memset(spec, 0, sizeof(*spec));
	spec->subject = X509_NAME_dup(X509_REQ_get_subject_name(req));
	spec->san = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	spec->eku = X509V3_get_d2i(exts, NID_ext_key_usage, NULL, NULL);
	ku = X509V3_get_d2i(exts, NID_key_usage, NULL, NULL);
	if (spec->subject == NULL || spec->eku == NULL) {
		err_set(ERR_FAILED, "the stored request lacks a subject or usages");
		goto out;
	}
	if (ku != NULL && ku->length > 0)
		spec->key_usage = ku->data[0] | (ku->length > 1 ? ku->data[1] << 8 : 0);
	rc = 0;
out:
	if (rc < 0)
		csr_spec_clear(spec);
	ASN1_BIT_STRING_free(ku);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

/* Write CERT for the waiting key pair KP; on failure the key pair goes
 * back to waiting and the certificate is removed. */
static int
enroll_install_write(struct token *t, const struct profile *p,
		     const struct keypair *kp, X509 *cert)
{
	char awaiting[ROLESTATE_LABEL_MAX];
	struct err_saved saved, cleanup;
	struct enroll_new n;
	size_t failed = 0;
	int rc;

	memset(&n, 0, sizeof(n));
	n.kp = *kp;
	n.cert = CK_INVALID_HANDLE;
	if (rolestate_label(ROLESTATE_AWAITING, profile_label(p), awaiting,
			    sizeof(awaiting)) < 0 ||
	    enroll_write_pending(t, p, &n, cert) < 0)
		return -1;
	rc = enroll_promote(t, p, &n);
	OPENSSL_free(n.subject);
	if (rc == 0)
		return 0;
	err_save(&saved);
	if (keygen_relabel(t, kp, awaiting) < 0)
		err_collect(&cleanup, &failed);
	if (token_destroy(t, n.cert) < 0)
		err_collect(&cleanup, &failed);
	err_restore(&saved);
	if (failed > 0)
		err_append("it could not be undone; run p11enroll status --repair: %s",
			   cleanup.message);
	return -1;
}

/* The certificate is in: the request and ticket beside the key are done.
 * One that cannot be deleted stays under the awaiting label, where the
 * label check finds it and remove deletes it: the role is in all the
 * same, so that is no failure. */
static void
enroll_drop_waiting(struct token *t, const struct enroll_waiting *w)
{
	if (waitstore_delete(t, &w->data) < 0 || waitstore_delete(t, &w->ticket) < 0)
		err_clear();
}

/* Check ANSWER against W's key, its request and the role, write it back
 * and drop the request and ticket that have done their job. */
static int
enroll_finish(struct token *t, const struct profile *p, struct enroll_waiting *w,
	      const unsigned char *answer, size_t len, STACK_OF(X509) *extra,
	      X509_STORE *trust, struct enroll_result *out)
{
	struct csr_spec spec;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *pub = NULL;
	X509 *cert = NULL;
	int rc = -1;

	memset(&spec, 0, sizeof(spec));
	if (enroll_spec_of_request(w->req, &spec) < 0 ||
	    keygen_public_key(t, w->kp.pub, &pub) < 0)
		goto out;
	/* The role, not the request, bounds the key usage. */
	spec.key_usage &= profile_key_usage(p);
	if (EVP_PKEY_eq(pub, X509_REQ_get0_pubkey(w->req)) != 1) {
		err_set(ERR_FAILED, "the stored request does not belong to the "
			"waiting key");
		goto out;
	}
	if (enroll_check_answer(p, &spec, pub, answer, len, extra, trust, &cert,
				&chain) < 0 ||
	    enroll_install_write(t, p, &w->kp, cert) < 0)
		goto out;
	enroll_drop_waiting(t, w);
	if (enroll_fill_result(p, &w->kp, cert, out) < 0 ||
	    enroll_keep_chain(t, chain, out) < 0)
		goto out;
	rc = 0;
out:
	sk_X509_pop_free(chain, X509_free);
	csr_spec_clear(&spec);
	EVP_PKEY_free(pub);
	X509_free(cert);
	return rc;
}

/* The key awaits OUT's role from CA, which said to ask again. */
static int
enroll_awaiting(const struct profile *p, const struct keypair *kp,
		const struct ca *ca, const struct ca_reply *reply,
		struct enroll_result *out)
{
	if (enroll_fill_result(p, kp, NULL, out) < 0)
		return -1;
	out->retry_seconds = reply->retry_seconds;
	if ((out->ca = util_strdup(ca_describe(ca))) == NULL) {
		enroll_result_clear(out);
		return err_set(ERR_FAILED, "out of memory");
	}
	return ENROLL_AWAITING;
}

/* Ask CA again about the role whose key awaits its certificate. */
static int
enroll_resume(struct token *t, const struct profile *p, struct ca *ca,
	      X509_STORE *trust, struct enroll_result *out)
{
	struct enroll_ticket tk = { NULL, NULL };
	struct ca_reply reply = { NULL, 0, NULL, 0 };
	struct enroll_waiting w;
	char *pem = NULL;
	int rc = -1;

	if (enroll_find_waiting(t, p, &w) < 0 ||
	    enroll_ticket_read(t, &w.ticket, &tk) < 0)
		goto out;
	if (strcmp(tk.ca, ca_describe(ca)) != 0) {
		err_set(ERR_FAILED, "its key awaits the certificate from CA %s, "
			"not %s: enroll it with that CA, install the certificate, "
			"or remove the role", tk.ca, ca_describe(ca));
		goto out;
	}
	if (csr_to_pem(w.req, &pem) < 0)
		goto out;
	rc = ca_poll(ca, tk.cookie, pem, profile_ca_profile(p), &reply);
	if (rc == CA_PENDING) {
		rc = -1;
		if (enroll_ticket_store(t, p, &w, tk.ca, reply.cookie) < 0)
			goto out;
		rc = enroll_awaiting(p, &w.kp, ca, &reply, out);
		goto out;
	}
	if (rc == 0)
		rc = enroll_finish(t, p, &w, reply.answer, reply.len, NULL, trust, out);
out:
	if (rc < 0 && w.req != NULL)
		err_append("the key still awaits its certificate");
	ca_reply_clear(&reply);
	enroll_ticket_clear(&tk);
	X509_REQ_free(w.req);
	free(pem);
	return rc;
}

int
enroll_role(struct token *t, const struct profile *p, const struct vars *vars,
	    struct ca *ca, X509_STORE *trust, struct enroll_result *out)
{
	struct ca_reply reply = { NULL, 0, NULL, 0 };
	struct csr_spec spec;
	struct enroll_new n;
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL;
	char *pem = NULL;
	bool waiting = false;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&spec, 0, sizeof(spec));
	memset(&n, 0, sizeof(n));
	n.cert = CK_INVALID_HANDLE;
	if (enroll_has_ticket(t, p, &waiting) < 0)
		goto out;
	if (waiting) {
		rc = enroll_resume(t, p, ca, trust, out);
		goto out;
	}
	if (interrupt_check() < 0 || enroll_check_free(t, p) < 0 ||
	    profile_spec(p, vars, &spec) < 0)
		goto out;
	spec.challenge = ca_request_challenge(ca);
	if (enroll_make_request(t, p, &spec, &n) < 0 ||
	    csr_to_pem(n.req, &pem) < 0 || interrupt_check() < 0)
		goto out;
	trace_mark("key pair and request", profile_role(p));
	rc = ca_submit(ca, pem, profile_ca_profile(p), &reply);
	trace_mark("CA", profile_role(p));
	if (rc == CA_PENDING) {
		rc = -1;
		if (enroll_park(t, p, &n, ca_describe(ca), reply.cookie) < 0)
			goto out;
		rc = enroll_awaiting(p, &n.kp, ca, &reply, out);
		goto out;
	}
	if (rc < 0 || interrupt_check() < 0 ||
	    enroll_check_answer(p, &spec, n.pub, reply.answer, reply.len, NULL,
				trust, &cert, &chain) < 0) {
		rc = -1;
		goto out;
	}
	trace_mark("check the certificate", profile_role(p));
	if (enroll_write_pending(t, p, &n, cert) < 0 ||
	    enroll_promote(t, p, &n) < 0) {
		rc = -1;
		goto out;
	}
	trace_mark("write the certificate", profile_role(p));
	n.tried = n.made = false;
	n.cert = CK_INVALID_HANDLE;
	rc = enroll_fill_result(p, &n.kp, cert, out);
	out->fresh = true;
	if (rc == 0 && (rc = enroll_keep_chain(t, chain, out)) < 0)
		enroll_result_clear(out);
out:
	if (n.tried)
		enroll_undo(t, &n, profile_label(p));
	if (rc < 0)
		err_prefix("enroll %s on token %s", profile_role(p), token_get_info(t)->label);
	sk_X509_pop_free(chain, X509_free);
	csr_spec_clear(&spec);
	enroll_new_clear(&n);
	X509_free(cert);
	ca_reply_clear(&reply);
	free(pem);
	return rc;
}

int
enroll_request(struct token *t, const struct profile *p, const struct vars *vars,
	       char **csr_pem)
{
	struct csr_spec spec;
	struct enroll_new n;
	char *pem = NULL;
	int rc = -1;

	*csr_pem = NULL;
	memset(&spec, 0, sizeof(spec));
	memset(&n, 0, sizeof(n));
	n.cert = CK_INVALID_HANDLE;
	if (enroll_check_supported_one(t, p) < 0 || enroll_check_free(t, p) < 0 ||
	    profile_spec(p, vars, &spec) < 0)
		goto out;
	if (enroll_make_request(t, p, &spec, &n) < 0 ||
	    csr_to_pem(n.req, &pem) < 0 ||
	    enroll_park(t, p, &n, NULL, NULL) < 0)
		goto out;
	*csr_pem = pem;
	pem = NULL;
	rc = 0;
out:
	if (n.tried)
		enroll_undo(t, &n, profile_label(p));
	if (rc < 0)
		err_prefix("request %s on token %s", profile_role(p), token_get_info(t)->label);
	csr_spec_clear(&spec);
	enroll_new_clear(&n);
	free(pem);
	return rc;
}

int
enroll_install(struct token *t, const struct profile *p,
	       const unsigned char *answer, size_t len, STACK_OF(X509) *extra,
	       X509_STORE *trust, struct enroll_result *out)
{
	struct enroll_waiting w;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (enroll_find_waiting(t, p, &w) < 0 ||
	    enroll_finish(t, p, &w, answer, len, extra, trust, out) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		if (w.req != NULL)
			err_append("the key still awaits a certificate");
		err_prefix("install %s on token %s", profile_role(p), token_get_info(t)->label);
	}
	X509_REQ_free(w.req);
	return rc;
}
