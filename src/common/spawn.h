/* SPDX-License-Identifier: MIT */
/* spawn.h - run a program the safe way: execve with an argument vector
 * and an environment built by the caller (no shell, nothing inherited),
 * input on its stdin, what it prints bounded in size and its run bounded
 * in time. Its children die with it.
 */
#ifndef P11E_SPAWN_H
#define P11E_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

struct spawn_job {
	const char *what;       /* what messages open with:
				 * "CA exec:/usr/bin/helper" */
	const char *who;        /* the program in a sentence: "the CA helper" */
	const char *path;       /* the program */
	char *const *argv;      /* NULL-terminated */
	char *const *envp;      /* NULL-terminated: the whole environment */
	const char *input;      /* written to stdin; a program that does not
				 * read it all is not an error */
	size_t input_len;
	int timeout_seconds;    /* the whole run */
	size_t max_out;         /* stdout beyond this is an error */
	size_t max_err;         /* stderr beyond this is dropped */
};

/* What the program printed, NUL-terminated when not NULL. */
struct spawn_output {
	unsigned char *data;
	size_t len, cap, max;
	bool overflow;          /* more arrived than MAX */
};

struct spawn_result {
	struct spawn_output out, err;
	int status;             /* as from waitpid */
};

/* Run JOB to its end. 0: it ran and RES says how it ended; -1: it could
 * not be started, or it was stopped (timeout, too much output, lost exit
 * status), with a message naming JOB->what. */
int spawn_run(const struct spawn_job *job, struct spawn_result *res);

/* Free what RES holds and zero it. */
void spawn_result_clear(struct spawn_result *res);

/* The first non-blank line of OUT into LINE (SIZE bytes, at least 4),
 * made safe for a terminal by text_first_line(); "..." marks a cut. */
void spawn_first_line(const struct spawn_output *out, char *line, size_t size);

#endif
