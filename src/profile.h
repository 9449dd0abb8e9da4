/* profile.h - role profiles (INI); their variables are in template.h. */
#ifndef P11E_PROFILE_H
#define P11E_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include "csr.h"
#include "keygen.h"
#include "template.h"

struct profile;

/* Load DIR/ROLE.profile. An unknown role is ERR_USAGE naming DIR. */
int profile_load(const char *dir, const char *role, struct profile **out);

/* Load one profile file; the role is the file's name without .profile.
 * Errors are "FILE:LINE: key: message". */
int profile_load_file(const char *path, struct profile **out);

/* NULL is fine. */
void profile_free(struct profile *p);

const char *profile_role(const struct profile *p);
/* The CKA_LABEL of the role's objects (default: the role's name). */
const char *profile_label(const struct profile *p);
enum key_alg profile_key_alg(const struct profile *p);
/* A fixed CKA_ID, or NULL. */
const unsigned char *profile_key_id(const struct profile *p, size_t *len);
/* KU_* bits the certificate may carry. */
unsigned profile_key_usage(const struct profile *p);
/* The private key's capabilities that follow from the key usage. */
unsigned profile_key_caps(const struct profile *p);
int profile_max_lifetime_days(const struct profile *p);
bool profile_allow_subject_change(const struct profile *p);
/* Whether the role may mix purposes (allow_mixed_roles = yes). */
bool profile_allow_mixed_roles(const struct profile *p);
/* Why the waiver is needed (justification = ...), or NULL. */
const char *profile_justification(const struct profile *p);

/* Fill the templates with VARS into a request spec. A variable the
 * profile uses but VARS lacks is ERR_USAGE naming it. */
int profile_spec(const struct profile *p, const struct vars *vars,
		 struct csr_spec *out);

#endif
