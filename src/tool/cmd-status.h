/* SPDX-License-Identifier: MIT */
/* cmd-status.h - status of one token, and of every token of the module
 * (cmd-fleet.c) as a table, a JSON document or one HTML page. */
#ifndef P11E_CMD_STATUS_H
#define P11E_CMD_STATUS_H

#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#include "cmd.h"

struct status_opts {
	const struct global_opts *g;
	int expiring;
	bool repair;
	bool yes;
	bool all_tokens;        /* every initialised token of the module */
	const char *html;       /* --html FILE, or NULL */
	bool expiring_given;    /* --expiring: the exit status tells */
	bool no_login;          /* --no-login */
	char **roles;           /* the roles named, whose rows alone count */
	int nroles;
};

/* The status of the open token T: with PRINT, printed as a table or
 * (G->json) a JSON document; with DOC, that document into *DOC (NULL on
 * failure). The exit status: with --expiring, EXIT_EXPIRED or
 * EXIT_EXPIRING when a certificate of the rows shown has expired or
 * expires within the days; else EXIT_FINDINGS when an error-level finding
 * was found. With --repair, the repair instead. */
int cmd_status_token(struct global_opts *g, const struct status_opts *o,
		     struct token *t, bool print, json_t **doc);

/* status --all-tokens and/or --html FILE. */
int cmd_status_fleet(struct global_opts *g, const struct status_opts *o);

/* Write FLEET (status --all-tokens --json's document) to PATH as one
 * static HTML page: a private file (util_open_private()), every text from
 * a token or certificate escaped, no scripts and no external assets. NOW
 * places the timeline. */
int cmd_html_write(const char *path, const json_t *fleet, time_t now);

#endif
