/* SPDX-License-Identifier: MIT */
/* verify.h - checks on a certificate returned by a CA, before anything is
 * written to the token. Each check has a name that appears in its message.
 */
#ifndef P11E_VERIFY_H
#define P11E_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>
#include "csr.h"

enum verify_check {
	VERIFY_PARSE,           /* the answer holds a certificate */
	VERIFY_PUBLIC_KEY,      /* its key is the on-token key */
	VERIFY_NOT_CA,          /* not a CA: no cA, no keyCertSign/cRLSign */
	VERIFY_EKU,             /* EKU present and within the role's */
	VERIFY_KEY_USAGE,       /* keyUsage present and within the role's */
	VERIFY_SUBJECT,         /* subject as requested */
	VERIFY_SAN,             /* subjectAltName as requested */
	VERIFY_VALIDITY,        /* valid now */
	VERIFY_LIFETIME,        /* lifetime within the role's maximum */
	VERIFY_CHAIN,           /* chain in order and verifying to --trust */
};

struct verify_policy {
	const struct csr_spec *spec;    /* what was asked */
	EVP_PKEY *key;                  /* the on-token public key */
	int max_lifetime_days;          /* 0: no bound */
	bool allow_subject_change;      /* the profile lets the CA edit the subject */
	const STACK_OF(ASN1_OBJECT) *added_eku; /* EKUs accepted when the CA
						 * adds them; NULL: none */
	X509_STORE *trust;              /* NULL: no chain check */
	time_t now;
};

/* The check's name as printed ("public-key"). */
const char *verify_check_name(enum verify_check check);

/* Parse a CA's answer: one or more PEM certificates (leaf first, the rest
 * its chain) or a single DER certificate. Failure is the "parse" check. */
int verify_parse_answer(const unsigned char *data, size_t len, X509 **cert,
			STACK_OF(X509) **chain);

/* Load trusted certificates (PEM) from PATH. */
int verify_load_trust(const char *path, X509_STORE **out);

/* Run every check on CERT in order; the first failure is recorded as
 * "certificate check NAME failed: why" and *FAILED (may be NULL) is set. */
int verify_issued(X509 *cert, STACK_OF(X509) *chain,
		  const struct verify_policy *policy, enum verify_check *failed);

#endif
