/* p11fault.h - the fault module's configuration, shared by its two files. */
#ifndef P11FAULT_H
#define P11FAULT_H

#include <stddef.h>

#include <p11-kit/pkcs11.h>

#define FAULT_DEFAULT_TARGET "/usr/lib/softhsm/libsofthsm2.so"
#define FAULT_RULES_MAX 128
#define FAULT_PATH_MAX 1024
#define FAULT_PIN_MAX 256
#define FAULT_ERROR_MAX 1200

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

/* Fixed-size on purpose: the module allocates nothing, so nothing can leak
 * into a sanitizer's report when the module is unloaded. */
struct fault_conf {
	char target[FAULT_PATH_MAX];      /* "" = $P11FAULT_TARGET or the default */
	struct fault_rule rules[FAULT_RULES_MAX];
	size_t n_rules;
	CK_FLAGS flags;                   /* ORed into every token's flags */
	char pinpad_pin[FAULT_PIN_MAX];
	int trace_fd;                     /* -1 = no trace */
	int fixed_slots;                  /* a new key pair or certificate with
					   * a CKA_ID replaces the objects that
					   * have it, as on a PIV card */
};

/* Only C_GetFunctionList leaves the module. */
#define FAULT_INTERNAL __attribute__((visibility("hidden")))

/* The index of PKCS#11 function NAME ("C_Sign"), or -1. */
FAULT_INTERNAL int fault_fn_lookup(const char *name);

/* Reads the configuration file PATH into CONF (already initialised, with
 * trace_fd -1). On error returns -1 with one line "p11fault: PATH:LINE: why"
 * in ERROR. */
FAULT_INTERNAL int fault_conf_read(const char *path, struct fault_conf *conf, char *error, size_t error_len);

#endif
