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
    int64_t (*write_batch)(struct cdr_sink *s, const char *cluster_id,
                           const char *writer, const struct cdr_row *rows,
                           size_t n, const struct cdr_event *events, size_t m,
                           struct cdr_error *err);
    int (*last_seq)(struct cdr_sink *s, const char *cluster_id,
                    const char *writer, int64_t *out, struct cdr_error *err);
    int (*search)(struct cdr_sink *s, const struct cdr_query *q,
                  struct cdr_row **rows, size_t *n, struct cdr_error *err);
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
#define CDR_EV_NCOLS 6
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
void cdr_event_values(const struct cdr_event *e, int64_t now, bool frac,
                      struct cdr_ev_vals *out);
/* Fills r (initialised, owning copies) from the 1 + CDR_NCOLS text values
 * of a search result (NULL = SQL NULL).  Returns 0 or -1 (bad value). */
int cdr_row_from_text(struct cdr_row *r, const char *const vals[]);

/* The highest seq among rows and events, or floor when none is higher. */
int64_t cdr_batch_max_seq(const struct cdr_row *rows, size_t n,
                          const struct cdr_event *events, size_t m,
                          int64_t floor);

/* Appends the WHERE / ORDER BY / LIMIT part of a search to sql.  Each used
 * parameter is written as ph followed by its 1-based number (sqlite '?',
 * postgres '$'), or, when lit is non-NULL, as lit[k] (already-quoted
 * literals for msisdn, from, to).  params[] receives the indexes (0 =
 * msisdn, 1 = from, 2 = to) in placeholder order; returns their count. */
int cdr_search_where(struct buf *sql, const struct cdr_query *q, char ph,
                     const char *const lit[3], int params[3]);
/* Appends a NUL-terminated string without the NUL; buf_cstr terminates. */
void cdr_buf_puts(struct buf *b, const char *s);
const char *cdr_buf_cstr(struct buf *b);

#endif
