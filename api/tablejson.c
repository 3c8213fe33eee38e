/* tablejson — routes, translation rules and subscriber locations to and
 * from JSON (see tablejson.h).
 *
 * Each record type is described once, as a table of its JSON fields (name,
 * kind, offset in the struct, limits).  One engine walks a request body
 * against that table — unknown keys, wrong types and out-of-range values
 * are refused with a detail naming the field — and one renderer walks the
 * table to produce the API's view.  What a single field cannot say (drop
 * and auto_reply together, a required msisdn) is checked on the whole
 * record afterwards.
 *
 * Ownership: in CREATE and IMPORT mode the record is output-only (it is
 * initialised here); in PATCH mode it holds the current record.  The body
 * is applied to a private copy, so on error a patched record is unchanged
 * and a created one is left at its defaults: the caller frees it as usual.
 */
#include "api/tablejson.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/jsonfmt.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "server/smstext.h"

#define NAME_MAX_LEN 64 /* prefixes, SMSC names, domains */

enum jkind {
    J_STR,      /* char *: string or null, at most .max bytes */
    J_OPT,      /* char *: like J_STR, and "" means null ("any", "none") */
    J_BOOL,     /* bool */
    J_INT,      /* int32_t in [.min, .max] */
    J_TIME,     /* int64_t ms: RFC 3339 or null */
    J_SRC_TYPE, /* uint8_t enum msg_source_type, null = SRC_NONE */
    J_CHARGED,  /* uint8_t enum route_charged */
    J_ID,       /* int64_t record id: read-only, taken on IMPORT */
    J_STAMP,    /* int64_t ms, inserted_at / updated_at: likewise */
};

struct jfield {
    const char *name;
    enum jkind kind;
    size_t off;
    int32_t min, max;
};

struct jctx {
    enum table_json_mode mode;
    char *err;
    size_t errlen;
    int status;
    const char *id_key; /* the id field IMPORT took, if any */
};

static int fail(struct jctx *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct jctx *c, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    c->status = status;
    return -1;
}

static void *field_at(void *rec, size_t off)
{
    return (char *)rec + off;
}

static const void *field_at_c(const void *rec, size_t off)
{
    return (const char *)rec + off;
}

/* ---- one field from JSON ---- */

static int set_str(const struct jfield *f, json_t *v, char **dst,
                   struct jctx *c)
{
    if (json_is_null(v)) {
        free(*dst);
        *dst = NULL;
        return 0;
    }
    if (!json_is_string(v))
        return fail(c, 422, "%s must be a string or null", f->name);
    size_t n = json_string_length(v);
    if (n > (size_t)f->max)
        return fail(c, 422, "%s must be at most %d bytes long", f->name,
                    f->max);
    if (strlen(json_string_value(v)) != n)
        return fail(c, 422, "%s must not contain NUL characters", f->name);
    free(*dst);
    *dst = f->kind == J_OPT && n == 0 ? NULL : xstrdup(json_string_value(v));
    return 0;
}

static int set_bool(const struct jfield *f, json_t *v, bool *dst,
                    struct jctx *c)
{
    if (!json_is_boolean(v))
        return fail(c, 422, "%s must be true or false", f->name);
    *dst = json_is_true(v);
    return 0;
}

static int set_int(const struct jfield *f, json_t *v, int32_t *dst,
                   struct jctx *c)
{
    if (!json_is_integer(v) || json_integer_value(v) < f->min ||
        json_integer_value(v) > f->max)
        return fail(c, 422, "%s must be an integer from %d to %d", f->name,
                    f->min, f->max);
    *dst = (int32_t)json_integer_value(v);
    return 0;
}

static int set_time(const struct jfield *f, json_t *v, int64_t *dst,
                    struct jctx *c)
{
    if (json_is_null(v)) {
        *dst = TIME_NULL;
        return 0;
    }
    if (!json_is_string(v) || time_parse(json_string_value(v), dst) != 0)
        return fail(c, 422, "%s must be an RFC 3339 time such as "
                            "2025-10-30T12:00:00Z, or null", f->name);
    return 0;
}

static int set_source_type(const struct jfield *f, json_t *v, uint8_t *dst,
                           struct jctx *c)
{
    int t = SRC_NONE;
    bool any = json_is_null(v) ||
               (json_is_string(v) && json_string_length(v) == 0);
    if (!any && (!json_is_string(v) ||
                 msg_source_type_parse(json_string_value(v), &t) != 0))
        return fail(c, 422, "%s must be one of ims, circuit_switched, smpp, "
                            "or null", f->name);
    *dst = (uint8_t)t;
    return 0;
}

static int set_charged(const struct jfield *f, json_t *v, uint8_t *dst,
                       struct jctx *c)
{
    int ch;
    if (!json_is_string(v) || route_charged_parse(json_string_value(v), &ch))
        return fail(c, 422, "%s must be one of yes, no, default", f->name);
    *dst = (uint8_t)ch;
    return 0;
}

/* IMPORT only: an id, with 0 or null meaning "assign one" (as for a record
 * not stored yet).  Every id key given ("id" and "route_id", say) must
 * carry the same value. */
static int set_id(const struct jfield *f, json_t *v, int64_t *dst,
                  struct jctx *c)
{
    if (json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fail(c, 422, "%s must be a non-negative integer or null",
                    f->name);
    if (c->id_key && *dst != json_integer_value(v))
        return fail(c, 422, "%s and %s must be equal", c->id_key, f->name);
    *dst = json_integer_value(v);
    c->id_key = f->name;
    return 0;
}

static int set_field(const struct jfield *f, json_t *v, void *rec,
                     struct jctx *c)
{
    void *p = field_at(rec, f->off);
    switch (f->kind) {
    case J_STR:
    case J_OPT:
        return set_str(f, v, p, c);
    case J_BOOL:
        return set_bool(f, v, p, c);
    case J_INT:
        return set_int(f, v, p, c);
    case J_TIME:
        return set_time(f, v, p, c);
    case J_SRC_TYPE:
        return set_source_type(f, v, p, c);
    case J_CHARGED:
        return set_charged(f, v, p, c);
    case J_ID:
        return c->mode == TABLE_JSON_IMPORT ? set_id(f, v, p, c) : 0;
    case J_STAMP:
        return c->mode == TABLE_JSON_IMPORT ? set_time(f, v, p, c) : 0;
    }
    return 0;
}

static const struct jfield *find_field(const struct jfield *fields, size_t n,
                                       const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

/* Applies every key of the body o to rec. */
static int apply_fields(const struct jfield *fields, size_t n, json_t *o,
                        void *rec, struct jctx *c)
{
    if (!json_is_object(o))
        return fail(c, 400, "body must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        const struct jfield *f = find_field(fields, n, key);
        if (f == NULL)
            return fail(c, 422, "unknown field %s", key);
        if (set_field(f, v, rec, c) != 0)
            return -1;
    }
    return 0;
}

/* ---- one field to JSON ---- */


static json_t *field_to_json(const struct jfield *f, const void *rec)
{
    const void *p = field_at_c(rec, f->off);
    switch (f->kind) {
    case J_STR:
    case J_OPT:
        return json_str_or_null(*(char *const *)p);
    case J_BOOL:
        return json_boolean(*(const bool *)p);
    case J_INT:
        return json_integer(*(const int32_t *)p);
    case J_ID:
        return json_integer(*(const int64_t *)p);
    case J_TIME:
    case J_STAMP:
        return json_time_or_null(*(const int64_t *)p);
    case J_SRC_TYPE:
        return json_str_or_null(msg_source_type_name(*(const uint8_t *)p));
    case J_CHARGED:
        return json_string(route_charged_name(*(const uint8_t *)p));
    }
    return json_null();
}

static json_t *fields_to_json(const struct jfield *fields, size_t n,
                              const void *rec)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, fields[i].name, field_to_json(&fields[i], rec));
    return o;
}

static struct jctx ctx_make(enum table_json_mode mode, char *err,
                            size_t errlen)
{
    struct jctx c = {mode, err, errlen, 0, NULL};
    if (errlen > 0)
        err[0] = '\0';
    return c;
}

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- routes (SPEC §6) ---- */

#define RF(name, kind, member, min, max)                                       \
    {name, kind, offsetof(struct route_rec, member), min, max}

static const struct jfield route_fields[] = {
    RF("id", J_ID, id, 0, 0),
    RF("route_id", J_ID, id, 0, 0),
    RF("calling_prefix", J_OPT, calling_prefix, 0, NAME_MAX_LEN),
    RF("called_prefix", J_OPT, called_prefix, 0, NAME_MAX_LEN),
    RF("source_smsc", J_OPT, source_smsc, 0, NAME_MAX_LEN),
    RF("source_type", J_SRC_TYPE, source_type, 0, 0),
    RF("enum_domain", J_OPT, enum_domain, 0, NAME_MAX_LEN),
    RF("dest_smsc", J_OPT, dest_smsc, 0, NAME_MAX_LEN),
    RF("auto_reply", J_BOOL, auto_reply, 0, 0),
    RF("auto_reply_message", J_STR, auto_reply_message, 0, TABLE_MAX_STR),
    RF("drop", J_BOOL, drop, 0, 0),
    RF("charged", J_CHARGED, charged, 0, 0),
    RF("weight", J_INT, weight, 1, 100),
    RF("priority", J_INT, priority, 1, 255),
    RF("description", J_STR, description, 0, TABLE_MAX_STR),
    RF("enabled", J_BOOL, enabled, 0, 0),
    RF("inserted_at", J_STAMP, inserted_at, 0, 0),
    RF("updated_at", J_STAMP, updated_at, 0, 0),
};

static int check_route(const struct route_rec *r, struct jctx *c)
{
    if (r->drop && r->auto_reply)
        return fail(c, 422, "drop and auto_reply cannot both be set");
    if (r->auto_reply &&
        (r->auto_reply_message == NULL || r->auto_reply_message[0] == '\0'))
        return fail(c, 422, "auto_reply_message is required when auto_reply "
                            "is true");
    if (!r->drop && !r->auto_reply && r->dest_smsc == NULL)
        return fail(c, 422, "dest_smsc is required unless drop or auto_reply "
                            "is set");
    return 0;
}

int route_from_json(json_t *o, struct route_rec *r, enum table_json_mode mode,
                    char *err, size_t errlen)
{
    struct jctx c = ctx_make(mode, err, errlen);
    struct route_rec t;
    if (mode == TABLE_JSON_PATCH)
        route_rec_copy(&t, r);
    else
        route_rec_init(&t);
    if (apply_fields(route_fields, NFIELDS(route_fields), o, &t, &c) != 0 ||
        check_route(&t, &c) != 0) {
        route_rec_free(&t);
        if (mode != TABLE_JSON_PATCH)
            route_rec_init(r);
        return c.status;
    }
    if (mode == TABLE_JSON_PATCH)
        route_rec_free(r);
    *r = t;
    return 0;
}

json_t *route_to_json(const struct route_rec *r)
{
    return fields_to_json(route_fields, NFIELDS(route_fields), r);
}

/* ---- translation rules (SPEC §7) ---- */

#define XF(name, kind, member, min, max)                                       \
    {name, kind, offsetof(struct xlat_rule_rec, member), min, max}

static const struct jfield xlat_fields[] = {
    XF("id", J_ID, id, 0, 0),
    XF("rule_id", J_ID, id, 0, 0),
    XF("calling_prefix", J_OPT, calling_prefix, 0, NAME_MAX_LEN),
    XF("called_prefix", J_OPT, called_prefix, 0, NAME_MAX_LEN),
    XF("source_smsc", J_OPT, source_smsc, 0, NAME_MAX_LEN),
    XF("calling_match", J_OPT, calling_match, 0, TABLE_MAX_STR),
    XF("calling_replace", J_STR, calling_replace, 0, TABLE_MAX_STR),
    XF("called_match", J_OPT, called_match, 0, TABLE_MAX_STR),
    XF("called_replace", J_STR, called_replace, 0, TABLE_MAX_STR),
    XF("priority", J_INT, priority, 1, 255),
    XF("description", J_STR, description, 0, TABLE_MAX_STR),
    XF("enabled", J_BOOL, enabled, 0, 0),
    XF("continue", J_BOOL, cont, 0, 0),
    XF("inserted_at", J_STAMP, inserted_at, 0, 0),
    XF("updated_at", J_STAMP, updated_at, 0, 0),
};

int xlat_rule_from_json(json_t *o, struct xlat_rule_rec *r,
                        enum table_json_mode mode, char *err, size_t errlen)
{
    struct jctx c = ctx_make(mode, err, errlen);
    struct xlat_rule_rec t;
    if (mode == TABLE_JSON_PATCH)
        xlat_rule_rec_copy(&t, r);
    else
        xlat_rule_rec_init(&t);
    if (apply_fields(xlat_fields, NFIELDS(xlat_fields), o, &t, &c) != 0) {
        xlat_rule_rec_free(&t);
        if (mode != TABLE_JSON_PATCH)
            xlat_rule_rec_init(r);
        return c.status;
    }
    if (mode == TABLE_JSON_PATCH)
        xlat_rule_rec_free(r);
    *r = t;
    return 0;
}

json_t *xlat_rule_to_json(const struct xlat_rule_rec *r)
{
    return fields_to_json(xlat_fields, NFIELDS(xlat_fields), r);
}

/* ---- subscriber locations (SPEC §4) ---- */

#define LF(name, kind, member, min, max)                                       \
    {name, kind, offsetof(struct location_rec, member), min, max}

static const struct jfield location_fields[] = {
    LF("id", J_ID, id, 0, 0),
    LF("msisdn", J_OPT, msisdn, 0, NAME_MAX_LEN),
    LF("imsi", J_OPT, imsi, 0, NAME_MAX_LEN),
    LF("location", J_OPT, location, 0, 255),
    LF("ran_location", J_OPT, ran_location, 0, 255),
    LF("imei", J_OPT, imei, 0, 32),
    LF("user_agent", J_OPT, user_agent, 0, 255),
    LF("ims_capable", J_BOOL, ims_capable, 0, 0),
    LF("csfb", J_BOOL, csfb, 0, 0),
    LF("registered", J_BOOL, registered, 0, 0),
    LF("expires", J_TIME, expires, 0, 0),
    LF("inserted_at", J_STAMP, inserted_at, 0, 0),
    LF("updated_at", J_STAMP, updated_at, 0, 0),
};

static bool valid_imsi(const char *s)
{
    size_t n = strlen(s);
    return n >= 5 && n <= 15 && strspn(s, "0123456789") == n;
}

static int check_location(const struct location_rec *r, struct jctx *c)
{
    if (r->msisdn == NULL)
        return fail(c, 422, "msisdn is required");
    if (!sms_valid_destination(r->msisdn))
        return fail(c, 422, "Invalid phone number format (msisdn)");
    if (r->imsi && !valid_imsi(r->imsi))
        return fail(c, 422, "imsi must be 5 to 15 digits");
    if (r->location == NULL)
        return fail(c, 422, "location is required");
    return 0;
}

int location_from_json(json_t *o, struct location_rec *r,
                       enum table_json_mode mode, char *err, size_t errlen)
{
    struct jctx c = ctx_make(mode, err, errlen);
    struct location_rec t;
    if (mode == TABLE_JSON_PATCH)
        location_rec_copy(&t, r);
    else
        location_rec_init(&t);
    if (apply_fields(location_fields, NFIELDS(location_fields), o, &t, &c) !=
            0 ||
        check_location(&t, &c) != 0) {
        location_rec_free(&t);
        if (mode != TABLE_JSON_PATCH)
            location_rec_init(r);
        return c.status;
    }
    if (mode == TABLE_JSON_PATCH)
        location_rec_free(r);
    *r = t;
    return 0;
}

json_t *location_to_json(const struct location_rec *r)
{
    return fields_to_json(location_fields, NFIELDS(location_fields), r);
}
