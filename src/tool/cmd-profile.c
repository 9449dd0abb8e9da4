/* SPDX-License-Identifier: MIT */
/* cmd-profile.c - profile list | show NAME | lint FILE...: the roles and
 * role sets, one profile as parsed, and the policy check of files. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "err.h"
#include "keymech.h"
#include "keyusage.h"
#include "policy.h"
#include "profile.h"
#include "text.h"
#include "util.h"

#define CMD_PROFILE_NAME_MAX 80

/* ---- shared pieces ---- */

static int
cmd_profile_option(void *ctx, int opt, const char *arg)
{
	return cmd_usage_error(ctx, "unknown option");
}

static json_t *
cmd_profile_json_findings(const struct policy_finding *f, size_t n)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; list != NULL && i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s}",
				      "id", f[i].id,
				      "severity", policy_severity_name(f[i].severity),
				      "message", f[i].message));
	return list;
}

static json_t *
cmd_profile_json_names(char **names, size_t n)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; list != NULL && i < n; i++)
		json_array_append_new(list, json_string(names[i]));
	return list;
}

static json_t *
cmd_profile_json_eku(const struct profile *p)
{
	char name[CMD_PROFILE_NAME_MAX];
	json_t *list = json_array();
	size_t i;

	for (i = 0; list != NULL && i < profile_eku_count(p); i++)
		json_array_append_new(list, json_string(profile_eku_name(p, i,
						 name, sizeof(name))));
	return list;
}

static json_t *
cmd_profile_json_ku(const struct profile *p)
{
	const char *names[KEYUSAGE_COUNT];
	json_t *list = json_array();
	size_t i, n = keyusage_names(profile_key_usage(p), names);

	for (i = 0; list != NULL && i < n; i++)
		json_array_append_new(list, json_string(names[i]));
	return list;
}

/* Append the N NAMES to BUF joined by SEP. */
static void
cmd_profile_join(char *buf, size_t size, const char *const *names, size_t n,
		 const char *sep)
{
	size_t i, len;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", i ? sep : "", names[i]);
	}
}

static void
cmd_profile_eku_text(const struct profile *p, char *buf, size_t size)
{
	char names[16][CMD_PROFILE_NAME_MAX];
	const char *list[16];
	size_t i;

	for (i = 0; i < profile_eku_count(p) && i < 16; i++)
		list[i] = profile_eku_name(p, i, names[i], sizeof(names[i]));
	cmd_profile_join(buf, size, list, i, ",");
}

static void
cmd_profile_ku_text(const struct profile *p, char *buf, size_t size)
{
	const char *names[KEYUSAGE_COUNT];

	cmd_profile_join(buf, size, names,
			 keyusage_names(profile_key_usage(p), names), ",");
}

/* Print each finding as "WHERE: severity: ID: sentence". */
static void
cmd_profile_print_findings(const char *where, const struct policy_finding *f,
			   size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s: %s: %s: %s\n", where,
		       policy_severity_name(f[i].severity), f[i].id,
		       f[i].message);
}

static bool
cmd_profile_has_error(const struct policy_finding *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (f[i].severity == POLICY_ERROR)
			return true;
	return false;
}

/* ---- profile list ---- */

/* A line of the table: the directory FILE is in comes last. */
static void
cmd_profile_list_line(const char *name, const char *kind, const char *key,
		      const char *what, const char *file)
{
	const char *slash = strrchr(file, '/');
	int dir_len = slash != NULL ? (int)(slash - file) : 1;

	printf("%-24s %-4s %-8s %-32s %.*s\n", name, kind, key, what, dir_len,
	       slash != NULL ? file : ".");
}

/* The directories of DIRS, in order, as a JSON array. */
static json_t *
cmd_profile_json_path(const char *dirs)
{
	json_t *path = json_array();
	const char *cursor = dirs;
	char dir[PATH_MAX];

	while (path != NULL && profile_path_next(&cursor, dir, sizeof(dir)))
		cmd_json_append(&path, json_string(dir));
	return path;
}

/* Where NAME of DIRS is, for the list; "" when it cannot be told. */
static char *
cmd_profile_file(const char *dirs, const char *name)
{
	enum profile_kind kind;
	char *file = NULL;

	if (profile_locate(dirs, name, &kind, &file) <= 0)
		return strdup("");
	return file;
}

/* One role of the directory: a JSON entry, or a table line with its
 * findings kept for below the table. */
static int
cmd_profile_list_role(const struct global_opts *g, const char *dir,
		      const char *name, const char *file, json_t *roles,
		      json_t *notes)
{
	struct policy_finding *f = NULL;
	struct profile *p = NULL;
	char eku[512];
	size_t i, n = 0;
	int rc = -1;

	if (profile_parse(dir, name, &p) < 0) {
		if (g->json)
			json_array_append_new(roles, json_pack("{s:s, s:s, s:s, "
					      "s:n, s:[], s:[], s:s}", "name", name,
					      "kind", "role", "file", file,
					      "key_algorithm",
					      "extended_key_usage", "findings",
					      "error", err_message()));
		else {
			cmd_profile_list_line(name, "role", "-", "-", file);
			json_array_append_new(notes, json_string(err_message()));
		}
		rc = 0;
		goto out;
	}
	if (policy_lint(p, &f, &n) < 0)
		goto out;
	if (g->json) {
		json_array_append_new(roles, json_pack("{s:s, s:s, s:s, s:s, "
				      "s:o, s:o, s:n}", "name", name, "kind", "role",
				      "file", file, "key_algorithm",
				      keyalg_name(profile_key_alg(p)),
				      "extended_key_usage", cmd_profile_json_eku(p),
				      "findings", cmd_profile_json_findings(f, n),
				      "error"));
	} else {
		cmd_profile_eku_text(p, eku, sizeof(eku));
		cmd_profile_list_line(name, "role",
				      keyalg_name(profile_key_alg(p)), eku, file);
		for (i = 0; i < n; i++)
			json_array_append_new(notes, json_sprintf("%s: %s: %s: %s",
					      name, policy_severity_name(f[i].severity),
					      f[i].id, f[i].message));
	}
	rc = 0;
out:
	policy_findings_free(f, n);
	profile_free(p);
	return rc;
}

static void
cmd_profile_list_set(const struct global_opts *g, const char *dir,
		     const char *name, const char *file, json_t *sets,
		     json_t *notes)
{
	char **roles = NULL, text[512];
	size_t n = 0;

	if (profile_set_load(dir, name, &roles, &n) < 0) {
		if (g->json)
			json_array_append_new(sets, json_pack("{s:s, s:s, s:s, "
					      "s:[], s:s}", "name", name, "kind",
					      "set", "file", file, "roles", "error",
					      err_message()));
		else {
			cmd_profile_list_line(name, "set", "-", "-", file);
			json_array_append_new(notes, json_string(err_message()));
		}
		return;
	}
	if (g->json) {
		json_array_append_new(sets, json_pack("{s:s, s:s, s:s, s:o, s:n}",
				      "name", name, "kind", "set", "file", file,
				      "roles", cmd_profile_json_names(roles, n),
				      "error"));
	} else {
		cmd_profile_join(text, sizeof(text), (const char *const *)roles,
				 n, " ");
		cmd_profile_list_line(name, "set", "-", text, file);
	}
	profile_names_free(roles, n);
}

static int
cmd_profile_list(const struct global_opts *g, char **args, int nargs)
{
	const char *dir = cmd_profiles_dir(g);
	char **roles = NULL, **sets = NULL, *file = NULL;
	size_t i, nroles = 0, nsets = 0;
	json_t *jroles = json_array(), *jsets = json_array(), *notes = json_array();
	json_t *v;
	int status = EXIT_FAILED;

	if (jroles == NULL || jsets == NULL || notes == NULL) {
		err_set(ERR_FAILED, "out of memory");
		status = cmd_fail(g);
		goto out;
	}
	if (profile_dir_list(dir, &roles, &nroles, &sets, &nsets) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	if (!g->json)
		printf("%-24s %-4s %-8s %-32s %s\n", "NAME", "KIND", "KEY",
		       "EXTENDED KEY USAGE / ROLES", "FROM");
	for (i = 0; i < nroles; i++) {
		if ((file = cmd_profile_file(dir, roles[i])) == NULL ||
		    cmd_profile_list_role(g, dir, roles[i], file, jroles,
					  notes) < 0) {
			if (file == NULL)
				err_set(ERR_FAILED, "out of memory");
			status = cmd_fail(g);
			goto out;
		}
		free(file);
		file = NULL;
	}
	for (i = 0; i < nsets; i++) {
		if ((file = cmd_profile_file(dir, sets[i])) == NULL) {
			err_set(ERR_FAILED, "out of memory");
			status = cmd_fail(g);
			goto out;
		}
		cmd_profile_list_set(g, dir, sets[i], file, jsets, notes);
		free(file);
		file = NULL;
	}
	if (nroles + nsets == 0) {
		char shown[PATH_MAX], note[PATH_MAX + 128];

		snprintf(note, sizeof(note), "no profiles in %s: %s",
			 text_shown(dir, shown, sizeof(shown)),
			 PROFILE_NONE_HINT);
		json_array_append_new(notes, json_string(note));
	}
	status = EXIT_DONE;
	if (g->json) {
		if (cmd_json_print(json_pack("{s:s, s:o, s:O, s:O}", "directory", dir,
					     "path", cmd_profile_json_path(dir),
					     "profiles", jroles, "sets", jsets)) < 0)
			status = EXIT_FAILED;
	} else if (json_array_size(notes) > 0) {
		printf("\n");
		json_array_foreach(notes, i, v)
			printf("%s\n", json_string_value(v));
	}
out:
	free(file);
	json_decref(jroles);
	json_decref(jsets);
	json_decref(notes);
	profile_names_free(roles, nroles);
	profile_names_free(sets, nsets);
	return status;
}

/* ---- profile show ---- */

static json_t *
cmd_profile_json_sans(const struct profile *p)
{
	json_t *list = json_array();
	const char *kind, *text;
	size_t i;

	for (i = 0; list != NULL && i < profile_san_count(p); i++) {
		text = profile_san_template(p, i, &kind);
		json_array_append_new(list, json_pack("{s:s, s:s}", "type", kind,
						      "template", text));
	}
	return list;
}

static void
cmd_profile_show_text(const struct profile *p, const struct policy_finding *f,
		      size_t n, const char *id)
{
	const char *kind, *text, *just = profile_justification(p);
	char buf[512], mechs[KEYMECH_NAMES_MAX];
	size_t i;

	printf("%-22s %s\n", "role:", profile_role(p));
	printf("%-22s %s\n", "file:", profile_path(p));
	printf("%-22s %s\n", "key algorithm:", keyalg_name(profile_key_alg(p)));
	printf("%-22s %s\n", "label:", profile_label(p));
	printf("%-22s %s\n", "fixed id:", id != NULL ? id : "none");
	keymech_names(profile_allowed_mechs(p), ", ", mechs, sizeof(mechs));
	printf("%-22s %s\n", "allowed mechanisms:", profile_allowed_mechs(p) ?
	       mechs : "the role's");
	printf("%-22s %s\n", "subject:", profile_subject_template(p));
	for (i = 0; i < profile_san_count(p); i++) {
		text = profile_san_template(p, i, &kind);
		snprintf(buf, sizeof(buf), "%s:", kind);
		printf("%-22s %s\n", buf, text);
	}
	cmd_profile_ku_text(p, buf, sizeof(buf));
	printf("%-22s %s\n", "key usage:", buf[0] ? buf : "none");
	cmd_profile_eku_text(p, buf, sizeof(buf));
	printf("%-22s %s\n", "extended key usage:", buf[0] ? buf : "none");
	if (profile_max_lifetime_days(p) > 0)
		printf("%-22s %d days\n", "max lifetime:",
		       profile_max_lifetime_days(p));
	else
		printf("%-22s %s\n", "max lifetime:", "none");
	printf("%-22s %s\n", "allow subject change:",
	       profile_allow_subject_change(p) ? "yes" : "no");
	printf("%-22s %s\n", "allow mixed roles:",
	       profile_allow_mixed_roles(p) ? "yes" : "no");
	if (just != NULL)
		printf("%-22s %s\n", "justification:", just);
	printf("%-22s %s\n", "CA profile:", profile_ca_profile(p));
	if (n == 0)
		printf("%-22s %s\n", "findings:", "none");
	else
		printf("findings:\n");
	for (i = 0; i < n; i++)
		printf("  %s: %s: %s\n", policy_severity_name(f[i].severity),
		       f[i].id, f[i].message);
}

/* [key] allowed_mechanisms by name; null when the profile has none. */
static json_t *
cmd_profile_json_mechs(const struct profile *p)
{
	keymech_set set = profile_allowed_mechs(p);
	json_t *list = set != 0 ? json_array() : json_null();
	const struct keymech_info *m;
	size_t i;

	for (i = 0; list != NULL && set != 0 && (m = keymech_at(i)) != NULL; i++)
		if (set & keymech_of(m->mech))
			json_array_append_new(list, json_string(m->name));
	return list;
}

static json_t *
cmd_profile_show_json(const struct profile *p, const struct policy_finding *f,
		      size_t n, const char *id)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:o, s:s, s:o, s:o, s:o, "
			 "s:i, s:b, s:b, s:s?, s:s, s:o}",
			 "name", profile_role(p), "kind", "role",
			 "file", profile_path(p),
			 "key_algorithm", keyalg_name(profile_key_alg(p)),
			 "label", profile_label(p), "fixed_id", id,
			 "allowed_mechanisms", cmd_profile_json_mechs(p),
			 "subject", profile_subject_template(p),
			 "subject_alt_names", cmd_profile_json_sans(p),
			 "key_usage", cmd_profile_json_ku(p),
			 "extended_key_usage", cmd_profile_json_eku(p),
			 "max_lifetime_days", profile_max_lifetime_days(p),
			 "allow_subject_change", profile_allow_subject_change(p),
			 "allow_mixed_roles", profile_allow_mixed_roles(p),
			 "justification", profile_justification(p),
			 "ca_profile", profile_ca_profile(p),
			 "findings", cmd_profile_json_findings(f, n));
}

static int
cmd_profile_show_role(const struct global_opts *g, const char *dir,
		      const char *name)
{
	struct policy_finding *f = NULL;
	struct profile *p = NULL;
	const unsigned char *raw;
	char *id = NULL;
	size_t n = 0, len;
	int status = EXIT_FAILED;

	if (profile_parse(dir, name, &p) < 0 || policy_lint(p, &f, &n) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	raw = profile_key_id(p, &len);
	if (raw != NULL && (id = util_hex(raw, len)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		status = cmd_fail(g);
		goto out;
	}
	status = EXIT_DONE;
	if (g->json && cmd_json_print(cmd_profile_show_json(p, f, n, id)) < 0)
		status = EXIT_FAILED;
	else if (!g->json)
		cmd_profile_show_text(p, f, n, id);
out:
	free(id);
	policy_findings_free(f, n);
	profile_free(p);
	return status;
}

static int
cmd_profile_show_set(const struct global_opts *g, const char *dir,
		     const char *name)
{
	char **roles = NULL, text[512];
	size_t n = 0;
	int status = EXIT_DONE;

	if (profile_set_load(dir, name, &roles, &n) < 0)
		return cmd_fail(g);
	if (g->json) {
		if (cmd_json_print(json_pack("{s:s, s:s, s:o}", "name", name, "kind",
					     "set", "roles",
					     cmd_profile_json_names(roles, n))) < 0)
			status = EXIT_FAILED;
	} else {
		cmd_profile_join(text, sizeof(text), (const char *const *)roles,
				 n, " ");
		printf("%-22s %s\n%-22s %s\n", "set:", name, "roles:", text);
	}
	profile_names_free(roles, n);
	return status;
}

static int
cmd_profile_show(const struct global_opts *g, char **args, int nargs)
{
	const char *dir = cmd_profiles_dir(g);
	enum profile_kind kind;

	if (profile_find(dir, args[0], &kind) < 0)
		return cmd_fail(g);
	if (kind == PROFILE_KIND_SET)
		return cmd_profile_show_set(g, dir, args[0]);
	return cmd_profile_show_role(g, dir, args[0]);
}

/* ---- profile lint ---- */

static bool
cmd_profile_is_set_file(const char *path)
{
	size_t len = strlen(path), slen = strlen(".set");

	return len > slen && strcmp(path + len - slen, ".set") == 0;
}

/* Check one file; false when it cannot be parsed or has an error
 * finding. The result goes into FILES with --json, else to stdout. */
static bool
cmd_profile_lint_file(const struct global_opts *g, const char *path,
		      json_t *files)
{
	struct policy_finding *f = NULL;
	struct profile *p = NULL;
	char **roles = NULL;
	size_t n = 0, nroles = 0;
	bool ok = false, parsed = false;

	if (cmd_profile_is_set_file(path)) {
		if (profile_set_load_file(path, &roles, &nroles) < 0)
			goto out;
	} else if (profile_parse_file(path, &p) < 0 ||
		   policy_lint(p, &f, &n) < 0) {
		goto out;
	}
	parsed = true;
	ok = !cmd_profile_has_error(f, n);
	if (g->json)
		json_array_append_new(files, json_pack("{s:s, s:b, s:o, s:n}",
				      "file", path, "ok", ok, "findings",
				      cmd_profile_json_findings(f, n), "error"));
	else if (n == 0)
		printf("%s: ok\n", path);
	else
		cmd_profile_print_findings(path, f, n);
out:
	if (!parsed) {
		if (g->json)
			json_array_append_new(files, json_pack("{s:s, s:b, s:[], "
					      "s:s}", "file", path, "ok", 0,
					      "findings", "error", err_message()));
		else
			printf("%s\n", err_message());
	}
	profile_names_free(roles, nroles);
	policy_findings_free(f, n);
	profile_free(p);
	return ok;
}

static int
cmd_profile_lint(const struct global_opts *g, char **args, int nargs)
{
	json_t *files = json_array();
	bool all_ok = true;
	int i;

	if (files == NULL) {
		err_set(ERR_FAILED, "out of memory");
		return cmd_fail(g);
	}
	for (i = 0; i < nargs; i++)
		if (!cmd_profile_lint_file(g, args[i], files))
			all_ok = false;
	if (g->json && cmd_json_print(json_pack("{s:O}", "files", files)) < 0) {
		json_decref(files);
		return EXIT_FAILED;
	}
	json_decref(files);
	return all_ok ? EXIT_DONE : EXIT_USAGE;
}

/* ---- the command ---- */

static const struct {
	const char *name;
	const char *usage;
	int min_args;
	int max_args;           /* -1: any number */
	int (*run)(const struct global_opts *g, char **args, int nargs);
} cmd_profile_table[] = {
	{ "list", "profile list takes no arguments", 0, 0, cmd_profile_list },
	{ "show", "profile show takes one role or role set", 1, 1,
	  cmd_profile_show },
	{ "lint", "profile lint takes one or more files", 1, -1,
	  cmd_profile_lint },
};

int
cmd_profile(struct global_opts *g, int argc, char **argv)
{
	const char *sub;
	size_t i;
	int first = 0, nargs, status = EXIT_USAGE;

	if (!cmd_parse(g, argc, argv, "", NULL, cmd_profile_option, g, &first,
		       &status))
		return status;
	if (first >= argc)
		return cmd_usage_error(g, "name a subcommand: list, show or lint");
	sub = argv[first];
	nargs = argc - first - 1;
	for (i = 0; i < sizeof(cmd_profile_table) / sizeof(cmd_profile_table[0]);
	     i++) {
		if (strcmp(cmd_profile_table[i].name, sub) != 0)
			continue;
		if (nargs < cmd_profile_table[i].min_args ||
		    (cmd_profile_table[i].max_args >= 0 &&
		     nargs > cmd_profile_table[i].max_args))
			return cmd_usage_error(g, "%s", cmd_profile_table[i].usage);
		return cmd_profile_table[i].run(g, argv + first + 1, nargs);
	}
	return cmd_usage_error(g, "unknown subcommand '%s' (use list, show or "
			       "lint)", sub);
}
