/* SPDX-License-Identifier: MIT */
/* batch-worker.h - the worker side of a batch: one process serving rows. */
#ifndef P11E_BATCH_WORKER_H
#define P11E_BATCH_WORKER_H

#include <stddef.h>

#include "batch-job.h"
#include "journal.h"

/* The worker: serve rows from FD until it is closed, then exit. PLAN
 * holds each row's roles' journal states, row I's from PLAN_OFF[I]. */
void batch_worker_main(const struct batch_job *job,
		       const enum journal_state *plan, const size_t *plan_off,
		       int fd) __attribute__((noreturn));

#endif
