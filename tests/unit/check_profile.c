/* SPDX-License-Identifier: MIT */
/* check_profile.c - role profiles: loading, errors, templates, variables. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "util.h"
#include "keyusage.h"
#include "profile.h"
#include "profile-load.h"
#include "testfiles.h"


static struct profile *
load_text(const char *name, const char *text)
{
	struct profile *p = NULL;
	char path[PATH_MAX];

	write_file(NULL, name, text, path, sizeof(path));
	err_clear();
	/* Parsing and templates only: the policy has check_policy. */
	if (profile_parse_file(path, &p) < 0)
		ck_abort_msg("loading %s failed: %s", name, err_message());
	return p;
}

static const char *
profiles_dir(char *buf, size_t size)
{
	const char *top = getenv("top_srcdir");

	snprintf(buf, size, "%s/profiles", top != NULL ? top : ".");
	return buf;
}

static struct vars *
vars_of(const char *const *assignments)
{
	struct vars *v = vars_new();

	ck_assert_ptr_nonnull(v);
	for (; *assignments != NULL; assignments++)
		ck_assert_int_eq(vars_set(v, *assignments), 0);
	return v;
}

/* The UTF-8 text of the subject's only entry of type NID. */
static void
assert_name_entry(X509_NAME *name, int index, int nid, const char *want)
{
	X509_NAME_ENTRY *e = X509_NAME_get_entry(name, index);
	ASN1_STRING *data;

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)), nid);
	data = X509_NAME_ENTRY_get_data(e);
	ck_assert_int_eq(ASN1_STRING_length(data), (int)strlen(want));
	ck_assert_mem_eq(ASN1_STRING_get0_data(data), want, strlen(want));
}

static void
assert_ia5_san(GENERAL_NAMES *san, int index, int type, const char *want)
{
	GENERAL_NAME *gen = sk_GENERAL_NAME_value(san, index);
	ASN1_IA5STRING *ia5;
	int got_type;

	ck_assert_ptr_nonnull(gen);
	ia5 = GENERAL_NAME_get0_value(gen, &got_type);
	ck_assert_int_eq(got_type, type);
	ck_assert_int_eq(ASN1_STRING_length(ia5), (int)strlen(want));
	ck_assert_mem_eq(ASN1_STRING_get0_data(ia5), want, strlen(want));
}

/* ---- the shipped profiles ---- */

static const struct shipped_case {
	const char *role;
	const char *vars[3];
	const char *cn;
	const char *dns;        /* the one dns SAN, or NULL for none */
	int eku_nid;
	int lifetime;
} shipped_cases[] = {
	{ "tls-server", { "dns=www.example.org", "unused=ignored", NULL },
	  "www.example.org", "www.example.org", NID_server_auth, 398 },
	{ "tls-client", { "cn=backup-agent-07", "dns=unused.example", NULL },
	  "backup-agent-07", NULL, NID_client_auth, 825 },
};

START_TEST(test_shipped)
{
	const struct shipped_case *c = &shipped_cases[_i];
	struct csr_spec spec;
	struct profile *p = NULL;
	struct vars *v = vars_of(c->vars);
	char dir[PATH_MAX];
	size_t id_len = 99;

	err_clear();
	if (profile_load(profiles_dir(dir, sizeof(dir)), c->role, &p) < 0)
		ck_abort_msg("%s: %s", c->role, err_message());
	ck_assert_str_eq(profile_role(p), c->role);
	ck_assert_str_eq(profile_label(p), c->role);
	ck_assert_str_eq(profile_ca_profile(p), c->role);
	ck_assert_uint_eq(profile_added_eku_count(p), 0);
	ck_assert_int_eq(profile_key_alg(p), KEY_EC_P256);
	ck_assert_ptr_null(profile_key_id(p, &id_len));
	ck_assert_uint_eq(id_len, 0);
	ck_assert_uint_eq(profile_key_usage(p), KU_DIGITAL_SIGNATURE);
	ck_assert_uint_eq(profile_key_caps(p), KEY_CAP_SIGN);
	ck_assert_int_eq(profile_max_lifetime_days(p), c->lifetime);
	ck_assert(!profile_allow_subject_change(p));
	ck_assert(!profile_allow_mixed_roles(p));
	ck_assert_ptr_null(profile_justification(p));

	if (profile_spec(p, v, &spec) < 0)
		ck_abort_msg("%s: %s", c->role, err_message());
	ck_assert_int_eq(X509_NAME_entry_count(spec.subject), 1);
	assert_name_entry(spec.subject, 0, NID_commonName, c->cn);
	if (c->dns == NULL) {
		ck_assert_ptr_null(spec.san);
	} else {
		ck_assert_int_eq(sk_GENERAL_NAME_num(spec.san), 1);
		assert_ia5_san(spec.san, 0, GEN_DNS, c->dns);
	}
	ck_assert_uint_eq(spec.key_usage, KU_DIGITAL_SIGNATURE);
	ck_assert_int_eq(sk_ASN1_OBJECT_num(spec.eku), 1);
	ck_assert_int_eq(OBJ_obj2nid(sk_ASN1_OBJECT_value(spec.eku, 0)),
			 c->eku_nid);
	csr_spec_clear(&spec);
	profile_free(p);
	vars_free(v);
}
END_TEST

/* ---- profiles that must not load ---- */

#define GOOD_KEY "[key]\nalgorithm = ec-p256\n"
#define GOOD_REQUEST "[request]\nsubject = CN=${cn}\n"
#define GOOD_CERT "[certificate]\nextended_key_usage = clientAuth\n" \
	"max_lifetime_days = 30\n"

static const struct bad_case {
	const char *text;
	int line;               /* 0: a whole-file message */
	const char *key;
	const char *message;    /* the message after "FILE:LINE: KEY: " */
} bad_cases[] = {
	{ GOOD_KEY GOOD_REQUEST GOOD_CERT "[extras]\nfoo = bar\n", 9, "foo",
	  "unknown section [extras]" },
	{ GOOD_KEY "colour = blue\n" GOOD_REQUEST GOOD_CERT, 3, "colour",
	  "unknown key in [key]" },
	{ "[key]\nalgorithm = ec-p521\n" GOOD_REQUEST GOOD_CERT, 2,
	  "algorithm", "unknown key algorithm 'ec-p521'" },
	{ GOOD_KEY GOOD_REQUEST GOOD_CERT
	  "key_usage = digitalSignature, keyEncypherment\n", 8, "key_usage",
	  "unknown key usage 'keyEncypherment'" },
	{ GOOD_KEY GOOD_REQUEST "[certificate]\n"
	  "extended_key_usage = clientAuth, webServer\n"
	  "max_lifetime_days = 30\n", 6, "extended_key_usage",
	  "unknown extended key usage 'webServer'" },
	/* A name OpenSSL knows, but of a subject attribute. */
	{ GOOD_KEY GOOD_REQUEST "[certificate]\n"
	  "extended_key_usage = clientAuth, CN\n"
	  "max_lifetime_days = 30\n", 6, "extended_key_usage",
	  "'CN' is not an extended key usage" },
	{ GOOD_KEY "[request]\nsubject = CN=${cn\n" GOOD_CERT, 4, "subject",
	  "CN: unterminated ${" },
	{ GOOD_KEY "[request]\nsubject = CN=${1cn}\n" GOOD_CERT, 4, "subject",
	  "CN: bad variable name '1cn'" },
	{ GOOD_KEY "[request]\nsubject = CN=x, XX=y\n" GOOD_CERT, 4, "subject",
	  "unknown subject attribute 'XX'" },
	{ GOOD_KEY "id = 0g\n" GOOD_REQUEST GOOD_CERT, 3, "id",
	  "'0g' is not hex" },
	{ GOOD_KEY "id = abc\n" GOOD_REQUEST GOOD_CERT, 3, "id",
	  "'abc' is not an even number of hex digits" },
	{ GOOD_KEY GOOD_REQUEST "[certificate]\n"
	  "extended_key_usage = clientAuth\nmax_lifetime_days = 1y\n", 7,
	  "max_lifetime_days", "'1y' is not a positive number of days" },
	{ GOOD_KEY GOOD_REQUEST "[certificate]\n"
	  "extended_key_usage = clientAuth\nmax_lifetime_days = 0\n", 7,
	  "max_lifetime_days", "'0' is not a positive number of days" },
	{ GOOD_REQUEST GOOD_CERT, 0, NULL, "[key] algorithm is required" },
	{ GOOD_KEY GOOD_REQUEST "dns = $host\n" GOOD_CERT, 5, "dns",
	  "'$' must start ${name} or be doubled" },
	{ GOOD_KEY GOOD_REQUEST "subject = CN=again\n" GOOD_CERT, 5, "subject",
	  "given more than once" },
	{ GOOD_KEY "[request]\nsubject = CN=a+OU=b\n" GOOD_CERT, 4, "subject",
	  "CN: multi-valued RDNs are not supported" },
	{ GOOD_KEY "[request]\nsubject = CN=a\\q\n" GOOD_CERT, 4, "subject",
	  "CN: bad escape" },
	{ GOOD_KEY "[request]\nsubject = CN=a\\00b\n" GOOD_CERT, 4, "subject",
	  "CN: bad escape" },
	{ GOOD_KEY "[request]\nsubject = CN=a, just text\n" GOOD_CERT, 4,
	  "subject", "'just text' is not TYPE=VALUE" },
	{ GOOD_KEY "label = 0123456789abcdef0123456789abcdef!\n" GOOD_REQUEST
	  GOOD_CERT, 3, "label", "longer than 32 bytes" },
	{ GOOD_KEY GOOD_REQUEST GOOD_CERT "allow_subject_change = maybe\n", 8,
	  "allow_subject_change", "'maybe' is not yes or no" },
	{ GOOD_KEY GOOD_REQUEST GOOD_CERT "justification =\n", 8,
	  "justification", "no value" },
	{ GOOD_KEY GOOD_REQUEST GOOD_CERT "accept_added_eku = clientAuth, "
	  "CN\n", 8, "accept_added_eku", "'CN' is not an extended key usage" },
	{ GOOD_KEY GOOD_REQUEST GOOD_CERT "[ca]\nprofile = tls server\n", 9,
	  "profile", "a CA profile name is printable ASCII without spaces" },
	{ GOOD_KEY GOOD_REQUEST GOOD_CERT "[ca]\nname = x\n", 9, "name",
	  "unknown key in [ca]" },
	{ "algorithm = ec-p256\n" GOOD_KEY GOOD_REQUEST GOOD_CERT, 1,
	  "algorithm", "not in a section" },
	{ GOOD_KEY GOOD_REQUEST GOOD_CERT "key_usage = digitalSignature,,"
	  "keyAgreement\n", 8, "key_usage", "empty name in" },
	{ GOOD_KEY GOOD_REQUEST GOOD_CERT
	  "key_usage = digitalSignature, digitalSignature\n", 8, "key_usage",
	  "'digitalSignature' is listed twice" },
	/* inih would join an indented line to the key above. */
	{ GOOD_KEY GOOD_REQUEST "dns = a.example\n  dns = b.example\n"
	  GOOD_CERT, 6, "dns", "indented line would continue the value" },
	{ GOOD_KEY "[request]\nsubject = CN=x\n\t# a comment\n  O=y\n"
	  GOOD_CERT, 6, "subject", "indented line would continue the value" },
	/* The first error wins, here one that inih finds itself. */
	{ GOOD_KEY "[request\n" "subject = CN=${\n" GOOD_CERT, 3, NULL,
	  "syntax error" },
	{ GOOD_KEY GOOD_REQUEST "dns = ${bad-name}\n" "[broken\n" GOOD_CERT, 5,
	  "dns", "bad variable name 'bad-name'" },
};

START_TEST(test_bad_profile)
{
	const struct bad_case *c = &bad_cases[_i];
	struct profile *p = NULL;
	char path[PATH_MAX], want[PATH_MAX + 512];
	char name[32];

	snprintf(name, sizeof(name), "bad%d.profile", _i);
	write_file(NULL, name, c->text, path, sizeof(path));
	err_clear();
	ck_assert_int_eq(profile_load_file(path, &p), -1);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	if (c->line == 0)
		snprintf(want, sizeof(want), "%s: %s", path, c->message);
	else if (c->key == NULL)
		snprintf(want, sizeof(want), "%s:%d: %s", path, c->line,
			 c->message);
	else
		snprintf(want, sizeof(want), "%s:%d: %s: %s", path, c->line,
			 c->key, c->message);
	if (strncmp(err_message(), want, strlen(want)) != 0)
		ck_abort_msg("case %d: got \"%s\", want \"%s...\"", _i,
			     err_message(), want);
	if (c->line == 0)
		ck_assert_str_eq(err_message(), want);
}
END_TEST

START_TEST(test_long_line)
{
	struct profile *p = NULL;
	char text[1024], path[PATH_MAX], want[PATH_MAX + 64];

	snprintf(text, sizeof(text), GOOD_KEY GOOD_REQUEST
		 "dns = %0500d\n" GOOD_CERT, 7);
	write_file(NULL, "long.profile", text, path, sizeof(path));
	err_clear();
	ck_assert_int_eq(profile_load_file(path, &p), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	snprintf(want, sizeof(want), "%s:5: line longer than", path);
	ck_assert_int_eq(strncmp(err_message(), want, strlen(want)), 0);
}
END_TEST

/* ---- what a profile says ---- */

START_TEST(test_all_keys)
{
	struct profile *p;
	const unsigned char *id;
	size_t len;

	p = load_text("full.profile",
		"# every key once\n"
		"[key]\n  algorithm = rsa-3072\nlabel = card auth\n"
		"id = 0102A0ff\n"
		"[request]\nsubject = CN=${cn}\n"
		"[certificate]\n"
		"key_usage = keyEncipherment , dataEncipherment,keyAgreement\n"
		"extended_key_usage = 1.3.6.1.5.5.7.3.4, msSmartcardLogin\n"
		"max_lifetime_days = 365\nallow_subject_change = YES\n"
		"allow_mixed_roles = true\njustification = one slot only\n"
		"accept_added_eku = clientAuth\n"
		"[ca]\nprofile = smartcard-logon\n");
	ck_assert_str_eq(profile_role(p), "full");
	ck_assert_str_eq(profile_label(p), "card auth");
	ck_assert_str_eq(profile_ca_profile(p), "smartcard-logon");
	ck_assert_uint_eq(profile_added_eku_count(p), 1);
	ck_assert_int_eq(OBJ_obj2nid(profile_added_eku(p, 0)), NID_client_auth);
	ck_assert_int_eq(profile_key_alg(p), KEY_RSA_3072);
	id = profile_key_id(p, &len);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(id, "\x01\x02\xa0\xff", 4);
	ck_assert_uint_eq(profile_key_usage(p), KU_KEY_ENCIPHERMENT |
			  KU_DATA_ENCIPHERMENT | KU_KEY_AGREEMENT);
	ck_assert_uint_eq(profile_key_caps(p), KEY_CAP_DECRYPT |
			  KEY_CAP_UNWRAP | KEY_CAP_DERIVE);
	ck_assert_int_eq(profile_max_lifetime_days(p), 365);
	ck_assert(profile_allow_subject_change(p));
	ck_assert(profile_allow_mixed_roles(p));
	ck_assert_str_eq(profile_justification(p), "one slot only");
	profile_free(p);
}
END_TEST

static const struct caps_case {
	const char *key_usage;
	unsigned bits;
	unsigned caps;
} caps_cases[] = {
	{ "digitalSignature", KU_DIGITAL_SIGNATURE, KEY_CAP_SIGN },
	{ "contentCommitment", KU_NON_REPUDIATION, KEY_CAP_SIGN },
	{ "nonRepudiation", KU_NON_REPUDIATION, KEY_CAP_SIGN },
	{ "keyCertSign, cRLSign", KU_KEY_CERT_SIGN | KU_CRL_SIGN, KEY_CAP_SIGN },
	{ "keyEncipherment", KU_KEY_ENCIPHERMENT, KEY_CAP_DECRYPT | KEY_CAP_UNWRAP },
	{ "dataEncipherment", KU_DATA_ENCIPHERMENT, KEY_CAP_DECRYPT },
	{ "keyAgreement", KU_KEY_AGREEMENT, KEY_CAP_DERIVE },
	{ "keyAgreement, encipherOnly", KU_KEY_AGREEMENT | KU_ENCIPHER_ONLY,
	  KEY_CAP_DERIVE },
	{ "keyAgreement, decipherOnly", KU_KEY_AGREEMENT | KU_DECIPHER_ONLY,
	  KEY_CAP_DERIVE },
};

START_TEST(test_key_caps)
{
	const struct caps_case *c = &caps_cases[_i];
	struct profile *p;
	char text[512];

	snprintf(text, sizeof(text), GOOD_KEY GOOD_REQUEST GOOD_CERT
		 "key_usage = %s\n", c->key_usage);
	p = load_text("caps.profile", text);
	ck_assert_uint_eq(profile_key_usage(p), c->bits);
	ck_assert_uint_eq(profile_key_caps(p), c->caps);
	profile_free(p);
}
END_TEST

/* The one keyUsage table: each flag's name, its bit in the extension
 * (RFC 5280 4.2.1.3) and the order in which listings name them. */
static const struct {
	unsigned flag;
	const char *name;
	int bit;
} keyusage_cases[] = {
	{ KU_DIGITAL_SIGNATURE, "digitalSignature", 0 },
	{ KU_NON_REPUDIATION, "nonRepudiation", 1 },
	{ KU_KEY_ENCIPHERMENT, "keyEncipherment", 2 },
	{ KU_DATA_ENCIPHERMENT, "dataEncipherment", 3 },
	{ KU_KEY_AGREEMENT, "keyAgreement", 4 },
	{ KU_KEY_CERT_SIGN, "keyCertSign", 5 },
	{ KU_CRL_SIGN, "cRLSign", 6 },
	{ KU_ENCIPHER_ONLY, "encipherOnly", 7 },
	{ KU_DECIPHER_ONLY, "decipherOnly", 8 },
};

START_TEST(test_keyusage_table)
{
	const char *names[KEYUSAGE_COUNT];
	unsigned all = 0;
	size_t i;

	ck_assert_uint_eq(NELEM(keyusage_cases), KEYUSAGE_COUNT);
	for (i = 0; i < NELEM(keyusage_cases); i++) {
		ck_assert_str_eq(keyusage_name(keyusage_cases[i].flag),
				 keyusage_cases[i].name);
		ck_assert_uint_eq(keyusage_from_name(keyusage_cases[i].name),
				  keyusage_cases[i].flag);
		ck_assert_int_eq(keyusage_bit(keyusage_cases[i].flag),
				 keyusage_cases[i].bit);
		all |= keyusage_cases[i].flag;
	}
	ck_assert_uint_eq(keyusage_names(all | 0x10000, names), KEYUSAGE_COUNT);
	for (i = 0; i < NELEM(keyusage_cases); i++)
		ck_assert_str_eq(names[i], keyusage_cases[i].name);
	ck_assert_uint_eq(keyusage_from_name("contentCommitment"),
			  KU_NON_REPUDIATION);
	ck_assert_uint_eq(keyusage_from_name("digitalsignature"), 0);
	ck_assert_ptr_null(keyusage_name(0x10000));
	ck_assert_int_eq(keyusage_bit(0x10000), -1);
}
END_TEST

START_TEST(test_role_too_long_for_label)
{
	struct profile *p = NULL;
	char path[PATH_MAX];

	write_file(NULL, "a-role-name-longer-than-32-bytes-x.profile",
		   GOOD_KEY GOOD_REQUEST GOOD_CERT, path, sizeof(path));
	err_clear();
	ck_assert_int_eq(profile_load_file(path, &p), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err_message(), "set [key] label"));
}
END_TEST

/* ---- templates ---- */

/* Load TEXT and fill it with VARS; returns profile_spec's result. */
static int
spec_of(const char *text, const char *const *assignments,
	struct csr_spec *spec)
{
	struct profile *p = load_text("tpl.profile", text);
	struct vars *v = vars_of(assignments);
	int rc;

	err_clear();
	rc = profile_spec(p, v, spec);
	vars_free(v);
	profile_free(p);
	return rc;
}

static const struct var_error_case {
	const char *vars[3];
	const char *message;
} var_error_cases[] = {
	{ { NULL }, "role tpl needs variable cn (set it with --set cn=VALUE)" },
	{ { "CN=wrong-case", NULL },
	  "role tpl needs variable cn (set it with --set cn=VALUE)" },
	{ { "cn=", NULL }, "role tpl: variable cn is empty" },
	{ { "cn=x", NULL },
	  "role tpl needs variable host (set it with --set host=VALUE)" },
	{ { "cn=x", "host=", NULL }, "role tpl: variable host is empty" },
};

START_TEST(test_variable_errors)
{
	const struct var_error_case *c = &var_error_cases[_i];
	struct csr_spec spec;

	ck_assert_int_eq(spec_of(GOOD_KEY GOOD_REQUEST "dns = ${host}\n"
				 GOOD_CERT, c->vars, &spec), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_str_eq(err_message(), c->message);
	ck_assert_ptr_null(spec.subject);
	ck_assert_ptr_null(spec.san);
	ck_assert_ptr_null(spec.eku);
}
END_TEST

/* A value with the characters that separate attributes stays data. */
static const char *const injection_values[] = {
	"x, O=Evil",
	"x\\, O=Evil",
	"x+OU=Evil",
	"${other}, $$",
	"CN=a,CN=b,CN=c",
};

START_TEST(test_subject_injection)
{
	const char *assign[] = { NULL, "other=boom", NULL };
	char cn[64];
	struct csr_spec spec;

	snprintf(cn, sizeof(cn), "cn=%s", injection_values[_i]);
	assign[0] = cn;
	ck_assert_int_eq(spec_of(GOOD_KEY GOOD_REQUEST GOOD_CERT, assign,
				 &spec), 0);
	ck_assert_int_eq(X509_NAME_entry_count(spec.subject), 1);
	assert_name_entry(spec.subject, 0, NID_commonName, injection_values[_i]);
	csr_spec_clear(&spec);
}
END_TEST

START_TEST(test_subject_escapes_and_order)
{
	const char *assign[] = { "cn=alice", NULL };
	struct csr_spec spec;

	ck_assert_int_eq(spec_of(GOOD_KEY "[request]\nsubject = "
		"CN=${cn}\\, Jr. \\+ co\\=\\\\,  O = Cost $$5 , "
		"OU=sp\\20\\ ,C=DE\n" GOOD_CERT, assign, &spec), 0);
	ck_assert_int_eq(X509_NAME_entry_count(spec.subject), 4);
	/* RFC 4514 writes the most specific attribute first. */
	assert_name_entry(spec.subject, 0, NID_countryName, "DE");
	assert_name_entry(spec.subject, 1, NID_organizationalUnitName, "sp  ");
	assert_name_entry(spec.subject, 2, NID_organizationName, "Cost $5");
	assert_name_entry(spec.subject, 3, NID_commonName, "alice, Jr. + co=\\");
	csr_spec_clear(&spec);
}
END_TEST

START_TEST(test_subject_bad_value)
{
	const char *assign[] = { "c=USA", NULL };
	struct csr_spec spec;

	ck_assert_int_eq(spec_of(GOOD_KEY "[request]\nsubject = CN=x, C=${c}\n"
				 GOOD_CERT, assign, &spec), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err_message(), "role tpl: subject C 'USA'"));
	ck_assert_ptr_null(spec.subject);
}
END_TEST

static const struct ip_case {
	const char *addr;
	int len;                /* -1: refused */
	const char *bytes;
} ip_cases[] = {
	{ "192.0.2.10", 4, "\xc0\x00\x02\x0a" },
	{ "2001:db8::1", 16, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01" },
	{ "192.0.2.300", -1, NULL },
	{ "www.example.org", -1, NULL },
	{ "192.0.2.1, 10.0.0.1", -1, NULL },
};

START_TEST(test_ip_san)
{
	const struct ip_case *c = &ip_cases[_i];
	const char *assign[] = { "cn=x", NULL, NULL };
	char addr[64];
	struct csr_spec spec;
	ASN1_OCTET_STRING *ip;
	int type;

	snprintf(addr, sizeof(addr), "addr=%s", c->addr);
	assign[1] = addr;
	if (c->len < 0) {
		ck_assert_int_eq(spec_of(GOOD_KEY GOOD_REQUEST "ip = ${addr}\n"
					 GOOD_CERT, assign, &spec), -1);
		ck_assert_int_eq(err_kind(), ERR_USAGE);
		ck_assert_ptr_nonnull(strstr(err_message(), "ip SAN"));
		ck_assert_ptr_nonnull(strstr(err_message(), c->addr));
		return;
	}
	ck_assert_int_eq(spec_of(GOOD_KEY GOOD_REQUEST "ip = ${addr}\n"
				 GOOD_CERT, assign, &spec), 0);
	ck_assert_int_eq(sk_GENERAL_NAME_num(spec.san), 1);
	ip = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(spec.san, 0), &type);
	ck_assert_int_eq(type, GEN_IPADD);
	ck_assert_int_eq(ASN1_STRING_length(ip), c->len);
	ck_assert_mem_eq(ASN1_STRING_get0_data(ip), c->bytes, (size_t)c->len);
	csr_spec_clear(&spec);
}
END_TEST

START_TEST(test_san_kinds)
{
	const char *assign[] = { "cn=Alice Example", "user=alice",
				 NULL };
	struct csr_spec spec;
	GENERAL_NAME *gen;
	ASN1_OBJECT *oid;
	ASN1_TYPE *value;
	char oidtext[64];

	ck_assert_int_eq(spec_of(GOOD_KEY GOOD_REQUEST
		"upn = ${user}@corp.example\n"
		"email = ${user}@example.org\n"
		"uri = https://id.example/${user}?x=$$1\n"
		"dns = ${user}.example.org\n"
		"dns = www.${user}.example.org\n"
		GOOD_CERT, assign, &spec), 0);
	ck_assert_int_eq(sk_GENERAL_NAME_num(spec.san), 5);

	gen = sk_GENERAL_NAME_value(spec.san, 0);
	ck_assert_int_eq(GENERAL_NAME_get0_otherName(gen, &oid, &value), 1);
	OBJ_obj2txt(oidtext, sizeof(oidtext), oid, 1);
	ck_assert_str_eq(oidtext, "1.3.6.1.4.1.311.20.2.3");
	ck_assert_int_eq(ASN1_TYPE_get(value), V_ASN1_UTF8STRING);
	ck_assert_int_eq(ASN1_STRING_length(value->value.utf8string), 18);
	ck_assert_mem_eq(ASN1_STRING_get0_data(value->value.utf8string),
			 "alice@corp.example", 18);

	assert_ia5_san(spec.san, 1, GEN_EMAIL, "alice@example.org");
	assert_ia5_san(spec.san, 2, GEN_URI, "https://id.example/alice?x=$1");
	assert_ia5_san(spec.san, 3, GEN_DNS, "alice.example.org");
	assert_ia5_san(spec.san, 4, GEN_DNS, "www.alice.example.org");
	csr_spec_clear(&spec);
}
END_TEST

START_TEST(test_ia5_san_refused)
{
	const char *assign[] = { "cn=x", "host=two words", NULL };
	struct csr_spec spec;

	ck_assert_int_eq(spec_of(GOOD_KEY GOOD_REQUEST "dns = ${host}\n"
				 GOOD_CERT, assign, &spec), -1);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_str_eq(err_message(), "role tpl: dns SAN 'two words' may "
			 "hold only printable ASCII without spaces");
}
END_TEST

START_TEST(test_eku_spec_is_a_copy)
{
	struct profile *p = load_text("eku.profile", GOOD_KEY GOOD_REQUEST
		"[certificate]\nmax_lifetime_days = 1\n"
		"extended_key_usage = serverAuth, 1.3.6.1.5.5.7.3.2\n");
	const char *assign[] = { "cn=x", NULL };
	struct vars *v = vars_of(assign);
	struct csr_spec a, b;

	ck_assert_int_eq(profile_spec(p, v, &a), 0);
	ck_assert_int_eq(profile_spec(p, v, &b), 0);
	ck_assert_ptr_ne(a.eku, b.eku);
	ck_assert_int_eq(sk_ASN1_OBJECT_num(a.eku), 2);
	ck_assert_int_eq(OBJ_obj2nid(sk_ASN1_OBJECT_value(a.eku, 0)),
			 NID_server_auth);
	ck_assert_int_eq(OBJ_obj2nid(sk_ASN1_OBJECT_value(a.eku, 1)),
			 NID_client_auth);
	csr_spec_clear(&a);
	/* The profile still works once a caller freed its spec. */
	ck_assert_int_eq(sk_ASN1_OBJECT_num(b.eku), 2);
	csr_spec_clear(&b);
	ck_assert_int_eq(profile_spec(p, v, &a), 0);
	csr_spec_clear(&a);
	vars_free(v);
	profile_free(p);
}
END_TEST

/* ---- roles ---- */

START_TEST(test_unknown_role)
{
	struct profile *p = NULL;
	char path[PATH_MAX], dir[PATH_MAX], want[PATH_MAX + 128];

	write_file("roles", "zeta.profile", GOOD_KEY GOOD_REQUEST GOOD_CERT,
		   path, sizeof(path));
	write_file("roles", "alpha.profile", GOOD_KEY GOOD_REQUEST GOOD_CERT
		   "key_usage = digitalSignature\n", path, sizeof(path));
	write_file("roles", "notes.txt", "not a profile\n", path, sizeof(path));
	snprintf(dir, sizeof(dir), "%s/roles", tmpdir);
	err_clear();
	ck_assert_int_eq(profile_load(dir, "tls-sever", &p), -1);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	snprintf(want, sizeof(want), "unknown role 'tls-sever' (no "
		 "tls-sever.profile in %s; roles there: alpha, zeta)", dir);
	ck_assert_str_eq(err_message(), want);

	err_clear();
	ck_assert_int_eq(profile_load(dir, "alpha", &p), 0);
	ck_assert_str_eq(profile_role(p), "alpha");
	profile_free(p);
}
END_TEST

static const char *const bad_roles[] = {
	"a/b", "../profiles/tls-server", "/etc/passwd", ".hidden", "", "-x",
	"tls server",
};

START_TEST(test_bad_role_name)
{
	struct profile *p = NULL;
	char dir[PATH_MAX];

	err_clear();
	ck_assert_int_eq(profile_load(profiles_dir(dir, sizeof(dir)),
				      bad_roles[_i], &p), -1);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(err_kind(), ERR_USAGE);
	ck_assert_int_eq(strncmp(err_message(), "bad role name '", 15), 0);
}
END_TEST

/* ---- variables ---- */

static const struct vars_case {
	const char *assignment;
	const char *name;       /* NULL: refused */
	const char *value;
} vars_cases[] = {
	{ "cn=alice", "cn", "alice" },
	{ "dn=CN=x,O=y", "dn", "CN=x,O=y" },
	{ "empty=", "empty", "" },
	{ "_x1=1", "_x1", "1" },
	{ "noequals", NULL, NULL },
	{ "=value", NULL, NULL },
	{ "1x=value", NULL, NULL },
	{ "a-b=value", NULL, NULL },
	{ "a b=value", NULL, NULL },
};

START_TEST(test_vars_set)
{
	const struct vars_case *c = &vars_cases[_i];
	struct vars *v = vars_new();

	err_clear();
	if (c->name == NULL) {
		ck_assert_int_eq(vars_set(v, c->assignment), -1);
		ck_assert_int_eq(err_kind(), ERR_USAGE);
		ck_assert_ptr_nonnull(strstr(err_message(), "bad variable"));
	} else {
		ck_assert_int_eq(vars_set(v, c->assignment), 0);
		ck_assert_str_eq(vars_get(v, c->name), c->value);
	}
	vars_free(v);
}
END_TEST

START_TEST(test_vars_replace)
{
	struct vars *v = vars_new();

	ck_assert_ptr_null(vars_get(v, "cn"));
	ck_assert_int_eq(vars_set(v, "cn=first"), 0);
	ck_assert_int_eq(vars_set(v, "o=org"), 0);
	ck_assert_int_eq(vars_set(v, "cn=second=2"), 0);
	ck_assert_str_eq(vars_get(v, "cn"), "second=2");
	ck_assert_str_eq(vars_get(v, "o"), "org");
	ck_assert_ptr_null(vars_get(v, "CN"));
	vars_free(v);
	vars_free(NULL);
	profile_free(NULL);
}
END_TEST

static Suite *
profile_suite(void)
{
	Suite *s = suite_create("profile");
	TCase *tc;

	tc = tcase_create("load");
	tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_loop_test(tc, test_shipped, 0, NELEM(shipped_cases));
	tcase_add_loop_test(tc, test_bad_profile, 0, NELEM(bad_cases));
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_all_keys);
	tcase_add_loop_test(tc, test_key_caps, 0, NELEM(caps_cases));
	tcase_add_test(tc, test_keyusage_table);
	tcase_add_test(tc, test_role_too_long_for_label);
	tcase_add_test(tc, test_unknown_role);
	tcase_add_loop_test(tc, test_bad_role_name, 0, NELEM(bad_roles));
	suite_add_tcase(s, tc);

	tc = tcase_create("templates");
	tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_loop_test(tc, test_variable_errors, 0, NELEM(var_error_cases));
	tcase_add_loop_test(tc, test_subject_injection, 0,
			    NELEM(injection_values));
	tcase_add_test(tc, test_subject_escapes_and_order);
	tcase_add_test(tc, test_subject_bad_value);
	tcase_add_loop_test(tc, test_ip_san, 0, NELEM(ip_cases));
	tcase_add_test(tc, test_san_kinds);
	tcase_add_test(tc, test_ia5_san_refused);
	tcase_add_test(tc, test_eku_spec_is_a_copy);
	suite_add_tcase(s, tc);

	tc = tcase_create("vars");
	tcase_add_loop_test(tc, test_vars_set, 0, NELEM(vars_cases));
	tcase_add_test(tc, test_vars_replace);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(profile_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
