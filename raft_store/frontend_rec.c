/* frontend_rec — the frontend registration record: defaults, deep copy and
 * the binary codec shared by raft commands and snapshots (see
 * frontends.h).
 *
 * Encoding: a format version byte, id (svar), the strings in the order of
 * FE_STRINGS with their own bounds, uptime_seconds (svar), status (uvar),
 * then last_seen_at, expires_at, inserted_at, updated_at (svars).  The
 * decoder rejects a wrong version, any overrun, a missing or malformed
 * frontend_name and every value the record cannot hold.
 */
#include "raft_store/frontends.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define FE_CODEC_VERSION 1

/* field, bound */
#define FE_STRINGS(X)                                                          \
    X(frontend_name, FE_MAX_NAME)                                              \
    X(frontend_type, FE_MAX_TYPE)                                              \
    X(ip_address, FE_MAX_IP)                                                   \
    X(hostname, FE_MAX_HOST)                                                   \
    X(configuration, FE_MAX_CONFIG)

#define PUT_STR(f, max) buf_put_str(b, r->f);
#define GET_STR(f, max) r->f = rd_str(rd, max);
#define FREE_STR(f, max) free(r->f);
#define COPY_STR(f, max) dst->f = xstrdup(src->f);

static const char *const status_names[FE_STATUS_COUNT] = {
    [FE_ACTIVE] = "active",
    [FE_EXPIRED] = "expired",
};

void frontend_rec_init(struct frontend_rec *r)
{
    memset(r, 0, sizeof *r);
    r->uptime_seconds = FE_UPTIME_NULL;
    r->status = FE_ACTIVE;
    r->last_seen_at = TIME_NULL;
    r->expires_at = TIME_NULL;
    r->inserted_at = TIME_NULL;
    r->updated_at = TIME_NULL;
}

void frontend_rec_free(struct frontend_rec *r)
{
    FE_STRINGS(FREE_STR)
    frontend_rec_init(r);
}

void frontend_rec_copy(struct frontend_rec *dst,
                       const struct frontend_rec *src)
{
    *dst = *src;
    FE_STRINGS(COPY_STR)
}

void frontend_rec_encode(struct buf *b, const struct frontend_rec *r)
{
    buf_put_u8(b, FE_CODEC_VERSION);
    buf_put_svar(b, r->id);
    FE_STRINGS(PUT_STR)
    buf_put_svar(b, r->uptime_seconds);
    buf_put_uvar(b, r->status);
    buf_put_svar(b, r->last_seen_at);
    buf_put_svar(b, r->expires_at);
    buf_put_svar(b, r->inserted_at);
    buf_put_svar(b, r->updated_at);
}

int frontend_rec_decode(struct rd *rd, struct frontend_rec *r)
{
    frontend_rec_init(r);
    if (rd_u8(rd) != FE_CODEC_VERSION)
        rd->err = -1;
    r->id = rd_svar(rd);
    FE_STRINGS(GET_STR)
    r->uptime_seconds = rd_svar(rd);
    r->status = (uint8_t)rd_uvar_max(rd, FE_STATUS_COUNT - 1);
    r->last_seen_at = rd_svar(rd);
    r->expires_at = rd_svar(rd);
    r->inserted_at = rd_svar(rd);
    r->updated_at = rd_svar(rd);
    if (r->id < 0 || r->uptime_seconds < FE_UPTIME_NULL ||
        !frontend_name_valid(r->frontend_name))
        rd->err = -1;
    if (rd->err) {
        frontend_rec_free(r);
        return -1;
    }
    return 0;
}

bool frontend_name_valid(const char *s)
{
    if (s == NULL)
        return false;
    size_t n = strlen(s);
    return n >= 1 && n <= FE_MAX_NAME &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789._:@-") == n;
}

const char *frontend_status_name(int status)
{
    if (status < 0 || status >= FE_STATUS_COUNT)
        return "unknown";
    return status_names[status];
}
