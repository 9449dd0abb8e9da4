/* ca-http.h - what the HTTP-speaking CA backends share (cfssl, SCEP). */
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

/* Set up CURL for one transfer into BODY, with libcurl's message in ERRBUF
 * (CURL_ERROR_SIZE bytes). A caught SIGINT/SIGTERM/SIGHUP aborts the
 * transfer. -1 on a failure, recorded. */
int ca_http_setup(CURL *curl, const struct ca_http_opts *o,
		  struct ca_http_body *body, char *errbuf);

/* libcurl's write callback for a body: refuses (and so ends the
 * transfer) past the size limit, setting overflow. */
size_t ca_http_write(char *ptr, size_t size, size_t nmemb, void *userdata);

/* Record a failed transfer as a sentence ("the CA could not be
 * reached: ..."); returns -1. */
int ca_http_curl_failed(CURLcode code, const char *errbuf);

#endif
