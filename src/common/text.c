/* SPDX-License-Identifier: MIT */
/* text.c - outside text made safe for a terminal (see text.h). */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "util.h"

/* Characters that are escaped: the C0 controls, DEL with the C1 controls
 * (U+0080..U+009F), and the bidi embeddings, overrides and isolates. */
static const struct {
	uint32_t first, last;
} text_escaped[] = {
	{ 0x0000, 0x001f },
	{ 0x007f, 0x009f },
	{ 0x202a, 0x202e },
	{ 0x2066, 0x2069 },
};

/* The ranges of the second byte of a UTF-8 sequence by its lead byte
 * (RFC 3629 4): these bounds refuse overlong forms, surrogates and code
 * points past U+10FFFF. */
static const struct {
	unsigned char lead_first, lead_last;
	size_t len;
	unsigned char next_first, next_last;
} text_utf8[] = {
	{ 0xc2, 0xdf, 2, 0x80, 0xbf },
	{ 0xe0, 0xe0, 3, 0xa0, 0xbf },
	{ 0xe1, 0xec, 3, 0x80, 0xbf },
	{ 0xed, 0xed, 3, 0x80, 0x9f },
	{ 0xee, 0xef, 3, 0x80, 0xbf },
	{ 0xf0, 0xf0, 4, 0x90, 0xbf },
	{ 0xf1, 0xf3, 4, 0x80, 0xbf },
	{ 0xf4, 0xf4, 4, 0x80, 0x8f },
};

/* The length of the valid UTF-8 character at S (LEN bytes left) and its
 * code point in *CP; 0 when S does not start one. */
static size_t
text_utf8_char(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t i, k;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	for (i = 0; i < NELEM(text_utf8); i++)
		if (s[0] >= text_utf8[i].lead_first &&
		    s[0] <= text_utf8[i].lead_last)
			break;
	if (i == NELEM(text_utf8) || len < text_utf8[i].len ||
	    s[1] < text_utf8[i].next_first || s[1] > text_utf8[i].next_last)
		return 0;
	*cp = s[0] & (0x7f >> text_utf8[i].len);
	for (k = 1; k < text_utf8[i].len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[k] & 0x3f);
	}
	return text_utf8[i].len;
}

static bool
text_is_escaped(uint32_t cp)
{
	size_t i;

	for (i = 0; i < NELEM(text_escaped); i++)
		if (cp >= text_escaped[i].first && cp <= text_escaped[i].last)
			return true;
	return false;
}

size_t
text_printable(const char *in, size_t len, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, n = 0, clen, k;
	uint32_t cp = 0;
	bool escape;

	while (i < len) {
		clen = text_utf8_char(s + i, len - i, &cp);
		/* A byte that starts no character is escaped on its own;
		 * what follows it is looked at afresh. */
		escape = clen == 0 || text_is_escaped(cp);
		if (clen == 0)
			clen = 1;
		if (n + (escape ? 4 * clen : clen) >= size)
			break;
		for (k = 0; k < clen; k++) {
			if (escape)
				n += (size_t)snprintf(out + n, 5, "\\x%02x",
						      s[i + k]);
			else
				out[n++] = (char)s[i + k];
		}
		i += clen;
	}
	if (size > 0)
		out[n] = '\0';
	return i;
}

static bool
text_blank(char c)
{
	return c != '\0' && strchr(" \t\r\n\v\f", c) != NULL;
}

void
text_first_line(const char *in, size_t len, char *line, size_t size)
{
	size_t start = 0, end, used, n;

	while (start < len && text_blank(in[start]))
		start++;
	for (end = start; end < len && in[end] != '\n' && in[end] != '\r';
	     end++)
		;
	while (end > start && text_blank(in[end - 1]))
		end--;
	/* Room for "..." when the line does not fit. */
	used = text_printable(in + start, end - start, line, size - 3);
	if (used == end - start)
		return;
	n = strlen(line);
	while (n > 0 && line[n - 1] == ' ')
		n--;
	memcpy(line + n, "...", 4);
}

bool
text_is_utf8(const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, clen;
	uint32_t cp;

	while (i < len) {
		if ((clen = text_utf8_char(s + i, len - i, &cp)) == 0)
			return false;
		i += clen;
	}
	return true;
}

/* LEN bytes at IN at N in OUT (SIZE bytes, at least N + 4) as
 * text_printable() writes them, "..." after a cut (*CUT then true); the
 * new length, at most SIZE - 4 without a cut. */
static size_t
text_put(const char *in, size_t len, char *out, size_t n, size_t size, bool *cut)
{
	size_t used = text_printable(in, len, out + n, size - n - 3);

	n += strlen(out + n);
	*cut = used < len;
	if (*cut) {
		memcpy(out + n, "...", 4);
		n += 3;
	}
	return n;
}

const char *
text_shown(const char *s, char *buf, size_t size)
{
	bool cut;

	if (s == NULL)
		s = "";
	text_put(s, strlen(s), buf, 0, size, &cut);
	return buf;
}

/* The byte offset in S after its first N characters (or its length),
 * moved back to the start of a \xHH escape that it would split. */
static size_t
text_chars_end(const char *s, size_t n)
{
	size_t i, k;

	for (i = 0; s[i] != '\0'; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && n-- == 0)
			break;
	for (k = i > 3 ? i - 3 : 0; s[i] != '\0' && k < i; k++)
		if (s[k] == '\\' && s[k + 1] == 'x')
			return k;
	return i;
}

size_t
text_columns(const char *s)
{
	char *shown = text_shown_dup(s);
	size_t i, cols = 0;

	for (i = 0; shown != NULL && shown[i] != '\0'; i++)
		cols += ((unsigned char)shown[i] & 0xc0) != 0x80;
	free(shown);
	return cols;
}

const char *
text_cell(const char *s, size_t width, char *buf, size_t size)
{
	static const char ellipsis[] = "\xe2\x80\xa6";
	char *shown = text_shown_dup(s);
	const char *p = shown != NULL ? shown : "?";
	size_t len = strlen(p), end = text_chars_end(p, width), cols = 0;
	size_t used;

	/* Longer than the cell: up to WIDTH - 1 characters and the
	 * ellipsis. */
	if (end < len && width > 0)
		end = text_chars_end(p, width - 1);
	if (end + sizeof(ellipsis) + width > size)
		end = 0;
	for (used = 0; used < end; used++)
		cols += ((unsigned char)p[used] & 0xc0) != 0x80;
	cols += end < len && width > 0;
	memcpy(buf, p, end);
	used = end;
	if (end < len && width > 0) {
		memcpy(buf + used, ellipsis, sizeof(ellipsis) - 1);
		used += sizeof(ellipsis) - 1;
	}
	for (; cols < width; cols++)
		buf[used++] = ' ';
	buf[used] = '\0';
	free(shown);
	return buf;
}

char *
text_shown_dup(const char *s)
{
	size_t len, size;
	char *out;

	if (s == NULL)
		s = "";
	len = strlen(s);
	size = TEXT_PRINTABLE_SIZE(len);
	if ((out = malloc(size)) != NULL)
		text_printable(s, len, out, size);
	return out;
}

void
text_message(const char *in, size_t len, char *out, size_t size)
{
	const char *nl;
	size_t start = 0, end, n = 0;
	bool cut = false;

	out[0] = '\0';
	for (;;) {
		nl = memchr(in + start, '\n', len - start);
		end = nl != NULL ? (size_t)(nl - in) : len;
		n = text_put(in + start, end - start, out, n, size, &cut);
		if (nl == NULL || cut)
			return;
		/* A newline, and room for the next line's cut mark. */
		if (n + 5 > size) {
			memcpy(out + n, "...", 4);
			return;
		}
		out[n++] = '\n';
		out[n] = '\0';
		start = end + 1;
	}
}
