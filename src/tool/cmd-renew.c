/* SPDX-License-Identifier: MIT */
/* cmd-renew.c - renew ROLE [--ca CA], renew --due [DAYS]: a new key pair
 * and certificate for a role, with the CA and variables of its enrollment
 * record unless the command line gives others; the old ones go only once
 * the new ones are in. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"
#include "certstore.h"
#include "cmd-ca.h"
#include "cmd-record.h"
#include "cmd.h"
#include "err.h"
#include "lifecycle.h"
#include "manifest.h"
#include "profile.h"
#include "profile-load.h"
#include "text.h"
#include "util.h"
#include "verify.h"

enum { OPT_SET = 1700, OPT_TRUST, OPT_KEEP_OLD, OPT_REVOKE_OLD, OPT_DUE,
       OPT_ALL_TOKENS, OPT_MANIFEST };

struct renew_opts {
	const struct global_opts *g;
	struct cmd_ca ca;
	const char *trust;
	struct vars *vars;
	bool any_set;
	bool keep_old;
	bool revoke_old;
	bool due;
	bool all_tokens;                /* --all-tokens */
	const char *manifest;           /* --manifest FILE */
	long due_days;                  /* --due DAYS; -1: two thirds of the
					 * lifetime */
};

static const struct option renew_long[] = {
	CMD_CA_LONG_OPTIONS,
	{ "set", required_argument, NULL, OPT_SET },
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ "keep-old", no_argument, NULL, OPT_KEEP_OLD },
	{ "revoke-old", no_argument, NULL, OPT_REVOKE_OLD },
	{ "due", optional_argument, NULL, OPT_DUE },
	{ "all-tokens", no_argument, NULL, OPT_ALL_TOKENS },
	{ "manifest", required_argument, NULL, OPT_MANIFEST },
	{ NULL, 0, NULL, 0 },
};

/* --due DAYS: a whole number of days from 0 to 100 years. */
static int
cmd_renew_days(struct renew_opts *o, const char *arg)
{
	char *end = NULL;
	long v = strtol(arg, &end, 10);

	if (end == arg || *end != '\0' || v < 0 || v > 36500)
		return cmd_usage_error(o->g, "--due takes days from 0 to 36500, "
				       "not '%s'", arg);
	o->due_days = v;
	return 0;
}

static int
cmd_renew_option(void *ctx, int opt, const char *arg)
{
	struct renew_opts *o = ctx;
	int rc = cmd_ca_option(o->g, &o->ca, opt, arg);

	if (rc >= 0)
		return rc;
	switch (opt) {
	case OPT_SET:
		o->any_set = true;
		return cmd_set_var(o->g, o->vars, arg);
	case OPT_TRUST: o->trust = arg; return 0;
	case OPT_KEEP_OLD: o->keep_old = true; return 0;
	case OPT_REVOKE_OLD: o->revoke_old = true; return 0;
	case OPT_ALL_TOKENS: o->all_tokens = true; return 0;
	case OPT_MANIFEST: o->manifest = arg; return 0;
	case OPT_DUE:
		o->due = true;
		return arg != NULL ? cmd_renew_days(o, arg) : 0;
	default: return cmd_usage_error(o->g, "unknown option");
	}
}

/* The profile of ROLE, refusing a role set; with --set, its templates
 * are filled now, before the token is touched. */
static int
cmd_renew_profile(const struct global_opts *g, const struct renew_opts *o,
		  const char *role, struct profile **out)
{
	enum profile_kind kind = PROFILE_KIND_ROLE;
	struct csr_spec spec;

	*out = NULL;
	if (profile_find(cmd_profiles_dir(g), role, &kind) < 0)
		return cmd_fail(g);
	if (kind == PROFILE_KIND_SET)
		return cmd_usage_error(g, "%s is a role set; renew takes one role",
				       role);
	if (profile_load(cmd_profiles_dir(g), role, out) < 0)
		return cmd_fail(g);
	if (o->any_set) {
		if (profile_spec(*out, o->vars, &spec) < 0) {
			profile_free(*out);
			*out = NULL;
			return cmd_fail(g);
		}
		csr_spec_clear(&spec);
	}
	return 0;
}

/* --keep-old keeps the old key beside the new one, which a fixed key
 * slot cannot hold: refused before the token is opened. */
static int
cmd_renew_check_keep_old(const struct global_opts *g, const struct renew_opts *o,
			 const struct profile *p)
{
	size_t len = 0;
	const unsigned char *id = profile_key_id(p, &len);
	char *hex;
	int status;

	if (!o->keep_old || id == NULL)
		return 0;
	hex = util_hex(id, len);
	status = cmd_usage_error(g, "--keep-old cannot renew role %s: its profile "
				 "fixes the key's CKA_ID to %s, and two keys cannot "
				 "share one fixed slot", profile_role(p),
				 hex != NULL ? hex : "?");
	free(hex);
	return status;
}

/* With --revoke-old, after the renewal, when the old certificate OLD
 * could not be revoked: the error says that the renewal is done and
 * which serial is left. Returns -1. */
static int
cmd_renew_revoke_failed(X509 *old)
{
	char serial[128];

	cmd_ca_serial(old, serial, sizeof(serial));
	err_append("the renewal itself is done; the old certificate (serial %s) "
		   "is not revoked: revoke it with the CA", serial);
	return -1;
}

/* The command's JSON document. */
static json_t *
cmd_renew_json(const struct token_info *info, const struct lifecycle_renewal *r,
	       bool done, bool chain_checked)
{
	json_t *renewed = json_array(), *retired = json_null();

	if (done) {
		cmd_json_append(&renewed, cmd_json_result(info, &r->result, chain_checked));
		if (r->retired_id != NULL) {
			json_decref(retired);
			retired = json_pack("{s:s}", "id", r->retired_id);
		}
	}
	return json_pack("{s:o, s:o, s:o}", "token", cmd_json_token(info),
			 "renewed", renewed, "retired", retired);
}

/* Report the outcome on the token; returns the exit status. REVOKE is 0
 * without --revoke-old, 1 when the old certificate was revoked, -1 when
 * that failed after the renewal (the recorded error says why). */
static int
cmd_renew_report(const struct global_opts *g, struct token *t, const char *role,
		 const char *label, const struct lifecycle_renewal *r,
		 bool chain_checked, int status, int revoke)
{
	char retired[ROLESTATE_LABEL_MAX];
	json_t *doc;

	if (g->json) {
		doc = cmd_renew_json(token_get_info(t), r, status == EXIT_DONE,
				     chain_checked);
		if (revoke < 0)
			status = EXIT_FAILED;
		if ((revoke != 0 &&
		     json_object_set_new(doc, "old_revoked",
					 json_boolean(revoke > 0)) < 0) ||
		    (status != EXIT_DONE &&
		     json_object_set_new(doc, "error", cmd_json_error("role", role,
					 err_message(), err_code(), status)) < 0) ||
		    (status == EXIT_DONE && r->warning != NULL &&
		     cmd_json_set_text(doc, "warning", r->warning) < 0)) {
			json_decref(doc);
			doc = NULL;
		}
		return cmd_json_print(doc) < 0 ? EXIT_FAILED : status;
	}
	if (status != EXIT_DONE)
		return cmd_fail(g);
	if (g->verbosity >= 0) {
		cmd_print_result("renewed", &r->result);
		if (r->retired_id != NULL && r->warning == NULL &&
		    rolestate_label(ROLESTATE_RETIRED, label, retired, sizeof(retired)) == 0)
			printf("kept the old key %s of %s under label %s\n",
			       r->retired_id, role, retired);
	}
	if (r->warning != NULL)
		fprintf(stderr, "p11enroll: renew: %s\n", r->warning);
	cmd_print_result_warning(g, &r->result);
	if (revoke > 0 && g->verbosity >= 0)
		printf("revoked the old certificate of %s (superseded)\n", role);
	return revoke < 0 ? cmd_fail(g) : status;
}

/* The CKA_ID (hex) of the role's private key labelled LABEL on T, and
 * its enrollment record: *REC NULL when it has none, or when the role is
 * not whole (renew says why). */
static int
cmd_renew_old(struct token *t, const char *label, struct rolerecord **rec,
	      char **id_hex)
{
	CK_OBJECT_HANDLE *h = NULL;
	unsigned char *id = NULL;
	size_t n = 0, len = 0;
	int rc = -1;

	*rec = NULL;
	*id_hex = NULL;
	if (certstore_find_label(t, CKO_PRIVATE_KEY, label, &h, &n) < 0)
		goto out;
	if (n != 1) {
		rc = 0;
		goto out;
	}
	if (token_get_attr(t, h[0], CKA_ID, &id, &len) < 0 ||
	    rolerecord_load(t, label, id, len, rec) < 0)
		goto out;
	if ((*id_hex = util_hex(id, len)) == NULL) {
		rolerecord_free(*rec);
		*rec = NULL;
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(h);
	free(id);
	return rc;
}

/* What one role's renewal needs beside the token. */
struct renew_role {
	struct cmd_ca ca;               /* the command line's, filled in from
					 * the record */
	const char *trust;
	struct vars *vars;              /* the record's under --set's */
	struct rolerecord *old;         /* the record found, or NULL */
	char *old_id;                   /* the old key's CKA_ID, hex */
};

static void
cmd_renew_role_clear(struct renew_role *rr)
{
	vars_free(rr->vars);
	rolerecord_free(rr->old);
	free(rr->old_id);
	memset(rr, 0, sizeof(*rr));
}

/* Renew the role of P on T with O's options over its record, into *R;
 * its new record is kept. With --revoke-old, *REVOKE is then 1 when the
 * old certificate was revoked, -1 when that failed (the error says why),
 * else 0. *CHAIN_CHECKED: a trust file (--trust or the record's) checked
 * the new certificate's chain. 0 or an exit status; the error is
 * recorded. */
static int
cmd_renew_role(const struct renew_opts *o, struct token *t,
	       const struct profile *p, struct lifecycle_renewal *r, int *revoke,
	       bool *chain_checked)
{
	struct renew_role rr;
	struct rolerecord *rec = NULL;
	X509_STORE *trust = NULL;
	struct ca *ca = NULL;
	const struct vars *vars;
	int status = EXIT_FAILED;

	*revoke = 0;
	*chain_checked = false;
	memset(&rr, 0, sizeof(rr));
	rr.ca = o->ca;
	rr.trust = o->trust;
	if (cmd_renew_old(t, profile_label(p), &rr.old, &rr.old_id) < 0 ||
	    cmd_record_apply(rr.old, &rr.ca, &rr.trust, o->vars, &rr.vars) < 0) {
		err_prefix("renew %s on token %s", profile_role(p),
			   token_get_info(t)->label);
		goto out;
	}
	if (rr.ca.spec == NULL) {
		status = EXIT_USAGE;
		err_set(ERR_USAGE, "role %s has no enrollment record on token %s: "
			"give --ca", profile_role(p), token_get_info(t)->label);
		goto out;
	}
	/* Without a record or --set, the subject and names are the current
	 * certificate's. */
	vars = rr.old != NULL || o->any_set ? rr.vars : NULL;
	if (cmd_ca_connect(o->g, &rr.ca, &ca) < 0 ||
	    (rr.trust != NULL && verify_load_trust(rr.trust, &trust) < 0)) {
		err_prefix("renew %s on token %s", profile_role(p),
			   token_get_info(t)->label);
		status = err_kind() == ERR_USAGE ? EXIT_USAGE : EXIT_FAILED;
		goto out;
	}
	if (trust == NULL)
		cmd_warn_unchecked(o->g);
	*chain_checked = trust != NULL;
	/* A CA that cannot revoke is refused before anything changes. */
	if (o->revoke_old && !ca_can_revoke(ca)) {
		err_set(ERR_USAGE, "renew %s on token %s: CA %s cannot revoke "
			"certificates (exec's helper protocol and SCEP have no "
			"revocation); nothing was changed", profile_role(p),
			token_get_info(t)->label, ca_describe(ca));
		status = EXIT_USAGE;
		goto out;
	}
	if (lifecycle_renew(t, p, vars, ca, trust, o->keep_old, r) < 0) {
		status = cmd_exit_status();
		goto out;
	}
	status = EXIT_DONE;
	rec = cmd_record_make(&rr.ca, rr.trust, vars, profile_role(p));
	if (rec != NULL) {
		rec->enrolled = rr.old != NULL ? rr.old->enrolled : 0;
		rec->renewed = time(NULL);
	}
	cmd_record_keep(o->g, t, &r->result, rr.old_id, rec);
	/* The renewal stands whatever the revocation's outcome. */
	if (o->revoke_old)
		*revoke = cmd_ca_revoke_x509(ca, r->old_cert, CA_REASON_SUPERSEDED) == 0 ?
			  1 : cmd_renew_revoke_failed(r->old_cert);
out:
	rolerecord_free(rec);
	X509_STORE_free(trust);
	ca_free(ca);
	cmd_renew_role_clear(&rr);
	return status;
}

/* ---- renew --due ---- */

/* T as seconds since the epoch; 0 when it cannot be read. */
static time_t
cmd_renew_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* Whether CERT is due at NOW: within DAYS of its notAfter, or with DAYS
 * -1, past two thirds of its lifetime. */
static bool
cmd_renew_is_due(X509 *cert, long days, time_t now)
{
	time_t nb = cmd_renew_time(X509_get0_notBefore(cert));
	time_t na = cmd_renew_time(X509_get0_notAfter(cert));

	if (days >= 0)
		return (double)na - (double)now <= (double)days * 86400.0;
	return 3.0 * ((double)now - (double)nb) >= 2.0 * ((double)na - (double)nb);
}

/* The profile of the enrolled role labelled LABEL: its record's, else
 * the profile named like the label; it must give the role that label. */
static int
cmd_renew_due_profile(const struct global_opts *g, struct token *t,
		      const struct inventory_entry *e, struct profile **out)
{
	struct rolerecord *rec = NULL;
	enum profile_kind kind = PROFILE_KIND_ROLE;
	const char *name;
	int rc = -1;

	*out = NULL;
	if (rolerecord_load(t, e->priv_label, e->id, e->id_len, &rec) < 0)
		goto out;
	name = rec != NULL && rec->profile != NULL ? rec->profile : e->priv_label;
	if (profile_find(cmd_profiles_dir(g), name, &kind) < 0)
		goto out;
	if (kind == PROFILE_KIND_SET) {
		err_set(ERR_FAILED, "%s is a role set, not the profile of a role", name);
		goto out;
	}
	if (profile_load(cmd_profiles_dir(g), name, out) < 0)
		goto out;
	if (strcmp(profile_label(*out), e->priv_label) != 0) {
		err_set(ERR_FAILED, "profile %s labels its role %s, not %s", name,
			profile_label(*out), e->priv_label);
		profile_free(*out);
		*out = NULL;
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		err_prefix("role label %s", e->priv_label);
	rolerecord_free(rec);
	return rc;
}

/* Whether E is an enrolled role renew --due looks at. */
static bool
cmd_renew_is_role(const struct inventory_entry *e)
{
	return !e->pending && e->has_private && e->ncerts == 1 &&
	       e->priv_label != NULL && e->priv_label[0] != '\0' &&
	       rolestate_parse(e->priv_label, NULL) == ROLESTATE_ROLE;
}

/* What renew --due did: on the token at hand, and in all. */
struct renew_due {
	json_t *renewed, *failed, *not_due;     /* JSON: the token's */
	json_t *tokens;                 /* JSON: every token's document, in a
					 * run over many; NULL otherwise */
	size_t nrenewed, nfailed;       /* roles, or tokens that could not be
					 * opened, in all */
	size_t nerrors;                 /* output that could not be written */
	int open_status;                /* the one token's, when it could not
					 * be opened */
};

/* Note in D the recorded error of the role labelled LABEL (may be NULL),
 * and report it. */
static void
cmd_renew_due_failed(const struct global_opts *g, const char *label,
		     struct renew_due *d)
{
	d->nfailed++;
	if (g->json)
		cmd_json_append(&d->failed, cmd_json_error("label", label != NULL ?
				label : "", err_message(), err_code(), EXIT_RENEW_FAILED));
	else
		fprintf(stderr, "p11enroll: renew: %s\n", err_message());
	err_clear();
}

/* Renew the due role E of T (an entry of the inventory, read before any
 * renewal) and note the outcome in D. */
static void
cmd_renew_due_one(const struct global_opts *g, const struct renew_opts *o,
		  struct token *t, const struct inventory_entry *e,
		  struct renew_due *d)
{
	struct lifecycle_renewal r;
	struct profile *p = NULL;
	bool chain_checked = false;
	int status, revoke = 0;

	memset(&r, 0, sizeof(r));
	status = cmd_renew_due_profile(g, t, e, &p) < 0 ? EXIT_FAILED :
		 cmd_renew_role(o, t, p, &r, &revoke, &chain_checked);
	if (status == EXIT_DONE) {
		d->nrenewed++;
		if (g->json)
			cmd_json_append(&d->renewed, cmd_json_result(token_get_info(t),
								     &r.result,
								     chain_checked));
		else if (g->verbosity >= 0)
			cmd_print_result("renewed", &r.result);
		if (r.warning != NULL)
			fprintf(stderr, "p11enroll: renew: %s\n", r.warning);
		if (!g->json)
			cmd_print_result_warning(g, &r.result);
		if (revoke > 0 && !g->json && g->verbosity >= 0)
			printf("revoked the old certificate of %s (superseded)\n",
			       profile_role(p));
		if (revoke < 0)
			cmd_renew_due_failed(g, e->priv_label, d);
	} else {
		cmd_renew_due_failed(g, e->priv_label, d);
	}
	profile_free(p);
	lifecycle_renewal_clear(&r);
}

/* Renew every due role of T. */
static void
cmd_renew_due_token(const struct global_opts *g, const struct renew_opts *o,
		    struct token *t, struct renew_due *d)
{
	char shown[TEXT_PRINTABLE_SIZE(64)], not_after[32];
	struct inventory_entry *inv = NULL;
	time_t now = time(NULL);
	size_t n = 0, i;
	X509 *cert;

	if (certstore_inventory(t, &inv, &n) < 0) {
		d->nfailed++;
		cmd_json_append(&d->failed, cmd_json_error("token",
				token_get_info(t)->label, err_message(), err_code(),
				EXIT_FAILED));
		if (!g->json)
			fprintf(stderr, "p11enroll: renew: %s\n", err_message());
		err_clear();
		return;
	}
	for (i = 0; i < n; i++) {
		if (inv[i].nbad > 0) {
			/* An object that could not be read may be a due
			 * role's: the run must not end as "nothing due". */
			err_set(ERR_FAILED, "token %s: object %s could not be read: %s",
				token_get_info(t)->label, inv[i].bad[0].label != NULL ?
				inv[i].bad[0].label : "(no label)", inv[i].bad[0].why);
			cmd_renew_due_failed(g, inv[i].bad[0].label, d);
			continue;
		}
		if (!cmd_renew_is_role(&inv[i]))
			continue;
		cert = inv[i].certs[0].cert;
		if (cmd_renew_is_due(cert, o->due_days, now)) {
			cmd_renew_due_one(g, o, t, &inv[i], d);
			continue;
		}
		certstore_time_string(X509_get0_notAfter(cert), not_after,
				      sizeof(not_after));
		if (g->json)
			cmd_json_append(&d->not_due, json_pack("{s:s, s:s}", "label",
					inv[i].priv_label, "not_after", not_after));
		else if (g->verbosity > 0)
			printf("not due: %s, valid until %s\n",
			       text_shown(inv[i].priv_label, shown, sizeof(shown)),
			       not_after);
	}
	certstore_inventory_free(inv, n);
}

/* renew --due on the token G selects; D gathers what it did. In a run
 * over many tokens (MANY), errors go to standard error, and the JSON
 * document of each token to D->tokens. */
static void
cmd_renew_due_on(struct global_opts *g, const struct renew_opts *o, bool many,
		 struct renew_due *d)
{
	struct global_opts own = *g;
	struct module *m = NULL;
	struct token *t = NULL;
	size_t failed = d->nfailed, renewed = d->nrenewed;
	json_t *doc;

	d->renewed = json_array();
	d->failed = json_array();
	d->not_due = json_array();
	own.json = g->json && !many;
	if (d->renewed == NULL || d->failed == NULL || d->not_due == NULL) {
		d->nerrors++;
		goto out;
	}
	if ((d->open_status = cmd_open_token(&own, &m, &t)) != 0) {
		d->nfailed++;
		d->nerrors++;
		if (many && g->json)
			cmd_json_append(&d->tokens, json_pack("{s:{s:s}, s:s}", "token",
					"selector", g->token ? g->token : "",
					"error", "the token could not be opened; see "
					"standard error"));
		goto out;
	}
	cmd_renew_due_token(g, o, t, d);
	if (g->json) {
		doc = json_pack("{s:o, s:O, s:O, s:O}", "token",
				cmd_json_token(token_get_info(t)), "renewed", d->renewed,
				"failed", d->failed, "not_due", d->not_due);
		if (many)
			cmd_json_append(&d->tokens, doc);
		else if (cmd_json_print(doc) < 0)
			d->nerrors++;
	} else if (d->nfailed == failed && d->nrenewed == renewed &&
		   g->verbosity >= 0) {
		printf("nothing is due on token %s\n", token_get_info(t)->label);
	}
out:
	json_decref(d->renewed);
	json_decref(d->failed);
	json_decref(d->not_due);
	d->renewed = d->failed = d->not_due = NULL;
	cmd_close_token(m, t);
}

/* Every initialised token of the module, by URI, into *URIS. */
static int
cmd_renew_all_tokens(const struct global_opts *g, char ***uris, size_t *count)
{
	struct token_info *infos = NULL;
	struct module *m = NULL;
	size_t n = 0, i;
	char **list = NULL;
	int rc = -1;

	*uris = NULL;
	*count = 0;
	if (module_load(cmd_module_path(g), &m) < 0 || token_list(m, &infos, &n) < 0)
		goto out;
	if ((list = calloc(n + 1, sizeof(*list))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!(infos[i].flags & CKF_TOKEN_INITIALIZED))
			continue;
		if ((list[(*count)++] = util_strdup(infos[i].uri)) == NULL)
			goto out;
	}
	*uris = list;
	list = NULL;
	rc = 0;
out:
	for (i = 0; list != NULL && list[i] != NULL; i++)
		free(list[i]);
	free(list);
	token_info_free_array(infos, n);
	module_free(m);
	return rc;
}

/* renew --due over the tokens of --all-tokens or --manifest, or the one
 * token selected; the exit status. */
static int
cmd_renew_due(struct global_opts *g, const struct renew_opts *o)
{
	struct renew_due d;
	struct manifest *mf = NULL;
	char **uris = NULL;
	size_t nuris = 0, i;
	int status = EXIT_FAILED;

	memset(&d, 0, sizeof(d));
	if (o->all_tokens && cmd_renew_all_tokens(g, &uris, &nuris) < 0)
		return cmd_fail(g);
	if (o->manifest != NULL && manifest_load(o->manifest, &mf) < 0)
		return cmd_fail(g);
	if ((o->all_tokens || mf != NULL) && (d.tokens = json_array()) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		status = cmd_fail(g);
		goto out;
	}
	if (uris != NULL) {
		for (i = 0; i < nuris; i++) {
			g->token = uris[i];
			cmd_renew_due_on(g, o, true, &d);
		}
	} else if (mf != NULL) {
		/* Each row's token, with its PIN source where it gives one. */
		for (i = 0; i < mf->nrows; i++) {
			struct global_opts row = *g;

			row.token = mf->rows[i].token;
			if (mf->rows[i].pin_source != NULL)
				row.pin_source = mf->rows[i].pin_source;
			cmd_renew_due_on(&row, o, true, &d);
		}
	} else {
		cmd_renew_due_on(g, o, false, &d);
	}
	if (d.tokens != NULL && g->json &&
	    cmd_json_print(json_pack("{s:O}", "tokens", d.tokens)) < 0)
		d.nerrors++;
	status = d.tokens == NULL && d.open_status != 0 ? d.open_status :
		 d.nfailed > 0 ? EXIT_RENEW_FAILED :
		 d.nerrors > 0 ? EXIT_FAILED :
		 d.nrenewed > 0 ? EXIT_DONE : EXIT_NOTHING_DUE;
out:
	json_decref(d.tokens);
	manifest_free(mf);
	for (i = 0; i < nuris; i++)
		free(uris[i]);
	free(uris);
	return status;
}

int
cmd_renew(struct global_opts *g, int argc, char **argv)
{
	struct renew_opts o;
	struct lifecycle_renewal r;
	struct profile *p = NULL;
	struct module *m = NULL;
	struct token *t = NULL;
	bool chain_checked = false;
	int first = 0, status = EXIT_FAILED, revoke = 0;

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	o.g = g;
	o.due_days = -1;
	if ((o.vars = vars_new()) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		status = cmd_fail(g);
		goto out;
	}
	if (!cmd_parse(g, argc, argv, "", renew_long, cmd_renew_option, &o,
		       &first, &status))
		goto out;
	if (o.due) {
		/* renew --due DAYS: the days may stand apart. */
		if (argc - first == 1 && o.due_days < 0 &&
		    (status = cmd_renew_days(&o, argv[first])) != 0)
			goto out;
		if (argc - first > (o.due_days >= 0 && argc - first == 1 ? 1 : 0)) {
			status = cmd_usage_error(g, "renew --due takes no role: it "
						 "renews every role that is due");
			goto out;
		}
		if ((o.all_tokens || o.manifest != NULL) && g->token != NULL) {
			status = cmd_usage_error(g, "--all-tokens and --manifest choose "
						 "the tokens themselves: no --token");
			goto out;
		}
		if (o.all_tokens && o.manifest != NULL) {
			status = cmd_usage_error(g, "--all-tokens or --manifest, not both");
			goto out;
		}
		status = cmd_renew_due(g, &o);
		goto out;
	}
	if (o.all_tokens || o.manifest != NULL) {
		status = cmd_usage_error(g, "--all-tokens and --manifest go with --due");
		goto out;
	}
	if (argc - first != 1) {
		status = cmd_usage_error(g, "name one role, or give --due");
		goto out;
	}
	if ((status = cmd_renew_profile(g, &o, argv[first], &p)) != 0 ||
	    (status = cmd_renew_check_keep_old(g, &o, p)) != 0)
		goto out;
	cmd_note_write_login(g, &p, 1);
	if ((status = cmd_open_token(g, &m, &t)) != 0)
		goto out;
	status = cmd_renew_role(&o, t, p, &r, &revoke, &chain_checked);
	status = cmd_renew_report(g, t, profile_role(p), profile_label(p), &r,
				  chain_checked, status, revoke);
out:
	lifecycle_renewal_clear(&r);
	profile_free(p);
	cmd_close_token(m, t);
	vars_free(o.vars);
	return status;
}
