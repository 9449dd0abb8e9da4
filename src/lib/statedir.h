/* SPDX-License-Identifier: MIT */
/* statedir.h - the state directory: where p11enroll keeps, for a token
 * that keeps no data objects, what it would have stored there as one.
 *
 * One file per piece of state, named SERIAL-ID.KIND: SERIAL is the
 * token's serial with every byte but A-Z, a-z and 0-9 written as %HH (it
 * comes from the token: a hostile one must not name "../x" or a hidden
 * file), ID the key's CKA_ID in lower-case hex, KIND "request",
 * "ca-ticket" or "record". A file holds exactly what the data object
 * would hold.
 *
 * The directory is the user's alone: made 0700 when missing, and refused
 * when it is a symbolic link, is owned by another user or can be written
 * by group or others. Files are 0600, opened with O_NOFOLLOW relative to
 * the directory opened once, and replaced atomically (a temporary file
 * beside them, then rename), so that a reader finds the old content or
 * the new, never a part.
 */
#ifndef P11E_STATEDIR_H
#define P11E_STATEDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What a state file holds. */
enum statedir_kind {
	STATEDIR_REQUEST,       /* the request of a key awaiting its
				 * certificate, DER */
	STATEDIR_CA_TICKET,     /* the CA that asked to wait and its cookie */
	STATEDIR_RECORD,        /* an enrolled role's record (rolerecord.h) */
};
#define STATEDIR_KINDS 3

/* Room for any file name statedir_name() makes: a 32-byte serial at
 * three bytes a byte, a 64-byte CKA_ID in hex and the kind. */
#define STATEDIR_NAME_MAX 256

/* The largest state file read back. */
#define STATEDIR_FILE_MAX (64 * 1024)

/* The default directory of user UID: /var/lib/p11enroll for root, else
 * XDG_STATE_HOME/p11enroll when XDG_STATE_HOME is an absolute path, else
 * HOME/.local/state/p11enroll. Either string may be NULL. No home at all
 * is a usage error that points at --state-dir. */
int statedir_default(uid_t uid, const char *xdg_state_home, const char *home,
		     char **out);

/* The file name of KIND for the key ID (ID_LEN bytes, 1 to 64) on the
 * token with SERIAL, into BUF. */
int statedir_name(const char *serial, const unsigned char *id, size_t id_len,
		  enum statedir_kind kind, char *buf, size_t size);

/* Whether NAME is a state file of the token with SERIAL: true with its
 * key's CKA_ID in ID (room for 64 bytes) and its kind; false for any
 * other name. */
bool statedir_parse_name(const char *name, const char *serial,
			 unsigned char *id, size_t *id_len,
			 enum statedir_kind *kind);

/* "request", "ca-ticket" or "record". */
const char *statedir_kind_name(enum statedir_kind kind);

struct statedir;

/* Open the state directory PATH, checked as above. With CREATE a missing
 * directory is made (its missing parents too, 0700); without it a missing
 * directory is no error: *OUT is NULL, as it holds nothing. */
int statedir_open(const char *path, bool create, struct statedir **out);

/* Close the directory; NULL is fine. */
void statedir_free(struct statedir *d);

/* The directory's path as given. */
const char *statedir_path(const struct statedir *d);

/* Write LEN bytes of DATA as NAME, replacing it atomically. */
int statedir_write(struct statedir *d, const char *name,
		   const unsigned char *data, size_t len);

/* Read NAME: 1 with its content in *OUT (caller frees) and *LEN, 0 when
 * there is no such file, -1 on error (also a symbolic link, or anything
 * but a regular file of ours). */
int statedir_read(struct statedir *d, const char *name, unsigned char **out,
		  size_t *len);

/* Whether NAME is there (a symbolic link under the name is an error). */
int statedir_exists(struct statedir *d, const char *name, bool *yes);

/* Delete NAME; one that is not there counts as deleted. */
int statedir_remove(struct statedir *d, const char *name);

/* A state file found by statedir_list(). */
struct statedir_entry {
	char name[STATEDIR_NAME_MAX];
	unsigned char id[64];
	size_t id_len;
	enum statedir_kind kind;
};

/* Every state file of the token with SERIAL, sorted by name. */
int statedir_list(struct statedir *d, const char *serial,
		  struct statedir_entry **out, size_t *count);

#endif
