/* SPDX-License-Identifier: MIT */
/* template.c - ${name} templates and the variables that fill them.
 *
 * A template is parsed once, when its profile is loaded, into literal
 * text and variable names; filling it later can then only fail on the
 * values of the variables. Escapes are decoded at parse time, so a
 * variable's value is always data and never syntax.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "array.h"
#include "err.h"
#include "template.h"

/* A template is a list of parts: literal text or the name of a variable. */
struct template_part {
	bool is_var;
	char *text;
};

struct template {
	struct template_part *parts;
	size_t nparts, cap;
};

struct vars_entry {
	char *name;
	char *value;
};

struct vars {
	struct vars_entry *entries;
	size_t count, cap;
};

static bool
template_is_var_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (i = 1; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/* ---- variables ---- */

struct vars *
vars_new(void)
{
	struct vars *v = calloc(1, sizeof(*v));

	if (v == NULL)
		err_set(ERR_FAILED, "out of memory");
	return v;
}

void
vars_free(struct vars *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->count; i++) {
		free(v->entries[i].name);
		free(v->entries[i].value);
	}
	free(v->entries);
	free(v);
}

int
vars_set(struct vars *v, const char *assignment)
{
	const char *eq = strchr(assignment, '=');
	struct vars_entry *grown;
	char *name = NULL, *value = NULL;
	size_t i;
	int rc = -1;

	if (eq == NULL) {
		err_set(ERR_USAGE, "bad variable assignment '%s' (expected "
			"NAME=VALUE)", assignment);
		goto out;
	}
	if (!template_is_var_name(assignment, (size_t)(eq - assignment))) {
		err_set(ERR_USAGE, "bad variable name '%.*s' (letters, digits "
			"and '_', not starting with a digit)",
			(int)(eq - assignment), assignment);
		goto out;
	}
	if ((name = strndup(assignment, (size_t)(eq - assignment))) == NULL ||
	    (value = strdup(eq + 1)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < v->count; i++) {
		if (strcmp(v->entries[i].name, name) == 0) {
			free(v->entries[i].value);
			v->entries[i].value = value;
			value = NULL;
			rc = 0;
			goto out;
		}
	}
	grown = array_grow(v->entries, &v->cap, v->count + 1, sizeof(*grown));
	if (grown == NULL)
		goto out;
	v->entries = grown;
	v->entries[v->count].name = name;
	v->entries[v->count].value = value;
	v->count++;
	name = value = NULL;
	rc = 0;
out:
	free(name);
	free(value);
	return rc;
}

size_t
vars_count(const struct vars *v)
{
	return v != NULL ? v->count : 0;
}

void
vars_at(const struct vars *v, size_t i, const char **name, const char **value)
{
	*name = v->entries[i].name;
	*value = v->entries[i].value;
}

int
vars_merge(struct vars *to, const struct vars *from)
{
	size_t i;
	int rc;
	char *assignment;

	for (i = 0; i < vars_count(from); i++) {
		if (asprintf(&assignment, "%s=%s", from->entries[i].name,
			     from->entries[i].value) < 0)
			return err_set(ERR_FAILED, "out of memory");
		rc = vars_set(to, assignment);
		free(assignment);
		if (rc < 0)
			return -1;
	}
	return 0;
}

const char *
vars_get(const struct vars *v, const char *name)
{
	size_t i;

	for (i = 0; v != NULL && i < v->count; i++)
		if (strcmp(v->entries[i].name, name) == 0)
			return v->entries[i].value;
	return NULL;
}

/* ---- templates ---- */

void
template_free(struct template *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nparts; i++)
		free(t->parts[i].text);
	free(t->parts);
	free(t);
}

static int
template_add(struct template *t, bool is_var, const char *text, size_t len)
{
	struct template_part *grown;
	char *copy = NULL;
	int rc = -1;

	if ((copy = strndup(text, len)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if ((grown = array_grow(t->parts, &t->cap, t->nparts + 1,
				sizeof(*grown))) == NULL)
		goto out;
	t->parts = grown;
	t->parts[t->nparts].is_var = is_var;
	t->parts[t->nparts].text = copy;
	t->nparts++;
	copy = NULL;
	rc = 0;
out:
	free(copy);
	return rc;
}

/* The byte an RFC 4514 escape at S (just after the backslash) stands for;
 * *USED is how many characters it took. -1 for a bad escape. */
static int
template_unescape(const char *s, size_t *used)
{
	int hi, lo;

	if (*s != '\0' && strchr(",=+\\\"<>;# ", *s) != NULL) {
		*used = 1;
		return (unsigned char)*s;
	}
	hi = OPENSSL_hexchar2int((unsigned char)s[0]);
	lo = hi < 0 ? -1 : OPENSSL_hexchar2int((unsigned char)s[1]);
	if (lo < 0 || (hi | lo) == 0)   /* \00 would cut the value short */
		return -1;
	*used = 2;
	return hi << 4 | lo;
}

int
template_parse(const char *s, size_t len, bool dn_escapes,
	       struct template **out)
{
	struct template *t = NULL;
	char *lit = NULL;
	size_t i = 0, n = 0, used, name_len;
	const char *brace;
	int c, rc = -1;

	*out = NULL;
	if ((lit = malloc(len + 1)) == NULL ||
	    (t = calloc(1, sizeof(*t))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	while (i < len) {
		if (dn_escapes && s[i] == '\\') {
			c = i + 1 < len ? template_unescape(s + i + 1, &used) : -1;
			if (c < 0 || i + 1 + used > len) {
				err_set(ERR_USAGE, "bad escape '\\%.1s' (escape , = + \\ "
					"\" < > ; # and space, or use \\XX)", s + i + 1);
				goto out;
			}
			lit[n++] = (char)c;
			i += 1 + used;
		} else if (dn_escapes && s[i] == '+') {
			err_set(ERR_USAGE, "multi-valued RDNs are not supported "
				"(write a literal '+' as \\+)");
			goto out;
		} else if (s[i] == '$' && i + 1 < len && s[i + 1] == '$') {
			lit[n++] = '$';
			i += 2;
		} else if (s[i] == '$' && i + 1 < len && s[i + 1] == '{') {
			brace = memchr(s + i + 2, '}', len - i - 2);
			if (brace == NULL) {
				err_set(ERR_USAGE, "unterminated ${");
				goto out;
			}
			name_len = (size_t)(brace - (s + i + 2));
			if (!template_is_var_name(s + i + 2, name_len)) {
				err_set(ERR_USAGE, "bad variable name '%.*s' (letters, "
					"digits and '_', not starting with a digit)",
					(int)name_len, s + i + 2);
				goto out;
			}
			if ((n > 0 && template_add(t, false, lit, n) < 0) ||
			    template_add(t, true, s + i + 2, name_len) < 0)
				goto out;
			n = 0;
			i += name_len + 3;
		} else if (s[i] == '$') {
			err_set(ERR_USAGE, "'$' must start ${name} or be doubled "
				"($$ for a literal '$')");
			goto out;
		} else {
			lit[n++] = s[i++];
		}
	}
	if (n > 0 && template_add(t, false, lit, n) < 0)
		goto out;
	if (t->nparts == 0) {
		err_set(ERR_USAGE, "empty value");
		goto out;
	}
	*out = t;
	t = NULL;
	rc = 0;
out:
	template_free(t);
	free(lit);
	return rc;
}

const char *
template_var(const struct template *t, size_t i)
{
	size_t k;

	for (k = 0; k < t->nparts; k++)
		if (t->parts[k].is_var && i-- == 0)
			return t->parts[k].text;
	return NULL;
}

int
template_expand(const struct template *t, const struct vars *vars,
		const char *role, char **out)
{
	const char *empty_var = NULL, *val;
	char *buf = NULL;
	size_t i, len = 0, total = 0;
	int rc = -1;

	*out = NULL;
	for (i = 0; i < t->nparts; i++) {
		if (!t->parts[i].is_var) {
			total += strlen(t->parts[i].text);
			continue;
		}
		if ((val = vars_get(vars, t->parts[i].text)) == NULL) {
			err_set(ERR_USAGE, "role %s needs variable %s (set it with "
				"--set %s=VALUE)", role, t->parts[i].text,
				t->parts[i].text);
			goto out;
		}
		if (*val == '\0' && empty_var == NULL)
			empty_var = t->parts[i].text;
		total += strlen(val);
	}
	if (total == 0) {
		err_set(ERR_USAGE, "role %s: variable %s is empty", role,
			empty_var != NULL ? empty_var : "(none)");
		goto out;
	}
	if ((buf = malloc(total + 1)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < t->nparts; i++) {
		val = t->parts[i].is_var ? vars_get(vars, t->parts[i].text) :
		    t->parts[i].text;
		memcpy(buf + len, val, strlen(val));
		len += strlen(val);
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}
