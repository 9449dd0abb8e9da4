/* SPDX-License-Identifier: MIT */
/* ckr.c - names and plain sentences for PKCS#11 return values. */
#include "config.h"

#include <stdio.h>

#include <p11-kit/p11-kit.h>

#include "ckr.h"

struct ckr_entry {
	CK_RV rv;
	const char *name;
	const char *sentence;   /* NULL: p11-kit's description */
};

#define CKR(name, sentence) { name, #name, sentence }

static const struct ckr_entry ckr_table[] = {
	CKR(CKR_OK, "success"),
	CKR(CKR_CANCEL, "the operation was cancelled"),
	CKR(CKR_HOST_MEMORY, "the host ran out of memory"),
	CKR(CKR_SLOT_ID_INVALID, "the slot does not exist"),
	CKR(CKR_GENERAL_ERROR, "the token reported a general error"),
	CKR(CKR_FUNCTION_FAILED, "the token could not perform the function"),
	CKR(CKR_ARGUMENTS_BAD, NULL),
	CKR(CKR_ATTRIBUTE_READ_ONLY, "the token does not let this attribute be changed"),
	CKR(CKR_ATTRIBUTE_SENSITIVE, "the attribute is sensitive and cannot be read"),
	CKR(CKR_ATTRIBUTE_TYPE_INVALID, "the token does not know this attribute"),
	CKR(CKR_ATTRIBUTE_VALUE_INVALID, "the token refused an attribute value"),
	CKR(CKR_DATA_INVALID, NULL),
	CKR(CKR_DATA_LEN_RANGE, NULL),
	CKR(CKR_DEVICE_ERROR, "the device reported an error"),
	CKR(CKR_DEVICE_MEMORY, "the token is full"),
	CKR(CKR_DEVICE_REMOVED, "the token was removed"),
	CKR(CKR_FUNCTION_CANCELED, "the operation was cancelled"),
	CKR(CKR_FUNCTION_NOT_SUPPORTED, "the module does not support this function"),
	CKR(CKR_KEY_HANDLE_INVALID, "the key no longer exists"),
	CKR(CKR_KEY_SIZE_RANGE, "the token does not support this key size"),
	CKR(CKR_KEY_TYPE_INCONSISTENT, NULL),
	CKR(CKR_KEY_FUNCTION_NOT_PERMITTED, "the key is not allowed to do this"),
	CKR(CKR_MECHANISM_INVALID, "the token does not support this mechanism"),
	CKR(CKR_MECHANISM_PARAM_INVALID, NULL),
	CKR(CKR_OBJECT_HANDLE_INVALID, "the object no longer exists"),
	CKR(CKR_OPERATION_ACTIVE, NULL),
	CKR(CKR_OPERATION_NOT_INITIALIZED, NULL),
	CKR(CKR_PIN_INCORRECT, "the PIN is wrong"),
	CKR(CKR_PIN_INVALID, "the PIN has characters the token does not accept"),
	CKR(CKR_PIN_LEN_RANGE, "the PIN is too short or too long for this token"),
	CKR(CKR_PIN_EXPIRED, "the PIN has expired and must be changed"),
	CKR(CKR_PIN_LOCKED, "the PIN is locked"),
	CKR(CKR_SESSION_CLOSED, "the session was closed"),
	CKR(CKR_SESSION_COUNT, "the token has no free sessions"),
	CKR(CKR_SESSION_HANDLE_INVALID, "the session is no longer valid"),
	CKR(CKR_SESSION_READ_ONLY, "the session is read-only"),
	CKR(CKR_SESSION_EXISTS, NULL),
	CKR(CKR_SESSION_READ_ONLY_EXISTS, NULL),
	CKR(CKR_SIGNATURE_INVALID, NULL),
	CKR(CKR_TEMPLATE_INCOMPLETE, "the token needs more attributes for this object"),
	CKR(CKR_TEMPLATE_INCONSISTENT, "the token refused this combination of attributes"),
	CKR(CKR_TOKEN_NOT_PRESENT, "the token is not present"),
	CKR(CKR_TOKEN_NOT_RECOGNIZED, "the token is not recognised"),
	CKR(CKR_TOKEN_WRITE_PROTECTED, "the token is write-protected"),
	CKR(CKR_USER_ALREADY_LOGGED_IN, "already logged in"),
	CKR(CKR_USER_NOT_LOGGED_IN, "not logged in"),
	CKR(CKR_USER_PIN_NOT_INITIALIZED, "the user PIN is not set; initialise the token first"),
	CKR(CKR_USER_TYPE_INVALID, NULL),
	CKR(CKR_USER_ANOTHER_ALREADY_LOGGED_IN, "another user is logged in"),
	CKR(CKR_DOMAIN_PARAMS_INVALID, "the token does not support this curve"),
	CKR(CKR_CURVE_NOT_SUPPORTED, "the token does not support this curve"),
	CKR(CKR_BUFFER_TOO_SMALL, NULL),
	CKR(CKR_CRYPTOKI_NOT_INITIALIZED, "the module is not initialised"),
	CKR(CKR_CRYPTOKI_ALREADY_INITIALIZED, "the module is already initialised"),
};

static const struct ckr_entry *
ckr_lookup(CK_RV rv)
{
	size_t i;

	for (i = 0; i < sizeof(ckr_table) / sizeof(ckr_table[0]); i++)
		if (ckr_table[i].rv == rv)
			return &ckr_table[i];
	return NULL;
}

const char *
ckr_name(CK_RV rv)
{
	static _Thread_local char unknown[32];
	const struct ckr_entry *e = ckr_lookup(rv);

	if (e != NULL)
		return e->name;
	snprintf(unknown, sizeof(unknown), "CKR_0x%08lx", (unsigned long)rv);
	return unknown;
}

const char *
ckr_sentence(CK_RV rv)
{
	const struct ckr_entry *e = ckr_lookup(rv);

	if (e != NULL && e->sentence != NULL)
		return e->sentence;
	return p11_kit_strerror(rv);
}
