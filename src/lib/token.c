/* SPDX-License-Identifier: MIT */
/* token.c - the PKCS#11 module, token selection, session, login and lock. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "array.h"
#include "ckr.h"
#include "err.h"
#include "module-hint.h"
#include "pin.h"
#include "token.h"
#include "token-index.h"
#include "token-login.h"
#include "token-struct.h"
#include "token-uri.h"
#include "trace.h"
#include "util.h"

struct module {
	char *path;
	void *handle;
	CK_FUNCTION_LIST *fn;
	bool initialised_here;  /* C_Finalize only what we C_Initialize'd */
	/* Why the last token_list() could not read a slot ("" when it read
	 * them all), and how many it could not read. */
	char unreadable[256];
	size_t nunreadable;
	/* With module_keep_tokens(): the token list, read at the first
	 * selection and again only when a selector finds no token in it or
	 * its token has left its slot, or after module_tokens_changed(). */
	bool keep_tokens;
	struct token_info *kept;
	size_t nkept;
	struct token_index *kept_index;
};

int
module_load(const char *path, struct module **out)
{
	CK_C_GetFunctionList get_list;
	CK_C_INITIALIZE_ARGS args;
	struct module *m = NULL;
	CK_RV rv;
	int rc = -1;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL || (m->path = util_strdup(path)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	/* Never unmapped: a module may leave threads or exit handlers
	 * behind, and its code must stay for a leak report to name it. */
	m->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (m->handle == NULL) {
		err_set(ERR_USAGE, "cannot load PKCS#11 module %s: %s", path, dlerror());
		goto out;
	}
	get_list = (CK_C_GetFunctionList)dlsym(m->handle, "C_GetFunctionList");
	if (get_list == NULL) {
		err_set(ERR_USAGE, "%s is not a PKCS#11 module (no C_GetFunctionList)", path);
		goto out;
	}
	rv = get_list(&m->fn);
	if (rv != CKR_OK) {
		err_ckr(rv, "module %s: C_GetFunctionList", path);
		goto out;
	}
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = m->fn->C_Initialize(&args);
	if (rv == CKR_OK)
		m->initialised_here = true;
	else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		/* A module that cannot start is the set-up's fault, not a
		 * failed operation: exit 2, with what to check. */
		err_set(ERR_USAGE, "module %s: C_Initialize: %s (%s); %s", path,
			ckr_name(rv), ckr_sentence(rv), module_hint(path, rv));
		goto out;
	}
	*out = m;
	m = NULL;
	rc = 0;
	trace_mark("load module", NULL);
out:
	module_free(m);
	return rc;
}

void
module_keep_tokens(struct module *m)
{
	m->keep_tokens = true;
}

void
module_tokens_changed(struct module *m)
{
	token_index_free(m->kept_index);
	token_info_free_array(m->kept, m->nkept);
	m->kept_index = NULL;
	m->kept = NULL;
	m->nkept = 0;
}

void
module_free(struct module *m)
{
	if (m == NULL)
		return;
	module_tokens_changed(m);
	if (m->fn != NULL && m->initialised_here)
		m->fn->C_Finalize(NULL);
	if (m->handle != NULL)
		dlclose(m->handle);
	free(m->path);
	free(m);
}

const char *
module_path(const struct module *m)
{
	return m->path;
}

CK_FUNCTION_LIST *
module_functions(const struct module *m)
{
	return m->fn;
}

/* INFO's strings for the terminal, from its raw ones. */
static void
token_info_show(struct token_info *info)
{
	const struct token_strings *r = &info->raw;

	text_shown(r->label, info->label, sizeof(info->label));
	text_shown(r->manufacturer, info->manufacturer, sizeof(info->manufacturer));
	text_shown(r->model, info->model, sizeof(info->model));
	text_shown(r->serial, info->serial, sizeof(info->serial));
	text_shown(r->slot_description, info->slot_description,
		   sizeof(info->slot_description));
}

/* Fill INFO from the token in SLOT, with the URI that names it. */
static int
token_describe(struct module *m, CK_SLOT_ID slot, struct token_info *info)
{
	CK_TOKEN_INFO ti;
	CK_SLOT_INFO si;
	P11KitUri *uri = NULL;
	CK_RV rv;
	int rc = -1;

	memset(info, 0, sizeof(*info));
	rv = m->fn->C_GetTokenInfo(slot, &ti);
	if (rv != CKR_OK) {
		err_ckr(rv, "read token information of slot %lu", (unsigned long)slot);
		goto out;
	}
	rv = m->fn->C_GetSlotInfo(slot, &si);
	if (rv != CKR_OK) {
		err_ckr(rv, "read slot information of slot %lu", (unsigned long)slot);
		goto out;
	}
	info->slot = slot;
	util_p11_string(info->raw.label, ti.label, sizeof(ti.label));
	util_p11_string(info->raw.manufacturer, ti.manufacturerID,
			sizeof(ti.manufacturerID));
	util_p11_string(info->raw.model, ti.model, sizeof(ti.model));
	util_p11_string(info->raw.serial, ti.serialNumber, sizeof(ti.serialNumber));
	util_p11_string(info->raw.slot_description, si.slotDescription,
			sizeof(si.slotDescription));
	token_info_show(info);
	info->flags = ti.flags;
	info->token_info = ti;
	info->slot_info = si;
	uri = p11_kit_uri_new();
	if (uri == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	memcpy(p11_kit_uri_get_token_info(uri), &ti, sizeof(ti));
	if (p11_kit_uri_format(uri, P11_KIT_URI_FOR_TOKEN, &info->uri) != P11_KIT_URI_OK) {
		err_set(ERR_FAILED, "cannot format the URI of slot %lu", (unsigned long)slot);
		goto out;
	}
	rc = 0;
out:
	p11_kit_uri_free(uri);
	return rc;
}

int
token_list(struct module *m, struct token_info **out, size_t *count)
{
	struct token_info *infos = NULL;
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, i;
	size_t filled = 0, unreadable = 0;
	CK_RV rv;
	int rc = -1;

	*out = NULL;
	*count = 0;
	m->unreadable[0] = '\0';
	m->nunreadable = 0;
	rv = m->fn->C_GetSlotList(CK_TRUE, NULL, &n);
	if (rv != CKR_OK) {
		err_ckr(rv, "list slots of %s", m->path);
		goto out;
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}
	slots = calloc(n, sizeof(*slots));
	infos = calloc(n, sizeof(*infos));
	if (slots == NULL || infos == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	rv = m->fn->C_GetSlotList(CK_TRUE, slots, &n);
	if (rv != CKR_OK) {
		err_ckr(rv, "list slots of %s", m->path);
		goto out;
	}
	for (i = 0; i < n; i++) {
		/* A token pulled out between the two calls is simply not
		 * listed, nor one this process cannot read just now (SoftHSM
		 * fails to read a token that another process is rewriting, and
		 * then gives up on it): it may not be the one wanted. Only
		 * when no token at all can be read is that an error. */
		if (token_describe(m, slots[i], &infos[filled]) < 0) {
			if (unreadable++ == 0)
				snprintf(m->unreadable, sizeof(m->unreadable),
					 "%s", err_message());
			continue;
		}
		filled++;
	}
	m->nunreadable = unreadable;
	if (filled == 0 && unreadable > 0)
		goto out;
	*out = infos;
	*count = filled;
	infos = NULL;
	rc = 0;
out:
	token_info_free_array(infos, filled);
	free(slots);
	return rc;
}

void
token_info_free_array(struct token_info *infos, size_t count)
{
	size_t i;

	if (infos == NULL)
		return;
	for (i = 0; i < count; i++)
		free(infos[i].uri);
	free(infos);
}

/* "LABEL (serial S, URI)" for each candidate, for messages. */
static void
token_candidates(const struct token_info *infos, const bool *chosen, size_t n,
		 char *buf, size_t size)
{
	size_t i, used = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < n && used < size; i++) {
		if (chosen != NULL && !chosen[i])
			continue;
		w = snprintf(buf + used, size - used, "\n  %s", infos[i].uri);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* Take the per-token lock: one process at a time per token. */
static int
token_lock(struct token *t, const char *lock_dir)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	char key[200], path[4096], holder[32];
	unsigned int dlen = 0;
	char *hex = NULL;
	ssize_t n;
	int fd = -1, rc = -1;

	snprintf(key, sizeof(key), "%s\n%s\n%s", t->info.raw.manufacturer,
		 t->info.raw.model, t->info.raw.serial);
	if (!EVP_Digest(key, strlen(key), digest, &dlen, EVP_sha256(), NULL) ||
	    (hex = util_hex(digest, 12)) == NULL) {
		err_set(ERR_FAILED, "cannot name the lock of token %s", t->info.label);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/p11enroll-%s.lock", lock_dir, hex);
	/* A lock file somebody else made is a lock they could hold forever,
	 * with a holder text of their choosing: only a private file of this
	 * user's is taken. */
	if (util_open_private(path, O_RDWR, true, &fd) < 0) {
		err_set(ERR_FAILED, "token %s: lock file %s: %s", t->info.label,
			path, err_message());
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			err_set(ERR_FAILED, "cannot lock token %s (%s): %s",
				t->info.label, path, strerror(errno));
			goto out;
		}
		/* The holder's pid, as the holder wrote it: digits only. */
		n = pread(fd, holder, sizeof(holder) - 1, 0);
		holder[n > 0 ? n : 0] = '\0';
		holder[strspn(holder, "0123456789")] = '\0';
		err_set(ERR_FAILED, "token %s (serial %s) is in use by another "
			"p11enroll process%s%s%s; try again when it has finished",
			t->info.label, t->info.serial, holder[0] ? " (pid " : "",
			holder, holder[0] ? ")" : "");
		err_tag(ERR_CODE_TOKEN_BUSY);
		goto out;
	}
	n = snprintf(holder, sizeof(holder), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, holder, (size_t)n, 0) != n) {
		err_set(ERR_FAILED, "cannot write lock file %s: %s", path, strerror(errno));
		goto out;
	}
	t->lock_fd = fd;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(hex);
	return rc;
}

/* The kept list's one token that URI picks, as its slot describes it
 * now: 1, with *OUT filled; 0 when the list must be read again (no token
 * or several match, or the slot holds another token now). */
static int
token_select_kept(struct module *m, P11KitUri *uri, struct token_info *out)
{
	const struct token_info *kept;
	size_t pick = 0;

	memset(out, 0, sizeof(*out));
	if (m->kept_index == NULL) {
		if (token_list(m, &m->kept, &m->nkept) < 0)
			return -1;
		if (token_index_new(m->kept, m->nkept, &m->kept_index) < 0) {
			module_tokens_changed(m);
			return -1;
		}
	}
	if (token_index_find(m->kept_index, uri, &pick) != 1)
		return 0;
	kept = &m->kept[pick];
	/* One slot's information: its flags as they are now, and proof that
	 * the token is still the one listed. */
	if (token_describe(m, kept->slot, out) < 0) {
		err_clear();
		return 0;
	}
	if (!token_info_matches(uri, out) ||
	    strcmp(out->raw.serial, kept->raw.serial) != 0) {
		free(out->uri);
		memset(out, 0, sizeof(*out));
		return 0;
	}
	return 1;
}

/* Keep INFOS (N tokens just listed) as the module's list, when it keeps
 * one and has none; *INFOS is then NULL. */
static void
token_keep_list(struct module *m, struct token_info **infos, size_t n)
{
	struct token_index *idx = NULL;

	if (!m->keep_tokens || m->kept_index != NULL || *infos == NULL)
		return;
	module_tokens_changed(m);
	if (token_index_new(*infos, n, &idx) < 0) {
		err_clear();
		return;
	}
	m->kept = *infos;
	m->nkept = n;
	m->kept_index = idx;
	*infos = NULL;
}

int
token_select(struct module *m, const char *selector, struct token_info *out,
	     char **pin_value, char **pin_source)
{
	struct token_info *infos = NULL;
	P11KitUri *uri = NULL;
	bool *chosen = NULL;
	size_t n = 0, i, matches = 0, pick = 0;
	char list[2048], *shown = NULL;
	const char *value, *source;
	int found, rc = -1;

	memset(out, 0, sizeof(*out));
	if (pin_value != NULL)
		*pin_value = NULL;
	if (pin_source != NULL)
		*pin_source = NULL;
	if (token_uri_parse(selector, &uri) < 0 ||
	    token_uri_printable(selector, &shown) < 0)
		goto out;
	if (m->keep_tokens && selector != NULL) {
		if ((found = token_select_kept(m, uri, out)) < 0)
			goto out;
		if (found == 1)
			goto picked;
		module_tokens_changed(m);
	}
	if (token_list(m, &infos, &n) < 0)
		goto out;
	if (n == 0) {
		err_set(ERR_FAILED, "no token is present in %s", m->path);
		err_tag(ERR_CODE_TOKEN_NOT_FOUND);
		goto out;
	}
	if ((chosen = calloc(n, sizeof(*chosen))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	/* Without a selector, a blank token is no choice: nothing but
	 * init-token can use it. */
	for (i = 0; i < n; i++) {
		chosen[i] = token_info_matches(uri, &infos[i]) &&
		    (selector != NULL || (infos[i].flags & CKF_TOKEN_INITIALIZED));
		if (chosen[i]) {
			matches++;
			pick = i;
		}
	}
	if (matches != 1) {
		token_candidates(infos, matches ? chosen : NULL, n, list, sizeof(list));
		if (matches == 0 && m->nunreadable > 0)
			/* The token wanted may be the one that could not be
			 * read: say why. */
			err_set(ERR_FAILED, "no token matches '%s', and %zu slot%s "
				"could not be read (%s); tokens present:%s",
				shown, m->nunreadable,
				m->nunreadable == 1 ? "" : "s", m->unreadable, list);
		else if (matches == 0 && selector == NULL)
			err_set(ERR_FAILED, "no initialised token is present (p11enroll "
				"init-token initialises one); tokens present:%s",
				list);
		else if (matches == 0)
			err_set(ERR_FAILED, "no token matches '%s'; tokens present:%s",
				shown, list);
		else if (selector == NULL)
			err_set(ERR_FAILED, "%zu tokens are present; choose one with "
				"--token (by label, serial or URI):%s", matches, list);
		else
			err_set(ERR_FAILED, "'%s' matches %zu tokens; choose one "
				"with --token (by serial or URI):%s", shown, matches,
				list);
		err_tag(matches == 0 ? ERR_CODE_TOKEN_NOT_FOUND :
			ERR_CODE_TOKEN_AMBIGUOUS);
		goto out;
	}
	*out = infos[pick];
	infos[pick].uri = NULL;
picked:
	value = p11_kit_uri_get_pin_value(uri);
	source = p11_kit_uri_get_pin_source(uri);
	if ((pin_value != NULL && value != NULL &&
	     (*pin_value = util_strdup(value)) == NULL) ||
	    (pin_source != NULL && source != NULL &&
	     (*pin_source = util_strdup(source)) == NULL))
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		free(out->uri);
		memset(out, 0, sizeof(*out));
	}
	if (rc < 0 && pin_value != NULL) {
		pin_free(*pin_value);
		*pin_value = NULL;
	}
	if (rc < 0 && pin_source != NULL) {
		free(*pin_source);
		*pin_source = NULL;
	}
	free(chosen);
	free(shown);
	token_keep_list(m, &infos, n);
	token_info_free_array(infos, n);
	token_uri_free(uri);
	return rc;
}

int
token_open(struct module *m, const char *selector, const char *lock_dir,
	   struct token **out)
{
	return token_open_mode(m, selector, lock_dir, TOKEN_WRITE, out);
}

int
token_open_mode(struct module *m, const char *selector, const char *lock_dir,
		enum token_mode mode, struct token **out)
{
	CK_FLAGS session_flags = CKF_SERIAL_SESSION;
	struct token *t = NULL;
	CK_RV rv;
	int rc = -1;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	t->lock_fd = -1;
	t->module = m;
	t->fn = m->fn;
	if (token_select(m, selector, &t->info, &t->pin_value, &t->pin_source) < 0)
		goto out;
	if (!(t->info.flags & CKF_TOKEN_INITIALIZED)) {
		err_set(ERR_FAILED, "the token in slot %lu is not initialised; "
			"initialise it first", (unsigned long)t->info.slot);
		goto out;
	}
	if (mode == TOKEN_WRITE && (t->info.flags & CKF_WRITE_PROTECTED)) {
		err_set(ERR_FAILED, "token %s is write-protected: no key or "
			"certificate can be written to it, so nothing was tried "
			"(no login)", t->info.label);
		goto out;
	}
	if (token_lock(t, lock_dir) < 0)
		goto out;
	if (mode == TOKEN_WRITE)
		session_flags |= CKF_RW_SESSION;
	rv = m->fn->C_OpenSession(t->info.slot, session_flags, NULL, NULL, &t->session);
	if (rv != CKR_OK) {
		err_ckr(rv, "open a %s session on token %s",
			mode == TOKEN_WRITE ? "read-write" : "read-only", t->info.label);
		goto out;
	}
	t->has_session = true;
	*out = t;
	t = NULL;
	rc = 0;
	trace_mark("open token", NULL);
out:
	token_close(t);
	return rc;
}

void
token_close(struct token *t)
{
	if (t == NULL)
		return;
	token_login_clear(t);
	if (t->has_session)
		t->fn->C_CloseSession(t->session);
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	pin_free(t->pin_value);
	free(t->pin_source);
	free(t->state_dir);
	free(t->info.uri);
	free(t);
}

int
token_set_state_dir(struct token *t, const char *path)
{
	char *copy = NULL;

	if (path != NULL && (copy = util_strdup(path)) == NULL)
		return -1;
	free(t->state_dir);
	t->state_dir = copy;
	return 0;
}

void
token_set_keep_chain(struct token *t, bool keep)
{
	t->no_chain = !keep;
}

bool
token_keep_chain(const struct token *t)
{
	return !t->no_chain;
}

const char *
token_state_dir(const struct token *t)
{
	return t->state_dir;
}

const struct token_info *
token_get_info(const struct token *t)
{
	return &t->info;
}

const char *
token_uri_pin_value(const struct token *t)
{
	return t->pin_value;
}

const char *
token_uri_pin_source(const struct token *t)
{
	return t->pin_source;
}

bool
token_needs_login(const struct token *t)
{
	return (t->info.flags & CKF_LOGIN_REQUIRED) != 0;
}

bool
token_has_pinpad(const struct token *t)
{
	return (t->info.flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
}

CK_FUNCTION_LIST *
token_fn(const struct token *t)
{
	return t->fn;
}

CK_SESSION_HANDLE
token_session(const struct token *t)
{
	return t->session;
}

int
token_set_attr(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
	       const void *value, size_t len)
{
	CK_ATTRIBUTE attr = { type, (void *)value, len };

	return token_set_attrs(t, h, &attr, 1);
}

int
token_set_attrs(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *tmpl,
		CK_ULONG n)
{
	CK_RV rv;

	h = token_handle(t, h);
	rv = t->fn->C_SetAttributeValue(t->session, h, tmpl, n);
	if (rv == CKR_OK)
		return 0;
	if (n == 1)
		return err_ckr(rv, "change attribute 0x%lx of object %lu on token %s",
			       (unsigned long)tmpl[0].type, (unsigned long)h,
			       t->info.label);
	return err_ckr(rv, "change attributes 0x%lx and %lu more of object %lu "
		       "on token %s", (unsigned long)tmpl[0].type,
		       (unsigned long)(n - 1), (unsigned long)h, t->info.label);
}

int
token_destroy(struct token *t, CK_OBJECT_HANDLE h)
{
	CK_RV rv;
	int again;

	if (token_login_for_write(t) < 0)
		return -1;
	rv = t->fn->C_DestroyObject(t->session, token_handle(t, h));
	if ((again = token_login_retry_write(t, rv, "C_DestroyObject")) < 0)
		return -1;
	if (again)
		rv = t->fn->C_DestroyObject(t->session, token_handle(t, h));
	if (rv != CKR_OK)
		return err_ckr(rv, "delete object %lu on token %s", (unsigned long)h,
			       t->info.label);
	return 0;
}

int
token_key_support(struct token *t, unsigned algs, struct key_support *out)
{
	if (t->support_algs == 0 || (t->support_algs & algs) != algs) {
		if (keysupport_read(t->fn, t->info.slot, t->support_algs | algs,
				    &t->support) < 0) {
			t->support_algs = 0;
			return -1;
		}
		t->support_algs |= algs;
	}
	*out = t->support;
	return 0;
}
