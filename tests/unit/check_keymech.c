/* SPDX-License-Identifier: MIT */
/* check_keymech.c - the mechanisms a role's key is allowed: derived from
 * its key type and capabilities, within a profile's list and what the
 * token offers, plus the one that signs its request. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "keyalg.h"
#include "keymech.h"
#include "keysupport.h"
#include "util.h"

#define SIGN KEY_CAP_SIGN
#define DECRYPT (KEY_CAP_DECRYPT | KEY_CAP_UNWRAP)
#define DERIVE KEY_CAP_DERIVE

/* The tokens of the cases. */
enum token_kind {
	TOKEN_UNLISTED,         /* the module does not list its mechanisms */
	TOKEN_SOFTHSM,          /* every mechanism but the hashed ECDSA ones
				 * and cofactor ECDH, as SoftHSM 2.6 */
	TOKEN_CARD,             /* CKM_RSA_PKCS and CKM_ECDSA alone, as a
				 * PIV card */
};

static void
token_support(enum token_kind kind, struct key_support *s)
{
	const struct keymech_info *m;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (kind == TOKEN_UNLISTED)
		return;
	s->known = true;
	for (i = 0; (m = keymech_at(i)) != NULL; i++) {
		if (kind == TOKEN_CARD && m->mech != CKM_RSA_PKCS && m->mech != CKM_ECDSA)
			continue;
		if (kind == TOKEN_SOFTHSM && (m->mech == CKM_ECDSA_SHA256 ||
		    m->mech == CKM_ECDSA_SHA384 || m->mech == CKM_ECDSA_SHA512 ||
		    m->mech == CKM_ECDH1_COFACTOR_DERIVE))
			continue;
		s->mech_caps[i] = m->caps;
	}
}

/* The names of a comma-separated list as a set. */
static keymech_set
names_set(const char *names)
{
	char *copy = util_strdup(names), *rest = copy, *item;
	keymech_set set = 0, one;

	while ((item = strsep(&rest, ",")) != NULL) {
		while (*item == ' ')
			item++;
		if (*item == '\0')
			continue;
		ck_assert_msg(keymech_parse(item, &one) == 0, "%s", err_message());
		set |= one;
	}
	free(copy);
	return set;
}

static const struct mechs_case {
	enum key_alg alg;
	unsigned caps;
	const char *narrow;             /* the profile's list, "" for none */
	enum token_kind token;
	const char *want;               /* the allowed set, or NULL: refused */
	const char *says;               /* in the refusal */
	const char *request;            /* what is added to sign the request */
} mechs_cases[] = {
	/* The role's own, on a token that does not say. */
	{ KEY_EC_P256, SIGN, "", TOKEN_UNLISTED, "CKM_ECDSA, CKM_ECDSA_SHA256, "
	  "CKM_ECDSA_SHA384, CKM_ECDSA_SHA512", NULL, "" },
	{ KEY_RSA_2048, SIGN, "", TOKEN_UNLISTED, "CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS, "
	  "CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS, CKM_RSA_PKCS_PSS, "
	  "CKM_SHA256_RSA_PKCS_PSS, CKM_SHA384_RSA_PKCS_PSS, CKM_SHA512_RSA_PKCS_PSS",
	  NULL, "" },
	{ KEY_RSA_2048, DECRYPT, "", TOKEN_UNLISTED, "CKM_RSA_PKCS, CKM_RSA_PKCS_OAEP",
	  NULL, "CKM_SHA256_RSA_PKCS" },
	{ KEY_EC_P256, DERIVE, "", TOKEN_UNLISTED, "CKM_ECDH1_DERIVE, "
	  "CKM_ECDH1_COFACTOR_DERIVE", NULL, "CKM_ECDSA" },
	/* Within what the token offers. */
	{ KEY_EC_P256, SIGN, "", TOKEN_SOFTHSM, "CKM_ECDSA", NULL, "" },
	{ KEY_EC_P384, DERIVE, "", TOKEN_SOFTHSM, "CKM_ECDH1_DERIVE", NULL, "CKM_ECDSA" },
	/* A token without the hashed mechanism signs the request raw. */
	{ KEY_RSA_2048, DECRYPT, "", TOKEN_CARD, "CKM_RSA_PKCS", NULL, "" },
	{ KEY_RSA_2048, SIGN, "", TOKEN_CARD, "CKM_RSA_PKCS", NULL, "" },
	/* Within the profile's list. */
	{ KEY_RSA_2048, SIGN, "CKM_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS",
	  TOKEN_SOFTHSM, "CKM_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS", NULL,
	  "CKM_SHA256_RSA_PKCS" },
	/* A signing key falls back on the raw mechanism: nothing added. */
	{ KEY_RSA_2048, SIGN, "CKM_RSA_PKCS, CKM_RSA_PKCS_PSS", TOKEN_SOFTHSM,
	  "CKM_RSA_PKCS, CKM_RSA_PKCS_PSS", NULL, "" },
	{ KEY_RSA_2048, DECRYPT, "CKM_RSA_PKCS_OAEP", TOKEN_SOFTHSM,
	  "CKM_RSA_PKCS_OAEP", NULL, "CKM_SHA256_RSA_PKCS" },
	{ KEY_EC_P256, SIGN, "", TOKEN_CARD, "CKM_ECDSA", NULL, "" },
	/* Refused: the token offers nothing the profile allows. */
	{ KEY_RSA_2048, SIGN, "CKM_RSA_PKCS_PSS", TOKEN_CARD, NULL,
	  "the token offers none of the mechanisms the key may sign with "
	  "(CKM_RSA_PKCS_PSS)", "" },
	{ KEY_EC_P256, SIGN, "CKM_ECDSA_SHA256", TOKEN_SOFTHSM, NULL,
	  "may sign with (CKM_ECDSA_SHA256)", "" },
	{ KEY_RSA_2048, DECRYPT, "CKM_RSA_PKCS_OAEP", TOKEN_CARD, NULL,
	  "may decrypt with (CKM_RSA_PKCS_OAEP)", "" },
};

START_TEST(test_mechs)
{
	const struct mechs_case *c = &mechs_cases[_i];
	char got[KEYMECH_NAMES_MAX];
	struct key_support s;
	keymech_set set = 99;
	int rc;

	token_support(c->token, &s);
	err_clear();
	rc = keysupport_mechs(&s, c->alg, c->caps, names_set(c->narrow), &set);
	if (c->want == NULL) {
		ck_assert_int_eq(rc, -1);
		ck_assert_uint_eq(set, 0);
		if (strstr(err_message(), c->says) == NULL)
			ck_abort_msg("case %d: \"%s\" does not say \"%s\"", _i,
				     err_message(), c->says);
		return;
	}
	ck_assert_msg(rc == 0, "case %d: %s", _i, err_message());
	keymech_names(set, ", ", got, sizeof(got));
	ck_assert_str_eq(got, c->want);
	ck_assert_uint_eq(keysupport_request_mech(&s, c->alg, c->caps, set),
			  names_set(c->request));
}
END_TEST

/* Every mechanism has a name that parses back to it. */
START_TEST(test_names)
{
	const struct keymech_info *m;
	keymech_set set;
	size_t i;

	for (i = 0; (m = keymech_at(i)) != NULL; i++) {
		ck_assert_int_eq(keymech_parse(m->name, &set), 0);
		ck_assert_uint_eq(set, keymech_of(m->mech));
		ck_assert_str_eq(keymech_name(m->mech), m->name);
	}
	ck_assert_uint_eq(i, KEYMECH_COUNT);
	ck_assert_int_eq(keymech_parse("CKM_SHA1_RSA_PKCS", &set), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_ptr_null(keymech_name(CKM_SHA1_RSA_PKCS));
}
END_TEST

static Suite *
keymech_suite(void)
{
	Suite *s = suite_create("keymech");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_mechs, 0, NELEM(mechs_cases));
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(keymech_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
