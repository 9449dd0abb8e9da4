/* SPDX-License-Identifier: MIT */
/* cmd-json.h - the commands' JSON documents, and outside text in them.
 *
 * A string from outside (a token, a certificate, a CA, a file) goes into
 * a document through cmd_json_set_text(): valid UTF-8 as it is (the
 * document is written in ASCII, every other character and every control
 * as a JSON escape, so it shows nothing raw on a terminal either);
 * anything else, which a JSON string cannot
 * carry, as text_printable() writes it, with its bytes in hex in a
 * sibling member "KEY_hex", so that nothing is lost (p11enroll(1), JSON
 * OUTPUT). Entries go into arrays through cmd_json_append(), which drops
 * the whole array when one entry cannot be made: a document is written
 * whole or not at all, and then the command fails.
 */
#ifndef P11E_CMD_JSON_H
#define P11E_CMD_JSON_H

#include <stddef.h>

#include <jansson.h>

/* Set member KEY of OBJ to the outside string S (NULL: null), and
 * KEY_hex to its bytes in hex when S is not valid UTF-8. -1 when OBJ is
 * NULL or memory runs out. */
int cmd_json_set_text(json_t *obj, const char *key, const char *s);

/* Set member KEY of OBJ to an array of the N outside strings V; when one
 * of them is not valid UTF-8, KEY_hex is an array of the bytes of each
 * in hex, in the same order. -1 when OBJ is NULL or memory runs out. */
int cmd_json_set_texts(json_t *obj, const char *key, char *const *v, size_t n);

/* Append ITEM (stolen) to *LIST. When ITEM is NULL or cannot be added,
 * *LIST is released and set to NULL, so that the document built from it
 * fails as a whole instead of missing an entry. */
void cmd_json_append(json_t **list, json_t *item);

/* Print DOC (stolen) as the command's JSON document on stdout. -1, with
 * a message on stderr, when DOC is NULL (a part of it could not be made)
 * or it cannot be written: the command then fails. */
int cmd_json_print(json_t *doc);

#endif
