/* SPDX-License-Identifier: MIT */
/* certstore.c - certificate objects on the token, and the inventory. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/x509.h>

#include "array.h"
#include "certstore.h"
#include "err.h"
#include "keyrights.h"
#include "rolestate.h"
#include "token-login.h"
#include "util.h"

static const char *const certstore_applications[] = {
	[CERTSTORE_REQUEST] = "p11enroll",
	[CERTSTORE_CA_TICKET] = "p11enroll ca-ticket",
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

int
certstore_write(struct token *t, X509 *cert, const unsigned char *id,
		size_t id_len, const char *label, CK_OBJECT_HANDLE *out)
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
		};

		if (certstore_create(t, tmpl, NELEM(tmpl), &h, &rv) < 0)
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
	CK_RV rv;

	*out = CK_INVALID_HANDLE;
	if (certstore_create(t, tmpl, NELEM(tmpl), &h, &rv) < 0)
		return -1;
	if (certstore_data_refused(rv)) {
		/* A request or cookie holds nothing secret, but where only
		 * private objects are kept, one is as good: every command
		 * that reads it has logged in. */
		tmpl[2].pValue = &yes;
		if (certstore_create(t, tmpl, NELEM(tmpl), &h, &rv) < 0)
			return -1;
	}
	if (rv != CKR_OK)
		return err_ckr(rv, "store the %s '%s'", kind == CERTSTORE_REQUEST ?
			       "request" : "CA's cookie", label);
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

/* Key type and size of key object H into E. */
static int
certstore_key_shape(struct token *t, CK_OBJECT_HANDLE h, struct inventory_entry *e)
{
	unsigned char *v = NULL;
	const unsigned char *p;
	ASN1_OBJECT *oid = NULL;
	EC_GROUP *group = NULL;
	size_t len = 0;
	int rc = -1;

	if (token_get_ulong(t, h, CKA_KEY_TYPE, &e->key_type) < 0)
		goto out;
	if (e->key_type == CKK_RSA) {
		if (token_get_attr(t, h, CKA_MODULUS, &v, &len) < 0)
			goto out;
		e->key_bits = len * 8;
	} else if (e->key_type == CKK_EC) {
		if (token_get_attr(t, h, CKA_EC_PARAMS, &v, &len) < 0)
			goto out;
		p = v;
		if (v != NULL && (oid = d2i_ASN1_OBJECT(NULL, &p, (long)len)) != NULL &&
		    (group = EC_GROUP_new_by_curve_name(OBJ_obj2nid(oid))) != NULL)
			e->key_bits = (unsigned long)EC_GROUP_get_degree(group);
	}
	rc = 0;
out:
	EC_GROUP_free(group);
	ASN1_OBJECT_free(oid);
	free(v);
	return rc;
}

/* What the private key H may do, and whether it can leave the token. */
static int
certstore_key_rights(struct token *t, CK_OBJECT_HANDLE h, struct inventory_entry *e)
{
	struct keyrights r;

	if (keyrights_read(t, h, &r) < 0)
		return -1;
	/* Signing with recovery is signing, for the audit. */
	e->key_caps = r.caps | (r.sign_recover ? KEY_CAP_SIGN : 0);
	e->sign_recover = r.sign_recover;
	e->extractable = r.extractable;
	e->sensitive = r.sensitive;
	e->private_ = r.private_;
	return 0;
}

/* Add one object of CLASS, labelled LABEL (taken), to entry E. */
static int
certstore_add_object(struct token *t, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE h,
		     char *label, struct inventory_entry *e)
{
	struct inventory_cert *grown;
	X509 *cert = NULL;

	switch (cls) {
	case CKO_PRIVATE_KEY:
		/* Two private keys under one id: the group shows the last. */
		free(e->priv_label);
		e->has_private = true;
		e->priv = h;
		e->priv_label = label;
		return certstore_key_shape(t, h, e) < 0 ? -1 :
		       certstore_key_rights(t, h, e);
	case CKO_PUBLIC_KEY:
		free(e->pub_label);
		EVP_PKEY_free(e->key);
		e->key = NULL;
		e->has_public = true;
		e->pub = h;
		e->pub_label = label;
		/* A public key the module cannot hand out is not fatal. */
		if (keygen_public_key(t, h, &e->key) < 0)
			e->key = NULL;
		return e->has_private ? 0 : certstore_key_shape(t, h, e);
	default:
		if (certstore_read_cert(t, h, &cert) < 0) {
			free(label);
			return -1;
		}
		grown = array_grow(e->certs, &e->certs_cap, e->ncerts + 1,
				   sizeof(*grown));
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
}

/* Add every object of CLASS to the inventory. */
static int
certstore_collect(struct token *t, CK_OBJECT_CLASS cls,
		  struct inventory_entry **entries, size_t *count, size_t *cap)
{
	CK_ATTRIBUTE tmpl[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_OBJECT_HANDLE *handles = NULL;
	unsigned char *id = NULL, *label = NULL;
	size_t n = 0, i, id_len, label_len;
	struct inventory_entry *e;
	bool pending;
	int rc = -1;

	if (token_find(t, tmpl, 1, &handles, &n) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (token_get_attr(t, handles[i], CKA_ID, &id, &id_len) < 0 ||
		    token_get_attr(t, handles[i], CKA_LABEL, &label, &label_len) < 0)
			goto out;
		/* A pending group stands apart also from a role with its
		 * CKA_ID: a role with a fixed key slot, renewed on a token
		 * that keeps both keys, has two groups under one id. */
		pending = rolestate_parse((const char *)label, NULL) ==
			  ROLESTATE_PENDING;
		e = certstore_entry_for(entries, count, cap,
					id ? id : (unsigned char *)"", id_len,
					pending);
		if (e == NULL) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
		if (certstore_add_object(t, cls, handles[i], (char *)label, e) < 0) {
			label = NULL;
			goto out;
		}
		label = NULL;
		free(id);
		id = NULL;
	}
	rc = 0;
out:
	free(id);
	free(label);
	free(handles);
	return rc;
}

/* The group's label and, without a public key object, its key. */
static void
certstore_entry_finish(struct inventory_entry *e)
{
	e->label = e->priv_label ? e->priv_label : e->pub_label ? e->pub_label :
		   e->ncerts > 0 ? e->certs[0].label : NULL;
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
		EVP_PKEY_free(e[i].key);
		for (j = 0; j < e[i].ncerts; j++) {
			free(e[i].certs[j].label);
			X509_free(e[i].certs[j].cert);
		}
		free(e[i].certs);
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
