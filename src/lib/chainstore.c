/* SPDX-License-Identifier: MIT */
/* chainstore.c - the issuing CA certificates kept on the token. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "certstore.h"
#include "chainstore.h"
#include "err.h"
#include "text.h"
#include "util.h"

/* How far up a chain on the token is followed. */
#define CHAINSTORE_DEPTH 8

void
chainstore_dedupe(X509 *leaf, STACK_OF(X509) *chain)
{
	int i, j;

	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		X509 *c = sk_X509_value(chain, i);
		bool seen = leaf != NULL && X509_cmp(c, leaf) == 0;

		for (j = 0; !seen && j < i; j++)
			seen = X509_cmp(c, sk_X509_value(chain, j)) == 0;
		if (seen) {
			X509_free(sk_X509_delete(chain, i));
			i--;
		}
	}
}

/* Whether CERT is self-signed: a root. */
static bool
chainstore_is_root(X509 *cert)
{
	return (X509_get_extension_flags(cert) & EXFLAG_SS) != 0;
}

int
chainstore_kept(STACK_OF(X509) *chain, STACK_OF(X509) **out)
{
	STACK_OF(X509) *kept = sk_X509_new_null();
	int i;

	*out = NULL;
	for (i = 0; kept != NULL && chain != NULL && i < sk_X509_num(chain); i++) {
		X509 *c = sk_X509_value(chain, i);

		if (chainstore_is_root(c))
			continue;
		if (!X509_add_cert(kept, c, X509_ADD_FLAG_UP_REF)) {
			sk_X509_pop_free(kept, X509_free);
			kept = NULL;
		}
	}
	if (kept == NULL)
		return err_set(ERR_FAILED, "out of memory");
	*out = kept;
	return 0;
}

void
chainstore_label(X509 *cert, char *buf, size_t size)
{
	X509_NAME *name = X509_get_subject_name(cert);
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	ASN1_STRING *s = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)) : NULL;
	unsigned char *utf8 = NULL;
	char line[256];
	int len = s != NULL ? ASN1_STRING_to_UTF8(&utf8, s) : -1;

	/* At most 64 bytes: text_printable() cuts between whole
	 * characters and escapes. */
	if (size > 65)
		size = 65;
	if (len < 0) {
		X509_NAME_oneline(name, line, sizeof(line));
		text_printable(line, strlen(line), buf, size);
	} else {
		text_printable((const char *)utf8, (size_t)len, buf, size);
	}
	OPENSSL_free(utf8);
	if (buf[0] == '\0')
		snprintf(buf, size, "CA");
}

/* The CKA_ID of an authority certificate: its subject key identifier,
 * else the SHA-1 of its public key (what the key's own id would be). */
static int
chainstore_id(X509 *cert, unsigned char *id, size_t *len)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);
	unsigned int n = 0;

	if (ski != NULL && ski->length > 0 && ski->length <= 32) {
		memcpy(id, ski->data, (size_t)ski->length);
		*len = (size_t)ski->length;
		return 0;
	}
	if (!X509_pubkey_digest(cert, EVP_sha1(), id, &n))
		return err_set(ERR_FAILED, "cannot hash the CA certificate's key");
	*len = n;
	return 0;
}

/* The certificate objects on T whose CKA_ATTR is the DER of NAME or whose
 * CKA_VALUE is CERT's (ATTR CKA_VALUE, NAME NULL). */
static int
chainstore_find(struct token *t, CK_ATTRIBUTE_TYPE attr, const X509_NAME *name,
		X509 *cert, CK_OBJECT_HANDLE **out, size_t *count)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	unsigned char *der = NULL;
	int len = name != NULL ? i2d_X509_NAME(name, &der) : i2d_X509(cert, &der);
	int rc;

	*out = NULL;
	*count = 0;
	if (len <= 0)
		return err_set(ERR_FAILED, "cannot encode a certificate");
	{
		CK_ATTRIBUTE tmpl[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ attr, der, (CK_ULONG)len },
		};

		rc = token_find(t, tmpl, NELEM(tmpl), out, count);
	}
	OPENSSL_free(der);
	return rc;
}

int
chainstore_keep(struct token *t, STACK_OF(X509) *chain)
{
	STACK_OF(X509) *kept = NULL;
	CK_OBJECT_HANDLE *found = NULL, made[CHAINSTORE_DEPTH];
	unsigned char id[64];
	char label[TEXT_PRINTABLE_SIZE(64)];
	size_t n = 0, nmade = 0, id_len = 0;
	int i, rc = -1;

	if (chainstore_kept(chain, &kept) < 0)
		return -1;
	for (i = 0; i < sk_X509_num(kept) && nmade < NELEM(made); i++) {
		X509 *c = sk_X509_value(kept, i);

		free(found);
		found = NULL;
		if (chainstore_find(t, CKA_VALUE, NULL, c, &found, &n) < 0)
			goto out;
		if (n > 0)
			continue;
		chainstore_label(c, label, sizeof(label));
		if (chainstore_id(c, id, &id_len) < 0 ||
		    certstore_write_authority(t, c, id, id_len, label, &made[nmade]) < 0) {
			err_prefix("keep the CA certificate %s on the token", label);
			goto out;
		}
		nmade++;
	}
	rc = 0;
out:
	if (rc < 0) {
		struct err_saved saved;

		err_save(&saved);
		while (nmade > 0)
			(void)token_destroy(t, made[--nmade]);
		err_restore(&saved);
	}
	free(found);
	sk_X509_pop_free(kept, X509_free);
	return rc;
}

/* Whether the CA certificate CA issued CERT (another certificate). */
static bool
chainstore_issued(X509 *ca, X509 *cert)
{
	return X509_check_ca(ca) > 0 && X509_cmp(ca, cert) != 0 &&
	       X509_check_issued(ca, cert) == X509_V_OK;
}

/* The authority certificate on T that issued CERT, or NULL (and *H
 * CK_INVALID_HANDLE) when T holds none; a self-signed one ends a chain. */
static int
chainstore_issuer(struct token *t, X509 *cert, X509 **out, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_HANDLE *found = NULL;
	size_t n = 0, i;
	X509 *c = NULL;
	int rc = -1;

	*out = NULL;
	*h = CK_INVALID_HANDLE;
	if (chainstore_is_root(cert))
		return 0;
	if (chainstore_find(t, CKA_SUBJECT, X509_get_issuer_name(cert), NULL, &found,
			    &n) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (certstore_read_cert(t, found[i], &c) < 0) {
			err_clear();
			continue;
		}
		if (chainstore_issued(c, cert)) {
			*out = c;
			*h = found[i];
			c = NULL;
			break;
		}
		X509_free(c);
		c = NULL;
	}
	rc = 0;
out:
	free(found);
	return rc;
}

/* The certificate of POOL that issued CERT, or NULL; none for a
 * self-signed one, which ends a chain. */
static X509 *
chainstore_issuer_in(X509 *cert, STACK_OF(X509) *pool)
{
	int i;

	if (chainstore_is_root(cert))
		return NULL;
	for (i = 0; pool != NULL && i < sk_X509_num(pool); i++) {
		X509 *c = sk_X509_value(pool, i);

		if (chainstore_issued(c, cert))
			return c;
	}
	return NULL;
}

int
chainstore_build(X509 *leaf, STACK_OF(X509) *pool, STACK_OF(X509) **out)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509 *at = leaf, *up;
	int depth;

	*out = NULL;
	for (depth = 0; chain != NULL && depth < CHAINSTORE_DEPTH; depth++) {
		if ((up = chainstore_issuer_in(at, pool)) == NULL)
			break;
		if (!X509_add_cert(chain, up, X509_ADD_FLAG_UP_REF)) {
			sk_X509_pop_free(chain, X509_free);
			chain = NULL;
		}
		at = up;
	}
	if (chain == NULL)
		return err_set(ERR_FAILED, "out of memory");
	*out = chain;
	return 0;
}

int
chainstore_read(struct token *t, X509 *leaf, STACK_OF(X509) **out)
{
	STACK_OF(X509) *pool = sk_X509_new_null();
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE tmpl[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_OBJECT_HANDLE *found = NULL;
	size_t n = 0, i;
	X509 *c = NULL;
	int rc = -1;

	*out = NULL;
	if (pool == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (token_find(t, tmpl, NELEM(tmpl), &found, &n) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		/* One that does not parse is no CA certificate of ours. */
		if (certstore_read_cert(t, found[i], &c) < 0) {
			err_clear();
			continue;
		}
		if (X509_check_ca(c) > 0 && !sk_X509_push(pool, c)) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
		if (X509_check_ca(c) <= 0)
			X509_free(c);
		c = NULL;
	}
	rc = chainstore_build(leaf, pool, out);
out:
	X509_free(c);
	free(found);
	sk_X509_pop_free(pool, X509_free);
	return rc;
}

/* Whether some certificate object on T other than CA's own (handle
 * SELF) was issued by CA. */
static int
chainstore_needed(struct token *t, X509 *ca, CK_OBJECT_HANDLE self, bool *yes)
{
	CK_OBJECT_HANDLE *found = NULL;
	size_t n = 0, i;
	X509 *c = NULL;

	*yes = false;
	if (chainstore_find(t, CKA_ISSUER, X509_get_subject_name(ca), NULL, &found,
			    &n) < 0)
		return -1;
	for (i = 0; i < n && !*yes; i++) {
		if (found[i] == self)
			continue;
		if (certstore_read_cert(t, found[i], &c) < 0) {
			/* Unreadable: it may chain through CA; keep CA. */
			err_clear();
			*yes = true;
			continue;
		}
		*yes = X509_check_issued(ca, c) == X509_V_OK;
		X509_free(c);
		c = NULL;
	}
	free(found);
	return 0;
}

int
chainstore_prune(struct token *t, X509 *leaf)
{
	CK_OBJECT_HANDLE h;
	X509 *at = leaf, *up = NULL, *prev = NULL;
	bool needed, trusted;
	int depth, rc = -1;

	for (depth = 0; depth < CHAINSTORE_DEPTH; depth++) {
		if (chainstore_issuer(t, at, &up, &h) < 0)
			goto out;
		if (up == NULL)
			break;
		if (chainstore_needed(t, up, h, &needed) < 0 ||
		    token_get_bool(t, h, CKA_TRUSTED, &trusted) < 0)
			goto out;
		if (needed || trusted)
			break;
		if (token_destroy(t, h) < 0) {
			err_prefix("remove the CA certificate no role needs any more");
			goto out;
		}
		X509_free(prev);
		prev = up;
		at = up;
		up = NULL;
	}
	rc = 0;
out:
	X509_free(up);
	X509_free(prev);
	return rc;
}
