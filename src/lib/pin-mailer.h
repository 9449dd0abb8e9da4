/* SPDX-License-Identifier: MIT */
/* pin-mailer.h - new user PINs: made at random, and kept in one private
 * file (the "PIN mailer", printed or mailed to the card holders) and
 * nowhere else: not on stdout, not in logs, not in the journal.
 */
#ifndef P11E_PIN_MAILER_H
#define P11E_PIN_MAILER_H

#include <stddef.h>

#define PIN_MAILER_DIGITS 8

/* A PIN of DIGITS random decimal digits; free it with pin_free(). */
int pin_generate(size_t digits, char **out);

/* Open PATH for appending, created with mode 0600; an existing file must
 * be this user's private file (util_open_private()): a symbolic link,
 * another user's file, a file with other names (hard links) or one that
 * others may read is refused. *FD is close-on-exec. */
int pin_mailer_open(const char *path, int *fd);

/* Append the CSV line "LABEL,SERIAL,PIN" to the mailer FD in one write
 * and sync it, before the PIN is set on the token: a crash never leaves
 * a token with a PIN nobody has. The file's last line for a token is its
 * PIN. */
int pin_mailer_write(int fd, const char *label, const char *serial,
		     const char *pin);

/* The PIN the mailer at PATH holds for the token LABEL with SERIAL (its
 * last line for them); ERR_FAILED when it has none. Free it with
 * pin_free(). */
int pin_mailer_lookup(const char *path, const char *label, const char *serial,
		      char **pin);

#endif
