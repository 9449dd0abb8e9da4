/* SPDX-License-Identifier: MIT */
/* cmd-request.c - request ROLE --out FILE: key and request only. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "enroll.h"
#include "err.h"
#include "profile.h"

enum { OPT_OUT = 1200, OPT_SET };

struct request_opts {
	const struct global_opts *g;
	const char *out;
	struct vars *vars;
};

static const struct option request_long[] = {
	{ "out", required_argument, NULL, OPT_OUT },
	{ "set", required_argument, NULL, OPT_SET },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_request_option(void *ctx, int opt, const char *arg)
{
	struct request_opts *o = ctx;

	switch (opt) {
	case 'o':
	case OPT_OUT: o->out = arg; return 0;
	case OPT_SET: return cmd_set_var(o->g, o->vars, arg);
	default: return cmd_usage_error(o->g, "unknown option");
	}
}

/* Open the output before the token changes; an existing file is kept. */
static int
cmd_request_open_out(const struct global_opts *g, const char *path, int *fd)
{
	if (strcmp(path, "-") == 0) {
		*fd = STDOUT_FILENO;
		return 0;
	}
	*fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (*fd < 0) {
		err_set(errno == EEXIST ? ERR_USAGE : ERR_FAILED, "cannot create %s: %s%s",
			path, strerror(errno), errno == EEXIST ? " (not overwritten)" : "");
		return cmd_fail(g);
	}
	return 0;
}

/* Write PEM to FD and close it (unless it is stdout). */
static int
cmd_request_write(int fd, const char *path, const char *pem)
{
	size_t len = strlen(pem);
	ssize_t n = write(fd, pem, len);
	int saved = errno;

	if (fd != STDOUT_FILENO && close(fd) < 0 && n == (ssize_t)len) {
		saved = errno;
		n = -1;
	}
	if (n != (ssize_t)len)
		return err_set(ERR_FAILED, "cannot write the request to %s: %s; the "
			       "key awaits a certificate on the token", path,
			       n < 0 ? strerror(saved) : "short write");
	return 0;
}

/* A role set of one role is fine; one of several is not, which is said
 * before its templates ask for the other roles' variables. */
static int
cmd_request_one_role(const struct global_opts *g, char *name)
{
	char **roles = NULL;
	size_t n = 0;
	int status = EXIT_DONE;

	if (profile_expand_roles(cmd_profiles_dir(g), &name, 1, &roles, &n) < 0)
		status = cmd_fail(g);
	else if (n != 1)
		status = cmd_usage_error(g, "role set %s stands for %zu roles; "
					 "request takes exactly one role", name, n);
	profile_names_free(roles, n);
	return status;
}

int
cmd_request(struct global_opts *g, int argc, char **argv)
{
	struct request_opts o;
	struct profile **profile = NULL;
	struct module *m = NULL;
	struct token *t = NULL;
	char *pem = NULL;
	int first = 0, nroles = 0, fd = -1, status = EXIT_FAILED;

	memset(&o, 0, sizeof(o));
	o.g = g;
	if ((o.vars = vars_new()) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		return cmd_fail(g);
	}
	if (!cmd_parse(g, argc, argv, "o:", request_long, cmd_request_option, &o,
		       &first, &status))
		goto out;
	if (argc - first != 1) {
		status = cmd_usage_error(g, "name exactly one role");
		goto out;
	}
	if (o.out == NULL) {
		status = cmd_usage_error(g, "--out FILE is required (- for stdout)");
		goto out;
	}
	if ((status = cmd_request_one_role(g, argv[first])) != 0 ||
	    (status = cmd_load_profiles(g, argv + first, 1, o.vars, &profile,
				       &nroles)) != 0)
		goto out;
	cmd_note_write_login(g, profile, nroles);
	if ((status = cmd_request_open_out(g, o.out, &fd)) != 0 ||
	    (status = cmd_open_token(g, &m, &t)) != 0)
		goto out;
	if (enroll_request(t, profile[0], o.vars, &pem) < 0) {
		status = cmd_fail(g);
		goto out;
	}
	/* With --json and --out -, the request travels inside the document. */
	if (!(g->json && fd == STDOUT_FILENO)) {
		int written = cmd_request_write(fd, o.out, pem);

		fd = -1;
		if (written < 0) {
			status = cmd_fail(g);
			goto out;
		}
	}
	fd = -1;
	status = EXIT_DONE;
	if (g->json)
		status = cmd_json_print(json_pack("{s:o, s:s, s:s, s:s}", "token",
					 cmd_json_token(token_get_info(t)), "role",
					 profile_role(profile[0]), "state", "awaiting-certificate", "request",
					 strcmp(o.out, "-") == 0 ? pem : o.out)) < 0 ?
			 EXIT_FAILED : EXIT_DONE;
	else if (g->verbosity >= 0 && strcmp(o.out, "-") != 0)
		printf("requested %s: the key awaits its certificate; request "
		       "written to %s\n", profile_role(profile[0]), o.out);
out:
	if (fd >= 0 && fd != STDOUT_FILENO) {
		close(fd);
		if (status != EXIT_DONE)
			unlink(o.out);
	}
	free(pem);
	cmd_free_profiles(profile, nroles);
	cmd_close_token(m, t);
	vars_free(o.vars);
	return status;
}
