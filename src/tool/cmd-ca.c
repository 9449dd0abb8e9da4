/* SPDX-License-Identifier: MIT */
/* cmd-ca.c - the CA options of every command that submits a request. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cmd-ca.h"
#include "err.h"
#include "pin.h"

/* --ca-timeout, --ca-retry or --wait SECONDS: a whole number from MIN to
 * a day. */
static int
cmd_ca_seconds(const struct global_opts *g, const char *option, long min,
	       const char *arg, int *out)
{
	char *end = NULL;
	long v = strtol(arg, &end, 10);

	if (end == arg || *end != '\0' || v < min || v > CA_MAX_WAIT)
		return cmd_usage_error(g, "%s takes seconds from %ld to %d, "
				       "not '%s'", option, min, CA_MAX_WAIT, arg);
	*out = (int)v;
	return 0;
}

int
cmd_ca_option(const struct global_opts *g, struct cmd_ca *c, int opt,
	      const char *arg)
{
	switch (opt) {
	case OPT_CA: c->spec = arg; return 0;
	case OPT_CA_TIMEOUT:
		return cmd_ca_seconds(g, "--ca-timeout", 1, arg, &c->timeout);
	case OPT_WAIT: return cmd_ca_seconds(g, "--wait", 0, arg, &c->wait);
	case OPT_CA_RETRY:
		return cmd_ca_seconds(g, "--ca-retry", 1, arg, &c->retry);
	case OPT_CA_TLS_TRUST: c->tls_trust = arg; return 0;
	case OPT_CA_AUTH_SOURCE: c->auth_source = arg; return 0;
	case OPT_CHALLENGE_SOURCE: c->challenge_source = arg; return 0;
	default: return -1;
	}
}

/* Read the secret from SPEC (a PIN source) into *OUT; NULL SPEC: none. */
static int
cmd_ca_secret(const char *spec, const char *what, char **out)
{
	struct pin_source src;
	int rc;

	*out = NULL;
	if (spec == NULL)
		return 0;
	if (pin_source_parse(spec, &src) < 0)
		return err_prefix("%s", what);
	rc = pin_source_read(&src, what, NULL, NULL, out);
	pin_source_clear(&src);
	return rc;
}

void
cmd_ca_options(const struct cmd_ca *c, struct ca_options *out)
{
	memset(out, 0, sizeof(*out));
	out->timeout_seconds = c->timeout;
	out->wait_seconds = c->wait;
	out->retry_seconds = c->retry;
	out->tls_trust = c->tls_trust;
}

int
cmd_ca_open(const struct global_opts *g, const struct cmd_ca *c, struct ca **out)
{
	*out = NULL;
	if (c->spec == NULL)
		return cmd_usage_error(g, "--ca is required");
	if (cmd_ca_connect(c, out) < 0)
		return cmd_fail(g);
	return 0;
}

int
cmd_ca_connect(const struct cmd_ca *c, struct ca **out)
{
	struct ca_options o;
	char *auth_key = NULL, *challenge = NULL;
	int rc = -1;

	*out = NULL;
	cmd_ca_options(c, &o);
	if (cmd_ca_secret(c->auth_source, "the CA's authentication key", &auth_key) < 0 ||
	    cmd_ca_secret(c->challenge_source, "the challenge password", &challenge) < 0)
		goto out;
	o.auth_key = auth_key;
	o.challenge = challenge;
	rc = ca_open(c->spec, &o, out);
out:
	pin_free(auth_key);
	pin_free(challenge);
	return rc;
}
