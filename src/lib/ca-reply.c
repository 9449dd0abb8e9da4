/* SPDX-License-Identifier: MIT */
/* ca-reply.c - a CA's answer. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ca-reply.h"

void
ca_reply_clear(struct ca_reply *r)
{
	if (r == NULL)
		return;
	free(r->answer);
	free(r->cookie);
	memset(r, 0, sizeof(*r));
}
