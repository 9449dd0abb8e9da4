/* SPDX-License-Identifier: MIT */
/* p11probe.c - what pkcs11-tool cannot do, for the fault module's
 * scenarios: set any boolean attribute of an object, and show which object
 * the handle of a failed C_CreateObject names.
 *
 *     p11probe MODULE TOKEN-LABEL PIN set CLASS LABEL NAME=true|false...
 *     p11probe MODULE TOKEN-LABEL PIN create-data LABEL
 *     p11probe MODULE TOKEN-LABEL PIN login-user USER-PIN
 *     p11probe MODULE TOKEN-LABEL PIN write-certs HEX-ID LABEL COUNT FILE
 *     p11probe MODULE TOKEN-LABEL PIN keypairs LABEL COUNT
 *     p11probe MODULE TOKEN-LABEL PIN get CLASS LABEL NAME...
 *
 * Each opens a read-write session on the token labelled TOKEN-LABEL and
 * logs in as the user with PIN, or as the SO with "so:SO-PIN".
 *
 * set finds every object of CLASS (privkey, pubkey, cert, data) labelled
 * LABEL, sets the attributes on each in one C_SetAttributeValue, then reads
 * them back in the same process (a module may keep what it answers per
 * process) and prints one line "NAME=true|false ..." per object.
 *
 * create-data creates a public token data object labelled LABEL and prints
 * "rv=0xRV handle-label=L": L is the label of the object that the returned
 * handle names, "(none)" when it names none. The handle starts as
 * CK_INVALID_HANDLE, so after a failure it names an object only when the
 * module wrote it anyway.
 *
 * login-user then logs in as the user with USER-PIN and prints "rv=0xRV
 * state=N": the answer, and the session's state (CKS_*) after it.
 *
 * write-certs creates COUNT public certificate objects with CKA_ID HEX-ID
 * and CKA_LABEL LABEL whose CKA_VALUE is FILE's bytes as they are (no
 * parsing: FILE may be anything), for tokens with many objects or with
 * objects no parser takes.
 *
 * keypairs generates COUNT EC P-256 key pairs that may sign, labelled
 * LABEL-1 ... LABEL-COUNT, with CKA_ID the big-endian number (4 bytes).
 *
 * get finds every object of CLASS labelled LABEL and prints one line per
 * object, "NAME=HEX ...", for each NAME of subject, public-key-info and
 * allowed-mechanisms (CKA_SUBJECT, CKA_PUBLIC_KEY_INFO,
 * CKA_ALLOWED_MECHANISMS): the value's bytes in hex, or "-" when the
 * object has none (empty, or CK_UNAVAILABLE_INFORMATION); the
 * mechanisms as their numbers in hex, comma-separated.
 *
 * Exit 0 when every call answered CKR_OK; 1 when one did not (with
 * "p11probe: FUNCTION: 0xRV" on stderr, except for the call that
 * create-data or login-user prints)
 * or set matched no object; 2 on a usage error.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#define PROBE_ATTRS_MAX 8
#define PROBE_FOUND_MAX 16
#define PROBE_LABEL_MAX 256

struct probe_name {
	const char *name;
	CK_ULONG value;
};

static const struct probe_name probe_classes[] = {
	{ "privkey", CKO_PRIVATE_KEY }, { "pubkey", CKO_PUBLIC_KEY },
	{ "cert", CKO_CERTIFICATE }, { "data", CKO_DATA },
};

static const struct probe_name probe_attrs[] = {
	{ "sign", CKA_SIGN }, { "verify", CKA_VERIFY }, { "decrypt", CKA_DECRYPT },
	{ "encrypt", CKA_ENCRYPT }, { "unwrap", CKA_UNWRAP }, { "wrap", CKA_WRAP },
	{ "derive", CKA_DERIVE }, { "private", CKA_PRIVATE },
	{ "modifiable", CKA_MODIFIABLE },
};

static const struct probe_name probe_values[] = {
	{ "subject", CKA_SUBJECT }, { "public-key-info", CKA_PUBLIC_KEY_INFO },
	{ "allowed-mechanisms", CKA_ALLOWED_MECHANISMS },
};

static const struct probe_name probe_bools[] = {
	{ "true", CK_TRUE }, { "false", CK_FALSE },
};

#define PROBE_COUNT(table) (sizeof(table) / sizeof((table)[0]))

static int
probe_lookup(const struct probe_name *table, size_t n, const char *name, CK_ULONG *value)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(table[i].name, name) == 0) {
			*value = table[i].value;
			return 0;
		}
	}
	return -1;
}

static int
probe_fail(const char *fn, CK_RV rv)
{
	fprintf(stderr, "p11probe: %s: 0x%lx\n", fn, (unsigned long)rv);
	return 1;
}

/* "sign=false" into A, with its value in *VALUE; WORD stays the name. */
static int
probe_parse_attr(char *word, CK_ATTRIBUTE *a, CK_BBOOL *value)
{
	char *eq = strchr(word, '=');
	CK_ULONG type, b;

	if (eq == NULL)
		return -1;
	*eq = '\0';
	if (probe_lookup(probe_attrs, PROBE_COUNT(probe_attrs), word, &type) < 0 ||
	    probe_lookup(probe_bools, PROBE_COUNT(probe_bools), eq + 1, &b) < 0)
		return -1;
	*value = (CK_BBOOL)b;
	*a = (CK_ATTRIBUTE){ type, value, sizeof(*value) };
	return 0;
}

/* Reads back the N attributes of SET from object O and prints them. */
static CK_RV
probe_print_attrs(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
		  char *const *names, const CK_ATTRIBUTE *set, int n)
{
	CK_ATTRIBUTE get[PROBE_ATTRS_MAX];
	CK_BBOOL values[PROBE_ATTRS_MAX];
	CK_RV rv;
	int i;

	for (i = 0; i < n; i++) {
		values[i] = CK_FALSE;
		get[i] = (CK_ATTRIBUTE){ set[i].type, &values[i], sizeof(values[i]) };
	}
	rv = p11->C_GetAttributeValue(s, o, get, (CK_ULONG)n);
	for (i = 0; rv == CKR_OK && i < n; i++)
		printf("%s%s=%s", i > 0 ? " " : "", names[i], values[i] ? "true" : "false");
	if (rv == CKR_OK)
		printf("\n");
	return rv;
}

/* The objects of CLASS (a probe_classes name) labelled LABEL, into
 * FOUND; 0, 1 with a message, or 2 for an unknown class. */
static int
probe_find(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s, const char *class_name,
	   const char *label, CK_OBJECT_HANDLE *found, CK_ULONG *n_found)
{
	CK_ATTRIBUTE find[2];
	CK_ULONG class;
	CK_RV rv;

	*n_found = 0;
	if (probe_lookup(probe_classes, PROBE_COUNT(probe_classes), class_name, &class) < 0)
		return 2;
	find[0] = (CK_ATTRIBUTE){ CKA_CLASS, &class, sizeof(class) };
	find[1] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label, strlen(label) };
	rv = p11->C_FindObjectsInit(s, find, 2);
	if (rv == CKR_OK)
		rv = p11->C_FindObjects(s, found, PROBE_FOUND_MAX, n_found);
	p11->C_FindObjectsFinal(s);
	if (rv != CKR_OK)
		return probe_fail("C_FindObjects", rv);
	if (*n_found == 0) {
		fprintf(stderr, "p11probe: no %s labelled '%s'\n", class_name, label);
		return 1;
	}
	return 0;
}

/* get CLASS LABEL NAME... */
static int
probe_get(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s, int argc, char **argv)
{
	CK_OBJECT_HANDLE found[PROBE_FOUND_MAX];
	unsigned char value[8192];
	CK_ULONG i, j, type, n_found = 0;
	CK_MECHANISM_TYPE mech;
	CK_ATTRIBUTE a;
	int k, rc;
	CK_RV rv;

	if (argc < 3)
		return 2;
	for (k = 2; k < argc; k++)
		if (probe_lookup(probe_values, PROBE_COUNT(probe_values), argv[k], &type) < 0)
			return 2;
	if ((rc = probe_find(p11, s, argv[0], argv[1], found, &n_found)) != 0)
		return rc;
	for (i = 0; i < n_found; i++) {
		for (k = 2; k < argc; k++) {
			probe_lookup(probe_values, PROBE_COUNT(probe_values), argv[k], &type);
			a = (CK_ATTRIBUTE){ type, value, sizeof(value) };
			rv = p11->C_GetAttributeValue(s, found[i], &a, 1);
			if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID)
				return probe_fail("C_GetAttributeValue", rv);
			printf("%s%s=", k > 2 ? " " : "", argv[k]);
			if (rv != CKR_OK || a.ulValueLen == 0 ||
			    a.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
				printf("-");
			} else if (type == CKA_ALLOWED_MECHANISMS) {
				for (j = 0; j < a.ulValueLen / sizeof(mech); j++) {
					memcpy(&mech, value + j * sizeof(mech), sizeof(mech));
					printf("%s0x%lx", j > 0 ? "," : "",
					       (unsigned long)mech);
				}
			} else {
				for (j = 0; j < a.ulValueLen; j++)
					printf("%02x", value[j]);
			}
		}
		printf("\n");
	}
	return 0;
}

/* set CLASS LABEL NAME=BOOL... */
static int
probe_set(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s, int argc, char **argv)
{
	CK_ATTRIBUTE set[PROBE_ATTRS_MAX], find[2];
	CK_BBOOL values[PROBE_ATTRS_MAX];
	CK_OBJECT_HANDLE found[PROBE_FOUND_MAX];
	CK_ULONG class, i, n_found = 0;
	int n_set;
	CK_RV rv;

	if (argc < 3 || argc - 2 > PROBE_ATTRS_MAX ||
	    probe_lookup(probe_classes, PROBE_COUNT(probe_classes), argv[0], &class) < 0)
		return 2;
	for (n_set = 0; n_set < argc - 2; n_set++)
		if (probe_parse_attr(argv[2 + n_set], &set[n_set], &values[n_set]) < 0)
			return 2;
	find[0] = (CK_ATTRIBUTE){ CKA_CLASS, &class, sizeof(class) };
	find[1] = (CK_ATTRIBUTE){ CKA_LABEL, argv[1], strlen(argv[1]) };
	rv = p11->C_FindObjectsInit(s, find, 2);
	if (rv == CKR_OK)
		rv = p11->C_FindObjects(s, found, PROBE_FOUND_MAX, &n_found);
	p11->C_FindObjectsFinal(s);
	if (rv != CKR_OK)
		return probe_fail("C_FindObjects", rv);
	if (n_found == 0) {
		fprintf(stderr, "p11probe: no %s labelled '%s'\n", argv[0], argv[1]);
		return 1;
	}
	for (i = 0; i < n_found; i++) {
		rv = p11->C_SetAttributeValue(s, found[i], set, (CK_ULONG)n_set);
		if (rv != CKR_OK)
			return probe_fail("C_SetAttributeValue", rv);
		rv = probe_print_attrs(p11, s, found[i], argv + 2, set, n_set);
		if (rv != CKR_OK)
			return probe_fail("C_GetAttributeValue", rv);
	}
	return 0;
}

/* create-data LABEL: trusts nothing, only reports what the handle names. */
static int
probe_create_data(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s, int argc, char **argv)
{
	static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_CLASS class = CKO_DATA;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	char label[PROBE_LABEL_MAX] = "";
	CK_ATTRIBUTE read = { CKA_LABEL, label, sizeof(label) - 1 };
	CK_RV rv;

	if (argc != 1)
		return 2;
	{
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &class, sizeof(class) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_PRIVATE, &no, sizeof(no) },
			{ CKA_LABEL, argv[0], strlen(argv[0]) },
			{ CKA_VALUE, "probe", 5 },
		};

		rv = p11->C_CreateObject(s, t, PROBE_COUNT(t), &h);
	}
	if (h == CK_INVALID_HANDLE || p11->C_GetAttributeValue(s, h, &read, 1) != CKR_OK)
		strcpy(label, "(none)");
	else
		label[read.ulValueLen] = '\0';
	printf("rv=0x%lx handle-label=%s\n", (unsigned long)rv, label);
	return rv == CKR_OK ? 0 : 1;
}

/* login-user PIN: a user login in a session that is already logged in. */
static int
probe_login_user(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s, int argc, char **argv)
{
	CK_SESSION_INFO info;
	CK_RV rv, info_rv;

	if (argc != 1)
		return 2;
	rv = p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)argv[0], strlen(argv[0]));
	info_rv = p11->C_GetSessionInfo(s, &info);
	if (info_rv != CKR_OK)
		return probe_fail("C_GetSessionInfo", info_rv);
	printf("rv=0x%lx state=%lu\n", (unsigned long)rv, (unsigned long)info.state);
	return rv == CKR_OK ? 0 : 1;
}

/* HEX into BUF (room for SIZE bytes); the length, or -1. */
static long
probe_unhex(const char *hex, unsigned char *buf, size_t size)
{
	size_t n = strlen(hex) / 2, i;
	unsigned int byte;

	if (strlen(hex) % 2 != 0 || n > size)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return -1;
		buf[i] = (unsigned char)byte;
	}
	return (long)n;
}

/* write-certs HEX-ID LABEL COUNT FILE */
static int
probe_write_certs(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s, int argc, char **argv)
{
	static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	static unsigned char subject[] = { 0x30, 0x00 };
	CK_OBJECT_CLASS class = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE type = CKC_X_509;
	unsigned char id[64], value[65536];
	CK_OBJECT_HANDLE h;
	long id_len, count, i;
	size_t len;
	FILE *f;
	CK_RV rv;

	if (argc != 4 || (id_len = probe_unhex(argv[0], id, sizeof(id))) < 0 ||
	    (count = strtol(argv[2], NULL, 10)) <= 0)
		return 2;
	if ((f = fopen(argv[3], "rb")) == NULL) {
		perror(argv[3]);
		return 1;
	}
	len = fread(value, 1, sizeof(value), f);
	fclose(f);
	{
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &class, sizeof(class) },
			{ CKA_CERTIFICATE_TYPE, &type, sizeof(type) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_PRIVATE, &no, sizeof(no) },
			{ CKA_ID, id, (CK_ULONG)id_len },
			{ CKA_LABEL, argv[1], strlen(argv[1]) },
			{ CKA_SUBJECT, subject, sizeof(subject) },
			{ CKA_VALUE, value, len },
		};

		for (i = 0; i < count; i++)
			if ((rv = p11->C_CreateObject(s, t, PROBE_COUNT(t), &h)) != CKR_OK)
				return probe_fail("C_CreateObject", rv);
	}
	return 0;
}

/* keypairs LABEL COUNT */
static int
probe_keypairs(CK_FUNCTION_LIST *p11, CK_SESSION_HANDLE s, int argc, char **argv)
{
	static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	/* prime256v1 */
	static unsigned char params[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
					  0x03, 0x01, 0x07 };
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE pub, priv;
	char label[PROBE_LABEL_MAX];
	unsigned char id[4];
	long count, i;
	CK_RV rv;

	if (argc != 2 || (count = strtol(argv[1], NULL, 10)) <= 0)
		return 2;
	for (i = 1; i <= count; i++) {
		CK_ATTRIBUTE pt[] = {
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_EC_PARAMS, params, sizeof(params) },
			{ CKA_VERIFY, &yes, sizeof(yes) },
			{ CKA_ID, id, sizeof(id) },
			{ CKA_LABEL, label, 0 },
		};
		CK_ATTRIBUTE kt[] = {
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_PRIVATE, &yes, sizeof(yes) },
			{ CKA_SENSITIVE, &yes, sizeof(yes) },
			{ CKA_EXTRACTABLE, &no, sizeof(no) },
			{ CKA_SIGN, &yes, sizeof(yes) },
			{ CKA_ID, id, sizeof(id) },
			{ CKA_LABEL, label, 0 },
		};

		snprintf(label, sizeof(label), "%s-%ld", argv[0], i);
		pt[4].ulValueLen = kt[6].ulValueLen = strlen(label);
		id[0] = (unsigned char)(i >> 24);
		id[1] = (unsigned char)(i >> 16);
		id[2] = (unsigned char)(i >> 8);
		id[3] = (unsigned char)i;
		rv = p11->C_GenerateKeyPair(s, &mech, pt, PROBE_COUNT(pt), kt,
					    PROBE_COUNT(kt), &pub, &priv);
		if (rv != CKR_OK)
			return probe_fail("C_GenerateKeyPair", rv);
	}
	return 0;
}

static const struct probe_command {
	const char *name;
	int (*run)(CK_FUNCTION_LIST *, CK_SESSION_HANDLE, int, char **);
} probe_commands[] = {
	{ "set", probe_set },
	{ "create-data", probe_create_data },
	{ "login-user", probe_login_user },
	{ "write-certs", probe_write_certs },
	{ "keypairs", probe_keypairs },
	{ "get", probe_get },
};

/* The slot whose token is labelled LABEL (blank-padded to 32). */
static CK_RV
probe_slot(CK_FUNCTION_LIST *p11, const char *label, CK_SLOT_ID *slot)
{
	CK_SLOT_ID slots[64];
	CK_ULONG i, n = 64;
	CK_TOKEN_INFO info;
	char padded[32];
	size_t len = strlen(label);
	CK_RV rv;

	if (len > sizeof(padded))
		return CKR_ARGUMENTS_BAD;
	memset(padded, ' ', sizeof(padded));
	memcpy(padded, label, len);
	rv = p11->C_GetSlotList(CK_TRUE, slots, &n);
	for (i = 0; rv == CKR_OK && i < n; i++) {
		if (p11->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
		    memcmp(info.label, padded, sizeof(padded)) == 0) {
			*slot = slots[i];
			return CKR_OK;
		}
	}
	return rv == CKR_OK ? CKR_TOKEN_NOT_PRESENT : rv;
}

/* A read-write session on token LABEL with the user logged in, or the SO
 * with PIN "so:SO-PIN". */
static int
probe_open(CK_FUNCTION_LIST *p11, const char *label, const char *pin, CK_SESSION_HANDLE *s)
{
	CK_USER_TYPE user = strncmp(pin, "so:", 3) == 0 ? CKU_SO : CKU_USER;
	CK_SLOT_ID slot = 0;
	CK_RV rv;

	if ((rv = probe_slot(p11, label, &slot)) != CKR_OK)
		return probe_fail("find the token", rv);
	rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, s);
	if (rv != CKR_OK)
		return probe_fail("C_OpenSession", rv);
	if (user == CKU_SO)
		pin += 3;
	rv = p11->C_Login(*s, user, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	if (rv != CKR_OK)
		return probe_fail("C_Login", rv);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct probe_command *cmd = NULL;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_C_GetFunctionList get_list;
	CK_FUNCTION_LIST *p11 = NULL;
	void *module = NULL;
	size_t i;
	int rc = 2;
	CK_RV rv;

	for (i = 0; argc >= 5 && i < PROBE_COUNT(probe_commands); i++)
		if (strcmp(probe_commands[i].name, argv[4]) == 0)
			cmd = &probe_commands[i];
	if (cmd == NULL)
		goto out;
	rc = 1;
	module = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	get_list = module != NULL ? (CK_C_GetFunctionList)dlsym(module, "C_GetFunctionList") : NULL;
	if (get_list == NULL || get_list(&p11) != CKR_OK) {
		fprintf(stderr, "p11probe: cannot load %s\n", argv[1]);
		goto out;
	}
	if ((rv = p11->C_Initialize(NULL)) != CKR_OK) {
		p11 = NULL;
		rc = probe_fail("C_Initialize", rv);
		goto out;
	}
	rc = probe_open(p11, argv[2], argv[3], &s);
	if (rc == 0)
		rc = cmd->run(p11, s, argc - 5, argv + 5);
out:
	if (rc == 2)
		fprintf(stderr, "usage: p11probe MODULE TOKEN-LABEL PIN "
			"set privkey|pubkey|cert|data LABEL NAME=true|false...\n"
			"       p11probe MODULE TOKEN-LABEL PIN create-data LABEL\n"
			"       p11probe MODULE TOKEN-LABEL PIN login-user USER-PIN\n"
			"       p11probe MODULE TOKEN-LABEL PIN write-certs HEX-ID LABEL "
			"COUNT FILE\n"
			"       p11probe MODULE TOKEN-LABEL PIN keypairs LABEL COUNT\n"
			"PIN: the user's, or so:SO-PIN\n");
	if (p11 != NULL)
		p11->C_Finalize(NULL);
	if (module != NULL)
		dlclose(module);
	return rc;
}
