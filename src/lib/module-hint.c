/* SPDX-License-Identifier: MIT */
/* module-hint.c - the modules people deploy fail to start in known ways;
 * say which, instead of only the CKR (openCryptoki without its daemon
 * answers CKR_HOST_MEMORY, which reads as the host running out of
 * memory). */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "module-hint.h"
#include "util.h"

/* Rows are tried in order; the first whose NAME is part of the module's
 * file name (NULL: any module) and whose RV matches (ANY_RV: any) wins. */
#define ANY_RV ((CK_RV)-1)

/* Where openCryptoki's slot daemon listens: /run/opencryptoki since 3.10,
 * /var/run before. */
static const char *const ock_sockets[] = {
	"/run/opencryptoki/pkcsslotd.socket",
	"/var/run/pkcsslotd.socket",
};

/* Whether nobody listens where pkcsslotd would. Its pid file and shared
 * memory outlive a daemon that was killed or crashed, and the module then
 * answers CKR_FUNCTION_FAILED rather than CKR_HOST_MEMORY; only the socket
 * says whether the daemon is there. A socket this user may not open
 * (EACCES: not in group pkcs11) is a daemon that is running. */
static bool
ock_daemon_down(void)
{
	size_t i;

	for (i = 0; i < NELEM(ock_sockets); i++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd, rc;

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return false;
		strncpy(sa.sun_path, ock_sockets[i], sizeof(sa.sun_path) - 1);
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		if (rc != 0 && errno != ENOENT && errno != ECONNREFUSED)
			rc = 0;
		close(fd);
		if (rc == 0)
			return false;
	}
	return true;
}

static bool
always(void)
{
	return true;
}

static const struct module_hint_row {
	const char *name;
	CK_RV rv;
	bool (*applies)(void);
	const char *hint;
} module_hints[] = {
	{ "opencryptoki", ANY_RV, ock_daemon_down,
	  "openCryptoki's slot daemon is not running: start /usr/sbin/pkcsslotd "
	  "(as root) and try again" },
	{ "opencryptoki", CKR_FUNCTION_FAILED, always,
	  "this user may not use openCryptoki: add it to group pkcs11 (and log "
	  "in again)" },
	{ "opencryptoki", ANY_RV, always,
	  "check that openCryptoki's slot daemon pkcsslotd is running and that "
	  "this user is in group pkcs11" },
	{ "softhsm", ANY_RV, always,
	  "SoftHSM could not read its configuration: check that SOFTHSM2_CONF "
	  "names a readable file (default /etc/softhsm/softhsm2.conf) whose "
	  "directories.tokendir exists and is writable by this user" },
	{ "tpm2", ANY_RV, always,
	  "tpm2-pkcs11 could not reach the TPM or its store: check "
	  "TPM2_PKCS11_TCTI (a resource manager such as tpm2-abrmd, which must "
	  "be running), TPM2_PKCS11_STORE and that this user may use them" },
	{ NULL, CKR_ARGUMENTS_BAD, always,
	  "the module wants initialisation arguments of its own (NSS's softokn "
	  "does): give them in its p11-kit module file (x-init-reserved) and "
	  "load it through p11-kit-proxy" },
	{ NULL, CKR_NEED_TO_CREATE_THREADS, always,
	  "the module cannot work with the operating system's threads and locks" },
	{ NULL, CKR_CANT_LOCK, always,
	  "the module cannot work with the operating system's threads and locks" },
	{ NULL, ANY_RV, always,
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
		    (r->rv == ANY_RV || r->rv == rv) && r->applies())
			return r->hint;
	}
	return module_hints[NELEM(module_hints) - 1].hint;
}
