/* SPDX-License-Identifier: MIT */
/* owndir.c - directories and files that only this user can touch. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "owndir.h"

int
owndir_check(const char *path, const struct stat *st, const char *what,
	     unsigned refused)
{
	if (!S_ISDIR(st->st_mode))
		return err_set(ERR_FAILED, "%s %s is not a directory%s", what,
			       path, S_ISLNK(st->st_mode) ?
			       " but a symbolic link" : "");
	if (st->st_uid != geteuid())
		return err_set(ERR_FAILED, "%s %s belongs to another user (uid "
			       "%lu), who could read or replace what is in it: "
			       "remove it", what, path, (unsigned long)st->st_uid);
	if ((st->st_mode & refused) != 0)
		return err_set(ERR_FAILED, "%s %s may be %s by others (mode "
			       "%04o): chmod 700 %s", what, path,
			       (refused & 044) != 0 ? "used" : "written",
			       (unsigned)(st->st_mode & 07777), path);
	return 0;
}

int
owndir_make(const char *path, const char *what)
{
	struct stat st;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return err_set(ERR_FAILED, "cannot make %s %s: %s", what, path,
			       strerror(errno));
	if (lstat(path, &st) < 0)
		return err_set(ERR_FAILED, "cannot look at %s %s: %s", what,
			       path, strerror(errno));
	return owndir_check(path, &st, what, 077);
}
