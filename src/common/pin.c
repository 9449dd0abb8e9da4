/* SPDX-License-Identifier: MIT */
/* pin.c - where a PIN comes from.
 *
 * Every buffer that has held a PIN is wiped before it is freed or goes out
 * of scope. Messages name the source (path, variable, descriptor) and
 * never its content.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "array.h"
#include "err.h"
#include "interrupt.h"
#include "pin.h"
#include "util.h"

extern char **environ;

static const struct {
	const char *prefix;
	enum pin_source_kind kind;
} pin_prefixes[] = {
	{ "file:", PIN_FILE },
	{ "env:", PIN_ENV },
	{ "fd:", PIN_FD },
};


/* N of "fd:N": a non-negative decimal that fits an int. */
static int
pin_parse_fd(const char *s, int *out)
{
	long n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (*s - '0');
		if (n > INT_MAX)
			return -1;
	}
	*out = (int)n;
	return 0;
}

int
pin_source_parse(const char *spec, struct pin_source *out)
{
	const char *arg = NULL;
	size_t i;
	int fd;

	memset(out, 0, sizeof(*out));
	if (strcmp(spec, "prompt") == 0) {
		out->kind = PIN_PROMPT;
		return 0;
	}
	for (i = 0; i < NELEM(pin_prefixes); i++) {
		if (strncmp(spec, pin_prefixes[i].prefix,
		    strlen(pin_prefixes[i].prefix)) == 0) {
			arg = spec + strlen(pin_prefixes[i].prefix);
			break;
		}
	}
	/* Without a known prefix the text may be the PIN itself, typed
	 * where its source belongs: keep it out of the message. */
	if (arg == NULL)
		return err_set(ERR_USAGE, "bad PIN source (expected file:PATH, "
			       "env:VAR, fd:N or prompt)");
	if (*arg == '\0')
		return err_set(ERR_USAGE, "bad PIN source '%s': nothing after "
			       "'%s'", spec, pin_prefixes[i].prefix);
	if (pin_prefixes[i].kind == PIN_FD && pin_parse_fd(arg, &fd) < 0)
		return err_set(ERR_USAGE, "bad PIN source '%s': N must be a "
			       "non-negative decimal file descriptor", spec);
	if (pin_prefixes[i].kind == PIN_ENV && strchr(arg, '=') != NULL)
		return err_set(ERR_USAGE, "bad PIN source '%s': '=' in a "
			       "variable name", spec);
	if ((out->arg = strdup(arg)) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	out->kind = pin_prefixes[i].kind;
	return 0;
}

void
pin_source_clear(struct pin_source *src)
{
	if (src == NULL)
		return;
	free(src->arg);
	memset(src, 0, sizeof(*src));
}

void
pin_protect_process(void)
{
#ifdef __linux__
	/* Never fails with these arguments. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

void
pin_free(char *pin)
{
	if (pin == NULL)
		return;
	OPENSSL_cleanse(pin, strlen(pin));
	free(pin);
}

/* A malloc'ed copy of the LEN bytes of PIN, refusing an empty PIN, an
 * overlong one and one with a NUL byte (which would cut it short). FROM
 * says where it came from. */
static int
pin_copy(const char *pin, size_t len, const char *what, const char *from,
	 char **out)
{
	char *copy;

	*out = NULL;
	if (len == 0)
		return err_set(ERR_USAGE, "%s from %s is empty", what, from);
	if (len > PIN_MAX)
		return err_set(ERR_USAGE, "%s from %s is longer than %d bytes",
			       what, from, PIN_MAX);
	if (memchr(pin, '\0', len) != NULL)
		return err_set(ERR_USAGE, "%s from %s contains a NUL byte",
			       what, from);
	if ((copy = malloc(len + 1)) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	memcpy(copy, pin, len);
	copy[len] = '\0';
	*out = copy;
	return 0;
}

/* Until FD has something to read, or -1 (errno EINTR) once a signal is
 * caught, whenever it came: a pipe's writer may take its time. */
static int
pin_wait(int fd)
{
	struct pollfd pfd[2] = {
		{ fd, POLLIN, 0 }, { interrupt_fd(), POLLIN, 0 },
	};

	int r;

	for (;;) {
		if (interrupt_signal() != 0) {
			errno = EINTR;
			return -1;
		}
		r = poll(pfd, 2, -1);
		if (r == -1 && errno != EINTR)
			return -1;
		if (r > 0 && pfd[0].revents != 0)
			return 0;
	}
}

/* Read one line from FD into BUF (PIN_MAX + 1 bytes), without its line
 * end, one byte at a time so that nothing after the line is consumed (the
 * descriptor may carry more). *LEN is PIN_MAX + 1 when the line is longer
 * than PIN_MAX. */
static int
pin_read_line(int fd, char *buf, size_t *len)
{
	bool too_long = false;
	size_t n = 0;
	ssize_t got;
	char c = 0;
	int rc = -1;

	*len = 0;
	for (;;) {
		if (pin_wait(fd) < 0)
			goto out;
		got = read(fd, &c, 1);
		if (got < 0 && errno == EINTR && interrupt_signal() == 0)
			continue;
		if (got < 0)
			goto out;
		if (got == 0 || c == '\n')
			break;
		if (n == PIN_MAX + 1) {
			too_long = true;
			break;
		}
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	*len = too_long || n > PIN_MAX ? PIN_MAX + 1 : n;
	rc = 0;
out:
	OPENSSL_cleanse(&c, sizeof(c));
	return rc;
}

static int
pin_read_fd(int fd, const char *what, const char *from, char **out)
{
	char buf[PIN_MAX + 1];
	size_t len = 0;
	int rc = -1;

	if (pin_read_line(fd, buf, &len) < 0) {
		/* Stopped by a signal: the message says which, as every
		 * interrupted step does. */
		if (interrupt_check() < 0)
			err_prefix("read %s from %s", what, from);
		else
			err_set(ERR_USAGE, "cannot read %s from %s: %s", what,
				from, strerror(errno));
		goto out;
	}
	rc = pin_copy(buf, len, what, from, out);
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/* A PIN file that another user may read (or write: then the PIN tried
 * would be theirs) is refused, as ssh refuses such a key file. Only a
 * regular file has a mode that means so: a FIFO, a pipe or a terminal
 * (file:/dev/stdin) is read whatever its mode. ST describes PATH. */
static int
pin_check_file(const struct stat *st, const char *path, const char *what)
{
	if (S_ISREG(st->st_mode) && (st->st_mode & (S_IRWXG | S_IRWXO)) != 0)
		return err_set(ERR_USAGE, "cannot read %s from %s: the file is "
			       "open to group or others (mode %04o); a PIN file "
			       "must be private: chmod 600 %s", what, path,
			       (unsigned)(st->st_mode & 07777), path);
	return 0;
}

static int
pin_read_file(const char *path, const char *what, char **out)
{
	struct stat st;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0 ||
	    fstat(fd, &st) < 0) {
		err_set(ERR_USAGE, "cannot read %s from %s: %s", what, path,
			strerror(errno));
		goto out;
	}
	if (pin_check_file(&st, path, what) < 0)
		goto out;
	rc = pin_read_fd(fd, what, path, out);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---- env: PINs ------------------------------------------------------------ */

/* The env: variables read so far, by name, with their values. A variable
 * is taken out of the environment when it is first read: its value is
 * overwritten where it lies (for the initial environment, the memory
 * that /proc/PID/environ shows) and the variable unset, so that no child
 * inherits it. Later reads, also in forked batch workers, get the copy
 * kept here. The environment is the process's, and so is this table. */
static struct pin_env_var {
	char *name;
	char *value;
} *pin_env_vars;
static size_t pin_env_count, pin_env_cap;

static const char *
pin_env_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < pin_env_count; i++)
		if (strcmp(pin_env_vars[i].name, name) == 0)
			return pin_env_vars[i].value;
	return NULL;
}

/* Overwrite the value of every NAME=VALUE in the environment, then unset
 * NAME. */
static void
pin_env_scrub(const char *name)
{
	size_t len = strlen(name);
	char **e, *value;

	for (e = environ; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, name, len) != 0 || (*e)[len] != '=')
			continue;
		value = *e + len + 1;
		OPENSSL_cleanse(value, strlen(value));
	}
	unsetenv(name);
}

/* Move variable NAME, when it is set, from the environment into the
 * table. */
static int
pin_env_take(const char *name)
{
	struct pin_env_var *grown, *v;
	const char *value;

	if (pin_env_lookup(name) != NULL || (value = getenv(name)) == NULL)
		return 0;
	if ((grown = array_grow(pin_env_vars, &pin_env_cap, pin_env_count + 1,
				sizeof(*grown))) == NULL)
		return -1;
	pin_env_vars = grown;
	v = &pin_env_vars[pin_env_count];
	if ((v->name = strdup(name)) == NULL ||
	    (v->value = strdup(value)) == NULL) {
		free(v->name);
		return err_set(ERR_FAILED, "out of memory");
	}
	pin_env_count++;
	pin_env_scrub(name);
	return 0;
}

void
pin_env_clear(void)
{
	size_t i;

	for (i = 0; i < pin_env_count; i++) {
		free(pin_env_vars[i].name);
		pin_free(pin_env_vars[i].value);
	}
	free(pin_env_vars);
	pin_env_vars = NULL;
	pin_env_count = pin_env_cap = 0;
}

static int
pin_read_env(const char *name, const char *what, char **out)
{
	const char *value;
	char from[128];

	snprintf(from, sizeof(from), "environment variable %s", name);
	if (pin_env_take(name) < 0)
		return -1;
	if ((value = pin_env_lookup(name)) == NULL)
		return err_set(ERR_USAGE, "cannot read %s: %s is not set", what,
			       from);
	return pin_copy(value, strlen(value), what, from, out);
}

int
pin_source_prepare(const struct pin_source *src, const char *what)
{
	struct stat st;

	switch (src->kind) {
	case PIN_ENV:
		return pin_env_take(src->arg);
	case PIN_FILE:
		/* A file that is not there yet may be by the time it is
		 * read, and is checked then; a FIFO is not opened here, as
		 * that would take its writer. */
		if (stat(src->arg, &st) < 0)
			return 0;
		return pin_check_file(&st, src->arg, what);
	case PIN_FD:
	case PIN_PROMPT:
		return 0;
	}
	return err_set(ERR_FAILED, "unknown PIN source kind %d", (int)src->kind);
}

static int
pin_read_prompt(const char *what, pin_prompt_fn prompt, void *ctx,
		char **out)
{
	char *pin = NULL;
	int rc = -1;

	if (prompt == NULL) {
		err_set(ERR_USAGE, "cannot prompt for %s: not on a terminal; use "
			"--pin-source", what);
		goto out;
	}
	err_clear();
	if ((pin = prompt(what, ctx)) == NULL) {
		if (err_kind() == ERR_NONE)
			err_set(ERR_FAILED, "no %s was entered", what);
		goto out;
	}
	rc = pin_copy(pin, strlen(pin), what, "the prompt", out);
out:
	pin_free(pin);
	return rc;
}

int
pin_source_read(const struct pin_source *src, const char *what,
		pin_prompt_fn prompt, void *prompt_ctx, char **out)
{
	char from[32];
	int fd;

	*out = NULL;
	switch (src->kind) {
	case PIN_FILE:
		return pin_read_file(src->arg, what, out);
	case PIN_ENV:
		return pin_read_env(src->arg, what, out);
	case PIN_FD:
		if (pin_parse_fd(src->arg, &fd) < 0)
			return err_set(ERR_USAGE, "bad PIN source 'fd:%s'",
				       src->arg);
		snprintf(from, sizeof(from), "fd %d", fd);
		return pin_read_fd(fd, what, from, out);
	case PIN_PROMPT:
		return pin_read_prompt(what, prompt, prompt_ctx, out);
	}
	return err_set(ERR_FAILED, "unknown PIN source kind %d", (int)src->kind);
}
