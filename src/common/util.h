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

/* strdup that records an error on failure. */
char *util_strdup(const char *s);

/* Milliseconds of the monotonic clock, for deadlines. */
int64_t util_now_ms(void);

#endif
