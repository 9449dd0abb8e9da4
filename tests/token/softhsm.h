/* SPDX-License-Identifier: MIT */
/* softhsm.h - a fresh SoftHSM token per test.
 *
 * Used as a checked fixture: Check runs it in the test's own process, so
 * every test has its own SOFTHSM2_CONF, token directory and module state.
 */
#ifndef P11E_TEST_SOFTHSM_H
#define P11E_TEST_SOFTHSM_H

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "token.h"

#define TEST_USER_PIN "1234"
#define TEST_SO_PIN "12345678"

static char softhsm_dir[256];

/* The SoftHSM module path the build found. */
static const char *
softhsm_module(void)
{
	const char *m = getenv("SOFTHSM2_MODULE");

	return m != NULL && m[0] != '\0' ? m : "/usr/lib/softhsm/libsofthsm2.so";
}

/* Initialise the first free slot as token LABEL with the test PINs,
 * through the module itself. */
static void
softhsm_init_token(struct module *m, const char *label)
{
	CK_FUNCTION_LIST *fn;
	CK_SLOT_ID slots[64], slot = (CK_SLOT_ID)-1;
	CK_ULONG n = 64, i;
	CK_TOKEN_INFO ti;
	CK_UTF8CHAR padded[32];
	CK_SESSION_HANDLE s;

	fn = module_functions(m);
	/* SoftHSM refreshes its slots on the sizing call. */
	ck_assert_int_eq(fn->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	n = 64;
	ck_assert_int_eq(fn->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(fn->C_GetTokenInfo(slots[i], &ti), CKR_OK);
		if (!(ti.flags & CKF_TOKEN_INITIALIZED)) {
			slot = slots[i];
			break;
		}
	}
	ck_assert_msg(slot != (CK_SLOT_ID)-1, "no free SoftHSM slot");
	memset(padded, ' ', sizeof(padded));
	memcpy(padded, label, strlen(label));
	ck_assert_int_eq(fn->C_InitToken(slot, (CK_UTF8CHAR_PTR)TEST_SO_PIN,
					 strlen(TEST_SO_PIN), padded), CKR_OK);
	/* SoftHSM moves an initialised token to a new slot: find it by label. */
	ck_assert_int_eq(fn->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	n = 64;
	ck_assert_int_eq(fn->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	slot = (CK_SLOT_ID)-1;
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(fn->C_GetTokenInfo(slots[i], &ti), CKR_OK);
		if ((ti.flags & CKF_TOKEN_INITIALIZED) && !(ti.flags & CKF_USER_PIN_INITIALIZED) &&
		    memcmp(ti.label, padded, sizeof(padded)) == 0)
			slot = slots[i];
	}
	ck_assert_msg(slot != (CK_SLOT_ID)-1, "initialised token %s not found", label);
	ck_assert_int_eq(fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
					   NULL, NULL, &s), CKR_OK);
	ck_assert_int_eq(fn->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)TEST_SO_PIN,
				     strlen(TEST_SO_PIN)), CKR_OK);
	ck_assert_int_eq(fn->C_InitPIN(s, (CK_UTF8CHAR_PTR)TEST_USER_PIN,
				       strlen(TEST_USER_PIN)), CKR_OK);
	fn->C_Logout(s);
	fn->C_CloseSession(s);
}

/* Checked fixture set-up: a private SoftHSM configuration. */
static void
softhsm_setup(void)
{
	char conf[300], tokens[300];
	FILE *f;

	snprintf(softhsm_dir, sizeof(softhsm_dir), "%s/p11enroll-token.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(softhsm_dir));
	snprintf(tokens, sizeof(tokens), "%s/tokens", softhsm_dir);
	ck_assert_int_eq(mkdir(tokens, 0700), 0);
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", softhsm_dir);
	f = fopen(conf, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\n"
		"log.level = ERROR\n", tokens);
	fclose(f);
	setenv("SOFTHSM2_CONF", conf, 1);
}

static int
softhsm_remove(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

/* Checked fixture tear-down: remove the token directory. */
static void
softhsm_teardown(void)
{
	if (softhsm_dir[0] == '\0')
		return;
	if (nftw(softhsm_dir, softhsm_remove, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "cannot remove %s\n", softhsm_dir);
	softhsm_dir[0] = '\0';
}

#endif
