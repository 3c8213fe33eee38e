/* discovery — DNS SRV look-up of the cluster's members (see discovery.h).
 *
 * One c-ares channel per call, one SRV query, and a poll() loop over the
 * channel's sockets until the answer's callback has run or the deadline
 * passes (c-ares 1.18 has no ares_queue_wait_empty).
 */
#include "cluster/discovery.h"

#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ares.h>
#include <arpa/nameser.h>

#include "common/xalloc.h"

#define DISCOVERY_TIMEOUT_MS 5000 /* the whole look-up */
#define DISCOVERY_TRY_MS 1000     /* one try against one server */
#define DISCOVERY_TRIES 2

struct lookup {
    bool done;
    int status;                      /* ARES_* */
    struct ares_srv_reply *replies;  /* owned, ares_free_data */
};

static void on_answer(void *arg, int status, int timeouts,
                      unsigned char *abuf, int alen)
{
    struct lookup *l = arg;
    (void)timeouts;
    l->done = true;
    l->status = status;
    if (status == ARES_SUCCESS)
        l->status = ares_parse_srv_reply(abuf, alen, &l->replies);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Drives the channel until the callback ran or deadline (monotonic ms). */
static void wait_answer(ares_channel ch, struct lookup *l, long long deadline)
{
    while (!l->done) {
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        struct pollfd pfd[ARES_GETSOCK_MAXNUM];
        unsigned bits = (unsigned)ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
        nfds_t nfd = 0;
        for (unsigned i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            /* the ARES_GETSOCK_* macros shift a signed 1 by up to 31 */
            bool rd = bits & (1u << i);
            bool wr = bits & (1u << (i + ARES_GETSOCK_MAXNUM));
            short ev = (short)((rd ? POLLIN : 0) | (wr ? POLLOUT : 0));
            if (ev)
                pfd[nfd++] = (struct pollfd){.fd = socks[i], .events = ev};
        }
        long long left = deadline - now_ms();
        if (left <= 0)
            return;
        struct timeval max = {left / 1000, (left % 1000) * 1000}, tv;
        struct timeval *t = ares_timeout(ch, &max, &tv);
        int ms = (int)(t->tv_sec * 1000 + t->tv_usec / 1000) + 1;
        int r = poll(pfd, nfd, ms);
        if (r <= 0) {
            ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
            continue;
        }
        for (nfds_t i = 0; i < nfd; i++) {
            short re = pfd[i].revents;
            ares_process_fd(
                ch, re & (POLLIN | POLLERR | POLLHUP) ? pfd[i].fd : ARES_SOCKET_BAD,
                re & POLLOUT ? pfd[i].fd : ARES_SOCKET_BAD);
        }
    }
}

static int set_servers(ares_channel ch, const char *const *servers, size_t n,
                       char *err, size_t errlen)
{
    if (n == 0)
        return 0;
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(servers[i]) + 1;
    char *csv = xcalloc(1, len);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strcat(csv, ",");
        strcat(csv, servers[i]);
    }
    int rc = ares_set_servers_ports_csv(ch, csv);
    if (rc != ARES_SUCCESS)
        snprintf(err, errlen, "dns_servers: cannot use %s: %s (IP:port "
                 "expected)", csv, ares_strerror(rc));
    free(csv);
    return rc == ARES_SUCCESS ? 0 : -1;
}

static char **collect(struct ares_srv_reply *replies, int default_port,
                      size_t *n)
{
    size_t count = 0;
    for (struct ares_srv_reply *r = replies; r; r = r->next)
        count++;
    struct discovery_srv *recs = xcalloc(count ? count : 1, sizeof *recs);
    size_t i = 0;
    for (struct ares_srv_reply *r = replies; r; r = r->next, i++)
        recs[i] = (struct discovery_srv){r->host, r->priority, r->weight,
                                         r->port};
    char **out = discovery_order(recs, count, default_port);
    free(recs);
    *n = count;
    return out;
}

int discover_members(const char *query, const char *const *servers,
                     size_t n_servers, int default_port, char ***out,
                     size_t *n, char *err, size_t errlen)
{
    char name[512];
    *out = NULL;
    *n = 0;
    snprintf(name, sizeof name, "_sms._tcp.%s", query);
    int rc = ares_library_init(ARES_LIB_INIT_ALL);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "dns_cluster_query: c-ares: %s",
                 ares_strerror(rc));
        return -1;
    }
    ares_channel ch;
    struct ares_options opts = {.timeout = DISCOVERY_TRY_MS,
                                .tries = DISCOVERY_TRIES};
    rc = ares_init_options(&ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "dns_cluster_query: cannot start a resolver: %s",
                 ares_strerror(rc));
        goto err_after_init;
    }
    if (set_servers(ch, servers, n_servers, err, errlen) != 0)
        goto err_after_channel;
    struct lookup l = {0};
    ares_query(ch, name, ns_c_in, ns_t_srv, on_answer, &l);
    wait_answer(ch, &l, now_ms() + DISCOVERY_TIMEOUT_MS);
    bool answered = l.done;
    ares_destroy(ch); /* runs a pending callback with ARES_EDESTRUCTION */
    if (!answered)
        l.status = ARES_ETIMEOUT;
    if (l.status == ARES_SUCCESS) {
        *out = collect(l.replies, default_port, n);
    } else if (l.status != ARES_ENODATA && l.status != ARES_ENOTFOUND) {
        snprintf(err, errlen, "dns_cluster_query: SRV %s: %s", name,
                 answered ? ares_strerror(l.status) : "no answer in time");
    }
    ares_free_data(l.replies);
    ares_library_cleanup();
    return l.status == ARES_SUCCESS || l.status == ARES_ENODATA ||
                   l.status == ARES_ENOTFOUND
               ? 0
               : -1;

err_after_channel:
    ares_destroy(ch);
err_after_init:
    ares_library_cleanup();
    return -1;
}

static int cmp_srv(const void *a, const void *b)
{
    const struct discovery_srv *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    if (x->weight != y->weight)
        return x->weight > y->weight ? -1 : 1;
    return 0;
}

char **discovery_order(struct discovery_srv *recs, size_t n, int default_port)
{
    /* a stable insertion sort: the answer order breaks ties */
    for (size_t i = 1; i < n; i++) {
        struct discovery_srv r = recs[i];
        size_t j = i;
        for (; j > 0 && cmp_srv(&recs[j - 1], &r) > 0; j--)
            recs[j] = recs[j - 1];
        recs[j] = r;
    }
    char **out = xcalloc(n ? n : 1, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        const char *t = recs[i].target;
        size_t len = strlen(t);
        if (len > 0 && t[len - 1] == '.')
            len--;
        int port = recs[i].port ? recs[i].port : default_port;
        char buf[600];
        snprintf(buf, sizeof buf, memchr(t, ':', len) ? "[%.*s]:%d" : "%.*s:%d",
                 (int)len, t, port);
        out[i] = xstrdup(buf);
    }
    return out;
}

void discovery_free(char **members, size_t n)
{
    for (size_t i = 0; members && i < n; i++)
        free(members[i]);
    free(members);
}
