/* SPDX-License-Identifier: MIT */
/* profile.h - role profiles (INI); their variables are in template.h,
 * the profiles directory and its role sets in profile-set.h. */
#ifndef P11E_PROFILE_H
#define P11E_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <openssl/asn1.h>
#include "csr.h"
#include "keyalg.h"
#include "keymech.h"
#include "profile-set.h"
#include "template.h"

struct profile;

/* Parse DIR/ROLE.profile without judging it (profile-load.h loads a
 * profile for use, policy.h judges one). An unknown role is ERR_USAGE
 * naming DIR and listing its roles and role sets. */
int profile_parse(const char *dir, const char *role, struct profile **out);

/* Parse one profile file; the role is the file's name without .profile.
 * Errors are "FILE:LINE: key: message". */
int profile_parse_file(const char *path, struct profile **out);

/* Parse the open file FP, named PATH in messages, as the profile of ROLE. */
int profile_parse_stream(FILE *fp, const char *path, const char *role,
			 struct profile **out);

/* NULL is fine. */
void profile_free(struct profile *p);

const char *profile_role(const struct profile *p);
/* The file the profile was read from. */
const char *profile_path(const struct profile *p);
/* The CKA_LABEL of the role's objects (default: the role's name). */
const char *profile_label(const struct profile *p);
enum key_alg profile_key_alg(const struct profile *p);
/* A fixed CKA_ID, or NULL. */
const unsigned char *profile_key_id(const struct profile *p, size_t *len);
/* KU_* bits the certificate may carry. */
unsigned profile_key_usage(const struct profile *p);
/* The extended key usages, in the profile's order. */
size_t profile_eku_count(const struct profile *p);
const ASN1_OBJECT *profile_eku(const struct profile *p, size_t i);
/* Extended key usage I as a profile would spell it: OpenSSL's short name,
 * else the dotted OID; BUF holds it and is returned. */
const char *profile_eku_name(const struct profile *p, size_t i, char *buf,
			     size_t size);
/* The subject template as written. */
const char *profile_subject_template(const struct profile *p);
/* The subject alternative name templates as written, in the profile's
 * order; *KIND is the key that gave it ("dns", "ip", "email", "upn",
 * "uri"). */
size_t profile_san_count(const struct profile *p);
const char *profile_san_template(const struct profile *p, size_t i,
				 const char **kind);
/* The private key's capabilities that follow from the key usage. */
unsigned profile_key_caps(const struct profile *p);
int profile_max_lifetime_days(const struct profile *p);
bool profile_allow_subject_change(const struct profile *p);
/* Whether the role may mix purposes (allow_mixed_roles = yes). */
bool profile_allow_mixed_roles(const struct profile *p);
/* Why the waiver is needed (justification = ...), or NULL. */
const char *profile_justification(const struct profile *p);
/* The mechanisms the profile limits the role's key to ([key]
 * allowed_mechanisms), or 0 when it leaves them to the role. */
keymech_set profile_allowed_mechs(const struct profile *p);
/* The profile the CA is asked to issue under: [ca] profile, else the
 * role's name. */
const char *profile_ca_profile(const struct profile *p);
/* The extended key usages a CA may add beyond the role's and that are
 * accepted all the same ([certificate] accept_added_eku). */
const STACK_OF(ASN1_OBJECT) *profile_added_ekus(const struct profile *p);
size_t profile_added_eku_count(const struct profile *p);
const ASN1_OBJECT *profile_added_eku(const struct profile *p, size_t i);
/* Whether the role's key may be kept on a module that ignores the
 * narrowing and lets it go on signing ([key] allow_unnarrowed = yes). */
bool profile_allow_unnarrowed(const struct profile *p);
/* Why that waiver is needed ([key] justification = ...), or NULL. */
const char *profile_key_justification(const struct profile *p);
/* Whether the token's security officer generates the role's key and
 * writes and removes its objects ([key] write_login = so), as tokens such
 * as Yubico's ykcs11 want; the user still signs. */
bool profile_writes_as_so(const struct profile *p);

/* The name of P's I-th template variable (from 0; subject, then
 * alternative names; repeats counted), or NULL after the last. */
const char *profile_var(const struct profile *p, size_t i);

/* Fill the templates with VARS into a request spec. A variable the
 * profile uses but VARS lacks is ERR_USAGE naming it. */
int profile_spec(const struct profile *p, const struct vars *vars,
		 struct csr_spec *out);

/* Set SPEC's key usage and extended key usages to the role's. */
int profile_spec_usages(const struct profile *p, struct csr_spec *spec);

#endif
