/* profile-set.h - the profiles directory and its role sets
 * (DIR/NAME.set, [set] roles = ROLE ROLE ...). */
#ifndef P11E_PROFILE_SET_H
#define P11E_PROFILE_SET_H

#include <stddef.h>
#include <stdio.h>

enum profile_kind {
	PROFILE_KIND_ROLE,      /* DIR/NAME.profile */
	PROFILE_KIND_SET,       /* DIR/NAME.set */
};

/* Whether NAME is a role or a role set in DIR. Neither is ERR_USAGE
 * naming DIR and listing what is there; both is ERR_USAGE too. */
int profile_find(const char *dir, const char *name, enum profile_kind *out);

/* Open DIR/ROLE.profile for reading; *PATH is its name. A role that is
 * not there is ERR_USAGE naming DIR and listing its roles and role sets,
 * or saying that ROLE is a set. */
int profile_dir_open(const char *dir, const char *role, FILE **fp,
		     char **path);

/* The roles and the role sets in DIR, each sorted by name. */
int profile_dir_list(const char *dir, char ***roles, size_t *nroles,
		     char ***sets, size_t *nsets);

/* The roles of the set file PATH, in order. Each must have a profile in
 * the set's directory and may not be a set itself; errors are
 * "FILE:LINE: key: message". */
int profile_set_load_file(const char *path, char ***roles, size_t *count);

/* The roles of the set DIR/NAME.set, as profile_set_load_file(). */
int profile_set_load(const char *dir, const char *name, char ***roles,
		     size_t *count);

/* Replace every role set among the N NAMES by its roles, in order, into
 * *OUT. A role named twice, directly or through sets, is ERR_USAGE; so is
 * a name that is neither a role nor a set in DIR. */
int profile_expand_roles(const char *dir, char **names, size_t n,
			 char ***out, size_t *count);

/* Free COUNT names from the functions above; NULL is fine. */
void profile_names_free(char **names, size_t count);

#endif
