/* SPDX-License-Identifier: MIT */
/* cmd-batch.h - the batch command: its options (cmd-batch.c) and the run
 * that checks the manifest, drives the core and reports (cmd-batch-run.c). */
#ifndef P11E_CMD_BATCH_H
#define P11E_CMD_BATCH_H

#include "cmd-ca.h"
#include "cmd.h"

/* What PIN sources a manifest may give (--manifest-pin-sources): a file
 * named in a manifest is read by whoever runs the batch, and its first
 * line spent as a PIN try. */
enum cmd_manifest_pins {
	CMD_MANIFEST_PINS_ANY,  /* file: and env: (the default) */
	CMD_MANIFEST_PINS_ENV,  /* env: only: no file, no URI pin-source */
	CMD_MANIFEST_PINS_NONE, /* none: every PIN from the command line */
};

struct cmd_batch {
	const struct global_opts *g;
	const char *manifest_path;
	const char *report_path;        /* NULL: none */
	const char *journal_path;       /* NULL: none */
	const char *trust_path;         /* NULL: none */
	const char *pin_mailer_path;    /* NULL: none */
	const struct cmd_ca *ca;
	int jobs;
	enum cmd_manifest_pins manifest_pins;
	bool check;                     /* --check: check, touch nothing */
};

/* Check everything before any token is touched, run, report; returns the
 * exit status. */
int cmd_batch_run(const struct cmd_batch *b);

#endif
