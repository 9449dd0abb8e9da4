/* SPDX-License-Identifier: MIT */
/* certstore.c - certificate objects on the token, and the inventory. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "array.h"
#include "certstore.h"
#include "err.h"
#include "interrupt.h"
#include "keyrights.h"
#include "rolestate.h"
#include "token-login.h"
#include "util.h"

static const char *const certstore_applications[] = {
	[CERTSTORE_REQUEST] = "p11enroll",
	[CERTSTORE_CA_TICKET] = "p11enroll ca-ticket",
	[CERTSTORE_RECORD] = "p11enroll record",
};

/* What a data object of each kind is called in messages. */
static const char *const certstore_data_names[] = {
	[CERTSTORE_REQUEST] = "request",
	[CERTSTORE_CA_TICKET] = "CA's cookie",
	[CERTSTORE_RECORD] = "enrollment record",
};

/* DER of OBJ through its i2d function; NULL on failure. */
static unsigned char *
certstore_der(int (*i2d)(const void *, unsigned char **), const void *obj, int *len)
{
	unsigned char *der = NULL;

	*len = i2d(obj, &der);
	if (*len <= 0)
		return NULL;
	return der;
}

/* One C_CreateObject, its answer in *RV, logged in as whoever writes,
 * and asked once more as the security officer when the token refuses it
 * to the user for want of one; -1 only when that login cannot be made.
 * *OUT is set only when it answers CKR_OK. */
static int
certstore_create(struct token *t, CK_ATTRIBUTE *tmpl, CK_ULONG n,
		 CK_OBJECT_HANDLE *out, CK_RV *rv)
{
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	int again;

	if (token_login_for_write(t) < 0)
		return -1;
	*rv = token_fn(t)->C_CreateObject(token_session(t), tmpl, n, &h);
	if ((again = token_login_retry_write(t, *rv, "C_CreateObject")) < 0)
		return -1;
	if (again) {
		h = CK_INVALID_HANDLE;
		*rv = token_fn(t)->C_CreateObject(token_session(t), tmpl, n, &h);
	}
	if (*rv == CKR_OK)
		*out = h;
	return 0;
}

/* Whether RV refuses a template for an attribute the module does not
 * know or take, rather than failing the call. */
static bool
certstore_attr_refused(CK_RV rv)
{
	return rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_VALUE_INVALID ||
	       rv == CKR_TEMPLATE_INCONSISTENT;
}

/* certstore_write() with CKA_CERTIFICATE_CATEGORY CATEGORY, or without
 * it where the module refuses the attribute (it is a hint to consumers,
 * not a right). */
static int
certstore_write_category(struct token *t, X509 *cert, const unsigned char *id,
			 size_t id_len, const char *label, CK_ULONG category,
			 CK_OBJECT_HANDLE *out)
{
	static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ctype = CKC_X_509;
	unsigned char *value = NULL, *subject = NULL, *issuer = NULL, *serial = NULL;
	int value_len, subject_len, issuer_len, serial_len;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_RV rv;
	int rc = -1;

	*out = CK_INVALID_HANDLE;
	value = certstore_der((int (*)(const void *, unsigned char **))i2d_X509,
			      cert, &value_len);
	subject = certstore_der((int (*)(const void *, unsigned char **))i2d_X509_NAME,
				X509_get_subject_name(cert), &subject_len);
	issuer = certstore_der((int (*)(const void *, unsigned char **))i2d_X509_NAME,
			       X509_get_issuer_name(cert), &issuer_len);
	serial = certstore_der((int (*)(const void *, unsigned char **))i2d_ASN1_INTEGER,
			       X509_get0_serialNumber(cert), &serial_len);
	if (value == NULL || subject == NULL || issuer == NULL || serial == NULL) {
		err_set(ERR_FAILED, "cannot encode the certificate");
		goto out;
	}
	{
		CK_ATTRIBUTE tmpl[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_CERTIFICATE_TYPE, &ctype, sizeof(ctype) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_PRIVATE, &no, sizeof(no) },
			{ CKA_LABEL, (void *)label, strlen(label) },
			{ CKA_ID, (void *)id, id_len },
			{ CKA_SUBJECT, subject, (CK_ULONG)subject_len },
			{ CKA_ISSUER, issuer, (CK_ULONG)issuer_len },
			{ CKA_SERIAL_NUMBER, serial, (CK_ULONG)serial_len },
			{ CKA_VALUE, value, (CK_ULONG)value_len },
			{ CKA_CERTIFICATE_CATEGORY, &category, sizeof(category) },
		};

		if (certstore_create(t, tmpl, NELEM(tmpl), &h, &rv) < 0)
			goto out;
		if (certstore_attr_refused(rv) &&
		    certstore_create(t, tmpl, NELEM(tmpl) - 1, &h, &rv) < 0)
			goto out;
	}
	if (rv != CKR_OK) {
		err_ckr(rv, "write the certificate");
		goto out;
	}
	*out = h;
	rc = 0;
out:
	OPENSSL_free(value);
	OPENSSL_free(subject);
	OPENSSL_free(issuer);
	OPENSSL_free(serial);
	return rc;
}

int
certstore_write(struct token *t, X509 *cert, const unsigned char *id,
		size_t id_len, const char *label, CK_OBJECT_HANDLE *out)
{
	return certstore_write_category(t, cert, id, id_len, label,
					CERTSTORE_CATEGORY_OWN, out);
}

int
certstore_write_authority(struct token *t, X509 *cert, const unsigned char *id,
			  size_t id_len, const char *label, CK_OBJECT_HANDLE *out)
{
	return certstore_write_category(t, cert, id, id_len, label,
					CERTSTORE_CATEGORY_AUTHORITY, out);
}

int
certstore_find_label(struct token *t, CK_OBJECT_CLASS cls, const char *label,
		     CK_OBJECT_HANDLE **out, size_t *count)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};

	return token_find(t, tmpl, 2, out, count);
}

int
certstore_find_id(struct token *t, CK_OBJECT_CLASS cls, const unsigned char *id,
		  size_t id_len, CK_OBJECT_HANDLE **out, size_t *count)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)id, id_len },
	};

	return token_find(t, tmpl, 2, out, count);
}

int
certstore_read_cert(struct token *t, CK_OBJECT_HANDLE h, X509 **out)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509 *cert;

	*out = NULL;
	if (token_get_attr(t, h, CKA_VALUE, &der, &len) < 0)
		return -1;
	p = der;
	cert = der ? d2i_X509(NULL, &p, (long)len) : NULL;
	free(der);
	if (cert == NULL)
		return err_set(ERR_FAILED, "certificate object %lu does not hold "
			       "an X.509 certificate", (unsigned long)h);
	*out = cert;
	return 0;
}

const char *
certstore_data_name(enum certstore_data kind)
{
	return certstore_data_names[kind];
}

bool
certstore_data_refused(CK_RV rv)
{
	return rv == CKR_ATTRIBUTE_VALUE_INVALID || rv == CKR_TEMPLATE_INCONSISTENT;
}

int
certstore_write_data(struct token *t, const char *label,
		     enum certstore_data kind, const unsigned char *data,
		     size_t len, CK_OBJECT_HANDLE *out)
{
	static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	const char *app = certstore_applications[kind];
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_APPLICATION, (void *)app, strlen(app) },
		{ CKA_VALUE, (void *)data, len },
	};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	bool private_first = kind == CERTSTORE_RECORD;
	CK_RV rv;

	*out = CK_INVALID_HANDLE;
	/* A record holds nothing secret, but where it names sources and
	 * paths it is kept from those without the PIN when the token can. */
	tmpl[2].pValue = private_first ? &yes : &no;
	if (certstore_create(t, tmpl, NELEM(tmpl), &h, &rv) < 0)
		return -1;
	if (certstore_data_refused(rv)) {
		/* A request or cookie holds nothing secret, but where only
		 * private objects are kept, one is as good: every command
		 * that reads it has logged in. */
		tmpl[2].pValue = private_first ? &no : &yes;
		if (certstore_create(t, tmpl, NELEM(tmpl), &h, &rv) < 0)
			return -1;
	}
	if (rv != CKR_OK)
		return err_ckr(rv, "store the %s '%s'", certstore_data_names[kind],
			       label);
	/* Only a handle from a call that succeeded is kept: a module may
	 * write one on failure, and it may be somebody else's object. */
	*out = h;
	return 0;
}

int
certstore_find_data(struct token *t, const char *label,
		    enum certstore_data kind, CK_OBJECT_HANDLE **out,
		    size_t *count)
{
	const char *app = certstore_applications[kind];
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_APPLICATION, (void *)app, strlen(app) },
	};

	return token_find(t, tmpl, 3, out, count);
}

/* The entry for ID in *ENTRIES (room for *CAP), appended when new; NULL
 * on failure. */
static struct inventory_entry *
certstore_entry_for(struct inventory_entry **entries, size_t *count,
		    size_t *cap, const unsigned char *id, size_t id_len,
		    bool pending)
{
	struct inventory_entry *grown, *e;
	size_t i;

	for (i = 0; id_len > 0 && i < *count; i++)
		if ((*entries)[i].id_len == id_len && (*entries)[i].pending == pending &&
		    memcmp((*entries)[i].id, id, id_len) == 0)
			return &(*entries)[i];
	grown = array_grow(*entries, cap, *count + 1, sizeof(**entries));
	if (grown == NULL)
		return NULL;
	*entries = grown;
	e = &grown[(*count)++];
	memset(e, 0, sizeof(*e));
	e->priv = e->pub = CK_INVALID_HANDLE;
	e->id = malloc(id_len ? id_len : 1);
	if (e->id == NULL)
		return NULL;
	memcpy(e->id, id, id_len);
	e->id_len = id_len;
	e->pending = pending;
	return e;
}

/* What the inventory reads of an object, in one call: the id and label,
 * then by class the key's shape (and a private key's mechanisms) or the
 * certificate. */
enum { CS_ID, CS_LABEL, CS_KEY_TYPE, CS_MODULUS, CS_EC_PARAMS, CS_MECHS, CS_NATTRS };
enum { CS_VALUE = CS_KEY_TYPE };

/* Key type and size of a key whose CKA_KEY_TYPE, CKA_MODULUS and
 * CKA_EC_PARAMS are A[0..2] into E. */
static void
certstore_key_shape(const CK_ATTRIBUTE *a, struct inventory_entry *e)
{
	const unsigned char *p = a[2].pValue;
	ASN1_OBJECT *oid = NULL;
	EC_GROUP *group = NULL;

	e->key_type = 0;
	e->key_bits = 0;
	if (a[0].ulValueLen == sizeof(CK_KEY_TYPE))
		memcpy(&e->key_type, a[0].pValue, sizeof(CK_KEY_TYPE));
	if (e->key_type == CKK_RSA) {
		e->key_bits = a[1].ulValueLen * 8;
	} else if (e->key_type == CKK_EC && p != NULL &&
		   (oid = d2i_ASN1_OBJECT(NULL, &p, (long)a[2].ulValueLen)) != NULL &&
		   (group = EC_GROUP_new_by_curve_name(OBJ_obj2nid(oid))) != NULL) {
		e->key_bits = (unsigned long)EC_GROUP_get_degree(group);
	}
	EC_GROUP_free(group);
	ASN1_OBJECT_free(oid);
}

/* The private key's CKA_ALLOWED_MECHANISMS, A, into E, taking its value:
 * an empty list or one that is no whole number of mechanisms is none. */
static void
certstore_key_mechs(CK_ATTRIBUTE *a, struct inventory_entry *e)
{
	free(e->mechs);
	e->mechs = NULL;
	e->nmechs = 0;
	if (a->pValue == NULL || a->ulValueLen == 0 ||
	    a->ulValueLen % sizeof(CK_MECHANISM_TYPE) != 0)
		return;
	e->mechs = a->pValue;
	e->nmechs = a->ulValueLen / sizeof(CK_MECHANISM_TYPE);
	a->pValue = NULL;
	a->ulValueLen = 0;
}

/* Append an object that could not be read to E; LABEL is taken. */
static int
certstore_add_bad(struct inventory_entry *e, CK_OBJECT_CLASS cls,
		  CK_OBJECT_HANDLE h, char *label, const char *why)
{
	struct inventory_bad *grown;

	grown = array_grow(e->bad, &e->bad_cap, e->nbad + 1, sizeof(*grown));
	if (grown == NULL) {
		free(label);
		return -1;
	}
	e->bad = grown;
	grown[e->nbad] = (struct inventory_bad){ h, cls, label, strdup(why) };
	e->nbad++;
	return grown[e->nbad - 1].why ? 0 : err_set(ERR_FAILED, "out of memory");
}

/* Whether a private key labelled A goes before one labelled B as the
 * group's key: by label (none last), so that which key stands for a group
 * of several does not depend on the module's order. */
static bool
certstore_label_before(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != NULL;
	return strcmp(a, b) < 0;
}

/* The private key H, labelled LABEL (taken), whose shape is in A, then
 * its mechanisms (taken when it stands for the group): the group's key
 * when it is the only one or its label goes first, else one more. */
static int
certstore_add_private(struct token *t, CK_OBJECT_HANDLE h, char *label,
		      CK_ATTRIBUTE *a, struct inventory_entry *e)
{
	struct inventory_key *grown;
	struct keyrights r;
	char *why = NULL;
	int rc;

	if (keyrights_read(t, h, &r) < 0) {
		why = strdup(err_message());
		err_clear();
		rc = certstore_add_bad(e, CKO_PRIVATE_KEY, h, label,
				       why ? why : "its rights cannot be read");
		free(why);
		return rc;
	}
	if (e->has_private) {
		struct inventory_key more = {
			h, label, r.caps | (r.sign_recover ? KEY_CAP_SIGN : 0),
			r.sign_recover, r.extractable, r.sensitive, r.private_,
		};

		grown = array_grow(e->more_keys, &e->more_keys_cap,
				   e->nmore_keys + 1, sizeof(*grown));
		if (grown == NULL) {
			free(label);
			return -1;
		}
		e->more_keys = grown;
		if (certstore_label_before(label, e->priv_label)) {
			/* The new key stands for the group; the one that did
			 * becomes one more. */
			struct inventory_key was = {
				e->priv, e->priv_label, e->key_caps,
				e->sign_recover, e->extractable, e->sensitive,
				e->private_,
			};

			e->priv = more.handle;
			e->priv_label = more.label;
			certstore_key_shape(a, e);
			certstore_key_mechs(&a[CS_MECHS - CS_KEY_TYPE], e);
			e->key_caps = more.key_caps;
			e->sign_recover = more.sign_recover;
			e->extractable = more.extractable;
			e->sensitive = more.sensitive;
			e->private_ = more.private_;
			more = was;
		}
		grown[e->nmore_keys++] = more;
		return 0;
	}
	e->has_private = true;
	e->priv = h;
	e->priv_label = label;
	certstore_key_shape(a, e);
	certstore_key_mechs(&a[CS_MECHS - CS_KEY_TYPE], e);
	/* Signing with recovery is signing, for the audit. */
	e->key_caps = r.caps | (r.sign_recover ? KEY_CAP_SIGN : 0);
	e->sign_recover = r.sign_recover;
	e->extractable = r.extractable;
	e->sensitive = r.sensitive;
	e->private_ = r.private_;
	return 0;
}

/* The public key H, labelled LABEL (taken), whose shape is in A. */
static void
certstore_add_public(struct token *t, CK_OBJECT_HANDLE h, char *label,
		     const CK_ATTRIBUTE *a, struct inventory_entry *e)
{
	if (e->has_public) {
		/* A second public key adds nothing the audit judges. */
		free(label);
		return;
	}
	e->has_public = true;
	e->pub = h;
	e->pub_label = label;
	/* A public key the module cannot hand out is not fatal. */
	if (keygen_public_key(t, h, &e->key) < 0) {
		err_clear();
		e->key = NULL;
	}
	if (!e->has_private)
		certstore_key_shape(a, e);
}

/* The certificate object H, labelled LABEL (taken), whose CKA_VALUE is V. */
static int
certstore_add_cert(CK_OBJECT_HANDLE h, char *label, const CK_ATTRIBUTE *v,
		   struct inventory_entry *e)
{
	struct inventory_cert *grown;
	const unsigned char *p = v->pValue;
	X509 *cert;

	cert = p != NULL ? d2i_X509(NULL, &p, (long)v->ulValueLen) : NULL;
	if (cert == NULL)
		return certstore_add_bad(e, CKO_CERTIFICATE, h, label,
					 v->pValue == NULL ? "its value cannot be read" :
					 "its value is not an X.509 certificate");
	grown = array_grow(e->certs, &e->certs_cap, e->ncerts + 1, sizeof(*grown));
	if (grown == NULL) {
		X509_free(cert);
		free(label);
		return -1;
	}
	e->certs = grown;
	e->certs[e->ncerts].handle = h;
	e->certs[e->ncerts].label = label;
	e->certs[e->ncerts].cert = cert;
	e->ncerts++;
	return 0;
}

/* Add object H of CLASS to the inventory. */
static int
certstore_add_object(struct token *t, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE h,
		     struct inventory_entry **entries, size_t *count, size_t *cap)
{
	CK_ATTRIBUTE a[CS_NATTRS] = {
		{ CKA_ID, NULL, 0 }, { CKA_LABEL, NULL, 0 },
		{ CKA_KEY_TYPE, NULL, 0 }, { CKA_MODULUS, NULL, 0 },
		{ CKA_EC_PARAMS, NULL, 0 }, { CKA_ALLOWED_MECHANISMS, NULL, 0 },
	};
	CK_ULONG n = CS_NATTRS;
	struct inventory_entry *e;
	char *label = NULL, *why = NULL;
	bool unread = false, pending;
	int rc = -1;

	if (cls == CKO_CERTIFICATE) {
		a[CS_VALUE].type = CKA_VALUE;
		n = CS_VALUE + 1;
	} else if (cls == CKO_PUBLIC_KEY) {
		n = CS_MECHS;
	}
	if (token_get_attrs(t, h, a, n) < 0) {
		/* Judged, not fatal: the object joins the group of no id. */
		unread = true;
		why = strdup(err_message());
		err_clear();
		token_attrs_clear(a, n);
	}
	label = a[CS_LABEL].pValue;
	a[CS_LABEL].pValue = NULL;
	/* A pending group stands apart also from a role with its CKA_ID: a
	 * role with a fixed key slot, renewed on a token that keeps both
	 * keys, has two groups under one id. */
	pending = rolestate_parse(label, NULL) == ROLESTATE_PENDING;
	e = certstore_entry_for(entries, count, cap,
				a[CS_ID].pValue ? a[CS_ID].pValue : (void *)"",
				a[CS_ID].ulValueLen, pending);
	if (e == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (unread)
		rc = certstore_add_bad(e, cls, h, label, why ? why : "it cannot be read");
	else if (cls == CKO_PRIVATE_KEY)
		rc = certstore_add_private(t, h, label, &a[CS_KEY_TYPE], e);
	else if (cls == CKO_PUBLIC_KEY)
		rc = (certstore_add_public(t, h, label, &a[CS_KEY_TYPE], e), 0);
	else
		rc = certstore_add_cert(h, label, &a[CS_VALUE], e);
	label = NULL;
out:
	free(label);
	free(why);
	token_attrs_clear(a, n);
	return rc;
}

/* Add every object of CLASS to the inventory. */
static int
certstore_collect(struct token *t, CK_OBJECT_CLASS cls,
		  struct inventory_entry **entries, size_t *count, size_t *cap)
{
	CK_ATTRIBUTE tmpl[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_OBJECT_HANDLE *handles = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (token_find(t, tmpl, 1, &handles, &n) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (interrupt_check() < 0 ||
		    certstore_add_object(t, cls, handles[i], entries, count, cap) < 0)
			goto out;
	rc = 0;
out:
	free(handles);
	return rc;
}

/* The group's label and, without a public key object, its key. */
static void
certstore_entry_finish(struct inventory_entry *e)
{
	e->label = e->priv_label ? e->priv_label : e->pub_label ? e->pub_label :
		   e->ncerts > 0 ? e->certs[0].label :
		   e->nbad > 0 ? e->bad[0].label : NULL;
	if (e->key == NULL && e->ncerts > 0) {
		e->key = X509_get_pubkey(e->certs[0].cert);
		if (e->key_type == 0 && !e->has_private && e->key != NULL) {
			e->key_type = EVP_PKEY_get_base_id(e->key) == EVP_PKEY_RSA ?
				      CKK_RSA : CKK_EC;
			e->key_bits = (unsigned long)EVP_PKEY_get_bits(e->key);
		}
	}
}

static int
certstore_entry_cmp(const void *a, const void *b)
{
	const struct inventory_entry *x = a, *y = b;
	size_t n = x->id_len < y->id_len ? x->id_len : y->id_len;
	int c = strcmp(x->label ? x->label : "", y->label ? y->label : "");

	if (c != 0)
		return c;
	c = memcmp(x->id, y->id, n);
	return c != 0 ? c : (x->id_len > y->id_len) - (x->id_len < y->id_len);
}

int
certstore_inventory(struct token *t, struct inventory_entry **out, size_t *count)
{
	static const CK_OBJECT_CLASS classes[] = {
		CKO_PRIVATE_KEY, CKO_PUBLIC_KEY, CKO_CERTIFICATE,
	};
	struct inventory_entry *entries = NULL;
	size_t n = 0, cap = 0, i;
	int rc = -1;

	*out = NULL;
	*count = 0;
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (certstore_collect(t, classes[i], &entries, &n, &cap) < 0)
			goto out;
	for (i = 0; i < n; i++)
		certstore_entry_finish(&entries[i]);
	if (n > 0)
		qsort(entries, n, sizeof(*entries), certstore_entry_cmp);
	*out = entries;
	*count = n;
	entries = NULL;
	rc = 0;
out:
	certstore_inventory_free(entries, n);
	return rc;
}

void
certstore_inventory_free(struct inventory_entry *e, size_t count)
{
	size_t i, j;

	if (e == NULL)
		return;
	for (i = 0; i < count; i++) {
		free(e[i].id);
		free(e[i].priv_label);
		free(e[i].pub_label);
		free(e[i].mechs);
		EVP_PKEY_free(e[i].key);
		for (j = 0; j < e[i].ncerts; j++) {
			free(e[i].certs[j].label);
			X509_free(e[i].certs[j].cert);
		}
		free(e[i].certs);
		for (j = 0; j < e[i].nmore_keys; j++)
			free(e[i].more_keys[j].label);
		free(e[i].more_keys);
		for (j = 0; j < e[i].nbad; j++) {
			free(e[i].bad[j].label);
			free(e[i].bad[j].why);
		}
		free(e[i].bad);
	}
	free(e);
}

void
certstore_time_string(const ASN1_TIME *t, char *buf, size_t size)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) {
		snprintf(buf, size, "unknown");
		return;
	}
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
certstore_cert_ids(X509 *cert, char **sha256, char **serial)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	*sha256 = X509_digest(cert, EVP_sha256(), md, &len) ? util_hex(md, len) : NULL;
	*serial = hex ? strdup(hex) : NULL;
	OPENSSL_free(hex);
	BN_free(bn);
}

char *
certstore_cert_pem(X509 *cert)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL, *data;
	long len;

	if (b != NULL && PEM_write_bio_X509(b, cert) == 1) {
		len = BIO_get_mem_data(b, &data);
		s = strndup(data, (size_t)len);
	}
	BIO_free(b);
	return s;
}
