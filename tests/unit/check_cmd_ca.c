/* SPDX-License-Identifier: MIT */
/* check_cmd_ca.c - the CA options of enroll, renew and batch, from the
 * command line to the options the CA is opened with. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ca.h"
#include "cmd-ca.h"
#include "err.h"

static const struct option ca_long[] = {
	CMD_CA_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

struct parsed {
	struct global_opts *g;
	struct cmd_ca ca;
};

static int
on_option(void *ctx, int opt, const char *arg)
{
	struct parsed *p = ctx;
	int rc = cmd_ca_option(p->g, &p->ca, opt, arg);

	return rc >= 0 ? rc : cmd_usage_error(p->g, "unknown option");
}

/* Parse "enroll tls-server --ca exec:/bin/true OPTION VALUE" (OPTION
 * NULL: neither) the way enroll does: the exit status of a refusal, or 0
 * with P filled. */
static int
parse(const char *option, const char *value, struct parsed *p)
{
	static struct global_opts g;
	char *argv[] = { "enroll", "tls-server", "--ca", "exec:/bin/true",
			 (char *)option, (char *)value, NULL };
	int argc = option != NULL ? 6 : 4, first = 0, status = 0;

	memset(&g, 0, sizeof(g));
	g.command = "enroll";
	g.verbosity = -1;
	memset(p, 0, sizeof(*p));
	p->g = &g;
	if (!cmd_parse(&g, argc, argv, "", ca_long, on_option, p, &first, &status))
		return status;
	ck_assert_int_eq(first, argc - 1);
	ck_assert_str_eq(argv[first], "tls-server");
	ck_assert_str_eq(p->ca.spec, "exec:/bin/true");
	return 0;
}

/* What --ca-retry SECONDS gives the CA: 0 is its default. */
static const struct retry_case {
	const char *value;      /* NULL: the option is not given */
	int status;
	int retry_seconds;
} retry_cases[] = {
	{ NULL, 0, 0 },
	{ "1", 0, 1 },
	{ "30", 0, 30 },
	{ "86400", 0, 86400 },
	{ "0", EXIT_USAGE, 0 },
	{ "-1", EXIT_USAGE, 0 },
	{ "86401", EXIT_USAGE, 0 },
	{ "soon", EXIT_USAGE, 0 },
	{ "2s", EXIT_USAGE, 0 },
	{ "", EXIT_USAGE, 0 },
};

START_TEST(test_ca_retry)
{
	const struct retry_case *c = &retry_cases[_i];
	struct ca_options opts;
	struct parsed p;
	struct ca *ca = NULL;

	ck_assert_int_eq(parse(c->value != NULL ? "--ca-retry" : NULL, c->value, &p),
			 c->status);
	if (c->status != 0)
		return;
	memset(&opts, 0xff, sizeof(opts));
	cmd_ca_options(&p.ca, &opts);
	ck_assert_int_eq(opts.retry_seconds, c->retry_seconds);
	/* The rest as the other options left it. */
	ck_assert_int_eq(opts.timeout_seconds, 0);
	ck_assert_int_eq(opts.wait_seconds, 0);
	ck_assert_ptr_null(opts.auth_key);
	ck_assert_ptr_null(opts.challenge);
	ck_assert_msg(ca_open(p.ca.spec, &opts, &ca) == 0, "%s", err_message());
	ca_free(ca);
}
END_TEST

/* The neighbouring options still land in their own fields. */
START_TEST(test_other_seconds)
{
	struct ca_options opts;
	struct parsed p;

	ck_assert_int_eq(parse("--wait", "7", &p), 0);
	cmd_ca_options(&p.ca, &opts);
	ck_assert_int_eq(opts.wait_seconds, 7);
	ck_assert_int_eq(opts.retry_seconds, 0);
	ck_assert_int_eq(parse("--ca-timeout", "9", &p), 0);
	cmd_ca_options(&p.ca, &opts);
	ck_assert_int_eq(opts.timeout_seconds, 9);
	ck_assert_int_eq(opts.retry_seconds, 0);
}
END_TEST

static Suite *
cmd_ca_suite(void)
{
	Suite *s = suite_create("cmd-ca");
	TCase *tc = tcase_create("options");

	tcase_add_loop_test(tc, test_ca_retry, 0,
			    sizeof(retry_cases) / sizeof(retry_cases[0]));
	tcase_add_test(tc, test_other_seconds);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cmd_ca_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
