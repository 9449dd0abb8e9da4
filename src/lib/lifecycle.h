/* SPDX-License-Identifier: MIT */
/* lifecycle.h - a role after enroll: renew it, remove it.
 *
 * Renew makes the new key pair and certificate beside the old ones and
 * lets the old ones go only once the new ones are in: a crash at any point
 * leaves the old role whole, or the new group with a pending label that
 * status --repair finishes or removes.
 */
#ifndef P11E_LIFECYCLE_H
#define P11E_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/x509.h>
#include "ca.h"
#include "enroll.h"
#include "profile.h"
#include "rolestate.h"
#include "token.h"

/* What renew did. */
struct lifecycle_renewal {
	struct enroll_result result;    /* the new key pair and certificate */
	char *retired_id;               /* CKA_ID (hex) of the old objects left
					 * under "retired:LABEL", or NULL */
	char *warning;                  /* a sentence for the user, or NULL */
	X509 *old_cert;                 /* the certificate replaced, for a
					 * revocation once the new one is in */
};

/* Free what R holds and zero it; NULL is fine. */
void lifecycle_renewal_clear(struct lifecycle_renewal *r);

/* Give the role of P on T a new key pair and certificate, same profile.
 * VARS fill the profile's templates; NULL takes the subject and subject
 * alternative names of the current certificate. Key usage and extended
 * key usage always come from the profile. Refused, with nothing changed,
 * when the role is not on the token whole (one private key and one
 * certificate labelled LABEL, same CKA_ID), when the role has objects
 * pending or awaiting, when its profile's fixed CKA_ID is taken by
 * another private key, and with KEEP_OLD when its profile fixes the
 * CKA_ID (a usage error). With KEEP_OLD the old objects stay under
 * "retired:LABEL"; else they are deleted once the new ones carry the
 * role's label.
 *
 * With a fixed CKA_ID the new key pair is made in the old one's slot: a
 * token that keeps both is renewed as above; a card that replaces the old
 * key (or the old certificate) there leaves nothing to go back to, so a
 * failure after that removes the rest of the old group as well, and the
 * role must be enrolled again. */
int lifecycle_renew(struct token *t, const struct profile *p,
		    const struct vars *vars, struct ca *ca, X509_STORE *trust,
		    bool keep_old, struct lifecycle_renewal *out);

/* Which of a role's objects remove deletes. */
enum lifecycle_scope {
	LIFECYCLE_ROLE,                 /* LABEL and "awaiting:LABEL" */
	LIFECYCLE_ROLE_AND_RETIRED,     /* those and "retired:LABEL" */
	LIFECYCLE_RETIRED_ONLY,         /* "retired:LABEL" alone */
};

/* The objects of ROLE (labelled LABEL) in SCOPE that remove deletes, in
 * the order they go; never "pending:LABEL" (status --repair owns those).
 * None is an error: "role ROLE is not on token T". */
int lifecycle_remove_plan(struct token *t, const char *role, const char *label,
			  enum lifecycle_scope scope, struct rolestate_group *out);

/* Delete the objects of PLAN (rolestate_delete()); goes on after a
 * failure and reports every one, the first as the recorded error.
 * *REMOVED is how many went. Once they are all gone, the state files of
 * PLAN's keys (a request, a ticket, a record) go from the state directory
 * too. */
int lifecycle_remove(struct token *t, const char *role,
		     const struct rolestate_group *plan, size_t *removed);

#endif
