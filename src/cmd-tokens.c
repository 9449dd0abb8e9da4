/* cmd-tokens.c - list slots and tokens. */
#include "config.h"

#include <stdio.h>

#include "cmd.h"

/* The PIN state as a word for the table. */
static const char *
cmd_tokens_pin_state(CK_FLAGS f)
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

static int
cmd_tokens_none(void *ctx, int opt, const char *arg)
{
	return EXIT_USAGE;
}

int
cmd_tokens(struct global_opts *g, int argc, char **argv)
{
	struct token_info *infos = NULL;
	struct module *m = NULL;
	json_t *list = NULL;
	size_t n = 0, i;
	int first = 0, status = EXIT_FAILED;

	if (!cmd_parse(g, argc, argv, "", NULL, cmd_tokens_none, NULL, &first, &status))
		return status;
	if (first < argc)
		return cmd_usage_error(g, "unexpected argument '%s'", argv[first]);
	if (module_load(cmd_module_path(g), &m) < 0 || token_list(m, &infos, &n) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	if (g->json) {
		list = json_array();
		for (i = 0; list != NULL && i < n; i++)
			json_array_append_new(list, cmd_json_token(&infos[i]));
		cmd_json_print(json_pack("{s:s, s:o}", "module", module_path(m),
					 "tokens", list));
	} else if (n == 0) {
		printf("no token is present in %s\n", module_path(m));
	} else {
		printf("%-10s %-20s %-16s %-16s %-13s %s\n", "SLOT", "LABEL", "SERIAL",
		       "MODEL", "PIN", "URI");
		for (i = 0; i < n; i++)
			printf("%-10lu %-20s %-16s %-16s %-13s %s\n",
			       (unsigned long)infos[i].slot, infos[i].label,
			       infos[i].serial, infos[i].model,
			       cmd_tokens_pin_state(infos[i].flags), infos[i].uri);
	}
	status = EXIT_DONE;
out:
	token_info_free_array(infos, n);
	module_free(m);
	return status;
}
