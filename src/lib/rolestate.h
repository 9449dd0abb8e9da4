/* SPDX-License-Identifier: MIT */
/* rolestate.h - the states of a role's objects on the token, told by
 * their labels, and the one way to find and delete a group of them.
 *
 * A role whose profile label is LABEL has its objects under LABEL once
 * enrolled; a state other than the role itself is a prefix in front of
 * LABEL ("pending:LABEL"). Every label of a state is made by
 * rolestate_label() and read by rolestate_parse(): nothing else knows the
 * prefixes.
 */
#ifndef P11E_ROLESTATE_H
#define P11E_ROLESTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <p11-kit/pkcs11.h>

#include "token.h"

enum rolestate {
	ROLESTATE_ROLE,         /* "LABEL": the role itself (or an object
				 * that another tool labelled so) */
	ROLESTATE_PENDING,      /* "pending:LABEL": written by a run that has
				 * not finished; status --repair finishes or
				 * removes it */
	ROLESTATE_AWAITING,     /* "awaiting:LABEL": a key, its request and
				 * maybe a CA's ticket, awaiting the
				 * certificate (install, or enroll again) */
	ROLESTATE_RETIRED,      /* "retired:LABEL": the old objects that renew
				 * kept (--keep-old) or could not delete */
};
#define ROLESTATE_COUNT 4

/* A set of states for rolestate_check_free(). */
#define ROLESTATE_MASK(s) (1u << (s))

/* Room for a state prefix and a label of up to 64 bytes. */
#define ROLESTATE_LABEL_MAX 80

/* The label of role LABEL in STATE into BUF. Refused: an empty LABEL, a
 * LABEL that starts with a state prefix itself (it would read back as
 * another state), and one that does not fit in SIZE bytes. */
int rolestate_label(enum rolestate state, const char *label, char *buf,
		    size_t size);

/* The state of LABEL (NULL counts as ""), and in *ROLE (may be NULL) the
 * role label after its prefix, pointing into LABEL; a label without a
 * state prefix is ROLESTATE_ROLE, whole. "pending:" is pending with an
 * empty role label, which rolestate_label() never makes. */
enum rolestate rolestate_parse(const char *label, const char **role);

/* The state's name as status shows it: "role", "pending",
 * "awaiting-certificate", "retired". */
const char *rolestate_name(enum rolestate state);

/* Refuse role ROLE (labelled LABEL) when any object on T carries LABEL in
 * one of STATES (ROLESTATE_MASK()s): the message names the role, the
 * state found, its label and the way out. */
int rolestate_check_free(struct token *t, const char *role, const char *label,
			 unsigned states);

/* Whether any object on T carries role label LABEL in STATE. */
int rolestate_present(struct token *t, const char *label, enum rolestate state,
		      bool *present);

/* One object of a group. */
struct rolestate_object {
	CK_OBJECT_HANDLE handle;
	CK_OBJECT_CLASS cls;
	char *label;            /* owned; NULL: not known */
	char *id_hex;           /* owned; NULL: not read, "": no CKA_ID */
};

/* Objects that belong together, always in the order of deletion: private
 * keys, secret keys, public keys, certificates, data objects, others;
 * within one class, in the order they were added. Zeroed is empty. */
struct rolestate_group {
	struct rolestate_object *objs;
	size_t n;
	size_t size;            /* allocated */
};

/* Free what G holds and empty it; NULL is fine. */
void rolestate_group_clear(struct rolestate_group *g);

/* Add object H of class CLS labelled LABEL (may be NULL) to G in its
 * place; CK_INVALID_HANDLE and a handle G has already are skipped. */
int rolestate_group_add(struct rolestate_group *g, CK_OBJECT_HANDLE h,
			CK_OBJECT_CLASS cls, const char *label);

/* Add to G every object on T, of any class, labelled LABEL in STATE,
 * with its class, label and CKA_ID. */
int rolestate_find(struct token *t, enum rolestate state, const char *label,
		   struct rolestate_group *g);

/* Delete G's objects from T in G's order: the private key first, so that
 * a deletion that stops half-way leaves nothing that can still sign or
 * decrypt, then the public key, then certificates and data objects. Goes
 * on after a failure: the first failure is the recorded error (with its
 * CKR), every later one is added to its message. An object that is gone
 * already (CKR_OBJECT_HANDLE_INVALID: a card replaced it in its key slot)
 * counts as deleted. *REMOVED (may be NULL) is how many went. */
int rolestate_delete(struct token *t, const struct rolestate_group *g,
		     size_t *removed);

/* "private key", "certificate", ... for an object class; "object" for
 * one it does not know. */
const char *rolestate_class_name(CK_OBJECT_CLASS cls);

#endif
