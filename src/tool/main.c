/* SPDX-License-Identifier: MIT */
/* main.c - the command table. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "interrupt.h"
#include "pin.h"
#include "trace.h"
#include "util.h"

static const struct command cmd_table[] = {
	{ "tokens", "tokens",
	  "list slots and tokens", cmd_tokens,
	  "  (no options of its own)\n", false },
	{ "init-token", "init-token --label LABEL [--pin-mailer FILE]",
	  "initialise a blank token and set its user PIN", cmd_init_token,
	  "      --label LABEL        the new token's label (1 to 32 bytes)\n"
	  "      --pin-mailer FILE    a random user PIN, appended to FILE (0600)\n"
	  "                           instead of --pin-source\n", false },
	{ "enroll", "enroll ROLE... --ca CA [--set NAME=VALUE]... [--trust FILE] [--missing]\n"
	  "        [--wait SECONDS]",
	  "for each role: key, request, CA, check, write back", cmd_enroll,
	  "      --set NAME=VALUE     a template variable of the roles' profiles\n"
	  "      --trust FILE         check the certificate's chain up to these\n"
	  "                           anchors (PEM); without it the chain is not\n"
	  "                           checked\n"
	  "      --missing            enroll only the roles not on the token yet;\n"
	  "                           leave the others as they are\n", true },
	{ "request", "request ROLE --out FILE [--set NAME=VALUE]...",
	  "key and request only; the key waits for install", cmd_request,
	  "      --out FILE           where the request goes (PEM; - for stdout)\n"
	  "      --set NAME=VALUE     a template variable of the role's profile\n",
	  false },
	{ "install", "install ROLE CERTFILE [--chain FILE] [--trust FILE]",
	  "check a certificate against the waiting key, write it", cmd_install,
	  "      --chain FILE         more chain certificates, after CERTFILE's\n"
	  "      --trust FILE         check the chain up to these anchors (PEM)\n",
	  false },
	{ "status", "status [ROLE...] [--expiring DAYS] [--no-login] [--repair [--yes]]\n"
	  "        [--all-tokens] [--html FILE]",
	  "audit every object and key's real rights; repair interrupted runs", cmd_status,
	  "      --expiring DAYS      warn of certificates that end within DAYS\n"
	  "                           (default 30); given, the exit status says\n"
	  "                           so (10 within DAYS, 11 expired)\n"
	  "      --no-login           read the public objects only, even where a\n"
	  "                           PIN could be had\n"
	  "      --repair             list what interrupted runs left, and how it\n"
	  "                           would be cleaned up\n"
	  "      --yes                with --repair: do it\n"
	  "      --all-tokens         every initialised token of the module, one\n"
	  "                           after the other, and a summary\n"
	  "      --html FILE          every token on one static page (0600):\n"
	  "                           who authenticates clients, an expiry\n"
	  "                           timeline, each token's roles and findings\n", false },
	{ "renew", "renew ROLE [--ca CA] [--set NAME=VALUE]... [--trust FILE] [--keep-old]\n"
	  "        [--revoke-old]\n"
	  "        renew --due [DAYS] [--all-tokens | --manifest FILE] [--ca CA]\n"
	  "        [--set NAME=VALUE]... [--trust FILE] [--revoke-old]",
	  "new key and certificate for a role, or every due role; the old pair goes after",
	  cmd_renew,
	  "      --due [DAYS]         every role within DAYS of its end, or past two\n"
	  "                           thirds of its lifetime (exit 7: none due,\n"
	  "                           8: one failed)\n"
	  "      --all-tokens         with --due: every initialised token of the\n"
	  "                           module, each with the PIN of --pin-source\n"
	  "      --manifest FILE      with --due: the tokens of a batch manifest,\n"
	  "                           each row's pin_source where it gives one\n"
	  "      --set NAME=VALUE     a template variable of the role's profile\n"
	  "      --trust FILE         check the chain up to these anchors (PEM)\n"
	  "      --keep-old           keep the old pair as retired:LABEL\n"
	  "      --revoke-old         once the new certificate is in, revoke the\n"
	  "                           old one (reason superseded)\n", true },
	{ "remove", "remove ROLE [--yes] [--retired | --only-retired]\n"
	  "        [--revoke --ca CA [--reason REASON]]",
	  "delete one role's keys, certificates and waiting request", cmd_remove,
	  "  -y, --yes                do not ask (without a terminal, needed)\n"
	  "      --retired            the retired:LABEL objects too\n"
	  "      --only-retired       only the retired:LABEL objects\n"
	  "      --revoke             revoke the certificates through --ca first;\n"
	  "                           if that fails, nothing is deleted\n"
	  "      --reason REASON      CRLReason: unspecified (default),\n"
	  "                           keyCompromise, affiliationChanged,\n"
	  "                           superseded, cessationOfOperation,\n"
	  "                           certificateHold, privilegeWithdrawn\n", true },
	{ "revoke", "revoke --cert FILE --ca CA [--reason REASON]",
	  "revoke a certificate no longer on a token", cmd_revoke,
	  "      --cert FILE          the certificate (PEM), as the CA issued it\n"
	  "      --reason REASON      CRLReason, as remove --reason (default\n"
	  "                           unspecified)\n", true },
	{ "export", "export ROLE [--chain] [--der] [-o FILE]",
	  "the role's certificate (and its chain) off the token", cmd_export,
	  "      --chain              the CA certificates above it on the token\n"
	  "                           too, leaf first (PEM)\n"
	  "      --der                the certificate alone as DER (not with\n"
	  "                           --chain)\n"
	  "  -o, --out FILE           write FILE (0600; never through a link)\n"
	  "                           instead of standard output\n", false },
	{ "batch", "batch MANIFEST --ca CA [-j N] [--journal FILE] [--report FILE]\n"
	  "        [--trust FILE] [--pin-mailer FILE] [--manifest-pin-sources any|env|none]\n"
	  "  batch MANIFEST --check",
	  "many tokens from a CSV manifest, resumable with its journal", cmd_batch,
	  "  -j, --jobs N             tokens at once (default 1)\n"
	  "      --journal FILE       record progress; a rerun with it resumes\n"
	  "      --report FILE        one JSON object per row, then a summary\n"
	  "      --trust FILE         check the chains up to these anchors (PEM)\n"
	  "      --pin-mailer FILE    random user PINs of initialised tokens\n"
	  "      --manifest-pin-sources any|env|none\n"
	  "                           the manifest's pin_source forms allowed\n"
	  "                           (default any; env: env:VAR only; none)\n"
	  "      --check              check every row, report every bad one, and\n"
	  "                           stop: no token is touched, no CA asked\n", true },
	{ "profile", "profile list | show NAME | lint FILE...",
	  "the roles and role sets, one profile, the policy check", cmd_profile,
	  "  (no options of its own)\n", false },
};

/* The timing trace's lines, on stderr; the process's pid tells a batch's
 * workers apart. */
static void
main_trace_line(const char *phase, const char *role, double since_start_ms,
		double step_ms)
{
	fprintf(stderr, "p11enroll[%ld]: trace: %9.2f ms %9.2f ms  %s%s%s\n",
		(long)getpid(), since_start_ms, step_ms, role != NULL ? role : "",
		role != NULL ? ": " : "", phase);
}

int
main(int argc, char **argv)
{
	struct global_opts g;
	const char *trace = getenv("P11ENROLL_TRACE");
	int first = 0, status = EXIT_USAGE;
	const struct command *c;

	if (trace != NULL && trace[0] != '\0' && strcmp(trace, "0") != 0)
		trace_start(main_trace_line);
	/* Before any PIN is read. */
	pin_protect_process();
	memset(&g, 0, sizeof(g));
	g.commands = cmd_table;
	g.ncommands = NELEM(cmd_table);
	if (!cmd_parse_global(&g, argc, argv, &first, &status))
		return status;
	if ((c = cmd_find(&g, argv[first])) == NULL)
		return cmd_usage_error(&g, "unknown command '%s'", argv[first]);
	g.command = c->name;
	trace_mark("options", NULL);
	/* A signal ends the command like a failure; once it has cleaned
	 * up, the process ends by that signal. */
	interrupt_catch();
	status = c->run(&g, argc - first, argv + first);
	trace_mark("end", NULL);
	pin_env_clear();
	interrupt_reraise();
	return status;
}
