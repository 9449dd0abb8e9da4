/* keysign.c - signing a digest with the private key of a pair on the token. */
#include "config.h"

#include <string.h>

#include <openssl/ec.h>
#include <openssl/x509.h>

#include "err.h"
#include "keygen.h"
#include "keysign.h"

/* One C_Sign call with MECH over DATA; free *SIG with OPENSSL_free(). */
static int
keysign_c_sign(struct token *t, CK_OBJECT_HANDLE priv, CK_MECHANISM_TYPE mech,
	      const unsigned char *data, size_t len, unsigned char **sig,
	      size_t *siglen)
{
	CK_FUNCTION_LIST *fn = token_fn(t);
	CK_MECHANISM m = { mech, NULL, 0 };
	unsigned char *buf = NULL;
	CK_ULONG n = 0;
	CK_RV rv;
	int rc = -1;

	*sig = NULL;
	*siglen = 0;
	rv = fn->C_SignInit(token_session(t), &m, priv);
	if (rv == CKR_OK)
		rv = fn->C_Sign(token_session(t), (CK_BYTE_PTR)data, len, NULL, &n);
	if (rv == CKR_OK && (buf = OPENSSL_malloc(n ? n : 1)) == NULL)
		rv = CKR_HOST_MEMORY;
	if (rv == CKR_OK)
		rv = fn->C_Sign(token_session(t), (CK_BYTE_PTR)data, len, buf, &n);
	if (rv != CKR_OK) {
		err_ckr(rv, "sign with the new key");
		goto out;
	}
	*sig = buf;
	*siglen = n;
	buf = NULL;
	rc = 0;
out:
	OPENSSL_free(buf);
	return rc;
}

/* r||s from CKM_ECDSA to a DER ECDSA-Sig-Value. */
static int
keysign_ecdsa_der(const unsigned char *raw, size_t len, unsigned char **der,
		 size_t *der_len)
{
	ECDSA_SIG *s = NULL;
	BIGNUM *r = NULL, *sv = NULL;
	unsigned char *p = NULL;
	int n, rc = -1;

	if (len == 0 || len % 2 != 0) {
		err_set(ERR_FAILED, "the token returned an ECDSA signature of odd length");
		goto out;
	}
	s = ECDSA_SIG_new();
	r = BN_bin2bn(raw, (int)(len / 2), NULL);
	sv = BN_bin2bn(raw + len / 2, (int)(len / 2), NULL);
	if (s == NULL || r == NULL || sv == NULL || !ECDSA_SIG_set0(s, r, sv)) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	r = sv = NULL;
	n = i2d_ECDSA_SIG(s, &p);
	if (n <= 0) {
		err_set(ERR_FAILED, "cannot encode the ECDSA signature");
		goto out;
	}
	*der = p;
	*der_len = (size_t)n;
	rc = 0;
out:
	ECDSA_SIG_free(s);
	BN_free(r);
	BN_free(sv);
	return rc;
}

/* The DigestInfo that PKCS#1 v1.5 signs. */
static int
keysign_digest_info(const EVP_MD *md, const unsigned char *digest, size_t dlen,
		   unsigned char **der, size_t *der_len)
{
	X509_SIG *sig = NULL;
	X509_ALGOR *alg = NULL;
	ASN1_OCTET_STRING *value = NULL;
	unsigned char *p = NULL;
	int n, rc = -1;

	sig = X509_SIG_new();
	if (sig == NULL)
		goto fail;
	X509_SIG_getm(sig, &alg, &value);
	if (!X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(md)), V_ASN1_NULL, NULL) ||
	    !ASN1_OCTET_STRING_set(value, digest, (int)dlen))
		goto fail;
	n = i2d_X509_SIG(sig, &p);
	if (n <= 0)
		goto fail;
	*der = p;
	*der_len = (size_t)n;
	rc = 0;
	goto out;
fail:
	err_set(ERR_FAILED, "cannot encode the DigestInfo");
out:
	X509_SIG_free(sig);
	return rc;
}

int
keysign_digest(struct token *t, const struct keypair *kp, const EVP_MD *md,
		   const unsigned char *digest, size_t dlen, unsigned char **sig,
		   size_t *siglen)
{
	unsigned char *raw = NULL, *info = NULL;
	size_t raw_len = 0, info_len = 0;
	int rc = -1;

	*sig = NULL;
	*siglen = 0;
	if (keyalg_is_ec(kp->alg)) {
		if (keysign_c_sign(t, kp->priv, CKM_ECDSA, digest, dlen, &raw, &raw_len) < 0 ||
		    keysign_ecdsa_der(raw, raw_len, sig, siglen) < 0)
			goto out;
	} else {
		if (keysign_digest_info(md, digest, dlen, &info, &info_len) < 0 ||
		    keysign_c_sign(t, kp->priv, CKM_RSA_PKCS, info, info_len, sig, siglen) < 0)
			goto out;
	}
	rc = 0;
out:
	OPENSSL_free(raw);
	OPENSSL_free(info);
	return rc;
}

