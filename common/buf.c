/* buf — growable byte buffer and bounds-checked reader (see buf.h). */
#include "common/buf.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

void buf_init(struct buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->flush = NULL;
    b->flush_arg = NULL;
}

void buf_init_sink(struct buf *b, size_t chunk,
                   void (*flush)(const uint8_t *p, size_t n, void *arg),
                   void *arg)
{
    buf_init(b);
    b->data = xmalloc(chunk);
    b->cap = chunk;
    b->flush = flush;
    b->flush_arg = arg;
}

void buf_flush(struct buf *b)
{
    if (b->flush != NULL && b->len > 0)
        b->flush(b->data, b->len, b->flush_arg);
    b->len = 0;
}

void buf_free(struct buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
}

void buf_reserve(struct buf *b, size_t n)
{
    if (b->cap - b->len >= n)
        return;
    if (b->flush != NULL) {
        buf_flush(b);
        if (b->cap >= n)
            return;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len < n)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

uint8_t *buf_steal(struct buf *b, size_t *len)
{
    uint8_t *p = b->data;
    if (len)
        *len = b->len;
    buf_init(b);
    return p;
}

void buf_put(struct buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void buf_put_u8(struct buf *b, uint8_t v)
{
    buf_reserve(b, 1);
    b->data[b->len++] = v;
}

void buf_put_u32le(struct buf *b, uint32_t v)
{
    buf_reserve(b, 4);
    for (int i = 0; i < 4; i++)
        b->data[b->len++] = (uint8_t)(v >> (8 * i));
}

void buf_put_u64le(struct buf *b, uint64_t v)
{
    buf_reserve(b, 8);
    for (int i = 0; i < 8; i++)
        b->data[b->len++] = (uint8_t)(v >> (8 * i));
}

void buf_set_u32le(struct buf *b, size_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b->data[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

void buf_put_uvar(struct buf *b, uint64_t v)
{
    buf_reserve(b, 10);
    while (v >= 0x80) {
        b->data[b->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b->data[b->len++] = (uint8_t)v;
}

void buf_put_svar(struct buf *b, int64_t v)
{
    buf_put_uvar(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void buf_put_bool(struct buf *b, bool v)
{
    buf_put_u8(b, v ? 1 : 0);
}

void buf_put_strn(struct buf *b, const char *s, size_t n)
{
    buf_put_uvar(b, (uint64_t)n + 1);
    buf_put(b, s, n);
}

void buf_put_str(struct buf *b, const char *s)
{
    if (s == NULL)
        buf_put_uvar(b, 0);
    else
        buf_put_strn(b, s, strlen(s));
}

void rd_init(struct rd *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
    r->err = 0;
}

bool rd_done(const struct rd *r)
{
    return r->err == 0 && r->off == r->len;
}

size_t rd_left(const struct rd *r)
{
    return r->err ? 0 : r->len - r->off;
}

const uint8_t *rd_bytes(struct rd *r, size_t n)
{
    if (r->err || r->len - r->off < n) {
        r->err = -1;
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += n;
    return p;
}

uint8_t rd_u8(struct rd *r)
{
    const uint8_t *p = rd_bytes(r, 1);
    return p ? p[0] : 0;
}

uint32_t rd_u32le(struct rd *r)
{
    const uint8_t *p = rd_bytes(r, 4);
    uint32_t v = 0;
    for (int i = 0; p && i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

uint64_t rd_u64le(struct rd *r)
{
    const uint8_t *p = rd_bytes(r, 8);
    uint64_t v = 0;
    for (int i = 0; p && i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

uint64_t rd_uvar(struct rd *r)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        const uint8_t *p = rd_bytes(r, 1);
        if (p == NULL)
            return 0;
        if (shift == 63 && (p[0] & 0x7e)) /* would overflow 64 bits */
            break;
        v |= (uint64_t)(p[0] & 0x7f) << shift;
        if ((p[0] & 0x80) == 0)
            return v;
    }
    r->err = -1;
    return 0;
}

int64_t rd_svar(struct rd *r)
{
    uint64_t u = rd_uvar(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

uint64_t rd_uvar_max(struct rd *r, uint64_t max)
{
    uint64_t v = rd_uvar(r);
    if (v > max) {
        r->err = -1;
        return 0;
    }
    return v;
}

bool rd_bool(struct rd *r)
{
    uint8_t v = rd_u8(r);
    if (v > 1)
        r->err = -1;
    return v == 1;
}

char *rd_str(struct rd *r, size_t maxlen)
{
    uint64_t n = rd_uvar(r);
    if (r->err || n == 0)
        return NULL;
    n -= 1;
    if (n > maxlen) {
        r->err = -1;
        return NULL;
    }
    const uint8_t *p = rd_bytes(r, (size_t)n);
    if (p == NULL || memchr(p, 0, (size_t)n) != NULL) {
        r->err = -1;
        return NULL;
    }
    return xstrndup((const char *)p, (size_t)n);
}
