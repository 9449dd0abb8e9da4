/* SPDX-License-Identifier: MIT */
/* cmd-tokens.c - list slots and tokens. */
#include "config.h"

#include <stdio.h>

#include "cmd.h"
#include "keysupport.h"
#include "text.h"

/* One token as JSON, with the key algorithms it can do (null when the
 * module does not say or cannot be asked). */
static json_t *
cmd_tokens_json(struct module *m, const struct token_info *info)
{
	struct key_support ks;
	json_t *doc = cmd_json_token(info), *algs;

	if (doc != NULL && keysupport_read(module_functions(m), info->slot,
			    KEYSUPPORT_ALL_ALGS, &ks) == 0)
		algs = cmd_json_key_support(&ks);
	else
		algs = json_null();
	if (doc != NULL && json_object_set_new(doc, "key_algorithms", algs) == 0)
		return doc;
	json_decref(doc);
	return NULL;
}

/* The key algorithms the token generates, for the table. */
static void
cmd_tokens_keys(struct module *m, const struct token_info *info, char *buf,
		size_t size)
{
	struct key_support ks;

	if (keysupport_read(module_functions(m), info->slot,
			    KEYSUPPORT_ALL_ALGS, &ks) < 0 || !ks.known)
		snprintf(buf, size, "?");
	else
		keyalg_names(ks.sign, ",", buf, size);
}

static int
cmd_tokens_none(void *ctx, int opt, const char *arg)
{
	return EXIT_USAGE;
}

/* The widest label shown as it is: up to 32 columns (a label's bytes, an
 * escape taking four), and at least the heading's. */
#define CMD_TOKENS_LABEL_MAX 32

/* One line of the table: each field a cell of its column, cut with an
 * ellipsis when longer, so that the columns stay in line; the URI, last,
 * whole. */
static void
cmd_tokens_row(size_t label_width, const char *slot, const char *label,
	       const char *serial, const char *model, const char *pin,
	       const char *keys, const char *uri)
{
	char c[6][TEXT_CELL_SIZE(42)], u[TEXT_PRINTABLE_SIZE(512)];

	printf("%s %s %s %s %s %s %s\n", text_cell(slot, 10, c[0], sizeof(c[0])),
	       text_cell(label, label_width, c[1], sizeof(c[1])),
	       text_cell(serial, 16, c[2], sizeof(c[2])),
	       text_cell(model, 16, c[3], sizeof(c[3])),
	       text_cell(pin, 13, c[4], sizeof(c[4])),
	       text_cell(keys, 42, c[5], sizeof(c[5])), text_shown(uri, u, sizeof(u)));
}

int
cmd_tokens(struct global_opts *g, int argc, char **argv)
{
	struct token_info *infos = NULL;
	struct module *m = NULL;
	json_t *list = NULL, *doc;
	char keys[KEYALG_NAMES_MAX], shown[TEXT_PRINTABLE_SIZE(256)], slot[24];
	size_t n = 0, i, width = 5;
	int first = 0, status = EXIT_FAILED;

	if (!cmd_parse(g, argc, argv, "", NULL, cmd_tokens_none, NULL, &first, &status))
		return status;
	if (first < argc)
		return cmd_usage_error(g, "unexpected argument '%s'", argv[first]);
	if (module_load(cmd_module_path(g), &m) < 0 || token_list(m, &infos, &n) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	if (g->json) {
		list = json_array();
		for (i = 0; i < n; i++)
			cmd_json_append(&list, cmd_tokens_json(m, &infos[i]));
		doc = json_object();
		if (cmd_json_set_text(doc, "module", module_path(m)) < 0 ||
		    json_object_set_new(doc, "tokens", list) < 0) {
			json_decref(doc);
			doc = NULL;
		}
		list = NULL;
		if (cmd_json_print(doc) < 0)
			goto out;
	} else if (n == 0) {
		printf("no token is present in %s\n", text_shown(module_path(m),
		       shown, sizeof(shown)));
	} else {
		for (i = 0; i < n; i++)
			if (text_columns(infos[i].label) > width)
				width = text_columns(infos[i].label);
		if (width > CMD_TOKENS_LABEL_MAX)
			width = CMD_TOKENS_LABEL_MAX;
		cmd_tokens_row(width, "SLOT", "LABEL", "SERIAL", "MODEL", "PIN",
			       "KEYS", "URI");
		for (i = 0; i < n; i++) {
			cmd_tokens_keys(m, &infos[i], keys, sizeof(keys));
			snprintf(slot, sizeof(slot), "%lu", (unsigned long)infos[i].slot);
			cmd_tokens_row(width, slot, infos[i].label, infos[i].serial,
				       infos[i].model, cmd_pin_state_word(infos[i].flags),
				       keys, infos[i].uri);
		}
	}
	status = EXIT_DONE;
out:
	token_info_free_array(infos, n);
	module_free(m);
	return status;
}
