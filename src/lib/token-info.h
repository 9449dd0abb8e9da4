/* SPDX-License-Identifier: MIT */
/* token-info.h - what is known about one token, as listed and as
 * selected (token.h lists and selects them). */
#ifndef P11E_TOKEN_INFO_H
#define P11E_TOKEN_INFO_H

#include <p11-kit/pkcs11.h>

/* What is known about one token, as listed and as selected. */
struct token_info {
	CK_SLOT_ID slot;
	char label[33];
	char manufacturer[33];
	char model[17];
	char serial[17];
	char slot_description[65];
	CK_FLAGS flags;         /* CK_TOKEN_INFO flags */
	char *uri;              /* RFC 7512 URI naming this token */
	CK_TOKEN_INFO token_info;       /* as the module gave them, for */
	CK_SLOT_INFO slot_info;         /* matching a URI */
};

#endif
