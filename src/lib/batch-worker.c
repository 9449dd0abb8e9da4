/* SPDX-License-Identifier: MIT */
/* batch-worker.c - the worker side of a batch: one token at a time. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "audit.h"
#include "batch-msg.h"
#include "batch-worker.h"
#include "certstore.h"
#include "chainstore.h"
#include "enroll.h"
#include "err.h"
#include "journal.h"
#include "interrupt.h"
#include "pin.h"
#include "pin-mailer.h"
#include "rolerecord.h"
#include "token.h"
#include "token-login.h"
#include "token-pin.h"
#include "token-uri.h"
#include "util.h"

struct batch_worker {
	const struct batch_job *job;
	const enum journal_state *plan;
	const size_t *plan_off;
	int fd;
	struct module *module;          /* NULL when it could not be loaded */
	char *module_error;
};

/* ---- the PIN ---------------------------------------------------------- */

/* The user PIN for ROW's token T: the row's pin_source, else the batch's
 * PIN, else the token URI's pin-value or pin-source. */
static int
batch_worker_pin(const struct batch_worker *w, const struct manifest_row *row,
		 struct token *t, char **pin)
{
	const char *label = token_get_info(t)->label;
	char what[64 + TEXT_PRINTABLE_SIZE(32)];

	*pin = NULL;
	snprintf(what, sizeof(what), "user PIN of token %s", label);
	if (token_pin_lookup(t, row->pin_source, w->job->pin, what, NULL, NULL,
			     pin) < 0)
		return -1;
	if (*pin == NULL)
		return err_set(ERR_USAGE, "token %s needs a PIN: give --pin-source "
			       "or a pin_source column", label);
	return 0;
}

/* Log in to the token T of row INDEX with KNOWN (the PIN this run set, or
 * read from the mailer), else as batch_worker_pin() says; the batch's SO
 * PIN goes first, for a token that wants its security officer to write,
 * who writes from the start when one of the row's profiles says so. */
static int
batch_worker_login(const struct batch_worker *w, size_t index,
		   struct token *t, const char *known)
{
	const struct batch_row *br = &w->job->rows[index];
	const struct manifest_row *row = br->row;
	char *pin = NULL;
	int k, rc;

	if (w->job->so_pin != NULL && token_login_set_so_pin(t, w->job->so_pin) < 0)
		return -1;
	for (k = 0; k < br->nprofiles; k++)
		if (profile_writes_as_so(br->profiles[k]) &&
		    token_login_require_so(t, profile_role(br->profiles[k])) < 0)
			return -1;
	if (!token_needs_login(t))
		return 0;
	if (known != NULL)
		return token_login(t, known);
	if (batch_worker_pin(w, row, t, &pin) < 0)
		return -1;
	rc = token_login(t, pin);
	pin_free(pin);
	return rc;
}

/* The new user PIN of ROW's blank token INFO: at random into the mailer
 * (synced first), else from the row's PIN source or the batch's PIN. */
static int
batch_worker_new_pin(const struct batch_worker *w, const struct manifest_row *row,
		     const struct token_info *info, char **pin)
{
	struct pin_source src = { PIN_PROMPT, NULL };
	char what[64 + TEXT_PRINTABLE_SIZE(32)];
	int rc = -1;

	*pin = NULL;
	if (w->job->pin_mailer_fd >= 0) {
		if (pin_generate(PIN_MAILER_DIGITS, pin) < 0 ||
		    pin_mailer_write(w->job->pin_mailer_fd, info->raw.label,
				     info->raw.serial, *pin) < 0)
			goto out;
		rc = 0;
		goto out;
	}
	if (row->pin_source == NULL) {
		if (w->job->pin == NULL) {
			err_set(ERR_USAGE, "no user PIN for the new token %s: give "
				"--pin-mailer, --pin-source or a pin_source column",
				info->label);
			goto out;
		}
		if ((*pin = strdup(w->job->pin)) == NULL) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
		rc = 0;
		goto out;
	}
	snprintf(what, sizeof(what), "user PIN of token %s", info->label);
	if (pin_source_parse(row->pin_source, &src) < 0 ||
	    pin_source_read(&src, what, NULL, NULL, pin) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		pin_free(*pin);
		*pin = NULL;
	}
	pin_source_clear(&src);
	return rc;
}

/* A row with an init_label: its token initialised (now, or by an earlier
 * run: it then has the label) with a user PIN. *PIN is that PIN when this
 * run knows it: set now, or read back from the mailer. */
static int
batch_worker_init(const struct batch_worker *w, const struct manifest_row *row,
		  char **pin)
{
	struct module *m = w->module;
	struct token_info info;
	int rc = -1;

	*pin = NULL;
	memset(&info, 0, sizeof(info));
	if (token_select(m, row->init_label, &info, NULL, NULL) < 0 ||
	    !(info.flags & CKF_TOKEN_INITIALIZED)) {
		free(info.uri);
		if (token_init(m, row->token, row->init_label, w->job->so_pin,
			       &info) < 0)
			goto out;
	}
	if (!(info.flags & CKF_USER_PIN_INITIALIZED)) {
		if (batch_worker_new_pin(w, row, &info, pin) < 0 ||
		    token_init_user_pin(m, &info, w->job->so_pin, *pin) < 0)
			goto out;
	} else if (w->job->pin_mailer_fd >= 0 &&
		   pin_mailer_lookup(w->job->pin_mailer, info.raw.label, info.raw.serial,
				     pin) < 0) {
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		pin_free(*pin);
		*pin = NULL;
	}
	free(info.uri);
	return rc;
}

/* ---- resuming ---------------------------------------------------------- */

/* Finish or remove what a dead run left pending on T, as status --repair
 * does; the token's lock says no live run owns it. */
static int
batch_worker_repair(struct token *t, const struct batch_row *br)
{
	struct audit_repair_policy policy = {
		(const struct profile *const *)br->profiles,
		(size_t)br->nprofiles, NULL, time(NULL),
	};
	struct inventory_entry *inv = NULL;
	struct audit_repair *plan = NULL;
	size_t n = 0, count = 0;
	int rc = -1;

	if (certstore_inventory(t, &inv, &n) < 0 ||
	    audit_repair_plan(inv, n, NULL, &policy, &plan, &count) < 0 ||
	    audit_repair_apply(t, inv, NULL, plan, count) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		err_prefix("repair what an interrupted batch left on token %s",
			   token_get_info(t)->label);
	audit_repair_free(plan, count);
	certstore_inventory_free(inv, n);
	return rc;
}

/* Whether role P is complete on T (its key pair and certificate under
 * its label, one CKA_ID) into *COMPLETE; *CERT gets the certificate
 * then. -1, with the error recorded, when the token cannot tell. One
 * search for every object under the label (none on a token the role is
 * new to), then the class of each found. */
static int
batch_worker_check_complete(struct token *t, const struct profile *p, X509 **cert,
			    bool *complete)
{
	const char *label = profile_label(p);
	CK_ATTRIBUTE tmpl[] = { { CKA_LABEL, (void *)label, strlen(label) } };
	CK_OBJECT_HANDLE *h = NULL, priv = CK_INVALID_HANDLE, crt = CK_INVALID_HANDLE;
	CK_ULONG cls;
	unsigned char *kid = NULL, *cid = NULL;
	size_t n = 0, i, npriv = 0, ncrt = 0, klen = 0, clen = 0;
	int rc = -1;

	*cert = NULL;
	*complete = false;
	if (token_find(t, tmpl, NELEM(tmpl), &h, &n) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (token_get_ulong(t, h[i], CKA_CLASS, &cls) < 0)
			goto out;
		if (cls == CKO_PRIVATE_KEY) {
			priv = h[i];
			npriv++;
		} else if (cls == CKO_CERTIFICATE) {
			crt = h[i];
			ncrt++;
		}
	}
	if (npriv != 1 || ncrt != 1) {
		rc = 0;
		goto out;
	}
	if (token_get_attr(t, priv, CKA_ID, &kid, &klen) < 0 ||
	    token_get_attr(t, crt, CKA_ID, &cid, &clen) < 0)
		goto out;
	if (klen != clen || (klen > 0 && memcmp(kid, cid, klen) != 0)) {
		rc = 0;
		goto out;
	}
	if (certstore_read_cert(t, crt, cert) < 0)
		goto out;
	*complete = true;
	rc = 0;
out:
	free(h);
	free(kid);
	free(cid);
	return rc;
}

/* The same, a failure to tell counting as not complete. */
static bool
batch_worker_complete(struct token *t, const struct profile *p, X509 **cert)
{
	bool complete;

	if (batch_worker_check_complete(t, p, cert, &complete) < 0)
		complete = false;
	err_clear();
	return complete;
}

/* Whether role P of row INDEX, recorded done in the journal, is complete
 * on T with the certificate serial the journal names; *CERT gets the
 * token's certificate then. */
static bool
batch_worker_done_on_token(const struct batch_worker *w, size_t index,
			   struct token *t, const struct profile *p, X509 **cert)
{
	struct journal_cert jc = { NULL, NULL, NULL };
	char *sha256 = NULL, *serial = NULL;
	bool same = false;

	*cert = NULL;
	if (w->job->journal == NULL ||
	    journal_state(w->job->journal, w->job->rows[index].row->line,
			  profile_role(p), &jc) != JOURNAL_DONE ||
	    jc.serial == NULL || !batch_worker_complete(t, p, cert))
		goto out;
	certstore_cert_ids(*cert, &sha256, &serial);
	same = serial != NULL && strcasecmp(serial, jc.serial) == 0;
out:
	if (!same) {
		X509_free(*cert);
		*cert = NULL;
	}
	free(sha256);
	free(serial);
	journal_cert_clear(&jc);
	return same;
}

/* ---- messages ------------------------------------------------------------ */

/* What the report gives a consumer of role P's certificate CERT on T:
 * {"chain": [PEM...], "uris": {...}}; CHAIN is the CA certificates that
 * came with it, NULL to read them from the token; ID_HEX the role's
 * CKA_ID as enroll_role() gave it, NULL to read it from the token. NULL
 * when none of it can be had: the report goes on without. */
static json_t *
batch_worker_consumers(struct token *t, const struct profile *p, X509 *cert,
		       STACK_OF(X509) *chain, const char *id_hex)
{
	STACK_OF(X509) *read = NULL, *kept = NULL;
	CK_OBJECT_HANDLE *h = NULL;
	unsigned char *id = NULL;
	char *pem;
	unsigned char known[KEY_ID_MAX];
	size_t n = 0, id_len = 0;
	json_t *doc = json_object(), *pems = json_array();
	struct err_saved saved;
	int i;

	/* What goes wrong here leaves the report without it, and the
	 * recorded error as it was. */
	err_save(&saved);

	if (chain == NULL && chainstore_read(t, cert, &read) == 0)
		chain = read;
	if (chain != NULL && chainstore_kept(chain, &kept) == 0)
		for (i = 0; pems != NULL && i < sk_X509_num(kept); i++) {
			pem = certstore_cert_pem(sk_X509_value(kept, i));
			json_array_append_new(pems, json_string(pem));
			free(pem);
		}
	if (id_hex != NULL ?
	    OPENSSL_hexstr2buf_ex(known, sizeof(known), &id_len, id_hex, '\0') == 1 :
	    certstore_find_label(t, CKO_CERTIFICATE, profile_label(p), &h, &n) == 0 &&
	    n == 1 && token_get_attr(t, h[0], CKA_ID, &id, &id_len) == 0)
		json_object_set_new(doc, "uris", token_uri_role_json(token_get_info(t),
				    profile_label(p), id_hex != NULL ? known : id, id_len));
	err_restore(&saved);
	json_object_set_new(doc, "chain", pems);
	sk_X509_pop_free(read, X509_free);
	sk_X509_pop_free(kept, X509_free);
	free(h);
	free(id);
	return doc;
}

/* STATE of ROLE of ROW; a failed one with the recorded error. CONSUMERS
 * (taken, may be NULL) goes along with a certificate. */
static int
batch_worker_say(const struct batch_worker *w, size_t row, size_t role,
		 const char *state, X509 *cert, bool present, json_t *consumers)
{
	bool failed = strcmp(state, "failed") == 0;
	char not_after[32] = "", *sha256 = NULL, *serial = NULL;
	json_t *doc;
	int rc;

	if (cert != NULL) {
		certstore_cert_ids(cert, &sha256, &serial);
		certstore_time_string(X509_get0_notAfter(cert), not_after,
				      sizeof(not_after));
	}
	doc = json_pack("{s:I, s:I, s:s, s:s*, s:s*, s:s*, s:s*, s:s*, s:b}",
			"row", (json_int_t)row, "role", (json_int_t)role, "state",
			state, "serial", serial, "sha256", sha256, "not_after",
			cert != NULL ? not_after : NULL, "error",
			failed ? err_message() : NULL, "code",
			failed ? err_code_name(err_code()) : NULL, "present", present);
	if (consumers != NULL)
		json_object_update_new(doc, consumers);
	rc = batch_send_json(w->fd, doc);
	free(sha256);
	free(serial);
	return rc;
}

/* Tell the parent ROLE is about to start and wait until the journal has
 * it. */
static int
batch_worker_start(const struct batch_worker *w, size_t row, size_t role)
{
	char line[16];

	if (batch_worker_say(w, row, role, "started", NULL, false, NULL) < 0 ||
	    batch_read_line(w->fd, line, sizeof(line)) != 1 ||
	    strcmp(line, "ack") != 0)
		return err_set(ERR_FAILED, "the batch stopped");
	return 0;
}

/* ---- one row ----------------------------------------------------------- */

/* Keep the enrollment record of role P, just enrolled on T as R with
 * VARS. A record that cannot be kept does not fail the row: the role is
 * in place, and renew --ca gives it one. */
static void
batch_worker_record(const struct batch_worker *w, struct token *t,
		    const struct profile *p, const struct vars *vars,
		    const struct enroll_result *r)
{
	struct rolerecord *rec = NULL;
	unsigned char id[KEY_ID_MAX];
	size_t len = 0;

	if (w->job->record == NULL || r->id_hex == NULL ||
	    OPENSSL_hexstr2buf_ex(id, sizeof(id), &len, r->id_hex, '\0') != 1)
		return;
	rec = rolerecord_for(w->job->record, profile_role(p), vars);
	if (rec == NULL ||
	    rolerecord_store(t, r->label, id, len, NULL, 0, r->fresh, rec) < 0)
		err_clear();
	rolerecord_free(rec);
}

/* The roles of row INDEX on its token T, in order; the first failure ends
 * the row. -1 only when the parent is gone. */
static int
batch_worker_roles(struct batch_worker *w, size_t index, struct token *t)
{
	const struct batch_row *br = &w->job->rows[index];
	const enum journal_state *states = w->plan + w->plan_off[index];
	struct enroll_result r;
	X509 *cert = NULL;
	bool complete = false;
	int k, rc;

	/* A role the token cannot do fails the row before any role starts. */
	if (enroll_check_supported(t, br->profiles, br->nprofiles, &k) < 0) {
		err_prefix("enroll %s on token %s", profile_role(br->profiles[k]),
			   token_get_info(t)->label);
		err_append("no role of this row was started");
		if (batch_worker_start(w, index, (size_t)k) < 0)
			return -1;
		return batch_worker_say(w, index, (size_t)k, "failed", NULL,
					false, NULL) < 0 ? -1 : 0;
	}
	for (k = 0; k < br->nprofiles; k++) {
		const struct profile *p = br->profiles[k];

		/* Recorded done: believed only when the token holds the role
		 * with the certificate the journal names; else it runs again.
		 * The report gets the certificate seen on the token. */
		if (states[k] == JOURNAL_DONE &&
		    batch_worker_done_on_token(w, index, t, p, &cert)) {
			rc = batch_worker_say(w, index, (size_t)k, "done", cert, false,
					      batch_worker_consumers(t, p, cert, NULL, NULL));
			X509_free(cert);
			if (rc < 0)
				return -1;
			continue;
		}
		/* Started by a run that died, or not recorded at all (a rerun
		 * without the journal, a token enrolled another way): a role
		 * complete on the token counts as done, and is left as it is.
		 * A token that cannot tell fails the role. */
		if (states[k] != JOURNAL_DONE &&
		    batch_worker_check_complete(t, p, &cert, &complete) < 0) {
			if (batch_worker_start(w, index, (size_t)k) < 0)
				return -1;
			return batch_worker_say(w, index, (size_t)k, "failed", NULL,
						false, NULL) < 0 ? -1 : 0;
		}
		if (states[k] != JOURNAL_DONE && complete) {
			rc = batch_worker_say(w, index, (size_t)k, "done", cert,
					      states[k] != JOURNAL_STARTED,
					      batch_worker_consumers(t, p, cert, NULL, NULL));
			X509_free(cert);
			if (rc < 0)
				return -1;
			continue;
		}
		if (batch_worker_start(w, index, (size_t)k) < 0)
			return -1;
		memset(&r, 0, sizeof(r));
		rc = enroll_role(t, p, br->row->vars, br->ca, w->job->trust, &r);
		if (rc < 0)
			return batch_worker_say(w, index, (size_t)k, "failed", NULL,
						false, NULL) < 0 ? -1 : 0;
		if (rc == 0)
			batch_worker_record(w, t, p, br->row->vars, &r);
		rc = batch_worker_say(w, index, (size_t)k, rc == ENROLL_AWAITING ?
				      "awaiting" : "done", r.cert, false,
				      rc == ENROLL_AWAITING ? NULL :
				      batch_worker_consumers(t, p, r.cert, r.chain, r.id_hex));
		enroll_result_clear(&r);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static bool
batch_worker_resumes(const struct batch_worker *w, size_t index)
{
	const enum journal_state *states = w->plan + w->plan_off[index];
	int k;

	for (k = 0; k < w->job->rows[index].nprofiles; k++)
		if (states[k] == JOURNAL_STARTED)
			return true;
	return false;
}

static int
batch_worker_row(struct batch_worker *w, size_t index)
{
	const struct manifest_row *row = w->job->rows[index].row;
	struct token *t = NULL;
	char *pin = NULL;
	json_t *end;
	int rc = -1;

	err_clear();
	if (w->module == NULL) {
		err_set(ERR_FAILED, "%s", w->module_error);
		goto end;
	}
	if (row->init_label != NULL && batch_worker_init(w, row, &pin) < 0)
		goto end;
	if (token_open(w->module, row->init_label != NULL ? row->init_label :
		       row->token, w->job->lock_dir, &t) == 0)
		token_set_keep_chain(t, !w->job->no_chain);
	if (t == NULL ||
	    token_set_state_dir(t, w->job->state_dir) < 0 ||
	    batch_worker_login(w, index, t, pin) < 0 ||
	    (batch_worker_resumes(w, index) && batch_worker_repair(t, &w->job->rows[index]) < 0))
		goto end;
	pin_free(pin);
	pin = NULL;
	if (batch_worker_roles(w, index, t) < 0) {
		token_close(t);
		return -1;
	}
	err_clear();
	rc = 0;
end:
	pin_free(pin);
	token_close(t);
	end = json_pack("{s:I, s:b, s:s*, s:s*}", "row", (json_int_t)index, "end",
			1, "error", rc < 0 ? err_message() : NULL, "code",
			rc < 0 ? err_code_name(err_code()) : NULL);
	return batch_send_json(w->fd, end);
}

void
batch_worker_main(const struct batch_job *job, const enum journal_state *plan,
		  const size_t *plan_off, int fd)
{
	struct batch_worker w = { job, plan, plan_off, fd, NULL, NULL };
	char line[32], *end;
	unsigned long index;

	if (module_load(job->module_path, &w.module) < 0)
		w.module_error = strdup(err_message());
	else
		module_keep_tokens(w.module);
	while (batch_read_line(fd, line, sizeof(line)) == 1) {
		errno = 0;
		index = strtoul(line, &end, 10);
		if (*end != '\0' || errno != 0 || index >= job->nrows)
			break;
		if (batch_worker_row(&w, index) < 0)
			break;
		/* A signal for this worker alone ended its row; the batch
		 * gives the rows left to a new worker. */
		if (interrupt_signal() != 0)
			break;
	}
	module_free(w.module);
	free(w.module_error);
	_exit(0);
}
