/* SPDX-License-Identifier: MIT */
/* ca-reply.h - what a CA is asked with and what it answers: shared by
 * ca.c, which callers use, and the backends behind it. */
#ifndef P11E_CA_REPLY_H
#define P11E_CA_REPLY_H

#include <stdbool.h>
#include <stddef.h>

struct ca_options {
	int timeout_seconds;    /* one submission; 0: the default */
	size_t max_answer;      /* bytes accepted from the CA; 0: the default */
	const char *tls_trust;  /* https: verify the CA against this PEM file */
	const char *auth_key;   /* cfssl authsign HMAC key (secret; copied) */
	const char *challenge;  /* SCEP challenge password (secret; copied) */
	int wait_seconds;       /* a CA that asks to wait is asked again
				 * until this much time has passed; 0: not */
	int retry_seconds;      /* between two questions to a CA that asked
				 * to wait without saying how long (exec
				 * exit 1, SCEP PENDING); 0: the default */
	/* ACME */
	const char *acme_account;       /* the account key file */
	const char *acme_email;         /* contact; NULL: none */
	bool acme_agree_tos;            /* the terms are agreed to */
	const char *acme_eab_kid;       /* External Account Binding key id */
	const char *acme_eab_hmac;      /* its HMAC key, base64url (secret;
					 * copied) */
	const char *acme_http;          /* http-01: listen on ADDR:PORT */
	const char *acme_webroot;       /* http-01: files under this */
	const char *acme_dns_hook;      /* dns-01: this command */
};

#define CA_DEFAULT_TIMEOUT 300
#define CA_DEFAULT_MAX_ANSWER (1024 * 1024)
/* Between two questions to a CA that asked to wait without saying how
 * long, unless the options say otherwise. */
#define CA_DEFAULT_RETRY 5
/* The longest --wait: a day, like --ca-timeout. */
#define CA_MAX_WAIT 86400

/* What ca_submit() and ca_poll() return when the CA took the request but
 * has not issued yet. */
#define CA_PENDING 1

/* A CA's answer. Issued: ANSWER holds the certificate (NUL-terminated,
 * certificate first, chain may follow). Pending: COOKIE is what the CA
 * wants to be asked again with. */
struct ca_reply {
	unsigned char *answer;
	size_t len;
	char *cookie;           /* pending: NUL-terminated, may be empty */
	int retry_seconds;      /* pending: when the CA said to ask again;
				 * 0: it did not say */
};

/* Free what R holds and zero it. */
void ca_reply_clear(struct ca_reply *r);

#endif
