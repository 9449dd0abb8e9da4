/* cmd-common.c - what every command shares: options, token, output. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include "certstore.h"
#include "cmd.h"
#include "enroll.h"
#include "err.h"
#include "keygen.h"
#include "keysupport.h"
#include "pin.h"
#include "profile.h"
#include "profile-load.h"
#include "tty.h"
#include "util.h"
#include "verify.h"

enum {
	OPT_PIN_SOURCE = 1000,
	OPT_SO_PIN_SOURCE,
	OPT_PROFILES,
	OPT_JSON,
	OPT_HELP,
};

static const struct option cmd_global_long[] = {
	{ "module", required_argument, NULL, 'm' },
	{ "token", required_argument, NULL, 't' },
	{ "pin-source", required_argument, NULL, OPT_PIN_SOURCE },
	{ "so-pin-source", required_argument, NULL, OPT_SO_PIN_SOURCE },
	{ "profiles", required_argument, NULL, OPT_PROFILES },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, OPT_HELP },
};
#define CMD_GLOBAL_SHORT "m:t:vqh"
#define CMD_NGLOBAL (sizeof(cmd_global_long) / sizeof(cmd_global_long[0]))

const struct command *
cmd_find(const struct global_opts *g, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < g->ncommands; i++)
		if (strcmp(g->commands[i].name, name) == 0)
			return &g->commands[i];
	return NULL;
}

/* Usage of one command, or of the whole program. */
static void
cmd_print_help(const struct global_opts *g, FILE *f, const char *name)
{
	const struct command *c = cmd_find(g, name);
	size_t i;

	if (c != NULL) {
		fprintf(f, "usage: p11enroll [GLOBAL OPTIONS] %s\n  %s\n",
			c->synopsis, c->summary);
		fprintf(f, "See p11enroll(1) for the global options.\n");
		return;
	}
	fprintf(f,
		"usage: p11enroll [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
		"Global options:\n"
		"  -m, --module PATH        PKCS#11 module (default $P11ENROLL_MODULE,\n"
		"                           else %s)\n"
		"  -t, --token URI          token: RFC 7512 URI, or a label\n"
		"      --pin-source SRC     user PIN from file:PATH, env:VAR, fd:N or prompt\n"
		"      --so-pin-source SRC  security officer PIN, same forms\n"
		"      --profiles DIR       role profiles (default $P11ENROLL_PROFILES,\n"
		"                           else %s)\n"
		"      --json               machine-readable output on stdout\n"
		"  -v, --verbose / -q, --quiet\n"
		"  -h, --help               this text; COMMAND --help for one command\n\n"
		"Commands:\n", DEFAULT_MODULE, PROFILES_DIR);
	for (i = 0; i < g->ncommands; i++)
		fprintf(f, "  %s\n      %s\n", g->commands[i].synopsis,
			g->commands[i].summary);
	fputs("\nCA options of enroll, renew and batch:\n"
	      "      --ca CA                  exec:COMMAND, cfssl:URL[#PROFILE] or scep:URL\n"
	      "      --ca-timeout SECONDS     one submission (default 300)\n"
	      "      --wait SECONDS           keep asking a CA that asks to wait (default 0)\n"
	      "      --ca-tls-trust FILE      https: the CA's trust anchors (PEM)\n"
	      "      --ca-auth-source SRC     cfssl authsign key, same forms as a PIN\n"
	      "      --challenge-source SRC   SCEP challenge password, same forms\n", f);
	fprintf(f, "\nExit status: 0 done, 1 failed, 2 usage, profile or manifest "
		"error,\n3 batch: some rows failed, 4 status found policy findings,\n"
		"5 enroll or batch left a key awaiting a CA that asked to wait.\n");
}

static bool
cmd_is_global(int opt)
{
	size_t i;

	for (i = 0; i < CMD_NGLOBAL; i++)
		if (cmd_global_long[i].val == opt)
			return true;
	return opt == 'h';
}

/* Apply one global option; returns 0, an exit status, or -1 after help. */
static int
cmd_global_option(struct global_opts *g, int opt, const char *arg)
{
	switch (opt) {
	case 'm': g->module = arg; return 0;
	case 't': g->token = arg; return 0;
	case OPT_PIN_SOURCE: g->pin_source = arg; return 0;
	case OPT_SO_PIN_SOURCE: g->so_pin_source = arg; return 0;
	case OPT_PROFILES: g->profiles = arg; return 0;
	case OPT_JSON: g->json = true; return 0;
	case 'v': g->verbosity = 1; return 0;
	case 'q': g->verbosity = -1; return 0;
	case 'h':
	case OPT_HELP:
		cmd_print_help(g, stdout, g->command);
		return -1;
	default:
		return cmd_usage_error(g, "unknown option");
	}
}

bool
cmd_parse_global(struct global_opts *g, int argc, char **argv, int *first,
		 int *status)
{
	int opt, rc;

	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+" CMD_GLOBAL_SHORT,
				  cmd_global_long, NULL)) != -1) {
		if (opt == '?') {
			*status = cmd_usage_error(g, "unknown option or missing "
						  "argument: %s", argv[optind - 1]);
			return false;
		}
		rc = cmd_global_option(g, opt, optarg);
		if (rc != 0) {
			*status = rc < 0 ? EXIT_DONE : rc;
			return false;
		}
	}
	if (optind >= argc) {
		cmd_print_help(g, stderr, NULL);
		*status = EXIT_USAGE;
		return false;
	}
	*first = optind;
	return true;
}

bool
cmd_parse(struct global_opts *g, int argc, char **argv, const char *own_short,
	  const struct option *own, cmd_option_fn on_option, void *ctx,
	  int *first, int *status)
{
	struct option merged[64];
	char shorts[64];
	size_t n = 0, i;
	int opt, rc;

	for (i = 0; own != NULL && own[i].name != NULL && n < 40; i++)
		merged[n++] = own[i];
	for (i = 0; i < CMD_NGLOBAL; i++)
		merged[n++] = cmd_global_long[i];
	memset(&merged[n], 0, sizeof(merged[n]));
	snprintf(shorts, sizeof(shorts), "%s%s", CMD_GLOBAL_SHORT, own_short ? own_short : "");
	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, shorts, merged, NULL)) != -1) {
		if (opt == '?') {
			*status = cmd_usage_error(g, "unknown option or missing "
						  "argument: %s", argv[optind - 1]);
			return false;
		}
		if (cmd_is_global(opt))
			rc = cmd_global_option(g, opt, optarg);
		else
			rc = on_option(ctx, opt, optarg);
		if (rc != 0) {
			*status = rc < 0 ? EXIT_DONE : rc;
			return false;
		}
	}
	*first = optind;
	return true;
}

const char *
cmd_module_path(const struct global_opts *g)
{
	const char *env = getenv("P11ENROLL_MODULE");

	if (g->module != NULL)
		return g->module;
	return env != NULL && env[0] != '\0' ? env : DEFAULT_MODULE;
}

const char *
cmd_profiles_dir(const struct global_opts *g)
{
	const char *env = getenv("P11ENROLL_PROFILES");

	if (g->profiles != NULL)
		return g->profiles;
	return env != NULL && env[0] != '\0' ? env : PROFILES_DIR;
}

const char *
cmd_lock_dir(void)
{
	const char *env = getenv("P11ENROLL_LOCK_DIR");

	if (env != NULL && env[0] != '\0')
		return env;
	if (access("/run/lock", W_OK) == 0)
		return "/run/lock";
	return "/tmp";
}

/* The terminal prompt behind the "prompt" PIN source: echo off, read
 * straight from the terminal into a buffer that is wiped. One byte more
 * than a PIN may have, so that pin_copy() refuses a longer one. */
static char *
cmd_prompt_pin(const char *what, void *ctx)
{
	char buf[PIN_MAX + 2], prompt[160];
	char *pin = NULL;
	size_t len = 0;

	snprintf(prompt, sizeof(prompt), "Enter the %s: ", what);
	if (tty_read_secret(prompt, buf, sizeof(buf), &len) < 0) {
		if (err_kind() == ERR_USAGE)
			err_append("use --pin-source");
		err_prefix("cannot prompt for the %s", what);
	} else if (len == 0) {
		err_set(ERR_USAGE, "no %s was entered", what);
	} else if ((pin = strdup(buf)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return pin;
}

int
cmd_read_pin_source(const char *spec, const char *what, char **pin)
{
	struct pin_source src;
	int rc;

	*pin = NULL;
	if (pin_source_parse(spec, &src) < 0)
		return -1;
	rc = pin_source_read(&src, what, cmd_prompt_pin, NULL, pin);
	pin_source_clear(&src);
	return rc;
}

/* Words for a PIN prompt when a wrong PIN was entered before. The
 * final try and a locked PIN never get this far: the login refuses them. */
static const char *
cmd_pin_tries_note(CK_FLAGS f)
{
	return (f & CKF_USER_PIN_COUNT_LOW) ?
	       " (a wrong PIN was entered before: few tries are left)" : "";
}

const char *
cmd_pin_state_word(CK_FLAGS f)
{
	if (!(f & CKF_TOKEN_INITIALIZED))
		return "uninitialised";
	if (!(f & CKF_USER_PIN_INITIALIZED))
		return "no-user-pin";
	if (f & CKF_USER_PIN_LOCKED)
		return "locked";
	if (f & CKF_USER_PIN_FINAL_TRY)
		return "final-try";
	if (f & CKF_USER_PIN_COUNT_LOW)
		return "count-low";
	return "ok";
}

/* The user PIN: --pin-source, else the URI's pin-value or pin-source,
 * else a prompt when on a terminal. */
static int
cmd_read_pin(const struct global_opts *g, struct token *t, char **pin)
{
	const char *label = token_get_info(t)->label;
	struct pin_source src = { PIN_PROMPT, NULL };
	char what[160], spec[4200];
	const char *uri_source = token_uri_pin_source(t);
	int rc = -1;

	*pin = NULL;
	snprintf(what, sizeof(what), "user PIN of token %s%s", label,
		 cmd_pin_tries_note(token_get_info(t)->flags));
	if (g->pin_source == NULL && token_uri_pin_value(t) != NULL) {
		*pin = strdup(token_uri_pin_value(t));
		return *pin ? 0 : err_set(ERR_FAILED, "out of memory");
	}
	if (g->pin_source != NULL) {
		if (pin_source_parse(g->pin_source, &src) < 0)
			goto out;
	} else if (uri_source != NULL) {
		/* RFC 7512 pin-source: a file, as file:PATH or a plain path. */
		snprintf(spec, sizeof(spec), "%s%s",
			 strncmp(uri_source, "file:", 5) == 0 ? "" : "file:", uri_source);
		if (pin_source_parse(spec, &src) < 0)
			goto out;
	} else if (!isatty(STDIN_FILENO)) {
		err_set(ERR_USAGE, "token %s needs a PIN and there is no terminal "
			"to ask on: use --pin-source file:PATH, env:VAR or fd:N", label);
		goto out;
	}
	rc = pin_source_read(&src, what, cmd_prompt_pin, NULL, pin);
out:
	pin_source_clear(&src);
	return rc;
}

int
cmd_open_token(struct global_opts *g, struct module **m, struct token **t)
{
	char *pin = NULL;
	int rc;

	*m = NULL;
	*t = NULL;
	cmd_progress_setup(g);
	if (module_load(cmd_module_path(g), m) < 0 ||
	    token_open_mode(*m, g->token, cmd_lock_dir(),
			    g->read_only ? TOKEN_READ : TOKEN_WRITE, t) < 0)
		goto fail;
	if (!token_needs_login(*t))
		return 0;
	if (token_has_pinpad(*t) && g->pin_source == NULL &&
	    token_uri_pin_value(*t) == NULL && token_uri_pin_source(*t) == NULL) {
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "Enter the user PIN of token %s%s on the "
				"reader's PIN pad.\n", token_get_info(*t)->label,
				cmd_pin_tries_note(token_get_info(*t)->flags));
		if (token_login(*t, NULL) < 0)
			goto fail;
		return 0;
	}
	if (cmd_read_pin(g, *t, &pin) < 0)
		goto fail;
	rc = token_login(*t, pin);
	pin_free(pin);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	rc = cmd_fail(g);
	cmd_close_token(*m, *t);
	*m = NULL;
	*t = NULL;
	return rc;
}

void
cmd_close_token(struct module *m, struct token *t)
{
	token_close(t);
	module_free(m);
}

void
cmd_json_print(json_t *doc)
{
	if (doc == NULL) {
		fprintf(stderr, "p11enroll: out of memory\n");
		return;
	}
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(doc);
}

/* Print MESSAGE of STATUS as the command's error. */
static int
cmd_report(const struct global_opts *g, int status, const char *message)
{
	if (g->json)
		cmd_json_print(json_pack("{s:{s:s, s:s, s:i}}", "error",
					 "command", g->command ? g->command : "",
					 "message", message, "exit", status));
	else
		fprintf(stderr, "p11enroll: %s%s%s\n", g->command ? g->command : "",
			g->command ? ": " : "", message);
	return status;
}

int
cmd_fail(const struct global_opts *g)
{
	const char *message = err_message();

	return cmd_report(g, err_kind() == ERR_USAGE ? EXIT_USAGE : EXIT_FAILED,
			  message[0] ? message : "failed for an unknown reason");
}

int
cmd_usage_error(const struct global_opts *g, const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (!g->json)
		fprintf(stderr, "p11enroll: %s%s%s (see p11enroll --help)\n",
			g->command ? g->command : "", g->command ? ": " : "", message);
	else
		cmd_report(g, EXIT_USAGE, message);
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

json_t *
cmd_json_token(const struct token_info *info)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:b, s:o}",
			 "uri", info->uri, "label", info->label,
			 "serial", info->serial, "model", info->model,
			 "manufacturer", info->manufacturer,
			 "slot", (json_int_t)info->slot,
			 "initialized", (info->flags & CKF_TOKEN_INITIALIZED) != 0,
			 "write_protected", (info->flags & CKF_WRITE_PROTECTED) != 0,
			 "login_required", (info->flags & CKF_LOGIN_REQUIRED) != 0,
			 "user_pin", cmd_json_pin_state(info->flags));
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

int
cmd_set_var(const struct global_opts *g, struct vars *vars, const char *arg)
{
	if (vars_set(vars, arg) < 0)
		return cmd_usage_error(g, "--set: %s", err_message());
	return 0;
}

int
cmd_load_trust(const struct global_opts *g, const char *path, X509_STORE **out)
{
	*out = NULL;
	if (path == NULL)
		return 0;
	if (verify_load_trust(path, out) < 0)
		return cmd_fail(g);
	return 0;
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
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		len = BIO_get_mem_data(b, &data);
		s = strndup(data, (size_t)len);
	}
	BIO_free(b);
	return s;
}

json_t *
cmd_json_result(const struct enroll_result *r)
{
	char not_after[32];
	char *subject = cmd_name_string(X509_get_subject_name(r->cert));
	char *issuer = cmd_name_string(X509_get_issuer_name(r->cert));
	char *sha256 = NULL, *serial = NULL;
	json_t *doc;

	certstore_cert_ids(r->cert, &sha256, &serial);
	certstore_time_string(X509_get0_notAfter(r->cert), not_after, sizeof(not_after));
	doc = json_pack("{s:s, s:s, s:s, s:s, s:{s:s?, s:s?, s:s?, s:s, s:s?, s:o}}",
			"role", r->role, "label", r->label, "id", r->id_hex,
			"key_algorithm", r->key_alg, "certificate",
			"subject", subject, "issuer", issuer, "serial", serial,
			"not_after", not_after, "sha256", sha256,
			"extended_key_usage", cmd_json_eku(r->cert));
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

	certstore_time_string(X509_get0_notAfter(r->cert), not_after, sizeof(not_after));
	printf("%s %s: %s key %s, certificate %s valid until %s\n", verb, r->role,
	       r->key_alg, r->id_hex, subject ? subject : "?", not_after);
	free(subject);
}

/* Expand role sets, then load every role's profile and fill its
 * templates before the token is touched, so that a missing variable
 * changes nothing. */
int
cmd_load_profiles(const struct global_opts *g, char **roles, int n,
		  const struct vars *vars, struct profile ***out, int *count)
{
	const char *dir = cmd_profiles_dir(g);
	struct csr_spec spec;
	struct profile **p = NULL;
	char **names = NULL;
	size_t i, nnames = 0;
	int status = EXIT_FAILED;

	*out = NULL;
	*count = 0;
	if (profile_expand_roles(dir, roles, (size_t)n, &names, &nnames) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	if ((p = calloc(nnames, sizeof(*p))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		status = cmd_fail(g);
		goto out;
	}
	for (i = 0; i < nnames; i++) {
		if (profile_load(dir, names[i], &p[i]) < 0 ||
		    profile_spec(p[i], vars, &spec) < 0) {
			status = cmd_fail(g);
			goto out;
		}
		csr_spec_clear(&spec);
	}
	*out = p;
	*count = (int)nnames;
	p = NULL;
	status = EXIT_DONE;
out:
	cmd_free_profiles(p, (int)nnames);
	profile_names_free(names, nnames);
	return status;
}

void
cmd_free_profiles(struct profile **p, int n)
{
	int i;

	for (i = 0; p != NULL && i < n; i++)
		profile_free(p[i]);
	free(p);
}
