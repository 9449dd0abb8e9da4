/* SPDX-License-Identifier: MIT */
/* cmd-renew.c - renew ROLE --ca CA: a new key pair and certificate for one
 * role; the old ones go only once the new ones are in. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cmd-ca.h"
#include "cmd.h"
#include "err.h"
#include "lifecycle.h"
#include "profile.h"
#include "profile-load.h"
#include "util.h"

enum { OPT_SET = 1700, OPT_TRUST, OPT_KEEP_OLD, OPT_REVOKE_OLD };

struct renew_opts {
	const struct global_opts *g;
	struct cmd_ca ca;
	const char *trust;
	struct vars *vars;
	bool any_set;
	bool keep_old;
	bool revoke_old;
};

static const struct option renew_long[] = {
	CMD_CA_LONG_OPTIONS,
	{ "set", required_argument, NULL, OPT_SET },
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ "keep-old", no_argument, NULL, OPT_KEEP_OLD },
	{ "revoke-old", no_argument, NULL, OPT_REVOKE_OLD },
	{ NULL, 0, NULL, 0 },
};

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
		cmd_json_append(&renewed, cmd_json_result(&r->result, chain_checked));
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
	if (revoke > 0 && g->verbosity >= 0)
		printf("revoked the old certificate of %s (superseded)\n", role);
	return revoke < 0 ? cmd_fail(g) : status;
}

int
cmd_renew(struct global_opts *g, int argc, char **argv)
{
	struct renew_opts o;
	struct lifecycle_renewal r;
	struct profile *p = NULL;
	struct module *m = NULL;
	struct token *t = NULL;
	struct ca *ca = NULL;
	X509_STORE *trust = NULL;
	int first = 0, status = EXIT_FAILED, rc, revoke = 0;

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	o.g = g;
	if ((o.vars = vars_new()) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		status = cmd_fail(g);
		goto out;
	}
	if (!cmd_parse(g, argc, argv, "", renew_long, cmd_renew_option, &o,
		       &first, &status))
		goto out;
	if (argc - first != 1) {
		status = cmd_usage_error(g, "name one role");
		goto out;
	}
	if (o.ca.spec == NULL) {
		status = cmd_usage_error(g, "--ca is required");
		goto out;
	}
	if ((status = cmd_renew_profile(g, &o, argv[first], &p)) != 0 ||
	    (status = cmd_renew_check_keep_old(g, &o, p)) != 0)
		goto out;
	cmd_note_write_login(g, &p, 1);
	/* A CA that cannot revoke is refused before the token is opened. */
	if ((status = (o.revoke_old ? cmd_ca_open_revoker(g, &o.ca, &ca) :
		       cmd_ca_open(g, &o.ca, &ca))) != 0 ||
	    (status = cmd_load_trust(g, o.trust, &trust)) != 0 ||
	    (status = cmd_open_token(g, &m, &t)) != 0)
		goto out;
	rc = lifecycle_renew(t, p, o.any_set ? o.vars : NULL, ca, trust, o.keep_old, &r);
	status = rc == 0 ? EXIT_DONE : cmd_exit_status();
	/* The renewal stands whatever the revocation's outcome. */
	if (rc == 0 && o.revoke_old)
		revoke = cmd_ca_revoke_x509(ca, r.old_cert, CA_REASON_SUPERSEDED) == 0 ?
			 1 : cmd_renew_revoke_failed(r.old_cert);
	status = cmd_renew_report(g, t, profile_role(p), profile_label(p), &r,
				  trust != NULL, status, revoke);
out:
	lifecycle_renewal_clear(&r);
	profile_free(p);
	cmd_close_token(m, t);
	X509_STORE_free(trust);
	ca_free(ca);
	vars_free(o.vars);
	return status;
}
