/* SPDX-License-Identifier: MIT */
/* check_core.c - the core in process: enroll, renew, remove and audit
 * called directly, each test on a fresh SoftHSM token, through the fault
 * module where the token is made to fail, with the test CA
 * (p11enroll-testca) behind an exec: helper. What is on the token is read
 * back object by object, not taken from what the core says it did. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "audit.h"
#include "ca.h"
#include "certstore.h"
#include "ckr.h"
#include "coretest.h"
#include "enroll.h"
#include "err.h"
#include "keygen.h"
#include "lifecycle.h"
#include "../unit/testkeys.h"
#include "token.h"
#include "util.h"

/* ---- enroll --------------------------------------------------------- */

/* What enroll leaves on the token for a role: the key type, the
 * capabilities of the private key and the certificate's one extended key
 * usage. */
static const struct role_fact {
	const char *role;
	CK_KEY_TYPE key_type;
	bool sign, decrypt, unwrap, derive;
	int eku;
} role_facts[] = {
	{ "tls-server", CKK_EC, true, false, false, false, NID_server_auth },
	{ "tls-client", CKK_EC, true, false, false, false, NID_client_auth },
	/* Signs its own request, then loses CKA_SIGN. */
	{ "user-encrypt", CKK_RSA, false, true, true, false, NID_email_protect },
};

static const struct role_fact *
core_fact(const char *role)
{
	size_t i;

	for (i = 0; i < NELEM(role_facts); i++)
		if (strcmp(role_facts[i].role, role) == 0)
			return &role_facts[i];
	ck_abort_msg("no facts for role %s", role);
	return NULL;
}

/* The private key labelled F->role: on the token, private, sensitive,
 * never extractable, with F's capabilities and no others. */
static void
core_check_private(struct token *t, CK_OBJECT_HANDLE h, const struct role_fact *f)
{
	CK_ULONG type = 0;

	ck_assert(coretest_bool(t, h, CKA_TOKEN));
	ck_assert(coretest_bool(t, h, CKA_PRIVATE));
	ck_assert(coretest_bool(t, h, CKA_SENSITIVE));
	ck_assert(!coretest_bool(t, h, CKA_EXTRACTABLE));
	ck_assert(coretest_bool(t, h, CKA_NEVER_EXTRACTABLE));
	ck_assert_int_eq(coretest_bool(t, h, CKA_SIGN), f->sign);
	ck_assert_int_eq(coretest_bool(t, h, CKA_DECRYPT), f->decrypt);
	ck_assert_int_eq(coretest_bool(t, h, CKA_UNWRAP), f->unwrap);
	ck_assert_int_eq(coretest_bool(t, h, CKA_DERIVE), f->derive);
	ck_assert_int_eq(token_get_ulong(t, h, CKA_KEY_TYPE, &type), 0);
	ck_assert_uint_eq(type, f->key_type);
}

/* The certificate labelled F->role certifies the public key beside it,
 * for F's one extended key usage, and is no CA. */
static void
core_check_cert(struct token *t, CK_OBJECT_HANDLE cert_h, CK_OBJECT_HANDLE pub_h,
		const struct role_fact *f)
{
	EXTENDED_KEY_USAGE *eku;
	EVP_PKEY *pub = NULL;
	X509 *cert = NULL;

	ck_assert_int_eq(certstore_read_cert(t, cert_h, &cert), 0);
	ck_assert_int_eq(keygen_public_key(t, pub_h, &pub), 0);
	ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(cert), pub), 1);
	ck_assert_ptr_nonnull(eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL));
	ck_assert_int_eq(sk_ASN1_OBJECT_num(eku), 1);
	ck_assert_int_eq(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)), f->eku);
	ck_assert_int_eq(X509_check_ca(cert), 0);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	EVP_PKEY_free(pub);
	X509_free(cert);
}

/* The three objects labelled ROLE are its key pair and certificate. */
static void
core_check_role(struct token *t, const char *role)
{
	const struct role_fact *f = core_fact(role);
	CK_OBJECT_HANDLE *h, priv = CK_INVALID_HANDLE, pub = CK_INVALID_HANDLE,
			 cert = CK_INVALID_HANDLE;
	CK_ULONG cls;
	size_t n = 0, i;

	h = coretest_labelled(t, role, &n);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(token_get_ulong(t, h[i], CKA_CLASS, &cls), 0);
		if (cls == CKO_PRIVATE_KEY)
			priv = h[i];
		else if (cls == CKO_PUBLIC_KEY)
			pub = h[i];
		else if (cls == CKO_CERTIFICATE)
			cert = h[i];
	}
	ck_assert(priv != CK_INVALID_HANDLE && pub != CK_INVALID_HANDLE &&
		  cert != CK_INVALID_HANDLE);
	core_check_private(t, priv, f);
	core_check_cert(t, cert, pub, f);
	free(h);
}

static const struct enroll_case {
	const char *roles[3];
} enroll_cases[] = {
	{ { "tls-server" } },
	{ { "tls-server", "user-encrypt" } },
};

/* Each role ends whole under its own label and nothing else is left; the
 * core's own audit agrees. */
START_TEST(test_enroll)
{
	const struct enroll_case *c = &enroll_cases[_i];
	struct token *t = coretest_open(NULL);
	struct inventory_entry *inv = NULL;
	struct audit_row *rows;
	char *ids[3] = { NULL }, *got, *want;
	size_t n = 0, i;

	for (n = 0; n < NELEM(c->roles) && c->roles[n] != NULL; n++)
		ids[n] = coretest_enroll(t, c->roles[n]);
	got = coretest_snapshot(t);
	want = coretest_expected(c->roles, ids, n);
	ck_assert_str_eq(got, want);
	for (i = 0; i < n; i++)
		core_check_role(t, c->roles[i]);

	/* The roles, and the CA certificate that issued them: no finding. */
	rows = coretest_audit(t, &inv, &i);
	ck_assert_uint_eq(i, n + 1);
	for (i = 0; i < n + 1; i++) {
		ck_assert_str_eq(rows[i].state, strcmp(rows[i].entry->label,
				 "p11enroll test issuing CA") == 0 ? "authority" : "enrolled");
		ck_assert_msg(rows[i].nfindings == 0, "%s: %s", rows[i].role,
			      rows[i].nfindings > 0 ? rows[i].findings[0].message : "");
	}
	audit_rows_free(rows, n + 1);
	certstore_inventory_free(inv, n + 1);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(got);
	free(want);
	coretest_close(t);
}
END_TEST

/* A fault at each step of enrolling tls-server, beside an enrolled
 * tls-client: the run fails with the step and the CKR named, and the
 * token is left as it was. */
static const struct fault_case {
	const char *rule;       /* the fault module's configuration */
	CK_RV ckr;
	const char *step;       /* what the error names */
	const char *undone;     /* what it says was removed; NULL: nothing */
} fault_cases[] = {
	{ "fail C_GenerateKeyPair 1 CKR_DEVICE_MEMORY", CKR_DEVICE_MEMORY,
	  "generate ec-p256 key", NULL },
	/* C_SignInit: a C_Sign answered without reaching SoftHSM would
	 * leave its signing operation active, which a real token ends
	 * with the failed call. */
	{ "fail C_SignInit 1 CKR_DEVICE_ERROR", CKR_DEVICE_ERROR,
	  "sign the request", "the new key was removed" },
	{ "fail C_CreateObject 1 CKR_DEVICE_MEMORY", CKR_DEVICE_MEMORY,
	  "write back", "the new key was removed" },
	/* Written, but the answer was lost: found by its pending label. */
	{ "fail-after C_CreateObject 1 CKR_DEVICE_ERROR", CKR_DEVICE_ERROR,
	  "write back", "the new key and certificate were removed" },
};

START_TEST(test_enroll_fault)
{
	static const char said[] = "enroll tls-server on token core: ";
	const struct fault_case *c = &fault_cases[_i];
	struct enroll_result r;
	struct profile *p = coretest_profile("tls-server");
	struct vars *v = coretest_vars();
	struct token *t = coretest_open(NULL);
	struct ca *ca = coretest_ca(NULL, NULL);
	char *before, *after, *id;

	free(coretest_enroll(t, "tls-client"));
	before = coretest_snapshot(t);
	coretest_close(t);

	t = coretest_open(c->rule);
	memset(&r, 0, sizeof(r));
	err_clear();
	ck_assert_int_eq(enroll_role(t, p, v, ca, NULL, &r), -1);
	ck_assert_ptr_null(r.cert);
	ck_assert_msg(err_last_ckr() == c->ckr, "%s", err_message());
	ck_assert_msg(strncmp(err_message(), said, strlen(said)) == 0, "%s",
		      err_message());
	ck_assert_msg(strstr(err_message(), c->step) != NULL, "%s", err_message());
	ck_assert_msg(strstr(err_message(), ckr_name(c->ckr)) != NULL, "%s",
		      err_message());
	if (c->undone != NULL)
		ck_assert_msg(strstr(err_message(), c->undone) != NULL, "%s",
			      err_message());
	after = coretest_snapshot(t);
	ck_assert_str_eq(after, before);
	coretest_close(t);
	free(after);

	/* As the token keeps it, and the role can then be enrolled. */
	t = coretest_open(NULL);
	after = coretest_snapshot(t);
	ck_assert_str_eq(after, before);
	id = coretest_enroll(t, "tls-server");
	core_check_role(t, "tls-server");
	coretest_close(t);

	free(id);
	free(after);
	free(before);
	ca_free(ca);
	vars_free(v);
	profile_free(p);
}
END_TEST

/* ---- renew and remove ------------------------------------------------ */

/* Renew makes the new pair beside the old one (still whole while the CA
 * is asked), then lets the old one go: deleted, or kept under
 * "retired:tls-server" with KEEP_OLD until remove takes it. */
START_TEST(test_renew)
{
	const bool keep_old = _i == 1;
	static const char *const labels[] = { "tls-server", "retired:tls-server" };
	struct lifecycle_renewal ren;
	struct rolestate_group plan = { NULL, 0, 0 };
	struct profile *p = coretest_profile("tls-server");
	struct vars *v = coretest_vars();
	struct token *t = coretest_open(NULL);
	struct ca *ca;
	char peek[300], *old, *ids[2], *got, *want, *seen, expect[400], *ca_id;
	size_t removed = 0;

	old = coretest_enroll(t, "tls-server");
	ca = coretest_peeking_ca(peek, sizeof(peek));
	memset(&ren, 0, sizeof(ren));
	ck_assert_msg(lifecycle_renew(t, p, v, ca, NULL, keep_old, &ren) == 0, "%s",
		      err_message());
	ck_assert_str_ne(ren.result.id_hex, old);

	/* While the CA was asked: the old public key and certificate, and
	 * the new public key under the pending label. */
	seen = coretest_read(peek);
	ca_id = coretest_ca_id();
	snprintf(expect, sizeof(expect), "p11enroll %s\npending:tls-server %s\n"
		 "tls-server %s\ntls-server %s\n", ca_id, ren.result.id_hex, old, old);
	free(ca_id);
	ck_assert_str_eq(seen, expect);

	ids[0] = ren.result.id_hex;
	ids[1] = old;
	got = coretest_snapshot(t);
	want = coretest_expected(labels, ids, keep_old ? 2 : 1);
	ck_assert_str_eq(got, want);
	core_check_role(t, "tls-server");
	if (keep_old) {
		ck_assert_str_eq(ren.retired_id, old);
		ck_assert_int_eq(lifecycle_remove_plan(t, "tls-server", "tls-server",
						       LIFECYCLE_RETIRED_ONLY, &plan), 0);
		ck_assert_uint_eq(plan.n, 3);
		ck_assert_int_eq(lifecycle_remove(t, "tls-server", &plan, &removed), 0);
		ck_assert_uint_eq(removed, 3);
		ck_assert_uint_eq(coretest_count_id(t, old), 0);
		ck_assert_uint_eq(coretest_count_id(t, ren.result.id_hex), 3);
		rolestate_group_clear(&plan);
	} else {
		ck_assert_ptr_null(ren.retired_id);
	}

	lifecycle_renewal_clear(&ren);
	free(got);
	free(want);
	free(seen);
	free(old);
	ca_free(ca);
	vars_free(v);
	profile_free(p);
	coretest_close(t);
}
END_TEST

/* A renewal that fails after the new key is made leaves the old role as
 * it was. */
static const struct renew_fault {
	const char *rule;       /* NULL: the CA fails instead */
	const char *helper, *args;
	const char *words;      /* in the error */
} renew_faults[] = {
	{ "fail C_CreateObject 1 CKR_DEVICE_MEMORY", NULL, NULL,
	  "CKR_DEVICE_MEMORY" },
	{ "fail-after C_CreateObject 1 CKR_DEVICE_ERROR", NULL, NULL,
	  "CKR_DEVICE_ERROR" },
	{ NULL, "ca-exit.sh", "2 request denied by policy",
	  "the CA rejected the request: request denied by policy" },
};

START_TEST(test_renew_fault)
{
	const struct renew_fault *c = &renew_faults[_i];
	struct lifecycle_renewal ren;
	struct profile *p = coretest_profile("tls-server");
	struct vars *v = coretest_vars();
	struct token *t = coretest_open(NULL);
	struct ca *ca;
	char *old, *before, *after;

	old = coretest_enroll(t, "tls-server");
	before = coretest_snapshot(t);
	if (c->rule != NULL) {
		coretest_close(t);
		t = coretest_open(c->rule);
	}
	ca = coretest_ca(c->helper, c->args);
	memset(&ren, 0, sizeof(ren));
	err_clear();
	ck_assert_int_eq(lifecycle_renew(t, p, v, ca, NULL, false, &ren), -1);
	ck_assert_msg(strstr(err_message(), c->words) != NULL, "%s", err_message());
	ck_assert_msg(strstr(err_message(), "the new key") != NULL, "%s", err_message());
	ck_assert_msg(strstr(err_message(), "the old key and certificate are as "
			     "they were") != NULL, "%s", err_message());
	after = coretest_snapshot(t);
	ck_assert_str_eq(after, before);
	core_check_role(t, "tls-server");

	free(after);
	free(before);
	free(old);
	ca_free(ca);
	vars_free(v);
	profile_free(p);
	coretest_close(t);
}
END_TEST

/* Remove deletes the role's key pair and certificate, and nothing of
 * another role. */
START_TEST(test_remove)
{
	static const char *const left[] = { "tls-client" };
	struct rolestate_group plan = { NULL, 0, 0 };
	struct token *t = coretest_open(NULL);
	char *server, *client, *got, *want;
	size_t i, removed = 0;

	server = coretest_enroll(t, "tls-server");
	client = coretest_enroll(t, "tls-client");
	ck_assert_int_eq(lifecycle_remove_plan(t, "tls-server", "tls-server",
					       LIFECYCLE_ROLE, &plan), 0);
	ck_assert_uint_eq(plan.n, 3);
	for (i = 0; i < plan.n; i++) {
		ck_assert_str_eq(plan.objs[i].label, "tls-server");
		ck_assert_str_eq(plan.objs[i].id_hex, server);
	}
	ck_assert_int_eq(lifecycle_remove(t, "tls-server", &plan, &removed), 0);
	ck_assert_uint_eq(removed, 3);
	rolestate_group_clear(&plan);

	got = coretest_snapshot(t);
	want = coretest_expected(left, &client, 1);
	ck_assert_str_eq(got, want);
	err_clear();
	ck_assert_int_eq(lifecycle_remove_plan(t, "tls-server", "tls-server",
					       LIFECYCLE_ROLE, &plan), -1);
	ck_assert_ptr_nonnull(strstr(err_message(), "role tls-server is not on token core"));

	free(got);
	free(want);
	free(server);
	free(client);
	coretest_close(t);
}
END_TEST

/* ---- audit ---------------------------------------------------------- */

/* The row of ROLE in ROWS (N), which must be there. */
static const struct audit_row *
core_row(const struct audit_row *rows, size_t n, const char *role)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rows[i].role, role) == 0)
			return &rows[i];
	ck_abort_msg("no row for role %s", role);
	return NULL;
}

/* The finding ID of ROW, which must be there. */
static const struct audit_finding *
core_finding(const struct audit_row *row, const char *id)
{
	size_t i;

	for (i = 0; i < row->nfindings; i++)
		if (strcmp(row->findings[i].id, id) == 0)
			return &row->findings[i];
	ck_abort_msg("role %s has no finding %s", row->role, id);
	return NULL;
}

/* An enroll whose clean-up fails as well leaves its key pending; audit
 * finds the group, and the repair plan removes it. */
START_TEST(test_audit_pending)
{
	struct inventory_entry *inv = NULL;
	struct audit_repair *plan = NULL;
	struct audit_row *rows;
	const struct audit_row *row;
	struct enroll_result r;
	struct profile *p = coretest_profile("tls-server");
	struct vars *v = coretest_vars();
	struct ca *ca = coretest_ca(NULL, NULL);
	struct token *t = coretest_open("fail C_CreateObject 1 CKR_DEVICE_MEMORY\n"
				    "fail C_DestroyObject * CKR_DEVICE_ERROR");
	char *got;
	size_t n = 0, count = 0;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(enroll_role(t, p, v, ca, NULL, &r), -1);
	ck_assert_msg(strstr(err_message(), "status --repair") != NULL, "%s",
		      err_message());
	coretest_close(t);

	t = coretest_open(NULL);
	rows = coretest_audit(t, &inv, &n);
	ck_assert_uint_eq(n, 1);
	row = core_row(rows, n, "tls-server");
	ck_assert_str_eq(row->state, "pending");
	ck_assert_int_eq(core_finding(row, "key-pending")->severity, POLICY_WARNING);
	{
		const struct profile *known[] = { p };
		struct audit_repair_policy policy = { known, 1, NULL, time(NULL) };

		ck_assert_int_eq(audit_repair_plan(inv, n, NULL, &policy, &plan,
						   &count), 0);
	}
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(plan[0].action, AUDIT_REPAIR_REMOVE);
	ck_assert_str_eq(plan[0].role, "tls-server");
	ck_assert_msg(audit_repair_apply(t, inv, NULL, plan, count) == 0, "%s", err_message());
	got = coretest_snapshot(t);
	ck_assert_str_eq(got, "");

	free(got);
	audit_repair_free(plan, count);
	audit_rows_free(rows, n);
	certstore_inventory_free(inv, n);
	ca_free(ca);
	vars_free(v);
	profile_free(p);
	coretest_close(t);
}
END_TEST

/* A key pair and a certificate written beside it that does not match
 * it, and what audit says of them. */
static const struct mismatch_case {
	enum key_alg alg;
	unsigned caps;
	const char *key_usage, *eku;
	const char *finding, *words;
} mismatch_cases[] = {
	/* The key may decrypt; its certificate allows signatures only. */
	{ KEY_RSA_2048, KEY_CAP_SIGN | KEY_CAP_DECRYPT, "critical,digitalSignature",
	  "clientAuth", "key-exceeds-usage", "CKA_DECRYPT" },
	/* One key, a server and a client identity. */
	{ KEY_EC_P256, KEY_CAP_SIGN, "critical,digitalSignature",
	  "serverAuth,clientAuth", "cert-mixed-tls", "serverAuth and clientAuth" },
};

START_TEST(test_audit_mismatch)
{
	const struct mismatch_case *c = &mismatch_cases[_i];
	struct testkeys_cert what = { "/CN=mixed", "critical,CA:FALSE",
				      c->key_usage, c->eku, NULL, 0, 0 };
	struct inventory_entry *inv = NULL;
	struct audit_row *rows;
	const struct audit_finding *f;
	struct token *t = coretest_open(NULL);
	EVP_PKEY *pub = NULL, *ca_key = testkeys_load(TESTKEYS_EC_P256, 1);
	X509 *root, *cert;
	CK_OBJECT_HANDLE h;
	struct keygen_spec ks = { .alg = c->alg, .caps = c->caps, .label = "mixed" };
	struct keypair kp;
	size_t n = 0;

	ck_assert_int_eq(keygen_generate(t, &ks, &kp, NULL), 0);
	ck_assert_int_eq(keygen_public_key(t, kp.pub, &pub), 0);
	what.not_before = time(NULL) - 60;
	what.not_after = time(NULL) + 86400 * 90;
	root = testkeys_root(ca_key, "Audit Root", time(NULL));
	cert = testkeys_issue(pub, &what, root, ca_key);
	ck_assert_int_eq(certstore_write(t, cert, kp.id, kp.id_len, "mixed", &h), 0);

	rows = coretest_audit(t, &inv, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rows[0].state, "enrolled");
	f = core_finding(&rows[0], c->finding);
	ck_assert_int_eq(f->severity, POLICY_ERROR);
	ck_assert_msg(strstr(f->message, c->words) != NULL, "%s", f->message);

	audit_rows_free(rows, n);
	certstore_inventory_free(inv, n);
	X509_free(cert);
	X509_free(root);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(ca_key);
	coretest_close(t);
}
END_TEST

static Suite *
core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("softhsm");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, coretest_setup, coretest_teardown);
	tcase_add_loop_test(tc, test_enroll, 0, NELEM(enroll_cases));
	tcase_add_loop_test(tc, test_enroll_fault, 0, NELEM(fault_cases));
	tcase_add_loop_test(tc, test_renew, 0, 2);
	tcase_add_loop_test(tc, test_renew_fault, 0, NELEM(renew_faults));
	tcase_add_test(tc, test_remove);
	tcase_add_test(tc, test_audit_pending);
	tcase_add_loop_test(tc, test_audit_mismatch, 0, NELEM(mismatch_cases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(core_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
