/* ca-backend.h - what each CA kind implements behind ca.h.
 *
 * ca.c splits "SCHEME:REST" and hands REST to the backend whose scheme
 * matches. The state is the backend's own; ca.c only carries it.
 */
#ifndef P11E_CA_BACKEND_H
#define P11E_CA_BACKEND_H

#include <stddef.h>

#include "ca.h"

struct ca_backend {
	const char *scheme;     /* "exec" */

	/* Parse REST (the spec after "SCHEME:") with OPTS already filled
	 * with defaults; set *STATE. Malformed specs are ERR_USAGE. */
	int (*open)(const char *rest, const struct ca_options *opts,
		    void **state);

	/* As ca_submit(). */
	int (*submit)(void *state, const char *csr_pem, const char *role,
		      unsigned char **answer, size_t *len);

	/* As ca_describe(); owned by STATE. */
	const char *(*describe)(const void *state);

	/* As ca_request_challenge(); NULL for kinds without one. */
	const char *(*request_challenge)(const void *state);

	/* Release STATE, wiping any secret it copied; NULL is fine. */
	void (*free)(void *state);
};

/* exec:COMMAND, certmonger's helper protocol (ca-exec.c). */
extern const struct ca_backend ca_exec_backend;
/* cfssl:URL[#PROFILE], the cfssl signing API (ca-cfssl.c). */
extern const struct ca_backend ca_cfssl_backend;
/* scep:URL, RFC 8894 (ca-scep.c). */
extern const struct ca_backend ca_scep_backend;

#endif
