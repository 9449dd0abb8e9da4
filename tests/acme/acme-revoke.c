/* SPDX-License-Identifier: MIT */
/* acme-revoke.c - revoke a certificate through the acme backend, for the
 * scenario that checks revokeCert against pebble:
 *   acme-revoke DIRECTORY_URL TLS_TRUST ACCOUNT_KEY CERT_PEM REASON */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca-backend.h"
#include "err.h"
#include "util.h"

int
main(int argc, char **argv)
{
	struct ca_options o;
	unsigned char *pem = NULL;
	void *state = NULL;
	size_t len = 0;
	int rc = EXIT_FAILURE;

	if (argc != 6) {
		fprintf(stderr, "usage: acme-revoke DIRECTORY_URL TLS_TRUST "
			"ACCOUNT_KEY CERT_PEM REASON\n");
		return 2;
	}
	memset(&o, 0, sizeof(o));
	o.timeout_seconds = 60;
	o.max_answer = CA_DEFAULT_MAX_ANSWER;
	o.tls_trust = argv[2];
	o.acme_account = argv[3];
	o.acme_agree_tos = true;
	if (util_read_file(argv[4], 64 * 1024, &pem, &len) < 0 ||
	    ca_acme_backend.open(argv[1], &o, &state) < 0 ||
	    ca_acme_backend.revoke(state, (const char *)pem, atoi(argv[5])) < 0) {
		fprintf(stderr, "acme-revoke: %s\n", err_message());
		goto out;
	}
	rc = EXIT_SUCCESS;
out:
	if (state != NULL)
		ca_acme_backend.free(state);
	free(pem);
	return rc;
}
