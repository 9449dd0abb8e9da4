/* SPDX-License-Identifier: MIT */
/* token-index.h - a list of tokens (token_list()) indexed by serial and
 * by label, so that a selector finds its tokens in logarithmic time
 * whatever the number of tokens: a batch resolves every manifest row
 * against one list, and each selector is matched in full by p11-kit.
 */
#ifndef P11E_TOKEN_INDEX_H
#define P11E_TOKEN_INDEX_H

#include <stdbool.h>
#include <stddef.h>

#include <p11-kit/uri.h>

#include "token-info.h"

struct token_index;

/* Whether the token INFO describes matches URI (slot id, token and slot
 * fields), as listed: the module is not asked again. */
bool token_info_matches(P11KitUri *uri, const struct token_info *info);

/* An index of the N tokens at INFOS, which it borrows: they must outlive
 * it. */
int token_index_new(const struct token_info *infos, size_t n,
		    struct token_index **out);

/* NULL is fine. */
void token_index_free(struct token_index *idx);

/* How many of the indexed tokens URI matches; with exactly one, *PICK is
 * its place in the list. A URI that names a serial or a label looks only
 * at the tokens with it; any other is matched against every token. */
size_t token_index_find(const struct token_index *idx, P11KitUri *uri,
			size_t *pick);

#endif
