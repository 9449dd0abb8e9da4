/* SPDX-License-Identifier: MIT */
/* p11fault.h - the fault module's configuration and the functions its files share. */
#ifndef P11FAULT_H
#define P11FAULT_H

#include <stddef.h>

#include <p11-kit/pkcs11.h>

#define FAULT_DEFAULT_TARGET "/usr/lib/softhsm/libsofthsm2.so"
#define FAULT_RULES_MAX 128
#define FAULT_PATH_MAX 1024
#define FAULT_PIN_MAX 256
#define FAULT_ERROR_MAX 1200
#define FAULT_CARD_IDS_MAX 16
#define FAULT_CARD_ID_MAX 64
#define FAULT_CARD_TRIES 3
/* card-objects unset: no limit. */
#define FAULT_NO_LIMIT ((unsigned long)-1)

/* The behaviours of real modules that the "quirk" directive switches on
 * (p11fault-quirk.c); bits of fault_conf.quirks. */
enum fault_quirk {
	QUIRK_VERIFY_NEEDS_DECRYPT = 1 << 0,
	QUIRK_NARROWING_IGNORED = 1 << 1,
	QUIRK_NO_PUBLIC_DATA = 1 << 2,
	QUIRK_NO_DATA = 1 << 3,
	QUIRK_HANDLE_ON_FAILURE = 1 << 4,
	QUIRK_ATTRS_READ_ONLY = 1 << 5,
	QUIRK_SO_KEYGEN = 1 << 6,
	QUIRK_NULL_UNAVAILABLE = 1 << 7,
	QUIRK_NO_MECHANISM_LIST = 1 << 8,
};

/* A rule's call number that matches every call ("*"). */
#define FAULT_EVERY 0UL

enum fault_kind {
	FAULT_FAIL,        /* answer value without forwarding */
	FAULT_FAIL_AFTER,  /* forward, then answer value anyway */
	FAULT_DELAY,       /* sleep value milliseconds, then forward */
	FAULT_SIGNAL,      /* raise signal value, then forward */
};

struct fault_rule {
	enum fault_kind kind;
	int fn;                /* enum fault_fn */
	unsigned long n;       /* the call it applies to, or FAULT_EVERY */
	unsigned long value;   /* a CKR, milliseconds or a signal number */
};

/* A key slot of the card: a CKA_ID value. */
struct fault_card_id {
	unsigned char bytes[FAULT_CARD_ID_MAX];
	size_t len;
};

/* Fixed-size on purpose: the module allocates nothing, so nothing can leak
 * into a sanitizer's report when the module is unloaded. */
struct fault_conf {
	char target[FAULT_PATH_MAX];      /* "" = $P11FAULT_TARGET or the default */
	struct fault_rule rules[FAULT_RULES_MAX];
	size_t n_rules;
	CK_FLAGS flags;                   /* ORed into every token's flags */
	char pinpad_pin[FAULT_PIN_MAX];
	int trace_fd;                     /* -1 = no trace */
	int card;                         /* card mode (the "card" directive) */
	struct fault_card_id card_ids[FAULT_CARD_IDS_MAX];
	size_t n_card_ids;
	char card_state[FAULT_PATH_MAX];  /* the wrong-try count's file */
	unsigned long card_tries;         /* wrong tries before the PIN locks */
	unsigned long card_objects;       /* object limit, or FAULT_NO_LIMIT */
	unsigned long card_keygen_delay;  /* ms before every RSA key generation */
	unsigned quirks;                  /* enum fault_quirk bits */
	char so_keygen_user_pin[FAULT_PIN_MAX]; /* the target's user PIN for so-keygen */
};

/* Only C_GetFunctionList leaves the module. */
#define FAULT_INTERNAL __attribute__((visibility("hidden")))

/* The index of PKCS#11 function NAME ("C_Sign"), or -1. */
FAULT_INTERNAL int fault_fn_lookup(const char *name);

/* The attribute TYPE in template T of N attributes, or NULL. */
/* Sleep MS milliseconds, whatever signals come. */
FAULT_INTERNAL void fault_sleep(unsigned long ms);
FAULT_INTERNAL const CK_ATTRIBUTE *fault_attribute(const CK_ATTRIBUTE *t, CK_ULONG n,
						   CK_ATTRIBUTE_TYPE type);
/* A CK_ULONG attribute's value; -1 when A does not hold one. */
FAULT_INTERNAL int fault_ulong(const CK_ATTRIBUTE *a, CK_ULONG *value);

/* Reads the configuration file PATH into CONF (already initialised, with
 * trace_fd -1, card_objects FAULT_NO_LIMIT). On error returns -1 with one line "p11fault: PATH:LINE: why"
 * in ERROR. */
FAULT_INTERNAL int fault_conf_read(const char *path, struct fault_conf *conf, char *error, size_t error_len);

/* Card mode (p11fault-card.c). Each function is called in place of the
 * target's function of the same name once the rules let the call through;
 * REAL is the target. */
FAULT_INTERNAL CK_RV card_get_mechanism_list(CK_FUNCTION_LIST *real, CK_SLOT_ID slot,
					     CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count);
FAULT_INTERNAL CK_RV card_get_mechanism_info(CK_FUNCTION_LIST *real, CK_SLOT_ID slot,
					     CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info);
FAULT_INTERNAL CK_RV card_generate_key_pair(CK_FUNCTION_LIST *real, const struct fault_conf *conf,
					    CK_SESSION_HANDLE h, CK_MECHANISM_PTR m,
					    CK_ATTRIBUTE_PTR pub, CK_ULONG pub_n,
					    CK_ATTRIBUTE_PTR priv, CK_ULONG priv_n,
					    CK_OBJECT_HANDLE_PTR pub_key, CK_OBJECT_HANDLE_PTR priv_key);
FAULT_INTERNAL CK_RV card_create_object(CK_FUNCTION_LIST *real, const struct fault_conf *conf,
					CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n,
					CK_OBJECT_HANDLE_PTR object);
FAULT_INTERNAL CK_RV card_set_attribute_value(CK_FUNCTION_LIST *real, CK_SESSION_HANDLE h,
					      CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n);
/* The PIN flags C_GetTokenInfo shows instead of the target's. */
FAULT_INTERNAL CK_FLAGS card_pin_flags(const struct fault_conf *conf);
/* Before a user login: CKR_OK to forward it, or the answer (CKR_PIN_LOCKED). */
FAULT_INTERNAL CK_RV card_login_check(const struct fault_conf *conf);
/* After a forwarded user login that answered RV: counts a wrong try or
 * clears the count; returns the answer to give. */
FAULT_INTERNAL CK_RV card_login_done(const struct fault_conf *conf, CK_RV rv);

/* Quirks (p11fault-quirk.c). The checks run once the rules let a call
 * through and before card mode; each answers CKR_OK to let the call go on,
 * or the answer to give without forwarding. REAL is the target. */
FAULT_INTERNAL CK_RV quirk_generate_key_pair_check(CK_FUNCTION_LIST *real,
						   const struct fault_conf *conf,
						   CK_SESSION_HANDLE h,
						   const CK_ATTRIBUTE *pub, CK_ULONG pub_n,
						   const CK_ATTRIBUTE *priv, CK_ULONG priv_n);
FAULT_INTERNAL CK_RV quirk_create_object_check(CK_FUNCTION_LIST *real,
					       const struct fault_conf *conf,
					       CK_SESSION_HANDLE h, const CK_ATTRIBUTE *t,
					       CK_ULONG n);
FAULT_INTERNAL CK_RV quirk_destroy_object_check(CK_FUNCTION_LIST *real,
						const struct fault_conf *conf,
						CK_SESSION_HANDLE h);
/* After a C_DestroyObject that answered CKR_OK: the handle is no longer
 * narrowed. */
FAULT_INTERNAL void quirk_destroyed(CK_OBJECT_HANDLE o);

/* How a C_SetAttributeValue that the quirks let through goes on (to card
 * mode or the target). */
typedef CK_RV quirk_set_fn(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
			   CK_ATTRIBUTE_PTR t, CK_ULONG n);
/* attrs-read-only and narrowing-ignored; FORWARD makes the call. */
FAULT_INTERNAL CK_RV quirk_set_attribute_value(CK_FUNCTION_LIST *real,
					       const struct fault_conf *conf,
					       CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
					       CK_ATTRIBUTE_PTR t, CK_ULONG n,
					       quirk_set_fn *forward);
/* After a forwarded C_GetAttributeValue that answered RV: a narrowing the
 * module ignored reads back as done. */
FAULT_INTERNAL void quirk_get_attribute_value(const struct fault_conf *conf, CK_RV rv,
					      CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t,
					      CK_ULONG n);
/* handle-on-failure. After a C_CreateObject or C_GenerateKeyPair that the
 * target answered CKR_OK: the N_OUT handles OUT were made by this process,
 * so they are never named for another call. */
FAULT_INTERNAL void quirk_made(const struct fault_conf *conf, CK_OBJECT_HANDLE_PTR *out,
			       size_t n_out);
/* After such a call whose answer is not CKR_OK: writes into the N_OUT
 * handles OUT handles of objects that session H sees and that this process
 * did not make. */
FAULT_INTERNAL void quirk_handle_on_failure(CK_FUNCTION_LIST *real,
					    const struct fault_conf *conf,
					    CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR *out,
					    size_t n_out);

/* so-keygen. How a C_Login that the quirks let through goes on. */
typedef CK_RV quirk_login_fn(CK_SESSION_HANDLE h, CK_USER_TYPE user,
			     CK_UTF8CHAR_PTR pin, CK_ULONG pin_len);
/* C_Login: an SO login logs the target in as the user instead. */
FAULT_INTERNAL CK_RV quirk_login(CK_FUNCTION_LIST *real, const struct fault_conf *conf,
				 CK_SESSION_HANDLE h, CK_USER_TYPE user,
				 CK_UTF8CHAR_PTR pin, CK_ULONG pin_len, quirk_login_fn *forward);
/* After a forwarded C_Logout that answered RV. */
FAULT_INTERNAL void quirk_logout_done(CK_RV rv);
/* After a forwarded C_GetSessionInfo that answered RV: the SO's state. */
FAULT_INTERNAL void quirk_session_info(const struct fault_conf *conf, CK_RV rv,
				       CK_SESSION_INFO_PTR info);

#endif
