/* SPDX-License-Identifier: MIT */
/* cmd-batch-run.c - a batch from manifest to report. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "batch.h"
#include "batch-tokens.h"
#include "cmd-batch.h"
#include "cmd-record.h"
#include "err.h"
#include "journal.h"
#include "manifest.h"
#include "pin.h"
#include "pin-mailer.h"
#include "profile.h"
#include "profile-load.h"
#include "profile-set.h"
#include "text.h"
#include "token-uri.h"
#include "token.h"
#include "util.h"

/* Profiles are loaded once per role name, whatever the number of rows. */
struct cmd_batch_profiles {
	struct cmd_batch_loaded {
		char *name;
		struct profile *profile;
	} *loaded;
	size_t count, cap;
};

/* What the run keeps while rows end. */
struct cmd_batch_ctx {
	const struct global_opts *g;
	FILE *report;
	bool bar;               /* a progress bar on the terminal */
	size_t total, ended, done, failed, awaiting, earlier;
	bool chain_checked;     /* --trust: each chain was checked */
	int64_t start_ms;
};

/* ---- checking the manifest ---------------------------------------------- */

static void
cmd_batch_profiles_free(struct cmd_batch_profiles *c)
{
	size_t i;

	for (i = 0; i < c->count; i++) {
		free(c->loaded[i].name);
		profile_free(c->loaded[i].profile);
	}
	free(c->loaded);
	memset(c, 0, sizeof(*c));
}

/* The profile of role NAME, loaded on first use. */
static struct profile *
cmd_batch_profile(struct cmd_batch_profiles *c, const char *dir, const char *name)
{
	struct cmd_batch_loaded *grown;
	struct profile *p = NULL, *found = NULL;
	size_t i;

	for (i = 0; i < c->count; i++)
		if (strcmp(c->loaded[i].name, name) == 0)
			return c->loaded[i].profile;
	if (profile_load(dir, name, &p) < 0 ||
	    (grown = array_grow(c->loaded, &c->cap, c->count + 1,
				sizeof(*grown))) == NULL)
		goto out;
	c->loaded = grown;
	if ((grown[c->count].name = util_strdup(name)) == NULL)
		goto out;
	grown[c->count++].profile = p;
	found = p;
	p = NULL;
out:
	profile_free(p);
	return found;
}

/* ROW's roles, sets expanded and their profiles loaded. */
static int
cmd_batch_row_roles(const char *dir, struct cmd_batch_profiles *cache,
		    const struct manifest_row *row, struct batch_row *out)
{
	char **names = NULL;
	size_t i, n = 0;
	int rc = -1;

	out->row = row;
	if (profile_expand_roles(dir, row->roles, row->nroles, &names, &n) < 0)
		goto out;
	if ((out->profiles = calloc(n, sizeof(*out->profiles))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((out->profiles[i] = cmd_batch_profile(cache, dir, names[i])) == NULL)
			goto out;
		out->nprofiles++;
	}
	rc = 0;
out:
	profile_names_free(names, n);
	return rc;
}

/* A row's pin_source must be readable by a worker on its own: a file
 * (private) or a variable, which leaves the environment now, before the
 * workers are forked, and stays theirs to read. */
static int
cmd_batch_check_pin_source(const struct manifest_row *row)
{
	struct pin_source src;
	char what[160];
	int rc = -1;

	if (pin_source_parse(row->pin_source, &src) < 0)
		return -1;
	if (src.kind != PIN_FILE && src.kind != PIN_ENV) {
		err_set(ERR_USAGE, "pin_source: a row's PIN comes from "
			"file:PATH or env:VAR (a prompt or a descriptor "
			"serves the whole batch as --pin-source)");
		goto out;
	}
	snprintf(what, sizeof(what), "user PIN of token %s", row->token_shown);
	rc = pin_source_prepare(&src, what);
out:
	pin_source_clear(&src);
	return rc;
}

/* Whether --manifest-pin-sources lets ROW name its PIN as it does: a
 * pin_source (any; under env, not a file) and a token URI's pin-source
 * (a file: any only). Checked before the source is looked at. */
static int
cmd_batch_allowed_pins(const struct cmd_batch *b, const struct manifest *m,
		       const struct manifest_row *row)
{
	static const char *const names[] = { "any", "env", "none" };
	const char *name = names[b->manifest_pins];
	P11KitUri *uri = NULL;
	bool uri_source;
	char shown[160];

	if (b->manifest_pins == CMD_MANIFEST_PINS_ANY)
		return 0;
	if (row->pin_source != NULL &&
	    (b->manifest_pins == CMD_MANIFEST_PINS_NONE ||
	     strncmp(row->pin_source, "env:", 4) != 0)) {
		text_printable(row->pin_source, strlen(row->pin_source), shown,
			       sizeof(shown));
		return err_set(ERR_USAGE, "%s:%zu:%zu (pin_source): pin_source '%s' is refused "
			       "by --manifest-pin-sources=%s (%s)", b->manifest_path,
			       row->line, m->column_pin_source, shown, name,
			       b->manifest_pins == CMD_MANIFEST_PINS_NONE ?
			       "the PINs come from the command line only" :
			       "only env:VAR; a manifest names no file to read");
	}
	if (token_uri_parse(row->token, &uri) < 0)
		return err_prefix("%s:%zu:%zu (token)", b->manifest_path, row->line,
				  m->column_token);
	uri_source = p11_kit_uri_get_pin_source(uri) != NULL;
	token_uri_free(uri);
	if (uri_source)
		return err_set(ERR_USAGE, "%s:%zu:%zu (token): the token URI's pin-source "
			       "names a file to read, which "
			       "--manifest-pin-sources=%s refuses", b->manifest_path,
			       row->line, m->column_token, name);
	return 0;
}

/* Add the recorded error to ERRORS as a problem of the manifest's line
 * LINE and COLUMN (0: the row), named "PATH:LINE:COLUMN (NAME): ..."; a
 * usage error without a code of its own is "manifest-invalid". */
static void
cmd_batch_problem(json_t **errors, const char *path, const struct manifest *m,
		  size_t line, size_t column)
{
	enum err_code code = err_code();
	char where[512];
	json_t *item;

	if (code == ERR_CODE_USAGE)
		code = ERR_CODE_MANIFEST;
	if (column > 0 && column <= m->ncolumns)
		snprintf(where, sizeof(where), "%s:%zu:%zu (%s)", path, line, column,
			 m->columns[column - 1]);
	else
		snprintf(where, sizeof(where), "%s:%zu", path, line);
	err_prefix("%s", where);
	item = cmd_json_problem(code, err_message());
	if (item != NULL &&
	    (json_object_set_new(item, "line", json_integer((json_int_t)line)) < 0 ||
	     (column > 0 && json_object_set_new(item, "column",
						json_integer((json_int_t)column)) < 0) ||
	     (column > 0 && column <= m->ncolumns &&
	      cmd_json_set_text(item, "column_name", m->columns[column - 1]) < 0))) {
		json_decref(item);
		item = NULL;
	}
	cmd_json_append(errors, item);
	err_clear();
}

/* The variables ROW's roles need that the row does not give, each a
 * problem naming the manifest column to add or fill. */
static void
cmd_batch_row_vars(json_t **errors, const char *path, const struct manifest *m,
		   const struct manifest_row *row, const struct batch_row *br)
{
	json_t *missing = cmd_missing_vars(br->profiles, br->nprofiles, row->vars);
	json_t *item;
	char roles[512];
	const char *name;
	size_t i, column;

	if (missing == NULL) {
		cmd_json_append(errors, NULL);
		return;
	}
	json_array_foreach(missing, i, item) {
		name = json_string_value(json_object_get(item, "variable"));
		cmd_missing_roles(item, roles, sizeof(roles));
		column = manifest_column(m, name);
		err_set(ERR_USAGE, column > 0 ? "empty, but %s need%s variable %s: "
			"fill the cell" : "%s need%s variable %s: add a column "
			"'%s' to the manifest", roles,
			json_array_size(json_object_get(item, "roles")) > 1 ? "" : "s",
			name, name);
		err_tag(ERR_CODE_MISSING_VARIABLE);
		/* Without its column, the roles cell is what asks for it. */
		cmd_batch_problem(errors, path, m, row->line,
				  column > 0 ? column : m->column_roles);
	}
	json_decref(missing);
}

/* ROW's roles loaded and their templates filled; every problem goes
 * into ERRORS. -1 only for a failure that is no row's (out of memory). */
static int
cmd_batch_check_roles(const struct cmd_batch *b, const struct manifest *m,
		      struct cmd_batch_profiles *cache,
		      const struct manifest_row *row, struct batch_row *br,
		      json_t **errors)
{
	struct csr_spec spec;
	size_t before = json_array_size(*errors);
	int k;

	if (cmd_batch_row_roles(cmd_profiles_dir(b->g), cache, row, br) < 0) {
		if (err_kind() != ERR_USAGE)
			return -1;
		cmd_batch_problem(errors, b->manifest_path, m, row->line,
				  m->column_roles);
		return 0;
	}
	cmd_batch_row_vars(errors, b->manifest_path, m, row, br);
	for (k = 0; json_array_size(*errors) == before && k < br->nprofiles; k++) {
		if (profile_spec(br->profiles[k], row->vars, &spec) < 0) {
			if (err_kind() != ERR_USAGE)
				return -1;
			cmd_batch_problem(errors, b->manifest_path, m, row->line, 0);
		}
		csr_spec_clear(&spec);
	}
	return 0;
}

/* An error's place for sorting: its line, then where it was found. */
struct cmd_batch_place {
	json_int_t line;
	size_t index;
	json_t *item;
};

static int
cmd_batch_place_compare(const void *a, const void *b)
{
	const struct cmd_batch_place *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* ERRORS in the order of the manifest's lines (stable; those without a
 * line last), as a reader goes through the file. */
static void
cmd_batch_sort(json_t **errors)
{
	struct cmd_batch_place *v;
	json_t *sorted = json_array(), *item;
	size_t i, n = json_array_size(*errors);

	if ((v = calloc(n + 1, sizeof(*v))) == NULL || sorted == NULL) {
		free(v);
		json_decref(sorted);
		return;
	}
	json_array_foreach(*errors, i, item) {
		v[i].line = json_is_integer(json_object_get(item, "line")) ?
			    json_integer_value(json_object_get(item, "line")) :
			    INT64_MAX;
		v[i].index = i;
		v[i].item = item;
	}
	qsort(v, n, sizeof(*v), cmd_batch_place_compare);
	for (i = 0; i < n; i++)
		cmd_json_append(&sorted, json_incref(v[i].item));
	free(v);
	if (sorted == NULL)
		return;
	json_decref(*errors);
	*errors = sorted;
}

/* Every row checked and its roles loaded, before anything is touched.
 * Every bad row goes into *ERRORS (an array of cmd_json_problem()s,
 * each naming the manifest's line and column), so that one run shows
 * them all; -1 only when the check itself fails. */
static int
cmd_batch_prepare(const struct cmd_batch *b, const struct manifest *m,
		  struct cmd_batch_profiles *cache, struct batch_row *rows,
		  bool *need_pin, bool *need_so_pin, json_t **errors)
{
	struct token_info *infos = NULL;
	json_t *item;
	size_t i, ninfos = 0;
	int rc = -1;

	*need_pin = *need_so_pin = false;
	for (i = 0; i < m->nbad; i++) {
		item = cmd_json_problem(ERR_CODE_MANIFEST, m->bad[i].message);
		if (json_object_update_new(item, json_pack("{s:I, s:I}", "line",
					   (json_int_t)m->bad[i].line, "column",
					   (json_int_t)m->bad[i].column)) < 0 ||
		    (m->bad[i].column > 0 && m->bad[i].column <= m->ncolumns &&
		     cmd_json_set_text(item, "column_name",
				       m->columns[m->bad[i].column - 1]) < 0)) {
			json_decref(item);
			item = NULL;
		}
		cmd_json_append(errors, item);
	}
	for (i = 0; i < m->nrows; i++) {
		const struct manifest_row *row = &m->rows[i];

		if (cmd_batch_allowed_pins(b, m, row) < 0) {
			cmd_json_append(errors, cmd_json_problem(ERR_CODE_MANIFEST,
								 err_message()));
			continue;
		}
		if (row->pin_source != NULL &&
		    cmd_batch_check_pin_source(row) < 0) {
			cmd_batch_problem(errors, b->manifest_path, m, row->line,
					  m->column_pin_source);
			continue;
		}
		if (row->pin_source == NULL)
			*need_pin = true;
		if (row->init_label != NULL)
			*need_so_pin = true;
		if (cmd_batch_check_roles(b, m, cache, row, &rows[i], errors) < 0)
			goto out;
	}
	if (*errors == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	/* One token, one row: found by the token each row resolves to, in
	 * the list read once. */
	if (batch_tokens_list(cmd_module_path(b->g), &infos, &ninfos) < 0)
		goto out;
	if (batch_tokens_check(b->manifest_path, m, infos, ninfos) < 0) {
		if (err_kind() != ERR_USAGE)
			goto out;
		cmd_json_append(errors, cmd_json_problem(err_code() == ERR_CODE_USAGE ?
							 ERR_CODE_MANIFEST : err_code(),
							 err_message()));
	}
	cmd_batch_sort(errors);
	rc = 0;
out:
	token_info_free_array(infos, ninfos);
	return rc;
}

/* Open the CAs the rows ask: --ca for those without a ca cell, one per
 * distinct spec for the others. *CAS (N of them, caller frees each and
 * the array) holds --ca's first, or NULL when no row takes it; each row's
 * CA is set. 0 or an exit status after reporting. */
static int
cmd_batch_open_cas(const struct cmd_batch *b, const struct manifest *m,
		   struct batch_row *rows, struct ca ***cas, size_t *n)
{
	const char **specs = NULL;
	struct ca **opened = NULL;
	size_t i, j, count = 1, first_row = 0;
	bool need_command = false;
	int status = EXIT_FAILED;

	*cas = NULL;
	*n = 0;
	if ((specs = calloc(m->nrows + 1, sizeof(*specs))) == NULL ||
	    (opened = calloc(m->nrows + 1, sizeof(*opened))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		status = cmd_fail(b->g);
		goto out;
	}
	for (i = 0; i < m->nrows; i++) {
		if (m->rows[i].ca == NULL) {
			need_command = true;
			continue;
		}
		for (j = 1; j < count && strcmp(specs[j], m->rows[i].ca) != 0; j++)
			;
		if (j == count)
			specs[count++] = m->rows[i].ca;
	}
	specs[0] = b->ca->spec;
	if (need_command && specs[0] == NULL) {
		status = cmd_usage_error(b->g, "--ca is required: a row of the "
					 "manifest has no ca");
		goto out;
	}
	if (specs[0] == NULL)
		first_row = 1;
	if ((status = cmd_ca_open_each(b->g, b->ca, specs + first_row,
				       count - first_row, opened + first_row)) != 0)
		goto out;
	for (i = 0; i < m->nrows; i++) {
		for (j = 1; m->rows[i].ca != NULL && j < count &&
		     strcmp(specs[j], m->rows[i].ca) != 0; j++)
			;
		rows[i].ca = opened[m->rows[i].ca != NULL ? j : 0];
	}
	*cas = opened;
	*n = count;
	opened = NULL;
out:
	free(opened);
	free(specs);
	return status;
}

/* ---- reporting ------------------------------------------------------------ */

static const char *
cmd_batch_row_state(const struct batch_outcome *o)
{
	if (o->failed)
		return "failed";
	if (o->awaiting)
		return "awaiting";
	return "done";
}

static json_t *
cmd_batch_row_json(const struct batch_outcome *o, bool chain_checked)
{
	json_t *roles = json_array(), *doc, *item;
	size_t k;

	for (k = 0; k < o->nroles; k++) {
		const struct batch_role_outcome *r = &o->roles[k];

		item = json_pack("{s:s, s:s, s:b, s:s*, s:s*, s:s*}", "role", r->role,
		    "state", r->state == JOURNAL_NONE ? "not-tried" :
		    journal_state_name(r->state), "earlier", r->earlier,
		    "serial", r->cert.serial, "sha256", r->cert.sha256,
		    "not_after", r->cert.not_after);
		if ((r->chain != NULL && json_object_set(item, "chain", r->chain) < 0) ||
		    (r->uris != NULL && json_object_set(item, "uris", r->uris) < 0) ||
		    (r->error != NULL &&
		     (cmd_json_set_text(item, "error", r->error) < 0 ||
		      json_object_set_new(item, "code",
					  json_string(err_code_name(r->code))) < 0))) {
			json_decref(item);
			item = NULL;
		}
		cmd_json_append(&roles, item);
	}
	doc = json_pack("{s:I, s:b}", "line", (json_int_t)o->row->row->line,
			"chain_checked", chain_checked);
	if (cmd_json_set_text(doc, "token", o->row->row->token_shown) < 0 ||
	    json_object_update_new(doc, json_pack("{s:s, s:o}", "state",
				   cmd_batch_row_state(o), "roles", roles)) < 0 ||
	    (o->error != NULL &&
	     (cmd_json_set_text(doc, "error", o->error) < 0 ||
	      json_object_set_new(doc, "code",
				  json_string(err_code_name(o->code))) < 0))) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* The first error of the row: its own, else its failed role's. */
static const char *
cmd_batch_row_error(const struct batch_outcome *o)
{
	size_t k;

	if (o->error != NULL)
		return o->error;
	for (k = 0; k < o->nroles; k++)
		if (o->roles[k].error != NULL)
			return o->roles[k].error;
	return "";
}

/* "12/200 rows, 3.1 rows/s, about 1m02s left" */
static void
cmd_batch_progress_text(const struct cmd_batch_ctx *c, char *buf, size_t size)
{
	double secs = (double)(util_now_ms() - c->start_ms) / 1000.0;
	double rate = secs > 0 ? (double)c->ended / secs : 0;
	long left = rate > 0 ? (long)((double)(c->total - c->ended) / rate) : -1;

	if (left >= 0)
		snprintf(buf, size, "%zu/%zu rows, %.1f rows/s, about %ldm%02lds left",
			 c->ended, c->total, rate, left / 60, left % 60);
	else
		snprintf(buf, size, "%zu/%zu rows", c->ended, c->total);
}

static void
cmd_batch_bar(const struct cmd_batch_ctx *c)
{
	char text[128], bar[31];
	size_t filled = c->total ? c->ended * 30 / c->total : 30;

	memset(bar, '#', filled);
	memset(bar + filled, '.', 30 - filled);
	bar[30] = '\0';
	cmd_batch_progress_text(c, text, sizeof(text));
	fprintf(stderr, "\r[%s] %s\033[K", bar, text);
	fflush(stderr);
}

static void
cmd_batch_row_done(void *ctx, const struct batch_outcome *o)
{
	struct cmd_batch_ctx *c = ctx;
	const struct manifest_row *row = o->row->row;
	char text[128], token[TEXT_PRINTABLE_SIZE(128)];
	char error[TEXT_PRINTABLE_SIZE(ERR_MESSAGE_MAX)];
	bool earlier = o->nroles > 0;
	json_t *doc;
	size_t k;

	/* Done earlier: every role was there before this run. */
	for (k = 0; k < o->nroles; k++)
		earlier = earlier && o->roles[k].earlier;
	c->ended++;
	if (o->failed)
		c->failed++;
	else if (o->awaiting)
		c->awaiting++;
	else if (earlier)
		c->earlier++;
	else
		c->done++;
	if (c->report != NULL && (doc = cmd_batch_row_json(o, c->chain_checked)) != NULL) {
		json_dumpf(doc, c->report, JSON_COMPACT);
		fputc('\n', c->report);
		fflush(c->report);
		json_decref(doc);
	}
	if (c->g->verbosity < 0 || c->g->json)
		return;
	/* The manifest's token column and the error, one line each. */
	text_shown(row->token_shown, token, sizeof(token));
	text_shown(cmd_batch_row_error(o), error, sizeof(error));
	if (c->bar) {
		if (o->failed)
			fprintf(stderr, "\rline %zu, token %s: failed: %s\033[K\n",
				row->line, token, error);
		cmd_batch_bar(c);
		return;
	}
	cmd_batch_progress_text(c, text, sizeof(text));
	if (o->failed)
		printf("line %zu, token %s: failed: %s [%s]\n", row->line,
		       token, error, text);
	else
		printf("line %zu, token %s: %s [%s]\n", row->line, token,
		       earlier ? "done earlier" : o->awaiting ? "awaiting a CA" :
		       "done", text);
	fflush(stdout);
}

static json_t *
cmd_batch_summary(const struct cmd_batch_ctx *c)
{
	return json_pack("{s:{s:I, s:I, s:I, s:I, s:I, s:I, s:b}}", "summary",
			 "rows", (json_int_t)c->total, "done", (json_int_t)c->done,
			 "earlier", (json_int_t)c->earlier,
			 "failed", (json_int_t)c->failed,
			 "awaiting", (json_int_t)c->awaiting,
			 "milliseconds", (json_int_t)(util_now_ms() - c->start_ms),
			 "chain_checked", c->chain_checked);
}

/* ---- the run ----------------------------------------------------------- */

static int
cmd_batch_open_report(const char *path, FILE **out)
{
	int fd;

	*out = NULL;
	if (path == NULL)
		return 0;
	/* Private, as the journal is: it lists the tokens and what they
	 * hold. */
	if (util_open_private(path, O_WRONLY | O_TRUNC, true, &fd) < 0)
		return err_prefix("--report %s", path);
	if ((*out = fdopen(fd, "w")) == NULL) {
		close(fd);
		return err_set(ERR_FAILED, "--report %s: %s", path, strerror(errno));
	}
	return 0;
}

/* The first role of the N ROWS whose security officer writes ([key]
 * write_login = so), or NULL. */
static const char *
cmd_batch_so_role(const struct batch_row *rows, size_t n)
{
	size_t i;
	int k;

	for (i = 0; i < n; i++)
		for (k = 0; k < rows[i].nprofiles; k++)
			if (profile_writes_as_so(rows[i].profiles[k]))
				return profile_role(rows[i].profiles[k]);
	return NULL;
}

int
cmd_batch_run(const struct cmd_batch *b)
{
	const struct global_opts *g = b->g;
	struct cmd_batch_profiles cache = { NULL, 0, 0 };
	struct cmd_batch_ctx ctx;
	struct batch_events events = { cmd_batch_row_done, &ctx };
	struct batch_row *rows = NULL;
	struct manifest *m = NULL;
	struct journal *journal = NULL;
	struct batch_job job;
	struct ca **cas = NULL;
	size_t ncas = 0;
	X509_STORE *trust = NULL;
	struct rolerecord *record = NULL;
	char *pin = NULL, *so_pin = NULL, *state_dir = NULL;
	const char *so_role = NULL;
	bool need_pin = false, need_so_pin = false;
	int mailer = -1;
	json_t *summary, *errors = json_array();
	char what[600];
	size_t i;
	int status = EXIT_FAILED;

	memset(&ctx, 0, sizeof(ctx));
	memset(&job, 0, sizeof(job));
	if (manifest_load(b->manifest_path, &m) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	if ((rows = calloc(m->nrows + 1, sizeof(*rows))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		status = cmd_fail(g);
		goto out;
	}
	if (cmd_batch_prepare(b, m, &cache, rows, &need_pin, &need_so_pin,
			      &errors) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	if (json_array_size(errors) > 0) {
		snprintf(what, sizeof(what), "manifest %s: %zu error%s, nothing was "
			 "done", b->manifest_path, json_array_size(errors),
			 json_array_size(errors) == 1 ? "" : "s");
		status = cmd_report_all(g, EXIT_USAGE, what, errors);
		errors = NULL;
		goto out;
	}
	if (b->check) {
		if (g->json)
			status = cmd_json_print(json_pack("{s:s, s:I, s:b}", "manifest",
					b->manifest_path, "rows", (json_int_t)m->nrows,
					"checked", 1)) < 0 ? EXIT_FAILED : EXIT_DONE;
		else {
			if (g->verbosity >= 0)
				printf("manifest %s: %zu rows, all good\n",
				       b->manifest_path, m->nrows);
			status = EXIT_DONE;
		}
		goto out;
	}
	if (cmd_batch_open_report(b->report_path, &ctx.report) < 0 ||
	    (b->journal_path != NULL &&
	     journal_open(b->journal_path, m->digest, &journal) < 0)) {
		status = cmd_fail(g);
		goto out;
	}
	if ((status = cmd_batch_open_cas(b, m, rows, &cas, &ncas)) != 0 ||
	    (status = cmd_load_trust(g, b->trust_path, &trust)) != 0)
		goto out;
	if (need_so_pin && g->so_pin_source == NULL) {
		status = cmd_usage_error(g, "the manifest has rows to initialise: "
					 "give the security officer PIN with "
					 "--so-pin-source");
		goto out;
	}
	if ((so_role = cmd_batch_so_role(rows, m->nrows)) != NULL &&
	    g->so_pin_source == NULL) {
		status = cmd_usage_error(g, "role %s: its profile says the token "
					 "needs its security officer for writing "
					 "([key] write_login = so); give the "
					 "security officer PIN with --so-pin-source",
					 so_role);
		goto out;
	}
	if (cmd_state_dir(g, &state_dir) < 0 ||
	    (b->pin_mailer_path != NULL &&
	     pin_mailer_open(b->pin_mailer_path, &mailer) < 0) ||
	    (need_pin && g->pin_source != NULL &&
	     cmd_read_pin_source(g->pin_source, "user PIN of the tokens without "
				 "a pin_source", &pin) < 0) ||
	    (g->so_pin_source != NULL &&
	     cmd_read_pin_source(g->so_pin_source, "security officer PIN of the "
				 "tokens", &so_pin) < 0)) {
		status = cmd_fail(g);
		goto out;
	}
	job.module_path = cmd_module_path(g);
	if ((job.lock_dir = cmd_lock_dir()) == NULL) {
		status = cmd_fail(g);
		goto out;
	}
	job.state_dir = state_dir;
	job.no_chain = g->no_chain;
	job.pin = pin;
	job.so_pin = so_pin;
	job.pin_mailer_fd = mailer;
	job.pin_mailer = b->pin_mailer_path;
	job.trust = trust;
	if ((record = cmd_record_make(b->ca, b->trust_path, NULL, NULL)) == NULL) {
		status = cmd_fail(g);
		goto out;
	}
	job.record = record;
	job.journal = journal;
	job.jobs = b->jobs;
	job.rows = rows;
	job.nrows = m->nrows;
	ctx.g = g;
	ctx.chain_checked = trust != NULL;
	ctx.total = m->nrows;
	ctx.bar = !g->json && g->verbosity >= 0 && isatty(STDERR_FILENO);
	ctx.start_ms = util_now_ms();
	if (batch_run(&job, &events) < 0) {
		if (ctx.bar)
			fputc('\n', stderr);
		status = cmd_fail(g);
		goto out;
	}
	if (ctx.bar)
		fputc('\n', stderr);
	summary = cmd_batch_summary(&ctx);
	if (ctx.report != NULL && summary != NULL) {
		json_dumpf(summary, ctx.report, JSON_COMPACT);
		fputc('\n', ctx.report);
	}
	if (g->json && cmd_json_print(json_incref(summary)) < 0) {
		json_decref(summary);
		status = EXIT_FAILED;
		goto out;
	} else if (g->verbosity >= 0)
		printf("batch: %zu rows: %zu done, %zu done earlier, %zu failed, "
		       "%zu awaiting a CA, in %.1f s\n", ctx.total, ctx.done,
		       ctx.earlier, ctx.failed, ctx.awaiting,
		       (double)(util_now_ms() - ctx.start_ms) / 1000.0);
	json_decref(summary);
	status = ctx.failed > 0 ? EXIT_BATCH_PARTIAL :
		 ctx.awaiting > 0 ? EXIT_AWAITING : EXIT_DONE;
out:
	if (ctx.report != NULL && fclose(ctx.report) != 0 && status == EXIT_DONE) {
		err_set(ERR_FAILED, "--report %s: %s", b->report_path, strerror(errno));
		status = cmd_fail(g);
	}
	pin_free(pin);
	pin_free(so_pin);
	free(state_dir);
	if (mailer >= 0)
		close(mailer);
	for (i = 0; rows != NULL && i < m->nrows; i++)
		free(rows[i].profiles);
	free(rows);
	cmd_batch_profiles_free(&cache);
	json_decref(errors);
	journal_free(journal);
	rolerecord_free(record);
	X509_STORE_free(trust);
	for (i = 0; i < ncas; i++)
		ca_free(cas[i]);
	free(cas);
	manifest_free(m);
	return status;
}
