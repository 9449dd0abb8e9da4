/* SPDX-License-Identifier: MIT */
/* batch.h - many tokens from a manifest.
 *
 * Worker processes each take one row (one token) at a time; the parent
 * hands out rows, keeps the journal and reports each row as it ends. A
 * role is journalled as started, and synced, before its worker touches
 * the token, so that a rerun after a crash knows which tokens may hold
 * pending objects: it repairs those first, counts a role found complete
 * as done, and enrolls the rest. A failed row never stops the others.
 */
#ifndef P11E_BATCH_H
#define P11E_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "batch-job.h"
#include "err.h"
#include "journal.h"

/* How one role of a row ended. */
struct batch_role_outcome {
	const char *role;               /* borrowed */
	enum journal_state state;       /* JOURNAL_NONE: not tried */
	bool earlier;                   /* done by an earlier run, or
					 * found complete on the token */
	struct journal_cert cert;       /* with JOURNAL_DONE */
	json_t *chain;                  /* with JOURNAL_DONE: owned, the CA
					 * certificates as PEM strings */
	json_t *uris;                   /* with JOURNAL_DONE: owned, the
					 * object URIs; NULL: not known */
	char *error;                    /* with JOURNAL_FAILED */
	enum err_code code;             /* with JOURNAL_FAILED */
};

struct batch_outcome {
	const struct batch_row *row;
	struct batch_role_outcome *roles;
	size_t nroles;
	char *error;            /* the row's own failure (token, PIN, worker) */
	enum err_code code;     /* with ERROR */
	bool failed;            /* the row or one of its roles failed */
	bool awaiting;          /* a role awaits its certificate */
};

struct batch_events {
	/* A row has ended: enrolled, failed, or done by an earlier run. */
	void (*row_done)(void *ctx, const struct batch_outcome *o);
	void *ctx;
};

/* Run JOB, calling EVENTS as rows end. 0 when every row was tried
 * (rows may have failed); -1 when the batch itself could not go on. */
int batch_run(const struct batch_job *job, const struct batch_events *events);

#endif
