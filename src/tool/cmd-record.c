/* SPDX-License-Identifier: MIT */
/* cmd-record.c - the enrollment record of a role, from the command line
 * and back. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cmd-record.h"
#include "enroll.h"
#include "err.h"
#include "keygen.h"
#include "util.h"

/* PATH made absolute against the working directory; NULL stays NULL.
 * -1 when out of memory. */
static int
cmd_record_path(const char *path, char **out)
{
	char cwd[PATH_MAX];

	*out = NULL;
	if (path == NULL)
		return 0;
	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		*out = util_strdup(path);
	else if (asprintf(out, "%s/%s", cwd, path) < 0)
		*out = NULL;
	return *out != NULL ? 0 : -1;
}

/* A secret's source SPEC as the record keeps it: a file: source with its
 * path made absolute, any other as it is. */
static int
cmd_record_source(const char *spec, char **out)
{
	char *path = NULL;
	int rc;

	*out = NULL;
	if (spec == NULL)
		return 0;
	if (strncmp(spec, "file:", 5) != 0)
		return (*out = util_strdup(spec)) != NULL ? 0 : -1;
	if (cmd_record_path(spec + 5, &path) < 0)
		return -1;
	rc = asprintf(out, "file:%s", path) < 0 ? -1 : 0;
	if (rc < 0)
		*out = NULL;
	free(path);
	return rc;
}

struct rolerecord *
cmd_record_make(const struct cmd_ca *c, const char *trust,
		const struct vars *vars, const char *profile)
{
	struct rolerecord *r = rolerecord_new();

	if (r == NULL)
		return NULL;
	r->ca_timeout = c->timeout;
	r->acme.agree_tos = c->acme_agree_tos;
	r->enrolled = time(NULL);
	if ((profile != NULL && (r->profile = util_strdup(profile)) == NULL) ||
	    (c->spec != NULL && (r->ca = util_strdup(c->spec)) == NULL) ||
	    cmd_record_path(c->tls_trust, &r->ca_tls_trust) < 0 ||
	    cmd_record_source(c->auth_source, &r->ca_auth_source) < 0 ||
	    cmd_record_source(c->challenge_source, &r->challenge_source) < 0 ||
	    cmd_record_path(trust, &r->trust) < 0 ||
	    cmd_record_path(c->acme_account, &r->acme.account) < 0 ||
	    (c->acme_email != NULL &&
	     (r->acme.email = util_strdup(c->acme_email)) == NULL) ||
	    (c->acme_eab_kid != NULL &&
	     (r->acme.eab_kid = util_strdup(c->acme_eab_kid)) == NULL) ||
	    cmd_record_source(c->acme_eab_hmac_source, &r->acme.eab_hmac_source) < 0 ||
	    (c->acme_http != NULL &&
	     (r->acme.http = util_strdup(c->acme_http)) == NULL) ||
	    cmd_record_path(c->acme_webroot, &r->acme.webroot) < 0 ||
	    (c->acme_dns_hook != NULL &&
	     (r->acme.dns_hook = util_strdup(c->acme_dns_hook)) == NULL) ||
	    vars_merge(r->vars, vars) < 0) {
		rolerecord_free(r);
		err_set(ERR_FAILED, "out of memory");
		return NULL;
	}
	return r;
}

void
cmd_record_keep(const struct global_opts *g, struct token *t,
		const struct enroll_result *r, const char *old_id_hex,
		const struct rolerecord *rec)
{
	unsigned char id[KEY_ID_MAX], old[KEY_ID_MAX];
	size_t len = 0, old_len = 0;
	bool have_old;

	if (r->id_hex == NULL ||
	    OPENSSL_hexstr2buf_ex(id, sizeof(id), &len, r->id_hex, '\0') != 1)
		return;
	have_old = old_id_hex != NULL &&
		   OPENSSL_hexstr2buf_ex(old, sizeof(old), &old_len, old_id_hex,
					 '\0') == 1;
	if (rec != NULL &&
	    rolerecord_store(t, r->label, id, len, have_old ? old : NULL,
			     old_len, r->fresh, rec) == 0)
		return;
	fprintf(stderr, "p11enroll: %s: warning: role %s is in place, but its "
		"enrollment record is not: %s\n", g->command, r->role,
		err_message());
	err_clear();
}

/* The ACME options the command line left out of C, from REC. */
static void
cmd_record_apply_acme(const struct rolerecord *rec, struct cmd_ca *c)
{
	if (c->acme_account == NULL)
		c->acme_account = rec->acme.account;
	if (c->acme_email == NULL)
		c->acme_email = rec->acme.email;
	if (c->acme_eab_kid == NULL)
		c->acme_eab_kid = rec->acme.eab_kid;
	if (c->acme_eab_hmac_source == NULL)
		c->acme_eab_hmac_source = rec->acme.eab_hmac_source;
	if (c->acme_http == NULL)
		c->acme_http = rec->acme.http;
	if (c->acme_webroot == NULL)
		c->acme_webroot = rec->acme.webroot;
	if (c->acme_dns_hook == NULL)
		c->acme_dns_hook = rec->acme.dns_hook;
	c->acme_agree_tos = c->acme_agree_tos || rec->acme.agree_tos;
}

int
cmd_record_apply(const struct rolerecord *rec, struct cmd_ca *c,
		 const char **trust, const struct vars *cmdline, struct vars **out)
{
	struct vars *v = vars_new();

	*out = NULL;
	if (v == NULL)
		return -1;
	if (rec != NULL) {
		if (c->spec == NULL)
			c->spec = rec->ca;
		if (c->tls_trust == NULL)
			c->tls_trust = rec->ca_tls_trust;
		if (c->auth_source == NULL)
			c->auth_source = rec->ca_auth_source;
		if (c->challenge_source == NULL)
			c->challenge_source = rec->challenge_source;
		if (c->timeout == 0)
			c->timeout = rec->ca_timeout;
		if (*trust == NULL)
			*trust = rec->trust;
		cmd_record_apply_acme(rec, c);
		if (vars_merge(v, rec->vars) < 0)
			goto fail;
	}
	if (vars_merge(v, cmdline) < 0)
		goto fail;
	*out = v;
	return 0;
fail:
	vars_free(v);
	return -1;
}
