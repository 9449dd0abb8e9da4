/* SPDX-License-Identifier: MIT */
/* ca-http.c - what the HTTP-speaking CA backends share (cfssl, SCEP,
 * ACME). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "array.h"
#include "ca-http.h"
#include "err.h"
#include "interrupt.h"
#include "util.h"

static const struct {
	const char *scheme;
	bool https;
} ca_http_schemes[] = {
	{ "http", false },
	{ "https", true },
};

void
ca_http_url_clear(struct ca_http_url *u)
{
	if (u == NULL)
		return;
	curl_url_cleanup(u->url);
	free(u->description);
	memset(u, 0, sizeof(*u));
}

/* "KIND:" and URL without its password, for messages; NULL when out of
 * memory. */
static char *
ca_http_describe(const char *kind, CURLU *url)
{
	CURLU *shown = NULL;
	char *text = NULL, *out = NULL;
	size_t size;

	if ((shown = curl_url_dup(url)) == NULL ||
	    curl_url_set(shown, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
	    curl_url_get(shown, CURLUPART_URL, &text, 0) != CURLUE_OK)
		goto out;
	size = strlen(kind) + 1 + strlen(text) + 1;
	if ((out = malloc(size)) != NULL)
		snprintf(out, size, "%s:%s", kind, text);
out:
	curl_free(text);
	curl_url_cleanup(shown);
	return out;
}

int
ca_http_url_parse(const char *kind, const char *spec, const char *text,
		  const char *form, struct ca_http_url *out)
{
	struct ca_http_url u = { 0 };
	char *scheme = NULL;
	CURLUcode uc;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (*text == '\0') {
		err_set(ERR_USAGE, "CA %s%s%s: no URL given (%s)", kind,
			*spec != '\0' ? ":" : "", spec, form);
		goto out;
	}
	if ((u.url = curl_url()) == NULL)
		goto nomem;
	/* Any scheme parses, so that the message can name the wrong one. */
	if ((uc = curl_url_set(u.url, CURLUPART_URL, text,
			       CURLU_NON_SUPPORT_SCHEME)) != CURLUE_OK ||
	    (uc = curl_url_get(u.url, CURLUPART_SCHEME, &scheme, 0)) !=
	    CURLUE_OK) {
		err_set(ERR_USAGE, "CA %s:%s: not a usable URL: %s; it must "
			"start with http:// or https://", kind, spec,
			curl_url_strerror(uc));
		goto out;
	}
	for (i = 0; i < NELEM(ca_http_schemes); i++)
		if (strcmp(scheme, ca_http_schemes[i].scheme) == 0)
			break;
	if (i == NELEM(ca_http_schemes)) {
		err_set(ERR_USAGE, "CA %s:%s: the URL must be http or https, "
			"not %s", kind, spec, scheme);
		goto out;
	}
	u.https = ca_http_schemes[i].https;
	if ((u.description = ca_http_describe(kind, u.url)) == NULL)
		goto nomem;
	*out = u;
	memset(&u, 0, sizeof(u));
	rc = 0;
	goto out;
nomem:
	err_set(ERR_FAILED, "CA %s:%s: out of memory", kind, spec);
out:
	curl_free(scheme);
	ca_http_url_clear(&u);
	return rc;
}

/* libcurl's write callback for a body: refuses (and so ends the transfer)
 * past the size limit, setting overflow. */
static size_t
ca_http_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct ca_http_body *body = userdata;
	size_t n = size * nmemb;
	unsigned char *grown;

	if (n > body->max - body->len) {
		body->overflow = true;
		return 0;
	}
	/* Room for the terminating NUL too. */
	if ((grown = array_grow(body->data, &body->cap, body->len + n + 1,
				1)) == NULL)
		return 0;
	body->data = grown;
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

/* Set up CURL for one transfer into BODY, with libcurl's message in ERRBUF
 * (CURL_ERROR_SIZE bytes). */
static int
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

/* Record a failed transfer as a sentence; returns -1. */
static int
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
	err_set(ERR_FAILED, "%s: %s", what,
		*errbuf != '\0' ? errbuf : curl_easy_strerror(code));
	return err_tag(ERR_CODE_CA_UNREACHABLE);
}

void
ca_http_headers_clear(struct ca_http_headers *h)
{
	if (h == NULL)
		return;
	free(h->nonce);
	free(h->location);
	free(h->content_type);
	memset(h, 0, sizeof(*h));
	h->retry_after = -1;
}

/* Longest header line kept. */
#define CA_HTTP_HEADER_MAX 2048

/* VALUE of header line LINE (LEN bytes) if its name is NAME, trimmed, in
 * a new string; NULL otherwise or when out of memory. */
static char *
ca_http_header_value(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	const char *v, *end = line + len;

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	for (v = line + n + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	return strndup(v, (size_t)(end - v));
}

/* Replace *SLOT with VALUE (owned), if VALUE is not NULL. */
static void
ca_http_header_keep(char **slot, char *value)
{
	if (value == NULL)
		return;
	free(*slot);
	*slot = value;
}

/* libcurl's header callback: the headers ACME reads, of the last answer
 * (a redirect's are replaced by those of where it led). */
static size_t
ca_http_header(char *buffer, size_t size, size_t nitems, void *userdata)
{
	struct ca_http_headers *h = userdata;
	size_t len = size * nitems;
	char *v, *end;
	long secs;

	if (len > CA_HTTP_HEADER_MAX)
		return len;
	if (len >= 5 && strncmp(buffer, "HTTP/", 5) == 0) {
		ca_http_headers_clear(h);
		return len;
	}
	ca_http_header_keep(&h->nonce, ca_http_header_value(buffer, len,
							    "Replay-Nonce"));
	ca_http_header_keep(&h->location, ca_http_header_value(buffer, len,
							       "Location"));
	ca_http_header_keep(&h->content_type,
			    ca_http_header_value(buffer, len, "Content-Type"));
	if ((v = ca_http_header_value(buffer, len, "Retry-After")) != NULL) {
		/* Seconds; an HTTP date is taken as no advice. */
		secs = strtol(v, &end, 10);
		if (end != v && *end == '\0' && secs >= 0)
			h->retry_after = secs;
		free(v);
	}
	return len;
}

/* The connections (and TLS sessions) of this process, kept from one
 * exchange to the next: a run that asks one CA for many certificates
 * connects once. libcurl reuses a connection only for the same host,
 * port and TLS settings. A process forked from one that made it starts
 * a cache of its own; without one (out of memory), each exchange
 * connects anew. */
static CURLSH *ca_http_share;
static pid_t ca_http_share_pid;

static CURLSH *
ca_http_shared(void)
{
	CURLSH *sh;

	/* An inherited cache is the parent's: its sockets are not ours to
	 * use or close. */
	if (ca_http_share != NULL && ca_http_share_pid == getpid())
		return ca_http_share;
	if ((sh = curl_share_init()) == NULL)
		return NULL;
	if (curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) ||
	    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) ||
	    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS)) {
		curl_share_cleanup(sh);
		return NULL;
	}
	ca_http_share = sh;
	ca_http_share_pid = getpid();
	return sh;
}

int
ca_http_exchange(const struct ca_http_opts *o, const char *url,
		 const struct ca_http_post *post, const char *what,
		 struct ca_http_body *body, long *status)
{
	return ca_http_exchange_headers(o, url, post, what, body, status, NULL);
}

int
ca_http_exchange_headers(const struct ca_http_opts *o, const char *url,
			 const struct ca_http_post *post, const char *what,
			 struct ca_http_body *body, long *status,
			 struct ca_http_headers *h)
{
	char errbuf[CURL_ERROR_SIZE] = "", content_type[128];
	struct curl_slist *headers = NULL, *more;
	CURLSH *share;
	CURL *curl = NULL;
	CURLcode code;
	int rc = -1;

	*status = 0;
	if ((curl = curl_easy_init()) == NULL) {
		err_set(ERR_FAILED, "cannot start an HTTP client");
		goto out;
	}
	if (ca_http_setup(curl, o, body, errbuf) < 0)
		goto out;
	if ((share = ca_http_shared()) != NULL)
		(void)curl_easy_setopt(curl, CURLOPT_SHARE, share);
	if (curl_easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK ||
	    (h != NULL &&
	     (ca_http_headers_clear(h),
	      curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, ca_http_header) ||
	      curl_easy_setopt(curl, CURLOPT_HEADERDATA, h)))) {
		err_set(ERR_FAILED, "cannot set up the HTTP client");
		goto out;
	}
	if (post != NULL) {
		snprintf(content_type, sizeof(content_type), "Content-Type: %s",
			 post->content_type);
		if ((headers = curl_slist_append(NULL, content_type)) == NULL ||
		    /* No "100-continue" round trip before the body. */
		    (more = curl_slist_append(headers, "Expect:")) == NULL ||
		    (headers = more,
		     curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers)) ||
		    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post->data) ||
		    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
				     (curl_off_t)post->len)) {
			err_set(ERR_FAILED, "cannot set up the HTTP client");
			goto out;
		}
	}
	code = curl_easy_perform(curl);
	if (body->overflow || code == CURLE_FILESIZE_EXCEEDED) {
		err_set(ERR_FAILED, "%s is larger than %zu bytes", what,
			o->max_answer);
		goto out;
	}
	if (code != CURLE_OK) {
		ca_http_curl_failed(code, errbuf);
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	rc = 0;
out:
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return rc;
}
