/* pushcrypto - the cryptography of Web Push; see pushcrypto.h.
 *
 * Encryption (RFC 8291, aes128gcm, one record): an ephemeral P-256 key
 * (as), ECDH with the browser's p256dh key (ua), then HKDF-SHA256:
 *   IKM   = HKDF(salt = auth, ikm = ecdh, info = "WebPush: info\0" ua as, 32)
 *   CEK   = HKDF(salt = random 16, ikm = IKM, "Content-Encoding: aes128gcm\0", 16)
 *   NONCE = HKDF(same, "Content-Encoding: nonce\0", 12)
 * body = salt | rs (4096) | 65 | as | AES-128-GCM(payload | 0x02) | tag.
 * VAPID (RFC 8292): Authorization: vapid t=<ES256 JWT {aud: the push
 * service's origin, exp: +12 h, sub: webpush.subject}>, k=<our public key>. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pushcrypto.h"

#define PUSHCRYPTO_RS 4096

/* ---- base64url ---- */

void
pushcrypto_b64url(const unsigned char *in, size_t n, char *out, size_t outlen)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;

	for (i = 0; i < n && o + 5 < outlen; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
		    (i + 2 < n ? in[i + 2] : 0);

		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = a[v >> 6 & 63];
		if (i + 2 < n)
			out[o++] = a[v & 63];
	}
	out[o] = '\0';
}

int
pushcrypto_unb64url(const char *in, unsigned char *out, size_t outlen)
{
	unsigned v = 0;
	int bits = 0;
	size_t o = 0;

	for (; *in && *in != '='; in++) {
		int c = *in;
		int d = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 :
		    c >= '0' && c <= '9' ? c - '0' + 52 : c == '-' || c == '+' ? 62 : c == '_' || c == '/' ? 63 : -1;

		if (d < 0)
			return -1;
		v = v << 6 | (unsigned)d;
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (o == outlen)
				return -1;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	return (int)o;
}

/* ---- crypto ---- */

static void
pushcrypto_hmac(const unsigned char *key, size_t klen, const unsigned char *d, size_t n, unsigned char out[32])
{
	unsigned len = 32;

	HMAC(EVP_sha256(), key, (int)klen, d, n, out, &len);
}

/* pushcrypto_hkdf - HKDF-SHA256 with one block of output (len <= 32). */
static void
pushcrypto_hkdf(const unsigned char *salt, size_t slen, const unsigned char *ikm, size_t ilen, const unsigned char *info,
    size_t nlen, unsigned char *out, size_t len)
{
	unsigned char prk[32], t[32], buf[256];

	pushcrypto_hmac(salt, slen, ikm, ilen, prk);
	memcpy(buf, info, nlen);
	buf[nlen] = 1;
	pushcrypto_hmac(prk, 32, buf, nlen + 1, t);
	memcpy(out, t, len);
}

static EVP_PKEY *
pushcrypto_peer_key(const unsigned char pub[65])
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub, 65);
	params[2] = OSSL_PARAM_construct_end();
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		k = NULL;
	EVP_PKEY_CTX_free(ctx);
	return k;
}

int
pushcrypto_encrypt(const unsigned char ua[65], const unsigned char auth[16], const char *pt, size_t ptlen,
    unsigned char *out)
{
	static const char info_key[] = "WebPush: info";
	static const char info_cek[] = "Content-Encoding: aes128gcm";
	static const char info_nonce[] = "Content-Encoding: nonce";
	unsigned char as[65], secret[32], ikm[32], salt[16], cek[16], nonce[12], info[14 + 130];
	EVP_PKEY *eph = NULL, *peer = NULL;
	EVP_PKEY_CTX *dctx = NULL;
	EVP_CIPHER_CTX *c = NULL;
	size_t slen = sizeof(secret), alen = 0;
	unsigned char *p;
	int n, m, rc = -1;

	if ((eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, as, sizeof(as), &alen) <= 0 ||
	    alen != 65 || (peer = pushcrypto_peer_key(ua)) == NULL || (dctx = EVP_PKEY_CTX_new(eph, NULL)) == NULL ||
	    EVP_PKEY_derive_init(dctx) <= 0 || EVP_PKEY_derive_set_peer(dctx, peer) <= 0 ||
	    EVP_PKEY_derive(dctx, secret, &slen) <= 0 || slen != 32 || RAND_bytes(salt, 16) != 1)
		goto out;
	memcpy(info, info_key, sizeof(info_key)); /* with its NUL */
	memcpy(info + sizeof(info_key), ua, 65);
	memcpy(info + sizeof(info_key) + 65, as, 65);
	pushcrypto_hkdf(auth, 16, secret, 32, info, sizeof(info_key) + 130, ikm, 32);
	pushcrypto_hkdf(salt, 16, ikm, 32, (const unsigned char *)info_cek, sizeof(info_cek), cek, 16);
	pushcrypto_hkdf(salt, 16, ikm, 32, (const unsigned char *)info_nonce, sizeof(info_nonce), nonce, 12);
	memcpy(out, salt, 16);
	out[16] = 0, out[17] = 0, out[18] = PUSHCRYPTO_RS >> 8, out[19] = PUSHCRYPTO_RS & 255;
	out[20] = 65;
	memcpy(out + 21, as, 65);
	p = out + 86;
	if ((c = EVP_CIPHER_CTX_new()) == NULL || EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, cek, nonce) != 1 ||
	    EVP_EncryptUpdate(c, p, &n, (const unsigned char *)pt, (int)ptlen) != 1 ||
	    EVP_EncryptUpdate(c, p + n, &m, (const unsigned char *)"\2", 1) != 1)
		goto out;
	n += m;
	if (EVP_EncryptFinal_ex(c, p + n, &m) != 1)
		goto out;
	n += m;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, p + n) != 1)
		goto out;
	rc = 86 + n + 16;
out:
	EVP_CIPHER_CTX_free(c);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(eph);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(cek, sizeof(cek));
	return rc;
}

int
pushcrypto_jwt(EVP_PKEY *key, const char *aud, const char *subject, char *out, size_t outlen)
{
	static const char head[] = "{\"typ\":\"JWT\",\"alg\":\"ES256\"}";
	char h64[64], c64[512], *claims, data[640];
	unsigned char der[128], raw[64];
	const unsigned char *dp = der;
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *sig = NULL;
	const BIGNUM *r, *s;
	size_t dlen = sizeof(der);
	char s64[100];
	json_t *o;
	int rc = -1;

	o = json_pack("{s:s, s:I, s:s}", "aud", aud, "exp", (json_int_t)(time(NULL) + 12 * 3600), "sub", subject);
	claims = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (claims == NULL || strlen(claims) > 350) {
		free(claims);
		return -1;
	}
	pushcrypto_b64url((const unsigned char *)head, strlen(head), h64, sizeof(h64));
	pushcrypto_b64url((const unsigned char *)claims, strlen(claims), c64, sizeof(c64));
	free(claims);
	snprintf(data, sizeof(data), "%s.%s", h64, c64);
	if ((md = EVP_MD_CTX_new()) == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, der, &dlen, (const unsigned char *)data, strlen(data)) != 1 ||
	    (sig = d2i_ECDSA_SIG(NULL, &dp, (long)dlen)) == NULL)
		goto out;
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32)
		goto out;
	pushcrypto_b64url(raw, 64, s64, sizeof(s64));
	rc = (size_t)snprintf(out, outlen, "%s.%s", data, s64) < outlen ? 0 : -1;
out:
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	return rc;
}

/* ---- the VAPID key ---- */

/* pushcrypto_key_make - a new P-256 key, written to path (0600, fsynced) */
static EVP_PKEY *
pushcrypto_key_make(const char *path, char *err, size_t errlen)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	FILE *f = NULL;
	int fd;

	if (k == NULL) {
		snprintf(err, errlen, "cannot make a VAPID key");
		return NULL;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		EVP_PKEY_free(k);
		return NULL;
	}
	if (PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(path);
		snprintf(err, errlen, "%s: cannot write", path);
		EVP_PKEY_free(k);
		return NULL;
	}
	fclose(f);
	log_info(NULL, "webpush: made a VAPID key pair in %s", path);
	return k;
}

EVP_PKEY *
pushcrypto_key(const char *path, char *pub, size_t publen, char *err, size_t errlen)
{
	unsigned char raw[65];
	EVP_PKEY *k = NULL;
	size_t n = 0;
	FILE *f;

	if ((f = fopen(path, "r")) != NULL) {
		k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		if (k == NULL) {
			snprintf(err, errlen, "%s: not a PEM private key", path);
			return NULL;
		}
	} else if ((k = pushcrypto_key_make(path, err, errlen)) == NULL)
		return NULL;
	if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, raw, sizeof(raw), &n) <= 0 ||
	    n != 65) {
		snprintf(err, errlen, "%s: not a P-256 key", path);
		EVP_PKEY_free(k);
		return NULL;
	}
	pushcrypto_b64url(raw, 65, pub, publen);
	return k;
}
