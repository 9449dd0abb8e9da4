/* SPDX-License-Identifier: MIT */
/* profile-name.h - the subject and alternative names a profile requests. */
#ifndef P11E_PROFILE_NAME_H
#define P11E_PROFILE_NAME_H

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "template.h"

/* The kinds of subject alternative name a profile can ask for. */
enum profile_name_san {
	PROFILE_NAME_DNS,
	PROFILE_NAME_IP,
	PROFILE_NAME_EMAIL,
	PROFILE_NAME_UPN,
	PROFILE_NAME_URI,
};

struct profile_name;

/* An empty subject without alternative names. */
struct profile_name *profile_name_new(void);

/* NULL is fine. */
void profile_name_free(struct profile_name *n);

/* Split an RFC 4514 subject template ("CN=${cn}, O=Example") into its
 * attributes and add them; errors are ERR_USAGE sentences. */
int profile_name_add_subject(struct profile_name *n, const char *value);

/* Add one alternative name template of KIND. */
int profile_name_add_san(struct profile_name *n, enum profile_name_san kind,
			 const char *value);

/* The name of the I-th variable (from 0) of N's subject and alternative
 * names, in order, repeats counted; NULL after the last. */
const char *profile_name_var(const struct profile_name *n, size_t i);

/* Fill the subject with VARS; ROLE names the profile in messages. */
int profile_name_subject(const struct profile_name *n, const struct vars *vars,
			 const char *role, X509_NAME **out);

/* Fill the alternative names with VARS; *OUT stays NULL when there are
 * none. ROLE names the profile in messages. */
int profile_name_sans(const struct profile_name *n, const struct vars *vars,
		      const char *role, GENERAL_NAMES **out);

#endif
