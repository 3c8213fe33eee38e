/* http — the API's listeners and HTTP threads.
 *
 * One listening socket per port (HTTPS api.port, HTTP api.http_port,
 * metrics.port) is opened on the main thread, so a port already in use
 * stops start-up with a message naming the key.  Each of api.threads
 * threads runs its own event_base with an evhttp per listener accepting on
 * the shared sockets; TLS connections get an OpenSSL bufferevent.  Thread 0
 * also serves /metrics, drains the create_async backlog and, on followers,
 * announces this node's API address (node_info) to the leader.
 */
#include "api/api_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>
#include <event2/thread.h>

#include "api/tls.h"
#include "cluster/forward.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "server/config.h"

#define ANNOUNCE_MS 1000

static evutil_socket_t listen_on(const char *ip, int port, const char *key,
                                 char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    int sslen = sizeof ss;
    char spec[128];
    snprintf(spec, sizeof spec, strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip,
             port);
    if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &sslen) != 0) {
        snprintf(err, errlen, "%s: cannot use address %s", key, spec);
        return -1;
    }
    evutil_socket_t fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        /* Accepted sockets inherit it: the tail of an answer larger than
         * one segment must not wait for the client's delayed ACK. */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, (socklen_t)sslen) != 0 ||
        listen(fd, 1024) != 0) {
        snprintf(err, errlen, "%s: cannot listen on %s: %s", key, spec,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    evutil_make_socket_nonblocking(fd);
    return fd;
}

static struct bufferevent *tls_bev(struct event_base *base, void *arg)
{
    SSL_CTX *ctx = arg;
    return bufferevent_openssl_socket_new(base, -1, SSL_new(ctx),
                                          BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
}

static struct evhttp *new_http(struct api_thread *t, evutil_socket_t fd)
{
    const struct config *cfg = t->api->cfg;
    struct evhttp *h = evhttp_new(t->base);
    evhttp_set_allowed_methods(h, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
                                      EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH |
                                      EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
                                      EVHTTP_REQ_OPTIONS);
    evhttp_set_max_body_size(h, (ev_ssize_t)cfg->api.max_body_bytes);
    evhttp_set_max_headers_size(h, 64 * 1024);
    evhttp_set_timeout(h, cfg->api.timeout_seconds);
    evhttp_set_gencb(h, api_dispatch, t);
    /* evhttp closes its socket when freed: each thread gets its own dup. */
    evhttp_accept_socket(h, dup(fd));
    return h;
}

/* Followers tell the leader their API address until the store has it. */
static void announce_cb(evutil_socket_t fd, short what, void *arg);

static void announced(const struct fwd_response *resp, void *arg)
{
    (void)resp;
    (void)arg;
}

static void announce_cb(evutil_socket_t fd, short what, void *arg)
{
    struct api_thread *t = arg;
    struct api *a = t->api;
    (void)fd;
    (void)what;
    if (node_is_leader(a->node))
        return; /* the leader proposes its own node_info */
    struct node_status st;
    node_get_status(a->node, &st);
    char *self_url = api_advertise_url(a->cfg);
    char leader_url[256] = "";
    bool current = false;
    store_rdlock(a->store);
    const struct store_node_info *me = store_node_info(a->store, a->node_name);
    current = me && me->api_url && strcmp(me->api_url, self_url) == 0;
    const struct store_node_info *ld =
        st.leader_id ? store_node_info_by_id(a->store, st.leader_id) : NULL;
    if (ld && ld->api_url)
        snprintf(leader_url, sizeof leader_url, "%s", ld->api_url);
    store_rdunlock(a->store);
    if (!current && leader_url[0]) {
        int self = config_self_index(a->cfg);
        const struct config_peer *p = &a->cfg->cluster_nodes[self];
        char addr[300];
        snprintf(addr, sizeof addr, strchr(p->host, ':') ? "[%s]:%d" : "%s:%d",
                 p->host, p->raft_port);
        json_t *body = json_pack("{s:s,s:s,s:s,s:I}", "name", a->node_name,
                                 "api_url", self_url, "raft_address", addr,
                                 "raft_id",
                                 (json_int_t)node_id_of(a->node_name));
        char *text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        struct fwd_meta meta = {"POST", "/api/_internal/node_info",
                                a->node_name, "127.0.0.1", "node-info",
                                "node"};
        fwd_send(t->fwd, leader_url, EVHTTP_REQ_POST, &meta,
                 a->cfg->cluster_secret, text, strlen(text), announced, NULL);
        free(text);
    }
    free(self_url);
}

/* Runs inside the loop, so a stop requested before the thread reached
 * event_base_dispatch is not lost (a loopbreak then would be). */
static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

static void *thread_main(void *arg)
{
    struct api_thread *t = arg;
    event_base_dispatch(t->base);
    return NULL;
}

static int thread_init(struct api_thread *t, char *err, size_t errlen)
{
    struct api *a = t->api;
    /* With the changelist, evhttp's read/write toggles on a connection
     * within one loop pass cost one epoll_ctl at most, not three per
     * request.  (Its caveat, fds cloned by dup() in one base, does not
     * apply: each thread's base holds only its own dup of a listener.) */
    struct event_config *ec = event_config_new();
    event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    t->base = event_base_new_with_config(ec);
    event_config_free(ec);
    if (t->base == NULL) {
        snprintf(err, errlen, "cannot create an event base");
        return -1;
    }
    pthread_mutex_init(&t->done_lock, NULL);
    t->done_ev = event_new(t->base, -1, EV_PERSIST, api_thread_wake_done, t);
    event_add(t->done_ev, NULL);
    t->stop_ev = event_new(t->base, -1, 0, stop_cb, t->base);
    t->fwd = fwd_pool_new(t->base, a->tls_client, a->cfg->api.timeout_seconds);
    if (a->fd_http >= 0)
        t->http = new_http(t, a->fd_http);
    if (a->fd_https >= 0) {
        t->https = new_http(t, a->fd_https);
        evhttp_set_bevcb(t->https, tls_bev, a->tls);
    }
    if (t->index == 0) {
        if (a->fd_metrics >= 0) {
            t->metrics = evhttp_new(t->base);
            evhttp_set_gencb(t->metrics, api_metrics_handler, a);
            evhttp_accept_socket(t->metrics, dup(a->fd_metrics));
        }
        api_async_thread_init(t);
        t->announce_ev = event_new(t->base, -1, EV_PERSIST, announce_cb, t);
        struct timeval tv = {0, ANNOUNCE_MS * 1000};
        event_add(t->announce_ev, &tv);
    }
    return 0;
}

char *api_advertise_url(const struct config *cfg)
{
    if (cfg->api.advertise_url)
        return xstrdup(cfg->api.advertise_url);
    const char *ip = cfg->api.listen_ip;
    if (strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0) {
        int self = config_self_index(cfg);
        ip = self >= 0 ? cfg->cluster_nodes[self].host : "127.0.0.1";
    }
    bool plain = cfg->api.http_port > 0;
    char buf[300];
    snprintf(buf, sizeof buf, strchr(ip, ':') ? "%s://[%s]:%d" : "%s://%s:%d",
             plain ? "http" : "https", ip,
             plain ? cfg->api.http_port : cfg->api.port);
    return xstrdup(buf);
}

static int open_tls(struct api *a, char *err, size_t errlen)
{
    const struct config *cfg = a->cfg;
    char cert[4200], key[4200], dir[4096];
    if (cfg->api.tls_cert_path && cfg->api.tls_key_path) {
        snprintf(cert, sizeof cert, "%s", cfg->api.tls_cert_path);
        snprintf(key, sizeof key, "%s", cfg->api.tls_key_path);
    } else {
        snprintf(dir, sizeof dir, "%s/tls", cfg->data_dir);
        int self = config_self_index(cfg);
        if (tls_ensure_self_signed(dir, cfg->cluster_nodes[self].host, err,
                                   errlen) != 0)
            return -1;
        snprintf(cert, sizeof cert, "%s/server.crt", dir);
        snprintf(key, sizeof key, "%s/server.key", dir);
    }
    a->tls = tls_server_ctx(cert, key, err, errlen);
    return a->tls ? 0 : -1;
}

static int open_listeners(struct api *a, char *err, size_t errlen)
{
    const struct config *cfg = a->cfg;
    a->fd_http = a->fd_https = a->fd_metrics = -1;
    if (cfg->api.enable_tls && cfg->api.port > 0) {
        if (open_tls(a, err, errlen) != 0)
            return -1;
        a->fd_https =
            listen_on(cfg->api.listen_ip, cfg->api.port, "api.port", err, errlen);
        if (a->fd_https < 0)
            return -1;
    }
    if (cfg->api.http_port > 0) {
        a->fd_http = listen_on(cfg->api.listen_ip, cfg->api.http_port,
                               "api.http_port", err, errlen);
        if (a->fd_http < 0)
            return -1;
    }
    if (cfg->metrics.port > 0) {
        a->fd_metrics = listen_on(cfg->metrics.listen_ip, cfg->metrics.port,
                                  "metrics.port", err, errlen);
        if (a->fd_metrics < 0)
            return -1;
    }
    if (a->fd_http < 0 && a->fd_https < 0) {
        snprintf(err, errlen, "api: both listeners are off (api.enable_tls "
                              "false and api.http_port 0)");
        return -1;
    }
    return 0;
}

struct api *api_start(const struct config *cfg, struct node *node,
                      struct store *store, char *err, size_t errlen)
{
    evthread_use_pthreads();
    api_metrics_init();
    struct api *a = xcalloc(1, sizeof *a);
    a->cfg = cfg;
    a->node = node;
    a->store = store;
    snprintf(a->node_name, sizeof a->node_name, "%s", cfg->node_name);
    a->rl = ratelimit_new(cfg);
    a->tls_client = tls_client_ctx(err, errlen);
    if (a->tls_client == NULL || open_listeners(a, err, errlen) != 0) {
        api_stop(a, 0);
        return NULL;
    }
    a->n_threads = cfg->api.threads > 0 ? cfg->api.threads
                                        : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (a->n_threads < 1)
        a->n_threads = 1;
    a->threads = xcalloc((size_t)a->n_threads, sizeof *a->threads);
    /* A node-made request id must not repeat one of an earlier run (the
     * leader remembers them for STORE_NODE_KEY_TTL_MS and would answer a
     * new write with the old result): each run has its own random
     * incarnation in every id, whatever the clock does. */
    a->incarnation = ((uint64_t)arc4random() << 32) | arc4random();
    for (int i = 0; i < a->n_threads; i++) {
        a->threads[i].api = a;
        a->threads[i].index = i;

        if (thread_init(&a->threads[i], err, errlen) != 0) {
            api_stop(a, 0);
            return NULL;
        }
    }
    if (api_cdr_start(a, err, errlen) != 0) {
        api_stop(a, 0);
        return NULL;
    }
    for (int i = 0; i < a->n_threads; i++)
        pthread_create(&a->threads[i].thread, NULL, thread_main,
                       &a->threads[i]);
    log_info("api: %d HTTP thread(s); https %d, http %d, metrics %d",
             a->n_threads, a->fd_https >= 0 ? cfg->api.port : 0,
             a->fd_http >= 0 ? cfg->api.http_port : 0,
             a->fd_metrics >= 0 ? cfg->metrics.port : 0);
    return a;
}

static void stop_thread(struct api_thread *t)
{
    if (t->base == NULL)
        return;
    if (t->thread) {
        event_active(t->stop_ev, EV_READ, 0);
        pthread_join(t->thread, NULL);
    }
    if (t->http)
        evhttp_free(t->http);
    if (t->https)
        evhttp_free(t->https);
    if (t->metrics)
        evhttp_free(t->metrics);
    if (t->fwd)
        fwd_pool_free(t->fwd);
    pipeline_free(t);
    event_free(t->done_ev);
    event_free(t->stop_ev);
    if (t->async_ev)
        event_free(t->async_ev);
    if (t->announce_ev)
        event_free(t->announce_ev);
    event_base_free(t->base);
    pthread_mutex_destroy(&t->done_lock);
}

void api_quiesce(struct api *a, int grace_ms)
{
    if (a == NULL || a->quiesced)
        return;
    atomic_store(&a->stopping, true);
    for (int waited = 0; waited < grace_ms; waited += 20) {
        if (atomic_load(&a->inflight_requests) == 0 &&
            atomic_load(&a->async_backlog) == 0)
            break;
        usleep(20 * 1000);
    }
    api_cdr_stop(a); /* its last query jobs hand back to live threads */
    a->quiesced = true;
}

void api_stop(struct api *a, int grace_ms)
{
    if (a == NULL)
        return;
    api_quiesce(a, grace_ms);
    /* what the node completed at its shutdown is answered by now, or soon */
    for (int waited = 0; waited < grace_ms; waited += 20) {
        if (atomic_load(&a->inflight_requests) == 0)
            break;
        usleep(20 * 1000);
    }
    for (int i = 0; a->threads && i < a->n_threads; i++)
        stop_thread(&a->threads[i]);
    api_cdr_free(a);
    free(a->threads);
    if (a->fd_http >= 0)
        close(a->fd_http);
    if (a->fd_https >= 0)
        close(a->fd_https);
    if (a->fd_metrics >= 0)
        close(a->fd_metrics);
    if (a->tls)
        SSL_CTX_free(a->tls);
    if (a->tls_client)
        SSL_CTX_free(a->tls_client);
    ratelimit_free(a->rl);
    free(a);
}
