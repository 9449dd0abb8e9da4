/* cmd-enroll.c - enroll ROLE... --ca CA: each role end to end. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cmd-ca.h"
#include "cmd.h"
#include "enroll.h"
#include "err.h"
#include "profile.h"

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
	json_t *done = json_array(), *doc;
	int first = 0, nnamed, nroles = 0, i, status = EXIT_FAILED;

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	o.g = g;
	o.vars = vars_new();
	if (o.vars == NULL || done == NULL) {
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
	if ((status = cmd_ca_open(g, &o.ca, &ca)) != 0 ||
	    (status = cmd_load_trust(g, o.trust, &trust)) != 0)
		goto out;
	if ((status = cmd_open_token(g, &m, &t)) != 0)
		goto out;
	/* Roles are independent and each is all-or-nothing: the first
	 * failure stops the run, and the roles before it stay enrolled. */
	for (i = 0; i < nroles; i++) {
		if (enroll_role(t, profiles[i], o.vars, ca, trust, &r) < 0)
			break;
		if (g->json)
			json_array_append_new(done, cmd_json_result(&r));
		else if (g->verbosity >= 0)
			cmd_print_result("enrolled", &r);
		enroll_result_clear(&r);
	}
	status = i == nroles ? EXIT_DONE :
		 err_kind() == ERR_USAGE ? EXIT_USAGE : EXIT_FAILED;
	if (g->json) {
		doc = json_pack("{s:o, s:O}", "token", cmd_json_token(token_get_info(t)),
				"enrolled", done);
		if (status != EXIT_DONE)
			json_object_set_new(doc, "error", json_pack("{s:s, s:s, s:i}",
					    "role", profile_role(profiles[i]),
					    "message", err_message(), "exit", status));
		cmd_json_print(doc);
	} else if (status != EXIT_DONE) {
		cmd_fail(g);
	}
out:
	cmd_free_profiles(profiles, nroles);
	json_decref(done);
	cmd_close_token(m, t);
	X509_STORE_free(trust);
	ca_free(ca);
	vars_free(o.vars);
	return status;
}
