/* SPDX-License-Identifier: MIT */
/* cmd-status.c - status [ROLE...] [--expiring DAYS] [--no-login]
 * [--repair [--yes]]: what is on the token, role by role, and every
 * policy finding. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "audit.h"
#include "certstore.h"
#include "chainstore.h"
#include "cmd-status.h"
#include "cmd.h"
#include "err.h"
#include "keymech.h"
#include "keyusage.h"
#include "keysupport.h"
#include "profile.h"
#include "rolerecord.h"
#include "rolestate.h"
#include "text.h"
#include "token-uri.h"
#include "util.h"
#include "waitstore.h"

#define STATUS_DEFAULT_EXPIRING 30

enum { OPT_EXPIRING = 1600, OPT_REPAIR, OPT_YES, OPT_NO_LOGIN, OPT_ALL_TOKENS,
       OPT_HTML };

/* What a run without a login does not judge: the findings that need the
 * private objects, and the records. */
static const char *const status_need_login[] = {
	"key-duplicate", "key-extractable", "key-not-sensitive",
	"key-exceeds-usage", "key-unnarrowed", "key-exceeds-role",
	"cert-without-key", "key-pending", "key-awaiting", "key-retired",
	"key-orphan", "enrollment records", "state files without a key",
};

/* The rows status shows, and what their JSON names beyond them. */
struct status_view {
	const struct audit_row *rows;
	size_t n;
	bool *shown;            /* owned: per row, whether it is one of the
				 * roles named (every row when none is) */
	json_t **records;       /* owned: per row, its enrollment record as
				 * JSON, or NULL */
	time_t now;
	const struct waitstore_survey *w;
	bool logged_out;
	const struct token_info *info;  /* the token the URIs name */
	STACK_OF(X509) *authorities;    /* owned: the CA certificates on the
					 * token, that chains are built from */
};

static const struct option status_long[] = {
	{ "expiring", required_argument, NULL, OPT_EXPIRING },
	{ "no-login", no_argument, NULL, OPT_NO_LOGIN },
	{ "repair", no_argument, NULL, OPT_REPAIR },
	{ "yes", no_argument, NULL, OPT_YES },
	{ "all-tokens", no_argument, NULL, OPT_ALL_TOKENS },
	{ "html", required_argument, NULL, OPT_HTML },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_status_option(void *ctx, int opt, const char *arg)
{
	struct status_opts *o = ctx;
	char *end = NULL;
	long v;

	switch (opt) {
	case OPT_EXPIRING:
		v = strtol(arg, &end, 10);
		if (end == arg || *end != '\0' || v < 0 || v > 36500)
			return cmd_usage_error(o->g, "--expiring takes days from 0 "
					       "to 36500, not '%s'", arg);
		o->expiring = (int)v;
		o->expiring_given = true;
		return 0;
	case OPT_NO_LOGIN: o->no_login = true; return 0;
	case OPT_REPAIR: o->repair = true; return 0;
	case OPT_ALL_TOKENS: o->all_tokens = true; return 0;
	case OPT_HTML: o->html = arg; return 0;
	case 'y':
	case OPT_YES: o->yes = true; return 0;
	default: return cmd_usage_error(o->g, "unknown option");
	}
}

/* As profiles name algorithms: "ec-p256", "rsa-2048"; "none". */
static void
cmd_status_key(const struct inventory_entry *e, char *buf, size_t size)
{
	if (!e->has_private && !e->has_public && e->key == NULL)
		snprintf(buf, size, "none");
	else if (e->key_type == CKK_EC)
		snprintf(buf, size, "ec-p%lu", e->key_bits);
	else if (e->key_type == CKK_RSA)
		snprintf(buf, size, "rsa-%lu", e->key_bits);
	else
		snprintf(buf, size, "type-0x%lx", (unsigned long)e->key_type);
}

/* Capabilities (enum key_cap bits) by name. */
static json_t *
cmd_status_caps(unsigned caps)
{
	json_t *list = json_array();
	const char *name;
	size_t i;

	for (i = 0; list != NULL && (name = keyalg_cap_nth(caps, i)) != NULL; i++)
		json_array_append_new(list, json_string(name));
	return list;
}

/* How the audit's probe answered whether the key signs; NULL: no probe. */
static const char *
cmd_status_probe_word(enum audit_sign_probe p)
{
	static const char *const words[] = {
		[AUDIT_PROBE_NONE] = NULL,
		[AUDIT_PROBE_REFUSED] = "refused",
		[AUDIT_PROBE_SIGNS] = "signs",
	};

	return words[p];
}

/* The private key's CKA_ALLOWED_MECHANISMS by name ("CKM_ECDSA", or
 * "0x..." for one keymech.h does not name); null without a list. */
static json_t *
cmd_status_mechs(const struct inventory_entry *e)
{
	json_t *list = e->nmechs > 0 ? json_array() : json_null();
	const char *name;
	char hex[32];
	size_t i;

	for (i = 0; list != NULL && i < e->nmechs; i++) {
		if ((name = keymech_name(e->mechs[i])) == NULL) {
			snprintf(hex, sizeof(hex), "0x%lx", (unsigned long)e->mechs[i]);
			name = hex;
		}
		json_array_append_new(list, json_string(name));
	}
	return list;
}

static json_t *
cmd_status_json_key(const struct audit_row *row)
{
	const struct inventory_entry *e = row->entry;
	char alg[32];

	if (!e->has_private && !e->has_public)
		return json_null();
	cmd_status_key(e, alg, sizeof(alg));
	return json_pack("{s:s, s:I, s:b, s:o, s:o, s:s?, s:b, s:b, s:o}", "algorithm",
			 alg, "bits", (json_int_t)e->key_bits, "private", e->has_private,
			 "capabilities", cmd_status_caps(e->key_caps),
			 "rights", cmd_status_caps(row->rights),
			 "sign_probe", cmd_status_probe_word(row->sign_probe),
			 "extractable", e->extractable, "sensitive", e->sensitive,
			 "allowed_mechanisms", cmd_status_mechs(e));
}

/* Set "sans" of DOC to the SANs of CERT as "DNS:name" strings. */
static int
cmd_status_set_sans(json_t *doc, X509 *cert)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	STACK_OF(CONF_VALUE) *vals = gens ? i2v_GENERAL_NAMES(NULL, gens, NULL) : NULL;
	int i, n = vals != NULL ? sk_CONF_VALUE_num(vals) : 0, rc = -1;
	char **names = calloc(n > 0 ? (size_t)n : 1, sizeof(*names));

	for (i = 0; names != NULL && i < n; i++) {
		CONF_VALUE *v = sk_CONF_VALUE_value(vals, i);

		if (asprintf(&names[i], "%s:%s", v->name, v->value ? v->value : "") < 0) {
			names[i] = NULL;
			goto out;
		}
	}
	if (names != NULL)
		rc = cmd_json_set_texts(doc, "sans", names, (size_t)n);
out:
	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
	sk_CONF_VALUE_pop_free(vals, X509V3_conf_free);
	GENERAL_NAMES_free(gens);
	return rc;
}

/* The key usage bits of CERT by name. */
static json_t *
cmd_status_ku(X509 *cert)
{
	const char *names[KEYUSAGE_COUNT];
	json_t *list = json_array();
	size_t i, n = 0;

	if (X509_get_extension_flags(cert) & EXFLAG_KUSAGE)
		n = keyusage_names(X509_get_key_usage(cert), names);
	for (i = 0; list != NULL && i < n; i++)
		json_array_append_new(list, json_string(names[i]));
	return list;
}

static json_t *
cmd_status_json_cert(const struct inventory_cert *c, time_t now)
{
	char not_before[32], not_after[32];
	char *subject = cmd_name_string(X509_get_subject_name(c->cert));
	char *issuer = cmd_name_string(X509_get_issuer_name(c->cert));
	char *sha256 = NULL, *serial = NULL;
	int days = 0, secs = 0;
	ASN1_TIME *at_now = ASN1_TIME_set(NULL, now);
	json_t *doc;

	certstore_cert_ids(c->cert, &sha256, &serial);
	certstore_time_string(X509_get0_notBefore(c->cert), not_before, sizeof(not_before));
	certstore_time_string(X509_get0_notAfter(c->cert), not_after, sizeof(not_after));
	if (at_now == NULL || !ASN1_TIME_diff(&days, &secs, at_now, X509_get0_notAfter(c->cert)))
		days = 0;
	doc = json_object();
	if (cmd_json_set_text(doc, "label", c->label ? c->label : "") < 0 ||
	    cmd_json_set_text(doc, "subject", subject) < 0 ||
	    cmd_json_set_text(doc, "issuer", issuer) < 0 ||
	    json_object_set_new(doc, "serial", serial ? json_string(serial) :
				json_null()) < 0 ||
	    cmd_status_set_sans(doc, c->cert) < 0 ||
	    json_object_update_new(doc, json_pack("{s:o, s:o, s:s, s:s, s:I, s:s?}",
			"key_usage", cmd_status_ku(c->cert),
			"extended_key_usage", cmd_json_eku(c->cert),
			"not_before", not_before, "not_after", not_after,
			"days_left", (json_int_t)days, "sha256", sha256)) < 0) {
		json_decref(doc);
		doc = NULL;
	}
	ASN1_TIME_free(at_now);
	free(subject);
	free(issuer);
	free(sha256);
	free(serial);
	return doc;
}

/* Where P is, for JSON: "token", the state file's path, or null. */
static json_t *
cmd_status_json_place(const struct waitstore_place *p)
{
	switch (p->where) {
	case WAITSTORE_TOKEN: return json_string("token");
	case WAITSTORE_FILE: return json_string(p->path);
	default: return json_null();
	}
}

/* Where the request and ticket of an awaiting key are, or NULL for a row
 * that does not await. */
static json_t *
cmd_status_json_waiting(const struct audit_row *row, const struct waitstore_survey *w,
			size_t i)
{
	if (w == NULL || i >= w->n || strcmp(row->state, "awaiting-certificate") != 0 ||
	    !row->entry->has_private)
		return NULL;
	return json_pack("{s:o, s:o}",
			 "request", cmd_status_json_place(&w->places[i][CERTSTORE_REQUEST]),
			 "ca_ticket", cmd_status_json_place(&w->places[i][CERTSTORE_CA_TICKET]));
}

/* A finding, as JSON. */
static json_t *
cmd_status_json_finding(const struct audit_finding *f)
{
	json_t *doc = json_pack("{s:s, s:s}", "id", f->id, "severity",
				policy_severity_name(f->severity));

	/* Every object it names when it names others: the labels, from the
	 * token, as outside text. */
	if (cmd_json_set_text(doc, "message", f->message) < 0 ||
	    (f->nrelated > 0 &&
	     cmd_json_set_texts(doc, "related", (char *const *)f->related,
				f->nrelated) < 0)) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}


/* Whether ROW is CA certificates alone (audit's "authority" state): a
 * chain kept for the roles, listed apart from them. */
static bool
cmd_status_is_authority(const struct audit_row *row)
{
	return strcmp(row->state, "authority") == 0;
}

/* The CA certificates on the token: every certificate of the authority
 * rows. */
static STACK_OF(X509) *
cmd_status_authorities(const struct audit_row *rows, size_t n)
{
	STACK_OF(X509) *pool = sk_X509_new_null();
	size_t i, j;

	for (i = 0; pool != NULL && i < n; i++) {
		if (!cmd_status_is_authority(&rows[i]))
			continue;
		for (j = 0; j < rows[i].entry->ncerts; j++)
			if (!X509_add_cert(pool, rows[i].entry->certs[j].cert,
					   X509_ADD_FLAG_UP_REF)) {
				sk_X509_pop_free(pool, X509_free);
				return NULL;
			}
	}
	return pool;
}

/* What a row adds for its consumers: the chain of its first
 * certificate on the token, and the URIs of a key's objects. */
static int
cmd_status_json_consumers(json_t *doc, const struct audit_row *row,
			  const struct status_view *v)
{
	const struct inventory_entry *e = row->entry;
	STACK_OF(X509) *chain = NULL;
	int rc = 0;

	if (e->ncerts > 0) {
		if (chainstore_build(e->certs[0].cert, v->authorities, &chain) < 0 ||
		    json_object_set_new(doc, "chain", cmd_json_chain(chain)) < 0)
			rc = -1;
		sk_X509_pop_free(chain, X509_free);
	}
	if (rc == 0 && e->has_private && e->priv_label != NULL &&
	    !cmd_status_is_authority(row) &&
	    json_object_set_new(doc, "uris", token_uri_role_json(v->info, e->priv_label,
							    e->id, e->id_len)) < 0)
		rc = -1;
	return rc;
}

static json_t *
cmd_status_json_row(const struct audit_row *row, time_t now,
		    const struct waitstore_survey *w, size_t index, json_t *record,
		    const struct status_view *v)
{
	const struct inventory_entry *e = row->entry;
	json_t *certs = json_array(), *findings = json_array(), *waiting;
	char *id = util_hex(e->id, e->id_len);
	json_t *doc;
	size_t i;

	for (i = 0; i < e->ncerts; i++)
		cmd_json_append(&certs, cmd_status_json_cert(&e->certs[i], now));
	for (i = 0; i < row->nfindings; i++)
		cmd_json_append(&findings, cmd_status_json_finding(&row->findings[i]));
	doc = json_object();
	if (id == NULL || certs == NULL || findings == NULL ||
	    cmd_json_set_text(doc, "role", row->role) < 0 ||
	    json_object_set_new(doc, "state", json_string(row->state)) < 0 ||
	    cmd_json_set_text(doc, "label", e->label ? e->label : "") < 0 ||
	    json_object_update_new(doc, json_pack("{s:s, s:o, s:O, s:O}", "id", id,
			"key", cmd_status_json_key(row), "certificates", certs,
			"findings", findings)) < 0 ||
	    cmd_status_json_consumers(doc, row, v) < 0) {
		json_decref(doc);
		doc = NULL;
	}
	waiting = cmd_status_json_waiting(row, w, index);
	if (doc != NULL && waiting != NULL)
		json_object_set_new(doc, "waiting", waiting);
	if (doc != NULL && record != NULL)
		json_object_set(doc, "record", record);
	json_decref(certs);
	json_decref(findings);
	free(id);
	return doc;
}

/* The state directory and the files in it that wait for no key. */
static json_t *
cmd_status_json_statedir(const struct waitstore_survey *w)
{
	json_t *orphans = json_array();
	char *id;
	size_t i;

	for (i = 0; orphans != NULL && i < w->norphans; i++) {
		id = util_hex(w->orphans[i].id, w->orphans[i].id_len);
		json_array_append_new(orphans, json_pack("{s:s++, s:s?, s:s}",
				      "file", w->dir, "/", w->orphans[i].name,
				      "id", id, "kind",
				      statedir_kind_name(w->orphans[i].kind)));
		free(id);
	}
	return json_pack("{s:s?, s:o}", "path", w->dir, "orphans", orphans);
}

/* The EKU short names of CERT joined with commas. */
static void
cmd_status_eku(X509 *cert, char *buf, size_t size)
{
	json_t *list = cmd_json_eku(cert), *v;
	size_t i, used = 0;

	buf[0] = '\0';
	json_array_foreach(list, i, v)
		used += (size_t)snprintf(buf + used, used < size ? size - used : 0,
					 "%s%s", i ? "," : "", json_string_value(v));
	json_decref(list);
}

/* The private key's real rights, comma-separated: "-" without one. */
static void
cmd_status_rights(const struct audit_row *row, char *buf, size_t size)
{
	const char *name;
	size_t i, used = 0;

	snprintf(buf, size, "%s", row->entry->has_private ? "none" : "-");
	for (i = 0; (name = keyalg_cap_nth(row->rights, i)) != NULL && used < size;
	     i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i ? "," : "", name);
}

/* The widest role label shown as it is (a label's 32 bytes); the column
 * is as wide as the longest label up to this, and no narrower than 16. */
#define CMD_STATUS_ROLE_MAX 32
#define CMD_STATUS_ROLE_MIN 16

/* One line of the table: each field a cell of its column, cut with an
 * ellipsis when longer, so that a long label or subject never shifts the
 * columns after it; the rights, last, whole. */
static void
cmd_status_line(size_t role_width, const char *role, const char *state,
		const char *key, const char *id, const char *subject,
		const char *eku, const char *not_after, const char *rights)
{
	char c[7][TEXT_CELL_SIZE(CMD_STATUS_ROLE_MAX)];

	printf("%s %s %s %s %s %s %s %s\n",
	       text_cell(role, role_width, c[0], sizeof(c[0])),
	       text_cell(state, 24, c[1], sizeof(c[1])),
	       text_cell(key, 8, c[2], sizeof(c[2])),
	       text_cell(id, 12, c[3], sizeof(c[3])),
	       text_cell(subject, 26, c[4], sizeof(c[4])),
	       text_cell(eku, 22, c[5], sizeof(c[5])),
	       text_cell(not_after, 22, c[6], sizeof(c[6])), rights);
}

static void
cmd_status_print_row(const struct audit_row *row, size_t role_width)
{
	const struct inventory_entry *e = row->entry;
	X509 *cert = e->ncerts > 0 ? e->certs[0].cert : NULL;
	char key[32], not_after[32], eku[256], rights[64];
	char *id = util_hex(e->id, e->id_len > 5 ? 5 : e->id_len);
	char *name = cert ? cmd_name_string(X509_get_subject_name(cert)) : NULL;

	cmd_status_key(e, key, sizeof(key));
	cmd_status_rights(row, rights, sizeof(rights));
	eku[0] = '\0';
	snprintf(not_after, sizeof(not_after), "-");
	if (cert != NULL) {
		cmd_status_eku(cert, eku, sizeof(eku));
		certstore_time_string(X509_get0_notAfter(cert), not_after, sizeof(not_after));
	}
	/* Each cell escapes what it shows. */
	cmd_status_line(role_width, row->role, row->state, key, id ? id : "",
			name ? name : "-", eku[0] ? eku : "-", not_after, rights);
	free(id);
	free(name);
}

/* The CA certificates kept for the roles' chains, one line each. */
static void
cmd_status_print_authorities(const struct audit_row *rows, size_t n)
{
	char label[TEXT_PRINTABLE_SIZE(64)], not_after[32];
	char *name, *subject;
	size_t i, j, count = 0;

	for (i = 0; i < n; i++) {
		const struct inventory_entry *e = rows[i].entry;

		if (!cmd_status_is_authority(&rows[i]))
			continue;
		if (count++ == 0)
			printf("CA certificates kept for the chains:\n");
		for (j = 0; j < e->ncerts; j++) {
			name = cmd_name_string(X509_get_subject_name(e->certs[j].cert));
			subject = text_shown_dup(name != NULL ? name : "?");
			certstore_time_string(X509_get0_notAfter(e->certs[j].cert),
					      not_after, sizeof(not_after));
			printf("  %-26s %s, until %s\n",
			       text_shown(e->certs[j].label, label, sizeof(label)),
			       subject != NULL ? subject : "?", not_after);
			free(name);
			free(subject);
		}
	}
}

/* -v: everything known about one row, as JSON in ASCII, with what
 * JSON leaves as it is (DEL) escaped for the terminal. */
static void
cmd_status_print_detail(const struct audit_row *row, time_t now,
			const struct waitstore_survey *w, size_t index, json_t *record,
			const struct status_view *v)
{
	json_t *doc = cmd_status_json_row(row, now, w, index, record, v);
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
				      JSON_ENSURE_ASCII) : NULL;
	size_t size = text ? TEXT_PRINTABLE_SIZE(strlen(text)) : 0;
	char *shown = text ? malloc(size) : NULL;

	if (shown != NULL) {
		text_message(text, strlen(text), shown, size);
		printf("%s\n", shown);
	}
	free(shown);
	free(text);
	json_decref(doc);
}

/* PATH, which holds a token's serial, made safe for the terminal. */
static void
cmd_status_print_path(const char *lead, const char *path, const char *tail)
{
	char safe[TEXT_PRINTABLE_SIZE(PATH_MAX)];

	printf("%s%s%s\n", lead, text_shown(path, safe, sizeof(safe)), tail);
}

/* Where the awaiting rows keep their request and ticket, and the state
 * files that wait for no key. */
static void
cmd_status_print_waiting(const struct audit_row *rows, size_t n,
			 const struct waitstore_survey *w)
{
	static const char *const what[] = {
		[CERTSTORE_REQUEST] = "request", [CERTSTORE_CA_TICKET] = "CA ticket",
	};
	char lead[400], role[300], path[4 * 1024];
	size_t i, k;

	for (i = 0; i < n && i < w->n; i++) {
		if (strcmp(rows[i].state, "awaiting-certificate") != 0)
			continue;
		for (k = 0; k < 2; k++) {
			const struct waitstore_place *p = &w->places[i][k];

			text_printable(rows[i].role, strlen(rows[i].role), role,
				       sizeof(role));
			snprintf(lead, sizeof(lead), "%s: %s ", role, what[k]);
			if (p->where == WAITSTORE_TOKEN)
				printf("%son the token\n", lead);
			else if (p->where == WAITSTORE_FILE)
				cmd_status_print_path(lead, p->path, "");
			else if (k == CERTSTORE_REQUEST)
				printf("%snot found, on the token or in the state "
				       "directory\n", lead);
		}
	}
	for (i = 0; i < w->norphans; i++) {
		snprintf(path, sizeof(path), "%s/%s", w->dir, w->orphans[i].name);
		cmd_status_print_path("state file ", path, ": its key does not await "
				      "on the token; status --repair removes it");
	}
}

/* What status shows of one token. */

static void
cmd_status_view_clear(struct status_view *v)
{
	size_t i;

	for (i = 0; v->records != NULL && i < v->n; i++)
		json_decref(v->records[i]);
	free(v->records);
	free(v->shown);
	sk_X509_pop_free(v->authorities, X509_free);
}

/* The findings a run without a login did not judge. */
static void
cmd_status_print_logged_out(void)
{
	size_t i;

	printf("not logged in (no PIN source): certificates only; not checked:");
	for (i = 0; i < NELEM(status_need_login); i++)
		printf("%s %s", i ? "," : "", status_need_login[i]);
	printf("\n");
}

static void
cmd_status_print(const struct global_opts *g, const struct token_info *info,
		 const struct key_support *ks, const struct status_view *v)
{
	char keys[3 * KEYALG_NAMES_MAX + 64], role[TEXT_PRINTABLE_SIZE(64)];
	char message[TEXT_PRINTABLE_SIZE(512)];
	const struct audit_row *rows = v->rows;
	size_t i, j, width = CMD_STATUS_ROLE_MIN;

	printf("token %s (serial %s, %s)\n", info->label, info->serial, info->uri);
	cmd_key_support_words(ks, keys, sizeof(keys));
	printf("user PIN: %s%s\n", cmd_pin_state_word(info->flags),
	       (info->flags & CKF_PROTECTED_AUTHENTICATION_PATH) ? " (PIN pad)" : "");
	printf("key algorithms: %s\n", keys);
	if (v->logged_out)
		cmd_status_print_logged_out();
	if (v->n == 0) {
		printf("no keys or certificates\n");
		cmd_status_print_waiting(rows, v->n, v->w);
		return;
	}
	for (i = 0; i < v->n; i++)
		if (v->shown[i] && text_columns(rows[i].role) > width)
			width = text_columns(rows[i].role);
	if (width > CMD_STATUS_ROLE_MAX)
		width = CMD_STATUS_ROLE_MAX;
	cmd_status_line(width, "ROLE", "STATE", "KEY", "ID", "SUBJECT", "EKU",
			"NOT AFTER", "RIGHTS");
	for (i = 0; i < v->n; i++)
		if (v->shown[i])
			cmd_status_print_row(&rows[i], width);
	cmd_status_print_authorities(rows, v->n);
	for (i = 0; i < v->n; i++) {
		if (!v->shown[i])
			continue;
		/* One line each, whatever the label or the message holds. */
		for (j = 0; j < rows[i].nfindings; j++)
			printf("%s: %s: %s: %s\n", rows[i].role[0] ?
			       text_shown(rows[i].role, role, sizeof(role)) : "(no label)",
			       policy_severity_name(rows[i].findings[j].severity),
			       rows[i].findings[j].id,
			       text_shown(rows[i].findings[j].message, message,
					  sizeof(message)));
		if (g->verbosity > 0)
			cmd_status_print_detail(&rows[i], v->now, v->w, i,
						v->records[i], v);
	}
	cmd_status_print_waiting(rows, v->n, v->w);
}

/* The repair actions by name: for JSON, and for people. */
static const struct {
	const char *name;
	const char *text;
} cmd_status_actions[] = {
	[AUDIT_REPAIR_FINISH] = { "finish", "finish the pending" },
	[AUDIT_REPAIR_REMOVE] = { "remove", "remove the pending" },
	[AUDIT_REPAIR_REMOVE_AWAITING] = { "remove-awaiting", "remove the awaiting" },
	[AUDIT_REPAIR_DROP_STATE] = { "remove-state-file", "remove the state file" },
};

/* One step of the plan, for people. */
static void
cmd_status_print_repair(const struct audit_repair *r, bool done)
{
	char lead[160], role[TEXT_PRINTABLE_SIZE(64)], why[TEXT_PRINTABLE_SIZE(512)];

	snprintf(lead, sizeof(lead), "%s%s ", done ? "" : "would ",
		 cmd_status_actions[r->action].text);
	text_shown(r->role, role, sizeof(role));
	text_shown(r->why != NULL ? r->why : "", why, sizeof(why));
	if (r->action == AUDIT_REPAIR_DROP_STATE)
		cmd_status_print_path(lead, r->file, " (its key is not on the token)");
	else if (r->action == AUDIT_REPAIR_REMOVE_AWAITING)
		printf("%s%s (its request is lost)\n", lead, role);
	else if (r->why != NULL)
		printf("%s%s (%s)\n", lead, role, why);
	else
		printf("%s%s\n", lead, role);
}

/* status --repair: list, and with --yes carry out, the plan. */
static int
cmd_status_repair(const struct status_opts *o, struct token *t,
		  const struct inventory_entry *inv, size_t n,
		  const struct waitstore_survey *w)
{
	struct audit_repair *plan = NULL;
	json_t *list = NULL, *item;
	size_t count = 0, i;
	int status = EXIT_FAILED;

	struct audit_repair_policy policy = { NULL, 0, cmd_profiles_dir(o->g),
					      time(NULL) };

	if (audit_repair_plan(inv, n, w, &policy, &plan, &count) < 0)
		return cmd_fail(o->g);
	if (o->yes && audit_repair_apply(t, inv, w, plan, count) < 0) {
		status = cmd_fail(o->g);
		goto out;
	}
	list = json_array();
	for (i = 0; i < count; i++) {
		if (!o->g->json) {
			cmd_status_print_repair(&plan[i], o->yes);
			continue;
		}
		item = json_pack("{s:s}", "action",
				 cmd_status_actions[plan[i].action].name);
		if (cmd_json_set_text(item, "role", plan[i].role) < 0 ||
		    (plan[i].file != NULL &&
		     cmd_json_set_text(item, "file", plan[i].file) < 0) ||
		    (plan[i].why != NULL &&
		     cmd_json_set_text(item, "why", plan[i].why) < 0)) {
			json_decref(item);
			item = NULL;
		}
		cmd_json_append(&list, item);
	}
	status = EXIT_DONE;
	if (o->g->json) {
		if (cmd_json_print(json_pack("{s:o, s:b, s:O}", "token",
					     cmd_json_token(token_get_info(t)),
					     "dry_run", !o->yes, "repairs", list)) < 0)
			status = EXIT_FAILED;
	} else if (count == 0)
		printf("nothing to repair\n");
	else if (!o->yes)
		printf("dry run: %zu thing%s to repair; give --yes to repair\n",
		       count, count == 1 ? "" : "s");
out:
	json_decref(list);
	audit_repair_free(plan, count);
	return status;
}

/* Which rows of V the named ROLES (N of them; none: every row) select.
 * A named role that no row has is an error. */
static int
cmd_status_select(struct token *t, char **roles, int n, struct status_view *v)
{
	char shown[TEXT_PRINTABLE_SIZE(64)];
	bool found;
	size_t i;
	int k;

	if ((v->shown = calloc(v->n + 1, sizeof(*v->shown))) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	/* CA certificates are no role: they are listed apart. */
	for (i = 0; i < v->n; i++)
		v->shown[i] = n == 0 && !cmd_status_is_authority(&v->rows[i]);
	for (k = 0; k < n; k++) {
		found = false;
		for (i = 0; i < v->n; i++) {
			if (strcmp(v->rows[i].role, roles[k]) != 0)
				continue;
			v->shown[i] = true;
			found = true;
		}
		if (!found)
			return err_set(ERR_FAILED, "role %s is not on token %s",
				       text_shown(roles[k], shown, sizeof(shown)),
				       token_get_info(t)->label);
	}
	return 0;
}

/* The enrollment records of V's enrolled rows that are shown. */
static int
cmd_status_records(struct token *t, struct status_view *v)
{
	const struct inventory_entry *e;
	struct rolerecord *rec = NULL;
	size_t i;
	int rc;

	if ((v->records = calloc(v->n + 1, sizeof(*v->records))) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	for (i = 0; i < v->n; i++) {
		e = v->rows[i].entry;
		if (!v->shown[i] || !e->has_private || e->pending ||
		    rolestate_parse(e->priv_label, NULL) != ROLESTATE_ROLE)
			continue;
		if ((rc = rolerecord_load(t, e->priv_label, e->id, e->id_len, &rec)) < 0)
			return -1;
		if (rc == 0)
			continue;
		v->records[i] = rolerecord_json(rec);
		rolerecord_free(rec);
		rec = NULL;
		if (v->records[i] == NULL)
			return err_set(ERR_FAILED, "out of memory");
	}
	return 0;
}

/* How many findings of SEVERITY the shown rows of V have. */
static size_t
cmd_status_count(const struct status_view *v, enum policy_severity severity)
{
	size_t i, j, count = 0;

	for (i = 0; i < v->n; i++)
		for (j = 0; v->shown[i] && j < v->rows[i].nfindings; j++)
			if (v->rows[i].findings[j].severity == severity)
				count++;
	return count;
}

/* Whether a shown row of V has the finding ID. */
static bool
cmd_status_has(const struct status_view *v, const char *id)
{
	size_t i, j;

	for (i = 0; i < v->n; i++)
		for (j = 0; v->shown[i] && j < v->rows[i].nfindings; j++)
			if (strcmp(v->rows[i].findings[j].id, id) == 0)
				return true;
	return false;
}

/* How many rows of V are shown. */
static size_t
cmd_status_shown(const struct status_view *v)
{
	size_t i, count = 0;

	for (i = 0; i < v->n; i++)
		count += v->shown[i];
	return count;
}

/* The exit status of a status run that judged V. */
static int
cmd_status_exit(const struct status_opts *o, const struct status_view *v)
{
	if (o->expiring_given && cmd_status_has(v, "cert-expired"))
		return EXIT_EXPIRED;
	if (o->expiring_given && cmd_status_has(v, "cert-expiring"))
		return EXIT_EXPIRING;
	return cmd_status_count(v, POLICY_ERROR) > 0 ? EXIT_FINDINGS : EXIT_DONE;
}

/* The JSON document of V. */
static json_t *
cmd_status_json(struct token *t, const struct key_support *ks,
		const struct status_view *v)
{
	json_t *list = json_array(), *unchecked = json_array(), *cas = json_array();
	size_t i;

	for (i = 0; i < v->n; i++)
		if (v->shown[i])
			cmd_json_append(&list, cmd_status_json_row(&v->rows[i], v->now,
					v->w, i, v->records[i], v));
		else if (cmd_status_is_authority(&v->rows[i]))
			cmd_json_append(&cas, cmd_status_json_row(&v->rows[i], v->now,
					v->w, i, NULL, v));
	for (i = 0; v->logged_out && i < NELEM(status_need_login); i++)
		cmd_json_append(&unchecked, json_string(status_need_login[i]));
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:{s:I, s:I, s:I, s:I}}",
			 "token", cmd_json_token(token_get_info(t)),
			 "key_algorithms", cmd_json_key_support(ks),
			 "roles", list, "authorities", cas,
			 "state_dir", cmd_status_json_statedir(v->w),
			 "logged_in", !v->logged_out,
			 "not_checked", unchecked,
			 "summary", "roles", (json_int_t)cmd_status_shown(v),
			 "errors", (json_int_t)cmd_status_count(v, POLICY_ERROR),
			 "warnings", (json_int_t)cmd_status_count(v, POLICY_WARNING),
			 "infos", (json_int_t)cmd_status_count(v, POLICY_INFO));
}

int
cmd_status_token(struct global_opts *g, const struct status_opts *o,
		 struct token *t, bool print, json_t **doc)
{
	struct audit_options ao;
	struct key_support ks;
	struct inventory_entry *inv = NULL;
	struct audit_row *rows = NULL;
	struct waitstore_survey ws;
	struct status_view v;
	size_t n = 0;
	int status = EXIT_FAILED;

	if (doc != NULL)
		*doc = NULL;
	memset(&v, 0, sizeof(v));
	memset(&ws, 0, sizeof(ws));
	if (certstore_inventory(t, &inv, &n) < 0 ||
	    waitstore_survey(t, inv, n, &ws) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	/* Without the private keys every state file looks like an orphan:
	 * none is called one. */
	if (g->logged_out)
		ws.norphans = 0;
	if (o->repair) {
		status = cmd_status_repair(o, t, inv, n, &ws);
		goto out;
	}
	memset(&ao, 0, sizeof(ao));
	ao.waiting = &ws;
	ao.expiring_days = o->expiring;
	ao.now = time(NULL);
	ao.profiles_dir = cmd_profiles_dir(g);
	ao.token = g->logged_out ? NULL : t;
	ao.logged_out = g->logged_out;
	if (audit_token(inv, n, &ao, &rows) < 0 ||
	    keysupport_read(token_fn(t), token_get_info(t)->slot,
			    KEYSUPPORT_ALL_ALGS, &ks) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	v.rows = rows;
	v.n = n;
	v.now = ao.now;
	v.w = &ws;
	v.logged_out = g->logged_out;
	v.info = token_get_info(t);
	if (cmd_status_select(t, o->roles, o->nroles, &v) < 0 ||
	    cmd_status_records(t, &v) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	if ((v.authorities = cmd_status_authorities(rows, n)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		status = cmd_fail(g);
		goto out;
	}
	status = cmd_status_exit(o, &v);
	if (print && !g->json)
		cmd_status_print(g, token_get_info(t), &ks, &v);
	if ((print && g->json) || doc != NULL) {
		/* Every row or no document: the summary counts the rows. */
		json_t *whole = cmd_status_json(t, &ks, &v);

		if (doc != NULL) {
			if ((*doc = whole) == NULL) {
				err_set(ERR_FAILED, "out of memory");
				status = EXIT_FAILED;
			}
		} else if (cmd_json_print(whole) < 0)
			status = EXIT_FAILED;
	}
out:
	cmd_status_view_clear(&v);
	audit_rows_free(rows, n);
	waitstore_survey_clear(&ws);
	certstore_inventory_free(inv, n);
	return status;
}

int
cmd_status(struct global_opts *g, int argc, char **argv)
{
	struct status_opts o;
	struct module *m = NULL;
	struct token *t = NULL;
	int first = 0, status = EXIT_FAILED;

	memset(&o, 0, sizeof(o));
	o.g = g;
	o.expiring = STATUS_DEFAULT_EXPIRING;
	if (!cmd_parse(g, argc, argv, "y", status_long, cmd_status_option, &o,
		       &first, &status))
		return status;
	o.roles = argv + first;
	o.nroles = argc - first;
	g->no_login = o.no_login;
	if (o.yes && !o.repair)
		return cmd_usage_error(g, "--yes goes with --repair");
	if (o.repair && (o.all_tokens || o.html != NULL))
		return cmd_usage_error(g, "--repair works on one token, not with "
				       "--all-tokens or --html");
	if ((o.all_tokens || o.html != NULL) && g->token != NULL)
		return cmd_usage_error(g, "--all-tokens and --html show every token; "
				       "not with --token");
	if (o.repair && (o.nroles > 0 || o.no_login))
		return cmd_usage_error(g, "--repair works on the whole token, "
				       "logged in: it takes no role and no --no-login");
	if ((o.all_tokens || o.html != NULL) && o.nroles > 0)
		return cmd_usage_error(g, "--all-tokens and --html show every role; "
				       "no role arguments");
	g->read_only = !o.repair;
	g->login_optional = !o.repair;
	if (o.all_tokens || o.html != NULL)
		return cmd_status_fleet(g, &o);
	if ((status = cmd_open_token(g, &m, &t)) != 0)
		return status;
	status = cmd_status_token(g, &o, t, true, NULL);
	cmd_close_token(m, t);
	return status;
}
