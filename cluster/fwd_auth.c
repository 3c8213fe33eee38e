/* fwd_auth — the HMAC that lets a leader trust a forwarded request.
 *
 * A follower signs what it vouches for (method, URI, its own name, the
 * client's address, the request id, the key kind and a SHA-256 of the body)
 * with HMAC-SHA256 keyed by cluster_secret; the leader recomputes it and
 * compares in constant time.  The text signed is versioned ("smsc-fwd-v1")
 * so the format can change without a new header.  Pure functions, any
 * thread; an OpenSSL failure fails closed (no signature, nothing verifies).
 */
#include "cluster/forward.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define SIG_HEX_LEN 64

static EVP_MAC *hmac_alg;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
    hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

static bool mac_field(EVP_MAC_CTX *ctx, const char *s, bool newline)
{
    if (s != NULL && !EVP_MAC_update(ctx, (const unsigned char *)s, strlen(s)))
        return false;
    return !newline || EVP_MAC_update(ctx, (const unsigned char *)"\n", 1);
}

static bool mac_fields(EVP_MAC_CTX *ctx, const struct fwd_meta *m,
                       const char *body_hex)
{
    return mac_field(ctx, "smsc-fwd-v1", true) &&
           mac_field(ctx, m->method, true) && mac_field(ctx, m->uri, true) &&
           mac_field(ctx, m->forwarder, true) &&
           mac_field(ctx, m->client, true) && mac_field(ctx, m->rid, true) &&
           mac_field(ctx, m->kind, true) && mac_field(ctx, body_hex, false);
}

static bool compute(const char *secret, const struct fwd_meta *m,
                    const void *body, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE], mac[EVP_MAX_MD_SIZE];
    char body_hex[2 * EVP_MAX_MD_SIZE + 1];
    unsigned int mdlen = 0;
    size_t maclen = 0;
    OSSL_PARAM params[2];
    EVP_MAC_CTX *ctx;
    bool ok;

    pthread_once(&hmac_once, hmac_fetch);
    if (hmac_alg == NULL || !EVP_Digest(body != NULL ? body : "", len, md,
                                        &mdlen, EVP_sha256(), NULL))
        return false;
    to_hex(md, mdlen, body_hex);
    ctx = EVP_MAC_CTX_new(hmac_alg);
    if (ctx == NULL)
        return false;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (secret == NULL)
        secret = "";
    ok = EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret),
                      params) &&
         mac_fields(ctx, m, body_hex) &&
         EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) &&
         maclen * 2 == SIG_HEX_LEN;
    EVP_MAC_CTX_free(ctx);
    if (ok)
        to_hex(mac, maclen, out);
    return ok;
}

void fwd_sign(const char *secret, const struct fwd_meta *meta, const void *body,
              size_t len, char out[65])
{
    if (!compute(secret, meta, body, len, out))
        out[0] = '\0';
}

bool fwd_verify(const char *secret, const struct fwd_meta *meta,
                const void *body, size_t len, const char *sig)
{
    char want[65], got[65];

    if (sig == NULL || strnlen(sig, SIG_HEX_LEN + 1) != SIG_HEX_LEN)
        return false;
    for (size_t i = 0; i < SIG_HEX_LEN; i++) {
        char ch = sig[i];

        if (ch >= 'A' && ch <= 'F')
            ch = (char)(ch - 'A' + 'a');
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return false;
        got[i] = ch;
    }
    got[SIG_HEX_LEN] = '\0';
    if (!compute(secret, meta, body, len, want))
        return false;
    return CRYPTO_memcmp(want, got, SIG_HEX_LEN) == 0;
}
