/* SPDX-License-Identifier: MIT */
/* check_err.c - the error context: messages, kinds and the recorded CKR. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "err.h"

START_TEST(test_ckr_message)
{
	err_clear();
	ck_assert_int_eq(err_ckr(CKR_DEVICE_MEMORY, "generate %s key", "rsa-2048"), -1);
	ck_assert_int_eq(err_kind(), ERR_FAILED);
	ck_assert_str_eq(err_message(),
			 "generate rsa-2048 key: CKR_DEVICE_MEMORY "
			 "(the token is full)");
	ck_assert_uint_eq(err_last_ckr(), CKR_DEVICE_MEMORY);
}
END_TEST

START_TEST(test_context_keeps_ckr)
{
	err_clear();
	err_ckr(CKR_TEMPLATE_INCOMPLETE, "generate ec-p256 key");
	err_prefix("role %s", "piv-auth");
	err_append("a hint");
	ck_assert_uint_eq(err_last_ckr(), CKR_TEMPLATE_INCOMPLETE);
	ck_assert_str_eq(err_message(),
			 "role piv-auth: generate ec-p256 key: "
			 "CKR_TEMPLATE_INCOMPLETE (the token needs more attributes "
			 "for this object); a hint");
}
END_TEST

/* A later error that came from no PKCS#11 call has no CKR: a hint chosen
 * by the code must not answer the failure before it. */
START_TEST(test_later_error_forgets_ckr)
{
	err_clear();
	err_ckr(CKR_DEVICE_MEMORY, "write the certificate");
	err_set(ERR_FAILED, "read the public key: not an EC point");
	ck_assert_uint_eq(err_last_ckr(), CKR_OK);
	ck_assert_str_eq(err_message(), "read the public key: not an EC point");

	err_ckr(CKR_PIN_INCORRECT, "log in");
	err_clear();
	ck_assert_uint_eq(err_last_ckr(), CKR_OK);
	ck_assert_int_eq(err_kind(), ERR_NONE);
	ck_assert_str_eq(err_message(), "");
}
END_TEST

/* OpenSSL's reason follows the message, and its queue is empty after,
 * so that the next failure is not explained by this one's leftovers. */
START_TEST(test_openssl_reason)
{
	const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01 };
	const unsigned char *p = junk;

	err_clear();
	ERR_clear_error();
	ck_assert_ptr_null(d2i_X509(NULL, &p, sizeof(junk)));
	ck_assert_uint_ne(ERR_peek_error(), 0);
	ck_assert_int_eq(err_openssl(ERR_USAGE, "malformed", "parse %s",
				     "the answer"), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_str_ne(err_message(), "parse the answer: malformed");
	ck_assert_msg(strncmp(err_message(), "parse the answer: ", 18) == 0,
		      "%s", err_message());
	ck_assert_uint_eq(ERR_peek_error(), 0);

	/* Nothing queued: the fallback. */
	err_openssl(ERR_FAILED, "out of memory", "build the request");
	ck_assert_str_eq(err_message(), "build the request: out of memory");
	ck_assert_int_eq(err_kind(), ERR_FAILED);
	ck_assert_str_eq(err_openssl_reason("none"), "none");
}
END_TEST

/* Clean-up that fails in between leaves the first error as it was. */
START_TEST(test_save_restore)
{
	struct err_saved saved;

	err_clear();
	err_ckr(CKR_DEVICE_MEMORY, "write the certificate");
	err_save(&saved);
	err_ckr(CKR_OBJECT_HANDLE_INVALID, "delete object 7");
	ck_assert_int_eq(err_restore(&saved), -1);
	ck_assert_int_eq(err_kind(), ERR_FAILED);
	ck_assert_uint_eq(err_last_ckr(), CKR_DEVICE_MEMORY);
	ck_assert_str_eq(err_message(), "write the certificate: "
			 "CKR_DEVICE_MEMORY (the token is full)");

	err_set(ERR_USAGE, "no such role");
	err_save(&saved);
	err_ckr(CKR_GENERAL_ERROR, "delete object 8");
	err_restore(&saved);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_uint_eq(err_last_ckr(), CKR_OK);
	ck_assert_str_eq(err_message(), "no such role");
}
END_TEST

/* A run that goes on after failures: the first is the recorded error,
 * with its kind and CKR; every later one follows in its message. */
START_TEST(test_collect)
{
	struct err_saved first;
	size_t failed = 0;

	err_clear();
	err_ckr(CKR_DEVICE_ERROR, "delete object 7");
	err_collect(&first, &failed);
	err_set(ERR_USAGE, "no such label");
	err_collect(&first, &failed);
	err_ckr(CKR_DEVICE_MEMORY, "delete object 9");
	err_collect(&first, &failed);
	ck_assert_uint_eq(failed, 3);
	ck_assert_int_eq(err_restore(&first), -1);
	ck_assert_int_eq(err_kind(), ERR_FAILED);
	ck_assert_uint_eq(err_last_ckr(), CKR_DEVICE_ERROR);
	ck_assert_str_eq(err_message(), "delete object 7: CKR_DEVICE_ERROR "
			 "(the device reported an error); no such label; "
			 "delete object 9: CKR_DEVICE_MEMORY (the token is full)");
}
END_TEST

/* The recorded message may be an argument of the next err_set() or
 * err_append(): it is read before it is overwritten. */
START_TEST(test_message_as_argument)
{
	err_clear();
	err_set(ERR_FAILED, "cannot read %s", "m.csv");
	err_set(ERR_USAGE, "manifest: %s", err_message());
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_str_eq(err_message(), "manifest: cannot read m.csv");
	err_append("again: %s", err_message());
	ck_assert_str_eq(err_message(), "manifest: cannot read m.csv; "
			 "again: manifest: cannot read m.csv");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("err");
	TCase *tc = tcase_create("context");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_ckr_message);
	tcase_add_test(tc, test_context_keeps_ckr);
	tcase_add_test(tc, test_later_error_forgets_ckr);
	tcase_add_test(tc, test_save_restore);
	tcase_add_test(tc, test_openssl_reason);
	tcase_add_test(tc, test_collect);
	tcase_add_test(tc, test_message_as_argument);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
