/* enroll.h - one role, end to end: key -> request -> CA -> check -> write.
 *
 * All-or-nothing: the key is created under a pending label and takes the
 * role's label only after its certificate is written; any failure after
 * key generation removes what was made, and the message names the step.
 */
#ifndef P11E_ENROLL_H
#define P11E_ENROLL_H

#include <time.h>
#include <openssl/x509.h>
#include "ca.h"
#include "profile.h"
#include "token.h"

/* Label prefixes of keys that are not yet a role. */
#define ENROLL_PENDING_PREFIX "pending:"
#define ENROLL_AWAITING_PREFIX "awaiting:"

struct enroll_result {
	char *role;
	char *label;
	char *id_hex;
	char *key_alg;
	X509 *cert;             /* the certificate written */
};

/* Free what R holds and zero it. */
void enroll_result_clear(struct enroll_result *r);

/* Enroll one role on T: refused if the role is already there. TRUST may be
 * NULL (no chain check). */
int enroll_role(struct token *t, const struct profile *p,
		const struct vars *vars, struct ca *ca, X509_STORE *trust,
		struct enroll_result *out);

/* First half of the offline flow: key and request; the key waits on the
 * token under the awaiting label with its request beside it. */
int enroll_request(struct token *t, const struct profile *p,
		   const struct vars *vars, char **csr_pem);

/* Second half: check ANSWER (the certificate, chain may follow) against
 * the waiting key, its request and the role, then write it back. EXTRA is
 * more chain (may be NULL). */
int enroll_install(struct token *t, const struct profile *p,
		   const unsigned char *answer, size_t len,
		   STACK_OF(X509) *extra, X509_STORE *trust,
		   struct enroll_result *out);

#endif
