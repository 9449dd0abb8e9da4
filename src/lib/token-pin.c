/* SPDX-License-Identifier: MIT */
/* token-pin.c - the order in which a token's user PIN is looked for. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "token-pin.h"

/* Read the PIN from the source SPEC. */
static int
token_pin_from_spec(const char *spec, const char *what, pin_prompt_fn prompt,
		    void *prompt_ctx, char **pin)
{
	struct pin_source src = { PIN_PROMPT, NULL };
	int rc = -1;

	if (pin_source_parse(spec, &src) < 0)
		goto out;
	rc = pin_source_read(&src, what, prompt, prompt_ctx, pin);
out:
	pin_source_clear(&src);
	return rc;
}

/* A copy of the secret S. */
static int
token_pin_copy(const char *s, char **pin)
{
	if ((*pin = strdup(s)) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	return 0;
}

int
token_pin_lookup(const struct token *t, const char *spec, const char *known,
		 const char *what, pin_prompt_fn prompt, void *prompt_ctx,
		 char **pin)
{
	const char *uri_source = token_uri_pin_source(t);
	char *file_spec = NULL;
	int rc = -1;

	*pin = NULL;
	if (spec != NULL)
		return token_pin_from_spec(spec, what, prompt, prompt_ctx, pin);
	if (known != NULL)
		return token_pin_copy(known, pin);
	if (token_uri_pin_value(t) != NULL)
		return token_pin_copy(token_uri_pin_value(t), pin);
	if (uri_source == NULL)
		return 0;
	/* RFC 7512's pin-source names a file, with or without "file:". */
	if (strncmp(uri_source, "file:", 5) == 0)
		return token_pin_from_spec(uri_source, what, NULL, NULL, pin);
	if ((file_spec = malloc(strlen(uri_source) + 6)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	strcpy(file_spec, "file:");
	strcat(file_spec, uri_source);
	rc = token_pin_from_spec(file_spec, what, NULL, NULL, pin);
out:
	free(file_spec);
	return rc;
}
