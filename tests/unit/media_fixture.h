/* media_fixture — one interface over the two media record types (MMS
 * message, SS7 event) for the codec tests and the fuzz target: init,
 * free, copy, binary and JSON codecs by kind. */
#ifndef SMSC_MEDIA_FIXTURE_H
#define SMSC_MEDIA_FIXTURE_H

#include "api/mediajson.h"
#include "raft_store/media.h"

enum kind { MMS, SS7 };

union rec {
    struct mms_rec mms;
    struct ss7_rec ss7;
};

static inline void rec_init(enum kind k, union rec *r)
{
    if (k == MMS)
        mms_rec_init(&r->mms);
    else
        ss7_rec_init(&r->ss7);
}

static inline void rec_free(enum kind k, union rec *r)
{
    if (k == MMS)
        mms_rec_free(&r->mms);
    else
        ss7_rec_free(&r->ss7);
}

static inline void rec_copy(enum kind k, union rec *dst, const union rec *src)
{
    if (k == MMS)
        mms_rec_copy(&dst->mms, &src->mms);
    else
        ss7_rec_copy(&dst->ss7, &src->ss7);
}

static inline void rec_encode(enum kind k, struct buf *b, const union rec *r)
{
    if (k == MMS)
        mms_rec_encode(b, &r->mms);
    else
        ss7_rec_encode(b, &r->ss7);
}

static inline int rec_decode(enum kind k, struct rd *rd, union rec *r)
{
    return k == MMS ? mms_rec_decode(rd, &r->mms) : ss7_rec_decode(rd, &r->ss7);
}

static inline json_t *rec_to_json(enum kind k, const union rec *r)
{
    return k == MMS ? mms_to_json(&r->mms) : ss7_to_json(&r->ss7);
}

static inline int rec_from_json(enum kind k, json_t *o, union rec *r,
                                enum media_json_mode mode, char *err,
                                size_t len)
{
    return k == MMS ? mms_from_json(o, &r->mms, mode, err, len)
                    : ss7_from_json(o, &r->ss7, mode, err, len);
}

#endif
