/* profile-set.c - the profiles directory: which roles and role sets it
 * holds, the roles of a set (DIR/NAME.set, [set] roles = ROLE ROLE ...),
 * and the roles a list of role and set names comes to.
 */
#include "config.h"

#include <dirent.h>
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

/* The names of the files NAME SUFFIX in DIR, sorted. */
static int
profile_dir_names(const char *dir, const char *suffix, char ***out,
		  size_t *count)
{
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL, **grown;
	size_t n = 0, cap = 0, len, slen = strlen(suffix);
	int rc = -1;

	*out = NULL;
	*count = 0;
	if ((d = opendir(dir)) == NULL) {
		err_set(ERR_USAGE, "cannot read the profiles directory %s: %s",
			dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= slen || strcmp(de->d_name + len - slen, suffix) != 0 ||
		    !profile_ini_is_name(de->d_name, len - slen))
			continue;
		if ((grown = array_grow(names, &cap, n + 1, sizeof(*grown))) ==
		    NULL)
			goto out;
		names = grown;
		if ((names[n] = strndup(de->d_name, len - slen)) == NULL) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), profile_cmp_names);
	*out = names;
	*count = n;
	names = NULL;
	n = 0;
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	profile_names_free(names, n);
	return rc;
}

int
profile_dir_list(const char *dir, char ***roles, size_t *nroles, char ***sets,
		 size_t *nsets)
{
	*sets = NULL;
	*nsets = 0;
	if (profile_dir_names(dir, PROFILE_SUFFIX, roles, nroles) < 0)
		return -1;
	if (profile_dir_names(dir, PROFILE_SET_SUFFIX, sets, nsets) < 0) {
		profile_names_free(*roles, *nroles);
		*roles = NULL;
		*nroles = 0;
		return -1;
	}
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

/* Record that NAME is unknown in DIR: WHAT it was to be, LOOKED_FOR the
 * files that are missing. */
static int
profile_unknown(const char *dir, const char *name, const char *what,
		const char *looked_for)
{
	char **roles = NULL, **sets = NULL;
	size_t nroles = 0, nsets = 0;
	char there[768] = "";

	if (profile_dir_list(dir, &roles, &nroles, &sets, &nsets) < 0)
		return err_set(ERR_USAGE, "unknown %s '%s' (no %s in %s, which "
			       "cannot be read: %s)", what, name, looked_for,
			       dir, strerror(errno));
	if (nroles + nsets == 0)
		snprintf(there, sizeof(there), "which holds no profiles");
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
	return err_set(ERR_USAGE, "unknown %s '%s' (no %s in %s%s %s)", what,
		       name, looked_for, dir, nroles + nsets == 0 ? "," : ";",
		       there);
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
	else if (errno == ENOENT)
		rc = 0;
	else
		rc = err_set(ERR_USAGE, "cannot look at %s: %s", path,
			     strerror(errno));
	free(path);
	return rc;
}

int
profile_dir_open(const char *dir, const char *role, FILE **fp, char **path)
{
	char *name = NULL, looked_for[PROFILE_MSG_MAX];
	FILE *f = NULL;
	int rc = -1;

	*fp = NULL;
	*path = NULL;
	if (profile_check_name(role) < 0 ||
	    (name = profile_path_of(dir, role, PROFILE_SUFFIX)) == NULL)
		goto out;
	if ((f = util_fopen_regular(name)) != NULL) {
		*fp = f;
		*path = name;
		name = NULL;
		rc = 0;
		goto out;
	}
	if (errno != ENOENT)
		goto out;
	if (profile_exists(dir, role, PROFILE_SET_SUFFIX) == 1) {
		err_set(ERR_USAGE, "'%s' is a role set (%s%s in %s), not a "
			"role; name one of its roles", role, role,
			PROFILE_SET_SUFFIX, dir);
		goto out;
	}
	snprintf(looked_for, sizeof(looked_for), "%s%s", role, PROFILE_SUFFIX);
	profile_unknown(dir, role, "role", looked_for);
out:
	free(name);
	return rc;
}

int
profile_find(const char *dir, const char *name, enum profile_kind *out)
{
	char looked_for[PROFILE_MSG_MAX];
	int role, set;

	if (profile_check_name(name) < 0 ||
	    (role = profile_exists(dir, name, PROFILE_SUFFIX)) < 0 ||
	    (set = profile_exists(dir, name, PROFILE_SET_SUFFIX)) < 0)
		return -1;
	if (role && set)
		return err_set(ERR_USAGE, "'%s' is both a role (%s%s) and a role "
			       "set (%s%s) in %s; rename one", name, name,
			       PROFILE_SUFFIX, name, PROFILE_SET_SUFFIX, dir);
	if (!role && !set) {
		snprintf(looked_for, sizeof(looked_for), "%s%s or %s%s", name,
			 PROFILE_SUFFIX, name, PROFILE_SET_SUFFIX);
		return profile_unknown(dir, name, "role", looked_for);
	}
	*out = role ? PROFILE_KIND_ROLE : PROFILE_KIND_SET;
	return 0;
}

/* ---- role sets ---- */

struct profile_set_parse {
	struct profile_ini ini;
	char *dir;                      /* where the set's roles are */
	char **roles;
	size_t count, cap;
	bool seen;
};

/* Add the role NAME of the set, a message in MSG when it cannot be. */
static bool
profile_set_add(struct profile_set_parse *sp, const char *name, char *msg,
		size_t size)
{
	char **grown;
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
	if ((exists = profile_exists(sp->dir, name, PROFILE_SUFFIX)) == 0 &&
	    (exists = profile_exists(sp->dir, name, PROFILE_SET_SUFFIX)) == 1) {
		snprintf(msg, size, "'%s' is a role set; sets do not nest",
			 name);
		return false;
	}
	if (exists == 0) {
		snprintf(msg, size, "no %s%s in %s", name, PROFILE_SUFFIX,
			 sp->dir);
		return false;
	}
	if (exists < 0) {
		snprintf(msg, size, "%s", err_message());
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

int
profile_set_load_file(const char *path, char ***roles, size_t *count)
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
	sp.dir = slash == NULL ? strdup(".") :
	    strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (sp.dir == NULL) {
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
	free(sp.dir);
	free(name);
	return rc;
}

int
profile_set_load(const char *dir, const char *name, char ***roles,
		 size_t *count)
{
	char *path = NULL;
	int rc = -1;

	*roles = NULL;
	*count = 0;
	if (profile_check_name(name) < 0 ||
	    (path = profile_path_of(dir, name, PROFILE_SET_SUFFIX)) == NULL)
		goto out;
	rc = profile_set_load_file(path, roles, count);
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
