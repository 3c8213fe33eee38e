/* settings — the replicated cluster settings table (see settings.h).
 *
 * store_setting_table is the one description of every cluster setting: its
 * JSON name (always the struct field's name), its kind, where it lives in
 * struct store_settings and, for integers, its inclusive range.  The config
 * parser, the command codec, PATCH /api/settings and the docs all iterate
 * over it, so adding a setting means adding a field and a row here.  The
 * defaults below are the ones documented next to each field in settings.h.
 * Everything here is pure and may run on any thread.
 */
#include "raft_store/settings.h"

#include <stddef.h>
#include <string.h>

/* clang-format off */
#define INT_ROW(field, lo, hi) \
    { #field, SETTING_INT, offsetof(struct store_settings, field), (lo), (hi) }
#define BOOL_ROW(field) \
    { #field, SETTING_BOOL, offsetof(struct store_settings, field), 0, 1 }
#define ACTION_ROW(field) \
    { #field, SETTING_ACTION, offsetof(struct store_settings, field), \
      CHARGING_ALLOW, CHARGING_DENY }
/* clang-format on */

const struct setting_desc store_setting_table[] = {
    INT_ROW(message_retention_hours, 1, 87600),
    INT_ROW(retention_check_interval_minutes, 1, 10080),
    INT_ROW(dead_letter_time_minutes, 1, 525600),
    INT_ROW(cleanup_interval_minutes, 1, 1440),
    INT_ROW(fingerprint_ttl_minutes, 1, 1440),
    INT_ROW(event_ttl_days, 1, 3650),
    INT_ROW(frontend_timeout_seconds, 1, 86400), /* 1: short test windows */
    INT_ROW(frontend_history_days, 1, 3650),
    INT_ROW(max_delivery_attempts, 0, 1000),
    INT_ROW(max_pending_messages, 1, 100000000),
    BOOL_ROW(reject_unrouted),
    INT_ROW(batch_insert_batch_size, 1, 100000),
    INT_ROW(batch_insert_flush_interval_ms, 1, 60000),
    BOOL_ROW(cdr_enabled),
    INT_ROW(cdr_outbox_max_rows, 1000, 100000000),
    BOOL_ROW(delete_message_body_after_delivery),
    BOOL_ROW(hide_message_body_in_ui),
    BOOL_ROW(hide_message_body_in_export),
    BOOL_ROW(default_charging_enabled),
    ACTION_ROW(charging_failure_action),
};

const unsigned store_setting_count =
    (unsigned)(sizeof store_setting_table / sizeof store_setting_table[0]);

void store_settings_defaults(struct store_settings *s)
{
    memset(s, 0, sizeof *s);
    s->message_retention_hours = 24;
    s->retention_check_interval_minutes = 60;
    s->dead_letter_time_minutes = 1440;
    s->cleanup_interval_minutes = 10;
    s->fingerprint_ttl_minutes = 5;
    s->event_ttl_days = 7;
    s->frontend_timeout_seconds = 90;
    s->frontend_history_days = 7;
    s->max_delivery_attempts = 0;
    s->max_pending_messages = 5000000;
    s->reject_unrouted = false;
    s->batch_insert_batch_size = 100;
    s->batch_insert_flush_interval_ms = 100;
    s->cdr_enabled = true;
    s->cdr_outbox_max_rows = 1000000;
    s->delete_message_body_after_delivery = false;
    s->hide_message_body_in_ui = false;
    s->hide_message_body_in_export = false;
    s->default_charging_enabled = false;
    s->charging_failure_action = CHARGING_ALLOW;
}

/* Reads the value of one row as an int64 (bools as 0/1). */
static int64_t setting_value(const struct store_settings *s,
                             const struct setting_desc *d)
{
    const char *p = (const char *)s + d->offset;
    int64_t i64;
    bool b;
    int i;

    switch (d->kind) {
    case SETTING_INT:
        memcpy(&i64, p, sizeof i64);
        return i64;
    case SETTING_BOOL:
        memcpy(&b, p, sizeof b);
        return b ? 1 : 0;
    case SETTING_ACTION:
        memcpy(&i, p, sizeof i);
        return i;
    }
    return 0;
}

const char *store_settings_check(const struct store_settings *s)
{
    for (unsigned i = 0; i < store_setting_count; i++) {
        const struct setting_desc *d = &store_setting_table[i];
        int64_t v = setting_value(s, d);

        if (v < d->min || v > d->max)
            return d->name;
    }
    return NULL;
}

int store_charging_action_parse(const char *s, int *out)
{
    if (s == NULL)
        return -1;
    if (strcmp(s, "allow") == 0) {
        *out = CHARGING_ALLOW;
        return 0;
    }
    if (strcmp(s, "deny") == 0) {
        *out = CHARGING_DENY;
        return 0;
    }
    return -1;
}

const char *store_charging_action_name(int action)
{
    switch (action) {
    case CHARGING_ALLOW:
        return "allow";
    case CHARGING_DENY:
        return "deny";
    default:
        return "unknown";
    }
}
