/* SPDX-License-Identifier: MIT */
/* p11fault-card.c - card mode: SoftHSM made to look like a smart card.
 *
 * A card knows four mechanisms at one key size each, keeps its keys and
 * certificates in a few fixed slots named by CKA_ID and overwrites a slot
 * on a new key, has little memory, cannot be initialised through PKCS#11,
 * and locks its PIN after a few wrong tries, also across processes. The
 * target knows none of that, so it is checked here before forwarding.
 * The syntax is in tests/faultmod/README.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "p11fault.h"

#define CARD_RSA_BITS 2048
#define CARD_EC_BITS 256
#define CARD_EC_FLAGS (CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS)
/* Objects found or destroyed per C_FindObjects call. */
#define CARD_FIND_BATCH 64

/* The DER OID of prime256v1 (secp256r1), the one curve of the card. */
static const unsigned char card_p256[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
};

static const struct card_mechanism {
	CK_MECHANISM_TYPE type;
	CK_MECHANISM_INFO info;
} card_mechanisms[] = {
	{ CKM_RSA_PKCS_KEY_PAIR_GEN,
	  { CARD_RSA_BITS, CARD_RSA_BITS, CKF_HW | CKF_GENERATE_KEY_PAIR } },
	{ CKM_RSA_PKCS,
	  { CARD_RSA_BITS, CARD_RSA_BITS,
	    CKF_HW | CKF_SIGN | CKF_VERIFY | CKF_DECRYPT | CKF_ENCRYPT } },
	{ CKM_EC_KEY_PAIR_GEN,
	  { CARD_EC_BITS, CARD_EC_BITS, CKF_HW | CKF_GENERATE_KEY_PAIR | CARD_EC_FLAGS } },
	{ CKM_ECDSA,
	  { CARD_EC_BITS, CARD_EC_BITS, CKF_HW | CKF_SIGN | CKF_VERIFY | CARD_EC_FLAGS } },
};

#define CARD_N_MECHANISMS (sizeof(card_mechanisms) / sizeof(card_mechanisms[0]))

/* The wrong-try count is read and written under this lock, so threads do
 * not lose tries; processes that fail at the same moment may. */
static pthread_mutex_t card_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct card_mechanism *
card_mechanism(CK_MECHANISM_TYPE type)
{
	size_t i;

	for (i = 0; i < CARD_N_MECHANISMS; i++)
		if (card_mechanisms[i].type == type)
			return &card_mechanisms[i];
	return NULL;
}

CK_RV
card_get_mechanism_list(CK_FUNCTION_LIST *real, CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list,
			CK_ULONG_PTR count)
{
	CK_ULONG target_count = 0;
	CK_RV rv;
	size_t i;

	if (count == NULL)
		return CKR_ARGUMENTS_BAD;
	/* The target says whether the slot exists and holds a token. */
	rv = real->C_GetMechanismList(slot, NULL, &target_count);
	if (rv != CKR_OK)
		return rv;
	if (list == NULL) {
		*count = CARD_N_MECHANISMS;
		return CKR_OK;
	}
	if (*count < CARD_N_MECHANISMS) {
		*count = CARD_N_MECHANISMS;
		return CKR_BUFFER_TOO_SMALL;
	}
	for (i = 0; i < CARD_N_MECHANISMS; i++)
		list[i] = card_mechanisms[i].type;
	*count = CARD_N_MECHANISMS;
	return CKR_OK;
}

CK_RV
card_get_mechanism_info(CK_FUNCTION_LIST *real, CK_SLOT_ID slot, CK_MECHANISM_TYPE type,
			CK_MECHANISM_INFO_PTR info)
{
	const struct card_mechanism *m = card_mechanism(type);
	CK_RV rv;

	if (m == NULL)
		return CKR_MECHANISM_INVALID;
	rv = real->C_GetMechanismInfo(slot, type, info);
	if (rv == CKR_OK)
		*info = m->info;
	return rv;
}

/* Is the CKA_ID A one of the card's key slots? */
static int
card_is_slot(const struct fault_conf *conf, const CK_ATTRIBUTE *a)
{
	size_t i;

	if (a->pValue == NULL)
		return 0;
	for (i = 0; i < conf->n_card_ids; i++)
		if (conf->card_ids[i].len == a->ulValueLen &&
		    memcmp(conf->card_ids[i].bytes, a->pValue, a->ulValueLen) == 0)
			return 1;
	return 0;
}

/* Up to MAX objects matching T that session H sees. */
static CK_RV
card_find(CK_FUNCTION_LIST *real, CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n,
	  CK_OBJECT_HANDLE_PTR found, CK_ULONG max, CK_ULONG_PTR n_found)
{
	CK_RV rv, final_rv;

	rv = real->C_FindObjectsInit(h, t, n);
	if (rv != CKR_OK)
		return rv;
	rv = real->C_FindObjects(h, found, max, n_found);
	final_rv = real->C_FindObjectsFinal(h);
	return rv != CKR_OK ? rv : final_rv;
}

/* Empties the slot ID of objects of class CLASS, as a card overwrites a
 * slot: the old object is gone even if the new one then fails. */
static CK_RV
card_clear_slot(CK_FUNCTION_LIST *real, CK_SESSION_HANDLE h, CK_OBJECT_CLASS class,
		const CK_ATTRIBUTE *id)
{
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &class, sizeof(class) },
		{ CKA_ID, id->pValue, id->ulValueLen },
	};
	CK_OBJECT_HANDLE found[CARD_FIND_BATCH];
	CK_ULONG i, n_found;
	CK_RV rv;

	/* Destroying while a search is active is not allowed; search again
	 * until a batch comes back short. */
	do {
		rv = card_find(real, h, t, 2, found, CARD_FIND_BATCH, &n_found);
		for (i = 0; rv == CKR_OK && i < n_found; i++)
			rv = real->C_DestroyObject(h, found[i]);
	} while (rv == CKR_OK && n_found == CARD_FIND_BATCH);
	return rv;
}

/* CKR_DEVICE_MEMORY when NEW more objects would pass the card-objects
 * limit; every object session H sees counts. */
static CK_RV
card_check_room(CK_FUNCTION_LIST *real, const struct fault_conf *conf, CK_SESSION_HANDLE h,
		CK_ULONG new)
{
	CK_OBJECT_HANDLE found[CARD_FIND_BATCH];
	CK_ULONG n_found, total = 0;
	CK_RV rv, final_rv;

	if (conf->card_objects == FAULT_NO_LIMIT)
		return CKR_OK;
	rv = real->C_FindObjectsInit(h, NULL, 0);
	if (rv != CKR_OK)
		return rv;
	do {
		rv = real->C_FindObjects(h, found, CARD_FIND_BATCH, &n_found);
		total += n_found;
	} while (rv == CKR_OK && n_found != 0);
	final_rv = real->C_FindObjectsFinal(h);
	if (rv != CKR_OK || final_rv != CKR_OK)
		return rv != CKR_OK ? rv : final_rv;
	return total + new > conf->card_objects ? CKR_DEVICE_MEMORY : CKR_OK;
}

/* A slot is overwritten only in a session that may write it: keys need a
 * logged-in user, certificates any read-write session. Elsewhere the
 * target refuses the new object, and the old one must survive that. */
static int
card_may_write(CK_FUNCTION_LIST *real, CK_SESSION_HANDLE h, int need_user)
{
	CK_SESSION_INFO info;

	if (real->C_GetSessionInfo(h, &info) != CKR_OK)
		return 0;
	if (info.state == CKS_RW_USER_FUNCTIONS)
		return 1;
	return !need_user && (info.state == CKS_RW_PUBLIC_SESSION ||
			      info.state == CKS_RW_SO_FUNCTIONS);
}

/* The key the card can make: the mechanism, RSA 2048 or EC P-256. */
static CK_RV
card_check_key(CK_MECHANISM_PTR m, const CK_ATTRIBUTE *pub, CK_ULONG pub_n)
{
	const CK_ATTRIBUTE *a;
	CK_ULONG bits;

	if (m == NULL)
		return CKR_ARGUMENTS_BAD;
	if (m->mechanism == CKM_RSA_PKCS_KEY_PAIR_GEN) {
		a = fault_attribute(pub, pub_n, CKA_MODULUS_BITS);
		if (a == NULL)
			return CKR_TEMPLATE_INCOMPLETE;
		if (fault_ulong(a, &bits) < 0)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		return bits == CARD_RSA_BITS ? CKR_OK : CKR_KEY_SIZE_RANGE;
	}
	if (m->mechanism == CKM_EC_KEY_PAIR_GEN) {
		a = fault_attribute(pub, pub_n, CKA_EC_PARAMS);
		if (a == NULL)
			return CKR_TEMPLATE_INCOMPLETE;
		return a->pValue != NULL && a->ulValueLen == sizeof(card_p256) &&
		       memcmp(a->pValue, card_p256, sizeof(card_p256)) == 0 ?
		       CKR_OK : CKR_CURVE_NOT_SUPPORTED;
	}
	return CKR_MECHANISM_INVALID;
}

/* Both halves of a key pair go into the same key slot. */
static CK_RV
card_check_pair_id(const struct fault_conf *conf, const CK_ATTRIBUTE *pub_id,
		   const CK_ATTRIBUTE *priv_id)
{
	if (pub_id == NULL || priv_id == NULL)
		return CKR_TEMPLATE_INCOMPLETE;
	if (pub_id->ulValueLen != priv_id->ulValueLen ||
	    (pub_id->ulValueLen != 0 &&
	     (pub_id->pValue == NULL || priv_id->pValue == NULL ||
	      memcmp(pub_id->pValue, priv_id->pValue, pub_id->ulValueLen) != 0)))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	return card_is_slot(conf, pub_id) ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
}

CK_RV
card_generate_key_pair(CK_FUNCTION_LIST *real, const struct fault_conf *conf, CK_SESSION_HANDLE h,
		       CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pub, CK_ULONG pub_n,
		       CK_ATTRIBUTE_PTR priv, CK_ULONG priv_n,
		       CK_OBJECT_HANDLE_PTR pub_key, CK_OBJECT_HANDLE_PTR priv_key)
{
	const CK_ATTRIBUTE *id = fault_attribute(pub, pub_n, CKA_ID);
	CK_RV rv = CKR_OK;

	if (conf->card) {
		rv = card_check_key(m, pub, pub_n);
		if (rv == CKR_OK)
			rv = card_check_pair_id(conf, id, fault_attribute(priv, priv_n, CKA_ID));
		if (rv == CKR_OK && card_may_write(real, h, 1)) {
			rv = card_clear_slot(real, h, CKO_PRIVATE_KEY, id);
			if (rv == CKR_OK)
				rv = card_clear_slot(real, h, CKO_PUBLIC_KEY, id);
		}
	}
	if (rv == CKR_OK)
		rv = card_check_room(real, conf, h, 2);
	if (rv != CKR_OK)
		return rv;
	if (m != NULL && m->mechanism == CKM_RSA_PKCS_KEY_PAIR_GEN && conf->card_keygen_delay != 0)
		fault_sleep(conf->card_keygen_delay);
	return real->C_GenerateKeyPair(h, m, pub, pub_n, priv, priv_n, pub_key, priv_key);
}

CK_RV
card_create_object(CK_FUNCTION_LIST *real, const struct fault_conf *conf, CK_SESSION_HANDLE h,
		   CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR object)
{
	const CK_ATTRIBUTE *class_attr = fault_attribute(t, n, CKA_CLASS);
	const CK_ATTRIBUTE *id = fault_attribute(t, n, CKA_ID);
	CK_OBJECT_CLASS class = (CK_OBJECT_CLASS)-1;
	CK_RV rv = CKR_OK;

	if (class_attr != NULL && fault_ulong(class_attr, &class) < 0)
		class = (CK_OBJECT_CLASS)-1;
	/* One certificate per key slot; data objects go anywhere. */
	if (conf->card && class == CKO_CERTIFICATE) {
		if (id == NULL)
			rv = CKR_TEMPLATE_INCOMPLETE;
		else if (!card_is_slot(conf, id))
			rv = CKR_ATTRIBUTE_VALUE_INVALID;
		else if (card_may_write(real, h, 0))
			rv = card_clear_slot(real, h, CKO_CERTIFICATE, id);
	}
	if (rv == CKR_OK)
		rv = card_check_room(real, conf, h, 1);
	if (rv != CKR_OK)
		return rv;
	return real->C_CreateObject(h, t, n, object);
}

/* A key slot is where the card keeps an object: its CKA_ID never changes. */
CK_RV
card_set_attribute_value(CK_FUNCTION_LIST *real, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
			 CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	if (fault_attribute(t, n, CKA_ID) != NULL)
		return CKR_ATTRIBUTE_READ_ONLY;
	return real->C_SetAttributeValue(h, o, t, n);
}

/* The state file holds the wrong-try count as one decimal line; a missing
 * file is a count of 0. */
static int
card_state_read(const struct fault_conf *conf, unsigned long *tries)
{
	char text[32], *end = NULL;
	ssize_t len;
	int fd;

	*tries = 0;
	fd = open(conf->card_state, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		fprintf(stderr, "p11fault: cannot read state file %s: %s\n",
			conf->card_state, strerror(errno));
		return -1;
	}
	len = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (len > 0) {
		text[len] = '\0';
		errno = 0;
		*tries = strtoul(text, &end, 10);
	}
	if (len <= 0 || errno != 0 || end == text || (*end != '\n' && *end != '\0')) {
		fprintf(stderr, "p11fault: state file %s holds no count\n", conf->card_state);
		return -1;
	}
	return 0;
}

/* Written to a temporary file and renamed over the old one, so a process
 * that reads the file sees the old count or the new one, never half. */
static int
card_state_write(const struct fault_conf *conf, unsigned long tries)
{
	char tmp[FAULT_PATH_MAX + 32], text[32];
	int fd, len, ok;

	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", conf->card_state, (long)getpid());
	len = snprintf(text, sizeof(text), "%lu\n", tries);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ok = fd >= 0 && write(fd, text, (size_t)len) == len;
	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	if (ok && rename(tmp, conf->card_state) == 0)
		return 0;
	fprintf(stderr, "p11fault: cannot write state file %s: %s\n",
		conf->card_state, strerror(errno));
	unlink(tmp);
	return -1;
}

CK_FLAGS
card_pin_flags(const struct fault_conf *conf)
{
	unsigned long tries;
	int rc;

	pthread_mutex_lock(&card_lock);
	rc = card_state_read(conf, &tries);
	pthread_mutex_unlock(&card_lock);
	if (rc < 0 || tries == 0)
		return 0;
	if (tries >= conf->card_tries)
		return CKF_USER_PIN_LOCKED;
	if (tries + 1 == conf->card_tries)
		return CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_COUNT_LOW;
	return CKF_USER_PIN_COUNT_LOW;
}

CK_RV
card_login_check(const struct fault_conf *conf)
{
	unsigned long tries;
	int rc;

	pthread_mutex_lock(&card_lock);
	rc = card_state_read(conf, &tries);
	pthread_mutex_unlock(&card_lock);
	if (rc < 0)
		return CKR_GENERAL_ERROR;
	return tries >= conf->card_tries ? CKR_PIN_LOCKED : CKR_OK;
}

CK_RV
card_login_done(const struct fault_conf *conf, CK_RV rv)
{
	unsigned long tries;
	int rc = 0;

	if (rv != CKR_OK && rv != CKR_PIN_INCORRECT)
		return rv;
	pthread_mutex_lock(&card_lock);
	rc = card_state_read(conf, &tries);
	if (rc == 0 && rv == CKR_PIN_INCORRECT)
		rc = card_state_write(conf, tries + 1);
	else if (rc == 0 && tries != 0)
		rc = card_state_write(conf, 0);
	pthread_mutex_unlock(&card_lock);
	return rc < 0 ? CKR_GENERAL_ERROR : rv;
}
