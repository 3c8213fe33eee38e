/* cdr_sink — the SQL side of the CDR writer (SPEC §10, DESIGN "CDRs").
 *
 * A sink is one connection to one database: SQLite (a file, the embedded
 * default), PostgreSQL (libpq) or MySQL/MariaDB (libmariadb).  It creates
 * and upgrades the schema (sql/schema/<dialect>/NNN_*.sql, embedded in the
 * binary; safe to run on every start and from several nodes at once), and
 * writes batches of CDR rows and message events exactly once: in one
 * transaction it skips everything at or below the writer's stored
 * `cdr_writer_state.last_seq`, inserts the rest and advances last_seq.
 * It reads CDRs back by MSISDN, status and time, and a message's events
 * by cluster.
 *
 * Every call blocks on SQL I/O: a sink belongs to one dedicated writer
 * thread (never the raft loop or an HTTP thread) and must not be shared
 * between threads without a lock.  No libevent, no libuv.
 *
 * Errors: functions return 0 (or a value >= 0) on success and a negative
 * enum cdr_status on failure, with a message naming the database, the
 * statement's purpose and the server's text in err->msg.
 */
#ifndef SMSC_CDR_SINK_H
#define SMSC_CDR_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sql/cdr_row.h"

enum cdr_status {
    CDR_OK = 0,
    CDR_EINVAL = -1,    /* bad configuration or argument */
    CDR_ECONNECT = -2,  /* cannot open / connect (retry later) */
    CDR_ESQL = -3,      /* a statement failed (the transaction was rolled back) */
    CDR_ESCHEMA = -4,   /* the database holds a newer schema than this binary */
    CDR_ENOTSUP = -5,   /* adapter not built in */
};

struct cdr_error {
    int code;           /* enum cdr_status */
    char msg[512];
};

const char *cdr_strerror(int code);

/* What cdr_sink_open needs; every string is borrowed for the call only. */
struct cdr_sink_config {
    const char *adapter;     /* "sqlite" | "postgres" | "mysql"; NULL = sqlite */
    const char *host;        /* NULL = localhost (postgres: the local socket) */
    int port;                /* 0 = the adapter's default (5432, 3306) */
    const char *user;
    const char *password;
    const char *dbname;      /* postgres/mysql database name */
    bool ssl;                /* require TLS (postgres sslmode=require, mysql enforce) */
    const char *sqlite_path; /* sqlite: the database file, created if missing */
    int timeout_ms;          /* connect / busy timeout; 0 = 10000 */
};

struct cdr_sink;

/* Opens a connection (SQLite: the file, in WAL mode with a busy timeout).
 * Returns 0 and a new sink in *out (released with cdr_sink_close), or a
 * negative status with err filled.  Does not migrate. */
int cdr_sink_open(const struct cdr_sink_config *cfg, struct cdr_sink **out,
                  struct cdr_error *err);
/* The adapter name ("sqlite", "postgres", "mysql"). */
const char *cdr_sink_adapter(const struct cdr_sink *s);

/* Applies the migrations the database has not recorded in
 * schema_migrations, each in order, under a database-wide lock (SQLite
 * BEGIN IMMEDIATE, PostgreSQL pg_advisory_xact_lock, MySQL GET_LOCK).
 * A no-op when the schema is current.  Returns the number of migrations
 * applied (>= 0) or a negative status. */
int cdr_sink_migrate(struct cdr_sink *s, struct cdr_error *err);
/* The newest schema version this binary knows. */
int cdr_schema_version(void);

/* Writes a batch in one transaction: rows and events whose seq is at or
 * below the stored last_seq of (cluster_id, writer) are skipped, the rest
 * inserted (in array order; seqs must be increasing within each array),
 * and last_seq is advanced to the highest seq of the batch.  Arrays are
 * borrowed; n or m may be 0.  Returns the writer's last_seq after the call
 * (>= 0), or -1 with err filled (nothing was written). */
int64_t cdr_sink_write_batch(struct cdr_sink *s, const char *cluster_id,
                             const char *writer, const struct cdr_row *rows,
                             size_t n, const struct cdr_event *events,
                             size_t m, struct cdr_error *err);

/* The stored last_seq of (cluster_id, writer), 0 when it has none.
 * Returns 0 with *out set, or a negative status. */
int cdr_sink_last_seq(struct cdr_sink *s, const char *cluster_id,
                      const char *writer, int64_t *out, struct cdr_error *err);

struct cdr_query {
    const char *msisdn;   /* calling_number or called_number; NULL = any */
    const char *status;   /* status equals (e.g. "delivered"); NULL = any */
    int64_t from_ms;      /* submission_time >= from; CDR_TIME_NULL = open */
    int64_t to_ms;        /* submission_time < to; CDR_TIME_NULL = open */
    size_t limit;         /* 0 = 100 */
    size_t offset;
};

/* Rows matching q, newest submission_time first (then highest id).
 * Returns 0 with a new array in *rows (free with cdr_rows_free; NULL when
 * *n is 0), or a negative status. */
int cdr_sink_search(struct cdr_sink *s, const struct cdr_query *q,
                    struct cdr_row **rows, size_t *n, struct cdr_error *err);

/* The message events of message_id written by cluster_id's writers
 * (other clusters' events of the same message id are not included), in
 * event_epoch order, then insertion order.  Returns 0 with a new array in
 * *events (free with cdr_events_free; NULL when *n is 0; seq is 0 and
 * inserted_at set), or a negative status. */
int cdr_sink_events(struct cdr_sink *s, const char *cluster_id,
                    int64_t message_id, struct cdr_event **events, size_t *n,
                    struct cdr_error *err);

/* Closes the connection and frees s (NULL is fine). */
void cdr_sink_close(struct cdr_sink *s);

#endif
