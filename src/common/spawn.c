/* SPDX-License-Identifier: MIT */
/* spawn.c - run a program without a shell, bounded in time and output. */
#include "config.h"

#include <sys/prctl.h>
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

#include "array.h"
#include "err.h"
#include "interrupt.h"
#include "util.h"
#include "spawn.h"
#include "text.h"

/* How often to look for the exit once the pipes are closed. */
#define SPAWN_REAP_POLL_MS 50

#if defined(HAVE_CLOSEFROM) || defined(__OpenBSD__) || \
    defined(__FreeBSD__) || defined(__NetBSD__) || \
    (defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34))
#define SPAWN_CLOSEFROM 1
#endif

/* One run: the parent's ends of the pipes, what came back, and how the
 * program ended. */
struct spawn_state {
	pid_t pid;
	int fd_in, fd_out, fd_err;
	const char *input;
	size_t input_len, input_sent;
	struct spawn_output out, err;
	int status;
	bool reaped;
	bool lost;              /* reaped by someone else: status unknown */
};

/* ---- the child ---------------------------------------------------- */

/* Signals that a caller may have set to be ignored; the helper starts
 * with the defaults, as it would from a shell. */
static const int spawn_default_signals[] = {
	SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGALRM,
	SIGUSR1, SIGUSR2,
};

static void
spawn_child_fail(int report_fd)
{
	int e = errno;
	ssize_t unused;

	unused = write(report_fd, &e, sizeof(e));
	(void)unused;
	_exit(127);
}

/* Runs between fork and execve: async-signal-safe calls only, since the
 * caller may have other threads. FDS are the helper's stdin, stdout,
 * stderr and the close-on-exec pipe that reports a failed execve; PARENT
 * is the caller's pid. */
static void
spawn_child(const struct spawn_job *job, const int fds[4],
	      int maxfd, pid_t parent)
{
	struct sigaction dfl;
	sigset_t none;
	int high[4];
	int i;

	(void)setpgid(0, 0);
	/* The helper dies with us, even by SIGKILL, when nothing of ours is
	 * left to kill its group. The death signal follows the thread that
	 * forked, which waits for the helper to end. A parent gone before
	 * the prctl is caught by the getppid() check. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		spawn_child_fail(fds[3]);
	if (getppid() != parent)
		_exit(127);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (i = 0; i < (int)(sizeof(spawn_default_signals) /
			      sizeof(spawn_default_signals[0])); i++)
		(void)sigaction(spawn_default_signals[i], &dfl, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	/* Out of the way first, so no dup2 below overwrites a source. */
	for (i = 0; i < 4; i++) {
		if ((high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 4)) == -1)
			spawn_child_fail(fds[3]);
	}
	for (i = 0; i < 4; i++) {
		if (dup2(high[i], i) == -1)
			spawn_child_fail(high[3]);
	}
	if (fcntl(3, F_SETFD, FD_CLOEXEC) == -1)
		spawn_child_fail(3);
#ifdef SPAWN_CLOSEFROM
	(void)maxfd;
	closefrom(4);
#else
	for (i = 4; i < maxfd; i++)
		(void)close(i);
#endif
	execve(job->path, job->argv, job->envp);
	spawn_child_fail(3);
}

/* ---- the parent --------------------------------------------------- */

static void
spawn_close(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

/* Largest descriptor number to close in the child, computed before fork
 * because sysconf is not async-signal-safe. */
static int
spawn_maxfd(void)
{
	long max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	return (int)max;
}

/* Close-on-exec from the start, so that a helper started from another
 * thread between pipe() and fcntl() cannot inherit our pipes. */
static int
spawn_pipe(int fds[2])
{
	return pipe2(fds, O_CLOEXEC);
}

static int
spawn_start(const struct spawn_job *job,
	      struct spawn_state *run)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int report[2] = { -1, -1 };
	int child_fds[4], maxfd, e = 0, rc = -1;
	pid_t parent = getpid();
	ssize_t n;

	if (spawn_pipe(in) == -1 || spawn_pipe(out) == -1 ||
	    spawn_pipe(err) == -1 || spawn_pipe(report) == -1) {
		err_set(ERR_FAILED, "%s: cannot create a pipe: %s",
			job->what, strerror(errno));
		goto out;
	}
	child_fds[0] = in[0];
	child_fds[1] = out[1];
	child_fds[2] = err[1];
	child_fds[3] = report[1];
	maxfd = spawn_maxfd();
	if ((run->pid = fork()) == -1) {
		err_set(ERR_FAILED, "%s: cannot start %s: %s",
			job->what, job->who, strerror(errno));
		goto out;
	}
	if (run->pid == 0)
		spawn_child(job, child_fds, maxfd, parent);
	/* Also here, so that a timeout right away still finds the group. */
	(void)setpgid(run->pid, run->pid);
	spawn_close(&in[0]);
	spawn_close(&out[1]);
	spawn_close(&err[1]);
	spawn_close(&report[1]);

	/* EOF: execve worked. An int: the errno that stopped it. */
	do
		n = read(report[0], &e, sizeof(e));
	while (n == -1 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		err_set(ERR_FAILED, "%s: cannot run %s: %s",
			job->what, job->who, strerror(e));
		goto out;
	}
	if (fcntl(in[1], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(out[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(err[0], F_SETFL, O_NONBLOCK) == -1) {
		err_set(ERR_FAILED, "%s: fcntl: %s", job->what,
			strerror(errno));
		goto out;
	}
	run->fd_in = in[1];
	run->fd_out = out[0];
	run->fd_err = err[0];
	in[1] = out[0] = err[0] = -1;
	rc = 0;
out:
	spawn_close(&in[0]);
	spawn_close(&in[1]);
	spawn_close(&out[0]);
	spawn_close(&out[1]);
	spawn_close(&err[0]);
	spawn_close(&err[1]);
	spawn_close(&report[0]);
	spawn_close(&report[1]);
	return rc;
}

/* Append what FD has to BUF, which keeps at most BUF->max bytes and
 * notes when there was more. 1: more may come, 0: EOF, -1: error. */
static int
spawn_drain(int fd, struct spawn_output *buf)
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
		if (keep > 0) {
			/* Room for the NUL that spawn_run() adds. */
			unsigned char *grown = array_grow(buf->data, &buf->cap,
							  buf->len + keep + 1, 1);

			if (grown == NULL)
				return -1;
			buf->data = grown;
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
spawn_feed(struct spawn_state *run)
{
	ssize_t n;

	while (run->input_sent < run->input_len) {
		n = write(run->fd_in, run->input + run->input_sent,
			  run->input_len - run->input_sent);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1)
			break;  /* EPIPE: SIGPIPE is blocked by our caller */
		run->input_sent += (size_t)n;
	}
	spawn_close(&run->fd_in);
}

static void
spawn_kill(struct spawn_state *run)
{
	/* The whole group: a helper's own children go with it. */
	if (!run->reaped)
		(void)kill(-run->pid, SIGKILL);
}

static bool
spawn_try_reap(struct spawn_state *run, int options)
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

/* One poll round over whichever pipes are still open. The signal pipe
 * ends the round at once, so that the caller finds a signal that came
 * before the round began. -1 on a failure recorded for DESCRIPTION. */
static int
spawn_poll_once(const struct spawn_job *job, struct spawn_state *run,
		  int timeout_ms)
{
	struct pollfd pfd[4];
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
		if (timeout_ms > SPAWN_REAP_POLL_MS)
			timeout_ms = SPAWN_REAP_POLL_MS;
		pfd[0] = (struct pollfd){ interrupt_fd(), POLLIN, 0 };
		if (!spawn_try_reap(run, WNOHANG))
			(void)poll(pfd, 1, timeout_ms);
		return 0;
	}
	/* Last, and never one of ours: the loop below skips it. */
	pfd[n] = (struct pollfd){ interrupt_fd(), POLLIN, 0 };
	r = poll(pfd, n + 1, timeout_ms);
	if (r == -1 && errno == EINTR)
		return 0;
	if (r == -1)
		return err_set(ERR_FAILED, "%s: poll: %s", job->what,
			       strerror(errno));
	for (i = 0; i < (int)n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (pfd[i].fd == run->fd_in) {
			spawn_feed(run);
			continue;
		}
		if (pfd[i].fd == run->fd_out) {
			if ((more = spawn_drain(run->fd_out, &run->out)) <= 0)
				spawn_close(&run->fd_out);
		} else if ((more = spawn_drain(run->fd_err, &run->err)) <= 0)
			spawn_close(&run->fd_err);
		if (more == -1)
			return err_set(ERR_FAILED, "%s: reading what %s "
				       "printed: %s", job->what, job->who,
				       strerror(errno));
	}
	return 0;
}

/* Talk to the started helper until it has exited and closed its pipes,
 * or until the timeout or the size limit stops it. */
static int
spawn_converse(const struct spawn_job *job, struct spawn_state *run)
{
	int64_t deadline, left;
	int rc = -1;

	deadline = util_now_ms() + (int64_t)job->timeout_seconds * 1000;
	spawn_feed(run);
	while (!run->reaped) {
		if (interrupt_check() < 0) {
			err_prefix("%s", job->what);
			goto out;
		}
		left = deadline - util_now_ms();
		if (left <= 0) {
			err_set(ERR_FAILED, "%s: %s did not answer within "
				"%d seconds", job->what, job->who,
				job->timeout_seconds);
			goto out;
		}
		if (spawn_poll_once(job, run, left > INT_MAX ? INT_MAX :
				      (int)left) == -1)
			goto out;
		if (run->out.overflow) {
			err_set(ERR_FAILED, "%s: %s's answer is larger than "
				"%zu bytes", job->what, job->who, job->max_out);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc == -1)
		spawn_kill(run);
	spawn_close(&run->fd_in);
	spawn_close(&run->fd_out);
	spawn_close(&run->fd_err);
	if (!run->reaped)
		spawn_try_reap(run, 0);
	return rc;
}

void
spawn_first_line(const struct spawn_output *buf, char *line, size_t size)
{
	text_first_line((const char *)buf->data, buf->len, line, size);
}

void
spawn_result_clear(struct spawn_result *res)
{
	if (res == NULL)
		return;
	free(res->out.data);
	free(res->err.data);
	memset(res, 0, sizeof(*res));
}

/* Give BUF its terminating NUL; it has room for it when it has data. */
static int
spawn_terminate(struct spawn_output *buf)
{
	if (buf->data == NULL && (buf->data = malloc(1)) == NULL)
		return -1;
	buf->data[buf->len] = '\0';
	return 0;
}

int
spawn_run(const struct spawn_job *job, struct spawn_result *res)
{
	struct spawn_state run = {
		.pid = -1, .fd_in = -1, .fd_out = -1, .fd_err = -1,
		.input = job->input, .input_len = job->input_len,
		.out = { .max = job->max_out },
		.err = { .max = job->max_err },
	};
	sigset_t pipe_set, old_mask, pending;
	bool masked = false, was_pending = false;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	/* A program that never reads its stdin must not kill us with
	 * SIGPIPE. Blocked in this thread only; a SIGPIPE raised here is
	 * consumed before the mask comes back. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE) == 1;
	if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask) == 0)
		masked = true;

	if (spawn_start(job, &run) == -1 || spawn_converse(job, &run) == -1)
		goto out;
	if (run.lost) {
		err_set(ERR_FAILED, "%s: cannot learn how %s ended (is SIGCHLD "
			"ignored?)", job->what, job->who);
		goto out;
	}
	if (spawn_terminate(&run.out) == -1 || spawn_terminate(&run.err) == -1) {
		err_set(ERR_FAILED, "%s: out of memory", job->what);
		goto out;
	}
	res->out = run.out;
	res->err = run.err;
	res->status = run.status;
	memset(&run.out, 0, sizeof(run.out));
	memset(&run.err, 0, sizeof(run.err));
	rc = 0;
out:
	if (run.pid > 0 && !run.reaped) {
		/* Only when starting failed after the fork. */
		spawn_kill(&run);
		spawn_try_reap(&run, 0);
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
	return rc;
}
