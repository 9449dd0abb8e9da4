/* SPDX-License-Identifier: MIT */
/* cmd-ca.c - the CA options of every command that submits a request. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "cmd-ca.h"
#include "err.h"
#include "owndir.h"
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
	case OPT_ACME_ACCOUNT: c->acme_account = arg; return 0;
	case OPT_ACME_EMAIL: c->acme_email = arg; return 0;
	case OPT_ACME_AGREE_TOS: c->acme_agree_tos = true; return 0;
	case OPT_ACME_EAB_KID: c->acme_eab_kid = arg; return 0;
	case OPT_ACME_EAB_HMAC_SOURCE: c->acme_eab_hmac_source = arg; return 0;
	case OPT_ACME_HTTP: c->acme_http = arg; return 0;
	case OPT_ACME_WEBROOT: c->acme_webroot = arg; return 0;
	case OPT_ACME_DNS_HOOK: c->acme_dns_hook = arg; return 0;
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
	out->acme_account = c->acme_account;
	out->acme_email = c->acme_email;
	out->acme_agree_tos = c->acme_agree_tos;
	out->acme_eab_kid = c->acme_eab_kid;
	out->acme_http = c->acme_http;
	out->acme_webroot = c->acme_webroot;
	out->acme_dns_hook = c->acme_dns_hook;
}

/* The default ACME account key file, STATE_DIR/acme-account.key, the
 * directory made when missing; *OUT NULL when there is no state
 * directory (the backend then asks for --acme-account). */
static int
cmd_ca_acme_account(const struct global_opts *g, char **out)
{
	char *dir = NULL;
	size_t size;
	int rc = -1;

	*out = NULL;
	if (cmd_state_dir(g, &dir) < 0)
		goto out;
	if (dir == NULL) {
		rc = 0;
		goto out;
	}
	if (owndir_make(dir, "the state directory") < 0)
		goto out;
	size = strlen(dir) + sizeof("/acme-account.key");
	if ((*out = malloc(size)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	snprintf(*out, size, "%s/acme-account.key", dir);
	rc = 0;
out:
	free(dir);
	return rc;
}

int
cmd_ca_connect_each(const struct global_opts *g, const struct cmd_ca *c,
		    const char *const *specs, size_t n, struct ca **out)
{
	struct ca_options o;
	char *auth_key = NULL, *challenge = NULL, *eab = NULL, *account = NULL;
	size_t i;
	bool acme = false;
	int rc = -1;

	for (i = 0; i < n; i++) {
		out[i] = NULL;
		acme = acme || strncmp(specs[i], "acme:", 5) == 0;
	}
	cmd_ca_options(c, &o);
	if (cmd_ca_secret(c->auth_source, "the CA's authentication key", &auth_key) < 0 ||
	    cmd_ca_secret(c->challenge_source, "the challenge password", &challenge) < 0 ||
	    cmd_ca_secret(c->acme_eab_hmac_source, "the EAB HMAC key", &eab) < 0 ||
	    (acme && c->acme_account == NULL &&
	     cmd_ca_acme_account(g, &account) < 0))
		goto out;
	o.auth_key = auth_key;
	o.challenge = challenge;
	o.acme_eab_hmac = eab;
	if (account != NULL)
		o.acme_account = account;
	for (i = 0; i < n; i++)
		if (ca_open(specs[i], &o, &out[i]) < 0)
			goto out;
	rc = 0;
out:
	for (i = 0; rc < 0 && i < n; i++) {
		ca_free(out[i]);
		out[i] = NULL;
	}
	pin_free(auth_key);
	pin_free(challenge);
	pin_free(eab);
	free(account);
	return rc;
}

int
cmd_ca_open_each(const struct global_opts *g, const struct cmd_ca *c,
		 const char *const *specs, size_t n, struct ca **out)
{
	return cmd_ca_connect_each(g, c, specs, n, out) < 0 ? cmd_fail(g) : 0;
}

int
cmd_ca_connect(const struct global_opts *g, const struct cmd_ca *c,
	       struct ca **out)
{
	return cmd_ca_connect_each(g, c, &c->spec, 1, out);
}

int
cmd_ca_open(const struct global_opts *g, const struct cmd_ca *c, struct ca **out)
{
	*out = NULL;
	if (c->spec == NULL)
		return cmd_usage_error(g, "--ca is required");
	return cmd_ca_open_each(g, c, &c->spec, 1, out);
}

int
cmd_ca_reason(const struct global_opts *g, const char *name, int *out)
{
	int code = ca_reason_parse(name);

	if (code < 0)
		return cmd_fail(g);
	*out = code;
	return 0;
}

int
cmd_ca_open_revoker(const struct global_opts *g, const struct cmd_ca *c,
		    struct ca **out)
{
	int status = cmd_ca_open(g, c, out);

	if (status != 0 || ca_can_revoke(*out))
		return status;
	err_set(ERR_USAGE, "CA %s cannot revoke certificates (exec's helper "
		"protocol and SCEP have no revocation); nothing was changed",
		ca_describe(*out));
	ca_free(*out);
	*out = NULL;
	return cmd_fail(g);
}

int
cmd_ca_revoke_x509(struct ca *ca, X509 *x, int reason)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *pem = NULL;
	long len;
	int rc = -1;

	if (bio == NULL || PEM_write_bio_X509(bio, x) != 1 ||
	    (len = BIO_get_mem_data(bio, &data)) <= 0 ||
	    (pem = malloc((size_t)len + 1)) == NULL) {
		ERR_clear_error();
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	memcpy(pem, data, (size_t)len);
	pem[len] = '\0';
	rc = ca_revoke(ca, pem, reason);
out:
	free(pem);
	BIO_free(bio);
	return rc;
}

void
cmd_ca_serial(X509 *x, char *buf, size_t size)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

	snprintf(buf, size, "%s", hex != NULL ? hex : "?");
	ERR_clear_error();
	OPENSSL_free(hex);
	BN_free(bn);
}
