/* SPDX-License-Identifier: MIT */
/* profile.c - role profiles (INI).
 *
 * Everything a profile says is checked when it is loaded: names of
 * algorithms, key usages, EKUs and subject attributes, and the syntax of
 * every template. Filling the templates (profile_spec) can then only fail
 * on the values of variables.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "array.h"
#include "err.h"
#include "keymech.h"
#include "keyusage.h"
#include "profile.h"
#include "profile-ini.h"
#include "profile-name.h"
#include "util.h"

#define PROFILE_LABEL_MAX 32
#define PROFILE_CA_PROFILE_MAX 64

/* A subject alternative name template as written, for showing it. */
struct profile_san_text {
	const char *kind;               /* static: the profile key */
	char *text;
};

struct profile {
	char *role;
	char *path;
	char *subject;                  /* the template as written */
	struct profile_san_text *sans;
	size_t nsans, sans_cap;
	char *label;
	char *justification;
	enum key_alg alg;
	unsigned char id[KEY_ID_MAX];
	size_t id_len;
	struct profile_name *name;      /* the subject and SANs */
	unsigned key_usage;
	STACK_OF(ASN1_OBJECT) *eku;
	int max_lifetime_days;
	bool allow_subject_change;
	bool allow_mixed_roles;
	bool allow_unnarrowed;          /* [key] allow_unnarrowed */
	bool writes_as_so;              /* [key] write_login = so */
	char *key_justification;        /* [key] justification */
	keymech_set mechs;              /* [key] allowed_mechanisms, or 0 */
	char *ca_profile;               /* [ca] profile; NULL: the role */
	STACK_OF(ASN1_OBJECT) *added_eku; /* [certificate] accept_added_eku */
};

static const struct {
	const char *name;
	bool value;
} profile_bool_table[] = {
	{ "yes", true }, { "no", false }, { "true", true }, { "false", false },
};

/* Who logs in to write the role's key and objects ([key] write_login). */
static const struct {
	const char *name;
	bool so;
} profile_write_login_table[] = {
	{ "user", false }, { "so", true },
};

/* The OIDs an extended key usage given by name may have. */
static const struct {
	const char *oid;
	bool arc;                       /* the OIDs under it, not OID itself */
} profile_eku_oids[] = {
	{ "1.3.6.1.5.5.7.3", true },    /* id-kp */
	{ "1.3.6.1.4.1.311", true },    /* Microsoft */
	{ "2.5.29.37.0", false },       /* anyExtendedKeyUsage */
};


/* ---- setters: one per profile key; errors are ERR_USAGE sentences ---- */

static int
profile_set_subject(struct profile *p, const char *value)
{
	if (profile_name_add_subject(p->name, value) < 0 ||
	    (p->subject = util_strdup(value)) == NULL)
		return -1;
	return 0;
}

/* Add a SAN template of KIND, given as profile key NAME. */
static int
profile_add_san(struct profile *p, const char *name,
		enum profile_name_san kind, const char *value)
{
	struct profile_san_text *grown;
	char *text;

	if (profile_name_add_san(p->name, kind, value) < 0 ||
	    (text = util_strdup(value)) == NULL)
		return -1;
	if ((grown = array_grow(p->sans, &p->sans_cap, p->nsans + 1,
				sizeof(*grown))) == NULL) {
		free(text);
		return -1;
	}
	p->sans = grown;
	p->sans[p->nsans].kind = name;
	p->sans[p->nsans].text = text;
	p->nsans++;
	return 0;
}

static int
profile_set_dns(struct profile *p, const char *value)
{
	return profile_add_san(p, "dns", PROFILE_NAME_DNS, value);
}

static int
profile_set_ip(struct profile *p, const char *value)
{
	return profile_add_san(p, "ip", PROFILE_NAME_IP, value);
}

static int
profile_set_email(struct profile *p, const char *value)
{
	return profile_add_san(p, "email", PROFILE_NAME_EMAIL, value);
}

static int
profile_set_upn(struct profile *p, const char *value)
{
	return profile_add_san(p, "upn", PROFILE_NAME_UPN, value);
}

static int
profile_set_uri(struct profile *p, const char *value)
{
	return profile_add_san(p, "uri", PROFILE_NAME_URI, value);
}

static int
profile_set_algorithm(struct profile *p, const char *value)
{
	return keyalg_parse(value, &p->alg);
}

static int
profile_set_label(struct profile *p, const char *value)
{
	if (strlen(value) > PROFILE_LABEL_MAX)
		return err_set(ERR_USAGE, "longer than %d bytes", PROFILE_LABEL_MAX);
	if ((p->label = util_strdup(value)) == NULL)
		return -1;
	return 0;
}

static int
profile_set_id(struct profile *p, const char *value)
{
	size_t i, len = strlen(value);
	int hi, lo;

	if (len % 2 != 0 || len == 0 || len / 2 > KEY_ID_MAX)
		return err_set(ERR_USAGE, "'%s' is not an even number of hex "
			       "digits for 1 to %d bytes", value, KEY_ID_MAX);
	for (i = 0; i < len; i += 2) {
		hi = OPENSSL_hexchar2int((unsigned char)value[i]);
		lo = OPENSSL_hexchar2int((unsigned char)value[i + 1]);
		if (hi < 0 || lo < 0)
			return err_set(ERR_USAGE, "'%s' is not hex", value);
		p->id[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	p->id_len = len / 2;
	return 0;
}

/* Call ONE for each trimmed item of a comma-separated LIST. */
static int
profile_each_item(struct profile *p, const char *list,
		  int (*one)(struct profile *, const char *))
{
	char *copy = NULL, *rest, *item, *end;
	int rc = -1;

	if ((copy = util_strdup(list)) == NULL)
		goto out;
	rest = copy;
	while ((item = strsep(&rest, ",")) != NULL) {
		while (isspace((unsigned char)*item))
			item++;
		end = item + strlen(item);
		while (end > item && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*item == '\0') {
			err_set(ERR_USAGE, "empty name in '%s'", list);
			goto out;
		}
		if (one(p, item) < 0)
			goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

static int
profile_add_ku(struct profile *p, const char *name)
{
	unsigned flag = keyusage_from_name(name);

	if (flag == 0)
		return err_set(ERR_USAGE, "unknown key usage '%s' (use "
			       "digitalSignature, nonRepudiation, "
			       "keyEncipherment, dataEncipherment, keyAgreement, "
			       "keyCertSign, cRLSign, encipherOnly or "
			       "decipherOnly)", name);
	if (p->key_usage & flag)
		return err_set(ERR_USAGE, "'%s' is listed twice", name);
	p->key_usage |= flag;
	return 0;
}

/* Whether OBJ, which a name resolved to, is an extended key usage: under
 * id-kp or Microsoft's arc, or anyExtendedKeyUsage (which the eku-any
 * rule refuses, with a reason). A name that resolves elsewhere, such as
 * CN, would put a stray OID in the certificate. */
static bool
profile_is_eku(const ASN1_OBJECT *obj)
{
	char oid[128];
	size_t i, len;
	int n;

	n = OBJ_obj2txt(oid, sizeof(oid), obj, 1);
	if (n <= 0 || (size_t)n >= sizeof(oid))
		return false;
	for (i = 0; i < NELEM(profile_eku_oids); i++) {
		len = strlen(profile_eku_oids[i].oid);
		if (strncmp(oid, profile_eku_oids[i].oid, len) != 0)
			continue;
		if (oid[len] == (profile_eku_oids[i].arc ? '.' : '\0'))
			return true;
	}
	return false;
}

/* A dotted OID is taken as it is, as it may be a private purpose; a name
 * must be one that OpenSSL knows as an extended key usage. */
static int
profile_push_eku(STACK_OF(ASN1_OBJECT) *list, const char *name)
{
	ASN1_OBJECT *obj = NULL;
	bool dotted;
	int i, rc = -1;

	dotted = (obj = OBJ_txt2obj(name, 1)) != NULL;
	if (obj == NULL && (obj = OBJ_txt2obj(name, 0)) == NULL) {
		err_set(ERR_USAGE, "unknown extended key usage '%s' (use a "
			"name as OpenSSL spells it, e.g. serverAuth, or a "
			"dotted OID)", name);
		goto out;
	}
	if (!dotted && !profile_is_eku(obj)) {
		err_set(ERR_USAGE, "'%s' is not an extended key usage", name);
		goto out;
	}
	for (i = 0; i < sk_ASN1_OBJECT_num(list); i++) {
		if (OBJ_cmp(sk_ASN1_OBJECT_value(list, i), obj) == 0) {
			err_set(ERR_USAGE, "'%s' is listed twice", name);
			goto out;
		}
	}
	if (!sk_ASN1_OBJECT_push(list, obj)) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	obj = NULL;
	rc = 0;
out:
	ERR_clear_error();
	ASN1_OBJECT_free(obj);
	return rc;
}

static int
profile_add_mech(struct profile *p, const char *name)
{
	keymech_set m;

	if (keymech_parse(name, &m) < 0)
		return -1;
	if (p->mechs & m)
		return err_set(ERR_USAGE, "'%s' is listed twice", name);
	p->mechs |= m;
	return 0;
}

static int
profile_set_mechs(struct profile *p, const char *value)
{
	return profile_each_item(p, value, profile_add_mech);
}

static int
profile_add_eku(struct profile *p, const char *name)
{
	return profile_push_eku(p->eku, name);
}

static int
profile_add_added_eku(struct profile *p, const char *name)
{
	return profile_push_eku(p->added_eku, name);
}

static int
profile_set_key_usage(struct profile *p, const char *value)
{
	return profile_each_item(p, value, profile_add_ku);
}

static int
profile_set_eku(struct profile *p, const char *value)
{
	return profile_each_item(p, value, profile_add_eku);
}

static int
profile_set_added_eku(struct profile *p, const char *value)
{
	return profile_each_item(p, value, profile_add_added_eku);
}

/* The name a CA knows the role's profile by: sent in a JSON string, an
 * environment variable and an ACME order, so printable and short. */
static int
profile_set_ca_profile(struct profile *p, const char *value)
{
	size_t i, len = strlen(value);

	if (len > PROFILE_CA_PROFILE_MAX)
		return err_set(ERR_USAGE, "longer than %d bytes",
			       PROFILE_CA_PROFILE_MAX);
	for (i = 0; i < len; i++)
		if (!isgraph((unsigned char)value[i]))
			return err_set(ERR_USAGE, "a CA profile name is printable "
				       "ASCII without spaces");
	if ((p->ca_profile = util_strdup(value)) == NULL)
		return -1;
	return 0;
}

static int
profile_set_lifetime(struct profile *p, const char *value)
{
	unsigned long days;
	char *end;

	errno = 0;
	days = strtoul(value, &end, 10);
	if (!isdigit((unsigned char)*value) || *end != '\0' || errno != 0 ||
	    days == 0 || days > INT_MAX)
		return err_set(ERR_USAGE, "'%s' is not a positive number of days",
			       value);
	p->max_lifetime_days = (int)days;
	return 0;
}

static int
profile_parse_bool(const char *value, bool *out)
{
	size_t i;

	for (i = 0; i < NELEM(profile_bool_table); i++) {
		if (strcasecmp(profile_bool_table[i].name, value) == 0) {
			*out = profile_bool_table[i].value;
			return 0;
		}
	}
	return err_set(ERR_USAGE, "'%s' is not yes or no", value);
}

static int
profile_set_subject_change(struct profile *p, const char *value)
{
	return profile_parse_bool(value, &p->allow_subject_change);
}

static int
profile_set_mixed_roles(struct profile *p, const char *value)
{
	return profile_parse_bool(value, &p->allow_mixed_roles);
}

static int
profile_set_unnarrowed(struct profile *p, const char *value)
{
	return profile_parse_bool(value, &p->allow_unnarrowed);
}

static int
profile_set_write_login(struct profile *p, const char *value)
{
	size_t i;

	for (i = 0; i < NELEM(profile_write_login_table); i++) {
		if (strcmp(profile_write_login_table[i].name, value) == 0) {
			p->writes_as_so = profile_write_login_table[i].so;
			return 0;
		}
	}
	return err_set(ERR_USAGE, "'%s' is not user or so", value);
}

static int
profile_set_key_justification(struct profile *p, const char *value)
{
	if ((p->key_justification = util_strdup(value)) == NULL)
		return -1;
	return 0;
}

static int
profile_set_justification(struct profile *p, const char *value)
{
	if ((p->justification = util_strdup(value)) == NULL)
		return -1;
	return 0;
}

/* ---- the profile file ---- */

#define KEY_REQUIRED 1u
#define KEY_REPEATS 2u

/* extended_key_usage and max_lifetime_days are not KEY_REQUIRED: their
 * absence is a lint finding (eku-missing, lifetime-missing), which
 * refuses the profile all the same and has a stable identifier. */
static const struct profile_key {
	const char *section;
	const char *name;
	int (*set)(struct profile *, const char *);
	unsigned flags;
} profile_keys[] = {
	{ "key", "algorithm", profile_set_algorithm, KEY_REQUIRED },
	{ "key", "label", profile_set_label, 0 },
	{ "key", "id", profile_set_id, 0 },
	{ "key", "allow_unnarrowed", profile_set_unnarrowed, 0 },
	{ "key", "justification", profile_set_key_justification, 0 },
	{ "key", "write_login", profile_set_write_login, 0 },
	{ "key", "allowed_mechanisms", profile_set_mechs, 0 },
	{ "request", "subject", profile_set_subject, KEY_REQUIRED },
	{ "request", "dns", profile_set_dns, KEY_REPEATS },
	{ "request", "ip", profile_set_ip, KEY_REPEATS },
	{ "request", "email", profile_set_email, KEY_REPEATS },
	{ "request", "upn", profile_set_upn, KEY_REPEATS },
	{ "request", "uri", profile_set_uri, KEY_REPEATS },
	{ "certificate", "key_usage", profile_set_key_usage, 0 },
	{ "certificate", "extended_key_usage", profile_set_eku, 0 },
	{ "certificate", "max_lifetime_days", profile_set_lifetime, 0 },
	{ "certificate", "allow_subject_change", profile_set_subject_change, 0 },
	{ "certificate", "allow_mixed_roles", profile_set_mixed_roles, 0 },
	{ "certificate", "justification", profile_set_justification, 0 },
	{ "certificate", "accept_added_eku", profile_set_added_eku, 0 },
	{ "ca", "profile", profile_set_ca_profile, 0 },
};

struct profile_parse {
	struct profile_ini ini;
	struct profile *p;
	bool seen[NELEM(profile_keys)];
};

static int
profile_handler(void *user, const char *section, const char *name,
		const char *value)
{
	struct profile_parse *pp = user;
	const struct profile_key *key = NULL;
	bool known_section = false;
	char msg[PROFILE_MSG_MAX];
	size_t i;

	pp->ini.after_key = true;
	for (i = 0; i < NELEM(profile_keys) && key == NULL; i++) {
		if (strcmp(profile_keys[i].section, section) != 0)
			continue;
		known_section = true;
		if (strcmp(profile_keys[i].name, name) == 0)
			key = &profile_keys[i];
	}
	if (pp->ini.continuation)
		snprintf(msg, sizeof(msg), "indented line would continue the "
			 "value above; continuation lines are not allowed");
	else if (*section == '\0')
		snprintf(msg, sizeof(msg), "not in a section ([key], [request], "
			 "[certificate] or [ca])");
	else if (!known_section)
		snprintf(msg, sizeof(msg), "unknown section [%s] (use [key], "
			 "[request], [certificate] or [ca])", section);
	else if (key == NULL)
		snprintf(msg, sizeof(msg), "unknown key in [%s]", section);
	else if (pp->seen[key - profile_keys] && !(key->flags & KEY_REPEATS))
		snprintf(msg, sizeof(msg), "given more than once");
	else if (*value == '\0')
		snprintf(msg, sizeof(msg), "no value");
	else if (key->set(pp->p, value) < 0)
		snprintf(msg, sizeof(msg), "%s", err_message());
	else {
		pp->seen[key - profile_keys] = true;
		return 1;
	}
	profile_ini_fail(&pp->ini, name, msg);
	return 0;
}

/* Checks that need the whole file. */
static int
profile_parse_finish(struct profile_parse *pp)
{
	struct profile *p = pp->p;
	size_t i;

	for (i = 0; i < NELEM(profile_keys); i++)
		if ((profile_keys[i].flags & KEY_REQUIRED) && !pp->seen[i])
			return err_set(ERR_USAGE, "%s: [%s] %s is required",
				       pp->ini.path, profile_keys[i].section,
				       profile_keys[i].name);
	if (p->label == NULL) {
		if (strlen(p->role) > PROFILE_LABEL_MAX)
			return err_set(ERR_USAGE, "%s: the role name is longer than "
				       "%d bytes; set [key] label", pp->ini.path,
				       PROFILE_LABEL_MAX);
		if ((p->label = util_strdup(p->role)) == NULL)
			return -1;
	}
	return 0;
}

int
profile_parse_stream(FILE *fp, const char *path, const char *role,
		     struct profile **out)
{
	struct profile_parse pp;
	struct profile *p = NULL;
	int rc = -1;

	*out = NULL;
	memset(&pp, 0, sizeof(pp));
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->eku = sk_ASN1_OBJECT_new_null()) == NULL ||
	    (p->added_eku = sk_ASN1_OBJECT_new_null()) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if ((p->name = profile_name_new()) == NULL ||
	    (p->role = util_strdup(role)) == NULL ||
	    (p->path = util_strdup(path)) == NULL)
		goto out;
	pp.p = p;
	pp.ini.path = path;
	pp.ini.fp = fp;
	if (profile_ini_run(&pp.ini, profile_handler, &pp) < 0 ||
	    profile_parse_finish(&pp) < 0)
		goto out;
	*out = p;
	p = NULL;
	rc = 0;
out:
	profile_free(p);
	return rc;
}

int
profile_parse_file(const char *path, struct profile **out)
{
	char *role = NULL;
	FILE *fp = NULL;
	int rc = -1;

	*out = NULL;
	if ((role = profile_ini_name_of(path, PROFILE_SUFFIX, "role")) == NULL)
		goto out;
	if ((fp = util_fopen_regular(path)) == NULL)
		goto out;
	rc = profile_parse_stream(fp, path, role, out);
out:
	if (fp != NULL)
		fclose(fp);
	free(role);
	return rc;
}

int
profile_parse(const char *dir, const char *role, struct profile **out)
{
	char *path = NULL;
	FILE *fp = NULL;
	int rc = -1;

	*out = NULL;
	if (profile_dir_open(dir, role, &fp, &path) < 0)
		goto out;
	rc = profile_parse_stream(fp, path, role, out);
out:
	if (fp != NULL)
		fclose(fp);
	free(path);
	return rc;
}

void
profile_free(struct profile *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nsans; i++)
		free(p->sans[i].text);
	free(p->sans);
	free(p->subject);
	free(p->path);
	profile_name_free(p->name);
	sk_ASN1_OBJECT_pop_free(p->eku, ASN1_OBJECT_free);
	sk_ASN1_OBJECT_pop_free(p->added_eku, ASN1_OBJECT_free);
	free(p->ca_profile);
	free(p->role);
	free(p->label);
	free(p->justification);
	free(p->key_justification);
	free(p);
}

/* ---- accessors ---- */

const char *
profile_role(const struct profile *p)
{
	return p->role;
}

const char *
profile_path(const struct profile *p)
{
	return p->path;
}

const char *
profile_label(const struct profile *p)
{
	return p->label;
}

enum key_alg
profile_key_alg(const struct profile *p)
{
	return p->alg;
}

const unsigned char *
profile_key_id(const struct profile *p, size_t *len)
{
	*len = p->id_len;
	return p->id_len > 0 ? p->id : NULL;
}

unsigned
profile_key_usage(const struct profile *p)
{
	return p->key_usage;
}

size_t
profile_eku_count(const struct profile *p)
{
	return (size_t)sk_ASN1_OBJECT_num(p->eku);
}

const ASN1_OBJECT *
profile_eku(const struct profile *p, size_t i)
{
	return sk_ASN1_OBJECT_value(p->eku, (int)i);
}

const char *
profile_eku_name(const struct profile *p, size_t i, char *buf, size_t size)
{
	const ASN1_OBJECT *obj = profile_eku(p, i);
	int nid = OBJ_obj2nid(obj);

	if (nid != NID_undef)
		snprintf(buf, size, "%s", OBJ_nid2sn(nid));
	else if (OBJ_obj2txt(buf, (int)size, obj, 1) <= 0)
		snprintf(buf, size, "?");
	return buf;
}

const char *
profile_subject_template(const struct profile *p)
{
	return p->subject;
}

size_t
profile_san_count(const struct profile *p)
{
	return p->nsans;
}

const char *
profile_san_template(const struct profile *p, size_t i, const char **kind)
{
	*kind = p->sans[i].kind;
	return p->sans[i].text;
}

unsigned
profile_key_caps(const struct profile *p)
{
	return keyusage_caps(p->key_usage);
}

int
profile_max_lifetime_days(const struct profile *p)
{
	return p->max_lifetime_days;
}

bool
profile_allow_subject_change(const struct profile *p)
{
	return p->allow_subject_change;
}

bool
profile_allow_mixed_roles(const struct profile *p)
{
	return p->allow_mixed_roles;
}

const char *
profile_justification(const struct profile *p)
{
	return p->justification;
}

keymech_set
profile_allowed_mechs(const struct profile *p)
{
	return p->mechs;
}

const char *
profile_ca_profile(const struct profile *p)
{
	return p->ca_profile != NULL ? p->ca_profile : p->role;
}

const STACK_OF(ASN1_OBJECT) *
profile_added_ekus(const struct profile *p)
{
	return p->added_eku;
}

size_t
profile_added_eku_count(const struct profile *p)
{
	return (size_t)sk_ASN1_OBJECT_num(p->added_eku);
}

const ASN1_OBJECT *
profile_added_eku(const struct profile *p, size_t i)
{
	return sk_ASN1_OBJECT_value(p->added_eku, (int)i);
}

bool
profile_allow_unnarrowed(const struct profile *p)
{
	return p->allow_unnarrowed;
}

bool
profile_writes_as_so(const struct profile *p)
{
	return p->writes_as_so;
}

const char *
profile_key_justification(const struct profile *p)
{
	return p->key_justification;
}

/* ---- filling the templates ---- */

int
profile_spec_usages(const struct profile *p, struct csr_spec *spec)
{
	ASN1_OBJECT *obj = NULL;
	int i;

	spec->key_usage = p->key_usage;
	if (spec->eku == NULL && (spec->eku = sk_ASN1_OBJECT_new_null()) == NULL)
		return err_set(ERR_FAILED, "role %s: out of memory", p->role);
	for (i = 0; i < sk_ASN1_OBJECT_num(p->eku); i++) {
		if ((obj = OBJ_dup(sk_ASN1_OBJECT_value(p->eku, i))) == NULL ||
		    !sk_ASN1_OBJECT_push(spec->eku, obj)) {
			ASN1_OBJECT_free(obj);
			return err_set(ERR_FAILED, "role %s: out of memory", p->role);
		}
	}
	return 0;
}

const char *
profile_var(const struct profile *p, size_t i)
{
	return profile_name_var(p->name, i);
}

int
profile_spec(const struct profile *p, const struct vars *vars,
	     struct csr_spec *out)
{
	struct csr_spec spec;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&spec, 0, sizeof(spec));
	if (profile_name_subject(p->name, vars, p->role, &spec.subject) < 0 ||
	    profile_name_sans(p->name, vars, p->role, &spec.san) < 0 ||
	    profile_spec_usages(p, &spec) < 0)
		goto out;
	*out = spec;
	memset(&spec, 0, sizeof(spec));
	rc = 0;
out:
	csr_spec_clear(&spec);
	return rc;
}
