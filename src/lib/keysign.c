/* SPDX-License-Identifier: MIT */
/* keysign.c - signing a request with the private key of a pair on the token. */
#include "config.h"

#include <string.h>

#include <openssl/ec.h>
#include <openssl/x509.h>

#include "err.h"
#include "keygen.h"
#include "keysign.h"
#include "token-login.h"
#include "util.h"

/* C_Sign over DATA once C_SignInit has answered CKR_OK: the size, then
 * the signature. Free *SIG with OPENSSL_free(). */
static int
keysign_finish(struct token *t, const unsigned char *data, size_t len,
	       unsigned char **sig, size_t *siglen)
{
	CK_FUNCTION_LIST *fn = token_fn(t);
	unsigned char *buf = NULL;
	CK_ULONG n = 0;
	CK_RV rv;
	int rc = -1;

	*sig = NULL;
	*siglen = 0;
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

/* One signature with MECH over DATA. */
static int
keysign_c_sign(struct token *t, CK_OBJECT_HANDLE priv, CK_MECHANISM_TYPE mech,
	       const unsigned char *data, size_t len, unsigned char **sig,
	       size_t *siglen)
{
	CK_MECHANISM m = { mech, NULL, 0 };
	CK_RV rv;

	*sig = NULL;
	*siglen = 0;
	rv = token_fn(t)->C_SignInit(token_session(t), &m, token_handle(t, priv));
	if (rv != CKR_OK)
		return err_ckr(rv, "sign with the new key");
	return keysign_finish(t, data, len, sig, siglen);
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

/* The PKCS#1 v1.5 mechanism that hashes with MD itself, or 0. */
static CK_MECHANISM_TYPE
keysign_rsa_hashed(const EVP_MD *md)
{
	static const struct {
		int nid;
		CK_MECHANISM_TYPE mech;
	} mechs[] = {
		{ NID_sha256, CKM_SHA256_RSA_PKCS },
		{ NID_sha384, CKM_SHA384_RSA_PKCS },
		{ NID_sha512, CKM_SHA512_RSA_PKCS },
	};
	size_t i;

	for (i = 0; i < NELEM(mechs); i++)
		if (EVP_MD_get_type(md) == mechs[i].nid)
			return mechs[i].mech;
	return 0;
}

/* An RSA signature: hashed on the token where it can (a TPM signs
 * natively only so: its raw CKM_RSA_PKCS is a decryption, which a key
 * that only signs may not do), else PKCS#1 v1.5 over our DigestInfo. */
static int
keysign_rsa(struct token *t, const struct keypair *kp, const struct csr_tbs *tbs,
	    unsigned char **sig, size_t *siglen)
{
	CK_MECHANISM m = { keysign_rsa_hashed(tbs->md), NULL, 0 };
	unsigned char *info = NULL;
	size_t info_len = 0;
	CK_RV rv = CKR_MECHANISM_INVALID;
	int rc = -1;

	if (m.mechanism != 0)
		rv = token_fn(t)->C_SignInit(token_session(t), &m,
						 token_handle(t, kp->priv));
	if (rv == CKR_OK)
		return keysign_finish(t, tbs->data, tbs->len, sig, siglen);
	if (rv != CKR_MECHANISM_INVALID && rv != CKR_MECHANISM_PARAM_INVALID &&
	    rv != CKR_KEY_TYPE_INCONSISTENT)
		return err_ckr(rv, "sign with the new key");
	if (keysign_digest_info(tbs->md, tbs->digest, tbs->dlen, &info,
				&info_len) < 0 ||
	    keysign_c_sign(t, kp->priv, CKM_RSA_PKCS, info, info_len, sig,
			   siglen) < 0)
		goto out;
	rc = 0;
out:
	OPENSSL_free(info);
	return rc;
}

int
keysign_request(struct token *t, const struct keypair *kp,
		const struct csr_tbs *tbs, unsigned char **sig, size_t *siglen)
{
	unsigned char *raw = NULL;
	size_t raw_len = 0;
	int rc = -1;

	*sig = NULL;
	*siglen = 0;
	/* The user signs, where the security officer may have written. */
	if (token_login_for_sign(t) < 0)
		return -1;
	if (!keyalg_is_ec(kp->alg))
		return keysign_rsa(t, kp, tbs, sig, siglen);
	if (keysign_c_sign(t, kp->priv, CKM_ECDSA, tbs->digest, tbs->dlen, &raw,
			   &raw_len) < 0 ||
	    keysign_ecdsa_der(raw, raw_len, sig, siglen) < 0)
		goto out;
	rc = 0;
out:
	OPENSSL_free(raw);
	return rc;
}
