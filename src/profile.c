/* profile.c - role profiles (INI).
 *
 * Everything a profile says is checked when it is loaded: names of
 * algorithms, key usages, EKUs and subject attributes, and the syntax of
 * every template. Filling the templates (profile_spec) can then only fail
 * on the values of variables.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "profile.h"
#include "profile-name.h"
#include "util.h"

#define PROFILE_SUFFIX ".profile"
#define PROFILE_LABEL_MAX 32
#define PROFILE_MSG_MAX 512

struct profile {
	char *role;
	char *label;
	char *justification;
	enum key_alg alg;
	unsigned char id[KEYGEN_ID_MAX];
	size_t id_len;
	struct profile_name *name;      /* the subject and SANs */
	unsigned key_usage;
	STACK_OF(ASN1_OBJECT) *eku;
	int max_lifetime_days;
	bool allow_subject_change;
	bool allow_mixed_roles;
};

static const struct {
	const char *name;
	unsigned bit;
	unsigned caps;
} profile_ku_table[] = {
	{ "digitalSignature", KU_DIGITAL_SIGNATURE, KEY_CAP_SIGN },
	{ "nonRepudiation", KU_NON_REPUDIATION, KEY_CAP_SIGN },
	{ "contentCommitment", KU_NON_REPUDIATION, KEY_CAP_SIGN },
	{ "keyEncipherment", KU_KEY_ENCIPHERMENT, KEY_CAP_DECRYPT | KEY_CAP_UNWRAP },
	{ "dataEncipherment", KU_DATA_ENCIPHERMENT, KEY_CAP_DECRYPT },
	{ "keyAgreement", KU_KEY_AGREEMENT, KEY_CAP_DERIVE },
	{ "keyCertSign", KU_KEY_CERT_SIGN, KEY_CAP_SIGN },
	{ "cRLSign", KU_CRL_SIGN, KEY_CAP_SIGN },
	/* Only qualify keyAgreement, which already gives KEY_CAP_DERIVE. */
	{ "encipherOnly", KU_ENCIPHER_ONLY, 0 },
	{ "decipherOnly", KU_DECIPHER_ONLY, 0 },
};

static const struct {
	const char *name;
	bool value;
} profile_bool_table[] = {
	{ "yes", true }, { "no", false }, { "true", true }, { "false", false },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- names ---- */

static bool
profile_is_role_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !isalnum((unsigned char)s[0]))
		return false;
	for (i = 1; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.-", s[i]) == NULL)
			return false;
	return true;
}

/* ---- setters: one per profile key; errors are ERR_USAGE sentences ---- */

static int
profile_set_subject(struct profile *p, const char *value)
{
	return profile_name_add_subject(p->name, value);
}

static int
profile_set_dns(struct profile *p, const char *value)
{
	return profile_name_add_san(p->name, PROFILE_NAME_DNS, value);
}

static int
profile_set_ip(struct profile *p, const char *value)
{
	return profile_name_add_san(p->name, PROFILE_NAME_IP, value);
}

static int
profile_set_email(struct profile *p, const char *value)
{
	return profile_name_add_san(p->name, PROFILE_NAME_EMAIL, value);
}

static int
profile_set_upn(struct profile *p, const char *value)
{
	return profile_name_add_san(p->name, PROFILE_NAME_UPN, value);
}

static int
profile_set_uri(struct profile *p, const char *value)
{
	return profile_name_add_san(p->name, PROFILE_NAME_URI, value);
}

static int
profile_set_algorithm(struct profile *p, const char *value)
{
	return keygen_alg_parse(value, &p->alg);
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

	if (len % 2 != 0 || len == 0 || len / 2 > KEYGEN_ID_MAX)
		return err_set(ERR_USAGE, "'%s' is not an even number of hex "
			       "digits for 1 to %d bytes", value, KEYGEN_ID_MAX);
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
	size_t i;

	for (i = 0; i < NELEM(profile_ku_table); i++) {
		if (strcmp(profile_ku_table[i].name, name) != 0)
			continue;
		if (p->key_usage & profile_ku_table[i].bit)
			return err_set(ERR_USAGE, "'%s' is listed twice", name);
		p->key_usage |= profile_ku_table[i].bit;
		return 0;
	}
	return err_set(ERR_USAGE, "unknown key usage '%s' (use digitalSignature, "
		       "nonRepudiation, keyEncipherment, dataEncipherment, "
		       "keyAgreement, keyCertSign, cRLSign, encipherOnly or "
		       "decipherOnly)", name);
}

static int
profile_add_eku(struct profile *p, const char *name)
{
	ASN1_OBJECT *obj;
	int i;

	if ((obj = OBJ_txt2obj(name, 0)) == NULL) {
		ERR_clear_error();
		return err_set(ERR_USAGE, "unknown extended key usage '%s' (use "
			       "a name as OpenSSL spells it, e.g. serverAuth, "
			       "or a dotted OID)", name);
	}
	for (i = 0; i < sk_ASN1_OBJECT_num(p->eku); i++) {
		if (OBJ_cmp(sk_ASN1_OBJECT_value(p->eku, i), obj) == 0) {
			ASN1_OBJECT_free(obj);
			return err_set(ERR_USAGE, "'%s' is listed twice", name);
		}
	}
	if (!sk_ASN1_OBJECT_push(p->eku, obj)) {
		ASN1_OBJECT_free(obj);
		return err_set(ERR_FAILED, "out of memory");
	}
	return 0;
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
profile_set_justification(struct profile *p, const char *value)
{
	if ((p->justification = util_strdup(value)) == NULL)
		return -1;
	return 0;
}

/* ---- the INI file ---- */

#define KEY_REQUIRED 1u
#define KEY_REPEATS 2u

static const struct profile_key {
	const char *section;
	const char *name;
	int (*set)(struct profile *, const char *);
	unsigned flags;
} profile_keys[] = {
	{ "key", "algorithm", profile_set_algorithm, KEY_REQUIRED },
	{ "key", "label", profile_set_label, 0 },
	{ "key", "id", profile_set_id, 0 },
	{ "request", "subject", profile_set_subject, KEY_REQUIRED },
	{ "request", "dns", profile_set_dns, KEY_REPEATS },
	{ "request", "ip", profile_set_ip, KEY_REPEATS },
	{ "request", "email", profile_set_email, KEY_REPEATS },
	{ "request", "upn", profile_set_upn, KEY_REPEATS },
	{ "request", "uri", profile_set_uri, KEY_REPEATS },
	{ "certificate", "key_usage", profile_set_key_usage, 0 },
	{ "certificate", "extended_key_usage", profile_set_eku, KEY_REQUIRED },
	{ "certificate", "max_lifetime_days", profile_set_lifetime, KEY_REQUIRED },
	{ "certificate", "allow_subject_change", profile_set_subject_change, 0 },
	{ "certificate", "allow_mixed_roles", profile_set_mixed_roles, 0 },
	{ "certificate", "justification", profile_set_justification, 0 },
};

struct profile_parse {
	struct profile *p;
	const char *path;
	FILE *fp;
	int line;                       /* lines handed to inih so far */
	int err_line;                   /* line of the first error, 0: none */
	bool after_key;                 /* a key = value line since [section] */
	bool continuation;              /* inih takes this line as one */
	char err[1024];                 /* as long as err.c keeps */
	bool seen[NELEM(profile_keys)];
};

static void
profile_parse_fail(struct profile_parse *pp, const char *key, const char *msg)
{
	if (pp->err_line != 0)
		return;
	pp->err_line = pp->line;
	snprintf(pp->err, sizeof(pp->err), "%s:%d: %s: %s", pp->path, pp->line,
		 key, msg);
}

/* fgets for inih that counts lines, so the handler knows where it is, and
 * stops at an overlong line, which inih would otherwise cut in two. It
 * also spots the indented lines that inih joins to the previous key as
 * continuation lines: they would turn "  dns = b" into the value of the
 * key above. */
static char *
profile_reader(char *str, int num, void *stream)
{
	struct profile_parse *pp = stream;
	const char *start;
	size_t len;
	int c;

	if (pp->err_line != 0 || fgets(str, num, pp->fp) == NULL)
		return NULL;
	pp->line++;
	len = strlen(str);
	if (len > 0 && str[len - 1] != '\n' && len == (size_t)num - 1 &&
	    (c = getc(pp->fp)) != EOF) {
		ungetc(c, pp->fp);
		if (pp->err_line == 0) {
			pp->err_line = pp->line;
			snprintf(pp->err, sizeof(pp->err), "%s:%d: line longer "
				 "than %d bytes", pp->path, pp->line, num - 2);
		}
		return NULL;
	}
	for (start = str; *start != '\0' && isspace((unsigned char)*start);)
		start++;
	pp->continuation = pp->after_key && start > str && *start != '\0' &&
	    strchr(";#", *start) == NULL;
	if (*start == '[' && !pp->continuation)
		pp->after_key = false;
	return str;
}

static int
profile_handler(void *user, const char *section, const char *name,
		const char *value)
{
	struct profile_parse *pp = user;
	const struct profile_key *key = NULL;
	bool known_section = false;
	char msg[PROFILE_MSG_MAX];
	size_t i;

	pp->after_key = true;
	for (i = 0; i < NELEM(profile_keys) && key == NULL; i++) {
		if (strcmp(profile_keys[i].section, section) != 0)
			continue;
		known_section = true;
		if (strcmp(profile_keys[i].name, name) == 0)
			key = &profile_keys[i];
	}
	if (pp->continuation)
		snprintf(msg, sizeof(msg), "indented line would continue the "
			 "value above; continuation lines are not allowed");
	else if (*section == '\0')
		snprintf(msg, sizeof(msg), "not in a section ([key], [request] "
			 "or [certificate])");
	else if (!known_section)
		snprintf(msg, sizeof(msg), "unknown section [%s] (use [key], "
			 "[request] or [certificate])", section);
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
	profile_parse_fail(pp, name, msg);
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
				       pp->path, profile_keys[i].section,
				       profile_keys[i].name);
	if (p->label == NULL) {
		if (strlen(p->role) > PROFILE_LABEL_MAX)
			return err_set(ERR_USAGE, "%s: the role name is longer than "
				       "%d bytes; set [key] label", pp->path,
				       PROFILE_LABEL_MAX);
		if ((p->label = util_strdup(p->role)) == NULL)
			return -1;
	}
	return 0;
}

/* Parse the open file FP, named PATH, as the profile of ROLE. */
static int
profile_parse_file(FILE *fp, const char *path, const char *role,
		   struct profile **out)
{
	struct profile_parse pp;
	struct profile *p = NULL;
	int line, rc = -1;

	*out = NULL;
	memset(&pp, 0, sizeof(pp));
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->eku = sk_ASN1_OBJECT_new_null()) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if ((p->name = profile_name_new()) == NULL ||
	    (p->role = util_strdup(role)) == NULL)
		goto out;
	pp.p = p;
	pp.path = path;
	pp.fp = fp;
	line = ini_parse_stream(profile_reader, &pp, profile_handler, &pp);
	if (ferror(fp)) {
		err_set(ERR_FAILED, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (line > 0 && (pp.err_line == 0 || line < pp.err_line)) {
		err_set(ERR_USAGE, "%s:%d: syntax error (expected [section], "
			"key = value or a # comment)", path, line);
		goto out;
	}
	if (pp.err_line != 0) {
		err_set(ERR_USAGE, "%s", pp.err);
		goto out;
	}
	if (line < 0) {
		err_set(ERR_FAILED, "cannot parse %s", path);
		goto out;
	}
	if (profile_parse_finish(&pp) < 0)
		goto out;
	*out = p;
	p = NULL;
	rc = 0;
out:
	profile_free(p);
	return rc;
}

int
profile_load_file(const char *path, struct profile **out)
{
	const char *base = strrchr(path, '/');
	char *role = NULL;
	size_t len, slen = strlen(PROFILE_SUFFIX);
	FILE *fp = NULL;
	int rc = -1;

	*out = NULL;
	base = base != NULL ? base + 1 : path;
	len = strlen(base);
	if (len > slen && strcmp(base + len - slen, PROFILE_SUFFIX) == 0)
		len -= slen;
	if (!profile_is_role_name(base, len)) {
		err_set(ERR_USAGE, "%s: '%.*s' is not a role name (letters, "
			"digits, '_', '.' and '-')", path, (int)len, base);
		goto out;
	}
	if ((role = strndup(base, len)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		err_set(ERR_USAGE, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	rc = profile_parse_file(fp, path, role, out);
out:
	if (fp != NULL)
		fclose(fp);
	free(role);
	return rc;
}

static int
profile_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The roles in DIR, sorted and joined with ", ", for a message; NULL
 * (with errno) when DIR cannot be read. */
static char *
profile_list_roles(const char *dir)
{
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL, **grown, *joined = NULL;
	size_t i, n = 0, len, total = 1, slen = strlen(PROFILE_SUFFIX);

	if ((d = opendir(dir)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= slen ||
		    strcmp(de->d_name + len - slen, PROFILE_SUFFIX) != 0 ||
		    !profile_is_role_name(de->d_name, len - slen))
			continue;
		if ((grown = realloc(names, (n + 1) * sizeof(*grown))) == NULL)
			goto out;
		names = grown;
		if ((names[n] = strndup(de->d_name, len - slen)) == NULL)
			goto out;
		total += len - slen + 2;
		n++;
	}
	qsort(names, n, sizeof(*names), profile_cmp_names);
	if ((joined = malloc(total)) == NULL)
		goto out;
	joined[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(joined, ", ");
		strcat(joined, names[i]);
	}
out:
	if (d != NULL)
		closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return joined;
}

int
profile_load(const char *dir, const char *role, struct profile **out)
{
	char *path = NULL, *roles = NULL;
	FILE *fp = NULL;
	size_t len;
	int rc = -1;

	*out = NULL;
	if (!profile_is_role_name(role, strlen(role))) {
		err_set(ERR_USAGE, "bad role name '%s' (letters, digits, '_', "
			"'.' and '-', starting with a letter or digit)", role);
		goto out;
	}
	len = strlen(dir) + strlen(role) + sizeof(PROFILE_SUFFIX) + 1;
	if ((path = malloc(len)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	snprintf(path, len, "%s/%s%s", dir, role, PROFILE_SUFFIX);
	if ((fp = fopen(path, "r")) != NULL) {
		rc = profile_parse_file(fp, path, role, out);
		goto out;
	}
	if (errno != ENOENT) {
		err_set(ERR_USAGE, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if ((roles = profile_list_roles(dir)) == NULL)
		err_set(ERR_USAGE, "unknown role '%s' (no %s%s in %s, which "
			"cannot be read: %s)", role, role, PROFILE_SUFFIX, dir,
			strerror(errno));
	else if (*roles == '\0')
		err_set(ERR_USAGE, "unknown role '%s' (no %s%s in %s, which "
			"holds no profiles)", role, role, PROFILE_SUFFIX, dir);
	else
		err_set(ERR_USAGE, "unknown role '%s' (no %s%s in %s; roles "
			"there: %s)", role, role, PROFILE_SUFFIX, dir, roles);
out:
	if (fp != NULL)
		fclose(fp);
	free(roles);
	free(path);
	return rc;
}

void
profile_free(struct profile *p)
{
	if (p == NULL)
		return;
	profile_name_free(p->name);
	sk_ASN1_OBJECT_pop_free(p->eku, ASN1_OBJECT_free);
	free(p->role);
	free(p->label);
	free(p->justification);
	free(p);
}

/* ---- accessors ---- */

const char *
profile_role(const struct profile *p)
{
	return p->role;
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

unsigned
profile_key_caps(const struct profile *p)
{
	unsigned caps = 0;
	size_t i;

	for (i = 0; i < NELEM(profile_ku_table); i++)
		if (p->key_usage & profile_ku_table[i].bit)
			caps |= profile_ku_table[i].caps;
	return caps;
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

/* ---- filling the templates ---- */

int
profile_spec(const struct profile *p, const struct vars *vars,
	     struct csr_spec *out)
{
	struct csr_spec spec;
	ASN1_OBJECT *obj = NULL;
	int i, rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&spec, 0, sizeof(spec));
	if (profile_name_subject(p->name, vars, p->role, &spec.subject) < 0 ||
	    profile_name_sans(p->name, vars, p->role, &spec.san) < 0)
		goto out;
	spec.key_usage = p->key_usage;
	if ((spec.eku = sk_ASN1_OBJECT_new_null()) == NULL) {
		err_set(ERR_FAILED, "role %s: out of memory", p->role);
		goto out;
	}
	for (i = 0; i < sk_ASN1_OBJECT_num(p->eku); i++) {
		if ((obj = OBJ_dup(sk_ASN1_OBJECT_value(p->eku, i))) == NULL ||
		    !sk_ASN1_OBJECT_push(spec.eku, obj)) {
			err_set(ERR_FAILED, "role %s: out of memory", p->role);
			goto out;
		}
		obj = NULL;
	}
	*out = spec;
	memset(&spec, 0, sizeof(spec));
	rc = 0;
out:
	ASN1_OBJECT_free(obj);
	csr_spec_clear(&spec);
	return rc;
}
