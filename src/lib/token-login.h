/* SPDX-License-Identifier: MIT */
/* token-login.h - who is logged in to an open token, and when.
 *
 * The user logs in to sign: requests, and the probes that prove what a
 * key may do. Writes (generating keys, creating and destroying objects)
 * are done by whoever is logged in, unless the token wants its security
 * officer for them, as Yubico's ykcs11 does (the PIV management key): a
 * profile says so ([key] write_login = so), or the token answers a write
 * CKR_USER_NOT_LOGGED_IN while the user is logged in. Then the SO writes
 * and the user signs, and the login changes only when the next operation
 * needs the other one: enroll generates as the SO, signs the request as
 * the user, and writes and labels the certificate as the SO.
 *
 * C_Logout logs every session of the application out, and the handles
 * of session objects may go with it; token objects keep theirs, and only
 * those are used across a change of login.
 */
#ifndef P11E_TOKEN_LOGIN_H
#define P11E_TOKEN_LOGIN_H

#include <p11-kit/pkcs11.h>

struct token;

/* Keep a copy of the security officer PIN SO_PIN for writes that need
 * it; call it before token_login(), which then keeps the user PIN too, to
 * log the user back in after the SO. Both are wiped by token_close(). */
int token_login_set_so_pin(struct token *t, const char *so_pin);

/* Log in as the user. Refuses a locked PIN and a PIN at its final try
 * before calling C_Login; never retries. PIN is NULL for a PIN pad. */
int token_login(struct token *t, const char *pin);

/* Writes on T go as its security officer from now on, because ROLE's
 * profile says so; without an SO PIN, a usage error saying so. */
int token_login_require_so(struct token *t, const char *role);

/* Be logged in as the one who writes on T (the SO once writes need it,
 * else whoever is logged in), before a write. */
int token_login_for_write(struct token *t);

/* Be logged in as the user (or nobody, where the token needs no login),
 * before a signature with a private key. */
int token_login_for_sign(struct token *t);

/* After the write CALL (its function name) answered RV: 1 when the token
 * refused it to the user for want of the SO and the SO is now logged in,
 * so that the call is made once more; 0 when RV stands as the answer; -1
 * when the token wants its SO and no SO PIN was given, or the SO login
 * failed. */
int token_login_retry_write(struct token *t, CK_RV rv, const char *call);

/* Re-read the token's flags (PIN counters, login state). */
int token_refresh(struct token *t);

/* Log out whoever is logged in and wipe the kept PINs (token_close()). */
void token_login_clear(struct token *t);

#endif
