/* SPDX-License-Identifier: MIT */
/* cmd-remove.c - remove ROLE: delete one role's keys and certificates. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "certstore.h"
#include "cmd-ca.h"
#include "cmd.h"
#include "enroll.h"
#include "err.h"
#include "lifecycle.h"
#include "profile.h"
#include "rolestate.h"
#include "text.h"

enum { OPT_YES = 1600, OPT_RETIRED, OPT_ONLY_RETIRED, OPT_REVOKE };

struct remove_opts {
	const struct global_opts *g;
	bool yes;
	enum lifecycle_scope scope;
	bool revoke;
	int reason;                     /* CRLReason, with --revoke */
	bool any_reason;
	struct cmd_ca ca;
};

static const struct option remove_long[] = {
	CMD_CA_LONG_OPTIONS,
	{ "revoke", no_argument, NULL, OPT_REVOKE },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "yes", no_argument, NULL, OPT_YES },
	{ "retired", no_argument, NULL, OPT_RETIRED },
	{ "only-retired", no_argument, NULL, OPT_ONLY_RETIRED },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_remove_scope(struct remove_opts *o, enum lifecycle_scope scope)
{
	if (o->scope != LIFECYCLE_ROLE && o->scope != scope)
		return cmd_usage_error(o->g, "--retired and --only-retired "
				       "exclude each other");
	o->scope = scope;
	return 0;
}

static int
cmd_remove_option(void *ctx, int opt, const char *arg)
{
	struct remove_opts *o = ctx;
	int rc = cmd_ca_option(o->g, &o->ca, opt, arg);

	if (rc >= 0)
		return rc;
	switch (opt) {
	case OPT_REVOKE: o->revoke = true; return 0;
	case OPT_REASON:
		o->any_reason = true;
		return cmd_ca_reason(o->g, arg, &o->reason);
	case 'y':
	case OPT_YES: o->yes = true; return 0;
	case OPT_RETIRED: return cmd_remove_scope(o, LIFECYCLE_ROLE_AND_RETIRED);
	case OPT_ONLY_RETIRED: return cmd_remove_scope(o, LIFECYCLE_RETIRED_ONLY);
	default: return cmd_usage_error(o->g, "unknown option");
	}
}

/* List PLAN and ask on the terminal; true only for "y" or "yes". */
static bool
cmd_remove_confirm(const char *role, const struct token_info *info,
		   const struct rolestate_group *plan)
{
	const struct rolestate_object *o;
	char answer[32], label[TEXT_PRINTABLE_SIZE(64)];
	size_t i;

	for (i = 0; i < plan->n; i++) {
		o = &plan->objs[i];
		fprintf(stderr, "  %-12s %-28s %s\n", rolestate_class_name(o->cls),
			text_shown(o->label, label, sizeof(label)),
			o->id_hex != NULL && o->id_hex[0] ? o->id_hex : "(no id)");
	}
	fprintf(stderr, "Delete %zu objects of role %s from token %s? [y/N] ",
		plan->n, role, info->label);
	fflush(stderr);
	if (fgets(answer, sizeof(answer), stdin) == NULL)
		return false;
	answer[strcspn(answer, "\r\n")] = '\0';
	return strcasecmp(answer, "y") == 0 || strcasecmp(answer, "yes") == 0;
}

/* Revoke every certificate of PLAN, before anything is deleted: the
 * first refusal stops, and the token stays as it was. *REVOKED counts
 * the certificates revoked. */
static int
cmd_remove_revoke(struct token *t, struct ca *ca, int reason,
		  const struct rolestate_group *plan, size_t *revoked)
{
	const struct rolestate_object *obj;
	X509 *x = NULL;
	size_t i;
	int rc;

	*revoked = 0;
	for (i = 0; i < plan->n; i++) {
		obj = &plan->objs[i];
		if (obj->cls != CKO_CERTIFICATE)
			continue;
		rc = certstore_read_cert(t, obj->handle, &x);
		if (rc == 0)
			rc = cmd_ca_revoke_x509(ca, x, reason);
		X509_free(x);
		x = NULL;
		if (rc < 0) {
			err_append("nothing was deleted");
			if (*revoked > 0)
				err_append("%zu of the role's certificates were "
					   "revoked already", *revoked);
			return -1;
		}
		(*revoked)++;
	}
	return 0;
}

int
cmd_remove(struct global_opts *g, int argc, char **argv)
{
	struct remove_opts o;
	struct rolestate_group plan = { NULL, 0, 0 };
	struct module *m = NULL;
	struct token *t = NULL;
	struct ca *ca = NULL;
	char label[ROLESTATE_LABEL_MAX];
	const char *role;
	size_t removed = 0, revoked = 0;
	int first = 0, status = EXIT_FAILED;

	memset(&o, 0, sizeof(o));
	o.g = g;
	if (!cmd_parse(g, argc, argv, "y", remove_long, cmd_remove_option, &o,
		       &first, &status))
		goto out;
	if (argc - first != 1) {
		status = cmd_usage_error(g, "name one role");
		goto out;
	}
	role = argv[first];
	if (!o.revoke && (o.ca.spec != NULL || o.any_reason)) {
		status = cmd_usage_error(g, "--ca and --reason go with --revoke");
		goto out;
	}
	if (!o.yes && !isatty(STDIN_FILENO)) {
		status = cmd_usage_error(g, "remove deletes keys; give --yes when not "
					 "on a terminal");
		goto out;
	}
	/* A CA that cannot revoke is refused before the token is opened. */
	if ((status = cmd_role_label(g, role, label, sizeof(label))) != 0 ||
	    (o.revoke && (status = cmd_ca_open_revoker(g, &o.ca, &ca)) != 0) ||
	    (status = cmd_open_token(g, &m, &t)) != 0)
		goto out;
	if (lifecycle_remove_plan(t, role, label, o.scope, &plan) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	if (!o.yes && !cmd_remove_confirm(role, token_get_info(t), &plan)) {
		err_set(ERR_FAILED, "not confirmed; nothing was deleted");
		status = cmd_fail(g);
		goto out;
	}
	if (o.revoke && cmd_remove_revoke(t, ca, o.reason, &plan, &revoked) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	if (lifecycle_remove(t, role, &plan, &removed) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	status = EXIT_DONE;
	if (g->json)
		status = cmd_json_print(json_pack("{s:o, s:{s:s, s:I, s:o*}}", "token",
					 cmd_json_token(token_get_info(t)), "removed",
					 "role", role, "objects", (json_int_t)removed,
					 "revoked", o.revoke ? json_pack("{s:I, s:s}", "certificates",
					 (json_int_t)revoked, "reason", ca_reason_name(o.reason)) :
					 NULL)) < 0 ? EXIT_FAILED : EXIT_DONE;
	else if (g->verbosity >= 0) {
		if (o.revoke)
			printf("revoked %s: %zu certificates (%s)\n", role, revoked,
			       ca_reason_name(o.reason));
		printf("removed %s: %zu objects\n", role, removed);
	}
out:
	ca_free(ca);
	rolestate_group_clear(&plan);
	cmd_close_token(m, t);
	return status;
}
