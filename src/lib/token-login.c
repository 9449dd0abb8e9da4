/* SPDX-License-Identifier: MIT */
/* token-login.c - who is logged in to an open token: the user, and the
 * security officer where the token wants it for writes. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "ckr.h"
#include "err.h"
#include "pin.h"
#include "token-login.h"
#include "token-object.h"
#include "token-struct.h"
#include "trace.h"
#include "util.h"

/* What the token's flags say of one PIN's tries, and how it is named. */
struct token_login_pin {
	CK_USER_TYPE type;
	const char *name;               /* in messages */
	const char *as;                 /* after "log in to token T" */
	CK_FLAGS locked, final_try, count_low;
	const char *unlock;             /* after "locked" */
};

static const struct token_login_pin token_login_pins[] = {
	[TOKEN_USER] = { CKU_USER, "user PIN", "", CKF_USER_PIN_LOCKED,
			 CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_COUNT_LOW,
			 "; unlock it with the SO PIN" },
	[TOKEN_SO] = { CKU_SO, "security officer PIN", " as its security officer",
		       CKF_SO_PIN_LOCKED, CKF_SO_PIN_FINAL_TRY, CKF_SO_PIN_COUNT_LOW,
		       "; only the token's own tool can reset it" },
};

int
token_refresh(struct token *t)
{
	CK_TOKEN_INFO ti;
	CK_RV rv;

	rv = t->fn->C_GetTokenInfo(t->info.slot, &ti);
	if (rv != CKR_OK)
		return err_ckr(rv, "read the state of token %s", t->info.label);
	t->info.flags = ti.flags;
	return 0;
}

/* Refuse a login with K that cannot succeed or would spend the last try. */
static int
token_login_allowed(struct token *t, const struct token_login_pin *k)
{
	const char *label = t->info.label;

	if (token_refresh(t) < 0)
		return -1;
	if (k->type == CKU_USER && !(t->info.flags & CKF_USER_PIN_INITIALIZED))
		return err_set(ERR_FAILED, "token %s has no user PIN yet; "
			       "initialise the token first", label);
	if (t->info.flags & k->locked)
		return err_set(ERR_FAILED, "the %s of token %s is locked%s (no "
			       "login was tried)", k->name, label, k->unlock);
	if (t->info.flags & k->final_try)
		return err_set(ERR_FAILED, "the %s of token %s has one try "
			       "left; p11enroll will not spend it (no login was "
			       "tried)", k->name, label);
	return 0;
}

/* What the token says of K's tries left after a wrong PIN, after the
 * recorded error: the error stays whatever the token answers. */
static void
token_login_tries_left(struct token *t, const struct token_login_pin *k)
{
	struct err_saved wrong;
	CK_FLAGS f;

	err_save(&wrong);
	f = token_refresh(t) == 0 ? t->info.flags : 0;
	err_restore(&wrong);
	if (f & k->locked)
		err_append("the PIN is now locked%s", k->unlock);
	else if (f & k->final_try)
		err_append("one try is left, which p11enroll will not spend; "
			   "not retried");
	else if (f & k->count_low)
		err_append("the token says few tries are left; not retried");
	else
		err_append("not retried");
}

/* One C_Login as WHO with PIN (NULL: on the PIN pad). */
static int
token_login_as(struct token *t, enum token_who who, const char *pin)
{
	const struct token_login_pin *k = &token_login_pins[who];
	CK_RV rv;

	if (who == TOKEN_SO && t->so_refused)
		return err_set(ERR_FAILED, "the security officer PIN of token %s "
			       "failed before in this run; not tried again",
			       t->info.label);
	if (token_login_allowed(t, k) < 0)
		goto refused;
	if (pin == NULL && !(t->info.flags & CKF_PROTECTED_AUTHENTICATION_PATH))
		return err_set(ERR_USAGE, "token %s needs a PIN", t->info.label);
	rv = t->fn->C_Login(t->session, k->type, (CK_UTF8CHAR_PTR)pin,
			    pin ? strlen(pin) : 0);
	if (rv == CKR_USER_ALREADY_LOGGED_IN)
		rv = CKR_OK;
	if (rv != CKR_OK) {
		err_ckr(rv, "log in to token %s%s", t->info.label, k->as);
		if (rv == CKR_PIN_INCORRECT)
			token_login_tries_left(t, k);
		goto refused;
	}
	t->who = who;
	return 0;
refused:
	/* A PIN is never tried twice, nor one the token will not take. */
	if (who == TOKEN_SO)
		t->so_refused = true;
	return -1;
}

/* A private object as it is told apart across a change of login: its
 * class, CKA_ID, CKA_LABEL and CKA_APPLICATION, each after its length. */
struct token_login_seen {
	CK_OBJECT_HANDLE h;
	unsigned char *what;
	size_t len;
};

static void
token_login_seen_free(struct token_login_seen *s, size_t n)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		free(s[i].what);
	free(s);
}

/* What tells object H apart, into S. */
static int
token_login_identify(struct token *t, CK_OBJECT_HANDLE h, struct token_login_seen *s)
{
	static const CK_ATTRIBUTE_TYPE types[] = {
		CKA_CLASS, CKA_ID, CKA_LABEL, CKA_APPLICATION,
	};
	unsigned char *value = NULL, *grown;
	size_t i, len = 0;

	s->h = h;
	for (i = 0; i < NELEM(types); i++) {
		if (token_get_attr(t, h, types[i], &value, &len) < 0)
			return -1;
		grown = realloc(s->what, s->len + sizeof(len) + len);
		if (grown == NULL) {
			free(value);
			return err_set(ERR_FAILED, "out of memory");
		}
		s->what = grown;
		memcpy(s->what + s->len, &len, sizeof(len));
		if (len > 0)
			memcpy(s->what + s->len + sizeof(len), value, len);
		s->len += sizeof(len) + len;
		free(value);
		value = NULL;
	}
	return 0;
}

/* Every private object the session sees now, told apart. */
static int
token_login_look(struct token *t, struct token_login_seen **out, size_t *count)
{
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = { { CKA_PRIVATE, &yes, sizeof(yes) } };
	struct token_login_seen *seen = NULL;
	CK_OBJECT_HANDLE *h = NULL;
	size_t i, n = 0;
	int rc = -1;

	*out = NULL;
	*count = 0;
	if (token_find(t, tmpl, 1, &h, &n) < 0)
		goto out;
	if ((seen = calloc(n + 1, sizeof(*seen))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (token_login_identify(t, h[i], &seen[i]) < 0)
			goto out;
	*out = seen;
	*count = n;
	seen = NULL;
	rc = 0;
out:
	token_login_seen_free(seen, n);
	free(h);
	return rc;
}

/* The handle after a change of login of the object S before it: the one
 * object in AFTER that looks the same, else CK_INVALID_HANDLE. */
static CK_OBJECT_HANDLE
token_login_match(const struct token_login_seen *s,
		  const struct token_login_seen *after, size_t nafter)
{
	CK_OBJECT_HANDLE found = CK_INVALID_HANDLE;
	size_t i, matches = 0;

	for (i = 0; i < nafter; i++)
		if (after[i].len == s->len && memcmp(after[i].what, s->what, s->len) == 0) {
			found = after[i].h;
			matches++;
		}
	return matches == 1 ? found : CK_INVALID_HANDLE;
}

/* Whether a handle held before some change of login is FROM. */
static bool
token_login_moved(const struct token *t, CK_OBJECT_HANDLE from)
{
	size_t i;

	for (i = 0; i < t->nmoved; i++)
		if (t->moved[i].from == from)
			return true;
	return false;
}

/* The handles of the private objects BEFORE a change of login follow
 * them to their handles in AFTER, for token_handle(). */
static int
token_login_follow(struct token *t, const struct token_login_seen *before,
		   size_t nbefore, const struct token_login_seen *after,
		   size_t nafter)
{
	struct token_moved *grown;
	CK_OBJECT_HANDLE to;
	size_t i, m, nold = t->nmoved;

	for (m = 0; m < nold; m++)
		for (i = 0; i < nbefore; i++)
			if (t->moved[m].to == before[i].h) {
				t->moved[m].to = token_login_match(&before[i], after,
								   nafter);
				break;
			}
	for (i = 0; i < nbefore; i++) {
		to = token_login_match(&before[i], after, nafter);
		if (to == before[i].h || token_login_moved(t, before[i].h))
			continue;
		grown = array_grow(t->moved, &t->moved_cap, t->nmoved + 1,
				   sizeof(*grown));
		if (grown == NULL)
			return -1;
		t->moved = grown;
		t->moved[t->nmoved].from = before[i].h;
		t->moved[t->nmoved].to = to;
		t->nmoved++;
	}
	return 0;
}

/* Log out whoever is logged in, then log in as WHO (TOKEN_NOBODY: only
 * log out). The user logs back in with the PIN kept for it. The private
 * objects are looked at on both sides of the change, so that handles
 * held across it still name them (token_handle()). */
static int
token_login_switch(struct token *t, enum token_who who)
{
	struct token_login_seen *before = NULL, *after = NULL;
	size_t nbefore = 0, nafter = 0;
	bool looked = false;
	CK_RV rv;
	int rc = -1;

	if (t->who == who)
		return 0;
	if (t->who != TOKEN_NOBODY) {
		if (token_login_look(t, &before, &nbefore) < 0)
			goto out;
		looked = true;
		rv = t->fn->C_Logout(t->session);
		if (rv != CKR_OK && rv != CKR_USER_NOT_LOGGED_IN) {
			err_ckr(rv, "log out of token %s", t->info.label);
			goto out;
		}
		t->who = TOKEN_NOBODY;
	} else if (t->unfollowed != NULL) {
		/* An earlier login failed after its log-out: the handles held
		 * from before it are followed from what was seen then. */
		before = t->unfollowed;
		nbefore = t->nunfollowed;
		t->unfollowed = NULL;
		t->nunfollowed = 0;
		looked = true;
	}
	if ((who == TOKEN_SO && token_login_as(t, TOKEN_SO, t->so_pin) < 0) ||
	    (who == TOKEN_USER && token_login_as(t, TOKEN_USER, t->user_pin) < 0)) {
		/* Nobody is logged in now; a clean-up may log in yet. */
		if (looked) {
			t->unfollowed = before;
			t->nunfollowed = nbefore;
			before = NULL;
			nbefore = 0;
		}
		goto out;
	}
	if (looked && (token_login_look(t, &after, &nafter) < 0 ||
		       token_login_follow(t, before, nbefore, after, nafter) < 0))
		goto out;
	rc = 0;
out:
	token_login_seen_free(before, nbefore);
	token_login_seen_free(after, nafter);
	return rc;
}

int
token_login_set_so_pin(struct token *t, const char *so_pin)
{
	char *copy;

	if (t->who != TOKEN_NOBODY)
		return err_set(ERR_FAILED, "the security officer PIN of token %s "
			       "came after the login", t->info.label);
	if ((copy = strdup(so_pin)) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	pin_free(t->so_pin);
	t->so_pin = copy;
	return 0;
}

int
token_login(struct token *t, const char *pin)
{
	char *keep = NULL;

	/* The user PIN is kept only where the SO may log in in its place:
	 * the user then logs back in to sign. */
	if (t->so_pin != NULL && pin != NULL && (keep = strdup(pin)) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	if (token_login_as(t, TOKEN_USER, pin) < 0) {
		pin_free(keep);
		return -1;
	}
	pin_free(t->user_pin);
	t->user_pin = keep;
	t->user_pinpad = pin == NULL;
	trace_mark("log in", NULL);
	return 0;
}

int
token_login_require_so(struct token *t, const char *role)
{
	if (t->so_pin == NULL)
		return err_set(ERR_USAGE, "role %s: its profile says token %s needs "
			       "its security officer for writing ([key] "
			       "write_login = so); give the security officer PIN "
			       "with --so-pin-source", role, t->info.label);
	t->so_writes = true;
	return 0;
}

int
token_login_for_write(struct token *t)
{
	if (!t->so_writes)
		return 0;
	/* Said in full by token_login_retry_write() already: no write is
	 * tried again without the SO. */
	if (t->so_pin == NULL)
		return err_set(ERR_USAGE, "token %s needs its security officer "
			       "for writing; give the security officer PIN with "
			       "--so-pin-source", t->info.label);
	return token_login_switch(t, TOKEN_SO);
}

int
token_login_for_sign(struct token *t)
{
	if (t->who != TOKEN_SO)
		return 0;
	/* Back to the user, or to nobody where the user never logged in
	 * (a token that needs no login). */
	return token_login_switch(t, t->user_pin != NULL || t->user_pinpad ?
				  TOKEN_USER : TOKEN_NOBODY);
}

int
token_login_retry_write(struct token *t, CK_RV rv, const char *call)
{
	/* ykcs11 answers CKR_USER_NOT_LOGGED_IN to a key generation and
	 * CKR_USER_TYPE_INVALID to an object write without its SO. */
	if ((rv != CKR_USER_NOT_LOGGED_IN && rv != CKR_USER_TYPE_INVALID) ||
	    t->who != TOKEN_USER)
		return 0;
	t->so_writes = true;
	if (t->so_pin == NULL)
		return err_set(ERR_USAGE, "token %s needs its security officer for "
			       "writing: %s answered %s with the user logged in; "
			       "give the security officer PIN with --so-pin-source",
			       t->info.label, call, ckr_name(rv));
	if (token_login_switch(t, TOKEN_SO) < 0)
		return -1;
	return 1;
}

void
token_login_clear(struct token *t)
{
	if (t->who != TOKEN_NOBODY && t->has_session)
		(void)t->fn->C_Logout(t->session);
	t->who = TOKEN_NOBODY;
	pin_free(t->user_pin);
	pin_free(t->so_pin);
	t->user_pin = t->so_pin = NULL;
	free(t->moved);
	t->moved = NULL;
	t->nmoved = t->moved_cap = 0;
	token_login_seen_free(t->unfollowed, t->nunfollowed);
	t->unfollowed = NULL;
	t->nunfollowed = 0;
}
