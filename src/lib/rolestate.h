/* rolestate.h - the states of a role's objects on the token, told by
 * their labels. */
#ifndef P11E_ROLESTATE_H
#define P11E_ROLESTATE_H

/* Label prefixes of keys that are not yet a role. */
#define ENROLL_PENDING_PREFIX "pending:"
#define ENROLL_AWAITING_PREFIX "awaiting:"
#define ENROLL_RETIRED_PREFIX "retired:"

#endif
