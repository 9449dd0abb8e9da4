/* SPDX-License-Identifier: MIT */
/* token-object.c - finding objects on an open token and reading their
 * attributes, by handles that outlive a change of login. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "err.h"
#include "token-object.h"
#include "token-struct.h"

CK_OBJECT_HANDLE
token_handle(const struct token *t, CK_OBJECT_HANDLE h)
{
	size_t i;

	for (i = 0; i < t->nmoved; i++)
		if (t->moved[i].from == h)
			return t->moved[i].to;
	return h;
}

int
token_find(struct token *t, CK_ATTRIBUTE *tmpl, CK_ULONG n,
	   CK_OBJECT_HANDLE **out, size_t *count)
{
	CK_FUNCTION_LIST *fn = t->fn;
	CK_OBJECT_HANDLE *found = NULL, *grown, batch[32];
	size_t used = 0, cap = 0;
	CK_ULONG got, i;
	CK_RV rv;
	int rc = -1;

	*out = NULL;
	*count = 0;
	rv = fn->C_FindObjectsInit(t->session, tmpl, n);
	if (rv != CKR_OK) {
		err_ckr(rv, "search objects on token %s", t->info.label);
		return -1;
	}
	for (;;) {
		rv = fn->C_FindObjects(t->session, batch, 32, &got);
		if (rv != CKR_OK) {
			err_ckr(rv, "search objects on token %s", t->info.label);
			goto out;
		}
		if (got == 0)
			break;
		grown = array_grow(found, &cap, used + got, sizeof(*found));
		if (grown == NULL)
			goto out;
		found = grown;
		for (i = 0; i < got; i++)
			found[used++] = batch[i];
	}
	rc = 0;
out:
	/* A search that cannot be ended would block the next one. */
	rv = fn->C_FindObjectsFinal(t->session);
	if (rv != CKR_OK && rc == 0)
		rc = err_ckr(rv, "end a search of objects on token %s", t->info.label);
	if (rc == 0) {
		*out = found;
		*count = used;
		found = NULL;
	}
	free(found);
	return rc;
}

int
token_get_attr(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
	       unsigned char **out, size_t *len)
{
	CK_FUNCTION_LIST *fn = t->fn;
	CK_ATTRIBUTE attr = { type, NULL, 0 };
	unsigned char *buf = NULL;
	CK_RV rv;
	int rc = -1;

	*out = NULL;
	*len = 0;
	h = token_handle(t, h);
	rv = fn->C_GetAttributeValue(t->session, h, &attr, 1);
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ||
	    attr.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
		rc = 0;
		goto out;
	}
	if (rv != CKR_OK) {
		err_ckr(rv, "read attribute 0x%lx of object %lu on token %s",
			(unsigned long)type, (unsigned long)h, t->info.label);
		goto out;
	}
	buf = malloc(attr.ulValueLen + 1);
	if (buf == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	attr.pValue = buf;
	rv = fn->C_GetAttributeValue(t->session, h, &attr, 1);
	if (rv != CKR_OK) {
		err_ckr(rv, "read attribute 0x%lx of object %lu on token %s",
			(unsigned long)type, (unsigned long)h, t->info.label);
		goto out;
	}
	buf[attr.ulValueLen] = '\0';
	*out = buf;
	*len = attr.ulValueLen;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}

/* The first guess of an attribute's size: most labels, ids, key
 * parameters and certificates fit. */
#define TOKEN_ATTR_GUESS 2048

/* Whether answer RV of C_GetAttributeValue still filled every attribute
 * it could (the others marked unavailable). */
static bool
token_attrs_partial(CK_RV rv)
{
	return rv == CKR_OK || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
	       rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_BUFFER_TOO_SMALL;
}

/* C_GetAttributeValue of TMPL, whose buffers are also in MINE: a module
 * may write NULL over the buffer of an attribute it lacks (tpm2-pkcs11
 * does), which would lose it; such an attribute gets its buffer back,
 * marked unavailable. */
static CK_RV
token_attrs_call(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *tmpl,
		 void **mine, CK_ULONG n)
{
	CK_RV rv = t->fn->C_GetAttributeValue(t->session, h, tmpl, n);
	CK_ULONG i;

	for (i = 0; i < n; i++) {
		if (tmpl[i].pValue == mine[i])
			continue;
		tmpl[i].pValue = mine[i];
		tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
	}
	return rv;
}

int
token_get_attrs(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *tmpl,
		CK_ULONG n)
{
	void **mine = calloc(n ? n : 1, sizeof(*mine));
	CK_RV rv = CKR_OK;
	CK_ULONG i;
	int rc = -1;

	h = token_handle(t, h);
	if (mine == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		tmpl[i].pValue = mine[i] = malloc(TOKEN_ATTR_GUESS + 1);
		tmpl[i].ulValueLen = TOKEN_ATTR_GUESS;
		if (tmpl[i].pValue == NULL)
			goto nomem;
	}
	rv = token_attrs_call(t, h, tmpl, mine, n);
	if (rv == CKR_BUFFER_TOO_SMALL) {
		/* Ask only the sizes, then everything again at its size. */
		for (i = 0; i < n; i++) {
			free(tmpl[i].pValue);
			tmpl[i].pValue = mine[i] = NULL;
		}
		rv = token_attrs_call(t, h, tmpl, mine, n);
		for (i = 0; token_attrs_partial(rv) && i < n; i++) {
			if (tmpl[i].ulValueLen == CK_UNAVAILABLE_INFORMATION)
				continue;
			tmpl[i].pValue = mine[i] = malloc(tmpl[i].ulValueLen + 1);
			if (tmpl[i].pValue == NULL)
				goto nomem;
		}
		if (token_attrs_partial(rv))
			rv = token_attrs_call(t, h, tmpl, mine, n);
	}
	if (!token_attrs_partial(rv) || rv == CKR_BUFFER_TOO_SMALL) {
		err_ckr(rv, "read the attributes of object %lu on token %s",
			(unsigned long)h, t->info.label);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (tmpl[i].pValue == NULL ||
		    tmpl[i].ulValueLen == CK_UNAVAILABLE_INFORMATION) {
			free(tmpl[i].pValue);
			tmpl[i].pValue = NULL;
			tmpl[i].ulValueLen = 0;
			continue;
		}
		((unsigned char *)tmpl[i].pValue)[tmpl[i].ulValueLen] = '\0';
	}
	rc = 0;
	goto out;
nomem:
	err_set(ERR_FAILED, "out of memory");
out:
	free(mine);
	return rc;
}

void
token_attrs_clear(CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_ULONG i;

	for (i = 0; i < n; i++) {
		free(tmpl[i].pValue);
		tmpl[i].pValue = NULL;
		tmpl[i].ulValueLen = 0;
	}
}

int
token_get_fixed(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
		void *v, size_t len, bool *got)
{
	CK_ATTRIBUTE attr = { type, v, len };
	CK_RV rv;

	*got = false;
	h = token_handle(t, h);
	rv = t->fn->C_GetAttributeValue(t->session, h, &attr, 1);
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ||
	    rv == CKR_BUFFER_TOO_SMALL)
		return 0;
	if (rv != CKR_OK)
		return err_ckr(rv, "read attribute 0x%lx of object %lu on token %s",
			       (unsigned long)type, (unsigned long)h, t->info.label);
	*got = attr.ulValueLen == len;
	return 0;
}

int
token_get_bool(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
	       bool *out)
{
	CK_BBOOL v = CK_FALSE;
	bool got;

	*out = false;
	if (token_get_fixed(t, h, type, &v, sizeof(v), &got) < 0)
		return -1;
	*out = got && v == CK_TRUE;
	return 0;
}

int
token_get_ulong(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
		CK_ULONG *out)
{
	CK_ULONG v = 0;
	bool got;

	*out = 0;
	if (token_get_fixed(t, h, type, &v, sizeof(v), &got) < 0)
		return -1;
	if (!got)
		return err_set(ERR_FAILED, "object %lu on token %s lacks attribute 0x%lx",
			       (unsigned long)h, t->info.label, (unsigned long)type);
	*out = v;
	return 0;
}

