/* SPDX-License-Identifier: MIT */
/* cmd-enroll.c - enroll ROLE... --ca CA: each role end to end. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cmd-ca.h"
#include "cmd-record.h"
#include "cmd.h"
#include "enroll.h"
#include "err.h"
#include "profile.h"
#include "trace.h"

enum { OPT_SET = 1100, OPT_TRUST };

struct enroll_opts {
	const struct global_opts *g;
	struct cmd_ca ca;
	const char *trust;
	struct vars *vars;
};

static const struct option enroll_long[] = {
	CMD_CA_LONG_OPTIONS,
	{ "set", required_argument, NULL, OPT_SET },
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ NULL, 0, NULL, 0 },
};

/* A role whose key awaits its certificate, as JSON. */
static json_t *
cmd_enroll_json_awaiting(const struct enroll_result *r)
{
	json_t *doc = json_object();

	if (cmd_json_set_text(doc, "role", r->role) < 0 ||
	    cmd_json_set_text(doc, "label", r->label) < 0 ||
	    json_object_update_new(doc, json_pack("{s:s, s:s}", "id", r->id_hex,
						  "key_algorithm", r->key_alg)) < 0 ||
	    cmd_json_set_text(doc, "ca", r->ca) < 0 ||
	    json_object_set_new(doc, "retry_seconds",
				json_integer(r->retry_seconds)) < 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* The same for people: what happened and what to do next. */
static void
cmd_enroll_print_awaiting(const struct enroll_result *r)
{
	printf("awaiting %s: %s key %s; the CA %s has not issued the "
	       "certificate yet", r->role, r->key_alg, r->id_hex, r->ca);
	if (r->retry_seconds > 0)
		printf(" and asks to be asked again in %d seconds",
		       r->retry_seconds);
	printf("; enroll %s again with the same --ca to ask it\n", r->role);
}

/* The first role the token cannot do, with the error recorded, or
 * NROLES when it can do them all. */
static int
cmd_enroll_unsupported(struct token *t, struct profile **profiles, int nroles)
{
	int refused;

	if (enroll_check_supported(t, profiles, nroles, &refused) == 0)
		return nroles;
	err_prefix("enroll %s on token %s", profile_role(profiles[refused]),
		   token_get_info(t)->label);
	err_append("nothing was enrolled");
	return refused;
}

/* Keep the record of role P, just enrolled as R, with the options O it
 * was enrolled with. */
static void
cmd_enroll_record(struct token *t, const struct enroll_opts *o,
		  const struct profile *p, const struct enroll_result *r)
{
	struct rolerecord *rec = cmd_record_make(&o->ca, o->trust, o->vars,
						 profile_role(p));

	cmd_record_keep(o->g, t, r, NULL, rec);
	rolerecord_free(rec);
}

static int
cmd_enroll_option(void *ctx, int opt, const char *arg)
{
	struct enroll_opts *o = ctx;
	int rc = cmd_ca_option(o->g, &o->ca, opt, arg);

	if (rc >= 0)
		return rc;
	switch (opt) {
	case OPT_SET: return cmd_set_var(o->g, o->vars, arg);
	case OPT_TRUST: o->trust = arg; return 0;
	default: return cmd_usage_error(o->g, "unknown option");
	}
}

int
cmd_enroll(struct global_opts *g, int argc, char **argv)
{
	struct enroll_opts o;
	struct enroll_result r;
	struct profile **profiles = NULL;
	struct module *m = NULL;
	struct token *t = NULL;
	struct ca *ca = NULL;
	X509_STORE *trust = NULL;
	json_t *done = json_array(), *waiting = json_array(), *doc;
	int first = 0, nnamed, nroles = 0, nwaiting = 0, refused, i, rc;
	int status = EXIT_FAILED;

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	o.g = g;
	o.vars = vars_new();
	if (o.vars == NULL || done == NULL || waiting == NULL) {
		err_set(ERR_FAILED, "out of memory");
		status = cmd_fail(g);
		goto out;
	}
	if (!cmd_parse(g, argc, argv, "", enroll_long, cmd_enroll_option, &o,
		       &first, &status))
		goto out;
	nnamed = argc - first;
	if (nnamed == 0) {
		status = cmd_usage_error(g, "name at least one role");
		goto out;
	}
	if (o.ca.spec == NULL) {
		status = cmd_usage_error(g, "--ca is required");
		goto out;
	}
	if ((status = cmd_load_profiles(g, argv + first, nnamed, o.vars, &profiles,
					 &nroles)) != 0)
		goto out;
	trace_mark("profiles", NULL);
	cmd_note_write_login(g, profiles, nroles);
	if ((status = cmd_ca_open(g, &o.ca, &ca)) != 0 ||
	    (status = cmd_load_trust(g, o.trust, &trust)) != 0)
		goto out;
	trace_mark("CA and trust", NULL);
	if ((status = cmd_open_token(g, &m, &t)) != 0)
		goto out;
	/* A role the token cannot do stops the run before any role starts;
	 * after that, roles are independent and each is all-or-nothing: the
	 * first failure stops the run, and the roles before it stay
	 * enrolled. A role whose CA asked to wait is not a failure: its key
	 * waits. */
	refused = cmd_enroll_unsupported(t, profiles, nroles);
	for (i = refused < nroles ? refused : 0; refused == nroles && i < nroles; i++) {
		if ((rc = enroll_role(t, profiles[i], o.vars, ca, trust, &r)) < 0)
			break;
		if (rc == ENROLL_AWAITING) {
			nwaiting++;
			if (g->json)
				cmd_json_append(&waiting, cmd_enroll_json_awaiting(&r));
			else if (g->verbosity >= 0)
				cmd_enroll_print_awaiting(&r);
		} else {
			cmd_enroll_record(t, &o, profiles[i], &r);
			if (g->json)
				cmd_json_append(&done, cmd_json_result(&r));
			else if (g->verbosity >= 0)
				cmd_print_result("enrolled", &r);
		}
		enroll_result_clear(&r);
	}
	status = i < nroles ? (err_kind() == ERR_USAGE ? EXIT_USAGE : EXIT_FAILED) :
		 nwaiting > 0 ? EXIT_AWAITING : EXIT_DONE;
	if (g->json) {
		doc = json_pack("{s:o, s:O, s:O}", "token",
				cmd_json_token(token_get_info(t)), "enrolled", done,
				"awaiting", waiting);
		if (i < nroles && json_object_set_new(doc, "error",
				cmd_json_error("role", profile_role(profiles[i]),
					       err_message(), status)) < 0) {
			json_decref(doc);
			doc = NULL;
		}
		if (cmd_json_print(doc) < 0)
			status = EXIT_FAILED;
	} else if (status == EXIT_USAGE || status == EXIT_FAILED) {
		cmd_fail(g);
	}
out:
	cmd_free_profiles(profiles, nroles);
	json_decref(done);
	json_decref(waiting);
	cmd_close_token(m, t);
	X509_STORE_free(trust);
	ca_free(ca);
	vars_free(o.vars);
	return status;
}
