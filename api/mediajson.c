/* mediajson — MMS messages and SS7 events to and from JSON (see
 * mediajson.h).
 *
 * As in tablejson.c, each record type is a table of its JSON fields (name,
 * kind, offset, bound); one engine applies a body to a private copy of the
 * record — unknown keys, wrong types and out-of-range values refused with a
 * detail naming the field — and one renderer walks the table.  What a
 * single field cannot say (required fields, number formats) is checked on
 * the whole record afterwards.
 */
#include "api/mediajson.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jsonfmt.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "server/smstext.h"

#define NUMBER_MAX_LEN 64
#define EVENT_TYPE_MAX_LEN 64

enum mkind {
    M_STR,    /* char *: string or null, at most .max bytes */
    M_SIZE,   /* int64_t: an integer >= 0 */
    M_STATUS, /* uint8_t enum mms_status */
    M_TIME,   /* int64_t ms: an RFC 3339 time (not null) */
    M_JSON,   /* char *: any JSON value, kept as compact text (null: NULL) */
    M_ID,     /* int64_t: read-only, ignored on input */
    M_STAMP,  /* int64_t ms: read-only, ignored on input */
};

struct mfield {
    const char *name;
    enum mkind kind;
    size_t off;
    size_t max;
};

struct mctx {
    char *err;
    size_t errlen;
    int status;
};

static int fail(struct mctx *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct mctx *c, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    c->status = status;
    return -1;
}

/* ---- one field from JSON ---- */

static int set_str(const struct mfield *f, json_t *v, char **dst,
                   struct mctx *c)
{
    if (json_is_null(v)) {
        free(*dst);
        *dst = NULL;
        return 0;
    }
    if (!json_is_string(v))
        return fail(c, 422, "%s must be a string or null", f->name);
    size_t n = json_string_length(v);
    if (n > f->max)
        return fail(c, 422, "%s must be at most %zu bytes long", f->name,
                    f->max);
    if (strlen(json_string_value(v)) != n)
        return fail(c, 422, "%s must not contain NUL characters", f->name);
    free(*dst);
    *dst = xstrdup(json_string_value(v));
    return 0;
}

static int set_size(const struct mfield *f, json_t *v, int64_t *dst,
                    struct mctx *c)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fail(c, 422, "%s must be an integer >= 0", f->name);
    *dst = json_integer_value(v);
    return 0;
}

static int set_status(const struct mfield *f, json_t *v, uint8_t *dst,
                      struct mctx *c)
{
    int st;
    if (!json_is_string(v) || mms_status_parse(json_string_value(v), &st))
        return fail(c, 422, "%s must be one of pending, delivered, failed, "
                            "expired", f->name);
    *dst = (uint8_t)st;
    return 0;
}

static int set_time(const struct mfield *f, json_t *v, int64_t *dst,
                    struct mctx *c)
{
    if (!json_is_string(v) || time_parse(json_string_value(v), dst) != 0)
        return fail(c, 422, "%s must be an RFC 3339 time such as "
                            "2025-10-30T12:00:00Z", f->name);
    return 0;
}

static int set_json(const struct mfield *f, json_t *v, char **dst,
                    struct mctx *c)
{
    char *text = NULL;
    if (!json_is_null(v)) {
        text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (text == NULL)
            return fail(c, 422, "%s cannot be encoded as JSON", f->name);
        if (strlen(text) > f->max) {
            free(text);
            return fail(c, 422, "%s must be at most %zu bytes as compact JSON",
                        f->name, f->max);
        }
    }
    free(*dst);
    *dst = text;
    return 0;
}

static void *field_at(void *rec, size_t off)
{
    return (char *)rec + off;
}

static int set_field(const struct mfield *f, json_t *v, void *rec,
                     struct mctx *c)
{
    void *p = field_at(rec, f->off);
    switch (f->kind) {
    case M_STR: return set_str(f, v, p, c);
    case M_SIZE: return set_size(f, v, p, c);
    case M_STATUS: return set_status(f, v, p, c);
    case M_TIME: return set_time(f, v, p, c);
    case M_JSON: return set_json(f, v, p, c);
    case M_ID:
    case M_STAMP: return 0;
    }
    return 0;
}

/* Applies every key of the body o to rec. */
static int apply_fields(const struct mfield *fields, size_t n, json_t *o,
                        void *rec, struct mctx *c)
{
    if (!json_is_object(o))
        return fail(c, 400, "body must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        const struct mfield *f = NULL;
        for (size_t i = 0; i < n && f == NULL; i++)
            if (strcmp(fields[i].name, key) == 0)
                f = &fields[i];
        if (f == NULL)
            return fail(c, 422, "unknown field %s", key);
        if (set_field(f, v, rec, c) != 0)
            return -1;
    }
    return 0;
}

/* ---- one field to JSON ---- */

static json_t *json_text_value(const char *text)
{
    if (text == NULL)
        return json_null();
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (v == NULL)
        v = json_string(text); /* not JSON after all: show the text */
    return v ? v : json_null();
}

static json_t *field_to_json(const struct mfield *f, const void *rec)
{
    const void *p = (const char *)rec + f->off;
    json_t *v = NULL;
    switch (f->kind) {
    case M_STR: v = json_str_or_null(*(char *const *)p); break;
    case M_SIZE:
    case M_ID: v = json_integer(*(const int64_t *)p); break;
    case M_STATUS: v = json_string(mms_status_name(*(const uint8_t *)p)); break;
    case M_TIME:
    case M_STAMP: v = json_time_or_null(*(const int64_t *)p); break;
    case M_JSON: v = json_text_value(*(char *const *)p); break;
    }
    return v ? v : json_null(); /* a string that is not UTF-8 */
}

static json_t *fields_to_json(const struct mfield *fields, size_t n,
                              const void *rec)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, fields[i].name, field_to_json(&fields[i], rec));
    return o;
}

static struct mctx ctx_make(char *err, size_t errlen)
{
    struct mctx c = {err, errlen, 0};
    if (errlen > 0)
        err[0] = '\0';
    return c;
}

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- MMS messages ---- */

#define MF(name, kind, member, max)                                            \
    {name, kind, offsetof(struct mms_rec, member), max}

static const struct mfield mms_fields[] = {
    MF("id", M_ID, id, 0),
    MF("source_msisdn", M_STR, source_msisdn, NUMBER_MAX_LEN),
    MF("destination_msisdn", M_STR, destination_msisdn, NUMBER_MAX_LEN),
    MF("subject", M_STR, subject, 1024),
    MF("content_type", M_STR, content_type, 255),
    MF("content_location", M_STR, content_location, MEDIA_MAX_STR),
    MF("message_size", M_SIZE, message_size, 0),
    MF("status", M_STATUS, status, 0),
    MF("inserted_at", M_STAMP, inserted_at, 0),
    MF("updated_at", M_STAMP, updated_at, 0),
};

static int check_mms(const struct mms_rec *r, struct mctx *c)
{
    if (r->source_msisdn == NULL)
        return fail(c, 422, "source_msisdn is required");
    if (r->destination_msisdn == NULL)
        return fail(c, 422, "destination_msisdn is required");
    if (!sms_valid_source(r->source_msisdn))
        return fail(c, 422, "Invalid phone number format (source_msisdn)");
    if (!sms_valid_destination(r->destination_msisdn))
        return fail(c, 422,
                    "Invalid phone number format (destination_msisdn)");
    return 0;
}

int mms_from_json(json_t *o, struct mms_rec *r, enum media_json_mode mode,
                  char *err, size_t errlen)
{
    struct mctx c = ctx_make(err, errlen);
    struct mms_rec t;
    if (mode == MEDIA_JSON_PATCH)
        mms_rec_copy(&t, r);
    else
        mms_rec_init(&t);
    if (apply_fields(mms_fields, NFIELDS(mms_fields), o, &t, &c) != 0 ||
        check_mms(&t, &c) != 0) {
        mms_rec_free(&t);
        if (mode != MEDIA_JSON_PATCH)
            mms_rec_init(r);
        return c.status;
    }
    if (mode == MEDIA_JSON_PATCH)
        mms_rec_free(r);
    *r = t;
    return 0;
}

json_t *mms_to_json(const struct mms_rec *r)
{
    return fields_to_json(mms_fields, NFIELDS(mms_fields), r);
}

/* ---- SS7 events ---- */

#define SF(name, kind, member, max)                                            \
    {name, kind, offsetof(struct ss7_rec, member), max}

static const struct mfield ss7_fields[] = {
    SF("id", M_ID, id, 0),
    SF("event_type", M_STR, event_type, EVENT_TYPE_MAX_LEN),
    SF("imsi", M_STR, imsi, NUMBER_MAX_LEN),
    SF("msisdn", M_STR, msisdn, NUMBER_MAX_LEN),
    SF("timestamp", M_TIME, timestamp, 0),
    SF("details", M_JSON, details, SS7_MAX_DETAILS),
    SF("inserted_at", M_STAMP, inserted_at, 0),
    SF("updated_at", M_STAMP, updated_at, 0),
};

bool ss7_valid_event_type(const char *s)
{
    static const char upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= EVENT_TYPE_MAX_LEN && strchr(upper, s[0]) &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

static bool valid_imsi(const char *s)
{
    size_t n = strlen(s);
    return n >= 5 && n <= 15 && strspn(s, "0123456789") == n;
}

static int check_ss7(const struct ss7_rec *r, struct mctx *c)
{
    if (r->event_type == NULL)
        return fail(c, 422, "event_type is required");
    if (!ss7_valid_event_type(r->event_type))
        return fail(c, 422, "event_type must be an upper-case identifier "
                            "such as MAP_UPDATE_LOCATION (A-Z, 0-9, _)");
    if (r->imsi && !valid_imsi(r->imsi))
        return fail(c, 422, "imsi must be 5 to 15 digits");
    if (r->msisdn && !sms_valid_destination(r->msisdn))
        return fail(c, 422, "Invalid phone number format (msisdn)");
    return 0;
}

int ss7_from_json(json_t *o, struct ss7_rec *r, enum media_json_mode mode,
                  char *err, size_t errlen)
{
    struct mctx c = ctx_make(err, errlen);
    struct ss7_rec t;
    if (mode == MEDIA_JSON_PATCH)
        ss7_rec_copy(&t, r);
    else
        ss7_rec_init(&t);
    if (apply_fields(ss7_fields, NFIELDS(ss7_fields), o, &t, &c) != 0 ||
        check_ss7(&t, &c) != 0) {
        ss7_rec_free(&t);
        if (mode != MEDIA_JSON_PATCH)
            ss7_rec_init(r);
        return c.status;
    }
    if (mode == MEDIA_JSON_PATCH)
        ss7_rec_free(r);
    *r = t;
    return 0;
}

json_t *ss7_to_json(const struct ss7_rec *r)
{
    return fields_to_json(ss7_fields, NFIELDS(ss7_fields), r);
}
