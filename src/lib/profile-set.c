/* SPDX-License-Identifier: MIT */
/* profile-set.c - the profiles path: which roles and role sets its
 * directories hold, the first of them winning, the roles of a set
 * (DIR/NAME.set, [set] roles = ROLE ROLE ...), and the roles a list of
 * role and set names comes to.
 */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "err.h"
#include "profile-set.h"

#include "profile-ini.h"
#include "util.h"

/* ---- the profiles directory ---- */

static int
profile_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* DIR/NAME SUFFIX into a new string, or NULL (recorded). */
static char *
profile_path_of(const char *dir, const char *name, const char *suffix)
{
	size_t len = strlen(dir) + strlen(name) + strlen(suffix) + 2;
	char *path;

	if ((path = malloc(len)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		return NULL;
	}
	snprintf(path, len, "%s/%s%s", dir, name, suffix);
	return path;
}

bool
profile_path_next(const char **cursor, char *dir, size_t size)
{
	const char *p = *cursor, *end;
	size_t len;

	while (*p == ':')
		p++;
	if (*p == '\0')
		return false;
	end = strchr(p, ':');
	len = end != NULL ? (size_t)(end - p) : strlen(p);
	snprintf(dir, size, "%.*s", (int)len, p);
	*cursor = p + len;
	return true;
}

/* Whether NAME is among the N NAMES. */
static bool
profile_names_have(char **names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* Add to *OUT (N names, room for *CAP) the names of the files NAME SUFFIX
 * in DIR that neither list has yet: an earlier directory hides them. A
 * directory that is not there holds nothing. */
static int
profile_dir_names(const char *dir, const char *suffix, char ***out,
		  size_t *n, size_t *cap, char **hidden, size_t nhidden)
{
	DIR *d = NULL;
	struct dirent *de;
	char **grown, *name = NULL;
	size_t len, slen = strlen(suffix);
	int rc = -1;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return err_set(ERR_USAGE, "cannot read the profiles directory "
			       "%s: %s", dir, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= slen || strcmp(de->d_name + len - slen, suffix) != 0 ||
		    !profile_ini_is_name(de->d_name, len - slen))
			continue;
		if ((name = strndup(de->d_name, len - slen)) == NULL) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
		if (profile_names_have(*out, *n, name) ||
		    profile_names_have(hidden, nhidden, name)) {
			free(name);
			name = NULL;
			continue;
		}
		if ((grown = array_grow(*out, cap, *n + 1, sizeof(*grown))) ==
		    NULL)
			goto out;
		*out = grown;
		(*out)[(*n)++] = name;
		name = NULL;
	}
	rc = 0;
out:
	free(name);
	closedir(d);
	return rc;
}

int
profile_dir_list(const char *dirs, char ***roles, size_t *nroles,
		 char ***sets, size_t *nsets)
{
	const char *cursor = dirs;
	char dir[PATH_MAX];
	size_t rcap = 0, scap = 0, r0, s0;

	*roles = *sets = NULL;
	*nroles = *nsets = 0;
	while (profile_path_next(&cursor, dir, sizeof(dir))) {
		/* A name this directory adds hides the other kind below. */
		r0 = *nroles;
		s0 = *nsets;
		if (profile_dir_names(dir, PROFILE_SUFFIX, roles, nroles, &rcap,
				      *sets, s0) < 0 ||
		    profile_dir_names(dir, PROFILE_SET_SUFFIX, sets, nsets, &scap,
				      *roles, r0) < 0) {
			profile_names_free(*roles, *nroles);
			profile_names_free(*sets, *nsets);
			*roles = *sets = NULL;
			*nroles = *nsets = 0;
			return -1;
		}
	}
	if (*nroles > 1)
		qsort(*roles, *nroles, sizeof(**roles), profile_cmp_names);
	if (*nsets > 1)
		qsort(*sets, *nsets, sizeof(**sets), profile_cmp_names);
	return 0;
}

void
profile_names_free(char **names, size_t count)
{
	size_t i;

	for (i = 0; names != NULL && i < count; i++)
		free(names[i]);
	free(names);
}

/* Append the N NAMES to BUF (of SIZE, holding a string) joined by ", ". */
static void
profile_join(char *buf, size_t size, char **names, size_t n)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", i > 0 ? ", " : "",
			 names[i]);
	}
}

/* DIRS as a reader sees it: "A", "A or B", "A, B or C". */
static void
profile_path_words(const char *dirs, char *buf, size_t size)
{
	const char *cursor = dirs;
	char dir[PATH_MAX];
	size_t n = 0, total = 0, len;

	while (profile_path_next(&cursor, dir, sizeof(dir)))
		total++;
	buf[0] = '\0';
	cursor = dirs;
	while (profile_path_next(&cursor, dir, sizeof(dir))) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s",
			 n == 0 ? "" : n + 1 == total ? " or " : ", ", dir);
		n++;
	}
}

/* Record that NAME is unknown in DIRS: WHAT it was to be, LOOKED_FOR the
 * files that are missing. */
static int
profile_unknown(const char *dirs, const char *name, const char *what,
		const char *looked_for)
{
	char **roles = NULL, **sets = NULL;
	size_t nroles = 0, nsets = 0;
	char there[768] = "", where[1024];

	profile_path_words(dirs, where, sizeof(where));
	if (profile_dir_list(dirs, &roles, &nroles, &sets, &nsets) < 0)
		return err_prefix("unknown %s '%s' (no %s in %s)", what, name,
				  looked_for, where);
	if (nroles + nsets == 0)
		snprintf(there, sizeof(there), "which hold%s no profiles: %s",
			 strchr(dirs, ':') != NULL ? "" : "s",
			 PROFILE_NONE_HINT);
	if (nroles > 0) {
		snprintf(there, sizeof(there), "roles there: ");
		profile_join(there, sizeof(there), roles, nroles);
	}
	if (nsets > 0) {
		snprintf(there + strlen(there), sizeof(there) - strlen(there),
			 "%ssets there: ", nroles > 0 ? "; " : "");
		profile_join(there, sizeof(there), sets, nsets);
	}
	profile_names_free(roles, nroles);
	profile_names_free(sets, nsets);
	err_set(ERR_USAGE, "unknown %s '%s' (no %s in %s%s %s)", what, name,
		looked_for, where, nroles + nsets == 0 ? "," : ";", there);
	return err_tag(ERR_CODE_UNKNOWN_ROLE);
}

static int
profile_check_name(const char *name)
{
	if (!profile_ini_is_name(name, strlen(name)))
		return err_set(ERR_USAGE, "bad role name '%s' (letters, digits, "
			       "'_', '.' and '-', starting with a letter or "
			       "digit)", name);
	return 0;
}

/* Whether DIR/NAME SUFFIX exists; -1 when that cannot be told. */
static int
profile_exists(const char *dir, const char *name, const char *suffix)
{
	char *path;
	int rc;

	if ((path = profile_path_of(dir, name, suffix)) == NULL)
		return -1;
	if (access(path, F_OK) == 0)
		rc = 1;
	else if (errno == ENOENT || errno == ENOTDIR)
		rc = 0;
	else
		rc = err_set(ERR_USAGE, "cannot look at %s: %s", path,
			     strerror(errno));
	free(path);
	return rc;
}

int
profile_locate(const char *dirs, const char *name, enum profile_kind *kind,
	       char **path)
{
	const char *cursor = dirs;
	char dir[PATH_MAX];
	int role, set;

	*path = NULL;
	if (profile_check_name(name) < 0)
		return -1;
	while (profile_path_next(&cursor, dir, sizeof(dir))) {
		if ((role = profile_exists(dir, name, PROFILE_SUFFIX)) < 0 ||
		    (set = profile_exists(dir, name, PROFILE_SET_SUFFIX)) < 0)
			return -1;
		if (role && set)
			return err_set(ERR_USAGE, "'%s' is both a role (%s%s) and "
				       "a role set (%s%s) in %s; rename one", name,
				       name, PROFILE_SUFFIX, name,
				       PROFILE_SET_SUFFIX, dir);
		if (!role && !set)
			continue;
		*kind = role ? PROFILE_KIND_ROLE : PROFILE_KIND_SET;
		*path = profile_path_of(dir, name, role ? PROFILE_SUFFIX :
					PROFILE_SET_SUFFIX);
		return *path != NULL ? 1 : -1;
	}
	return 0;
}

int
profile_dir_open(const char *dirs, const char *role, FILE **fp, char **path)
{
	char *name = NULL, looked_for[PROFILE_MSG_MAX];
	enum profile_kind kind;
	int rc = -1, found;

	*fp = NULL;
	*path = NULL;
	if ((found = profile_locate(dirs, role, &kind, &name)) < 0)
		goto out;
	if (found == 0) {
		snprintf(looked_for, sizeof(looked_for), "%s%s", role,
			 PROFILE_SUFFIX);
		profile_unknown(dirs, role, "role", looked_for);
		goto out;
	}
	if (kind == PROFILE_KIND_SET) {
		err_set(ERR_USAGE, "'%s' is a role set (%s), not a role; name "
			"one of its roles", role, name);
		goto out;
	}
	if ((*fp = util_fopen_regular(name)) == NULL)
		goto out;
	*path = name;
	name = NULL;
	rc = 0;
out:
	free(name);
	return rc;
}

int
profile_find(const char *dirs, const char *name, enum profile_kind *out)
{
	char looked_for[PROFILE_MSG_MAX], *path = NULL;
	int found;

	if ((found = profile_locate(dirs, name, out, &path)) < 0)
		return -1;
	free(path);
	if (found == 0) {
		snprintf(looked_for, sizeof(looked_for), "%s%s or %s%s", name,
			 PROFILE_SUFFIX, name, PROFILE_SET_SUFFIX);
		return profile_unknown(dirs, name, "role", looked_for);
	}
	return 0;
}

/* ---- role sets ---- */

struct profile_set_parse {
	struct profile_ini ini;
	char *dirs;                     /* where the set's roles are */
	char **roles;
	size_t count, cap;
	bool seen;
};

/* Add the role NAME of the set, a message in MSG when it cannot be. */
static bool
profile_set_add(struct profile_set_parse *sp, const char *name, char *msg,
		size_t size)
{
	enum profile_kind kind;
	char **grown, *path = NULL, where[256];
	size_t i;
	int exists;

	if (!profile_ini_is_name(name, strlen(name))) {
		snprintf(msg, size, "'%s' is not a role name (letters, digits, "
			 "'_', '.' and '-')", name);
		return false;
	}
	for (i = 0; i < sp->count; i++) {
		if (strcmp(sp->roles[i], name) == 0) {
			snprintf(msg, size, "'%s' is listed twice", name);
			return false;
		}
	}
	if ((exists = profile_locate(sp->dirs, name, &kind, &path)) < 0) {
		snprintf(msg, size, "%s", err_message());
		return false;
	}
	free(path);
	if (exists == 0) {
		profile_path_words(sp->dirs, where, sizeof(where));
		snprintf(msg, size, "no %s%s in %s", name, PROFILE_SUFFIX, where);
		return false;
	}
	if (kind == PROFILE_KIND_SET) {
		snprintf(msg, size, "'%s' is a role set; sets do not nest",
			 name);
		return false;
	}
	if ((grown = array_grow(sp->roles, &sp->cap, sp->count + 1,
				sizeof(*grown))) == NULL) {
		snprintf(msg, size, "out of memory");
		return false;
	}
	sp->roles = grown;
	if ((sp->roles[sp->count] = strdup(name)) == NULL) {
		snprintf(msg, size, "out of memory");
		return false;
	}
	sp->count++;
	return true;
}

static int
profile_set_handler(void *user, const char *section, const char *name,
		    const char *value)
{
	struct profile_set_parse *sp = user;
	char msg[PROFILE_MSG_MAX], *copy = NULL, *rest, *role;
	bool ok = false;

	sp->ini.after_key = true;
	if (sp->ini.continuation)
		snprintf(msg, sizeof(msg), "indented line would continue the "
			 "value above; continuation lines are not allowed");
	else if (*section == '\0')
		snprintf(msg, sizeof(msg), "not in a section ([set])");
	else if (strcmp(section, "set") != 0)
		snprintf(msg, sizeof(msg), "unknown section [%s] (use [set])",
			 section);
	else if (strcmp(name, "roles") != 0)
		snprintf(msg, sizeof(msg), "unknown key in [set]");
	else if (sp->seen)
		snprintf(msg, sizeof(msg), "given more than once");
	else if ((copy = strdup(value)) == NULL)
		snprintf(msg, sizeof(msg), "out of memory");
	else {
		ok = true;
		for (rest = copy; ok && (role = strsep(&rest, " \t")) != NULL;)
			if (*role != '\0')
				ok = profile_set_add(sp, role, msg, sizeof(msg));
		if (ok && sp->count == 0) {
			snprintf(msg, sizeof(msg), "no value");
			ok = false;
		}
		sp->seen = true;
	}
	free(copy);
	if (ok)
		return 1;
	profile_ini_fail(&sp->ini, name, msg);
	return 0;
}

/* The roles of the set file PATH, each looked up in DIRS, or in the set's
 * own directory when DIRS is NULL. */
static int
profile_set_read(const char *path, const char *dirs, char ***roles,
		 size_t *count)
{
	struct profile_set_parse sp;
	const char *slash = strrchr(path, '/');
	char *name = NULL;
	int rc = -1;

	*roles = NULL;
	*count = 0;
	memset(&sp, 0, sizeof(sp));
	sp.ini.path = path;
	if ((name = profile_ini_name_of(path, PROFILE_SET_SUFFIX,
					 "role set")) == NULL)
		goto out;
	if (dirs != NULL)
		sp.dirs = strdup(dirs);
	else
		sp.dirs = slash == NULL ? strdup(".") :
		    strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (sp.dirs == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if ((sp.ini.fp = util_fopen_regular(path)) == NULL)
		goto out;
	if (profile_ini_run(&sp.ini, profile_set_handler, &sp) < 0)
		goto out;
	if (!sp.seen) {
		err_set(ERR_USAGE, "%s: [set] roles is required", path);
		goto out;
	}
	*roles = sp.roles;
	*count = sp.count;
	sp.roles = NULL;
	sp.count = 0;
	rc = 0;
out:
	if (sp.ini.fp != NULL)
		fclose(sp.ini.fp);
	profile_names_free(sp.roles, sp.count);
	free(sp.dirs);
	free(name);
	return rc;
}

int
profile_set_load_file(const char *path, char ***roles, size_t *count)
{
	return profile_set_read(path, NULL, roles, count);
}

int
profile_set_load(const char *dirs, const char *name, char ***roles,
		 size_t *count)
{
	enum profile_kind kind;
	char *path = NULL, looked_for[PROFILE_MSG_MAX];
	int rc = -1, found;

	*roles = NULL;
	*count = 0;
	if ((found = profile_locate(dirs, name, &kind, &path)) < 0)
		goto out;
	if (found == 0 || kind != PROFILE_KIND_SET) {
		snprintf(looked_for, sizeof(looked_for), "%s%s", name,
			 PROFILE_SET_SUFFIX);
		profile_unknown(dirs, name, "role set", looked_for);
		goto out;
	}
	/* A set's roles come from the whole path: a role redefined in an
	 * earlier directory is the one a set below it names. */
	rc = profile_set_read(path, dirs, roles, count);
out:
	free(path);
	return rc;
}

/* The expansion so far: each role with the set it came through. */
struct profile_expansion {
	char **roles;
	const char **via;               /* borrowed set names, NULL: direct */
	size_t count, roles_cap, via_cap;
};

/* Add ROLE, named through set VIA (or directly when NULL). */
static int
profile_expansion_add(struct profile_expansion *e, const char *role,
		      const char *via)
{
	const char *before;
	char **roles;
	const char **sets;
	size_t i;

	for (i = 0; i < e->count; i++) {
		if (strcmp(e->roles[i], role) != 0)
			continue;
		before = e->via[i];
		if (before == NULL && via == NULL)
			return err_set(ERR_USAGE, "role %s is named twice", role);
		if (before == NULL || via == NULL)
			return err_set(ERR_USAGE, "role %s is named twice (once "
				       "through set %s)", role,
				       before != NULL ? before : via);
		return err_set(ERR_USAGE, "role %s is named twice (through set "
			       "%s and through set %s)", role, before, via);
	}
	if ((roles = array_grow(e->roles, &e->roles_cap, e->count + 1,
				sizeof(*roles))) == NULL)
		return -1;
	e->roles = roles;
	if ((sets = array_grow(e->via, &e->via_cap, e->count + 1,
			       sizeof(*sets))) == NULL)
		return -1;
	e->via = sets;
	if ((e->roles[e->count] = strdup(role)) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	e->via[e->count] = via;
	e->count++;
	return 0;
}

int
profile_expand_roles(const char *dir, char **names, size_t n, char ***out,
		     size_t *count)
{
	struct profile_expansion e = { NULL, NULL, 0, 0, 0 };
	enum profile_kind kind;
	char **set = NULL;
	size_t i, j, nset = 0;
	int rc = -1;

	*out = NULL;
	*count = 0;
	for (i = 0; i < n; i++) {
		if (profile_find(dir, names[i], &kind) < 0)
			goto out;
		if (kind == PROFILE_KIND_ROLE) {
			if (profile_expansion_add(&e, names[i], NULL) < 0)
				goto out;
			continue;
		}
		if (profile_set_load(dir, names[i], &set, &nset) < 0)
			goto out;
		for (j = 0; j < nset; j++)
			if (profile_expansion_add(&e, set[j], names[i]) < 0)
				goto out;
		profile_names_free(set, nset);
		set = NULL;
		nset = 0;
	}
	*out = e.roles;
	*count = e.count;
	e.roles = NULL;
	e.count = 0;
	rc = 0;
out:
	profile_names_free(set, nset);
	profile_names_free(e.roles, e.count);
	free(e.via);
	return rc;
}
