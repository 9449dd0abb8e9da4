/* SPDX-License-Identifier: MIT */
/* audit.h - what is on a token, role by role, and what is wrong with it.
 *
 * Works on any token, also one provisioned by other tools: groups of
 * objects sharing a CKA_ID are rows, each with findings that have stable
 * identifiers (documented in p11enroll(1)).
 */
#ifndef P11E_AUDIT_H
#define P11E_AUDIT_H

#include <stddef.h>
#include <time.h>

#include "certstore.h"
#include "policy.h"
#include "waitstore.h"

struct audit_finding {
	const char *id;                 /* static: "cert-mixed-tls" */
	enum policy_severity severity;
	char *message;                  /* owned; names at most a few of
					 * RELATED, with a count of the rest */
	const char **related;           /* owned array of borrowed labels:
					 * every other object the finding
					 * names ("" for one without) */
	size_t nrelated;
};

/* Whether the audit asked the token if a key signs. */
enum audit_sign_probe {
	AUDIT_PROBE_NONE,       /* not asked: the role may sign, its profile
				 * is unknown, the key is pending, or no
				 * token was given */
	AUDIT_PROBE_REFUSED,    /* the key refused to sign */
	AUDIT_PROBE_SIGNS,      /* the key signed */
};

/* One CKA_ID group of the inventory, judged. */
struct audit_row {
	const struct inventory_entry *entry;    /* borrowed */
	char *role;                     /* owned: the label without its state */
	const char *state;              /* static: "enrolled", "pending", ... */
	unsigned rights;                /* KEY_CAP_* the private key really
					 * has: as read back, its sign right
					 * as the probe found it */
	enum audit_sign_probe sign_probe;
	struct audit_finding *findings; /* owned */
	size_t nfindings, findings_cap;
};

struct audit_options {
	int expiring_days;              /* cert-expiring threshold */
	time_t now;
	const char *profiles_dir;       /* for waivers; NULL: none looked up */
	struct token *token;            /* where INV was read, to probe whether
					 * a key whose role does not sign still
					 * does (a module may ignore the
					 * narrowing); NULL: no probe */
	const struct waitstore_survey *waiting; /* where awaiting keys' requests
						 * are; NULL: not looked */
	bool logged_out;                /* INV holds no private objects: what
					 * needs them is not judged */
};

/* Judge every group of INV (N entries); *OUT has N rows in INV's order.
 * The only token call is the probe of OPTS->token (a signature over
 * zeros, in any session the user is logged in to). Linear in the objects
 * but for the certificates that share one key (the rows borrow labels
 * from INV); fails when a signal was caught (interrupt_check()). */
int audit_token(const struct inventory_entry *inv, size_t n,
		const struct audit_options *opts, struct audit_row **out);

/* Free what audit_token() returned. */
void audit_rows_free(struct audit_row *rows, size_t n);

/* Count ROWS' findings of SEVERITY. */
size_t audit_count(const struct audit_row *rows, size_t n,
		   enum policy_severity severity);

/* What status --repair does with a group left pending by a dead run. */
enum audit_repair_action {
	AUDIT_REPAIR_FINISH,    /* certificate written and checked: relabel */
	AUDIT_REPAIR_REMOVE,    /* no usable certificate: delete the group */
	AUDIT_REPAIR_REMOVE_AWAITING,   /* a key awaiting its certificate
					 * with no request anywhere, which
					 * nothing can finish: delete it and
					 * any state file of its CKA_ID */
	AUDIT_REPAIR_DROP_STATE,        /* a state file whose key does not
					 * await on the token: delete it */
};

struct audit_repair {
	size_t entry;                   /* index into the inventory, or for
					 * DROP_STATE into the survey's
					 * orphans */
	enum audit_repair_action action;
	char *role;                     /* owned; "" for DROP_STATE */
	char *file;                     /* owned: DROP_STATE's path, else NULL */
	char *why;                      /* owned: why a pending group with a
					 * certificate is removed, else NULL */
};

/* Where the repair finds the profile of a pending group's role, to check
 * its certificate against. */
struct audit_repair_policy {
	const struct profile *const *profiles;  /* looked at first; may be NULL */
	size_t nprofiles;
	const char *profiles_dir;       /* then here; NULL: nowhere else */
	time_t now;
};

/* Plan the repair of every pending group of INV, and with WAITING (may be
 * NULL) of every awaiting key without its request and every state file
 * without its key. The lock guarantees no live run owns them. A pending
 * group is finished only when its one certificate passes every check
 * that enroll and install make (verify_issued() against the role's
 * profile from POLICY; its subject and SANs, which the token does not
 * record as requested, are taken as they are): else it is removed as a
 * failed enrollment, as enroll would have removed it, with the failed
 * check as its why. */
int audit_repair_plan(const struct inventory_entry *inv, size_t n,
		      const struct waitstore_survey *waiting,
		      const struct audit_repair_policy *policy,
		      struct audit_repair **out, size_t *count);

/* Carry PLAN out on T: a group to remove goes in rolestate_delete()'s
 * order, the private key first; a group to finish takes the role's label,
 * its certificate last. Goes on after a failure: the first is the
 * recorded error, every later one follows it in the message. */
int audit_repair_apply(struct token *t, const struct inventory_entry *inv,
		       const struct waitstore_survey *waiting,
		       const struct audit_repair *plan, size_t count);

/* Free a plan. */
void audit_repair_free(struct audit_repair *plan, size_t count);

#endif
