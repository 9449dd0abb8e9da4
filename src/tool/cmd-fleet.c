/* SPDX-License-Identifier: MIT */
/* cmd-fleet.c - status --all-tokens and --html: every initialised token
 * that the module lists, one after the other, each as status shows one
 * token, then a summary over them all. A token that cannot be read is
 * reported and counted, and the others are still shown. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd-status.h"
#include "cmd.h"
#include "err.h"
#include "text.h"
#include "util.h"

/* The totals over the tokens' documents. */
struct fleet_totals {
	json_int_t tokens, failed, roles, errors, warnings, infos;
};

static void
cmd_fleet_add(struct fleet_totals *tot, const json_t *doc)
{
	const json_t *sum = json_object_get(doc, "summary");

	tot->roles += json_integer_value(json_object_get(sum, "roles"));
	tot->errors += json_integer_value(json_object_get(sum, "errors"));
	tot->warnings += json_integer_value(json_object_get(sum, "warnings"));
	tot->infos += json_integer_value(json_object_get(sum, "infos"));
}

/* The URIs of the initialised tokens of the module, listed once: each is
 * opened by its URI afterwards, the module loaded anew for it. */
static int
cmd_fleet_list(const struct global_opts *g, char ***uris, json_t **infos,
	       size_t *count)
{
	struct token_info *list = NULL;
	struct module *m = NULL;
	size_t n = 0, i;
	int rc = -1;

	*uris = NULL;
	*count = 0;
	*infos = json_array();
	if (module_load(cmd_module_path(g), &m) < 0 ||
	    token_list(m, &list, &n) < 0)
		goto out;
	if ((*uris = calloc(n > 0 ? n : 1, sizeof(**uris))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!(list[i].flags & CKF_TOKEN_INITIALIZED))
			continue;
		if (((*uris)[*count] = util_strdup(list[i].uri)) == NULL)
			goto out;
		cmd_json_append(infos, cmd_json_token(&list[i]));
		(*count)++;
	}
	rc = *infos != NULL ? 0 : err_set(ERR_FAILED, "out of memory");
out:
	token_info_free_array(list, n);
	module_free(m);
	return rc;
}

static void
cmd_fleet_free(char **uris, size_t n)
{
	size_t i;

	for (i = 0; uris != NULL && i < n; i++)
		free(uris[i]);
	free(uris);
}

/* One token's document, or for one that could not be read its token
 * and the error. Its table is printed with PRINT, after a blank line
 * unless FIRST. */
static json_t *
cmd_fleet_token(const struct global_opts *g, const struct status_opts *o,
		const char *uri, const json_t *info, bool print, bool first,
		int *status)
{
	struct global_opts tg = *g;
	struct module *m = NULL;
	struct token *t = NULL;
	json_t *doc = NULL;

	/* Errors go to stderr as they come; the document carries them. */
	tg.token = uri;
	tg.json = false;
	*status = cmd_open_token(&tg, &m, &t);
	if (*status == 0) {
		if (print && !first)
			printf("\n");
		*status = cmd_status_token(&tg, o, t, print, &doc);
	}
	cmd_close_token(m, t);
	if (doc != NULL)
		return doc;
	return json_pack("{s:O, s:o}", "token", info, "error",
			 cmd_json_error("token", json_string_value(
				 json_object_get(info, "label")), err_message(),
				 err_code(), *status));
}

/* How bad the exit status of a token that was read is, from 0 (nothing
 * found) up; -1 for a token that could not be read. */
static int
cmd_fleet_rank(int status)
{
	switch (status) {
	case EXIT_DONE: return 0;
	case EXIT_FINDINGS: return 1;
	case EXIT_EXPIRING: return 2;
	case EXIT_EXPIRED: return 3;
	default: return -1;
	}
}

int
cmd_status_fleet(struct global_opts *g, const struct status_opts *o)
{
	struct fleet_totals tot;
	char **uris = NULL;
	json_t *infos = NULL, *list = json_array(), *doc = NULL, *one;
	bool print = o->all_tokens && !g->json;
	time_t now = time(NULL);
	size_t n = 0, i;
	int status = EXIT_DONE, one_status, worst = EXIT_DONE;

	memset(&tot, 0, sizeof(tot));
	if (cmd_fleet_list(g, &uris, &infos, &n) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	for (i = 0; i < n; i++) {
		one = cmd_fleet_token(g, o, uris[i], json_array_get(infos, i), print,
				      i == 0, &one_status);
		tot.tokens++;
		if (cmd_fleet_rank(one_status) < 0)
			tot.failed++;
		else
			cmd_fleet_add(&tot, one);
		if (cmd_fleet_rank(one_status) < 0)
			worst = EXIT_FAILED;
		else if (worst != EXIT_FAILED &&
			 cmd_fleet_rank(one_status) > cmd_fleet_rank(worst))
			worst = one_status;
		cmd_json_append(&list, one);
	}
	doc = json_pack("{s:I, s:O, s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
			"generated", (json_int_t)now, "tokens", list, "summary",
			"tokens", tot.tokens, "unreadable", tot.failed,
			"roles", tot.roles, "errors", tot.errors,
			"warnings", tot.warnings, "infos", tot.infos);
	if (doc == NULL || cmd_json_set_text(doc, "module", cmd_module_path(g)) < 0) {
		err_set(ERR_FAILED, "out of memory");
		status = cmd_fail(g);
		goto out;
	}
	if (o->html != NULL && cmd_html_write(o->html, doc, now) < 0) {
		err_prefix("--html %s", o->html);
		status = cmd_fail(g);
		goto out;
	}
	status = worst;
	if (g->json && o->all_tokens) {
		if (cmd_json_print(json_incref(doc)) < 0)
			status = EXIT_FAILED;
	} else if (print && g->verbosity >= 0) {
		printf("\n%lld tokens: %lld roles, %lld errors, %lld warnings%s",
		       (long long)tot.tokens, (long long)tot.roles,
		       (long long)tot.errors, (long long)tot.warnings,
		       tot.failed ? "" : "\n");
		if (tot.failed)
			printf("; %lld could not be read\n", (long long)tot.failed);
	}
	if (o->html != NULL && !g->json && g->verbosity >= 0) {
		char shown[TEXT_PRINTABLE_SIZE(512)];

		printf("wrote %s: %lld tokens\n", text_shown(o->html, shown,
		       sizeof(shown)), (long long)tot.tokens);
	}
out:
	json_decref(doc);
	json_decref(list);
	json_decref(infos);
	cmd_fleet_free(uris, n);
	return status;
}
