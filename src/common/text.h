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

#include <stdbool.h>
#include <stddef.h>

/* The size of a buffer that holds any LEN bytes as text_printable()
 * writes them, with the NUL: an escape is 4 bytes for 1. */
#define TEXT_PRINTABLE_SIZE(len) (4 * (len) + 1)

/* The LEN bytes at IN into OUT (SIZE bytes, at least 1), made safe and
 * NUL-terminated. Only whole characters and whole escapes are written:
 * returns how many bytes of IN went in, less than LEN when OUT was too
 * small. */
size_t text_printable(const char *in, size_t len, char *out, size_t size);

/* The first non-blank line of the LEN bytes at IN into LINE (SIZE bytes,
 * at least 4) as text_printable() writes it, without trailing blanks;
 * "..." marks a cut. */
void text_first_line(const char *in, size_t len, char *line, size_t size);

/* Whether the LEN bytes at IN are valid UTF-8 (RFC 3629), which is what
 * JSON can carry as a string. */
bool text_is_utf8(const char *in, size_t len);

/* The string S (NULL is "") as text_printable() writes it into BUF (SIZE
 * bytes, at least 4), "..." marking a cut; returns BUF, so that it can be
 * an argument of a message where outside text enters it. */
const char *text_shown(const char *s, char *buf, size_t size);

/* The string S as text_printable() writes it, whole, in a new string
 * (NULL is ""); NULL when out of memory. Caller frees. */
char *text_shown_dup(const char *s);

/* The columns S (NULL is "") takes as text_printable() writes it: one a
 * character. */
size_t text_columns(const char *s);

/* Room for a table cell of WIDTH columns: each may be a 4-byte UTF-8
 * character, and the NUL. */
#define TEXT_CELL_SIZE(width) (4 * (width) + 1)

/* The string S (NULL is ""), as text_printable() writes it, as a cell of
 * a text table into BUF (SIZE bytes, at least TEXT_CELL_SIZE(WIDTH)):
 * padded with blanks to WIDTH columns, or cut to WIDTH columns with an
 * ellipsis (U+2026) as its last when longer, so that one long field
 * never shifts the columns after it. A character counts one column.
 * Returns BUF. */
const char *text_cell(const char *s, size_t width, char *buf, size_t size);

/* A message of ours (LEN bytes at IN) for the terminal, into OUT (SIZE
 * bytes, at least 4): as text_printable() writes it, but its newlines
 * kept, since p11enroll writes the lines of its own messages (a list of
 * candidates, one per indented line). Outside text is escaped where it
 * enters a message (text_shown()), so none of these newlines is its;
 * this is the second line of defence for everything else. "..." marks a
 * cut. */
void text_message(const char *in, size_t len, char *out, size_t size);

#endif
