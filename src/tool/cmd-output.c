/* SPDX-License-Identifier: MIT */
/* cmd-output.c - what the commands print: errors, JSON documents, the
 * token, its key algorithms and enrolled roles. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "certstore.h"
#include "cmd.h"
#include "enroll.h"
#include "err.h"
#include "keysupport.h"
#include "text.h"
#include "token-uri.h"

int
cmd_exit_status(void)
{
	if (err_code() == ERR_CODE_ROLE_ENROLLED)
		return EXIT_ENROLLED;
	return err_kind() == ERR_USAGE ? EXIT_USAGE : EXIT_FAILED;
}

json_t *
cmd_json_error(const char *key, const char *name, const char *message,
	       enum err_code code, int status)
{
	json_t *doc = json_pack("{s:s, s:s, s:i}", key, name ? name : "", "code",
				err_code_name(code), "exit", status);

	if (cmd_json_set_text(doc, "message", message) < 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* Print MESSAGE of STATUS as the command's error. Outside text in it was
 * escaped where it entered; text_message() catches what was not, and
 * keeps only the message's own lines. */
static int
cmd_report(const struct global_opts *g, int status, const char *message,
	   enum err_code code)
{
	char shown[4 * ERR_MESSAGE_MAX];

	if (g->json) {
		cmd_json_print(json_pack("{s:o}", "error", cmd_json_error("command",
					 g->command, message, code, status)));
	} else {
		text_message(message, strlen(message), shown, sizeof(shown));
		fprintf(stderr, "p11enroll: %s%s%s\n", g->command ? g->command : "",
			g->command ? ": " : "", shown);
	}
	return status;
}

int
cmd_fail(const struct global_opts *g)
{
	const char *message = err_message();

	return cmd_report(g, cmd_exit_status(),
			  message[0] ? message : "failed for an unknown reason",
			  err_code());
}

json_t *
cmd_json_problem(enum err_code code, const char *message)
{
	json_t *doc = json_pack("{s:s}", "code", err_code_name(code));

	if (cmd_json_set_text(doc, "message", message) < 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

int
cmd_report_all(const struct global_opts *g, int status, const char *summary,
	       json_t *errors)
{
	char shown[4 * ERR_MESSAGE_MAX];
	json_t *doc, *item, *first;
	size_t i;

	if (errors == NULL) {
		err_set(ERR_FAILED, "out of memory");
		return cmd_fail(g);
	}
	first = json_array_get(errors, 0);
	if (g->json) {
		doc = cmd_json_error("command", g->command, summary,
				     err_code_parse(json_string_value(
					json_object_get(first, "code"))), status);
		if (json_object_set_new(doc, "errors", errors) < 0) {
			json_decref(doc);
			doc = NULL;
		}
		cmd_json_print(json_pack("{s:o}", "error", doc));
		return status;
	}
	text_message(summary, strlen(summary), shown, sizeof(shown));
	fprintf(stderr, "p11enroll: %s%s%s:\n", g->command ? g->command : "",
		g->command ? ": " : "", shown);
	json_array_foreach(errors, i, item) {
		const char *m = json_string_value(json_object_get(item, "message"));

		text_message(m != NULL ? m : "", m != NULL ? strlen(m) : 0, shown,
			     sizeof(shown));
		fprintf(stderr, "  %s\n", shown);
	}
	json_decref(errors);
	return status;
}

int
cmd_usage_error(const struct global_opts *g, const char *fmt, ...)
{
	char message[1024], shown[4 * 1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	text_message(message, strlen(message), shown, sizeof(shown));
	if (!g->json)
		fprintf(stderr, "p11enroll: %s%s%s (see p11enroll --help)\n",
			g->command ? g->command : "", g->command ? ": " : "", shown);
	else
		cmd_report(g, EXIT_USAGE, message, ERR_CODE_USAGE);
	return EXIT_USAGE;
}

/* The PIN state of a token as words. */
static json_t *
cmd_json_pin_state(CK_FLAGS f)
{
	return json_pack("{s:b, s:b, s:b, s:b, s:b}",
			 "initialized", (f & CKF_USER_PIN_INITIALIZED) != 0,
			 "count_low", (f & CKF_USER_PIN_COUNT_LOW) != 0,
			 "final_try", (f & CKF_USER_PIN_FINAL_TRY) != 0,
			 "locked", (f & CKF_USER_PIN_LOCKED) != 0,
			 "pin_pad", (f & CKF_PROTECTED_AUTHENTICATION_PATH) != 0);
}

/* The token's slot and flags. */
static json_t *
cmd_json_token_state(const struct token_info *info)
{
	return json_pack("{s:I, s:b, s:b, s:b, s:o}",
			 "slot", (json_int_t)info->slot,
			 "initialized", (info->flags & CKF_TOKEN_INITIALIZED) != 0,
			 "write_protected", (info->flags & CKF_WRITE_PROTECTED) != 0,
			 "login_required", (info->flags & CKF_LOGIN_REQUIRED) != 0,
			 "user_pin", cmd_json_pin_state(info->flags));
}

json_t *
cmd_json_token(const struct token_info *info)
{
	json_t *doc = json_pack("{s:s}", "uri", info->uri);

	if (cmd_json_set_text(doc, "label", info->raw.label) < 0 ||
	    cmd_json_set_text(doc, "serial", info->raw.serial) < 0 ||
	    cmd_json_set_text(doc, "model", info->raw.model) < 0 ||
	    cmd_json_set_text(doc, "manufacturer", info->raw.manufacturer) < 0 ||
	    json_object_update_new(doc, cmd_json_token_state(info)) < 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* The algorithms in MASK as a JSON list. */
static json_t *
cmd_json_algs(unsigned mask)
{
	json_t *list = json_array();
	const char *name;
	size_t i;

	for (i = 0; list != NULL && (name = keyalg_nth(mask, i)) != NULL; i++)
		json_array_append_new(list, json_string(name));
	return list;
}

json_t *
cmd_json_key_support(const struct key_support *s)
{
	if (!s->known)
		return json_null();
	return json_pack("{s:o, s:o, s:o}", "generate", cmd_json_algs(s->sign),
			 "decrypt", cmd_json_algs(s->decrypt),
			 "derive", cmd_json_algs(s->derive));
}

void
cmd_key_support_words(const struct key_support *s, char *buf, size_t size)
{
	char gen[KEYALG_NAMES_MAX], dec[KEYALG_NAMES_MAX], dh[KEYALG_NAMES_MAX];

	if (!s->known) {
		snprintf(buf, size, "not listed by the module");
		return;
	}
	keyalg_names(s->sign, ", ", gen, sizeof(gen));
	keyalg_names(s->decrypt, ", ", dec, sizeof(dec));
	keyalg_names(s->derive, ", ", dh, sizeof(dh));
	snprintf(buf, size, "%s; decrypts with %s; ECDH with %s", gen, dec, dh);
}


json_t *
cmd_json_eku(X509 *cert)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
	json_t *list = json_array();
	char oid[80];
	int i;

	for (i = 0; eku != NULL && list != NULL && i < sk_ASN1_OBJECT_num(eku); i++) {
		ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
		int nid = OBJ_obj2nid(o);

		if (nid != NID_undef)
			json_array_append_new(list, json_string(OBJ_nid2sn(nid)));
		else if (OBJ_obj2txt(oid, sizeof(oid), o, 1) > 0)
			json_array_append_new(list, json_string(oid));
	}
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return list;
}

char *
cmd_name_string(const X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL, *data;
	long len;

	if (b == NULL)
		return NULL;
	/* A string that does not decode (a UTF8String that is not UTF-8)
	 * goes as its bytes rather than not at all: the caller escapes. */
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 ||
	    (BIO_reset(b) == 1 &&
	     X509_NAME_print_ex(b, name, 0, ((XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) &
					     ~ASN1_STRFLGS_UTF8_CONVERT) |
				ASN1_STRFLGS_IGNORE_TYPE) >= 0)) {
		len = BIO_get_mem_data(b, &data);
		s = strndup(data, (size_t)len);
	}
	BIO_free(b);
	return s;
}

/* One CA certificate of a chain, as JSON. */
static json_t *
cmd_json_chain_cert(X509 *c)
{
	char not_after[32];
	char *subject = cmd_name_string(X509_get_subject_name(c));
	char *issuer = cmd_name_string(X509_get_issuer_name(c));
	char *sha256 = NULL, *serial = NULL, *pem = certstore_cert_pem(c);
	json_t *doc = json_object();

	certstore_cert_ids(c, &sha256, &serial);
	certstore_time_string(X509_get0_notAfter(c), not_after, sizeof(not_after));
	if (pem == NULL || cmd_json_set_text(doc, "subject", subject) < 0 ||
	    cmd_json_set_text(doc, "issuer", issuer) < 0 ||
	    json_object_update_new(doc, json_pack("{s:s?, s:s, s:s?, s:s}",
			"serial", serial, "not_after", not_after, "sha256", sha256,
			"pem", pem)) < 0) {
		json_decref(doc);
		doc = NULL;
	}
	free(subject);
	free(issuer);
	free(sha256);
	free(serial);
	free(pem);
	return doc;
}

json_t *
cmd_json_chain(STACK_OF(X509) *chain)
{
	json_t *list = json_array();
	int i;

	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++)
		cmd_json_append(&list, cmd_json_chain_cert(sk_X509_value(chain, i)));
	return list;
}

json_t *
cmd_json_result(const struct token_info *info, const struct enroll_result *r,
		bool chain_checked)
{
	char not_after[32];
	char *subject = cmd_name_string(X509_get_subject_name(r->cert));
	char *issuer = cmd_name_string(X509_get_issuer_name(r->cert));
	char *sha256 = NULL, *serial = NULL, *pem = certstore_cert_pem(r->cert);
	unsigned char *id = NULL;
	long id_len = 0;
	json_t *doc, *cert;

	certstore_cert_ids(r->cert, &sha256, &serial);
	certstore_time_string(X509_get0_notAfter(r->cert), not_after, sizeof(not_after));
	id = OPENSSL_hexstr2buf(r->id_hex, &id_len);
	doc = json_object();
	cert = json_object();
	if (cmd_json_set_text(doc, "role", r->role) < 0 ||
	    cmd_json_set_text(doc, "label", r->label) < 0 ||
	    json_object_update_new(doc, json_pack("{s:s, s:s}", "id", r->id_hex,
						  "key_algorithm", r->key_alg)) < 0 ||
	    cmd_json_set_text(cert, "subject", subject) < 0 ||
	    cmd_json_set_text(cert, "issuer", issuer) < 0 ||
	    json_object_update_new(cert, json_pack("{s:s?, s:s, s:s?, s:o}",
			"serial", serial, "not_after", not_after, "sha256", sha256,
			"extended_key_usage", cmd_json_eku(r->cert))) < 0 ||
	    pem == NULL || json_object_set_new(cert, "pem", json_string(pem)) < 0 ||
	    json_object_set(doc, "certificate", cert) < 0 ||
	    json_object_update_new(doc, json_pack("{s:o, s:b, s:o}",
			"chain", cmd_json_chain(r->chain),
			"chain_on_token", r->chain_on_token,
			"uris", token_uri_role_json(info, r->label, id, (size_t)id_len))) < 0 ||
	    json_object_set_new(doc, "chain_checked", json_boolean(chain_checked)) < 0 ||
	    (r->warning != NULL && cmd_json_set_text(doc, "warning", r->warning) < 0)) {
		json_decref(doc);
		doc = NULL;
	}
	json_decref(cert);
	OPENSSL_free(id);
	free(pem);
	free(subject);
	free(issuer);
	free(sha256);
	free(serial);
	return doc;
}

void
cmd_print_result(const char *verb, const struct enroll_result *r)
{
	char not_after[32];
	char *subject = cmd_name_string(X509_get_subject_name(r->cert));
	char *shown = text_shown_dup(subject != NULL ? subject : "?");
	char role[TEXT_PRINTABLE_SIZE(64)];

	certstore_time_string(X509_get0_notAfter(r->cert), not_after, sizeof(not_after));
	printf("%s %s: %s key %s, certificate %s valid until %s\n", verb,
	       text_shown(r->role, role, sizeof(role)), r->key_alg, r->id_hex,
	       shown ? shown : "?", not_after);

	free(subject);
	free(shown);
}

void
cmd_print_result_warning(const struct global_opts *g, const struct enroll_result *r)
{
	char *warning;

	if (r->warning == NULL)
		return;
	warning = text_shown_dup(r->warning);
	fprintf(stderr, "p11enroll: %s: %s\n", g->command,
		warning != NULL ? warning : "?");
	free(warning);
}
