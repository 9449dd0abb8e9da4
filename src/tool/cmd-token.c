/* SPDX-License-Identifier: MIT */
/* cmd-token.c - the module, the token and the PIN that opens it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cmd.h"
#include "err.h"
#include "owndir.h"
#include "pin.h"
#include "statedir.h"
#include "token-login.h"
#include "token-pin.h"
#include "tty.h"

/* Locks are per user: in a directory others share, anybody could take a
 * token's lock first, or leave one its owner cannot open. Users who run
 * p11enroll on one token at once therefore do not wait for each other. */
const char *
cmd_lock_dir(void)
{
	static char dir[4096];
	const char *env = getenv("P11ENROLL_LOCK_DIR");
	const char *runtime = getenv("XDG_RUNTIME_DIR");

	if (env != NULL && env[0] != '\0')
		return env;
	if (geteuid() == 0 && access("/run", W_OK) == 0)
		snprintf(dir, sizeof(dir), "/run/p11enroll");
	else if (geteuid() != 0 && runtime != NULL && runtime[0] == '/' &&
		 access(runtime, W_OK) == 0)
		snprintf(dir, sizeof(dir), "%s/p11enroll", runtime);
	else
		snprintf(dir, sizeof(dir), "/tmp/p11enroll-%lu",
			 (unsigned long)geteuid());
	return owndir_make(dir, "lock directory") < 0 ? NULL : dir;
}

int
cmd_state_dir(const struct global_opts *g, char **out)
{
	*out = NULL;
	if (g->state_dir != NULL) {
		*out = strdup(g->state_dir);
		return *out != NULL ? 0 : err_set(ERR_FAILED, "out of memory");
	}
	/* Without a home there is no default: the token that needs one
	 * says so, with --state-dir as the way out. */
	if (statedir_default(geteuid(), getenv("XDG_STATE_HOME"), getenv("HOME"),
			     out) < 0 && err_kind() == ERR_USAGE)
		err_clear();
	return *out != NULL || err_kind() == ERR_NONE ? 0 : -1;
}

/* The terminal prompt behind the "prompt" PIN source: echo off, read
 * straight from the terminal into a buffer that is wiped. One byte more
 * than a PIN may have, so that pin_copy() refuses a longer one. */
static char *
cmd_prompt_pin(const char *what, void *ctx)
{
	char buf[PIN_MAX + 2], prompt[160];
	char *pin = NULL;
	size_t len = 0;

	snprintf(prompt, sizeof(prompt), "Enter the %s: ", what);
	if (tty_read_secret(prompt, buf, sizeof(buf), &len) < 0) {
		if (err_kind() == ERR_USAGE)
			err_append("use --pin-source");
		err_prefix("cannot prompt for the %s", what);
	} else if (len == 0) {
		err_set(ERR_USAGE, "no %s was entered", what);
	} else if ((pin = strdup(buf)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return pin;
}

int
cmd_read_pin_source(const char *spec, const char *what, char **pin)
{
	struct pin_source src;
	int rc;

	*pin = NULL;
	if (pin_source_parse(spec, &src) < 0)
		return -1;
	rc = pin_source_read(&src, what, cmd_prompt_pin, NULL, pin);
	pin_source_clear(&src);
	return rc;
}

/* Words for a PIN prompt when a wrong PIN was entered before. The
 * final try and a locked PIN never get this far: the login refuses them. */
static const char *
cmd_pin_tries_note(CK_FLAGS f)
{
	return (f & CKF_USER_PIN_COUNT_LOW) ?
	       " (a wrong PIN was entered before: few tries are left)" : "";
}

const char *
cmd_pin_state_word(CK_FLAGS f)
{
	if (!(f & CKF_TOKEN_INITIALIZED))
		return "uninitialised";
	if (!(f & CKF_USER_PIN_INITIALIZED))
		return "no-user-pin";
	if (f & CKF_USER_PIN_LOCKED)
		return "locked";
	if (f & CKF_USER_PIN_FINAL_TRY)
		return "final-try";
	if (f & CKF_USER_PIN_COUNT_LOW)
		return "count-low";
	return "ok";
}

/* The user PIN: --pin-source, else the URI's pin-value or pin-source,
 * else a prompt when on a terminal. */
static int
cmd_read_pin(const struct global_opts *g, struct token *t, char **pin)
{
	const char *label = token_get_info(t)->label;
	char what[64 + TEXT_PRINTABLE_SIZE(32) + 64];

	*pin = NULL;
	snprintf(what, sizeof(what), "user PIN of token %s%s", label,
		 cmd_pin_tries_note(token_get_info(t)->flags));
	if (token_pin_lookup(t, g->pin_source, NULL, what, cmd_prompt_pin,
			     NULL, pin) < 0)
		return -1;
	if (*pin != NULL)
		return 0;
	if (!isatty(STDIN_FILENO))
		return err_set(ERR_USAGE, "token %s needs a PIN and there is no "
			       "terminal to ask on: use --pin-source file:PATH, "
			       "env:VAR or fd:N", label);
	return token_pin_lookup(t, "prompt", NULL, what, cmd_prompt_pin, NULL,
				pin);
}

/* The security officer PIN of --so-pin-source for a command that writes,
 * for a token that wants its SO to write; and the SO from the first
 * write when a profile says so. Before the user's login: the user PIN is
 * then kept, to log the user back in to sign. */
static int
cmd_give_so_pin(const struct global_opts *g, struct token *t)
{
	char what[160], *so_pin = NULL;
	int rc;

	if (g->read_only || g->so_pin_source == NULL)
		return g->so_role != NULL ? token_login_require_so(t, g->so_role) : 0;
	snprintf(what, sizeof(what), "security officer PIN of token %s",
		 token_get_info(t)->label);
	if (cmd_read_pin_source(g->so_pin_source, what, &so_pin) < 0)
		return -1;
	rc = token_login_set_so_pin(t, so_pin);
	pin_free(so_pin);
	if (rc == 0 && g->so_role != NULL)
		rc = token_login_require_so(t, g->so_role);
	return rc;
}

/* Whether a command that can do without a login goes on without one:
 * when told to, or when no PIN source is given, in the URI either, and
 * there is no terminal to ask on (a monitoring system's run) and no PIN
 * pad. */
static bool
cmd_stay_logged_out(const struct global_opts *g, struct token *t)
{
	if (g->no_login)
		return true;
	/* A command that reads public objects only logs in when told how. */
	if (g->public_only && g->pin_source == NULL &&
	    token_uri_pin_value(t) == NULL && token_uri_pin_source(t) == NULL)
		return true;
	/* A PIN pad asks on the reader, terminal or not. */
	return g->login_optional && g->pin_source == NULL &&
	       token_uri_pin_value(t) == NULL && token_uri_pin_source(t) == NULL &&
	       !isatty(STDIN_FILENO) && !token_has_pinpad(t);
}

int
cmd_open_token(struct global_opts *g, struct module **m, struct token **t)
{
	const char *lock_dir;
	char *pin = NULL, *state_dir = NULL;
	int rc;

	*m = NULL;
	*t = NULL;
	cmd_progress_setup(g);
	if (cmd_state_dir(g, &state_dir) < 0 ||
	    (lock_dir = cmd_lock_dir()) == NULL ||
	    module_load(cmd_module_path(g), m) < 0 ||
	    token_open_mode(*m, g->token, lock_dir,
			    g->read_only ? TOKEN_READ : TOKEN_WRITE, t) < 0 ||
	    token_set_state_dir(*t, state_dir) < 0 ||
	    cmd_give_so_pin(g, *t) < 0) {
		free(state_dir);
		goto fail;
	}
	free(state_dir);
	token_set_keep_chain(*t, !g->no_chain);
	if (!token_needs_login(*t))
		return 0;
	if (cmd_stay_logged_out(g, *t)) {
		g->logged_out = true;
		return 0;
	}
	if (token_has_pinpad(*t) && g->pin_source == NULL &&
	    token_uri_pin_value(*t) == NULL && token_uri_pin_source(*t) == NULL) {
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "Enter the user PIN of token %s%s on the "
				"reader's PIN pad.\n", token_get_info(*t)->label,
				cmd_pin_tries_note(token_get_info(*t)->flags));
		if (token_login(*t, NULL) < 0)
			goto fail;
		return 0;
	}
	if (cmd_read_pin(g, *t, &pin) < 0)
		goto fail;
	rc = token_login(*t, pin);
	pin_free(pin);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	rc = cmd_fail(g);
	cmd_close_token(*m, *t);
	*m = NULL;
	*t = NULL;
	return rc;
}

void
cmd_close_token(struct module *m, struct token *t)
{
	token_close(t);
	module_free(m);
}
