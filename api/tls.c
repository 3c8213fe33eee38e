/* tls — OpenSSL contexts for the API listeners and node-to-node clients,
 * and the self-signed pair made on first run when no certificate is set.
 *
 * SPEC §13 is enforced here rather than trusted to configuration: TLS 1.2
 * and 1.3 only, TLS 1.2 limited to (EC)DHE with AEAD ciphers, no
 * compression or renegotiation, keys RSA >= 2048 bits, EC >= 256 bits or
 * Ed25519, and a key file no one but its owner can read.  Every error
 * names the file at fault and carries OpenSSL's reason.  Runs on the main
 * thread at start-up.
 */
#include "api/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20"
#define TLS_OPTIONS                                                            \
    (SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |                         \
     SSL_OP_CIPHER_SERVER_PREFERENCE)
#define RSA_MIN_BITS 2048
#define EC_MIN_BITS 256
#define CERT_DAYS 3650

__attribute__((format(printf, 3, 4))) static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* The most specific queued OpenSSL error, and clears the queue. */
static const char *ssl_reason(char *buf, size_t len)
{
    unsigned long e = ERR_peek_last_error();

    if (e == 0)
        snprintf(buf, len, "unknown OpenSSL error");
    else
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}

static int common_setup(SSL_CTX *ctx, char *err, size_t errlen)
{
    char why[256];

    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
        !SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS)) {
        set_err(err, errlen, "tls: cannot configure protocol or ciphers: %s",
                ssl_reason(why, sizeof(why)));
        return -1;
    }
    SSL_CTX_set_options(ctx, TLS_OPTIONS);
    return 0;
}

/* ----------------------------------------------------- server context */

static int check_key_mode(const char *key_path, char *err, size_t errlen)
{
    struct stat st;

    if (stat(key_path, &st) != 0) {
        set_err(err, errlen, "tls_key_path: %s: %s", key_path, strerror(errno));
        return -1;
    }
    if (st.st_mode & 077) {
        set_err(err, errlen,
                "tls_key_path: %s must not be readable by group or others "
                "(mode %04o); chmod 600 it",
                key_path, (unsigned)(st.st_mode & 07777));
        return -1;
    }
    return 0;
}

static int check_key_strength(EVP_PKEY *key, const char *key_path, char *err,
                              size_t errlen)
{
    int bits = EVP_PKEY_get_bits(key);

    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        if (bits >= RSA_MIN_BITS)
            return 0;
        set_err(err, errlen,
                "tls_key_path: %s: RSA key of %d bits is too weak "
                "(at least %d needed)",
                key_path, bits, RSA_MIN_BITS);
        return -1;
    case EVP_PKEY_EC:
        if (bits >= EC_MIN_BITS)
            return 0;
        set_err(err, errlen,
                "tls_key_path: %s: EC key of %d bits is too weak "
                "(at least %d needed)",
                key_path, bits, EC_MIN_BITS);
        return -1;
    case EVP_PKEY_ED25519:
        return 0;
    default:
        set_err(err, errlen,
                "tls_key_path: %s: unsupported key type %s (use RSA >= %d "
                "bits, ECDSA or Ed25519)",
                key_path, OBJ_nid2sn(EVP_PKEY_get_base_id(key)), RSA_MIN_BITS);
        return -1;
    }
}

/* Refuses to prompt: a daemon has no one to type a passphrase. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static EVP_PKEY *read_key(const char *key_path, char *err, size_t errlen)
{
    FILE *f = fopen(key_path, "r");
    EVP_PKEY *key;
    char why[256];

    if (f == NULL) {
        set_err(err, errlen, "tls_key_path: %s: %s", key_path, strerror(errno));
        return NULL;
    }
    key = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
    fclose(f);
    if (key == NULL)
        set_err(err, errlen, "tls_key_path: %s: no usable private key: %s",
                key_path, ssl_reason(why, sizeof(why)));
    return key;
}

static int load_pair(SSL_CTX *ctx, const char *cert_path, const char *key_path,
                     EVP_PKEY *key, char *err, size_t errlen)
{
    char why[256];

    if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
        set_err(err, errlen, "tls_cert_path: %s: %s", cert_path,
                ssl_reason(why, sizeof(why)));
        return -1;
    }
    if (X509_check_private_key(SSL_CTX_get0_certificate(ctx), key) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        set_err(err, errlen,
                "tls_key_path: %s does not match certificate %s: %s", key_path,
                cert_path, ssl_reason(why, sizeof(why)));
        return -1;
    }
    return 0;
}

SSL_CTX *tls_server_ctx(const char *cert_path, const char *key_path, char *err,
                        size_t errlen)
{
    SSL_CTX *ctx = NULL;
    EVP_PKEY *key;
    char why[256];

    ERR_clear_error();
    if (cert_path == NULL || key_path == NULL) {
        set_err(err, errlen, "tls: certificate and key paths are required");
        return NULL;
    }
    if (check_key_mode(key_path, err, errlen) != 0 ||
        (key = read_key(key_path, err, errlen)) == NULL)
        return NULL;
    if (check_key_strength(key, key_path, err, errlen) != 0)
        goto out;
    ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        set_err(err, errlen, "tls: SSL_CTX_new: %s",
                ssl_reason(why, sizeof(why)));
        goto out;
    }
    if (common_setup(ctx, err, errlen) != 0 ||
        load_pair(ctx, cert_path, key_path, key, err, errlen) != 0) {
        SSL_CTX_free(ctx);
        ctx = NULL;
        goto out;
    }
    /* DHE suites need parameters; ECDHE groups are OpenSSL's defaults. */
    SSL_CTX_set_dh_auto(ctx, 1);
out:
    EVP_PKEY_free(key);
    return ctx;
}

/* ----------------------------------------------------- client context */

/* Peers are not verified: a node's identity is proven by the HMAC keyed
 * with cluster_secret on every forwarded request (cluster/forward.h), and
 * the self-signed certificates nodes make have no common CA to check
 * against.  TLS here gives confidentiality, the HMAC authenticity. */
SSL_CTX *tls_client_ctx(char *err, size_t errlen)
{
    char why[256];
    SSL_CTX *ctx;

    ERR_clear_error();
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        set_err(err, errlen, "tls: SSL_CTX_new: %s",
                ssl_reason(why, sizeof(why)));
        return NULL;
    }
    if (common_setup(ctx, err, errlen) != 0) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    return ctx;
}

/* ------------------------------------------------- self-signed pair */

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (ext == NULL)
        return -1;
    ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

static int set_serial(X509 *x)
{
    BIGNUM *bn = BN_new();
    int ok = bn != NULL &&
             BN_rand(bn, 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) &&
             BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;

    BN_free(bn);
    return ok ? 0 : -1;
}

static int set_names(X509 *x, const char *name)
{
    X509_NAME *subj = X509_get_subject_name(x);
    unsigned char ip[sizeof(struct in6_addr)];
    const char *kind = "DNS:";
    char san[600];

    if (!X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
                                    (const unsigned char *)name, -1, -1, 0) ||
        !X509_set_issuer_name(x, subj))
        return -1;
    if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1)
        kind = "IP:";
    if (strcmp(name, "localhost") == 0)
        name = NULL;
    snprintf(san, sizeof(san), "%s%s%sDNS:localhost,IP:127.0.0.1,IP:::1",
             name != NULL ? kind : "", name != NULL ? name : "",
             name != NULL ? "," : "");
    return add_ext(x, NID_subject_alt_name, san);
}

static X509 *make_cert(EVP_PKEY *key, const char *name)
{
    X509 *x = X509_new();
    bool ok;

    if (x == NULL)
        return NULL;
    ok = X509_set_version(x, X509_VERSION_3) && set_serial(x) == 0 &&
         X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
         X509_time_adj_ex(X509_getm_notAfter(x), CERT_DAYS, 0, NULL) != NULL &&
         X509_set_pubkey(x, key) && set_names(x, name) == 0 &&
         add_ext(x, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
         add_ext(x, NID_key_usage, "critical,digitalSignature") == 0 &&
         add_ext(x, NID_ext_key_usage, "serverAuth") == 0 &&
         add_ext(x, NID_subject_key_identifier, "hash") == 0 &&
         X509_sign(x, key, EVP_sha256()) > 0;
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* Opens path for writing, new, with mode; a stale temp file from a crash
 * is removed first. */
static FILE *create_new(const char *path, mode_t mode)
{
    FILE *f;
    int fd;

    if (unlink(path) != 0 && errno != ENOENT)
        return NULL;
    fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
    if (fd < 0)
        return NULL;
    f = fdopen(fd, "w");
    if (f == NULL)
        close(fd);
    return f;
}

static int write_pem(const char *path, EVP_PKEY *key, X509 *cert)
{
    FILE *f = create_new(path, key != NULL ? 0600 : 0644);
    bool ok;

    if (f == NULL)
        return -1;
    if (key != NULL)
        ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
    else
        ok = PEM_write_X509(f, cert) == 1;
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        int saved = errno;

        unlink(path);
        errno = saved;
    }
    return ok ? 0 : -1;
}

/* 1 when path exists, 0 when it does not, -1 (errno set) otherwise. */
static int file_exists(const char *path)
{
    struct stat st;

    if (stat(path, &st) == 0)
        return 1;
    return errno == ENOENT ? 0 : -1;
}

static int ensure_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;

    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        set_err(err, errlen, "tls: cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "tls: %s is not a directory", dir);
        return -1;
    }
    return 0;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

static bool name_ok(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
              c == ':'))
            return false;
    }
    return true;
}

struct pair_paths {
    char crt[PATH_MAX], key[PATH_MAX];
    char crt_tmp[PATH_MAX], key_tmp[PATH_MAX];
};

static int make_paths(struct pair_paths *pp, const char *dir)
{
    int n[4];

    n[0] = snprintf(pp->crt, sizeof(pp->crt), "%s/server.crt", dir);
    n[1] = snprintf(pp->key, sizeof(pp->key), "%s/server.key", dir);
    n[2] =
        snprintf(pp->crt_tmp, sizeof(pp->crt_tmp), "%s/.server.crt.tmp", dir);
    n[3] =
        snprintf(pp->key_tmp, sizeof(pp->key_tmp), "%s/.server.key.tmp", dir);
    for (int i = 0; i < 4; i++)
        if (n[i] < 0 || n[i] >= PATH_MAX)
            return -1;
    return 0;
}

/* Makes the pair under temporary names, then renames both into place:
 * no file is ever seen half written.  A crash between the two renames
 * leaves a lone key, which the next start reports rather than replaces. */
static int generate_pair(const struct pair_paths *pp, const char *name,
                         char *err, size_t errlen)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = key != NULL ? make_cert(key, name) : NULL;
    char why[256];
    int rc = -1;

    if (cert == NULL) {
        set_err(err, errlen, "tls: cannot make a self-signed certificate: %s",
                ssl_reason(why, sizeof(why)));
    } else if (write_pem(pp->key_tmp, key, NULL) != 0) {
        set_err(err, errlen, "tls: cannot write %s: %s", pp->key_tmp,
                strerror(errno));
    } else if (write_pem(pp->crt_tmp, NULL, cert) != 0) {
        set_err(err, errlen, "tls: cannot write %s: %s", pp->crt_tmp,
                strerror(errno));
    } else if (rename(pp->key_tmp, pp->key) != 0) {
        set_err(err, errlen, "tls: cannot create %s: %s", pp->key,
                strerror(errno));
    } else if (rename(pp->crt_tmp, pp->crt) != 0) {
        set_err(err, errlen, "tls: cannot create %s: %s", pp->crt,
                strerror(errno));
    } else {
        rc = 0;
    }
    if (rc != 0) {
        unlink(pp->key_tmp);
        unlink(pp->crt_tmp);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

int tls_ensure_self_signed(const char *dir, const char *hostname, char *err,
                           size_t errlen)
{
    const char *name = hostname != NULL && *hostname ? hostname : "smsc";
    struct pair_paths pp;
    int has_crt, has_key;

    ERR_clear_error();
    if (dir == NULL || make_paths(&pp, dir) != 0) {
        set_err(err, errlen, "tls: bad certificate directory");
        return -1;
    }
    if (!name_ok(name)) {
        set_err(err, errlen, "tls: hostname '%s' cannot name a certificate",
                name);
        return -1;
    }
    if (ensure_dir(dir, err, errlen) != 0)
        return -1;
    if ((has_crt = file_exists(pp.crt)) < 0 ||
        (has_key = file_exists(pp.key)) < 0) {
        set_err(err, errlen, "tls: %s: %s", has_crt < 0 ? pp.crt : pp.key,
                strerror(errno));
        return -1;
    }
    if (has_crt && has_key)
        return 0;
    if (has_crt || has_key) {
        set_err(err, errlen,
                "tls: %s is missing but %s exists; restore it, or remove "
                "both to have a new self-signed pair made",
                has_crt ? pp.key : pp.crt, has_crt ? pp.crt : pp.key);
        return -1;
    }
    if (generate_pair(&pp, name, err, errlen) != 0)
        return -1;
    fsync_dir(dir);
    return 0;
}
