/* SPDX-License-Identifier: MIT */
/* cmd-revoke.c - revoke --cert FILE --ca CA: revoke a certificate that is
 * no longer on any token (one a remove or renew let go, or one exported),
 * through a CA kind that can revoke. Certificates still on a token go with
 * remove ROLE --revoke, which revokes before it deletes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd-ca.h"
#include "cmd.h"
#include "err.h"
#include "util.h"
#include "verify.h"

#define REVOKE_MAX_FILE (1024 * 1024)

enum { OPT_CERT = 1800 };

struct revoke_opts {
	const struct global_opts *g;
	struct cmd_ca ca;
	const char *cert;
	int reason;
};

static const struct option revoke_long[] = {
	CMD_CA_LONG_OPTIONS,
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_revoke_option(void *ctx, int opt, const char *arg)
{
	struct revoke_opts *o = ctx;
	int rc = cmd_ca_option(o->g, &o->ca, opt, arg);

	if (rc >= 0)
		return rc;
	switch (opt) {
	case OPT_CERT: o->cert = arg; return 0;
	case OPT_REASON: return cmd_ca_reason(o->g, arg, &o->reason);
	default: return cmd_usage_error(o->g, "unknown option");
	}
}

/* The certificate that FILE holds (the first, when there are more). */
static int
cmd_revoke_load(const char *path, X509 **out)
{
	STACK_OF(X509) *rest = NULL;
	unsigned char *data = NULL;
	size_t len = 0;
	int rc = -1;

	*out = NULL;
	if (util_read_file(path, REVOKE_MAX_FILE, &data, &len) < 0)
		goto out;
	if (verify_parse_answer(data, len, out, &rest) < 0) {
		err_prefix("--cert %s", path);
		goto out;
	}
	rc = 0;
out:
	sk_X509_pop_free(rest, X509_free);
	free(data);
	return rc;
}

int
cmd_revoke(struct global_opts *g, int argc, char **argv)
{
	struct revoke_opts o;
	struct ca *ca = NULL;
	X509 *x = NULL;
	char serial[128];
	int first = 0, status = EXIT_FAILED;

	memset(&o, 0, sizeof(o));
	o.g = g;
	o.reason = CA_REASON_UNSPECIFIED;
	if (!cmd_parse(g, argc, argv, "", revoke_long, cmd_revoke_option, &o,
		       &first, &status))
		goto out;
	if (argc - first != 0) {
		status = cmd_usage_error(g, "revoke takes no role: give --cert "
					 "FILE (remove ROLE --revoke revokes a "
					 "role on a token)");
		goto out;
	}
	if (o.cert == NULL) {
		status = cmd_usage_error(g, "--cert is required");
		goto out;
	}
	if (cmd_revoke_load(o.cert, &x) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	if ((status = cmd_ca_open_revoker(g, &o.ca, &ca)) != 0)
		goto out;
	cmd_ca_serial(x, serial, sizeof(serial));
	if (cmd_ca_revoke_x509(ca, x, o.reason) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	status = EXIT_DONE;
	if (g->json)
		status = cmd_json_print(json_pack("{s:{s:s, s:s}}", "revoked",
					 "serial", serial, "reason",
					 ca_reason_name(o.reason))) < 0 ?
			 EXIT_FAILED : EXIT_DONE;
	else if (g->verbosity >= 0)
		printf("revoked serial %s (%s)\n", serial,
		       ca_reason_name(o.reason));
out:
	X509_free(x);
	ca_free(ca);
	return status;
}
