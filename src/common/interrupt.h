/* interrupt.h - SIGINT, SIGTERM and SIGHUP end a run like a failure.
 *
 * The handler only records the signal. The core looks at the record where
 * it waits (for a CA helper, an HTTP answer, a retry delay, a PIN) and
 * between the steps of a role, fails there with an error that says so, and
 * the usual failure path removes what the run made. Once the command has
 * cleaned up, the process ends by the same signal, as a shell expects.
 */
#ifndef P11E_INTERRUPT_H
#define P11E_INTERRUPT_H

#include <stdint.h>

/* Catch SIGINT, SIGTERM and SIGHUP from now on (without SA_RESTART, so a
 * blocking wait returns EINTR), except those the process was started with
 * ignored. */
void interrupt_catch(void);

/* The signal caught, or 0. */
int interrupt_signal(void);

/* -1 with "interrupted by SIGNAME" recorded when a signal was caught,
 * else 0. */
int interrupt_check(void);

/* Sleep MS milliseconds; -1 (recorded as by interrupt_check) when a
 * signal cuts the sleep short. */
int interrupt_sleep_ms(int64_t ms);

/* After the cleanup: end the process by the caught signal, if any. */
void interrupt_reraise(void);

#endif
