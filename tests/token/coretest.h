/* SPDX-License-Identifier: MIT */
/* coretest.h - the fixture of check_core: a fresh SoftHSM token (label
 * "core") and test CA per test, through SoftHSM itself or through the
 * fault module, and the token read back object by object. Every helper
 * fails the running Check test on error. */
#ifndef P11E_TEST_CORETEST_H
#define P11E_TEST_CORETEST_H

#include <stdbool.h>
#include <stddef.h>

#include "audit.h"
#include "ca.h"
#include "certstore.h"
#include "profile.h"
#include "template.h"
#include "token.h"

#define CORETEST_TOKEN "core"

/* Checked fixture: a fresh token directory, token and CA made on first
 * use; and its tear-down. */
void coretest_setup(void);
void coretest_teardown(void);

/* The source tree: $top_srcdir, else ".". */
const char *coretest_srcdir(void);

/* Open the test token, logged in, through SoftHSM (FAULTS NULL) or
 * through the fault module configured with FAULTS. */
struct token *coretest_open(const char *faults);

/* Close it and unload its module. */
void coretest_close(struct token *t);

/* The test CA behind exec: p11enroll-testca, or behind the fixture
 * HELPER with ARGS before the CA's directory. */
struct ca *coretest_ca(const char *helper, const char *args);

/* The test CA behind ca-peek.sh: what the token shows while the CA is
 * asked goes to the file PEEK. */
struct ca *coretest_peeking_ca(char *peek, size_t size);

/* A shipped profile. */
struct profile *coretest_profile(const char *role);

/* Values for every variable of the roles the tests enroll. */
struct vars *coretest_vars(void);

/* Enroll ROLE with the test CA; its CKA_ID in hex, to free. */
char *coretest_enroll(struct token *t, const char *role);

/* Every object on T as sorted "CLASS LABEL ID" lines; to free. */
char *coretest_snapshot(struct token *t);

/* The CKA_ID of the test CA's intermediate on the token (its subject
 * key identifier, hex); to free. */
char *coretest_ca_id(void);

/* What coretest_snapshot() gives for N key pairs with certificates,
 * labelled LABELS[i] with CKA_ID IDS[i]; to free. */
char *coretest_expected(const char *const *labels, char *const *ids, size_t n);

/* The objects labelled LABEL (*N of them); to free. */
CK_OBJECT_HANDLE *coretest_labelled(struct token *t, const char *label, size_t *n);

/* How many objects of T have the CKA_ID ID_HEX. */
size_t coretest_count_id(struct token *t, const char *id_hex);

/* A CK_BBOOL attribute; absent is false. */
bool coretest_bool(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type);

/* T's inventory (*INV, *N entries) judged as status judges it. */
struct audit_row *coretest_audit(struct token *t, struct inventory_entry **inv,
				 size_t *n);

/* A file's text; to free. */
char *coretest_read(const char *path);

#endif
