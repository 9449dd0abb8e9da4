/* SPDX-License-Identifier: MIT */
/* batch-job.h - what a batch is asked to do: its rows and the settings
 * every worker shares. */
#ifndef P11E_BATCH_JOB_H
#define P11E_BATCH_JOB_H

#include <stddef.h>

#include <openssl/x509.h>

#include "ca.h"
#include "journal.h"
#include "manifest.h"
#include "profile.h"

struct rolerecord;

#define BATCH_MAX_JOBS 64

/* What one manifest row asks for. */
struct batch_row {
	const struct manifest_row *row;         /* borrowed */
	struct profile **profiles;              /* borrowed: its roles, sets
						 * expanded */
	int nprofiles;
	struct ca *ca;                          /* borrowed: the row's CA */
};

struct batch_job {
	const char *module_path;
	const char *lock_dir;
	const char *state_dir;  /* for tokens without data objects; may be
				 * NULL (statedir.h) */
	const char *pin;        /* for rows without a pin_source; may be NULL */
	const char *so_pin;     /* for rows with an init_label, and for
				 * tokens that want their security officer
				 * to write; may be NULL */
	int pin_mailer_fd;      /* -1: new user PINs come from the PIN sources */
	const char *pin_mailer; /* its path, to read a PIN back on a rerun */
	X509_STORE *trust;      /* may be NULL */
	bool no_chain;          /* token_set_keep_chain(false) */
	const struct rolerecord *record;        /* what each role's record
						 * takes from the run (the
						 * CA, its options, the trust
						 * anchors); NULL: none */
	struct journal *journal;        /* may be NULL: nothing to resume */
	int jobs;               /* worker processes, 1 to BATCH_MAX_JOBS */
	const struct batch_row *rows;
	size_t nrows;
};

#endif
