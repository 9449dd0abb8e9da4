/* SPDX-License-Identifier: MIT */
/* profile-load.c - parse a profile, then let the policy judge it. */
#include "config.h"

#include <stddef.h>

#include "policy.h"
#include "err.h"
#include "profile-load.h"

/* Hand P over to *OUT when the policy takes it; free it otherwise. */
static int
profile_load_checked(struct profile *p, struct profile **out)
{
	if (policy_check(p) < 0) {
		profile_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

int
profile_load(const char *dir, const char *role, struct profile **out)
{
	struct profile *p = NULL;

	*out = NULL;
	if (profile_parse(dir, role, &p) < 0)
		return err_code() == ERR_CODE_USAGE ? err_tag(ERR_CODE_PROFILE) : -1;
	return profile_load_checked(p, out);
}

int
profile_load_file(const char *path, struct profile **out)
{
	struct profile *p = NULL;

	*out = NULL;
	if (profile_parse_file(path, &p) < 0)
		return err_code() == ERR_CODE_USAGE ? err_tag(ERR_CODE_PROFILE) : -1;
	return profile_load_checked(p, out);
}
