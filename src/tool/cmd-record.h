/* SPDX-License-Identifier: MIT */
/* cmd-record.h - the enrollment record of a role, from the command line
 * that enrolled or renewed it, and back into one for renew. */
#ifndef P11E_CMD_RECORD_H
#define P11E_CMD_RECORD_H

#include "cmd-ca.h"
#include "cmd.h"
#include "rolerecord.h"

/* A record of PROFILE (may be NULL: a run's template, rolerecord_for())
 * enrolled now with the CA options C, trust anchors TRUST (may be NULL)
 * and VARS (may be NULL): paths made absolute, so that
 * a renewal from another directory finds them; the secrets' sources as
 * given, never their values. NULL when out of memory. */
struct rolerecord *cmd_record_make(const struct cmd_ca *c, const char *trust,
				   const struct vars *vars, const char *profile);

/* Keep REC (NULL: it could not be made, the error is recorded) for the
 * role of R (just enrolled or renewed) on T; OLD_ID_HEX (may be NULL) is
 * the key it replaced. A failure is a warning of G's command on standard
 * error: the role itself is in place. */
void cmd_record_keep(const struct global_opts *g, struct token *t,
		     const struct enroll_result *r, const char *old_id_hex,
		     const struct rolerecord *rec);

/* Fill what the command line left out of C and *TRUST from REC (both
 * borrow REC's strings), and merge REC's variables under those of
 * CMDLINE into a new set *OUT. */
int cmd_record_apply(const struct rolerecord *rec, struct cmd_ca *c,
		     const char **trust, const struct vars *cmdline,
		     struct vars **out);

#endif
