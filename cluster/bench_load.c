/* bench_load — the bench's engine: keep-alive connections on libevent
 * bufferevents, one event_base per thread, pre-formatted requests.
 *
 * Closed loop (rate 0): each connection keeps `pipeline` requests in
 * flight and sends the next when an answer arrives.  Open loop: each
 * thread owns rate/threads of the schedule, request k due at
 * start + k * interval; a 1 ms tick sends every due request on a
 * connection with room, and a request that finds none waits for one —
 * its latency still counts from its due time, so a stalled server shows
 * as latency rather than as fewer requests (no coordinated omission).
 *
 * Only answers completing inside the measured window (after the warm-up)
 * count; after it no new request is sent and the ones in flight are
 * awaited (up to the timeout), so `acked` is every 2xx the server gave.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "cluster/bench.h"
#include "common/xalloc.h"

#define RETRY_MS 100
#define TICK_OPEN_US 1000
#define TICK_CLOSED_US 10000

struct thr;

struct conn {
    struct thr *t;
    int target;
    struct bufferevent *bev;
    struct event *retry;
    struct bench_parser p;
    uint64_t *sent_at; /* ring of `pipeline` send (or due) times */
    int head, inflight;
    bool connected;
    unsigned answers;  /* answers read, for sampling the item check */
};

/* Queue answers are ~90 KB: collecting and scanning each one made the
 * generator's own CPU the limit of the fetch scenario, so the item count
 * is checked on one answer in CHECK_EVERY per connection (the first one
 * included) and the others are only drained. */
#define CHECK_EVERY 16

struct thr {
    const struct bench_cfg *cfg;
    const struct sockaddr_storage *addrs;
    const socklen_t *addrlens;
    int idx;
    struct event_base *base;
    struct conn *conns;
    int nconns;
    struct event *tick;
    struct bench_result res;
    uint64_t t0, from, to, drain_until; /* µs, monotonic */
    uint64_t goal;                      /* this thread's share, or 0 */
    bool stopping;
    int inflight;
    double interval_us; /* open loop: between this thread's requests */
    uint64_t next_k;    /* open loop: the next request to send */
    int rr;
    pthread_t th;
};

/* The numbers that make each request's body unique: shared by threads and
 * runs of one process, started from the clock so a second run a second
 * later does not repeat the first's (a repeated raw SMS-SUBMIT would be
 * a retransmission). */
static uint64_t seq;

uint64_t bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void bench_tpl_build(struct bench_tpl *t, const char *method,
                     const char *path, const char *host, const char *api_key,
                     const char *body)
{
    char key[300] = "", *b = NULL;
    size_t blen = 0;
    long slot_in_body = -1;
    if (api_key)
        snprintf(key, sizeof key, "X-API-Key: %s\r\n", api_key);
    if (body) {
        /* "%N" becomes BENCH_SLOT zeros, overwritten per request */
        const char *mark = strstr(body, "%N");
        blen = strlen(body) + (mark ? BENCH_SLOT - 2 : 0);
        b = xmalloc(blen + 1);
        if (mark) {
            size_t pre = (size_t)(mark - body);
            memcpy(b, body, pre);
            memset(b + pre, '0', BENCH_SLOT);
            strcpy(b + pre + BENCH_SLOT, mark + 2);
            slot_in_body = (long)pre;
        } else {
            strcpy(b, body);
        }
    }
    char head[1024];
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: %s\r\n%s"
                     "Accept: application/json\r\n",
                     method, path, host, key);
    if (body)
        n += snprintf(head + n, sizeof head - (size_t)n,
                      "Content-Type: application/json\r\n"
                      "Content-Length: %zu\r\n",
                      blen);
    n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
    t->len = (size_t)n + blen;
    t->bytes = xmalloc(t->len + 1);
    memcpy(t->bytes, head, (size_t)n);
    if (b)
        memcpy(t->bytes + n, b, blen);
    t->bytes[t->len] = '\0';
    t->slot = slot_in_body >= 0 ? n + slot_in_body : -1;
    free(b);
}

void bench_tpl_free(struct bench_tpl *t)
{
    free(t->bytes);
    t->bytes = NULL;
}

static bool in_window(const struct thr *t, uint64_t now)
{
    return t->goal || (now >= t->from && now < t->to);
}

static void check_done(struct thr *t)
{
    if (t->stopping && t->inflight == 0)
        event_base_loopbreak(t->base);
}

static void conn_open(struct conn *c);

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    conn_open(arg);
}

/* Drops the connection, counting what it owed, and opens it again
 * (after RETRY_MS when it failed, so a dead node is not hammered). */
static void conn_restart(struct conn *c, bool failed)
{
    struct thr *t = c->t;
    uint64_t now = bench_now_us();
    if (failed && in_window(t, now))
        t->res.sock_err += c->inflight ? (uint64_t)c->inflight : 1;
    t->inflight -= c->inflight;
    c->inflight = 0;
    c->head = 0;
    c->connected = false;
    bufferevent_free(c->bev);
    c->bev = NULL;
    bench_parser_reset(&c->p);
    t->res.reconnects++;
    check_done(t);
    if (t->stopping)
        return;
    struct timeval tv = {0, failed ? RETRY_MS * 1000 : 0};
    evtimer_add(c->retry, &tv);
}

static void send_one(struct conn *c, uint64_t at)
{
    struct thr *t = c->t;
    const struct bench_tpl *tpl = &t->cfg->tpls[c->target];
    struct evbuffer *out = bufferevent_get_output(c->bev);
    if (tpl->slot < 0) {
        evbuffer_add(out, tpl->bytes, tpl->len);
    } else {
        char num[BENCH_SLOT + 1];
        uint64_t v = __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED);
        snprintf(num, sizeof num, "%0*llu", BENCH_SLOT,
                 (unsigned long long)(v % 10000000000ull));
        evbuffer_add(out, tpl->bytes, (size_t)tpl->slot);
        evbuffer_add(out, num, BENCH_SLOT);
        size_t rest = (size_t)tpl->slot + BENCH_SLOT;
        evbuffer_add(out, tpl->bytes + rest, tpl->len - rest);
    }
    int pl = t->cfg->pipeline;
    c->sent_at[(c->head + c->inflight) % pl] = at;
    c->inflight++;
    t->inflight++;
    t->res.sent++;
}

static uint64_t due_of(const struct thr *t, uint64_t k)
{
    return t->t0 + (uint64_t)((double)k * t->interval_us);
}

/* Fills the connection's pipeline with what may be sent now. */
static void fill(struct conn *c)
{
    struct thr *t = c->t;
    if (!c->connected)
        return;
    int pl = t->cfg->pipeline;
    if (t->cfg->rate > 0) {
        uint64_t now = bench_now_us();
        while (!t->stopping && c->inflight < pl &&
               due_of(t, t->next_k) <= now)
            send_one(c, due_of(t, t->next_k++));
        return;
    }
    while (!t->stopping && c->inflight < pl &&
           (t->goal == 0 || t->res.acked + (uint64_t)t->inflight < t->goal))
        send_one(c, bench_now_us());
}

static void answered(struct conn *c)
{
    struct thr *t = c->t;
    const struct bench_cfg *cfg = t->cfg;
    uint64_t now = bench_now_us();
    uint64_t at = c->sent_at[c->head];
    c->head = (c->head + 1) % cfg->pipeline;
    c->inflight--;
    t->inflight--;
    int st = c->p.status;
    bool ok = st >= 200 && st < 300;
    if (ok && c->p.keep_body && bench_count_items(&c->p) < cfg->min_items)
        ok = false, t->res.short_err += in_window(t, now);
    else if (!ok && in_window(t, now))
        t->res.status_err[st > 0 && st < BENCH_STATUS_MAX ? st : 0]++;
    if (st >= 200 && st < 300)
        t->res.acked++;
    if (ok && in_window(t, now)) {
        t->res.ok++;
        bench_hist_add(&t->res.hist, now > at ? now - at : 0);
    }
    if (t->goal && t->res.acked >= t->goal)
        t->stopping = true;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        int r = bench_parse(&c->p, in);
        if (r == 0)
            break;
        if (r < 0 || c->inflight == 0) {
            conn_restart(c, true);
            return;
        }
        answered(c);
        bool close = c->p.close;
        bench_parser_reset(&c->p);
        c->p.keep_body = c->p.body != NULL && ++c->answers % CHECK_EVERY == 0;
        if (close) {
            /* answers still owed on this connection will not come */
            conn_restart(c, c->inflight > 0);
            return;
        }
    }
    fill(c);
    check_done(c->t);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        int one = 1;
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one,
                   sizeof one);
        c->connected = true;
        fill(c);
        return;
    }
    if ((what & BEV_EVENT_TIMEOUT) && c->inflight == 0) {
        bufferevent_enable(bev, EV_READ); /* idle, not late */
        return;
    }
    if (what & BEV_EVENT_TIMEOUT) {
        struct thr *t = c->t;
        if (in_window(t, bench_now_us()))
            t->res.timeouts += (uint64_t)c->inflight;
        int owed = c->inflight;
        c->inflight = 0;
        t->inflight -= owed;
        conn_restart(c, false);
        return;
    }
    /* EOF with an answer read to the close, or an error */
    if (c->p.state == BP_UNTIL_CLOSE && c->inflight > 0) {
        answered(c);
        conn_restart(c, c->inflight > 0);
        return;
    }
    conn_restart(c, c->inflight > 0 || !c->connected || !(what & BEV_EVENT_EOF));
}

static void conn_open(struct conn *c)
{
    struct thr *t = c->t;
    if (t->stopping)
        return;
    c->bev = bufferevent_socket_new(t->base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
    struct timeval tv = {t->cfg->timeout_s, 0};
    bufferevent_set_timeouts(c->bev, &tv, NULL);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(c->bev,
                                   (const struct sockaddr *)&t->addrs[c->target],
                                   (int)t->addrlens[c->target]) < 0)
        conn_restart(c, true);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct thr *t = arg;
    (void)fd, (void)what;
    uint64_t now = bench_now_us();
    if (!t->goal && now >= t->to)
        t->stopping = true;
    if (t->stopping && now >= t->drain_until) {
        event_base_loopbreak(t->base); /* answers still due are lost */
        return;
    }
    if (t->stopping) {
        check_done(t);
        return;
    }
    if (t->cfg->rate <= 0 || t->nconns == 0)
        return;
    /* round robin over the connections with room, while requests are due */
    for (int tried = 0; tried < t->nconns && due_of(t, t->next_k) <= now;) {
        struct conn *c = &t->conns[t->rr];
        int before = c->inflight;
        fill(c);
        t->rr = (t->rr + 1) % t->nconns;
        tried = c->inflight > before ? 0 : tried + 1;
    }
}

static void *thr_main(void *arg)
{
    struct thr *t = arg;
    for (int i = 0; i < t->nconns; i++)
        conn_open(&t->conns[i]);
    struct timeval tv = {0, t->cfg->rate > 0 ? TICK_OPEN_US : TICK_CLOSED_US};
    t->tick = event_new(t->base, -1, EV_PERSIST, tick_cb, t);
    evtimer_add(t->tick, &tv);
    event_base_dispatch(t->base);
    return NULL;
}

static int resolve(const struct bench_target *tg, struct sockaddr_storage *ss,
                   socklen_t *len)
{
    struct addrinfo hints = {0}, *ai;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(tg->host, tg->port, &hints, &ai) != 0)
        return -1;
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

static void thr_init(struct thr *t, const struct bench_cfg *cfg, int idx,
                     uint64_t t0)
{
    int nt = cfg->threads;
    t->cfg = cfg;
    t->idx = idx;
    t->base = event_base_new();
    /* connection j of all goes to thread j % threads, target j % targets */
    for (int j = idx; j < cfg->conns; j += nt)
        t->nconns++;
    t->conns = xcalloc((size_t)(t->nconns ? t->nconns : 1), sizeof *t->conns);
    for (int k = 0, j = idx; j < cfg->conns; j += nt, k++) {
        struct conn *c = &t->conns[k];
        c->t = t;
        c->target = j % cfg->ntargets;
        c->sent_at = xcalloc((size_t)cfg->pipeline, sizeof *c->sent_at);
        c->retry = evtimer_new(t->base, retry_cb, c);
        c->p.keep_body = cfg->min_items > 0;
        c->p.body = c->p.keep_body ? evbuffer_new() : NULL;
        bench_parser_reset(&c->p);
    }
    if (cfg->goal)
        t->goal = cfg->goal / (uint64_t)nt +
                  (idx < (int)(cfg->goal % (uint64_t)nt));
    if (cfg->rate > 0) {
        t->interval_us = 1e6 * nt / cfg->rate;
        /* threads interleave: thread i's schedule is shifted by i/rate */
        t0 += (uint64_t)(1e6 * idx / cfg->rate);
    }
    t->t0 = t0;
    t->from = t0 + (uint64_t)(cfg->warmup_s * 1e6);
    t->to = t->from + (uint64_t)(cfg->duration_s * 1e6);
    t->drain_until = (cfg->goal ? UINT64_MAX / 2 : t->to) +
                     (uint64_t)cfg->timeout_s * 1000000u;
}

static void thr_free(struct thr *t)
{
    for (int i = 0; i < t->nconns; i++) {
        struct conn *c = &t->conns[i];
        if (c->bev)
            bufferevent_free(c->bev);
        event_free(c->retry);
        if (c->p.body)
            evbuffer_free(c->p.body);
        free(c->sent_at);
    }
    if (t->tick)
        event_free(t->tick);
    free(t->conns);
    event_base_free(t->base);
}

int bench_run(const struct bench_cfg *cfg, struct bench_result *out)
{
    memset(out, 0, sizeof *out);
    if (seq == 0)
        seq = (uint64_t)time(NULL) % 9000 * 1000000u + 1;
    struct sockaddr_storage *addrs = xcalloc((size_t)cfg->ntargets,
                                             sizeof *addrs);
    socklen_t *lens = xcalloc((size_t)cfg->ntargets, sizeof *lens);
    for (int i = 0; i < cfg->ntargets; i++)
        if (resolve(&cfg->targets[i], &addrs[i], &lens[i]) != 0) {
            fprintf(stderr, "smscctl: bench: cannot resolve %s\n",
                    cfg->targets[i].host);
            free(addrs), free(lens);
            return -1;
        }
    struct thr *th = xcalloc((size_t)cfg->threads, sizeof *th);
    uint64_t t0 = bench_now_us();
    for (int i = 0; i < cfg->threads; i++) {
        th[i].addrs = addrs;
        th[i].addrlens = lens;
        thr_init(&th[i], cfg, i, t0);
    }
    for (int i = 1; i < cfg->threads; i++)
        pthread_create(&th[i].th, NULL, thr_main, &th[i]);
    thr_main(&th[0]);
    uint64_t end = bench_now_us();
    for (int i = 1; i < cfg->threads; i++)
        pthread_join(th[i].th, NULL);
    for (int i = 0; i < cfg->threads; i++) {
        bench_result_merge(out, &th[i].res);
        thr_free(&th[i]);
    }
    /* the window actually measured: shorter when a goal ended the run */
    uint64_t from = th[0].from, to = th[0].to;
    if (cfg->goal)
        from = t0, to = end;
    out->measured_s = (double)(to - from) / 1e6;
    free(th), free(addrs), free(lens);
    return 0;
}
