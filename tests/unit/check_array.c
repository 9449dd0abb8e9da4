/* SPDX-License-Identifier: MIT */
/* check_array.c - array_grow(): how much room it makes, and that a size
 * that would overflow is refused with the array left as it was. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "array.h"
#include "err.h"

/* From CAP elements of SIZE bytes, room for NEED gives NEW_CAP. */
static const struct {
	const char *name;
	size_t cap, need, size, new_cap;
} grow_cases[] = {
	{ "the first element: room for eight", 0, 1, sizeof(int), 8 },
	{ "enough room: no move", 8, 8, sizeof(int), 8 },
	{ "one more: doubled", 8, 9, sizeof(int), 16 },
	{ "more than double: as much as needed", 8, 100, sizeof(int), 100 },
	{ "a byte buffer", 4097, 4098, 1, 8194 },
};

START_TEST(test_grow)
{
	size_t cap = 0;
	char *array = NULL, *grown;

	/* Start from a real array with room for CAP elements (at least
	 * eight, or none). */
	if (grow_cases[_i].cap > 0)
		array = array_grow(NULL, &cap, grow_cases[_i].cap,
				   grow_cases[_i].size);
	ck_assert_uint_eq(cap, grow_cases[_i].cap);
	grown = array_grow(array, &cap, grow_cases[_i].need,
			   grow_cases[_i].size);
	ck_assert_msg(grown != NULL, "%s: %s", grow_cases[_i].name,
		      err_message());
	ck_assert_msg(cap == grow_cases[_i].new_cap, "%s: room for %zu",
		      grow_cases[_i].name, cap);
	if (grow_cases[_i].need <= grow_cases[_i].cap)
		ck_assert_ptr_eq(grown, array);
	/* The whole of the new room is there to write. */
	grown[cap * grow_cases[_i].size - 1] = 'x';
	free(grown);
}
END_TEST

/* Sizes past what memory can hold: NULL, the error recorded, and the
 * array and its room unchanged. */
static const struct {
	const char *name;
	size_t need, size;
} overflow_cases[] = {
	{ "count times size overflows", SIZE_MAX / 4 + 1, 4 },
	{ "the largest count", SIZE_MAX, 2 },
	{ "no element size", 9, 0 },
};

START_TEST(test_overflow)
{
	size_t cap = 0;
	int *array = array_grow(NULL, &cap, 1, sizeof(int)), *grown;

	ck_assert_ptr_nonnull(array);
	ck_assert_uint_eq(cap, 8);
	err_clear();
	grown = array_grow(array, &cap, overflow_cases[_i].need,
			   overflow_cases[_i].size);
	ck_assert_msg(grown == NULL, "%s", overflow_cases[_i].name);
	ck_assert_uint_eq(cap, 8);
	ck_assert_int_eq(err_kind(), ERR_FAILED);
	ck_assert_str_eq(err_message(), "out of memory");
	array[7] = 1;
	free(array);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("array");
	TCase *tc = tcase_create("grow");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_grow, 0,
			    sizeof(grow_cases) / sizeof(grow_cases[0]));
	tcase_add_loop_test(tc, test_overflow, 0,
			    sizeof(overflow_cases) / sizeof(overflow_cases[0]));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
