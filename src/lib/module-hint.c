/* module-hint.c - the modules people deploy fail to start in known ways;
 * say which, instead of only the CKR (openCryptoki without its daemon
 * answers CKR_HOST_MEMORY, which reads as the host running out of
 * memory). */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "module-hint.h"
#include "util.h"

/* Rows are tried in order; the first whose NAME is part of the module's
 * file name (NULL: any module) and whose RV matches (ANY_RV: any) wins. */
#define ANY_RV ((CK_RV)-1)

static const struct module_hint_row {
	const char *name;
	CK_RV rv;
	const char *hint;
} module_hints[] = {
	{ "opencryptoki", CKR_HOST_MEMORY,
	  "openCryptoki's slot daemon is not running: start /usr/sbin/pkcsslotd "
	  "(as root) and try again" },
	{ "opencryptoki", CKR_FUNCTION_FAILED,
	  "this user may not use openCryptoki: add it to group pkcs11 (and log "
	  "in again), and check that pkcsslotd is running" },
	{ "opencryptoki", ANY_RV,
	  "check that openCryptoki's slot daemon pkcsslotd is running and that "
	  "this user is in group pkcs11" },
	{ "softhsm", ANY_RV,
	  "SoftHSM could not read its configuration: check that SOFTHSM2_CONF "
	  "names a readable file (default /etc/softhsm/softhsm2.conf) whose "
	  "directories.tokendir exists and is writable by this user" },
	{ "tpm2", ANY_RV,
	  "tpm2-pkcs11 could not reach the TPM or its store: check "
	  "TPM2_PKCS11_TCTI (a resource manager such as tpm2-abrmd, which must "
	  "be running), TPM2_PKCS11_STORE and that this user may use them" },
	{ NULL, CKR_ARGUMENTS_BAD,
	  "the module wants initialisation arguments of its own (NSS's softokn "
	  "does): give them in its p11-kit module file (x-init-reserved) and "
	  "load it through p11-kit-proxy" },
	{ NULL, CKR_NEED_TO_CREATE_THREADS,
	  "the module cannot work with the operating system's threads and locks" },
	{ NULL, CKR_CANT_LOCK,
	  "the module cannot work with the operating system's threads and locks" },
	{ NULL, ANY_RV,
	  "check that the module's service or daemon is running, that this user "
	  "may use it, and the module's own configuration" },
};

const char *
module_hint(const char *path, CK_RV rv)
{
	const char *base = strrchr(path, '/');
	size_t i;

	base = base != NULL ? base + 1 : path;
	for (i = 0; i < NELEM(module_hints); i++) {
		const struct module_hint_row *r = &module_hints[i];

		if ((r->name == NULL || strstr(base, r->name) != NULL) &&
		    (r->rv == ANY_RV || r->rv == rv))
			return r->hint;
	}
	return module_hints[NELEM(module_hints) - 1].hint;
}
