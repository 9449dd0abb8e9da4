/* SPDX-License-Identifier: MIT */
/* fuzz_manifest.c - a batch manifest's bytes, read as manifest_load()
 * reads a file. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include <openssl/err.h>

#include "err.h"
#include "manifest.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest *m = NULL;
	size_t i, j;

	if (manifest_parse_data("fuzz.csv", data, size, &m) == 0) {
		/* Touch every row as the batch does. */
		for (i = 0; i < m->nrows; i++)
			for (j = 0; j < m->rows[i].nroles; j++)
				if (m->rows[i].roles[j] == NULL)
					abort();
	}
	manifest_free(m);
	err_clear();
	ERR_clear_error();
	return 0;
}
