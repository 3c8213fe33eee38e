/* Unit tests for api/tls: the self-signed pair (made once, in a private
 * directory, with a 0600 key and the names and extensions the spec asks
 * for; a half pair is refused, never overwritten), and the server and
 * client contexts (key mode, key/certificate match and strength checks,
 * TLS 1.2 as the floor, AEAD-only TLS 1.2 suites), checked both through
 * the context settings and through in-memory handshakes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "api/tls.h"

struct paths {
    char root[64];
    char dir[96]; /* root/tls, made by tls_ensure_self_signed */
    char crt[128], key[128];
};

static int setup(void **state)
{
    struct paths *p = calloc(1, sizeof(*p));

    assert_non_null(p);
    snprintf(p->root, sizeof(p->root), "/tmp/smsc-tls-XXXXXX");
    assert_non_null(mkdtemp(p->root));
    snprintf(p->dir, sizeof(p->dir), "%s/tls", p->root);
    snprintf(p->crt, sizeof(p->crt), "%s/server.crt", p->dir);
    snprintf(p->key, sizeof(p->key), "%s/server.key", p->dir);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    struct paths *p = *state;
    const char *names[] = {"server.crt", "server.key", "rsa.crt",
                           "rsa.key",    "other.crt",  "other.key"};
    char path[192];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", p->dir, names[i]);
        unlink(path);
    }
    rmdir(p->dir);
    rmdir(p->root);
    free(p);
    return 0;
}

static void make_pair(struct paths *p, const char *host)
{
    char err[256] = "";
    int rc = tls_ensure_self_signed(p->dir, host, err, sizeof(err));

    if (rc != 0)
        fail_msg("tls_ensure_self_signed: %s", err);
}

static X509 *read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    X509 *x;

    assert_non_null(f);
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    return x;
}

static EVP_PKEY *read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k;

    assert_non_null(f);
    k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(k);
    return k;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 16384);

    assert_non_null(f);
    assert_non_null(buf);
    assert_true(fread(buf, 1, 16383, f) > 0);
    fclose(f);
    return buf;
}

static unsigned file_mode(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* The subjectAltName entries as "DNS:x" / "IP:a.b.c.d" / "IP:v6", joined. */
static void san_string(X509 *x, char *out, size_t n)
{
    GENERAL_NAMES *names =
        X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    size_t used = 0;

    out[0] = '\0';
    assert_non_null(names);
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        char ip[64] = "";

        if (g->type == GEN_DNS) {
            used += (size_t)snprintf(
                out + used, n - used, "DNS:%s,",
                (const char *)ASN1_STRING_get0_data(g->d.dNSName));
        } else if (g->type == GEN_IPADD) {
            int len = ASN1_STRING_length(g->d.iPAddress);

            inet_ntop(len == 4 ? AF_INET : AF_INET6,
                      ASN1_STRING_get0_data(g->d.iPAddress), ip, sizeof(ip));
            used += (size_t)snprintf(out + used, n - used, "IP:%s,", ip);
        }
    }
    GENERAL_NAMES_free(names);
}

static void check_validity(X509 *x)
{
    int days = 0, secs = 0;

    assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notBefore(x)),
                     1);
    assert_true(days == 0 && secs <= -3500 && secs >= -3700);
    assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)),
                     1);
    assert_true(days >= 3649 && days <= 3653);
}

static void check_cert(const char *crt, const char *key, const char *cn,
                       const char *san)
{
    X509 *x = read_cert(crt);
    EVP_PKEY *k = read_key(key);
    char buf[512];
    BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);

    assert_int_equal(X509_get_version(x), X509_VERSION_3);
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf,
                              sizeof(buf));
    assert_string_equal(buf, cn);
    assert_int_equal(
        X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
    san_string(x, buf, sizeof(buf));
    assert_string_equal(buf, san);
    assert_int_equal(X509_check_ca(x), 0);
    assert_true(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE);
    assert_true(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
    assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
    assert_int_equal(EVP_PKEY_get_base_id(k), EVP_PKEY_EC);
    assert_int_equal(EVP_PKEY_get_bits(k), 256);
    assert_int_equal(X509_check_private_key(x, k), 1);
    assert_int_equal(X509_verify(x, k), 1);
    assert_int_equal(BN_num_bits(serial), 128);
    check_validity(x);
    BN_free(serial);
    EVP_PKEY_free(k);
    X509_free(x);
}

/* ----------------------------------------------------- self-signed */

static void test_self_signed(void **state)
{
    struct paths *p = *state;

    make_pair(p, "node1.example");
    assert_int_equal(file_mode(p->dir), 0700);
    assert_int_equal(file_mode(p->key), 0600);
    check_cert(p->crt, p->key, "node1.example",
               "DNS:node1.example,DNS:localhost,IP:127.0.0.1,IP:::1,");
}

static void test_self_signed_defaults(void **state)
{
    struct paths *p = *state;
    char err[256];

    make_pair(p, NULL);
    check_cert(p->crt, p->key, "smsc",
               "DNS:smsc,DNS:localhost,IP:127.0.0.1,IP:::1,");
    assert_int_equal(
        tls_ensure_self_signed(p->root, "bad,name", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "bad,name"));
}

static void test_self_signed_ip_host(void **state)
{
    struct paths *p = *state;

    make_pair(p, "10.1.2.3");
    check_cert(p->crt, p->key, "10.1.2.3",
               "IP:10.1.2.3,DNS:localhost,IP:127.0.0.1,IP:::1,");
}

static void test_idempotent(void **state)
{
    struct paths *p = *state;
    char *crt1, *key1, *crt2, *key2;
    struct stat st1, st2;

    make_pair(p, "node1");
    crt1 = slurp(p->crt);
    key1 = slurp(p->key);
    assert_int_equal(stat(p->key, &st1), 0);
    make_pair(p, "another-name");
    crt2 = slurp(p->crt);
    key2 = slurp(p->key);
    assert_int_equal(stat(p->key, &st2), 0);
    assert_string_equal(crt1, crt2);
    assert_string_equal(key1, key2);
    assert_int_equal(st1.st_ino, st2.st_ino);
    free(crt1);
    free(key1);
    free(crt2);
    free(key2);
}

static void test_half_pair(void **state)
{
    struct paths *p = *state;
    char err[256], *key1, *key2;
    char moved[160];

    make_pair(p, "node1");
    key1 = slurp(p->key);
    assert_int_equal(unlink(p->crt), 0);
    assert_int_equal(tls_ensure_self_signed(p->dir, "node1", err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, p->crt));
    assert_non_null(strstr(err, "missing"));
    key2 = slurp(p->key);
    assert_string_equal(key1, key2);
    assert_int_equal(access(p->crt, F_OK), -1);

    snprintf(moved, sizeof(moved), "%s/other.key", p->dir);
    assert_int_equal(rename(p->key, moved), 0);
    make_pair(p, "node1"); /* neither exists: a new pair */
    assert_int_equal(unlink(p->key), 0);
    assert_int_equal(tls_ensure_self_signed(p->dir, "node1", err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, p->key));
    free(key1);
    free(key2);
}

/* ------------------------------------------------------- contexts */

static SSL_CTX *server_ctx(const struct paths *p, const char *crt,
                           const char *key, char *err, size_t errlen)
{
    (void)p;
    err[0] = '\0';
    return tls_server_ctx(crt, key, err, errlen);
}

static void test_server_ctx_ok(void **state)
{
    struct paths *p = *state;
    char err[256];
    SSL_CTX *s, *c;

    make_pair(p, "node1");
    s = server_ctx(p, p->crt, p->key, err, sizeof(err));
    if (s == NULL)
        fail_msg("tls_server_ctx: %s", err);
    assert_int_equal(SSL_CTX_get_min_proto_version(s), TLS1_2_VERSION);
    assert_true(SSL_CTX_get_options(s) & SSL_OP_NO_COMPRESSION);
    assert_true(SSL_CTX_get_options(s) & SSL_OP_NO_RENEGOTIATION);
    assert_true(SSL_CTX_get_options(s) & SSL_OP_CIPHER_SERVER_PREFERENCE);
    c = tls_client_ctx(err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(SSL_CTX_get_min_proto_version(c), TLS1_2_VERSION);
    assert_int_equal(SSL_CTX_get_verify_mode(c), SSL_VERIFY_NONE);
    SSL_CTX_free(s);
    SSL_CTX_free(c);
}

static void test_key_mode(void **state)
{
    struct paths *p = *state;
    char err[256];
    SSL_CTX *s;

    make_pair(p, "node1");
    assert_int_equal(chmod(p->key, 0644), 0);
    assert_null(server_ctx(p, p->crt, p->key, err, sizeof(err)));
    assert_non_null(strstr(err, p->key));
    assert_non_null(strstr(err, "0644"));
    assert_non_null(strstr(err, "chmod 600"));
    assert_int_equal(chmod(p->key, 0604), 0);
    assert_null(server_ctx(p, p->crt, p->key, err, sizeof(err)));
    assert_non_null(strstr(err, "0604"));
    assert_int_equal(chmod(p->key, 0400), 0);
    s = server_ctx(p, p->crt, p->key, err, sizeof(err));
    assert_non_null(s);
    SSL_CTX_free(s);
}

static void test_missing_files(void **state)
{
    struct paths *p = *state;
    char err[256], nope[160];

    make_pair(p, "node1");
    snprintf(nope, sizeof(nope), "%s/nope.key", p->dir);
    assert_null(server_ctx(p, p->crt, nope, err, sizeof(err)));
    assert_non_null(strstr(err, nope));
    snprintf(nope, sizeof(nope), "%s/nope.crt", p->dir);
    assert_null(server_ctx(p, nope, p->key, err, sizeof(err)));
    assert_non_null(strstr(err, nope));
    /* a key that is not a key */
    assert_null(server_ctx(p, p->crt, p->crt, err, sizeof(err)));
}

static void test_mismatch(void **state)
{
    struct paths *p = *state;
    char err[256], crt2[160], key2[160];

    make_pair(p, "node1");
    snprintf(crt2, sizeof(crt2), "%s/other.crt", p->dir);
    snprintf(key2, sizeof(key2), "%s/other.key", p->dir);
    assert_int_equal(rename(p->crt, crt2), 0);
    assert_int_equal(rename(p->key, key2), 0);
    make_pair(p, "node1"); /* a second, unrelated pair */
    assert_null(server_ctx(p, crt2, p->key, err, sizeof(err)));
    assert_non_null(strstr(err, p->key));
    assert_non_null(strstr(err, "does not match"));
}

/* Writes k and a self-signed certificate for it as rsa.key (0600, under
 * passphrase pass when not NULL) and rsa.crt; takes k. */
static void write_pair(const struct paths *p, EVP_PKEY *k, const char *pass,
                       char *crt, char *key, size_t n)
{
    X509 *x = X509_new();
    const EVP_MD *md =
        EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
    FILE *f;

    assert_non_null(k);
    assert_non_null(x);
    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"test", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, k);
    assert_true(X509_sign(x, k, md) > 0);
    snprintf(crt, n, "%s/rsa.crt", p->dir);
    snprintf(key, n, "%s/rsa.key", p->dir);
    unlink(key);
    f = fopen(crt, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_X509(f, x), 1);
    fclose(f);
    f = fopen(key, "w");
    assert_non_null(f);
    assert_int_equal(chmod(key, 0600), 0);
    assert_int_equal(PEM_write_PrivateKey(f, k, pass ? EVP_aes_128_cbc() : NULL,
                                          NULL, 0, NULL, (void *)pass),
                     1);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(k);
}

static void test_key_strength(void **state)
{
    struct paths *p = *state;
    char err[256], crt[160], key[160];
    SSL_CTX *s;

    make_pair(p, "node1"); /* for the directory */
    write_pair(p, EVP_RSA_gen(1024), NULL, crt, key, sizeof(crt));
    assert_null(server_ctx(p, crt, key, err, sizeof(err)));
    assert_non_null(strstr(err, key));
    assert_non_null(strstr(err, "1024"));
    write_pair(p, EVP_RSA_gen(2048), NULL, crt, key, sizeof(crt));
    s = server_ctx(p, crt, key, err, sizeof(err));
    if (s == NULL)
        fail_msg("RSA-2048 refused: %s", err);
    SSL_CTX_free(s);
    write_pair(p, EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), NULL, crt, key,
               sizeof(crt));
    s = server_ctx(p, crt, key, err, sizeof(err));
    if (s == NULL)
        fail_msg("Ed25519 refused: %s", err);
    SSL_CTX_free(s);
    /* an encrypted key is refused, without prompting for a passphrase */
    write_pair(p, EVP_EC_gen("P-256"), "secret", crt, key, sizeof(crt));
    assert_null(server_ctx(p, crt, key, err, sizeof(err)));
    assert_non_null(strstr(err, key));
}

/* ----------------------------------------------------- handshakes */

/* Runs a handshake over a memory BIO pair; 1 on success. */
static int handshake(SSL_CTX *sctx, SSL_CTX *cctx, char *version, char *cipher,
                     size_t n)
{
    SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
    BIO *bs, *bc;
    int ok = 0;

    assert_non_null(s);
    assert_non_null(c);
    assert_int_equal(BIO_new_bio_pair(&bs, 0, &bc, 0), 1);
    SSL_set_bio(s, bs, bs);
    SSL_set_bio(c, bc, bc);
    SSL_set_accept_state(s);
    SSL_set_connect_state(c);
    for (int i = 0; i < 50 && !ok; i++) {
        int rc = SSL_do_handshake(c), rs = SSL_do_handshake(s);

        if (rc == 1 && rs == 1)
            ok = 1;
        else if ((rc != 1 && SSL_get_error(c, rc) != SSL_ERROR_WANT_READ) ||
                 (rs != 1 && SSL_get_error(s, rs) != SSL_ERROR_WANT_READ))
            break;
    }
    if (ok) {
        snprintf(version, n, "%s", SSL_get_version(c));
        snprintf(cipher, n, "%s", SSL_get_cipher_name(c));
    }
    ERR_clear_error();
    SSL_free(s);
    SSL_free(c);
    return ok;
}

static SSL_CTX *raw_client(int version, const char *ciphers)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());

    assert_non_null(c);
    SSL_CTX_set_security_level(c, 0);
    assert_int_equal(SSL_CTX_set_min_proto_version(c, version), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(c, version), 1);
    assert_int_equal(SSL_CTX_set_cipher_list(c, ciphers), 1);
    return c;
}

static void test_handshakes(void **state)
{
    struct paths *p = *state;
    char err[256], ver[64], cipher[64];
    SSL_CTX *s, *c, *old;

    make_pair(p, "node1");
    s = server_ctx(p, p->crt, p->key, err, sizeof(err));
    c = tls_client_ctx(err, sizeof(err));
    assert_non_null(s);
    assert_non_null(c);
    assert_int_equal(handshake(s, c, ver, cipher, sizeof(ver)), 1);
    assert_string_equal(ver, "TLSv1.3");

    SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION);
    assert_int_equal(handshake(s, c, ver, cipher, sizeof(ver)), 1);
    assert_string_equal(ver, "TLSv1.2");
    assert_non_null(strstr(cipher, "ECDHE"));
    assert_true(strstr(cipher, "GCM") != NULL ||
                strstr(cipher, "CHACHA20") != NULL);

    old = raw_client(TLS1_1_VERSION, "ALL:@SECLEVEL=0");
    assert_int_equal(handshake(s, old, ver, cipher, sizeof(ver)), 0);
    SSL_CTX_free(old);
    old = raw_client(TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA:AES128-SHA");
    assert_int_equal(handshake(s, old, ver, cipher, sizeof(ver)), 0);
    SSL_CTX_free(old);
    SSL_CTX_free(s);
    SSL_CTX_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_self_signed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_self_signed_defaults, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_self_signed_ip_host, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_ctx_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_strength, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshakes, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
