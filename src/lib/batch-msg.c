/* SPDX-License-Identifier: MIT */
/* batch-msg.c - the line protocol between a batch and its workers. */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch-msg.h"
#include "err.h"
#include "util.h"

static int
batch_send(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, data, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int
batch_send_word(int fd, const char *word)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%s\n", word);

	return batch_send(fd, line, (size_t)n);
}

int
batch_send_json(int fd, json_t *doc)
{
	char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	size_t len;
	int rc = -1;

	if (text == NULL)
		goto out;
	len = strlen(text);
	text[len] = '\n';
	rc = batch_send(fd, text, len + 1);
out:
	free(text);
	json_decref(doc);
	return rc;
}

int
batch_read_line(int fd, char *line, size_t size)
{
	size_t n = 0;
	ssize_t r;
	char c;

	for (;;) {
		r = read(fd, &c, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			return n > 0 ? -1 : 0;
		if (c == '\n')
			break;
		if (n + 1 >= size)
			return -1;
		line[n++] = c;
	}
	line[n] = '\0';
	return 1;
}

static const struct {
	const char *name;
	enum journal_state state;
} batch_news_states[] = {
	{ "started", JOURNAL_STARTED },
	{ "done", JOURNAL_DONE },
	{ "awaiting", JOURNAL_AWAITING },
	{ "failed", JOURNAL_FAILED },
};

static int
batch_news_state(const char *name, enum journal_state *state)
{
	size_t i;

	for (i = 0; i < NELEM(batch_news_states); i++) {
		if (strcmp(name, batch_news_states[i].name) == 0) {
			*state = batch_news_states[i].state;
			return 0;
		}
	}
	return -1;
}

/* Whether V is an array of strings. */
static bool
batch_news_strings(json_t *v)
{
	json_t *item;
	size_t i;

	if (!json_is_array(v))
		return false;
	json_array_foreach(v, i, item)
		if (!json_is_string(item))
			return false;
	return true;
}

int
batch_news_parse(const struct batch_job *job, long expect_row,
		 const char *line, struct batch_news *news)
{
	json_int_t row = -1, role = -1;
	const char *state = NULL;
	int end = 0, present = 0, rc = -1;

	memset(news, 0, sizeof(*news));
	news->doc = json_loads(line, 0, NULL);
	if (json_unpack(news->doc, "{s:I, s?:I, s?:s, s?:b, s?:s, s?:s, s?:s, "
			"s?:s, s?:s, s?:b, s?:o, s?:o}", "row", &row, "role", &role,
			"state", &state, "end", &end, "error", &news->error, "code",
			&news->code, "serial", &news->serial, "sha256",
			&news->sha256, "not_after", &news->not_after, "present",
			&present, "chain", &news->chain, "uris", &news->uris) != 0 ||
	    (news->chain != NULL && !batch_news_strings(news->chain)) ||
	    (news->uris != NULL && !json_is_object(news->uris) &&
	     !json_is_null(news->uris)))
		goto out;
	news->present = present != 0;
	/* An idle worker has no row to speak of: its -1 is no index. */
	if (expect_row < 0 || row != expect_row || (size_t)row >= job->nrows)
		goto out;
	news->row = (size_t)row;
	news->end = end != 0;
	if (!news->end &&
	    (state == NULL || batch_news_state(state, &news->state) < 0 ||
	     role < 0 || role >= job->rows[row].nprofiles))
		goto out;
	news->role = news->end ? 0 : (size_t)role;
	rc = 0;
out:
	if (rc < 0) {
		batch_news_clear(news);
		err_set(ERR_FAILED, "a batch worker said something unexpected");
	}
	return rc;
}

void
batch_news_clear(struct batch_news *news)
{
	json_decref(news->doc);
	memset(news, 0, sizeof(*news));
}
