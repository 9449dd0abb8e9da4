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
