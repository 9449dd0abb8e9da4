/* SPDX-License-Identifier: MIT */
/* p11fault-quirk.c - quirks: what real modules do that SoftHSM does not.
 *
 * Each "quirk NAME" line switches on one behaviour, modelled on a module
 * that p11enroll must cope with: tpm2-pkcs11 (verify-needs-decrypt,
 * narrowing-ignored, no-public-data), a token that keeps no data objects
 * (no-data), a module that writes output handles on failure
 * (handle-on-failure), modules that fix a key's attributes once it exists
 * (attrs-read-only), Yubico's ykcs11 (so-keygen), tpm2-pkcs11's way
 * with attributes an object lacks (null-unavailable) and modules older
 * than PKCS#11 2.40's key attributes (no-mechanism-list). The exact behaviour
 * of each is in tests/faultmod/README. Each check is one small function;
 * the exported functions only chain the ones that are switched on.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "p11fault.h"

/* Keys whose narrowing was ignored, at most this many per process. */
#define QUIRK_NARROWED_MAX 64
/* The longest C_SetAttributeValue template narrowing-ignored can filter. */
#define QUIRK_TEMPLATE_MAX 64
/* Objects looked at per C_FindObjects call. */
#define QUIRK_FIND_BATCH 64
/* Objects made by this process that handle-on-failure never names. */
#define QUIRK_MADE_MAX 1024

/* A key on which the application set TYPE (CKA_SIGN or CKA_VERIFY) to
 * FALSE, and which goes on answering FALSE for it. */
struct quirk_narrowed {
	CK_OBJECT_HANDLE handle;
	CK_ATTRIBUTE_TYPE type;
};

/* The state the quirks keep, one per process as the module is. */
static struct {
	pthread_mutex_t lock;
	struct quirk_narrowed narrowed[QUIRK_NARROWED_MAX];
	size_t n_narrowed;
	/* handle-on-failure: the objects this process made. */
	CK_OBJECT_HANDLE made[QUIRK_MADE_MAX];
	size_t n_made;
	/* so-keygen: the application logged in as the SO; the target is then
	 * logged in as the user. Stale once the target is logged out. */
	int so;
} quirk = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

/* Does the template set TYPE to the boolean VALUE? */
static int
quirk_sets_bool(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type, CK_BBOOL value)
{
	const CK_ATTRIBUTE *a = fault_attribute(t, n, type);

	return a != NULL && a->pValue != NULL && a->ulValueLen == sizeof(CK_BBOOL) &&
	       *(const CK_BBOOL *)a->pValue == value;
}

/* The class the template gives, or (CK_OBJECT_CLASS)-1. */
static CK_OBJECT_CLASS
quirk_template_class(const CK_ATTRIBUTE *t, CK_ULONG n)
{
	const CK_ATTRIBUTE *a = fault_attribute(t, n, CKA_CLASS);
	CK_ULONG class;

	return a != NULL && fault_ulong(a, &class) == 0 ? class : (CK_OBJECT_CLASS)-1;
}

/* The class of object O, or (CK_OBJECT_CLASS)-1 when the target says none. */
static CK_OBJECT_CLASS
quirk_object_class(CK_FUNCTION_LIST *real, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o)
{
	CK_OBJECT_CLASS class = (CK_OBJECT_CLASS)-1;
	CK_ATTRIBUTE a = { CKA_CLASS, &class, sizeof(class) };

	if (real->C_GetAttributeValue(h, o, &a, 1) != CKR_OK)
		return (CK_OBJECT_CLASS)-1;
	return class;
}

/* ---- so-keygen ---------------------------------------------------------- */

/* Is the application's SO logged in? The flag alone is not enough: once
 * the target's sessions are all closed it is logged out, and so is the SO. */
static int
quirk_so_logged_in(CK_FUNCTION_LIST *real, CK_SESSION_HANDLE h)
{
	CK_SESSION_INFO info;
	int so;

	pthread_mutex_lock(&quirk.lock);
	so = quirk.so;
	pthread_mutex_unlock(&quirk.lock);
	return so && real->C_GetSessionInfo(h, &info) == CKR_OK &&
	       info.state == CKS_RW_USER_FUNCTIONS;
}

static void
quirk_so_set(int so)
{
	pthread_mutex_lock(&quirk.lock);
	quirk.so = so;
	pthread_mutex_unlock(&quirk.lock);
}

/* ykcs11: making and removing objects is the SO's (the management key's). */
static CK_RV
quirk_so_keygen(CK_FUNCTION_LIST *real, const struct fault_conf *conf, CK_SESSION_HANDLE h)
{
	if (!(conf->quirks & QUIRK_SO_KEYGEN))
		return CKR_OK;
	return quirk_so_logged_in(real, h) ? CKR_OK : CKR_USER_NOT_LOGGED_IN;
}

/* The SO PIN is proven to the target, which is then logged in as the user:
 * SoftHSM lets no SO make private keys. */
static CK_RV
quirk_so_login(CK_FUNCTION_LIST *real, const struct fault_conf *conf, CK_SESSION_HANDLE h,
	       CK_UTF8CHAR_PTR pin, CK_ULONG pin_len, quirk_login_fn *forward)
{
	const char *user_pin = conf->so_keygen_user_pin;
	CK_RV rv;

	if (quirk_so_logged_in(real, h))
		return CKR_USER_ALREADY_LOGGED_IN;
	rv = forward(h, CKU_SO, pin, pin_len);
	if (rv != CKR_OK)
		return rv;
	rv = real->C_Logout(h);
	if (rv == CKR_OK)
		rv = real->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)user_pin, strlen(user_pin));
	if (rv != CKR_OK) {
		fprintf(stderr, "p11fault: so-keygen: the target refused the user login "
			"with so-keygen-user-pin (0x%lx)\n", (unsigned long)rv);
		/* Neither SO nor user: the target is left logged out. */
		real->C_Logout(h);
		return CKR_GENERAL_ERROR;
	}
	quirk_so_set(1);
	return CKR_OK;
}

CK_RV
quirk_login(CK_FUNCTION_LIST *real, const struct fault_conf *conf, CK_SESSION_HANDLE h,
	    CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len, quirk_login_fn *forward)
{
	if (!(conf->quirks & QUIRK_SO_KEYGEN))
		return forward(h, user, pin, pin_len);
	if (user == CKU_SO)
		return quirk_so_login(real, conf, h, pin, pin_len, forward);
	if (user == CKU_USER && quirk_so_logged_in(real, h))
		return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
	/* Any flag left is stale: the target was logged out meanwhile. */
	if (user == CKU_USER)
		quirk_so_set(0);
	return forward(h, user, pin, pin_len);
}

void
quirk_logout_done(CK_RV rv)
{
	if (rv == CKR_OK)
		quirk_so_set(0);
}

void
quirk_session_info(const struct fault_conf *conf, CK_RV rv, CK_SESSION_INFO_PTR info)
{
	int so;

	if (!(conf->quirks & QUIRK_SO_KEYGEN) || rv != CKR_OK || info == NULL)
		return;
	pthread_mutex_lock(&quirk.lock);
	so = quirk.so;
	pthread_mutex_unlock(&quirk.lock);
	if (so && info->state == CKS_RW_USER_FUNCTIONS)
		info->state = CKS_RW_SO_FUNCTIONS;
}

/* ---- key generation and object creation --------------------------------- */

/* tpm2-pkcs11 maps the public half's verify, encrypt and wrap rights onto
 * the TPM key's decrypt attribute, and refuses a pair whose private half
 * may not decrypt. */
static CK_RV
quirk_verify_needs_decrypt(const struct fault_conf *conf, const CK_ATTRIBUTE *pub,
			   CK_ULONG pub_n, const CK_ATTRIBUTE *priv, CK_ULONG priv_n)
{
	if (!(conf->quirks & QUIRK_VERIFY_NEEDS_DECRYPT))
		return CKR_OK;
	if (!quirk_sets_bool(pub, pub_n, CKA_VERIFY, CK_TRUE) &&
	    !quirk_sets_bool(pub, pub_n, CKA_ENCRYPT, CK_TRUE) &&
	    !quirk_sets_bool(pub, pub_n, CKA_WRAP, CK_TRUE))
		return CKR_OK;
	return quirk_sets_bool(priv, priv_n, CKA_DECRYPT, CK_TRUE) ? CKR_OK : CKR_GENERAL_ERROR;
}

/* A module that knows neither CKA_ALLOWED_MECHANISMS nor
 * CKA_PUBLIC_KEY_INFO refuses a template that carries either. */
static CK_RV
quirk_no_mechanism_list(const struct fault_conf *conf, const CK_ATTRIBUTE *t, CK_ULONG n)
{
	if (!(conf->quirks & QUIRK_NO_MECHANISM_LIST) ||
	    (fault_attribute(t, n, CKA_ALLOWED_MECHANISMS) == NULL &&
	     fault_attribute(t, n, CKA_PUBLIC_KEY_INFO) == NULL))
		return CKR_OK;
	return CKR_ATTRIBUTE_TYPE_INVALID;
}

CK_RV
quirk_generate_key_pair_check(CK_FUNCTION_LIST *real, const struct fault_conf *conf,
			      CK_SESSION_HANDLE h, const CK_ATTRIBUTE *pub, CK_ULONG pub_n,
			      const CK_ATTRIBUTE *priv, CK_ULONG priv_n)
{
	CK_RV rv = quirk_so_keygen(real, conf, h);

	if (rv == CKR_OK)
		rv = quirk_verify_needs_decrypt(conf, pub, pub_n, priv, priv_n);
	if (rv == CKR_OK)
		rv = quirk_no_mechanism_list(conf, pub, pub_n);
	if (rv == CKR_OK)
		rv = quirk_no_mechanism_list(conf, priv, priv_n);
	return rv;
}

/* A token that keeps no data objects at all. */
static CK_RV
quirk_no_data(const struct fault_conf *conf, const CK_ATTRIBUTE *t, CK_ULONG n)
{
	if (!(conf->quirks & QUIRK_NO_DATA) || quirk_template_class(t, n) != CKO_DATA)
		return CKR_OK;
	return quirk_sets_bool(t, n, CKA_TOKEN, CK_TRUE) ? CKR_TEMPLATE_INCONSISTENT : CKR_OK;
}

/* tpm2-pkcs11 keeps only private data objects; CKA_PRIVATE absent is the
 * public default. */
static CK_RV
quirk_no_public_data(const struct fault_conf *conf, const CK_ATTRIBUTE *t, CK_ULONG n)
{
	if (!(conf->quirks & QUIRK_NO_PUBLIC_DATA) || quirk_template_class(t, n) != CKO_DATA ||
	    !quirk_sets_bool(t, n, CKA_TOKEN, CK_TRUE))
		return CKR_OK;
	return quirk_sets_bool(t, n, CKA_PRIVATE, CK_TRUE) ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
}

CK_RV
quirk_create_object_check(CK_FUNCTION_LIST *real, const struct fault_conf *conf,
			  CK_SESSION_HANDLE h, const CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_RV rv = quirk_so_keygen(real, conf, h);

	if (rv == CKR_OK)
		rv = quirk_no_data(conf, t, n);
	if (rv == CKR_OK)
		rv = quirk_no_public_data(conf, t, n);
	return rv;
}

CK_RV
quirk_destroy_object_check(CK_FUNCTION_LIST *real, const struct fault_conf *conf,
			   CK_SESSION_HANDLE h)
{
	return quirk_so_keygen(real, conf, h);
}

/* ---- handle-on-failure -------------------------------------------------- */

/* Remembers what this process made, so that a failed call can name an
 * object somebody else made. A full table stops remembering. */
static void
quirk_remember(CK_OBJECT_HANDLE o)
{
	pthread_mutex_lock(&quirk.lock);
	if (quirk.n_made < QUIRK_MADE_MAX)
		quirk.made[quirk.n_made++] = o;
	pthread_mutex_unlock(&quirk.lock);
}

void
quirk_made(const struct fault_conf *conf, CK_OBJECT_HANDLE_PTR *out, size_t n_out)
{
	size_t i;

	if (!(conf->quirks & QUIRK_HANDLE_ON_FAILURE))
		return;
	for (i = 0; i < n_out; i++)
		if (out[i] != NULL)
			quirk_remember(*out[i]);
}

static int
quirk_made_here(CK_OBJECT_HANDLE o)
{
	size_t i;
	int here = 0;

	pthread_mutex_lock(&quirk.lock);
	for (i = 0; !here && i < quirk.n_made; i++)
		here = quirk.made[i] == o;
	pthread_mutex_unlock(&quirk.lock);
	return here;
}

/* Up to MAX objects that session H sees and that this process did not
 * make, in the target's order, into FOUND; returns how many. */
static size_t
quirk_find_unrelated(CK_FUNCTION_LIST *real, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE *found,
		     size_t max)
{
	CK_OBJECT_HANDLE batch[QUIRK_FIND_BATCH];
	CK_ULONG i, n_batch = 0;
	size_t n_found = 0;
	CK_RV rv;

	if (real->C_FindObjectsInit(h, NULL, 0) != CKR_OK)
		return 0;
	rv = real->C_FindObjects(h, batch, QUIRK_FIND_BATCH, &n_batch);
	real->C_FindObjectsFinal(h);
	for (i = 0; rv == CKR_OK && i < n_batch && n_found < max; i++)
		if (!quirk_made_here(batch[i]))
			found[n_found++] = batch[i];
	return n_found;
}

void
quirk_handle_on_failure(CK_FUNCTION_LIST *real, const struct fault_conf *conf,
			CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR *out, size_t n_out)
{
	CK_OBJECT_HANDLE found[2];
	size_t i, n_found;

	if (!(conf->quirks & QUIRK_HANDLE_ON_FAILURE) || n_out > 2)
		return;
	n_found = quirk_find_unrelated(real, h, found, n_out);
	/* One object for both halves of a pair when the session sees only one. */
	for (i = 0; n_found > 0 && i < n_out; i++)
		if (out[i] != NULL)
			*out[i] = found[i < n_found ? i : n_found - 1];
}

/* ---- attributes --------------------------------------------------------- */

/* Modules that fix a key's attributes once it exists. */
static CK_RV
quirk_attrs_read_only(CK_FUNCTION_LIST *real, const struct fault_conf *conf,
		      CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o)
{
	CK_OBJECT_CLASS class;

	if (!(conf->quirks & QUIRK_ATTRS_READ_ONLY))
		return CKR_OK;
	class = quirk_object_class(real, h, o);
	return class == CKO_PRIVATE_KEY || class == CKO_PUBLIC_KEY ? CKR_ATTRIBUTE_READ_ONLY :
	       CKR_OK;
}

/* Remembers that O now answers FALSE for TYPE. */
static CK_RV
quirk_narrow(CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type)
{
	CK_RV rv = CKR_OK;
	size_t i;

	pthread_mutex_lock(&quirk.lock);
	for (i = 0; i < quirk.n_narrowed; i++)
		if (quirk.narrowed[i].handle == o && quirk.narrowed[i].type == type)
			break;
	if (i == quirk.n_narrowed && i < QUIRK_NARROWED_MAX)
		quirk.narrowed[quirk.n_narrowed++] = (struct quirk_narrowed){ o, type };
	else if (i == QUIRK_NARROWED_MAX)
		rv = CKR_GENERAL_ERROR;
	pthread_mutex_unlock(&quirk.lock);
	if (rv != CKR_OK)
		fprintf(stderr, "p11fault: narrowing-ignored: more than %d keys\n",
			QUIRK_NARROWED_MAX);
	return rv;
}

/* tpm2-pkcs11 accepts CKA_SIGN = FALSE on a private key (CKA_VERIFY =
 * FALSE on a public one) and goes on signing: the attribute is dropped
 * from the template, the rest forwarded, and the key remembered. */
static CK_RV
quirk_narrowing_ignored(CK_FUNCTION_LIST *real, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
			CK_ATTRIBUTE_PTR t, CK_ULONG n, quirk_set_fn *forward)
{
	CK_OBJECT_CLASS class = quirk_object_class(real, h, o);
	CK_ATTRIBUTE_TYPE type = class == CKO_PRIVATE_KEY ? CKA_SIGN :
				 class == CKO_PUBLIC_KEY ? CKA_VERIFY : (CK_ATTRIBUTE_TYPE)-1;
	CK_ATTRIBUTE rest[QUIRK_TEMPLATE_MAX];
	CK_ULONG i, n_rest = 0;
	CK_RV rv = CKR_OK;

	if (type == (CK_ATTRIBUTE_TYPE)-1 || !quirk_sets_bool(t, n, type, CK_FALSE))
		return forward(h, o, t, n);
	if (n > QUIRK_TEMPLATE_MAX) {
		fprintf(stderr, "p11fault: narrowing-ignored: a template of more than %d "
			"attributes\n", QUIRK_TEMPLATE_MAX);
		return CKR_GENERAL_ERROR;
	}
	for (i = 0; i < n; i++)
		if (t[i].type != type)
			rest[n_rest++] = t[i];
	if (n_rest > 0)
		rv = forward(h, o, rest, n_rest);
	return rv == CKR_OK ? quirk_narrow(o, type) : rv;
}

CK_RV
quirk_set_attribute_value(CK_FUNCTION_LIST *real, const struct fault_conf *conf,
			  CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t,
			  CK_ULONG n, quirk_set_fn *forward)
{
	CK_RV rv = quirk_attrs_read_only(real, conf, h, o);

	if (rv == CKR_OK)
		rv = quirk_no_mechanism_list(conf, t, n);
	if (rv != CKR_OK)
		return rv;
	if (!(conf->quirks & QUIRK_NARROWING_IGNORED))
		return forward(h, o, t, n);
	return quirk_narrowing_ignored(real, h, o, t, n, forward);
}

/* null-unavailable: the buffer of an attribute the object lacks or keeps
 * secret is replaced by NULL, as tpm2-pkcs11 does. */
static void
quirk_null_unavailable(const struct fault_conf *conf, CK_ATTRIBUTE_PTR t,
		       CK_ULONG n)
{
	CK_ULONG i;

	if (!(conf->quirks & QUIRK_NULL_UNAVAILABLE) || t == NULL)
		return;
	for (i = 0; i < n; i++)
		if (t[i].ulValueLen == CK_UNAVAILABLE_INFORMATION)
			t[i].pValue = NULL;
}

void
quirk_get_attribute_value(const struct fault_conf *conf, CK_RV rv, CK_OBJECT_HANDLE o,
			  CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	CK_ULONG i;
	size_t j;

	quirk_null_unavailable(conf, t, n);
	if (!(conf->quirks & QUIRK_NARROWING_IGNORED) || t == NULL ||
	    (rv != CKR_OK && rv != CKR_ATTRIBUTE_SENSITIVE && rv != CKR_ATTRIBUTE_TYPE_INVALID &&
	     rv != CKR_BUFFER_TOO_SMALL))
		return;
	pthread_mutex_lock(&quirk.lock);
	for (j = 0; j < quirk.n_narrowed; j++) {
		if (quirk.narrowed[j].handle != o)
			continue;
		/* Only values the target filled in: a length query stays one. */
		for (i = 0; i < n; i++)
			if (t[i].type == quirk.narrowed[j].type && t[i].pValue != NULL &&
			    t[i].ulValueLen == sizeof(CK_BBOOL))
				*(CK_BBOOL *)t[i].pValue = CK_FALSE;
	}
	pthread_mutex_unlock(&quirk.lock);
}

void
quirk_destroyed(CK_OBJECT_HANDLE o)
{
	size_t i = 0;

	pthread_mutex_lock(&quirk.lock);
	while (i < quirk.n_narrowed) {
		if (quirk.narrowed[i].handle == o)
			quirk.narrowed[i] = quirk.narrowed[--quirk.n_narrowed];
		else
			i++;
	}
	pthread_mutex_unlock(&quirk.lock);
}
