/* SPDX-License-Identifier: MIT */
/* cmd-opts.c - the options every command shares, and the help text. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "err.h"

enum {
	OPT_PIN_SOURCE = 1000,
	OPT_SO_PIN_SOURCE,
	OPT_PROFILES,
	OPT_JSON,
	OPT_HELP,
	OPT_VERSION,
	OPT_STATE_DIR,
	OPT_NO_CHAIN,
};

static const struct option cmd_global_long[] = {
	{ "module", required_argument, NULL, 'm' },
	{ "token", required_argument, NULL, 't' },
	{ "pin-source", required_argument, NULL, OPT_PIN_SOURCE },
	{ "so-pin-source", required_argument, NULL, OPT_SO_PIN_SOURCE },
	{ "profiles", required_argument, NULL, OPT_PROFILES },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "no-chain", no_argument, NULL, OPT_NO_CHAIN },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
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

static const char cmd_ca_help[] =
	"\nCA options of enroll, renew, remove, revoke and batch:\n"
	"      --ca CA                  exec:COMMAND, cfssl:URL[#PROFILE], scep:URL or\n"
	"                               acme:DIRECTORY_URL[#PROFILE]\n"
	"      --ca-timeout SECONDS     one submission (default 300)\n"
	"      --wait SECONDS           keep asking a CA that asks to wait (default 0)\n"
	"      --ca-retry SECONDS       between questions when the CA named no delay\n"
	"                               (default 5)\n"
	"      --ca-tls-trust FILE      https: the CA's trust anchors (PEM)\n"
	"      --ca-auth-source SRC     cfssl authsign key, same forms as a PIN\n"
	"      --challenge-source SRC   SCEP challenge password, same forms\n"
	"      --acme-account FILE      ACME account key, made on first use (default:\n"
	"                               acme-account.key in the state directory)\n"
	"      --acme-email ADDR        ACME account contact\n"
	"      --acme-agree-tos         agree to the ACME CA's terms of service\n"
	"      --acme-eab-kid ID        External Account Binding key id\n"
	"      --acme-eab-hmac-source SRC  its HMAC key (base64url), same forms\n"
	"      --acme-http ADDR:PORT    answer http-01 on this address\n"
	"      --acme-webroot DIR       answer http-01 with files under DIR\n"
	"      --acme-dns-hook COMMAND  answer dns-01: COMMAND add|remove NAME VALUE\n";

/* Usage of one command, or of the whole program. */
static void
cmd_print_help(const struct global_opts *g, FILE *f, const char *name)
{
	const struct command *c = cmd_find(g, name);
	size_t i;

	if (c != NULL) {
		fprintf(f, "usage: p11enroll [GLOBAL OPTIONS] %s\n  %s\n\n"
			"Options:\n%s", c->synopsis, c->summary, c->options);
		if (c->ca)
			fputs(cmd_ca_help, f);
		fprintf(f, "\nSee p11enroll --help for the global options, and "
			"p11enroll(1).\n");
		return;
	}
	fprintf(f,
		"usage: p11enroll [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
		"Global options:\n"
		"  -m, --module PATH        PKCS#11 module (default $P11ENROLL_MODULE,\n"
		"                           else %s)\n"
		"  -t, --token URI          token: RFC 7512 URI, or a label\n"
		"      --pin-source SRC     user PIN from file:PATH, env:VAR, fd:N or prompt\n"
		"                           (a file must be private: chmod 600)\n"
		"      --so-pin-source SRC  security officer PIN, same forms: for\n"
		"                           init-token, and for writes on tokens\n"
		"                           that want their SO for them (ykcs11)\n"
		"      --profiles DIR       look for role profiles in DIR first, then in\n"
		"                           $P11ENROLL_PROFILES (DIR:DIR...), else in\n"
		"                           ~/.config/p11enroll/profiles,\n"
		"                           %s,\n"
		"                           %s\n"
		"      --state-dir DIR      where a request or CA ticket goes when the\n"
		"                           token keeps no data objects (default\n"
		"                           $XDG_STATE_HOME/p11enroll, else\n"
		"                           ~/.local/state/p11enroll; /var/lib/p11enroll\n"
		"                           for root)\n"
		"      --no-chain           enroll, install, renew, batch: do not keep\n"
		"                           the issuing CA certificates on the token\n"
		"                           (for cards with little room)\n"
		"      --json               machine-readable output on stdout\n"
		"  -v, --verbose            status: each role's whole record too\n"
		"  -q, --quiet              no line for each role done\n"
		"  -h, --help               this text; COMMAND --help for one command\n"
		"      --version            the version of p11enroll\n\n"
		"Commands:\n", DEFAULT_MODULE, SYSCONF_PROFILES_DIR, PROFILES_DIR);
	for (i = 0; i < g->ncommands; i++)
		fprintf(f, "  %s\n      %s\n", g->commands[i].synopsis,
			g->commands[i].summary);
	fputs(cmd_ca_help, f);
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
	struct stat st;

	switch (opt) {
	case 'm': g->module = arg; return 0;
	case 't': g->token = arg; return 0;
	case OPT_PIN_SOURCE: g->pin_source = arg; return 0;
	case OPT_SO_PIN_SOURCE: g->so_pin_source = arg; return 0;
	case OPT_PROFILES:
		/* A directory that is not there would hold nothing and leave
		 * only the layers below it: a typo must not go unnoticed. */
		if (stat(arg, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    strchr(arg, ':') != NULL)
			return cmd_usage_error(g, "--profiles %s: not a directory%s",
					       arg, strchr(arg, ':') != NULL ?
					       " (':' separates directories in "
					       "P11ENROLL_PROFILES only)" : "");
		g->profiles = arg;
		return 0;
	case OPT_STATE_DIR:
		if (arg[0] == '\0')
			return cmd_usage_error(g, "--state-dir needs a directory");
		g->state_dir = arg;
		return 0;
	case OPT_NO_CHAIN: g->no_chain = true; return 0;
	case OPT_JSON: g->json = true; return 0;
	case 'v': g->verbosity = 1; return 0;
	case 'q': g->verbosity = -1; return 0;
	case 'h':
	case OPT_HELP:
		cmd_print_help(g, stdout, g->command);
		return -1;
	case OPT_VERSION:
		printf("p11enroll %s\n", PACKAGE_VERSION);
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
	static char path[3 * PATH_MAX + 64];
	const char *env = getenv("P11ENROLL_PROFILES");
	const char *config = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	size_t len;

	path[0] = '\0';
	if (g->profiles != NULL)
		snprintf(path, sizeof(path), "%s:", g->profiles);
	len = strlen(path);
	if (env != NULL && env[0] != '\0')
		snprintf(path + len, sizeof(path) - len, "%s", env);
	else if (config != NULL && config[0] == '/')
		snprintf(path + len, sizeof(path) - len,
			 "%s/p11enroll/profiles:%s:%s", config,
			 SYSCONF_PROFILES_DIR, PROFILES_DIR);
	else if (home != NULL && home[0] == '/')
		snprintf(path + len, sizeof(path) - len,
			 "%s/.config/p11enroll/profiles:%s:%s", home,
			 SYSCONF_PROFILES_DIR, PROFILES_DIR);
	else
		snprintf(path + len, sizeof(path) - len, "%s:%s",
			 SYSCONF_PROFILES_DIR, PROFILES_DIR);
	return path;
}
