/* snap_lz4 — compressed snapshots (see snap_lz4.h). */
#include "raft_store/snap_lz4.h"

#include <lz4frame.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define CHUNK (1u << 20) /* encoding bytes per compression call */

static const uint8_t magic[4] = {'S', 'M', 'Z', '1'};

static const LZ4F_preferences_t prefs = {
    .frameInfo = {.blockSizeID = LZ4F_max64KB,
                  .blockMode = LZ4F_blockLinked,
                  .contentChecksumFlag = LZ4F_contentChecksumEnabled},
    .compressionLevel = 0, /* fast */
};

static void put_u64le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void compress_chunk(const uint8_t *p, size_t n, void *arg)
{
    struct snap_lz4_out *z = arg;
    if (z->err)
        return;
    if (LZ4F_compressBound(n, &prefs) > z->cap - z->len) {
        z->err = true;
        return;
    }
    size_t w = LZ4F_compressUpdate(z->ctx, z->dst + z->len, z->cap - z->len,
                                   p, n, NULL);
    if (LZ4F_isError(w)) {
        z->err = true;
        return;
    }
    z->len += w;
    z->plain += n;
}

int snap_lz4_out_begin(struct snap_lz4_out *z, void *dst, size_t cap)
{
    LZ4F_cctx *ctx = NULL;
    memset(z, 0, sizeof *z);
    if (cap < SNAP_LZ4_HDR + LZ4F_HEADER_SIZE_MAX ||
        LZ4F_isError(LZ4F_createCompressionContext(&ctx, LZ4F_VERSION)))
        return -1;
    z->ctx = ctx;
    z->dst = dst;
    z->cap = cap;
    memcpy(z->dst, magic, sizeof magic);
    put_u64le(z->dst + sizeof magic, 0);
    size_t w = LZ4F_compressBegin(ctx, z->dst + SNAP_LZ4_HDR,
                                  cap - SNAP_LZ4_HDR, &prefs);
    if (LZ4F_isError(w)) {
        LZ4F_freeCompressionContext(ctx);
        return -1;
    }
    z->len = SNAP_LZ4_HDR + w;
    buf_init_sink(&z->in, CHUNK, compress_chunk, z);
    return 0;
}

long long snap_lz4_out_end(struct snap_lz4_out *z)
{
    buf_flush(&z->in);
    buf_free(&z->in);
    if (!z->err && LZ4F_compressBound(0, &prefs) <= z->cap - z->len) {
        size_t w = LZ4F_compressEnd(z->ctx, z->dst + z->len, z->cap - z->len,
                                    NULL);
        if (LZ4F_isError(w))
            z->err = true;
        else
            z->len += w;
    } else {
        z->err = true;
    }
    LZ4F_freeCompressionContext(z->ctx);
    z->ctx = NULL;
    if (z->err)
        return -1;
    put_u64le(z->dst + sizeof magic, z->plain);
    return (long long)z->len;
}

bool snap_lz4_is_frame(const uint8_t *p, size_t len)
{
    return len >= sizeof magic && memcmp(p, magic, sizeof magic) == 0;
}

uint64_t snap_lz4_plain_len(const uint8_t *p, size_t len)
{
    if (!snap_lz4_is_frame(p, len) || len < SNAP_LZ4_HDR)
        return 0;
    return get_u64le(p + sizeof magic);
}

int snap_lz4_decode(const uint8_t *p, size_t len, size_t max, uint8_t **out,
                    size_t *out_len, char *err, size_t errlen)
{
    *out = NULL;
    *out_len = 0;
    if (!snap_lz4_is_frame(p, len) || len < SNAP_LZ4_HDR) {
        snprintf(err, errlen, "not a compressed snapshot");
        return -1;
    }
    uint64_t plain = get_u64le(p + sizeof magic);
    if (plain > max) {
        snprintf(err, errlen,
                 "compressed snapshot declares %llu bytes, more than %zu",
                 (unsigned long long)plain, max);
        return -1;
    }
    LZ4F_dctx *ctx = NULL;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
        snprintf(err, errlen, "cannot start LZ4");
        return -1;
    }
    uint8_t *dst = xmalloc(plain ? (size_t)plain : 1);
    size_t src_off = SNAP_LZ4_HDR, dst_off = 0, ret = 1;
    const char *why = NULL;
    while (ret != 0) {
        size_t src_n = len - src_off, dst_n = (size_t)plain - dst_off;
        if (src_n == 0) {
            why = "truncated";
            break;
        }
        ret = LZ4F_decompress(ctx, dst + dst_off, &dst_n, p + src_off, &src_n,
                              NULL);
        if (LZ4F_isError(ret)) {
            why = LZ4F_getErrorName(ret);
            break;
        }
        src_off += src_n;
        dst_off += dst_n;
        if (ret != 0 && src_n == 0 && dst_n == 0) {
            why = "longer than it declares";
            break;
        }
    }
    LZ4F_freeDecompressionContext(ctx);
    if (why == NULL && src_off != len)
        why = "bytes after the frame";
    if (why == NULL && dst_off != plain)
        why = "shorter than it declares";
    if (why != NULL) {
        snprintf(err, errlen, "compressed snapshot: %s", why);
        free(dst);
        return -1;
    }
    *out = dst;
    *out_len = (size_t)plain;
    return 0;
}
