/* SPDX-License-Identifier: MIT */
/* profile-ini.h - what profile and role-set files share: the suffixes
 * that make a file one or the other, the role name a file's name gives,
 * and an INI reader that knows line numbers. */
#ifndef P11E_PROFILE_INI_H
#define P11E_PROFILE_INI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <ini.h>

#define PROFILE_SUFFIX ".profile"
#define PROFILE_SET_SUFFIX ".set"
#define PROFILE_MSG_MAX 512

/* The most a profile or role-set file may hold: profiles are a few
 * hundred bytes, and a bound keeps a huge or endless file from holding
 * up a run. */
#define PROFILE_MAX_BYTES (256 * 1024)

/* What the reader and the handlers of one INI file share. inih gives its
 * handler no line number, so the reader counts lines. */
struct profile_ini {
	FILE *fp;
	const char *path;
	int line;                       /* lines handed to inih so far */
	int err_line;                   /* line of the first error, 0: none */
	bool after_key;                 /* a key = value line since [section] */
	bool continuation;              /* inih takes this line as one */
	char err[1024];                 /* as long as err.c keeps */
};

/* Whether the LEN bytes at S are a role name: letters, digits, '_', '.'
 * and '-', starting with a letter or digit. */
bool profile_ini_is_name(const char *s, size_t len);

/* The name in PATH without its directory and SUFFIX, checked to be a
 * role name; KIND says what it names in messages. NULL is recorded. */
char *profile_ini_name_of(const char *path, const char *suffix,
			  const char *kind);

/* Note MSG about KEY on the current line as "FILE:LINE: KEY: MSG",
 * unless an error was noted before. */
void profile_ini_fail(struct profile_ini *ini, const char *key,
		      const char *msg);

/* Run inih over INI->fp with HANDLER and USER, reading at most
 * PROFILE_MAX_BYTES. The first error, wherever it was found (inih, the
 * reader or a handler), is the one recorded. */
int profile_ini_run(struct profile_ini *ini, ini_handler handler, void *user);

#endif
