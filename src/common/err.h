/* SPDX-License-Identifier: MIT */
/* err.h - one error context per thread, recorded where a failure is found.
 *
 * Core functions return 0 on success and -1 on failure; the failing
 * function records what failed and why with err_set(), callers may add
 * context in front with err_prefix(), and the command prints it.
 */
#ifndef P11E_ERR_H
#define P11E_ERR_H

#include <stddef.h>
#include <p11-kit/pkcs11.h>

enum err_kind {
	ERR_NONE = 0,
	ERR_FAILED,     /* the operation failed (exit 1) */
	ERR_USAGE,      /* bad input: options, profile, role, PIN source (exit 2) */
};

/* What kind of failure, for scripts: a closed set, each with a stable
 * name (err_code_name(); p11enroll(1), JSON OUTPUT). ERR_CODE_NONE
 * means not tagged: err_code() then derives one from the CKR or kind. */
enum err_code {
	ERR_CODE_NONE = 0,
	ERR_CODE_FAILED,                /* failed, with no closer code */
	ERR_CODE_USAGE,                 /* a bad option, argument or file */
	ERR_CODE_MISSING_VARIABLE,      /* a template variable is not set */
	ERR_CODE_MANIFEST,              /* a bad manifest row or column */
	ERR_CODE_UNKNOWN_ROLE,          /* no such role or role set */
	ERR_CODE_PROFILE,               /* a profile that does not load */
	ERR_CODE_ROLE_ENROLLED,         /* the role is on the token already */
	ERR_CODE_TOKEN_NOT_FOUND,       /* no token matches */
	ERR_CODE_TOKEN_AMBIGUOUS,       /* several tokens match */
	ERR_CODE_TOKEN_BUSY,            /* another run holds the token */
	ERR_CODE_TOKEN,                 /* another PKCS#11 failure */
	ERR_CODE_PIN_INCORRECT,
	ERR_CODE_PIN_LOCKED,
	ERR_CODE_CA_UNREACHABLE,        /* no answer from the CA */
	ERR_CODE_CA_REJECTED,           /* the CA said no */
	ERR_CODE_CA_FAILED,             /* a malformed answer, a helper crash */
	ERR_CODE_CERTIFICATE_REJECTED,  /* a check on the certificate failed */
	ERR_CODE_POLICY_REFUSED,        /* the policy check refused a profile */
	ERR_CODE_INTERRUPTED,           /* a signal ended the run */
	ERR_CODE_COUNT,
};

#define ERR_MESSAGE_MAX 1024

/* A recorded error, kept aside while clean-up that may fail runs. */
struct err_saved {
	enum err_kind kind;
	enum err_code code;
	CK_RV ckr;
	char message[ERR_MESSAGE_MAX];
};

/* Record an error of KIND with a printf-style message; returns -1. The
 * arguments may include err_message() (err_append()'s too). */
int err_set(enum err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Record a PKCS#11 failure: "MESSAGE: CKR_NAME (sentence)"; returns -1. */
int err_ckr(CK_RV rv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Record "MESSAGE: REASON", REASON being what OpenSSL gave for its last
 * failure or FALLBACK when it gave nothing; OpenSSL's error queue is
 * cleared either way, so that its leftovers never explain a later
 * failure. Returns -1. */
int err_openssl(enum err_kind kind, const char *fallback, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The reason OpenSSL gave for its last failure, or FALLBACK; clears
 * OpenSSL's error queue. The text is OpenSSL's static table (or
 * FALLBACK), so it outlives the queue. */
const char *err_openssl_reason(const char *fallback);

/* Put "CONTEXT: " in front of the recorded message; returns -1. */
int err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Add "; TEXT" after the recorded message; returns -1. */
int err_append(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Keep the recorded error (kind, message and CKR) in *S. */
void err_save(struct err_saved *s);

/* Record the error in S again, as it was; returns -1. */
int err_restore(const struct err_saved *s);

/* For a run that goes on after failures, called after each: the first
 * failure (*COUNT == 0) is kept in *FIRST as it is, a later one is added
 * to FIRST's message; *COUNT counts them. err_restore(FIRST) at the end
 * records the first with every later one after it. */
void err_collect(struct err_saved *first, size_t *count);

/* Tag the recorded error with CODE (err_set() forgets the tag; a prefix,
 * an addition or err_restore() keep it); returns -1. */
int err_tag(enum err_code code);

/* The recorded error's code: its tag, else one from its CKR (a wrong or
 * locked PIN, another token failure), else from its kind. */
enum err_code err_code(void);

/* CODE's stable name ("role-enrolled"); ERR_CODE_NONE gives "failed". */
const char *err_code_name(enum err_code code);

/* The code named NAME, or ERR_CODE_FAILED for a name not in the set. */
enum err_code err_code_parse(const char *name);

/* Forget the recorded error. */
void err_clear(void);

/* The recorded kind (ERR_NONE when nothing was recorded). */
enum err_kind err_kind(void);

/* The recorded message, or "" when nothing was recorded. */
const char *err_message(void);

/* The CKR of the recorded error when err_ckr() recorded it (a prefix, an
 * addition or err_restore() keeps it), or CKR_OK: a later err_set() or
 * err_clear() forgets it, so that a hint never answers an earlier failure. */
CK_RV err_last_ckr(void);

#endif
