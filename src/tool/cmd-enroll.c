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
#include "rolestate.h"
#include "trace.h"

enum { OPT_SET = 1100, OPT_TRUST, OPT_MISSING };

struct enroll_opts {
	const struct global_opts *g;
	struct cmd_ca ca;
	const char *trust;
	struct vars *vars;
	bool missing;           /* --missing: leave the roles already there */
};

static const struct option enroll_long[] = {
	CMD_CA_LONG_OPTIONS,
	{ "set", required_argument, NULL, OPT_SET },
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ "missing", no_argument, NULL, OPT_MISSING },
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

/* With --missing: the N roles of PROFILES not on T yet into TODO
 * (borrowed; *NTODO of them); the others are said to be there, in
 * PRESENT for JSON. 0 or -1 with the error recorded. */
static int
cmd_enroll_missing(const struct global_opts *g, struct token *t,
		   struct profile **profiles, int n, struct profile **todo,
		   int *ntodo, json_t **present)
{
	bool there;
	int i;

	*ntodo = 0;
	for (i = 0; i < n; i++) {
		if (rolestate_present(t, profile_label(profiles[i]), ROLESTATE_ROLE,
				      &there) < 0)
			return err_prefix("role %s", profile_role(profiles[i]));
		if (!there) {
			todo[(*ntodo)++] = profiles[i];
			continue;
		}
		if (g->json) {
			json_t *item = json_object();

			if (cmd_json_set_text(item, "role", profile_role(profiles[i])) < 0 ||
			    cmd_json_set_text(item, "label", profile_label(profiles[i])) < 0) {
				json_decref(item);
				item = NULL;
			}
			cmd_json_append(present, item);
		} else if (g->verbosity >= 0) {
			printf("present %s: already on the token (label %s), left "
			       "as it is\n", profile_role(profiles[i]),
			       profile_label(profiles[i]));
		}
	}
	return 0;
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
	case OPT_MISSING: o->missing = true; return 0;
	default: return cmd_usage_error(o->g, "unknown option");
	}
}

int
cmd_enroll(struct global_opts *g, int argc, char **argv)
{
	struct enroll_opts o;
	struct enroll_result r;
	struct profile **profiles = NULL, **todo = NULL;
	struct module *m = NULL;
	struct token *t = NULL;
	struct ca *ca = NULL;
	X509_STORE *trust = NULL;
	json_t *done = json_array(), *waiting = json_array(), *present = json_array();
	json_t *doc;
	int first = 0, nnamed, nroles = 0, ntodo = 0, nwaiting = 0, refused, i, rc;
	int status = EXIT_FAILED;

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	o.g = g;
	o.vars = vars_new();
	if (o.vars == NULL || done == NULL || waiting == NULL || present == NULL) {
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
	if ((todo = calloc((size_t)nroles + 1, sizeof(*todo))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		status = cmd_fail(g);
		goto out;
	}
	if (!o.missing) {
		memcpy(todo, profiles, (size_t)nroles * sizeof(*todo));
		ntodo = nroles;
	} else if (cmd_enroll_missing(g, t, profiles, nroles, todo, &ntodo,
				      &present) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	/* A role the token cannot do stops the run before any role starts;
	 * after that, roles are independent and each is all-or-nothing: the
	 * first failure stops the run, and the roles before it stay
	 * enrolled. A role whose CA asked to wait is not a failure: its key
	 * waits. */
	refused = cmd_enroll_unsupported(t, todo, ntodo);
	for (i = refused < ntodo ? refused : 0; refused == ntodo && i < ntodo; i++) {
		if ((rc = enroll_role(t, todo[i], o.vars, ca, trust, &r)) < 0)
			break;
		if (rc == ENROLL_AWAITING) {
			nwaiting++;
			if (g->json)
				cmd_json_append(&waiting, cmd_enroll_json_awaiting(&r));
			else if (g->verbosity >= 0)
				cmd_enroll_print_awaiting(&r);
		} else {
			cmd_enroll_record(t, &o, todo[i], &r);
			if (g->json)
				cmd_json_append(&done, cmd_json_result(token_get_info(t), &r,
								       trust != NULL));
			else if (g->verbosity >= 0)
				cmd_print_result("enrolled", &r);
		}
		if (!g->json)
			cmd_print_result_warning(g, &r);
		enroll_result_clear(&r);
	}
	status = i < ntodo ? cmd_exit_status() :
		 nwaiting > 0 ? EXIT_AWAITING : EXIT_DONE;
	if (g->json) {
		doc = json_pack("{s:o, s:O, s:O, s:O}", "token",
				cmd_json_token(token_get_info(t)), "enrolled", done,
				"awaiting", waiting, "present", present);
		if (i < ntodo && json_object_set_new(doc, "error",
				cmd_json_error("role", profile_role(todo[i]),
					       err_message(), err_code(), status)) < 0) {
			json_decref(doc);
			doc = NULL;
		}
		if (cmd_json_print(doc) < 0)
			status = EXIT_FAILED;
	} else if (status != EXIT_DONE && status != EXIT_AWAITING) {
		cmd_fail(g);
	}
out:
	free(todo);
	cmd_free_profiles(profiles, nroles);
	json_decref(present);
	json_decref(done);
	json_decref(waiting);
	cmd_close_token(m, t);
	X509_STORE_free(trust);
	ca_free(ca);
	vars_free(o.vars);
	return status;
}
