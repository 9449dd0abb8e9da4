/* SPDX-License-Identifier: MIT */
/* cmd-init-token.c - init-token --label L [--pin-mailer FILE]: initialise
 * a blank token and set its user PIN. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "err.h"
#include "pin.h"
#include "pin-mailer.h"
#include "token.h"

enum { OPT_LABEL = 1700, OPT_PIN_MAILER };

struct init_opts {
	const struct global_opts *g;
	const char *label;
	const char *pin_mailer;
};

static const struct option init_long[] = {
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "pin-mailer", required_argument, NULL, OPT_PIN_MAILER },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_init_option(void *ctx, int opt, const char *arg)
{
	struct init_opts *o = ctx;

	switch (opt) {
	case OPT_LABEL: o->label = arg; return 0;
	case OPT_PIN_MAILER: o->pin_mailer = arg; return 0;
	default: return cmd_usage_error(o->g, "unknown option");
	}
}

/* Without --token: the one blank token present, by its slot. */
static int
cmd_init_selector(const struct global_opts *g, struct module *m, char *buf,
		  size_t size)
{
	struct token_info *infos = NULL;
	size_t n = 0, i, blank = 0;
	CK_SLOT_ID slot = 0;

	if (g->token != NULL) {
		snprintf(buf, size, "%s", g->token);
		return 0;
	}
	if (token_list(m, &infos, &n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (!(infos[i].flags & CKF_TOKEN_INITIALIZED)) {
			blank++;
			slot = infos[i].slot;
		}
	token_info_free_array(infos, n);
	if (blank != 1)
		return err_set(ERR_USAGE, "%zu blank tokens are present; choose "
			       "one with --token", blank);
	snprintf(buf, size, "pkcs11:slot-id=%lu", (unsigned long)slot);
	return 0;
}

/* The new user PIN: at random into the mailer, else from --pin-source. */
static int
cmd_init_user_pin(const struct init_opts *o, int mailer,
		  const struct token_info *info, char **pin)
{
	char what[64 + TEXT_PRINTABLE_SIZE(32)];

	*pin = NULL;
	if (mailer >= 0) {
		if (pin_generate(PIN_MAILER_DIGITS, pin) < 0 ||
		    pin_mailer_write(mailer, info->raw.label, info->raw.serial, *pin) < 0) {
			pin_free(*pin);
			*pin = NULL;
			return -1;
		}
		return 0;
	}
	snprintf(what, sizeof(what), "new user PIN of token %s", info->label);
	return cmd_read_pin_source(o->g->pin_source, what, pin);
}

int
cmd_init_token(struct global_opts *g, int argc, char **argv)
{
	struct init_opts o;
	struct token_info info;
	struct module *m = NULL;
	char selector[64 + 4096], *so_pin = NULL, *pin = NULL;
	int first = 0, mailer = -1, status = EXIT_FAILED;
	bool made_mailer = false;
	struct stat st;

	memset(&o, 0, sizeof(o));
	memset(&info, 0, sizeof(info));
	o.g = g;
	if (!cmd_parse(g, argc, argv, "", init_long, cmd_init_option, &o, &first,
		       &status))
		goto out;
	if (argc - first != 0) {
		status = cmd_usage_error(g, "init-token takes no operands");
		goto out;
	}
	if (o.label == NULL) {
		status = cmd_usage_error(g, "--label is required");
		goto out;
	}
	if (g->so_pin_source == NULL) {
		status = cmd_usage_error(g, "--so-pin-source is required: the "
					 "security officer PIN to give the token");
		goto out;
	}
	if (o.pin_mailer == NULL && g->pin_source == NULL) {
		status = cmd_usage_error(g, "give the new user PIN with --pin-source, "
					 "or --pin-mailer FILE for a random one");
		goto out;
	}
	/* A mailer this run makes and leaves empty goes again on failure. */
	made_mailer = o.pin_mailer != NULL && access(o.pin_mailer, F_OK) < 0 &&
	    errno == ENOENT;
	if ((o.pin_mailer != NULL && pin_mailer_open(o.pin_mailer, &mailer) < 0) ||
	    cmd_read_pin_source(g->so_pin_source, "security officer PIN of the new "
				"token", &so_pin) < 0 ||
	    module_load(cmd_module_path(g), &m) < 0 ||
	    cmd_init_selector(g, m, selector, sizeof(selector)) < 0 ||
	    token_init(m, selector, o.label, so_pin, &info) < 0 ||
	    cmd_init_user_pin(&o, mailer, &info, &pin) < 0 ||
	    token_init_user_pin(m, &info, so_pin, pin) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	status = EXIT_DONE;
	if (g->json)
		status = cmd_json_print(json_pack("{s:o}", "token",
						  cmd_json_token(&info))) < 0 ?
			 EXIT_FAILED : EXIT_DONE;
	else if (g->verbosity >= 0)
		printf("initialised token %s (serial %s)%s\n", info.label,
		       info.serial, mailer >= 0 ? "; its user PIN is in the PIN "
		       "mailer" : "");
out:
	pin_free(pin);
	pin_free(so_pin);
	if (mailer >= 0 && status != EXIT_DONE && made_mailer &&
	    fstat(mailer, &st) == 0 && st.st_size == 0)
		unlink(o.pin_mailer);
	if (mailer >= 0)
		close(mailer);
	free(info.uri);
	module_free(m);
	return status;
}
