/* SPDX-License-Identifier: MIT */
/* profile-set.h - the profiles path and its role sets (DIR/NAME.set,
 * [set] roles = ROLE ROLE ...).
 *
 * DIRS, wherever it is taken, is a search path: directories separated by
 * ':', the first that holds a role or set of a name (NAME.profile or
 * NAME.set) giving it, and hiding any of that name further on. A
 * directory that is not there holds nothing. */
#ifndef P11E_PROFILE_SET_H
#define P11E_PROFILE_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum profile_kind {
	PROFILE_KIND_ROLE,      /* DIR/NAME.profile */
	PROFILE_KIND_SET,       /* DIR/NAME.set */
};

/* Each directory of the search path DIRS in turn: *CURSOR starts at DIRS;
 * DIR (SIZE bytes) gets the next one. false at the end. Empty entries are
 * skipped. */
bool profile_path_next(const char **cursor, char *dir, size_t size);

/* Whether NAME is a role or a role set in DIRS. Neither is ERR_USAGE
 * naming DIRS and listing what is there; both in one directory is
 * ERR_USAGE too. */
int profile_find(const char *dirs, const char *name, enum profile_kind *out);

/* Where NAME is in DIRS: 1 with its kind and file *PATH (to free), 0 when
 * it is nowhere, -1 on an error (recorded). */
int profile_locate(const char *dirs, const char *name,
		   enum profile_kind *kind, char **path);

/* Open the profile of ROLE in DIRS for reading; *PATH is its name. A role
 * that is not there is ERR_USAGE naming DIRS and listing their roles and
 * role sets, or saying that ROLE is a set. */
int profile_dir_open(const char *dirs, const char *role, FILE **fp,
		     char **path);

/* What to do when no directory of the path holds a profile: most often a
 * binary run before make install. */
#define PROFILE_NONE_HINT "install the shipped roles with make install, " \
	"or name a directory of profiles with --profiles DIR"

/* The roles and the role sets in DIRS, each sorted by name, those that an
 * earlier directory hides left out. */
int profile_dir_list(const char *dirs, char ***roles, size_t *nroles,
		     char ***sets, size_t *nsets);

/* The roles of the set file PATH, in order. Each must have a profile in
 * the set's own directory and may not be a set itself; errors are
 * "FILE:LINE: key: message". */
int profile_set_load_file(const char *path, char ***roles, size_t *count);

/* The roles of the set NAME in DIRS, each looked up in DIRS, otherwise as
 * profile_set_load_file(). */
int profile_set_load(const char *dirs, const char *name, char ***roles,
		     size_t *count);

/* Replace every role set among the N NAMES by its roles, in order, into
 * *OUT. A role named twice, directly or through sets, is ERR_USAGE; so is
 * a name that is neither a role nor a set in DIRS. */
int profile_expand_roles(const char *dirs, char **names, size_t n,
			 char ***out, size_t *count);

/* Free COUNT names from the functions above; NULL is fine. */
void profile_names_free(char **names, size_t count);

#endif
