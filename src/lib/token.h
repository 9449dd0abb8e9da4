/* SPDX-License-Identifier: MIT */
/* token.h - the PKCS#11 module, token selection, session and lock (the
 * logins are token-login.h's).
 *
 * The module is loaded with dlopen and used through its own function list.
 * A token is opened with a read-write session and an exclusive per-token
 * lock held until token_close().
 */
#ifndef P11E_TOKEN_H
#define P11E_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <p11-kit/pkcs11.h>

#include "token-info.h"
#include "token-object.h"

struct module;
struct token;
struct key_support;

/* Load the module at PATH and initialise it. */
int module_load(const char *path, struct module **out);

/* Finalise (if this process initialised it) and unload; NULL is fine. */
void module_free(struct module *m);

/* Keep the token list from one selection to the next (a batch worker's
 * many tokens): each selection then costs one slot's information, and
 * the list is read again only when a selector finds no token in it or
 * its token has left its slot. */
void module_keep_tokens(struct module *m);

/* Tokens were initialised or changed: a kept list is read again. */
void module_tokens_changed(struct module *m);

/* The module's path as given to module_load(). */
const char *module_path(const struct module *m);

/* The module's function list (for token initialisation and tests). */
CK_FUNCTION_LIST *module_functions(const struct module *m);

/* Every slot with a token present, in slot order. */
int token_list(struct module *m, struct token_info **out, size_t *count);

/* Free what token_list() returned. */
void token_info_free_array(struct token_info *infos, size_t count);

/* What a command does to the token it opens. */
enum token_mode {
	TOKEN_READ,     /* read-only session; a write-protected token is fine */
	TOKEN_WRITE,    /* read-write session; a write-protected token is refused */
};

/* Select one token by SELECTOR (an RFC 7512 URI, or a bare label as
 * shorthand for pkcs11:token=LABEL; NULL selects the only token present),
 * take its lock in LOCK_DIR and open a read-write session. Zero or several
 * matches is an error listing the candidates. */
int token_open(struct module *m, const char *selector, const char *lock_dir,
	       struct token **out);

/* token_open() for MODE: a write-protected token is refused for
 * TOKEN_WRITE before any session or login. */
int token_open_mode(struct module *m, const char *selector, const char *lock_dir,
		    enum token_mode mode, struct token **out);

/* The token SELECTOR picks (as token_open() picks it, initialised or
 * not), without opening it; the selector URI's pin-value and pin-source
 * go to *PIN_VALUE and *PIN_SOURCE when those are not NULL. */
int token_select(struct module *m, const char *selector, struct token_info *out,
		 char **pin_value, char **pin_source);

/* Initialise the blank token SELECTOR picks with LABEL and the security
 * officer PIN SO_PIN; a token already initialised is refused, since
 * initialising wipes it, and so is LABEL when another token has it. *OUT
 * is the token as it is afterwards (a module may move it to another
 * slot). */
int token_init(struct module *m, const char *selector, const char *label,
	       const char *so_pin, struct token_info *out);

/* Set the user PIN of the token INFO names, logged in as its security
 * officer with SO_PIN. */
int token_init_user_pin(struct module *m, const struct token_info *info,
			const char *so_pin, const char *user_pin);

/* Log out, close the session, release the lock; NULL is fine. */
void token_close(struct token *t);

/* The selected token's description (flags as of the last refresh). */
const struct token_info *token_get_info(const struct token *t);

/* The state directory (statedir.h) for what T cannot keep as data
 * objects; NULL: none. Only the path: it is opened when needed. */
int token_set_state_dir(struct token *t, const char *path);
const char *token_state_dir(const struct token *t);

/* Whether the CA certificates that issue a role's certificate are kept
 * on T beside it (chainstore.h): yes unless set otherwise, for a card
 * with little room. */
void token_set_keep_chain(struct token *t, bool keep);
bool token_keep_chain(const struct token *t);

/* pin-value and pin-source from the selecting URI, or NULL. */
const char *token_uri_pin_value(const struct token *t);
const char *token_uri_pin_source(const struct token *t);

/* Whether the token needs a user login, and whether it has a PIN pad. */
bool token_needs_login(const struct token *t);
bool token_has_pinpad(const struct token *t);

/* The function list and the read-write session, for the object layers. */
CK_FUNCTION_LIST *token_fn(const struct token *t);
CK_SESSION_HANDLE token_session(const struct token *t);

/* Set one attribute. */
int token_set_attr(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
		   const void *value, size_t len);

/* Set the N attributes of TMPL in one C_SetAttributeValue: one write
 * where a module stores an object as a whole (SoftHSM rewrites its
 * file for every call). The module takes all of them or none. */
int token_set_attrs(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *tmpl,
		    CK_ULONG n);

/* Destroy one object, logged in as whoever writes on T (token-login.h). */
int token_destroy(struct token *t, CK_OBJECT_HANDLE h);

/* What the open token T can do with the key types of ALGS (1 << enum
 * key_alg each), as keysupport_read() says: asked once, and again only
 * for algorithms not asked about yet. */
int token_key_support(struct token *t, unsigned algs, struct key_support *out);

#endif
