/* SPDX-License-Identifier: MIT */
/* batch-tokens.h - the token each manifest row names, found once for the
 * whole manifest before any row runs, so that two rows naming one token
 * in different ways (its label, its serial, a URI) are refused as two
 * rows for one token, in time linear in the rows (a sort, and a lookup in
 * a token_index per row).
 */
#ifndef P11E_BATCH_TOKENS_H
#define P11E_BATCH_TOKENS_H

#include <stddef.h>

#include "manifest.h"
#include "token-info.h"

/* The tokens present in the module at MODULE_PATH. The module is loaded,
 * its slots listed once, and it is finalised again before this returns:
 * the batch's workers are forked afterwards, and each initialises the
 * module for itself, as a module may not survive a fork initialised. */
int batch_tokens_list(const char *module_path, struct token_info **out,
		      size_t *count);

/* Refuse two rows of M (read from PATH) that name the same token among
 * the N at INFOS (manufacturer, model and serial; the slot for a token
 * without a serial or not initialised), or the same init_label: ERR_USAGE
 * "PATH:LINE:COLUMN: ..." at the later row, naming the earlier one. A row
 * with an init_label names the token with that label once there is one
 * (a rerun), else its token column's. A row whose token is not present,
 * or matches several, is compared by its token column as written: it
 * fails when it runs, as any row whose token cannot be opened. */
int batch_tokens_check(const char *path, const struct manifest *m,
		       const struct token_info *infos, size_t n);

#endif
