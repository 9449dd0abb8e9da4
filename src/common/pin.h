/* SPDX-License-Identifier: MIT */
/* pin.h - where a PIN comes from.
 *
 * A source is file:PATH, env:VAR, fd:N or prompt. The core never talks to
 * the user: "prompt" calls back into the command layer.
 */
#ifndef P11E_PIN_H
#define P11E_PIN_H

#include <stddef.h>

/* The longest PIN taken: longer than any token's ulMaxPinLen in
 * practice. */
#define PIN_MAX 256

enum pin_source_kind { PIN_FILE, PIN_ENV, PIN_FD, PIN_PROMPT };

struct pin_source {
	/* The longest PIN taken: longer than any token's ulMaxPinLen in
 * practice. */
#define PIN_MAX 256

enum pin_source_kind kind;
	char *arg;      /* path, variable name or fd number; NULL for prompt */
};

/* Asks the user for a PIN: the command layer's terminal prompt. Returns a
 * malloc'ed secret or NULL with an error recorded. */
typedef char *(*pin_prompt_fn)(const char *what, void *ctx);

/* Parse a source spec; *OUT is owned by the caller (pin_source_clear). */
int pin_source_parse(const char *spec, struct pin_source *out);

/* Release what a parsed source holds. */
void pin_source_clear(struct pin_source *src);

/* Read the secret from SRC. WHAT names the PIN in messages and prompts
 * ("user PIN for token alice"). The result is malloc'ed; free it with
 * pin_free(). */
int pin_source_read(const struct pin_source *src, const char *what,
		    pin_prompt_fn prompt, void *prompt_ctx, char **out);

/* Get SRC ready before a process forks the readers of it: an env:
 * variable is taken out of the environment now (the readers find it
 * still), and a file that exists must be private (as on reading: a
 * regular file open to group or others is refused). */
int pin_source_prepare(const struct pin_source *src, const char *what);

/* Wipe and forget the env: PINs taken out of the environment. */
void pin_env_clear(void);

/* Keep the memory of this process, which holds PINs, to itself: no core
 * file, and no ptrace, /proc/PID/mem or /proc/PID/environ for other
 * processes of the same user (Linux: not dumpable). Forked batch workers
 * inherit it; a program executed (a CA helper) starts dumpable again, as
 * execve resets it, and holds no PIN. */
void pin_protect_process(void);

/* Wipe and free a secret; NULL is fine. */
void pin_free(char *pin);

#endif
