/* SPDX-License-Identifier: MIT */
/* util.c - small helpers shared by the core and the commands. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "err.h"
#include "util.h"

char *
util_hex(const unsigned char *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *out;
	size_t i;

	out = malloc(len * 2 + 1);
	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0x0f];
	}
	out[2 * len] = '\0';
	return out;
}

void
util_p11_string(char *out, const unsigned char *field, size_t len)
{
	memcpy(out, field, len);
	while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '\0'))
		len--;
	out[len] = '\0';
}

int
util_read_fd(int fd, const char *path, size_t max, unsigned char **out,
	     size_t *len)
{
	unsigned char *buf = NULL, *grown;
	size_t used = 0, cap = 0;
	ssize_t n;
	int rc = -1;

	*out = NULL;
	*len = 0;
	for (;;) {
		/* Room for a read and the terminating NUL. */
		if ((grown = array_grow(buf, &cap, used + 4096 + 1, 1)) ==
		    NULL) {
			err_prefix("%s", path);
			goto out;
		}
		buf = grown;
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(ERR_FAILED, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			err_set(ERR_USAGE, "%s: larger than %zu bytes", path, max);
			goto out;
		}
	}
	buf[used] = '\0';
	*out = buf;
	*len = used;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}

int
util_read_file(const char *path, size_t max, unsigned char **out, size_t *len)
{
	int fd, rc;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(ERR_USAGE, "cannot open %s: %s", path,
			       strerror(errno));
	rc = util_read_fd(fd, path, max, out, len);
	close(fd);
	return rc;
}

/* Why the file ST (opened by this process) may not take what this user
 * writes privately, or NULL. */
static const char *
util_private_refusal(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != geteuid())
		return "owned by another user";
	if (st->st_nlink > 1)
		return "has other names (hard links)";
	return NULL;
}

int
util_open_private(const char *path, int flags, bool tighten, int *fd)
{
	const char *why;
	struct stat st;
	int f = -1, rc = -1;

	*fd = -1;
	/* No O_TRUNC before the checks; O_NONBLOCK: a FIFO must not hold
	 * the open until a reader comes. */
	f = open(path, (flags & ~O_TRUNC) | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
		 O_NOCTTY | O_NONBLOCK, 0600);
	/* ENXIO: a FIFO without a reader, a socket or a device without
	 * its driver. */
	if (f == -1) {
		err_set(ERR_USAGE, "%s", errno == ELOOP ?
			"a symbolic link, which is not followed" :
			errno == ENXIO ? "not a regular file; nothing was "
			"written to it" : strerror(errno));
		goto out;
	}
	if (fstat(f, &st) == -1) {
		err_set(ERR_USAGE, "%s", strerror(errno));
		goto out;
	}
	if ((why = util_private_refusal(&st)) != NULL) {
		err_set(ERR_USAGE, "%s; nothing was written to it", why);
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0 && !tighten) {
		err_set(ERR_USAGE, "open to group or others (mode %04o); it must "
			"be private: chmod 600 %s", (unsigned)(st.st_mode & 07777),
			path);
		goto out;
	}
	if (((st.st_mode & (S_IRWXG | S_IRWXO)) != 0 && fchmod(f, 0600) == -1) ||
	    ((flags & O_TRUNC) && ftruncate(f, 0) == -1) ||
	    fcntl(f, F_SETFL, fcntl(f, F_GETFL) & ~O_NONBLOCK) == -1) {
		err_set(ERR_USAGE, "%s", strerror(errno));
		goto out;
	}
	*fd = f;
	f = -1;
	rc = 0;
out:
	if (f != -1)
		close(f);
	return rc;
}

char *
util_strdup(const char *s)
{
	char *copy = strdup(s);

	if (copy == NULL)
		err_set(ERR_FAILED, "out of memory");
	return copy;
}

int64_t
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

FILE *
util_fopen_regular(const char *path)
{
	struct stat st;
	FILE *fp;
	int fd, flags, saved;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		err_set(ERR_USAGE, "cannot open %s: %s", path, strerror(errno));
		errno = saved;
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		saved = errno;
		err_set(ERR_FAILED, "cannot look at %s: %s", path,
			strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		saved = EINVAL;
		err_set(ERR_USAGE, "%s is not a regular file", path);
		goto fail;
	}
	if ((flags = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0 ||
	    (fp = fdopen(fd, "r")) == NULL) {
		saved = errno;
		err_set(ERR_FAILED, "cannot read %s: %s", path, strerror(errno));
		goto fail;
	}
	return fp;
fail:
	close(fd);
	errno = saved;
	return NULL;
}
