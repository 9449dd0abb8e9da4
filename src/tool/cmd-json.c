/* SPDX-License-Identifier: MIT */
/* cmd-json.c - the commands' JSON documents (see cmd-json.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd-json.h"
#include "text.h"
#include "util.h"

/* S as a JSON string: as it is when it is valid UTF-8, else escaped. */
static json_t *
cmd_json_string(const char *s, size_t len)
{
	char *shown;
	json_t *v;

	if (text_is_utf8(s, len))
		return json_stringn(s, len);
	if ((shown = text_shown_dup(s)) == NULL)
		return NULL;
	v = json_string(shown);
	free(shown);
	return v;
}

/* S's bytes in hex as a JSON string. */
static json_t *
cmd_json_hex(const char *s, size_t len)
{
	char *hex = util_hex((const unsigned char *)s, len);
	json_t *v = hex != NULL ? json_string(hex) : NULL;

	free(hex);
	return v;
}

/* Set KEY_hex of OBJ to V (stolen). */
static int
cmd_json_set_hex(json_t *obj, const char *key, json_t *v)
{
	char name[128];

	if (v == NULL || (size_t)snprintf(name, sizeof(name), "%s_hex", key) >=
	    sizeof(name)) {
		json_decref(v);
		return -1;
	}
	return json_object_set_new(obj, name, v);
}

int
cmd_json_set_text(json_t *obj, const char *key, const char *s)
{
	size_t len;

	if (obj == NULL)
		return -1;
	if (s == NULL)
		return json_object_set_new(obj, key, json_null());
	len = strlen(s);
	if (json_object_set_new(obj, key, cmd_json_string(s, len)) < 0)
		return -1;
	if (text_is_utf8(s, len))
		return 0;
	return cmd_json_set_hex(obj, key, cmd_json_hex(s, len));
}

int
cmd_json_set_texts(json_t *obj, const char *key, char *const *v, size_t n)
{
	json_t *list = json_array(), *hex = NULL;
	size_t i;
	bool all_utf8 = true;

	for (i = 0; i < n; i++) {
		cmd_json_append(&list, cmd_json_string(v[i], strlen(v[i])));
		all_utf8 = all_utf8 && text_is_utf8(v[i], strlen(v[i]));
	}
	if (!all_utf8) {
		hex = json_array();
		for (i = 0; i < n; i++)
			cmd_json_append(&hex, cmd_json_hex(v[i], strlen(v[i])));
	}
	if (obj == NULL || list == NULL || (!all_utf8 && hex == NULL)) {
		json_decref(list);
		json_decref(hex);
		return -1;
	}
	if (json_object_set_new(obj, key, list) < 0) {
		json_decref(hex);
		return -1;
	}
	return all_utf8 ? 0 : cmd_json_set_hex(obj, key, hex);
}

void
cmd_json_append(json_t **list, json_t *item)
{
	if (*list != NULL && item != NULL && json_array_append_new(*list, item) == 0)
		return;
	if (*list != NULL && item != NULL)
		/* json_array_append_new() released ITEM already. */
		item = NULL;
	json_decref(item);
	json_decref(*list);
	*list = NULL;
}

/* json_dump_callback()'s writer: the document in ASCII (JSON_ENSURE_ASCII)
 * but for DEL, which JSON leaves as it is; a DEL can only be inside a
 * string, where \u007f means the same. */
static int
cmd_json_write(const char *buf, size_t size, void *data)
{
	FILE *f = data;
	size_t i, start = 0;

	for (i = 0; i < size; i++) {
		if (buf[i] != 0x7f)
			continue;
		fwrite(buf + start, 1, i - start, f);
		fputs("\\u007f", f);
		start = i + 1;
	}
	fwrite(buf + start, 1, size - start, f);
	return ferror(f) ? -1 : 0;
}

int
cmd_json_print(json_t *doc)
{
	int rc = -1;

	if (doc == NULL) {
		fprintf(stderr, "p11enroll: cannot make the JSON document "
			"(out of memory)\n");
		return -1;
	}
	errno = 0;
	/* ASCII, so that the document shows nothing raw on a terminal
	 * either: what it carries is the same once decoded. */
	if (json_dump_callback(doc, cmd_json_write, stdout, JSON_INDENT(2) |
			       JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) < 0 ||
	    fputc('\n', stdout) == EOF || fflush(stdout) == EOF)
		fprintf(stderr, "p11enroll: cannot write the JSON document: %s\n",
			errno != 0 ? strerror(errno) : "write error");
	else
		rc = 0;
	json_decref(doc);
	return rc;
}
