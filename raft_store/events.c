/* events — the event log of a message (SPEC §4 "Event log").
 *
 * A message's events live in one growable block next to it, appended in
 * order, so the common two or three events cost one allocation:
 *
 *   event := at svar | code u8 | [name NUL] (EV_CUSTOM only) |
 *            description NUL | source NUL
 *
 * Strings are kept NUL-terminated so a reader hands out pointers into the
 * block.  Events older than event_ttl_days are purged on ticks (DL_EVENTS);
 * they leave the store with their message.
 */
#include "raft_store/store_int.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define EV_MAX_BYTES (64 * 1024) /* per message: older events give way */

static const char *const code_names[EV_CODE_COUNT] = {
    [EV_CUSTOM] = NULL,
    [EV_INSERTED] = "message_inserted",
    [EV_TRANSLATED] = "number_translated",
    [EV_ROUTED] = "message_routed",
    [EV_ROUTING_FAILED] = "routing_failed",
    [EV_CHARGING_ATTEMPTED] = "charging_attempted",
    [EV_CHARGING_FAILED] = "charging_failed",
    [EV_DELIVERED] = "message_delivered",
    [EV_FAILED] = "message_failed",
    [EV_DROPPED] = "message_dropped",
    [EV_AUTO_REPLY] = "auto_reply_sent",
    [EV_STATUS_REPORT] = "status_report_sent",
    [EV_DEAD_LETTER] = "message_dead_letter",
};

/* One decoded event; strings point into the block. */
struct ev_view {
    int64_t at;
    int code;
    const char *name;
    const char *desc;
    const char *source;
    size_t next;   /* offset of the following event */
};

static size_t put_svar(uint8_t *p, int64_t v)
{
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 0;
    while (u >= 0x80) {
        p[n++] = (uint8_t)(u | 0x80);
        u >>= 7;
    }
    p[n++] = (uint8_t)u;
    return n;
}

/* Reads the event at off; false when the bytes are not a valid event. */
static bool ev_read(const uint8_t *p, size_t len, size_t off,
                    struct ev_view *e)
{
    uint64_t u = 0;
    unsigned shift = 0;
    for (;;) {
        if (off >= len || shift > 63)
            return false;
        uint8_t b = p[off++];
        u |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    e->at = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    if (off >= len)
        return false;
    e->code = p[off++];
    if (e->code >= EV_CODE_COUNT)
        return false;
    const char **fields[3] = {&e->name, &e->desc, &e->source};
    e->name = code_names[e->code];
    for (int i = e->code == EV_CUSTOM ? 0 : 1; i < 3; i++) {
        const void *nul = memchr(p + off, 0, len - off);
        if (off >= len || nul == NULL)
            return false;
        *fields[i] = (const char *)p + off;
        off = (size_t)((const uint8_t *)nul - p) + 1;
    }
    e->next = off;
    return true;
}

static void ev_reserve(struct msg *m, size_t need)
{
    struct msg_events *ev = m->ev;
    size_t have = ev ? ev->cap : 0;
    size_t used = ev ? ev->len : 0;
    if (used + need <= have)
        return;
    /* A stored message usually carries its two arrival events and nothing
     * more for a while: the first block fits them exactly (a million
     * pending messages made a 96-byte start, doubled, cost ~90 bytes
     * each); later growth is by half. */
    size_t cap = have + have / 2;
    if (cap < used + need)
        cap = used + need;
    ev = xrealloc(ev, sizeof *ev + cap);
    if (m->ev == NULL)
        ev->len = ev->count = 0;
    size_t usable = malloc_usable_size(ev) - sizeof *ev;
    if (usable > cap && usable < UINT32_MAX)
        cap = usable; /* the allocator's rounding, free to use */
    ev->cap = (uint32_t)cap;
    m->ev = ev;
}

/* Drops the first n bytes (whole events) of the block. */
static void ev_shift(struct msg *m, size_t n, uint32_t events)
{
    struct msg_events *ev = m->ev;
    memmove(ev->data, ev->data + n, ev->len - n);
    ev->len -= (uint32_t)n;
    ev->count -= events;
}

static void ev_append(struct msg *m, int64_t at, int code, const char *name,
                      const char *desc, const char *source)
{
    size_t ln = code == EV_CUSTOM ? strlen(name) + 1 : 0;
    size_t ld = strlen(desc) + 1, ls = strlen(source) + 1;
    size_t need = 10 + 1 + ln + ld + ls;
    ev_reserve(m, need);
    struct msg_events *ev = m->ev;
    uint8_t *p = ev->data + ev->len;
    size_t n = put_svar(p, at);
    p[n++] = (uint8_t)code;
    if (ln) {
        memcpy(p + n, name, ln);
        n += ln;
    }
    memcpy(p + n, desc, ld);
    n += ld;
    memcpy(p + n, source, ls);
    n += ls;
    ev->len += (uint32_t)n;
    ev->count++;
}

void events_add(struct store *s, struct msg *m, int code, const char *name,
                const char *source, const char *fmt, ...)
{
    char desc[CMD_MAX_NOTE + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(desc, sizeof desc, fmt, ap);
    va_end(ap);
    if (source == NULL)
        source = s->cur_node ? s->cur_node : "";
    ev_append(m, s->clock, code, code == EV_CUSTOM ? name : NULL, desc,
              source);
    /* bounded: the oldest events give way to new ones */
    struct ev_view e;
    while (m->ev->len > EV_MAX_BYTES && m->ev->count > 1 &&
           ev_read(m->ev->data, m->ev->len, 0, &e))
        ev_shift(m, e.next, 1);
}

void events_free(struct msg *m)
{
    free(m->ev);
    m->ev = NULL;
}

int64_t events_oldest(const struct msg *m)
{
    struct ev_view e;
    if (m->ev == NULL || m->ev->count == 0 ||
        !ev_read(m->ev->data, m->ev->len, 0, &e))
        return TIME_NULL;
    return e.at;
}

void events_purge(struct store *s, struct msg *m)
{
    int64_t cutoff = s->tick - s->settings.event_ttl_days * 86400000LL;
    size_t off = 0;
    uint32_t dropped = 0;
    struct ev_view e;
    while (off < m->ev->len && ev_read(m->ev->data, m->ev->len, off, &e) &&
           e.at <= cutoff) {
        off = e.next;
        dropped++;
    }
    if (dropped == m->ev->count)
        events_free(m);
    else if (dropped > 0)
        ev_shift(m, off, dropped);
    store_reindex(s, m);
}

int events_block_each(const uint8_t *p, size_t len,
                      void (*fn)(const struct store_event *e, void *arg),
                      void *arg)
{
    size_t off = 0;
    struct ev_view e;
    while (off < len) {
        if (!ev_read(p, len, off, &e))
            return -1;
        struct store_event out = {e.at, e.name, e.desc, e.source};
        fn(&out, arg);
        off = e.next;
    }
    return 0;
}

int events_block_count(const uint8_t *p, size_t len, uint32_t *count)
{
    size_t off = 0;
    struct ev_view e;
    *count = 0;
    while (off < len) {
        if (!ev_read(p, len, off, &e))
            return -1;
        off = e.next;
        (*count)++;
    }
    return 0;
}

int store_events(const struct store *s, int64_t id,
                 void (*fn)(const struct store_event *e, void *arg),
                 void *arg)
{
    const struct msg *m = store_get(s, id);
    if (m == NULL)
        return -1;
    if (m->ev)
        events_block_each(m->ev->data, m->ev->len, fn, arg);
    return 0;
}

void events_encode(struct buf *b, const struct msg *m)
{
    uint32_t len = m->ev ? m->ev->len : 0;
    buf_put_uvar(b, len);
    if (len)
        buf_put(b, m->ev->data, len);
}

int events_decode(struct rd *r, struct msg *m)
{
    uint64_t len = rd_uvar_max(r, EV_MAX_BYTES + 4096);
    const uint8_t *p = rd_bytes(r, (size_t)len);
    if (r->err || p == NULL)
        return -1;
    if (len == 0)
        return 0;
    uint32_t count = 0;
    if (events_block_count(p, (size_t)len, &count) != 0)
        return -1;
    m->ev = NULL;
    ev_reserve(m, (size_t)len);
    memcpy(m->ev->data, p, (size_t)len);
    m->ev->len = (uint32_t)len;
    m->ev->count = count;
    return 0;
}
