/* profile.c - role profiles (INI) and the variables their templates use.
 *
 * Everything a profile says is checked when it is loaded: names of
 * algorithms, key usages, EKUs and subject attributes, and the syntax of
 * every template. Filling the templates (profile_spec) can then only fail
 * on the values of variables.
 *
 * The subject is split into its attributes at load time, before any
 * variable is known, so a value such as "x, O=Evil" stays the data of one
 * attribute and never becomes a second one. As in RFC 4514, the subject
 * is written most specific attribute first ("CN=x, O=y"), the reverse of
 * the order of the DER sequence.
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
#include "util.h"

#define PROFILE_SUFFIX ".profile"
#define PROFILE_LABEL_MAX 32
#define PROFILE_MSG_MAX 512

/* The Microsoft User Principal Name otherName. */
#define PROFILE_UPN_OID "1.3.6.1.4.1.311.20.2.3"

/* A template is a list of parts: literal text or the name of a variable. */
struct tpl_part {
	bool is_var;
	char *text;
};

struct tpl {
	struct tpl_part *parts;
	size_t nparts;
};

struct profile_rdn {
	int nid;
	struct tpl value;
};

enum profile_san_kind { SAN_DNS, SAN_IP, SAN_EMAIL, SAN_UPN, SAN_URI };

struct profile_san {
	enum profile_san_kind kind;
	struct tpl value;
};

struct profile {
	char *role;
	char *label;
	char *justification;
	enum key_alg alg;
	unsigned char id[KEYGEN_ID_MAX];
	size_t id_len;
	struct profile_rdn *rdns;       /* in the order written (RFC 4514) */
	size_t nrdns;
	struct profile_san *sans;
	size_t nsans;
	unsigned key_usage;
	STACK_OF(ASN1_OBJECT) *eku;
	int max_lifetime_days;
	bool allow_subject_change;
	bool allow_mixed_roles;
};

struct vars_entry {
	char *name;
	char *value;
};

struct vars {
	struct vars_entry *entries;
	size_t count;
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

/* Indexed by enum profile_san_kind: the key's name and the GENERAL_NAME
 * type that an IA5String value goes into (0 for the other two). */
static const struct {
	const char *name;
	int ia5_type;
} profile_san_table[] = {
	[SAN_DNS] = { "dns", GEN_DNS },
	[SAN_IP] = { "ip", 0 },
	[SAN_EMAIL] = { "email", GEN_EMAIL },
	[SAN_UPN] = { "upn", 0 },
	[SAN_URI] = { "uri", GEN_URI },
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
profile_is_var_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (i = 1; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

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

/* ---- variables ---- */

struct vars *
vars_new(void)
{
	struct vars *v = calloc(1, sizeof(*v));

	if (v == NULL)
		err_set(ERR_FAILED, "out of memory");
	return v;
}

void
vars_free(struct vars *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->count; i++) {
		free(v->entries[i].name);
		free(v->entries[i].value);
	}
	free(v->entries);
	free(v);
}

int
vars_set(struct vars *v, const char *assignment)
{
	const char *eq = strchr(assignment, '=');
	struct vars_entry *grown;
	char *name = NULL, *value = NULL;
	size_t i;
	int rc = -1;

	if (eq == NULL) {
		err_set(ERR_USAGE, "bad variable assignment '%s' (expected "
			"NAME=VALUE)", assignment);
		goto out;
	}
	if (!profile_is_var_name(assignment, (size_t)(eq - assignment))) {
		err_set(ERR_USAGE, "bad variable name '%.*s' (letters, digits "
			"and '_', not starting with a digit)",
			(int)(eq - assignment), assignment);
		goto out;
	}
	if ((name = strndup(assignment, (size_t)(eq - assignment))) == NULL ||
	    (value = strdup(eq + 1)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < v->count; i++) {
		if (strcmp(v->entries[i].name, name) == 0) {
			free(v->entries[i].value);
			v->entries[i].value = value;
			value = NULL;
			rc = 0;
			goto out;
		}
	}
	grown = realloc(v->entries, (v->count + 1) * sizeof(*grown));
	if (grown == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	v->entries = grown;
	v->entries[v->count].name = name;
	v->entries[v->count].value = value;
	v->count++;
	name = value = NULL;
	rc = 0;
out:
	free(name);
	free(value);
	return rc;
}

const char *
vars_get(const struct vars *v, const char *name)
{
	size_t i;

	for (i = 0; v != NULL && i < v->count; i++)
		if (strcmp(v->entries[i].name, name) == 0)
			return v->entries[i].value;
	return NULL;
}

/* ---- templates ---- */

static void
tpl_clear(struct tpl *t)
{
	size_t i;

	for (i = 0; i < t->nparts; i++)
		free(t->parts[i].text);
	free(t->parts);
	t->parts = NULL;
	t->nparts = 0;
}

static int
tpl_add(struct tpl *t, bool is_var, const char *text, size_t len)
{
	struct tpl_part *grown;
	char *copy;

	if ((copy = strndup(text, len)) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	grown = realloc(t->parts, (t->nparts + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(copy);
		return err_set(ERR_FAILED, "out of memory");
	}
	t->parts = grown;
	t->parts[t->nparts].is_var = is_var;
	t->parts[t->nparts].text = copy;
	t->nparts++;
	return 0;
}

/* The byte an RFC 4514 escape at S (just after the backslash) stands for;
 * *USED is how many characters it took. -1 for a bad escape. */
static int
tpl_unescape(const char *s, size_t *used)
{
	int hi, lo;

	if (*s != '\0' && strchr(",=+\\\"<>;# ", *s) != NULL) {
		*used = 1;
		return (unsigned char)*s;
	}
	hi = OPENSSL_hexchar2int((unsigned char)s[0]);
	lo = hi < 0 ? -1 : OPENSSL_hexchar2int((unsigned char)s[1]);
	if (lo < 0 || (hi | lo) == 0)   /* \00 would cut the value short */
		return -1;
	*used = 2;
	return hi << 4 | lo;
}

/* Parse LEN bytes at S into OUT: ${name} is a variable, $$ a literal '$';
 * with DN_ESCAPES, RFC 4514 backslash escapes are taken out and an
 * unescaped '+' (a multi-valued RDN) is refused. */
static int
tpl_parse(const char *s, size_t len, bool dn_escapes, struct tpl *out)
{
	struct tpl t = { NULL, 0 };
	char *lit = NULL;
	size_t i = 0, n = 0, used, name_len;
	const char *brace;
	int c, rc = -1;

	if ((lit = malloc(len + 1)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	while (i < len) {
		if (dn_escapes && s[i] == '\\') {
			c = i + 1 < len ? tpl_unescape(s + i + 1, &used) : -1;
			if (c < 0 || i + 1 + used > len) {
				err_set(ERR_USAGE, "bad escape '\\%.1s' (escape , = + \\ "
					"\" < > ; # and space, or use \\XX)", s + i + 1);
				goto out;
			}
			lit[n++] = (char)c;
			i += 1 + used;
		} else if (dn_escapes && s[i] == '+') {
			err_set(ERR_USAGE, "multi-valued RDNs are not supported "
				"(write a literal '+' as \\+)");
			goto out;
		} else if (s[i] == '$' && i + 1 < len && s[i + 1] == '$') {
			lit[n++] = '$';
			i += 2;
		} else if (s[i] == '$' && i + 1 < len && s[i + 1] == '{') {
			brace = memchr(s + i + 2, '}', len - i - 2);
			if (brace == NULL) {
				err_set(ERR_USAGE, "unterminated ${");
				goto out;
			}
			name_len = (size_t)(brace - (s + i + 2));
			if (!profile_is_var_name(s + i + 2, name_len)) {
				err_set(ERR_USAGE, "bad variable name '%.*s' (letters, "
					"digits and '_', not starting with a digit)",
					(int)name_len, s + i + 2);
				goto out;
			}
			if ((n > 0 && tpl_add(&t, false, lit, n) < 0) ||
			    tpl_add(&t, true, s + i + 2, name_len) < 0)
				goto out;
			n = 0;
			i += name_len + 3;
		} else if (s[i] == '$') {
			err_set(ERR_USAGE, "'$' must start ${name} or be doubled "
				"($$ for a literal '$')");
			goto out;
		} else {
			lit[n++] = s[i++];
		}
	}
	if (n > 0 && tpl_add(&t, false, lit, n) < 0)
		goto out;
	if (t.nparts == 0) {
		err_set(ERR_USAGE, "empty value");
		goto out;
	}
	*out = t;
	t.parts = NULL;
	t.nparts = 0;
	rc = 0;
out:
	tpl_clear(&t);
	free(lit);
	return rc;
}

/* Fill T with VARS; ROLE is for messages. */
static int
tpl_expand(const struct tpl *t, const struct vars *vars, const char *role,
	   char **out)
{
	const char *empty_var = NULL, *val;
	char *buf = NULL;
	size_t i, len = 0, total = 0;
	int rc = -1;

	*out = NULL;
	for (i = 0; i < t->nparts; i++) {
		if (!t->parts[i].is_var) {
			total += strlen(t->parts[i].text);
			continue;
		}
		if ((val = vars_get(vars, t->parts[i].text)) == NULL) {
			err_set(ERR_USAGE, "role %s needs variable %s (set it with "
				"--set %s=VALUE)", role, t->parts[i].text,
				t->parts[i].text);
			goto out;
		}
		if (*val == '\0' && empty_var == NULL)
			empty_var = t->parts[i].text;
		total += strlen(val);
	}
	if (total == 0) {
		err_set(ERR_USAGE, "role %s: variable %s is empty", role,
			empty_var != NULL ? empty_var : "(none)");
		goto out;
	}
	if ((buf = malloc(total + 1)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < t->nparts; i++) {
		val = t->parts[i].is_var ? vars_get(vars, t->parts[i].text) :
		    t->parts[i].text;
		memcpy(buf + len, val, strlen(val));
		len += strlen(val);
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}

/* ---- setters: one per profile key; errors are ERR_USAGE sentences ---- */

/* Whether the character at S[I] is escaped by an odd run of backslashes. */
static bool
profile_escaped(const char *s, size_t i)
{
	size_t n = 0;

	while (i > n && s[i - n - 1] == '\\')
		n++;
	return n % 2 == 1;
}

/* One "TYPE=VALUE" attribute of the subject, LEN bytes at S. */
static int
profile_add_rdn(struct profile *p, const char *s, size_t len)
{
	struct profile_rdn *grown, rdn = { NID_undef, { NULL, 0 } };
	const char *eq = NULL, *vstart, *vend;
	char type[64];
	size_t i, tlen;

	for (i = 0; i < len && eq == NULL; i++)
		if (s[i] == '=' && !profile_escaped(s, i))
			eq = s + i;
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	if (eq == NULL)
		return err_set(ERR_USAGE, "'%.*s' is not TYPE=VALUE", (int)len, s);
	tlen = (size_t)(eq - s);
	while (tlen > 0 && isspace((unsigned char)s[tlen - 1]))
		tlen--;
	if (tlen == 0)
		return err_set(ERR_USAGE, "'%.*s' has no attribute type",
			       (int)len, s);
	snprintf(type, sizeof(type), "%.*s", (int)tlen, s);
	if (tlen >= sizeof(type) || (rdn.nid = OBJ_txt2nid(type)) == NID_undef)
		return err_set(ERR_USAGE, "unknown subject attribute '%.*s' (use "
			       "a name OpenSSL knows: CN, O, OU, C, L, ST, ...)",
			       (int)tlen, s);
	vstart = eq + 1;
	vend = s + len;
	while (vstart < vend && isspace((unsigned char)*vstart))
		vstart++;
	while (vend > vstart && isspace((unsigned char)vend[-1]) &&
	    !profile_escaped(s, (size_t)(vend - 1 - s)))
		vend--;
	if (tpl_parse(vstart, (size_t)(vend - vstart), true, &rdn.value) < 0)
		return err_prefix("%s", type);
	grown = realloc(p->rdns, (p->nrdns + 1) * sizeof(*grown));
	if (grown == NULL) {
		tpl_clear(&rdn.value);
		return err_set(ERR_FAILED, "out of memory");
	}
	p->rdns = grown;
	p->rdns[p->nrdns++] = rdn;
	return 0;
}

static int
profile_set_subject(struct profile *p, const char *value)
{
	size_t i, start = 0, len = strlen(value);

	for (i = 0; i <= len; i++) {
		if (i < len && (value[i] != ',' || profile_escaped(value, i)))
			continue;
		if (profile_add_rdn(p, value + start, i - start) < 0)
			return -1;
		start = i + 1;
	}
	return 0;
}

static int
profile_add_san(struct profile *p, enum profile_san_kind kind, const char *value)
{
	struct profile_san *grown, san = { kind, { NULL, 0 } };

	if (tpl_parse(value, strlen(value), false, &san.value) < 0)
		return -1;
	grown = realloc(p->sans, (p->nsans + 1) * sizeof(*grown));
	if (grown == NULL) {
		tpl_clear(&san.value);
		return err_set(ERR_FAILED, "out of memory");
	}
	p->sans = grown;
	p->sans[p->nsans++] = san;
	return 0;
}

static int profile_set_dns(struct profile *p, const char *v) { return profile_add_san(p, SAN_DNS, v); }
static int profile_set_ip(struct profile *p, const char *v) { return profile_add_san(p, SAN_IP, v); }
static int profile_set_email(struct profile *p, const char *v) { return profile_add_san(p, SAN_EMAIL, v); }
static int profile_set_upn(struct profile *p, const char *v) { return profile_add_san(p, SAN_UPN, v); }
static int profile_set_uri(struct profile *p, const char *v) { return profile_add_san(p, SAN_URI, v); }

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
	if ((p->role = util_strdup(role)) == NULL)
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
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nrdns; i++)
		tpl_clear(&p->rdns[i].value);
	free(p->rdns);
	for (i = 0; i < p->nsans; i++)
		tpl_clear(&p->sans[i].value);
	free(p->sans);
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

/* OpenSSL's reason for the last failure, for a message. */
static const char *
profile_ossl_reason(void)
{
	const char *reason = ERR_reason_error_string(ERR_peek_last_error());

	return reason != NULL ? reason : "rejected by OpenSSL";
}

static int
profile_build_subject(const struct profile *p, const struct vars *vars,
		      X509_NAME **out)
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
	for (i = p->nrdns; i-- > 0;) {
		if (tpl_expand(&p->rdns[i].value, vars, p->role, &value) < 0)
			goto out;
		if (!X509_NAME_add_entry_by_NID(name, p->rdns[i].nid,
		    MBSTRING_UTF8, (unsigned char *)value, -1, -1, 0)) {
			err_set(ERR_USAGE, "role %s: subject %s '%s' is not "
				"allowed: %s", p->role, OBJ_nid2sn(p->rdns[i].nid),
				value, profile_ossl_reason());
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
profile_is_ia5_name(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

static int
profile_build_san(const struct profile *p, const struct profile_san *san,
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
	case SAN_IP:
		if ((ip = a2i_IPADDRESS(value)) == NULL) {
			err_set(ERR_USAGE, "role %s: ip SAN '%s' is not an IPv4 "
				"or IPv6 address", p->role, value);
			goto out;
		}
		if ((gen = GENERAL_NAME_new()) == NULL)
			break;
		GENERAL_NAME_set0_value(gen, GEN_IPADD, ip);
		ip = NULL;
		break;
	case SAN_UPN:
		if (ASN1_mbstring_copy(&utf8, (const unsigned char *)value, -1,
		    MBSTRING_UTF8, B_ASN1_UTF8STRING) < 0) {
			err_set(ERR_USAGE, "role %s: upn SAN '%s' is not UTF-8",
				p->role, value);
			goto out;
		}
		if ((gen = GENERAL_NAME_new()) == NULL ||
		    (any = ASN1_TYPE_new()) == NULL ||
		    (oid = OBJ_txt2obj(PROFILE_UPN_OID, 1)) == NULL)
			break;
		ASN1_TYPE_set(any, V_ASN1_UTF8STRING, utf8);
		utf8 = NULL;
		if (!GENERAL_NAME_set0_othername(gen, oid, any))
			break;
		oid = NULL;
		any = NULL;
		break;
	default:
		if (!profile_is_ia5_name(value)) {
			err_set(ERR_USAGE, "role %s: %s SAN '%s' may hold only "
				"printable ASCII without spaces", p->role,
				profile_san_table[san->kind].name, value);
			goto out;
		}
		if ((gen = GENERAL_NAME_new()) == NULL ||
		    (ia5 = ASN1_IA5STRING_new()) == NULL ||
		    !ASN1_STRING_set(ia5, value, -1))
			break;
		GENERAL_NAME_set0_value(gen, profile_san_table[san->kind].ia5_type, ia5);
		ia5 = NULL;
		break;
	}
	if (gen == NULL || ip != NULL || oid != NULL || any != NULL ||
	    ia5 != NULL) {
		err_set(ERR_FAILED, "role %s: %s SAN: out of memory", p->role,
			profile_san_table[san->kind].name);
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

static int
profile_build_sans(const struct profile *p, const struct vars *vars,
		   GENERAL_NAMES **out)
{
	GENERAL_NAMES *names = NULL;
	GENERAL_NAME *gen = NULL;
	char *value = NULL;
	size_t i;
	int rc = -1;

	*out = NULL;
	if (p->nsans == 0)
		return 0;
	if ((names = sk_GENERAL_NAME_new_null()) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < p->nsans; i++) {
		if (tpl_expand(&p->sans[i].value, vars, p->role, &value) < 0 ||
		    profile_build_san(p, &p->sans[i], value, &gen) < 0)
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

int
profile_spec(const struct profile *p, const struct vars *vars,
	     struct csr_spec *out)
{
	struct csr_spec spec;
	ASN1_OBJECT *obj = NULL;
	int i, rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&spec, 0, sizeof(spec));
	if (profile_build_subject(p, vars, &spec.subject) < 0 ||
	    profile_build_sans(p, vars, &spec.san) < 0)
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
