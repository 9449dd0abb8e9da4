/* SPDX-License-Identifier: MIT */
/* verify.c - checks on a certificate returned by a CA, before anything is
 * written to the token. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "keyusage.h"
#include "text.h"
#include "util.h"
#include "verify.h"

/* How far ahead of our clock a CA's clock may be. */
#define VERIFY_CLOCK_SKEW 300
/* The largest trust file we read. */
#define VERIFY_TRUST_MAX (16 * 1024 * 1024)
#define VERIFY_WHY_MAX 512

/* One check: 0 when CERT passes, else -1 with the plain reason in WHY. */
struct verify_step {
	const char *name;
	int (*run)(X509 *cert, STACK_OF(X509) *chain,
		   const struct verify_policy *policy, char *why, size_t whylen);
};

static int
verify_why(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Write the reason of a failed check; returns -1. */
static int
verify_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
verify_fail(enum verify_check check, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Record "certificate check NAME failed: why"; returns -1. */
static int
verify_fail(enum verify_check check, const char *fmt, ...)
{
	char why[VERIFY_WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	err_set(ERR_FAILED, "certificate check %s failed: %s",
		verify_check_name(check), why);
	return err_tag(ERR_CODE_CERTIFICATE_REJECTED);
}

/* An OID as openssl spells it ("clientAuth"), or dotted when unknown. */
static const char *
verify_obj_name(const ASN1_OBJECT *obj, char *buf, size_t len)
{
	const char *sn;
	int nid;

	nid = OBJ_obj2nid(obj);
	if (nid != NID_undef && (sn = OBJ_nid2sn(nid)) != NULL)
		return sn;
	if (OBJ_obj2txt(buf, (int)len, obj, 1) <= 0)
		snprintf(buf, len, "(unreadable OID)");
	return buf;
}

/* NAME as one line ("/O=Example/CN=host"). */
static const char *
verify_name_text(const X509_NAME *name, char *buf, size_t len)
{
	if (name == NULL || X509_NAME_oneline(name, buf, (int)len) == NULL)
		snprintf(buf, len, "(none)");
	return buf;
}

/* A general name as openssl prints it ("DNS:host"), made safe for a
 * terminal: its bytes are the CA's. */
static const char *
verify_gen_text(GENERAL_NAME *gen, char *buf, size_t len)
{
	BIO *bio;
	char *data;
	long n;

	snprintf(buf, len, "(unprintable name)");
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return buf;
	if (GENERAL_NAME_print(bio, gen) > 0 &&
	    (n = BIO_get_mem_data(bio, &data)) > 0)
		text_printable(data, (size_t)n, buf, len);
	BIO_free(bio);
	return buf;
}

/* T as "2024-05-01 12:00:00 UTC". */
static const char *
verify_time_text(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!ASN1_TIME_to_tm(t, &tm) ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "(unreadable date)");
	return buf;
}

static int
verify_parse_check(X509 *cert, STACK_OF(X509) *chain,
		   const struct verify_policy *policy, char *why, size_t whylen)
{
	if (cert == NULL)
		return verify_why(why, whylen, "there is no certificate");
	/* Extensions that do not decode (or appear twice) would make every
	 * later check read a guess. */
	if (X509_get_extension_flags(cert) & EXFLAG_INVALID)
		return verify_why(why, whylen,
				  "its extensions are malformed or repeated");
	return 0;
}

static int
verify_public_key(X509 *cert, STACK_OF(X509) *chain,
		  const struct verify_policy *policy, char *why, size_t whylen)
{
	EVP_PKEY *key = X509_get0_pubkey(cert);

	if (key == NULL) {
		ERR_clear_error();
		return verify_why(why, whylen, "its public key cannot be read");
	}
	if (policy->key == NULL || EVP_PKEY_eq(key, policy->key) != 1) {
		ERR_clear_error();
		return verify_why(why, whylen,
				  "its public key is not the key generated on the token");
	}
	return 0;
}

static int
verify_not_ca(X509 *cert, STACK_OF(X509) *chain,
	      const struct verify_policy *policy, char *why, size_t whylen)
{
	BASIC_CONSTRAINTS *bc;
	uint32_t ku;
	int crit = 0, ca;

	bc = X509_get_ext_d2i(cert, NID_basic_constraints, &crit, NULL);
	if (bc == NULL && crit != -1)
		return verify_why(why, whylen,
				  "its basicConstraints cannot be read");
	ca = bc != NULL && bc->ca;
	BASIC_CONSTRAINTS_free(bc);
	if (ca)
		return verify_why(why, whylen,
				  "it is a CA certificate (basicConstraints cA=TRUE)");
	if (X509_get_extension_flags(cert) & EXFLAG_KUSAGE) {
		ku = X509_get_key_usage(cert);
		if (ku & KU_KEY_CERT_SIGN)
			return verify_why(why, whylen,
					  "its keyUsage allows keyCertSign");
		if (ku & KU_CRL_SIGN)
			return verify_why(why, whylen,
					  "its keyUsage allows cRLSign");
	}
	return 0;
}

/* Whether OBJ is in LIST (NULL: an empty list). */
static int
verify_eku_listed(const STACK_OF(ASN1_OBJECT) *list, const ASN1_OBJECT *obj)
{
	int i;

	for (i = 0; list != NULL && i < sk_ASN1_OBJECT_num(list); i++)
		if (OBJ_cmp(sk_ASN1_OBJECT_value(list, i), obj) == 0)
			return 1;
	return 0;
}

/* Why OBJ, which the role lacks, is refused, and the two ways out: the
 * CA added it on its own, as CAs whose one profile serves every TLS
 * certificate do. */
static int
verify_eku_added(const ASN1_OBJECT *obj, char *why, size_t whylen)
{
	char name[128];
	const char *n = verify_obj_name(obj, name, sizeof(name));

	return verify_why(why, whylen, "%s is not allowed for this role: the "
			  "CA added it to the usages asked for, as CAs do whose "
			  "profile gives every certificate the same usages "
			  "(public ACME CAs add clientAuth to serverAuth); ask "
			  "the CA for a profile without %s ([ca] profile in the "
			  "role's profile, or #PROFILE in the CA spec), or accept "
			  "it with [certificate] accept_added_eku = %s and "
			  "justification = ... in the role's profile", n, n, n);
}

static int
verify_eku(X509 *cert, STACK_OF(X509) *chain,
	   const struct verify_policy *policy, char *why, size_t whylen)
{
	EXTENDED_KEY_USAGE *eku = NULL;
	const ASN1_OBJECT *obj;
	int crit = 0, i, rc = -1;

	eku = X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, NULL);
	if (eku == NULL) {
		verify_why(why, whylen, crit == -1 ?
			   "it has no extendedKeyUsage, so it would serve any purpose" :
			   "its extendedKeyUsage cannot be read");
		goto out;
	}
	if (sk_ASN1_OBJECT_num(eku) == 0) {
		verify_why(why, whylen, "its extendedKeyUsage is empty");
		goto out;
	}
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		obj = sk_ASN1_OBJECT_value(eku, i);
		if (OBJ_obj2nid(obj) == NID_anyExtendedKeyUsage) {
			verify_why(why, whylen,
				   "it allows anyExtendedKeyUsage, so it would serve any purpose");
			goto out;
		}
		if (verify_eku_listed(policy->spec->eku, obj) ||
		    verify_eku_listed(policy->added_eku, obj))
			continue;
		/* The request asked for the role's usages alone. */
		verify_eku_added(obj, why, whylen);
		goto out;
	}
	rc = 0;
out:
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return rc;
}

static int
verify_key_usage(X509 *cert, STACK_OF(X509) *chain,
		 const struct verify_policy *policy, char *why, size_t whylen)
{
	const char *names[KEYUSAGE_COUNT];
	uint32_t extra;

	if (!(X509_get_extension_flags(cert) & EXFLAG_KUSAGE))
		return verify_why(why, whylen, "it has no keyUsage");
	extra = X509_get_key_usage(cert) & ~(uint32_t)policy->spec->key_usage;
	if (extra == 0)
		return 0;
	if (keyusage_names(extra, names) > 0)
		return verify_why(why, whylen, "%s is not allowed for this role",
				  names[0]);
	return verify_why(why, whylen, "it has keyUsage bits this role does not allow");
}

static int
verify_subject(X509 *cert, STACK_OF(X509) *chain,
	       const struct verify_policy *policy, char *why, size_t whylen)
{
	const X509_NAME *want = policy->spec->subject;
	const X509_NAME *got = X509_get_subject_name(cert);
	char a[256], b[256];

	if (policy->allow_subject_change)
		return 0;
	if (want == NULL || X509_NAME_cmp(got, want) != 0)
		return verify_why(why, whylen,
				  "the subject is %s, not the requested %s",
				  verify_name_text(got, a, sizeof(a)),
				  verify_name_text(want, b, sizeof(b)));
	return 0;
}

/* The first name in A that B lacks, or NULL. */
static GENERAL_NAME *
verify_san_missing(GENERAL_NAMES *a, GENERAL_NAMES *b)
{
	GENERAL_NAME *gen;
	int i, j, found;

	for (i = 0; a != NULL && i < sk_GENERAL_NAME_num(a); i++) {
		gen = sk_GENERAL_NAME_value(a, i);
		found = 0;
		for (j = 0; !found && b != NULL && j < sk_GENERAL_NAME_num(b); j++)
			found = GENERAL_NAME_cmp(gen, sk_GENERAL_NAME_value(b, j)) == 0;
		if (!found)
			return gen;
	}
	return NULL;
}

static int
verify_san(X509 *cert, STACK_OF(X509) *chain,
	   const struct verify_policy *policy, char *why, size_t whylen)
{
	GENERAL_NAMES *got = NULL;
	GENERAL_NAME *gen;
	char name[256];
	int crit = 0, rc = -1;

	got = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
	if (got == NULL && crit != -1) {
		verify_why(why, whylen, "its subjectAltName cannot be read");
		goto out;
	}
	if ((gen = verify_san_missing(got, policy->spec->san)) != NULL) {
		verify_why(why, whylen, "the CA added %s, which was not requested",
			   verify_gen_text(gen, name, sizeof(name)));
		goto out;
	}
	if ((gen = verify_san_missing(policy->spec->san, got)) != NULL) {
		verify_why(why, whylen, "the requested %s is missing",
			   verify_gen_text(gen, name, sizeof(name)));
		goto out;
	}
	rc = 0;
out:
	GENERAL_NAMES_free(got);
	return rc;
}

static int
verify_validity(X509 *cert, STACK_OF(X509) *chain,
		const struct verify_policy *policy, char *why, size_t whylen)
{
	const ASN1_TIME *nb = X509_get0_notBefore(cert);
	const ASN1_TIME *na = X509_get0_notAfter(cert);
	char date[64];
	int cmp;

	/* A CA whose clock runs a little ahead is common and harmless. */
	cmp = ASN1_TIME_cmp_time_t(nb, policy->now + VERIFY_CLOCK_SKEW);
	if (cmp == -2)
		return verify_why(why, whylen, "its notBefore date cannot be read");
	if (cmp > 0)
		return verify_why(why, whylen, "it is not valid until %s",
				  verify_time_text(nb, date, sizeof(date)));
	cmp = ASN1_TIME_cmp_time_t(na, policy->now);
	if (cmp == -2)
		return verify_why(why, whylen, "its notAfter date cannot be read");
	if (cmp <= 0)
		return verify_why(why, whylen, "it expired on %s",
				  verify_time_text(na, date, sizeof(date)));
	return 0;
}

static int
verify_lifetime(X509 *cert, STACK_OF(X509) *chain,
		const struct verify_policy *policy, char *why, size_t whylen)
{
	int days = 0, secs = 0;

	if (policy->max_lifetime_days <= 0)
		return 0;
	if (!ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert),
			    X509_get0_notAfter(cert))) {
		ERR_clear_error();
		return verify_why(why, whylen, "its validity dates cannot be read");
	}
	if (days > policy->max_lifetime_days ||
	    (days == policy->max_lifetime_days && secs > 0))
		return verify_why(why, whylen, "it is valid for %d%s days, "
		    "more than this role's maximum of %d", days,
		    secs > 0 ? "+" : "", policy->max_lifetime_days);
	return 0;
}

/* Each chain certificate must have issued the one before it: a CA that
 * sends its chain scrambled is sending something we did not ask for. */
static int
verify_chain_order(X509 *cert, STACK_OF(X509) *chain, char *why, size_t whylen)
{
	X509 *issuer, *subject = cert;
	char name[256];
	int i;

	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		issuer = sk_X509_value(chain, i);
		if (X509_check_issued(issuer, subject) != X509_V_OK)
			return verify_why(why, whylen, "the chain is out of order: "
			    "certificate %d (%s) did not issue the %s", i + 1,
			    verify_name_text(X509_get_subject_name(issuer), name,
			    sizeof(name)), i == 0 ? "leaf" : "certificate before it");
		subject = issuer;
	}
	return 0;
}

/* Forgive "not yet valid" within the clock skew the validity check
 * allows, so a CA whose clock runs a little ahead passes both. */
static int
verify_chain_callback(int ok, X509_STORE_CTX *ctx)
{
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
	X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
	int cmp;

	if (ok || cert == NULL ||
	    X509_STORE_CTX_get_error(ctx) != X509_V_ERR_CERT_NOT_YET_VALID)
		return ok;
	cmp = ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert),
				   X509_VERIFY_PARAM_get_time(param) +
				   VERIFY_CLOCK_SKEW);
	if (cmp == -2 || cmp > 0)
		return ok;
	X509_STORE_CTX_set_error(ctx, X509_V_OK);
	return 1;
}

static int
verify_chain(X509 *cert, STACK_OF(X509) *chain,
	     const struct verify_policy *policy, char *why, size_t whylen)
{
	X509_STORE_CTX *ctx = NULL;
	int rc = -1;

	if (policy->trust == NULL)
		return 0;
	if (verify_chain_order(cert, chain, why, whylen) < 0)
		goto out;
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    !X509_STORE_CTX_init(ctx, policy->trust, cert, chain)) {
		verify_why(why, whylen, "cannot set up verification: %s",
			   err_openssl_reason("out of memory"));
		goto out;
	}
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
	X509_STORE_CTX_set_time(ctx, 0, policy->now);
	X509_STORE_CTX_set_verify_cb(ctx, verify_chain_callback);
	if (X509_verify_cert(ctx) <= 0) {
		ERR_clear_error();
		verify_why(why, whylen, "%s (at chain depth %d)",
			   X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)),
			   X509_STORE_CTX_get_error_depth(ctx));
		goto out;
	}
	rc = 0;
out:
	X509_STORE_CTX_free(ctx);
	return rc;
}

/* Indexed by enum verify_check and run in that order. */
static const struct verify_step verify_steps[] = {
	[VERIFY_PARSE] = { "parse", verify_parse_check },
	[VERIFY_PUBLIC_KEY] = { "public-key", verify_public_key },
	[VERIFY_NOT_CA] = { "not-ca", verify_not_ca },
	[VERIFY_EKU] = { "eku", verify_eku },
	[VERIFY_KEY_USAGE] = { "key-usage", verify_key_usage },
	[VERIFY_SUBJECT] = { "subject", verify_subject },
	[VERIFY_SAN] = { "san", verify_san },
	[VERIFY_VALIDITY] = { "validity", verify_validity },
	[VERIFY_LIFETIME] = { "lifetime", verify_lifetime },
	[VERIFY_CHAIN] = { "chain", verify_chain },
};

#define VERIFY_NSTEPS (sizeof(verify_steps) / sizeof(verify_steps[0]))

const char *
verify_check_name(enum verify_check check)
{
	if ((size_t)check >= VERIFY_NSTEPS || verify_steps[check].name == NULL)
		return "unknown";
	return verify_steps[check].name;
}

int
verify_issued(X509 *cert, STACK_OF(X509) *chain,
	      const struct verify_policy *policy, enum verify_check *failed)
{
	char why[VERIFY_WHY_MAX];
	size_t i;

	for (i = 0; i < VERIFY_NSTEPS; i++) {
		why[0] = '\0';
		if (verify_steps[i].run(cert, chain, policy, why, sizeof(why)) < 0) {
			if (failed != NULL)
				*failed = (enum verify_check)i;
			return verify_fail((enum verify_check)i, "%s", why);
		}
	}
	return 0;
}

/* Whether DATA holds nothing but white space. */
static int
verify_blank(const unsigned char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isspace(data[i]))
			return 0;
	return 1;
}

/* Every PEM certificate in BIO onto OUT; text around the blocks is
 * skipped. A malformed block is an error, the end of input is not. */
static int
verify_read_pem(BIO *bio, STACK_OF(X509) *out, const char **why)
{
	X509 *x;
	unsigned long e;

	*why = NULL;
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(out, x)) {
			X509_free(x);
			*why = "out of memory";
			return -1;
		}
	}
	e = ERR_peek_last_error();
	if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM &&
			ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
		*why = err_openssl_reason("malformed");
		return -1;
	}
	ERR_clear_error();
	return 0;
}

int
verify_parse_answer(const unsigned char *data, size_t len, X509 **cert,
		    STACK_OF(X509) **chain)
{
	STACK_OF(X509) *certs = NULL;
	const unsigned char *p = data;
	const char *why = NULL;
	X509 *der = NULL;
	BIO *bio = NULL;
	int rc = -1;

	*cert = NULL;
	*chain = NULL;
	if (len == 0 || verify_blank(data, len)) {
		verify_fail(VERIFY_PARSE, "the CA's answer is empty");
		goto out;
	}
	if (len > INT_MAX) {
		verify_fail(VERIFY_PARSE, "the CA's answer is too large");
		goto out;
	}
	if ((certs = sk_X509_new_null()) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	/* DER starts with a SEQUENCE tag, which PEM text never does. */
	if (data[0] == 0x30) {
		if ((der = d2i_X509(NULL, &p, (long)len)) == NULL) {
			verify_fail(VERIFY_PARSE, "the CA's DER answer is malformed: %s",
				    err_openssl_reason("not a certificate"));
			goto out;
		}
		if (p != data + len) {
			verify_fail(VERIFY_PARSE,
				    "the CA's DER certificate is followed by %zu stray bytes",
				    len - (size_t)(p - data));
			goto out;
		}
		if (!sk_X509_push(certs, der)) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
		der = NULL;
	} else {
		if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
		if (verify_read_pem(bio, certs, &why) < 0) {
			verify_fail(VERIFY_PARSE,
				    "a certificate in the CA's answer is malformed: %s",
				    why);
			goto out;
		}
	}
	if (sk_X509_num(certs) == 0) {
		verify_fail(VERIFY_PARSE, "the CA's answer holds no certificate");
		goto out;
	}
	*cert = sk_X509_shift(certs);
	*chain = certs;
	certs = NULL;
	rc = 0;
out:
	X509_free(der);
	sk_X509_pop_free(certs, X509_free);
	BIO_free(bio);
	return rc;
}

int
verify_load_trust(const char *path, X509_STORE **out)
{
	STACK_OF(X509) *certs = NULL;
	X509_STORE *store = NULL;
	unsigned char *data = NULL;
	const char *why = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	int i, rc = -1;

	*out = NULL;
	if (util_read_file(path, VERIFY_TRUST_MAX, &data, &len) < 0) {
		err_prefix("load trusted certificates");
		goto out;
	}
	if ((certs = sk_X509_new_null()) == NULL ||
	    (store = X509_STORE_new()) == NULL ||
	    (bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		err_set(ERR_FAILED, "load trusted certificates from %s: out of memory",
			path);
		goto out;
	}
	if (verify_read_pem(bio, certs, &why) < 0) {
		err_set(ERR_USAGE, "load trusted certificates from %s: "
			"a certificate is malformed: %s", path, why);
		goto out;
	}
	if (sk_X509_num(certs) == 0) {
		err_set(ERR_USAGE, "load trusted certificates from %s: "
			"it holds no PEM certificate", path);
		goto out;
	}
	for (i = 0; i < sk_X509_num(certs); i++) {
		if (!X509_STORE_add_cert(store, sk_X509_value(certs, i))) {
			err_openssl(ERR_FAILED, "cannot add a certificate",
				"load trusted certificates from %s", path);
			goto out;
		}
	}
	*out = store;
	store = NULL;
	rc = 0;
out:
	sk_X509_pop_free(certs, X509_free);
	X509_STORE_free(store);
	BIO_free(bio);
	free(data);
	return rc;
}
