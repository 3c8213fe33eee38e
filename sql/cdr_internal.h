/* cdr_internal — what the three SQL backends of cdr_sink share: the
 * backend vtable, the embedded migrations, the column lists, and helpers
 * that turn rows into SQL text values and back.  Private to sql/; the
 * rest of smsc uses sql/cdr_sink.h.  Same thread rules as cdr_sink.
 */
#ifndef SMSC_CDR_INTERNAL_H
#define SMSC_CDR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "sql/cdr_sink.h"

/* One embedded schema file, sql/schema/<dialect>/<version>_<name>.sql
 * (generated into build/gen/sql_schema.c).  Version 0 creates the
 * schema_migrations table and runs on every migrate; it is never recorded. */
struct cdr_migration {
    const char *dialect;  /* "sqlite" | "postgres" | "mysql" */
    int version;
    const char *name;     /* "001_cdrs" */
    const char *sql;      /* statements separated by ';' at line ends */
};
extern const struct cdr_migration cdr_migrations[];
extern const size_t cdr_n_migrations;

struct cdr_sql_params;
struct cdr_reader;

/* The backend vtable; each backend's sink struct starts with a
 * struct cdr_sink whose ops points at its table. */
struct cdr_sink_ops {
    const char *name;
    void (*close)(struct cdr_sink *s);
    /* Migration primitives, driven by cdr_sink_migrate: take the
     * database-wide lock (and open a transaction where DDL is
     * transactional), run a multi-statement script, read the highest
     * recorded version (0 = none), record one, then commit or roll back
     * and release the lock. */
    int (*mig_begin)(struct cdr_sink *s, struct cdr_error *err);
    int (*mig_exec)(struct cdr_sink *s, const char *sql, struct cdr_error *err);
    int (*mig_max)(struct cdr_sink *s, int64_t *max, struct cdr_error *err);
    int (*mig_record)(struct cdr_sink *s, int version, struct cdr_error *err);
    int (*mig_end)(struct cdr_sink *s, bool commit, struct cdr_error *err);
    /* Batch primitives, driven by cdr_sink_write_batch: open the
     * transaction, lock (or create) the writer's cdr_writer_state row and
     * read its last_seq; insert the rows and events whose seq is above
     * last; store upto as last_seq and commit; roll back whatever is open
     * (never fails).  retry (NULL = never) tells whether the attempt that
     * just failed is worth another (a deadlock victim).  now is the
     * writer's clock for inserted_at / updated_at. */
    int (*batch_begin)(struct cdr_sink *s, const char *cluster_id,
                       const char *writer, int64_t now, int64_t *last,
                       struct cdr_error *err);
    int (*batch_insert)(struct cdr_sink *s, const char *cluster_id,
                        int64_t last, int64_t now, const struct cdr_row *rows,
                        size_t n, const struct cdr_event *events, size_t m,
                        struct cdr_error *err);
    int (*batch_commit)(struct cdr_sink *s, const char *cluster_id,
                        const char *writer, int64_t upto, int64_t now,
                        struct cdr_error *err);
    void (*batch_rollback)(struct cdr_sink *s);
    bool (*batch_retry)(struct cdr_sink *s);
    int (*last_seq)(struct cdr_sink *s, const char *cluster_id,
                    const char *writer, int64_t *out, struct cdr_error *err);
    /* Reads: cdr_sink.c writes the SELECT (cdr_search_sql,
     * cdr_events_sql) with the backend's parameter style, select runs it
     * and feeds each result row to rd as text.  what names the statement
     * in messages.  ensure (NULL = none) re-establishes a dropped
     * connection before the statement is written. */
    int (*ensure)(struct cdr_sink *s, struct cdr_error *err);
    char ph;        /* placeholder prefix ('?', '$'), 0 = quote literals */
    void (*quote)(struct cdr_sink *s, struct buf *sql, const char *value);
    bool frac;      /* the dialect's times keep milliseconds */
    int (*select)(struct cdr_sink *s, const char *sql,
                  const struct cdr_sql_params *p, struct cdr_reader *rd,
                  const char *what, struct cdr_error *err);
};

struct cdr_sink {
    const struct cdr_sink_ops *ops;
};

/* Backend constructors (cfg already validated; timeout_ms set). */
int cdr_sqlite_open(const struct cdr_sink_config *cfg, struct cdr_sink **out,
                    struct cdr_error *err);
int cdr_pg_open(const struct cdr_sink_config *cfg, struct cdr_sink **out,
                struct cdr_error *err);
int cdr_mysql_open(const struct cdr_sink_config *cfg, struct cdr_sink **out,
                   struct cdr_error *err);

/* Sets err (may be NULL) to code and a formatted message; returns code. */
int cdr_err_set(struct cdr_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "YYYY-MM-DD HH:MM:SS.mmm" (frac) or "YYYY-MM-DD HH:MM:SS", UTC. */
#define CDR_TIME_SQL_LEN 24
void cdr_time_sql(int64_t ms, bool frac, char out[CDR_TIME_SQL_LEN]);
/* Parses what the databases return for a timestamp column ("YYYY-MM-DD
 * HH:MM:SS[.fff...]", UTC, or with a 'T').  Returns 0 or -1. */
int cdr_time_from_sql(const char *s, int64_t *ms);

/* The inserted columns of cdrs (without id), in order, comma-separated. */
#define CDR_NCOLS 17
extern const char cdr_insert_columns[];
/* id followed by the CDR_NCOLS columns: what search selects. */
extern const char cdr_select_columns[];
/* The columns of message_events (without id) in insert and select order:
 * cluster_id first. */
#define CDR_EV_NCOLS 7
extern const char cdr_event_columns[];

/* A row's values as SQL text (NULL = SQL NULL), borrowed from r and buf. */
struct cdr_vals {
    const char *v[CDR_NCOLS];
    char buf[CDR_NCOLS * 32];
};
/* now fills a NULL inserted_at; frac = keep milliseconds in times. */
void cdr_row_values(const struct cdr_row *r, int64_t now, bool frac,
                    struct cdr_vals *out);
struct cdr_ev_vals {
    const char *v[CDR_EV_NCOLS];
    char buf[CDR_EV_NCOLS * 32];
};
/* cluster_id is the batch's (borrowed like e). */
void cdr_event_values(const struct cdr_event *e, const char *cluster_id,
                      int64_t now, bool frac, struct cdr_ev_vals *out);
/* Fills r (initialised, owning copies) from the 1 + CDR_NCOLS text values
 * of a search result (NULL = SQL NULL).  Returns 0 or -1 (bad value). */
int cdr_row_from_text(struct cdr_row *r, const char *const vals[]);
/* Fills e (initialised, owning copies) from the CDR_EV_NCOLS text values
 * of cdr_event_columns (cluster_id is not kept).  Returns 0 or -1. */
int cdr_event_from_text(struct cdr_event *e, const char *const vals[]);

/* What a SELECT reads into: a growing array of rows (search: 1 +
 * CDR_NCOLS values a result row) or of events (CDR_EV_NCOLS values). */
struct cdr_reader {
    bool events;
    int ncols;
    struct cdr_row *rows;
    struct cdr_event *evs;
    size_t n, cap;
};
void cdr_reader_init(struct cdr_reader *rd, bool events);
/* Appends the item of one result row (text values, NULL = SQL NULL).
 * Returns 0, or -1 on a value that does not parse. */
int cdr_reader_add(struct cdr_reader *rd, const char *const vals[]);
/* Frees what was read (after a failed select). */
void cdr_reader_free(struct cdr_reader *rd);


/* The parameters of a statement being written: cdr_sql_param appends a
 * placeholder, ph followed by its 1-based number (sqlite '?', postgres
 * '$'), and records the value in v[]; with ph 0 it appends the value as a
 * literal through quote(ctx, ...) instead (mysql).  Values are borrowed,
 * or kept in text[] for times and numbers. */
#define CDR_SQL_MAXPARAMS 8
struct cdr_sql_params {
    char ph;
    void (*quote)(void *ctx, struct buf *sql, const char *value);
    void *ctx;
    bool frac;                  /* times with milliseconds */
    int n;
    const char *v[CDR_SQL_MAXPARAMS];
    char text[CDR_SQL_MAXPARAMS][CDR_TIME_SQL_LEN];
};
void cdr_sql_params_init(struct cdr_sql_params *p, char ph,
                         void (*quote)(void *ctx, struct buf *sql,
                                       const char *value),
                         void *ctx, bool frac);
/* value NULL is SQL NULL. */
void cdr_sql_param(struct buf *sql, struct cdr_sql_params *p,
                   const char *value);
/* The statements of cdr_sink_search and cdr_sink_events: select the
 * columns cdr_reader expects. */
void cdr_search_sql(struct buf *sql, const struct cdr_query *q,
                    struct cdr_sql_params *p);
void cdr_events_sql(struct buf *sql, const char *cluster_id,
                    int64_t message_id, struct cdr_sql_params *p);
/* Appends a NUL-terminated string without the NUL; buf_cstr terminates. */
void cdr_buf_puts(struct buf *b, const char *s);
const char *cdr_buf_cstr(struct buf *b);

#endif
