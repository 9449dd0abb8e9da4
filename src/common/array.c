/* SPDX-License-Identifier: MIT */
/* array.c - growing arrays (see array.h). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "array.h"
#include "err.h"

/* The fewest elements an array grows to, so that small ones do not move
 * at every addition. */
#define ARRAY_MIN 8

void *
array_grow(void *array, size_t *cap, size_t need, size_t size)
{
	size_t want;
	void *grown;

	if (need <= *cap)
		return array;
	want = *cap > SIZE_MAX / 2 ? SIZE_MAX : 2 * *cap;
	if (want < ARRAY_MIN)
		want = ARRAY_MIN;
	if (want < need)
		want = need;
	/* Doubling may pass what memory can hold where NEED does not. */
	if (size != 0 && want > SIZE_MAX / size)
		want = need;
	if (size == 0 || want > SIZE_MAX / size ||
	    (grown = realloc(array, want * size)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		return NULL;
	}
	*cap = want;
	return grown;
}
