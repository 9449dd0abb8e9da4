/* SPDX-License-Identifier: MIT */
/* tty.h - a secret typed at the controlling terminal.
 *
 * Read with read(2) straight from /dev/tty, with echo off, into the
 * caller's buffer: no stdio buffer ever holds it. The terminal is put
 * back as it was on every way out, a signal included.
 */
#ifndef P11E_TTY_H
#define P11E_TTY_H

#include <stddef.h>

/* Show PROMPT on the controlling terminal and read one line with echo
 * off into BUF (SIZE bytes, NUL-terminated, the line end dropped); *LEN
 * is its length, SIZE - 1 with the rest dropped when the line was longer.
 * -1 with an error recorded: no terminal (ERR_USAGE), a caught SIGINT,
 * SIGTERM or SIGHUP ("interrupted by ..."), a read error. Another signal
 * that ends or stops the process does so with the terminal put back;
 * after a stop the prompt is asked again. BUF is wiped on failure. */
int tty_read_secret(const char *prompt, char *buf, size_t size, size_t *len);

#endif
