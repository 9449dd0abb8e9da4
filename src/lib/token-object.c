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

int
token_get_bool(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
	       bool *out)
{
	unsigned char *v = NULL;
	size_t len = 0;

	*out = false;
	if (token_get_attr(t, h, type, &v, &len) < 0)
		return -1;
	*out = len == sizeof(CK_BBOOL) && v[0] == CK_TRUE;
	free(v);
	return 0;
}

int
token_get_ulong(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
		CK_ULONG *out)
{
	unsigned char *v = NULL;
	size_t len = 0;
	int rc = -1;

	*out = 0;
	if (token_get_attr(t, h, type, &v, &len) < 0)
		return -1;
	if (len != sizeof(CK_ULONG)) {
		err_set(ERR_FAILED, "object %lu on token %s lacks attribute 0x%lx",
			(unsigned long)h, t->info.label, (unsigned long)type);
		goto out;
	}
	memcpy(out, v, sizeof(CK_ULONG));
	rc = 0;
out:
	free(v);
	return rc;
}

