/* settings — the replicated cluster settings (SPEC §12).
 *
 * These shape the state machine's behaviour, so they are never per node:
 * the config of the node whose `init` command wins fills them, then only
 * `PATCH /api/settings` (a replicated command) changes them.  The struct is
 * plain data; store_settings_defaults() gives the documented defaults and
 * store_settings_check() validates ranges.  Pure, any thread.
 */
#ifndef SMSC_SETTINGS_H
#define SMSC_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum charging_failure_action {
    CHARGING_ALLOW = 0,
    CHARGING_DENY = 1,
};

struct store_settings {
    int64_t message_retention_hours;          /* 24 */
    int64_t retention_check_interval_minutes; /* 60 */
    int64_t dead_letter_time_minutes;         /* 1440 */
    int64_t cleanup_interval_minutes;         /* 10 */
    int64_t fingerprint_ttl_minutes;          /* 5 */
    int64_t event_ttl_days;                   /* 7 */
    int64_t frontend_timeout_seconds;         /* 90 */
    int64_t frontend_history_days;            /* 7 */
    int64_t max_delivery_attempts;            /* 0 = no limit */
    int64_t max_pending_messages;             /* 5,000,000 */
    bool reject_unrouted;                     /* false */
    int64_t batch_insert_batch_size;          /* 100 */
    int64_t batch_insert_flush_interval_ms;   /* 100 */
    bool cdr_enabled;                         /* true */
    int64_t cdr_outbox_max_rows;              /* 1,000,000 */
    bool delete_message_body_after_delivery;  /* false */
    bool hide_message_body_in_ui;             /* false */
    bool hide_message_body_in_export;         /* false */
    bool default_charging_enabled;            /* false */
    int charging_failure_action;              /* CHARGING_ALLOW */
};

/* One row per setting: its JSON name, kind and where it lives, so the config
 * parser, the codec, PATCH /api/settings and the docs share one table. */
enum setting_kind { SETTING_INT, SETTING_BOOL, SETTING_ACTION };

struct setting_desc {
    const char *name;
    enum setting_kind kind;
    size_t offset;     /* into struct store_settings */
    int64_t min, max;  /* inclusive, for SETTING_INT */
};

extern const struct setting_desc store_setting_table[];
extern const unsigned store_setting_count;

void store_settings_defaults(struct store_settings *s);
/* Returns NULL when every value is in range, else the name of the first
 * setting that is not. */
const char *store_settings_check(const struct store_settings *s);
/* Parses "allow"/"deny"; returns 0 or -1. */
int store_charging_action_parse(const char *s, int *out);
const char *store_charging_action_name(int action);

#endif
