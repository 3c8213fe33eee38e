/* buf — a growable byte buffer and a length-checked reader.
 *
 * The binary formats of smsc (raft commands, snapshots) are written with
 * buf_put_* and read back with rd_*.  Integers are LEB128 varints (signed
 * ones zig-zag encoded); strings are a varint of (length + 1) followed by
 * the bytes, with 0 meaning NULL.  A reader never reads past its end: the
 * first overrun or malformed value sets rd->err and every later read
 * returns zero/NULL, so a decoder checks rd->err once at the end.
 * Not thread-safe; any thread may own one.
 */
#ifndef SMSC_BUF_H
#define SMSC_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    /* Set by buf_init_sink: called with the bytes so far whenever more
     * would not fit, after which the buffer starts again empty. */
    void (*flush)(const uint8_t *p, size_t n, void *arg);
    void *flush_arg;
};

void buf_init(struct buf *b);
/* A streaming buffer of about chunk bytes: what is written reaches flush
 * in order, a chunk at a time (a single write longer than a chunk grows
 * it); buf_flush hands over the rest.  Only for writers that append:
 * bytes already flushed are gone.  buf_free frees the chunk. */
void buf_init_sink(struct buf *b, size_t chunk,
                   void (*flush)(const uint8_t *p, size_t n, void *arg),
                   void *arg);
void buf_flush(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
/* Ensures room for n more bytes. */
void buf_reserve(struct buf *b, size_t n);
/* Hands the bytes to the caller (who frees them with free()); b is empty. */
uint8_t *buf_steal(struct buf *b, size_t *len);

void buf_put(struct buf *b, const void *p, size_t n);
void buf_put_u8(struct buf *b, uint8_t v);
void buf_put_u32le(struct buf *b, uint32_t v);
void buf_put_u64le(struct buf *b, uint64_t v);
void buf_put_uvar(struct buf *b, uint64_t v);
void buf_put_svar(struct buf *b, int64_t v);
void buf_put_bool(struct buf *b, bool v);
/* s may be NULL. */
void buf_put_str(struct buf *b, const char *s);
void buf_put_strn(struct buf *b, const char *s, size_t n);
/* Overwrites 4 bytes at off (which must be inside the buffer). */
void buf_set_u32le(struct buf *b, size_t off, uint32_t v);

struct rd {
    const uint8_t *p;
    size_t len;
    size_t off;
    int err; /* 0, or -1 after the first bad read */
};

void rd_init(struct rd *r, const void *p, size_t len);
bool rd_done(const struct rd *r); /* no error and nothing left */
size_t rd_left(const struct rd *r);
uint8_t rd_u8(struct rd *r);
uint32_t rd_u32le(struct rd *r);
uint64_t rd_u64le(struct rd *r);
uint64_t rd_uvar(struct rd *r);
int64_t rd_svar(struct rd *r);
/* A varint that must fit in [0, max]; sets err otherwise. */
uint64_t rd_uvar_max(struct rd *r, uint64_t max);
bool rd_bool(struct rd *r);
/* Borrows n bytes from the input; NULL on overrun. */
const uint8_t *rd_bytes(struct rd *r, size_t n);
/* A string as a new NUL-terminated copy (NULL for a NULL string or on
 * error; check r->err).  Strings holding a NUL byte or longer than maxlen
 * are errors. */
char *rd_str(struct rd *r, size_t maxlen);

#endif
