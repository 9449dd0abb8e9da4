/* SPDX-License-Identifier: MIT */
/* token-struct.h - what an open token holds. Only token.c and
 * token-login.c see inside; for everyone else struct token is opaque
 * (token.h). */
#ifndef P11E_TOKEN_STRUCT_H
#define P11E_TOKEN_STRUCT_H

#include <stdbool.h>
#include <p11-kit/pkcs11.h>

#include "keysupport.h"
#include "token-info.h"

struct module;
struct token_login_seen;

/* A handle this process held before a change of login, and the one its
 * object has since (token_handle()). */
struct token_moved {
	CK_OBJECT_HANDLE from, to;
};

/* Who is logged in on the token's session. */
enum token_who { TOKEN_NOBODY, TOKEN_USER, TOKEN_SO };

struct token {
	struct module *module;  /* borrowed */
	CK_FUNCTION_LIST *fn;   /* the module's */
	struct token_info info;
	CK_SESSION_HANDLE session;
	bool has_session;
	int lock_fd;
	char *pin_value;        /* from the URI; wiped on close */
	char *pin_source;
	bool no_chain;          /* the issuing CA certificates are not
				 * kept on the token (chainstore.h) */
	char *state_dir;        /* for what a token without data objects
				 * cannot keep; NULL: none */
	struct key_support support;     /* token_key_support()'s answer */
	unsigned support_algs;          /* for these algorithms; 0: none */

	/* The logins (token-login.c). */
	enum token_who who;
	bool user_pinpad;       /* the user logged in on the PIN pad */
	char *user_pin;         /* kept only beside an SO PIN, to log the
				 * user back in to sign; wiped on close */
	char *so_pin;           /* wiped on close */
	bool so_writes;         /* writes go as the SO: a profile said so,
				 * or the token refused one to the user */
	bool so_refused;        /* the SO PIN failed once: never again */
	struct token_moved *moved;      /* the private objects' handles */
	size_t nmoved, moved_cap;       /* that changed with a login */
	struct token_login_seen *unfollowed;    /* the private objects seen */
	size_t nunfollowed;             /* before a log-out whose login then
					 * failed: followed at the next one */
};

#endif
