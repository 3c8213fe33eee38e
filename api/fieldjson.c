/* fieldjson — one engine for the API's JSON record codecs (see
 * fieldjson.h).
 *
 * A record type is a table of its JSON fields (name, kind, offset in the
 * struct, limits).  fj_apply walks a request body against that table —
 * unknown keys, wrong types and out-of-range values are refused with a
 * detail naming the field — and fj_to_json walks the table to render a
 * record.  fj_from_json adds the copy-apply-check-commit cycle every
 * codec needs, so that a refused body leaves the caller's record as it
 * was.
 */
#include "api/fieldjson.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jsonfmt.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "raft_store/msg.h"

/* Starts a decode; clears err. */
static struct fj_ctx ctx_make(enum fj_mode mode, char *err, size_t errlen)
{
    struct fj_ctx c = {mode, err, errlen, 0, NULL};
    if (errlen > 0)
        err[0] = '\0';
    return c;
}

int fj_fail(struct fj_ctx *c, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    c->status = status;
    return -1;
}

bool fj_valid_imsi(const char *s)
{
    size_t n = strlen(s);
    return n >= 5 && n <= 15 && strspn(s, "0123456789") == n;
}

/* ---- one field from JSON ---- */

static int set_str(const struct fj_field *f, json_t *v, char **dst,
                   struct fj_ctx *c)
{
    if (json_is_null(v)) {
        free(*dst);
        *dst = NULL;
        return 0;
    }
    if (!json_is_string(v))
        return fj_fail(c, 422, "%s must be a string or null", f->name);
    size_t n = json_string_length(v);
    if (n > (size_t)f->max)
        return fj_fail(c, 422, "%s must be at most %" PRId64 " bytes long",
                       f->name, f->max);
    if (strlen(json_string_value(v)) != n)
        return fj_fail(c, 422, "%s must not contain NUL characters", f->name);
    free(*dst);
    *dst = f->kind == FJ_OPT && n == 0 ? NULL : xstrdup(json_string_value(v));
    return 0;
}

static int set_bool(const struct fj_field *f, json_t *v, bool *dst,
                    struct fj_ctx *c)
{
    if (!json_is_boolean(v))
        return fj_fail(c, 422, "%s must be true or false", f->name);
    *dst = json_is_true(v);
    return 0;
}

static int set_int(const struct fj_field *f, json_t *v, int32_t *dst,
                   struct fj_ctx *c)
{
    if (!json_is_integer(v) || json_integer_value(v) < f->min ||
        json_integer_value(v) > f->max)
        return fj_fail(c, 422,
                       "%s must be an integer from %" PRId64 " to %" PRId64,
                       f->name, f->min, f->max);
    *dst = (int32_t)json_integer_value(v);
    return 0;
}

static int set_size(const struct fj_field *f, json_t *v, int64_t *dst,
                    struct fj_ctx *c)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fj_fail(c, 422, "%s must be an integer >= 0", f->name);
    *dst = json_integer_value(v);
    return 0;
}

static int set_time(const struct fj_field *f, json_t *v, int64_t *dst,
                    struct fj_ctx *c)
{
    bool nullable = f->kind != FJ_TIME_SET;
    if (nullable && json_is_null(v)) {
        *dst = TIME_NULL;
        return 0;
    }
    if (!json_is_string(v) || time_parse(json_string_value(v), dst) != 0)
        return fj_fail(c, 422, "%s must be an RFC 3339 time such as "
                               "2025-10-30T12:00:00Z%s",
                       f->name, nullable ? ", or null" : "");
    return 0;
}

static int set_enum(const struct fj_field *f, json_t *v, uint8_t *dst,
                    struct fj_ctx *c)
{
    const struct fj_enum *en = f->en;
    int x = en->null_value;
    bool none = en->nullable &&
                (json_is_null(v) ||
                 (json_is_string(v) && json_string_length(v) == 0));
    if (!none &&
        (!json_is_string(v) || en->parse(json_string_value(v), &x) != 0))
        return fj_fail(c, 422, "%s must be one of %s", f->name, en->choices);
    *dst = (uint8_t)x;
    return 0;
}

static int set_json(const struct fj_field *f, json_t *v, char **dst,
                    struct fj_ctx *c)
{
    char *text = NULL;
    if (!json_is_null(v)) {
        text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (text == NULL)
            return fj_fail(c, 422, "%s cannot be encoded as JSON", f->name);
        if (strlen(text) > (size_t)f->max) {
            free(text);
            return fj_fail(c, 422,
                           "%s must be at most %" PRId64
                           " bytes as compact JSON",
                           f->name, f->max);
        }
    }
    free(*dst);
    *dst = text;
    return 0;
}

/* IMPORT only: an id, with 0 or null meaning "assign one" (as for a record
 * not stored yet).  Every id key given ("id" and "route_id", say) must
 * carry the same value. */
static int set_id(const struct fj_field *f, json_t *v, int64_t *dst,
                  struct fj_ctx *c)
{
    if (json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fj_fail(c, 422, "%s must be a non-negative integer or null",
                       f->name);
    if (c->id_key && *dst != json_integer_value(v))
        return fj_fail(c, 422, "%s and %s must be equal", c->id_key, f->name);
    *dst = json_integer_value(v);
    c->id_key = f->name;
    return 0;
}

static int set_field(const struct fj_field *f, json_t *v, void *rec,
                     struct fj_ctx *c)
{
    void *p = (char *)rec + f->off;
    bool import = c->mode == FJ_IMPORT;
    switch (f->kind) {
    case FJ_STR:
    case FJ_OPT: return set_str(f, v, p, c);
    case FJ_BOOL: return set_bool(f, v, p, c);
    case FJ_INT: return set_int(f, v, p, c);
    case FJ_SIZE: return set_size(f, v, p, c);
    case FJ_TIME:
    case FJ_TIME_SET: return set_time(f, v, p, c);
    case FJ_ENUM: return set_enum(f, v, p, c);
    case FJ_JSON: return set_json(f, v, p, c);
    case FJ_ID: return import ? set_id(f, v, p, c) : 0;
    case FJ_STAMP: return import ? set_time(f, v, p, c) : 0;
    case FJ_IGNORE: return 0;
    case FJ_CUSTOM: return f->take(f, v, p, c);
    }
    return 0;
}

static const struct fj_field *find_field(const struct fj_field *fields,
                                         size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

/* Applies every key of the body o to rec: 400 if o is not an object, 422
 * for an unknown key or a bad value.  Returns 0 or -1 (c says why); on
 * error rec may be partly changed. */
static int apply(const struct fj_field *fields, size_t n, json_t *o,
                 void *rec, struct fj_ctx *c)
{
    if (!json_is_object(o))
        return fj_fail(c, 400, "body must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        const struct fj_field *f = find_field(fields, n, key);
        if (f == NULL)
            return fj_fail(c, 422, "unknown field %s", key);
        if (set_field(f, v, rec, c) != 0)
            return -1;
    }
    return 0;
}

int fj_from_json(const struct fj_type *t, json_t *o, void *rec,
                 enum fj_mode mode, char *err, size_t errlen)
{
    struct fj_ctx c = ctx_make(mode, err, errlen);
    void *tmp = xmalloc(t->size);
    if (mode == FJ_PATCH)
        t->copy(tmp, rec);
    else
        t->init(tmp);
    if (apply(t->fields, t->nfields, o, tmp, &c) != 0 ||
        (t->check && t->check(tmp, &c) != 0)) {
        t->free(tmp);
        free(tmp);
        if (mode != FJ_PATCH)
            t->init(rec);
        return c.status;
    }
    if (mode == FJ_PATCH)
        t->free(rec);
    memcpy(rec, tmp, t->size);
    free(tmp);
    return 0;
}

/* ---- one field to JSON ---- */

/* Stored JSON text as the value it holds (as a string if it is not JSON
 * after all). */
static json_t *json_text_value(const char *text)
{
    if (text == NULL)
        return json_null();
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    return v ? v : json_string(text);
}

static json_t *field_to_json(const struct fj_field *f, const void *rec)
{
    const void *p = (const char *)rec + f->off;
    switch (f->kind) {
    case FJ_STR:
    case FJ_OPT: return json_str_or_null(*(char *const *)p);
    case FJ_BOOL: return json_boolean(*(const bool *)p);
    case FJ_INT: return json_integer(*(const int32_t *)p);
    case FJ_SIZE:
    case FJ_ID: return json_integer(*(const int64_t *)p);
    case FJ_TIME:
    case FJ_TIME_SET:
    case FJ_STAMP: return json_time_or_null(*(const int64_t *)p);
    case FJ_ENUM:
        return json_str_or_null(f->en->name(*(const uint8_t *)p));
    case FJ_JSON: return json_text_value(*(char *const *)p);
    case FJ_IGNORE:
    case FJ_CUSTOM: break;
    }
    return NULL;
}

json_t *fj_to_json(const struct fj_field *fields, size_t n, const void *rec)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) {
        if (fields[i].kind == FJ_IGNORE || fields[i].kind == FJ_CUSTOM)
            continue;
        json_t *v = field_to_json(&fields[i], rec);
        json_object_set_new(o, fields[i].name, v ? v : json_null());
    }
    return o;
}
