/* SPDX-License-Identifier: MIT */
/* check_cfssl.c - the cfssl backend without a server: its specs, the
 * requests it sends, the authsign token and how it reads answers. */
#include "config.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "ca-backend.h"
#include "err.h"

#define CERT_PEM "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
#define CERT_JSON "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n"

static void
setup(void)
{
	err_clear();
}

/* ---- answers ---------------------------------------------------------- */

static const struct {
	const char *name;
	const char *body;
	const char *pem;        /* NULL: an error containing MESSAGE */
	const char *message;
} answer_cases[] = {
	{ "issued",
	  "{\"success\":true,\"result\":{\"certificate\":\"" CERT_JSON "\"},"
	  "\"errors\":[],\"messages\":[]}", CERT_PEM, NULL },
	{ "issued, other result fields ignored",
	  "{\"success\":true,\"result\":{\"bundle\":{},\"certificate\":\""
	  CERT_JSON "\"}}", CERT_PEM, NULL },
	{ "refused with a reason",
	  "{\"success\":false,\"result\":null,\"errors\":[{\"code\":400,"
	  "\"message\":\"invalid token\"},{\"code\":1,\"message\":\"second\"}],"
	  "\"messages\":[]}", NULL, "the CA rejected the request: invalid token" },
	{ "refused, reason cleaned of control characters",
	  "{\"success\":false,\"errors\":[{\"code\":1,\"message\":"
	  "\"bad\\u001b[31m\\nsecond line\"}]}", NULL,
	  "the CA rejected the request: bad\\x1b[31m" },
	{ "refused with only a code",
	  "{\"success\":false,\"errors\":[{\"code\":9002}]}", NULL,
	  "the CA rejected the request: cfssl error 9002" },
	{ "refused without errors",
	  "{\"success\":false,\"result\":null}", NULL,
	  "the CA rejected the request (no reason given)" },
	{ "refused, errors not an array",
	  "{\"success\":false,\"errors\":\"nope\"}", NULL,
	  "the CA rejected the request (no reason given)" },
	{ "success missing",
	  "{\"result\":{\"certificate\":\"" CERT_JSON "\"}}", NULL,
	  "the CA's answer is malformed: no \"success\" true or false" },
	{ "success not a boolean",
	  "{\"success\":\"true\",\"result\":{\"certificate\":\"x\"}}", NULL,
	  "the CA's answer is malformed: no \"success\" true or false" },
	{ "success without result",
	  "{\"success\":true}", NULL,
	  "the CA's answer is malformed: \"success\" without a \"result\" "
	  "object" },
	{ "result null",
	  "{\"success\":true,\"result\":null}", NULL,
	  "without a \"result\" object" },
	{ "result without certificate",
	  "{\"success\":true,\"result\":{\"bundle\":\"x\"}}", NULL,
	  "the CA's answer is malformed: the result has no certificate" },
	{ "certificate empty",
	  "{\"success\":true,\"result\":{\"certificate\":\"\"}}", NULL,
	  "the result has no certificate" },
	{ "certificate not a string",
	  "{\"success\":true,\"result\":{\"certificate\":42}}", NULL,
	  "the result has no certificate" },
	{ "certificate with a NUL inside",
	  "{\"success\":true,\"result\":{\"certificate\":\"a\\u0000b\"}}", NULL,
	  "the CA's answer is malformed: not JSON" },
	{ "duplicate keys",
	  "{\"success\":false,\"success\":true,\"result\":{\"certificate\":"
	  "\"x\"}}", NULL, "the CA's answer is malformed: not JSON" },
	{ "not JSON", "<html>Bad Gateway</html>", NULL,
	  "the CA's answer is malformed: not JSON" },
	{ "empty", "", NULL, "the CA's answer is malformed: not JSON" },
	{ "trailing garbage", "{\"success\":true} x", NULL,
	  "the CA's answer is malformed: not JSON" },
	{ "JSON array", "[{\"success\":true}]", NULL,
	  "the CA's answer is malformed: not a JSON object" },
	{ "JSON string", "\"certificate\"", NULL,
	  "the CA's answer is malformed: not a JSON object" },
};

START_TEST(test_parse_answer)
{
	const char *body = answer_cases[_i].body;
	char *pem = (char *)1;
	size_t len = 1;
	int rc;

	rc = ca_cfssl_parse_answer((const unsigned char *)body, strlen(body),
				   &pem, &len);
	if (answer_cases[_i].pem != NULL) {
		ck_assert_msg(rc == 0, "%s: %s", answer_cases[_i].name,
			      err_message());
		ck_assert_str_eq(pem, answer_cases[_i].pem);
		ck_assert_uint_eq(len, strlen(answer_cases[_i].pem));
		free(pem);
		return;
	}
	ck_assert_msg(rc == -1, "%s: accepted", answer_cases[_i].name);
	ck_assert_ptr_null(pem);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(err_kind(), ERR_FAILED);
	ck_assert_msg(strstr(err_message(), answer_cases[_i].message) != NULL,
		      "%s: '%s' lacks '%s'", answer_cases[_i].name,
		      err_message(), answer_cases[_i].message);
}
END_TEST

/* A reason longer than a line is cut, not quoted whole. */
START_TEST(test_parse_long_reason)
{
	size_t n = 100000, i;
	char *body = malloc(n + 64), *pem = NULL;
	size_t len = 0;
	int at;

	ck_assert_ptr_nonnull(body);
	at = sprintf(body, "{\"success\":false,\"errors\":[{\"message\":\"");
	for (i = 0; i < n; i++)
		body[at++] = 'r';
	strcpy(body + at, "\"}]}");
	ck_assert_int_eq(ca_cfssl_parse_answer((unsigned char *)body,
					       strlen(body), &pem, &len), -1);
	ck_assert_ptr_nonnull(strstr(err_message(), "rrr..."));
	ck_assert_uint_lt(strlen(err_message()), 300);
	free(body);
}
END_TEST

/* Deep nesting and a large body are errors, not a crash. */
START_TEST(test_parse_nested)
{
	size_t depth = 200000, i;
	char *body = malloc(2 * depth + 1), *pem = NULL;
	size_t len = 0;

	ck_assert_ptr_nonnull(body);
	for (i = 0; i < depth; i++) {
		body[i] = '[';
		body[2 * depth - 1 - i] = ']';
	}
	body[2 * depth] = '\0';
	ck_assert_int_eq(ca_cfssl_parse_answer((unsigned char *)body,
					       2 * depth, &pem, &len), -1);
	ck_assert_ptr_nonnull(strstr(err_message(),
				     "the CA's answer is malformed: not JSON"));
	ck_assert_ptr_null(pem);

	/* The same depth inside the result object. */
	memcpy(body, "{\"success\":true,\"result\":", 25);
	ck_assert_int_eq(ca_cfssl_parse_answer((unsigned char *)body,
					       2 * depth, &pem, &len), -1);
	ck_assert_ptr_nonnull(strstr(err_message(), "malformed"));
	free(body);
}
END_TEST

/* Bytes after a NUL in the body are still part of the answer. */
START_TEST(test_parse_embedded_nul)
{
	static const char body[] = "{\"success\":true,\"result\":"
		"{\"certificate\":\"x\"}}\0garbage";
	char *pem = NULL;
	size_t len = 0;

	ck_assert_int_eq(ca_cfssl_parse_answer((const unsigned char *)body,
					       sizeof(body) - 1, &pem, &len), -1);
	ck_assert_ptr_nonnull(strstr(err_message(), "not JSON"));
}
END_TEST

/* ---- the authsign token --------------------------------------------------- */

static const struct {
	const char *key_hex;
	const char *request;
	const char *token;      /* base64 */
} token_cases[] = {
	/* RFC 4231, test case 2 (key "Jefe"). */
	{ "4a656665", "what do ya want for nothing?",
	  "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=" },
	/* printf '%s' '{"certificate_request":"x","profile":"server"}' |
	 * openssl dgst -sha256 -mac HMAC \
	 *     -macopt hexkey:00112233445566778899aabbccddeeff -binary | base64 */
	{ "00112233445566778899aabbccddeeff",
	  "{\"certificate_request\":\"x\",\"profile\":\"server\"}",
	  "Kh58umHVFRlgbaUS+9vXcjyxKpz7Vm7bZtN/OE0Ulkw=" },
};

START_TEST(test_token)
{
	unsigned char key[64];
	long key_len = 0;
	unsigned char *decoded;
	char *token = NULL;

	decoded = OPENSSL_hexstr2buf(token_cases[_i].key_hex, &key_len);
	ck_assert_ptr_nonnull(decoded);
	memcpy(key, decoded, (size_t)key_len);
	OPENSSL_free(decoded);
	ck_assert_int_eq(ca_cfssl_token(key, (size_t)key_len,
	    (const unsigned char *)token_cases[_i].request,
	    strlen(token_cases[_i].request), &token), 0);
	ck_assert_str_eq(token, token_cases[_i].token);
	free(token);
}
END_TEST

/* ---- the request ------------------------------------------------------- */

/* BASE64 decoded into a NUL-terminated string. */
static char *
unbase64(const char *base64)
{
	size_t len = strlen(base64);
	unsigned char *out = calloc(1, len + 1);
	int n;

	ck_assert_ptr_nonnull(out);
	n = EVP_DecodeBlock(out, (const unsigned char *)base64, (int)len);
	ck_assert_int_ge(n, 0);
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	while (len > 0 && base64[len - 1] == '=') {
		len--;
		n--;
	}
	out[n] = '\0';
	return (char *)out;
}

START_TEST(test_request_plain)
{
	static const char *const profiles[] = { "server", NULL };
	json_error_t error;
	json_t *root;
	char *body = NULL;
	int i;

	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(ca_cfssl_request_body(CERT_PEM, profiles[i],
						       NULL, 0, &body), 0);
		root = json_loads(body, 0, &error);
		ck_assert_ptr_nonnull(root);
		ck_assert_str_eq(json_string_value(json_object_get(root,
		    "certificate_request")), CERT_PEM);
		if (profiles[i] != NULL) {
			ck_assert_str_eq(json_string_value(json_object_get(root,
			    "profile")), profiles[i]);
			ck_assert_uint_eq(json_object_size(root), 2);
		} else {
			/* No profile: the server's default, not the role. */
			ck_assert_ptr_null(json_object_get(root, "profile"));
			ck_assert_uint_eq(json_object_size(root), 1);
		}
		json_decref(root);
		free(body);
	}
}
END_TEST

START_TEST(test_request_authsign)
{
	static const unsigned char key[] = { 0xde, 0xad, 0xbe, 0xef, 0x01 };
	const char *request_b64, *token;
	char *body = NULL, *request = NULL, *expected = NULL;
	json_error_t error;
	json_t *root, *inner;

	ck_assert_int_eq(ca_cfssl_request_body(CERT_PEM, "authsign-server", key,
					       sizeof(key), &body), 0);
	root = json_loads(body, 0, &error);
	ck_assert_ptr_nonnull(root);
	ck_assert_uint_eq(json_object_size(root), 2);
	request_b64 = json_string_value(json_object_get(root, "request"));
	token = json_string_value(json_object_get(root, "token"));
	ck_assert_ptr_nonnull(request_b64);
	ck_assert_ptr_nonnull(token);

	/* The wrapped request is the sign request... */
	request = unbase64(request_b64);
	inner = json_loads(request, 0, &error);
	ck_assert_ptr_nonnull(inner);
	ck_assert_str_eq(json_string_value(json_object_get(inner,
	    "certificate_request")), CERT_PEM);
	ck_assert_str_eq(json_string_value(json_object_get(inner, "profile")),
			 "authsign-server");
	/* ...and the token is the HMAC of exactly those bytes. */
	ck_assert_int_eq(ca_cfssl_token(key, sizeof(key),
	    (const unsigned char *)request, strlen(request), &expected), 0);
	ck_assert_str_eq(token, expected);

	json_decref(inner);
	json_decref(root);
	free(expected);
	free(request);
	free(body);
}
END_TEST

/* ---- specs ------------------------------------------------------------- */

static const struct {
	const char *spec;
	const char *auth_key;
	const char *describe;   /* NULL: a usage error containing MESSAGE */
	const char *message;
} spec_cases[] = {
	{ "cfssl:http://127.0.0.1:8888", NULL, "cfssl:http://127.0.0.1:8888/",
	  NULL },
	{ "cfssl:https://ca.example.org#server", NULL,
	  "cfssl:https://ca.example.org/#server", NULL },
	{ "cfssl:https://ca.example.org/prefix/#client", "00ff",
	  "cfssl:https://ca.example.org/prefix/#client", NULL },
	{ "cfssl:https://ca.example.org", " 0A0b\n", NULL, NULL },
	{ "cfssl:https://user:secret@ca.example.org#server", NULL,
	  "cfssl:https://user@ca.example.org/#server", NULL },
	{ "cfssl", NULL, NULL, "no URL given" },
	{ "cfssl:", NULL, NULL, "no URL given" },
	{ "cfssl:#server", NULL, NULL, "no URL given" },
	{ "cfssl:ftp://ca.example.org", NULL, NULL,
	  "the URL must be http or https, not ftp" },
	{ "cfssl:file:///etc/passwd", NULL, NULL,
	  "the URL must be http or https, not file" },
	{ "cfssl:127.0.0.1:8888", NULL, NULL, "it must start with http://" },
	{ "cfssl:http://", NULL, NULL, "not a usable URL" },
	{ "cfssl:http://127.0.0.1:8888#", NULL, NULL,
	  "CA cfssl:http://127.0.0.1:8888/: no profile name after '#'" },
	{ "cfssl:http://127.0.0.1:8888#a b", NULL, NULL,
	  "the profile name contains a blank" },
	{ "cfssl:http://127.0.0.1:8888#server", "", NULL,
	  "CA cfssl:http://127.0.0.1:8888/#server: the authentication key is "
	  "empty" },
	{ "cfssl:http://127.0.0.1:8888#server", "not hex at all", NULL,
	  "the authentication key is not hex" },
	{ "cfssl:http://127.0.0.1:8888#server", "abc", NULL,
	  "the authentication key is not hex" },
	{ "cfssl:http://127.0.0.1:8888#server", "ab:cd", NULL,
	  "the authentication key is not hex" },
};

START_TEST(test_open)
{
	struct ca_options opts = { .auth_key = spec_cases[_i].auth_key };
	struct ca *ca = (struct ca *)1;
	int rc;

	rc = ca_open(spec_cases[_i].spec, &opts, &ca);
	if (spec_cases[_i].message == NULL) {
		ck_assert_msg(rc == 0, "%s: %s", spec_cases[_i].spec,
			      err_message());
		if (spec_cases[_i].describe != NULL)
			ck_assert_str_eq(ca_describe(ca),
					 spec_cases[_i].describe);
		ck_assert_ptr_null(ca_request_challenge(ca));
		ca_free(ca);
		return;
	}
	ck_assert_msg(rc == -1, "%s: accepted", spec_cases[_i].spec);
	ck_assert_ptr_null(ca);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_msg(strstr(err_message(), spec_cases[_i].message) != NULL,
		      "%s: '%s' lacks '%s'", spec_cases[_i].spec, err_message(),
		      spec_cases[_i].message);
	ck_assert_ptr_null(strstr(err_message(), "not hex at all"));
}
END_TEST

/* Nothing listens on port 1: unreachable, said so, nothing returned. */
START_TEST(test_unreachable)
{
	struct ca_options opts = { .timeout_seconds = 5 };
	struct ca_reply reply = { (unsigned char *)1, 1, NULL, 0 };
	struct ca *ca = NULL;

	ck_assert_int_eq(ca_open("cfssl:http://127.0.0.1:1#server", &opts, &ca),
			 0);
	ck_assert_int_eq(ca_submit(ca, CERT_PEM, "tls-server", &reply), -1);
	ck_assert_ptr_null(reply.answer);
	ck_assert_uint_eq(reply.len, 0);
	ck_assert_int_eq(err_kind(), ERR_FAILED);
	ck_assert_ptr_nonnull(strstr(err_message(),
	    "CA cfssl:http://127.0.0.1:1/#server: the CA could not be reached"));
	ca_free(ca);
}
END_TEST

/* ---- revocation ------------------------------------------------------- */

/* A certificate with serial 258 (0x0102) and, with AKI, an authority key
 * identifier of ab cd, as PEM; caller frees. Self-signed, as only its
 * fields are read. */
static char *
revoke_cert(bool aki)
{
	static const unsigned char id[] = { 0xab, 0xcd };
	AUTHORITY_KEYID *akid = NULL;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *pem;
	long len;

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 258), 1);
	if (aki) {
		akid = AUTHORITY_KEYID_new();
		akid->keyid = ASN1_OCTET_STRING_new();
		ck_assert_int_eq(ASN1_OCTET_STRING_set(akid->keyid, id, 2), 1);
		ck_assert_int_eq(X509_add1_ext_i2d(x, NID_authority_key_identifier,
						   akid, 0, 0), 1);
		AUTHORITY_KEYID_free(akid);
	}
	ck_assert_ptr_nonnull(key);
	ck_assert_int_eq(X509_set_pubkey(x, key), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	ck_assert_int_eq(PEM_write_bio_X509(bio, x), 1);
	len = BIO_get_mem_data(bio, &data);
	pem = strndup(data, (size_t)len);
	ck_assert_ptr_nonnull(pem);
	BIO_free(bio);
	X509_free(x);
	EVP_PKEY_free(key);
	return pem;
}

START_TEST(test_revoke_body)
{
	json_t *root;
	char *pem = revoke_cert(true), *bare = revoke_cert(false), *body = NULL;

	/* The serial in decimal and the identifier in lower-case hex, as
	 * cfssl's certificate database records them. */
	ck_assert_int_eq(ca_cfssl_revoke_body(pem, CA_REASON_KEY_COMPROMISE, NULL,
					      &body), 0);
	root = json_loads(body, 0, NULL);
	ck_assert_ptr_nonnull(root);
	ck_assert_str_eq(json_string_value(json_object_get(root, "serial")), "258");
	ck_assert_str_eq(json_string_value(json_object_get(root,
			 "authority_key_id")), "abcd");
	ck_assert_str_eq(json_string_value(json_object_get(root, "reason")),
			 "keyCompromise");
	ck_assert_uint_eq(json_object_size(root), 3);
	json_decref(root);
	free(body);
	/* An identifier given replaces the certificate's; none is "". */
	ck_assert_int_eq(ca_cfssl_revoke_body(pem, CA_REASON_SUPERSEDED, "", &body), 0);
	root = json_loads(body, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(root,
			 "authority_key_id")), "");
	ck_assert_str_eq(json_string_value(json_object_get(root, "reason")),
			 "superseded");
	json_decref(root);
	free(body);
	ck_assert_int_eq(ca_cfssl_revoke_body(bare, CA_REASON_UNSPECIFIED, NULL,
					      &body), 0);
	root = json_loads(body, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(root,
			 "authority_key_id")), "");
	json_decref(root);
	free(body);
	/* cACompromise is no reason for a role's certificate; garbage is
	 * no certificate. */
	ck_assert_int_eq(ca_cfssl_revoke_body(pem, 2, NULL, &body), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_ptr_null(body);
	ck_assert_int_eq(ca_cfssl_revoke_body("not PEM", 0, NULL, &body), -1);
	ck_assert_ptr_null(body);
	free(pem);
	free(bare);
}
END_TEST

START_TEST(test_reasons)
{
	ck_assert_int_eq(ca_reason_parse("superseded"), CA_REASON_SUPERSEDED);
	ck_assert_int_eq(ca_reason_parse("KEYCOMPROMISE"), CA_REASON_KEY_COMPROMISE);
	ck_assert_int_eq(ca_reason_parse("cessationOfOperation"),
			 CA_REASON_CESSATION_OF_OPERATION);
	ck_assert_int_eq(ca_reason_parse("cACompromise"), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err_message(), "privilegeWithdrawn"));
	ck_assert_int_eq(ca_reason_parse("4"), -1);
	ck_assert_str_eq(ca_reason_name(CA_REASON_UNSPECIFIED), "unspecified");
	ck_assert_ptr_null(ca_reason_name(8));
}
END_TEST

/* Which kinds revoke; one that cannot says so, and nothing is sent. */
START_TEST(test_can_revoke)
{
	static const struct {
		const char *spec;
		int can;
	} kinds[] = {
		{ "cfssl:http://127.0.0.1:1", 1 },
		{ "exec:/bin/true", 0 },
		{ "scep:http://127.0.0.1:1/scep", 0 },
	};
	struct ca *ca = NULL;
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		ck_assert_int_eq(ca_open(kinds[i].spec, NULL, &ca), 0);
		ck_assert_int_eq(ca_can_revoke(ca), kinds[i].can);
		if (!kinds[i].can) {
			ck_assert_int_eq(ca_revoke(ca, CERT_PEM, 0), -1);
			ck_assert_ptr_nonnull(strstr(err_message(),
						     "cannot revoke"));
		}
		ca_free(ca);
	}
}
END_TEST

START_TEST(test_revoke_unreachable)
{
	struct ca_options opts = { .timeout_seconds = 5 };
	struct ca *ca = NULL;
	char *pem = revoke_cert(true);

	ck_assert_int_eq(ca_open("cfssl:http://127.0.0.1:1#server", &opts, &ca), 0);
	ck_assert_int_eq(ca_revoke(ca, pem, CA_REASON_SUPERSEDED), -1);
	ck_assert_ptr_nonnull(strstr(err_message(),
	    "CA cfssl:http://127.0.0.1:1/#server: revoke: the CA could not be "
	    "reached"));
	ca_free(ca);
	free(pem);
}
END_TEST

static Suite *
cfssl_suite(void)
{
	Suite *s = suite_create("cfssl");
	TCase *tc;

	tc = tcase_create("answer");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_parse_answer, 0,
			    sizeof(answer_cases) / sizeof(answer_cases[0]));
	tcase_add_test(tc, test_parse_long_reason);
	tcase_add_test(tc, test_parse_nested);
	tcase_add_test(tc, test_parse_embedded_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("request");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_token, 0,
			    sizeof(token_cases) / sizeof(token_cases[0]));
	tcase_add_test(tc, test_request_plain);
	tcase_add_test(tc, test_request_authsign);
	suite_add_tcase(s, tc);

	tc = tcase_create("spec");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_open, 0,
			    sizeof(spec_cases) / sizeof(spec_cases[0]));
	tcase_add_test(tc, test_unreachable);
	suite_add_tcase(s, tc);

	tc = tcase_create("revoke");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_revoke_body);
	tcase_add_test(tc, test_reasons);
	tcase_add_test(tc, test_can_revoke);
	tcase_add_test(tc, test_revoke_unreachable);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cfssl_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
