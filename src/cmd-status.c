/* cmd-status.c - what is on the token, role by role. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "certstore.h"
#include "cmd.h"
#include "enroll.h"
#include "err.h"
#include "util.h"

/* A group of objects: its role and what state it is in. */
struct status_row {
	const char *role;       /* label without a state prefix */
	const char *state;
};

static const struct {
	const char *prefix;
	const char *state;
} status_prefixes[] = {
	{ ENROLL_PENDING_PREFIX, "pending" },
	{ ENROLL_AWAITING_PREFIX, "awaiting-certificate" },
};

static struct status_row
cmd_status_classify(const struct inventory_entry *e)
{
	struct status_row row = { e->label ? e->label : "", "enrolled" };
	size_t i, n;

	for (i = 0; i < sizeof(status_prefixes) / sizeof(status_prefixes[0]); i++) {
		n = strlen(status_prefixes[i].prefix);
		if (strncmp(row.role, status_prefixes[i].prefix, n) == 0) {
			row.role += n;
			row.state = status_prefixes[i].state;
			return row;
		}
	}
	if (!e->has_private && e->has_cert)
		row.state = "certificate-without-key";
	else if (e->has_private && !e->has_cert)
		row.state = "key-without-certificate";
	return row;
}

/* As profiles name them: "ec-p256", "rsa-2048"; "none" without a key. */
static void
cmd_status_key(const struct inventory_entry *e, char *buf, size_t size)
{
	if (!e->has_private && !e->has_public)
		snprintf(buf, size, "none");
	else if (e->key_type == CKK_EC)
		snprintf(buf, size, "ec-p%lu", e->key_bits);
	else if (e->key_type == CKK_RSA)
		snprintf(buf, size, "rsa-%lu", e->key_bits);
	else
		snprintf(buf, size, "type-0x%lx", (unsigned long)e->key_type);
}

/* The EKU short names joined with commas. */
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

static json_t *
cmd_status_json_entry(const struct inventory_entry *e)
{
	struct status_row row = cmd_status_classify(e);
	char key[32], not_after[32];
	char *id = util_hex(e->id, e->id_len);
	char *subject = NULL;
	json_t *doc, *cert = json_null();

	cmd_status_key(e, key, sizeof(key));
	if (e->cert != NULL) {
		subject = cmd_name_string(X509_get_subject_name(e->cert));
		cmd_time_string(X509_get0_notAfter(e->cert), not_after, sizeof(not_after));
		cert = json_pack("{s:s?, s:o, s:s}", "subject", subject,
				 "extended_key_usage", cmd_json_eku(e->cert),
				 "not_after", not_after);
	}
	doc = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:o}", "role", row.role,
			"state", row.state, "label", e->label ? e->label : "",
			"id", id, "key_algorithm", key, "certificate", cert);
	free(subject);
	free(id);
	return doc;
}

static void
cmd_status_print(const struct token_info *info, const struct inventory_entry *e,
		 size_t n)
{
	char key[32], not_after[32], eku[256];
	char *id, *subject;
	size_t i;

	printf("token %s (serial %s, %s)\n", info->label, info->serial, info->uri);
	if (n == 0) {
		printf("no keys or certificates\n");
		return;
	}
	printf("%-16s %-24s %-8s %-12s %-26s %-22s %s\n", "ROLE", "STATE", "KEY",
	       "ID", "SUBJECT", "EKU", "NOT AFTER");
	for (i = 0; i < n; i++) {
		struct status_row row = cmd_status_classify(&e[i]);

		cmd_status_key(&e[i], key, sizeof(key));
		id = util_hex(e[i].id, e[i].id_len > 5 ? 5 : e[i].id_len);
		subject = e[i].cert ? cmd_name_string(X509_get_subject_name(e[i].cert)) : NULL;
		eku[0] = '\0';
		snprintf(not_after, sizeof(not_after), "-");
		if (e[i].cert != NULL) {
			cmd_status_eku(e[i].cert, eku, sizeof(eku));
			cmd_time_string(X509_get0_notAfter(e[i].cert), not_after,
					sizeof(not_after));
		}
		printf("%-16s %-24s %-8s %-12s %-26s %-22s %s\n", row.role, row.state,
		       key, id ? id : "", subject ? subject : "-",
		       eku[0] ? eku : "-", not_after);
		free(id);
		free(subject);
	}
}

static int
cmd_status_none(void *ctx, int opt, const char *arg)
{
	return EXIT_USAGE;
}

int
cmd_status(struct global_opts *g, int argc, char **argv)
{
	struct inventory_entry *entries = NULL;
	struct module *m = NULL;
	struct token *t = NULL;
	json_t *list;
	size_t n = 0, i;
	int first = 0, status = EXIT_FAILED;

	if (!cmd_parse(g, argc, argv, "", NULL, cmd_status_none, NULL, &first, &status))
		return status;
	if (first < argc)
		return cmd_usage_error(g, "unexpected argument '%s'", argv[first]);
	if ((status = cmd_open_token(g, &m, &t)) != 0)
		return status;
	if (certstore_inventory(t, &entries, &n) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	if (g->json) {
		list = json_array();
		for (i = 0; list != NULL && i < n; i++)
			json_array_append_new(list, cmd_status_json_entry(&entries[i]));
		cmd_json_print(json_pack("{s:o, s:o}", "token",
					 cmd_json_token(token_get_info(t)), "roles", list));
	} else {
		cmd_status_print(token_get_info(t), entries, n);
	}
	status = EXIT_DONE;
out:
	certstore_inventory_free(entries, n);
	cmd_close_token(m, t);
	return status;
}
