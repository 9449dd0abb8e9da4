/* SPDX-License-Identifier: MIT */
/* ca-cfssl.c - cfssl:URL[#PROFILE], a CA reached through the cfssl API.
 *
 * One submission is one POST of {"certificate_request": PEM, "profile":
 * PROFILE} to URL/api/v1/cfssl/sign; PROFILE is the one the spec names,
 * else the role's CA profile ([ca] profile, else the role's name). cfssl
 * signs with its default profile when it has none of that name.
 * With an authentication key, the same request goes to
 * URL/api/v1/cfssl/authsign wrapped as {"token", "request"}: both are
 * base64, the token being HMAC-SHA-256 over the request's exact bytes
 * with the key that cfssl's auth_keys hold in hex (cfssl's "standard"
 * provider). The server answers {"success", "result": {"certificate"},
 * "errors": [{"code", "message"}], "messages"}.
 *
 * cfssl decides the certificate's key usages from its profile, not from
 * the request, so what comes back goes through enroll's certificate
 * checks like every other answer.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca-backend.h"
#include "ca-http.h"
#include "ca.h"
#include "err.h"
#include "text.h"
#include "util.h"

#define CA_CFSSL_API_PATH "/api/v1/cfssl/"
/* Longest reason or body line quoted back in a message. */
#define CA_CFSSL_LINE_MAX 200
/* Longest profile name accepted after '#'. */
#define CA_CFSSL_PROFILE_MAX 128
#define CA_CFSSL_MAX_REDIRECTS 5

struct ca_cfssl {
	char *description;      /* "cfssl:URL[#PROFILE]", any password left out */
	char *endpoint;         /* the sign or authsign URL (curl_free) */
	char *revoke_endpoint;  /* the revoke URL (curl_free) */
	char *profile;          /* NULL: the server's default profile */
	unsigned char *key;     /* authsign HMAC key (secret), or NULL */
	size_t key_len;
	char *tls_trust;        /* PEM file for https, or NULL: system store */
	const char *redir_protocols;
	int timeout_seconds;
	size_t max_answer;
};

/* ---- open ------------------------------------------------------------ */

static void
ca_cfssl_free(void *state)
{
	struct ca_cfssl *cc = state;

	if (cc == NULL)
		return;
	if (cc->key != NULL) {
		OPENSSL_cleanse(cc->key, cc->key_len);
		free(cc->key);
	}
	free(cc->description);
	curl_free(cc->endpoint);
	curl_free(cc->revoke_endpoint);
	free(cc->profile);
	free(cc->tls_trust);
	free(cc);
}

/* A followed by B and C, in new memory; NULL when out of memory. */
static char *
ca_cfssl_concat(const char *a, const char *b, const char *c)
{
	size_t size = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s;

	if ((s = malloc(size)) == NULL)
		return NULL;
	snprintf(s, size, "%s%s%s", a, b, c);
	return s;
}

/* PROFILE as written after '#': printable and without blanks, since it
 * is a key in the server's configuration. Added to CC's description. */
static int
ca_cfssl_profile_set(struct ca_cfssl *cc, const char *profile)
{
	size_t i, len = strlen(profile);
	char *with;

	if (len == 0)
		return err_set(ERR_USAGE, "CA %s: no profile name after '#'",
			       cc->description);
	if (len > CA_CFSSL_PROFILE_MAX)
		return err_set(ERR_USAGE, "CA %s: the profile name is longer "
			       "than %d characters", cc->description,
			       CA_CFSSL_PROFILE_MAX);
	for (i = 0; i < len; i++) {
		if (!isgraph((unsigned char)profile[i]))
			return err_set(ERR_USAGE, "CA %s: the profile name "
				       "contains a blank or control character",
				       cc->description);
	}
	if ((cc->profile = util_strdup(profile)) == NULL ||
	    (with = ca_cfssl_concat(cc->description, "#", profile)) == NULL)
		return err_set(ERR_FAILED, "CA %s: out of memory",
			       cc->description);
	free(cc->description);
	cc->description = with;
	return 0;
}

/* URL's path, without trailing slashes, in new memory (curl_free). */
static char *
ca_cfssl_base_path(CURLU *url)
{
	char *path = NULL;
	size_t len;

	if (curl_url_get(url, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		return NULL;
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		path[--len] = '\0';
	return path;
}

/* The URL of BASE (URL's own path) followed by /api/v1/cfssl/ENDPOINT,
 * into *OUT (curl_free). */
static int
ca_cfssl_endpoint_url(CURLU *url, const char *base, const char *endpoint,
		      char **out)
{
	char *joined;
	int rc = -1;

	*out = NULL;
	if ((joined = ca_cfssl_concat(base, CA_CFSSL_API_PATH, endpoint)) ==
	    NULL)
		return -1;
	if (curl_url_set(url, CURLUPART_PATH, joined, 0) == CURLUE_OK &&
	    curl_url_get(url, CURLUPART_URL, out, 0) == CURLUE_OK)
		rc = 0;
	free(joined);
	return rc;
}

/* Fill CC's endpoint, description and redirect rule from TEXT, the URL
 * part of SPEC; AUTH picks authsign over sign. */
static int
ca_cfssl_parse_url(struct ca_cfssl *cc, const char *spec, const char *text,
		   bool auth)
{
	struct ca_http_url u;
	char *base = NULL;
	int rc = -1;

	if (ca_http_url_parse("cfssl", spec, text,
			      "cfssl:https://HOST:PORT[#PROFILE]", &u) < 0)
		return -1;
	/* Redirects stay on the scheme they start from: an https CA never
	 * sends the request on in clear text. */
	cc->redir_protocols = u.https ? "https" : "http";
	cc->description = u.description;
	u.description = NULL;
	/* The endpoints from the URL as given: they may need its password.
	 * cfssl's revoke endpoint has no authenticated variant. */
	if ((base = ca_cfssl_base_path(u.url)) == NULL ||
	    ca_cfssl_endpoint_url(u.url, base, auth ? "authsign" : "sign",
				  &cc->endpoint) < 0 ||
	    ca_cfssl_endpoint_url(u.url, base, "revoke",
				  &cc->revoke_endpoint) < 0) {
		err_set(ERR_FAILED, "CA cfssl:%s: out of memory", spec);
		goto out;
	}
	rc = 0;
out:
	curl_free(base);
	ca_http_url_clear(&u);
	return rc;
}

/* The key as cfssl's auth_keys hold it: hex, surrounding blanks ignored. */
static int
ca_cfssl_key_parse(struct ca_cfssl *cc, const char *text)
{
	unsigned char *key = NULL;
	char *hex = NULL;
	size_t start = 0, end = strlen(text), size = 0, len = 0;
	int rc = -1;

	while (start < end && isspace((unsigned char)text[start]))
		start++;
	while (end > start && isspace((unsigned char)text[end - 1]))
		end--;
	if (start == end) {
		err_set(ERR_USAGE, "CA %s: the authentication key is empty",
			cc->description);
		goto out;
	}
	size = (end - start) / 2 + 1;
	if ((hex = malloc(end - start + 1)) == NULL ||
	    (key = malloc(size)) == NULL) {
		err_set(ERR_FAILED, "CA %s: out of memory", cc->description);
		goto out;
	}
	memcpy(hex, text + start, end - start);
	hex[end - start] = '\0';
	if (OPENSSL_hexstr2buf_ex(key, size, &len, hex, '\0') != 1 ||
	    len == 0) {
		ERR_clear_error();
		err_set(ERR_USAGE, "CA %s: the authentication key is not hex "
			"(write it as cfssl's auth_keys hold it)",
			cc->description);
		goto out;
	}
	cc->key = key;
	cc->key_len = len;
	key = NULL;
	rc = 0;
out:
	if (key != NULL) {
		OPENSSL_cleanse(key, size);
		free(key);
	}
	if (hex != NULL) {
		OPENSSL_cleanse(hex, end - start);
		free(hex);
	}
	return rc;
}

static int
ca_cfssl_open(const char *rest, const struct ca_options *opts, void **state)
{
	struct ca_cfssl *cc = NULL;
	const char *hash;
	char *url = NULL;
	int rc = -1;

	*state = NULL;
	if ((cc = calloc(1, sizeof(*cc))) == NULL ||
	    (url = util_strdup(rest)) == NULL) {
		err_set(ERR_FAILED, "CA cfssl:%s: out of memory", rest);
		goto out;
	}
	cc->timeout_seconds = opts->timeout_seconds;
	cc->max_answer = opts->max_answer;
	/* The first '#' ends the URL: a URL has no other one. */
	if ((hash = strchr(rest, '#')) != NULL)
		url[hash - rest] = '\0';
	if (ca_cfssl_parse_url(cc, rest, url, opts->auth_key != NULL) < 0 ||
	    (hash != NULL && ca_cfssl_profile_set(cc, hash + 1) < 0) ||
	    (opts->auth_key != NULL &&
	     ca_cfssl_key_parse(cc, opts->auth_key) < 0))
		goto out;
	if (opts->tls_trust != NULL &&
	    (cc->tls_trust = util_strdup(opts->tls_trust)) == NULL) {
		err_prefix("CA %s", cc->description);
		goto out;
	}
	*state = cc;
	cc = NULL;
	rc = 0;
out:
	free(url);
	ca_cfssl_free(cc);
	return rc;
}

static const char *
ca_cfssl_describe(const void *state)
{
	const struct ca_cfssl *cc = state;

	return cc->description;
}

/* ---- the request ------------------------------------------------------ */

/* Base64 of LEN bytes, without line breaks, in new memory. */
static char *
ca_cfssl_base64(const unsigned char *data, size_t len)
{
	char *out;

	if (len > (size_t)(INT32_MAX / 4 * 3))
		return NULL;
	if ((out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

int
ca_cfssl_token(const unsigned char *key, size_t key_len,
	       const unsigned char *request, size_t request_len, char **out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	int rc = -1;

	*out = NULL;
	if (key_len > INT32_MAX ||
	    HMAC(EVP_sha256(), key, (int)key_len, request, request_len, mac,
		 &mac_len) == NULL) {
		ERR_clear_error();
		err_set(ERR_FAILED, "cannot compute the authentication token");
		goto out;
	}
	if ((*out = ca_cfssl_base64(mac, mac_len)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

/* OBJ as compact JSON text in new memory. */
static char *
ca_cfssl_dump(const json_t *obj)
{
	return json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
}

int
ca_cfssl_request_body(const char *csr_pem, const char *profile,
		      const unsigned char *key, size_t key_len, char **out)
{
	json_t *sign = NULL, *wrapped = NULL;
	char *request = NULL, *token = NULL, *encoded = NULL;
	int rc = -1;

	*out = NULL;
	if ((sign = json_pack("{s:s}", "certificate_request", csr_pem)) ==
	    NULL ||
	    (profile != NULL &&
	     json_object_set_new(sign, "profile", json_string(profile)) < 0) ||
	    (request = ca_cfssl_dump(sign)) == NULL)
		goto nomem;
	if (key == NULL) {
		*out = request;
		request = NULL;
		rc = 0;
		goto out;
	}
	/* The token covers exactly the bytes sent as "request". */
	if (ca_cfssl_token(key, key_len, (const unsigned char *)request,
			   strlen(request), &token) < 0)
		goto out;
	if ((encoded = ca_cfssl_base64((const unsigned char *)request,
				       strlen(request))) == NULL ||
	    (wrapped = json_pack("{s:s, s:s}", "token", token, "request",
				 encoded)) == NULL ||
	    (*out = ca_cfssl_dump(wrapped)) == NULL)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	err_set(ERR_FAILED, "cannot build the request: out of memory");
out:
	json_decref(sign);
	json_decref(wrapped);
	free(request);
	free(token);
	free(encoded);
	return rc;
}

/* ---- the answer --------------------------------------------------------- */

/* The answer as a JSON object, or a "malformed" error. */
static int
ca_cfssl_load(const unsigned char *body, size_t len, json_t **out)
{
	char line[CA_CFSSL_LINE_MAX + 4];
	json_error_t error;
	json_t *root;

	*out = NULL;
	root = json_loadb((const char *)body, len,
			  JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
	if (root == NULL) {
		text_first_line(error.text, strlen(error.text), line,
				sizeof(line));
		return err_set(ERR_FAILED, "the CA's answer is malformed: not "
			       "JSON (%s)", line);
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return err_set(ERR_FAILED, "the CA's answer is malformed: not a "
			       "JSON object");
	}
	*out = root;
	return 0;
}

/* The first error's message in ROOT, made safe to print; false when the
 * CA gave none. */
static bool
ca_cfssl_reason(const json_t *root, char *line, size_t size)
{
	const json_t *first, *message, *code;

	*line = '\0';
	first = json_array_get(json_object_get(root, "errors"), 0);
	message = json_object_get(first, "message");
	code = json_object_get(first, "code");
	if (json_is_string(message))
		text_first_line(json_string_value(message),
				json_string_length(message), line, size);
	if (*line == '\0' && json_is_integer(code))
		snprintf(line, size, "cfssl error %" JSON_INTEGER_FORMAT,
			 json_integer_value(code));
	return *line != '\0';
}

static int
ca_cfssl_rejected(const json_t *root)
{
	char line[CA_CFSSL_LINE_MAX + 4];

	if (ca_cfssl_reason(root, line, sizeof(line)))
		err_set(ERR_FAILED, "the CA rejected the request: %s", line);
	else
		err_set(ERR_FAILED, "the CA rejected the request (no reason "
			"given)");
	return err_tag(ERR_CODE_CA_REJECTED);
}

int
ca_cfssl_parse_answer(const unsigned char *body, size_t len, char **pem,
		      size_t *pem_len)
{
	const json_t *success, *result, *cert;
	json_t *root = NULL;
	size_t n;
	int rc = -1;

	*pem = NULL;
	*pem_len = 0;
	if (ca_cfssl_load(body, len, &root) < 0)
		goto out;
	success = json_object_get(root, "success");
	if (!json_is_boolean(success)) {
		err_set(ERR_FAILED, "the CA's answer is malformed: no \"success\" "
			"true or false");
		goto out;
	}
	if (json_is_false(success)) {
		ca_cfssl_rejected(root);
		goto out;
	}
	result = json_object_get(root, "result");
	if (!json_is_object(result)) {
		err_set(ERR_FAILED, "the CA's answer is malformed: \"success\" "
			"without a \"result\" object");
		goto out;
	}
	cert = json_object_get(result, "certificate");
	if (!json_is_string(cert) || (n = json_string_length(cert)) == 0) {
		err_set(ERR_FAILED, "the CA's answer is malformed: the result "
			"has no certificate");
		goto out;
	}
	if ((*pem = malloc(n + 1)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	/* No NUL inside: jansson refuses \u0000 unless asked to allow it. */
	memcpy(*pem, json_string_value(cert), n + 1);
	*pem_len = n;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* An answer with a status other than 2xx. cfssl says why in its usual
 * JSON: a 4xx with a reason is a refusal of this request, anything else
 * is the server's trouble. */
static int
ca_cfssl_http_failed(long status, const struct ca_http_body *body)
{
	char line[CA_CFSSL_LINE_MAX + 4];
	json_t *root = NULL;
	bool reason = false;
	int rc;

	root = json_loadb((const char *)body->data, body->len,
			  JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(root))
		reason = ca_cfssl_reason(root, line, sizeof(line));
	if (reason && status >= 400 && status < 500) {
		err_set(ERR_FAILED, "the CA rejected the request: %s (HTTP %ld)",
			line, status);
		rc = err_tag(ERR_CODE_CA_REJECTED);
	}
	else {
		if (!reason)
			text_first_line((const char *)body->data, body->len,
					line, sizeof(line));
		rc = err_set(ERR_FAILED, "the CA answered HTTP %ld: %s", status,
			     *line != '\0' ? line : "(no reason given)");
	}
	json_decref(root);
	return rc;
}

/* ---- HTTP --------------------------------------------------------------- */



/* POST REQUEST to ENDPOINT; *STATUS is the HTTP status. */
static int
ca_cfssl_post(const struct ca_cfssl *cc, const char *endpoint,
	      const char *request, struct ca_http_body *body, long *status)
{
	const struct ca_http_opts opts = {
		.redir_protocols = cc->redir_protocols,
		.max_redirects = CA_CFSSL_MAX_REDIRECTS,
		.timeout_ms = (long)cc->timeout_seconds * 1000,
		.max_answer = cc->max_answer,
		.tls_trust = cc->tls_trust,
	};
	const struct ca_http_post post = {
		.content_type = "application/json",
		.data = request,
		.len = strlen(request),
	};

	return ca_http_exchange(&opts, endpoint, &post, "the CA's answer",
				body, status);
}

/* ---- submit ------------------------------------------------------------- */

static int
ca_cfssl_submit(void *state, const char *csr_pem, const char *profile,
		struct ca_reply *reply)
{
	const struct ca_cfssl *cc = state;
	struct ca_http_body body = { 0 };
	char *request = NULL, *pem = NULL;
	size_t pem_len = 0;
	long status = 0;
	int rc = -1;

	/* A profile named in the spec stands for every role's. */
	if (ca_cfssl_request_body(csr_pem, cc->profile != NULL ? cc->profile :
				  profile, cc->key, cc->key_len, &request) < 0 ||
	    ca_cfssl_post(cc, cc->endpoint, request, &body, &status) < 0)
		goto out;
	if (status < 200 || status > 299) {
		ca_cfssl_http_failed(status, &body);
		goto out;
	}
	if (ca_cfssl_parse_answer(body.data != NULL ? body.data :
				  (const unsigned char *)"", body.len, &pem,
				  &pem_len) < 0)
		goto out;
	reply->answer = (unsigned char *)pem;
	reply->len = pem_len;
	pem = NULL;
	rc = 0;
out:
	if (rc < 0)
		err_prefix("CA %s", cc->description);
	free(request);
	free(pem);
	free(body.data);
	return rc;
}

/* ---- revoke ------------------------------------------------------------- */

int
ca_cfssl_revoke_body(const char *cert_pem, int reason, const char *aki,
		     char **out)
{
	const ASN1_OCTET_STRING *own;
	const char *name = ca_reason_name(reason);
	char *serial = NULL, *hex = NULL;
	BIGNUM *bn = NULL;
	X509 *x = NULL;
	BIO *bio = NULL;
	json_t *req = NULL;
	int rc = -1;

	*out = NULL;
	if (name == NULL)
		return err_set(ERR_USAGE, "revocation reason %d is not one "
			       "p11enroll gives", reason);
	if ((bio = BIO_new_mem_buf(cert_pem, -1)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		ERR_clear_error();
		err_set(ERR_FAILED, "the certificate to revoke is not a PEM "
			"certificate");
		goto out;
	}
	if (aki == NULL) {
		own = X509_get0_authority_key_id(x);
		hex = own != NULL ? util_hex(ASN1_STRING_get0_data(own),
					     (size_t)ASN1_STRING_length(own)) :
		      util_strdup("");
		if (hex == NULL)
			goto nomem;
		aki = hex;
	}
	/* cfssl's reason names are RFC 5280's, compared in lower case. */
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) ==
	    NULL || (serial = BN_bn2dec(bn)) == NULL ||
	    (req = json_pack("{s:s, s:s, s:s}", "serial", serial,
			     "authority_key_id", aki, "reason", name)) == NULL ||
	    (*out = ca_cfssl_dump(req)) == NULL)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	ERR_clear_error();
	err_set(ERR_FAILED, "cannot build the revocation request: out of "
		"memory");
out:
	json_decref(req);
	OPENSSL_free(serial);
	BN_free(bn);
	free(hex);
	X509_free(x);
	BIO_free(bio);
	return rc;
}

/* What cfssl answered a revocation: {"success": true} or its reason. */
static int
ca_cfssl_revoke_answer(long status, const struct ca_http_body *body)
{
	const json_t *success;
	json_t *root = NULL;
	int rc = -1;

	if (status < 200 || status > 299)
		return ca_cfssl_http_failed(status, body);
	if (ca_cfssl_load(body->data != NULL ? body->data :
			  (const unsigned char *)"", body->len, &root) < 0)
		return -1;
	success = json_object_get(root, "success");
	if (json_is_true(success))
		rc = 0;
	else if (json_is_false(success))
		ca_cfssl_rejected(root);
	else
		err_set(ERR_FAILED, "the CA's answer is malformed: no \"success\" "
			"true or false");
	json_decref(root);
	return rc;
}

/* POST one revocation naming AKI (NULL: the certificate's own); *ASKED
 * tells whether the CA answered at all. */
static int
ca_cfssl_revoke_once(const struct ca_cfssl *cc, const char *cert_pem,
		     int reason, const char *aki, bool *asked)
{
	struct ca_http_body body = { 0 };
	char *request = NULL;
	long status = 0;
	int rc = -1;

	*asked = false;
	if (ca_cfssl_revoke_body(cert_pem, reason, aki, &request) < 0 ||
	    ca_cfssl_post(cc, cc->revoke_endpoint, request, &body, &status) < 0)
		goto out;
	*asked = true;
	rc = ca_cfssl_revoke_answer(status, &body);
out:
	free(request);
	free(body.data);
	return rc;
}

/* cfssl finds the certificate by serial and authority key identifier as
 * its database recorded them at signing. Builds of cfssl whose signer
 * records an empty identifier (the Go library no longer fills the
 * template's) know the certificate only by serial and "": when the CA
 * refuses the real identifier, the empty one is tried next, and the first
 * refusal is the one reported. A CA that did not answer is not asked
 * again. */
static int
ca_cfssl_revoke(void *state, const char *cert_pem, int reason)
{
	const struct ca_cfssl *cc = state;
	struct err_saved first;
	bool asked = false;
	int rc;

	rc = ca_cfssl_revoke_once(cc, cert_pem, reason, NULL, &asked);
	if (rc < 0 && asked) {
		err_save(&first);
		if (ca_cfssl_revoke_once(cc, cert_pem, reason, "", &asked) == 0)
			rc = 0;
		else
			err_restore(&first);
	}
	if (rc < 0)
		err_prefix("CA %s: revoke", cc->description);
	return rc;
}

const struct ca_backend ca_cfssl_backend = {
	.scheme = "cfssl",
	.open = ca_cfssl_open,
	.submit = ca_cfssl_submit,
	.revoke = ca_cfssl_revoke,
	.describe = ca_cfssl_describe,
	.free = ca_cfssl_free,
};
