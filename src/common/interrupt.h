/* SPDX-License-Identifier: MIT */
/* interrupt.h - SIGINT, SIGTERM and SIGHUP end a run like a failure.
 *
 * The handler only records the signal and wakes the waits: it writes a
 * byte into a pipe whose read end stays readable from then on, so a wait
 * that polls interrupt_fd() ends at once, whether the signal came before
 * the wait began or during it. The core looks at the record where it
 * waits (for a CA helper, an HTTP answer, a retry delay, a PIN, a batch
 * worker) and between the steps of a role, fails there with an error that
 * says so, and the usual failure path removes what the run made. Once the
 * command has cleaned up, the process ends by the same signal, as a shell
 * expects.
 */
#ifndef P11E_INTERRUPT_H
#define P11E_INTERRUPT_H

#include <stdint.h>

/* Catch SIGINT, SIGTERM and SIGHUP from now on (without SA_RESTART, so a
 * blocking wait returns EINTR), except those the process was started with
 * ignored. */
void interrupt_catch(void);

/* In a child made by fork() that goes on running this program (not one
 * that calls execve): a wake-up pipe of its own, so that a signal for one
 * process wakes only that process's waits. */
void interrupt_after_fork(void);

/* A descriptor that is readable once a signal was caught, for poll()
 * beside the descriptors a wait is for; -1 when interrupt_catch() was not
 * called (or could not make its pipe: then waits rely on EINTR). Never
 * read it: it stays readable. */
int interrupt_fd(void);

/* The signal caught, or 0. */
int interrupt_signal(void);

/* -1 with "interrupted by SIGNAME" recorded when a signal was caught,
 * else 0. */
int interrupt_check(void);

/* Sleep MS milliseconds; -1 (recorded as by interrupt_check) when a
 * signal was caught before or during the sleep, which it then cuts
 * short. */
int interrupt_sleep_ms(int64_t ms);

/* After the cleanup: end the process by the caught signal, if any. */
void interrupt_reraise(void);

#endif
