/* frontendjson — frontend registrations to and from JSON (see
 * frontendjson.h).
 *
 * One small table lists the keys a body may carry and the function that
 * takes each; every refusal names its key.  The configuration is stored as
 * text so that the state machine never parses JSON: it is normalised here
 * (compact, reals to 15 significant digits) and parsed back only to render.
 */
#include "api/frontendjson.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/jsonfmt.h"
#include "common/netaddr.h"
#include "common/xalloc.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

struct fctx {
    char *err;
    size_t errlen;
};

static int fail(struct fctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct fctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A string or null; "" counts as null.  *out borrows from v. */
static int get_str(json_t *v, const char *key, const char **out,
                   struct fctx *c)
{
    *out = NULL;
    if (json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return fail(c, "%s must be a string or null", key);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return fail(c, "%s must not contain NUL characters", key);
    if (json_string_length(v) > 0)
        *out = json_string_value(v);
    return 0;
}

static int take_name(json_t *v, struct frontend_rec *r, struct fctx *c)
{
    const char *s;
    if (get_str(v, "frontend_name", &s, c) != 0)
        return -1;
    if (s == NULL)
        return fail(c, "frontend_name is required");
    if (!frontend_name_valid(s))
        return fail(c, "frontend_name must be 1 to %d characters of A-Z, "
                       "a-z, 0-9 and . _ : @ -", FE_MAX_NAME);
    r->frontend_name = xstrdup(s);
    return 0;
}

static int take_type(json_t *v, struct frontend_rec *r, struct fctx *c)
{
    const char *s;
    if (get_str(v, "frontend_type", &s, c) != 0)
        return -1;
    if (s == NULL)
        return 0;
    size_t n = strlen(s);
    if (n > FE_MAX_TYPE ||
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789._/+-") != n)
        return fail(c, "frontend_type must be at most %d characters of A-Z, "
                       "a-z, 0-9 and . _ / + - (e.g. smpp, ims, map, sip, "
                       "http)", FE_MAX_TYPE);
    r->frontend_type = xstrdup(s);
    return 0;
}

static int take_ip(json_t *v, struct frontend_rec *r, struct fctx *c)
{
    const char *s;
    char ip[NETADDR_LEN];
    if (get_str(v, "ip_address", &s, c) != 0)
        return -1;
    if (s == NULL)
        return 0; /* the default applies */
    if (netaddr_canonical(s, ip) != 0)
        return fail(c, "ip_address must be an IPv4 or IPv6 address");
    r->ip_address = xstrdup(ip);
    return 0;
}

static int take_hostname(json_t *v, struct frontend_rec *r, struct fctx *c)
{
    const char *s;
    if (get_str(v, "hostname", &s, c) != 0)
        return -1;
    if (s == NULL)
        return 0;
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            n = 0;
    if (n == 0 || n > FE_MAX_HOST)
        return fail(c, "hostname must be at most %d bytes without control "
                       "characters", FE_MAX_HOST);
    r->hostname = xstrdup(s);
    return 0;
}

static int take_uptime(json_t *v, struct frontend_rec *r, struct fctx *c)
{
    if (json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fail(c, "uptime_seconds must be a non-negative integer or "
                       "null");
    r->uptime_seconds = json_integer_value(v);
    return 0;
}

static int take_config(json_t *v, struct frontend_rec *r, struct fctx *c)
{
    static const char *what =
        "configuration must be a JSON object or a string holding one";
    json_t *o = NULL;
    if (json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
        return 0;
    if (json_is_object(v)) {
        o = json_incref(v);
    } else if (json_is_string(v)) {
        json_error_t e;
        o = json_loadb(json_string_value(v), json_string_length(v),
                       JSON_REJECT_DUPLICATES, &e);
        if (o == NULL)
            return fail(c, "%s (%s at column %d)", what, e.text, e.column);
    }
    if (!json_is_object(o)) {
        json_decref(o);
        return fail(c, "%s", what);
    }
    char *text = json_dumps(o, DUMP_FLAGS);
    json_decref(o);
    if (text == NULL || strlen(text) > FE_MAX_CONFIG) {
        free(text);
        return fail(c, "configuration must be at most %d bytes as compact "
                       "JSON", FE_MAX_CONFIG);
    }
    r->configuration = text;
    return 0;
}

/* A key of a rendered record: accepted, ignored. */
static int ignore(json_t *v, struct frontend_rec *r, struct fctx *c)
{
    (void)v;
    (void)r;
    (void)c;
    return 0;
}

static const struct {
    const char *key;
    int (*take)(json_t *v, struct frontend_rec *r, struct fctx *c);
} keys[] = {
    {"frontend_name", take_name},   {"frontend_type", take_type},
    {"ip_address", take_ip},        {"hostname", take_hostname},
    {"uptime_seconds", take_uptime}, {"configuration", take_config},
    {"id", ignore},                 {"status", ignore},
    {"last_seen_at", ignore},       {"expires_at", ignore},
    {"inserted_at", ignore},        {"updated_at", ignore},
};

static int take_all(json_t *o, struct frontend_rec *r, struct fctx *c)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        size_t i = 0;
        while (i < sizeof keys / sizeof keys[0] && strcmp(keys[i].key, key))
            i++;
        if (i == sizeof keys / sizeof keys[0])
            return fail(c, "unknown field %s", key);
        if (keys[i].take(v, r, c) != 0)
            return -1;
    }
    if (r->frontend_name == NULL)
        return fail(c, "frontend_name is required");
    return 0;
}

int frontend_from_json(json_t *o, const char *default_ip,
                       struct frontend_rec *r, char *err, size_t errlen)
{
    struct fctx c = {err, errlen};
    if (errlen > 0)
        err[0] = '\0';
    frontend_rec_init(r);
    if (!json_is_object(o)) {
        fail(&c, "body must be a JSON object");
        return 400;
    }
    if (take_all(o, r, &c) != 0) {
        frontend_rec_free(r);
        return 422;
    }
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
