/* forward — the node-to-node HTTP client a follower forwards writes with.
 *
 * A fwd_pool belongs to one HTTP thread's event_base and keeps, per base
 * URL, up to FWD_MAX_CONNS keep-alive evhttp connections (plain, or TLS
 * through bufferevent_openssl).  An evhttp_connection carries one request
 * at a time, so fwd_send takes an idle connection, else opens a new one up
 * to the cap, else queues on the least loaded one (evhttp queues it).
 * Signing is in fwd_auth.c.
 *
 * libevent 2.1 shapes the rest:
 *  - retries are 0: a request is never re-sent behind the caller's back
 *    (a write must not be duplicated; callers retry with the same rid);
 *  - a connect that fails at once runs request callbacks synchronously
 *    inside evhttp_make_request, so errors are never reported from the
 *    libevent callback but from the pool's own "reaper" event;
 *  - a connection that got closed (error, timeout, server close) is never
 *    used again: libevent would silently reconnect it, and an SSL
 *    bufferevent cannot be reconnected (it keeps the old session).  It is
 *    retired and freed by the reaper, never inside one of its own
 *    callbacks; requests still queued on it then fail with error -1.
 */
#include "cluster/forward.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>

#include "common/xalloc.h"

#define FWD_MAX_CONNS 64

TAILQ_HEAD(req_q, fwd_req);
LIST_HEAD(conn_l, fwd_conn);

struct fwd_req {
    struct fwd_pool *pool;
    struct fwd_conn *conn;     /* set while libevent holds the request */
    TAILQ_ENTRY(fwd_req) link; /* on conn->reqs, then on an error queue */
    fwd_cb cb;
    void *arg;
};

struct fwd_host {
    struct fwd_host *next;
    char *url;      /* base_url as given: the lookup key */
    char *addr;     /* what to connect to (no IPv6 brackets) */
    char *host_hdr; /* Host header */
    ev_uint16_t port;
    bool tls;
    struct conn_l conns; /* usable connections */
    int nconns;
};

struct fwd_conn {
    struct fwd_pool *pool;
    struct fwd_host *host;
    struct evhttp_connection *evcon;
    LIST_ENTRY(fwd_conn) link; /* on host->conns, or on pool->dead */
    struct req_q reqs;         /* outstanding on this connection */
    int outstanding;
    bool dead;
};

struct fwd_pool {
    struct event_base *base;
    SSL_CTX *tls;
    int timeout_s;
    struct fwd_host *hosts;
    struct conn_l dead;  /* retired, for the reaper to free */
    struct req_q failed; /* errors for the reaper to report */
    struct event *reaper;
    bool closing;
};

static void conn_attach(struct fwd_conn *c, struct fwd_req *r)
{
    r->conn = c;
    TAILQ_INSERT_TAIL(&c->reqs, r, link);
    c->outstanding++;
}

static void conn_detach(struct fwd_req *r)
{
    if (r->conn == NULL)
        return;
    TAILQ_REMOVE(&r->conn->reqs, r, link);
    r->conn->outstanding--;
    r->conn = NULL;
}

/* ------------------------------------------- retiring and reporting */

static void schedule_reaper(struct fwd_pool *p)
{
    if (!p->closing)
        event_active(p->reaper, EV_TIMEOUT, 0);
}

static void fail_later(struct fwd_pool *p, struct fwd_req *r)
{
    TAILQ_INSERT_TAIL(&p->failed, r, link);
    schedule_reaper(p);
}

/* Takes c out of service; the reaper frees it. */
static void conn_kill(struct fwd_conn *c)
{
    if (c == NULL || c->dead || c->pool->closing)
        return;
    c->dead = true;
    LIST_REMOVE(c, link);
    c->host->nconns--;
    LIST_INSERT_HEAD(&c->pool->dead, c, link);
    schedule_reaper(c->pool);
}

/* Unlinks and frees c; requests still on it move to out. */
static void conn_release(struct fwd_conn *c, struct req_q *out)
{
    struct fwd_req *r;

    c->dead = true;
    LIST_REMOVE(c, link);
    evhttp_connection_free(c->evcon);
    while ((r = TAILQ_FIRST(&c->reqs)) != NULL) {
        conn_detach(r);
        TAILQ_INSERT_TAIL(out, r, link);
    }
    free(c);
}

static void deliver_errors(struct req_q *q)
{
    struct fwd_req *r;

    while ((r = TAILQ_FIRST(q)) != NULL) {
        struct fwd_response resp = {.error = -1};

        TAILQ_REMOVE(q, r, link);
        r->cb(&resp, r->arg);
        free(r);
    }
}

/* Frees retired connections and reports errors: the only place, besides
 * fwd_pool_free, where either happens.  What the callbacks queue meanwhile
 * waits for the next run. */
static void reaper_cb(evutil_socket_t fd, short what, void *arg)
{
    struct fwd_pool *p = arg;
    struct req_q todo = TAILQ_HEAD_INITIALIZER(todo);

    (void)fd;
    (void)what;
    TAILQ_CONCAT(&todo, &p->failed, link);
    while (!LIST_EMPTY(&p->dead))
        conn_release(LIST_FIRST(&p->dead), &todo);
    deliver_errors(&todo);
}

/* --------------------------------------------------- libevent hooks */

static void deliver_response(struct fwd_req *r, struct evhttp_request *req)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    struct fwd_response resp = {0};

    resp.status = evhttp_request_get_response_code(req);
    resp.content_type = evhttp_find_header(h, "Content-Type");
    resp.index = evhttp_find_header(h, FWD_HDR_INDEX);
    resp.not_leader = evhttp_find_header(h, FWD_HDR_NOT_LEADER) != NULL;
    resp.len = evbuffer_get_length(in);
    resp.body = "";
    if (resp.len > 0)
        resp.body = (const char *)evbuffer_pullup(in, -1);
    r->cb(&resp, r->arg);
    free(r);
}

/* libevent's request callback: req is NULL, or has no status, when no
 * answer came.  It may run inside evhttp_make_request. */
static void on_done(struct evhttp_request *req, void *arg)
{
    struct fwd_req *r = arg;
    struct fwd_conn *c = r->conn;

    conn_detach(r);
    if (req == NULL || evhttp_request_get_response_code(req) == 0) {
        conn_kill(c);
        fail_later(r->pool, r);
        return;
    }
    deliver_response(r, req);
}

/* The connection's socket is being closed (inside libevent's reset). */
static void on_close(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    conn_kill(arg);
}

/* ------------------------------------------------------------ hosts */

static bool is_ip_literal(const char *s)
{
    unsigned char buf[sizeof(struct in6_addr)];

    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool url_ok(const struct evhttp_uri *u, bool *tls)
{
    const char *scheme = evhttp_uri_get_scheme(u);
    const char *host = evhttp_uri_get_host(u);
    const char *path = evhttp_uri_get_path(u);

    if (scheme == NULL || host == NULL || *host == '\0' ||
        evhttp_uri_get_userinfo(u) != NULL || evhttp_uri_get_query(u) != NULL ||
        evhttp_uri_get_fragment(u) != NULL || evhttp_uri_get_port(u) == 0 ||
        (path != NULL && *path != '\0' && strcmp(path, "/") != 0))
        return false;
    *tls = strcasecmp(scheme, "https") == 0;
    return *tls || strcasecmp(scheme, "http") == 0;
}

static struct fwd_host *host_parse(const struct fwd_pool *p, const char *url)
{
    struct evhttp_uri *u = evhttp_uri_parse(url);
    struct fwd_host *h = NULL;
    const char *host;
    size_t hlen;
    bool tls = false;
    int port;

    if (u == NULL || !url_ok(u, &tls) || (tls && p->tls == NULL))
        goto out;
    host = evhttp_uri_get_host(u);
    hlen = strlen(host);
    port = evhttp_uri_get_port(u);
    h = xcalloc(1, sizeof(*h));
    h->url = xstrdup(url);
    LIST_INIT(&h->conns);
    h->tls = tls;
    h->port = (ev_uint16_t)(port > 0 ? port : tls ? 443 : 80);
    if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']')
        h->addr = xstrndup(host + 1, hlen - 2);
    else
        h->addr = xstrdup(host);
    if (port > 0) {
        size_t n = hlen + 8;

        h->host_hdr = xmalloc(n);
        snprintf(h->host_hdr, n, "%s:%d", host, port);
    } else {
        h->host_hdr = xstrdup(host);
    }
out:
    if (u != NULL)
        evhttp_uri_free(u);
    return h;
}

static struct fwd_host *host_get(struct fwd_pool *p, const char *url)
{
    struct fwd_host *h;

    if (url == NULL)
        return NULL;
    for (h = p->hosts; h != NULL; h = h->next)
        if (strcmp(h->url, url) == 0)
            return h;
    h = host_parse(p, url);
    if (h != NULL) {
        h->next = p->hosts;
        p->hosts = h;
    }
    return h;
}

/* ------------------------------------------------------ connections */

static struct evhttp_connection *evcon_new_tls(struct fwd_pool *p,
                                               const struct fwd_host *h)
{
    struct bufferevent *bev;
    SSL *ssl = SSL_new(p->tls);

    if (ssl == NULL)
        return NULL;
    if (!is_ip_literal(h->addr))
        SSL_set_tlsext_host_name(ssl, h->addr);
    bev = bufferevent_openssl_socket_new(
        p->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (bev == NULL) {
        SSL_free(ssl);
        return NULL;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return evhttp_connection_base_bufferevent_new(p->base, NULL, bev, h->addr,
                                                  h->port);
}

static struct fwd_conn *conn_new(struct fwd_pool *p, struct fwd_host *h)
{
    struct evhttp_connection *evcon;
    struct fwd_conn *c;

    if (h->tls)
        evcon = evcon_new_tls(p, h);
    else
        evcon = evhttp_connection_base_new(p->base, NULL, h->addr, h->port);
    if (evcon == NULL)
        return NULL;
    c = xcalloc(1, sizeof(*c));
    c->pool = p;
    c->host = h;
    c->evcon = evcon;
    TAILQ_INIT(&c->reqs);
    if (p->timeout_s > 0)
        evhttp_connection_set_timeout(evcon, p->timeout_s);
    evhttp_connection_set_retries(evcon, 0);
    evhttp_connection_set_closecb(evcon, on_close, c);
    LIST_INSERT_HEAD(&h->conns, c, link);
    h->nconns++;
    return c;
}

/* An idle connection, else a new one below the cap, else the least
 * loaded.  NULL only when a new connection cannot be made. */
static struct fwd_conn *conn_pick(struct fwd_pool *p, struct fwd_host *h)
{
    struct fwd_conn *best = NULL;

    for (struct fwd_conn *c = LIST_FIRST(&h->conns); c != NULL;
         c = LIST_NEXT(c, link)) {
        if (c->outstanding == 0)
            return c;
        if (best == NULL || c->outstanding < best->outstanding)
            best = c;
    }
    if (h->nconns < FWD_MAX_CONNS || best == NULL)
        return conn_new(p, h);
    return best;
}

/* ------------------------------------------------------------- API */

struct fwd_pool *fwd_pool_new(struct event_base *base, SSL_CTX *client_tls,
                              int timeout_s)
{
    struct fwd_pool *p = xcalloc(1, sizeof(*p));

    p->base = base;
    p->tls = client_tls;
    p->timeout_s = timeout_s;
    LIST_INIT(&p->dead);
    TAILQ_INIT(&p->failed);
    p->reaper = event_new(base, -1, 0, reaper_cb, p);
    if (p->reaper == NULL) {
        free(p);
        return NULL;
    }
    return p;
}

static void host_free(struct fwd_host *h, struct req_q *out)
{
    while (!LIST_EMPTY(&h->conns))
        conn_release(LIST_FIRST(&h->conns), out);
    free(h->url);
    free(h->addr);
    free(h->host_hdr);
    free(h);
}

void fwd_pool_free(struct fwd_pool *p)
{
    struct req_q todo = TAILQ_HEAD_INITIALIZER(todo);
    struct fwd_host *h;

    if (p == NULL)
        return;
    p->closing = true;
    event_free(p->reaper);
    TAILQ_CONCAT(&todo, &p->failed, link);
    while ((h = p->hosts) != NULL) {
        p->hosts = h->next;
        host_free(h, &todo);
    }
    while (!LIST_EMPTY(&p->dead))
        conn_release(LIST_FIRST(&p->dead), &todo);
    TAILQ_CONCAT(&todo, &p->failed, link);
    deliver_errors(&todo);
    free(p);
}

static bool uri_ok(const char *uri)
{
    if (uri == NULL || *uri == '\0')
        return false;
    for (const unsigned char *s = (const unsigned char *)uri; *s; s++)
        if (*s <= 0x20 || *s == 0x7f)
            return false;
    return true;
}

static int add_headers(struct evkeyvalq *hd, const struct fwd_host *h,
                       const struct fwd_meta *m, const char *sig)
{
    int bad = 0;

    bad |= evhttp_add_header(hd, "Host", h->host_hdr);
    bad |= evhttp_add_header(hd, "Connection", "keep-alive");
    bad |= evhttp_add_header(hd, FWD_HDR_BY, m->forwarder ? m->forwarder : "");
    bad |= evhttp_add_header(hd, FWD_HDR_CLIENT, m->client ? m->client : "");
    bad |= evhttp_add_header(hd, FWD_HDR_RID, m->rid ? m->rid : "");
    bad |= evhttp_add_header(hd, FWD_HDR_KIND, m->kind ? m->kind : "");
    bad |= evhttp_add_header(hd, FWD_HDR_SIG, sig);
    return bad;
}

static struct evhttp_request *request_build(const struct fwd_host *h,
                                            const struct fwd_meta *m,
                                            const char *secret,
                                            const void *body, size_t len,
                                            struct fwd_req *r)
{
    struct evhttp_request *req = evhttp_request_new(on_done, r);
    struct evkeyvalq *hd;
    char sig[65], clen[24];
    int bad;

    if (req == NULL)
        return NULL;
    hd = evhttp_request_get_output_headers(req);
    fwd_sign(secret, m, body, len, sig);
    bad = sig[0] == '\0' || add_headers(hd, h, m, sig) != 0;
    if (!bad && body != NULL) {
        snprintf(clen, sizeof(clen), "%zu", len);
        bad = evhttp_add_header(hd, "Content-Type", "application/json") ||
              evhttp_add_header(hd, "Content-Length", clen) ||
              evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
    }
    if (bad) {
        evhttp_request_free(req);
        return NULL;
    }
    return req;
}

int fwd_send(struct fwd_pool *p, const char *base_url,
             enum evhttp_cmd_type method, const struct fwd_meta *meta,
             const char *secret, const void *body, size_t len, fwd_cb cb,
             void *arg)
{
    struct evhttp_request *req;
    struct fwd_host *h;
    struct fwd_conn *c;
    struct fwd_req *r;

    if (p->closing || meta == NULL || cb == NULL || !uri_ok(meta->uri) ||
        (body == NULL && len > 0) || (h = host_get(p, base_url)) == NULL)
        return -1;
    r = xcalloc(1, sizeof(*r));
    r->pool = p;
    r->cb = cb;
    r->arg = arg;
    req = request_build(h, meta, secret, body, len, r);
    if (req == NULL) {
        free(r);
        return -1;
    }
    c = conn_pick(p, h);
    if (c == NULL) {
        evhttp_request_free(req);
        fail_later(p, r);
        return 0;
    }
    conn_attach(c, r);
    /* On failure libevent 2.1 has either freed req already or left it
     * orphaned; both need an allocation failure inside libevent, so req is
     * left alone rather than risk a double free. */
    if (evhttp_make_request(c->evcon, req, method, meta->uri) != 0 &&
        r->conn == c) {
        conn_detach(r);
        conn_kill(c);
        fail_later(p, r);
    }
    return 0;
}
