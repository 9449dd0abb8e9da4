/* SPDX-License-Identifier: MIT */
/* check_token_uri.c - a token selector as it may be shown: without the
 * URI's pin-value and pin-source. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "token-uri.h"
#include "util.h"

static const struct printable_case {
	const char *selector;
	const char *shown;      /* NULL: refused */
} printable_cases[] = {
	{ NULL, "" },
	{ "alice", "alice" },
	/* A label is a label, whatever it says. */
	{ "pin-value=1234", "pin-value=1234" },
	{ "pkcs11:token=alice", "pkcs11:token=alice" },
	/* Nothing to hide: as written, attributes and their order kept. */
	{ "pkcs11:token=a%20b;model=SoftHSM%20v2",
	  "pkcs11:token=a%20b;model=SoftHSM%20v2" },
	{ "pkcs11:token=alice?pin-value=1234", "pkcs11:token=alice" },
	{ "pkcs11:token=alice?pin-value=", "pkcs11:token=alice" },
	{ "pkcs11:token=a?pin-value=12%3B34&module-name=x",
	  "pkcs11:token=a?module-name=x" },
	{ "pkcs11:pin-value=1234;token=a", "pkcs11:token=a" },
	{ "pkcs11:token=a?pin-source=file:/secret/pin", "pkcs11:token=a" },
	{ "pkcs11:token=a;pinfile=/secret/pin", "pkcs11:token=a" },
	{ "pkcs11:serial=1f2e;slot-id=3?pin-value=1&module-path=/m.so",
	  "pkcs11:slot-id=3;serial=1f2e?module-path=%2Fm.so" },
	/* A label may say pin-value= too: it is no attribute. */
	{ "pkcs11:token=my-pin-value=1", "pkcs11:token=my-pin-value=1" },
	/* What p11-kit cannot parse is not quoted at all. */
	{ "pkcs11:token=%zz?pin-value=1234", NULL },
	{ "pkcs11:token=a?PIN-VALUE=1234", NULL },
};

START_TEST(test_printable)
{
	const struct printable_case *c = &printable_cases[_i];
	char *shown = (char *)"not cleared";

	err_clear();
	if (c->shown != NULL) {
		ck_assert_int_eq(token_uri_printable(c->selector, &shown), 0);
		ck_assert_str_eq(shown, c->shown);
		free(shown);
		return;
	}
	ck_assert_int_eq(token_uri_printable(c->selector, &shown), -1);
	ck_assert_ptr_null(shown);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err_message(), "bad token URI: "));
	ck_assert_ptr_null(strstr(err_message(), "1234"));
}
END_TEST

/* Parsing refuses what printing refuses, with the same message, and
 * quotes an unknown attribute's URI without its PIN. */
START_TEST(test_parse)
{
	P11KitUri *uri = NULL;

	ck_assert_int_eq(token_uri_parse("pkcs11:token=%zz?pin-value=1234", &uri),
			 -1);
	ck_assert_ptr_null(uri);
	ck_assert_ptr_nonnull(strstr(err_message(), "bad token URI: "));
	ck_assert_ptr_null(strstr(err_message(), "1234"));
	ck_assert_int_eq(token_uri_parse("pkcs11:token=a;colour=red?pin-value=1234",
					 &uri), -1);
	ck_assert_str_eq(err_message(), "token URI 'pkcs11:token=a' has "
			 "attributes that do not select a token");
	ck_assert_int_eq(token_uri_parse("pkcs11:token=a?pin-value=1234", &uri), 0);
	ck_assert_str_eq(p11_kit_uri_get_pin_value(uri), "1234");
	token_uri_free(uri);
}
END_TEST

static Suite *
token_uri_suite(void)
{
	Suite *s = suite_create("token-uri");
	TCase *tc = tcase_create("printable");

	tcase_add_loop_test(tc, test_printable, 0, NELEM(printable_cases));
	tcase_add_test(tc, test_parse);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(token_uri_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
