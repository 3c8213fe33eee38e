/* tables — the records of the replicated tables besides messages: routes
 * (SPEC §6), number translation rules (SPEC §7) and subscriber locations
 * (SPEC §4).
 *
 * Plain data, like struct msg_data: strings are owned, NUL-terminated and
 * NULL for JSON null ("any" for a filter); times are ms since the epoch
 * with TIME_NULL for null.  The same encoding serves raft commands and
 * snapshots (common/buf.h varints); decoders check every length and value
 * and free what they built on error.  Pure, any thread.
 */
#ifndef SMSC_TABLES_H
#define SMSC_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "raft_store/msg.h"

/* Longest string in a route, rule or location (regexes included). */
#define TABLE_MAX_STR 1024

enum route_charged {
    CHARGED_DEFAULT = 0,
    CHARGED_YES = 1,
    CHARGED_NO = 2,
};

struct route_rec {
    int64_t id;                /* > 0 once stored; 0 = "assign one" */
    char *calling_prefix;      /* filters: NULL = any */
    char *called_prefix;
    char *source_smsc;
    char *enum_domain;
    uint8_t source_type;       /* enum msg_source_type; SRC_NONE = any */
    char *dest_smsc;           /* where a forward goes (may be NULL for a
                                * drop or auto-reply route) */
    bool auto_reply;
    char *auto_reply_message;
    bool drop;
    uint8_t charged;           /* enum route_charged */
    int32_t weight;            /* 1..100, default 100 */
    int32_t priority;          /* 1..255, lower wins */
    char *description;
    bool enabled;              /* default true */
    int64_t inserted_at;
    int64_t updated_at;
};

struct xlat_rule_rec {
    int64_t id;
    char *calling_prefix;      /* filters: NULL = any */
    char *called_prefix;
    char *source_smsc;
    char *calling_match;       /* PCRE2 pattern, NULL = none */
    char *calling_replace;     /* replacement with \1.. back-references */
    char *called_match;
    char *called_replace;
    int32_t priority;          /* 1..255, lower runs first */
    char *description;
    bool enabled;              /* default true */
    bool cont;                 /* JSON "continue", default false */
    int64_t inserted_at;
    int64_t updated_at;
};

struct location_rec {
    int64_t id;
    char *msisdn;
    char *imsi;
    char *location;            /* MSC/VLR or frontend name */
    char *ran_location;
    char *imei;
    char *user_agent;
    bool ims_capable;
    bool csfb;
    bool registered;
    int64_t expires;           /* TIME_NULL = never */
    int64_t inserted_at;
    int64_t updated_at;
};

void route_rec_init(struct route_rec *r);   /* defaults of SPEC §6 */
void route_rec_free(struct route_rec *r);
void route_rec_copy(struct route_rec *dst, const struct route_rec *src);
void route_rec_encode(struct buf *b, const struct route_rec *r);
/* Returns 0, or -1 when malformed or out of range (r is then freed). */
int route_rec_decode(struct rd *rd, struct route_rec *r);

void xlat_rule_rec_init(struct xlat_rule_rec *r);
void xlat_rule_rec_free(struct xlat_rule_rec *r);
void xlat_rule_rec_copy(struct xlat_rule_rec *dst,
                        const struct xlat_rule_rec *src);
void xlat_rule_rec_encode(struct buf *b, const struct xlat_rule_rec *r);
int xlat_rule_rec_decode(struct rd *rd, struct xlat_rule_rec *r);

void location_rec_init(struct location_rec *r);
void location_rec_free(struct location_rec *r);
void location_rec_copy(struct location_rec *dst,
                       const struct location_rec *src);
void location_rec_encode(struct buf *b, const struct location_rec *r);
int location_rec_decode(struct rd *rd, struct location_rec *r);

const char *route_charged_name(int c);          /* "default" | "yes" | "no" */
int route_charged_parse(const char *s, int *out);

#endif
