/* SPDX-License-Identifier: MIT */
/* ca-exec.c - exec:COMMAND, a CA reached through certmonger's helper
 * protocol.
 *
 * The helper gets $CERTMONGER_OPERATION (SUBMIT, or POLL with the cookie
 * it gave in $CERTMONGER_CA_COOKIE), the request in $CERTMONGER_CSR and
 * on its stdin, the role's CA profile ([ca] profile, else the role's
 * name) in $CERTMONGER_CA_PROFILE and the request's
 * subject and names in $CERTMONGER_REQ_*. It answers with the certificate
 * (PEM, chain may follow) on stdout. Its exit status says what happened:
 * 0 issued, 1 wait (stdout: a cookie), 5 wait (stdout: seconds, a newline
 * and a cookie), 2 rejected, 3 unreachable, 4 under-configured, 6 does
 * not know the operation.
 *
 * COMMAND is split at spaces and tabs into the helper's arguments. There
 * is no quoting, no shell, no globbing and no variable expansion: what is
 * written is what the helper gets, so a word cannot contain a blank.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "array.h"
#include "ca-backend.h"
#include "csr.h"
#include "err.h"
#include "spawn.h"
#include "util.h"

#define CA_EXEC_PATH "/usr/local/bin:/usr/bin:/bin"
#define CA_EXEC_STDERR_MAX 4096
#define CA_EXEC_LINE_MAX 200
/* A cookie is kept on the token beside the waiting key. */
#define CA_EXEC_COOKIE_MAX 4096

struct ca_exec {
	char *description;      /* "exec:/usr/bin/helper" */
	char *what;             /* "CA exec:/usr/bin/helper", for messages */
	char *path;             /* the program, resolved at open time */
	char **argv;            /* NULL-terminated, argv[0] as written */
	int timeout_seconds;
	size_t max_answer;
};

/* ---- open --------------------------------------------------------- */

/* A followed by the first BLEN bytes of B, in new memory; NULL when out
 * of memory. */
static char *
ca_exec_join(const char *a, const char *b, size_t blen)
{
	size_t alen = strlen(a);
	char *s;

	if ((s = malloc(alen + blen + 1)) == NULL)
		return NULL;
	memcpy(s, a, alen);
	memcpy(s + alen, b, blen);
	s[alen + blen] = '\0';
	return s;
}

void
ca_exec_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

static int
ca_exec_split(const char *what, const char *who, const char *command,
	      char ***out)
{
	static const char blanks[] = " \t";
	char **argv = NULL;
	const char *p;
	size_t n = 0, words = 0, len;
	int rc = -1;

	*out = NULL;
	for (p = command + strspn(command, blanks); *p != '\0';
	     p += len, p += strspn(p, blanks)) {
		len = strcspn(p, blanks);
		words++;
	}
	if (words == 0) {
		err_set(ERR_USAGE, "%s%s: no %s command given", what, command,
			who);
		goto out;
	}
	if ((argv = calloc(words + 1, sizeof(*argv))) == NULL)
		goto nomem;
	for (p = command + strspn(command, blanks); *p != '\0';
	     p += len, p += strspn(p, blanks)) {
		len = strcspn(p, blanks);
		if ((argv[n] = ca_exec_join("", p, len)) == NULL)
			goto nomem;
		n++;
	}
	*out = argv;
	argv = NULL;
	rc = 0;
	goto out;
nomem:
	err_set(ERR_FAILED, "%s%s: out of memory", what, command);
out:
	ca_exec_argv_free(argv);
	return rc;
}

/* 0 when PATH names a regular file we may execute, else errno. */
static int
ca_exec_usable(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return errno;
	if (!S_ISREG(st.st_mode))
		return EACCES;
	if (access(path, X_OK) == -1)
		return errno;
	return 0;
}

/* The program NAME as execvp would find it: as written when it has a
 * '/', else the first usable entry of $PATH. */
static int
ca_exec_resolve(const char *what, const char *who, const char *name,
		char **out)
{
	const char *search, *dir, *end;
	char *candidate = NULL;
	size_t dirlen, size;
	int rc = -1, e;

	*out = NULL;
	if (strchr(name, '/') != NULL) {
		if ((e = ca_exec_usable(name)) != 0) {
			err_set(ERR_USAGE, "%s%s: cannot run the %s: %s", what,
				name, who, strerror(e));
			goto out;
		}
		if ((*out = util_strdup(name)) == NULL)
			goto out;
		rc = 0;
		goto out;
	}
	if ((search = getenv("PATH")) == NULL)
		search = CA_EXEC_PATH;
	for (dir = search; ; dir = end + 1) {
		end = strchr(dir, ':');
		dirlen = end != NULL ? (size_t)(end - dir) : strlen(dir);
		free(candidate);
		size = dirlen + 1 + strlen(name) + 1;
		if ((candidate = malloc(size)) == NULL) {
			err_set(ERR_FAILED, "%s%s: out of memory", what, name);
			goto out;
		}
		/* An empty entry is the working directory. */
		snprintf(candidate, size, "%.*s%s%s", (int)dirlen, dir,
			 dirlen > 0 ? "/" : "", name);
		if (ca_exec_usable(candidate) == 0) {
			*out = candidate;
			candidate = NULL;
			rc = 0;
			goto out;
		}
		if (end == NULL)
			break;
	}
	err_set(ERR_USAGE, "%s%s: no such program on the PATH", what, name);
out:
	free(candidate);
	return rc;
}

int
ca_exec_command(const char *what, const char *who, const char *command,
		char ***argv, char **path)
{
	*argv = NULL;
	*path = NULL;
	if (ca_exec_split(what, who, command, argv) == -1)
		return -1;
	if (ca_exec_resolve(what, who, (*argv)[0], path) == -1) {
		ca_exec_argv_free(*argv);
		*argv = NULL;
		return -1;
	}
	return 0;
}

static void
ca_exec_free(void *state)
{
	struct ca_exec *ce = state;

	if (ce == NULL)
		return;
	free(ce->description);
	free(ce->what);
	free(ce->path);
	ca_exec_argv_free(ce->argv);
	free(ce);
}

static int
ca_exec_open(const char *rest, const struct ca_options *opts, void **state)
{
	struct ca_exec *ce = NULL;
	int rc = -1;

	*state = NULL;
	if ((ce = calloc(1, sizeof(*ce))) == NULL) {
		err_set(ERR_FAILED, "CA exec:%s: out of memory", rest);
		goto out;
	}
	ce->timeout_seconds = opts->timeout_seconds;
	ce->max_answer = opts->max_answer;
	if (ca_exec_command("CA exec:", "helper", rest, &ce->argv, &ce->path) == -1)
		goto out;
	ce->description = ca_exec_join("exec:", ce->path, strlen(ce->path));
	ce->what = ca_exec_join("CA exec:", ce->path, strlen(ce->path));
	if (ce->description == NULL || ce->what == NULL) {
		err_set(ERR_FAILED, "CA exec:%s: out of memory", rest);
		goto out;
	}
	*state = ce;
	ce = NULL;
	rc = 0;
out:
	ca_exec_free(ce);
	return rc;
}

static const char *
ca_exec_describe(const void *state)
{
	const struct ca_exec *ce = state;

	return ce->description;
}

/* ---- the helper's environment ------------------------------------- */

/* An environment under construction: NULL-terminated, grown as needed. */
struct ca_exec_env {
	char **vars;
	size_t n, cap;
	bool failed;            /* out of memory along the way */
};

/* Add NAME=VALUE (the first LEN bytes of VALUE). */
static void
ca_exec_env_add(struct ca_exec_env *env, const char *name, const char *value,
		size_t len)
{
	char *var, **grown;
	size_t nlen = strlen(name);

	if (env->failed)
		return;
	/* Room for the terminating NULL too. */
	if ((grown = array_grow(env->vars, &env->cap, env->n + 2,
				sizeof(*grown))) == NULL) {
		env->failed = true;
		return;
	}
	env->vars = grown;
	if ((var = malloc(nlen + 1 + len + 1)) == NULL) {
		env->failed = true;
		return;
	}
	memcpy(var, name, nlen);
	var[nlen] = '=';
	memcpy(var + nlen + 1, value, len);
	var[nlen + 1 + len] = '\0';
	env->vars[env->n++] = var;
	env->vars[env->n] = NULL;
}

/* Add NAME=VALUE unless VALUE is NULL or empty, as certmonger does. */
static void
ca_exec_env_set(struct ca_exec_env *env, const char *name, const char *value)
{
	if (value != NULL && *value != '\0')
		ca_exec_env_add(env, name, value, strlen(value));
}

/* A growing text of one variable's values, one per line. */
struct ca_exec_list {
	char *text;
	size_t len, cap;
	bool failed;
};

static void
ca_exec_list_add(struct ca_exec_list *l, const char *value, size_t len)
{
	char *grown;

	if (l->failed)
		return;
	/* Room for a newline, the value and the terminating NUL. */
	if ((grown = array_grow(l->text, &l->cap, l->len + len + 2, 1)) ==
	    NULL) {
		l->failed = true;
		return;
	}
	l->text = grown;
	if (l->len > 0)
		l->text[l->len++] = '\n';
	memcpy(l->text + l->len, value, len);
	l->len += len;
	l->text[l->len] = '\0';
}

/* The request's subject and subject alternative names in certmonger's
 * CERTMONGER_REQ_* variables, values of one kind one per line, and its
 * key type in CERTMONGER_KEY_TYPE. */
static void
ca_exec_env_request(struct ca_exec_env *env, X509_REQ *req)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	GENERAL_NAMES *san = X509V3_get_d2i(exts, NID_subject_alt_name, NULL,
					    NULL);
	struct ca_exec_list dns = { 0 }, email = { 0 }, ip = { 0 };
	EVP_PKEY *key = X509_REQ_get0_pubkey(req);
	char *subject = NULL, addr[INET6_ADDRSTRLEN];
	BIO *bio = BIO_new(BIO_s_mem());
	long subject_len;
	int i;

	if (bio == NULL ||
	    X509_NAME_print_ex(bio, X509_REQ_get_subject_name(req), 0,
			       XN_FLAG_RFC2253) < 0 ||
	    (subject_len = BIO_get_mem_data(bio, &subject)) < 0)
		env->failed = true;
	else
		ca_exec_env_add(env, "CERTMONGER_REQ_SUBJECT", subject,
				(size_t)subject_len);
	for (i = 0; san != NULL && i < sk_GENERAL_NAME_num(san); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(san, i);
		const ASN1_STRING *s;

		switch (gn->type) {
		case GEN_DNS:
			s = gn->d.dNSName;
			ca_exec_list_add(&dns, (const char *)ASN1_STRING_get0_data(s),
					 (size_t)ASN1_STRING_length(s));
			break;
		case GEN_EMAIL:
			s = gn->d.rfc822Name;
			ca_exec_list_add(&email, (const char *)ASN1_STRING_get0_data(s),
					 (size_t)ASN1_STRING_length(s));
			break;
		case GEN_IPADD:
			s = gn->d.iPAddress;
			if (inet_ntop(ASN1_STRING_length(s) == 16 ? AF_INET6 : AF_INET,
				      ASN1_STRING_get0_data(s), addr,
				      sizeof(addr)) != NULL)
				ca_exec_list_add(&ip, addr, strlen(addr));
			break;
		default:
			break;
		}
	}
	if (dns.failed || email.failed || ip.failed)
		env->failed = true;
	ca_exec_env_set(env, "CERTMONGER_REQ_HOSTNAME", dns.text);
	ca_exec_env_set(env, "CERTMONGER_REQ_EMAIL", email.text);
	ca_exec_env_set(env, "CERTMONGER_REQ_IP_ADDRESS", ip.text);
	if (key != NULL)
		ca_exec_env_set(env, "CERTMONGER_KEY_TYPE",
				EVP_PKEY_is_a(key, "RSA") ? "RSA" :
				EVP_PKEY_is_a(key, "EC") ? "EC" : NULL);
	free(dns.text);
	free(email.text);
	free(ip.text);
	BIO_free(bio);
	GENERAL_NAMES_free(san);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

/* Built from nothing: no variable of ours (PINs included) reaches the
 * helper, only what certmonger's protocol defines. COOKIE is NULL for
 * SUBMIT. */
static int
ca_exec_env_new(const struct ca_exec *ce, const char *operation,
		const char *cookie, const char *csr_pem, const char *role,
		char ***out)
{
	struct ca_exec_env env = { 0 };
	X509_REQ *req = NULL;

	*out = NULL;
	if (csr_from_bytes((const unsigned char *)csr_pem, strlen(csr_pem),
			   &req) < 0)
		return err_prefix("CA %s", ce->description);
	ca_exec_env_set(&env, "PATH", CA_EXEC_PATH);
	ca_exec_env_set(&env, "CERTMONGER_OPERATION", operation);
	ca_exec_env_set(&env, "CERTMONGER_CSR", csr_pem);
	ca_exec_env_set(&env, "CERTMONGER_CA_PROFILE", role);
	ca_exec_env_set(&env, "CERTMONGER_CA_COOKIE", cookie);
	ca_exec_env_request(&env, req);
	X509_REQ_free(req);
	if (env.failed || env.vars == NULL) {
		ca_exec_argv_free(env.vars);
		return err_set(ERR_FAILED, "CA %s: out of memory",
			       ce->description);
	}
	*out = env.vars;
	return 0;
}

/* ---- what the exit status means ------------------------------------ */

enum ca_exec_detail {
	CA_EXEC_NO_DETAIL,
	CA_EXEC_OUT_OR_ERR,     /* certmonger helpers put the reason on stdout */
};

static const struct {
	int code;
	const char *meaning;
	enum ca_exec_detail detail;
	enum err_code err;
} ca_exec_exits[] = {
	{ 2, "the CA rejected the request", CA_EXEC_OUT_OR_ERR,
	  ERR_CODE_CA_REJECTED },
	{ 3, "the CA could not be reached", CA_EXEC_OUT_OR_ERR,
	  ERR_CODE_CA_UNREACHABLE },
	{ 4, "the CA helper is not configured correctly", CA_EXEC_OUT_OR_ERR,
	  ERR_CODE_CA_FAILED },
	{ 6, "the CA helper does not know this operation", CA_EXEC_NO_DETAIL,
	  ERR_CODE_CA_FAILED },
};

static int
ca_exec_fail_with_line(const char *description, const char *what,
		       const char *line)
{
	if (*line == '\0')
		return err_set(ERR_FAILED, "CA %s: %s (no reason given)",
			       description, what);
	return err_set(ERR_FAILED, "CA %s: %s: %s", description, what, line);
}

/* A helper that asked to wait: exit 1 prints the cookie, exit 5 a delay
 * in seconds, a newline and the cookie. */
static int
ca_exec_wait(const char *description, const struct spawn_result *res,
	     int code, struct ca_reply *reply)
{
	const char *text = (const char *)res->out.data, *cookie = text;
	size_t len = res->out.len;
	long delay = 0;
	char *end;

	if (memchr(text, '\0', len) != NULL)
		return err_set(ERR_FAILED, "CA %s: the CA helper asked to wait "
			       "but its cookie holds a NUL byte", description);
	if (code == 5) {
		errno = 0;
		delay = strtol(text, &end, 10);
		if (end == text || (*end != '\n' && *end != '\r' && *end != '\0') ||
		    errno != 0 || delay < 0 || delay > CA_MAX_WAIT)
			return err_set(ERR_FAILED, "CA %s: the CA helper asked to "
				       "wait (exit 5) but did not begin its answer "
				       "with a delay in seconds from 0 to %d",
				       description, CA_MAX_WAIT);
		cookie = end + strspn(end, "\r\n");
		len -= (size_t)(cookie - text);
	}
	while (len > 0 && (cookie[len - 1] == '\n' || cookie[len - 1] == '\r'))
		len--;
	if (len > CA_EXEC_COOKIE_MAX)
		return err_set(ERR_FAILED, "CA %s: the CA helper asked to wait "
			       "with a cookie of more than %d bytes",
			       description, CA_EXEC_COOKIE_MAX);
	if ((reply->cookie = ca_exec_join("", cookie, len)) == NULL)
		return err_set(ERR_FAILED, "CA %s: out of memory", description);
	reply->retry_seconds = (int)delay;
	return CA_PENDING;
}

int
ca_exec_parse_answer(const char *description, struct spawn_result *res,
		     struct ca_reply *reply)
{
	char line[CA_EXEC_LINE_MAX + 4], what[64];
	int code;
	size_t i;

	if (WIFEXITED(res->status)) {
		code = WEXITSTATUS(res->status);
		if (code == 0) {
			reply->answer = res->out.data;
			reply->len = res->out.len;
			res->out.data = NULL;
			return 0;
		}
		if (code == 1 || code == 5)
			return ca_exec_wait(description, res, code, reply);
		for (i = 0; i < sizeof(ca_exec_exits) / sizeof(ca_exec_exits[0]);
		     i++) {
			if (ca_exec_exits[i].code != code)
				continue;
			if (ca_exec_exits[i].detail == CA_EXEC_NO_DETAIL) {
				err_set(ERR_FAILED, "CA %s: %s", description,
					ca_exec_exits[i].meaning);
				return err_tag(ca_exec_exits[i].err);
			}
			spawn_first_line(&res->out, line, sizeof(line));
			if (*line == '\0')
				spawn_first_line(&res->err, line, sizeof(line));
			ca_exec_fail_with_line(description,
					       ca_exec_exits[i].meaning, line);
			return err_tag(ca_exec_exits[i].err);
		}
		snprintf(what, sizeof(what), "the CA helper failed (exit %d)",
			 code);
	} else if (WIFSIGNALED(res->status))
		snprintf(what, sizeof(what), "the CA helper failed (signal %d)",
			 WTERMSIG(res->status));
	else
		snprintf(what, sizeof(what), "the CA helper failed (status %d)",
			 res->status);
	spawn_first_line(&res->err, line, sizeof(line));
	return ca_exec_fail_with_line(description, what, line);
}

/* ---- submit and poll ------------------------------------------------- */

static int
ca_exec_ask(const struct ca_exec *ce, const char *operation, const char *cookie,
	    const char *csr_pem, const char *role, struct ca_reply *reply)
{
	struct spawn_result res;
	struct spawn_job job;
	char **envp = NULL;
	int rc = -1;

	memset(&res, 0, sizeof(res));
	if (ca_exec_env_new(ce, operation, cookie, csr_pem, role, &envp) == -1)
		goto out;
	memset(&job, 0, sizeof(job));
	job.what = ce->what;
	job.who = "the CA helper";
	job.path = ce->path;
	job.argv = ce->argv;
	job.envp = envp;
	job.input = csr_pem;
	job.input_len = strlen(csr_pem);
	job.timeout_seconds = ce->timeout_seconds;
	job.max_out = ce->max_answer;
	job.max_err = CA_EXEC_STDERR_MAX;
	if (spawn_run(&job, &res) == -1)
		goto out;
	rc = ca_exec_parse_answer(ce->description, &res, reply);
out:
	spawn_result_clear(&res);
	ca_exec_argv_free(envp);
	return rc;
}

static int
ca_exec_submit(void *state, const char *csr_pem, const char *role,
	       struct ca_reply *reply)
{
	return ca_exec_ask(state, "SUBMIT", NULL, csr_pem, role, reply);
}

static int
ca_exec_poll(void *state, const char *cookie, const char *csr_pem,
	     const char *role, struct ca_reply *reply)
{
	return ca_exec_ask(state, "POLL", cookie, csr_pem, role, reply);
}

const struct ca_backend ca_exec_backend = {
	.scheme = "exec",
	.open = ca_exec_open,
	.submit = ca_exec_submit,
	.poll = ca_exec_poll,
	.describe = ca_exec_describe,
	.free = ca_exec_free,
};
