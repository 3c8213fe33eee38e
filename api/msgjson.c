/* msgjson — messages to and from JSON (SPEC §2).
 *
 * msg_to_json renders a stored record with every §2 field.  msg_from_json
 * and msg_patch_from_json validate a client's body: each error names the
 * field ("destination_msisdn is required", "expires must be an RFC 3339
 * time", ...) and comes with the HTTP status to answer (400 or 422).
 */
#include "api/api_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jsonfmt.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "server/smstext.h"


json_t *msg_to_json(const struct msg *m)
{
    const struct msg_data *d = &m->d;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(m->id));
    json_object_set_new(o, "source_msisdn", json_str_or_null(d->source_msisdn));
    json_object_set_new(o, "destination_msisdn",
                        json_str_or_null(d->destination_msisdn));
    json_object_set_new(o, "message_body", json_str_or_null(d->message_body));
    json_object_set_new(o, "source_smsc", json_str_or_null(d->source_smsc));
    json_object_set_new(o, "dest_smsc", json_str_or_null(d->dest_smsc));
    json_object_set_new(o, "source_imsi", json_str_or_null(d->source_imsi));
    json_object_set_new(o, "dest_imsi", json_str_or_null(d->dest_imsi));
    json_object_set_new(o, "source_type",
                        json_str_or_null(msg_source_type_name(d->source_type)));
    json_object_set_new(o, "message_parts", json_integer(d->message_parts));
    json_object_set_new(o, "message_part_number",
                        json_integer(d->message_part_number));
    json_object_set_new(o, "tp_data_coding_scheme",
                        json_str_or_null(d->tp_data_coding_scheme));
    json_object_set_new(o, "tp_dcs_character_set",
                        json_string(sms_charset_name(d->charset)));
    json_object_set_new(o, "tp_dcs_coding_group",
                        json_str_or_null(d->tp_dcs_coding_group));
    json_object_set_new(o, "tp_dcs_compressed",
                        json_boolean(d->tp_dcs_compressed));
    json_object_set_new(o, "tp_dcs_has_message_class",
                        json_boolean(d->tp_dcs_has_message_class));
    json_object_set_new(o, "tp_dcs_message_class",
                        d->tp_dcs_message_class == MSG_CLASS_NONE
                            ? json_null()
                            : json_integer(d->tp_dcs_message_class));
    json_object_set_new(o, "tp_user_data_header",
                        json_str_or_null(d->tp_user_data_header));
    json_object_set_new(o, "status", json_string(msg_status_name(d->status)));
    json_object_set_new(o, "send_time", json_time_or_null(d->send_time));
    json_object_set_new(o, "deliver_time", json_time_or_null(d->deliver_time));
    json_object_set_new(o, "deliver_after", json_time_or_null(d->deliver_after));
    json_object_set_new(o, "expires", json_time_or_null(d->expires));
    json_object_set_new(o, "deadletter", json_boolean(d->deadletter));
    json_object_set_new(o, "delivery_attempts",
                        json_integer(d->delivery_attempts));
    json_object_set_new(o, "charge_failed", json_boolean(d->charge_failed));
    json_object_set_new(o, "status_report_requested",
                        json_boolean(d->status_report_requested));
    json_object_set_new(o, "status_report_for",
                        d->status_report_for ? json_integer(d->status_report_for)
                                             : json_null());
    json_object_set_new(o, "raw_data_flag", json_boolean(d->raw_data_flag));
    json_object_set_new(o, "raw_sip_flag", json_boolean(d->raw_sip_flag));
    json_object_set_new(o, "raw_pdu", json_str_or_null(d->raw_pdu));
    json_object_set_new(o, "origin_node", json_str_or_null(d->origin_node));
    json_object_set_new(o, "destination_node",
                        json_str_or_null(d->destination_node));
    json_object_set_new(o, "route_id",
                        d->route_id ? json_integer(d->route_id) : json_null());
    json_object_set_new(o, "charged",
                        json_string(route_charged_name(d->charged)));
    json_object_set_new(o, "inserted_at", json_time_or_null(d->inserted_at));
    json_object_set_new(o, "updated_at", json_time_or_null(d->updated_at));
    return o;
}

/* ---- validation ---- */

struct verr {
    char *buf;
    size_t len;
    int status;
};

static int fail(struct verr *e, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct verr *e, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->buf, e->len, fmt, ap);
    va_end(ap);
    e->status = status;
    return -1;
}

/* A string field: absent/null leaves *out NULL.  maxlen in bytes. */
static int get_str(json_t *body, const char *key, size_t maxlen, char **out,
                   struct verr *e)
{
    json_t *v = json_object_get(body, key);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return fail(e, 422, "%s must be a string", key);
    if (json_string_length(v) > maxlen)
        return fail(e, 422, "%s is longer than %zu bytes", key, maxlen);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return fail(e, 422, "%s must not contain NUL characters", key);
    *out = xstrdup(json_string_value(v));
    return 0;
}

static int get_name(json_t *body, const char *key, char **out, struct verr *e)
{
    if (get_str(body, key, 64, out, e) != 0)
        return -1;
    if (*out == NULL)
        return 0;
    for (const char *p = *out; *p; p++)
        if (iscntrl((unsigned char)*p) || *p == ' ')
            return fail(e, 422, "%s must not contain spaces or control "
                                "characters", key);
    if (**out == '\0')
        return fail(e, 422, "%s must not be empty", key);
    return 0;
}

static int get_time(json_t *body, const char *key, int64_t *out,
                    struct verr *e)
{
    json_t *v = json_object_get(body, key);
    *out = TIME_NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v) || time_parse(json_string_value(v), out) != 0)
        return fail(e, 422, "%s must be an RFC 3339 time such as "
                            "2025-10-30T12:00:00Z", key);
    return 0;
}

static int get_bool(json_t *body, const char *key, bool *out, struct verr *e)
{
    json_t *v = json_object_get(body, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return fail(e, 422, "%s must be true or false", key);
    *out = json_is_true(v);
    return 0;
}

static int get_int(json_t *body, const char *key, long long min, long long max,
                   long long *out, bool *given, struct verr *e)
{
    json_t *v = json_object_get(body, key);
    *given = false;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min ||
        json_integer_value(v) > max)
        return fail(e, 422, "%s must be an integer between %lld and %lld", key,
                    min, max);
    *out = json_integer_value(v);
    *given = true;
    return 0;
}

static bool is_hex(const char *s, bool even)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!isxdigit((unsigned char)s[n]))
            return false;
    return !even || n % 2 == 0;
}

static int get_hex(json_t *body, const char *key, size_t maxlen, char **out,
                   struct verr *e)
{
    if (get_str(body, key, maxlen, out, e) != 0)
        return -1;
    if (*out && !is_hex(*out, true))
        return fail(e, 422, "%s must be an even number of hex digits", key);
    return 0;
}

static int get_imsi(json_t *body, const char *key, char **out, struct verr *e)
{
    if (get_str(body, key, 15, out, e) != 0)
        return -1;
    if (*out == NULL)
        return 0;
    size_t n = strlen(*out);
    if (n < 5 || strspn(*out, "0123456789") != n)
        return fail(e, 422, "%s must be 5 to 15 digits", key);
    return 0;
}

static const char *const create_fields[] = {
    "source_msisdn", "destination_msisdn", "message_body", "source_smsc",
    "dest_smsc", "source_imsi", "dest_imsi", "source_type", "message_parts",
    "message_part_number", "tp_data_coding_scheme", "tp_dcs_character_set",
    "tp_dcs_coding_group", "tp_dcs_compressed", "tp_dcs_has_message_class",
    "tp_dcs_message_class", "tp_user_data_header", "send_time",
    "deliver_after", "expires", "status_report_requested",
    "status_report_for", "raw_data_flag", "raw_sip_flag", "raw_pdu",
    /* set by the server; accepted so records can be echoed back */
    "id", "status", "deliver_time", "deadletter", "delivery_attempts",
    "charge_failed", "origin_node", "destination_node", "inserted_at",
    "updated_at", "route_id", "charged", NULL,
};

static int check_known(json_t *body, const char *const *fields, struct verr *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        bool ok = false;
        for (const char *const *f = fields; *f && !ok; f++)
            ok = strcmp(*f, key) == 0;
        if (!ok)
            return fail(e, 422, "Unknown field '%s'", key);
    }
    return 0;
}

static int require(json_t *body, const char *key, struct verr *e)
{
    json_t *v = json_object_get(body, key);
    if (v == NULL || json_is_null(v) ||
        (json_is_string(v) && json_string_length(v) == 0))
        return fail(e, 422, "%s is required", key);
    return 0;
}

static int body_and_coding(json_t *body, struct msg_data *d, struct verr *e)
{
    char *cs = NULL;
    if (get_str(body, "tp_dcs_character_set", 16, &cs, e) != 0)
        return -1;
    enum sms_charset given;
    int rc = cs && sms_charset_parse(cs, &given) != 0;
    free(cs);
    if (rc)
        return fail(e, 422, "tp_dcs_character_set must be one of gsm7, 8bit, "
                            "latin1, ucs2");
    if (get_str(body, "message_body", MSG_MAX_STR, &d->message_body, e) != 0)
        return -1;
    struct sms_measure m;
    rc = sms_measure(d->message_body, strlen(d->message_body),
                     json_object_get(body, "tp_dcs_character_set") &&
                             !json_is_null(json_object_get(
                                 body, "tp_dcs_character_set"))
                         ? (int)given
                         : -1,
                     &m);
    if (rc != SMS_OK)
        return fail(e, 422, "%s", sms_strerror(rc));
    d->charset = (uint8_t)m.charset;
    d->message_parts = m.parts;
    if (get_hex(body, "tp_data_coding_scheme", 2, &d->tp_data_coding_scheme,
                e) != 0)
        return -1;
    if (d->tp_data_coding_scheme == NULL)
        d->tp_data_coding_scheme = xstrdup("00");
    return 0;
}

static int parts_and_dcs(json_t *body, struct msg_data *d, struct verr *e)
{
    long long v;
    bool given;
    if (get_int(body, "message_parts", 1, 255, &v, &given, e) != 0)
        return -1;
    if (given)
        d->message_parts = (int32_t)v;
    if (get_int(body, "message_part_number", 1, 255, &v, &given, e) != 0)
        return -1;
    if (given)
        d->message_part_number = (int32_t)v;
    if (d->message_part_number > d->message_parts)
        return fail(e, 422, "message_part_number must not exceed "
                            "message_parts");
    if (get_int(body, "tp_dcs_message_class", 0, 3, &v, &given, e) != 0)
        return -1;
    if (given)
        d->tp_dcs_message_class = (uint8_t)v;
    if (get_int(body, "status_report_for", 1, INT64_MAX, &v, &given, e) != 0)
        return -1;
    if (given)
        d->status_report_for = v;
    return 0;
}

static int source_type(json_t *body, struct msg_data *d, struct verr *e)
{
    char *st = NULL;
    if (get_str(body, "source_type", 32, &st, e) != 0)
        return -1;
    int t = SRC_NONE;
    int rc = st && msg_source_type_parse(st, &t) != 0;
    free(st);
    if (rc)
        return fail(e, 422, "source_type must be one of ims, "
                            "circuit_switched, smpp");
    d->source_type = (uint8_t)t;
    return 0;
}

static int flags_and_times(json_t *body, struct msg_data *d, struct verr *e)
{
    if (get_bool(body, "tp_dcs_compressed", &d->tp_dcs_compressed, e) ||
        get_bool(body, "tp_dcs_has_message_class", &d->tp_dcs_has_message_class,
                 e) ||
        get_bool(body, "status_report_requested", &d->status_report_requested,
                 e) ||
        get_bool(body, "raw_data_flag", &d->raw_data_flag, e) ||
        get_bool(body, "raw_sip_flag", &d->raw_sip_flag, e))
        return -1;
    if (get_time(body, "send_time", &d->send_time, e) ||
        get_time(body, "deliver_after", &d->deliver_after, e) ||
        get_time(body, "expires", &d->expires, e))
        return -1;
    return source_type(body, d, e);
}

int msg_from_json(json_t *body, struct msg_data *d, char *err, size_t errlen)
{
    struct verr e = {err, errlen, 0};
    msg_data_init(d);
    static const char *const required[] = {"source_msisdn",
                                           "destination_msisdn",
                                           "message_body", "source_smsc"};
    if (check_known(body, create_fields, &e) != 0)
        goto fail;
    for (size_t i = 0; i < 4; i++)
        if (require(body, required[i], &e) != 0)
            goto fail;
    if (get_str(body, "source_msisdn", 64, &d->source_msisdn, &e) ||
        get_str(body, "destination_msisdn", 64, &d->destination_msisdn, &e) ||
        get_name(body, "source_smsc", &d->source_smsc, &e) ||
        get_name(body, "dest_smsc", &d->dest_smsc, &e) ||
        get_imsi(body, "source_imsi", &d->source_imsi, &e) ||
        get_imsi(body, "dest_imsi", &d->dest_imsi, &e) ||
        get_str(body, "tp_dcs_coding_group", 64, &d->tp_dcs_coding_group,
                &e) ||
        get_hex(body, "tp_user_data_header", 280, &d->tp_user_data_header,
                &e) ||
        get_hex(body, "raw_pdu", MSG_MAX_STR, &d->raw_pdu, &e))
        goto fail;
    if (body_and_coding(body, d, &e) || parts_and_dcs(body, d, &e) ||
        flags_and_times(body, d, &e))
        goto fail;
    return 0;
fail:
    msg_data_free(d);
    return e.status;
}

static const char *const raw_fields[] = {
    "pdu", "source_smsc", "source_msisdn", "destination_msisdn",
    "source_imsi", "dest_imsi", "dest_smsc", "source_type", NULL,
};

int msg_raw_from_json(json_t *body, struct msg_data *d, char **pdu, char *err,
                      size_t errlen)
{
    struct verr e = {err, errlen, 0};
    msg_data_init(d);
    *pdu = NULL;
    if (check_known(body, raw_fields, &e) || require(body, "pdu", &e) ||
        require(body, "source_smsc", &e) ||
        get_hex(body, "pdu", 2 * 255, pdu, &e) ||
        get_name(body, "source_smsc", &d->source_smsc, &e) ||
        get_name(body, "dest_smsc", &d->dest_smsc, &e) ||
        get_str(body, "source_msisdn", 64, &d->source_msisdn, &e) ||
        get_str(body, "destination_msisdn", 64, &d->destination_msisdn, &e) ||
        get_imsi(body, "source_imsi", &d->source_imsi, &e) ||
        get_imsi(body, "dest_imsi", &d->dest_imsi, &e) ||
        source_type(body, d, &e)) {
        free(*pdu);
        *pdu = NULL;
        msg_data_free(d);
        return e.status;
    }
    return 0;
}

int msg_check_numbers(const struct msg_data *d, char *err, size_t errlen)
{
    if (!sms_valid_destination(d->destination_msisdn)) {
        snprintf(err, errlen,
                 "Invalid phone number format (destination_msisdn)");
        return 422;
    }
    if (!sms_valid_source(d->source_msisdn)) {
        snprintf(err, errlen, "Invalid phone number format (source_msisdn)");
        return 422;
    }
    return 0;
}

static const char *const patch_fields[] = {
    "dest_smsc", "deliver_after", "message_body", "status", "expires",
    "deadletter", "delivery_attempts", "deliver_time", "delivered_at", NULL,
};

static int patch_status(json_t *body, struct cmd_patch *p, struct verr *e)
{
    char *st = NULL;
    if (get_str(body, "status", 32, &st, e) != 0)
        return -1;
    if (st == NULL)
        return 0;
    int s;
    int rc = msg_status_parse(st, &s);
    free(st);
    if (rc != 0)
        return fail(e, 422, "status must be one of pending, delivered, failed, "
                            "expired, dropped, rejected");
    p->set.status = (uint8_t)s;
    p->mask |= PATCH_STATUS;
    return 0;
}

static int patch_body(json_t *body, struct cmd_patch *p, struct verr *e)
{
    if (!json_object_get(body, "message_body"))
        return 0;
    if (require(body, "message_body", e) ||
        get_str(body, "message_body", MSG_MAX_STR, &p->set.message_body, e))
        return -1;
    struct sms_measure m;
    int rc = sms_measure(p->set.message_body, strlen(p->set.message_body), -1,
                         &m);
    if (rc != SMS_OK)
        return fail(e, 422, "%s", sms_strerror(rc));
    p->set.charset = (uint8_t)m.charset;
    p->set.message_parts = m.parts;
    p->mask |= PATCH_BODY;
    return 0;
}

static int patch_times(json_t *body, struct cmd_patch *p, struct verr *e)
{
    if (json_object_get(body, "deliver_after")) {
        if (get_time(body, "deliver_after", &p->set.deliver_after, e))
            return -1;
        p->mask |= PATCH_DELIVER_AFTER;
    }
    if (json_object_get(body, "expires")) {
        if (get_time(body, "expires", &p->set.expires, e))
            return -1;
        p->mask |= PATCH_EXPIRES;
    }
    const char *dt = json_object_get(body, "deliver_time") ? "deliver_time"
                     : json_object_get(body, "delivered_at") ? "delivered_at"
                                                             : NULL;
    if (dt) {
        if (get_time(body, dt, &p->set.deliver_time, e))
            return -1;
        p->mask |= PATCH_DELIVER_TIME;
    }
    return 0;
}

int msg_patch_from_json(json_t *body, struct cmd_patch *p, char *err,
                        size_t errlen)
{
    struct verr e = {err, errlen, 0};
    if (check_known(body, patch_fields, &e) != 0)
        return e.status;
    if (json_object_size(body) == 0) {
        fail(&e, 422, "Nothing to update: give dest_smsc, deliver_after, "
                      "message_body, status, expires, deadletter, "
                      "delivery_attempts or deliver_time");
        return e.status;
    }
    if (json_object_get(body, "dest_smsc")) {
        if (get_name(body, "dest_smsc", &p->set.dest_smsc, &e))
            return e.status;
        p->mask |= PATCH_DEST_SMSC;
    }
    if (json_object_get(body, "deadletter")) {
        if (!json_is_boolean(json_object_get(body, "deadletter")))
            return fail(&e, 422, "deadletter must be true or false"), e.status;
        p->set.deadletter = json_is_true(json_object_get(body, "deadletter"));
        p->mask |= PATCH_DEADLETTER;
    }
    long long v;
    bool given;
    if (get_int(body, "delivery_attempts", 0, 100000, &v, &given, &e))
        return e.status;
    if (given) {
        p->set.delivery_attempts = (int32_t)v;
        p->mask |= PATCH_ATTEMPTS;
    }
    if (patch_status(body, p, &e) || patch_body(body, p, &e) ||
        patch_times(body, p, &e))
        return e.status;
    return 0;
}
