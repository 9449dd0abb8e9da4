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

/* libcurl's write callback for a body: refuses (and so ends the
 * transfer) past the size limit, setting overflow. */
size_t ca_http_write(char *ptr, size_t size, size_t nmemb, void *userdata);

/* Record a failed transfer as a sentence ("the CA could not be
 * reached: ..."); returns -1. */
int ca_http_curl_failed(CURLcode code, const char *errbuf);

#endif
