/* SPDX-License-Identifier: MIT */
/* token-info.h - what is known about one token, as listed and as
 * selected (token.h lists and selects them). */
#ifndef P11E_TOKEN_INFO_H
#define P11E_TOKEN_INFO_H

#include <p11-kit/pkcs11.h>

#include "text.h"

/* A token's strings as the module gave them, without the blank padding:
 * any bytes but NUL, for matching, lock names and JSON. */
struct token_strings {
	char label[33];
	char manufacturer[33];
	char model[17];
	char serial[17];
	char slot_description[65];
};

/* What is known about one token, as listed and as selected. */
struct token_info {
	CK_SLOT_ID slot;
	/* The strings of raw, made safe for a terminal once, here, by
	 * text_printable(): what messages and tables show. */
	char label[TEXT_PRINTABLE_SIZE(32)];
	char manufacturer[TEXT_PRINTABLE_SIZE(32)];
	char model[TEXT_PRINTABLE_SIZE(16)];
	char serial[TEXT_PRINTABLE_SIZE(16)];
	char slot_description[TEXT_PRINTABLE_SIZE(64)];
	struct token_strings raw;
	CK_FLAGS flags;         /* CK_TOKEN_INFO flags */
	char *uri;              /* RFC 7512 URI naming this token */
	CK_TOKEN_INFO token_info;       /* as the module gave them, for */
	CK_SLOT_INFO slot_info;         /* matching a URI */
};

#endif
