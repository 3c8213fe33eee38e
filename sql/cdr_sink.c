/* cdr_sink — the adapter-independent half of the CDR sink: configuration
 * checks, dispatch to the backend chosen by `database.adapter`, the
 * migration and batch drivers over the backends' primitives, the
 * statements that read CDRs and events back, error strings, and the
 * row/event constructors.  See sql/cdr_sink.h for the thread rules.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timefmt.h"
#include "common/xalloc.h"
#include "sql/cdr_internal.h"

/* Attempts at a batch the backend says is worth retrying (a deadlock
 * victim while writers of one name race, e.g. during a leader change). */
#define CDR_BATCH_ATTEMPTS 3

const char *cdr_strerror(int code)
{
    switch (code) {
    case CDR_OK: return "ok";
    case CDR_EINVAL: return "invalid argument";
    case CDR_ECONNECT: return "cannot connect to the database";
    case CDR_ESQL: return "SQL statement failed";
    case CDR_ESCHEMA: return "database schema is newer than this binary";
    case CDR_ENOTSUP: return "database adapter not supported";
    default: return "unknown error";
    }
}

int cdr_err_set(struct cdr_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

static int check_config(const struct cdr_sink_config *cfg, const char **adapter,
                        struct cdr_error *err)
{
    *adapter = cfg->adapter != NULL ? cfg->adapter : "sqlite";
    if (strcmp(*adapter, "sqlite") == 0) {
        if (cfg->sqlite_path == NULL || cfg->sqlite_path[0] == '\0')
            return cdr_err_set(err, CDR_EINVAL,
                               "database: sqlite needs a file path");
        return 0;
    }
    if (strcmp(*adapter, "postgres") != 0 && strcmp(*adapter, "mysql") != 0)
        return cdr_err_set(err, CDR_EINVAL,
                           "database.adapter: \"%s\" is not sqlite, postgres "
                           "or mysql", *adapter);
    if (cfg->port < 0 || cfg->port > 65535)
        return cdr_err_set(err, CDR_EINVAL, "database.port: %d out of range",
                           cfg->port);
    if (cfg->dbname == NULL || cfg->dbname[0] == '\0')
        return cdr_err_set(err, CDR_EINVAL,
                           "database.database: a name is required for %s",
                           *adapter);
    return 0;
}

int cdr_sink_open(const struct cdr_sink_config *cfg, struct cdr_sink **out,
                  struct cdr_error *err)
{
    struct cdr_sink_config c = *cfg;
    const char *adapter;
    int rc;

    *out = NULL;
    if (err != NULL) {
        err->code = 0;
        err->msg[0] = '\0';
    }
    rc = check_config(cfg, &adapter, err);
    if (rc != 0)
        return rc;
    if (c.timeout_ms <= 0)
        c.timeout_ms = 10000;
    if (strcmp(adapter, "sqlite") == 0)
        return cdr_sqlite_open(&c, out, err);
    if (strcmp(adapter, "postgres") == 0)
        return cdr_pg_open(&c, out, err);
    return cdr_mysql_open(&c, out, err);
}

const char *cdr_sink_adapter(const struct cdr_sink *s)
{
    return s->ops->name;
}

int cdr_schema_version(void)
{
    int v = 0;

    for (size_t i = 0; i < cdr_n_migrations; i++)
        if (cdr_migrations[i].version > v)
            v = cdr_migrations[i].version;
    return v;
}

/* Runs the pending migrations of s's dialect; called with the lock held. */
static int migrate_locked(struct cdr_sink *s, struct cdr_error *err)
{
    const struct cdr_sink_ops *ops = s->ops;
    int64_t max = 0;
    int applied = 0, rc;

    for (size_t i = 0; i < cdr_n_migrations; i++) {
        const struct cdr_migration *m = &cdr_migrations[i];

        if (strcmp(m->dialect, ops->name) != 0 || m->version != 0)
            continue;
        if ((rc = ops->mig_exec(s, m->sql, err)) != 0)
            return rc;
    }
    if ((rc = ops->mig_max(s, &max, err)) != 0)
        return rc;
    if (max > cdr_schema_version())
        return cdr_err_set(err, CDR_ESCHEMA,
                           "%s: schema_migrations has version %lld, this "
                           "binary knows up to %d", ops->name, (long long)max,
                           cdr_schema_version());
    for (size_t i = 0; i < cdr_n_migrations; i++) {
        const struct cdr_migration *m = &cdr_migrations[i];

        if (strcmp(m->dialect, ops->name) != 0 || m->version <= max)
            continue;
        rc = ops->mig_exec(s, m->sql, err);
        if (rc == 0)
            rc = ops->mig_record(s, m->version, err);
        if (rc != 0) {
            if (err != NULL) {
                char prev[sizeof(err->msg)];

                memcpy(prev, err->msg, sizeof(prev));
                cdr_err_set(err, rc, "migration %s: %s", m->name, prev);
            }
            return rc;
        }
        applied++;
    }
    return applied;
}

int cdr_sink_migrate(struct cdr_sink *s, struct cdr_error *err)
{
    int rc, applied;

    if ((rc = s->ops->mig_begin(s, err)) != 0)
        return rc;
    applied = migrate_locked(s, err);
    if (applied < 0) {
        s->ops->mig_end(s, false, NULL);
        return applied;
    }
    if ((rc = s->ops->mig_end(s, true, err)) != 0)
        return rc;
    return applied;
}

/* The highest seq among rows and events, or floor when none is higher. */
static int64_t batch_max_seq(const struct cdr_row *rows, size_t n,
                             const struct cdr_event *events, size_t m,
                             int64_t floor)
{
    int64_t max = floor;

    for (size_t i = 0; i < n; i++)
        if (rows[i].seq > max)
            max = rows[i].seq;
    for (size_t i = 0; i < m; i++)
        if (events[i].seq > max)
            max = events[i].seq;
    return max;
}

/* One attempt at a batch: its transaction, committed or rolled back. */
static int64_t write_once(struct cdr_sink *s, const char *cluster_id,
                          const char *writer, const struct cdr_row *rows,
                          size_t n, const struct cdr_event *events, size_t m,
                          struct cdr_error *err)
{
    const struct cdr_sink_ops *ops = s->ops;
    int64_t last = 0, now = time_now_ms(), upto;

    if (ops->batch_begin(s, cluster_id, writer, now, &last, err) != 0)
        goto err_rollback;
    upto = batch_max_seq(rows, n, events, m, last);
    if (upto == last) {
        ops->batch_rollback(s);
        return last;
    }
    if (ops->batch_insert(s, cluster_id, last, now, rows, n, events, m,
                          err) != 0 ||
        ops->batch_commit(s, cluster_id, writer, upto, now, err) != 0)
        goto err_rollback;
    return upto;

err_rollback:
    ops->batch_rollback(s);
    return -1;
}

int64_t cdr_sink_write_batch(struct cdr_sink *s, const char *cluster_id,
                             const char *writer, const struct cdr_row *rows,
                             size_t n, const struct cdr_event *events,
                             size_t m, struct cdr_error *err)
{
    int64_t upto = -1;

    if (cluster_id == NULL || writer == NULL) {
        cdr_err_set(err, CDR_EINVAL, "cdr batch: cluster_id and writer needed");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const struct cdr_row *r = &rows[i];

        if (r->calling_number == NULL || r->called_number == NULL ||
            r->status == NULL || r->submission_time == CDR_TIME_NULL ||
            r->seq <= 0) {
            cdr_err_set(err, CDR_EINVAL,
                        "cdr batch: row seq %lld lacks seq, calling_number, "
                        "called_number, status or submission_time",
                        (long long)r->seq);
            return -1;
        }
    }
    for (size_t i = 0; i < m; i++)
        if (events[i].name == NULL || events[i].seq <= 0) {
            cdr_err_set(err, CDR_EINVAL, "cdr batch: event seq %lld lacks "
                        "seq or name", (long long)events[i].seq);
            return -1;
        }
    for (int attempt = 0; attempt < CDR_BATCH_ATTEMPTS && upto < 0; attempt++) {
        upto = write_once(s, cluster_id, writer, rows, n, events, m, err);
        if (upto < 0 && (s->ops->batch_retry == NULL ||
                         !s->ops->batch_retry(s)))
            break;
    }
    return upto;
}

int cdr_sink_last_seq(struct cdr_sink *s, const char *cluster_id,
                      const char *writer, int64_t *out, struct cdr_error *err)
{
    return s->ops->last_seq(s, cluster_id, writer, out, err);
}

/* Parameters in s's style: placeholders, or literals quoted by s. */
static void quote(void *ctx, struct buf *sql, const char *value)
{
    struct cdr_sink *s = ctx;

    s->ops->quote(s, sql, value);
}

/* Reconnects if needed, then starts parameters in s's style. */
static int read_begin(struct cdr_sink *s, struct cdr_sql_params *p,
                      struct buf *sql, struct cdr_error *err)
{
    int rc = s->ops->ensure != NULL ? s->ops->ensure(s, err) : 0;

    cdr_sql_params_init(p, s->ops->ph, quote, s, s->ops->frac);
    buf_init(sql);
    return rc;
}

/* Runs a SELECT into rd; on failure frees what was read. */
static int select_into(struct cdr_sink *s, struct buf *sql,
                       const struct cdr_sql_params *p, struct cdr_reader *rd,
                       const char *what, struct cdr_error *err)
{
    int rc = s->ops->select(s, cdr_buf_cstr(sql), p, rd, what, err);

    buf_free(sql);
    if (rc != 0)
        cdr_reader_free(rd);
    return rc;
}

int cdr_sink_search(struct cdr_sink *s, const struct cdr_query *q,
                    struct cdr_row **rows, size_t *n, struct cdr_error *err)
{
    struct cdr_sql_params p;
    struct cdr_reader rd;
    struct buf sql;
    int rc;

    *rows = NULL;
    *n = 0;
    if ((rc = read_begin(s, &p, &sql, err)) != 0)
        return rc;
    cdr_search_sql(&sql, q, &p);
    cdr_reader_init(&rd, false);
    rc = select_into(s, &sql, &p, &rd, "search", err);
    *rows = rd.rows;
    *n = rd.n;
    return rc;
}

int cdr_sink_events(struct cdr_sink *s, const char *cluster_id,
                    int64_t message_id, struct cdr_event **events, size_t *n,
                    struct cdr_error *err)
{
    struct cdr_sql_params p;
    struct cdr_reader rd;
    struct buf sql;
    int rc;

    *events = NULL;
    *n = 0;
    if (cluster_id == NULL)
        return cdr_err_set(err, CDR_EINVAL, "cdr events: cluster_id needed");
    if ((rc = read_begin(s, &p, &sql, err)) != 0)
        return rc;
    cdr_events_sql(&sql, cluster_id, message_id, &p);
    cdr_reader_init(&rd, true);
    rc = select_into(s, &sql, &p, &rd, "read message_events", err);
    *events = rd.evs;
    *n = rd.n;
    return rc;
}

void cdr_sink_close(struct cdr_sink *s)
{
    if (s != NULL)
        s->ops->close(s);
}
