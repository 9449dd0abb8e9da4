/* SPDX-License-Identifier: MIT */
/* template.h - ${name} templates and the variables that fill them. */
#ifndef P11E_TEMPLATE_H
#define P11E_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

struct template;
struct vars;

/* An empty set of template variables. */
struct vars *vars_new(void);

/* NULL is fine. */
void vars_free(struct vars *v);

/* Add or replace NAME=VALUE (one argument of --set); ERR_USAGE when it
 * has no '=' or an empty or invalid name. */
int vars_set(struct vars *v, const char *assignment);

/* How many variables V holds (NULL holds none). */
size_t vars_count(const struct vars *v);

/* The I-th variable of V, in the order they were first set. */
void vars_at(const struct vars *v, size_t i, const char **name,
	     const char **value);

/* Set every variable of FROM (may be NULL) in TO, replacing those of
 * the same name. */
int vars_merge(struct vars *to, const struct vars *from);

/* The value of NAME, or NULL. */
const char *vars_get(const struct vars *v, const char *name);

/* Parse LEN bytes at S: ${name} is a variable, $$ a literal '$'; with
 * DN_ESCAPES, RFC 4514 escapes are decoded and a bare '+' is refused. */
int template_parse(const char *s, size_t len, bool dn_escapes,
		   struct template **out);

/* NULL is fine. */
void template_free(struct template *t);

/* The name of T's I-th variable (from 0, repeats counted), or NULL
 * after the last. */
const char *template_var(const struct template *t, size_t i);

/* Fill T with VARS into a new string; ROLE names the profile in messages.
 * A missing variable, or a result that is empty, is ERR_USAGE. */
int template_expand(const struct template *t, const struct vars *vars,
		    const char *role, char **out);

#endif
