/* cdr_writer — the CDR writer thread and the CDR query thread (SPEC §10,
 * DESIGN "CDRs").
 *
 * The writer drains the replicated outbox into SQL: batches of
 * batch_insert_batch_size, or what is there every
 * batch_insert_flush_interval_ms, each in one transaction that also
 * advances cdr_writer_state(cluster_id, writer, last_seq) — so a crash, a
 * leader change or an outage neither loses nor duplicates a row — then it
 * proposes an ack so every replica trims its outbox.  With a shared
 * database (postgres, mysql) only the leader writes, as writer "cluster";
 * with sqlite every node writes its own file, as writer = its name.  When
 * SQL is down it reconnects with backoff (100 ms doubling to 5 s) and the
 * outbox grows meanwhile.  When it falls behind it writes up to ten
 * batches per transaction until it has caught up.
 *
 * The query thread answers searches (GET /api/cdrs, events of messages
 * that left the store) on its own connection, so SQL I/O never runs on the
 * raft or HTTP threads.
 *
 * The writer knows nothing of raft or HTTP: it reaches the replicated state
 * through struct cdr_writer_source, whose callbacks run on the writer
 * thread and must not block on I/O.
 */
#ifndef SMSC_CDR_WRITER_H
#define SMSC_CDR_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sql/cdr_sink.h"

#define CDR_SHARED_WRITER "cluster"

struct cdr_writer_source {
    void *arg;
    /* Copies the cluster id into out; false before the cluster has one. */
    bool (*cluster_id)(void *arg, char *out, size_t len);
    /* True while this node leads the cluster. */
    bool (*is_leader)(void *arg);
    /* The outbox's first seq held and its last seq. */
    void (*bounds)(void *arg, int64_t *head, int64_t *last);
    /* Copies what follows `after` (see store_outbox_read). */
    int64_t (*read)(void *arg, int64_t after, size_t max,
                    struct cdr_row **rows, size_t *n,
                    struct cdr_event **events, size_t *m);
    /* The replicated ack of writer (0 = none). */
    int64_t (*acked)(void *arg, const char *writer);
    /* Proposes CMD_CDR_ACK{writer, upto, shared}; fire and forget. */
    void (*ack)(void *arg, const char *writer, int64_t upto, bool shared);
    /* The replicated batch_insert_batch_size and flush interval. */
    void (*batching)(void *arg, size_t *batch, int64_t *flush_ms);
};

struct cdr_writer_config {
    struct cdr_sink_config sink;   /* strings copied by cdr_writer_start */
    const char *node_name;
};

struct cdr_writer_stats {
    const char *adapter;           /* "sqlite", "postgres", "mysql" */
    const char *writer;            /* "cluster" or this node's name */
    bool active;                   /* writing now (sqlite: always; else leader) */
    bool connected;
    uint64_t total_flushed;        /* rows + events stored by this node */
    uint64_t rows_flushed;
    uint64_t events_flushed;
    uint64_t total_batches;
    uint64_t flush_errors;         /* failed connects, migrations, batches */
    int64_t last_flush_at;         /* ms since the epoch, 0 = never */
    uint64_t last_flush_count;
    double last_flush_duration_ms;
    int64_t written_seq;           /* highest seq stored (last_seq in SQL) */
    char last_error[512];
};

struct cdr_writer;

/* Starts both threads.  Returns NULL with err set when the configuration
 * is invalid (an unreachable database is not an error: it is retried). */
struct cdr_writer *cdr_writer_start(const struct cdr_writer_config *cfg,
                                    const struct cdr_writer_source *src,
                                    char *err, size_t errlen);
/* Stops both threads (a batch in flight finishes; queued queries complete
 * with an error, and so do later ones).  w stays valid until
 * cdr_writer_free (which stops it first when needed). */
void cdr_writer_stop(struct cdr_writer *w);
void cdr_writer_free(struct cdr_writer *w);
void cdr_writer_get_stats(struct cdr_writer *w, struct cdr_writer_stats *st);

/* A query for the query thread.  The caller fills the request, sets done,
 * and keeps the job alive until done() has run (on the query thread: it
 * must only hand the job over).  Results are owned by the job and freed
 * with cdr_query_job_clear. */
enum cdr_job_kind { CDR_JOB_SEARCH = 1, CDR_JOB_EVENTS = 2 };

struct cdr_query_job {
    int kind;                      /* enum cdr_job_kind */
    struct cdr_query q;            /* SEARCH: strings borrowed from below */
    char msisdn[64];
    char status[16];
    char cluster_id[256];          /* EVENTS */
    int64_t message_id;            /* EVENTS */
    void (*done)(struct cdr_query_job *j);
    void *data;
    /* Set before done() runs: */
    int rc;                        /* 0 or a negative enum cdr_status */
    struct cdr_error err;
    struct cdr_row *rows;
    size_t n_rows;
    struct cdr_event *events;
    size_t n_events;
    struct cdr_query_job *next;    /* private */
};

void cdr_writer_query(struct cdr_writer *w, struct cdr_query_job *j);
void cdr_query_job_clear(struct cdr_query_job *j);

#endif
