/* SPDX-License-Identifier: MIT */
/* owndir.h - directories and files that only this user can touch: a lock
 * or state directory made 0700 where it is missing, and refused where it
 * is a symbolic link, belongs to someone else or others may write to it. */
#ifndef P11E_OWNDIR_H
#define P11E_OWNDIR_H

struct stat;

/* Check what lstat() said of directory PATH (WHAT names it in messages):
 * a directory, not a symbolic link, owned by this user (the effective
 * uid), with none of the mode bits REFUSED (077: nothing for group or
 * others; 022: nobody else writes). -1 with the reason recorded. */
int owndir_check(const char *path, const struct stat *st, const char *what,
		 unsigned refused);

/* Make directory PATH with mode 0700 unless it exists (its parent must),
 * then check it as owndir_check() with REFUSED 077. WHAT names it
 * in messages ("lock directory"). -1 with the reason recorded. */
int owndir_make(const char *path, const char *what);

#endif
