/* SPDX-License-Identifier: MIT */
/* token-pin.h - where the user PIN of a token comes from: one order for
 * every command and for batch rows. */
#ifndef P11E_TOKEN_PIN_H
#define P11E_TOKEN_PIN_H

#include "pin.h"
#include "token.h"

/* The user PIN of T, from the first of:
 *   SPEC    a PIN source the user named (--pin-source, a manifest row's
 *           pin_source), read with PROMPT for "prompt";
 *   KNOWN   a PIN the caller already holds (a batch's --pin-source,
 *           read once by the parent);
 *   the token URI's pin-value;
 *   the token URI's pin-source, a file (as file:PATH or a plain path).
 * WHAT names the PIN in messages and prompts. With none of them, 0 with
 * *PIN NULL: the caller prompts or refuses. Free *PIN with pin_free(). */
int token_pin_lookup(const struct token *t, const char *spec,
		     const char *known, const char *what, pin_prompt_fn prompt,
		     void *prompt_ctx, char **pin);

#endif
