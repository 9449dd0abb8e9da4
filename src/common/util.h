/* SPDX-License-Identifier: MIT */
/* util.h - small helpers shared by the core and the commands. */
#ifndef P11E_UTIL_H
#define P11E_UTIL_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The number of elements of array A. */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Lower-case hex of LEN bytes; caller frees. NULL on allocation failure. */
char *util_hex(const unsigned char *data, size_t len);

/* Copy a blank-padded PKCS#11 string field of LEN bytes into OUT (LEN+1
 * bytes) without the trailing blanks. */
void util_p11_string(char *out, const unsigned char *field, size_t len);

/* Read a whole file of at most MAX bytes; caller frees *OUT. -1 on error
 * with the reason recorded. *OUT is NUL-terminated (not counted in *LEN). */
int util_read_file(const char *path, size_t max, unsigned char **out, size_t *len);

/* Open PATH for reading as a stream, only if it is a regular file: a
 * FIFO, device or directory is refused (the open itself never blocks, so
 * a FIFO without a writer cannot hang the caller). NULL on error with the
 * reason recorded and errno kept from the failing call (ENOENT for a file
 * that is not there). */
FILE *util_fopen_regular(const char *path);
/* util_read_file() of the open FD, from where it stands; PATH names it
 * in messages. */
int util_read_fd(int fd, const char *path, size_t max, unsigned char **out,
		 size_t *len);

/* Open PATH for writing (FLAGS: O_WRONLY or O_RDWR, with O_APPEND or
 * O_TRUNC), as a private file of this user: created with mode 0600, or
 * an existing regular file that this user owns and that has no other
 * name (one hard link). A symbolic link (also a planted one: it is never
 * followed), a FIFO, a device, another user's file or a file with more
 * links is refused (ERR_USAGE) and left as it was: O_TRUNC cuts only a
 * file that passed. A file open to group or others is tightened to 0600
 * when TIGHTEN, else refused. The message is the reason alone, for the
 * caller to put the file's role and path in front. *FD is close-on-exec. */
int util_open_private(const char *path, int flags, bool tighten, int *fd);

/* strdup that records an error on failure. */
char *util_strdup(const char *s);

/* Milliseconds of the monotonic clock, for deadlines. */
int64_t util_now_ms(void);

#endif
