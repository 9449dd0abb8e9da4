/* SPDX-License-Identifier: MIT */
/* tty.c - a secret typed at the controlling terminal. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "err.h"
#include "interrupt.h"
#include "tty.h"
#include "util.h"

/* Signals that would end or stop the process with echo off: caught while
 * the prompt waits, and sent again once the terminal is back. SIGINT,
 * SIGTERM and SIGHUP are interrupt.c's, which ends the run by them. */
static const int tty_signals[] = {
	SIGQUIT, SIGALRM, SIGPIPE, SIGUSR1, SIGUSR2, SIGTSTP, SIGTTIN, SIGTTOU,
};

static volatile sig_atomic_t tty_caught;

static void
tty_handler(int sig)
{
	tty_caught = sig;
}

/* What the prompt changes in the process, to be put back. */
struct tty_saved {
	struct termios term;
	bool term_saved;
	struct sigaction actions[NELEM(tty_signals)];
	bool caught[NELEM(tty_signals)];
	sigset_t mask;
};

/* Catch the signals above (not one ignored from the start) and block them
 * with interrupt.c's, which the wait unblocks only inside ppoll(): a
 * signal comes either before the wait, and ppoll() returns at once, or
 * during it. */
static void
tty_signals_take(struct tty_saved *saved)
{
	struct sigaction sa;
	sigset_t block;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_handler;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	for (i = 0; i < NELEM(tty_signals); i++) {
		sigaddset(&block, tty_signals[i]);
		saved->caught[i] = sigaction(tty_signals[i], NULL,
					     &saved->actions[i]) == 0 &&
			saved->actions[i].sa_handler != SIG_IGN &&
			sigaction(tty_signals[i], &sa, NULL) == 0;
	}
	(void)sigprocmask(SIG_BLOCK, &block, &saved->mask);
}

/* The handlers and the mask as they were; a signal caught meanwhile is
 * sent again, now that the terminal is back. */
static void
tty_signals_give_back(struct tty_saved *saved)
{
	int sig = tty_caught;
	size_t i;

	tty_caught = 0;
	for (i = 0; i < NELEM(tty_signals); i++)
		if (saved->caught[i])
			(void)sigaction(tty_signals[i], &saved->actions[i], NULL);
	(void)sigprocmask(SIG_SETMASK, &saved->mask, NULL);
	if (sig != 0)
		(void)kill(getpid(), sig);
}

static bool
tty_is_stop(int sig)
{
	return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Write all of TEXT to FD; a short or failed write is not an error: the
 * prompt is a courtesy, the read is what counts. */
static void
tty_write(int fd, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;

	while (len > 0) {
		n = write(fd, text, len);
		if (n <= 0)
			return;
		text += n;
		len -= (size_t)n;
	}
}

/* Read the line into BUF a byte at a time until a line end, end of file,
 * a caught signal or an error. 0: a line; 1: a signal; -1: an error. */
static int
tty_read_line(int fd, const sigset_t *wait_mask, char *buf, size_t size,
	      size_t *len)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	sigset_t blocked;
	char c = 0;
	ssize_t n;
	int rc = -1;

	*len = 0;
	for (;;) {
		if (tty_caught != 0 || interrupt_signal() != 0) {
			rc = 1;
			goto out;
		}
		if (ppoll(&pfd, 1, NULL, wait_mask) == -1) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		n = read(fd, &c, 1);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1)
			goto out;
		if (n == 0 || c == '\n')
			break;
		if (*len + 1 < size)
			buf[(*len)++] = c;
	}
	/* When the line and a signal came together, ppoll() reported the
	 * line and left the signal pending: let it in, and it wins (^C then
	 * Enter is no PIN). */
	(void)sigprocmask(SIG_SETMASK, wait_mask, &blocked);
	(void)sigprocmask(SIG_SETMASK, &blocked, NULL);
	if (tty_caught != 0 || interrupt_signal() != 0) {
		rc = 1;
		goto out;
	}
	if (*len > 0 && buf[*len - 1] == '\r')
		(*len)--;
	buf[*len] = '\0';
	rc = 0;
out:
	OPENSSL_cleanse(&c, sizeof(c));
	return rc;
}

/* One prompt with echo off. 0: a line; 1: stopped by a signal, ask
 * again; -1: failed, recorded. */
static int
tty_ask(int fd, const char *prompt, char *buf, size_t size, size_t *len)
{
	struct tty_saved saved;
	struct termios quiet;
	int sig, r, e, rc = -1;

	memset(&saved, 0, sizeof(saved));
	tty_signals_take(&saved);
	/* Echo off, and type-ahead dropped, before the prompt shows: what
	 * is typed once it is there is read, and never echoed. */
	if (tcgetattr(fd, &saved.term) == 0) {
		saved.term_saved = true;
		quiet = saved.term;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		(void)tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	tty_write(fd, prompt);
	r = tty_read_line(fd, &saved.mask, buf, size, len);
	e = errno;
	if (saved.term_saved)
		(void)tcsetattr(fd, TCSAFLUSH, &saved.term);
	tty_write(fd, "\n");
	sig = tty_caught;
	if (r == -1)
		err_set(ERR_FAILED, "cannot read from the terminal: %s",
			strerror(e));
	else if (r == 1 && tty_is_stop(sig))
		rc = 1;
	else if (r == 1 && interrupt_check() == 0)
		err_set(ERR_FAILED, "interrupted by signal %d", sig);
	else if (r == 0)
		rc = 0;
	tty_signals_give_back(&saved);
	return rc;
}

int
tty_read_secret(const char *prompt, char *buf, size_t size, size_t *len)
{
	int fd = -1, r, rc = -1;

	*len = 0;
	if (size == 0)
		return err_set(ERR_FAILED, "no room for what is typed");
	buf[0] = '\0';
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err_set(ERR_USAGE, "no terminal");
		goto out;
	}
	/* A stop at the prompt (^Z) leaves it with the terminal as it was;
	 * once continued, it asks again from the start. */
	while ((r = tty_ask(fd, prompt, buf, size, len)) == 1)
		OPENSSL_cleanse(buf, size);
	rc = r;
out:
	if (rc < 0) {
		OPENSSL_cleanse(buf, size);
		*len = 0;
	}
	if (fd >= 0)
		(void)close(fd);
	return rc;
}
