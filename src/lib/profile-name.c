/* SPDX-License-Identifier: MIT */
/* profile-name.c - the subject and alternative names a profile requests.
 *
 * The subject is split into its attributes at load time, before any
 * variable is known, so a value such as "x, O=Evil" stays the data of one
 * attribute and never becomes a second one. As in RFC 4514, the subject
 * is written most specific attribute first ("CN=x, O=y"), the reverse of
 * the order of the DER sequence.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "array.h"
#include "err.h"
#include "profile-name.h"

/* The Microsoft User Principal Name otherName. */
#define PROFILE_NAME_UPN_OID "1.3.6.1.4.1.311.20.2.3"

struct profile_name_rdn {
	int nid;
	struct template *value;
};

struct profile_name_alt {
	enum profile_name_san kind;
	struct template *value;
};

struct profile_name {
	struct profile_name_rdn *rdns;  /* in the order written (RFC 4514) */
	size_t nrdns, rdns_cap;
	struct profile_name_alt *sans;
	size_t nsans, sans_cap;
};

/* Indexed by enum profile_name_san: the key's name and the GENERAL_NAME
 * type that an IA5String value goes into (0 for the other two). */
static const struct {
	const char *name;
	int ia5_type;
} profile_name_san_table[] = {
	[PROFILE_NAME_DNS] = { "dns", GEN_DNS },
	[PROFILE_NAME_IP] = { "ip", 0 },
	[PROFILE_NAME_EMAIL] = { "email", GEN_EMAIL },
	[PROFILE_NAME_UPN] = { "upn", 0 },
	[PROFILE_NAME_URI] = { "uri", GEN_URI },
};

struct profile_name *
profile_name_new(void)
{
	struct profile_name *n = calloc(1, sizeof(*n));

	if (n == NULL)
		err_set(ERR_FAILED, "out of memory");
	return n;
}

void
profile_name_free(struct profile_name *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nrdns; i++)
		template_free(n->rdns[i].value);
	free(n->rdns);
	for (i = 0; i < n->nsans; i++)
		template_free(n->sans[i].value);
	free(n->sans);
	free(n);
}

/* ---- parsing the templates ---- */

/* Whether the character at S[I] is escaped by an odd run of backslashes. */
static bool
profile_name_escaped(const char *s, size_t i)
{
	size_t n = 0;

	while (i > n && s[i - n - 1] == '\\')
		n++;
	return n % 2 == 1;
}

/* One "TYPE=VALUE" attribute of the subject, LEN bytes at S. */
static int
profile_name_add_rdn(struct profile_name *n, const char *s, size_t len)
{
	struct profile_name_rdn *grown, rdn = { NID_undef, NULL };
	const char *eq = NULL, *vstart, *vend;
	char type[64];
	size_t i, tlen;
	int rc = -1;

	for (i = 0; i < len && eq == NULL; i++)
		if (s[i] == '=' && !profile_name_escaped(s, i))
			eq = s + i;
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	if (eq == NULL) {
		err_set(ERR_USAGE, "'%.*s' is not TYPE=VALUE", (int)len, s);
		goto out;
	}
	tlen = (size_t)(eq - s);
	while (tlen > 0 && isspace((unsigned char)s[tlen - 1]))
		tlen--;
	if (tlen == 0) {
		err_set(ERR_USAGE, "'%.*s' has no attribute type", (int)len, s);
		goto out;
	}
	/* A type too long for TYPE is no name OpenSSL knows either. */
	if (tlen < sizeof(type)) {
		memcpy(type, s, tlen);
		type[tlen] = '\0';
		rdn.nid = OBJ_txt2nid(type);
	}
	if (rdn.nid == NID_undef) {
		err_set(ERR_USAGE, "unknown subject attribute '%.*s' (use "
			"a name OpenSSL knows: CN, O, OU, C, L, ST, ...)",
			(int)tlen, s);
		goto out;
	}
	vstart = eq + 1;
	vend = s + len;
	while (vstart < vend && isspace((unsigned char)*vstart))
		vstart++;
	while (vend > vstart && isspace((unsigned char)vend[-1]) &&
	    !profile_name_escaped(s, (size_t)(vend - 1 - s)))
		vend--;
	if (template_parse(vstart, (size_t)(vend - vstart), true,
	    &rdn.value) < 0) {
		err_prefix("%s", type);
		goto out;
	}
	grown = array_grow(n->rdns, &n->rdns_cap, n->nrdns + 1,
			   sizeof(*grown));
	if (grown == NULL)
		goto out;
	n->rdns = grown;
	n->rdns[n->nrdns++] = rdn;
	rdn.value = NULL;
	rc = 0;
out:
	template_free(rdn.value);
	return rc;
}

int
profile_name_add_subject(struct profile_name *n, const char *value)
{
	size_t i, start = 0, len = strlen(value);
	int rc = -1;

	for (i = 0; i <= len; i++) {
		if (i < len &&
		    (value[i] != ',' || profile_name_escaped(value, i)))
			continue;
		if (profile_name_add_rdn(n, value + start, i - start) < 0)
			goto out;
		start = i + 1;
	}
	rc = 0;
out:
	return rc;
}

int
profile_name_add_san(struct profile_name *n, enum profile_name_san kind,
		     const char *value)
{
	struct profile_name_alt *grown, san = { kind, NULL };
	int rc = -1;

	if (template_parse(value, strlen(value), false, &san.value) < 0)
		goto out;
	grown = array_grow(n->sans, &n->sans_cap, n->nsans + 1,
			   sizeof(*grown));
	if (grown == NULL)
		goto out;
	n->sans = grown;
	n->sans[n->nsans++] = san;
	san.value = NULL;
	rc = 0;
out:
	template_free(san.value);
	return rc;
}

/* ---- filling the templates ---- */

/* T's variable I, or NULL with I counted down by T's number of them. */
static const char *
profile_name_var_in(const struct template *t, size_t *i)
{
	const char *name;
	size_t k;

	for (k = 0; (name = template_var(t, k)) != NULL; k++)
		if (k == *i)
			return name;
	*i -= k;
	return NULL;
}

const char *
profile_name_var(const struct profile_name *n, size_t i)
{
	const char *name;
	size_t k;

	for (k = 0; k < n->nrdns; k++)
		if ((name = profile_name_var_in(n->rdns[k].value, &i)) != NULL)
			return name;
	for (k = 0; k < n->nsans; k++)
		if ((name = profile_name_var_in(n->sans[k].value, &i)) != NULL)
			return name;
	return NULL;
}

int
profile_name_subject(const struct profile_name *n, const struct vars *vars,
		     const char *role, X509_NAME **out)
{
	X509_NAME *name = NULL;
	char *value = NULL;
	size_t i;
	int rc = -1;

	*out = NULL;
	if ((name = X509_NAME_new()) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	/* An RFC 4514 string names the last RDN of the sequence first. */
	for (i = n->nrdns; i-- > 0;) {
		if (template_expand(n->rdns[i].value, vars, role, &value) < 0)
			goto out;
		if (!X509_NAME_add_entry_by_NID(name, n->rdns[i].nid,
		    MBSTRING_UTF8, (unsigned char *)value, -1, -1, 0)) {
			err_openssl(ERR_USAGE, "rejected by OpenSSL", "role %s: "
				    "subject %s '%s' is not allowed", role,
				    OBJ_nid2sn(n->rdns[i].nid), value);
			goto out;
		}
		free(value);
		value = NULL;
	}
	*out = name;
	name = NULL;
	rc = 0;
out:
	ERR_clear_error();
	free(value);
	X509_NAME_free(name);
	return rc;
}

/* IA5String names hold printable ASCII without spaces. */
static bool
profile_name_is_ia5(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

/* One alternative name: SAN filled in with VALUE. */
static int
profile_name_build_san(const struct profile_name_alt *san, const char *role,
		       const char *value, GENERAL_NAME **out)
{
	GENERAL_NAME *gen = NULL;
	ASN1_OCTET_STRING *ip = NULL;
	ASN1_IA5STRING *ia5 = NULL;
	ASN1_STRING *utf8 = NULL;
	ASN1_TYPE *any = NULL;
	ASN1_OBJECT *oid = NULL;
	int rc = -1;

	*out = NULL;
	switch (san->kind) {
	case PROFILE_NAME_IP:
		if ((ip = a2i_IPADDRESS(value)) == NULL) {
			err_set(ERR_USAGE, "role %s: ip SAN '%s' is not an IPv4 "
				"or IPv6 address", role, value);
			goto out;
		}
		if ((gen = GENERAL_NAME_new()) == NULL)
			break;
		GENERAL_NAME_set0_value(gen, GEN_IPADD, ip);
		ip = NULL;
		break;
	case PROFILE_NAME_UPN:
		if (ASN1_mbstring_copy(&utf8, (const unsigned char *)value, -1,
		    MBSTRING_UTF8, B_ASN1_UTF8STRING) < 0) {
			err_set(ERR_USAGE, "role %s: upn SAN '%s' is not UTF-8",
				role, value);
			goto out;
		}
		if ((gen = GENERAL_NAME_new()) == NULL ||
		    (any = ASN1_TYPE_new()) == NULL ||
		    (oid = OBJ_txt2obj(PROFILE_NAME_UPN_OID, 1)) == NULL)
			break;
		ASN1_TYPE_set(any, V_ASN1_UTF8STRING, utf8);
		utf8 = NULL;
		if (!GENERAL_NAME_set0_othername(gen, oid, any))
			break;
		oid = NULL;
		any = NULL;
		break;
	default:
		if (!profile_name_is_ia5(value)) {
			err_set(ERR_USAGE, "role %s: %s SAN '%s' may hold only "
				"printable ASCII without spaces", role,
				profile_name_san_table[san->kind].name, value);
			goto out;
		}
		if ((gen = GENERAL_NAME_new()) == NULL ||
		    (ia5 = ASN1_IA5STRING_new()) == NULL ||
		    !ASN1_STRING_set(ia5, value, -1))
			break;
		GENERAL_NAME_set0_value(gen,
		    profile_name_san_table[san->kind].ia5_type, ia5);
		ia5 = NULL;
		break;
	}
	if (gen == NULL || ip != NULL || oid != NULL || any != NULL ||
	    ia5 != NULL) {
		err_set(ERR_FAILED, "role %s: %s SAN: out of memory", role,
			profile_name_san_table[san->kind].name);
		goto out;
	}
	*out = gen;
	gen = NULL;
	rc = 0;
out:
	ERR_clear_error();
	GENERAL_NAME_free(gen);
	ASN1_OCTET_STRING_free(ip);
	ASN1_IA5STRING_free(ia5);
	ASN1_STRING_free(utf8);
	ASN1_TYPE_free(any);
	ASN1_OBJECT_free(oid);
	return rc;
}

int
profile_name_sans(const struct profile_name *n, const struct vars *vars,
		  const char *role, GENERAL_NAMES **out)
{
	GENERAL_NAMES *names = NULL;
	GENERAL_NAME *gen = NULL;
	char *value = NULL;
	size_t i;
	int rc = -1;

	*out = NULL;
	if (n->nsans == 0) {
		rc = 0;
		goto out;
	}
	if ((names = sk_GENERAL_NAME_new_null()) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < n->nsans; i++) {
		if (template_expand(n->sans[i].value, vars, role, &value) < 0 ||
		    profile_name_build_san(&n->sans[i], role, value, &gen) < 0)
			goto out;
		if (!sk_GENERAL_NAME_push(names, gen)) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
		gen = NULL;
		free(value);
		value = NULL;
	}
	*out = names;
	names = NULL;
	rc = 0;
out:
	free(value);
	GENERAL_NAME_free(gen);
	GENERAL_NAMES_free(names);
	return rc;
}

