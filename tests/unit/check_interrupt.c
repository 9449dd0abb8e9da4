/* SPDX-License-Identifier: MIT */
/* check_interrupt.c - a caught signal wakes every wait at once: one that
 * came before the wait began, and one delivered to another thread. */
#include "config.h"

#include <sys/wait.h>

#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "interrupt.h"
#include "util.h"

/* "At once", with room for a loaded machine and valgrind; every sleep
 * asked for below is far longer. */
#define PROMPT_MS 2000
#define LONG_MS 20000

static bool
readable(int fd)
{
	struct pollfd pfd = { fd, POLLIN, 0 };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

START_TEST(test_sleep_without_signal)
{
	int64_t start;

	interrupt_catch();
	ck_assert_int_ge(interrupt_fd(), 0);
	ck_assert(!readable(interrupt_fd()));
	start = util_now_ms();
	ck_assert_int_eq(interrupt_sleep_ms(200), 0);
	ck_assert_int_ge(util_now_ms() - start, 200);
	ck_assert_int_eq(interrupt_sleep_ms(-5), 0);
}
END_TEST

/* The old sleep looked at the signal only once nanosleep() was cut short
 * or over: a signal caught just before it was slept through. */
START_TEST(test_sleep_after_signal)
{
	int64_t start;

	interrupt_catch();
	ck_assert_int_eq(raise(SIGTERM), 0);
	ck_assert_int_eq(interrupt_signal(), SIGTERM);
	ck_assert(readable(interrupt_fd()));
	start = util_now_ms();
	ck_assert_int_eq(interrupt_sleep_ms(LONG_MS), -1);
	ck_assert_int_lt(util_now_ms() - start, PROMPT_MS);
	ck_assert_str_eq(err_message(), "interrupted by SIGTERM");
	/* It stays readable: every later wait ends too. */
	ck_assert(readable(interrupt_fd()));
}
END_TEST

static void *
raise_later(void *arg)
{
	(void)arg;
	usleep(100 * 1000);
	raise(SIGHUP);          /* to this thread, not the sleeping one */
	return NULL;
}

/* The handler runs in another thread: no EINTR reaches the sleeper, only
 * the pipe wakes it. */
START_TEST(test_sleep_signal_in_other_thread)
{
	sigset_t hup;
	pthread_t thread;
	int64_t start;

	interrupt_catch();
	/* The thread starts with SIGHUP open, then the sleeper blocks it. */
	start = util_now_ms();
	ck_assert_int_eq(pthread_create(&thread, NULL, raise_later, NULL), 0);
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &hup, NULL), 0);
	ck_assert_int_eq(interrupt_sleep_ms(LONG_MS), -1);
	ck_assert_int_lt(util_now_ms() - start, PROMPT_MS);
	ck_assert_str_eq(err_message(), "interrupted by SIGHUP");
	pthread_join(thread, NULL);
}
END_TEST

/* A forked child that goes on running has a pipe of its own: its signal
 * does not wake the parent, and the parent's does not wake it. */
START_TEST(test_after_fork)
{
	int status = 0;
	pid_t pid;

	interrupt_catch();
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		interrupt_after_fork();
		raise(SIGTERM);
		_exit(interrupt_sleep_ms(LONG_MS) == -1 &&
		      readable(interrupt_fd()) ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(interrupt_signal(), 0);
	ck_assert(!readable(interrupt_fd()));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("interrupt");
	TCase *tc = tcase_create("waits");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_sleep_without_signal);
	tcase_add_test(tc, test_sleep_after_signal);
	tcase_add_test(tc, test_sleep_signal_in_other_thread);
	tcase_add_test(tc, test_after_fork);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	/* Each test catches signals in a process of its own. */
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
