/* SPDX-License-Identifier: MIT */
/* enroll.h - one role, end to end: key -> request -> CA -> check -> write.
 *
 * All-or-nothing: the key is created under a pending label and takes the
 * role's label only after its certificate is written; any failure after
 * key generation removes what was made, and the message names the step.
 */
#ifndef P11E_ENROLL_H
#define P11E_ENROLL_H

#include <stdbool.h>
#include <time.h>
#include <openssl/x509.h>
#include "ca.h"
#include "keygen.h"
#include "profile.h"
#include "token.h"


struct enroll_result {
	char *role;
	char *label;
	char *id_hex;
	char *key_alg;
	X509 *cert;             /* the certificate written; NULL while the
				 * key awaits it */
	char *ca;               /* awaiting: the CA that asked to wait */
	int retry_seconds;      /* awaiting: when it said to ask again; 0:
				 * it did not say */
	STACK_OF(X509) *chain;  /* the issuing CA certificates of CERT that
				 * go on the token (chainstore_kept()),
				 * issuer first; NULL while awaiting */
	bool chain_on_token;    /* they are on the token */
	char *warning;          /* a sentence for the user, or NULL: the
				 * role is in, but its chain could not be
				 * kept on the token */
	bool fresh;             /* made whole by this run, on a label no
				 * object carried before (the token locked
				 * meanwhile): no record of the role is
				 * on the token */
};

/* What enroll_role() returns when the CA took the request but asked to
 * wait: the key stays on the token under the awaiting label, with its
 * request and the CA's cookie beside it, and OUT says so (no
 * certificate). Enrolling the role again with the same CA asks again;
 * install with the certificate finishes it too. */
#define ENROLL_AWAITING 1

/* Free what R holds and zero it. */
void enroll_result_clear(struct enroll_result *r);

/* Enroll one role on T: refused if the role is already there, unless its
 * key awaits a certificate from CA, which is then asked again. TRUST may
 * be NULL (no chain check). 0, ENROLL_AWAITING or -1. */
int enroll_role(struct token *t, const struct profile *p,
		const struct vars *vars, struct ca *ca, X509_STORE *trust,
		struct enroll_result *out);

/* Refuse the first of the N roles PROFILES whose key algorithm, size or
 * use the token cannot do, from its mechanisms read once, before anything
 * is generated; *REFUSED is its index. enroll_role() leaves this to its
 * caller, which checks every role of a run before the first starts;
 * enroll_request() and lifecycle_renew() check their role themselves. */
int enroll_check_supported(struct token *t, struct profile *const *profiles, int n,
			   int *refused);

/* The same for the one role P. */
int enroll_check_supported_one(struct token *t, const struct profile *p);

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

/*
 * The steps of enroll_role(), for the lifecycle commands that build on
 * them. A role's objects are written so that a crash at any point leaves
 * each CKA_ID group either complete under the role's label or with the
 * pending label on some of its objects, which status --repair finishes or
 * removes.
 */

/* A key pair being made for a role, and its certificate once written. */
struct enroll_new {
	struct keypair kp;
	bool tried;                     /* its generation was asked for */
	bool made;                      /* the key pair is on the token */
	CK_OBJECT_HANDLE cert;          /* CK_INVALID_HANDLE until written */
	EVP_PKEY *pub;                  /* the new public key */
	X509_REQ *req;                  /* the signed request */
	bool unnarrowed;                /* still signs, the module ignoring
					 * the narrowing: kept by the
					 * profile's waiver */
	unsigned char *subject;         /* the certificate's subject (DER)
					 * where the key pair's CKA_SUBJECT
					 * differs: written with the label */
	size_t subject_len;
};

/* Free what N holds in memory (nothing on the token) and zero it. */
void enroll_new_clear(struct enroll_new *n);

/* Generate the role's key pair under its pending label and sign a request
 * for SPEC with it; N->tried is set before the generation is asked for, and
 * N->made as soon as the key pair exists, even when a later step fails, so
 * that the caller can undo it. */
int enroll_make_request(struct token *t, const struct profile *p,
			const struct csr_spec *spec, struct enroll_new *n);

/* Parse ANSWER (the certificate, chain may follow, plus EXTRA) and run
 * every certificate check of the role against SPEC and the key PUB; a
 * certificate given twice counts once (chainstore_dedupe()). *CHAIN (may
 * be NULL) is then the chain after the certificate. */
int enroll_check_answer(const struct profile *p, const struct csr_spec *spec,
			EVP_PKEY *pub, const unsigned char *answer, size_t len,
			STACK_OF(X509) *extra, X509_STORE *trust, X509 **cert,
			STACK_OF(X509) **chain);

/* The role's certificate is in: put the CA certificates of CHAIN into
 * OUT (filled by enroll_fill_result()) and, unless T is told not to
 * (token_set_keep_chain()), on the token. A failure to write them is
 * not the role's: it becomes OUT's warning. Fails only when memory runs
 * out. */
int enroll_keep_chain(struct token *t, STACK_OF(X509) *chain,
		      struct enroll_result *out);

/* First half of the write-back: CERT goes on the token beside N's key pair
 * (same CKA_ID) under "pending:LABEL"; N->cert is its handle, N->subject
 * its subject where the key pair's CKA_SUBJECT differs. */
int enroll_write_pending(struct token *t, const struct profile *p,
			 struct enroll_new *n, X509 *cert);

/* Second half: give N's key pair (with N->subject), then its certificate,
 * the role's label.
 * On failure the objects are left as they are, for enroll_undo(). */
int enroll_promote(struct token *t, const struct profile *p,
		   const struct enroll_new *n);

/* Remove N's key pair and certificate from the token after a failure,
 * and any other object under "pending:LABEL" (a module may fail a write
 * after doing it, and the handle is lost: with the token locked and the
 * label found free before the key was made, such objects are this run's),
 * in rolestate_delete()'s order, keeping the recorded error and adding
 * what was (or was not) removed. */
void enroll_undo(struct token *t, struct enroll_new *n, const char *label);

/* The result of a role written for P. */
int enroll_fill_result(const struct profile *p, const struct keypair *kp,
		       X509 *cert, struct enroll_result *out);

#endif
