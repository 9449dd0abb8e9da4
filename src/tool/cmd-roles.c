/* SPDX-License-Identifier: MIT */
/* cmd-roles.c - what a command that enrolls takes in: variables, trust
 * anchors and the profiles of its roles. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

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

int
cmd_load_trust(const struct global_opts *g, const char *path, X509_STORE **out)
{
	*out = NULL;
	if (path == NULL)
		return 0;
	if (verify_load_trust(path, out) < 0)
		return cmd_fail(g);
	return 0;
}
/* Expand role sets, then load every role's profile and fill its
 * templates before the token is touched, so that a missing variable
 * changes nothing. */
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
		if (profile_load(dir, names[i], &p[i]) < 0 ||
		    profile_spec(p[i], vars, &spec) < 0) {
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
