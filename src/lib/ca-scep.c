/* SPDX-License-Identifier: MIT */
/* ca-scep.c - scep:URL, a CA reached through SCEP (RFC 8894).
 *
 * One submission asks the CA what it can do (GetCACaps), fetches its
 * certificates (GetCACert), sends the request as a PKCSReq and, while
 * the CA answers PENDING, asks again with CertPoll until the timeout runs
 * out. The challenge password travels inside the request (the PKCS#9
 * challengePassword attribute, see ca_request_challenge()), so the
 * request is built with it before it gets here. This file is the HTTP
 * side and reads what the CA says about itself; the pkiMessages are
 * ca-scep-msg.c's.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "ca-backend.h"
#include "ca-http.h"
#include "ca-scep-msg.h"
#include "csr.h"
#include "err.h"
#include "interrupt.h"
#include "text.h"
#include "util.h"

/* Longest line of a server's error page quoted back. */
#define CA_SCEP_LINE_MAX 200
#define CA_SCEP_MAX_REDIRECTS 5

struct ca_scep {
	struct ca_http_url ca;  /* the CA's SCEP URL, without operation */
	char *challenge;        /* copied secret, or NULL */
	char *tls_trust;        /* PEM file for https, or NULL: system store */
	int timeout_seconds;
	int retry_seconds;      /* between CertPolls while the CA says
				 * PENDING, which never says how long */
	size_t max_answer;
};

/* ---- open ------------------------------------------------------------ */

static void
ca_scep_free(void *state)
{
	struct ca_scep *cs = state;

	if (cs == NULL)
		return;
	if (cs->challenge != NULL) {
		OPENSSL_cleanse(cs->challenge, strlen(cs->challenge));
		free(cs->challenge);
	}
	ca_http_url_clear(&cs->ca);
	free(cs->tls_trust);
	free(cs);
}

static int
ca_scep_open(const char *rest, const struct ca_options *opts, void **state)
{
	struct ca_scep *cs = NULL;
	int rc = -1;

	*state = NULL;
	if ((cs = calloc(1, sizeof(*cs))) == NULL) {
		err_set(ERR_FAILED, "CA scep:%s: out of memory", rest);
		goto out;
	}
	cs->timeout_seconds = opts->timeout_seconds;
	cs->retry_seconds = opts->retry_seconds;
	cs->max_answer = opts->max_answer;
	if (ca_http_url_parse("scep", rest, rest, "scep:https://HOST/PATH",
			      &cs->ca) < 0)
		goto out;
	if ((opts->challenge != NULL &&
	     (cs->challenge = util_strdup(opts->challenge)) == NULL) ||
	    (opts->tls_trust != NULL &&
	     (cs->tls_trust = util_strdup(opts->tls_trust)) == NULL)) {
		err_prefix("CA %s", cs->ca.description);
		goto out;
	}
	*state = cs;
	cs = NULL;
	rc = 0;
out:
	ca_scep_free(cs);
	return rc;
}

static const char *
ca_scep_describe(const void *state)
{
	const struct ca_scep *cs = state;

	return cs->ca.description;
}

static const char *
ca_scep_request_challenge(const void *state)
{
	const struct ca_scep *cs = state;

	return cs->challenge;
}

/* ---- HTTP ------------------------------------------------------------ */

static void
ca_scep_body_free(struct ca_http_body *body)
{
	free(body->data);
	body->data = NULL;
	body->len = body->cap = 0;
	body->overflow = false;
}

/* The URL of OPERATION, with MESSAGE (base64) for a GET PKIOperation. */
static int
ca_scep_url(const struct ca_scep *cs, const char *operation,
	    const char *message, char **out)
{
	char query[64], *param = NULL;
	CURLU *url = NULL;
	size_t size;
	int rc = -1;

	*out = NULL;
	snprintf(query, sizeof(query), "operation=%s", operation);
	if ((url = curl_url_dup(cs->ca.url)) == NULL ||
	    curl_url_set(url, CURLUPART_QUERY, query, CURLU_APPENDQUERY) !=
	    CURLUE_OK)
		goto out;
	if (message != NULL) {
		/* URLENCODE escapes what follows the '=': base64's '+', '/'
		 * and '=' too. */
		size = strlen("message=") + strlen(message) + 1;
		if ((param = malloc(size)) == NULL)
			goto out;
		snprintf(param, size, "message=%s", message);
		if (curl_url_set(url, CURLUPART_QUERY, param,
				 CURLU_APPENDQUERY | CURLU_URLENCODE) !=
		    CURLUE_OK)
			goto out;
	}
	if (curl_url_get(url, CURLUPART_URL, out, 0) != CURLUE_OK)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		err_set(ERR_FAILED, "cannot build the URL for %s", operation);
	free(param);
	curl_url_cleanup(url);
	return rc;
}

/* One HTTP exchange for OPERATION: a GET (with MESSAGE when not NULL) or,
 * with POST, a POST of POST_LEN bytes. *STATUS is the HTTP status. */
static int
ca_scep_http(const struct ca_scep *cs, const char *operation,
	     const char *message, const unsigned char *post, size_t post_len,
	     int64_t deadline, struct ca_http_body *body, long *status)
{
	struct ca_http_opts opts = {
		/* Never from https down to http. */
		.redir_protocols = cs->ca.https ? "https" : "http,https",
		.max_redirects = CA_SCEP_MAX_REDIRECTS,
		.max_answer = cs->max_answer,
		.tls_trust = cs->tls_trust,
	};
	const struct ca_http_post pki = {
		.content_type = "application/x-pki-message",
		.data = post,
		.len = post_len,
	};
	char what[64], *url = NULL;
	int64_t left;
	int rc;

	*status = 0;
	ca_scep_body_free(body);
	if ((left = deadline - util_now_ms()) <= 0) {
		err_set(ERR_FAILED, "the CA could not be reached within %d "
			"seconds", cs->timeout_seconds);
		return err_tag(ERR_CODE_CA_UNREACHABLE);
	}
	if (ca_scep_url(cs, operation, message, &url) < 0)
		return -1;
	opts.timeout_ms = (long)left;
	snprintf(what, sizeof(what), "the CA's answer to %s", operation);
	rc = ca_http_exchange(&opts, url, post != NULL ? &pki : NULL, what,
			      body, status);
	curl_free(url);
	return rc;
}

/* A status other than 2xx as an error. */
static int
ca_scep_http_status(const char *operation, long status,
		    const struct ca_http_body *body)
{
	char line[CA_SCEP_LINE_MAX + 4];

	if (status >= 200 && status < 300)
		return 0;
	text_first_line((const char *)body->data, body->len, line,
			sizeof(line));
	err_set(ERR_FAILED, "the CA answered HTTP %ld to %s: %s", status,
		operation, *line != '\0' ? line : "(no reason given)");
	return err_tag(ERR_CODE_CA_REJECTED);
}

/* ---- GetCACaps ------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned caps;
} ca_scep_cap_names[] = {
	{ "POSTPKIOperation", CA_SCEP_CAP_POST },
	{ "SHA-1", CA_SCEP_CAP_SHA1 },
	{ "SHA-256", CA_SCEP_CAP_SHA256 },
	{ "SHA-512", CA_SCEP_CAP_SHA512 },
	{ "AES", CA_SCEP_CAP_AES },
	{ "DES3", CA_SCEP_CAP_DES3 },
	{ "Renewal", CA_SCEP_CAP_RENEWAL },
	{ "GetNextCACert", CA_SCEP_CAP_NEXT_CA },
	{ "SCEPStandard", CA_SCEP_CAP_STANDARD | CA_SCEP_CAP_AES |
	  CA_SCEP_CAP_POST | CA_SCEP_CAP_SHA256 },
};

unsigned
ca_scep_caps_parse(const char *text, size_t len)
{
	const char *line = text, *end = text + len;
	unsigned caps = 0;
	size_t n, i;

	while (line < end) {
		for (n = 0; line + n < end && line[n] != '\n'; n++)
			;
		/* Blanks and a CR around a name are the server's layout. */
		while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' ||
				 line[n - 1] == '\t'))
			n--;
		while (n > 0 && (*line == ' ' || *line == '\t')) {
			line++;
			n--;
		}
		for (i = 0; i < sizeof(ca_scep_cap_names) /
			 sizeof(ca_scep_cap_names[0]); i++) {
			if (strlen(ca_scep_cap_names[i].name) == n &&
			    strncasecmp(ca_scep_cap_names[i].name, line,
					n) == 0)
				caps |= ca_scep_cap_names[i].caps;
		}
		line = memchr(line, '\n', (size_t)(end - line));
		if (line == NULL)
			break;
		line++;
	}
	return caps;
}

/* ---- GetCACert ------------------------------------------------------- */

void
ca_scep_certs_clear(struct ca_scep_certs *certs)
{
	if (certs == NULL)
		return;
	sk_X509_pop_free(certs->all, X509_free);
	memset(certs, 0, sizeof(*certs));
}

static bool
ca_scep_encipherment(X509 *cert)
{
	return (X509_get_extension_flags(cert) & EXFLAG_KUSAGE) != 0 &&
	    (X509_get_key_usage(cert) & KU_KEY_ENCIPHERMENT) != 0;
}

/* RFC 8894 3.5.1: of several certificates, requests are encrypted to the
 * one with keyEncipherment (an RA's, when the CA has one). */
static X509 *
ca_scep_pick_recipient(STACK_OF(X509) *all)
{
	X509 *cert, *any_ke = NULL, *end_entity = NULL;
	int i;

	for (i = 0; i < sk_X509_num(all); i++) {
		cert = sk_X509_value(all, i);
		if (ca_scep_encipherment(cert)) {
			if (X509_check_ca(cert) == 0)
				return cert;
			if (any_ke == NULL)
				any_ke = cert;
		}
		if (end_entity == NULL && X509_check_ca(cert) == 0)
			end_entity = cert;
	}
	if (any_ke != NULL)
		return any_ke;
	return end_entity != NULL ? end_entity : sk_X509_value(all, 0);
}

/* The certificate authority that issued RECIPIENT, else the first one. */
static X509 *
ca_scep_pick_ca(STACK_OF(X509) *all, X509 *recipient)
{
	X509 *cert, *first_ca = NULL;
	int i;

	if (X509_check_ca(recipient) != 0)
		return recipient;
	for (i = 0; i < sk_X509_num(all); i++) {
		cert = sk_X509_value(all, i);
		if (X509_check_ca(cert) == 0)
			continue;
		if (X509_check_issued(cert, recipient) == X509_V_OK)
			return cert;
		if (first_ca == NULL)
			first_ca = cert;
	}
	return first_ca != NULL ? first_ca : recipient;
}

/* Every certificate of DATA, a DER certificate or a PKCS#7 bundle. */
static int
ca_scep_read_certs(const unsigned char *data, size_t len,
		   STACK_OF(X509) **out)
{
	STACK_OF(X509) *all = NULL, *bundle;
	const unsigned char *p = data;
	PKCS7 *p7 = NULL;
	X509 *one = NULL;
	int i, rc = -1;

	*out = NULL;
	if (len == 0 || len > LONG_MAX) {
		err_set(ERR_FAILED, "the CA's answer is malformed: GetCACert "
			"sent %s", len == 0 ? "nothing" : "too much");
		goto out;
	}
	if ((all = sk_X509_new_null()) == NULL)
		goto nomem;
	if ((one = d2i_X509(NULL, &p, (long)len)) != NULL &&
	    p == data + len) {
		if (!sk_X509_push(all, one))
			goto nomem;
		one = NULL;
	} else {
		p = data;
		ERR_clear_error();
		if ((p7 = d2i_PKCS7(NULL, &p, (long)len)) == NULL ||
		    p != data + len || !PKCS7_type_is_signed(p7) ||
		    p7->d.sign == NULL ||
		    (bundle = p7->d.sign->cert) == NULL ||
		    sk_X509_num(bundle) == 0) {
			ERR_clear_error();
			err_set(ERR_FAILED, "the CA's answer is malformed: "
				"GetCACert sent neither a DER certificate nor "
				"a PKCS#7 bundle of certificates");
			goto out;
		}
		for (i = 0; i < sk_X509_num(bundle); i++) {
			if (!sk_X509_push(all, sk_X509_value(bundle, i)))
				goto nomem;
			X509_up_ref(sk_X509_value(bundle, i));
		}
	}
	*out = all;
	all = NULL;
	rc = 0;
	goto out;
nomem:
	err_set(ERR_FAILED, "reading the CA's certificates: out of memory");
out:
	X509_free(one);
	PKCS7_free(p7);
	sk_X509_pop_free(all, X509_free);
	return rc;
}

int
ca_scep_certs_parse(const unsigned char *data, size_t len,
		    struct ca_scep_certs *out)
{
	struct ca_scep_certs certs = { NULL, NULL, NULL };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (ca_scep_read_certs(data, len, &certs.all) < 0)
		goto out;
	certs.recipient = ca_scep_pick_recipient(certs.all);
	certs.ca = ca_scep_pick_ca(certs.all, certs.recipient);
	*out = certs;
	memset(&certs, 0, sizeof(certs));
	rc = 0;
out:
	ca_scep_certs_clear(&certs);
	return rc;
}

/* ---- the operations -------------------------------------------------- */

static int
ca_scep_get_caps(const struct ca_scep *cs, int64_t deadline, unsigned *caps)
{
	struct ca_http_body body = { NULL, 0, 0, 0, false };
	long status;
	int rc = -1;

	*caps = 0;
	if (ca_scep_http(cs, "GetCACaps", NULL, NULL, 0, deadline, &body,
			 &status) < 0)
		goto out;
	/* Older CAs know no GetCACaps: they get the RFC's defaults. */
	if (status >= 200 && status < 300)
		*caps = ca_scep_caps_parse((const char *)body.data, body.len);
	rc = 0;
out:
	ca_scep_body_free(&body);
	return rc;
}

static int
ca_scep_get_certs(const struct ca_scep *cs, int64_t deadline,
		  struct ca_scep_certs *certs)
{
	struct ca_http_body body = { NULL, 0, 0, 0, false };
	long status;
	int rc = -1;

	if (ca_scep_http(cs, "GetCACert", NULL, NULL, 0, deadline, &body,
			 &status) < 0 ||
	    ca_scep_http_status("GetCACert", status, &body) < 0 ||
	    ca_scep_certs_parse(body.data, body.len, certs) < 0)
		goto out;
	rc = 0;
out:
	ca_scep_body_free(&body);
	return rc;
}

/* Send a pkiMessage: POSTed when the CA says it can take that, else
 * base64 in the query of a GET (RFC 8894 4.1). */
static int
ca_scep_pki_operation(const struct ca_scep *cs, unsigned caps,
		      const unsigned char *der, size_t len, int64_t deadline,
		      struct ca_http_body *body)
{
	char *b64 = NULL;
	long status;
	int rc = -1;

	if (caps & CA_SCEP_CAP_POST) {
		if (ca_scep_http(cs, "PKIOperation", NULL, der, len, deadline,
				 body, &status) < 0)
			goto out;
	} else {
		if (len > (size_t)INT32_MAX / 2 ||
		    (b64 = malloc((len + 2) / 3 * 4 + 1)) == NULL) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
		EVP_EncodeBlock((unsigned char *)b64, der, (int)len);
		if (ca_scep_http(cs, "PKIOperation", b64, NULL, 0, deadline,
				 body, &status) < 0)
			goto out;
	}
	if (ca_scep_http_status("PKIOperation", status, body) < 0)
		goto out;
	rc = 0;
out:
	free(b64);
	return rc;
}

/* Sleep until the next CertPoll; an error once the deadline leaves no
 * room for one. */
static int
ca_scep_wait(const struct ca_scep *cs, const struct ca_scep_msg *msg,
	     int64_t deadline)
{
	int64_t wait;

	/* A second left over for the poll itself. */
	wait = deadline - util_now_ms() - 1000;
	if (wait > (int64_t)cs->retry_seconds * 1000)
		wait = (int64_t)cs->retry_seconds * 1000;
	if (wait <= 0)
		return err_set(ERR_FAILED, "the CA has not issued the "
			       "certificate yet (pending) after %d seconds; "
			       "transactionID %s", cs->timeout_seconds,
			       ca_scep_msg_transaction_id(msg));
	return interrupt_sleep_ms(wait);
}

static int
ca_scep_submit(void *state, const char *csr_pem, const char *role,
	       struct ca_reply *reply)
{
	const struct ca_scep *cs = state;
	struct ca_scep_certs certs = { NULL, NULL, NULL };
	struct ca_http_body body = { NULL, 0, 0, 0, false };
	struct ca_scep_msg *msg = NULL;
	enum ca_scep_status status = CA_SCEP_FAILURE;
	unsigned char *der = NULL;
	X509_REQ *req = NULL;
	char *pem = NULL;
	size_t der_len = 0, pem_len = 0;
	unsigned caps = 0;
	int64_t deadline;
	int rc = -1;

	(void)role;     /* SCEP has no profiles to choose from */
	deadline = util_now_ms() + (int64_t)cs->timeout_seconds * 1000;
	if (csr_from_bytes((const unsigned char *)csr_pem, strlen(csr_pem),
			   &req) < 0 ||
	    ca_scep_get_caps(cs, deadline, &caps) < 0 ||
	    ca_scep_get_certs(cs, deadline, &certs) < 0 ||
	    ca_scep_msg_new(req, caps, &msg) < 0 ||
	    ca_scep_msg_pkcsreq(msg, &certs, &der, &der_len) < 0)
		goto out;
	for (;;) {
		if (ca_scep_pki_operation(cs, caps, der, der_len, deadline,
					  &body) < 0 ||
		    ca_scep_msg_certrep(msg, &certs, body.data, body.len,
					&status, &pem, &pem_len) < 0)
			goto out;
		if (status == CA_SCEP_SUCCESS)
			break;
		OPENSSL_free(der);
		der = NULL;
		if (ca_scep_wait(cs, msg, deadline) < 0 ||
		    ca_scep_msg_certpoll(msg, &certs, &der, &der_len) < 0)
			goto out;
	}
	reply->answer = (unsigned char *)pem;
	reply->len = pem_len;
	pem = NULL;
	rc = 0;
out:
	if (rc < 0)
		err_prefix("CA %s", cs->ca.description);
	free(pem);
	OPENSSL_free(der);
	ca_scep_body_free(&body);
	ca_scep_msg_free(msg);
	ca_scep_certs_clear(&certs);
	X509_REQ_free(req);
	return rc;
}

const struct ca_backend ca_scep_backend = {
	.scheme = "scep",
	.open = ca_scep_open,
	.submit = ca_scep_submit,
	.describe = ca_scep_describe,
	.request_challenge = ca_scep_request_challenge,
	.free = ca_scep_free,
};
