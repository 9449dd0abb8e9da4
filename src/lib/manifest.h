/* SPDX-License-Identifier: MIT */
/* manifest.h - the batch manifest: CSV (RFC 4180, read with libcsv) with
 * a header row. Column "token" selects the token (label, serial or
 * pkcs11: URI), column "roles" names its roles and role sets (separated
 * by blanks), optional column "pin_source" gives the row's PIN source
 * and optional column "init_label" the label to initialise a blank token
 * with, optional column "ca" the row's CA spec (as --ca; secrets stay
 * the command's options); every other column is a template variable of the row.
 */
#ifndef P11E_MANIFEST_H
#define P11E_MANIFEST_H

#include <stddef.h>

#include "template.h"

#define MANIFEST_MAX_BYTES (16 * 1024 * 1024)
#define MANIFEST_MAX_FIELD 4096

struct manifest_row {
	size_t line;            /* where the row is in the file */
	char *token;
	char *token_shown;      /* TOKEN as shown and recorded: without a
				 * URI's pin-value and pin-source */
	char **roles;           /* NULL-terminated, as written */
	size_t nroles;
	char *pin_source;       /* NULL: the command's */
	char *init_label;       /* NULL: the token is initialised already */
	char *ca;               /* NULL: the command's --ca */
	struct vars *vars;      /* the other columns; an empty cell is unset */
};

/* A row refused as it was read. */
struct manifest_bad {
	size_t line, column;    /* column from 1; 0: the whole row */
	char *message;          /* "PATH:LINE:COLUMN (NAME): what is wrong" */
};

struct manifest {
	struct manifest_row *rows;      /* the rows read well */
	size_t nrows, rows_cap;
	struct manifest_bad *bad;       /* the rows refused, in order */
	size_t nbad, bad_cap;
	char **columns;                 /* the header's names */
	size_t ncolumns;
	size_t column_token, column_roles, column_pin_source,
	       column_init_label, column_ca; /* from 1; 0: no such column */
	unsigned char digest[32];       /* SHA-256 of the file */
};

/* Read and check the manifest at PATH. A file that cannot be read as a
 * whole (no header, bad CSV) fails: ERR_USAGE, "PATH:LINE:COLUMN: what is
 * wrong" (COLUMN counts fields from 1). Bad rows do not stop the reading:
 * each goes into BAD, so that every one of them can be reported at once,
 * and the others into ROWS. */
int manifest_load(const char *path, struct manifest **out);

/* The number (from 1) of M's column NAME, or 0 when it has none. */
size_t manifest_column(const struct manifest *m, const char *name);

/* manifest_load() of the LEN bytes at DATA, read from PATH. */
int manifest_parse_data(const char *path, const unsigned char *data,
			size_t len, struct manifest **out);

/* NULL is fine. */
void manifest_free(struct manifest *m);

#endif
