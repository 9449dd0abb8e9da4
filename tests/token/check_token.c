/* SPDX-License-Identifier: MIT */
/* check_token.c - the token layer, key generation, on-token signing and
 * certificate objects, each test on a fresh SoftHSM token. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "audit.h"
#include "certstore.h"
#include "csr.h"
#include "err.h"
#include "keygen.h"
#include "keysign.h"
#include "rolestate.h"
#include "softhsm.h"
#include "../unit/testkeys.h"
#include "token.h"
#include "token-login.h"

/* keygen_generate() with the role's attributes alone: no subject and no
 * list of mechanisms. */
static int
test_keygen(struct token *t, enum key_alg alg, unsigned caps, const char *label,
	    const unsigned char *fixed_id, size_t fixed_id_len, struct keypair *kp)
{
	struct keygen_spec s = {
		.alg = alg, .caps = caps, .label = label,
		.fixed_id = fixed_id, .fixed_id_len = fixed_id_len,
	};

	return keygen_generate(t, &s, kp, NULL);
}

static struct module *mod;

/* Load MODULE, make the tokens named in LABELS (NULL-terminated) and
 * open the first, logged in. */
static struct token *
open_fresh_with(const char *module, const char *const *labels)
{
	struct token *t = NULL;
	size_t i;

	ck_assert_int_eq(module_load(module, &mod), 0);
	for (i = 0; labels[i] != NULL; i++)
		softhsm_init_token(mod, labels[i]);
	ck_assert_msg(token_open(mod, labels[0], softhsm_dir, &t) == 0, "%s", err_message());
	ck_assert_msg(token_login(t, TEST_USER_PIN) == 0, "%s", err_message());
	return t;
}

static struct token *
open_fresh(const char *const *labels)
{
	return open_fresh_with(softhsm_module(), labels);
}

static struct token *
open_one(void)
{
	static const char *const labels[] = { "unit", NULL };

	return open_fresh(labels);
}

static void
close_all(struct token *t)
{
	token_close(t);
	module_free(mod);
	mod = NULL;
}

static bool
attr_bool(struct token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	bool v = false;

	ck_assert_int_eq(token_get_bool(t, h, type, &v), 0);
	return v;
}

static const enum key_alg all_algs[] = {
	KEY_EC_P256, KEY_EC_P384, KEY_RSA_2048, KEY_RSA_3072, KEY_RSA_4096,
};

/* Every algorithm: least-privilege private key, CKA_ID from the key. */
START_TEST(test_keygen_attributes)
{
	struct token *t = open_one();
	enum key_alg alg = all_algs[_i];
	unsigned char id[20], *label = NULL, *got_id = NULL;
	size_t id_len = 0, label_len = 0, got_len = 0;
	struct keypair kp;
	EVP_PKEY *pub = NULL;

	ck_assert_msg(test_keygen(t, alg, KEY_CAP_SIGN, "role-x", NULL, 0, &kp) == 0,
		      "%s", err_message());
	ck_assert(attr_bool(t, kp.priv, CKA_TOKEN));
	ck_assert(attr_bool(t, kp.priv, CKA_PRIVATE));
	ck_assert(attr_bool(t, kp.priv, CKA_SENSITIVE));
	ck_assert(attr_bool(t, kp.priv, CKA_ALWAYS_SENSITIVE));
	ck_assert(!attr_bool(t, kp.priv, CKA_EXTRACTABLE));
	ck_assert(attr_bool(t, kp.priv, CKA_NEVER_EXTRACTABLE));
	ck_assert(attr_bool(t, kp.priv, CKA_SIGN));
	ck_assert(!attr_bool(t, kp.priv, CKA_DECRYPT));
	ck_assert(!attr_bool(t, kp.priv, CKA_UNWRAP));
	ck_assert(!attr_bool(t, kp.priv, CKA_DERIVE));
	ck_assert(!attr_bool(t, kp.priv, CKA_SIGN_RECOVER));
	ck_assert(attr_bool(t, kp.pub, CKA_TOKEN));
	ck_assert(!attr_bool(t, kp.pub, CKA_PRIVATE));

	ck_assert_int_eq(keygen_public_key(t, kp.pub, &pub), 0);
	ck_assert_int_eq(keygen_id_of(pub, id, &id_len), 0);
	ck_assert_uint_eq(id_len, 20);
	ck_assert_uint_eq(kp.id_len, 20);
	ck_assert_mem_eq(kp.id, id, 20);
	ck_assert_int_eq(token_get_attr(t, kp.priv, CKA_ID, &got_id, &got_len), 0);
	ck_assert_uint_eq(got_len, 20);
	ck_assert_mem_eq(got_id, id, 20);
	ck_assert_int_eq(token_get_attr(t, kp.priv, CKA_LABEL, &label, &label_len), 0);
	ck_assert_str_eq((char *)label, "role-x");
	ck_assert_int_eq(EVP_PKEY_get_bits(pub),
			 alg == KEY_EC_P256 ? 256 : alg == KEY_EC_P384 ? 384 :
			 alg == KEY_RSA_2048 ? 2048 : alg == KEY_RSA_3072 ? 3072 : 4096);
	free(label);
	free(got_id);
	EVP_PKEY_free(pub);
	close_all(t);
}
END_TEST

/* A key-agreement key signs its request, then loses the right to sign. */
START_TEST(test_keygen_narrow)
{
	struct token *t = open_one();
	struct keypair kp;
	bool unnarrowed = true;

	ck_assert_int_eq(test_keygen(t, KEY_EC_P256, KEY_CAP_DERIVE, "agree",
					 NULL, 0, &kp), 0);
	ck_assert(attr_bool(t, kp.priv, CKA_SIGN));
	ck_assert(attr_bool(t, kp.priv, CKA_DERIVE));
	ck_assert_int_eq(keygen_narrow(t, &kp, KEY_CAP_DERIVE, 0, false, &unnarrowed), 0);
	ck_assert(!unnarrowed);
	ck_assert(!attr_bool(t, kp.priv, CKA_SIGN));
	ck_assert(attr_bool(t, kp.priv, CKA_DERIVE));
	/* An EC key cannot be an RSA decryption key. */
	ck_assert_int_eq(test_keygen(t, KEY_EC_P256, KEY_CAP_DECRYPT, "bad",
					 NULL, 0, &kp), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	close_all(t);
}
END_TEST

/* A fixed CKA_ID is used as given. */
START_TEST(test_keygen_fixed_id)
{
	static const unsigned char fixed[] = { 0x02 };
	struct token *t = open_one();
	unsigned char *id = NULL;
	size_t len = 0;
	struct keypair kp;

	ck_assert_int_eq(test_keygen(t, KEY_EC_P256, KEY_CAP_SIGN, "slot2",
					 fixed, sizeof(fixed), &kp), 0);
	ck_assert_int_eq(token_get_attr(t, kp.pub, CKA_ID, &id, &len), 0);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(id[0], 0x02);
	free(id);
	close_all(t);
}
END_TEST

struct sign_ctx {
	struct token *t;
	struct keypair *kp;
};

static int
token_sign(void *ctx, const struct csr_tbs *tbs, unsigned char **sig,
	   size_t *siglen)
{
	struct sign_ctx *c = ctx;

	return keysign_request(c->t, c->kp, tbs, sig, siglen);
}

static const enum key_alg csr_algs[] = { KEY_EC_P256, KEY_EC_P384, KEY_RSA_2048 };

/* A request signed on the token verifies against the on-token key. */
START_TEST(test_csr_signed_on_token)
{
	struct token *t = open_one();
	struct keypair kp;
	struct sign_ctx ctx = { t, &kp };
	struct csr_signer signer = { token_sign, &ctx };
	struct csr_spec spec;
	EVP_PKEY *pub = NULL;
	X509_REQ *req = NULL;

	testkeys_spec(&spec, "/CN=www.example.org", KU_DIGITAL_SIGNATURE,
		      "serverAuth", "DNS:www.example.org");
	ck_assert_int_eq(test_keygen(t, csr_algs[_i], KEY_CAP_SIGN, "csr",
					 NULL, 0, &kp), 0);
	ck_assert_int_eq(keygen_public_key(t, kp.pub, &pub), 0);
	ck_assert_msg(csr_build(&spec, pub, &signer, &req) == 0, "%s", err_message());
	ck_assert_int_eq(X509_REQ_verify(req, pub), 1);
	ck_assert_int_eq(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), pub), 1);
	X509_REQ_free(req);
	EVP_PKEY_free(pub);
	csr_spec_clear(&spec);
	close_all(t);
}
END_TEST

/* Selection by label, by URI, not found and ambiguous. */
START_TEST(test_select)
{
	static const char *const labels[] = { "left", "right", "twin", "twin", NULL };
	struct token *t = open_fresh(labels), *u = NULL;
	char uri[200];

	ck_assert_str_eq(token_get_info(t)->label, "left");
	snprintf(uri, sizeof(uri), "pkcs11:serial=%s", token_get_info(t)->serial);
	token_close(t);
	ck_assert_msg(token_open(mod, uri, softhsm_dir, &u) == 0, "%s", err_message());
	ck_assert_str_eq(token_get_info(u)->label, "left");
	token_close(u);
	ck_assert_int_eq(token_open(mod, "pkcs11:token=right", softhsm_dir, &u), 0);
	ck_assert_str_eq(token_get_info(u)->label, "right");
	token_close(u);
	u = NULL;

	ck_assert_int_eq(token_open(mod, "nosuch", softhsm_dir, &u), -1);
	ck_assert_ptr_null(u);
	ck_assert_ptr_nonnull(strstr(err_message(), "no token matches 'nosuch'"));
	ck_assert_ptr_nonnull(strstr(err_message(), "token=left"));
	ck_assert_ptr_nonnull(strstr(err_message(), "token=right"));

	ck_assert_int_eq(token_open(mod, "twin", softhsm_dir, &u), -1);
	ck_assert_ptr_nonnull(strstr(err_message(), "'twin' matches 2 tokens"));
	ck_assert_ptr_null(strstr(err_message(), "token=left"));

	ck_assert_int_eq(token_open(mod, "pkcs11:token=%zz", softhsm_dir, &u), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_int_eq(token_open(mod, "a-label-that-is-longer-than-32-bytes",
				    softhsm_dir, &u), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	module_free(mod);
	mod = NULL;
}
END_TEST

/* A wrong PIN fails once with its CKR named, and is not retried. */
START_TEST(test_login_wrong_pin)
{
	static const char *const labels[] = { "pin", NULL };
	struct token *t = NULL;

	ck_assert_int_eq(module_load(softhsm_module(), &mod), 0);
	softhsm_init_token(mod, labels[0]);
	ck_assert_int_eq(token_open(mod, "pin", softhsm_dir, &t), 0);
	ck_assert(token_needs_login(t));
	err_clear();
	ck_assert_int_eq(token_login(t, "0000"), -1);
	ck_assert_uint_eq(err_last_ckr(), CKR_PIN_INCORRECT);
	ck_assert_ptr_nonnull(strstr(err_message(), "log in to token pin: CKR_PIN_INCORRECT"));
	ck_assert_ptr_nonnull(strstr(err_message(), "not retried"));
	ck_assert_ptr_null(strstr(err_message(), "0000"));
	ck_assert_int_eq(token_login(t, TEST_USER_PIN), 0);
	close_all(t);
}
END_TEST

/* One process at a time per token. */
START_TEST(test_lock)
{
	struct token *t = open_one(), *u = NULL;
	char pid[32];

	ck_assert_int_eq(token_open(mod, "unit", softhsm_dir, &u), -1);
	snprintf(pid, sizeof(pid), "(pid %ld)", (long)getpid());
	ck_assert_ptr_nonnull(strstr(err_message(), "in use by another p11enroll process"));
	ck_assert_ptr_nonnull(strstr(err_message(), pid));
	token_close(t);
	ck_assert_int_eq(token_open(mod, "unit", softhsm_dir, &u), 0);
	token_close(u);
	module_free(mod);
	mod = NULL;
}
END_TEST

/* A certificate lands beside its key with the attributes others look for,
 * and the inventory groups them by CKA_ID. */
START_TEST(test_certstore_inventory)
{
	struct token *t = open_one();
	struct testkeys_cert what = { "/CN=host", "critical,CA:FALSE",
				      "critical,digitalSignature", "serverAuth",
				      "DNS:host", 0, 0 };
	struct inventory_entry *inv = NULL;
	EVP_PKEY *pub = NULL, *ca_key = testkeys_load(TESTKEYS_EC_P256, 1);
	X509 *root, *cert;
	unsigned char *serial = NULL, *der = NULL, *p;
	size_t serial_len = 0, n = 0;
	CK_OBJECT_HANDLE h, *found = NULL;
	struct keypair kp, other;
	int der_len;

	ck_assert_int_eq(test_keygen(t, KEY_EC_P256, KEY_CAP_SIGN, "web", NULL, 0, &kp), 0);
	ck_assert_int_eq(test_keygen(t, KEY_RSA_2048, KEY_CAP_SIGN, "lonely", NULL, 0,
					 &other), 0);
	ck_assert_int_eq(keygen_public_key(t, kp.pub, &pub), 0);
	what.not_before = time(NULL) - 60;
	what.not_after = time(NULL) + 86400;
	root = testkeys_root(ca_key, "Test Root", time(NULL));
	cert = testkeys_issue(pub, &what, root, ca_key);
	ck_assert_int_eq(certstore_write(t, cert, kp.id, kp.id_len, "web", &h), 0);

	ck_assert_int_eq(token_get_attr(t, h, CKA_SERIAL_NUMBER, &serial, &serial_len), 0);
	der_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), NULL);
	der = p = malloc((size_t)der_len);
	i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &p);
	ck_assert_uint_eq(serial_len, (size_t)der_len);
	ck_assert_mem_eq(serial, der, serial_len);
	ck_assert_int_eq(certstore_find_id(t, CKO_CERTIFICATE, kp.id, kp.id_len, &found, &n), 0);
	ck_assert_uint_eq(n, 1);
	free(found);

	ck_assert_int_eq(certstore_inventory(t, &inv, &n), 0);
	ck_assert_uint_eq(n, 2);
	/* Sorted by label: "lonely" then "web". */
	ck_assert_str_eq(inv[0].label, "lonely");
	ck_assert(inv[0].has_private && inv[0].has_public && inv[0].ncerts == 0);
	ck_assert_uint_eq(inv[0].key_caps, KEY_CAP_SIGN);
	ck_assert(!inv[0].extractable && inv[0].sensitive);
	ck_assert_uint_eq(inv[0].key_type, CKK_RSA);
	ck_assert_uint_eq(inv[0].key_bits, 2048);
	ck_assert_str_eq(inv[1].label, "web");
	ck_assert(inv[1].has_private && inv[1].has_public && inv[1].ncerts == 1);
	ck_assert_str_eq(inv[1].certs[0].label, "web");
	ck_assert_int_eq(EVP_PKEY_eq(inv[1].key, pub), 1);
	ck_assert_uint_eq(inv[1].key_type, CKK_EC);
	ck_assert_uint_eq(inv[1].key_bits, 256);
	ck_assert_int_eq(X509_cmp(inv[1].certs[0].cert, cert), 0);
	certstore_inventory_free(inv, n);

	free(serial);
	free(der);
	X509_free(cert);
	X509_free(root);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(ca_key);
	close_all(t);
}
END_TEST

/* ---- role states and groups ---- */

/* A certificate for KP's public key from a throw-away CA, written beside
 * it as LABEL, COUNT times. */
static void
write_certs(struct token *t, const struct keypair *kp, const char *label, int count)
{
	struct testkeys_cert what = { "/CN=host", "critical,CA:FALSE",
				      "critical,digitalSignature", "serverAuth",
				      "DNS:host", 0, 0 };
	EVP_PKEY *pub = NULL, *ca_key = testkeys_load(TESTKEYS_EC_P256, 1);
	X509 *root, *cert;
	CK_OBJECT_HANDLE h;
	int i;

	ck_assert_int_eq(keygen_public_key(t, kp->pub, &pub), 0);
	what.not_before = time(NULL) - 60;
	what.not_after = time(NULL) + 86400;
	root = testkeys_root(ca_key, "Test Root", time(NULL));
	cert = testkeys_issue(pub, &what, root, ca_key);
	for (i = 0; i < count; i++)
		ck_assert_msg(certstore_write(t, cert, kp->id, kp->id_len, label, &h) == 0,
			      "%s", err_message());
	X509_free(cert);
	X509_free(root);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(ca_key);
}

/* How many objects of CLS are labelled LABEL. */
static size_t
count_labelled(struct token *t, CK_OBJECT_CLASS cls, const char *label)
{
	CK_OBJECT_HANDLE *h = NULL;
	size_t n = 0;

	ck_assert_int_eq(certstore_find_label(t, cls, label, &h, &n), 0);
	free(h);
	return n;
}

/* A deletion that the token stops after the first object has taken the
 * private key; it goes on past the failures, and the first is the
 * recorded error with every later one after it. Through the fault
 * module: every C_DestroyObject but the first and the last fails. */
START_TEST(test_rolestate_delete_order)
{
	static const char *const labels[] = { "unit", NULL };
	const char *faultmod = getenv("P11FAULT_MODULE");
	struct rolestate_group g = { NULL, 0, 0 };
	CK_OBJECT_HANDLE data;
	struct keypair kp;
	struct token *t;
	char conf[300];
	size_t removed = 99;
	FILE *f;

	ck_assert_msg(faultmod != NULL, "P11FAULT_MODULE is not set (make check sets it)");
	snprintf(conf, sizeof(conf), "%s/fault.conf", softhsm_dir);
	ck_assert_ptr_nonnull(f = fopen(conf, "w"));
	fprintf(f, "fail C_DestroyObject 2 CKR_DEVICE_ERROR\n"
		"fail C_DestroyObject 3 CKR_DEVICE_MEMORY\n");
	fclose(f);
	setenv("P11FAULT_CONF", conf, 1);
	setenv("P11FAULT_TARGET", softhsm_module(), 1);
	t = open_fresh_with(faultmod, labels);

	/* Made in the order the old status --repair deleted them: the
	 * certificate first, the private key last. */
	ck_assert_int_eq(test_keygen(t, KEY_EC_P256, KEY_CAP_SIGN, "pending:web",
					 NULL, 0, &kp), 0);
	write_certs(t, &kp, "pending:web", 1);
	ck_assert_int_eq(certstore_write_data(t, "pending:web", CERTSTORE_REQUEST,
					      (const unsigned char *)"x", 1, &data), 0);
	ck_assert_int_eq(rolestate_find(t, ROLESTATE_PENDING, "web", &g), 0);
	ck_assert_uint_eq(g.n, 4);
	ck_assert_uint_eq(g.objs[0].cls, CKO_PRIVATE_KEY);
	ck_assert_str_eq(g.objs[0].label, "pending:web");
	ck_assert_str_eq(g.objs[0].id_hex, g.objs[1].id_hex);

	err_clear();
	ck_assert_int_eq(rolestate_delete(t, &g, &removed), -1);
	ck_assert_uint_eq(removed, 2);
	ck_assert_uint_eq(err_last_ckr(), CKR_DEVICE_ERROR);
	ck_assert_msg(strncmp(err_message(), "public key pending:web: delete object ",
			      strlen("public key pending:web: delete object ")) == 0,
		      "%s", err_message());
	ck_assert_msg(strstr(err_message(), "; certificate pending:web: delete object ") &&
		      strstr(err_message(), "CKR_DEVICE_MEMORY"), "%s", err_message());

	ck_assert_uint_eq(count_labelled(t, CKO_PRIVATE_KEY, "pending:web"), 0);
	ck_assert_uint_eq(count_labelled(t, CKO_PUBLIC_KEY, "pending:web"), 1);
	ck_assert_uint_eq(count_labelled(t, CKO_CERTIFICATE, "pending:web"), 1);
	ck_assert_uint_eq(count_labelled(t, CKO_DATA, "pending:web"), 0);
	rolestate_group_clear(&g);
	close_all(t);
	unsetenv("P11FAULT_CONF");
}
END_TEST

/* Any object in a state the caller names takes the label, whatever its
 * class: a request left alone under "awaiting:" too. */
START_TEST(test_rolestate_check_free)
{
	const unsigned taken = ROLESTATE_MASK(ROLESTATE_ROLE) |
			       ROLESTATE_MASK(ROLESTATE_PENDING) |
			       ROLESTATE_MASK(ROLESTATE_AWAITING);
	struct token *t = open_one();
	CK_OBJECT_HANDLE data;

	ck_assert_int_eq(rolestate_check_free(t, "web", "web", taken), 0);
	ck_assert_int_eq(certstore_write_data(t, "awaiting:web", CERTSTORE_REQUEST,
					      (const unsigned char *)"x", 1, &data), 0);
	ck_assert_int_eq(rolestate_check_free(t, "web", "web", taken), -1);
	ck_assert_str_eq(err_message(), "role web has a key awaiting its certificate; "
			 "install the certificate or remove the role first "
			 "(label awaiting:web)");
	ck_assert_int_eq(rolestate_check_free(t, "web", "web",
					      ROLESTATE_MASK(ROLESTATE_ROLE) |
					      ROLESTATE_MASK(ROLESTATE_RETIRED)), 0);
	ck_assert_int_eq(rolestate_check_free(t, "web", "webs", taken), 0);
	close_all(t);
}
END_TEST

/* status --repair removes a pending group whatever its size: a key pair
 * with 70 certificates goes whole. */
START_TEST(test_repair_large_group)
{
	struct token *t = open_one();
	struct inventory_entry *inv = NULL;
	struct audit_repair *plan = NULL;
	struct audit_repair_policy policy = { NULL, 0, NULL, 0 };
	size_t n = 0, nplan = 0;
	struct keypair kp;

	policy.now = time(NULL);
	ck_assert_int_eq(test_keygen(t, KEY_EC_P256, KEY_CAP_SIGN, "pending:big",
					 NULL, 0, &kp), 0);
	write_certs(t, &kp, "pending:big", 70);
	ck_assert_int_eq(certstore_inventory(t, &inv, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(inv[0].ncerts, 70);
	ck_assert_int_eq(audit_repair_plan(inv, n, NULL, &policy, &plan, &nplan), 0);
	ck_assert_uint_eq(nplan, 1);
	ck_assert_int_eq(plan[0].action, AUDIT_REPAIR_REMOVE);
	ck_assert_str_eq(plan[0].role, "big");
	ck_assert_msg(audit_repair_apply(t, inv, NULL, plan, nplan) == 0, "%s", err_message());
	audit_repair_free(plan, nplan);
	certstore_inventory_free(inv, n);

	ck_assert_int_eq(certstore_inventory(t, &inv, &n), 0);
	ck_assert_uint_eq(n, 0);
	certstore_inventory_free(inv, n);
	close_all(t);
}
END_TEST

static Suite *
token_suite(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("softhsm");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, softhsm_setup, softhsm_teardown);
	tcase_add_loop_test(tc, test_keygen_attributes, 0,
			    sizeof(all_algs) / sizeof(all_algs[0]));
	tcase_add_test(tc, test_keygen_narrow);
	tcase_add_test(tc, test_keygen_fixed_id);
	tcase_add_loop_test(tc, test_csr_signed_on_token, 0,
			    sizeof(csr_algs) / sizeof(csr_algs[0]));
	tcase_add_test(tc, test_select);
	tcase_add_test(tc, test_login_wrong_pin);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_certstore_inventory);
	tcase_add_test(tc, test_rolestate_delete_order);
	tcase_add_test(tc, test_rolestate_check_free);
	tcase_add_test(tc, test_repair_large_group);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(token_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
