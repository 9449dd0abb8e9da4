/* SPDX-License-Identifier: MIT */
/* fuzz_cfssl.c - the body a cfssl server answers a sign or authsign
 * request with. A certificate it yields goes on to the certificate
 * parser, as in enrol. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "ca.h"
#include "ca-backend.h"
#include "err.h"
#include "verify.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL;
	size_t pem_len = 0;
	char *pem = NULL;

	if (ca_cfssl_parse_answer(data, size, &pem, &pem_len) == 0) {
		if (pem == NULL || strlen(pem) != pem_len)
			abort();
		if (verify_parse_answer((const unsigned char *)pem, pem_len,
					&cert, &chain) == 0) {
			X509_free(cert);
			sk_X509_pop_free(chain, X509_free);
		}
	}
	free(pem);
	err_clear();
	ERR_clear_error();
	return 0;
}
