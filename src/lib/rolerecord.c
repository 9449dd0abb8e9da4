/* SPDX-License-Identifier: MIT */
/* rolerecord.c - an enrolled role's record, as JSON, on the token or in
 * the state directory. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "rolerecord.h"
#include "util.h"
#include "waitstore.h"

/* The record's format; a reader refuses a later one. */
#define ROLERECORD_FORMAT 1

/* The largest record read back. */
#define ROLERECORD_MAX (64 * 1024)

struct rolerecord *
rolerecord_new(void)
{
	struct rolerecord *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->vars = vars_new()) == NULL) {
		free(r);
		err_set(ERR_FAILED, "out of memory");
		return NULL;
	}
	return r;
}

void
rolerecord_free(struct rolerecord *r)
{
	if (r == NULL)
		return;
	free(r->profile);
	free(r->ca);
	free(r->ca_tls_trust);
	free(r->ca_auth_source);
	free(r->challenge_source);
	free(r->trust);
	free(r->acme.account);
	free(r->acme.email);
	free(r->acme.eab_kid);
	free(r->acme.eab_hmac_source);
	free(r->acme.http);
	free(r->acme.webroot);
	free(r->acme.dns_hook);
	vars_free(r->vars);
	free(r);
}

/* A copy of S into *OUT (NULL stays NULL); -1 when out of memory. */
static int
rolerecord_dup(const char *s, char **out)
{
	*out = NULL;
	return s == NULL || (*out = util_strdup(s)) != NULL ? 0 : -1;
}

struct rolerecord *
rolerecord_for(const struct rolerecord *template, const char *profile,
	       const struct vars *vars)
{
	struct rolerecord *r = rolerecord_new();

	if (r == NULL)
		return NULL;
	r->ca_timeout = template->ca_timeout;
	r->acme.agree_tos = template->acme.agree_tos;
	r->enrolled = time(NULL);
	if (rolerecord_dup(profile, &r->profile) < 0 ||
	    rolerecord_dup(template->ca, &r->ca) < 0 ||
	    rolerecord_dup(template->ca_tls_trust, &r->ca_tls_trust) < 0 ||
	    rolerecord_dup(template->ca_auth_source, &r->ca_auth_source) < 0 ||
	    rolerecord_dup(template->challenge_source, &r->challenge_source) < 0 ||
	    rolerecord_dup(template->trust, &r->trust) < 0 ||
	    rolerecord_dup(template->acme.account, &r->acme.account) < 0 ||
	    rolerecord_dup(template->acme.email, &r->acme.email) < 0 ||
	    rolerecord_dup(template->acme.eab_kid, &r->acme.eab_kid) < 0 ||
	    rolerecord_dup(template->acme.eab_hmac_source,
			   &r->acme.eab_hmac_source) < 0 ||
	    rolerecord_dup(template->acme.http, &r->acme.http) < 0 ||
	    rolerecord_dup(template->acme.webroot, &r->acme.webroot) < 0 ||
	    rolerecord_dup(template->acme.dns_hook, &r->acme.dns_hook) < 0 ||
	    vars_merge(r->vars, vars) < 0) {
		rolerecord_free(r);
		err_set(ERR_FAILED, "out of memory");
		return NULL;
	}
	return r;
}

/* T as "YYYY-MM-DDTHH:MM:SSZ", or JSON null for 0. */
static json_t *
rolerecord_time_json(time_t t)
{
	char buf[32];
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(buf);
}

/* The time in member NAME of OBJ into *OUT (0 for null or missing). */
static int
rolerecord_time_parse(json_t *obj, const char *name, time_t *out)
{
	json_t *v = json_object_get(obj, name);
	const char *s, *end;
	struct tm tm;

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* S as a JSON string, or null for NULL. */
static json_t *
rolerecord_str_json(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* The ACME options of R, or JSON null when it names none. */
static json_t *
rolerecord_acme_json(const struct rolerecord *r)
{
	if (r->acme.account == NULL && r->acme.email == NULL &&
	    r->acme.eab_kid == NULL && r->acme.eab_hmac_source == NULL &&
	    r->acme.http == NULL && r->acme.webroot == NULL &&
	    r->acme.dns_hook == NULL && !r->acme.agree_tos)
		return json_null();
	return json_pack("{s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:o}",
			 "account", rolerecord_str_json(r->acme.account),
			 "email", rolerecord_str_json(r->acme.email),
			 "agree_tos", r->acme.agree_tos,
			 "eab_kid", rolerecord_str_json(r->acme.eab_kid),
			 "eab_hmac_source", rolerecord_str_json(r->acme.eab_hmac_source),
			 "http", rolerecord_str_json(r->acme.http),
			 "webroot", rolerecord_str_json(r->acme.webroot),
			 "dns_hook", rolerecord_str_json(r->acme.dns_hook));
}

json_t *
rolerecord_json(const struct rolerecord *r)
{
	json_t *vars = json_object(), *doc;
	const char *name, *value;
	size_t i;

	if (vars == NULL)
		return NULL;
	for (i = 0; i < vars_count(r->vars); i++) {
		vars_at(r->vars, i, &name, &value);
		if (json_object_set_new(vars, name, json_string(value)) < 0) {
			json_decref(vars);
			return NULL;
		}
	}
	doc = json_pack("{s:i, s:o, s:{s:o, s:o, s:o, s:o, s:i, s:o}, s:o, s:o, s:o, s:o}",
			"format", ROLERECORD_FORMAT,
			"profile", rolerecord_str_json(r->profile),
			"ca",
			"spec", rolerecord_str_json(r->ca),
			"tls_trust", rolerecord_str_json(r->ca_tls_trust),
			"auth_source", rolerecord_str_json(r->ca_auth_source),
			"challenge_source", rolerecord_str_json(r->challenge_source),
			"timeout", r->ca_timeout,
			"acme", rolerecord_acme_json(r),
			"trust", rolerecord_str_json(r->trust),
			"variables", vars,
			"enrolled", rolerecord_time_json(r->enrolled),
			"renewed", rolerecord_time_json(r->renewed));
	return doc;
}

/* The string member NAME of OBJ into *OUT (NULL for null or missing);
 * -1 when it is something else or memory runs out. */
static int
rolerecord_str_parse(json_t *obj, const char *name, char **out)
{
	json_t *v = json_object_get(obj, name);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || (*out = util_strdup(json_string_value(v))) == NULL)
		return -1;
	return 0;
}

/* The ACME options of CA (its member "acme", null or missing: none)
 * into R. */
static int
rolerecord_acme_parse(json_t *ca, struct rolerecord *r)
{
	json_t *acme = json_object_get(ca, "acme"), *agree;

	if (acme == NULL || json_is_null(acme))
		return 0;
	agree = json_object_get(acme, "agree_tos");
	if (!json_is_object(acme) || (agree != NULL && !json_is_boolean(agree)))
		return -1;
	r->acme.agree_tos = json_is_true(agree);
	return rolerecord_str_parse(acme, "account", &r->acme.account) < 0 ||
	       rolerecord_str_parse(acme, "email", &r->acme.email) < 0 ||
	       rolerecord_str_parse(acme, "eab_kid", &r->acme.eab_kid) < 0 ||
	       rolerecord_str_parse(acme, "eab_hmac_source",
				    &r->acme.eab_hmac_source) < 0 ||
	       rolerecord_str_parse(acme, "http", &r->acme.http) < 0 ||
	       rolerecord_str_parse(acme, "webroot", &r->acme.webroot) < 0 ||
	       rolerecord_str_parse(acme, "dns_hook", &r->acme.dns_hook) < 0 ?
	       -1 : 0;
}

/* The variables of DOC into R. */
static int
rolerecord_vars_parse(json_t *doc, struct rolerecord *r)
{
	json_t *vars = json_object_get(doc, "variables"), *v;
	const char *name;
	char *assignment;
	int rc;

	if (vars == NULL || json_is_null(vars))
		return 0;
	if (!json_is_object(vars))
		return -1;
	json_object_foreach(vars, name, v) {
		if (!json_is_string(v) ||
		    asprintf(&assignment, "%s=%s", name, json_string_value(v)) < 0)
			return -1;
		rc = vars_set(r->vars, assignment);
		free(assignment);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
rolerecord_parse(const unsigned char *data, size_t len, const char *where,
		 struct rolerecord **out)
{
	struct rolerecord *r = NULL;
	json_error_t jerr;
	json_t *doc = NULL, *ca, *timeout;
	int rc = -1;

	*out = NULL;
	doc = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL || !json_is_object(doc)) {
		err_set(ERR_FAILED, "the enrollment record %s is not JSON: %s", where,
			doc == NULL ? jerr.text : "not an object");
		goto out;
	}
	if (json_integer_value(json_object_get(doc, "format")) != ROLERECORD_FORMAT) {
		err_set(ERR_FAILED, "the enrollment record %s is of a format this "
			"version does not read", where);
		goto out;
	}
	if ((r = rolerecord_new()) == NULL)
		goto out;
	ca = json_object_get(doc, "ca");
	timeout = json_object_get(ca, "timeout");
	if (!json_is_object(ca) ||
	    rolerecord_str_parse(doc, "profile", &r->profile) < 0 ||
	    rolerecord_str_parse(ca, "spec", &r->ca) < 0 ||
	    rolerecord_str_parse(ca, "tls_trust", &r->ca_tls_trust) < 0 ||
	    rolerecord_str_parse(ca, "auth_source", &r->ca_auth_source) < 0 ||
	    rolerecord_str_parse(ca, "challenge_source", &r->challenge_source) < 0 ||
	    (timeout != NULL && !json_is_integer(timeout)) ||
	    rolerecord_str_parse(doc, "trust", &r->trust) < 0 ||
	    rolerecord_acme_parse(ca, r) < 0 ||
	    rolerecord_vars_parse(doc, r) < 0 ||
	    rolerecord_time_parse(doc, "enrolled", &r->enrolled) < 0 ||
	    rolerecord_time_parse(doc, "renewed", &r->renewed) < 0) {
		err_set(ERR_FAILED, "the enrollment record %s has a member of the "
			"wrong type", where);
		goto out;
	}
	r->ca_timeout = (int)json_integer_value(timeout);
	*out = r;
	r = NULL;
	rc = 0;
out:
	rolerecord_free(r);
	json_decref(doc);
	return rc;
}

int
rolerecord_load(struct token *t, const char *label, const unsigned char *id,
		size_t id_len, struct rolerecord **out)
{
	struct waitstore_item *items = NULL;
	unsigned char *data = NULL;
	size_t n = 0, len = 0;
	char where[128];
	int rc = -1;

	*out = NULL;
	if (waitstore_find(t, label, CERTSTORE_RECORD, id, id_len, &items, &n) < 0)
		goto out;
	if (n == 0) {
		rc = 0;
		goto out;
	}
	snprintf(where, sizeof(where), "of role label %s", label);
	if (waitstore_read(t, &items[0], &data, &len) < 0)
		goto out;
	if (len > ROLERECORD_MAX) {
		err_set(ERR_FAILED, "the enrollment record %s is too large", where);
		goto out;
	}
	if (rolerecord_parse(data, len, where, out) < 0)
		goto out;
	rc = 1;
out:
	free(items);
	free(data);
	return rc;
}

int
rolerecord_store(struct token *t, const char *label, const unsigned char *id,
		 size_t id_len, const unsigned char *old_id, size_t old_id_len,
		 bool fresh, const struct rolerecord *r)
{
	struct waitstore_item *items = NULL, made;
	json_t *doc = rolerecord_json(r);
	char *text = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (doc == NULL || (text = json_dumps(doc, JSON_SORT_KEYS)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	/* The new record is written before the old ones go (a token may
	 * refuse to change a data object's value): a crash between the two
	 * leaves both, and the next store removes the old one. A file is
	 * keyed by the key, so the old key's goes once the new one is in. */
	if (!fresh &&
	    waitstore_find(t, label, CERTSTORE_RECORD, id, id_len, &items, &n) < 0)
		goto out;
	if (n > 0 && items[n - 1].where == WAITSTORE_FILE) {
		/* The file of this very key: replaced in place. */
		if (waitstore_replace(t, &items[n - 1], (const unsigned char *)text,
				      strlen(text)) < 0)
			goto out;
		n--;
	} else if (waitstore_write(t, label, CERTSTORE_RECORD, id, id_len,
				   (const unsigned char *)text, strlen(text),
				   &made) < 0) {
		goto out;
	}
	for (i = 0; i < n; i++)
		if (waitstore_delete(t, &items[i]) < 0)
			goto out;
	if (old_id != NULL &&
	    (old_id_len != id_len || memcmp(old_id, id, id_len) != 0)) {
		waitstore_item_init(&made, CERTSTORE_RECORD);
		made.where = WAITSTORE_FILE;
		if (old_id_len > sizeof(made.id)) {
			rc = 0;
			goto out;
		}
		memcpy(made.id, old_id, old_id_len);
		made.id_len = old_id_len;
		if (waitstore_delete(t, &made) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		err_prefix("keep the enrollment record of role label %s", label);
	free(items);
	free(text);
	json_decref(doc);
	return rc;
}

int
rolerecord_drop(struct token *t, const char *label, const unsigned char *id,
		size_t id_len)
{
	struct waitstore_item *items = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (waitstore_find(t, label, CERTSTORE_RECORD, id, id_len, &items, &n) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (waitstore_delete(t, &items[i]) < 0)
			goto out;
	rc = 0;
out:
	if (rc < 0)
		err_prefix("delete the enrollment record of role label %s", label);
	free(items);
	return rc;
}
