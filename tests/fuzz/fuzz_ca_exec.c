/* SPDX-License-Identifier: MIT */
/* fuzz_ca_exec.c - what a CA helper of certmonger's protocol tells us:
 * the first byte is how it ended (an exit status, or a signal), the rest
 * is its stdout and, after the separator "@@stderr@@", its stderr. An
 * issued answer goes on to the certificate parser, as in enrol. */
#include "config.h"

#include <sys/wait.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "ca.h"
#include "ca-backend.h"
#include "err.h"
#include "spawn.h"
#include "verify.h"

#define FUZZ_SEPARATOR "@@stderr@@"

/* OUT as spawn_run() leaves it: LEN bytes and a NUL. */
static void
fuzz_output(struct spawn_output *out, const uint8_t *data, size_t len)
{
	if ((out->data = malloc(len + 1)) == NULL)
		abort();
	memcpy(out->data, data, len);
	out->data[len] = '\0';
	out->len = len;
	out->cap = len;
}

/* Mostly the exit codes the protocol knows (0 to 6), sometimes others
 * and signals. */
static int
fuzz_status(uint8_t b)
{
	if (b < 0xe0)
		return W_EXITCODE(b % 8, 0);
	if (b < 0xf0)
		return W_EXITCODE(b, 0);
	return W_EXITCODE(0, (b & 0x0f) + 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t seplen = sizeof(FUZZ_SEPARATOR) - 1;
	struct spawn_result res;
	struct ca_reply reply;
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL;
	const uint8_t *sep;
	size_t out_len;

	if (size == 0)
		return 0;
	memset(&res, 0, sizeof(res));
	memset(&reply, 0, sizeof(reply));
	res.status = fuzz_status(data[0]);
	data++;
	size--;
	sep = memmem(data, size, FUZZ_SEPARATOR, seplen);
	out_len = sep != NULL ? (size_t)(sep - data) : size;
	fuzz_output(&res.out, data, out_len);
	if (sep != NULL)
		fuzz_output(&res.err, sep + seplen, size - out_len - seplen);
	else
		fuzz_output(&res.err, data, 0);
	if (ca_exec_parse_answer("exec:/usr/libexec/fuzz-helper", &res,
				 &reply) == 0 &&
	    verify_parse_answer(reply.answer, reply.len, &cert, &chain) == 0) {
		X509_free(cert);
		sk_X509_pop_free(chain, X509_free);
	}
	ca_reply_clear(&reply);
	spawn_result_clear(&res);
	err_clear();
	ERR_clear_error();
	return 0;
}
