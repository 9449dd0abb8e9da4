/* SPDX-License-Identifier: MIT */
/* cmd-install.c - install ROLE CERTFILE: the second half of request. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "enroll.h"
#include "err.h"
#include "profile.h"
#include "profile-load.h"
#include "util.h"
#include "verify.h"

#define INSTALL_MAX_FILE (1024 * 1024)

enum { OPT_CHAIN = 1300, OPT_TRUST };

struct install_opts {
	const struct global_opts *g;
	const char *chain;
	const char *trust;
};

static const struct option install_long[] = {
	{ "chain", required_argument, NULL, OPT_CHAIN },
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_install_option(void *ctx, int opt, const char *arg)
{
	struct install_opts *o = ctx;

	switch (opt) {
	case OPT_CHAIN: o->chain = arg; return 0;
	case OPT_TRUST: o->trust = arg; return 0;
	default: return cmd_usage_error(o->g, "unknown option");
	}
}

/* Every certificate in the --chain file, in its order. */
static int
cmd_install_chain(const char *path, STACK_OF(X509) **out)
{
	unsigned char *data = NULL;
	STACK_OF(X509) *rest = NULL;
	X509 *first = NULL;
	size_t len = 0;
	int rc = -1;

	*out = NULL;
	if (path == NULL)
		return 0;
	if (util_read_file(path, INSTALL_MAX_FILE, &data, &len) < 0)
		goto out;
	if (verify_parse_answer(data, len, &first, &rest) < 0) {
		err_prefix("--chain %s", path);
		goto out;
	}
	if (!sk_X509_insert(rest, first, 0)) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	first = NULL;
	*out = rest;
	rest = NULL;
	rc = 0;
out:
	X509_free(first);
	sk_X509_pop_free(rest, X509_free);
	free(data);
	return rc;
}

int
cmd_install(struct global_opts *g, int argc, char **argv)
{
	struct install_opts o;
	struct enroll_result r;
	struct profile *p = NULL;
	struct module *m = NULL;
	struct token *t = NULL;
	STACK_OF(X509) *chain = NULL;
	X509_STORE *trust = NULL;
	unsigned char *answer = NULL;
	size_t len = 0;
	int first = 0, status = EXIT_FAILED;

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	o.g = g;
	if (!cmd_parse(g, argc, argv, "", install_long, cmd_install_option, &o,
		       &first, &status))
		goto out;
	if (argc - first != 2) {
		status = cmd_usage_error(g, "name a role and a certificate file");
		goto out;
	}
	if (profile_load(cmd_profiles_dir(g), argv[first], &p) < 0 ||
	    util_read_file(argv[first + 1], INSTALL_MAX_FILE, &answer, &len) < 0 ||
	    cmd_install_chain(o.chain, &chain) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	cmd_note_write_login(g, &p, 1);
	if ((status = cmd_load_trust(g, o.trust, &trust)) != 0 ||
	    (status = cmd_open_token(g, &m, &t)) != 0)
		goto out;
	if (enroll_install(t, p, answer, len, chain, trust, &r) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	status = EXIT_DONE;
	if (g->json)
		status = cmd_json_print(json_pack("{s:o, s:[o]}", "token",
						  cmd_json_token(token_get_info(t)),
						  "enrolled", cmd_json_result(token_get_info(t), &r, trust != NULL))) < 0 ?
			 EXIT_FAILED : EXIT_DONE;
	else if (g->verbosity >= 0)
		cmd_print_result("installed", &r);
	if (!g->json)
		cmd_print_result_warning(g, &r);
out:
	enroll_result_clear(&r);
	sk_X509_pop_free(chain, X509_free);
	X509_STORE_free(trust);
	free(answer);
	profile_free(p);
	cmd_close_token(m, t);
	return status;
}
