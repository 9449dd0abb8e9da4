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
#include <unistd.h>

#include <ini.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "policy.h"
#include "profile.h"
#include "profile-name.h"
#include "util.h"

#define PROFILE_SUFFIX ".profile"
#define PROFILE_SET_SUFFIX ".set"
#define PROFILE_LABEL_MAX 32
#define PROFILE_MSG_MAX 512

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
	size_t nsans;
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
	if ((grown = realloc(p->sans, (p->nsans + 1) * sizeof(*grown))) == NULL) {
		free(text);
		return err_set(ERR_FAILED, "out of memory");
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

/* ---- INI files: line numbers for messages ---- */

/* What the reader and the handlers of one INI file share. inih gives its
 * handler no line number, so the reader counts lines. */
struct profile_ini {
	FILE *fp;
	const char *path;
	int line;                       /* lines handed to inih so far */
	int err_line;                   /* line of the first error, 0: none */
	bool after_key;                 /* a key = value line since [section] */
	bool continuation;              /* inih takes this line as one */
	char err[1024];                 /* as long as err.c keeps */
};

static void
profile_ini_fail(struct profile_ini *ini, const char *key, const char *msg)
{
	if (ini->err_line != 0)
		return;
	ini->err_line = ini->line;
	snprintf(ini->err, sizeof(ini->err), "%s:%d: %s: %s", ini->path,
		 ini->line, key, msg);
}

/* fgets for inih that counts lines, so the handler knows where it is, and
 * stops at an overlong line, which inih would otherwise cut in two. It
 * also spots the indented lines that inih joins to the previous key as
 * continuation lines: they would turn "  dns = b" into the value of the
 * key above. */
static char *
profile_reader(char *str, int num, void *stream)
{
	struct profile_ini *ini = stream;
	const char *start;
	size_t len;
	int c;

	if (ini->err_line != 0 || fgets(str, num, ini->fp) == NULL)
		return NULL;
	ini->line++;
	len = strlen(str);
	if (len > 0 && str[len - 1] != '\n' && len == (size_t)num - 1 &&
	    (c = getc(ini->fp)) != EOF) {
		ungetc(c, ini->fp);
		ini->err_line = ini->line;
		snprintf(ini->err, sizeof(ini->err), "%s:%d: line longer than "
			 "%d bytes", ini->path, ini->line, num - 2);
		return NULL;
	}
	for (start = str; *start != '\0' && isspace((unsigned char)*start);)
		start++;
	ini->continuation = ini->after_key && start > str && *start != '\0' &&
	    strchr(";#", *start) == NULL;
	if (*start == '[' && !ini->continuation)
		ini->after_key = false;
	return str;
}

/* Run inih over INI->fp with HANDLER and USER; the first error, wherever
 * it was found, is the one recorded. */
static int
profile_ini_run(struct profile_ini *ini, ini_handler handler, void *user)
{
	int line;

	line = ini_parse_stream(profile_reader, ini, handler, user);
	if (ferror(ini->fp))
		return err_set(ERR_FAILED, "cannot read %s: %s", ini->path,
			       strerror(errno));
	if (line > 0 && (ini->err_line == 0 || line < ini->err_line))
		return err_set(ERR_USAGE, "%s:%d: syntax error (expected "
			       "[section], key = value or a # comment)",
			       ini->path, line);
	if (ini->err_line != 0)
		return err_set(ERR_USAGE, "%s", ini->err);
	if (line < 0)
		return err_set(ERR_FAILED, "cannot parse %s", ini->path);
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

/* Refuse P when the policy finds an error in it: the first error
 * finding, and how many more there are. */
static int
profile_check_policy(const struct profile *p)
{
	struct policy_finding *f = NULL;
	size_t i, n = 0, errors = 0, first = 0;
	int rc = -1;

	if (policy_lint(p, &f, &n) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (f[i].severity == POLICY_ERROR && errors++ == 0)
			first = i;
	if (errors == 1)
		err_set(ERR_USAGE, "%s: %s: %s", p->path, f[first].id,
			f[first].message);
	else if (errors > 1)
		err_set(ERR_USAGE, "%s: %s: %s (and %zu more)", p->path,
			f[first].id, f[first].message, errors - 1);
	else
		rc = 0;
out:
	policy_findings_free(f, n);
	return rc;
}

/* Parse the open file FP, named PATH, as the profile of ROLE; with LINT,
 * refuse it on an error finding. */
static int
profile_parse_stream(FILE *fp, const char *path, const char *role, bool lint,
		     struct profile **out)
{
	struct profile_parse pp;
	struct profile *p = NULL;
	int rc = -1;

	*out = NULL;
	memset(&pp, 0, sizeof(pp));
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->eku = sk_ASN1_OBJECT_new_null()) == NULL) {
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
	if (lint && profile_check_policy(p) < 0)
		goto out;
	*out = p;
	p = NULL;
	rc = 0;
out:
	profile_free(p);
	return rc;
}

/* The name in PATH without its directory and SUFFIX, checked to be a
 * role name; KIND says what it names in messages. */
static char *
profile_name_of_path(const char *path, const char *suffix, const char *kind)
{
	const char *base = strrchr(path, '/');
	size_t len, slen = strlen(suffix);
	char *name;

	base = base != NULL ? base + 1 : path;
	len = strlen(base);
	if (len > slen && strcmp(base + len - slen, suffix) == 0)
		len -= slen;
	if (!profile_is_role_name(base, len)) {
		err_set(ERR_USAGE, "%s: '%.*s' is not a %s name (letters, "
			"digits, '_', '.' and '-')", path, (int)len, base, kind);
		return NULL;
	}
	if ((name = strndup(base, len)) == NULL)
		err_set(ERR_FAILED, "out of memory");
	return name;
}

static int
profile_open_file(const char *path, bool lint, struct profile **out)
{
	char *role = NULL;
	FILE *fp = NULL;
	int rc = -1;

	*out = NULL;
	if ((role = profile_name_of_path(path, PROFILE_SUFFIX, "role")) == NULL)
		goto out;
	if ((fp = fopen(path, "r")) == NULL) {
		err_set(ERR_USAGE, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	rc = profile_parse_stream(fp, path, role, lint, out);
out:
	if (fp != NULL)
		fclose(fp);
	free(role);
	return rc;
}

int
profile_load_file(const char *path, struct profile **out)
{
	return profile_open_file(path, true, out);
}

int
profile_parse_file(const char *path, struct profile **out)
{
	return profile_open_file(path, false, out);
}

/* ---- the profiles directory ---- */

static int
profile_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* DIR/NAME SUFFIX into a new string, or NULL (recorded). */
static char *
profile_path_of(const char *dir, const char *name, const char *suffix)
{
	size_t len = strlen(dir) + strlen(name) + strlen(suffix) + 2;
	char *path;

	if ((path = malloc(len)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		return NULL;
	}
	snprintf(path, len, "%s/%s%s", dir, name, suffix);
	return path;
}

/* The names of the files NAME SUFFIX in DIR, sorted. */
static int
profile_dir_names(const char *dir, const char *suffix, char ***out,
		  size_t *count)
{
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL, **grown;
	size_t n = 0, len, slen = strlen(suffix);
	int rc = -1;

	*out = NULL;
	*count = 0;
	if ((d = opendir(dir)) == NULL) {
		err_set(ERR_USAGE, "cannot read the profiles directory %s: %s",
			dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= slen || strcmp(de->d_name + len - slen, suffix) != 0 ||
		    !profile_is_role_name(de->d_name, len - slen))
			continue;
		if ((grown = realloc(names, (n + 1) * sizeof(*grown))) == NULL) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
		names = grown;
		if ((names[n] = strndup(de->d_name, len - slen)) == NULL) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), profile_cmp_names);
	*out = names;
	*count = n;
	names = NULL;
	n = 0;
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	profile_names_free(names, n);
	return rc;
}

int
profile_dir_list(const char *dir, char ***roles, size_t *nroles, char ***sets,
		 size_t *nsets)
{
	*sets = NULL;
	*nsets = 0;
	if (profile_dir_names(dir, PROFILE_SUFFIX, roles, nroles) < 0)
		return -1;
	if (profile_dir_names(dir, PROFILE_SET_SUFFIX, sets, nsets) < 0) {
		profile_names_free(*roles, *nroles);
		*roles = NULL;
		*nroles = 0;
		return -1;
	}
	return 0;
}

void
profile_names_free(char **names, size_t count)
{
	size_t i;

	for (i = 0; names != NULL && i < count; i++)
		free(names[i]);
	free(names);
}

/* Append the N NAMES to BUF (of SIZE, holding a string) joined by ", ". */
static void
profile_join(char *buf, size_t size, char **names, size_t n)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", i > 0 ? ", " : "",
			 names[i]);
	}
}

/* Record that NAME is unknown in DIR: WHAT it was to be, LOOKED_FOR the
 * files that are missing. */
static int
profile_unknown(const char *dir, const char *name, const char *what,
		const char *looked_for)
{
	char **roles = NULL, **sets = NULL;
	size_t nroles = 0, nsets = 0;
	char there[768] = "";

	if (profile_dir_list(dir, &roles, &nroles, &sets, &nsets) < 0)
		return err_set(ERR_USAGE, "unknown %s '%s' (no %s in %s, which "
			       "cannot be read: %s)", what, name, looked_for,
			       dir, strerror(errno));
	if (nroles + nsets == 0)
		snprintf(there, sizeof(there), "which holds no profiles");
	if (nroles > 0) {
		snprintf(there, sizeof(there), "roles there: ");
		profile_join(there, sizeof(there), roles, nroles);
	}
	if (nsets > 0) {
		snprintf(there + strlen(there), sizeof(there) - strlen(there),
			 "%ssets there: ", nroles > 0 ? "; " : "");
		profile_join(there, sizeof(there), sets, nsets);
	}
	profile_names_free(roles, nroles);
	profile_names_free(sets, nsets);
	return err_set(ERR_USAGE, "unknown %s '%s' (no %s in %s%s %s)", what,
		       name, looked_for, dir, nroles + nsets == 0 ? "," : ";",
		       there);
}

static int
profile_check_name(const char *name)
{
	if (!profile_is_role_name(name, strlen(name)))
		return err_set(ERR_USAGE, "bad role name '%s' (letters, digits, "
			       "'_', '.' and '-', starting with a letter or "
			       "digit)", name);
	return 0;
}

/* Whether DIR/NAME SUFFIX exists; -1 when that cannot be told. */
static int
profile_exists(const char *dir, const char *name, const char *suffix)
{
	char *path;
	int rc;

	if ((path = profile_path_of(dir, name, suffix)) == NULL)
		return -1;
	if (access(path, F_OK) == 0)
		rc = 1;
	else if (errno == ENOENT)
		rc = 0;
	else
		rc = err_set(ERR_USAGE, "cannot look at %s: %s", path,
			     strerror(errno));
	free(path);
	return rc;
}

static int
profile_open(const char *dir, const char *role, bool lint,
	     struct profile **out)
{
	char *path = NULL, looked_for[PROFILE_MSG_MAX];
	FILE *fp = NULL;
	int rc = -1;

	*out = NULL;
	if (profile_check_name(role) < 0 ||
	    (path = profile_path_of(dir, role, PROFILE_SUFFIX)) == NULL)
		goto out;
	if ((fp = fopen(path, "r")) != NULL) {
		rc = profile_parse_stream(fp, path, role, lint, out);
		goto out;
	}
	if (errno != ENOENT) {
		err_set(ERR_USAGE, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (profile_exists(dir, role, PROFILE_SET_SUFFIX) == 1) {
		err_set(ERR_USAGE, "'%s' is a role set (%s%s in %s), not a "
			"role; name one of its roles", role, role,
			PROFILE_SET_SUFFIX, dir);
		goto out;
	}
	snprintf(looked_for, sizeof(looked_for), "%s%s", role, PROFILE_SUFFIX);
	profile_unknown(dir, role, "role", looked_for);
out:
	if (fp != NULL)
		fclose(fp);
	free(path);
	return rc;
}

int
profile_load(const char *dir, const char *role, struct profile **out)
{
	return profile_open(dir, role, true, out);
}

int
profile_parse(const char *dir, const char *role, struct profile **out)
{
	return profile_open(dir, role, false, out);
}

int
profile_find(const char *dir, const char *name, enum profile_kind *out)
{
	char looked_for[PROFILE_MSG_MAX];
	int role, set;

	if (profile_check_name(name) < 0 ||
	    (role = profile_exists(dir, name, PROFILE_SUFFIX)) < 0 ||
	    (set = profile_exists(dir, name, PROFILE_SET_SUFFIX)) < 0)
		return -1;
	if (role && set)
		return err_set(ERR_USAGE, "'%s' is both a role (%s%s) and a role "
			       "set (%s%s) in %s; rename one", name, name,
			       PROFILE_SUFFIX, name, PROFILE_SET_SUFFIX, dir);
	if (!role && !set) {
		snprintf(looked_for, sizeof(looked_for), "%s%s or %s%s", name,
			 PROFILE_SUFFIX, name, PROFILE_SET_SUFFIX);
		return profile_unknown(dir, name, "role", looked_for);
	}
	*out = role ? PROFILE_KIND_ROLE : PROFILE_KIND_SET;
	return 0;
}

/* ---- role sets ---- */

struct profile_set_parse {
	struct profile_ini ini;
	char *dir;                      /* where the set's roles are */
	char **roles;
	size_t count;
	bool seen;
};

/* Add the role NAME of the set, a message in MSG when it cannot be. */
static bool
profile_set_add(struct profile_set_parse *sp, const char *name, char *msg,
		size_t size)
{
	char **grown;
	size_t i;
	int exists;

	if (!profile_is_role_name(name, strlen(name))) {
		snprintf(msg, size, "'%s' is not a role name (letters, digits, "
			 "'_', '.' and '-')", name);
		return false;
	}
	for (i = 0; i < sp->count; i++) {
		if (strcmp(sp->roles[i], name) == 0) {
			snprintf(msg, size, "'%s' is listed twice", name);
			return false;
		}
	}
	if ((exists = profile_exists(sp->dir, name, PROFILE_SUFFIX)) == 0 &&
	    (exists = profile_exists(sp->dir, name, PROFILE_SET_SUFFIX)) == 1) {
		snprintf(msg, size, "'%s' is a role set; sets do not nest",
			 name);
		return false;
	}
	if (exists == 0) {
		snprintf(msg, size, "no %s%s in %s", name, PROFILE_SUFFIX,
			 sp->dir);
		return false;
	}
	if (exists < 0) {
		snprintf(msg, size, "%s", err_message());
		return false;
	}
	if ((grown = realloc(sp->roles, (sp->count + 1) * sizeof(*grown))) ==
	    NULL) {
		snprintf(msg, size, "out of memory");
		return false;
	}
	sp->roles = grown;
	if ((sp->roles[sp->count] = strdup(name)) == NULL) {
		snprintf(msg, size, "out of memory");
		return false;
	}
	sp->count++;
	return true;
}

static int
profile_set_handler(void *user, const char *section, const char *name,
		    const char *value)
{
	struct profile_set_parse *sp = user;
	char msg[PROFILE_MSG_MAX], *copy = NULL, *rest, *role;
	bool ok = false;

	sp->ini.after_key = true;
	if (sp->ini.continuation)
		snprintf(msg, sizeof(msg), "indented line would continue the "
			 "value above; continuation lines are not allowed");
	else if (*section == '\0')
		snprintf(msg, sizeof(msg), "not in a section ([set])");
	else if (strcmp(section, "set") != 0)
		snprintf(msg, sizeof(msg), "unknown section [%s] (use [set])",
			 section);
	else if (strcmp(name, "roles") != 0)
		snprintf(msg, sizeof(msg), "unknown key in [set]");
	else if (sp->seen)
		snprintf(msg, sizeof(msg), "given more than once");
	else if ((copy = strdup(value)) == NULL)
		snprintf(msg, sizeof(msg), "out of memory");
	else {
		ok = true;
		for (rest = copy; ok && (role = strsep(&rest, " \t")) != NULL;)
			if (*role != '\0')
				ok = profile_set_add(sp, role, msg, sizeof(msg));
		if (ok && sp->count == 0) {
			snprintf(msg, sizeof(msg), "no value");
			ok = false;
		}
		sp->seen = true;
	}
	free(copy);
	if (ok)
		return 1;
	profile_ini_fail(&sp->ini, name, msg);
	return 0;
}

int
profile_set_load_file(const char *path, char ***roles, size_t *count)
{
	struct profile_set_parse sp;
	const char *slash = strrchr(path, '/');
	char *name = NULL;
	int rc = -1;

	*roles = NULL;
	*count = 0;
	memset(&sp, 0, sizeof(sp));
	sp.ini.path = path;
	if ((name = profile_name_of_path(path, PROFILE_SET_SUFFIX,
					 "role set")) == NULL)
		goto out;
	sp.dir = slash == NULL ? strdup(".") :
	    strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (sp.dir == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if ((sp.ini.fp = fopen(path, "r")) == NULL) {
		err_set(ERR_USAGE, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (profile_ini_run(&sp.ini, profile_set_handler, &sp) < 0)
		goto out;
	if (!sp.seen) {
		err_set(ERR_USAGE, "%s: [set] roles is required", path);
		goto out;
	}
	*roles = sp.roles;
	*count = sp.count;
	sp.roles = NULL;
	sp.count = 0;
	rc = 0;
out:
	if (sp.ini.fp != NULL)
		fclose(sp.ini.fp);
	profile_names_free(sp.roles, sp.count);
	free(sp.dir);
	free(name);
	return rc;
}

int
profile_set_load(const char *dir, const char *name, char ***roles,
		 size_t *count)
{
	char *path = NULL;
	int rc = -1;

	*roles = NULL;
	*count = 0;
	if (profile_check_name(name) < 0 ||
	    (path = profile_path_of(dir, name, PROFILE_SET_SUFFIX)) == NULL)
		goto out;
	rc = profile_set_load_file(path, roles, count);
out:
	free(path);
	return rc;
}

/* The expansion so far: each role with the set it came through. */
struct profile_expansion {
	char **roles;
	const char **via;               /* borrowed set names, NULL: direct */
	size_t count;
};

/* Add ROLE, named through set VIA (or directly when NULL). */
static int
profile_expansion_add(struct profile_expansion *e, const char *role,
		      const char *via)
{
	const char *before;
	char **roles;
	const char **sets;
	size_t i;

	for (i = 0; i < e->count; i++) {
		if (strcmp(e->roles[i], role) != 0)
			continue;
		before = e->via[i];
		if (before == NULL && via == NULL)
			return err_set(ERR_USAGE, "role %s is named twice", role);
		if (before == NULL || via == NULL)
			return err_set(ERR_USAGE, "role %s is named twice (once "
				       "through set %s)", role,
				       before != NULL ? before : via);
		return err_set(ERR_USAGE, "role %s is named twice (through set "
			       "%s and through set %s)", role, before, via);
	}
	if ((roles = realloc(e->roles, (e->count + 1) * sizeof(*roles))) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	e->roles = roles;
	if ((sets = realloc(e->via, (e->count + 1) * sizeof(*sets))) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	e->via = sets;
	if ((e->roles[e->count] = strdup(role)) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	e->via[e->count] = via;
	e->count++;
	return 0;
}

int
profile_expand_roles(const char *dir, char **names, size_t n, char ***out,
		     size_t *count)
{
	struct profile_expansion e = { NULL, NULL, 0 };
	enum profile_kind kind;
	char **set = NULL;
	size_t i, j, nset = 0;
	int rc = -1;

	*out = NULL;
	*count = 0;
	for (i = 0; i < n; i++) {
		if (profile_find(dir, names[i], &kind) < 0)
			goto out;
		if (kind == PROFILE_KIND_ROLE) {
			if (profile_expansion_add(&e, names[i], NULL) < 0)
				goto out;
			continue;
		}
		if (profile_set_load(dir, names[i], &set, &nset) < 0)
			goto out;
		for (j = 0; j < nset; j++)
			if (profile_expansion_add(&e, set[j], names[i]) < 0)
				goto out;
		profile_names_free(set, nset);
		set = NULL;
		nset = 0;
	}
	*out = e.roles;
	*count = e.count;
	e.roles = NULL;
	e.count = 0;
	rc = 0;
out:
	profile_names_free(set, nset);
	profile_names_free(e.roles, e.count);
	free(e.via);
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

const char *
profile_key_usage_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < NELEM(profile_ku_table); i++)
		if (profile_ku_table[i].bit == bit)
			return profile_ku_table[i].name;
	return NULL;
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
