/* SPDX-License-Identifier: MIT */
/* token-object.h - finding objects on an open token and reading their
 * attributes (token.h includes it).
 *
 * A handle stays good across a change of login (token-login.h): a module
 * may give a private object another handle once it is logged in again
 * (SoftHSM does, as PKCS#11 allows: a handle lasts while the object is
 * accessible to the session), and every call that takes a handle first
 * turns it into the object's handle of the moment with token_handle().
 */
#ifndef P11E_TOKEN_OBJECT_H
#define P11E_TOKEN_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <p11-kit/pkcs11.h>

struct token;

/* Every object matching TEMPLATE; *OUT is malloc'ed (NULL when none). */
int token_find(struct token *t, CK_ATTRIBUTE *tmpl, CK_ULONG n,
	       CK_OBJECT_HANDLE **out, size_t *count);

/* One attribute's value, malloc'ed; CKR_ATTRIBUTE_TYPE_INVALID and
 * sensitive attributes give *OUT == NULL, *LEN == 0 and success. */
int token_get_attr(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
		   unsigned char **out, size_t *len);

/* The N attributes of TMPL (types set, pValue NULL on entry) in one
 * C_GetAttributeValue where each fits a first guess of its size (a
 * second and third call only for those that do not): each pValue is then
 * malloc'ed and NUL-terminated, or NULL with ulValueLen 0 for an
 * attribute the object lacks or keeps secret. Free with
 * token_attrs_clear(), also after a failure. */
int token_get_attrs(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *tmpl,
		    CK_ULONG n);

/* C_GetAttributeValue of TYPE into the LEN bytes at V, one call: a
 * fixed-size attribute needs no question about its size. *GOT is whether
 * it came back at exactly LEN bytes; missing, sensitive or of another
 * size is no error. */
int token_get_fixed(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
		    void *v, size_t len, bool *got);

/* Free the values token_get_attrs() put in TMPL. */
void token_attrs_clear(CK_ATTRIBUTE *tmpl, CK_ULONG n);

/* A CK_BBOOL attribute; absent counts as false. */
int token_get_bool(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
		   bool *out);

/* A CK_ULONG attribute (class, key type). */
int token_get_ulong(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
		    CK_ULONG *out);

/* The handle that the object H named before the last changes of login
 * has now (CK_INVALID_HANDLE: it could not be told apart, or is gone);
 * H itself for an object that kept it. Only handles that this process
 * held before a change are turned: a module that gives an old handle's
 * number to a new object after a change is not told apart. */
CK_OBJECT_HANDLE token_handle(const struct token *t, CK_OBJECT_HANDLE h);

#endif
