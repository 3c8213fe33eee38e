/* mediajson — MMS messages and SS7 events to and from JSON (see
 * mediajson.h).
 *
 * As in tablejson.c, each record type is a table of its JSON fields (name,
 * kind, offset, bound) that the fieldjson engine walks to take a body — on
 * a private copy of the record, refusing unknown keys, wrong types and
 * out-of-range values with a detail naming the field — and to render a
 * record.  What a single field cannot say (required fields, number
 * formats) is checked on the whole record afterwards.
 */
#include "api/mediajson.h"

#include <string.h>

#include "api/fieldjson.h"
#include "server/smstext.h"

#define NUMBER_MAX_LEN 64
#define EVENT_TYPE_MAX_LEN 64

static enum fj_mode fj_mode_of(enum media_json_mode mode)
{
    return mode == MEDIA_JSON_PATCH ? FJ_PATCH : FJ_CREATE;
}

/* ---- MMS messages ---- */

static const struct fj_enum mms_status_enum = {
    mms_status_parse, mms_status_name, "pending, delivered, failed, expired",
    false, 0};

#define MF(name, kind, member, max)                                            \
    {name, kind, offsetof(struct mms_rec, member), 0, max, NULL, NULL}

static const struct fj_field mms_fields[] = {
    MF("id", FJ_ID, id, 0),
    MF("source_msisdn", FJ_STR, source_msisdn, NUMBER_MAX_LEN),
    MF("destination_msisdn", FJ_STR, destination_msisdn, NUMBER_MAX_LEN),
    MF("subject", FJ_STR, subject, 1024),
    MF("content_type", FJ_STR, content_type, 255),
    MF("content_location", FJ_STR, content_location, MEDIA_MAX_STR),
    MF("message_size", FJ_SIZE, message_size, 0),
    {"status", FJ_ENUM, offsetof(struct mms_rec, status), 0, 0,
     &mms_status_enum, NULL},
    MF("inserted_at", FJ_STAMP, inserted_at, 0),
    MF("updated_at", FJ_STAMP, updated_at, 0),
};

static int check_mms(const void *rec, struct fj_ctx *c)
{
    const struct mms_rec *r = rec;
    if (r->source_msisdn == NULL)
        return fj_fail(c, 422, "source_msisdn is required");
    if (r->destination_msisdn == NULL)
        return fj_fail(c, 422, "destination_msisdn is required");
    if (!sms_valid_source(r->source_msisdn))
        return fj_fail(c, 422, "Invalid phone number format (source_msisdn)");
    if (!sms_valid_destination(r->destination_msisdn))
        return fj_fail(c, 422,
                       "Invalid phone number format (destination_msisdn)");
    return 0;
}

FJ_REC_OPS(mms, struct mms_rec)

static const struct fj_type mms_type = {
    mms_fields, FJ_NFIELDS(mms_fields), sizeof(struct mms_rec),
    mms_init_v, mms_copy_v, mms_free_v, check_mms};

int mms_from_json(json_t *o, struct mms_rec *r, enum media_json_mode mode,
                  char *err, size_t errlen)
{
    return fj_from_json(&mms_type, o, r, fj_mode_of(mode), err, errlen);
}

json_t *mms_to_json(const struct mms_rec *r)
{
    return fj_to_json(mms_fields, FJ_NFIELDS(mms_fields), r);
}

/* ---- SS7 events ---- */

#define SF(name, kind, member, max)                                            \
    {name, kind, offsetof(struct ss7_rec, member), 0, max, NULL, NULL}

static const struct fj_field ss7_fields[] = {
    SF("id", FJ_ID, id, 0),
    SF("event_type", FJ_STR, event_type, EVENT_TYPE_MAX_LEN),
    SF("imsi", FJ_STR, imsi, NUMBER_MAX_LEN),
    SF("msisdn", FJ_STR, msisdn, NUMBER_MAX_LEN),
    SF("timestamp", FJ_TIME_SET, timestamp, 0),
    SF("details", FJ_JSON, details, SS7_MAX_DETAILS),
    SF("inserted_at", FJ_STAMP, inserted_at, 0),
    SF("updated_at", FJ_STAMP, updated_at, 0),
};

bool ss7_valid_event_type(const char *s)
{
    static const char upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= EVENT_TYPE_MAX_LEN && strchr(upper, s[0]) &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

static int check_ss7(const void *rec, struct fj_ctx *c)
{
    const struct ss7_rec *r = rec;
    if (r->event_type == NULL)
        return fj_fail(c, 422, "event_type is required");
    if (!ss7_valid_event_type(r->event_type))
        return fj_fail(c, 422, "event_type must be an upper-case identifier "
                               "such as MAP_UPDATE_LOCATION (A-Z, 0-9, _)");
    if (r->imsi && !fj_valid_imsi(r->imsi))
        return fj_fail(c, 422, "imsi must be 5 to 15 digits");
    if (r->msisdn && !sms_valid_destination(r->msisdn))
        return fj_fail(c, 422, "Invalid phone number format (msisdn)");
    return 0;
}

FJ_REC_OPS(ss7, struct ss7_rec)

static const struct fj_type ss7_type = {
    ss7_fields, FJ_NFIELDS(ss7_fields), sizeof(struct ss7_rec),
    ss7_init_v, ss7_copy_v, ss7_free_v, check_ss7};

int ss7_from_json(json_t *o, struct ss7_rec *r, enum media_json_mode mode,
                  char *err, size_t errlen)
{
    return fj_from_json(&ss7_type, o, r, fj_mode_of(mode), err, errlen);
}

json_t *ss7_to_json(const struct ss7_rec *r)
{
    return fj_to_json(ss7_fields, FJ_NFIELDS(ss7_fields), r);
}
