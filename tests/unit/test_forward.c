/* Unit tests for cluster/forward: fwd_sign/fwd_verify against vectors
 * computed independently (Python's hmac), and fwd_send round trips against
 * an evhttp server on 127.0.0.1 sharing the client's event_base: plain and
 * TLS, more concurrent requests than the pool keeps connections per URL,
 * keep-alive reuse, server-closed connections, refused connections,
 * timeouts, sends from inside callbacks, and freeing a pool with requests
 * outstanding.  Every callback must run exactly once and never inside
 * fwd_send.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api/tls.h"
#include "cluster/forward.h"

#define SECRET "s3cret"
#define MAX_SEEN 256
#define MANY 100 /* more than the pool's 64 connections per URL */

/* ------------------------------------------------------- the server */

struct seen {
    char by[32], client[32], rid[32], kind[16], ct[64], uri[64], body[64];
    bool has_sig, sig_ok, has_ct;
    unsigned short peer_port;
};

struct srv {
    struct event_base *base;
    struct evhttp *http;
    SSL_CTX *tls;
    int port;
    int nseen;
    struct seen seen[MAX_SEEN];
    int nheld;
    struct evhttp_request *held[MAX_SEEN];
};

static void copy_hdr(char *dst, size_t n, struct evkeyvalq *h, const char *k)
{
    const char *v = evhttp_find_header(h, k);

    snprintf(dst, n, "%s", v != NULL ? v : "(none)");
}

static void record(struct srv *s, struct evhttp_request *req, const char *body,
                   size_t len)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    struct seen *sn = &s->seen[s->nseen++];
    const char *sig = evhttp_find_header(in, FWD_HDR_SIG);
    struct fwd_meta m;
    char *addr;

    copy_hdr(sn->by, sizeof(sn->by), in, FWD_HDR_BY);
    copy_hdr(sn->client, sizeof(sn->client), in, FWD_HDR_CLIENT);
    copy_hdr(sn->rid, sizeof(sn->rid), in, FWD_HDR_RID);
    copy_hdr(sn->kind, sizeof(sn->kind), in, FWD_HDR_KIND);
    copy_hdr(sn->ct, sizeof(sn->ct), in, "Content-Type");
    sn->has_ct = evhttp_find_header(in, "content-type") != NULL;
    snprintf(sn->uri, sizeof(sn->uri), "%s", evhttp_request_get_uri(req));
    snprintf(sn->body, sizeof(sn->body), "%.*s", (int)len, body);
    m = (struct fwd_meta){"POST",     sn->uri, sn->by,
                          sn->client, sn->rid, sn->kind};
    sn->has_sig = sig != NULL;
    sn->sig_ok = fwd_verify(SECRET, &m, body, len, sig);
    evhttp_connection_get_peer(evhttp_request_get_connection(req), &addr,
                               &sn->peer_port);
}

/* Answers 201 "re:<body>" with X-Smsc-Index = the request id, and
 * X-Smsc-Not-Leader when the id ends in an odd digit; /hold is never
 * answered (until teardown), /close closes the connection after. */
static void srv_handler(struct evhttp_request *req, void *arg)
{
    struct srv *s = arg;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *body = len ? (const char *)evbuffer_pullup(in, -1) : "";
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    const char *uri = evhttp_request_get_uri(req);
    struct evbuffer *reply;
    const char *rid;
    size_t rl;

    if (strcmp(uri, "/hold") == 0) {
        s->held[s->nheld++] = req;
        return;
    }
    assert_true(s->nseen < MAX_SEEN);
    record(s, req, body, len);
    rid = s->seen[s->nseen - 1].rid;
    rl = strlen(rid);
    evhttp_add_header(out, "Content-Type", "application/json");
    evhttp_add_header(out, FWD_HDR_INDEX, rid);
    if (rl > 0 && (rid[rl - 1] - '0') % 2 == 1)
        evhttp_add_header(out, FWD_HDR_NOT_LEADER, "1");
    if (strcmp(uri, "/close") == 0)
        evhttp_add_header(out, "Connection", "close");
    reply = evbuffer_new();
    evbuffer_add_printf(reply, "re:%.*s", (int)len, body);
    evhttp_send_reply(req, 201, "Created", reply);
    evbuffer_free(reply);
}

static struct bufferevent *srv_bevcb(struct event_base *base, void *arg)
{
    return bufferevent_openssl_socket_new(base, -1, SSL_new(arg),
                                          BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
}

static int bound_port(evutil_socket_t fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);

    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static struct srv *srv_start(struct event_base *base, SSL_CTX *tls,
                             const char *ip)
{
    struct srv *s = calloc(1, sizeof(*s));
    struct evhttp_bound_socket *bs;

    assert_non_null(s);
    s->base = base;
    s->tls = tls;
    s->http = evhttp_new(base);
    assert_non_null(s->http);
    if (tls != NULL)
        evhttp_set_bevcb(s->http, srv_bevcb, tls);
    evhttp_set_gencb(s->http, srv_handler, s);
    bs = evhttp_bind_socket_with_handle(s->http, ip, 0);
    if (bs == NULL) {
        evhttp_free(s->http);
        free(s);
        return NULL;
    }
    s->port = bound_port(evhttp_bound_socket_get_fd(bs));
    return s;
}

static void srv_stop(struct srv *s)
{
    /* a reply to a request whose client left just frees it */
    for (int i = 0; i < s->nheld; i++)
        evhttp_send_reply(s->held[i], 500, "Gone", NULL);
    evhttp_free(s->http);
    free(s);
}

static void srv_url(const struct srv *s, const char *scheme, char *out,
                    size_t n)
{
    snprintf(out, n, "%s://127.0.0.1:%d", scheme, s->port);
}

/* ------------------------------------------------------- the client */

struct result {
    int calls;
    int error;
    int status;
    bool not_leader;
    char ct[64], index[32], body[128];
    size_t len;
    struct fwd_pool *resend_pool; /* send once more from the callback */
    const char *resend_url;
    struct result *resend_res;
    int resend_rc;
};

static bool in_send;
static int ndone;

static int send_req(struct fwd_pool *p, const char *url, const char *uri,
                    const char *rid, const char *body, struct result *res);

static void on_resp(const struct fwd_response *r, void *arg)
{
    struct result *res = arg;

    assert_false(in_send);
    res->calls++;
    res->error = r->error;
    res->status = r->status;
    res->not_leader = r->not_leader;
    snprintf(res->ct, sizeof(res->ct), "%s",
             r->content_type ? r->content_type : "(none)");
    snprintf(res->index, sizeof(res->index), "%s",
             r->index ? r->index : "(none)");
    snprintf(res->body, sizeof(res->body), "%.*s", (int)r->len,
             r->body ? r->body : "");
    res->len = r->len;
    ndone++;
    if (res->resend_pool != NULL) {
        struct fwd_pool *p = res->resend_pool;

        res->resend_pool = NULL;
        res->resend_rc =
            send_req(p, res->resend_url, "/again", "77", "{}", res->resend_res);
    }
}

static int send_req(struct fwd_pool *p, const char *url, const char *uri,
                    const char *rid, const char *body, struct result *res)
{
    struct fwd_meta m = {"POST", uri, "node2", "192.0.2.7", rid, "client"};
    int rc;

    in_send = true;
    rc = fwd_send(p, url, EVHTTP_REQ_POST, &m, SECRET, body,
                  body != NULL ? strlen(body) : 0, on_resp, res);
    in_send = false;
    return rc;
}

struct waiter {
    struct event_base *base;
    const int *count;
    int target;
    struct timespec deadline;
};

static void waiter_tick(evutil_socket_t fd, short what, void *arg)
{
    struct waiter *w = arg;
    struct timespec now;

    (void)fd;
    (void)what;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (*w->count >= w->target || now.tv_sec > w->deadline.tv_sec ||
        (now.tv_sec == w->deadline.tv_sec &&
         now.tv_nsec >= w->deadline.tv_nsec))
        event_base_loopbreak(w->base);
}

/* Runs the loop until *count reaches target or max_ms pass. */
static bool run_until(struct event_base *base, const int *count, int target,
                      int max_ms)
{
    struct waiter w = {base, count, target, {0, 0}};
    struct timeval tick = {0, 2000};
    struct event *ev = event_new(base, -1, EV_PERSIST, waiter_tick, &w);

    clock_gettime(CLOCK_MONOTONIC, &w.deadline);
    w.deadline.tv_sec += max_ms / 1000;
    w.deadline.tv_nsec += (long)(max_ms % 1000) * 1000000L;
    if (w.deadline.tv_nsec >= 1000000000L) {
        w.deadline.tv_sec++;
        w.deadline.tv_nsec -= 1000000000L;
    }
    event_add(ev, &tick);
    event_base_dispatch(base);
    event_free(ev);
    return *count >= target;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ----------------------------------------------------------- fixture */

struct fx {
    struct event_base *base;
    struct srv *srv;
    struct fwd_pool *pool;
    char url[64];
    SSL_CTX *server_tls, *client_tls;
    char dir[64];
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->base = event_base_new();
    f->srv = srv_start(f->base, NULL, "127.0.0.1");
    assert_non_null(f->srv);
    srv_url(f->srv, "http", f->url, sizeof(f->url));
    f->pool = fwd_pool_new(f->base, NULL, 5);
    assert_non_null(f->pool);
    ndone = 0;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    char path[96];

    fwd_pool_free(f->pool);
    srv_stop(f->srv);
    event_base_free(f->base);
    SSL_CTX_free(f->server_tls);
    SSL_CTX_free(f->client_tls);
    if (f->dir[0] != '\0') {
        snprintf(path, sizeof(path), "%s/server.crt", f->dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/server.key", f->dir);
        unlink(path);
        rmdir(f->dir);
    }
    free(f);
    return 0;
}

static int fx_setup_tls(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char err[256], crt[96], key[96];

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/smsc-fwd-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(tls_ensure_self_signed(f->dir, "node1", err, sizeof(err)),
                     0);
    snprintf(crt, sizeof(crt), "%s/server.crt", f->dir);
    snprintf(key, sizeof(key), "%s/server.key", f->dir);
    f->server_tls = tls_server_ctx(crt, key, err, sizeof(err));
    assert_non_null(f->server_tls);
    f->client_tls = tls_client_ctx(err, sizeof(err));
    assert_non_null(f->client_tls);
    f->base = event_base_new();
    f->srv = srv_start(f->base, f->server_tls, "127.0.0.1");
    assert_non_null(f->srv);
    srv_url(f->srv, "https", f->url, sizeof(f->url));
    f->pool = fwd_pool_new(f->base, f->client_tls, 5);
    assert_non_null(f->pool);
    ndone = 0;
    *state = f;
    return 0;
}

/* ------------------------------------------------------ sign/verify */

static const struct fwd_meta vec_meta = {
    "POST", "/api/messages?x=1", "node2", "192.0.2.7", "rid-123", "client"};

static void test_sign_vectors(void **state)
{
    const struct fwd_meta empty = {"POST", "/", "", "", "", ""};
    const struct fwd_meta nulls = {"POST", "/", NULL, NULL, NULL, NULL};
    char sig[65], sig2[65];

    (void)state;
    fwd_sign(SECRET, &vec_meta, "{\"a\":1}", 7, sig);
    assert_string_equal(
        sig,
        "886dc8d1df55d1ea055965c4758c9988f80d9849783ce727f60e22f27e67ec7b");
    fwd_sign("", &vec_meta, "", 0, sig);
    assert_string_equal(
        sig,
        "66fda5df886262e990308cc6937d70295c8598aec11ee32f77329ca9515a0629");
    fwd_sign(NULL, &vec_meta, NULL, 0, sig2);
    assert_string_equal(sig, sig2);
    fwd_sign(NULL, &empty, NULL, 0, sig);
    assert_string_equal(
        sig,
        "c9636ebe5ce407469d5cadbe8df2dde7406ce373f5cadaf72a58c110f94fcc87");
    fwd_sign(NULL, &nulls, NULL, 0, sig2);
    assert_string_equal(sig, sig2);
}

static void test_verify(void **state)
{
    const char *body = "{\"a\":1}";
    struct fwd_meta m = vec_meta;
    char sig[65], bad[66];

    (void)state;
    fwd_sign(SECRET, &m, body, 7, sig);
    assert_true(fwd_verify(SECRET, &m, body, 7, sig));
    for (int i = 0; sig[i]; i++)
        bad[i] = (char)(sig[i] >= 'a' ? sig[i] - 'a' + 'A' : sig[i]);
    bad[64] = '\0';
    assert_true(fwd_verify(SECRET, &m, body, 7, bad)); /* hex is hex */
    assert_false(fwd_verify("other", &m, body, 7, sig));
    assert_false(fwd_verify(SECRET, &m, "{\"a\":2}", 7, sig));
    assert_false(fwd_verify(SECRET, &m, body, 6, sig));
    m.client = "192.0.2.8";
    assert_false(fwd_verify(SECRET, &m, body, 7, sig));
    m = vec_meta;
    m.kind = "node";
    assert_false(fwd_verify(SECRET, &m, body, 7, sig));
    m = vec_meta;
    m.uri = "/api/messages?x=2";
    assert_false(fwd_verify(SECRET, &m, body, 7, sig));
    m = vec_meta;
    assert_false(fwd_verify(SECRET, &m, body, 7, NULL));
    assert_false(fwd_verify(SECRET, &m, body, 7, ""));
    memcpy(bad, sig, 65);
    bad[63] = '\0';
    assert_false(fwd_verify(SECRET, &m, body, 7, bad)); /* 63 chars */
    memcpy(bad, sig, 64);
    bad[64] = '0';
    bad[65] = '\0';
    assert_false(fwd_verify(SECRET, &m, body, 7, bad)); /* 65 chars */
    memcpy(bad, sig, 65);
    bad[10] = 'g';
    assert_false(fwd_verify(SECRET, &m, body, 7, bad));
    bad[10] = sig[10] == '0' ? '1' : '0';
    assert_false(fwd_verify(SECRET, &m, body, 7, bad));
}

/* ------------------------------------------------------- round trips */

static void test_bad_urls(void **state)
{
    struct fx *f = *state;
    struct result res = {0};
    struct fwd_meta m = vec_meta;
    const char *urls[] = {
        "ftp://127.0.0.1:1",
        "http://",
        "garbage",
        "http://127.0.0.1:0",
        "http://h:99999",
        "http://h/path",
        "http://h/?q=1",
        "http://u@h:1",
        "https://127.0.0.1:1",
        NULL,
    };

    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
        assert_int_equal(send_req(f->pool, urls[i], "/x", "1", "{}", &res), -1);
    assert_int_equal(send_req(f->pool, f->url, "/a b", "1", "{}", &res), -1);
    assert_int_equal(send_req(f->pool, f->url, "", "1", "{}", &res), -1);
    m.rid = "evil\r\nX-Injected: 1";
    assert_int_equal(fwd_send(f->pool, f->url, EVHTTP_REQ_POST, &m, SECRET,
                              "{}", 2, on_resp, &res),
                     -1);
    run_until(f->base, &ndone, 1, 50);
    assert_int_equal(res.calls, 0);
    assert_int_equal(f->srv->nseen, 0);
}

static void check_result(const struct result *r, const char *rid,
                         const char *body)
{
    char want[128];
    size_t rl = strlen(rid);

    snprintf(want, sizeof(want), "re:%s", body);
    assert_int_equal(r->calls, 1);
    assert_int_equal(r->error, 0);
    assert_int_equal(r->status, 201);
    assert_string_equal(r->ct, "application/json");
    assert_string_equal(r->index, rid);
    assert_int_equal(r->not_leader, (rid[rl - 1] - '0') % 2 == 1);
    assert_string_equal(r->body, want);
    assert_int_equal(r->len, strlen(want));
}

static const struct seen *find_seen(const struct srv *s, const char *rid)
{
    for (int i = 0; i < s->nseen; i++)
        if (strcmp(s->seen[i].rid, rid) == 0)
            return &s->seen[i];
    fail_msg("server never saw request %s", rid);
    return NULL;
}

static void check_seen(const struct seen *sn, const char *uri, const char *body)
{
    assert_string_equal(sn->by, "node2");
    assert_string_equal(sn->client, "192.0.2.7");
    assert_string_equal(sn->kind, "client");
    assert_string_equal(sn->uri, uri);
    assert_string_equal(sn->body, body);
    assert_true(sn->has_sig);
    assert_true(sn->sig_ok);
    assert_int_equal(sn->has_ct, body[0] != '\0');
    if (body[0] != '\0')
        assert_string_equal(sn->ct, "application/json");
}

static int distinct_ports(const struct srv *s)
{
    int n = 0;

    for (int i = 0; i < s->nseen; i++) {
        int j = 0;

        while (j < i && s->seen[j].peer_port != s->seen[i].peer_port)
            j++;
        n += j == i;
    }
    return n;
}

/* Sends n requests at once and checks both ends. */
static void many_roundtrip(struct fx *f, int n)
{
    static struct result res[MANY];
    char rid[MANY][16], body[MANY][32];

    assert_true(n <= MANY);
    memset(res, 0, sizeof(res));
    for (int i = 0; i < n; i++) {
        snprintf(rid[i], sizeof(rid[i]), "%d", 1000 + i);
        snprintf(body[i], sizeof(body[i]), "{\"n\":%d}", i);
        assert_int_equal(send_req(f->pool, f->url, "/api/messages", rid[i],
                                  body[i], &res[i]),
                         0);
    }
    assert_int_equal(ndone, 0);
    assert_true(run_until(f->base, &ndone, n, 5000));
    assert_int_equal(f->srv->nseen, n);
    for (int i = 0; i < n; i++) {
        check_result(&res[i], rid[i], body[i]);
        check_seen(find_seen(f->srv, rid[i]), "/api/messages", body[i]);
    }
}

static void test_many_plain(void **state)
{
    struct fx *f = *state;
    struct result res = {0};
    unsigned short port;

    many_roundtrip(f, MANY);
    /* 64 connections at most, all of them used, the rest queued */
    assert_int_equal(distinct_ports(f->srv), 64);
    /* an idle keep-alive connection is reused, a body is optional */
    assert_int_equal(send_req(f->pool, f->url, "/empty", "42", NULL, &res), 0);
    assert_true(run_until(f->base, &ndone, MANY + 1, 2000));
    assert_int_equal(res.calls, 1);
    assert_int_equal(res.status, 201);
    assert_int_equal(res.len, 3);
    check_seen(find_seen(f->srv, "42"), "/empty", "");
    port = find_seen(f->srv, "42")->peer_port;
    assert_int_equal(distinct_ports(f->srv), 64);
    for (int i = 0; i < f->srv->nseen; i++)
        if (f->srv->seen[i].peer_port == port)
            return;
    fail_msg("a new connection was opened although idle ones existed");
}

static void test_sequential_reuse(void **state)
{
    struct fx *f = *state;
    struct result res[3] = {0};
    const char *rids[3] = {"10", "11", "12"};

    for (int i = 0; i < 3; i++) {
        assert_int_equal(
            send_req(f->pool, f->url, "/api/x", rids[i], "{}", &res[i]), 0);
        assert_true(run_until(f->base, &ndone, i + 1, 2000));
        check_result(&res[i], rids[i], "{}");
    }
    assert_int_equal(distinct_ports(f->srv), 1);
}

/* The server closes the connection after answering: the next request
 * goes over a new connection and succeeds. */
static void server_close_then_send(struct fx *f)
{
    struct result res[2] = {0};

    assert_int_equal(send_req(f->pool, f->url, "/close", "20", "{}", &res[0]),
                     0);
    assert_true(run_until(f->base, &ndone, 1, 2000));
    check_result(&res[0], "20", "{}");
    run_until(f->base, &ndone, 99, 50); /* let the close be noticed */
    assert_int_equal(send_req(f->pool, f->url, "/api/x", "22", "{}", &res[1]),
                     0);
    assert_true(run_until(f->base, &ndone, 2, 2000));
    check_result(&res[1], "22", "{}");
    assert_int_equal(distinct_ports(f->srv), 2);
}

static void test_server_close(void **state)
{
    server_close_then_send(*state);
}

static int refused_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    port = ntohs(sa.sin_port);
    close(fd); /* bound, never listened: connecting is refused */
    return port;
}

static void test_refused(void **state)
{
    struct fx *f = *state;
    struct result res[3] = {0}, again = {0};
    char url[64];

    snprintf(url, sizeof(url), "http://127.0.0.1:%d", refused_port());
    /* the first callback sends once more, to the live server */
    res[0].resend_pool = f->pool;
    res[0].resend_url = f->url;
    res[0].resend_res = &again;
    for (int i = 0; i < 3; i++)
        assert_int_equal(send_req(f->pool, url, "/x", "1", "{}", &res[i]), 0);
    assert_int_equal(ndone, 0);
    assert_true(run_until(f->base, &ndone, 4, 3000));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(res[i].calls, 1);
        assert_int_equal(res[i].error, -1);
    }
    assert_int_equal(res[0].resend_rc, 0);
    check_result(&again, "77", "{}");
    run_until(f->base, &ndone, 99, 50);
    assert_int_equal(ndone, 4);
}

/* n requests that all fail: each callback runs once, with error -1. */
static void all_fail(struct fx *f, const char *url, const char *uri, int n,
                     int max_ms)
{
    static struct result res[MANY];

    assert_true(n <= MANY);
    memset(res, 0, sizeof(res));
    for (int i = 0; i < n; i++)
        assert_int_equal(send_req(f->pool, url, uri, "1", "{}", &res[i]), 0);
    assert_int_equal(ndone, 0);
    assert_true(run_until(f->base, &ndone, n, max_ms));
    run_until(f->base, &ndone, n + 1, 50);
    assert_int_equal(ndone, n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(res[i].calls, 1);
        assert_int_equal(res[i].error, -1);
    }
}

static void test_refused_many(void **state)
{
    struct fx *f = *state;
    char url[64];

    snprintf(url, sizeof(url), "http://127.0.0.1:%d", refused_port());
    all_fail(f, url, "/x", MANY, 3000);
}

/* connect() fails at once (ENETUNREACH, nothing leaves the host): libevent
 * runs the request callbacks inside evhttp_make_request. */
static void test_sync_connect_failure(void **state)
{
    all_fail(*state, "http://255.255.255.255:80", "/x", MANY, 2000);
}

/* 64 requests reach the server and time out; the ones queued behind them
 * fail with their connection and are never sent. */
static void test_timeout(void **state)
{
    struct fx *f = *state;
    double t0;

    fwd_pool_free(f->pool);
    f->pool = fwd_pool_new(f->base, NULL, 1);
    t0 = now_s();
    all_fail(f, f->url, "/hold", 70, 3000);
    assert_true(now_s() - t0 >= 0.9);
    assert_int_equal(f->srv->nheld, 64);
}

static void test_free_outstanding(void **state)
{
    struct fx *f = *state;
    struct result res[3] = {0}, again = {0};

    res[1].resend_pool = f->pool;
    res[1].resend_url = f->url;
    res[1].resend_res = &again;
    for (int i = 0; i < 3; i++)
        assert_int_equal(send_req(f->pool, f->url, "/hold", "1", "{}", &res[i]),
                         0);
    assert_true(run_until(f->base, &f->srv->nheld, 3, 2000));
    assert_int_equal(ndone, 0);
    fwd_pool_free(f->pool);
    f->pool = NULL;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(res[i].calls, 1);
        assert_int_equal(res[i].error, -1);
    }
    assert_int_equal(res[1].resend_rc, -1); /* the pool is going away */
    assert_int_equal(again.calls, 0);
    run_until(f->base, &ndone, 99, 50);
    assert_int_equal(ndone, 3);
}

static void test_tls_roundtrip(void **state)
{
    struct fx *f = *state;

    many_roundtrip(f, 10);
    assert_int_equal(distinct_ports(f->srv), 10);
}

/* A TLS connection closed by the server is replaced, never reconnected. */
static void test_tls_server_close(void **state)
{
    server_close_then_send(*state);
}

static void test_ipv6(void **state)
{
    struct fx *f = *state;
    struct srv *s6 = srv_start(f->base, NULL, "::1");
    struct result res = {0};
    char url[64];

    if (s6 == NULL)
        skip();
    snprintf(url, sizeof(url), "http://[::1]:%d", s6->port);
    assert_int_equal(send_req(f->pool, url, "/v6", "30", "{}", &res), 0);
    assert_true(run_until(f->base, &ndone, 1, 2000));
    check_result(&res, "30", "{}");
    check_seen(find_seen(s6, "30"), "/v6", "{}");
    fwd_pool_free(f->pool); /* before the server it talks to */
    f->pool = NULL;
    srv_stop(s6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_vectors),
        cmocka_unit_test(test_verify),
        cmocka_unit_test_setup_teardown(test_bad_urls, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_many_plain, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sequential_reuse, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_server_close, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_refused_many, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_sync_connect_failure, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_timeout, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_free_outstanding, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_ipv6, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tls_roundtrip, fx_setup_tls,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_tls_server_close, fx_setup_tls,
                                        fx_teardown),
    };

    signal(SIGPIPE, SIG_IGN); /* as smscd does: a peer may close first */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
