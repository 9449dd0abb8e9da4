/* SPDX-License-Identifier: MIT */
/* cmd-batch.h - the batch command: its options (cmd-batch.c) and the run
 * that checks the manifest, drives the core and reports (cmd-batch-run.c). */
#ifndef P11E_CMD_BATCH_H
#define P11E_CMD_BATCH_H

#include "cmd-ca.h"
#include "cmd.h"

struct cmd_batch {
	const struct global_opts *g;
	const char *manifest_path;
	const char *report_path;        /* NULL: none */
	const char *journal_path;       /* NULL: none */
	const char *trust_path;         /* NULL: none */
	const char *pin_mailer_path;    /* NULL: none */
	const struct cmd_ca *ca;
	int jobs;
};

/* Check everything before any token is touched, run, report; returns the
 * exit status. */
int cmd_batch_run(const struct cmd_batch *b);

#endif
