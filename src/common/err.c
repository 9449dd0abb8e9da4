/* SPDX-License-Identifier: MIT */
/* err.c - the per-thread error context. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "ckr.h"
#include "err.h"

static _Thread_local enum err_kind err_current_kind;
static _Thread_local char err_buffer[ERR_MESSAGE_MAX];
static _Thread_local CK_RV err_current_ckr;
static _Thread_local enum err_code err_current_code;

/* Indexed by enum err_code; the names are an interface (p11enroll(1)). */
static const char *const err_code_names[ERR_CODE_COUNT] = {
	[ERR_CODE_NONE] = "failed",
	[ERR_CODE_FAILED] = "failed",
	[ERR_CODE_USAGE] = "usage",
	[ERR_CODE_MISSING_VARIABLE] = "missing-variable",
	[ERR_CODE_MANIFEST] = "manifest-invalid",
	[ERR_CODE_UNKNOWN_ROLE] = "unknown-role",
	[ERR_CODE_PROFILE] = "profile-invalid",
	[ERR_CODE_ROLE_ENROLLED] = "role-enrolled",
	[ERR_CODE_TOKEN_NOT_FOUND] = "token-not-found",
	[ERR_CODE_TOKEN_AMBIGUOUS] = "token-ambiguous",
	[ERR_CODE_TOKEN_BUSY] = "token-busy",
	[ERR_CODE_TOKEN] = "token-error",
	[ERR_CODE_PIN_INCORRECT] = "pin-incorrect",
	[ERR_CODE_PIN_LOCKED] = "pin-locked",
	[ERR_CODE_CA_UNREACHABLE] = "ca-unreachable",
	[ERR_CODE_CA_REJECTED] = "ca-rejected",
	[ERR_CODE_CA_FAILED] = "ca-failed",
	[ERR_CODE_CERTIFICATE_REJECTED] = "certificate-rejected",
	[ERR_CODE_POLICY_REFUSED] = "policy-refused",
	[ERR_CODE_INTERRUPTED] = "interrupted",
};

/* The message is formatted aside and then copied in, so that an argument
 * pointing into err_buffer (err_message() itself) is read before the
 * buffer is written: vsnprintf with overlapping source and destination is
 * undefined. */
int
err_set(enum err_kind kind, const char *fmt, ...)
{
	char message[ERR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	memcpy(err_buffer, message, sizeof(err_buffer));
	err_current_kind = kind;
	err_current_ckr = CKR_OK;
	err_current_code = ERR_CODE_NONE;
	return -1;
}

int
err_ckr(CK_RV rv, const char *fmt, ...)
{
	char what[ERR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	err_set(ERR_FAILED, "%s: %s (%s)", what, ckr_name(rv), ckr_sentence(rv));
	err_current_ckr = rv;
	return -1;
}

const char *
err_openssl_reason(const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return reason != NULL ? reason : fallback;
}

int
err_openssl(enum err_kind kind, const char *fallback, const char *fmt, ...)
{
	char what[ERR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return err_set(kind, "%s: %s", what, err_openssl_reason(fallback));
}

int
err_prefix(const char *fmt, ...)
{
	char context[ERR_MESSAGE_MAX];
	char joined[2 * ERR_MESSAGE_MAX + 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(context, sizeof(context), fmt, ap);
	va_end(ap);
	snprintf(joined, sizeof(joined), "%s: %s", context, err_buffer);
	snprintf(err_buffer, sizeof(err_buffer), "%.*s", ERR_MESSAGE_MAX - 1, joined);
	if (err_current_kind == ERR_NONE)
		err_current_kind = ERR_FAILED;
	return -1;
}

int
err_append(const char *fmt, ...)
{
	size_t used = strlen(err_buffer);
	char text[ERR_MESSAGE_MAX];
	size_t len;
	va_list ap;

	/* Formatted aside first, as in err_set(). */
	if (used + 2 < sizeof(err_buffer)) {
		va_start(ap, fmt);
		vsnprintf(text, sizeof(text), fmt, ap);
		va_end(ap);
		len = strlen(text);
		if (len > sizeof(err_buffer) - used - 3)
			len = sizeof(err_buffer) - used - 3;
		memcpy(err_buffer + used, "; ", 2);
		memcpy(err_buffer + used + 2, text, len);
		err_buffer[used + 2 + len] = '\0';
	}
	if (err_current_kind == ERR_NONE)
		err_current_kind = ERR_FAILED;
	return -1;
}

void
err_save(struct err_saved *s)
{
	s->kind = err_current_kind;
	s->code = err_current_code;
	s->ckr = err_current_ckr;
	snprintf(s->message, sizeof(s->message), "%s", err_buffer);
}

int
err_restore(const struct err_saved *s)
{
	snprintf(err_buffer, sizeof(err_buffer), "%s", s->message);
	err_current_kind = s->kind;
	err_current_code = s->code;
	err_current_ckr = s->ckr;
	return -1;
}

void
err_collect(struct err_saved *first, size_t *count)
{
	struct err_saved later;

	if ((*count)++ == 0) {
		err_save(first);
		return;
	}
	err_save(&later);
	err_restore(first);
	err_append("%s", later.message);
	err_save(first);
}

void
err_clear(void)
{
	err_current_kind = ERR_NONE;
	err_buffer[0] = '\0';
	err_current_ckr = CKR_OK;
	err_current_code = ERR_CODE_NONE;
}

int
err_tag(enum err_code code)
{
	err_current_code = code;
	return -1;
}

enum err_code
err_code(void)
{
	if (err_current_code != ERR_CODE_NONE)
		return err_current_code;
	switch (err_current_ckr) {
	case CKR_OK:
		break;
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
		return ERR_CODE_PIN_INCORRECT;
	case CKR_PIN_LOCKED:
		return ERR_CODE_PIN_LOCKED;
	default:
		return ERR_CODE_TOKEN;
	}
	return err_current_kind == ERR_USAGE ? ERR_CODE_USAGE : ERR_CODE_FAILED;
}

enum err_code
err_code_parse(const char *name)
{
	size_t i;

	for (i = ERR_CODE_FAILED; name != NULL && i < ERR_CODE_COUNT; i++)
		if (strcmp(name, err_code_names[i]) == 0)
			return (enum err_code)i;
	return ERR_CODE_FAILED;
}

const char *
err_code_name(enum err_code code)
{
	return (unsigned)code < ERR_CODE_COUNT ? err_code_names[code] : "failed";
}

enum err_kind
err_kind(void)
{
	return err_current_kind;
}

const char *
err_message(void)
{
	return err_buffer;
}

CK_RV
err_last_ckr(void)
{
	return err_current_ckr;
}
