/* tls — TLS contexts for the API listeners and node-to-node clients.
 *
 * SPEC §13: TLS 1.2 and 1.3 only, ECDHE suites with AEAD ciphers, RSA keys
 * of at least 2048 bits or ECDSA; key files must have mode 0600 (no group
 * or other bits).  When no certificate is configured a self-signed one is
 * made on first run and kept in the data dir.  Main thread at start-up.
 */
#ifndef SMSC_TLS_H
#define SMSC_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/* Makes <dir>/server.crt and <dir>/server.key (ECDSA P-256, 0600 key,
 * self-signed for 10 years, CN and SAN = hostname, localhost, 127.0.0.1,
 * ::1) unless both exist.  Returns 0, or -1 with err set. */
int tls_ensure_self_signed(const char *dir, const char *hostname, char *err,
                           size_t errlen);
/* A server context with cert and key loaded and checked (key matches cert,
 * key file mode 0600, key strength).  NULL with err naming the file. */
SSL_CTX *tls_server_ctx(const char *cert_path, const char *key_path,
                        char *err, size_t errlen);
/* A client context for node-to-node calls (TLS 1.2+; peers are
 * authenticated by the cluster_secret HMAC, not by the certificate). */
SSL_CTX *tls_client_ctx(char *err, size_t errlen);

#endif
