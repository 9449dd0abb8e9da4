/* SPDX-License-Identifier: MIT */
/* trace.c - the timing trace's clock and its sink. */
#include "config.h"

#include <stddef.h>
#include <time.h>

#include "trace.h"

/* One process's trace: set once by the command, inherited by the
 * workers a batch forks. */
static void (*trace_sink)(const char *, const char *, double, double);
static struct timespec trace_begin, trace_last;

static double
trace_ms(const struct timespec *from, const struct timespec *to)
{
	return (double)(to->tv_sec - from->tv_sec) * 1e3 +
	       (double)(to->tv_nsec - from->tv_nsec) / 1e6;
}

void
trace_start(void (*sink)(const char *phase, const char *role,
			 double since_start_ms, double step_ms))
{
	clock_gettime(CLOCK_MONOTONIC, &trace_begin);
	trace_last = trace_begin;
	trace_sink = sink;
}

void
trace_mark(const char *phase, const char *role)
{
	struct timespec now;

	if (trace_sink == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	trace_sink(phase, role, trace_ms(&trace_begin, &now),
		   trace_ms(&trace_last, &now));
	trace_last = now;
}
