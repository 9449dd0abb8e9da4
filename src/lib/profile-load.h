/* SPDX-License-Identifier: MIT */
/* profile-load.h - a profile loaded for use: parsed, then judged by the
 * policy, so that no command works with a profile the lint refuses. */
#ifndef P11E_PROFILE_LOAD_H
#define P11E_PROFILE_LOAD_H

#include "profile.h"

/* Load DIR/ROLE.profile. An unknown role is ERR_USAGE naming DIR and
 * listing its roles and role sets. A profile that policy_lint() finds an
 * error in is refused: ERR_USAGE "FILE: ID: sentence". */
int profile_load(const char *dir, const char *role, struct profile **out);

/* Load one profile file; the role is the file's name without .profile.
 * Errors are "FILE:LINE: key: message", or "FILE: ID: sentence" for the
 * first error finding of policy_lint(). */
int profile_load_file(const char *path, struct profile **out);

#endif
