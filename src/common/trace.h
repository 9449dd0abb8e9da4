/* SPDX-License-Identifier: MIT */
/* trace.h - an optional timing trace of a command's phases.
 *
 * The core marks where each phase ends; the command decides where the
 * marks go by installing a sink, so that the core itself prints nothing.
 * A mark carries a fixed phase name and, for a role's phases, the role's
 * name (letters, digits, '_', '.' and '-'): never a PIN, nor any text from
 * a token, a CA or a certificate. Without a sink a mark costs a test.
 */
#ifndef P11E_TRACE_H
#define P11E_TRACE_H

/* Start the trace: from now on trace_mark() calls SINK with the phase,
 * the role (or NULL), the milliseconds since this call and since the
 * mark before. */
void trace_start(void (*sink)(const char *phase, const char *role,
			      double since_start_ms, double step_ms));

/* The phase PHASE (of ROLE, or NULL) has ended. */
void trace_mark(const char *phase, const char *role);

#endif
