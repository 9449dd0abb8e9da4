/* SPDX-License-Identifier: MIT */
/* batch-tokens.c - two manifest rows for one token, found by sorting. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "batch-tokens.h"
#include "text.h"
#include "token.h"
#include "token-index.h"
#include "token-uri.h"

/* What a row claims: one token (or a selector that matched none or
 * several) and, with an init_label, that label. Two claims with the same
 * key are two rows for one token. */
struct batch_claim {
	char *key;
	size_t row;             /* place in the manifest */
	bool label;             /* the claim of an init_label */
	long token;             /* place in the token list, or -1 */
};

struct batch_claims {
	struct batch_claim *list;
	size_t n;
};

int
batch_tokens_list(const char *module_path, struct token_info **out,
		  size_t *count)
{
	struct module *m = NULL;
	int rc;

	*out = NULL;
	*count = 0;
	if (module_load(module_path, &m) < 0)
		return -1;
	rc = token_list(m, out, count);
	module_free(m);
	return rc;
}

/* "KIND\nVALUE..." as one malloc'ed key; NULL: out of memory recorded. */
static char *
batch_claim_key(const char *kind, const char *a, const char *b, const char *c)
{
	char *key = NULL;

	if (asprintf(&key, "%s\n%s\n%s\n%s", kind, a, b ? b : "", c ? c : "") < 0) {
		err_set(ERR_FAILED, "out of memory");
		return NULL;
	}
	return key;
}

/* The token SELECTOR picks among the indexed ones: its place, or -1 when
 * it picks none or several. */
static int
batch_tokens_pick(const struct token_index *idx, const char *selector,
		  long *place)
{
	P11KitUri *uri = NULL;
	size_t pick = 0;

	*place = -1;
	if (token_uri_parse(selector, &uri) < 0)
		return -1;
	if (token_index_find(idx, uri, &pick) == 1)
		*place = (long)pick;
	token_uri_free(uri);
	return 0;
}

/* The key of the token at PLACE: who it is, where it has a serial and
 * has been initialised; else the slot it is in. */
static char *
batch_token_key(const struct token_info *info)
{
	char slot[32];

	if ((info->flags & CKF_TOKEN_INITIALIZED) && info->serial[0] != '\0')
		return batch_claim_key("token", info->manufacturer, info->model,
				       info->serial);
	snprintf(slot, sizeof(slot), "%lu", (unsigned long)info->slot);
	return batch_claim_key("slot", slot, NULL, NULL);
}

/* ROW's claims (one or two) at the end of C. */
static int
batch_tokens_claim(const struct token_index *idx, const struct token_info *infos,
		   const struct manifest_row *row, size_t at, struct batch_claims *c)
{
	struct batch_claim *claim = &c->list[c->n];
	long place = -1;

	/* As the worker picks: the token that has the init_label already,
	 * else the one the token column selects. */
	if (row->init_label != NULL &&
	    batch_tokens_pick(idx, row->init_label, &place) < 0)
		return -1;
	if (place >= 0 && !(infos[place].flags & CKF_TOKEN_INITIALIZED))
		place = -1;
	if (place < 0 && batch_tokens_pick(idx, row->token, &place) < 0)
		return -1;
	claim->row = at;
	claim->token = place;
	claim->key = place >= 0 ? batch_token_key(&infos[place]) :
		     batch_claim_key("selector", row->token, NULL, NULL);
	if (claim->key == NULL)
		return -1;
	c->n++;
	if (row->init_label == NULL)
		return 0;
	claim = &c->list[c->n];
	claim->row = at;
	claim->token = -1;
	claim->label = true;
	if ((claim->key = batch_claim_key("init_label", row->init_label, NULL,
					  NULL)) == NULL)
		return -1;
	c->n++;
	return 0;
}

/* By key, then by row: each key's first row comes first. */
static int
batch_claim_compare(const void *a, const void *b)
{
	const struct batch_claim *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	if (r != 0)
		return r;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* Record the refusal of LATER, whose token or init_label FIRST has. */
static int
batch_tokens_refuse(const char *path, const struct manifest *m,
		    const struct token_info *infos, const struct batch_claim *first,
		    const struct batch_claim *later)
{
	const struct manifest_row *a = &m->rows[first->row], *b = &m->rows[later->row];
	const struct token_info *t;
	char shown[200], label[140], serial[80], model[80];

	if (later->label) {
		text_printable(b->init_label, strlen(b->init_label), shown,
			       sizeof(shown));
		return err_set(ERR_USAGE, "%s:%zu:%zu: init_label '%s' is on "
			       "line %zu already", path, b->line,
			       m->column_init_label, shown, a->line);
	}
	text_printable(b->token_shown, strlen(b->token_shown), shown,
		       sizeof(shown));
	if (later->token < 0)
		return err_set(ERR_USAGE, "%s:%zu:%zu: token '%s' is on line %zu "
			       "already (column %zu)", path, b->line,
			       m->column_token, shown, a->line, m->column_token);
	t = &infos[later->token];
	text_printable(t->label, strlen(t->label), label, sizeof(label));
	text_printable(t->serial, strlen(t->serial), serial, sizeof(serial));
	text_printable(t->model, strlen(t->model), model, sizeof(model));
	return err_set(ERR_USAGE, "%s:%zu:%zu: token '%s' is the token that "
		       "line %zu names already (column %zu): '%s', model %s, "
		       "serial %s, in slot %lu; one row per token", path, b->line,
		       m->column_token, shown, a->line, m->column_token, label,
		       model, serial[0] ? serial : "(none)", (unsigned long)t->slot);
}

int
batch_tokens_check(const char *path, const struct manifest *m,
		   const struct token_info *infos, size_t n)
{
	struct token_index *idx = NULL;
	struct batch_claims c = { NULL, 0 };
	const struct batch_claim *first = NULL, *worst = NULL, *worst_first = NULL;
	size_t i;
	int rc = -1;

	if (token_index_new(infos, n, &idx) < 0)
		goto out;
	if ((c.list = calloc(m->nrows * 2 + 1, sizeof(*c.list))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < m->nrows; i++)
		if (batch_tokens_claim(idx, infos, &m->rows[i], i, &c) < 0)
			goto out;
	qsort(c.list, c.n, sizeof(*c.list), batch_claim_compare);
	/* The refusal is the one a reader meets first in the file: the
	 * repeat on the lowest line. */
	for (i = 0; i < c.n; i++) {
		if (i == 0 || strcmp(c.list[i - 1].key, c.list[i].key) != 0) {
			first = &c.list[i];
			continue;
		}
		if (worst == NULL || c.list[i].row < worst->row) {
			worst = &c.list[i];
			worst_first = first;
		}
	}
	if (worst != NULL) {
		batch_tokens_refuse(path, m, infos, worst_first, worst);
		goto out;
	}
	rc = 0;
out:
	for (i = 0; c.list != NULL && i < m->nrows * 2; i++)
		free(c.list[i].key);
	free(c.list);
	token_index_free(idx);
	return rc;
}
