/* SPDX-License-Identifier: MIT */
/* p11fault.c - a PKCS#11 module for tests: forwards every call to a real
 * module and injects the faults a configuration file asks for.
 *
 * The configuration is named by $P11FAULT_CONF and read once, at the first
 * C_GetFunctionList or C_Initialize; without it the module only forwards.
 * The syntax is in tests/faultmod/README. A configuration that does not
 * parse, or a target that does not load, makes C_Initialize fail with
 * CKR_GENERAL_ERROR after one line on stderr, so a broken test setup never
 * passes by accident.
 *
 * Call counts are per process and per function, starting at 1. A forked
 * child inherits its parent's counts at the moment of the fork and counts
 * on from there on its own.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#include "p11fault.h"

/* The functions that get a wrapper of their own (special behaviour). */
#define FAULT_CUSTOM(X) \
	X(C_Initialize) X(C_GetFunctionList) X(C_GetTokenInfo) \
	X(C_OpenSession) X(C_Login) X(C_GetMechanismList) X(C_GetMechanismInfo) \
	X(C_InitToken) X(C_CreateObject) X(C_SetAttributeValue) X(C_GenerateKeyPair) \
	X(C_GetSessionInfo) X(C_Logout) X(C_DestroyObject) X(C_GetAttributeValue)

/* Argument shapes shared by several functions: parameters, then arguments. */
#define S_NONE (CK_SESSION_HANDLE h), (h)
#define S_INIT (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (h, m, k)
#define S_INOUT (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len), (h, in, in_len, out, out_len)
#define S_OUT (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len), (h, out, out_len)
#define S_IN (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len), (h, in, in_len)
#define S_IN_IN (CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG d_len, CK_BYTE_PTR s, CK_ULONG s_len), (h, d, d_len, s, s_len)
#define S_ATTRS (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n), (h, o, t, n)

/* The functions whose wrapper only counts, injects and forwards. */
#define FAULT_GENERIC(X) \
	X(C_Finalize, (CK_VOID_PTR r), (r)) \
	X(C_GetInfo, (CK_INFO_PTR i), (i)) \
	X(C_GetSlotList, (CK_BBOOL p, CK_SLOT_ID_PTR l, CK_ULONG_PTR n), (p, l, n)) \
	X(C_GetSlotInfo, (CK_SLOT_ID s, CK_SLOT_INFO_PTR i), (s, i)) \
	X(C_InitPIN, (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR p, CK_ULONG n), (h, p, n)) \
	X(C_SetPIN, (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR o, CK_ULONG on, CK_UTF8CHAR_PTR p, CK_ULONG n), (h, o, on, p, n)) \
	X(C_CloseSession, S_NONE) \
	X(C_CloseAllSessions, (CK_SLOT_ID s), (s)) \
	X(C_GetOperationState, S_OUT) \
	X(C_SetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR st, CK_ULONG n, CK_OBJECT_HANDLE e, CK_OBJECT_HANDLE a), (h, st, n, e, a)) \
	X(C_CopyObject, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR c), (h, o, t, n, c)) \
	X(C_GetObjectSize, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ULONG_PTR n), (h, o, n)) \
	X(C_FindObjectsInit, (CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n), (h, t, n)) \
	X(C_FindObjects, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR o, CK_ULONG m, CK_ULONG_PTR n), (h, o, m, n)) \
	X(C_FindObjectsFinal, S_NONE) \
	X(C_EncryptInit, S_INIT) \
	X(C_Encrypt, S_INOUT) \
	X(C_EncryptUpdate, S_INOUT) \
	X(C_EncryptFinal, S_OUT) \
	X(C_DecryptInit, S_INIT) \
	X(C_Decrypt, S_INOUT) \
	X(C_DecryptUpdate, S_INOUT) \
	X(C_DecryptFinal, S_OUT) \
	X(C_DigestInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m), (h, m)) \
	X(C_Digest, S_INOUT) \
	X(C_DigestUpdate, S_IN) \
	X(C_DigestKey, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k), (h, k)) \
	X(C_DigestFinal, S_OUT) \
	X(C_SignInit, S_INIT) \
	X(C_Sign, S_INOUT) \
	X(C_SignUpdate, S_IN) \
	X(C_SignFinal, S_OUT) \
	X(C_SignRecoverInit, S_INIT) \
	X(C_SignRecover, S_INOUT) \
	X(C_VerifyInit, S_INIT) \
	X(C_Verify, S_IN_IN) \
	X(C_VerifyUpdate, S_IN) \
	X(C_VerifyFinal, S_IN) \
	X(C_VerifyRecoverInit, S_INIT) \
	X(C_VerifyRecover, S_INOUT) \
	X(C_DigestEncryptUpdate, S_INOUT) \
	X(C_DecryptDigestUpdate, S_INOUT) \
	X(C_SignEncryptUpdate, S_INOUT) \
	X(C_DecryptVerifyUpdate, S_INOUT) \
	X(C_GenerateKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k), (h, m, t, n, k)) \
	X(C_WrapKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE w, CK_OBJECT_HANDLE k, CK_BYTE_PTR out, CK_ULONG_PTR out_len), (h, m, w, k, out, out_len)) \
	X(C_UnwrapKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE u, CK_BYTE_PTR in, CK_ULONG in_len, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k), (h, m, u, in, in_len, t, n, k)) \
	X(C_DeriveKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE b, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k), (h, m, b, t, n, k)) \
	X(C_SeedRandom, S_IN) \
	X(C_GenerateRandom, S_IN) \
	X(C_GetFunctionStatus, S_NONE) \
	X(C_CancelFunction, S_NONE) \
	X(C_WaitForSlotEvent, (CK_FLAGS f, CK_SLOT_ID_PTR s, CK_VOID_PTR r), (f, s, r))

/* The generic entries take "name, ..." because a shape such as S_NONE is one
 * macro argument until it is expanded into parameters and arguments. */
#define FAULT_ENUM_CUSTOM(name) FAULT_FN_##name,
#define FAULT_ENUM_GENERIC(name, ...) FAULT_FN_##name,

enum fault_fn {
	FAULT_CUSTOM(FAULT_ENUM_CUSTOM)
	FAULT_GENERIC(FAULT_ENUM_GENERIC)
	FAULT_FN_COUNT
};

_Static_assert(FAULT_FN_COUNT == 68, "every PKCS#11 2.40 function has a wrapper");

#define FAULT_NAME_CUSTOM(name) #name,
#define FAULT_NAME_GENERIC(name, ...) #name,

static const char *const fault_fn_names[FAULT_FN_COUNT] = {
	FAULT_CUSTOM(FAULT_NAME_CUSTOM)
	FAULT_GENERIC(FAULT_NAME_GENERIC)
};

/* What the read-only flag refuses besides read-write sessions. */
static const enum fault_fn fault_writers[] = {
	FAULT_FN_C_CreateObject, FAULT_FN_C_CopyObject, FAULT_FN_C_DestroyObject,
	FAULT_FN_C_SetAttributeValue, FAULT_FN_C_GenerateKey,
	FAULT_FN_C_GenerateKeyPair, FAULT_FN_C_UnwrapKey, FAULT_FN_C_DeriveKey,
};

/* The whole state of the module: a PKCS#11 module is a process singleton.
 * Everything but the counts is written once, under fault.once. */
static struct {
	pthread_once_t once;
	pthread_mutex_t lock;          /* guards counts */
	struct fault_conf conf;
	char error[FAULT_ERROR_MAX];   /* why the module cannot work, or "" */
	void *handle;
	CK_FUNCTION_LIST *real;        /* NULL until the target loaded */
	unsigned long counts[FAULT_FN_COUNT];
} fault = {
	.once = PTHREAD_ONCE_INIT,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.conf = { .trace_fd = -1, .card_objects = FAULT_NO_LIMIT },
};

static CK_FUNCTION_LIST fault_functions;

int
fault_fn_lookup(const char *name)
{
	int i;

	for (i = 0; i < FAULT_FN_COUNT; i++)
		if (strcmp(fault_fn_names[i], name) == 0)
			return i;
	return -1;
}

const CK_ATTRIBUTE *
fault_attribute(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
	CK_ULONG i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (t[i].type == type)
			return &t[i];
	return NULL;
}

int
fault_ulong(const CK_ATTRIBUTE *a, CK_ULONG *value)
{
	if (a->pValue == NULL || a->ulValueLen != sizeof(CK_ULONG))
		return -1;
	memcpy(value, a->pValue, sizeof(CK_ULONG));
	return 0;
}

/* Reads the configuration and loads the target; on failure fault.real stays
 * NULL and fault.error says why. */
static void
fault_load(void)
{
	CK_C_GetFunctionList get_list;
	const char *conf = getenv("P11FAULT_CONF");
	const char *target;
	CK_RV rv;

	if (conf != NULL && *conf != '\0' &&
	    fault_conf_read(conf, &fault.conf, fault.error, sizeof(fault.error)) < 0)
		return;
	target = fault.conf.target[0] != '\0' ? fault.conf.target : getenv("P11FAULT_TARGET");
	if (target == NULL || *target == '\0')
		target = FAULT_DEFAULT_TARGET;
	fault.handle = dlopen(target, RTLD_NOW | RTLD_LOCAL);
	if (fault.handle == NULL) {
		snprintf(fault.error, sizeof(fault.error),
			 "p11fault: cannot load target %s: %s", target, dlerror());
		return;
	}
	get_list = (CK_C_GetFunctionList)dlsym(fault.handle, "C_GetFunctionList");
	rv = get_list == NULL ? CKR_FUNCTION_NOT_SUPPORTED : get_list(&fault.real);
	if (rv != CKR_OK || fault.real == NULL) {
		fault.real = NULL;
		snprintf(fault.error, sizeof(fault.error),
			 "p11fault: target %s has no usable C_GetFunctionList (0x%lx)",
			 target, (unsigned long)rv);
		return;
	}
	fault_functions.version = fault.real->version;
}

void
fault_sleep(unsigned long ms)
{
	struct timespec left = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
}

/* One call in progress: what the configuration decided for it. */
struct fault_call {
	enum fault_fn fn;
	unsigned long n;       /* this call's number for its function; 0 if not counted */
	CK_RV rv;              /* the answer, once known */
	int fail_after;        /* replace the forwarded answer by after_rv */
	CK_RV after_rv;
};

static int
fault_is_writer(enum fault_fn fn)
{
	size_t i;

	for (i = 0; i < sizeof(fault_writers) / sizeof(fault_writers[0]); i++)
		if (fault_writers[i] == fn)
			return 1;
	return 0;
}

/* Counts the call and applies the rules for it. Returns 1 when the caller
 * should forward the call and store the answer in call->rv; 0 when
 * call->rv already holds the answer. */
static int
fault_enter(struct fault_call *call, enum fault_fn fn)
{
	const struct fault_rule *r;
	int forward = 1;
	size_t i;

	memset(call, 0, sizeof(*call));
	call->fn = fn;
	if (fault.real == NULL) {
		call->rv = CKR_CRYPTOKI_NOT_INITIALIZED;
		return 0;
	}
	pthread_mutex_lock(&fault.lock);
	call->n = ++fault.counts[fn];
	pthread_mutex_unlock(&fault.lock);
	for (i = 0; i < fault.conf.n_rules; i++) {
		r = &fault.conf.rules[i];
		if (r->fn != (int)fn || (r->n != FAULT_EVERY && r->n != call->n))
			continue;
		switch (r->kind) {
		case FAULT_SIGNAL:
			kill(getpid(), (int)r->value);
			break;
		case FAULT_DELAY:
			fault_sleep(r->value);
			break;
		case FAULT_FAIL:
			call->rv = r->value;
			forward = 0;
			break;
		case FAULT_FAIL_AFTER:
			call->fail_after = 1;
			call->after_rv = r->value;
			break;
		}
	}
	if (forward && (fault.conf.flags & CKF_WRITE_PROTECTED) && fault_is_writer(fn)) {
		call->rv = CKR_TOKEN_WRITE_PROTECTED;
		forward = 0;
	}
	if (!forward)
		call->fail_after = 0;
	return forward;
}

/* Settles the answer and traces the call. */
static CK_RV
fault_leave(struct fault_call *call)
{
	char line[160];
	ssize_t written;
	int len;

	if (call->fail_after)
		call->rv = call->after_rv;
	if (call->n != 0 && fault.conf.trace_fd >= 0) {
		len = snprintf(line, sizeof(line), "%ld %s %lu 0x%lx\n", (long)getpid(),
			       fault_fn_names[call->fn], call->n, (unsigned long)call->rv);
		/* One write on an O_APPEND descriptor: whole lines, even from
		 * several processes. A line that cannot be written is lost. */
		if (len > 0 && (size_t)len < sizeof(line)) {
			written = write(fault.conf.trace_fd, line, (size_t)len);
			(void)written;
		}
	}
	return call->rv;
}

#define FAULT_WRAP(name, params, args) \
	static CK_RV fault_##name params \
	{ \
		struct fault_call call; \
		if (fault_enter(&call, FAULT_FN_##name)) \
			call.rv = fault.real->name args; \
		return fault_leave(&call); \
	}
#define FAULT_WRAP_SHAPE(name, ...) FAULT_WRAP(name, __VA_ARGS__)

FAULT_GENERIC(FAULT_WRAP_SHAPE)

static CK_RV
fault_C_Initialize(CK_VOID_PTR args)
{
	struct fault_call call;

	pthread_once(&fault.once, fault_load);
	if (fault.real == NULL) {
		fprintf(stderr, "%s\n", fault.error);
		return CKR_GENERAL_ERROR;
	}
	if (fault_enter(&call, FAULT_FN_C_Initialize))
		call.rv = fault.real->C_Initialize(args);
	return fault_leave(&call);
}

static CK_RV
fault_C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	struct fault_call call;

	if (fault_enter(&call, FAULT_FN_C_GetTokenInfo)) {
		call.rv = fault.real->C_GetTokenInfo(slot, info);
		if (call.rv == CKR_OK && fault.conf.card)
			info->flags = (info->flags & ~(CKF_USER_PIN_COUNT_LOW |
						       CKF_USER_PIN_FINAL_TRY |
						       CKF_USER_PIN_LOCKED)) |
				      card_pin_flags(&fault.conf);
		if (call.rv == CKR_OK)
			info->flags |= fault.conf.flags;
	}
	return fault_leave(&call);
}

static CK_RV
fault_C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
		    CK_SESSION_HANDLE_PTR session)
{
	struct fault_call call;

	if (fault_enter(&call, FAULT_FN_C_OpenSession)) {
		if ((fault.conf.flags & CKF_WRITE_PROTECTED) && (flags & CKF_RW_SESSION))
			call.rv = CKR_TOKEN_WRITE_PROTECTED;
		else
			call.rv = fault.real->C_OpenSession(slot, flags, app, notify, session);
	}
	return fault_leave(&call);
}

/* With a PIN pad the application must pass no PIN: the "pad" supplies the
 * configured one, and a PIN from the application is refused so that a test
 * proves none was sent. */
static CK_RV
fault_login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len)
{
	const char *pad = fault.conf.pinpad_pin;

	if (!(fault.conf.flags & CKF_PROTECTED_AUTHENTICATION_PATH))
		return fault.real->C_Login(h, user, pin, pin_len);
	if (pin != NULL)
		return CKR_ARGUMENTS_BAD;
	return fault.real->C_Login(h, user, (CK_UTF8CHAR_PTR)pad, strlen(pad));
}

/* A card counts wrong user PINs, also those from its PIN pad, and once
 * locked answers without asking the target. */
static CK_RV
fault_C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len)
{
	struct fault_call call;
	int card = fault.conf.card && user == CKU_USER;

	if (fault_enter(&call, FAULT_FN_C_Login)) {
		call.rv = card ? card_login_check(&fault.conf) : CKR_OK;
		if (call.rv == CKR_OK)
			call.rv = quirk_login(fault.real, &fault.conf, h, user, pin, pin_len,
					      fault_login);
		if (card && call.rv != CKR_PIN_LOCKED)
			call.rv = card_login_done(&fault.conf, call.rv);
	}
	return fault_leave(&call);
}

static CK_RV
fault_C_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
	struct fault_call call;

	if (fault_enter(&call, FAULT_FN_C_GetMechanismList))
		call.rv = fault.conf.card ? card_get_mechanism_list(fault.real, slot, list, count) :
			  fault.real->C_GetMechanismList(slot, list, count);
	return fault_leave(&call);
}

static CK_RV
fault_C_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info)
{
	struct fault_call call;

	if (fault_enter(&call, FAULT_FN_C_GetMechanismInfo))
		call.rv = fault.conf.card ? card_get_mechanism_info(fault.real, slot, type, info) :
			  fault.real->C_GetMechanismInfo(slot, type, info);
	return fault_leave(&call);
}

/* A card is personalised by its own tools, never through PKCS#11. */
static CK_RV
fault_C_InitToken(CK_SLOT_ID slot, CK_UTF8CHAR_PTR so_pin, CK_ULONG so_pin_len,
		  CK_UTF8CHAR_PTR label)
{
	struct fault_call call;

	if (fault_enter(&call, FAULT_FN_C_InitToken))
		call.rv = fault.conf.card ? CKR_FUNCTION_NOT_SUPPORTED :
			  fault.real->C_InitToken(slot, so_pin, so_pin_len, label);
	return fault_leave(&call);
}

/* The answer a call will give: a fail-after replaces the forwarded one. */
static CK_RV
fault_answer(const struct fault_call *call)
{
	return call->fail_after ? call->after_rv : call->rv;
}

/* Quirks first, then card mode; card-objects applies with or without card
 * mode, card_create_object checks card mode itself. */
static CK_RV
fault_C_CreateObject(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n,
		     CK_OBJECT_HANDLE_PTR object)
{
	struct fault_call call;

	if (fault_enter(&call, FAULT_FN_C_CreateObject)) {
		call.rv = quirk_create_object_check(fault.real, &fault.conf, h, t, n);
		if (call.rv == CKR_OK)
			call.rv = card_create_object(fault.real, &fault.conf, h, t, n, object);
		if (call.rv == CKR_OK)
			quirk_made(&fault.conf, &object, 1);
	}
	if (fault.real != NULL && fault_answer(&call) != CKR_OK)
		quirk_handle_on_failure(fault.real, &fault.conf, h, &object, 1);
	return fault_leave(&call);
}

/* What a C_SetAttributeValue that the quirks let through meets. */
static CK_RV
fault_set_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t,
			  CK_ULONG n)
{
	return fault.conf.card ? card_set_attribute_value(fault.real, h, o, t, n) :
	       fault.real->C_SetAttributeValue(h, o, t, n);
}

static CK_RV
fault_C_SetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t,
			  CK_ULONG n)
{
	struct fault_call call;

	if (fault_enter(&call, FAULT_FN_C_SetAttributeValue))
		call.rv = quirk_set_attribute_value(fault.real, &fault.conf, h, o, t, n,
						    fault_set_attribute_value);
	return fault_leave(&call);
}

/* Quirks first, then card mode; card-objects and card-keygen-delay apply
 * with or without card mode. */
static CK_RV
fault_C_GenerateKeyPair(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pub,
			CK_ULONG pub_n, CK_ATTRIBUTE_PTR priv, CK_ULONG priv_n,
			CK_OBJECT_HANDLE_PTR pub_key, CK_OBJECT_HANDLE_PTR priv_key)
{
	CK_OBJECT_HANDLE_PTR keys[2] = { pub_key, priv_key };
	struct fault_call call;

	if (fault_enter(&call, FAULT_FN_C_GenerateKeyPair)) {
		call.rv = quirk_generate_key_pair_check(fault.real, &fault.conf, h, pub, pub_n,
							priv, priv_n);
		if (call.rv == CKR_OK)
			call.rv = card_generate_key_pair(fault.real, &fault.conf, h, m, pub,
							 pub_n, priv, priv_n, pub_key, priv_key);
		if (call.rv == CKR_OK)
			quirk_made(&fault.conf, keys, 2);
	}
	if (fault.real != NULL && fault_answer(&call) != CKR_OK)
		quirk_handle_on_failure(fault.real, &fault.conf, h, keys, 2);
	return fault_leave(&call);
}

static CK_RV
fault_C_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
	struct fault_call call;

	if (fault_enter(&call, FAULT_FN_C_GetSessionInfo)) {
		call.rv = fault.real->C_GetSessionInfo(h, info);
		quirk_session_info(&fault.conf, call.rv, info);
	}
	return fault_leave(&call);
}

static CK_RV
fault_C_Logout(CK_SESSION_HANDLE h)
{
	struct fault_call call;

	if (fault_enter(&call, FAULT_FN_C_Logout)) {
		call.rv = fault.real->C_Logout(h);
		quirk_logout_done(call.rv);
	}
	return fault_leave(&call);
}

static CK_RV
fault_C_DestroyObject(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o)
{
	struct fault_call call;

	if (fault_enter(&call, FAULT_FN_C_DestroyObject)) {
		call.rv = quirk_destroy_object_check(fault.real, &fault.conf, h);
		if (call.rv == CKR_OK)
			call.rv = fault.real->C_DestroyObject(h, o);
		if (call.rv == CKR_OK)
			quirk_destroyed(o);
	}
	return fault_leave(&call);
}

static CK_RV
fault_C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t,
			  CK_ULONG n)
{
	struct fault_call call;

	if (fault_enter(&call, FAULT_FN_C_GetAttributeValue)) {
		call.rv = fault.real->C_GetAttributeValue(h, o, t, n);
		quirk_get_attribute_value(&fault.conf, call.rv, o, t, n);
	}
	return fault_leave(&call);
}

#define FAULT_ENTRY(name, ...) .name = fault_##name,

static CK_FUNCTION_LIST fault_functions = {
	.version = { CRYPTOKI_VERSION_MAJOR, CRYPTOKI_VERSION_MINOR },
	.C_Initialize = fault_C_Initialize,
	.C_GetFunctionList = C_GetFunctionList,
	.C_GetTokenInfo = fault_C_GetTokenInfo,
	.C_OpenSession = fault_C_OpenSession,
	.C_Login = fault_C_Login,
	.C_GetMechanismList = fault_C_GetMechanismList,
	.C_GetMechanismInfo = fault_C_GetMechanismInfo,
	.C_InitToken = fault_C_InitToken,
	.C_CreateObject = fault_C_CreateObject,
	.C_SetAttributeValue = fault_C_SetAttributeValue,
	.C_GenerateKeyPair = fault_C_GenerateKeyPair,
	.C_GetSessionInfo = fault_C_GetSessionInfo,
	.C_Logout = fault_C_Logout,
	.C_DestroyObject = fault_C_DestroyObject,
	.C_GetAttributeValue = fault_C_GetAttributeValue,
	FAULT_GENERIC(FAULT_ENTRY)
};

/* Works before C_Initialize, as callers expect; when the configuration or
 * the target is broken it still answers, and C_Initialize reports why. */
CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	struct fault_call call;

	pthread_once(&fault.once, fault_load);
	if (list == NULL)
		return CKR_ARGUMENTS_BAD;
	if (fault.real == NULL) {
		*list = &fault_functions;
		return CKR_OK;
	}
	if (fault_enter(&call, FAULT_FN_C_GetFunctionList)) {
		*list = &fault_functions;
		call.rv = CKR_OK;
	}
	return fault_leave(&call);
}
