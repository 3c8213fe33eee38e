/* media — the MMS and SS7 records: defaults, deep copy and the binary codec
 * shared by raft commands and snapshots (see media.h).
 *
 * Like tables.c, a record is a format version byte, its id (svar), its
 * strings (in the order of the *_STRINGS lists), then its scalars (enums as
 * uvar, sizes and times as svar).  Decoders reject a wrong version, any
 * overrun, a string longer than its bound and a value the record cannot
 * hold, and free what they built.
 */
#include "raft_store/media.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define MEDIA_CODEC_VERSION 1

static const char *const mms_status_names[MMS_STATUS_COUNT] = {
    [MMS_PENDING] = "pending",
    [MMS_DELIVERED] = "delivered",
    [MMS_FAILED] = "failed",
    [MMS_EXPIRED] = "expired",
};

const char *mms_status_name(int status)
{
    if (status < 0 || status >= MMS_STATUS_COUNT)
        return "unknown";
    return mms_status_names[status];
}

int mms_status_parse(const char *name, int *out)
{
    for (int i = 0; name && i < MMS_STATUS_COUNT; i++) {
        if (strcmp(name, mms_status_names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

/* ---- codec helpers ---- */

static void rd_version(struct rd *rd)
{
    if (rd_u8(rd) != MEDIA_CODEC_VERSION)
        rd->err = -1;
}

/* A signed varint that must be >= lo; sets rd->err otherwise. */
static int64_t rd_svar_min(struct rd *rd, int64_t lo)
{
    int64_t v = rd_svar(rd);
    if (v < lo) {
        rd->err = -1;
        return lo;
    }
    return v;
}

#define PUT_STR(f) buf_put_str(b, r->f);
#define GET_STR(f) r->f = rd_str(rd, MEDIA_MAX_STR);
#define FREE_STR(f) free(r->f);
#define COPY_STR(f) dst->f = xstrdup(src->f);

/* ---- MMS messages ---- */

#define MMS_STRINGS(X)                                                         \
    X(source_msisdn)                                                           \
    X(destination_msisdn)                                                      \
    X(subject)                                                                 \
    X(content_type)                                                            \
    X(content_location)

void mms_rec_init(struct mms_rec *r)
{
    memset(r, 0, sizeof *r);
    r->status = MMS_PENDING;
    r->inserted_at = TIME_NULL;
    r->updated_at = TIME_NULL;
}

void mms_rec_free(struct mms_rec *r)
{
    MMS_STRINGS(FREE_STR)
    mms_rec_init(r);
}

void mms_rec_copy(struct mms_rec *dst, const struct mms_rec *src)
{
    *dst = *src;
    MMS_STRINGS(COPY_STR)
}

void mms_rec_encode(struct buf *b, const struct mms_rec *r)
{
    buf_put_u8(b, MEDIA_CODEC_VERSION);
    buf_put_svar(b, r->id);
    MMS_STRINGS(PUT_STR)
    buf_put_svar(b, r->message_size);
    buf_put_uvar(b, r->status);
    buf_put_svar(b, r->inserted_at);
    buf_put_svar(b, r->updated_at);
}

int mms_rec_decode(struct rd *rd, struct mms_rec *r)
{
    mms_rec_init(r);
    rd_version(rd);
    r->id = rd_svar_min(rd, 0);
    MMS_STRINGS(GET_STR)
    r->message_size = rd_svar_min(rd, 0);
    r->status = (uint8_t)rd_uvar_max(rd, MMS_STATUS_COUNT - 1);
    r->inserted_at = rd_svar(rd);
    r->updated_at = rd_svar(rd);
    if (rd->err) {
        mms_rec_free(r);
        return -1;
    }
    return 0;
}

/* ---- SS7 events ---- */

#define SS7_STRINGS(X)                                                         \
    X(event_type)                                                              \
    X(imsi)                                                                    \
    X(msisdn)

void ss7_rec_init(struct ss7_rec *r)
{
    memset(r, 0, sizeof *r);
    r->timestamp = TIME_NULL;
    r->inserted_at = TIME_NULL;
    r->updated_at = TIME_NULL;
}

void ss7_rec_free(struct ss7_rec *r)
{
    SS7_STRINGS(FREE_STR)
    free(r->details);
    ss7_rec_init(r);
}

void ss7_rec_copy(struct ss7_rec *dst, const struct ss7_rec *src)
{
    *dst = *src;
    SS7_STRINGS(COPY_STR)
    dst->details = xstrdup(src->details);
}

void ss7_rec_encode(struct buf *b, const struct ss7_rec *r)
{
    buf_put_u8(b, MEDIA_CODEC_VERSION);
    buf_put_svar(b, r->id);
    SS7_STRINGS(PUT_STR)
    buf_put_str(b, r->details);
    buf_put_svar(b, r->timestamp);
    buf_put_svar(b, r->inserted_at);
    buf_put_svar(b, r->updated_at);
}

int ss7_rec_decode(struct rd *rd, struct ss7_rec *r)
{
    ss7_rec_init(r);
    rd_version(rd);
    r->id = rd_svar_min(rd, 0);
    SS7_STRINGS(GET_STR)
    r->details = rd_str(rd, SS7_MAX_DETAILS);
    r->timestamp = rd_svar(rd);
    r->inserted_at = rd_svar(rd);
    r->updated_at = rd_svar(rd);
    if (rd->err) {
        ss7_rec_free(r);
        return -1;
    }
    return 0;
}
