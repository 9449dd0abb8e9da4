/* SPDX-License-Identifier: MIT */
/* interrupt.c - SIGINT, SIGTERM and SIGHUP end a run like a failure. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "interrupt.h"
#include "util.h"

static volatile sig_atomic_t interrupt_caught;

/* The wake-up pipe, both ends close-on-exec and non-blocking (a full pipe
 * loses nothing: it is readable already). The handler writes only in the
 * process that made the pipe: a child between fork() and execve() (or
 * before interrupt_after_fork()) shares it, and its signals must not wake
 * the parent. */
static volatile sig_atomic_t interrupt_wake_read = -1;
static volatile sig_atomic_t interrupt_wake_write = -1;
static volatile sig_atomic_t interrupt_owner;

static const int interrupt_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void
interrupt_handler(int sig)
{
	int saved_errno = errno;
	ssize_t unused;

	if (interrupt_caught == 0)
		interrupt_caught = sig;
	if (interrupt_wake_write >= 0 && getpid() == interrupt_owner) {
		unused = write(interrupt_wake_write, "!", 1);
		(void)unused;
	}
	errno = saved_errno;
}

/* A new wake-up pipe for this process, made with the signals blocked so
 * that the handler never sees half of it; readable at once when a signal
 * came before. Without a pipe, waits still end by EINTR. */
static void
interrupt_make_pipe(void)
{
	sigset_t block, old;
	int fds[2];
	size_t i;
	ssize_t unused;

	sigemptyset(&block);
	for (i = 0; i < NELEM(interrupt_signals); i++)
		sigaddset(&block, interrupt_signals[i]);
	(void)sigprocmask(SIG_BLOCK, &block, &old);
	if (interrupt_wake_read >= 0)
		(void)close(interrupt_wake_read);
	if (interrupt_wake_write >= 0)
		(void)close(interrupt_wake_write);
	interrupt_wake_read = interrupt_wake_write = -1;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
		interrupt_wake_read = fds[0];
		interrupt_wake_write = fds[1];
		interrupt_owner = getpid();
		if (interrupt_caught != 0) {
			unused = write(fds[1], "!", 1);
			(void)unused;
		}
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
}

void
interrupt_catch(void)
{
	struct sigaction sa;
	struct sigaction old;
	size_t i;

	interrupt_make_pipe();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = interrupt_handler;
	sigemptyset(&sa.sa_mask);
	/* A signal ignored from the start stays ignored: nohup's SIGHUP, a
	 * background job's SIGINT. */
	for (i = 0; i < NELEM(interrupt_signals); i++)
		if (sigaction(interrupt_signals[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			(void)sigaction(interrupt_signals[i], &sa, NULL);
}

void
interrupt_after_fork(void)
{
	if (interrupt_wake_read >= 0)
		interrupt_make_pipe();
}

int
interrupt_fd(void)
{
	return interrupt_wake_read;
}

int
interrupt_signal(void)
{
	return interrupt_caught;
}

int
interrupt_check(void)
{
	int sig = interrupt_caught;

	if (sig == 0)
		return 0;
	err_set(ERR_FAILED, "interrupted by %s", sig == SIGINT ? "SIGINT" :
		sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal");
	return err_tag(ERR_CODE_INTERRUPTED);
}

int
interrupt_sleep_ms(int64_t ms)
{
	struct pollfd pfd = { interrupt_fd(), POLLIN, 0 };
	int64_t deadline, left;

	deadline = util_now_ms() + (ms > 0 ? ms : 0);
	/* The flag first, then a poll that the pipe ends at once: a signal
	 * between the two is not slept through. */
	while (interrupt_check() == 0) {
		left = deadline - util_now_ms();
		if (left <= 0)
			return 0;
		(void)poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
	}
	return -1;
}

void
interrupt_reraise(void)
{
	struct sigaction dfl;
	sigset_t set;
	int sig = interrupt_caught;

	if (sig == 0)
		return;
	/* What the command printed is not lost with the process. */
	(void)fflush(NULL);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	(void)sigaction(sig, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)raise(sig);
}
