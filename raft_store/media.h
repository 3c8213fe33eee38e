/* media — the MMS message and SS7 event tables (SPEC §4 "MMS and SS7").
 *
 * Two plain CRUD resources replicated through the raft log: an MMS message
 * (the notification a frontend queues: numbers, subject, content type and
 * location, size, status) and an SS7 event (a MAP operation seen on the
 * signalling network: type, subscriber, time, free-form details kept as
 * compact JSON text).  Neither takes part in routing or the message
 * lifecycle.
 *
 * Records are plain data like struct location_rec: strings owned,
 * NUL-terminated, NULL for JSON null; times in ms since the epoch with
 * TIME_NULL for null.  One binary encoding serves raft commands and
 * snapshots (common/buf.h varints); the decoders bound every string and
 * value and free what they built on error.  The record functions are pure,
 * any thread.
 *
 * The store keeps each table by id with indexes on its filter keys (MMS:
 * status, source and destination number; SS7: event type, MSISDN, IMSI),
 * so a filtered list walks only matching rows.  Each table holds at most
 * MEDIA_MAX_ROWS rows: a create past it is refused with 503.  The store_*
 * reads follow store.h: any thread, holding store_rdlock(), and the
 * returned records are valid only while it is held.
 */
#ifndef SMSC_MEDIA_H
#define SMSC_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "raft_store/msg.h"

/* Longest string of an MMS record (URLs included) and of an SS7 record
 * besides its details. */
#define MEDIA_MAX_STR 2048
/* Longest details of an SS7 event, as compact JSON text. */
#define SS7_MAX_DETAILS 8192
/* Rows per table: a config-free bound (SPEC §3). */
#define MEDIA_MAX_ROWS 1000000

enum mms_status {
    MMS_PENDING = 0,
    MMS_DELIVERED = 1,
    MMS_FAILED = 2,
    MMS_EXPIRED = 3,
    MMS_STATUS_COUNT
};

struct mms_rec {
    int64_t id;                /* > 0 once stored; 0 = "assign one" */
    char *source_msisdn;
    char *destination_msisdn;
    char *subject;
    char *content_type;        /* "image/jpeg" */
    char *content_location;    /* where the content is fetched from */
    int64_t message_size;      /* bytes, >= 0 */
    uint8_t status;            /* enum mms_status, default pending */
    int64_t inserted_at;
    int64_t updated_at;
};

struct ss7_rec {
    int64_t id;
    char *event_type;          /* "MAP_UPDATE_LOCATION" */
    char *imsi;
    char *msisdn;
    int64_t timestamp;         /* when it happened; TIME_NULL in a create
                                * command = the entry's time */
    char *details;             /* compact JSON text, NULL = null */
    int64_t inserted_at;
    int64_t updated_at;
};

void mms_rec_init(struct mms_rec *r);
void mms_rec_free(struct mms_rec *r);
void mms_rec_copy(struct mms_rec *dst, const struct mms_rec *src);
void mms_rec_encode(struct buf *b, const struct mms_rec *r);
/* Returns 0, or -1 when malformed or out of range (r is then freed). */
int mms_rec_decode(struct rd *rd, struct mms_rec *r);

void ss7_rec_init(struct ss7_rec *r);
void ss7_rec_free(struct ss7_rec *r);
void ss7_rec_copy(struct ss7_rec *dst, const struct ss7_rec *src);
void ss7_rec_encode(struct buf *b, const struct ss7_rec *r);
int ss7_rec_decode(struct rd *rd, struct ss7_rec *r);

/* "pending" | "delivered" | "failed" | "expired"; "unknown" otherwise. */
const char *mms_status_name(int status);
/* Returns 0 and sets *out, or -1 for anything but the four names. */
int mms_status_parse(const char *name, int *out);

/* ---- reads (read lock held) ---- */

struct store;

/* The filter keys of each table, in struct media_filter.key[]. */
enum { MMS_KEY_STATUS, MMS_KEY_SOURCE, MMS_KEY_DESTINATION };
enum { SS7_KEY_EVENT_TYPE, SS7_KEY_MSISDN, SS7_KEY_IMSI };
#define MEDIA_KEYS 3

struct media_filter {
    const char *key[MEDIA_KEYS]; /* exact values to match; NULL = any (an
                                  * MMS status by its name) */
    size_t offset;               /* matches skipped */
    size_t limit;                /* most rows returned */
};

const struct mms_rec *store_mms(const struct store *s, int64_t id);
/* Rows matching f in id order; returns how many were written to out. */
size_t store_mms_list(const struct store *s, const struct media_filter *f,
                      const struct mms_rec **out);
size_t store_mms_count(const struct store *s);

const struct ss7_rec *store_ss7(const struct store *s, int64_t id);
size_t store_ss7_list(const struct store *s, const struct media_filter *f,
                      const struct ss7_rec **out);
size_t store_ss7_count(const struct store *s);

#endif
