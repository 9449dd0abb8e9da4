/* SPDX-License-Identifier: MIT */
/* fuzz_profile.c - a role profile's text, read as profile_load_file()
 * reads a file, then filled in as enrol does. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "err.h"
#include "policy.h"
#include "profile.h"
#include "template.h"

static struct vars *fuzz_vars;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const assignments[] = {
		"dns=www.example.org", "ip=192.0.2.1", "email=user@example.org",
		"upn=user@example.org", "uri=https://example.org/",
		"cn=User", "name=User", "org=Example",
	};
	size_t i;

	if ((fuzz_vars = vars_new()) == NULL)
		abort();
	for (i = 0; i < sizeof(assignments) / sizeof(assignments[0]); i++)
		if (vars_set(fuzz_vars, assignments[i]) < 0)
			abort();
	return 0;
}

/* Read every property the way status and enrol do. */
static void
fuzz_profile_use(const struct profile *p)
{
	struct csr_spec spec;
	const char *kind;
	char buf[128];
	size_t i, len;

	(void)profile_label(p);
	(void)profile_key_alg(p);
	(void)profile_key_id(p, &len);
	(void)profile_key_caps(p);
	(void)profile_justification(p);
	for (i = 0; i < profile_eku_count(p); i++)
		(void)profile_eku_name(p, i, buf, sizeof(buf));
	for (i = 0; i < profile_san_count(p); i++)
		(void)profile_san_template(p, i, &kind);
	memset(&spec, 0, sizeof(spec));
	if (profile_spec(p, fuzz_vars, &spec) == 0)
		csr_spec_clear(&spec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile *p = NULL;
	FILE *fp;
	int lint;

	if (size == 0)
		return 0;
	/* The first byte chooses between load (policy refuses) and parse. */
	lint = data[0] & 1;
	if ((fp = fmemopen((void *)(data + 1), size - 1, "r")) == NULL)
		return 0;
	if (profile_parse_stream(fp, "fuzz.profile", "fuzz", &p) == 0 &&
	    (!lint || policy_check(p) == 0))
		fuzz_profile_use(p);
	profile_free(p);
	fclose(fp);
	err_clear();
	ERR_clear_error();
	return 0;
}
