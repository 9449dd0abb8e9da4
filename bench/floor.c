/* SPDX-License-Identifier: MIT */
/*
 * floor - the least work that enrolling one key pair per role on a
 * PKCS#11 token takes, as a yardstick for p11enroll.
 *
 *   floor -m MODULE -p PINFILE [-a ec|rsa] [-r ROLE]... -t LABEL...
 *         -- CA-PROGRAM [CA-ARG]...
 *   floor -m MODULE -p PINFILE [-a ec|rsa] [-r ROLE]... -t LABEL...
 *         -c CFSSL-URL
 *
 * The slot list is read once, and each token found by its label in it.
 * For each token and each role: C_GenerateKeyPair (EC P-256 or RSA-2048),
 * a PKCS#10 request built with OpenSSL and signed on the token with
 * C_Sign (CKM_ECDSA or CKM_RSA_PKCS over a DigestInfo), the CA program run
 * with the request on its standard input (or, with -c, one POST to the
 * cfssl API's sign endpoint through one libcurl handle kept for the whole
 * run), and C_CreateObject of the first certificate it answers. Nothing is checked beyond the return codes: no
 * policy, no certificate checks, no extra reads. The certificate object
 * carries the attributes any enrollment writes (subject, issuer, serial),
 * so that the token ends up holding what p11enroll would write.
 *
 * The PIN comes from a file, never from the command line.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/p11-kit.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

extern char **environ;

#define FLOOR_MAX_PIN 256
#define FLOOR_ID_LEN 20

enum floor_alg { FLOOR_EC, FLOOR_RSA };

/* The roles the benchmark enrolls; the names match p11enroll's profiles. */
struct floor_role {
	const char *name;
	const char *eku;
	int server;	/* subject CN=LABEL.example.org and that DNS name;
			 * otherwise CN=LABEL-client */
};

static const struct floor_role floor_roles[] = {
	{ "tls-server", "serverAuth", 1 },
	{ "tls-client", "clientAuth", 0 },
	/* A second client role, for a CA that issues one kind of certificate
	 * alone (cfssl's default profile). */
	{ "tls-client-b", "clientAuth", 0 },
};
#define FLOOR_NROLES (sizeof(floor_roles) / sizeof(floor_roles[0]))

/* A token of the slot list: its label without the blank padding. */
struct floor_slot {
	char label[33];
	CK_SLOT_ID id;
};

/* What one run works with; borrowed from main. */
struct floor_run {
	CK_FUNCTION_LIST *p11;
	enum floor_alg alg;
	const char *pin;
	char *const *ca_argv;           /* the CA program, or */
	char *cfssl_url;                /* URL/api/v1/cfssl/sign */
	CURL *curl;
	struct floor_slot *slots;       /* sorted by label */
	size_t nslots;
};

/* P-256 as a DER OID, for CKA_EC_PARAMS. */
static const CK_BYTE floor_p256_oid[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};

/* DigestInfo prefix for SHA-256 (RFC 8017, 9.2 note 1). */
static const unsigned char floor_sha256_prefix[] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20
};

static void
floor_fail(const char *token, const char *role, const char *what, CK_RV rv)
{
	fprintf(stderr, "floor: token %s%s%s: %s", token,
		role ? " role " : "", role ? role : "", what);
	if (rv != CKR_OK)
		fprintf(stderr, ": %s (0x%lx)", p11_kit_strerror(rv),
			(unsigned long)rv);
	fputc('\n', stderr);
}

/* dlopen the module and initialise it; the handle stays open until exit. */
static int
floor_load_module(const char *path, CK_FUNCTION_LIST **out)
{
	CK_C_GetFunctionList get_list;
	CK_FUNCTION_LIST *p11 = NULL;
	void *handle = NULL;
	CK_RV rv;
	int ret = -1;

	*out = NULL;
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		fprintf(stderr, "floor: %s: %s\n", path, dlerror());
		goto out;
	}
	get_list = (CK_C_GetFunctionList)dlsym(handle, "C_GetFunctionList");
	if (get_list == NULL || get_list(&p11) != CKR_OK) {
		fprintf(stderr, "floor: %s: no C_GetFunctionList\n", path);
		goto out;
	}
	rv = p11->C_Initialize(NULL);
	if (rv != CKR_OK) {
		floor_fail(path, NULL, "C_Initialize", rv);
		goto out;
	}
	*out = p11;
	handle = NULL;	/* kept loaded for the whole run */
	ret = 0;
out:
	if (handle != NULL)
		dlclose(handle);
	return ret;
}

/* The first line of PATH, without its newline, into pin. */
static int
floor_read_pin(const char *path, char *pin, size_t size)
{
	FILE *f = NULL;
	int ret = -1;

	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "floor: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (fgets(pin, (int)size, f) == NULL) {
		fprintf(stderr, "floor: %s: no PIN in the file\n", path);
		goto out;
	}
	pin[strcspn(pin, "\r\n")] = '\0';
	ret = 0;
out:
	if (f != NULL)
		fclose(f);
	return ret;
}

static int
floor_slot_compare(const void *a, const void *b)
{
	return strcmp(((const struct floor_slot *)a)->label,
		      ((const struct floor_slot *)b)->label);
}

/* Every token's slot and label, once, sorted by label. */
static int
floor_read_slots(struct floor_run *run)
{
	CK_SLOT_ID *ids = NULL;
	CK_ULONG count = 0, i;
	CK_TOKEN_INFO info;
	size_t len;
	CK_RV rv;
	int ret = -1;

	rv = run->p11->C_GetSlotList(CK_TRUE, NULL, &count);
	if (rv == CKR_OK) {
		ids = calloc(count ? count : 1, sizeof(*ids));
		run->slots = calloc(count ? count : 1, sizeof(*run->slots));
		if (ids == NULL || run->slots == NULL)
			goto out;
		rv = run->p11->C_GetSlotList(CK_TRUE, ids, &count);
	}
	if (rv != CKR_OK) {
		floor_fail("(all)", NULL, "C_GetSlotList", rv);
		goto out;
	}
	for (i = 0; i < count; i++) {
		if (run->p11->C_GetTokenInfo(ids[i], &info) != CKR_OK)
			continue;
		len = sizeof(info.label);
		while (len > 0 && info.label[len - 1] == ' ')
			len--;
		memcpy(run->slots[run->nslots].label, info.label, len);
		run->slots[run->nslots++].id = ids[i];
	}
	qsort(run->slots, run->nslots, sizeof(*run->slots), floor_slot_compare);
	ret = 0;
out:
	free(ids);
	return ret;
}

/* The slot whose token is labelled LABEL. */
static int
floor_find_slot(const struct floor_run *run, const char *label, CK_SLOT_ID *out)
{
	struct floor_slot want, *found;

	memset(&want, 0, sizeof(want));
	snprintf(want.label, sizeof(want.label), "%s", label);
	found = bsearch(&want, run->slots, run->nslots, sizeof(*run->slots),
			floor_slot_compare);
	if (found == NULL) {
		floor_fail(label, NULL, "no such token", CKR_OK);
		return -1;
	}
	*out = found->id;
	return 0;
}

static int
floor_generate(const struct floor_run *run, CK_SESSION_HANDLE s,
	       const CK_BYTE *id, const char *label,
	       CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv, CK_RV *rv)
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = 2048;
	CK_BYTE exponent[] = { 0x01, 0x00, 0x01 };
	CK_ULONG label_len = strlen(label);
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pub_tmpl[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_ENCRYPT, &no, sizeof(no) },
		{ CKA_WRAP, &no, sizeof(no) },
		{ CKA_ID, (void *)id, FLOOR_ID_LEN },
		{ CKA_LABEL, (void *)label, label_len },
		/* the algorithm's own attributes last */
		{ CKA_EC_PARAMS, (void *)floor_p256_oid, sizeof(floor_p256_oid) },
		{ CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent) },
	};
	CK_ATTRIBUTE priv_tmpl[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &no, sizeof(no) },
		{ CKA_UNWRAP, &no, sizeof(no) },
		{ CKA_DERIVE, &no, sizeof(no) },
		{ CKA_ID, (void *)id, FLOOR_ID_LEN },
		{ CKA_LABEL, (void *)label, label_len },
	};
	CK_ULONG npub = 7;

	if (run->alg == FLOOR_RSA) {
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		pub_tmpl[6].type = CKA_MODULUS_BITS;
		pub_tmpl[6].pValue = &bits;
		pub_tmpl[6].ulValueLen = sizeof(bits);
		npub = 8;
	}
	*rv = run->p11->C_GenerateKeyPair(s, &mech, pub_tmpl, npub, priv_tmpl,
		sizeof(priv_tmpl) / sizeof(priv_tmpl[0]), pub, priv);
	return *rv == CKR_OK ? 0 : -1;
}

/* An EVP_PKEY from OSSL_PARAMs of one key type. */
static EVP_PKEY *
floor_pkey_fromdata(const char *type, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* The public half of the new key pair, read in one C_GetAttributeValue. */
static int
floor_public_key(const struct floor_run *run, CK_SESSION_HANDLE s,
		 CK_OBJECT_HANDLE pub, EVP_PKEY **out, CK_RV *rv)
{
	unsigned char a[600], b[16];
	CK_ATTRIBUTE attrs[] = {
		{ CKA_EC_POINT, a, sizeof(a) },
		{ CKA_PUBLIC_EXPONENT, b, sizeof(b) },
	};
	const unsigned char *p = a;
	ASN1_OCTET_STRING *point = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY *pkey = NULL;
	int ret = -1;

	*out = NULL;
	if (run->alg == FLOOR_RSA)
		attrs[0].type = CKA_MODULUS;
	*rv = run->p11->C_GetAttributeValue(s, pub, attrs,
		run->alg == FLOOR_RSA ? 2 : 1);
	if (*rv != CKR_OK)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL)
		goto out;
	if (run->alg == FLOOR_EC) {
		/* CKA_EC_POINT is the point wrapped in a DER OCTET STRING */
		point = d2i_ASN1_OCTET_STRING(NULL, &p, (long)attrs[0].ulValueLen);
		if (point == NULL ||
		    !OSSL_PARAM_BLD_push_utf8_string(bld,
			OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld,
			OSSL_PKEY_PARAM_PUB_KEY, ASN1_STRING_get0_data(point),
			(size_t)ASN1_STRING_length(point)))
			goto out;
	} else {
		n = BN_bin2bn(a, (int)attrs[0].ulValueLen, NULL);
		e = BN_bin2bn(b, (int)attrs[1].ulValueLen, NULL);
		if (n == NULL || e == NULL ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
			goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	if (params == NULL)
		goto out;
	pkey = floor_pkey_fromdata(run->alg == FLOOR_EC ? "EC" : "RSA", params);
	if (pkey == NULL)
		goto out;
	*out = pkey;
	pkey = NULL;
	ret = 0;
out:
	EVP_PKEY_free(pkey);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	ASN1_OCTET_STRING_free(point);
	return ret;
}

/* One extension, from openssl's configuration syntax, onto exts. */
static int
floor_add_ext(STACK_OF(X509_EXTENSION) *exts, int nid, const char *value)
{
	X509_EXTENSION *ext = NULL;

	ext = X509V3_EXT_nconf_nid(NULL, NULL, nid, value);
	if (ext == NULL)
		return -1;
	if (!sk_X509_EXTENSION_push(exts, ext)) {
		X509_EXTENSION_free(ext);
		return -1;
	}
	return 0;
}

/* The unsigned request: subject, public key and the role's extensions. */
static int
floor_build_request(const struct floor_role *role, const char *token,
		    EVP_PKEY *pkey, X509_REQ **out)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_REQ *req = NULL;
	X509_NAME *name = NULL;
	char cn[128], san[160];
	int ret = -1;

	*out = NULL;
	if (role->server)
		snprintf(cn, sizeof(cn), "%s.example.org", token);
	else
		snprintf(cn, sizeof(cn), "%s-client", token);
	snprintf(san, sizeof(san), "DNS:%s", cn);

	req = X509_REQ_new();
	name = X509_NAME_new();
	exts = sk_X509_EXTENSION_new_null();
	if (req == NULL || name == NULL || exts == NULL)
		goto out;
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
		(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_REQ_set_version(req, 0) ||
	    !X509_REQ_set_subject_name(req, name) ||
	    !X509_REQ_set_pubkey(req, pkey))
		goto out;
	if (floor_add_ext(exts, NID_key_usage, "critical,digitalSignature") < 0 ||
	    floor_add_ext(exts, NID_ext_key_usage, role->eku) < 0 ||
	    (role->server && floor_add_ext(exts, NID_subject_alt_name, san) < 0))
		goto out;
	if (!X509_REQ_add_extensions(req, exts))
		goto out;
	*out = req;
	req = NULL;
	ret = 0;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return ret;
}

/* ECDSA's r || s from the token as the DER SEQUENCE X.509 wants. */
static int
floor_ecdsa_der(const unsigned char *raw, CK_ULONG len,
		unsigned char **out, int *out_len)
{
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	int der_len, ret = -1;

	*out = NULL;
	*out_len = 0;
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(raw, (int)(len / 2), NULL);
	s = BN_bin2bn(raw + len / 2, (int)(len / 2), NULL);
	if (sig == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(sig, r, s))
		goto out;
	r = s = NULL;	/* owned by sig now */
	der_len = i2d_ECDSA_SIG(sig, &der);
	if (der_len <= 0)
		goto out;
	*out = der;
	*out_len = der_len;
	der = NULL;
	ret = 0;
out:
	OPENSSL_free(der);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return ret;
}

/* Sign the request's to-be-signed part on the token with SHA-256. */
static int
floor_sign_request(const struct floor_run *run, CK_SESSION_HANDLE s,
		   CK_OBJECT_HANDLE priv, X509_REQ *req, CK_RV *rv)
{
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
	unsigned char input[sizeof(floor_sha256_prefix) + 32];
	unsigned char raw[512];
	CK_ULONG raw_len = sizeof(raw);
	unsigned char *tbs = NULL, *hash, *sig_der = NULL;
	int tbs_len, sig_len, nid = NID_ecdsa_with_SHA256, param = V_ASN1_UNDEF;
	size_t prefix = 0;
	X509_ALGOR *alg = NULL;
	ASN1_BIT_STRING *bits = NULL;
	int ret = -1;

	*rv = CKR_OK;
	if (run->alg == FLOOR_RSA) {
		mech.mechanism = CKM_RSA_PKCS;
		prefix = sizeof(floor_sha256_prefix);
		memcpy(input, floor_sha256_prefix, prefix);
		nid = NID_sha256WithRSAEncryption;
		param = V_ASN1_NULL;
	}
	hash = input + prefix;
	tbs_len = i2d_re_X509_REQ_tbs(req, &tbs);
	if (tbs_len <= 0 ||
	    !EVP_Digest(tbs, (size_t)tbs_len, hash, NULL, EVP_sha256(), NULL))
		goto out;

	*rv = run->p11->C_SignInit(s, &mech, priv);
	if (*rv != CKR_OK)
		goto out;
	*rv = run->p11->C_Sign(s, input, prefix + 32, raw, &raw_len);
	if (*rv != CKR_OK)
		goto out;

	if (run->alg == FLOOR_EC) {
		if (floor_ecdsa_der(raw, raw_len, &sig_der, &sig_len) < 0)
			goto out;
	} else {
		sig_der = OPENSSL_memdup(raw, raw_len);
		sig_len = (int)raw_len;
		if (sig_der == NULL)
			goto out;
	}
	alg = X509_ALGOR_new();
	bits = ASN1_BIT_STRING_new();
	if (alg == NULL || bits == NULL ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(nid), param, NULL) ||
	    !ASN1_BIT_STRING_set(bits, sig_der, sig_len) ||
	    !X509_REQ_set1_signature_algo(req, alg))
		goto out;
	/* no unused bits: without the flag, DER encoding trims zero bytes */
	bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	X509_REQ_set0_signature(req, bits);
	bits = NULL;
	ret = 0;
out:
	ASN1_BIT_STRING_free(bits);
	X509_ALGOR_free(alg);
	OPENSSL_free(sig_der);
	OPENSSL_free(tbs);
	return ret;
}

/* Write all of buf to fd. */
static int
floor_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Run the CA program with the request (PEM) on its standard input and
 * read what it prints. A request is a few kilobytes, well within a pipe's
 * buffer, so writing it all before reading cannot deadlock.
 */
static int
floor_submit(char *const *ca_argv, const char *csr, size_t csr_len,
	     char **out, size_t *out_len)
{
	int in[2] = { -1, -1 }, from[2] = { -1, -1 }, status;
	char *buf = NULL, *grown;
	size_t len = 0, size = 0;
	ssize_t n;
	pid_t pid = -1;
	int ret = -1;

	*out = NULL;
	*out_len = 0;
	if (pipe(in) < 0 || pipe(from) < 0)
		goto out;
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(from[1], 1) < 0)
			_exit(127);
		close(in[0]);
		close(in[1]);
		close(from[0]);
		close(from[1]);
		execve(ca_argv[0], ca_argv, environ);
		_exit(127);
	}
	close(in[0]);
	close(from[1]);
	in[0] = from[1] = -1;
	if (floor_write_all(in[1], csr, csr_len) < 0)
		goto out;
	close(in[1]);
	in[1] = -1;
	for (;;) {
		if (len + 4096 > size) {
			size = size ? size * 2 : 16384;
			grown = realloc(buf, size);
			if (grown == NULL)
				goto out;
			buf = grown;
		}
		n = read(from[0], buf + len, size - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	ret = 0;
out:
	if (in[0] >= 0) close(in[0]);
	if (in[1] >= 0) close(in[1]);
	if (from[0] >= 0) close(from[0]);
	if (from[1] >= 0) close(from[1]);
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			/* certmonger helpers give their reason on stdout */
			if (ret == 0)
				fprintf(stderr, "floor: %s: %.*s", ca_argv[0],
					(int)(len > 400 ? 400 : len), buf);
			ret = -1;
		}
	}
	if (ret == 0) {
		*out = buf;
		*out_len = len;
		buf = NULL;
	}
	free(buf);
	return ret;
}

/* libcurl's write callback: append to the growing buffer. */
static size_t
floor_curl_write(char *data, size_t size, size_t n, void *user)
{
	struct { char *buf; size_t len; } *b = user;
	char *grown = realloc(b->buf, b->len + size * n + 1);

	if (grown == NULL)
		return 0;
	memcpy(grown + b->len, data, size * n);
	b->buf = grown;
	b->len += size * n;
	b->buf[b->len] = '\0';
	return size * n;
}

/* POST the request to the cfssl API; the certificate (PEM) it answers. */
static int
floor_submit_cfssl(const struct floor_run *run, const char *csr, size_t csr_len,
		   char **out, size_t *out_len)
{
	struct { char *buf; size_t len; } b = { NULL, 0 };
	struct curl_slist *headers = NULL;
	json_t *req = NULL, *answer = NULL;
	const char *pem = NULL;
	char *body = NULL;
	long status = 0;
	int ret = -1;

	*out = NULL;
	*out_len = 0;
	req = json_pack("{s:s%}", "certificate_request", csr, csr_len);
	if (req == NULL || (body = json_dumps(req, JSON_COMPACT)) == NULL)
		goto out;
	headers = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(run->curl, CURLOPT_URL, run->cfssl_url);
	curl_easy_setopt(run->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(run->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(run->curl, CURLOPT_WRITEFUNCTION, floor_curl_write);
	curl_easy_setopt(run->curl, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(run->curl) != CURLE_OK ||
	    curl_easy_getinfo(run->curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
	    status != 200 || b.buf == NULL) {
		fprintf(stderr, "floor: %s: HTTP %ld %.300s\n", run->cfssl_url,
			status, b.buf ? b.buf : "");
		goto out;
	}
	answer = json_loadb(b.buf, b.len, 0, NULL);
	if (answer == NULL ||
	    json_unpack(answer, "{s:{s:s}}", "result", "certificate", &pem) != 0 ||
	    (*out = strdup(pem)) == NULL)
		goto out;
	*out_len = strlen(*out);
	ret = 0;
out:
	curl_slist_free_all(headers);
	json_decref(answer);
	json_decref(req);
	free(body);
	free(b.buf);
	return ret;
}

/* The first certificate of the CA's answer. */
static X509 *
floor_parse_cert(const char *pem, size_t len)
{
	BIO *bio = NULL;
	X509 *cert = NULL;

	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio != NULL)
		cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return cert;
}

static int
floor_store_cert(const struct floor_run *run, CK_SESSION_HANDLE s,
		 X509 *cert, const CK_BYTE *id, const char *label, CK_RV *rv)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE type = CKC_X_509;
	CK_BBOOL yes = CK_TRUE;
	CK_OBJECT_HANDLE obj;
	unsigned char *value = NULL, *subject = NULL, *issuer = NULL,
		*serial = NULL;
	int value_len, subject_len, issuer_len, serial_len;
	int ret = -1;

	*rv = CKR_OK;
	value_len = i2d_X509(cert, &value);
	subject_len = i2d_X509_NAME(X509_get_subject_name(cert), &subject);
	issuer_len = i2d_X509_NAME(X509_get_issuer_name(cert), &issuer);
	serial_len = i2d_ASN1_INTEGER(
		(ASN1_INTEGER *)X509_get0_serialNumber(cert), &serial);
	if (value_len <= 0 || subject_len <= 0 || issuer_len <= 0 ||
	    serial_len <= 0)
		goto out;
	{
		CK_ATTRIBUTE tmpl[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_CERTIFICATE_TYPE, &type, sizeof(type) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_ID, (void *)id, FLOOR_ID_LEN },
			{ CKA_LABEL, (void *)label, strlen(label) },
			{ CKA_SUBJECT, subject, (CK_ULONG)subject_len },
			{ CKA_ISSUER, issuer, (CK_ULONG)issuer_len },
			{ CKA_SERIAL_NUMBER, serial, (CK_ULONG)serial_len },
			{ CKA_VALUE, value, (CK_ULONG)value_len },
		};
		*rv = run->p11->C_CreateObject(s, tmpl,
			sizeof(tmpl) / sizeof(tmpl[0]), &obj);
	}
	if (*rv != CKR_OK)
		goto out;
	ret = 0;
out:
	OPENSSL_free(value);
	OPENSSL_free(subject);
	OPENSSL_free(issuer);
	OPENSSL_free(serial);
	return ret;
}

/* Key, request, CA, certificate for one role on a logged-in session. */
static int
floor_enroll_role(const struct floor_run *run, CK_SESSION_HANDLE s,
		  const char *token, const struct floor_role *role)
{
	CK_BYTE id[FLOOR_ID_LEN];
	CK_OBJECT_HANDLE pub, priv;
	EVP_PKEY *pkey = NULL;
	X509_REQ *req = NULL;
	X509 *cert = NULL;
	BIO *mem = NULL;
	char *csr, *answer = NULL;
	long csr_len;
	size_t answer_len;
	const char *step = "make a key id";
	CK_RV rv = CKR_OK;
	int ret = -1;

	if (RAND_bytes(id, sizeof(id)) != 1)
		goto fail;
	step = "C_GenerateKeyPair";
	if (floor_generate(run, s, id, role->name, &pub, &priv, &rv) < 0)
		goto fail;
	step = "read the public key";
	if (floor_public_key(run, s, pub, &pkey, &rv) < 0)
		goto fail;
	step = "make the request";
	if (floor_build_request(role, token, pkey, &req) < 0)
		goto fail;
	step = "sign the request";
	if (floor_sign_request(run, s, priv, req, &rv) < 0)
		goto fail;
	mem = BIO_new(BIO_s_mem());
	if (mem == NULL || !PEM_write_bio_X509_REQ(mem, req))
		goto fail;
	csr_len = BIO_get_mem_data(mem, &csr);
	step = "run the CA";
	if ((run->curl != NULL ?
	     floor_submit_cfssl(run, csr, (size_t)csr_len, &answer, &answer_len) :
	     floor_submit(run->ca_argv, csr, (size_t)csr_len, &answer,
			  &answer_len)) < 0)
		goto fail;
	step = "read the certificate";
	cert = floor_parse_cert(answer, answer_len);
	if (cert == NULL)
		goto fail;
	step = "C_CreateObject";
	if (floor_store_cert(run, s, cert, id, role->name, &rv) < 0)
		goto fail;
	ret = 0;
	goto out;
fail:
	floor_fail(token, role->name, step, rv);
out:
	free(answer);
	BIO_free(mem);
	X509_free(cert);
	X509_REQ_free(req);
	EVP_PKEY_free(pkey);
	return ret;
}

/* Log in to one token and enroll every selected role on it. */
static int
floor_enroll_token(const struct floor_run *run, const char *token,
		   const int *selected)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_SLOT_ID slot;
	int logged_in = 0;
	size_t i;
	CK_RV rv;
	int ret = -1;

	if (floor_find_slot(run, token, &slot) < 0)
		goto out;
	rv = run->p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
				     NULL, NULL, &s);
	if (rv != CKR_OK) {
		floor_fail(token, NULL, "C_OpenSession", rv);
		goto out;
	}
	rv = run->p11->C_Login(s, CKU_USER, (CK_UTF8CHAR *)run->pin,
			       strlen(run->pin));
	if (rv != CKR_OK) {
		floor_fail(token, NULL, "C_Login", rv);
		goto out;
	}
	logged_in = 1;
	for (i = 0; i < FLOOR_NROLES; i++) {
		if (selected[i] && floor_enroll_role(run, s, token,
						     &floor_roles[i]) < 0)
			goto out;
	}
	ret = 0;
out:
	if (logged_in)
		run->p11->C_Logout(s);
	if (s != CK_INVALID_HANDLE)
		run->p11->C_CloseSession(s);
	return ret;
}

/* Mark role NAME in selected; unknown names are an error. */
static int
floor_select_role(const char *name, int *selected)
{
	size_t i;

	for (i = 0; i < FLOOR_NROLES; i++) {
		if (strcmp(floor_roles[i].name, name) == 0) {
			selected[i] = 1;
			return 0;
		}
	}
	fprintf(stderr, "floor: unknown role %s\n", name);
	return -1;
}

static void
floor_usage(void)
{
	fprintf(stderr, "usage: floor -m MODULE -p PINFILE [-a ec|rsa] "
		"[-r ROLE]... -t LABEL... (-- CA-PROGRAM [CA-ARG]... | "
		"-c CFSSL-URL)\n");
}

int
main(int argc, char **argv)
{
	struct floor_run run;
	const char *module = NULL, *pin_file = NULL, *cfssl = NULL;
	const char **tokens = NULL;
	int selected[FLOOR_NROLES] = { 0 }, any_role = 0;
	char pin[FLOOR_MAX_PIN];
	size_t ntokens = 0, i;
	int opt, ret = 2;

	memset(&run, 0, sizeof(run));
	run.alg = FLOOR_EC;
	memset(pin, 0, sizeof(pin));
	/* never more tokens than arguments */
	tokens = calloc((size_t)argc, sizeof(*tokens));
	if (tokens == NULL)
		goto out;
	while ((opt = getopt(argc, argv, "+m:p:a:r:t:c:")) != -1) {
		switch (opt) {
		case 'm': module = optarg; break;
		case 'p': pin_file = optarg; break;
		case 'a':
			if (strcmp(optarg, "ec") == 0)
				run.alg = FLOOR_EC;
			else if (strcmp(optarg, "rsa") == 0)
				run.alg = FLOOR_RSA;
			else
				goto usage;
			break;
		case 'r':
			if (floor_select_role(optarg, selected) < 0)
				goto out;
			any_role = 1;
			break;
		case 't':
			tokens[ntokens++] = optarg;
			break;
		case 'c':
			cfssl = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (module == NULL || pin_file == NULL || ntokens == 0 ||
	    (cfssl == NULL) != (optind < argc))
		goto usage;
	if (!any_role)          /* tls-server and tls-client */
		selected[0] = selected[1] = 1;
	run.ca_argv = argv + optind;

	ret = 1;
	/* a CA that exits before reading its input must not kill us */
	signal(SIGPIPE, SIG_IGN);
	if (floor_read_pin(pin_file, pin, sizeof(pin)) < 0)
		goto out;
	run.pin = pin;
	if (cfssl != NULL &&
	    (asprintf(&run.cfssl_url, "%s/api/v1/cfssl/sign", cfssl) < 0 ||
	     curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	     (run.curl = curl_easy_init()) == NULL)) {
		fprintf(stderr, "floor: cannot set up libcurl\n");
		goto out;
	}
	if (floor_load_module(module, &run.p11) < 0 || floor_read_slots(&run) < 0)
		goto out;
	for (i = 0; i < ntokens; i++)
		if (floor_enroll_token(&run, tokens[i], selected) < 0)
			goto out;
	ret = 0;
	goto out;
usage:
	floor_usage();
out:
	if (run.p11 != NULL)
		run.p11->C_Finalize(NULL);
	OPENSSL_cleanse(pin, sizeof(pin));
	if (run.curl != NULL)
		curl_easy_cleanup(run.curl);
	free(run.cfssl_url);
	free(run.slots);
	free(tokens);
	return ret;
}
