/* SPDX-License-Identifier: MIT */
/* array.h - room for one more element: the one place that grows arrays
 * and buffers, geometrically and with the size arithmetic checked, so
 * that no caller multiplies a count by a size itself.
 */
#ifndef P11E_ARRAY_H
#define P11E_ARRAY_H

#include <stddef.h>

/* Room in ARRAY for NEED elements of SIZE bytes. ARRAY has room for *CAP
 * elements (NULL and 0 at first); when that is too few, it moves to one
 * with at least twice the room, and *CAP says how much. Returns the array
 * to use from now on, or NULL with "out of memory" recorded when the size
 * would overflow or memory runs out; ARRAY and *CAP are then as they
 * were, and ARRAY still the caller's to free. */
void *array_grow(void *array, size_t *cap, size_t need, size_t size);

#endif
