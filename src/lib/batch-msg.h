/* SPDX-License-Identifier: MIT */
/* batch-msg.h - what the two sides of a batch say to each other: one
 * JSON object or word per line over a socket pair.
 *
 * parent -> worker: a row's index ("7"), or "ack" once a started role
 * is in the journal.
 * worker -> parent: {"row": 7, "role": 0, "state": "started"}, then
 * "done" (with "serial", "sha256", "not_after", and "present": true for a
 * role found complete on the token instead of enrolled; "chain", the CA
 * certificates as PEM strings, and "uris", the object URIs, for the
 * report), "awaiting" or "failed" (with "error" and its "code") for the
 * same role; {"row": 7, "end": true} (with "error" and "code" when the
 * row itself failed) when the row is over.
 */
#ifndef P11E_BATCH_MSG_H
#define P11E_BATCH_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "batch-job.h"
#include "journal.h"

/* Room for a "done" line with a chain of eight RSA-4096 CA certificates
 * as PEM. */
#define BATCH_LINE_MAX 65536

/* One line from a worker, checked. The strings are borrowed from DOC. */
struct batch_news {
	json_t *doc;
	size_t row;
	bool end;               /* the row is over; no role or state */
	size_t role;            /* < the row's nprofiles */
	enum journal_state state;
	const char *error, *code, *serial, *sha256, *not_after; /* or NULL */
	bool present;           /* done: found complete on the token */
	json_t *chain;          /* borrowed: an array of strings, or NULL */
	json_t *uris;           /* borrowed: an object or JSON null, or NULL */
};

/* Send DOC (stolen) as one line on FD. */
int batch_send_json(int fd, json_t *doc);

/* Send WORD and a newline on FD. */
int batch_send_word(int fd, const char *word);

/* Read one line from FD into LINE (SIZE bytes, NUL-terminated, newline
 * dropped), a byte at a time: the worker reads little. 1: a line, 0: end
 * of file, -1: an error. */
int batch_read_line(int fd, char *line, size_t size);

/* Parse LINE from the worker that was handed row EXPECT_ROW of JOB (-1:
 * none, the worker is idle) into *NEWS. A line that is not the protocol,
 * or that speaks of another row or of a role the row does not have, is an
 * error: its numbers index the batch's arrays. */
int batch_news_parse(const struct batch_job *job, long expect_row,
		     const char *line, struct batch_news *news);

/* Release what *NEWS holds and zero it. */
void batch_news_clear(struct batch_news *news);

#endif
