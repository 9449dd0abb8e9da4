/* SPDX-License-Identifier: MIT */
/* ca-acme.c - acme:DIRECTORY_URL[#PROFILE], RFC 8555.
 *
 * One submission is one order: the directory is read, the account found
 * or made with the key kept in a file (newAccount answers the existing
 * account for a known key), an order placed for the request's DNS and IP
 * names, each pending authorization answered by http-01 (built-in
 * responder or webroot) or dns-01 (hook), the order finalized with the
 * request as signed on the token, and the certificate chain fetched.
 * Every answer is read as JSON with jansson; problem documents become the
 * message. A badNonce refusal is asked again with the fresh nonce it
 * carries. What is set up for a challenge is taken down whatever the
 * outcome.
 *
 * The ACME profiles extension: when the directory's meta lists profiles,
 * the order names the role's CA profile if it is one of them (or the
 * spec's #PROFILE, which must be). A CA without profiles issues what it
 * issues, and enroll's checks judge it.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca-acme-chal.h"
#include "ca-acme-jws.h"
#include "ca-acme-proto.h"
#include "ca-backend.h"
#include "ca-http.h"
#include "csr.h"
#include "err.h"
#include "interrupt.h"
#include "text.h"
#include "util.h"

#define ACME_MAX_REDIRECTS 3
/* Between two questions when the CA gives no Retry-After: from the first
 * delay, doubled each time up to the last. */
#define ACME_POLL_FIRST_MS 250
#define ACME_POLL_MS 2000
/* The longest Retry-After followed. */
#define ACME_POLL_MAX_MS 60000
#define ACME_PROFILE_MAX 64

/* One challenge set up, to take down. */
struct acme_chal {
	char *token;
	char *dns_name;         /* dns-01: the record's name */
	char *dns_value;
};

struct acme_order {
	struct acme_chal *chals;
	size_t nchals;
	struct acme_responder *responder;
	int64_t delay_ms;       /* the next wait without Retry-After */
};


/* ---- open ------------------------------------------------------------------ */

static void
ca_acme_free(void *state)
{
	struct ca_acme *a = state;

	if (a == NULL)
		return;
	free(a->description);
	free(a->directory_url);
	free(a->profile);
	free(a->tls_trust);
	free(a->account_path);
	free(a->email);
	free(a->eab_kid);
	if (a->eab_mac != NULL)
		OPENSSL_cleanse(a->eab_mac, a->eab_mac_len);
	free(a->eab_mac);
	free(a->http_addr);
	free(a->webroot);
	ca_exec_argv_free(a->hook_argv);
	free(a->hook_path);
	json_decref(a->directory);
	EVP_PKEY_free(a->key);
	free(a->thumbprint);
	free(a->kid);
	free(a->nonce);
	free(a);
}

/* Copy S into *OUT unless it is NULL. */
static int
ca_acme_copy(const char *s, char **out)
{
	if (s == NULL)
		return 0;
	return (*out = util_strdup(s)) == NULL ? -1 : 0;
}

static int
ca_acme_profile_set(struct ca_acme *a, const char *profile)
{
	size_t i, len = strlen(profile);
	char *with;

	if (len == 0 || len > ACME_PROFILE_MAX)
		return err_set(ERR_USAGE, "CA %s: the profile after '#' must be "
			       "1 to %d characters", a->description,
			       ACME_PROFILE_MAX);
	for (i = 0; i < len; i++)
		if (!isgraph((unsigned char)profile[i]))
			return err_set(ERR_USAGE, "CA %s: the profile name is "
				       "printable ASCII without spaces",
				       a->description);
	if ((a->profile = util_strdup(profile)) == NULL ||
	    (with = malloc(strlen(a->description) + len + 2)) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	sprintf(with, "%s#%s", a->description, profile);
	free(a->description);
	a->description = with;
	return 0;
}

/* The options: what answers challenges, and the account's. */
static int
ca_acme_options(struct ca_acme *a, const struct ca_options *o)
{
	if (o->acme_http != NULL && o->acme_webroot != NULL)
		return err_set(ERR_USAGE, "CA %s: --acme-http and --acme-webroot "
			       "both answer http-01; give one", a->description);
	if (o->acme_account == NULL)
		return err_set(ERR_USAGE, "CA %s: no account key file: give "
			       "--acme-account FILE or --state-dir",
			       a->description);
	if ((o->acme_eab_kid == NULL) != (o->acme_eab_hmac == NULL))
		return err_set(ERR_USAGE, "CA %s: External Account Binding needs "
			       "both --acme-eab-kid and --acme-eab-hmac-source",
			       a->description);
	if (o->acme_eab_hmac != NULL &&
	    acme_b64url_decode(o->acme_eab_hmac, "the EAB HMAC key",
			       &a->eab_mac, &a->eab_mac_len) < 0)
		return err_prefix("CA %s", a->description);
	if (o->acme_dns_hook != NULL &&
	    ca_exec_command("--acme-dns-hook ", "hook", o->acme_dns_hook,
			    &a->hook_argv, &a->hook_path) < 0)
		return -1;
	a->agree_tos = o->acme_agree_tos;
	if (ca_acme_copy(o->acme_account, &a->account_path) < 0 ||
	    ca_acme_copy(o->acme_email, &a->email) < 0 ||
	    ca_acme_copy(o->acme_eab_kid, &a->eab_kid) < 0 ||
	    ca_acme_copy(o->acme_http, &a->http_addr) < 0 ||
	    ca_acme_copy(o->acme_webroot, &a->webroot) < 0 ||
	    ca_acme_copy(o->tls_trust, &a->tls_trust) < 0)
		return -1;
	return 0;
}

static int
ca_acme_open(const char *rest, const struct ca_options *opts, void **state)
{
	struct ca_acme *a = NULL;
	struct ca_http_url u = { 0 };
	const char *hash;
	char *url = NULL, *text = NULL;
	int rc = -1;

	*state = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (url = util_strdup(rest)) == NULL) {
		err_set(ERR_FAILED, "CA acme:%s: out of memory", rest);
		goto out;
	}
	if ((hash = strchr(rest, '#')) != NULL)
		url[hash - rest] = '\0';
	if (ca_http_url_parse("acme", rest, url,
			      "acme:https://HOST/DIRECTORY[#PROFILE]", &u) < 0)
		goto out;
	a->description = u.description;
	u.description = NULL;
	if (curl_url_get(u.url, CURLUPART_URL, &text, 0) != CURLUE_OK ||
	    (a->directory_url = util_strdup(text)) == NULL) {
		err_set(ERR_FAILED, "CA acme:%s: out of memory", rest);
		goto out;
	}
	a->http.redir_protocols = u.https ? "https" : "http";
	a->http.max_redirects = ACME_MAX_REDIRECTS;
	a->http.timeout_ms = (long)opts->timeout_seconds * 1000;
	a->http.max_answer = opts->max_answer;
	a->timeout_seconds = opts->timeout_seconds;
	if ((hash != NULL && ca_acme_profile_set(a, hash + 1) < 0) ||
	    ca_acme_options(a, opts) < 0)
		goto out;
	a->http.tls_trust = a->tls_trust;
	*state = a;
	a = NULL;
	rc = 0;
out:
	curl_free(text);
	ca_http_url_clear(&u);
	free(url);
	ca_acme_free(a);
	return rc;
}

static const char *
ca_acme_describe(const void *state)
{
	const struct ca_acme *a = state;

	return a->description;
}

/* ---- challenges -------------------------------------------------------------- */

/* Take down what O set up. A failure here is not the run's: the error
 * recorded before, if any, is kept as it was. */
static void
acme_order_clear(struct ca_acme *a, struct acme_order *o)
{
	struct err_saved saved;
	size_t i;

	err_save(&saved);
	for (i = 0; i < o->nchals; i++) {
		struct acme_chal *c = &o->chals[i];

		if (c->dns_name != NULL && c->dns_value != NULL &&
		    acme_dns_hook(a->hook_path, a->hook_argv, a->timeout_seconds,
				  "remove", c->dns_name, c->dns_value) < 0)
			err_clear();
		if (a->webroot != NULL && c->token != NULL)
			acme_webroot_remove(a->webroot, c->token);
		free(c->token);
		free(c->dns_name);
		free(c->dns_value);
	}
	free(o->chals);
	acme_responder_free(o->responder);
	memset(o, 0, sizeof(*o));
	if (saved.kind != ERR_NONE)
		err_restore(&saved);
	else
		err_clear();
}

/* The challenge of TYPE in AUTHZ, or NULL. */
static json_t *
acme_find_challenge(json_t *authz, const char *type)
{
	json_t *chals = json_object_get(authz, "challenges"), *c;
	size_t i;

	json_array_foreach(chals, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));

		if (t != NULL && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}

/* Set up the answer to CHAL (of TYPE) for the identifier VALUE; recorded
 * in O so that it is taken down. */
static int
acme_setup(struct ca_acme *a, struct acme_order *o, const char *type,
	   json_t *chal, const char *value)
{
	const char *token = json_string_value(json_object_get(chal, "token"));
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	struct acme_chal *c, *grown;
	char *keyauth = NULL, *copy = NULL;
	size_t size;
	int rc = -1;

	if (token == NULL || !acme_token_ok(token)) {
		err_set(ERR_FAILED, "the CA's %s challenge for %s has no usable "
			"token", type, value);
		goto out;
	}
	size = strlen(token) + 1 + strlen(a->thumbprint) + 1;
	if ((keyauth = malloc(size)) == NULL ||
	    (grown = realloc(o->chals, (o->nchals + 1) * sizeof(*grown))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	snprintf(keyauth, size, "%s.%s", token, a->thumbprint);
	o->chals = grown;
	c = &o->chals[o->nchals++];
	memset(c, 0, sizeof(*c));
	if (strcmp(type, "dns-01") == 0) {
		size = strlen("_acme-challenge.") + strlen(value) + 1;
		if ((c->dns_name = malloc(size)) == NULL) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
		snprintf(c->dns_name, size, "_acme-challenge.%s", value);
		if (!EVP_Digest(keyauth, strlen(keyauth), digest, &dlen,
				EVP_sha256(), NULL) ||
		    acme_b64url(digest, dlen, &c->dns_value) < 0)
			goto out;
		if (acme_dns_hook(a->hook_path, a->hook_argv, a->timeout_seconds,
				  "add", c->dns_name, c->dns_value) < 0) {
			/* Nothing to remove. */
			free(c->dns_name);
			c->dns_name = NULL;
			goto out;
		}
	} else if (a->webroot != NULL) {
		/* Recorded once written: a file found there is not ours. */
		if ((copy = util_strdup(token)) == NULL ||
		    acme_webroot_put(a->webroot, token, keyauth) < 0)
			goto out;
		c->token = copy;
		copy = NULL;
	} else if (acme_responder_add(o->responder, token, keyauth) < 0) {
		goto out;
	}
	rc = 0;
out:
	free(copy);
	free(keyauth);
	return rc;
}

/* Wait as the CA's Retry-After says, else O's next delay, answering the
 * responder meanwhile; -1 when interrupted or past the deadline. */
static int
acme_wait(struct ca_acme *a, struct acme_order *o, long retry_after)
{
	int64_t ms = o->delay_ms;

	if (retry_after >= 0)
		ms = (int64_t)retry_after * 1000;
	else if ((o->delay_ms *= 2) > ACME_POLL_MS)
		o->delay_ms = ACME_POLL_MS;

	if (ms > ACME_POLL_MAX_MS)
		ms = ACME_POLL_MAX_MS;
	if (ms == 0)
		ms = 100;
	if (util_now_ms() + ms > a->deadline)
		return err_set(ERR_FAILED, "the CA did not finish within %d "
			       "seconds (--ca-timeout)", a->timeout_seconds);
	if (o->responder != NULL)
		acme_responder_serve(o->responder, ms);
	else if (interrupt_sleep_ms(ms) < 0)
		return -1;
	return interrupt_check();
}

/* The error an invalid authorization or order carries, as a sentence. */
static int
acme_invalid(const char *what, json_t *obj)
{
	json_t *err = json_object_get(obj, "error"), *c;
	char detail[ACME_SHOWN];
	size_t i;

	/* An authorization's reason is in its failed challenge. */
	json_array_foreach(json_object_get(obj, "challenges"), i, c)
		if (err == NULL && json_object_get(c, "error") != NULL)
			err = json_object_get(c, "error");
	return err_set(ERR_FAILED, "%s is invalid: %s", what,
		       text_shown(json_string_value(json_object_get(err,
				"detail")) != NULL ?
				  json_string_value(json_object_get(err, "detail")) :
				  "no reason given", detail, sizeof(detail)));
}

/* Answer the authorization at URL and wait until it is valid. */
static int
acme_authorize(struct ca_acme *a, struct acme_order *o, const char *url)
{
	struct acme_answer ans = { 0 };
	const char *status, *type = NULL;
	char what[ACME_SHOWN + 32], shown[ACME_SHOWN], *chal_url = NULL;
	json_t *chal = NULL, *ident;
	int rc = -1;

	if (acme_post(a, "reading an authorization", url, NULL, false, &ans) < 0)
		goto out;
	ident = json_object_get(ans.json, "identifier");
	snprintf(what, sizeof(what), "the authorization for %s",
		 text_shown(json_string_value(json_object_get(ident, "value")),
			    shown, sizeof(shown)));
	status = json_string_value(json_object_get(ans.json, "status"));
	if (status != NULL && strcmp(status, "valid") == 0) {
		rc = 0;
		goto out;
	}
	if (status == NULL || strcmp(status, "pending") != 0) {
		acme_invalid(what, ans.json);
		goto out;
	}
	if (a->hook_path != NULL &&
	    (chal = acme_find_challenge(ans.json, "dns-01")) != NULL)
		type = "dns-01";
	else if ((a->http_addr != NULL || a->webroot != NULL) &&
		 (chal = acme_find_challenge(ans.json, "http-01")) != NULL)
		type = "http-01";
	if (chal == NULL) {
		err_set(ERR_FAILED, "%s offers no challenge this command can "
			"answer (http-01 needs --acme-http or --acme-webroot, "
			"dns-01 --acme-dns-hook)", what);
		goto out;
	}
	if (json_string_value(json_object_get(chal, "url")) == NULL) {
		err_set(ERR_FAILED, "%s: the challenge has no URL", what);
		goto out;
	}
	/* The answer's JSON goes with the next question. */
	if ((chal_url = util_strdup(json_string_value(json_object_get(chal,
							"url")))) == NULL ||
	    acme_setup(a, o, type, chal,
		       json_string_value(json_object_get(ident, "value"))) < 0 ||
	    acme_post(a, "answering a challenge", chal_url, "{}", false,
		      &ans) < 0)
		goto out;
	o->delay_ms = ACME_POLL_FIRST_MS;
	for (;;) {
		if (acme_wait(a, o, ans.h.retry_after) < 0 ||
		    acme_post(a, "reading an authorization", url, NULL, false,
			      &ans) < 0)
			goto out;
		status = json_string_value(json_object_get(ans.json, "status"));
		if (status != NULL && strcmp(status, "valid") == 0)
			break;
		if (status == NULL || strcmp(status, "pending") != 0) {
			acme_invalid(what, ans.json);
			goto out;
		}
	}
	rc = 0;
out:
	free(chal_url);
	acme_answer_clear(&ans);
	return rc;
}

/* ---- the order ------------------------------------------------------------- */

/* The identifiers of REQ: its DNS and IP subjectAltNames. */
static int
acme_identifiers(X509_REQ *req, json_t **out)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	GENERAL_NAMES *san = NULL;
	json_t *ids = json_array();
	char ip[64];
	int i, rc = -1;

	*out = NULL;
	if (ids == NULL)
		goto out;
	san = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	for (i = 0; i < sk_GENERAL_NAME_num(san); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
		const unsigned char *d;
		int len;

		if (g->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(g->d.dNSName);
			len = ASN1_STRING_length(g->d.dNSName);
			if (json_array_append_new(ids, json_pack("{s:s, s:s%}",
					"type", "dns", "value", d, (size_t)len)) < 0)
				goto out;
		} else if (g->type == GEN_IPADD) {
			d = ASN1_STRING_get0_data(g->d.iPAddress);
			len = ASN1_STRING_length(g->d.iPAddress);
			if ((len != 4 && len != 16) ||
			    inet_ntop(len == 4 ? AF_INET : AF_INET6, d, ip,
				      sizeof(ip)) == NULL)
				continue;
			if (json_array_append_new(ids, json_pack("{s:s, s:s}",
					"type", "ip", "value", ip)) < 0)
				goto out;
		}
	}
	if (json_array_size(ids) == 0) {
		err_set(ERR_USAGE, "the request has no DNS or IP name for an "
			"ACME order");
		goto out;
	}
	*out = ids;
	ids = NULL;
	rc = 0;
out:
	GENERAL_NAMES_free(san);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	json_decref(ids);
	return rc;
}

/* The profile to name in the order, or NULL: the spec's, which the CA
 * must offer, else the role's when the CA offers it. */
static int
acme_order_profile(const struct ca_acme *a, const char *role_profile,
		   const char **out)
{
	json_t *offered = json_object_get(json_object_get(a->directory, "meta"),
					  "profiles");

	*out = NULL;
	if (a->profile != NULL) {
		if (json_object_get(offered, a->profile) == NULL)
			return err_set(ERR_USAGE, "the CA offers no profile "
				       "named %s", a->profile);
		*out = a->profile;
	} else if (role_profile != NULL &&
		   json_object_get(offered, role_profile) != NULL) {
		*out = role_profile;
	}
	return 0;
}

/* Place the order; *ORDER_URL and the order object. */
static int
acme_new_order(struct ca_acme *a, X509_REQ *req, const char *role_profile,
	       char **order_url, struct acme_answer *ans)
{
	json_t *p = NULL, *ids = NULL;
	const char *url, *profile;
	char *payload = NULL;
	int rc = -1;

	*order_url = NULL;
	if (acme_identifiers(req, &ids) < 0 ||
	    acme_order_profile(a, role_profile, &profile) < 0 ||
	    (url = acme_dir_url(a, "newOrder")) == NULL)
		goto out;
	if ((p = json_pack("{s:O}", "identifiers", ids)) == NULL ||
	    (profile != NULL &&
	     json_object_set_new(p, "profile", json_string(profile)) < 0) ||
	    (payload = json_dumps(p, JSON_COMPACT)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (acme_post(a, "placing the order", url, payload, false, ans) < 0)
		goto out;
	if (ans->h.location == NULL || !json_is_object(ans->json)) {
		err_set(ERR_FAILED, "placing the order: the CA's answer is not "
			"an order");
		goto out;
	}
	*order_url = ans->h.location;
	ans->h.location = NULL;
	rc = 0;
out:
	free(payload);
	json_decref(p);
	json_decref(ids);
	return rc;
}

/* Finalize with REQ and wait until the order is valid; *CERT_URL. */
static int
acme_finalize(struct ca_acme *a, struct acme_order *o, const char *order_url,
	      json_t *order, X509_REQ *req, char **cert_url)
{
	struct acme_answer ans = { 0 };
	unsigned char *der = NULL;
	char *csr = NULL, *payload = NULL;
	const char *url, *status;
	int len, rc = -1;

	*cert_url = NULL;
	if ((url = json_string_value(json_object_get(order, "finalize"))) == NULL) {
		err_set(ERR_FAILED, "the order has no finalize URL");
		goto out;
	}
	if ((len = i2d_X509_REQ(req, &der)) <= 0 ||
	    acme_b64url(der, (size_t)len, &csr) < 0 ||
	    (payload = acme_dumps(json_pack("{s:s}", "csr", csr))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (acme_post(a, "finalizing the order", url, payload, false, &ans) < 0)
		goto out;
	o->delay_ms = ACME_POLL_FIRST_MS;
	for (;;) {
		status = json_string_value(json_object_get(ans.json, "status"));
		if (status != NULL && strcmp(status, "valid") == 0)
			break;
		if (status == NULL || (strcmp(status, "processing") != 0 &&
				       strcmp(status, "ready") != 0)) {
			acme_invalid("the order", ans.json);
			goto out;
		}
		if (acme_wait(a, o, ans.h.retry_after) < 0 ||
		    acme_post(a, "reading the order", order_url, NULL, false,
			      &ans) < 0)
			goto out;
	}
	if ((url = json_string_value(json_object_get(ans.json, "certificate"))) ==
	    NULL) {
		err_set(ERR_FAILED, "the valid order has no certificate URL");
		goto out;
	}
	if ((*cert_url = util_strdup(url)) == NULL)
		goto out;
	rc = 0;
out:
	OPENSSL_free(der);
	free(csr);
	free(payload);
	acme_answer_clear(&ans);
	return rc;
}

static int
ca_acme_submit(void *state, const char *csr_pem, const char *profile,
	       struct ca_reply *reply)
{
	struct ca_acme *a = state;
	struct acme_answer ans = { 0 };
	struct acme_order o = { 0 };
	char *order_url = NULL, *cert_url = NULL;
	json_t *order = NULL, *authz;
	X509_REQ *req = NULL;
	size_t i;
	int rc = -1;

	a->deadline = util_now_ms() + (int64_t)a->timeout_seconds * 1000;
	/* Checked here, not at open: revoking answers no challenge. */
	if (a->http_addr == NULL && a->webroot == NULL && a->hook_path == NULL) {
		err_set(ERR_USAGE, "nothing would answer the CA's challenges: "
			"give --acme-http ADDR:PORT, --acme-webroot DIR or "
			"--acme-dns-hook COMMAND");
		goto out;
	}
	if (csr_from_bytes((const unsigned char *)csr_pem, strlen(csr_pem),
			   &req) < 0 ||
	    acme_session(a) < 0 ||
	    (a->http_addr != NULL &&
	     acme_responder_open(a->http_addr, &o.responder) < 0) ||
	    acme_new_order(a, req, profile, &order_url, &ans) < 0)
		goto out;
	order = json_incref(ans.json);
	json_array_foreach(json_object_get(order, "authorizations"), i, authz) {
		if (json_string_value(authz) == NULL) {
			err_set(ERR_FAILED, "the order names an authorization "
				"that is not a URL");
			goto out;
		}
		if (acme_authorize(a, &o, json_string_value(authz)) < 0)
			goto out;
	}
	if (acme_finalize(a, &o, order_url, order, req, &cert_url) < 0 ||
	    acme_post(a, "downloading the certificate", cert_url, NULL, false,
		      &ans) < 0)
		goto out;
	if (ans.body.len == 0) {
		err_set(ERR_FAILED, "downloading the certificate: the answer "
			"is empty");
		goto out;
	}
	reply->answer = ans.body.data;
	reply->len = ans.body.len;
	ans.body.data = NULL;
	rc = 0;
out:
	acme_order_clear(a, &o);
	if (rc < 0)
		err_prefix("CA %s", a->description);
	acme_answer_clear(&ans);
	json_decref(order);
	free(order_url);
	free(cert_url);
	X509_REQ_free(req);
	return rc;
}

/* ---- revocation ------------------------------------------------------------ */

static int
ca_acme_revoke(void *state, const char *cert_pem, int reason)
{
	struct ca_acme *a = state;
	struct acme_answer ans = { 0 };
	unsigned char *der = NULL;
	char *cert = NULL, *payload = NULL;
	const char *url;
	BIO *bio = NULL;
	X509 *x = NULL;
	int len, rc = -1;

	a->deadline = util_now_ms() + (int64_t)a->timeout_seconds * 1000;
	if ((bio = BIO_new_mem_buf(cert_pem, -1)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
	    (len = i2d_X509(x, &der)) <= 0) {
		err_set(ERR_USAGE, "the certificate to revoke is not PEM");
		goto out;
	}
	if (acme_b64url(der, (size_t)len, &cert) < 0 ||
	    acme_session(a) < 0 ||
	    (url = acme_dir_url(a, "revokeCert")) == NULL)
		goto out;
	if ((payload = acme_dumps(json_pack("{s:s, s:i}", "certificate", cert,
					    "reason", reason))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (acme_post(a, "revoking the certificate", url, payload, false,
		      &ans) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		err_prefix("CA %s", a->description);
	ERR_clear_error();
	acme_answer_clear(&ans);
	OPENSSL_free(der);
	free(cert);
	free(payload);
	X509_free(x);
	BIO_free(bio);
	return rc;
}

const struct ca_backend ca_acme_backend = {
	.scheme = "acme",
	.open = ca_acme_open,
	.submit = ca_acme_submit,
	.describe = ca_acme_describe,
	.revoke = ca_acme_revoke,
	.free = ca_acme_free,
};
