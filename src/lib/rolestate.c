/* SPDX-License-Identifier: MIT */
/* rolestate.c - the states of a role's objects, their labels, and the
 * finding and deletion of a group of them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "err.h"
#include "rolestate.h"
#include "text.h"
#include "util.h"

/* Every state: its label prefix, its name for status, and what a role
 * found in it means to a command that needs the label free. */
static const struct {
	const char *prefix;
	const char *name;
	const char *taken;
} rolestate_states[ROLESTATE_COUNT] = {
	[ROLESTATE_ROLE] = { "", "role",
		"is already on the token and is left as it is; p11enroll renew "
		"replaces its key and certificate, enroll --missing enrolls "
		"only the roles not there yet" },
	[ROLESTATE_PENDING] = { "pending:", "pending",
		"has objects left by an interrupted run; run p11enroll status "
		"--repair first" },
	[ROLESTATE_AWAITING] = { "awaiting:", "awaiting-certificate",
		"has a key awaiting its certificate; install the certificate "
		"or remove the role first" },
	[ROLESTATE_RETIRED] = { "retired:", "retired",
		"has retired objects; delete them with p11enroll remove "
		"--only-retired first" },
};

enum rolestate
rolestate_parse(const char *label, const char **role)
{
	const char *prefix;
	size_t i, len;

	if (label == NULL)
		label = "";
	for (i = 0; i < ROLESTATE_COUNT; i++) {
		prefix = rolestate_states[i].prefix;
		len = strlen(prefix);
		if (len > 0 && strncmp(label, prefix, len) == 0) {
			if (role != NULL)
				*role = label + len;
			return (enum rolestate)i;
		}
	}
	if (role != NULL)
		*role = label;
	return ROLESTATE_ROLE;
}

int
rolestate_label(enum rolestate state, const char *label, char *buf, size_t size)
{
	int len;

	if (size > 0)
		buf[0] = '\0';
	if (label == NULL || label[0] == '\0')
		return err_set(ERR_USAGE, "a role needs a label that is not empty");
	if (rolestate_parse(label, NULL) != ROLESTATE_ROLE)
		return err_set(ERR_USAGE, "label '%s' starts with a state prefix, "
			       "which no role's label may", label);
	len = snprintf(buf, size, "%s%s", rolestate_states[state].prefix, label);
	if (len < 0 || (size_t)len >= size) {
		if (size > 0)
			buf[0] = '\0';
		return err_set(ERR_USAGE, "label '%s' is too long: with its state "
			       "prefix a label has at most %zu bytes", label,
			       size > 0 ? size - 1 : 0);
	}
	return 0;
}

const char *
rolestate_name(enum rolestate state)
{
	return rolestate_states[state].name;
}

/* Every object on T, of any class, labelled NAME. */
static int
rolestate_find_label(struct token *t, const char *name, CK_OBJECT_HANDLE **out,
		     size_t *count)
{
	CK_ATTRIBUTE tmpl[] = { { CKA_LABEL, (void *)name, strlen(name) } };

	return token_find(t, tmpl, NELEM(tmpl), out, count);
}

int
rolestate_check_free(struct token *t, const char *role, const char *label,
		     unsigned states)
{
	char name[ROLESTATE_LABEL_MAX];
	CK_OBJECT_HANDLE *h = NULL;
	size_t i, n = 0;

	for (i = 0; i < ROLESTATE_COUNT; i++) {
		if (!(states & ROLESTATE_MASK(i)))
			continue;
		if (rolestate_label((enum rolestate)i, label, name, sizeof(name)) < 0)
			return err_prefix("role %s", role);
		if (rolestate_find_label(t, name, &h, &n) < 0)
			return -1;
		free(h);
		h = NULL;
		if (n == 0)
			continue;
		err_set(ERR_FAILED, "role %s %s (label %s)", role,
			rolestate_states[i].taken, name);
		return i == ROLESTATE_ROLE ? err_tag(ERR_CODE_ROLE_ENROLLED) : -1;
	}
	return 0;
}

int
rolestate_present(struct token *t, const char *label, enum rolestate state,
		  bool *present)
{
	char name[ROLESTATE_LABEL_MAX];
	CK_OBJECT_HANDLE *h = NULL;
	size_t n = 0;

	*present = false;
	if (rolestate_label(state, label, name, sizeof(name)) < 0 ||
	    rolestate_find_label(t, name, &h, &n) < 0)
		return -1;
	free(h);
	*present = n > 0;
	return 0;
}

/* ---- groups ---- */

/* Object classes in the order they are deleted. */
static const struct {
	CK_OBJECT_CLASS cls;
	const char *name;
} rolestate_classes[] = {
	{ CKO_PRIVATE_KEY, "private key" },
	{ CKO_SECRET_KEY, "secret key" },
	{ CKO_PUBLIC_KEY, "public key" },
	{ CKO_CERTIFICATE, "certificate" },
	{ CKO_DATA, "data" },
};

/* CLS's place in the order of deletion; unknown classes go last. */
static size_t
rolestate_class_rank(CK_OBJECT_CLASS cls)
{
	size_t i;

	for (i = 0; i < NELEM(rolestate_classes); i++)
		if (rolestate_classes[i].cls == cls)
			return i;
	return NELEM(rolestate_classes);
}

const char *
rolestate_class_name(CK_OBJECT_CLASS cls)
{
	size_t rank = rolestate_class_rank(cls);

	if (rank == NELEM(rolestate_classes))
		return "object";
	return rolestate_classes[rank].name;
}

void
rolestate_group_clear(struct rolestate_group *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n; i++) {
		free(g->objs[i].label);
		free(g->objs[i].id_hex);
	}
	free(g->objs);
	memset(g, 0, sizeof(*g));
}

/* Room in G for one more object. */
static int
rolestate_group_grow(struct rolestate_group *g)
{
	struct rolestate_object *grown;

	grown = array_grow(g->objs, &g->size, g->n + 1, sizeof(*grown));
	if (grown == NULL)
		return -1;
	g->objs = grown;
	return 0;
}

/* Insert O (taking what it owns) after every object of G that goes
 * before it or with it. */
static void
rolestate_group_insert(struct rolestate_group *g, const struct rolestate_object *o)
{
	size_t rank = rolestate_class_rank(o->cls), at = g->n;

	while (at > 0 && rolestate_class_rank(g->objs[at - 1].cls) > rank)
		at--;
	memmove(&g->objs[at + 1], &g->objs[at], (g->n - at) * sizeof(*o));
	g->objs[at] = *o;
	g->n++;
}

/* Whether G holds H. */
static bool
rolestate_group_has(const struct rolestate_group *g, CK_OBJECT_HANDLE h)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (g->objs[i].handle == h)
			return true;
	return false;
}

/* Add O, taking what it owns (freed when O is not added). */
static int
rolestate_group_take(struct rolestate_group *g, struct rolestate_object *o)
{
	int rc = 0;

	if (o->handle != CK_INVALID_HANDLE && !rolestate_group_has(g, o->handle)) {
		rc = rolestate_group_grow(g);
		if (rc == 0) {
			rolestate_group_insert(g, o);
			return 0;
		}
	}
	free(o->label);
	free(o->id_hex);
	return rc;
}

int
rolestate_group_add(struct rolestate_group *g, CK_OBJECT_HANDLE h,
		    CK_OBJECT_CLASS cls, const char *label)
{
	struct rolestate_object o = { h, cls, NULL, NULL };

	if (label != NULL && (o.label = util_strdup(label)) == NULL)
		return -1;
	return rolestate_group_take(g, &o);
}

/* Object H, labelled LABEL, with its class and CKA_ID, into G. */
static int
rolestate_find_one(struct token *t, CK_OBJECT_HANDLE h, const char *label,
		   struct rolestate_group *g)
{
	struct rolestate_object o = { h, 0, NULL, NULL };
	unsigned char *id = NULL;
	size_t id_len = 0;
	CK_ULONG cls = 0;

	if (token_get_ulong(t, h, CKA_CLASS, &cls) < 0 ||
	    token_get_attr(t, h, CKA_ID, &id, &id_len) < 0)
		return -1;
	o.cls = cls;
	o.label = util_strdup(label);
	o.id_hex = util_hex(id, id_len);
	free(id);
	if (o.label == NULL || o.id_hex == NULL) {
		free(o.label);
		free(o.id_hex);
		return err_set(ERR_FAILED, "out of memory");
	}
	return rolestate_group_take(g, &o);
}

int
rolestate_find(struct token *t, enum rolestate state, const char *label,
	       struct rolestate_group *g)
{
	char name[ROLESTATE_LABEL_MAX];
	CK_OBJECT_HANDLE *h = NULL;
	size_t i, n = 0;
	int rc = -1;

	if (rolestate_label(state, label, name, sizeof(name)) < 0 ||
	    rolestate_find_label(t, name, &h, &n) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (rolestate_find_one(t, h[i], name, g) < 0)
			goto out;
	rc = 0;
out:
	free(h);
	return rc;
}

int
rolestate_delete(struct token *t, const struct rolestate_group *g, size_t *removed)
{
	char shown[TEXT_PRINTABLE_SIZE(64)];
	struct err_saved first;
	size_t i, gone = 0, failed = 0;

	if (removed != NULL)
		*removed = 0;
	for (i = 0; i < g->n; i++) {
		if (token_destroy(t, g->objs[i].handle) == 0 ||
		    err_last_ckr() == CKR_OBJECT_HANDLE_INVALID) {
			gone++;
			continue;
		}
		if (g->objs[i].label != NULL)
			err_prefix("%s %s", rolestate_class_name(g->objs[i].cls),
				   text_shown(g->objs[i].label, shown, sizeof(shown)));
		else
			err_prefix("%s", rolestate_class_name(g->objs[i].cls));
		err_collect(&first, &failed);
	}
	if (removed != NULL)
		*removed = gone;
	if (failed == 0)
		return 0;
	return err_restore(&first);
}
