/* SPDX-License-Identifier: MIT */
/* csr.c - PKCS#10 requests: what a role asks for, built and signed. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "csr.h"
#include "err.h"
#include "keyusage.h"

void
csr_spec_clear(struct csr_spec *spec)
{
	if (spec == NULL)
		return;
	X509_NAME_free(spec->subject);
	GENERAL_NAMES_free(spec->san);
	sk_ASN1_OBJECT_pop_free(spec->eku, ASN1_OBJECT_free);
	memset(spec, 0, sizeof(*spec));
}

const EVP_MD *
csr_digest_for(EVP_PKEY *pub)
{
	char group[80];
	size_t len = 0;
	int nid;

	if (pub == NULL || !EVP_PKEY_is_a(pub, "EC") ||
	    EVP_PKEY_get_group_name(pub, group, sizeof(group), &len) != 1)
		return EVP_sha256();
	nid = OBJ_sn2nid(group);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(group);
	return nid == NID_secp384r1 ? EVP_sha384() : EVP_sha256();
}

/* Encode the KU_* bits of KEY_USAGE as a critical keyUsage extension. */
static int
csr_key_usage_ext(unsigned key_usage, X509_EXTENSION **out)
{
	ASN1_BIT_STRING *bits = NULL;
	unsigned left = key_usage, flag;
	int bit, rc = -1;

	*out = NULL;
	if ((bits = ASN1_BIT_STRING_new()) == NULL)
		goto oom;
	for (flag = 1; flag != 0 && flag <= key_usage; flag <<= 1) {
		if ((key_usage & flag) == 0 || (bit = keyusage_bit(flag)) < 0)
			continue;
		if (!ASN1_BIT_STRING_set_bit(bits, bit, 1))
			goto oom;
		left &= ~flag;
	}
	if (left != 0) {
		err_set(ERR_USAGE, "key usage 0x%x holds bits that are not keyUsage flags",
			left);
		goto out;
	}
	if ((*out = X509V3_EXT_i2d(NID_key_usage, 1, bits)) == NULL)
		goto oom;
	rc = 0;
	goto out;
oom:
	err_openssl(ERR_FAILED, "out of memory",
		"cannot encode the keyUsage extension");
out:
	ASN1_BIT_STRING_free(bits);
	return rc;
}

/* Add an extension encoded from VALUE to EXTS, which then owns it. */
static int
csr_push_ext(STACK_OF(X509_EXTENSION) *exts, int nid, int crit, void *value)
{
	X509_EXTENSION *ext = NULL;
	int rc = -1;

	if ((ext = X509V3_EXT_i2d(nid, crit, value)) == NULL ||
	    !sk_X509_EXTENSION_push(exts, ext)) {
		err_openssl(ERR_FAILED, "out of memory",
			"cannot encode the %s extension", OBJ_nid2ln(nid));
		goto out;
	}
	ext = NULL;
	rc = 0;
out:
	X509_EXTENSION_free(ext);
	return rc;
}

/* The extensionRequest of SPEC. */
static int
csr_extensions(const struct csr_spec *spec, STACK_OF(X509_EXTENSION) **out)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ku = NULL;
	int rc = -1;

	*out = NULL;
	if (spec->eku == NULL || sk_ASN1_OBJECT_num(spec->eku) == 0) {
		err_set(ERR_USAGE, "the request names no extended key usage");
		goto out;
	}
	if ((exts = sk_X509_EXTENSION_new_null()) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (spec->key_usage != 0) {
		if (csr_key_usage_ext(spec->key_usage, &ku) < 0)
			goto out;
		if (!sk_X509_EXTENSION_push(exts, ku)) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
		ku = NULL;
	}
	if (csr_push_ext(exts, NID_ext_key_usage, 0, spec->eku) < 0)
		goto out;
	if (spec->san != NULL && sk_GENERAL_NAME_num(spec->san) > 0 &&
	    csr_push_ext(exts, NID_subject_alt_name, 0, spec->san) < 0)
		goto out;
	*out = exts;
	exts = NULL;
	rc = 0;
out:
	X509_EXTENSION_free(ku);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

/* Set REQ's signatureAlgorithm for a signature with MD by PUB. */
static int
csr_set_algorithm(X509_REQ *req, EVP_PKEY *pub, const EVP_MD *md)
{
	X509_ALGOR *alg = NULL;
	int signid = NID_undef, pkey_id, rc = -1;

	pkey_id = EVP_PKEY_get_base_id(pub);
	if (!OBJ_find_sigid_by_algs(&signid, EVP_MD_get_type(md), pkey_id)) {
		err_set(ERR_FAILED, "no signature algorithm for %s with a %s key",
			EVP_MD_get0_name(md), EVP_PKEY_get0_type_name(pub));
		goto out;
	}
	/* RFC 4055 wants a NULL parameter for RSA, RFC 5758 none for ECDSA. */
	if ((alg = X509_ALGOR_new()) == NULL ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(signid),
			     pkey_id == EVP_PKEY_RSA ? V_ASN1_NULL : V_ASN1_UNDEF,
			     NULL) ||
	    !X509_REQ_set1_signature_algo(req, alg)) {
		err_openssl(ERR_FAILED, "out of memory",
			"cannot set the request's signature algorithm");
		goto out;
	}
	rc = 0;
out:
	X509_ALGOR_free(alg);
	return rc;
}

/* Digest REQ's to-be-signed part and have SIGNER sign it. */
static int
csr_sign(X509_REQ *req, EVP_PKEY *pub, const struct csr_signer *signer)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned char *tbs = NULL, *sig = NULL;
	ASN1_BIT_STRING *bits = NULL;
	const EVP_MD *md = csr_digest_for(pub);
	unsigned int dlen = 0;
	size_t siglen = 0;
	int tbslen, rc = -1;

	if ((tbslen = i2d_re_X509_REQ_tbs(req, &tbs)) <= 0 ||
	    !EVP_Digest(tbs, (size_t)tbslen, digest, &dlen, md, NULL)) {
		err_openssl(ERR_FAILED, "encoding failed",
			"cannot digest the request");
		goto out;
	}
	/* The caller says what was being signed. */
	if (signer->sign(signer->ctx, &(struct csr_tbs){ md, tbs, (size_t)tbslen,
							   digest, dlen },
			 &sig, &siglen) < 0)
		goto out;
	if (sig == NULL || siglen == 0 || siglen > INT_MAX) {
		err_set(ERR_FAILED, "the signer returned no signature");
		goto out;
	}
	if (csr_set_algorithm(req, pub, md) < 0)
		goto out;
	if ((bits = ASN1_BIT_STRING_new()) == NULL ||
	    !ASN1_BIT_STRING_set(bits, sig, (int)siglen)) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	/* A signature is whole octets; without this flag the encoder would
	 * drop trailing zero bytes as unused bits. */
	bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	X509_REQ_set0_signature(req, bits);
	bits = NULL;
	if (X509_REQ_verify(req, pub) <= 0) {
		ERR_clear_error();
		err_set(ERR_FAILED,
			"request signature does not verify against the public key");
		goto out;
	}
	rc = 0;
out:
	ASN1_BIT_STRING_free(bits);
	OPENSSL_free(sig);
	OPENSSL_free(tbs);
	return rc;
}

int
csr_build(const struct csr_spec *spec, EVP_PKEY *pub,
	  const struct csr_signer *signer, X509_REQ **out)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_REQ *req = NULL;
	int rc = -1;

	*out = NULL;
	if (spec->subject == NULL) {
		err_set(ERR_USAGE, "the request has no subject");
		goto out;
	}
	if (csr_extensions(spec, &exts) < 0)
		goto out;
	if ((req = X509_REQ_new()) == NULL ||
	    !X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_subject_name(req, spec->subject) ||
	    !X509_REQ_set_pubkey(req, pub) ||
	    !X509_REQ_add_extensions(req, exts)) {
		err_openssl(ERR_FAILED, "out of memory",
			"cannot build the request");
		goto out;
	}
	/* A SCEP CA reads its enrolment secret from here (RFC 8894 2.2). */
	if (spec->challenge != NULL &&
	    !X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword,
				       MBSTRING_UTF8,
				       (const unsigned char *)spec->challenge,
				       -1)) {
		err_openssl(ERR_FAILED, "out of memory",
			"cannot add the challenge password to the request");
		goto out;
	}
	if (csr_sign(req, pub, signer) < 0)
		goto out;
	*out = req;
	req = NULL;
	rc = 0;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	return rc;
}

int
csr_to_pem(X509_REQ *req, char **out)
{
	BIO *bio = NULL;
	char *text = NULL, *data;
	long len;
	int rc = -1;

	*out = NULL;
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509_REQ(bio, req) ||
	    (len = BIO_get_mem_data(bio, &data)) <= 0) {
		err_openssl(ERR_FAILED, "out of memory",
			"cannot write the request as PEM");
		goto out;
	}
	if ((text = malloc((size_t)len + 1)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	memcpy(text, data, (size_t)len);
	text[len] = '\0';
	*out = text;
	text = NULL;
	rc = 0;
out:
	free(text);
	BIO_free(bio);
	return rc;
}

int
csr_from_bytes(const unsigned char *data, size_t len, X509_REQ **out)
{
	const unsigned char *p = data;
	X509_REQ *req = NULL;
	BIO *bio = NULL;
	int rc = -1;

	*out = NULL;
	if (len == 0 || len > INT_MAX) {
		err_set(ERR_FAILED, "cannot parse the request: %s",
			len == 0 ? "it is empty" : "it is too large");
		goto out;
	}
	/* DER starts with a SEQUENCE tag, which PEM text never does. */
	if (data[0] != 0x30) {
		if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL ||
		    (req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL)) == NULL) {
			err_openssl(ERR_FAILED, "no CERTIFICATE REQUEST block",
				"cannot parse the PEM request");
			goto out;
		}
	} else if ((req = d2i_X509_REQ(NULL, &p, (long)len)) == NULL) {
		err_openssl(ERR_FAILED, "malformed",
			"cannot parse the DER request");
		goto out;
	} else if (p != data + len) {
		err_set(ERR_FAILED,
			"cannot parse the DER request: trailing bytes after it");
		goto out;
	}
	*out = req;
	req = NULL;
	rc = 0;
out:
	X509_REQ_free(req);
	BIO_free(bio);
	return rc;
}
