/* SPDX-License-Identifier: MIT */
/* check_batch.c - the batch's worker protocol: what the parent accepts
 * from a worker before any number in it indexes the batch's rows. */
#include "config.h"

#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "batch-msg.h"
#include "err.h"

/* Two rows: the first with two roles, the second with one. */
static const struct batch_row rows[] = {
	{ NULL, NULL, 2, NULL },
	{ NULL, NULL, 1, NULL },
};
static const struct batch_job job = { .rows = rows, .nrows = 2 };

static const struct {
	const char *name;
	long expect_row;        /* the row the worker was handed; -1: idle */
	const char *line;
	size_t row, role;
	bool end;
	enum journal_state state;
} news_cases[] = {
	{ "started", 0, "{\"row\":0,\"role\":1,\"state\":\"started\"}",
	  0, 1, false, JOURNAL_STARTED },
	{ "done", 1, "{\"row\":1,\"role\":0,\"state\":\"done\","
	  "\"serial\":\"5A\",\"sha256\":\"07\",\"not_after\":\"2027\"}",
	  1, 0, false, JOURNAL_DONE },
	{ "failed", 1, "{\"row\":1,\"role\":0,\"state\":\"failed\","
	  "\"error\":\"CA said no\"}", 1, 0, false, JOURNAL_FAILED },
	{ "end", 1, "{\"row\":1,\"end\":true}", 1, 0, true, JOURNAL_NONE },
	{ "end with error", 0, "{\"row\":0,\"end\":true,\"error\":\"no PIN\"}",
	  0, 0, true, JOURNAL_NONE },
};

/* Lines refused before any of their numbers is used. */
static const struct {
	const char *name;
	long expect_row;
	const char *line;
} refused_cases[] = {
	/* An idle worker's row is -1: the same number, but no index. */
	{ "idle worker, row -1 end", -1, "{\"row\":-1,\"end\":true}" },
	{ "idle worker, row -1 role", -1,
	  "{\"row\":-1,\"role\":0,\"state\":\"done\"}" },
	{ "idle worker, row 0", -1, "{\"row\":0,\"end\":true}" },
	{ "another row", 0, "{\"row\":1,\"end\":true}" },
	{ "row past the end", 2, "{\"row\":2,\"end\":true}" },
	{ "huge row", 0, "{\"row\":9223372036854775807,\"end\":true}" },
	{ "negative role", 0, "{\"row\":0,\"role\":-1,\"state\":\"done\"}" },
	{ "role past the row's", 1, "{\"row\":1,\"role\":1,\"state\":\"done\"}" },
	{ "no role", 0, "{\"row\":0,\"state\":\"done\"}" },
	{ "no state", 0, "{\"row\":0,\"role\":0}" },
	{ "unknown state", 0, "{\"row\":0,\"role\":0,\"state\":\"maybe\"}" },
	{ "row as a string", 0, "{\"row\":\"0\",\"end\":true}" },
	{ "not JSON", 0, "0 end" },
	{ "not an object", 0, "[0]" },
};

START_TEST(test_batch_news)
{
	struct batch_news news;

	err_clear();
	ck_assert_msg(batch_news_parse(&job, news_cases[_i].expect_row,
				       news_cases[_i].line, &news) == 0,
		      "%s: %s", news_cases[_i].name, err_message());
	ck_assert_uint_eq(news.row, news_cases[_i].row);
	ck_assert_int_eq(news.end, news_cases[_i].end);
	if (!news.end) {
		ck_assert_uint_eq(news.role, news_cases[_i].role);
		ck_assert_int_eq(news.state, news_cases[_i].state);
	}
	batch_news_clear(&news);
	ck_assert_ptr_null(news.doc);
}
END_TEST

START_TEST(test_batch_news_refused)
{
	struct batch_news news;

	err_clear();
	ck_assert_msg(batch_news_parse(&job, refused_cases[_i].expect_row,
				       refused_cases[_i].line, &news) == -1,
		      "%s: accepted", refused_cases[_i].name);
	ck_assert_ptr_null(news.doc);
	ck_assert_str_eq(err_message(),
			 "a batch worker said something unexpected");
}
END_TEST

START_TEST(test_batch_news_fields)
{
	struct batch_news news;

	ck_assert_int_eq(batch_news_parse(&job, 1, news_cases[1].line, &news), 0);
	ck_assert_str_eq(news.serial, "5A");
	ck_assert_str_eq(news.sha256, "07");
	ck_assert_str_eq(news.not_after, "2027");
	ck_assert_ptr_null(news.error);
	batch_news_clear(&news);
	ck_assert_int_eq(batch_news_parse(&job, 0, news_cases[4].line, &news), 0);
	ck_assert_str_eq(news.error, "no PIN");
	batch_news_clear(&news);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("batch");
	TCase *tc = tcase_create("protocol");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_batch_news, 0,
			    sizeof(news_cases) / sizeof(news_cases[0]));
	tcase_add_loop_test(tc, test_batch_news_refused, 0,
			    sizeof(refused_cases) / sizeof(refused_cases[0]));
	tcase_add_test(tc, test_batch_news_fields);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
