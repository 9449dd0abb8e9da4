/* SPDX-License-Identifier: MIT */
/* ca-acme-chal.c - answering ACME challenges (http-01, dns-01).
 *
 * The built-in responder is not a web server: it reads one request line,
 * answers the key authorization for a token it was given and 404 for
 * anything else, and closes the connection. It is served only while the
 * backend waits for the CA between two questions, so it needs no thread.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "ca-acme-chal.h"
#include "err.h"
#include "interrupt.h"
#include "spawn.h"
#include "text.h"
#include "util.h"

#define ACME_TOKEN_MAX 256
#define ACME_CHAL_PATH "/.well-known/acme-challenge/"
/* One request line and its headers are read at most this long. */
#define ACME_REQUEST_MAX 4096
#define ACME_REQUEST_MS 2000
#define ACME_HOOK_PATH "/usr/local/bin:/usr/bin:/bin"
#define ACME_HOOK_OUT_MAX 4096

bool
acme_token_ok(const char *token)
{
	size_t i, n = strlen(token);

	if (n == 0 || n > ACME_TOKEN_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = token[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* ---- the built-in responder -------------------------------------------- */

struct acme_answer {
	char *token;
	char *keyauth;
};

struct acme_responder {
	int fd;
	struct acme_answer *answers;
	size_t n, cap;
};

/* Split "HOST:PORT", "[V6]:PORT" or ":PORT" into HOST (NULL: any) and
 * PORT, in BUF. */
static int
acme_responder_split(const char *addr_port, char *buf, size_t size,
		     const char **host, const char **port)
{
	char *colon;

	if (strlen(addr_port) >= size)
		goto bad;
	snprintf(buf, size, "%s", addr_port);
	if ((colon = strrchr(buf, ':')) == NULL || colon[1] == '\0')
		goto bad;
	*colon = '\0';
	*port = colon + 1;
	*host = buf;
	if (buf[0] == '[') {
		if (colon == buf || colon[-1] != ']')
			goto bad;
		colon[-1] = '\0';
		*host = buf + 1;
	}
	if (**host == '\0')
		*host = NULL;
	return 0;
bad:
	return err_set(ERR_USAGE, "--acme-http %s: not ADDRESS:PORT "
		       "(e.g. 0.0.0.0:80)", addr_port);
}

int
acme_responder_open(const char *addr_port, struct acme_responder **out)
{
	struct addrinfo hints, *ai = NULL;
	struct acme_responder *r = NULL;
	const char *host = NULL, *port = NULL;
	char buf[256];
	int one = 1, e, rc = -1;

	*out = NULL;
	if (acme_responder_split(addr_port, buf, sizeof(buf), &host, &port) < 0)
		goto out;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((e = getaddrinfo(host, port, &hints, &ai)) != 0) {
		err_set(ERR_USAGE, "--acme-http %s: %s", addr_port,
			gai_strerror(e));
		goto out;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	r->fd = -1;
	r->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	if (r->fd < 0 ||
	    setsockopt(r->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(r->fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(r->fd, 16) < 0) {
		err_set(ERR_FAILED, "--acme-http %s: cannot listen: %s",
			addr_port, strerror(errno));
		goto out;
	}
	*out = r;
	r = NULL;
	rc = 0;
out:
	if (ai != NULL)
		freeaddrinfo(ai);
	acme_responder_free(r);
	return rc;
}

int
acme_responder_add(struct acme_responder *r, const char *token,
		   const char *keyauth)
{
	struct acme_answer *grown;
	char *t = NULL, *k = NULL;

	if ((t = util_strdup(token)) == NULL ||
	    (k = util_strdup(keyauth)) == NULL ||
	    (grown = array_grow(r->answers, &r->cap, r->n + 1,
				sizeof(*grown))) == NULL) {
		free(t);
		free(k);
		return err_set(ERR_FAILED, "out of memory");
	}
	r->answers = grown;
	r->answers[r->n].token = t;
	r->answers[r->n].keyauth = k;
	r->n++;
	return 0;
}

/* The key authorization for the request line in REQ, or NULL. */
static const char *
acme_responder_lookup(const struct acme_responder *r, const char *req)
{
	static const char get[] = "GET " ACME_CHAL_PATH;
	const char *token, *end;
	size_t i, len;

	if (strncmp(req, get, sizeof(get) - 1) != 0)
		return NULL;
	token = req + sizeof(get) - 1;
	if ((end = strchr(token, ' ')) == NULL)
		return NULL;
	len = (size_t)(end - token);
	for (i = 0; i < r->n; i++)
		if (strlen(r->answers[i].token) == len &&
		    memcmp(r->answers[i].token, token, len) == 0)
			return r->answers[i].keyauth;
	return NULL;
}

/* Read one request line from FD, answer and close. */
static void
acme_responder_one(const struct acme_responder *r, int fd)
{
	static const char missing[] = "HTTP/1.0 404 Not Found\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n";
	char req[ACME_REQUEST_MAX + 1], head[160];
	int64_t deadline = util_now_ms() + ACME_REQUEST_MS;
	struct pollfd pfd = { fd, POLLIN, 0 };
	const char *keyauth;
	size_t len = 0;
	ssize_t n;

	while (len < ACME_REQUEST_MAX && memchr(req, '\n', len) == NULL) {
		int64_t left = deadline - util_now_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return;
		if ((n = read(fd, req + len, ACME_REQUEST_MAX - len)) <= 0)
			return;
		len += (size_t)n;
	}
	req[len] = '\0';
	if ((keyauth = acme_responder_lookup(r, req)) == NULL) {
		(void)!write(fd, missing, sizeof(missing) - 1);
		return;
	}
	snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\nContent-Type: "
		 "application/octet-stream\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n", strlen(keyauth));
	if (write(fd, head, strlen(head)) == (ssize_t)strlen(head))
		(void)!write(fd, keyauth, strlen(keyauth));
}

void
acme_responder_serve(struct acme_responder *r, int64_t ms)
{
	int64_t deadline = util_now_ms() + ms, left;
	struct pollfd pfd;
	int fd;

	while ((left = deadline - util_now_ms()) > 0 && interrupt_signal() == 0) {
		pfd.fd = r->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, left > 200 ? 200 : (int)left) <= 0)
			continue;
		if ((fd = accept4(r->fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		acme_responder_one(r, fd);
		close(fd);
	}
}

void
acme_responder_free(struct acme_responder *r)
{
	size_t i;

	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	for (i = 0; i < r->n; i++) {
		free(r->answers[i].token);
		free(r->answers[i].keyauth);
	}
	free(r->answers);
	free(r);
}

/* ---- the webroot ---------------------------------------------------------- */

/* DIR/.well-known/acme-challenge[/TOKEN] into BUF. */
static int
acme_webroot_path(const char *dir, const char *token, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/.well-known/acme-challenge%s%s", dir,
			 token != NULL ? "/" : "", token != NULL ? token : "");

	if (n < 0 || (size_t)n >= size)
		return err_set(ERR_USAGE, "--acme-webroot %s: the path is too "
			       "long", dir);
	return 0;
}

int
acme_webroot_put(const char *dir, const char *token, const char *keyauth)
{
	char path[4096];
	size_t len = strlen(keyauth);
	int fd = -1, rc = -1;

	if (!acme_token_ok(token))
		return err_set(ERR_FAILED, "the CA's challenge token is not "
			       "base64url");
	snprintf(path, sizeof(path), "%s/.well-known", dir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		goto fail;
	if (acme_webroot_path(dir, NULL, path, sizeof(path)) < 0)
		return -1;
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		goto fail;
	if (acme_webroot_path(dir, token, path, sizeof(path)) < 0)
		return -1;
	/* A new file: nothing planted there is followed or overwritten. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0 || fchmod(fd, 0644) < 0 ||
	    write(fd, keyauth, len) != (ssize_t)len)
		goto fail;
	rc = 0;
	goto out;
fail:
	err_set(ERR_FAILED, "--acme-webroot: cannot write %s: %s", path,
		strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

void
acme_webroot_remove(const char *dir, const char *token)
{
	char path[4096];

	if (!acme_token_ok(token) ||
	    acme_webroot_path(dir, token, path, sizeof(path)) < 0) {
		err_clear();
		return;
	}
	unlink(path);
}

/* ---- the dns-01 hook ------------------------------------------------------ */

int
acme_dns_hook(const char *path, char *const *argv, int timeout,
	      const char *operation, const char *name, const char *value)
{
	static char env_path[] = "PATH=" ACME_HOOK_PATH;
	char *envp[] = { env_path, NULL };
	struct spawn_result res;
	struct spawn_job job;
	const char **full = NULL;
	char line[200];
	size_t i, n;
	int rc = -1;

	memset(&res, 0, sizeof(res));
	for (n = 0; argv[n] != NULL; n++)
		;
	if ((full = calloc(n + 4, sizeof(*full))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		full[i] = argv[i];
	full[n] = operation;
	full[n + 1] = name;
	full[n + 2] = value;
	memset(&job, 0, sizeof(job));
	job.what = "--acme-dns-hook";
	job.who = "the DNS hook";
	job.path = path;
	job.argv = (char *const *)full;
	job.envp = envp;
	job.input = "";
	job.timeout_seconds = timeout;
	job.max_out = ACME_HOOK_OUT_MAX;
	job.max_err = ACME_HOOK_OUT_MAX;
	if (spawn_run(&job, &res) < 0)
		goto out;
	if (!WIFEXITED(res.status) || WEXITSTATUS(res.status) != 0) {
		spawn_first_line(&res.err, line, sizeof(line));
		err_set(ERR_FAILED, "--acme-dns-hook %s %s failed (%s %d)%s%s",
			operation, name, WIFEXITED(res.status) ? "exit" : "signal",
			WIFEXITED(res.status) ? WEXITSTATUS(res.status) :
			WTERMSIG(res.status), *line != '\0' ? ": " : "", line);
		goto out;
	}
	rc = 0;
out:
	spawn_result_clear(&res);
	free(full);
	return rc;
}
