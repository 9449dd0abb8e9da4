/* SPDX-License-Identifier: MIT */
/* check_rolestate.c - role-state labels made and read back, and the order
 * of a group's objects, without a token. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "rolestate.h"
#include "util.h"

/* A label made for each state reads back as that state and role. */
static const struct {
	enum rolestate state;
	const char *role;
	const char *label;
} made[] = {
	{ ROLESTATE_ROLE, "tls-server", "tls-server" },
	{ ROLESTATE_PENDING, "tls-server", "pending:tls-server" },
	{ ROLESTATE_AWAITING, "user-auth", "awaiting:user-auth" },
	{ ROLESTATE_RETIRED, "user-sign", "retired:user-sign" },
	{ ROLESTATE_PENDING, "vpn key", "pending:vpn key" },
	{ ROLESTATE_RETIRED, "a:b", "retired:a:b" },
	{ ROLESTATE_ROLE, "x", "x" },
	/* Room for 70 bytes after the longest prefix, "awaiting:". */
	{ ROLESTATE_AWAITING,
	  "0123456789012345678901234567890123456789012345678901234567890123456789",
	  "awaiting:"
	  "0123456789012345678901234567890123456789012345678901234567890123456789" },
};

START_TEST(test_label_round_trip)
{
	char buf[ROLESTATE_LABEL_MAX];
	const char *role = NULL;

	err_clear();
	ck_assert_msg(rolestate_label(made[_i].state, made[_i].role, buf,
				      sizeof(buf)) == 0, "%s", err_message());
	ck_assert_str_eq(buf, made[_i].label);
	ck_assert_int_eq(rolestate_parse(buf, &role), made[_i].state);
	ck_assert_str_eq(role, made[_i].role);
	/* The role points into the label, after the prefix. */
	ck_assert_ptr_eq(role, buf + strlen(buf) - strlen(made[_i].role));
}
END_TEST

/* Labels that no role may have, in any state. */
static const struct {
	enum rolestate state;
	const char *role;
	const char *why;
} refused[] = {
	{ ROLESTATE_ROLE, "", "not empty" },
	{ ROLESTATE_PENDING, "", "not empty" },
	{ ROLESTATE_PENDING, NULL, "not empty" },
	{ ROLESTATE_ROLE, "pending:tls-server", "state prefix" },
	{ ROLESTATE_ROLE, "pending:", "state prefix" },
	{ ROLESTATE_RETIRED, "awaiting:x", "state prefix" },
	{ ROLESTATE_PENDING, "retired:x", "state prefix" },
	/* One byte more than fits after "awaiting:". */
	{ ROLESTATE_AWAITING,
	  "01234567890123456789012345678901234567890123456789012345678901234567890",
	  "too long" },
	{ ROLESTATE_ROLE,
	  "0123456789012345678901234567890123456789012345678901234567890123456789"
	  "0123456789", "too long" },
};

START_TEST(test_label_refused)
{
	char buf[ROLESTATE_LABEL_MAX];

	err_clear();
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(rolestate_label(refused[_i].state, refused[_i].role, buf,
					 sizeof(buf)), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_msg(strstr(err_message(), refused[_i].why) != NULL, "%s",
		      err_message());
	/* Never half a label. */
	ck_assert_str_eq(buf, "");
}
END_TEST

/* A buffer too small for the label is refused too. */
START_TEST(test_label_small_buffer)
{
	char buf[8];

	ck_assert_int_eq(rolestate_label(ROLESTATE_PENDING, "tls", buf, sizeof(buf)), -1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(rolestate_label(ROLESTATE_PENDING, "tl", buf, sizeof(buf)), -1);
	ck_assert_int_eq(rolestate_label(ROLESTATE_RETIRED, "", buf, sizeof(buf)), -1);
	ck_assert_int_eq(rolestate_label(ROLESTATE_ROLE, "tls-ser", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "tls-ser");
}
END_TEST

/* Labels as other tools (or damage) leave them: what parse makes of them. */
static const struct {
	const char *label;
	enum rolestate state;
	const char *role;
} read_back[] = {
	{ "", ROLESTATE_ROLE, "" },
	{ "pending:", ROLESTATE_PENDING, "" },
	{ "awaiting:", ROLESTATE_AWAITING, "" },
	{ "retired:", ROLESTATE_RETIRED, "" },
	{ "pending", ROLESTATE_ROLE, "pending" },
	{ "Pending:x", ROLESTATE_ROLE, "Pending:x" },
	{ " pending:x", ROLESTATE_ROLE, " pending:x" },
	{ "pending:pending:x", ROLESTATE_PENDING, "pending:x" },
	{ "retired:awaiting:x", ROLESTATE_RETIRED, "awaiting:x" },
	{ "x:pending:", ROLESTATE_ROLE, "x:pending:" },
};

START_TEST(test_parse_odd_labels)
{
	const char *role = NULL;

	ck_assert_int_eq(rolestate_parse(read_back[_i].label, &role), read_back[_i].state);
	ck_assert_str_eq(role, read_back[_i].role);
	ck_assert_int_eq(rolestate_parse(read_back[_i].label, NULL), read_back[_i].state);
}
END_TEST

START_TEST(test_parse_null)
{
	const char *role = NULL;

	ck_assert_int_eq(rolestate_parse(NULL, &role), ROLESTATE_ROLE);
	ck_assert_str_eq(role, "");
}
END_TEST

/* The names status shows, one per state. */
START_TEST(test_names)
{
	ck_assert_str_eq(rolestate_name(ROLESTATE_ROLE), "role");
	ck_assert_str_eq(rolestate_name(ROLESTATE_PENDING), "pending");
	ck_assert_str_eq(rolestate_name(ROLESTATE_AWAITING), "awaiting-certificate");
	ck_assert_str_eq(rolestate_name(ROLESTATE_RETIRED), "retired");
}
END_TEST

/* Whatever order objects are added in, the group holds them in the order
 * of deletion, the private keys first; within a class, as added. */
START_TEST(test_group_order)
{
	static const struct {
		CK_OBJECT_HANDLE h;
		CK_OBJECT_CLASS cls;
	} added[] = {
		{ 10, CKO_CERTIFICATE }, { 11, CKO_DATA }, { 12, CKO_PUBLIC_KEY },
		{ 13, CKO_VENDOR_DEFINED }, { 14, CKO_CERTIFICATE },
		{ 15, CKO_PRIVATE_KEY }, { 16, CKO_SECRET_KEY }, { 17, CKO_PRIVATE_KEY },
	};
	static const CK_OBJECT_HANDLE order[] = { 15, 17, 16, 12, 10, 14, 11, 13 };
	struct rolestate_group g = { NULL, 0, 0 };
	size_t i;

	for (i = 0; i < NELEM(added); i++)
		ck_assert_int_eq(rolestate_group_add(&g, added[i].h, added[i].cls,
						     i % 2 ? "pending:x" : NULL), 0);
	ck_assert_uint_eq(g.n, NELEM(order));
	for (i = 0; i < g.n; i++)
		ck_assert_uint_eq(g.objs[i].handle, order[i]);
	ck_assert_str_eq(g.objs[0].label, "pending:x");
	ck_assert_ptr_null(g.objs[2].label);
	rolestate_group_clear(&g);
	ck_assert_ptr_null(g.objs);
	ck_assert_uint_eq(g.n, 0);
	rolestate_group_clear(NULL);
}
END_TEST

/* An invalid handle and one the group has already are not added. */
START_TEST(test_group_skips)
{
	struct rolestate_group g = { NULL, 0, 0 };

	ck_assert_int_eq(rolestate_group_add(&g, CK_INVALID_HANDLE, CKO_PRIVATE_KEY,
					     "x"), 0);
	ck_assert_int_eq(rolestate_group_add(&g, 7, CKO_CERTIFICATE, "x"), 0);
	ck_assert_int_eq(rolestate_group_add(&g, 7, CKO_CERTIFICATE, "y"), 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_str_eq(g.objs[0].label, "x");
	rolestate_group_clear(&g);
}
END_TEST

/* A group grows as far as it needs: no fixed cap. */
START_TEST(test_group_grows)
{
	struct rolestate_group g = { NULL, 0, 0 };
	CK_OBJECT_HANDLE h;

	for (h = 1; h <= 1000; h++)
		ck_assert_int_eq(rolestate_group_add(&g, h, h == 1000 ? CKO_PRIVATE_KEY :
						     CKO_CERTIFICATE, NULL), 0);
	ck_assert_uint_eq(g.n, 1000);
	ck_assert_uint_eq(g.objs[0].handle, 1000);
	ck_assert_uint_eq(g.objs[1].handle, 1);
	ck_assert_uint_eq(g.objs[999].handle, 999);
	rolestate_group_clear(&g);
}
END_TEST

START_TEST(test_class_names)
{
	ck_assert_str_eq(rolestate_class_name(CKO_PRIVATE_KEY), "private key");
	ck_assert_str_eq(rolestate_class_name(CKO_PUBLIC_KEY), "public key");
	ck_assert_str_eq(rolestate_class_name(CKO_CERTIFICATE), "certificate");
	ck_assert_str_eq(rolestate_class_name(CKO_DATA), "data");
	ck_assert_str_eq(rolestate_class_name(CKO_VENDOR_DEFINED), "object");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rolestate");
	TCase *labels = tcase_create("labels");
	TCase *groups = tcase_create("groups");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(labels, test_label_round_trip, 0, (int)NELEM(made));
	tcase_add_loop_test(labels, test_label_refused, 0, (int)NELEM(refused));
	tcase_add_test(labels, test_label_small_buffer);
	tcase_add_loop_test(labels, test_parse_odd_labels, 0, (int)NELEM(read_back));
	tcase_add_test(labels, test_parse_null);
	tcase_add_test(labels, test_names);
	suite_add_tcase(s, labels);
	tcase_add_test(groups, test_group_order);
	tcase_add_test(groups, test_group_skips);
	tcase_add_test(groups, test_group_grows);
	tcase_add_test(groups, test_class_names);
	suite_add_tcase(s, groups);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
