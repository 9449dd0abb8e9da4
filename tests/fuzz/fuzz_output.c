/* SPDX-License-Identifier: MIT */
/* fuzz_output.c - the output layer: any bytes as text for the terminal
 * (text_shown_dup, text_message) must hold no control but the message's
 * own newlines, no DEL, no C1 control and no bidi control, in valid
 * UTF-8; and through cmd_json_set_text() and cmd_json_set_texts() into a
 * document dumped as p11enroll dumps it (ASCII), they must read back as
 * valid JSON and give the same bytes (the string, or its _hex sibling). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd-json.h"
#include "text.h"

/* TEXT is valid UTF-8 with nothing a terminal acts on; NEWLINES: may
 * hold '\n'. */
static void
fuzz_check_text(const char *text, int newlines)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i, len = strlen(text);

	if (!text_is_utf8(text, len))
		abort();
	for (i = 0; i < len; i++) {
		if ((s[i] < 0x20 && !(newlines && s[i] == '\n')) || s[i] == 0x7f)
			abort();
		/* U+0080..U+009F */
		if (s[i] == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
			abort();
		/* U+202A..U+202E, U+2066..U+2069 */
		if (s[i] == 0xe2 && i + 2 < len &&
		    ((s[i + 1] == 0x80 && s[i + 2] >= 0xaa && s[i + 2] <= 0xae) ||
		     (s[i + 1] == 0x81 && s[i + 2] >= 0xa6 && s[i + 2] <= 0xa9)))
			abort();
	}
}

static int
fuzz_unhex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* VALUE (a string) with HEX (a string or NULL) gives back the LEN bytes
 * at WANT. */
static void
fuzz_check_value(json_t *value, json_t *hex, const char *want, size_t len)
{
	const char *h;
	size_t i;
	int hi, lo;

	if (!json_is_string(value))
		abort();
	if (hex == NULL) {
		if (json_string_length(value) != len ||
		    memcmp(json_string_value(value), want, len) != 0)
			abort();
		return;
	}
	h = json_string_value(hex);
	if (h == NULL || strlen(h) != 2 * len)
		abort();
	for (i = 0; i < len; i++) {
		hi = fuzz_unhex(h[2 * i]);
		lo = fuzz_unhex(h[2 * i + 1]);
		if (hi < 0 || lo < 0 || (char)(hi * 16 + lo) != want[i])
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), *shown, *message, *dumped;
	json_t *doc, *back;
	json_error_t error;
	size_t len, msize;

	if (in == NULL)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';
	len = strlen(in);       /* outside strings are C strings */

	if ((shown = text_shown_dup(in)) == NULL)
		abort();
	fuzz_check_text(shown, 0);
	msize = TEXT_PRINTABLE_SIZE(len);
	if ((message = malloc(msize)) == NULL)
		abort();
	text_message(in, len, message, msize);
	fuzz_check_text(message, 1);

	doc = json_object();
	if (cmd_json_set_text(doc, "s", in) < 0 ||
	    cmd_json_set_texts(doc, "a", &in, 1) < 0)
		abort();
	dumped = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
			    JSON_ENSURE_ASCII);
	if (dumped == NULL)
		abort();
	back = json_loads(dumped, 0, &error);
	if (back == NULL)
		abort();
	fuzz_check_value(json_object_get(back, "s"), json_object_get(back, "s_hex"),
			 in, len);
	fuzz_check_value(json_array_get(json_object_get(back, "a"), 0),
			 json_array_get(json_object_get(back, "a_hex"), 0), in, len);
	if ((json_object_get(back, "s_hex") == NULL) != text_is_utf8(in, len))
		abort();

	json_decref(back);
	free(dumped);
	json_decref(doc);
	free(message);
	free(shown);
	free(in);
	return 0;
}
