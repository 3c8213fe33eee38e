/* frontendjson — frontend registrations to and from JSON (see
 * frontendjson.h).
 *
 * One small table lists the keys a body may carry and the function that
 * takes each; the fieldjson engine walks a body against it, and every
 * refusal names its key.  The configuration is stored as text so that the
 * state machine never parses JSON: it is normalised here (compact, reals
 * to 15 significant digits) and parsed back only to render.
 */
#include "api/frontendjson.h"

#include <string.h>

#include "api/fieldjson.h"
#include "api/jsonfmt.h"
#include "common/netaddr.h"
#include "common/xalloc.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* A string or null; "" counts as null.  *out borrows from v. */
static int get_str(json_t *v, const char *key, const char **out,
                   struct fj_ctx *c)
{
    *out = NULL;
    if (json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return fj_fail(c, 422, "%s must be a string or null", key);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return fj_fail(c, 422, "%s must not contain NUL characters", key);
    if (json_string_length(v) > 0)
        *out = json_string_value(v);
    return 0;
}

/* Each take_* below is an fj_take_fn: p is the member the table names. */

static int take_name(const struct fj_field *f, json_t *v, void *p,
                     struct fj_ctx *c)
{
    const char *s;
    if (get_str(v, f->name, &s, c) != 0)
        return -1;
    if (s == NULL)
        return fj_fail(c, 422, "frontend_name is required");
    if (!frontend_name_valid(s))
        return fj_fail(c, 422, "frontend_name must be 1 to %d characters of "
                               "A-Z, a-z, 0-9 and . _ : @ -", FE_MAX_NAME);
    *(char **)p = xstrdup(s);
    return 0;
}

static int take_type(const struct fj_field *f, json_t *v, void *p,
                     struct fj_ctx *c)
{
    const char *s;
    if (get_str(v, f->name, &s, c) != 0)
        return -1;
    if (s == NULL)
        return 0;
    size_t n = strlen(s);
    if (n > FE_MAX_TYPE ||
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789._/+-") != n)
        return fj_fail(c, 422, "frontend_type must be at most %d characters "
                               "of A-Z, a-z, 0-9 and . _ / + - (e.g. smpp, "
                               "ims, map, sip, http)", FE_MAX_TYPE);
    *(char **)p = xstrdup(s);
    return 0;
}

static int take_ip(const struct fj_field *f, json_t *v, void *p,
                   struct fj_ctx *c)
{
    const char *s;
    char ip[NETADDR_LEN];
    if (get_str(v, f->name, &s, c) != 0)
        return -1;
    if (s == NULL)
        return 0; /* the default applies */
    if (netaddr_canonical(s, ip) != 0)
        return fj_fail(c, 422, "ip_address must be an IPv4 or IPv6 address");
    *(char **)p = xstrdup(ip);
    return 0;
}

static int take_hostname(const struct fj_field *f, json_t *v, void *p,
                         struct fj_ctx *c)
{
    const char *s;
    if (get_str(v, f->name, &s, c) != 0)
        return -1;
    if (s == NULL)
        return 0;
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            n = 0;
    if (n == 0 || n > FE_MAX_HOST)
        return fj_fail(c, 422, "hostname must be at most %d bytes without "
                               "control characters", FE_MAX_HOST);
    *(char **)p = xstrdup(s);
    return 0;
}

static int take_uptime(const struct fj_field *f, json_t *v, void *p,
                       struct fj_ctx *c)
{
    (void)f;
    if (json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fj_fail(c, 422, "uptime_seconds must be a non-negative "
                               "integer or null");
    *(int64_t *)p = json_integer_value(v);
    return 0;
}

/* An object, or a string holding one, as compact JSON text. */
static int take_config(const struct fj_field *f, json_t *v, void *p,
                       struct fj_ctx *c)
{
    static const char *what =
        "configuration must be a JSON object or a string holding one";
    json_t *o = NULL;
    (void)f;
    if (json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
        return 0;
    if (json_is_object(v)) {
        o = json_incref(v);
    } else if (json_is_string(v)) {
        json_error_t e;
        o = json_loadb(json_string_value(v), json_string_length(v),
                       JSON_REJECT_DUPLICATES, &e);
        if (o == NULL)
            return fj_fail(c, 422, "%s (%s at column %d)", what, e.text,
                           e.column);
    }
    if (!json_is_object(o)) {
        json_decref(o);
        return fj_fail(c, 422, "%s", what);
    }
    char *text = json_dumps(o, DUMP_FLAGS);
    json_decref(o);
    if (text == NULL || strlen(text) > FE_MAX_CONFIG) {
        free(text);
        return fj_fail(c, 422, "configuration must be at most %d bytes as "
                               "compact JSON", FE_MAX_CONFIG);
    }
    *(char **)p = text;
    return 0;
}

#define TAKE(name, member, fn)                                                     {name, FJ_CUSTOM, offsetof(struct frontend_rec, member), 0, 0, NULL, fn}
#define READ_ONLY(name) {name, FJ_IGNORE, 0, 0, 0, NULL, NULL}

static const struct fj_field frontend_fields[] = {
    TAKE("frontend_name", frontend_name, take_name),
    TAKE("frontend_type", frontend_type, take_type),
    TAKE("ip_address", ip_address, take_ip),
    TAKE("hostname", hostname, take_hostname),
    TAKE("uptime_seconds", uptime_seconds, take_uptime),
    TAKE("configuration", configuration, take_config),
    READ_ONLY("id"),
    READ_ONLY("status"),
    READ_ONLY("last_seen_at"),
    READ_ONLY("expires_at"),
    READ_ONLY("inserted_at"),
    READ_ONLY("updated_at"),
};

static int check_frontend(const void *rec, struct fj_ctx *c)
{
    const struct frontend_rec *r = rec;
    if (r->frontend_name == NULL)
        return fj_fail(c, 422, "frontend_name is required");
    return 0;
}

FJ_REC_OPS(frontend, struct frontend_rec)

static const struct fj_type frontend_rec_type = {
    frontend_fields, FJ_NFIELDS(frontend_fields), sizeof(struct frontend_rec),
    frontend_init_v, frontend_copy_v, frontend_free_v, check_frontend};

int frontend_from_json(json_t *o, const char *default_ip,
                       struct frontend_rec *r, char *err, size_t errlen)
{
    int status = fj_from_json(&frontend_rec_type, o, r, FJ_CREATE, err, errlen);
    if (status != 0)
        return status;
    char ip[NETADDR_LEN];
    if (r->ip_address == NULL && netaddr_canonical(default_ip, ip) == 0)
        r->ip_address = xstrdup(ip);
    return 0;
}

static json_t *config_to_json(const char *text)
{
    if (text == NULL)
        return json_null();
    json_t *o = json_loads(text, JSON_ALLOW_NUL, NULL);
    return o ? o : json_string(text); /* not JSON: show it as it is */
}

json_t *frontend_to_json(const struct frontend_rec *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "frontend_name", json_str_or_null(r->frontend_name));
    json_object_set_new(o, "frontend_type", json_str_or_null(r->frontend_type));
    json_object_set_new(o, "ip_address", json_str_or_null(r->ip_address));
    json_object_set_new(o, "hostname", json_str_or_null(r->hostname));
    json_object_set_new(o, "uptime_seconds",
                        r->uptime_seconds == FE_UPTIME_NULL
                            ? json_null()
                            : json_integer(r->uptime_seconds));
    json_object_set_new(o, "configuration", config_to_json(r->configuration));
    json_object_set_new(o, "status",
                        json_string(frontend_status_name(r->status)));
    json_object_set_new(o, "last_seen_at", json_time_or_null(r->last_seen_at));
    json_object_set_new(o, "expires_at", json_time_or_null(r->expires_at));
    json_object_set_new(o, "inserted_at", json_time_or_null(r->inserted_at));
    json_object_set_new(o, "updated_at", json_time_or_null(r->updated_at));
    return o;
}
