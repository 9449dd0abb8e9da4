/* SPDX-License-Identifier: MIT */
/* cmd-export.c - export ROLE [--chain] [--der] [-o FILE]: a role's
 * certificate, and the CA certificates above it, off the token for
 * servers that read files. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "certstore.h"
#include "chainstore.h"
#include "cmd.h"
#include "err.h"
#include "rolestate.h"
#include "token-uri.h"
#include "util.h"

enum { OPT_CHAIN = 1700, OPT_DER, OPT_OUT };

struct export_opts {
	const struct global_opts *g;
	bool chain;
	bool der;
	const char *out;
};

static const struct option export_long[] = {
	{ "chain", no_argument, NULL, OPT_CHAIN },
	{ "der", no_argument, NULL, OPT_DER },
	{ "out", required_argument, NULL, OPT_OUT },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_export_option(void *ctx, int opt, const char *arg)
{
	struct export_opts *o = ctx;

	switch (opt) {
	case OPT_CHAIN: o->chain = true; return 0;
	case OPT_DER: o->der = true; return 0;
	case 'o':
	case OPT_OUT: o->out = arg; return 0;
	default: return cmd_usage_error(o->g, "unknown option");
	}
}

/* What export takes off the token for one role. */
struct export_found {
	X509 *cert;
	unsigned char *id;
	size_t id_len;
	STACK_OF(X509) *chain;          /* NULL without --chain */
};

static void
cmd_export_found_clear(struct export_found *f)
{
	X509_free(f->cert);
	free(f->id);
	sk_X509_pop_free(f->chain, X509_free);
	memset(f, 0, sizeof(*f));
}

/* The one certificate labelled LABEL on T, its CKA_ID and with CHAIN its
 * CA certificates on T. */
static int
cmd_export_find(struct token *t, const char *role, const char *label, bool chain,
		struct export_found *f)
{
	CK_OBJECT_HANDLE *h = NULL;
	size_t n = 0;
	int rc = -1;

	memset(f, 0, sizeof(*f));
	if (certstore_find_label(t, CKO_CERTIFICATE, label, &h, &n) < 0)
		goto out;
	if (n > 1) {
		err_set(ERR_FAILED, "role %s has %zu certificates on token %s; "
			"p11enroll status tells them apart", role, n,
			token_get_info(t)->label);
		goto out;
	}
	if (n == 0) {
		err_set(ERR_FAILED, "role %s has no certificate on token %s", role,
			token_get_info(t)->label);
		if (token_needs_login(t))
			err_append("it is not enrolled, or the token shows its "
				   "certificates only after a login: give "
				   "--pin-source");
		goto out;
	}
	if (certstore_read_cert(t, h[0], &f->cert) < 0 ||
	    token_get_attr(t, h[0], CKA_ID, &f->id, &f->id_len) < 0 ||
	    (chain && chainstore_read(t, f->cert, &f->chain) < 0))
		goto out;
	rc = 0;
out:
	if (rc < 0)
		cmd_export_found_clear(f);
	free(h);
	return rc;
}

/* The certificates of F as text: PEM, the role's first, or the role's
 * alone as DER. */
static int
cmd_export_bytes(const struct export_found *f, bool der, unsigned char **out,
		 size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int i, ok;

	*out = NULL;
	*len = 0;
	ok = b != NULL && (der ? i2d_X509_bio(b, f->cert) : PEM_write_bio_X509(b, f->cert));
	for (i = 0; ok && f->chain != NULL && i < sk_X509_num(f->chain); i++)
		ok = PEM_write_bio_X509(b, sk_X509_value(f->chain, i));
	if (ok && (n = BIO_get_mem_data(b, &data)) > 0 &&
	    (*out = malloc((size_t)n)) != NULL) {
		memcpy(*out, data, (size_t)n);
		*len = (size_t)n;
	}
	BIO_free(b);
	return *out != NULL ? 0 : err_set(ERR_FAILED, "cannot encode the certificate");
}

/* LEN bytes at DATA to PATH (a private file, never through a link) or,
 * with PATH NULL, to standard output. */
static int
cmd_export_write(const char *path, const unsigned char *data, size_t len)
{
	int fd = STDOUT_FILENO;
	ssize_t w;
	size_t done = 0;
	int rc = -1;

	if (path != NULL && util_open_private(path, O_WRONLY | O_TRUNC, true, &fd) < 0)
		return err_prefix("-o %s", path);
	while (done < len) {
		w = write(fd, data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err_set(ERR_FAILED, "cannot write %s: %s",
				path != NULL ? path : "standard output", strerror(errno));
			goto out;
		}
		done += (size_t)w;
	}
	rc = 0;
out:
	if (path != NULL && close(fd) < 0 && rc == 0)
		rc = err_set(ERR_FAILED, "cannot write %s: %s", path, strerror(errno));
	return rc;
}

/* The JSON document: the role's certificate, chain and URIs, and the
 * file written. */
static json_t *
cmd_export_json(const struct token_info *info, const char *role, const char *label,
		const struct export_found *f, const char *path)
{
	char *pem = certstore_cert_pem(f->cert), *id = util_hex(f->id, f->id_len);
	char *subject = cmd_name_string(X509_get_subject_name(f->cert));
	json_t *doc = json_object(), *cert = json_object();

	if (pem == NULL || id == NULL || cmd_json_set_text(doc, "role", role) < 0 ||
	    cmd_json_set_text(doc, "label", label) < 0 ||
	    cmd_json_set_text(cert, "subject", subject) < 0 ||
	    json_object_set_new(cert, "pem", json_string(pem)) < 0 ||
	    json_object_update_new(doc, json_pack("{s:o, s:s, s:O, s:o, s:o}",
			"token", cmd_json_token(info), "id", id, "certificate", cert,
			"chain", f->chain != NULL ? cmd_json_chain(f->chain) : json_null(),
			"uris", token_uri_role_json(info, label, f->id, f->id_len))) < 0 ||
	    (path != NULL && cmd_json_set_text(doc, "file", path) < 0)) {
		json_decref(doc);
		doc = NULL;
	}
	json_decref(cert);
	free(pem);
	free(id);
	free(subject);
	return doc;
}

int
cmd_export(struct global_opts *g, int argc, char **argv)
{
	struct export_opts o = { g, false, false, NULL };
	struct export_found f;
	struct module *m = NULL;
	struct token *t = NULL;
	char label[ROLESTATE_LABEL_MAX];
	unsigned char *data = NULL;
	size_t len = 0;
	const char *role;
	int first = 0, status = EXIT_FAILED;

	memset(&f, 0, sizeof(f));
	if (!cmd_parse(g, argc, argv, "o:", export_long, cmd_export_option, &o,
		       &first, &status))
		goto out;
	if (argc - first != 1) {
		status = cmd_usage_error(g, "name one role");
		goto out;
	}
	if (o.der && o.chain) {
		status = cmd_usage_error(g, "--der writes one certificate; --chain "
					 "writes several, as PEM: give one of them");
		goto out;
	}
	if (o.der && g->json && o.out == NULL) {
		status = cmd_usage_error(g, "--der with --json: the JSON document "
					 "holds PEM; give -o FILE for the DER");
		goto out;
	}
	role = argv[first];
	g->read_only = true;
	g->public_only = true;
	if ((status = cmd_role_label(g, role, label, sizeof(label))) != 0 ||
	    (status = cmd_open_token(g, &m, &t)) != 0)
		goto out;
	status = EXIT_FAILED;
	if (cmd_export_find(t, role, label, o.chain, &f) < 0 ||
	    ((!g->json || o.out != NULL) &&
	     (cmd_export_bytes(&f, o.der, &data, &len) < 0 ||
	      cmd_export_write(o.out, data, len) < 0))) {
		status = cmd_fail(g);
		goto out;
	}
	status = EXIT_DONE;
	if (g->json && cmd_json_print(cmd_export_json(token_get_info(t), role, label,
						      &f, o.out)) < 0)
		status = EXIT_FAILED;
out:
	free(data);
	cmd_export_found_clear(&f);
	cmd_close_token(m, t);
	return status;
}
