/* SPDX-License-Identifier: MIT */
/* ca-http.h - what the HTTP-speaking CA backends share (cfssl, SCEP,
 * ACME). */
#ifndef P11E_CA_HTTP_H
#define P11E_CA_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

/* What the CA sent back, at most MAX bytes of it. */
struct ca_http_body {
	unsigned char *data;    /* NUL-terminated */
	size_t len, cap, max;
	bool overflow;
};

/* The options both backends set on a transfer. */
struct ca_http_opts {
	const char *redir_protocols;    /* where a redirect may go */
	long max_redirects;
	long timeout_ms;                /* connect and whole transfer */
	size_t max_answer;
	const char *tls_trust;          /* CA file for https, or NULL */
};

/* A CA's URL, as given after "KIND:". */
struct ca_http_url {
	CURLU *url;             /* as given, a password included */
	char *description;      /* "KIND:URL" without the password */
	bool https;
};

/* Parse TEXT, the URL part of the CA spec KIND:SPEC (SPEC is for
 * messages; FORM shows the expected form when TEXT is empty): only http
 * and https URLs are taken. On success *OUT holds what
 * ca_http_url_clear() frees; -1 on a failure, recorded. */
int ca_http_url_parse(const char *kind, const char *spec, const char *text,
		      const char *form, struct ca_http_url *out);

/* Free what U holds and zero it. */
void ca_http_url_clear(struct ca_http_url *u);

/* A POST's body. */
struct ca_http_post {
	const char *content_type;
	const void *data;
	size_t len;
};

/* One HTTP exchange with the CA: a GET of URL, or a POST of POST when it
 * is not NULL, with the limits of O. The answer goes into BODY (at most
 * O->max_answer bytes; WHAT names it in the message when it is larger:
 * "the CA's answer"), *STATUS is the HTTP status. A caught SIGINT,
 * SIGTERM or SIGHUP ends the transfer. -1 on a failure, recorded as a
 * sentence ("the CA could not be reached: ..."). */
int ca_http_exchange(const struct ca_http_opts *o, const char *url,
		     const struct ca_http_post *post, const char *what,
		     struct ca_http_body *body, long *status);

/* The answer's headers that a protocol on top of HTTP reads (ACME). */
struct ca_http_headers {
	char *nonce;            /* Replay-Nonce, or NULL */
	char *location;         /* Location, or NULL */
	char *content_type;     /* Content-Type, or NULL */
	long retry_after;       /* Retry-After in seconds; -1: none */
};

/* ca_http_exchange(), keeping the answer's headers in *H (cleared first;
 * ca_http_headers_clear() frees them). */
int ca_http_exchange_headers(const struct ca_http_opts *o, const char *url,
			     const struct ca_http_post *post, const char *what,
			     struct ca_http_body *body, long *status,
			     struct ca_http_headers *h);

/* Free what H holds and zero it. */
void ca_http_headers_clear(struct ca_http_headers *h);

#endif
