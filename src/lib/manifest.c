/* SPDX-License-Identifier: MIT */
/* manifest.c - the batch manifest, read with libcsv. */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <openssl/evp.h>

#include "array.h"
#include "err.h"
#include "manifest.h"
#include "token-uri.h"
#include "util.h"

/* Columns with a meaning of their own; all others are variables. */
enum manifest_column {
	MANIFEST_TOKEN,
	MANIFEST_ROLES,
	MANIFEST_PIN_SOURCE,
	MANIFEST_INIT_LABEL,
	MANIFEST_CA,
	MANIFEST_VARIABLE,
};

static const struct {
	const char *name;
	enum manifest_column column;
	bool required;
} manifest_columns[] = {
	{ "token", MANIFEST_TOKEN, true },
	{ "roles", MANIFEST_ROLES, true },
	{ "pin_source", MANIFEST_PIN_SOURCE, false },
	{ "init_label", MANIFEST_INIT_LABEL, false },
	{ "ca", MANIFEST_CA, false },
};

#define MANIFEST_NCOLUMNS (sizeof(manifest_columns) / sizeof(manifest_columns[0]))

/* What the libcsv callbacks build. The first error stops the work: the
 * callbacks then only return. */
struct manifest_reader {
	const char *path;
	size_t line;                    /* of the bytes being parsed */
	size_t record_line;             /* of the record being read */
	char **fields;                  /* the record so far */
	size_t nfields, cap;
	char **header;                  /* once read; the manifest's */
	enum manifest_column *kinds;    /* per header column */
	size_t ncolumns;
	struct manifest *m;
	bool failed;
};

static void
manifest_fields_clear(struct manifest_reader *r)
{
	size_t i;

	for (i = 0; i < r->nfields; i++)
		free(r->fields[i]);
	r->nfields = 0;
}

static void manifest_fail(struct manifest_reader *r, size_t column,
			  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Record the first error at the record's line and COLUMN (0: the line). */
static void
manifest_fail(struct manifest_reader *r, size_t column, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	if (r->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (column > 0)
		err_set(ERR_USAGE, "%s:%zu:%zu: %s", r->path, r->record_line,
			column, what);
	else
		err_set(ERR_USAGE, "%s:%zu: %s", r->path, r->record_line, what);
	r->failed = true;
}

/* Refuse the record being read, a row, at COLUMN (0: the whole row): it
 * goes into the manifest's bad rows, and the reading goes on. */
static void manifest_refuse(struct manifest_reader *r, size_t column,
			    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
manifest_refuse(struct manifest_reader *r, size_t column, const char *fmt, ...)
{
	struct manifest_bad *grown;
	char what[512], *message = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (column > 0 && column <= r->ncolumns)
		n = asprintf(&message, "%s:%zu:%zu (%s): %s", r->path,
			     r->record_line, column, r->header[column - 1], what);
	else
		n = asprintf(&message, "%s:%zu: %s", r->path, r->record_line, what);
	if (n < 0 || (grown = array_grow(r->m->bad, &r->m->bad_cap,
					 r->m->nbad + 1, sizeof(*grown))) == NULL) {
		if (n >= 0)
			free(message);
		err_set(ERR_FAILED, "%s: out of memory", r->path);
		r->failed = true;
		return;
	}
	r->m->bad = grown;
	grown[r->m->nbad].line = r->record_line;
	grown[r->m->nbad].column = column;
	grown[r->m->nbad++].message = message;
}

/* libcsv: one field has ended. */
static void
manifest_on_field(void *data, size_t len, void *ctx)
{
	struct manifest_reader *r = ctx;
	char **grown;

	if (r->failed)
		return;
	if (r->nfields == 0)
		r->record_line = r->line;
	if (len > MANIFEST_MAX_FIELD) {
		manifest_fail(r, r->nfields + 1, "a field longer than %d bytes",
			      MANIFEST_MAX_FIELD);
		return;
	}
	if (data != NULL && memchr(data, '\0', len) != NULL) {
		manifest_fail(r, r->nfields + 1, "a NUL byte in a field");
		return;
	}
	if ((grown = array_grow(r->fields, &r->cap, r->nfields + 1,
				sizeof(*grown))) == NULL)
		goto nomem;
	r->fields = grown;
	if ((r->fields[r->nfields] = malloc(len + 1)) == NULL)
		goto nomem;
	if (len > 0)
		memcpy(r->fields[r->nfields], data, len);
	r->fields[r->nfields][len] = '\0';
	r->nfields++;
	return;
nomem:
	err_set(ERR_FAILED, "%s: out of memory", r->path);
	r->failed = true;
}

/* The header: known columns once each, the required ones present, the
 * others valid variable names. */
static void
manifest_take_header(struct manifest_reader *r)
{
	struct vars *check = NULL;
	bool seen[MANIFEST_NCOLUMNS] = { false };
	char *assignment = NULL;
	size_t i, j;

	if ((r->kinds = calloc(r->nfields, sizeof(*r->kinds))) == NULL ||
	    (check = vars_new()) == NULL) {
		err_set(ERR_FAILED, "%s: out of memory", r->path);
		r->failed = true;
		goto out;
	}
	for (i = 0; i < r->nfields; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(r->fields[i], r->fields[j]) == 0) {
				manifest_fail(r, i + 1, "column '%s' is named twice",
					      r->fields[i]);
				goto out;
			}
		r->kinds[i] = MANIFEST_VARIABLE;
		for (j = 0; j < MANIFEST_NCOLUMNS; j++)
			if (strcmp(r->fields[i], manifest_columns[j].name) == 0) {
				r->kinds[i] = manifest_columns[j].column;
				seen[j] = true;
			}
		if (r->kinds[i] == MANIFEST_TOKEN)
			r->m->column_token = i + 1;
		else if (r->kinds[i] == MANIFEST_ROLES)
			r->m->column_roles = i + 1;
		else if (r->kinds[i] == MANIFEST_PIN_SOURCE)
			r->m->column_pin_source = i + 1;
		else if (r->kinds[i] == MANIFEST_INIT_LABEL)
			r->m->column_init_label = i + 1;
		else if (r->kinds[i] == MANIFEST_CA)
			r->m->column_ca = i + 1;
		if (r->kinds[i] != MANIFEST_VARIABLE)
			continue;
		free(assignment);
		if ((assignment = malloc(strlen(r->fields[i]) + 2)) == NULL) {
			err_set(ERR_FAILED, "%s: out of memory", r->path);
			r->failed = true;
			goto out;
		}
		sprintf(assignment, "%s=", r->fields[i]);
		if (vars_set(check, assignment) < 0) {
			manifest_fail(r, i + 1, "column '%s' is neither token, "
				      "roles, pin_source, init_label nor ca, and not a "
				      "template variable name (letters, digits "
				      "and '_')",
				      r->fields[i]);
			goto out;
		}
	}
	for (j = 0; j < MANIFEST_NCOLUMNS; j++)
		if (manifest_columns[j].required && !seen[j]) {
			manifest_fail(r, 0, "the header has no column '%s'",
				      manifest_columns[j].name);
			goto out;
		}
	r->header = r->fields;
	r->ncolumns = r->nfields;
	r->fields = NULL;
	r->nfields = r->cap = 0;
	/* The manifest keeps the names; the reader borrows them. */
	r->m->columns = r->header;
	r->m->ncolumns = r->ncolumns;
out:
	free(assignment);
	vars_free(check);
}

/* Split the roles cell at blanks. */
static int
manifest_split_roles(struct manifest_reader *r, const char *cell,
		     struct manifest_row *row, size_t column)
{
	static const char blanks[] = " \t";
	const char *p;
	size_t n = 0, len;

	for (p = cell + strspn(cell, blanks); *p != '\0';
	     p += len, p += strspn(p, blanks)) {
		len = strcspn(p, blanks);
		n++;
	}
	if (n == 0) {
		manifest_refuse(r, column, "no role given");
		return -1;
	}
	if ((row->roles = calloc(n + 1, sizeof(*row->roles))) == NULL)
		goto nomem;
	for (p = cell + strspn(cell, blanks); *p != '\0';
	     p += len, p += strspn(p, blanks)) {
		len = strcspn(p, blanks);
		if ((row->roles[row->nroles] = strndup(p, len)) == NULL)
			goto nomem;
		row->nroles++;
	}
	return 0;
nomem:
	err_set(ERR_FAILED, "%s: out of memory", r->path);
	r->failed = true;
	return -1;
}

static void
manifest_row_clear(struct manifest_row *row)
{
	size_t i;

	free(row->token);
	free(row->token_shown);
	for (i = 0; i < row->nroles; i++)
		free(row->roles[i]);
	free(row->roles);
	free(row->pin_source);
	free(row->init_label);
	free(row->ca);
	vars_free(row->vars);
	memset(row, 0, sizeof(*row));
}

/* One data record into a row. */
static void
manifest_take_row(struct manifest_reader *r)
{
	struct manifest_row row, *grown;
	char *assignment = NULL;
	size_t i;

	memset(&row, 0, sizeof(row));
	row.line = r->record_line;
	if (r->nfields != r->ncolumns) {
		manifest_refuse(r, 0, "%zu fields where the header has %zu",
			      r->nfields, r->ncolumns);
		goto out;
	}
	if ((row.vars = vars_new()) == NULL)
		goto nomem;
	for (i = 0; i < r->nfields; i++) {
		const char *cell = r->fields[i];

		switch (r->kinds[i]) {
		case MANIFEST_TOKEN:
			if (*cell == '\0') {
				manifest_refuse(r, i + 1, "no token given");
				goto out;
			}
			if ((row.token = strdup(cell)) == NULL)
				goto nomem;
			/* A URI p11-kit cannot read fails here, unquoted. */
			if (token_uri_printable(cell, &row.token_shown) < 0) {
				if (err_kind() != ERR_USAGE)
					goto nomem;
				manifest_refuse(r, i + 1, "%s", err_message());
				err_clear();
				goto out;
			}
			break;
		case MANIFEST_ROLES:
			if (manifest_split_roles(r, cell, &row, i + 1) < 0)
				goto out;
			break;
		case MANIFEST_PIN_SOURCE:
			if (*cell != '\0' && (row.pin_source = strdup(cell)) == NULL)
				goto nomem;
			break;
		case MANIFEST_INIT_LABEL:
			if (strlen(cell) > 32) {
				manifest_refuse(r, i + 1, "init_label '%s' is longer "
					      "than a token label may be (32 bytes)",
					      cell);
				goto out;
			}
			if (*cell != '\0' && (row.init_label = strdup(cell)) == NULL)
				goto nomem;
			break;
		case MANIFEST_CA:
			if (*cell != '\0' && (row.ca = strdup(cell)) == NULL)
				goto nomem;
			break;
		case MANIFEST_VARIABLE:
			if (*cell == '\0')
				break;
			free(assignment);
			assignment = malloc(strlen(r->header[i]) + strlen(cell) + 2);
			if (assignment == NULL)
				goto nomem;
			sprintf(assignment, "%s=%s", r->header[i], cell);
			if (vars_set(row.vars, assignment) < 0)
				goto nomem;
			break;
		}
	}
	grown = array_grow(r->m->rows, &r->m->rows_cap, r->m->nrows + 1,
			   sizeof(*grown));
	if (grown == NULL)
		goto nomem;
	r->m->rows = grown;
	r->m->rows[r->m->nrows++] = row;
	memset(&row, 0, sizeof(row));
	goto out;
nomem:
	err_set(ERR_FAILED, "%s: out of memory", r->path);
	r->failed = true;
out:
	free(assignment);
	manifest_row_clear(&row);
}

/* libcsv: the record has ended. */
static void
manifest_on_record(int end, void *ctx)
{
	struct manifest_reader *r = ctx;

	(void)end;
	if (r->failed)
		return;
	if (r->header == NULL)
		manifest_take_header(r);
	else
		manifest_take_row(r);
	manifest_fields_clear(r);
}

static void
manifest_reader_clear(struct manifest_reader *r)
{
	manifest_fields_clear(r);
	free(r->fields);
	free(r->kinds);
}

/* Feed DATA to the parser a line at a time, so that errors know their
 * line. */
static int
manifest_parse(struct manifest_reader *r, const unsigned char *data,
	       size_t len)
{
	struct csv_parser parser;
	const unsigned char *nl;
	size_t off = 0, chunk;
	int rc = -1;

	if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return err_set(ERR_FAILED, "%s: out of memory", r->path);
	r->line = 1;
	/* Spreadsheets save CSV as UTF-8 with a byte-order mark; it is not
	 * part of the first column's name. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		off = 3;
	while (off < len && !r->failed) {
		nl = memchr(data + off, '\n', len - off);
		chunk = nl != NULL ? (size_t)(nl - (data + off)) + 1 : len - off;
		if (csv_parse(&parser, data + off, chunk, manifest_on_field,
			      manifest_on_record, r) != chunk && !r->failed) {
			r->record_line = r->line;
			manifest_fail(r, r->nfields + 1, "not valid CSV: %s",
				      csv_strerror(csv_error(&parser)));
		}
		off += chunk;
		r->line++;
	}
	if (!r->failed && csv_fini(&parser, manifest_on_field,
				   manifest_on_record, r) != 0 && !r->failed) {
		r->record_line = r->line - 1;
		manifest_fail(r, r->nfields + 1, "not valid CSV: a quoted "
			      "field is not closed");
	}
	if (r->failed)
		goto out;
	if (r->header == NULL) {
		r->record_line = 1;
		manifest_fail(r, 0, "empty: no header row");
		goto out;
	}
	rc = 0;
out:
	csv_free(&parser);
	return rc;
}

void
manifest_free(struct manifest *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nrows; i++)
		manifest_row_clear(&m->rows[i]);
	free(m->rows);
	for (i = 0; i < m->nbad; i++)
		free(m->bad[i].message);
	free(m->bad);
	for (i = 0; i < m->ncolumns; i++)
		free(m->columns[i]);
	free(m->columns);
	free(m);
}

int
manifest_parse_data(const char *path, const unsigned char *data, size_t len,
		    struct manifest **out)
{
	struct manifest_reader r;
	int rc = -1;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	r.path = path;
	if ((r.m = calloc(1, sizeof(*r.m))) == NULL) {
		err_set(ERR_FAILED, "%s: out of memory", path);
		goto out;
	}
	if (EVP_Digest(data, len, r.m->digest, NULL, EVP_sha256(), NULL) != 1) {
		err_set(ERR_FAILED, "%s: cannot hash the manifest", path);
		goto out;
	}
	if (manifest_parse(&r, data, len) < 0)
		goto out;
	if (r.m->nrows == 0 && r.m->nbad == 0) {
		r.record_line = 2;
		manifest_fail(&r, 0, "no rows after the header");
		goto out;
	}
	*out = r.m;
	r.m = NULL;
	rc = 0;
out:
	manifest_reader_clear(&r);
	manifest_free(r.m);
	return rc;
}

/* A manifest that cannot be read is bad input, whatever the reason: the
 * recorded error becomes a usage error under "manifest: ". The message is
 * copied first because err_set() formats into the buffer that
 * err_message() points to. */
static void
manifest_usage_error(void)
{
	char why[ERR_MESSAGE_MAX];

	snprintf(why, sizeof(why), "%s", err_message());
	err_set(ERR_USAGE, "manifest: %s", why);
}

size_t
manifest_column(const struct manifest *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->ncolumns; i++)
		if (strcmp(m->columns[i], name) == 0)
			return i + 1;
	return 0;
}

int
manifest_load(const char *path, struct manifest **out)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int rc = -1;

	*out = NULL;
	if (util_read_file(path, MANIFEST_MAX_BYTES, &data, &len) < 0) {
		manifest_usage_error();
		goto out;
	}
	rc = manifest_parse_data(path, data, len, out);
out:
	free(data);
	return rc;
}
