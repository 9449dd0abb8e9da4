/* SPDX-License-Identifier: MIT */
/* ca-acme-proto.c - the ACME backend's talk with the server: JWS-signed
 * POSTs with Replay-Nonce handling, problem documents, the directory and
 * newAccount (terms, contact, External Account Binding). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ca-acme-jws.h"
#include "ca-acme-proto.h"
#include "err.h"
#include "text.h"
#include "util.h"

/* badNonce refusals answered again before giving up. */
#define ACME_NONCE_TRIES 10

void
acme_answer_clear(struct acme_answer *a)
{
	free(a->body.data);
	ca_http_headers_clear(&a->h);
	json_decref(a->json);
	memset(a, 0, sizeof(*a));
}

/* OBJ (owned, NULL is fine) as compact JSON text; NULL when out of memory. */
char *
acme_dumps(json_t *obj)
{
	char *text = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;

	json_decref(obj);
	return text;
}

/* A problem document (RFC 7807) in ANS as a sentence; returns -1. */
int
acme_problem(const char *doing, const struct acme_answer *ans)
{
	char detail[ACME_SHOWN], type[ACME_SHOWN];
	const char *d = NULL, *t = NULL;

	if (json_is_object(ans->json)) {
		d = json_string_value(json_object_get(ans->json, "detail"));
		t = json_string_value(json_object_get(ans->json, "type"));
	}
	if (d == NULL && t == NULL) {
		text_first_line((const char *)(ans->body.data != NULL ?
					       ans->body.data : (unsigned char *)""),
				ans->body.len, detail, sizeof(detail));
		return err_set(ERR_FAILED, "%s: the CA answered HTTP %ld%s%s",
			       doing, ans->status, *detail != '\0' ? ": " : "",
			       detail);
	}
	return err_set(ERR_FAILED, "%s: the CA refused: %s (%s, HTTP %ld)",
		       doing, text_shown(d, detail, sizeof(detail)),
		       text_shown(t, type, sizeof(type)), ans->status);
}

/* Whether ANS is a problem of TYPE ("badNonce"). */
static bool
acme_is_problem(const struct acme_answer *ans, const char *type)
{
	static const char prefix[] = "urn:ietf:params:acme:error:";
	const char *t;

	if (!json_is_object(ans->json))
		return false;
	t = json_string_value(json_object_get(ans->json, "type"));
	return t != NULL && strncmp(t, prefix, sizeof(prefix) - 1) == 0 &&
	    strcmp(t + sizeof(prefix) - 1, type) == 0;
}

/* One exchange: GET when JWS is NULL, else a POST of it. */
static int
acme_exchange(struct ca_acme *a, const char *url, const char *jws,
	      struct acme_answer *ans)
{
	const struct ca_http_post post = {
		.content_type = "application/jose+json",
		.data = jws,
		.len = jws != NULL ? strlen(jws) : 0,
	};

	acme_answer_clear(ans);
	ans->h.retry_after = -1;
	if (ca_http_exchange_headers(&a->http, url, jws != NULL ? &post : NULL,
				     "the CA's answer", &ans->body, &ans->status,
				     &ans->h) < 0)
		return -1;
	if (ans->h.nonce != NULL) {
		free(a->nonce);
		a->nonce = ans->h.nonce;
		ans->h.nonce = NULL;
	}
	if (ans->body.len > 0)
		ans->json = json_loadb((const char *)ans->body.data,
				       ans->body.len, JSON_REJECT_DUPLICATES,
				       NULL);
	return 0;
}

/* The URL the directory names KEY ("newNonce"), or NULL (recorded). */
const char *
acme_dir_url(const struct ca_acme *a, const char *key)
{
	const char *url = json_string_value(json_object_get(a->directory, key));

	if (url == NULL)
		err_set(ERR_FAILED, "the CA's directory has no %s", key);
	return url;
}

static int
acme_new_nonce(struct ca_acme *a)
{
	struct acme_answer ans = { 0 };
	const char *url;
	int rc = -1;

	if ((url = acme_dir_url(a, "newNonce")) == NULL ||
	    acme_exchange(a, url, NULL, &ans) < 0)
		goto out;
	if (a->nonce == NULL) {
		err_set(ERR_FAILED, "the CA gave no Replay-Nonce");
		goto out;
	}
	rc = 0;
out:
	acme_answer_clear(&ans);
	return rc;
}

/* POST PAYLOAD (NULL: POST-as-GET) to URL, signed with the account's kid
 * or, when JWK, with the key itself; a badNonce refusal is asked again.
 * An HTTP error is a problem sentence opening with DOING. */
int
acme_post(struct ca_acme *a, const char *doing, const char *url,
	  const char *payload, bool jwk, struct acme_answer *ans)
{
	char *jws = NULL;
	int tries, rc = -1;

	for (tries = 0; tries < ACME_NONCE_TRIES; tries++) {
		free(jws);
		jws = NULL;
		if ((a->nonce == NULL && acme_new_nonce(a) < 0) ||
		    acme_jws(a->key, jwk ? NULL : a->kid, a->nonce, url, payload,
			     &jws) < 0)
			goto out;
		/* A nonce is good once. */
		free(a->nonce);
		a->nonce = NULL;
		if (acme_exchange(a, url, jws, ans) < 0) {
			err_prefix("%s", doing);
			goto out;
		}
		if (ans->status < 400) {
			rc = 0;
			goto out;
		}
		if (!acme_is_problem(ans, "badNonce"))
			break;
	}
	acme_problem(doing, ans);
out:
	free(jws);
	return rc;
}

/* ---- directory and account ------------------------------------------------- */

static int
acme_directory(struct ca_acme *a)
{
	struct acme_answer ans = { 0 };
	int rc = -1;

	if (a->directory != NULL)
		return 0;
	if (acme_exchange(a, a->directory_url, NULL, &ans) < 0) {
		err_prefix("reading the directory");
		goto out;
	}
	if (ans.status != 200 || !json_is_object(ans.json)) {
		acme_problem("reading the directory", &ans);
		if (ans.status == 200)
			err_set(ERR_FAILED, "reading the directory: the answer "
				"is not an ACME directory");
		goto out;
	}
	a->directory = json_incref(ans.json);
	rc = 0;
out:
	acme_answer_clear(&ans);
	return rc;
}

/* The newAccount payload: contact, terms, binding. */
static int
acme_account_payload(struct ca_acme *a, const char *url, char **out)
{
	json_t *meta, *p = NULL, *eab = NULL;
	char mailto[320];
	int rc = -1;

	*out = NULL;
	meta = json_object_get(a->directory, "meta");
	if (json_string_value(json_object_get(meta, "termsOfService")) != NULL &&
	    !a->agree_tos) {
		char tos[ACME_SHOWN];

		err_set(ERR_USAGE, "the CA has terms of service (%s): read "
			"them and agree with --acme-agree-tos",
			text_shown(json_string_value(json_object_get(meta,
				"termsOfService")), tos, sizeof(tos)));
		goto out;
	}
	if (json_is_true(json_object_get(meta, "externalAccountRequired")) &&
	    a->eab_kid == NULL) {
		err_set(ERR_USAGE, "the CA requires External Account Binding: "
			"give the key id and HMAC key it gave you with "
			"--acme-eab-kid and --acme-eab-hmac-source");
		goto out;
	}
	if ((p = json_object()) == NULL ||
	    (a->agree_tos &&
	     json_object_set_new(p, "termsOfServiceAgreed", json_true()) < 0))
		goto nomem;
	if (a->email != NULL) {
		snprintf(mailto, sizeof(mailto), "mailto:%s", a->email);
		if (json_object_set_new(p, "contact",
					json_pack("[s]", mailto)) < 0)
			goto nomem;
	}
	if (a->eab_kid != NULL) {
		if (acme_eab(a->key, a->eab_kid, a->eab_mac, a->eab_mac_len,
			     url, &eab) < 0)
			goto out;
		if (json_object_set(p, "externalAccountBinding", eab) < 0)
			goto nomem;
	}
	if ((*out = json_dumps(p, JSON_COMPACT)) == NULL)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	err_set(ERR_FAILED, "out of memory");
out:
	json_decref(eab);
	json_decref(p);
	return rc;
}

/* Directory, key and account, once per run. */
int
acme_session(struct ca_acme *a)
{
	struct acme_answer ans = { 0 };
	char *payload = NULL;
	const char *url;
	bool created;
	int rc = -1;

	if (a->kid != NULL)
		return 0;
	if (acme_directory(a) < 0)
		goto out;
	if (a->key == NULL &&
	    (acme_account_key(a->account_path, &a->key, &created) < 0 ||
	     acme_thumbprint(a->key, &a->thumbprint) < 0))
		goto out;
	if ((url = acme_dir_url(a, "newAccount")) == NULL ||
	    acme_account_payload(a, url, &payload) < 0 ||
	    acme_post(a, "registering the account", url, payload, true,
		      &ans) < 0)
		goto out;
	if (ans.h.location == NULL) {
		err_set(ERR_FAILED, "registering the account: the CA gave no "
			"account URL");
		goto out;
	}
	a->kid = ans.h.location;
	ans.h.location = NULL;
	rc = 0;
out:
	free(payload);
	acme_answer_clear(&ans);
	return rc;
}

/* ---- challenges -------------------------------------------------------------- */
