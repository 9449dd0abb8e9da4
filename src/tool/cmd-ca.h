/* SPDX-License-Identifier: MIT */
/* cmd-ca.h - the CA options of every command that submits a request. */
#ifndef P11E_CMD_CA_H
#define P11E_CMD_CA_H

#include <openssl/x509.h>

#include "ca.h"
#include "cmd.h"

enum {
	OPT_CA = 1500,
	OPT_CA_TIMEOUT,
	OPT_CA_TLS_TRUST,
	OPT_CA_AUTH_SOURCE,
	OPT_CHALLENGE_SOURCE,
	OPT_WAIT,
	OPT_CA_RETRY,
	OPT_ACME_ACCOUNT,
	OPT_ACME_EMAIL,
	OPT_ACME_AGREE_TOS,
	OPT_ACME_EAB_KID,
	OPT_ACME_EAB_HMAC_SOURCE,
	OPT_ACME_HTTP,
	OPT_ACME_WEBROOT,
	OPT_ACME_DNS_HOOK,
	OPT_REASON,
};

/* The CA options' entries, for a command's option table. */
#define CMD_CA_LONG_OPTIONS \
	{ "ca", required_argument, NULL, OPT_CA }, \
	{ "ca-timeout", required_argument, NULL, OPT_CA_TIMEOUT }, \
	{ "ca-tls-trust", required_argument, NULL, OPT_CA_TLS_TRUST }, \
	{ "ca-auth-source", required_argument, NULL, OPT_CA_AUTH_SOURCE }, \
	{ "challenge-source", required_argument, NULL, OPT_CHALLENGE_SOURCE }, \
	{ "wait", required_argument, NULL, OPT_WAIT }, \
	{ "ca-retry", required_argument, NULL, OPT_CA_RETRY }, \
	{ "acme-account", required_argument, NULL, OPT_ACME_ACCOUNT }, \
	{ "acme-email", required_argument, NULL, OPT_ACME_EMAIL }, \
	{ "acme-agree-tos", no_argument, NULL, OPT_ACME_AGREE_TOS }, \
	{ "acme-eab-kid", required_argument, NULL, OPT_ACME_EAB_KID }, \
	{ "acme-eab-hmac-source", required_argument, NULL, OPT_ACME_EAB_HMAC_SOURCE }, \
	{ "acme-http", required_argument, NULL, OPT_ACME_HTTP }, \
	{ "acme-webroot", required_argument, NULL, OPT_ACME_WEBROOT }, \
	{ "acme-dns-hook", required_argument, NULL, OPT_ACME_DNS_HOOK }

struct cmd_ca {
	const char *spec;               /* --ca */
	const char *tls_trust;          /* --ca-tls-trust */
	const char *auth_source;        /* --ca-auth-source: cfssl HMAC key */
	const char *challenge_source;   /* --challenge-source: SCEP password */
	int timeout;                    /* --ca-timeout; 0: the default */
	int wait;                       /* --wait: seconds to keep asking a
					 * CA that asks to wait */
	int retry;                      /* --ca-retry: seconds between two
					 * questions when the CA did not say;
					 * 0: the default */
	const char *acme_account;       /* --acme-account; NULL: in the
					 * state directory */
	const char *acme_email;         /* --acme-email */
	bool acme_agree_tos;            /* --acme-agree-tos */
	const char *acme_eab_kid;       /* --acme-eab-kid */
	const char *acme_eab_hmac_source; /* --acme-eab-hmac-source */
	const char *acme_http;          /* --acme-http ADDR:PORT */
	const char *acme_webroot;       /* --acme-webroot DIR */
	const char *acme_dns_hook;      /* --acme-dns-hook COMMAND */
};

/* Take OPT if it is a CA option: 0 taken, an exit status for a bad
 * value, or -1 when OPT is not a CA option. */
int cmd_ca_option(const struct global_opts *g, struct cmd_ca *c, int opt,
		  const char *arg);

/* The options C gives the CA, all but its secrets and the default ACME
 * account file; the strings are borrowed from C. */
void cmd_ca_options(const struct cmd_ca *c, struct ca_options *out);

/* Open the CA: --ca is required; the secrets are read from their sources
 * and wiped once the backend has its copy. 0 or an exit status after
 * reporting. */
int cmd_ca_open(const struct global_opts *g, const struct cmd_ca *c,
		struct ca **out);

/* Open the N CAs SPECS with C's options and secrets, read once, into
 * OUT[0..N-1]; all or none. 0 or an exit status after reporting. */
int cmd_ca_open_each(const struct global_opts *g, const struct cmd_ca *c,
		     const char *const *specs, size_t n, struct ca **out);

/* cmd_ca_open_each() with the error recorded rather than reported: 0 or
 * -1. */
int cmd_ca_connect_each(const struct global_opts *g, const struct cmd_ca *c,
			const char *const *specs, size_t n, struct ca **out);

/* The CA of C->spec, as cmd_ca_connect_each() opens it. */
int cmd_ca_connect(const struct global_opts *g, const struct cmd_ca *c,
		   struct ca **out);

/* --reason NAME: the CRLReason code into *OUT; 0 or an exit status. */
int cmd_ca_reason(const struct global_opts *g, const char *name, int *out);

/* Open the CA for revocation: as cmd_ca_open(), and refused when its
 * kind cannot revoke, so that nothing has changed yet. */
int cmd_ca_open_revoker(const struct global_opts *g, const struct cmd_ca *c,
			struct ca **out);

/* X's serial number in hex into BUF ("?" when it cannot be told). */
void cmd_ca_serial(X509 *x, char *buf, size_t size);

/* Revoke certificate X with REASON: 0 or -1 with the error set. */
int cmd_ca_revoke_x509(struct ca *ca, X509 *x, int reason);

#endif
