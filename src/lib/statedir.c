/* SPDX-License-Identifier: MIT */
/* statedir.c - the state directory for tokens that keep no data objects. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "err.h"
#include "owndir.h"
#include "statedir.h"
#include "util.h"

struct statedir {
	char *path;
	int fd;                 /* the directory, O_DIRECTORY */
};

static const char *const statedir_kinds[STATEDIR_KINDS] = {
	[STATEDIR_REQUEST] = "request",
	[STATEDIR_CA_TICKET] = "ca-ticket",
	[STATEDIR_RECORD] = "record",
};

/* What a user who meets a refused directory can do. */
#define STATEDIR_HINT "give --state-dir DIR, a directory of your own that " \
	"others cannot write"

const char *
statedir_kind_name(enum statedir_kind kind)
{
	return statedir_kinds[kind];
}

int
statedir_default(uid_t uid, const char *xdg_state_home, const char *home,
		 char **out)
{
	char *path = NULL;
	int len;

	*out = NULL;
	if (uid == 0)
		len = asprintf(&path, "/var/lib/p11enroll");
	else if (xdg_state_home != NULL && xdg_state_home[0] == '/')
		len = asprintf(&path, "%s/p11enroll", xdg_state_home);
	else if (home != NULL && home[0] == '/')
		len = asprintf(&path, "%s/.local/state/p11enroll", home);
	else
		return err_set(ERR_USAGE, "no state directory: neither "
			       "XDG_STATE_HOME nor HOME is set; give --state-dir DIR");
	if (len < 0)
		return err_set(ERR_FAILED, "out of memory");
	*out = path;
	return 0;
}

/* Whether byte C stays as it is in an encoded serial. */
static bool
statedir_plain(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9');
}

int
statedir_name(const char *serial, const unsigned char *id, size_t id_len,
	      enum statedir_kind kind, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t used = 0, i, need;
	const unsigned char *s = (const unsigned char *)serial;

	if (size > 0)
		buf[0] = '\0';
	if (id_len == 0 || id_len > 64)
		return err_set(ERR_FAILED, "a state file needs a key with a "
			       "CKA_ID of 1 to 64 bytes, not %zu", id_len);
	need = strlen(serial) * 3 + 1 + id_len * 2 + 1 +
	       strlen(statedir_kinds[kind]) + 1;
	if (need > size)
		return err_set(ERR_FAILED, "the token's serial is too long for "
			       "a state file's name");
	for (i = 0; s[i] != '\0'; i++) {
		if (statedir_plain(s[i])) {
			buf[used++] = (char)s[i];
			continue;
		}
		buf[used++] = '%';
		buf[used++] = hex[s[i] >> 4];
		buf[used++] = hex[s[i] & 15];
	}
	buf[used++] = '-';
	for (i = 0; i < id_len; i++) {
		buf[used++] = hex[id[i] >> 4];
		buf[used++] = hex[id[i] & 15];
	}
	snprintf(buf + used, size - used, ".%s", statedir_kinds[kind]);
	return 0;
}

/* The value of hex digit C, or -1. */
static int
statedir_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool
statedir_parse_name(const char *name, const char *serial, unsigned char *id,
		    size_t *id_len, enum statedir_kind *kind)
{
	char prefix[STATEDIR_NAME_MAX], *probe;
	const unsigned char one = 0;
	const char *p, *dot;
	size_t plen, n, i;
	int k;

	*id_len = 0;
	/* The prefix is what statedir_name() makes of the serial and "-". */
	if (statedir_name(serial, &one, 1, STATEDIR_REQUEST, prefix,
			  sizeof(prefix)) < 0) {
		err_clear();
		return false;
	}
	probe = strrchr(prefix, '-');
	plen = (size_t)(probe - prefix) + 1;
	if (strncmp(name, prefix, plen) != 0)
		return false;
	p = name + plen;
	dot = strchr(p, '.');
	if (dot == NULL)
		return false;
	n = (size_t)(dot - p);
	if (n == 0 || n % 2 != 0 || n / 2 > 64)
		return false;
	for (k = 0; k < STATEDIR_KINDS; k++)
		if (strcmp(dot + 1, statedir_kinds[k]) == 0)
			break;
	if (k == STATEDIR_KINDS)
		return false;
	for (i = 0; i < n / 2; i++) {
		int hi = statedir_hexval(p[2 * i]), lo = statedir_hexval(p[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		id[i] = (unsigned char)(hi << 4 | lo);
	}
	*id_len = n / 2;
	*kind = (enum statedir_kind)k;
	return true;
}

/* Make PATH and its missing parents, 0700. */
static int
statedir_mkdirs(const char *path)
{
	char *copy = util_strdup(path), *p, c;
	int rc = -1;

	if (copy == NULL)
		return -1;
	for (p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
			err_set(ERR_FAILED, "cannot make the state directory %s: "
				"%s; %s", copy, strerror(errno), STATEDIR_HINT);
			goto out;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

/* Refuse a directory that others could change under us. */
static int
statedir_check(const char *path, const struct stat *st)
{
	if (owndir_check(path, st, "state directory", S_IWGRP | S_IWOTH) < 0)
		return err_append("%s", STATEDIR_HINT);
	return 0;
}

int
statedir_open(const char *path, bool create, struct statedir **out)
{
	struct statedir *d = NULL;
	struct stat st, opened;
	int rc = -1;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return err_set(ERR_USAGE, "no state directory; give --state-dir DIR");
	if (lstat(path, &st) < 0 && errno == ENOENT) {
		if (!create)
			return 0;
		if (statedir_mkdirs(path) < 0)
			return -1;
	}
	if (lstat(path, &st) < 0)
		return err_set(ERR_FAILED, "cannot use the state directory %s: %s; %s",
			       path, strerror(errno), STATEDIR_HINT);
	if (statedir_check(path, &st) < 0)
		return -1;
	d = calloc(1, sizeof(*d));
	if (d != NULL)
		d->fd = -1;
	if (d == NULL || (d->path = util_strdup(path)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	d->fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->fd < 0) {
		err_set(ERR_FAILED, "cannot open the state directory %s: %s; %s",
			path, strerror(errno), STATEDIR_HINT);
		goto out;
	}
	/* The directory opened is the one checked, not one swapped in. */
	if (fstat(d->fd, &opened) < 0 || opened.st_dev != st.st_dev ||
	    opened.st_ino != st.st_ino) {
		err_set(ERR_FAILED, "state directory %s changed while it was "
			"opened", path);
		goto out;
	}
	*out = d;
	d = NULL;
	rc = 0;
out:
	statedir_free(d);
	return rc;
}

void
statedir_free(struct statedir *d)
{
	if (d == NULL)
		return;
	if (d->fd >= 0)
		close(d->fd);
	free(d->path);
	free(d);
}

const char *
statedir_path(const struct statedir *d)
{
	return d->path;
}

/* Write all of DATA to FD. */
static int
statedir_write_all(int fd, const unsigned char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int
statedir_write(struct statedir *d, const char *name, const unsigned char *data,
	       size_t len)
{
	char tmp[STATEDIR_NAME_MAX + 32];
	int fd = -1, rc = -1;

	/* The token's lock keeps other runs off this token's files: a
	 * temporary file left by a killed run is ours to replace. */
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	if (unlinkat(d->fd, tmp, 0) < 0 && errno != ENOENT)
		goto fail;
	fd = openat(d->fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0 || fchmod(fd, 0600) < 0 || statedir_write_all(fd, data, len) < 0 ||
	    fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(d->fd, tmp, d->fd, name) < 0)
		goto fail;
	/* The rename itself outlives a crash only once the directory is
	 * synced; a failure here leaves the file in place all the same. */
	fsync(d->fd);
	return 0;
fail:
	err_set(ERR_FAILED, "cannot write %s/%s: %s; %s", d->path, name,
		strerror(errno), STATEDIR_HINT);
	if (fd >= 0)
		close(fd);
	unlinkat(d->fd, tmp, 0);
	return rc;
}

int
statedir_read(struct statedir *d, const char *name, unsigned char **out,
	      size_t *len)
{
	unsigned char *buf = NULL, *grown;
	size_t used = 0, cap = 0;
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	*out = NULL;
	*len = 0;
	fd = openat(d->fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		err_set(ERR_FAILED, "cannot open %s/%s: %s%s", d->path, name,
			errno == ELOOP ? "it is a symbolic link, which is refused" :
			strerror(errno), errno == ELOOP ? "; remove it" : "");
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		err_set(ERR_FAILED, "%s/%s is not a regular file of yours; remove it",
			d->path, name);
		goto out;
	}
	for (;;) {
		if ((grown = array_grow(buf, &cap, used + 4096, 1)) == NULL)
			goto out;
		buf = grown;
		n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(ERR_FAILED, "cannot read %s/%s: %s", d->path, name,
				strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > STATEDIR_FILE_MAX) {
			err_set(ERR_FAILED, "%s/%s is larger than a state file can be",
				d->path, name);
			goto out;
		}
	}
	*out = buf;
	*len = used;
	buf = NULL;
	rc = 1;
out:
	free(buf);
	close(fd);
	return rc;
}

int
statedir_exists(struct statedir *d, const char *name, bool *yes)
{
	struct stat st;

	*yes = false;
	if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_set(ERR_FAILED, "cannot look at %s/%s: %s", d->path,
			       name, strerror(errno));
	}
	if (S_ISLNK(st.st_mode))
		return err_set(ERR_FAILED, "%s/%s is a symbolic link, which is "
			       "refused; remove it", d->path, name);
	*yes = true;
	return 0;
}

int
statedir_remove(struct statedir *d, const char *name)
{
	if (unlinkat(d->fd, name, 0) < 0 && errno != ENOENT)
		return err_set(ERR_FAILED, "cannot delete %s/%s: %s", d->path, name,
			       strerror(errno));
	return 0;
}

static int
statedir_entry_cmp(const void *a, const void *b)
{
	const struct statedir_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int
statedir_list(struct statedir *d, const char *serial,
	      struct statedir_entry **out, size_t *count)
{
	struct statedir_entry *list = NULL, *grown, e;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *dir = NULL;
	int fd, rc = -1;

	*out = NULL;
	*count = 0;
	fd = dup(d->fd);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return err_set(ERR_FAILED, "cannot list the state directory %s: %s",
			       d->path, strerror(errno));
	}
	rewinddir(dir);
	while ((de = readdir(dir)) != NULL) {
		if (strlen(de->d_name) >= sizeof(e.name) ||
		    !statedir_parse_name(de->d_name, serial, e.id, &e.id_len, &e.kind))
			continue;
		snprintf(e.name, sizeof(e.name), "%s", de->d_name);
		if ((grown = array_grow(list, &cap, n + 1, sizeof(*list))) == NULL)
			goto out;
		list = grown;
		list[n++] = e;
	}
	if (n > 0)
		qsort(list, n, sizeof(*list), statedir_entry_cmp);
	*out = list;
	*count = n;
	list = NULL;
	rc = 0;
out:
	free(list);
	closedir(dir);
	return rc;
}
