/* main.c - the command table. */
#include "config.h"

#include <string.h>

#include "cmd.h"
#include "interrupt.h"
#include "pin.h"
#include "util.h"

static const struct command cmd_table[] = {
	{ "tokens", "tokens",
	  "list slots and tokens", cmd_tokens },
	{ "init-token", "init-token --label LABEL [--pin-mailer FILE]",
	  "initialise a blank token and set its user PIN", cmd_init_token },
	{ "enroll", "enroll ROLE... --ca CA [--set NAME=VALUE]... [--trust FILE] [--wait SECONDS]",
	  "for each role: key, request, CA, check, write back", cmd_enroll },
	{ "request", "request ROLE --out FILE [--set NAME=VALUE]...",
	  "key and request only; the key waits for install", cmd_request },
	{ "install", "install ROLE CERTFILE [--chain FILE] [--trust FILE]",
	  "check a certificate against the waiting key, write it", cmd_install },
	{ "status", "status [--expiring DAYS] [--repair [--yes]]",
	  "audit every object and key's real rights; repair interrupted runs", cmd_status },
	{ "renew", "renew ROLE --ca CA [--set NAME=VALUE]... [--trust FILE] [--keep-old]",
	  "new key and certificate for one role; the old pair goes after", cmd_renew },
	{ "remove", "remove ROLE [--yes] [--retired | --only-retired]",
	  "delete one role's keys, certificates and waiting request", cmd_remove },
	{ "batch", "batch MANIFEST --ca CA [-j N] [--journal FILE] [--report FILE]\n"
	  "        [--pin-mailer FILE]",
	  "many tokens from a CSV manifest, resumable with its journal", cmd_batch },
	{ "profile", "profile list | show NAME | lint FILE...",
	  "the roles and role sets, one profile, the policy check", cmd_profile },
};

int
main(int argc, char **argv)
{
	struct global_opts g;
	int first = 0, status = EXIT_USAGE;
	const struct command *c;

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
	/* A signal ends the command like a failure; once it has cleaned
	 * up, the process ends by that signal. */
	interrupt_catch();
	status = c->run(&g, argc - first, argv + first);
	pin_env_clear();
	interrupt_reraise();
	return status;
}
