/* SPDX-License-Identifier: MIT */
/* profile-ini.c - what profile and role-set files share. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "err.h"
#include "profile-ini.h"

bool
profile_ini_is_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !isalnum((unsigned char)s[0]))
		return false;
	for (i = 1; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.-", s[i]) == NULL)
			return false;
	return true;
}

char *
profile_ini_name_of(const char *path, const char *suffix, const char *kind)
{
	const char *base = strrchr(path, '/');
	size_t len, slen = strlen(suffix);
	char *name;

	base = base != NULL ? base + 1 : path;
	len = strlen(base);
	if (len > slen && strcmp(base + len - slen, suffix) == 0)
		len -= slen;
	if (!profile_ini_is_name(base, len)) {
		err_set(ERR_USAGE, "%s: '%.*s' is not a %s name (letters, "
			"digits, '_', '.' and '-')", path, (int)len, base, kind);
		return NULL;
	}
	if ((name = strndup(base, len)) == NULL)
		err_set(ERR_FAILED, "out of memory");
	return name;
}

void
profile_ini_fail(struct profile_ini *ini, const char *key, const char *msg)
{
	if (ini->err_line != 0)
		return;
	ini->err_line = ini->line;
	snprintf(ini->err, sizeof(ini->err), "%s:%d: %s: %s", ini->path,
		 ini->line, key, msg);
}

/* fgets for inih that counts lines, so the handler knows where it is, and
 * stops at an overlong line, which inih would otherwise cut in two. It
 * also spots the indented lines that inih joins to the previous key as
 * continuation lines: they would turn "  dns = b" into the value of the
 * key above. */
static char *
profile_ini_reader(char *str, int num, void *stream)
{
	struct profile_ini *ini = stream;
	const char *start;
	size_t len;
	int c;

	if (ini->err_line != 0 || fgets(str, num, ini->fp) == NULL)
		return NULL;
	ini->line++;
	if (ftello(ini->fp) > PROFILE_MAX_BYTES) {
		ini->err_line = ini->line;
		snprintf(ini->err, sizeof(ini->err), "%s: larger than %d bytes",
			 ini->path, PROFILE_MAX_BYTES);
		return NULL;
	}
	len = strlen(str);
	if (len > 0 && str[len - 1] != '\n' && len == (size_t)num - 1 &&
	    (c = getc(ini->fp)) != EOF) {
		ungetc(c, ini->fp);
		ini->err_line = ini->line;
		snprintf(ini->err, sizeof(ini->err), "%s:%d: line longer than "
			 "%d bytes", ini->path, ini->line, num - 2);
		return NULL;
	}
	for (start = str; *start != '\0' && isspace((unsigned char)*start);)
		start++;
	ini->continuation = ini->after_key && start > str && *start != '\0' &&
	    strchr(";#", *start) == NULL;
	if (*start == '[' && !ini->continuation)
		ini->after_key = false;
	return str;
}

int
profile_ini_run(struct profile_ini *ini, ini_handler handler, void *user)
{
	int line;

	line = ini_parse_stream(profile_ini_reader, ini, handler, user);
	if (ferror(ini->fp))
		return err_set(ERR_FAILED, "cannot read %s: %s", ini->path,
			       strerror(errno));
	if (line > 0 && (ini->err_line == 0 || line < ini->err_line))
		return err_set(ERR_USAGE, "%s:%d: syntax error (expected "
			       "[section], key = value or a # comment)",
			       ini->path, line);
	if (ini->err_line != 0)
		return err_set(ERR_USAGE, "%s", ini->err);
	if (line < 0)
		return err_set(ERR_FAILED, "cannot parse %s", ini->path);
	return 0;
}
