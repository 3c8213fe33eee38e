/* frontends — the frontend registry (SPEC §4 "Frontends (gateways)"): the
 * record, its binary codec and the store's reads.
 *
 * A frontend (SMPP gateway, IMS AS, MAP gateway, web app...) registers and
 * then heartbeats with CMD_FE_HEARTBEAT.  The state machine keeps one row
 * per registration: a heartbeat refreshes the name's active row, or opens
 * a new row when the name has none.  A row stays `active` until a tick
 * finds frontend_timeout_seconds passed since its last heartbeat
 * (expires_at), then it is `expired`; expired rows are purged
 * frontend_history_days after their last heartbeat.  At most FE_MAX_ROWS
 * rows are kept: a new registration past it purges the oldest expired row,
 * and is refused (503) only when every row is active.
 *
 * The record is plain data like struct location_rec: owned NUL-terminated
 * strings (NULL = null), times in ms with TIME_NULL.  The codec serves raft
 * commands and snapshots alike; the decoder checks every length and value
 * and frees what it built on error.  Record functions are pure, any
 * thread.  The store_frontend* reads need the store's read lock held
 * around them and around every use of the records they return.
 */
#ifndef SMSC_FRONTENDS_H
#define SMSC_FRONTENDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "raft_store/msg.h"

#define FE_MAX_NAME 128       /* frontend_name: [A-Za-z0-9._:@-]+ */
#define FE_MAX_TYPE 32        /* frontend_type */
#define FE_MAX_IP 45          /* canonical IPv6 text */
#define FE_MAX_HOST 255       /* hostname */
#define FE_MAX_CONFIG 8192    /* configuration, compact JSON text */
#define FE_MAX_ROWS 100000    /* registrations kept, history included */
#define FE_UPTIME_NULL (-1)   /* uptime_seconds not given */

enum fe_status {
    FE_ACTIVE = 0,
    FE_EXPIRED = 1,
    FE_STATUS_COUNT
};

struct frontend_rec {
    int64_t id;               /* > 0 once stored; 0 in a heartbeat */
    char *frontend_name;      /* required */
    char *frontend_type;      /* "smpp", "ims", "map", "sip", "http", ... */
    char *ip_address;         /* canonical text */
    char *hostname;
    char *configuration;      /* compact JSON text of an object, or NULL */
    int64_t uptime_seconds;   /* >= 0, FE_UPTIME_NULL = not given */
    uint8_t status;           /* enum fe_status */
    int64_t last_seen_at;     /* last heartbeat */
    int64_t expires_at;       /* last_seen_at + frontend_timeout_seconds */
    int64_t inserted_at;      /* registration */
    int64_t updated_at;
};

void frontend_rec_init(struct frontend_rec *r);
void frontend_rec_free(struct frontend_rec *r);
void frontend_rec_copy(struct frontend_rec *dst,
                       const struct frontend_rec *src);
void frontend_rec_encode(struct buf *b, const struct frontend_rec *r);
/* Returns 0, or -1 when malformed or out of range (r is then freed). */
int frontend_rec_decode(struct rd *rd, struct frontend_rec *r);
/* 1..FE_MAX_NAME characters of [A-Za-z0-9._:@-]. */
bool frontend_name_valid(const char *s);
const char *frontend_status_name(int status);   /* "active" | "expired" */

/* ---- reads (store read lock held) ---- */

struct store;

struct store_frontend_stats {
    uint64_t active_count;        /* frontends with an active registration */
    uint64_t expired_count;       /* frontends whose latest one expired */
    uint64_t unique_frontends;    /* names with a row */
    uint64_t total_registrations; /* rows, history included */
};

const struct frontend_rec *store_frontend(const struct store *s, int64_t id);
/* The latest row of each name (active_only: only active rows), by name,
 * after skipping offset; returns how many were written to out (<= limit). */
size_t store_frontends(const struct store *s, bool active_only,
                       size_t offset, size_t limit,
                       const struct frontend_rec **out);
/* The rows of name, newest first, after skipping offset: returns how many
 * were written to out (<= limit), or -1 when the name has no row. */
long store_frontend_history(const struct store *s, const char *name,
                            size_t offset, size_t limit,
                            const struct frontend_rec **out);
void store_frontend_stats(const struct store *s,
                          struct store_frontend_stats *st);

#endif
