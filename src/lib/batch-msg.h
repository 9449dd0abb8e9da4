/* batch-msg.h - what the two sides of a batch say to each other: one
 * JSON object or word per line over a socket pair.
 *
 * parent -> worker: a row's index ("7"), or "ack" once a started role
 * is in the journal.
 * worker -> parent: {"row": 7, "role": 0, "state": "started"}, then
 * "done" (with "serial", "sha256", "not_after"), "awaiting" or "failed"
 * (with "error") for the same role; {"row": 7, "end": true} (with "error"
 * when the row itself failed) when the row is over.
 */
#ifndef P11E_BATCH_MSG_H
#define P11E_BATCH_MSG_H

#include <stddef.h>

#include <jansson.h>

#define BATCH_LINE_MAX 16384

/* Send DOC (stolen) as one line on FD. */
int batch_send_json(int fd, json_t *doc);

/* Send WORD and a newline on FD. */
int batch_send_word(int fd, const char *word);

/* Read one line from FD into LINE (SIZE bytes, NUL-terminated, newline
 * dropped), a byte at a time: the worker reads little. 1: a line, 0: end
 * of file, -1: an error. */
int batch_read_line(int fd, char *line, size_t size);

#endif
