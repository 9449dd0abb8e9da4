/* SPDX-License-Identifier: MIT */
/* testfiles.h - a temporary directory of files for parser tests. */
#ifndef P11E_TESTFILES_H
#define P11E_TESTFILES_H

#include <stddef.h>

/* The directory made by tmpdir_setup(). */
extern char tmpdir[];

/* Fixture set-up: a fresh temporary directory in tmpdir. */
void tmpdir_setup(void);

/* Fixture tear-down: remove tmpdir with everything in it. */
void tmpdir_teardown(void);

/* Write TEXT to tmpdir/NAME (under SUBDIR when given, made if needed);
 * the path goes in PATH. Fails the running test on error. */
void write_file(const char *subdir, const char *name, const char *text,
		char *path, size_t size);

#endif
