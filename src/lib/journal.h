/* SPDX-License-Identifier: MIT */
/* journal.h - what a batch has done, so that a rerun skips it.
 *
 * One JSON object per line: first the manifest's SHA-256, then one line
 * for each change of a role's state. A start, and a wait for the CA, are
 * synced to disk before the step they announce goes on; an end goes to
 * disk with the next start or when the journal is freed, since a rerun
 * that finds only the start looks at the token. A line cut short by a
 * crash is dropped when the journal is opened again.
 */
#ifndef P11E_JOURNAL_H
#define P11E_JOURNAL_H

#include <stddef.h>

enum journal_state {
	JOURNAL_NONE,           /* never started */
	JOURNAL_STARTED,        /* may have left objects on the token */
	JOURNAL_DONE,
	JOURNAL_AWAITING,       /* the CA asked to wait */
	JOURNAL_FAILED,
};

struct journal;

/* What the report says of a role's certificate: hex serial, hex SHA-256
 * fingerprint, notAfter as YYYY-MM-DDTHH:MM:SSZ. */
struct journal_cert {
	char *serial;
	char *sha256;
	char *not_after;
};

/* Free what C holds and zero it. */
void journal_cert_clear(struct journal_cert *c);

/* Open or create the journal at PATH (mode 0600) for the manifest whose
 * SHA-256 is DIGEST; a journal of another manifest is ERR_USAGE. PATH
 * must be this user's private file (util_open_private()); a file that
 * is not a journal is refused and left as it is. */
int journal_open(const char *path, const unsigned char digest[32],
		 struct journal **out);

/* The last state recorded for ROLE of the manifest row at LINE; CERT (may
 * be NULL) gets a copy of what was recorded with JOURNAL_DONE. */
enum journal_state journal_state(const struct journal *j, size_t line,
				 const char *role, struct journal_cert *cert);

/* Record STATE of ROLE in the row at LINE for TOKEN; CERT with
 * JOURNAL_DONE, MESSAGE with JOURNAL_FAILED (either may be NULL). A start
 * or a wait is synced to disk before it returns. */
int journal_record(struct journal *j, size_t line, const char *token,
		   const char *role, enum journal_state state,
		   const struct journal_cert *cert, const char *message);

/* The name of STATE in the journal and in reports: "done", ... */
const char *journal_state_name(enum journal_state state);

/* The journal's path, for messages. */
const char *journal_path(const struct journal *j);

/* NULL is fine. */
void journal_free(struct journal *j);

#endif
