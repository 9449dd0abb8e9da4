/* SPDX-License-Identifier: MIT */
/* rolerecord.h - an enrolled role's record: how it was enrolled, so that
 * it can be renewed the same way without a person repeating it.
 *
 * The record names the CA (its spec and options), where the CA's secrets
 * come from (the sources, never their values), the trust anchors, the
 * profile, the template variables and when the role was enrolled and
 * last renewed. It is JSON, kept with the role: a data object labelled
 * like the role ("p11enroll record", private where the token keeps
 * private data objects), or where the token keeps no data objects a
 * "record" file of the state directory, keyed by the key's CKA_ID
 * (waitstore.h). Removing the role removes it; the audit counts it as
 * the role's.
 */
#ifndef P11E_ROLERECORD_H
#define P11E_ROLERECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "template.h"
#include "token.h"

/* One role's record. Strings are owned; NULL: not given. */
struct rolerecord {
	char *profile;                  /* the profile (role) name */
	char *ca;                       /* the CA spec, as --ca took it */
	char *ca_tls_trust;             /* --ca-tls-trust: a path */
	char *ca_auth_source;           /* --ca-auth-source: a source spec */
	char *challenge_source;         /* --challenge-source: a source spec */
	int ca_timeout;                 /* --ca-timeout; 0: the default */
	char *trust;                    /* --trust: a path */
	struct {
		char *account;          /* --acme-account: a path */
		char *email;            /* --acme-email */
		char *eab_kid;          /* --acme-eab-kid */
		char *eab_hmac_source;  /* --acme-eab-hmac-source: a source
					 * spec */
		char *http;             /* --acme-http ADDR:PORT */
		char *webroot;          /* --acme-webroot: a path */
		char *dns_hook;         /* --acme-dns-hook: a command */
		bool agree_tos;         /* --acme-agree-tos */
	} acme;
	struct vars *vars;              /* owned, never NULL once made */
	time_t enrolled;                /* 0: not known */
	time_t renewed;                 /* 0: never */
};

/* An empty record (no variables); NULL when out of memory. */
struct rolerecord *rolerecord_new(void);

/* NULL is fine. */
void rolerecord_free(struct rolerecord *r);

/* A copy of TEMPLATE (the CA, its options and the trust anchors of a
 * run) for the role of PROFILE enrolled now with VARS (may be NULL);
 * NULL when out of memory. */
struct rolerecord *rolerecord_for(const struct rolerecord *template,
				  const char *profile, const struct vars *vars);

/* The record as JSON (a new reference); NULL when out of memory. */
json_t *rolerecord_json(const struct rolerecord *r);

/* Parse the JSON text DATA (LEN bytes) of a record; a record that does
 * not parse is an error naming WHERE. */
int rolerecord_parse(const unsigned char *data, size_t len, const char *where,
		     struct rolerecord **out);

/* Read the record of the role labelled LABEL whose key has CKA_ID ID:
 * 1 with *OUT, 0 when it has none (*OUT NULL). A private record that
 * cannot be seen without a login is none. */
int rolerecord_load(struct token *t, const char *label, const unsigned char *id,
		    size_t id_len, struct rolerecord **out);

/* Keep R for the role labelled LABEL whose key now has CKA_ID ID,
 * replacing the record it has; OLD_ID (may be NULL) is the CKA_ID of the
 * key it replaced, whose record file goes once the new one is in. FRESH:
 * the role was just made on a label no object carried (enroll_result's
 * fresh), so there is no record to look for. */
int rolerecord_store(struct token *t, const char *label,
		     const unsigned char *id, size_t id_len,
		     const unsigned char *old_id, size_t old_id_len, bool fresh,
		     const struct rolerecord *r);

/* Delete the record of the role labelled LABEL whose key has CKA_ID ID,
 * on the token or in the state directory; none is fine. */
int rolerecord_drop(struct token *t, const char *label,
		    const unsigned char *id, size_t id_len);

#endif
