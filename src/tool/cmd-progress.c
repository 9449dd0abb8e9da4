/* SPDX-License-Identifier: MIT */
/* cmd-progress.c - a spinner with the elapsed time while the token works.
 *
 * A card takes seconds to generate an RSA key and shows nothing while it
 * does. On a terminal, a line on standard error turns and counts the
 * seconds until the generation ends, then is erased; elsewhere (a pipe,
 * a log, a batch) nothing is printed. The line appears only after a
 * moment, so that quick operations leave no trace.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "keygen.h"

#define PROGRESS_TICK_MS 100
#define PROGRESS_QUIET_MS 500   /* shorter operations show nothing */

struct progress {
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	pthread_t thread;
	bool running;
	bool done;
	char what[64 + TEXT_PRINTABLE_SIZE(32)];
};

static struct progress progress = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.done_cond = PTHREAD_COND_INITIALIZER,
};

static long
progress_ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void *
progress_run(void *arg)
{
	static const char frames[] = "|/-\\";
	struct progress *p = arg;
	struct timespec start, until;
	bool shown = false;
	unsigned n = 0;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &start);
	pthread_mutex_lock(&p->lock);
	while (!p->done) {
		/* pthread_cond_timedwait() counts in CLOCK_REALTIME. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += PROGRESS_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->done_cond, &p->lock, &until);
		if (p->done)
			break;
		ms = progress_ms_since(&start);
		if (ms < PROGRESS_QUIET_MS)
			continue;
		fprintf(stderr, "\r%c %s ... %ld.%ld s ", frames[n++ % 4], p->what,
			ms / 1000, ms / 100 % 10);
		fflush(stderr);
		shown = true;
	}
	pthread_mutex_unlock(&p->lock);
	if (shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	return NULL;
}

static void
progress_begin(void *ctx, const char *what)
{
	struct progress *p = ctx;
	sigset_t all, saved;

	if (p->running)
		return;
	snprintf(p->what, sizeof(p->what), "%s", what);
	p->done = false;
	/* Signals stay with the main thread, whose handlers clean up. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	p->running = pthread_create(&p->thread, NULL, progress_run, p) == 0;
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

static void
progress_end(void *ctx)
{
	struct progress *p = ctx;

	if (!p->running)
		return;
	pthread_mutex_lock(&p->lock);
	p->done = true;
	pthread_cond_signal(&p->done_cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	p->running = false;
}

static const struct keygen_progress progress_hook = {
	progress_begin, progress_end, &progress,
};

void
cmd_progress_setup(const struct global_opts *g)
{
	keygen_set_progress(g->verbosity >= 0 && isatty(STDERR_FILENO) ?
			    &progress_hook : NULL);
}
