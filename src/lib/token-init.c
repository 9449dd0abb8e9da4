/* SPDX-License-Identifier: MIT */
/* token-init.c - initialising a blank token and setting its user PIN. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "token.h"

/* CKA_LABEL / CK_TOKEN_INFO.label: 32 bytes padded with blanks. */
#define TOKEN_LABEL_SIZE 32

/* Whether a token other than the one in slot SELF is labelled LABEL. */
static int
token_init_label_taken(struct module *m, CK_SLOT_ID self, const char *label,
		       bool *taken)
{
	struct token_info *infos = NULL;
	size_t n = 0, i;

	*taken = false;
	if (token_list(m, &infos, &n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (infos[i].slot != self && (infos[i].flags & CKF_TOKEN_INITIALIZED) &&
		    strcmp(infos[i].raw.label, label) == 0)
			*taken = true;
	token_info_free_array(infos, n);
	return 0;
}

int
token_init(struct module *m, const char *selector, const char *label,
	   const char *so_pin, struct token_info *out)
{
	CK_FUNCTION_LIST *fn = module_functions(m);
	unsigned char padded[TOKEN_LABEL_SIZE];
	struct token_info blank;
	bool taken = false;
	CK_RV rv;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&blank, 0, sizeof(blank));
	if (*label == '\0' || strlen(label) > TOKEN_LABEL_SIZE) {
		err_set(ERR_USAGE, "token label '%s' must be 1 to %d bytes", label,
			TOKEN_LABEL_SIZE);
		goto out;
	}
	if (token_select(m, selector, &blank, NULL, NULL) < 0)
		goto out;
	if (blank.flags & CKF_TOKEN_INITIALIZED) {
		err_set(ERR_FAILED, "token %s (serial %s) is initialised already; "
			"initialising it again would wipe it", blank.label,
			blank.serial);
		goto out;
	}
	if (token_init_label_taken(m, blank.slot, label, &taken) < 0)
		goto out;
	if (taken) {
		err_set(ERR_FAILED, "another token is labelled %s already", label);
		goto out;
	}
	memset(padded, ' ', sizeof(padded));
	memcpy(padded, label, strlen(label));
	rv = fn->C_InitToken(blank.slot, (CK_UTF8CHAR_PTR)so_pin,
			     (CK_ULONG)strlen(so_pin), padded);
	if (rv != CKR_OK) {
		err_ckr(rv, "initialise the token in slot %lu",
			(unsigned long)blank.slot);
		if (rv == CKR_FUNCTION_NOT_SUPPORTED)
			err_append("this token cannot be initialised through "
				   "PKCS#11, as is usual for smart cards: personalise "
				   "it and set its PINs with the card's own tool "
				   "(OpenSC's pkcs15-init, or piv-tool or "
				   "yubico-piv-tool for a PIV card), then enroll "
				   "its roles; nothing was changed");
		goto out;
	}
	/* SoftHSM, for one, moves the new token to a slot of its own. */
	module_tokens_changed(m);
	if (token_select(m, label, out, NULL, NULL) < 0) {
		err_prefix("find the token just initialised as %s", label);
		goto out;
	}
	rc = 0;
out:
	free(blank.uri);
	return rc;
}

int
token_init_user_pin(struct module *m, const struct token_info *info,
		    const char *so_pin, const char *user_pin)
{
	CK_FUNCTION_LIST *fn = module_functions(m);
	CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
	bool logged_in = false;
	CK_RV rv;
	int rc = -1;

	rv = fn->C_OpenSession(info->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
			       NULL, NULL, &session);
	if (rv != CKR_OK) {
		err_ckr(rv, "open a read-write session on token %s", info->label);
		goto out;
	}
	rv = fn->C_Login(session, CKU_SO, (CK_UTF8CHAR_PTR)so_pin,
			 (CK_ULONG)strlen(so_pin));
	if (rv != CKR_OK) {
		err_ckr(rv, "log in to token %s as its security officer",
			info->label);
		goto out;
	}
	logged_in = true;
	rv = fn->C_InitPIN(session, (CK_UTF8CHAR_PTR)user_pin,
			   (CK_ULONG)strlen(user_pin));
	if (rv != CKR_OK) {
		err_ckr(rv, "set the user PIN of token %s", info->label);
		goto out;
	}
	rc = 0;
out:
	if (logged_in)
		(void)fn->C_Logout(session);
	if (session != CK_INVALID_HANDLE)
		(void)fn->C_CloseSession(session);
	return rc;
}
