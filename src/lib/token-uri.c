/* SPDX-License-Identifier: MIT */
/* token-uri.c - token selectors as RFC 7512 URIs, read and shown by
 * p11-kit's URI functions. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "err.h"
#include "token-uri.h"
#include "util.h"

/* What a selector may name: the token, its slot, its module. */
#define TOKEN_URI_PARTS (P11_KIT_URI_FOR_TOKEN | P11_KIT_URI_FOR_SLOT | \
			 P11_KIT_URI_FOR_MODULE)

void
token_uri_free(P11KitUri *uri)
{
	const char *value = uri != NULL ? p11_kit_uri_get_pin_value(uri) : NULL;

	/* p11-kit frees a pin-value as it is. */
	if (value != NULL)
		OPENSSL_cleanse((char *)value, strlen(value));
	p11_kit_uri_free(uri);
}

/* SELECTOR, a pkcs11: URI, parsed into URI. The message never quotes a
 * URI that does not parse: where its PIN is cannot be told. */
static int
token_uri_parse_text(const char *selector, P11KitUri *uri)
{
	int r;

	r = p11_kit_uri_parse(selector, TOKEN_URI_PARTS, uri);
	if (r != P11_KIT_URI_OK)
		return err_set(ERR_USAGE, "bad token URI: %s (the URI is not "
			       "quoted, as it may hold a PIN)",
			       p11_kit_uri_message(r));
	return 0;
}

static bool
token_uri_is_uri(const char *selector)
{
	return selector != NULL && strncmp(selector, "pkcs11:", 7) == 0;
}

int
token_uri_printable(const char *selector, char **out)
{
	P11KitUri *uri = NULL;
	const char *value;
	char *shown = NULL;
	int rc = -1;

	*out = NULL;
	if (!token_uri_is_uri(selector)) {
		shown = util_strdup(selector != NULL ? selector : "");
		goto done;
	}
	if ((uri = p11_kit_uri_new()) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (token_uri_parse_text(selector, uri) < 0)
		goto out;
	value = p11_kit_uri_get_pin_value(uri);
	if (value == NULL && p11_kit_uri_get_pin_source(uri) == NULL) {
		/* Nothing to hide: as the user wrote it. */
		shown = util_strdup(selector);
		goto done;
	}
	if (value != NULL)
		OPENSSL_cleanse((char *)value, strlen(value));
	p11_kit_uri_set_pin_value(uri, NULL);
	p11_kit_uri_set_pin_source(uri, NULL);
	if (p11_kit_uri_format(uri, P11_KIT_URI_FOR_ANY, &shown) !=
	    P11_KIT_URI_OK) {
		err_set(ERR_FAILED, "cannot format a token URI");
		goto out;
	}
done:
	if (shown == NULL)
		goto out;
	*out = shown;
	shown = NULL;
	rc = 0;
out:
	free(shown);
	token_uri_free(uri);
	return rc;
}

int
token_uri_parse(const char *selector, P11KitUri **out)
{
	P11KitUri *uri = NULL;
	CK_TOKEN_INFO *ti;
	char *shown = NULL;
	size_t len;
	int rc = -1;

	*out = NULL;
	if ((uri = p11_kit_uri_new()) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (selector == NULL) {
		/* matches everything */
	} else if (token_uri_is_uri(selector)) {
		if (token_uri_parse_text(selector, uri) < 0)
			goto out;
		if (p11_kit_uri_any_unrecognized(uri)) {
			if (token_uri_printable(selector, &shown) == 0)
				err_set(ERR_USAGE, "token URI '%s' has attributes "
					"that do not select a token", shown);
			goto out;
		}
	} else {
		len = strlen(selector);
		ti = p11_kit_uri_get_token_info(uri);
		if (len == 0 || len > sizeof(ti->label)) {
			err_set(ERR_USAGE, "token label '%s' must be 1 to %zu bytes",
				selector, sizeof(ti->label));
			goto out;
		}
		memset(ti->label, ' ', sizeof(ti->label));
		memcpy(ti->label, selector, len);
	}
	*out = uri;
	uri = NULL;
	rc = 0;
out:
	free(shown);
	token_uri_free(uri);
	return rc;
}

int
token_uri_object(const struct token_info *info, CK_OBJECT_CLASS cls,
		 const char *label, const unsigned char *id, size_t id_len,
		 char **out)
{
	CK_ATTRIBUTE attrs[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)label, label != NULL ? strlen(label) : 0 },
		{ CKA_ID, (void *)id, id_len },
	};
	P11KitUri *uri = p11_kit_uri_new();
	size_t i;
	int rc = -1;

	*out = NULL;
	if (uri == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	memcpy(p11_kit_uri_get_token_info(uri), &info->token_info,
	       sizeof(info->token_info));
	for (i = 0; i < NELEM(attrs); i++)
		if ((attrs[i].ulValueLen > 0 || attrs[i].type == CKA_CLASS) &&
		    p11_kit_uri_set_attribute(uri, &attrs[i]) != P11_KIT_URI_OK) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
	if (p11_kit_uri_format(uri, P11_KIT_URI_FOR_OBJECT_ON_TOKEN, out) !=
	    P11_KIT_URI_OK) {
		err_set(ERR_FAILED, "cannot format an object URI");
		goto out;
	}
	rc = 0;
out:
	p11_kit_uri_free(uri);
	return rc;
}

json_t *
token_uri_role_json(const struct token_info *info, const char *label,
		    const unsigned char *id, size_t id_len)
{
	struct err_saved saved;
	char *key = NULL, *cert = NULL;
	json_t *doc = NULL;

	/* The error recorded before, if any, is the caller's to report. */
	err_save(&saved);
	if (token_uri_object(info, CKO_PRIVATE_KEY, label, id, id_len, &key) == 0 &&
	    token_uri_object(info, CKO_CERTIFICATE, label, id, id_len, &cert) == 0)
		doc = json_pack("{s:s, s:s}", "private_key", key, "certificate", cert);
	err_restore(&saved);
	free(key);
	free(cert);
	return doc != NULL ? doc : json_null();
}
