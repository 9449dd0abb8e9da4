/* SPDX-License-Identifier: MIT */
/* check_acme.c - the ACME pieces that need no server: base64url, the
 * account key file, JWS signatures, challenge tokens and the webroot. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "ca-acme-chal.h"
#include "ca-acme-jws.h"
#include "err.h"

static char tmp[256];

static void
setup(void)
{
	snprintf(tmp, sizeof(tmp), "%s/check_acme.XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void
teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

/* ---- base64url ---- */

static const struct {
	const char *bin;
	const char *text;
} b64_cases[] = {
	{ "", "" },
	{ "f", "Zg" },
	{ "fo", "Zm8" },
	{ "foo", "Zm9v" },
	{ "\xfb\xff", "-_8" },
	{ "\xfb\xef\xbe", "----" },
};

START_TEST(test_b64url)
{
	const char *bin = b64_cases[_i].bin;
	unsigned char *back = NULL;
	char *text = NULL;
	size_t len = 0;

	ck_assert_int_eq(acme_b64url((const unsigned char *)bin, strlen(bin),
				     &text), 0);
	ck_assert_str_eq(text, b64_cases[_i].text);
	if (*bin != '\0') {
		ck_assert_int_eq(acme_b64url_decode(text, "x", &back, &len), 0);
		ck_assert_uint_eq(len, strlen(bin));
		ck_assert(memcmp(back, bin, len) == 0);
	}
	free(text);
	free(back);
}
END_TEST

START_TEST(test_b64url_bad)
{
	static const char *const bad[] = { "", "a", "ab!c", "a b", "abcde" };
	unsigned char *out = NULL;
	size_t len = 9;

	err_clear();
	ck_assert_int_eq(acme_b64url_decode(bad[_i], "the EAB HMAC key", &out,
					    &len), -1);
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_str_eq(err_message(), "the EAB HMAC key is not base64url");
}
END_TEST

/* ---- the account key ---- */

START_TEST(test_account_key)
{
	char path[PATH_MAX], *t1 = NULL, *t2 = NULL;
	EVP_PKEY *k1 = NULL, *k2 = NULL;
	struct stat st;
	bool created = false;

	snprintf(path, sizeof(path), "%s/account.key", tmp);
	ck_assert_int_eq(acme_account_key(path, &k1, &created), 0);
	ck_assert(created);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(acme_account_key(path, &k2, &created), 0);
	ck_assert(!created);
	ck_assert_int_eq(acme_thumbprint(k1, &t1), 0);
	ck_assert_int_eq(acme_thumbprint(k2, &t2), 0);
	ck_assert_str_eq(t1, t2);
	ck_assert_uint_eq(strlen(t1), 43);

	/* Readable by others: refused, not used. */
	ck_assert_int_eq(chmod(path, 0644), 0);
	EVP_PKEY_free(k2);
	k2 = NULL;
	err_clear();
	ck_assert_int_eq(acme_account_key(path, &k2, &created), -1);
	ck_assert_ptr_null(k2);
	ck_assert_ptr_nonnull(strstr(err_message(), "open to group or others"));

	EVP_PKEY_free(k1);
	free(t1);
	free(t2);
}
END_TEST

START_TEST(test_account_key_link)
{
	char path[PATH_MAX], target[PATH_MAX];
	EVP_PKEY *k = NULL;
	bool created;

	snprintf(target, sizeof(target), "%s/elsewhere", tmp);
	snprintf(path, sizeof(path), "%s/account.key", tmp);
	ck_assert_int_eq(symlink(target, path), 0);
	err_clear();
	ck_assert_int_eq(acme_account_key(path, &k, &created), -1);
	ck_assert_ptr_null(k);
	ck_assert_int_eq(access(target, F_OK), -1);
}
END_TEST

/* ---- JWS ---- */

/* PART of a flattened JWS, decoded. */
static char *
jws_part(json_t *jws, const char *part)
{
	unsigned char *bin = NULL;
	size_t len;
	char *s;

	ck_assert_int_eq(acme_b64url_decode(json_string_value(json_object_get(
			jws, part)), part, &bin, &len), 0);
	s = strndup((char *)bin, len);
	free(bin);
	return s;
}

START_TEST(test_jws_es256)
{
	char path[PATH_MAX], *text = NULL, *header, *payload, *input;
	unsigned char *sig = NULL, *der = NULL;
	json_t *jws, *h;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx;
	ECDSA_SIG *es;
	size_t siglen;
	int derlen;
	bool created;

	snprintf(path, sizeof(path), "%s/account.key", tmp);
	ck_assert_int_eq(acme_account_key(path, &key, &created), 0);
	ck_assert_int_eq(acme_jws(key, NULL, "nonce-1", "https://ca/new-acct",
				  "{\"a\":1}", &text), 0);
	jws = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(jws);
	header = jws_part(jws, "protected");
	payload = jws_part(jws, "payload");
	ck_assert_str_eq(payload, "{\"a\":1}");
	h = json_loads(header, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(h, "alg")), "ES256");
	ck_assert_str_eq(json_string_value(json_object_get(h, "nonce")), "nonce-1");
	ck_assert_str_eq(json_string_value(json_object_get(h, "url")),
			 "https://ca/new-acct");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(h,
			"jwk"), "crv")), "P-256");
	ck_assert_ptr_null(json_object_get(h, "kid"));

	/* The signature, r || s, verifies over "protected.payload". */
	ck_assert_int_eq(acme_b64url_decode(json_string_value(json_object_get(
			jws, "signature")), "signature", &sig, &siglen), 0);
	ck_assert_uint_eq(siglen, 64);
	es = ECDSA_SIG_new();
	ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
	derlen = i2d_ECDSA_SIG(es, &der);
	input = malloc(strlen(text));
	sprintf(input, "%s.%s", json_string_value(json_object_get(jws, "protected")),
		json_string_value(json_object_get(jws, "payload")));
	ctx = EVP_MD_CTX_new();
	ck_assert_int_eq(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
	ck_assert_int_eq(EVP_DigestVerify(ctx, der, (size_t)derlen,
					  (unsigned char *)input, strlen(input)), 1);

	EVP_MD_CTX_free(ctx);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	free(input);
	free(sig);
	free(header);
	free(payload);
	json_decref(h);
	json_decref(jws);
	free(text);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(test_jws_kid_post_as_get)
{
	char path[PATH_MAX], *text = NULL, *header;
	json_t *jws, *h;
	EVP_PKEY *key = NULL;
	bool created;

	snprintf(path, sizeof(path), "%s/account.key", tmp);
	ck_assert_int_eq(acme_account_key(path, &key, &created), 0);
	ck_assert_int_eq(acme_jws(key, "https://ca/acct/1", "n", "https://ca/o",
				  NULL, &text), 0);
	jws = json_loads(text, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(jws, "payload")), "");
	header = jws_part(jws, "protected");
	h = json_loads(header, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(h, "kid")),
			 "https://ca/acct/1");
	ck_assert_ptr_null(json_object_get(h, "jwk"));
	free(header);
	json_decref(h);
	json_decref(jws);
	free(text);
	EVP_PKEY_free(key);
}
END_TEST

/* ---- challenge tokens and the webroot ---- */

static const struct {
	const char *token;
	bool ok;
} token_cases[] = {
	{ "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0", true },
	{ "a-b_c", true },
	{ "", false },
	{ "../etc", false },
	{ "a/b", false },
	{ ".hidden", false },
	{ "a b", false },
	{ "a=", false },
};

START_TEST(test_token_ok)
{
	ck_assert(acme_token_ok(token_cases[_i].token) == token_cases[_i].ok);
}
END_TEST

START_TEST(test_webroot)
{
	char path[PATH_MAX], buf[64];
	struct stat st;
	ssize_t n;
	int fd;

	ck_assert_int_eq(acme_webroot_put(tmp, "tok-1", "tok-1.thumb"), 0);
	snprintf(path, sizeof(path), "%s/.well-known/acme-challenge/tok-1", tmp);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_eq(n, 11);
	ck_assert(memcmp(buf, "tok-1.thumb", 11) == 0);
	acme_webroot_remove(tmp, "tok-1");
	ck_assert_int_eq(access(path, F_OK), -1);

	/* A link planted where the file goes is not followed. */
	snprintf(path, sizeof(path), "%s/.well-known/acme-challenge/tok-2", tmp);
	snprintf(buf, sizeof(buf), "%s", "/nonexistent-target");
	ck_assert_int_eq(symlink(buf, path), 0);
	err_clear();
	ck_assert_int_eq(acme_webroot_put(tmp, "tok-2", "x"), -1);
	ck_assert_int_eq(acme_webroot_put(tmp, "../x", "x"), -1);
}
END_TEST

static Suite *
acme_suite(void)
{
	Suite *s = suite_create("acme");
	TCase *tc = tcase_create("acme");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_b64url, 0,
			    sizeof(b64_cases) / sizeof(b64_cases[0]));
	tcase_add_loop_test(tc, test_b64url_bad, 0, 5);
	tcase_add_test(tc, test_account_key);
	tcase_add_test(tc, test_account_key_link);
	tcase_add_test(tc, test_jws_es256);
	tcase_add_test(tc, test_jws_kid_post_as_get);
	tcase_add_loop_test(tc, test_token_ok, 0,
			    sizeof(token_cases) / sizeof(token_cases[0]));
	tcase_add_test(tc, test_webroot);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(acme_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
