/* cdr_row — one call detail record and one message event as the CDR writer
 * stores them (SPEC §10, the reference's `cdrs` table; `message_events`).
 *
 * Plain data: every string is NUL-terminated UTF-8 owned by whoever owns
 * the struct (cdr_row_free / cdr_event_free release them); NULL strings are
 * stored as SQL NULL.  Times are int64 milliseconds since the Unix epoch,
 * UTC, with CDR_TIME_NULL meaning SQL NULL.  Any thread.
 */
#ifndef SMSC_CDR_ROW_H
#define SMSC_CDR_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CDR_TIME_NULL INT64_MIN

struct cdr_row {
    /* The outbox sequence number: written rows must carry strictly
     * increasing seqs per writer; not a column of `cdrs` (rows read back by
     * cdr_sink_search have seq 0 and id set). */
    int64_t seq;
    int64_t id;                 /* cdrs.id on rows read back; ignored on write */
    int64_t message_id;
    char *calling_number;       /* NOT NULL */
    char *called_number;        /* NOT NULL */
    char *source_smsc;
    char *dest_smsc;
    char *origin_node;
    char *destination_node;
    int64_t submission_time;    /* NOT NULL */
    int64_t delivery_time;
    int64_t expiry_time;
    char *status;               /* NOT NULL: delivered|expired|failed|rejected */
    int delivery_attempts;
    int message_parts;          /* < 0 = NULL */
    bool deadletter;
    char *message_body;
    int64_t inserted_at;        /* CDR_TIME_NULL = the writer's clock */
    int64_t updated_at;         /* CDR_TIME_NULL = inserted_at */
};

struct cdr_event {
    /* The outbox sequence number, as for rows (0 on events read back by
     * cdr_sink_events).  Stored with the batch's cluster_id. */
    int64_t seq;
    int64_t message_id;
    int64_t event_epoch;        /* ms since the epoch, UTC (BIGINT column) */
    char *name;                 /* NOT NULL */
    char *description;
    char *event_source;
    int64_t inserted_at;        /* CDR_TIME_NULL = the writer's clock */
};

/* Sets every time to CDR_TIME_NULL, message_parts to -1, the rest to 0. */
void cdr_row_init(struct cdr_row *r);
/* Frees the strings (not r itself) and re-initialises r. */
void cdr_row_free(struct cdr_row *r);
/* Frees n rows and the array (as returned by cdr_sink_search). */
void cdr_rows_free(struct cdr_row *rows, size_t n);
void cdr_event_init(struct cdr_event *e);
void cdr_event_free(struct cdr_event *e);
/* Frees n events and the array (as returned by cdr_sink_events). */
void cdr_events_free(struct cdr_event *events, size_t n);

#endif
