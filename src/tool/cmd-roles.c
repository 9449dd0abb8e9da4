/* SPDX-License-Identifier: MIT */
/* cmd-roles.c - what a command that enrolls takes in: variables, trust
 * anchors and the profiles of its roles. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "err.h"
#include "profile.h"
#include "profile-load.h"
#include "rolestate.h"
#include "verify.h"

int
cmd_set_var(const struct global_opts *g, struct vars *vars, const char *arg)
{
	if (vars_set(vars, arg) < 0)
		return cmd_usage_error(g, "--set: %s", err_message());
	return 0;
}

void
cmd_warn_unchecked(const struct global_opts *g)
{
	/* Once per process: a run that enrolls many roles says it once. */
	static bool said;

	if (said || g->verbosity < 0)
		return;
	said = true;
	fprintf(stderr, "p11enroll: %s: warning: no --trust: the chain of the "
		"returned certificates is not checked, so a certificate from any "
		"issuer that matches the request is written; give the CA's root "
		"with --trust FILE\n", g->command);
}

int
cmd_load_trust(const struct global_opts *g, const char *path, X509_STORE **out)
{
	*out = NULL;
	if (path == NULL) {
		cmd_warn_unchecked(g);
		return 0;
	}
	if (verify_load_trust(path, out) < 0)
		return cmd_fail(g);
	return 0;
}

/* Add ROLE to the roles of VARIABLE in LIST, adding VARIABLE first when
 * it is not there. */
static void
cmd_missing_add(json_t **list, const char *variable, const char *role)
{
	json_t *item, *roles, *r;
	size_t i, k;

	json_array_foreach(*list, i, item) {
		if (strcmp(json_string_value(json_object_get(item, "variable")),
			   variable) != 0)
			continue;
		roles = json_object_get(item, "roles");
		json_array_foreach(roles, k, r)
			if (strcmp(json_string_value(r), role) == 0)
				return;
		if (json_array_append_new(roles, json_string(role)) < 0) {
			json_decref(*list);
			*list = NULL;
		}
		return;
	}
	cmd_json_append(list, json_pack("{s:s, s:s, s:[s]}", "code",
					err_code_name(ERR_CODE_MISSING_VARIABLE),
					"variable", variable, "roles", role));
}

json_t *
cmd_missing_vars(struct profile *const *p, int n, const struct vars *vars)
{
	json_t *list = json_array();
	const char *name;
	size_t k;
	int i;

	for (i = 0; i < n; i++)
		for (k = 0; (name = profile_var(p[i], k)) != NULL; k++)
			if (vars_get(vars, name) == NULL)
				cmd_missing_add(&list, name, profile_role(p[i]));
	return list;
}

/* The roles of ITEM of cmd_missing_vars() as words: "role a" or
 * "roles a, b". */
void
cmd_missing_roles(const json_t *item, char *buf, size_t size)
{
	const json_t *roles = json_object_get(item, "roles");
	size_t i, used;

	snprintf(buf, size, "%s", json_array_size(roles) > 1 ? "roles " : "role ");
	for (i = 0; i < json_array_size(roles); i++) {
		used = strlen(buf);
		snprintf(buf + used, size - used, "%s%s", i > 0 ? ", " : "",
			 json_string_value(json_array_get(roles, i)));
	}
}

/* Report every variable the N profiles P need that VARS lacks, at once,
 * each with the roles that need it; 0 when none is missing, else an exit
 * status. */
static int
cmd_check_vars(const struct global_opts *g, struct profile *const *p, int n,
	       const struct vars *vars)
{
	json_t *missing = cmd_missing_vars(p, n, vars), *item;
	char roles[512], message[ERR_MESSAGE_MAX], summary[128];
	const char *name;
	size_t i;

	if (missing != NULL && json_array_size(missing) == 0) {
		json_decref(missing);
		return 0;
	}
	json_array_foreach(missing, i, item) {
		name = json_string_value(json_object_get(item, "variable"));
		cmd_missing_roles(item, roles, sizeof(roles));
		snprintf(message, sizeof(message), "variable %s, needed by %s: set "
			 "it with --set %s=VALUE", name, roles, name);
		if (cmd_json_set_text(item, "message", message) < 0) {
			json_decref(missing);
			missing = NULL;
			break;
		}
	}
	snprintf(summary, sizeof(summary), "%zu template variable%s missing, "
		 "nothing was done", json_array_size(missing),
		 json_array_size(missing) == 1 ? " is" : "s are");
	return cmd_report_all(g, EXIT_USAGE, summary, missing);
}

/* Expand role sets, then load every role's profile and fill its
 * templates before the token is touched, so that a missing variable
 * changes nothing. Every missing variable is reported at once. */
int
cmd_load_profiles(const struct global_opts *g, char **roles, int n,
		  const struct vars *vars, struct profile ***out, int *count)
{
	const char *dir = cmd_profiles_dir(g);
	struct csr_spec spec;
	struct profile **p = NULL;
	char **names = NULL;
	size_t i, nnames = 0;
	int status = EXIT_FAILED;

	*out = NULL;
	*count = 0;
	if (profile_expand_roles(dir, roles, (size_t)n, &names, &nnames) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	if ((p = calloc(nnames, sizeof(*p))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		status = cmd_fail(g);
		goto out;
	}
	for (i = 0; i < nnames; i++) {
		if (profile_load(dir, names[i], &p[i]) < 0) {
			status = cmd_fail(g);
			goto out;
		}
	}
	if ((status = cmd_check_vars(g, p, (int)nnames, vars)) != 0)
		goto out;
	status = EXIT_FAILED;
	for (i = 0; i < nnames; i++) {
		if (profile_spec(p[i], vars, &spec) < 0) {
			status = cmd_fail(g);
			goto out;
		}
		csr_spec_clear(&spec);
	}
	*out = p;
	*count = (int)nnames;
	p = NULL;
	status = EXIT_DONE;
out:
	cmd_free_profiles(p, (int)nnames);
	profile_names_free(names, nnames);
	return status;
}

void
cmd_note_write_login(struct global_opts *g, struct profile *const *p, int n)
{
	int i;

	for (i = 0; i < n && g->so_role == NULL; i++)
		if (profile_writes_as_so(p[i]))
			g->so_role = profile_role(p[i]);
}

void
cmd_free_profiles(struct profile **p, int n)
{
	int i;

	for (i = 0; p != NULL && i < n; i++)
		profile_free(p[i]);
	free(p);
}

int
cmd_role_label(struct global_opts *g, const char *role, char *label, size_t size)
{
	enum profile_kind kind = PROFILE_KIND_ROLE;
	struct profile *p = NULL;

	/* A label with a state prefix is not a role: pending objects are for
	 * status --repair, the others go with their role. */
	if (rolestate_parse(role, NULL) != ROLESTATE_ROLE)
		return cmd_usage_error(g, "name the role, not a label with its "
				       "state prefix: %s", role);
	if (profile_find(cmd_profiles_dir(g), role, &kind) < 0) {
		err_clear();
		snprintf(label, size, "%s", role);
		return 0;
	}
	if (kind == PROFILE_KIND_SET)
		return cmd_usage_error(g, "%s is a role set; %s takes one role",
				       role, g->command);
	if (profile_parse(cmd_profiles_dir(g), role, &p) < 0)
		return cmd_fail(g);
	snprintf(label, size, "%s", profile_label(p));
	if (profile_writes_as_so(p))
		g->so_role = role;
	profile_free(p);
	return 0;
}
