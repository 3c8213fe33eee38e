/* forward — node-to-node HTTP: a follower's requests to the leader.
 *
 * A follower hands a write (or a read-index request) to the leader over a
 * per-thread pool of keep-alive connections (plain HTTP or TLS).  Each
 * forwarded request carries the client's address, the forwarder's name,
 * the request id and an HMAC-SHA256 keyed by cluster_secret over all of
 * them and the body, so the leader can trust them; a request that already
 * carries X-Smsc-Forwarded-By is never forwarded again (no second hop).
 *
 * Threads: a pool belongs to one libevent event_base (one HTTP thread) and
 * is used only from that thread; callbacks run on it too.  fwd_sign and
 * fwd_verify are pure and thread-safe.
 *
 * Delivery: a request is sent at most once -- libevent's retries are off,
 * so error -1 means "outcome unknown" and the caller retries with the same
 * request id.  A connection that failed or was closed is never reused (a
 * TLS one could not be); requests queued behind a failed request on the
 * same connection fail with it, unsent.  The process must ignore SIGPIPE
 * (a peer may close first).
 */
#ifndef SMSC_FORWARD_H
#define SMSC_FORWARD_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#define FWD_HDR_BY "X-Smsc-Forwarded-By"
#define FWD_HDR_CLIENT "X-Smsc-Client-Addr"
#define FWD_HDR_RID "X-Smsc-Request-Id"
#define FWD_HDR_KIND "X-Smsc-Key-Kind"      /* "client" | "node" */
#define FWD_HDR_SIG "X-Smsc-Signature"      /* hex HMAC-SHA256 */
#define FWD_HDR_INDEX "X-Smsc-Index"        /* leader: raft index applied */
#define FWD_HDR_NOT_LEADER "X-Smsc-Not-Leader"

struct fwd_pool;

/* What is signed, besides the body. */
struct fwd_meta {
    const char *method;     /* "POST" */
    const char *uri;        /* path and query, as sent */
    const char *forwarder;  /* this node's name */
    const char *client;     /* the client's IP address */
    const char *rid;        /* request id */
    const char *kind;       /* "client" or "node" */
};

/* Valid only during the callback: every pointer points into the response
 * libevent frees when the callback returns. */
struct fwd_response {
    int error;              /* 0, or -1 when no answer came (connection
                             * refused/reset, timeout): outcome unknown */
    int status;             /* HTTP status */
    const char *content_type;   /* may be NULL */
    const char *index;          /* X-Smsc-Index or NULL */
    bool not_leader;            /* X-Smsc-Not-Leader present */
    const char *body;           /* not NUL-terminated */
    size_t len;
};

typedef void (*fwd_cb)(const struct fwd_response *resp, void *arg);

/* A pool on base; client_tls is used for https:// URLs (may be NULL when
 * only http:// is used).  timeout_s bounds each request: it is libevent's
 * connect and read/write inactivity timeout, counted from when the request
 * goes on the wire (a request queued behind another on a busy connection
 * waits for that one first); <= 0 keeps libevent's defaults (45 s connect,
 * 50 s read/write).  Idle keep-alive connections are closed after
 * timeout_s too.  The caller keeps client_tls alive until fwd_pool_free.
 * NULL only when libevent cannot allocate. */
struct fwd_pool *fwd_pool_new(struct event_base *base, SSL_CTX *client_tls,
                              int timeout_s);
/* Closes every connection and runs the callback of every request still
 * outstanding, at once, with error = -1 (so "exactly once" holds; fwd_send
 * called from such a callback returns -1).  Call it at shutdown with the
 * loop stopped, before freeing what the callbacks' args point at (e.g. the
 * evhttp server whose requests they answer); never from a callback. */
void fwd_pool_free(struct fwd_pool *p);

/* Sends method uri to base_url ("http://127.0.0.1:8080"), with the body and
 * the signed metadata headers.  cb runs exactly once, later, on the pool's
 * thread (never from inside fwd_send).  Returns 0, or -1 when base_url is
 * malformed (cb is then not called).
 *
 * base_url is http:// or https:// (needs the pool's client_tls), a host or
 * [IPv6] literal, an optional port and no path beyond "/"; a host name is
 * resolved with a blocking getaddrinfo, so cluster addresses should be IP
 * literals.  -1 is also returned, without cb, when meta->uri is empty or
 * holds spaces or control characters, a metadata value holds CR/LF, body
 * is NULL with len > 0, cb is NULL, or the pool is being freed.  A
 * non-NULL body (even empty) is sent with Content-Type: application/json
 * and Content-Length; NULL means no body.  NULL meta fields sign and send
 * as "". */
int fwd_send(struct fwd_pool *p, const char *base_url,
             enum evhttp_cmd_type method, const struct fwd_meta *meta,
             const char *secret, const void *body, size_t len, fwd_cb cb,
             void *arg);

/* HMAC-SHA256(secret, "smsc-fwd-v1\n" method "\n" uri "\n" forwarder "\n"
 * client "\n" rid "\n" kind "\n" hex(SHA256(body))) as 64 hex chars + NUL.
 * A NULL or empty secret is the empty key. */
void fwd_sign(const char *secret, const struct fwd_meta *meta,
              const void *body, size_t len, char out[65]);
/* Constant-time comparison against fwd_sign's answer. */
bool fwd_verify(const char *secret, const struct fwd_meta *meta,
                const void *body, size_t len, const char *sig);

#endif
