/* SPDX-License-Identifier: MIT */
/* ca.c - one interface in front of the CA backends. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ca.h"
#include "ca-backend.h"
#include "err.h"
#include "interrupt.h"
#include "util.h"

struct ca {
	const struct ca_backend *backend;
	void *state;
	int wait_seconds;
	int retry_seconds;      /* never 0: the default is filled in */
};

static const struct ca_backend *const ca_backends[] = {
	&ca_exec_backend,
	&ca_cfssl_backend,
	&ca_scep_backend,
	&ca_acme_backend,
};

#define CA_NBACKENDS (sizeof(ca_backends) / sizeof(ca_backends[0]))

/* Longest kind quoted back in a message: the spec may be anything. */
#define CA_KIND_QUOTE_MAX 32

static const struct ca_backend *
ca_backend_find(const char *scheme, size_t len)
{
	size_t i;

	for (i = 0; i < CA_NBACKENDS; i++) {
		if (strlen(ca_backends[i]->scheme) == len &&
		    strncmp(ca_backends[i]->scheme, scheme, len) == 0)
			return ca_backends[i];
	}
	return NULL;
}

static int
ca_unknown_kind(const char *kind, size_t len)
{
	char known[128] = "";
	size_t i;

	for (i = 0; i < CA_NBACKENDS; i++) {
		if (i > 0)
			strncat(known, ", ", sizeof(known) - strlen(known) - 1);
		strncat(known, ca_backends[i]->scheme,
			sizeof(known) - strlen(known) - 1);
	}
	if (len > CA_KIND_QUOTE_MAX)
		len = CA_KIND_QUOTE_MAX;
	return err_set(ERR_USAGE, "unknown CA kind '%.*s' (known: %s)",
		       (int)len, kind, known);
}

int
ca_open(const char *spec, const struct ca_options *opts, struct ca **out)
{
	struct ca_options effective;
	const struct ca_backend *backend;
	struct ca *ca = NULL;
	const char *colon;
	size_t kind_len;
	int rc = -1;

	*out = NULL;
	memset(&effective, 0, sizeof(effective));
	if (spec == NULL || *spec == '\0') {
		err_set(ERR_USAGE, "no CA given");
		goto out;
	}
	if (opts != NULL)
		effective = *opts;
	if (effective.timeout_seconds < 0) {
		err_set(ERR_USAGE, "CA timeout of %d seconds: not a positive "
			"number", effective.timeout_seconds);
		goto out;
	}
	if (effective.timeout_seconds == 0)
		effective.timeout_seconds = CA_DEFAULT_TIMEOUT;
	if (effective.max_answer == 0)
		effective.max_answer = CA_DEFAULT_MAX_ANSWER;
	if (effective.wait_seconds < 0 || effective.wait_seconds > CA_MAX_WAIT) {
		err_set(ERR_USAGE, "waiting %d seconds for the CA: not a number "
			"from 0 to %d", effective.wait_seconds, CA_MAX_WAIT);
		goto out;
	}
	if (effective.retry_seconds < 0 || effective.retry_seconds > CA_MAX_WAIT) {
		err_set(ERR_USAGE, "asking the CA again every %d seconds: not a "
			"number from 1 to %d", effective.retry_seconds, CA_MAX_WAIT);
		goto out;
	}
	if (effective.retry_seconds == 0)
		effective.retry_seconds = CA_DEFAULT_RETRY;

	colon = strchr(spec, ':');
	kind_len = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
	backend = ca_backend_find(spec, kind_len);
	if (backend == NULL) {
		ca_unknown_kind(spec, kind_len);
		goto out;
	}

	if ((ca = calloc(1, sizeof(*ca))) == NULL) {
		err_set(ERR_FAILED, "CA %s: out of memory", spec);
		goto out;
	}
	ca->backend = backend;
	ca->wait_seconds = effective.wait_seconds;
	ca->retry_seconds = effective.retry_seconds;
	/* "exec" alone reaches the backend, which says what is missing. */
	if (backend->open(colon != NULL ? colon + 1 : "", &effective,
			  &ca->state) == -1)
		goto out;
	*out = ca;
	ca = NULL;
	rc = 0;
out:
	ca_free(ca);
	return rc;
}

/* While the CA says to wait and DEADLINE allows, sleep as long as it said
 * (or the options' retry delay) and ask again. RC is the last answer's. */
static int
ca_keep_asking(struct ca *ca, int rc, int64_t deadline, const char *csr_pem,
	       const char *role, struct ca_reply *reply)
{
	int64_t delay;
	char *cookie;

	while (rc == CA_PENDING && ca->backend->poll != NULL) {
		delay = (int64_t)(reply->retry_seconds > 0 ? reply->retry_seconds :
				  ca->retry_seconds) * 1000;
		/* A CA that wants more time than is left is not asked again. */
		if (util_now_ms() + delay > deadline)
			break;
		if (interrupt_sleep_ms(delay) < 0)
			return -1;
		cookie = reply->cookie;
		reply->cookie = NULL;
		ca_reply_clear(reply);
		rc = ca->backend->poll(ca->state, cookie != NULL ? cookie : "",
				       csr_pem, role, reply);
		free(cookie);
	}
	return rc;
}

/* Every answer leaves the backend in one of three shapes. */
static int
ca_settle(struct ca *ca, int rc, struct ca_reply *reply)
{
	if (rc == 0 && reply->answer == NULL) {
		rc = err_set(ERR_FAILED, "CA %s: out of memory", ca_describe(ca));
	} else if (rc == CA_PENDING && reply->cookie == NULL &&
		   (reply->cookie = calloc(1, 1)) == NULL) {
		rc = err_set(ERR_FAILED, "CA %s: out of memory", ca_describe(ca));
	}
	if (rc != 0) {
		free(reply->answer);
		reply->answer = NULL;
		reply->len = 0;
	}
	if (rc < 0)
		ca_reply_clear(reply);
	/* A CA's failure that says no more is still the CA's. */
	if (rc < 0 && err_code() == ERR_CODE_FAILED)
		err_tag(ERR_CODE_CA_FAILED);
	return rc;
}

int
ca_submit(struct ca *ca, const char *csr_pem, const char *role,
	  struct ca_reply *reply)
{
	int64_t deadline = util_now_ms() + (int64_t)ca->wait_seconds * 1000;
	int rc;

	memset(reply, 0, sizeof(*reply));
	rc = ca->backend->submit(ca->state, csr_pem, role, reply);
	rc = ca_keep_asking(ca, rc, deadline, csr_pem, role, reply);
	return ca_settle(ca, rc, reply);
}

int
ca_poll(struct ca *ca, const char *cookie, const char *csr_pem,
	const char *role, struct ca_reply *reply)
{
	int64_t deadline = util_now_ms() + (int64_t)ca->wait_seconds * 1000;
	int rc;

	memset(reply, 0, sizeof(*reply));
	if (ca->backend->poll == NULL)
		return err_set(ERR_FAILED, "CA %s cannot be asked about an "
			       "earlier request", ca_describe(ca));
	rc = ca->backend->poll(ca->state, cookie, csr_pem, role, reply);
	rc = ca_keep_asking(ca, rc, deadline, csr_pem, role, reply);
	return ca_settle(ca, rc, reply);
}

static const struct {
	const char *name;
	int code;
} ca_reasons[] = {
	{ "unspecified", CA_REASON_UNSPECIFIED },
	{ "keyCompromise", CA_REASON_KEY_COMPROMISE },
	{ "affiliationChanged", CA_REASON_AFFILIATION_CHANGED },
	{ "superseded", CA_REASON_SUPERSEDED },
	{ "cessationOfOperation", CA_REASON_CESSATION_OF_OPERATION },
	{ "certificateHold", CA_REASON_CERTIFICATE_HOLD },
	{ "privilegeWithdrawn", CA_REASON_PRIVILEGE_WITHDRAWN },
};

int
ca_reason_parse(const char *name)
{
	size_t i;

	for (i = 0; i < NELEM(ca_reasons); i++)
		if (strcasecmp(ca_reasons[i].name, name) == 0)
			return ca_reasons[i].code;
	err_set(ERR_USAGE, "unknown revocation reason (known: unspecified, "
		"keyCompromise, affiliationChanged, superseded, "
		"cessationOfOperation, certificateHold, privilegeWithdrawn)");
	return -1;
}

const char *
ca_reason_name(int reason)
{
	size_t i;

	for (i = 0; i < NELEM(ca_reasons); i++)
		if (ca_reasons[i].code == reason)
			return ca_reasons[i].name;
	return NULL;
}

int
ca_can_revoke(const struct ca *ca)
{
	return ca->backend->revoke != NULL;
}

int
ca_revoke(struct ca *ca, const char *cert_pem, int reason)
{
	if (ca->backend->revoke == NULL)
		return err_set(ERR_FAILED, "CA %s cannot revoke certificates: "
			       "its kind (%s) has no revocation", ca_describe(ca),
			       ca->backend->scheme);
	if (ca_reason_name(reason) == NULL)
		return err_set(ERR_USAGE, "revocation reason %d is not one "
			       "p11enroll gives", reason);
	return ca->backend->revoke(ca->state, cert_pem, reason);
}

const char *
ca_request_challenge(const struct ca *ca)
{
	if (ca->backend->request_challenge == NULL)
		return NULL;
	return ca->backend->request_challenge(ca->state);
}

const char *
ca_describe(const struct ca *ca)
{
	return ca->backend->describe(ca->state);
}

void
ca_free(struct ca *ca)
{
	if (ca == NULL)
		return;
	ca->backend->free(ca->state);
	free(ca);
}
