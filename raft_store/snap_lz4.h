/* snap_lz4 — compressed snapshots.
 *
 * A node's background snapshot is written compressed: the store's
 * encoding streams through a small chunk buffer into an LZ4 frame
 * (lz4frame.h), straight into the caller's memory.  A million messages
 * take about an eighth of the bytes, so the snapshot child touches an
 * eighth of the pages, raft writes an eighth to disk and a leader sends an
 * eighth to a follower it installs.
 *
 * Layout: "SMZ1", the encoding's length (u64 little-endian, filled in at
 * the end), then one LZ4 frame with a content checksum.  The magic is not
 * LZ4's own, so raft hands the bytes to the FSM as they are and fsm
 * restore decodes them (snap_lz4_is_frame, snap_lz4_decode); the plain
 * encoding is still accepted.  Pure computation, any thread.
 */
#ifndef SMSC_SNAP_LZ4_H
#define SMSC_SNAP_LZ4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define SNAP_LZ4_HDR 12 /* magic + length */

struct snap_lz4_out {
    void *ctx;        /* LZ4F_cctx */
    uint8_t *dst;     /* the caller's memory */
    size_t cap;
    size_t len;       /* bytes written to dst so far */
    uint64_t plain;   /* encoding bytes taken so far */
    bool err;
    struct buf in;    /* where the encoder writes */
};

/* Starts a compressed snapshot in the cap bytes at dst; the encoder then
 * writes to &z->in.  -1 when LZ4 cannot start (nothing to end then). */
int snap_lz4_out_begin(struct snap_lz4_out *z, void *dst, size_t cap);
/* Ends it: the compressed snapshot's length, or -1 when it did not fit in
 * cap or LZ4 failed.  Frees what begin allocated either way. */
long long snap_lz4_out_end(struct snap_lz4_out *z);

/* The bytes are a compressed snapshot (by their magic). */
bool snap_lz4_is_frame(const uint8_t *p, size_t len);
/* The encoding's length a compressed snapshot declares (0 if none). */
uint64_t snap_lz4_plain_len(const uint8_t *p, size_t len);
/* Decompresses a compressed snapshot into *out (malloc'd, *out_len
 * bytes), refusing one that declares more than max bytes, trailing bytes,
 * a checksum mismatch and anything malformed.  0, or -1 with err set. */
int snap_lz4_decode(const uint8_t *p, size_t len, size_t max, uint8_t **out,
                    size_t *out_len, char *err, size_t errlen);

#endif
