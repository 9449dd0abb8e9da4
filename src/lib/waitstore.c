/* SPDX-License-Identifier: MIT */
/* waitstore.c - a waiting key's request and CA ticket, on the token or in
 * the state directory. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "err.h"
#include "rolestate.h"
#include "util.h"
#include "waitstore.h"

/* The state file kind of each kind of data object. */
static const enum statedir_kind waitstore_kinds[] = {
	[CERTSTORE_REQUEST] = STATEDIR_REQUEST,
	[CERTSTORE_CA_TICKET] = STATEDIR_CA_TICKET,
	[CERTSTORE_RECORD] = STATEDIR_RECORD,
};

/* The kinds that wait beside an awaiting key, as the survey's places
 * are indexed. */
#define WAITSTORE_WAITING_KINDS 2

void
waitstore_item_init(struct waitstore_item *it, enum certstore_data kind)
{
	memset(it, 0, sizeof(*it));
	it->where = WAITSTORE_NONE;
	it->kind = kind;
	it->h = CK_INVALID_HANDLE;
}

/* T's state directory; with CREATE it is made when missing, else a
 * missing one (or none set) leaves *OUT NULL. */
static int
waitstore_dir(struct token *t, bool create, struct statedir **out)
{
	const char *path = token_state_dir(t);

	*out = NULL;
	if (path == NULL && !create)
		return 0;
	if (path == NULL)
		return err_set(ERR_FAILED, "no state directory is set; give "
			       "--state-dir DIR");
	return statedir_open(path, create, out);
}

/* The state file name of IT's kind for its key on T. */
static int
waitstore_name(struct token *t, enum certstore_data kind,
	       const unsigned char *id, size_t id_len, char *buf, size_t size)
{
	return statedir_name(token_get_info(t)->serial, id, id_len,
			     waitstore_kinds[kind], buf, size);
}

/* Write DATA as the state file of KIND for the key ID. */
static int
waitstore_write_file(struct token *t, enum certstore_data kind,
		     const unsigned char *id, size_t id_len,
		     const unsigned char *data, size_t len)
{
	char name[STATEDIR_NAME_MAX];
	struct statedir *d = NULL;
	int rc = -1;

	if (waitstore_name(t, kind, id, id_len, name, sizeof(name)) < 0 ||
	    waitstore_dir(t, true, &d) < 0 ||
	    statedir_write(d, name, data, len) < 0)
		goto out;
	rc = 0;
out:
	statedir_free(d);
	return rc;
}

int
waitstore_write(struct token *t, const char *label, enum certstore_data kind,
		const unsigned char *id, size_t id_len, const unsigned char *data,
		size_t len, struct waitstore_item *out)
{
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;

	waitstore_item_init(out, kind);
	if (certstore_write_data(t, label, kind, data, len, &h) == 0) {
		out->where = WAITSTORE_TOKEN;
		out->h = h;
		return 0;
	}
	/* certstore_write_data() tried a private object after a refused
	 * public one: this answer refuses both. */
	if (!certstore_data_refused(err_last_ckr()))
		return -1;
	err_clear();
	if (id_len > sizeof(out->id))
		return err_set(ERR_FAILED, "the key's CKA_ID is too long");
	if (waitstore_write_file(t, kind, id, id_len, data, len) < 0)
		return err_prefix("token %s keeps no data objects, so the %s '%s' "
				  "goes to the state directory",
				  token_get_info(t)->label, certstore_data_name(kind),
				  label);
	out->where = WAITSTORE_FILE;
	memcpy(out->id, id, id_len);
	out->id_len = id_len;
	return 0;
}

int
waitstore_replace(struct token *t, const struct waitstore_item *it,
		  const unsigned char *data, size_t len)
{
	switch (it->where) {
	case WAITSTORE_TOKEN:
		return token_set_attr(t, it->h, CKA_VALUE, data, len);
	case WAITSTORE_FILE:
		return waitstore_write_file(t, it->kind, it->id, it->id_len, data, len);
	default:
		return err_set(ERR_FAILED, "nothing to replace");
	}
}

/* Whether the state file of KIND for the key ID is there. */
static int
waitstore_file_exists(struct token *t, enum certstore_data kind,
		      const unsigned char *id, size_t id_len, bool *yes)
{
	char name[STATEDIR_NAME_MAX];
	struct statedir *d = NULL;
	int rc = -1;

	*yes = false;
	if (id_len == 0 || id_len > KEY_ID_MAX)
		return 0;
	if (waitstore_dir(t, false, &d) < 0)
		goto out;
	if (d == NULL) {
		rc = 0;
		goto out;
	}
	if (waitstore_name(t, kind, id, id_len, name, sizeof(name)) < 0 ||
	    statedir_exists(d, name, yes) < 0)
		goto out;
	rc = 0;
out:
	statedir_free(d);
	return rc;
}

int
waitstore_find(struct token *t, const char *label, enum certstore_data kind,
	       const unsigned char *id, size_t id_len,
	       struct waitstore_item **out, size_t *count)
{
	struct waitstore_item *items = NULL;
	CK_OBJECT_HANDLE *h = NULL;
	size_t n = 0, i;
	bool file = false;
	int rc = -1;

	*out = NULL;
	*count = 0;
	if (certstore_find_data(t, label, kind, &h, &n) < 0 ||
	    (id != NULL && waitstore_file_exists(t, kind, id, id_len, &file) < 0))
		goto out;
	items = calloc(n + 1, sizeof(*items));
	if (items == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		waitstore_item_init(&items[i], kind);
		items[i].where = WAITSTORE_TOKEN;
		items[i].h = h[i];
	}
	if (file) {
		waitstore_item_init(&items[n], kind);
		items[n].where = WAITSTORE_FILE;
		memcpy(items[n].id, id, id_len);
		items[n].id_len = id_len;
		n++;
	}
	*out = items;
	*count = n;
	items = NULL;
	rc = 0;
out:
	free(items);
	free(h);
	return rc;
}

int
waitstore_read(struct token *t, const struct waitstore_item *it,
	       unsigned char **out, size_t *len)
{
	char name[STATEDIR_NAME_MAX];
	struct statedir *d = NULL;
	int rc = -1, found;

	*out = NULL;
	*len = 0;
	if (it->where == WAITSTORE_TOKEN)
		return token_get_attr(t, it->h, CKA_VALUE, out, len);
	if (it->where != WAITSTORE_FILE)
		return err_set(ERR_FAILED, "nothing to read");
	if (waitstore_name(t, it->kind, it->id, it->id_len, name, sizeof(name)) < 0 ||
	    waitstore_dir(t, false, &d) < 0)
		goto out;
	found = d != NULL ? statedir_read(d, name, out, len) : 0;
	if (found == 0)
		err_set(ERR_FAILED, "the state file %s has gone", name);
	if (found <= 0)
		goto out;
	rc = 0;
out:
	statedir_free(d);
	return rc;
}

/* Delete the state file NAME from D (NULL: no directory, nothing there). */
static int
waitstore_remove_in(struct statedir *d, const char *name)
{
	return d != NULL ? statedir_remove(d, name) : 0;
}

int
waitstore_delete(struct token *t, const struct waitstore_item *it)
{
	char name[STATEDIR_NAME_MAX];
	struct statedir *d = NULL;
	int rc = -1;

	if (it->where == WAITSTORE_TOKEN) {
		if (token_destroy(t, it->h) == 0 ||
		    err_last_ckr() == CKR_OBJECT_HANDLE_INVALID)
			return 0;
		return -1;
	}
	if (it->where != WAITSTORE_FILE)
		return 0;
	if (waitstore_name(t, it->kind, it->id, it->id_len, name, sizeof(name)) < 0 ||
	    waitstore_dir(t, false, &d) < 0 || waitstore_remove_in(d, name) < 0)
		goto out;
	rc = 0;
out:
	statedir_free(d);
	return rc;
}

int
waitstore_drop_files(struct token *t, const unsigned char *id, size_t id_len)
{
	struct waitstore_item it;
	size_t k;

	if (id_len == 0 || id_len > KEY_ID_MAX)
		return 0;
	for (k = 0; k < NELEM(waitstore_kinds); k++) {
		waitstore_item_init(&it, (enum certstore_data)k);
		it.where = WAITSTORE_FILE;
		memcpy(it.id, id, id_len);
		it.id_len = id_len;
		if (waitstore_delete(t, &it) < 0)
			return -1;
	}
	return 0;
}

int
waitstore_drop_file(struct token *t, const char *name)
{
	struct statedir *d = NULL;
	int rc = -1;

	if (waitstore_dir(t, false, &d) < 0 || waitstore_remove_in(d, name) < 0)
		goto out;
	rc = 0;
out:
	statedir_free(d);
	return rc;
}

/* ---- the survey for status ---- */

/* Whether E is a key awaiting its certificate. */
static bool
waitstore_awaits(const struct inventory_entry *e)
{
	return e->has_private &&
	       rolestate_parse(e->priv_label, NULL) == ROLESTATE_AWAITING;
}

/* Where E's state of KIND is, into PLACE. */
static int
waitstore_place_of(struct token *t, struct statedir *d,
		   const struct inventory_entry *e, enum certstore_data kind,
		   struct waitstore_place *place)
{
	char name[STATEDIR_NAME_MAX];
	CK_OBJECT_HANDLE *h = NULL;
	size_t n = 0;
	bool file = false;

	if (certstore_find_data(t, e->priv_label, kind, &h, &n) < 0)
		return -1;
	free(h);
	if (n > 0) {
		place->where = WAITSTORE_TOKEN;
		return 0;
	}
	if (d == NULL || e->id_len == 0 || e->id_len > KEY_ID_MAX)
		return 0;
	if (waitstore_name(t, kind, e->id, e->id_len, name, sizeof(name)) < 0 ||
	    statedir_exists(d, name, &file) < 0)
		return -1;
	if (!file)
		return 0;
	place->where = WAITSTORE_FILE;
	if (asprintf(&place->path, "%s/%s", statedir_path(d), name) < 0) {
		place->path = NULL;
		return err_set(ERR_FAILED, "out of memory");
	}
	return 0;
}

/* Whether some key of INV awaits under ID. */
static bool
waitstore_id_awaits(const struct inventory_entry *inv, size_t n,
		    const unsigned char *id, size_t id_len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (waitstore_awaits(&inv[i]) && inv[i].id_len == id_len &&
		    memcmp(inv[i].id, id, id_len) == 0)
			return true;
	return false;
}

/* Whether some key of INV is an enrolled role's under ID: its record
 * belongs to it. */
static bool
waitstore_id_enrolled(const struct inventory_entry *inv, size_t n,
		      const unsigned char *id, size_t id_len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (inv[i].has_private && !inv[i].pending &&
		    rolestate_parse(inv[i].priv_label, NULL) == ROLESTATE_ROLE &&
		    inv[i].id_len == id_len && memcmp(inv[i].id, id, id_len) == 0)
			return true;
	return false;
}

/* The state files of T that belong to no key: a request or ticket whose
 * key does not await, a record whose key is no role's. */
static int
waitstore_orphans(struct token *t, struct statedir *d,
		  const struct inventory_entry *inv, size_t n,
		  struct waitstore_survey *s)
{
	struct statedir_entry *all = NULL;
	size_t count = 0, i, kept = 0;

	if (statedir_list(d, token_get_info(t)->serial, &all, &count) < 0)
		return -1;
	for (i = 0; i < count; i++)
		if (all[i].kind == STATEDIR_RECORD ?
		    !waitstore_id_enrolled(inv, n, all[i].id, all[i].id_len) :
		    !waitstore_id_awaits(inv, n, all[i].id, all[i].id_len))
			all[kept++] = all[i];
	s->orphans = all;
	s->norphans = kept;
	return 0;
}

int
waitstore_survey(struct token *t, const struct inventory_entry *inv, size_t n,
		 struct waitstore_survey *out)
{
	struct waitstore_survey s;
	struct statedir *d = NULL;
	size_t i, k;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	s.n = n;
	if ((token_state_dir(t) != NULL &&
	     (s.dir = util_strdup(token_state_dir(t))) == NULL) ||
	    (s.places = calloc(n ? n : 1, sizeof(*s.places))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (waitstore_dir(t, false, &d) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (!waitstore_awaits(&inv[i]))
			continue;
		for (k = 0; k < WAITSTORE_WAITING_KINDS; k++)
			if (waitstore_place_of(t, d, &inv[i], (enum certstore_data)k,
					       &s.places[i][k]) < 0)
				goto out;
	}
	if (d != NULL && waitstore_orphans(t, d, inv, n, &s) < 0)
		goto out;
	*out = s;
	memset(&s, 0, sizeof(s));
	rc = 0;
out:
	statedir_free(d);
	waitstore_survey_clear(&s);
	return rc;
}

void
waitstore_survey_clear(struct waitstore_survey *s)
{
	size_t i, k;

	if (s == NULL)
		return;
	for (i = 0; s->places != NULL && i < s->n; i++)
		for (k = 0; k < WAITSTORE_WAITING_KINDS; k++)
			free(s->places[i][k].path);
	free(s->places);
	free(s->orphans);
	free(s->dir);
	memset(s, 0, sizeof(*s));
}
