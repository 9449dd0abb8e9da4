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
util_read_file(const char *path, size_t max, unsigned char **out, size_t *len)
{
	unsigned char *buf = NULL, *grown;
	size_t used = 0, cap = 0;
	ssize_t n;
	int fd = -1, rc = -1;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_set(ERR_USAGE, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
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
	if (fd >= 0)
		close(fd);
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
