/* ratelimit — per-client-IP request limits (SPEC §3).
 *
 * A fixed one-second window per (client IP, route class): POST
 * /api/messages, create_async, messages_raw and GET /api/... each have their
 * own limit (rate_limits.*).  Counted once, on the node the client reached
 * (forwarded requests are not counted again).  Every limited response
 * carries X-RateLimit-Limit / -Remaining / -Reset (epoch seconds); past the
 * limit the answer is 429 saying when to retry.  Counters live in 16
 * locked shards; a shard sweeps out stale windows when it grows, so memory
 * stays bounded by the number of clients seen in the last second.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hmap.h"
#include "common/xalloc.h"
#include "server/config.h"

#define SHARDS 16
#define SWEEP_AT 65536

struct window {
    int64_t second;
    uint32_t count;
};

struct shard {
    pthread_mutex_t lock;
    struct hmap_u64 map; /* guarded by lock: hash(ip, class) -> window */
};

struct ratelimit {
    bool enabled;
    int limit[RATE_READ + 1];
    struct shard shards[SHARDS];
};

struct ratelimit *ratelimit_new(const struct config *cfg)
{
    struct ratelimit *rl = xcalloc(1, sizeof *rl);
    rl->enabled = cfg->rate_limits.enabled;
    rl->limit[RATE_SUBMIT] = cfg->rate_limits.messages_per_second;
    rl->limit[RATE_ASYNC] = cfg->rate_limits.async_per_second;
    rl->limit[RATE_RAW] = cfg->rate_limits.raw_per_second;
    rl->limit[RATE_READ] = cfg->rate_limits.reads_per_second;
    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_init(&rl->shards[i].lock, NULL);
        hmap_u64_init(&rl->shards[i].map);
    }
    return rl;
}

static void clear_map(struct hmap_u64 *m)
{
    size_t pos = 0;
    uint64_t key;
    void *val;
    while (hmap_u64_next(m, &pos, &key, &val))
        free(val);
    hmap_u64_free(m);
}

void ratelimit_free(struct ratelimit *rl)
{
    if (rl == NULL)
        return;
    for (int i = 0; i < SHARDS; i++) {
        clear_map(&rl->shards[i].map);
        pthread_mutex_destroy(&rl->shards[i].lock);
    }
    free(rl);
}

/* Drops windows older than now; rebuilds the map without them. */
static void sweep(struct hmap_u64 *m, int64_t now)
{
    struct hmap_u64 fresh;
    hmap_u64_init(&fresh);
    size_t pos = 0;
    uint64_t key;
    void *val;
    while (hmap_u64_next(m, &pos, &key, &val)) {
        if (((struct window *)val)->second >= now)
            hmap_u64_put(&fresh, key, val);
        else
            free(val);
    }
    hmap_u64_free(m);
    *m = fresh;
}

/* Counts one request; returns the count in the current window. */
static uint32_t count(struct ratelimit *rl, uint64_t key, int64_t now)
{
    struct shard *s = &rl->shards[key % SHARDS];
    pthread_mutex_lock(&s->lock);
    struct window *w = hmap_u64_get(&s->map, key);
    if (w == NULL) {
        if (s->map.count >= SWEEP_AT)
            sweep(&s->map, now);
        w = xcalloc(1, sizeof *w);
        hmap_u64_put(&s->map, key, w);
    }
    if (w->second != now) {
        w->second = now;
        w->count = 0;
    }
    uint32_t c = ++w->count;
    pthread_mutex_unlock(&s->lock);
    return c;
}

static void add_int_header(struct api_req *r, const char *name, long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    evhttp_add_header(evhttp_request_get_output_headers(r->req), name, buf);
}

bool ratelimit_check(struct ratelimit *rl, struct api_req *r)
{
    enum rate_class cls = r->route->rate;
    if (!rl->enabled || cls == RATE_NONE)
        return true;
    int64_t now = (int64_t)time(NULL);
    uint64_t key = hash_bytes(r->client_ip, strlen(r->client_ip), (uint64_t)cls);
    uint32_t c = count(rl, key, now);
    int limit = rl->limit[cls];
    add_int_header(r, "X-RateLimit-Limit", limit);
    add_int_header(r, "X-RateLimit-Remaining",
                   c >= (uint32_t)limit ? 0 : (long long)(limit - (int)c));
    add_int_header(r, "X-RateLimit-Reset", now + 1);
    if (c <= (uint32_t)limit)
        return true;
    add_int_header(r, "Retry-After", 1);
    api_reply_error(r, 429,
                    "Rate limit of %d requests/s exceeded for %s; retry after "
                    "%lld (in 1 s)",
                    limit, r->client_ip, (long long)(now + 1));
    return false;
}
