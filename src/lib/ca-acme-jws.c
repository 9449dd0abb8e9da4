/* SPDX-License-Identifier: MIT */
/* ca-acme-jws.c - JWS for ACME: the account key, ES256 and HS256. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "ca-acme-jws.h"
#include "err.h"
#include "util.h"

/* A P-256 point's coordinate, and its uncompressed encoding. */
#define ACME_COORD 32
#define ACME_POINT (1 + 2 * ACME_COORD)
/* The largest account key file read. */
#define ACME_KEY_FILE_MAX (16 * 1024)

int
acme_b64url(const unsigned char *data, size_t len, char **out)
{
	char *text = NULL;
	size_t i, n;
	int enc;

	*out = NULL;
	if ((text = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	enc = EVP_EncodeBlock((unsigned char *)text, data, (int)len);
	n = enc > 0 ? (size_t)enc : 0;
	while (n > 0 && text[n - 1] == '=')
		n--;
	text[n] = '\0';
	for (i = 0; i < n; i++) {
		if (text[i] == '+')
			text[i] = '-';
		else if (text[i] == '/')
			text[i] = '_';
	}
	*out = text;
	return 0;
}

int
acme_b64url_decode(const char *text, const char *what, unsigned char **out,
		   size_t *len)
{
	size_t i, n = strlen(text), padded;
	char *std = NULL;
	unsigned char *bin = NULL;
	int got, rc = -1;

	*out = NULL;
	*len = 0;
	while (n > 0 && text[n - 1] == '=')
		n--;
	padded = (n + 3) / 4 * 4;
	if (n == 0 || n % 4 == 1) {
		err_set(ERR_USAGE, "%s is not base64url", what);
		goto out;
	}
	if ((std = malloc(padded + 1)) == NULL ||
	    (bin = malloc(padded / 4 * 3 + 1)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		char c = text[i];

		if (c == '-' || c == '+')
			c = '+';
		else if (c == '_' || c == '/')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9'))) {
			err_set(ERR_USAGE, "%s is not base64url", what);
			goto out;
		}
		std[i] = c;
	}
	for (; i < padded; i++)
		std[i] = '=';
	std[padded] = '\0';
	if ((got = EVP_DecodeBlock(bin, (unsigned char *)std, (int)padded)) < 0) {
		err_set(ERR_USAGE, "%s is not base64url", what);
		goto out;
	}
	/* EVP_DecodeBlock counts the padding's zero bytes too. */
	*len = (size_t)got - (padded - n);
	*out = bin;
	bin = NULL;
	rc = 0;
out:
	if (std != NULL)
		OPENSSL_cleanse(std, padded);
	free(std);
	free(bin);
	return rc;
}

/* A new P-256 key written to PATH as PEM, 0600. */
static int
acme_key_create(const char *path, EVP_PKEY **out)
{
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	char *pem;
	long len;
	int fd = -1, rc = -1;

	if ((key = EVP_EC_gen("P-256")) == NULL ||
	    (bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) ||
	    (len = BIO_get_mem_data(bio, &pem)) <= 0) {
		err_set(ERR_FAILED, "ACME account key %s: cannot generate a "
			"P-256 key", path);
		goto out;
	}
	if (util_open_private(path, O_WRONLY | O_TRUNC, false, &fd) < 0) {
		err_prefix("ACME account key %s", path);
		goto out;
	}
	if (write(fd, pem, (size_t)len) != (ssize_t)len || fsync(fd) != 0) {
		err_set(ERR_FAILED, "ACME account key %s: %s", path,
			strerror(errno));
		unlink(path);
		goto out;
	}
	*out = key;
	key = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	BIO_free(bio);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return rc;
}

int
acme_account_key(const char *path, EVP_PKEY **out, bool *created)
{
	unsigned char *data = NULL;
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	size_t len = 0;
	int fd = -1, rc = -1;

	*out = NULL;
	*created = false;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		if (acme_key_create(path, out) < 0)
			return -1;
		*created = true;
		return 0;
	}
	/* The same checks as for writing: this user's, no link, 0600. */
	if (util_open_private(path, O_RDWR, false, &fd) < 0) {
		err_prefix("ACME account key %s", path);
		goto out;
	}
	if (util_read_fd(fd, path, ACME_KEY_FILE_MAX, &data, &len) < 0)
		goto out;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL ||
	    (key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL ||
	    !EVP_PKEY_is_a(key, "EC")) {
		err_set(ERR_USAGE, "ACME account key %s: not a PEM P-256 "
			"private key", path);
		goto out;
	}
	*out = key;
	key = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (data != NULL)
		OPENSSL_cleanse(data, len);
	free(data);
	BIO_free(bio);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return rc;
}

int
acme_jwk(EVP_PKEY *key, json_t **out)
{
	unsigned char point[ACME_POINT];
	char *x = NULL, *y = NULL;
	size_t len = 0;
	json_t *jwk = NULL;
	int rc = -1;

	*out = NULL;
	if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
					     point, sizeof(point), &len) ||
	    len != ACME_POINT || point[0] != 0x04) {
		err_set(ERR_FAILED, "the ACME account key is not a P-256 key");
		goto out;
	}
	if (acme_b64url(point + 1, ACME_COORD, &x) < 0 ||
	    acme_b64url(point + 1 + ACME_COORD, ACME_COORD, &y) < 0)
		goto out;
	jwk = json_pack("{s:s, s:s, s:s, s:s}", "crv", "P-256", "kty", "EC",
			"x", x, "y", y);
	if (jwk == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	*out = jwk;
	rc = 0;
out:
	ERR_clear_error();
	free(x);
	free(y);
	return rc;
}

int
acme_thumbprint(EVP_PKEY *key, char **out)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	json_t *jwk = NULL;
	char *text = NULL;
	int rc = -1;

	*out = NULL;
	if (acme_jwk(key, &jwk) < 0)
		goto out;
	/* RFC 7638: the required members, sorted, without white space. */
	if ((text = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS)) == NULL ||
	    !EVP_Digest(text, strlen(text), digest, &dlen, EVP_sha256(), NULL)) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	rc = acme_b64url(digest, dlen, out);
out:
	free(text);
	json_decref(jwk);
	return rc;
}

/* The ES256 signature (r || s, 64 bytes) of DATA with KEY, base64url. */
static int
acme_es256(EVP_PKEY *key, const char *data, char **out)
{
	unsigned char der[128], raw[2 * ACME_COORD];
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	EVP_MD_CTX *ctx = NULL;
	ECDSA_SIG *sig = NULL;
	size_t len = sizeof(der);
	int rc = -1;

	*out = NULL;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, der, &len, (const unsigned char *)data,
			   strlen(data)) != 1 ||
	    (sig = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL) {
		err_set(ERR_FAILED, "cannot sign with the ACME account key");
		goto out;
	}
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, ACME_COORD) != ACME_COORD ||
	    BN_bn2binpad(s, raw + ACME_COORD, ACME_COORD) != ACME_COORD) {
		err_set(ERR_FAILED, "cannot sign with the ACME account key");
		goto out;
	}
	rc = acme_b64url(raw, sizeof(raw), out);
out:
	ERR_clear_error();
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* {"protected", "payload", "signature"} of the protected header HEADER
 * and PAYLOAD, signed by SIGN (ES256 with KEY, or HS256 with MAC). */
static int
acme_flatten(json_t *header, const char *payload, EVP_PKEY *key,
	     const unsigned char *mac, size_t mac_len, json_t **out)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	char *htext = NULL, *h64 = NULL, *p64 = NULL, *input = NULL, *sig = NULL;
	size_t size;
	json_t *jws = NULL;
	int rc = -1;

	*out = NULL;
	if ((htext = json_dumps(header, JSON_COMPACT)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (acme_b64url((const unsigned char *)htext, strlen(htext), &h64) < 0 ||
	    acme_b64url((const unsigned char *)payload, strlen(payload), &p64) < 0)
		goto out;
	size = strlen(h64) + 1 + strlen(p64) + 1;
	if ((input = malloc(size)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	snprintf(input, size, "%s.%s", h64, p64);
	if (key != NULL) {
		if (acme_es256(key, input, &sig) < 0)
			goto out;
	} else {
		if (HMAC(EVP_sha256(), mac, (int)mac_len,
			 (const unsigned char *)input, strlen(input), digest,
			 &dlen) == NULL) {
			err_set(ERR_FAILED, "cannot compute the binding's HMAC");
			goto out;
		}
		if (acme_b64url(digest, dlen, &sig) < 0)
			goto out;
	}
	if ((jws = json_pack("{s:s, s:s, s:s}", "protected", h64, "payload",
			     p64, "signature", sig)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	*out = jws;
	rc = 0;
out:
	OPENSSL_cleanse(digest, sizeof(digest));
	free(htext);
	free(h64);
	free(p64);
	free(input);
	free(sig);
	return rc;
}

int
acme_jws(EVP_PKEY *key, const char *kid, const char *nonce, const char *url,
	 const char *payload, char **out)
{
	json_t *header = NULL, *jwk = NULL, *jws = NULL;
	int rc = -1;

	*out = NULL;
	if ((header = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "nonce",
				nonce, "url", url)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (kid != NULL) {
		if (json_object_set_new(header, "kid", json_string(kid)) < 0) {
			err_set(ERR_FAILED, "out of memory");
			goto out;
		}
	} else if (acme_jwk(key, &jwk) < 0 ||
		   json_object_set(header, "jwk", jwk) < 0) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	if (acme_flatten(header, payload != NULL ? payload : "", key, NULL, 0,
			 &jws) < 0)
		goto out;
	if ((*out = json_dumps(jws, JSON_COMPACT)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	rc = 0;
out:
	json_decref(header);
	json_decref(jwk);
	json_decref(jws);
	return rc;
}

int
acme_eab(EVP_PKEY *key, const char *kid, const unsigned char *mac,
	 size_t mac_len, const char *url, json_t **out)
{
	json_t *header = NULL, *jwk = NULL;
	char *payload = NULL;
	int rc = -1;

	*out = NULL;
	if (acme_jwk(key, &jwk) < 0)
		goto out;
	if ((header = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid", kid,
				"url", url)) == NULL ||
	    (payload = json_dumps(jwk, JSON_COMPACT)) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	rc = acme_flatten(header, payload, NULL, mac, mac_len, out);
out:
	free(payload);
	json_decref(header);
	json_decref(jwk);
	return rc;
}
