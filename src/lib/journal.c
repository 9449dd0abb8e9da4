/* SPDX-License-Identifier: MIT */
/* journal.c - a batch's record of what it has done, as JSON lines. */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "array.h"
#include "err.h"
#include "journal.h"
#include "util.h"

/* Largest journal read back: far more than any manifest produces. */
#define JOURNAL_MAX_BYTES (256 * 1024 * 1024)

static const char *const journal_names[] = {
	[JOURNAL_NONE] = "none",
	[JOURNAL_STARTED] = "started",
	[JOURNAL_DONE] = "done",
	[JOURNAL_AWAITING] = "awaiting",
	[JOURNAL_FAILED] = "failed",
};

#define JOURNAL_NSTATES (sizeof(journal_names) / sizeof(journal_names[0]))

/* The last line read for one role of one row. */
struct journal_entry {
	size_t line;
	char *role;
	enum journal_state state;
	struct journal_cert cert;       /* with JOURNAL_DONE */
};

struct journal {
	char *path;
	int fd;
	struct journal_entry *entries;
	size_t count, cap;
	/* The entries by row and role: a table of places in entries plus
	 * one (0 is a free place), open addressing, at most half full, so
	 * that each record and each look-up costs the same at any size. */
	size_t *table;
	size_t table_size;      /* a power of two, or 0 */
	bool unsynced;          /* records written since the last sync */
};

void
journal_free(struct journal *j)
{
	size_t i;

	if (j == NULL)
		return;
	if (j->fd >= 0 && j->unsynced)
		(void)fdatasync(j->fd);
	if (j->fd >= 0)
		close(j->fd);
	for (i = 0; i < j->count; i++) {
		free(j->entries[i].role);
		journal_cert_clear(&j->entries[i].cert);
	}
	free(j->entries);
	free(j->table);
	free(j->path);
	free(j);
}

const char *
journal_path(const struct journal *j)
{
	return j->path;
}

const char *
journal_state_name(enum journal_state state)
{
	return journal_names[state];
}

void
journal_cert_clear(struct journal_cert *c)
{
	free(c->serial);
	free(c->sha256);
	free(c->not_after);
	memset(c, 0, sizeof(*c));
}

/* Copy FROM into TO (cleared first); -1 when out of memory. */
static int
journal_cert_copy(struct journal_cert *to, const char *serial,
		  const char *sha256, const char *not_after)
{
	journal_cert_clear(to);
	if ((serial != NULL && (to->serial = strdup(serial)) == NULL) ||
	    (sha256 != NULL && (to->sha256 = strdup(sha256)) == NULL) ||
	    (not_after != NULL && (to->not_after = strdup(not_after)) == NULL)) {
		journal_cert_clear(to);
		return err_set(ERR_FAILED, "out of memory");
	}
	return 0;
}

/* FNV-1a over the row's line and the role's name. */
static size_t
journal_hash(size_t line, const char *role)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < sizeof(line); i++) {
		h ^= (line >> (8 * i)) & 0xff;
		h *= 1099511628211ULL;
	}
	for (; *role != '\0'; role++) {
		h ^= (unsigned char)*role;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* The place in J's table of LINE and ROLE: theirs, or the free one where
 * they would go. */
static size_t
journal_slot(const struct journal *j, size_t line, const char *role)
{
	size_t mask = j->table_size - 1, at = journal_hash(line, role) & mask;
	const struct journal_entry *e;

	for (; j->table[at] != 0; at = (at + 1) & mask) {
		e = &j->entries[j->table[at] - 1];
		if (e->line == line && strcmp(e->role, role) == 0)
			break;
	}
	return at;
}

static struct journal_entry *
journal_find(const struct journal *j, size_t line, const char *role)
{
	size_t at;

	if (j->table_size == 0)
		return NULL;
	at = journal_slot(j, line, role);
	return j->table[at] != 0 ? &j->entries[j->table[at] - 1] : NULL;
}

/* Room in J's table for one more entry: doubled and refilled when it
 * would pass half full. */
static int
journal_table_grow(struct journal *j)
{
	size_t size = j->table_size ? j->table_size : 64, i;
	size_t *old = j->table, old_size = j->table_size;

	if ((j->count + 1) * 2 <= j->table_size)
		return 0;
	while ((j->count + 1) * 2 > size)
		size *= 2;
	if ((j->table = calloc(size, sizeof(*j->table))) == NULL) {
		j->table = old;
		return err_set(ERR_FAILED, "out of memory");
	}
	j->table_size = size;
	for (i = 0; i < old_size; i++)
		if (old[i] != 0)
			j->table[journal_slot(j, j->entries[old[i] - 1].line,
					      j->entries[old[i] - 1].role)] = old[i];
	free(old);
	return 0;
}

/* Remember DOC (one parsed line) as the latest state of its role. */
static int
journal_remember(struct journal *j, json_t *doc)
{
	struct journal_entry *e, *grown;
	const char *role = NULL, *state = NULL, *serial = NULL, *sha256 = NULL;
	const char *not_after = NULL;
	json_int_t line = 0;
	size_t i;

	if (json_unpack(doc, "{s:I, s:s, s:s, s?:s, s?:s, s?:s}", "line", &line,
			"role", &role, "state", &state, "serial", &serial,
			"sha256", &sha256, "not_after", &not_after) != 0 ||
	    line <= 0)
		return err_set(ERR_USAGE, "journal %s: a line that is not a "
			       "record of this program", j->path);
	for (i = 0; i < JOURNAL_NSTATES; i++)
		if (strcmp(state, journal_names[i]) == 0)
			break;
	if (i == JOURNAL_NSTATES)
		return err_set(ERR_USAGE, "journal %s: unknown state '%s'",
			       j->path, state);
	if ((e = journal_find(j, (size_t)line, role)) == NULL) {
		if (journal_table_grow(j) < 0)
			return -1;
		grown = array_grow(j->entries, &j->cap, j->count + 1,
				   sizeof(*grown));
		if (grown == NULL)
			return -1;
		j->entries = grown;
		e = &j->entries[j->count];
		memset(e, 0, sizeof(*e));
		e->line = (size_t)line;
		if ((e->role = util_strdup(role)) == NULL)
			return -1;
		j->count++;
		j->table[journal_slot(j, e->line, e->role)] = j->count;
	}
	e->state = (enum journal_state)i;
	return journal_cert_copy(&e->cert, serial, sha256, not_after);
}

/* The journal's first line for the manifest whose SHA-256 is HEX,
 * without its newline; malloc'ed. */
static char *
journal_header(const char *hex)
{
	json_t *doc = json_pack("{s:s}", "manifest", hex);
	char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	if (text == NULL)
		err_set(ERR_FAILED, "out of memory");
	return text;
}

/* Read what an earlier run wrote; DIGEST must match its first line. The
 * last line, cut short by a crash, is cut off the file too, but only in
 * a file that is a journal: one whose first line is a journal's header,
 * or that holds only the start of the header this run would write. Any
 * other file is refused as it is: it may be something else, given by
 * mistake or planted. */
static int
journal_read(struct journal *j, const unsigned char digest[32])
{
	unsigned char *data = NULL;
	char *hex = util_hex(digest, 32), *header = NULL, *p, *nl;
	const char *recorded = NULL;
	json_t *doc = NULL;
	size_t len = 0, lineno = 0, good = 0;
	int rc = -1;

	if (hex == NULL || (header = journal_header(hex)) == NULL)
		goto out;
	if (util_read_fd(j->fd, j->path, JOURNAL_MAX_BYTES, &data, &len) < 0)
		goto out;
	for (p = (char *)data; (nl = memchr(p, '\n', len - (size_t)(p - (char *)data)))
	     != NULL; p = nl + 1) {
		lineno++;
		json_decref(doc);
		if ((doc = json_loadb(p, (size_t)(nl - p), 0, NULL)) == NULL) {
			err_set(ERR_USAGE, "journal %s:%zu: not a JSON line%s",
				j->path, lineno, lineno == 1 ? ", so not a p11enroll "
				"batch journal (left as it is)" : "");
			goto out;
		}
		if (lineno == 1) {
			if (json_unpack(doc, "{s:s}", "manifest", &recorded) != 0) {
				err_set(ERR_USAGE, "journal %s: not a p11enroll "
					"batch journal (left as it is)", j->path);
				goto out;
			}
			if (strcmp(recorded, hex) != 0) {
				err_set(ERR_USAGE, "journal %s belongs to another "
					"manifest (SHA-256 %s); give a new journal "
					"for this one", j->path, recorded);
				goto out;
			}
		} else if (journal_remember(j, doc) < 0) {
			goto out;
		}
		good = (size_t)(nl + 1 - (char *)data);
	}
	if (lineno == 0 && (len > strlen(header) ||
			    memcmp(data, header, len) != 0)) {
		err_set(ERR_USAGE, "journal %s: not a p11enroll batch journal "
			"(left as it is)", j->path);
		goto out;
	}
	if (good < len && ftruncate(j->fd, (off_t)good) == -1) {
		err_set(ERR_FAILED, "journal %s: cannot drop its cut-off last "
			"line: %s", j->path, strerror(errno));
		goto out;
	}
	if (lineno == 0) {
		/* Empty or only a cut-off header: start it again. */
		len = strlen(header);
		header[len] = '\n';
		if (write(j->fd, header, len + 1) != (ssize_t)(len + 1) ||
		    fdatasync(j->fd) != 0) {
			err_set(ERR_FAILED, "journal %s: cannot write: %s",
				j->path, strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(doc);
	free(data);
	free(header);
	free(hex);
	return rc;
}

int
journal_open(const char *path, const unsigned char digest[32],
	     struct journal **out)
{
	struct journal *j = NULL;
	int rc = -1;

	*out = NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	j->fd = -1;
	if ((j->path = util_strdup(path)) == NULL)
		goto out;
	if (util_open_private(path, O_RDWR | O_APPEND, true, &j->fd) < 0) {
		err_prefix("journal %s", path);
		goto out;
	}
	if (flock(j->fd, LOCK_EX | LOCK_NB) == -1) {
		err_set(ERR_FAILED, "journal %s is in use by another batch",
			path);
		goto out;
	}
	if (journal_read(j, digest) < 0)
		goto out;
	*out = j;
	j = NULL;
	rc = 0;
out:
	journal_free(j);
	return rc;
}

enum journal_state
journal_state(const struct journal *j, size_t line, const char *role,
	      struct journal_cert *cert)
{
	const struct journal_entry *e = journal_find(j, line, role);

	if (cert != NULL)
		memset(cert, 0, sizeof(*cert));
	if (e == NULL)
		return JOURNAL_NONE;
	if (cert != NULL)
		(void)journal_cert_copy(cert, e->cert.serial, e->cert.sha256,
					e->cert.not_after);
	return e->state;
}

int
journal_record(struct journal *j, size_t line, const char *token,
	       const char *role, enum journal_state state,
	       const struct journal_cert *cert, const char *message)
{
	static const struct journal_cert none = { NULL, NULL, NULL };
	char *text = NULL;
	json_t *doc = NULL;
	size_t len;
	int rc = -1;

	if (cert == NULL)
		cert = &none;
	doc = json_pack("{s:I, s:s, s:s, s:s, s:s*, s:s*, s:s*, s:s*}", "line",
			(json_int_t)line, "token", token, "role", role, "state",
			journal_names[state], "serial", cert->serial, "sha256",
			cert->sha256, "not_after", cert->not_after, "error",
			message);
	if (doc == NULL || (text = json_dumps(doc, JSON_COMPACT)) == NULL) {
		err_set(ERR_FAILED, "journal %s: cannot encode a record", j->path);
		goto out;
	}
	/* One write per record, so that a crash cuts at most the last one.
	 * A role's start and its wait for a CA are synced before the step
	 * goes on; its end is synced with the next start or when the journal
	 * closes: lost in a crash, it leaves the start, and a rerun then
	 * looks at the token, as for a role that was cut short. */
	len = strlen(text);
	text[len] = '\n';
	if (write(j->fd, text, len + 1) != (ssize_t)(len + 1) ||
	    ((state == JOURNAL_STARTED || state == JOURNAL_AWAITING) &&
	     fdatasync(j->fd) != 0)) {
		err_set(ERR_FAILED, "journal %s: cannot write: %s", j->path,
			strerror(errno));
		goto out;
	}
	j->unsynced = state != JOURNAL_STARTED && state != JOURNAL_AWAITING;
	if (journal_remember(j, doc) < 0)
		goto out;
	rc = 0;
out:
	json_decref(doc);
	free(text);
	return rc;
}
