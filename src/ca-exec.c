/* ca-exec.c - exec:COMMAND, a CA reached through certmonger's helper
 * protocol.
 *
 * The helper gets the request in $CERTMONGER_CSR and on its stdin, the
 * role in $CERTMONGER_CA_PROFILE, and answers with the certificate (PEM,
 * chain may follow) on stdout. Its exit status says what happened:
 * 0 issued, 1 or 5 wait, 2 rejected, 3 unreachable, 4 under-configured.
 *
 * COMMAND is split at spaces and tabs into the helper's arguments. There
 * is no quoting, no shell, no globbing and no variable expansion: what is
 * written is what the helper gets, so a word cannot contain a blank.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca.h"
#include "ca-backend.h"
#include "err.h"
#include "util.h"

#define CA_EXEC_PATH "/usr/local/bin:/usr/bin:/bin"
#define CA_EXEC_STDERR_MAX 4096
#define CA_EXEC_LINE_MAX 200
/* How often to look for the helper's exit once its pipes are closed. */
#define CA_EXEC_REAP_POLL_MS 50

#if defined(HAVE_CLOSEFROM) || defined(__OpenBSD__) || \
    defined(__FreeBSD__) || defined(__NetBSD__) || \
    (defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34))
#define CA_EXEC_CLOSEFROM 1
#endif

struct ca_exec {
	char *description;      /* "exec:/usr/bin/helper" */
	char *path;             /* the program, resolved at open time */
	char **argv;            /* NULL-terminated, argv[0] as written */
	int timeout_seconds;
	size_t max_answer;
};

struct ca_exec_buf {
	unsigned char *data;
	size_t len, cap, max;
	bool overflow;          /* more arrived than MAX */
};

/* One run of the helper: the parent's ends of its pipes, what it said,
 * and how it ended. */
struct ca_exec_run {
	pid_t pid;
	int fd_in, fd_out, fd_err;
	const char *csr;
	size_t csr_len, csr_sent;
	struct ca_exec_buf out, err;
	int status;
	bool reaped;
	bool lost;              /* reaped by someone else: status unknown */
};

/* ---- open --------------------------------------------------------- */

/* A followed by the first BLEN bytes of B, in new memory; NULL when out
 * of memory. */
static char *
ca_exec_join(const char *a, const char *b, size_t blen)
{
	size_t alen = strlen(a);
	char *s;

	if ((s = malloc(alen + blen + 1)) == NULL)
		return NULL;
	memcpy(s, a, alen);
	memcpy(s + alen, b, blen);
	s[alen + blen] = '\0';
	return s;
}

static void
ca_exec_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

static int
ca_exec_split(const char *command, char ***out)
{
	static const char blanks[] = " \t";
	char **argv = NULL;
	const char *p;
	size_t n = 0, words = 0, len;
	int rc = -1;

	*out = NULL;
	for (p = command + strspn(command, blanks); *p != '\0';
	     p += len, p += strspn(p, blanks)) {
		len = strcspn(p, blanks);
		words++;
	}
	if (words == 0) {
		err_set(ERR_USAGE, "CA exec:%s: no helper command given", command);
		goto out;
	}
	if ((argv = calloc(words + 1, sizeof(*argv))) == NULL)
		goto nomem;
	for (p = command + strspn(command, blanks); *p != '\0';
	     p += len, p += strspn(p, blanks)) {
		len = strcspn(p, blanks);
		if ((argv[n] = ca_exec_join("", p, len)) == NULL)
			goto nomem;
		n++;
	}
	*out = argv;
	argv = NULL;
	rc = 0;
	goto out;
nomem:
	err_set(ERR_FAILED, "CA exec:%s: out of memory", command);
out:
	ca_exec_argv_free(argv);
	return rc;
}

/* 0 when PATH names a regular file we may execute, else errno. */
static int
ca_exec_usable(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return errno;
	if (!S_ISREG(st.st_mode))
		return EACCES;
	if (access(path, X_OK) == -1)
		return errno;
	return 0;
}

/* The program NAME as execvp would find it: as written when it has a
 * '/', else the first usable entry of $PATH. */
static int
ca_exec_resolve(const char *name, char **out)
{
	const char *search, *dir, *end;
	char *candidate = NULL;
	size_t dirlen, size;
	int rc = -1, e;

	*out = NULL;
	if (strchr(name, '/') != NULL) {
		if ((e = ca_exec_usable(name)) != 0) {
			err_set(ERR_USAGE, "CA exec:%s: cannot run the helper: %s",
				name, strerror(e));
			goto out;
		}
		if ((*out = util_strdup(name)) == NULL)
			goto out;
		rc = 0;
		goto out;
	}
	if ((search = getenv("PATH")) == NULL)
		search = CA_EXEC_PATH;
	for (dir = search; ; dir = end + 1) {
		end = strchr(dir, ':');
		dirlen = end != NULL ? (size_t)(end - dir) : strlen(dir);
		free(candidate);
		size = dirlen + 1 + strlen(name) + 1;
		if ((candidate = malloc(size)) == NULL) {
			err_set(ERR_FAILED, "CA exec:%s: out of memory", name);
			goto out;
		}
		/* An empty entry is the working directory. */
		snprintf(candidate, size, "%.*s%s%s", (int)dirlen, dir,
			 dirlen > 0 ? "/" : "", name);
		if (ca_exec_usable(candidate) == 0) {
			*out = candidate;
			candidate = NULL;
			rc = 0;
			goto out;
		}
		if (end == NULL)
			break;
	}
	err_set(ERR_USAGE, "CA exec:%s: no such program on the PATH", name);
out:
	free(candidate);
	return rc;
}

static void
ca_exec_free(void *state)
{
	struct ca_exec *ce = state;

	if (ce == NULL)
		return;
	free(ce->description);
	free(ce->path);
	ca_exec_argv_free(ce->argv);
	free(ce);
}

static int
ca_exec_open(const char *rest, const struct ca_options *opts, void **state)
{
	struct ca_exec *ce = NULL;
	int rc = -1;

	*state = NULL;
	if ((ce = calloc(1, sizeof(*ce))) == NULL) {
		err_set(ERR_FAILED, "CA exec:%s: out of memory", rest);
		goto out;
	}
	ce->timeout_seconds = opts->timeout_seconds;
	ce->max_answer = opts->max_answer;
	if (ca_exec_split(rest, &ce->argv) == -1)
		goto out;
	if (ca_exec_resolve(ce->argv[0], &ce->path) == -1)
		goto out;
	ce->description = ca_exec_join("exec:", ce->path, strlen(ce->path));
	if (ce->description == NULL) {
		err_set(ERR_FAILED, "CA exec:%s: out of memory", rest);
		goto out;
	}
	*state = ce;
	ce = NULL;
	rc = 0;
out:
	ca_exec_free(ce);
	return rc;
}

static const char *
ca_exec_describe(const void *state)
{
	const struct ca_exec *ce = state;

	return ce->description;
}

/* ---- the child ---------------------------------------------------- */

/* Signals that a caller may have set to be ignored; the helper starts
 * with the defaults, as it would from a shell. */
static const int ca_exec_default_signals[] = {
	SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGALRM,
	SIGUSR1, SIGUSR2,
};

static void
ca_exec_child_fail(int report_fd)
{
	int e = errno;
	ssize_t unused;

	unused = write(report_fd, &e, sizeof(e));
	(void)unused;
	_exit(127);
}

/* Runs between fork and execve: async-signal-safe calls only, since the
 * caller may have other threads. FDS are the helper's stdin, stdout,
 * stderr and the close-on-exec pipe that reports a failed execve. */
static void
ca_exec_child(const struct ca_exec *ce, char *const envp[], const int fds[4],
	      int maxfd)
{
	struct sigaction dfl;
	sigset_t none;
	int high[4];
	int i;

	(void)setpgid(0, 0);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (i = 0; i < (int)(sizeof(ca_exec_default_signals) /
			      sizeof(ca_exec_default_signals[0])); i++)
		(void)sigaction(ca_exec_default_signals[i], &dfl, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	/* Out of the way first, so no dup2 below overwrites a source. */
	for (i = 0; i < 4; i++) {
		if ((high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 4)) == -1)
			ca_exec_child_fail(fds[3]);
	}
	for (i = 0; i < 4; i++) {
		if (dup2(high[i], i) == -1)
			ca_exec_child_fail(high[3]);
	}
	if (fcntl(3, F_SETFD, FD_CLOEXEC) == -1)
		ca_exec_child_fail(3);
#ifdef CA_EXEC_CLOSEFROM
	(void)maxfd;
	closefrom(4);
#else
	for (i = 4; i < maxfd; i++)
		(void)close(i);
#endif
	execve(ce->path, ce->argv, envp);
	ca_exec_child_fail(3);
}

/* ---- the parent --------------------------------------------------- */

static void
ca_exec_close(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

/* Built from nothing: no variable of ours (PINs included) reaches the
 * helper. */
static int
ca_exec_env_new(const struct ca_exec *ce, const char *csr_pem,
		const char *role, char ***out)
{
	char **envp = NULL;
	size_t n = 0;
	int rc = -1;

	*out = NULL;
	if ((envp = calloc(5, sizeof(*envp))) == NULL)
		goto nomem;
	if ((envp[n++] = strdup("PATH=" CA_EXEC_PATH)) == NULL ||
	    (envp[n++] = strdup("CERTMONGER_OPERATION=SUBMIT")) == NULL ||
	    (envp[n++] = ca_exec_join("CERTMONGER_CSR=", csr_pem,
				      strlen(csr_pem))) == NULL)
		goto nomem;
	if (role != NULL &&
	    (envp[n++] = ca_exec_join("CERTMONGER_CA_PROFILE=", role,
				      strlen(role))) == NULL)
		goto nomem;
	*out = envp;
	envp = NULL;
	rc = 0;
	goto out;
nomem:
	err_set(ERR_FAILED, "CA %s: out of memory", ce->description);
out:
	ca_exec_argv_free(envp);
	return rc;
}

/* Largest descriptor number to close in the child, computed before fork
 * because sysconf is not async-signal-safe. */
static int
ca_exec_maxfd(void)
{
	long max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	return (int)max;
}

/* Close-on-exec, so that helpers started from other threads do not keep
 * our pipes open. */
static int
ca_exec_pipe(int fds[2])
{
	if (pipe(fds) == -1)
		return -1;
	if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fds[1], F_SETFD, FD_CLOEXEC) == -1) {
		int e = errno;

		ca_exec_close(&fds[0]);
		ca_exec_close(&fds[1]);
		errno = e;
		return -1;
	}
	return 0;
}

static int
ca_exec_spawn(const struct ca_exec *ce, char *const envp[],
	      struct ca_exec_run *run)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int report[2] = { -1, -1 };
	int child_fds[4], maxfd, e = 0, rc = -1;
	ssize_t n;

	if (ca_exec_pipe(in) == -1 || ca_exec_pipe(out) == -1 ||
	    ca_exec_pipe(err) == -1 || ca_exec_pipe(report) == -1) {
		err_set(ERR_FAILED, "CA %s: cannot create a pipe: %s",
			ce->description, strerror(errno));
		goto out;
	}
	child_fds[0] = in[0];
	child_fds[1] = out[1];
	child_fds[2] = err[1];
	child_fds[3] = report[1];
	maxfd = ca_exec_maxfd();
	if ((run->pid = fork()) == -1) {
		err_set(ERR_FAILED, "CA %s: cannot start the helper: %s",
			ce->description, strerror(errno));
		goto out;
	}
	if (run->pid == 0)
		ca_exec_child(ce, envp, child_fds, maxfd);
	/* Also here, so that a timeout right away still finds the group. */
	(void)setpgid(run->pid, run->pid);
	ca_exec_close(&in[0]);
	ca_exec_close(&out[1]);
	ca_exec_close(&err[1]);
	ca_exec_close(&report[1]);

	/* EOF: execve worked. An int: the errno that stopped it. */
	do
		n = read(report[0], &e, sizeof(e));
	while (n == -1 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		err_set(ERR_FAILED, "CA %s: cannot run the helper: %s",
			ce->description, strerror(e));
		goto out;
	}
	if (fcntl(in[1], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(out[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(err[0], F_SETFL, O_NONBLOCK) == -1) {
		err_set(ERR_FAILED, "CA %s: fcntl: %s", ce->description,
			strerror(errno));
		goto out;
	}
	run->fd_in = in[1];
	run->fd_out = out[0];
	run->fd_err = err[0];
	in[1] = out[0] = err[0] = -1;
	rc = 0;
out:
	ca_exec_close(&in[0]);
	ca_exec_close(&in[1]);
	ca_exec_close(&out[0]);
	ca_exec_close(&out[1]);
	ca_exec_close(&err[0]);
	ca_exec_close(&err[1]);
	ca_exec_close(&report[0]);
	ca_exec_close(&report[1]);
	return rc;
}

static int64_t
ca_exec_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append what FD has to BUF, which keeps at most BUF->max bytes and
 * notes when there was more. 1: more may come, 0: EOF, -1: error. */
static int
ca_exec_drain(int fd, struct ca_exec_buf *buf)
{
	unsigned char scratch[16384];
	ssize_t n;
	size_t keep;

	for (;;) {
		n = read(fd, scratch, sizeof(scratch));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n <= 0)
			return (int)n;
		keep = (size_t)n;
		if (keep > buf->max - buf->len) {
			keep = buf->max - buf->len;
			buf->overflow = true;
		}
		if (buf->len + keep > buf->cap) {
			size_t cap = buf->cap ? buf->cap : 16384;
			unsigned char *grown;

			while (cap < buf->len + keep)
				cap *= 2;
			if (cap > buf->max)
				cap = buf->max;
			if ((grown = realloc(buf->data, cap + 1)) == NULL)
				return -1;
			buf->data = grown;
			buf->cap = cap;
		}
		if (keep > 0)
			memcpy(buf->data + buf->len, scratch, keep);
		buf->len += keep;
		if (buf->overflow)
			return 1;
	}
}

/* Feed the request to the helper's stdin. A helper that closed it early
 * is not an error: the request is in its environment too. */
static void
ca_exec_feed(struct ca_exec_run *run)
{
	ssize_t n;

	while (run->csr_sent < run->csr_len) {
		n = write(run->fd_in, run->csr + run->csr_sent,
			  run->csr_len - run->csr_sent);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1)
			break;  /* EPIPE: SIGPIPE is blocked by our caller */
		run->csr_sent += (size_t)n;
	}
	ca_exec_close(&run->fd_in);
}

static void
ca_exec_kill(struct ca_exec_run *run)
{
	/* The whole group: a helper's own children go with it. */
	if (!run->reaped)
		(void)kill(-run->pid, SIGKILL);
}

static bool
ca_exec_try_reap(struct ca_exec_run *run, int options)
{
	pid_t r;

	do
		r = waitpid(run->pid, &run->status, options);
	while (r == -1 && errno == EINTR);
	if (r == run->pid)
		run->reaped = true;
	else if (r == -1 && errno == ECHILD)
		run->reaped = run->lost = true;
	return run->reaped;
}

/* One poll round over whichever pipes are still open. -1 on a failure
 * recorded for DESCRIPTION. */
static int
ca_exec_poll_once(const struct ca_exec *ce, struct ca_exec_run *run,
		  int timeout_ms)
{
	struct pollfd pfd[3];
	nfds_t n = 0;
	int r, more, i;

	if (run->fd_in >= 0)
		pfd[n++] = (struct pollfd){ run->fd_in, POLLOUT, 0 };
	if (run->fd_out >= 0)
		pfd[n++] = (struct pollfd){ run->fd_out, POLLIN, 0 };
	if (run->fd_err >= 0)
		pfd[n++] = (struct pollfd){ run->fd_err, POLLIN, 0 };
	if (n == 0) {
		/* All pipes closed: wait for the exit itself. */
		if (timeout_ms > CA_EXEC_REAP_POLL_MS)
			timeout_ms = CA_EXEC_REAP_POLL_MS;
		if (!ca_exec_try_reap(run, WNOHANG))
			(void)poll(NULL, 0, timeout_ms);
		return 0;
	}
	r = poll(pfd, n, timeout_ms);
	if (r == -1 && errno == EINTR)
		return 0;
	if (r == -1)
		return err_set(ERR_FAILED, "CA %s: poll: %s", ce->description,
			       strerror(errno));
	for (i = 0; i < (int)n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (pfd[i].fd == run->fd_in) {
			ca_exec_feed(run);
			continue;
		}
		if (pfd[i].fd == run->fd_out) {
			if ((more = ca_exec_drain(run->fd_out, &run->out)) <= 0)
				ca_exec_close(&run->fd_out);
		} else if ((more = ca_exec_drain(run->fd_err, &run->err)) <= 0)
			ca_exec_close(&run->fd_err);
		if (more == -1)
			return err_set(ERR_FAILED, "CA %s: reading the "
				       "helper's output: %s", ce->description,
				       strerror(errno));
	}
	return 0;
}

/* Talk to the started helper until it has exited and closed its pipes,
 * or until the timeout or the size limit stops it. */
static int
ca_exec_converse(const struct ca_exec *ce, struct ca_exec_run *run)
{
	int64_t deadline, left;
	int rc = -1;

	deadline = ca_exec_now_ms() + (int64_t)ce->timeout_seconds * 1000;
	ca_exec_feed(run);
	while (!run->reaped) {
		left = deadline - ca_exec_now_ms();
		if (left <= 0) {
			err_set(ERR_FAILED, "CA %s: the CA helper did not answer "
				"within %d seconds", ce->description,
				ce->timeout_seconds);
			goto out;
		}
		if (ca_exec_poll_once(ce, run, left > INT_MAX ? INT_MAX :
				      (int)left) == -1)
			goto out;
		if (run->out.overflow) {
			err_set(ERR_FAILED, "CA %s: the CA helper's answer is "
				"larger than %zu bytes", ce->description,
				ce->max_answer);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc == -1)
		ca_exec_kill(run);
	ca_exec_close(&run->fd_in);
	ca_exec_close(&run->fd_out);
	ca_exec_close(&run->fd_err);
	if (!run->reaped)
		ca_exec_try_reap(run, 0);
	return rc;
}

/* ---- what the exit status means ------------------------------------ */

enum ca_exec_detail {
	CA_EXEC_NO_DETAIL,
	CA_EXEC_OUT_OR_ERR,     /* certmonger helpers put the reason on stdout */
};

static const struct {
	int code;
	const char *meaning;
	enum ca_exec_detail detail;
} ca_exec_exits[] = {
	{ 1, "the CA has not issued the certificate yet (it asked to wait)",
	  CA_EXEC_NO_DETAIL },
	{ 2, "the CA rejected the request", CA_EXEC_OUT_OR_ERR },
	{ 3, "the CA could not be reached", CA_EXEC_OUT_OR_ERR },
	{ 4, "the CA helper is not configured correctly", CA_EXEC_OUT_OR_ERR },
	{ 5, "the CA has not issued the certificate yet (it asked to wait)",
	  CA_EXEC_NO_DETAIL },
};

/* The first non-blank line of BUF, made safe to print: a terminal must
 * not see the helper's control characters. */
static void
ca_exec_first_line(const struct ca_exec_buf *buf, char *line, size_t size)
{
	size_t i = 0, n = 0;

	while (i < buf->len && (buf->data[i] == ' ' || buf->data[i] == '\t' ||
				buf->data[i] == '\r' || buf->data[i] == '\n'))
		i++;
	for (; i < buf->len && buf->data[i] != '\n' && buf->data[i] != '\r' &&
	     n + 4 < size; i++) {
		unsigned char c = buf->data[i];

		line[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	while (n > 0 && line[n - 1] == ' ')
		n--;
	if (i < buf->len && buf->data[i] != '\n' && buf->data[i] != '\r') {
		memcpy(line + n, "...", 3);
		n += 3;
	}
	line[n] = '\0';
}

static int
ca_exec_fail_with_line(const struct ca_exec *ce, const char *what,
		       const char *line)
{
	if (*line == '\0')
		return err_set(ERR_FAILED, "CA %s: %s (no reason given)",
			       ce->description, what);
	return err_set(ERR_FAILED, "CA %s: %s: %s", ce->description, what, line);
}

static int
ca_exec_verdict(const struct ca_exec *ce, const struct ca_exec_run *run)
{
	char line[CA_EXEC_LINE_MAX + 4], what[64];
	int code;
	size_t i;

	if (run->lost)
		return err_set(ERR_FAILED, "CA %s: cannot learn how the CA "
			       "helper ended (is SIGCHLD ignored?)",
			       ce->description);
	if (WIFEXITED(run->status) && WEXITSTATUS(run->status) == 0)
		return 0;
	if (WIFEXITED(run->status)) {
		code = WEXITSTATUS(run->status);
		for (i = 0; i < sizeof(ca_exec_exits) / sizeof(ca_exec_exits[0]);
		     i++) {
			if (ca_exec_exits[i].code != code)
				continue;
			if (ca_exec_exits[i].detail == CA_EXEC_NO_DETAIL)
				return err_set(ERR_FAILED, "CA %s: %s",
					       ce->description,
					       ca_exec_exits[i].meaning);
			ca_exec_first_line(&run->out, line, sizeof(line));
			if (*line == '\0')
				ca_exec_first_line(&run->err, line, sizeof(line));
			return ca_exec_fail_with_line(ce,
			    ca_exec_exits[i].meaning, line);
		}
		snprintf(what, sizeof(what), "the CA helper failed (exit %d)",
			 code);
	} else if (WIFSIGNALED(run->status))
		snprintf(what, sizeof(what), "the CA helper failed (signal %d)",
			 WTERMSIG(run->status));
	else
		snprintf(what, sizeof(what), "the CA helper failed (status %d)",
			 run->status);
	ca_exec_first_line(&run->err, line, sizeof(line));
	return ca_exec_fail_with_line(ce, what, line);
}

/* ---- submit ---------------------------------------------------------- */

static int
ca_exec_submit(void *state, const char *csr_pem, const char *role,
	       unsigned char **answer, size_t *len)
{
	const struct ca_exec *ce = state;
	struct ca_exec_run run = {
		.pid = -1, .fd_in = -1, .fd_out = -1, .fd_err = -1,
		.out = { .max = ce->max_answer },
		.err = { .max = CA_EXEC_STDERR_MAX },
	};
	sigset_t pipe_set, old_mask, pending;
	bool masked = false, was_pending = false;
	char **envp = NULL;
	int rc = -1;

	*answer = NULL;
	*len = 0;
	if (ca_exec_env_new(ce, csr_pem, role, &envp) == -1)
		goto out;
	run.csr = csr_pem;
	run.csr_len = strlen(csr_pem);

	/* A helper that never reads its stdin must not kill us with
	 * SIGPIPE. Blocked in this thread only; a SIGPIPE raised here is
	 * consumed before the mask comes back. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE) == 1;
	if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask) == 0)
		masked = true;

	if (ca_exec_spawn(ce, envp, &run) == -1)
		goto out;
	if (ca_exec_converse(ce, &run) == -1)
		goto out;
	if (ca_exec_verdict(ce, &run) == -1)
		goto out;
	if (run.out.data == NULL && (run.out.data = malloc(1)) == NULL) {
		err_set(ERR_FAILED, "CA %s: out of memory", ce->description);
		goto out;
	}
	run.out.data[run.out.len] = '\0';
	*answer = run.out.data;
	*len = run.out.len;
	run.out.data = NULL;
	rc = 0;
out:
	if (run.pid > 0 && !run.reaped) {
		/* Only when spawning failed after the fork. */
		ca_exec_kill(&run);
		ca_exec_try_reap(&run, 0);
	}
	if (masked) {
		struct timespec zero = { 0, 0 };

		sigpending(&pending);
		if (!was_pending && sigismember(&pending, SIGPIPE) == 1)
			(void)sigtimedwait(&pipe_set, NULL, &zero);
		pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	}
	free(run.out.data);
	free(run.err.data);
	ca_exec_argv_free(envp);
	return rc;
}

const struct ca_backend ca_exec_backend = {
	.scheme = "exec",
	.open = ca_exec_open,
	.submit = ca_exec_submit,
	.describe = ca_exec_describe,
	.free = ca_exec_free,
};
