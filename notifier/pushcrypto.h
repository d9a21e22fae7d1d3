/* pushcrypto - the cryptography of Web Push, with OpenSSL: base64url,
 * the aes128gcm payload encryption of RFC 8291, the VAPID JWT of RFC 8292
 * and the VAPID key pair on disk. Pure functions of their arguments (the
 * key file aside): any thread. */
#ifndef GW_PUSHCRYPTO_H
#define GW_PUSHCRYPTO_H

#include <stddef.h>
#include <openssl/evp.h>

/* pushcrypto_b64url - base64url of in (no padding) into out, truncated to
 * outlen (4/3 n + 1 is enough). */
void pushcrypto_b64url(const unsigned char *in, size_t n, char *out, size_t outlen);

/* pushcrypto_unb64url - decode base64url or base64 (padding optional).
 * Returns the length, or -1 (bad character, or more than outlen bytes). */
int pushcrypto_unb64url(const char *in, unsigned char *out, size_t outlen);

/* pushcrypto_encrypt - the RFC 8291 body of pt for the browser key ua (an
 * uncompressed P-256 point) and secret auth, into out (room for ptlen +
 * 103). Returns the length or -1. */
int pushcrypto_encrypt(const unsigned char ua[65], const unsigned char auth[16], const char *pt, size_t ptlen,
    unsigned char *out);

/* pushcrypto_jwt - the VAPID JWT signed by key for the push service at aud
 * (scheme://host[:port]), subject sub, valid 12 hours. 0 or -1. */
int pushcrypto_jwt(EVP_PKEY *key, const char *aud, const char *subject, char *out, size_t outlen);

/* pushcrypto_key - load the VAPID key from path, or make one there (0600)
 * when there is none; its public key (base64url) into pub. Returns the key
 * (EVP_PKEY_free it), or NULL with err set. */
EVP_PKEY *pushcrypto_key(const char *path, char *pub, size_t publen, char *err, size_t errlen);

#endif
