/* ca-http.c - what the HTTP-speaking CA backends share (cfssl, SCEP). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ca-http.h"
#include "err.h"
#include "interrupt.h"

size_t
ca_http_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct ca_http_body *body = userdata;
	size_t n = size * nmemb, cap;
	unsigned char *grown;

	if (n > body->max - body->len) {
		body->overflow = true;
		return 0;
	}
	if (body->len + n + 1 > body->cap) {
		cap = body->cap ? body->cap : 4096;
		while (cap < body->len + n + 1)
			cap *= 2;
		if ((grown = realloc(body->data, cap)) == NULL)
			return 0;
		body->data = grown;
		body->cap = cap;
	}
	memcpy(body->data + body->len, ptr, n);
	body->len += n;
	body->data[body->len] = '\0';
	return n;
}

/* libcurl's progress callback: a caught signal ends the transfer. */
static int
ca_http_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
		 curl_off_t ultotal, curl_off_t ulnow)
{
	(void)clientp;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return interrupt_signal() != 0;
}

int
ca_http_setup(CURL *curl, const struct ca_http_opts *o,
	      struct ca_http_body *body, char *errbuf)
{
	body->max = o->max_answer;
	if (curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR,
			     o->redir_protocols) ||
	    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L) ||
	    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, o->max_redirects) ||
	    curl_easy_setopt(curl, CURLOPT_POSTREDIR, CURL_REDIR_POST_ALL) ||
	    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, o->timeout_ms) ||
	    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, o->timeout_ms) ||
	    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
			     (curl_off_t)o->max_answer) ||
	    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, ca_http_write) ||
	    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body) ||
	    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L) ||
	    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, ca_http_progress) ||
	    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf) ||
	    curl_easy_setopt(curl, CURLOPT_USERAGENT, "p11enroll") ||
	    (o->tls_trust != NULL &&
	     (curl_easy_setopt(curl, CURLOPT_CAINFO, o->tls_trust) ||
	      curl_easy_setopt(curl, CURLOPT_CAPATH, NULL))))
		return err_set(ERR_FAILED, "cannot set up the HTTP client");
	return 0;
}

/* How a failed transfer reads. */
static const struct {
	CURLcode code;
	const char *what;
} ca_http_curl_errors[] = {
	{ CURLE_COULDNT_RESOLVE_HOST, "the CA could not be reached" },
	{ CURLE_COULDNT_RESOLVE_PROXY, "the CA could not be reached" },
	{ CURLE_COULDNT_CONNECT, "the CA could not be reached" },
	{ CURLE_OPERATION_TIMEDOUT, "the CA could not be reached" },
	{ CURLE_GOT_NOTHING, "the CA could not be reached" },
	{ CURLE_RECV_ERROR, "the CA could not be reached" },
	{ CURLE_SEND_ERROR, "the CA could not be reached" },
	{ CURLE_PEER_FAILED_VERIFICATION, "the CA's TLS certificate is not "
	  "trusted" },
	{ CURLE_SSL_CONNECT_ERROR, "TLS with the CA failed" },
	{ CURLE_SSL_CACERT_BADFILE, "the TLS trust file cannot be used" },
	{ CURLE_UNSUPPORTED_PROTOCOL, "the CA redirected to a scheme that is "
	  "not allowed" },
	{ CURLE_TOO_MANY_REDIRECTS, "the CA redirected too often" },
};

int
ca_http_curl_failed(CURLcode code, const char *errbuf)
{
	const char *what = "talking to the CA failed";
	size_t i;

	if (code == CURLE_ABORTED_BY_CALLBACK && interrupt_check() < 0)
		return err_prefix("talking to the CA");

	for (i = 0; i < sizeof(ca_http_curl_errors) / sizeof(ca_http_curl_errors[0]); i++) {
		if (ca_http_curl_errors[i].code == code) {
			what = ca_http_curl_errors[i].what;
			break;
		}
	}
	return err_set(ERR_FAILED, "%s: %s", what,
		       *errbuf != '\0' ? errbuf : curl_easy_strerror(code));
}
