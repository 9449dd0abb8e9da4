/* SPDX-License-Identifier: MIT */
/* text.h - text from outside (a CA's answer, a helper's output) made safe
 * to show on a terminal.
 *
 * A terminal acts on more than the C0 controls: 0x9b alone is a CSI on
 * many of them, U+0080..U+009F are the same controls in UTF-8, and the
 * bidi controls reorder what follows so that a line reads otherwise than
 * it is. All of these, and every byte that is not part of valid UTF-8,
 * are written as \xHH escapes, one per byte; valid UTF-8 otherwise stays
 * as it is, so that a CA's message in any language can be read.
 */
#ifndef P11E_TEXT_H
#define P11E_TEXT_H

#include <stddef.h>

/* The LEN bytes at IN into OUT (SIZE bytes, at least 1), made safe and
 * NUL-terminated. Only whole characters and whole escapes are written:
 * returns how many bytes of IN went in, less than LEN when OUT was too
 * small. */
size_t text_printable(const char *in, size_t len, char *out, size_t size);

/* The first non-blank line of the LEN bytes at IN into LINE (SIZE bytes,
 * at least 4) as text_printable() writes it, without trailing blanks;
 * "..." marks a cut. */
void text_first_line(const char *in, size_t len, char *line, size_t size);

#endif
