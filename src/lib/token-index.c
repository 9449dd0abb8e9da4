/* SPDX-License-Identifier: MIT */
/* token-index.c - tokens found by serial or label in sorted arrays. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "token-index.h"
#include "util.h"

/* One token in a sorted view: its key, and its place in the list. */
struct token_index_entry {
	const char *key;        /* borrowed from the list */
	size_t place;
};

/* Two views of one borrowed list: sorted by serial, and by label. */
struct token_index {
	const struct token_info *infos;
	size_t n;
	struct token_index_entry *by_serial;
	struct token_index_entry *by_label;
};

bool
token_info_matches(P11KitUri *uri, const struct token_info *info)
{
	CK_SLOT_ID want_slot = p11_kit_uri_get_slot_id(uri);

	if (want_slot != (CK_SLOT_ID)-1 && want_slot != info->slot)
		return false;
	return p11_kit_uri_match_token_info(uri, &info->token_info) == 1 &&
	       p11_kit_uri_match_slot_info(uri, &info->slot_info) == 1;
}

static int
token_index_compare(const void *a, const void *b)
{
	const struct token_index_entry *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/* The places of the N tokens at INFOS sorted by serial (or by label). */
static struct token_index_entry *
token_index_sorted(const struct token_info *infos, size_t n, bool by_serial)
{
	struct token_index_entry *view;
	size_t i;

	if ((view = calloc(n > 0 ? n : 1, sizeof(*view))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		view[i].key = by_serial ? infos[i].serial : infos[i].label;
		view[i].place = i;
	}
	qsort(view, n, sizeof(*view), token_index_compare);
	return view;
}

int
token_index_new(const struct token_info *infos, size_t n,
		struct token_index **out)
{
	struct token_index *idx = NULL;
	int rc = -1;

	*out = NULL;
	if ((idx = calloc(1, sizeof(*idx))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	idx->infos = infos;
	idx->n = n;
	if ((idx->by_serial = token_index_sorted(infos, n, true)) == NULL ||
	    (idx->by_label = token_index_sorted(infos, n, false)) == NULL)
		goto out;
	*out = idx;
	idx = NULL;
	rc = 0;
out:
	token_index_free(idx);
	return rc;
}

void
token_index_free(struct token_index *idx)
{
	if (idx == NULL)
		return;
	free(idx->by_serial);
	free(idx->by_label);
	free(idx);
}

/* The first entry of VIEW whose key is WANT or sorts after it. */
static size_t
token_index_lower(const struct token_index_entry *view, size_t n,
		  const char *want)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(view[mid].key, want) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t
token_index_find(const struct token_index *idx, P11KitUri *uri, size_t *pick)
{
	const CK_TOKEN_INFO *want = p11_kit_uri_get_token_info(uri);
	const struct token_index_entry *view = NULL;
	char value[sizeof(want->label) + 1];
	size_t i, at, matches = 0;

	/* p11-kit leaves a field the URI does not set all zeros; one it sets
	 * is blank-padded, where token_list() trims the blanks. */
	if (want->serialNumber[0] != '\0') {
		util_p11_string(value, want->serialNumber, sizeof(want->serialNumber));
		view = idx->by_serial;
	} else if (want->label[0] != '\0') {
		util_p11_string(value, want->label, sizeof(want->label));
		view = idx->by_label;
	}
	if (view == NULL) {
		for (i = 0; i < idx->n; i++)
			if (token_info_matches(uri, &idx->infos[i])) {
				matches++;
				*pick = i;
			}
		return matches;
	}
	for (at = token_index_lower(view, idx->n, value);
	     at < idx->n && strcmp(view[at].key, value) == 0; at++)
		if (token_info_matches(uri, &idx->infos[view[at].place])) {
			matches++;
			*pick = view[at].place;
		}
	return matches;
}
