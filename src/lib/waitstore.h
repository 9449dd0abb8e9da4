/* SPDX-License-Identifier: MIT */
/* waitstore.h - what waits beside a key awaiting its certificate: its
 * request, and the ticket of a CA that asked to wait.
 *
 * Both are data objects on the token under the awaiting label
 * (certstore_write_data()). Where the token keeps no data objects, public
 * or private, they are files in the state directory instead (statedir.h),
 * keyed by the token's serial and the key's CKA_ID, holding the same
 * bytes. Everything that reads, replaces or deletes them goes through
 * here, so that no command knows which of the two places a token uses.
 */
#ifndef P11E_WAITSTORE_H
#define P11E_WAITSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "certstore.h"
#include "keyalg.h"
#include "statedir.h"
#include "token.h"

enum waitstore_where {
	WAITSTORE_NONE,         /* not kept anywhere */
	WAITSTORE_TOKEN,        /* a data object on the token */
	WAITSTORE_FILE,         /* a file in the state directory */
};

/* One piece of waiting state and where it is. */
struct waitstore_item {
	enum waitstore_where where;
	enum certstore_data kind;
	CK_OBJECT_HANDLE h;                     /* WAITSTORE_TOKEN */
	unsigned char id[KEY_ID_MAX];           /* WAITSTORE_FILE: the key's */
	size_t id_len;
};

/* An item that is nowhere, of KIND. */
void waitstore_item_init(struct waitstore_item *it, enum certstore_data kind);

/* Keep DATA of KIND for the key ID: as a data object labelled LABEL, or
 * where the token refuses every data object, as a file in its state
 * directory (made when missing). */
int waitstore_write(struct token *t, const char *label, enum certstore_data kind,
		    const unsigned char *id, size_t id_len,
		    const unsigned char *data, size_t len, struct waitstore_item *out);

/* Replace what IT holds with DATA in one step: the old content or the new
 * is found after a crash, never a mix. */
int waitstore_replace(struct token *t, const struct waitstore_item *it,
		      const unsigned char *data, size_t len);

/* Every item of KIND: data objects labelled LABEL, then the file of the
 * key ID when ID is not NULL. */
int waitstore_find(struct token *t, const char *label, enum certstore_data kind,
		   const unsigned char *id, size_t id_len,
		   struct waitstore_item **out, size_t *count);

/* What IT holds; caller frees *OUT. */
int waitstore_read(struct token *t, const struct waitstore_item *it,
		   unsigned char **out, size_t *len);

/* Delete IT; one that is gone already counts as deleted. An item that is
 * nowhere is fine. */
int waitstore_delete(struct token *t, const struct waitstore_item *it);

/* Delete every state file of the key ID (every kind) from T's state
 * directory; none there, or no directory, is fine. */
int waitstore_drop_files(struct token *t, const unsigned char *id, size_t id_len);

/* Where an awaiting key's request and ticket are. */
struct waitstore_place {
	enum waitstore_where where;
	char *path;             /* owned: WAITSTORE_FILE's file, else NULL */
};

/* What status sees of the waiting state on T and in its state directory. */
struct waitstore_survey {
	char *dir;                      /* owned: the state directory, or NULL */
	size_t n;                       /* the inventory's entries */
	struct waitstore_place (*places)[2];    /* owned, per entry, indexed by
						 * enum certstore_data; NONE
						 * for entries that do not
						 * await */
	struct statedir_entry *orphans; /* owned: state files of T whose key
					 * does not await on T (a record: is
					 * no enrolled role's) */
	size_t norphans;
};

/* Survey the N entries of INV (certstore_inventory()) on T. */
int waitstore_survey(struct token *t, const struct inventory_entry *inv,
		     size_t n, struct waitstore_survey *out);

/* Free what S holds and zero it; NULL is fine. */
void waitstore_survey_clear(struct waitstore_survey *s);

/* Delete the state file NAME from T's state directory. */
int waitstore_drop_file(struct token *t, const char *name);

#endif
