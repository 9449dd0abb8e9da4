/* SPDX-License-Identifier: MIT */
/* cmd-batch.c - batch MANIFEST --ca CA [-j N] [--journal FILE]
 * [--report FILE]: many tokens, one manifest row each. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "ca.h"
#include "cmd-ca.h"
#include "cmd-batch.h"
#include "cmd.h"
#include "err.h"
#include "journal.h"
#include "manifest.h"
#include "pin.h"
#include "profile.h"
#include "profile-set.h"
#include "util.h"

enum { OPT_JOURNAL = 1600, OPT_REPORT, OPT_TRUST, OPT_PIN_MAILER,
       OPT_MANIFEST_PINS, OPT_CHECK };

struct batch_opts {
	const struct global_opts *g;
	struct cmd_ca ca;
	const char *journal;
	const char *report;
	const char *trust;
	const char *pin_mailer;
	int jobs;
	enum cmd_manifest_pins manifest_pins;
	bool check;
};

static const struct {
	const char *name;
	enum cmd_manifest_pins value;
} batch_manifest_pins[] = {
	{ "any", CMD_MANIFEST_PINS_ANY },
	{ "env", CMD_MANIFEST_PINS_ENV },
	{ "none", CMD_MANIFEST_PINS_NONE },
};

static const struct option batch_long[] = {
	CMD_CA_LONG_OPTIONS,
	{ "jobs", required_argument, NULL, 'j' },
	{ "journal", required_argument, NULL, OPT_JOURNAL },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ "pin-mailer", required_argument, NULL, OPT_PIN_MAILER },
	{ "manifest-pin-sources", required_argument, NULL, OPT_MANIFEST_PINS },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_batch_option(void *ctx, int opt, const char *arg)
{
	struct batch_opts *o = ctx;
	int rc = cmd_ca_option(o->g, &o->ca, opt, arg);
	char *end = NULL;
	size_t i;
	long v;

	if (rc >= 0)
		return rc;
	switch (opt) {
	case 'j':
		v = strtol(arg, &end, 10);
		if (end == arg || *end != '\0' || v < 1 || v > BATCH_MAX_JOBS)
			return cmd_usage_error(o->g, "-j takes a number of workers "
					       "from 1 to %d, not '%s'",
					       BATCH_MAX_JOBS, arg);
		o->jobs = (int)v;
		return 0;
	case OPT_JOURNAL: o->journal = arg; return 0;
	case OPT_REPORT: o->report = arg; return 0;
	case OPT_TRUST: o->trust = arg; return 0;
	case OPT_PIN_MAILER: o->pin_mailer = arg; return 0;
	case OPT_CHECK: o->check = true; return 0;
	case OPT_MANIFEST_PINS:
		for (i = 0; i < sizeof(batch_manifest_pins) /
			    sizeof(batch_manifest_pins[0]); i++)
			if (strcmp(arg, batch_manifest_pins[i].name) == 0) {
				o->manifest_pins = batch_manifest_pins[i].value;
				return 0;
			}
		return cmd_usage_error(o->g, "--manifest-pin-sources takes any, "
				       "env or none");
	default: return cmd_usage_error(o->g, "unknown option");
	}
}

int
cmd_batch(struct global_opts *g, int argc, char **argv)
{
	struct cmd_batch run;
	struct batch_opts o;
	int first = 0, status = EXIT_FAILED;

	memset(&o, 0, sizeof(o));
	memset(&run, 0, sizeof(run));
	o.g = g;
	o.jobs = 1;
	if (!cmd_parse(g, argc, argv, "j:", batch_long, cmd_batch_option, &o,
		       &first, &status))
		goto out;
	if (argc - first != 1) {
		status = cmd_usage_error(g, "name one manifest");
		goto out;
	}
	if (g->token != NULL) {
		status = cmd_usage_error(g, "--token does not go with batch: the "
					 "manifest's token column selects each token");
		goto out;
	}
	run.g = g;
	run.manifest_path = argv[first];
	run.report_path = o.report;
	run.journal_path = o.journal;
	run.trust_path = o.trust;
	run.pin_mailer_path = o.pin_mailer;
	run.jobs = o.jobs;
	run.manifest_pins = o.manifest_pins;
	run.ca = &o.ca;
	run.check = o.check;
	status = cmd_batch_run(&run);
out:
	return status;
}
