/* ca.c - one interface in front of the CA backends. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "ca-backend.h"
#include "err.h"

struct ca {
	const struct ca_backend *backend;
	void *state;
};

static const struct ca_backend *const ca_backends[] = {
	&ca_exec_backend,
	&ca_cfssl_backend,
	&ca_scep_backend,
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

int
ca_submit(struct ca *ca, const char *csr_pem, const char *role,
	  unsigned char **answer, size_t *len)
{
	*answer = NULL;
	*len = 0;
	return ca->backend->submit(ca->state, csr_pem, role, answer, len);
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
