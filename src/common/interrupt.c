/* interrupt.c - SIGINT, SIGTERM and SIGHUP end a run like a failure. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "interrupt.h"

static volatile sig_atomic_t interrupt_caught;

static const int interrupt_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void
interrupt_handler(int sig)
{
	if (interrupt_caught == 0)
		interrupt_caught = sig;
}

void
interrupt_catch(void)
{
	struct sigaction sa;
	struct sigaction old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = interrupt_handler;
	sigemptyset(&sa.sa_mask);
	/* A signal ignored from the start stays ignored: nohup's SIGHUP, a
	 * background job's SIGINT. */
	for (i = 0; i < sizeof(interrupt_signals) / sizeof(interrupt_signals[0]); i++)
		if (sigaction(interrupt_signals[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			(void)sigaction(interrupt_signals[i], &sa, NULL);
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
	return err_set(ERR_FAILED, "interrupted by %s",
		       sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" :
		       sig == SIGHUP ? "SIGHUP" : "a signal");
}

int
interrupt_sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms < 0)
		ms = 0;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
		if (interrupt_check() < 0)
			return -1;
	}
	return interrupt_check();
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
