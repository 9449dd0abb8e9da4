/* SPDX-License-Identifier: MIT */
/* cmd.h - what every command shares: global options (cmd-opts.c), token
 * opening (cmd-token.c), a role command's inputs (cmd-roles.c), output
 * (cmd-output.c) and exit status. Only the command files talk to the
 * user. */
#ifndef P11E_CMD_H
#define P11E_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "cmd-json.h"
#include "err.h"
#include "keysupport.h"
#include "token.h"

/* Exit status (the man page's EXIT STATUS). */
enum {
	EXIT_DONE = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_BATCH_PARTIAL = 3,
	EXIT_FINDINGS = 4,
	EXIT_AWAITING = 5,
	EXIT_ENROLLED = 6,      /* a role is on the token already */
	EXIT_NOTHING_DUE = 7,   /* renew --due: no role was due */
	EXIT_RENEW_FAILED = 8,  /* renew --due: a due role was not renewed */
	EXIT_EXPIRING = 10,     /* status --expiring: a certificate expires
				 * within the days given */
	EXIT_EXPIRED = 11,      /* status --expiring: a certificate has
				 * expired */
};

struct command;

/* Options every command accepts, before or after its name. */
struct global_opts {
	const char *module;
	const char *token;
	const char *pin_source;
	const char *so_pin_source;
	const char *profiles;
	const char *state_dir;  /* --state-dir, or NULL */
	const char *command;    /* the command's name, for messages */
	bool json;
	bool no_chain;          /* --no-chain: no CA certificates on the
				 * token (token_set_keep_chain()) */
	bool read_only;         /* the command writes nothing to the token */
	bool public_only;       /* the command reads public objects only: it
				 * logs in only when given a PIN source */
	const char *so_role;    /* a role whose profile has the security
				 * officer write ([key] write_login = so),
				 * or NULL */
	int verbosity;          /* -1 quiet, 0 normal, 1 verbose */
	bool login_optional;    /* in: with no PIN source and no terminal
				 * (or with no_login), read the token's
				 * public objects without a login */
	bool no_login;          /* in: never log in */
	bool logged_out;        /* out: cmd_open_token() did not log in */
	const struct command *commands; /* main's table, for help */
	size_t ncommands;
};

/* A command: parse its options, check them, call the core, map the
 * result to an exit status. */
struct command {
	const char *name;
	const char *synopsis;
	const char *summary;
	int (*run)(struct global_opts *g, int argc, char **argv);
	const char *options;    /* each of its own options, for --help */
	bool ca;                /* takes the CA options too */
};

/* Called for each of a command's own options; returns 0 or an exit
 * status after reporting a bad value. */
typedef int (*cmd_option_fn)(void *ctx, int opt, const char *arg);

/* Parse ARGV (ARGV[0] is the command's name) with the command's own
 * options OWN (short options in OWN_SHORT) merged with the global ones.
 * True: go on, *FIRST is the index of the first operand (getopt permutes
 * them to the end). False: stop with exit status *STATUS (a reported
 * error, or 0 after --help). */
bool cmd_parse(struct global_opts *g, int argc, char **argv, const char *own_short,
	       const struct option *own, cmd_option_fn on_option, void *ctx,
	       int *first, int *status);

/* Parse the global options before the command, the same way; *FIRST is
 * the command's name. */
bool cmd_parse_global(struct global_opts *g, int argc, char **argv, int *first,
		      int *status);

/* The module path: --module, $P11ENROLL_MODULE, else p11-kit's proxy. */
const char *cmd_module_path(const struct global_opts *g);

/* The profiles path (DIR:DIR..., the first holding a name wins):
 * --profiles, then $P11ENROLL_PROFILES, or when that is not set the
 * user's ($XDG_CONFIG_HOME or ~/.config, then p11enroll/profiles), the
 * administrator's (SYSCONFDIR/p11enroll/profiles) and the installed
 * ones. */
const char *cmd_profiles_dir(const struct global_opts *g);

/* Load the module, open the selected token and log in as the user with
 * the PIN from its source. A command that writes also gives the token
 * the security officer PIN of --so-pin-source, for a token that wants
 * its SO to write, and refuses to go on without one when G->so_role is
 * set. Returns 0 or an exit status after reporting. */
int cmd_open_token(struct global_opts *g, struct module **m, struct token **t);

/* Where this user's per-token locks live: $P11ENROLL_LOCK_DIR as it is,
 * else a directory of this user's own (made 0700 when missing):
 * /run/p11enroll for root, $XDG_RUNTIME_DIR/p11enroll, else
 * /tmp/p11enroll-UID. NULL with the reason recorded when that directory
 * is someone else's or open to others. */
const char *cmd_lock_dir(void);

/* The state directory: --state-dir, else the default of the user
 * (statedir_default()); *OUT is NULL when there is none (no home), which
 * only a token that keeps no data objects minds. Caller frees. */
int cmd_state_dir(const struct global_opts *g, char **out);

/* Read the secret WHAT from the PIN source SPEC (file:, env:, fd: or
 * prompt, on the terminal). */
int cmd_read_pin_source(const char *spec, const char *what, char **pin);

/* Close what cmd_open_token opened; NULLs are fine. */
void cmd_close_token(struct module *m, struct token *t);

/* Report the recorded core error (stderr, or the JSON error document on
 * stdout) and return the exit status for its kind. */
int cmd_fail(const struct global_opts *g);

/* Report a usage error of the command with a printf message; returns
 * EXIT_USAGE. */
int cmd_usage_error(const struct global_opts *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The exit status for the recorded error: EXIT_ENROLLED for a role that
 * is on the token already, EXIT_USAGE for bad input, else EXIT_FAILED. */
int cmd_exit_status(void);

/* A command's error as JSON: {KEY: NAME, "code": CODE's name, "message":
 * MESSAGE, "exit": STATUS}; NULL when out of memory. */
json_t *cmd_json_error(const char *key, const char *name, const char *message,
		       enum err_code code, int status);

/* One of several errors of a run as JSON: {"code", "message"}; NULL when
 * out of memory. */
json_t *cmd_json_problem(enum err_code code, const char *message);

/* Report every error of ERRORS (stolen; an array of cmd_json_problem()s,
 * at least one) at once under SUMMARY: on standard error one per line
 * after "SUMMARY:", or in the JSON error document's "errors". Returns STATUS. */
int cmd_report_all(const struct global_opts *g, int status, const char *summary,
		   json_t *errors);

/* A JSON object describing the token (uri, label, serial, model, ...);
 * NULL when out of memory. */
json_t *cmd_json_token(const struct token_info *info);

/* The user PIN's state as one word: ok, count-low, final-try, locked,
 * no-user-pin, uninitialised. */
const char *cmd_pin_state_word(CK_FLAGS flags);

/* Show a spinner with the elapsed time on standard error during long
 * token operations, when it is a terminal and the command is not quiet. */
void cmd_progress_setup(const struct global_opts *g);

struct key_support;

/* What key algorithms the token can do, as JSON ("generate", "decrypt",
 * "derive" lists; null when the module does not say) and as words. */
json_t *cmd_json_key_support(const struct key_support *s);
void cmd_key_support_words(const struct key_support *s, char *buf, size_t size);

struct enroll_result;
struct vars;

/* Add --set NAME=VALUE to VARS, reporting a bad one; 0 or an exit status. */
int cmd_set_var(const struct global_opts *g, struct vars *vars, const char *arg);

/* Say on standard error, once per run and not under --quiet, that the
 * chain of the returned certificates is not checked (no --trust). */
void cmd_warn_unchecked(const struct global_opts *g);

/* Load the trust anchors of --trust; 0 or an exit status after reporting.
 * Without --trust (NULL PATH), *OUT is NULL and a warning on standard
 * error (not under --quiet) says that no returned certificate's chain
 * will be checked: once per run, as it is called once. */
int cmd_load_trust(const struct global_opts *g, const char *path,
		   X509_STORE **out);

struct profile;

/* The variables the N profiles P use that VARS does not set, each once,
 * in order: an array of {"code": "missing-variable", "variable": NAME,
 * "roles": [the roles that use it]}; NULL when out of memory. */
json_t *cmd_missing_vars(struct profile *const *p, int n, const struct vars *vars);

/* The roles of an item of cmd_missing_vars() as words into BUF: "role a"
 * or "roles a, b". */
void cmd_missing_roles(const json_t *item, char *buf, size_t size);

/* Load the profiles of ROLES, role sets expanded to their roles, and
 * fill their templates from VARS, before the token is touched; *COUNT is
 * the number of roles after expansion. 0 or an exit status after
 * reporting. */
int cmd_load_profiles(const struct global_opts *g, char **roles, int n,
		      const struct vars *vars, struct profile ***out,
		      int *count);

/* Note in G->so_role the first of the N profiles P whose security officer
 * writes ([key] write_login = so), for cmd_open_token(). */
void cmd_note_write_login(struct global_opts *g, struct profile *const *p, int n);

/* The label of ROLE's objects into LABEL: its profile's, else ROLE
 * itself (a role another tool or an old profile left). A role set or a
 * label with a state prefix is a usage error. Notes in G->so_role a role
 * whose security officer writes. 0 or an exit status after reporting. */
int cmd_role_label(struct global_opts *g, const char *role, char *label,
		   size_t size);

/* Free what cmd_load_profiles() made; NULL is fine. */
void cmd_free_profiles(struct profile **p, int n);

/* One enrolled role on the token INFO describes, as JSON: its
 * certificate (PEM too), chain (cmd_json_chain()) and object URIs
 * (token_uri_role_json()); CHAIN_CHECKED: its chain was checked up to
 * the anchors of --trust. */
json_t *cmd_json_result(const struct token_info *info,
			const struct enroll_result *r, bool chain_checked);

/* CA certificates, issuer first, as JSON: [{subject, issuer, serial,
 * not_after, sha256, pem}]. */
json_t *cmd_json_chain(STACK_OF(X509) *chain);

/* The warning of an enrolled role (its chain is not on the token), if
 * any, on standard error as "p11enroll: COMMAND: ...", also with -q. */
void cmd_print_result_warning(const struct global_opts *g,
			      const struct enroll_result *r);

/* One enrolled role as a line for people. */
void cmd_print_result(const char *verb, const struct enroll_result *r);


/* A subject or issuer as one RFC 2253 line; caller frees. */
char *cmd_name_string(const X509_NAME *name);


/* The extended key usages of CERT as short names, JSON array. */
json_t *cmd_json_eku(X509 *cert);

/* The command named NAME in G's table, or NULL. */
const struct command *cmd_find(const struct global_opts *g, const char *name);

int cmd_tokens(struct global_opts *g, int argc, char **argv);
int cmd_enroll(struct global_opts *g, int argc, char **argv);
int cmd_request(struct global_opts *g, int argc, char **argv);
int cmd_install(struct global_opts *g, int argc, char **argv);
int cmd_status(struct global_opts *g, int argc, char **argv);
int cmd_profile(struct global_opts *g, int argc, char **argv);
int cmd_renew(struct global_opts *g, int argc, char **argv);
int cmd_remove(struct global_opts *g, int argc, char **argv);
int cmd_export(struct global_opts *g, int argc, char **argv);
int cmd_revoke(struct global_opts *g, int argc, char **argv);
int cmd_batch(struct global_opts *g, int argc, char **argv);
int cmd_init_token(struct global_opts *g, int argc, char **argv);

#endif
