/* sink_pg — the CDR sink on PostgreSQL through libpq (writer = the
 * cluster: only the leader's writer thread uses it).
 *
 * The session runs with TimeZone=UTC and DateStyle=ISO; TIMESTAMP columns
 * hold UTC with millisecond precision.  A batch locks its
 * cdr_writer_state row (SELECT ... FOR UPDATE) so two writers of the same
 * name never interleave, and inserts rows with multi-row INSERTs of up to
 * PG_CHUNK rows (text parameters, no string splicing).  Migrations hold
 * pg_advisory_xact_lock for their transaction (PostgreSQL DDL is
 * transactional).  A broken connection is re-established (PQreset) at the
 * start of the next call.  Blocking; one thread per sink.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timefmt.h"
#include "common/xalloc.h"
#include "sql/cdr_internal.h"

#define PG_CHUNK 500                /* rows per INSERT (17 params each) */
#define PG_MIGRATE_LOCK "1936548707" /* 'smsc' */

struct pg_sink {
    struct cdr_sink base;
    PGconn *conn;
    char *label;    /* "postgres host:port/db" for messages */
    char sqlstate[6]; /* of the last failed statement, "" if none */
};

static int fail(struct pg_sink *ps, struct cdr_error *err, const char *what)
{
    const char *m = PQerrorMessage(ps->conn);
    size_t len = strlen(m);

    while (len > 0 && (m[len - 1] == '\n' || m[len - 1] == ' '))
        len--;
    return cdr_err_set(err, CDR_ESQL, "%s: %s: %.*s", ps->label, what,
                       (int)len, m);
}

/* Runs sql with text params; keeps the result in *out when out is set. */
static int run(struct pg_sink *ps, const char *sql, int np,
               const char *const *vals, PGresult **out, struct cdr_error *err,
               const char *what)
{
    PGresult *res = np > 0 || out != NULL
                        ? PQexecParams(ps->conn, sql, np, NULL, vals, NULL,
                                       NULL, 0)
                        : PQexec(ps->conn, sql);
    ExecStatusType st = PQresultStatus(res);

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        int rc = cdr_err_set(err, CDR_ESQL, "%s: %s: %s", ps->label, what,
                             PQresultErrorMessage(res));
        size_t len = err != NULL ? strlen(err->msg) : 0;

        snprintf(ps->sqlstate, sizeof(ps->sqlstate), "%s",
                 state != NULL ? state : "");
        if (len > 0 && err->msg[len - 1] == '\n')
            err->msg[len - 1] = '\0';
        PQclear(res);
        return rc;
    }
    if (out != NULL)
        *out = res;
    else
        PQclear(res);
    return 0;
}

static void rollback(struct pg_sink *ps)
{
    if (PQtransactionStatus(ps->conn) != PQTRANS_IDLE)
        PQclear(PQexec(ps->conn, "ROLLBACK"));
}

/* Reconnects a connection the server or the network dropped. */
static int ensure(struct pg_sink *ps, struct cdr_error *err)
{
    if (PQstatus(ps->conn) == CONNECTION_OK)
        return 0;
    PQreset(ps->conn);
    if (PQstatus(ps->conn) == CONNECTION_OK)
        return 0;
    fail(ps, err, "reconnect");
    if (err != NULL)
        err->code = CDR_ECONNECT;
    return CDR_ECONNECT;
}

static int pg_mig_begin(struct cdr_sink *s, struct cdr_error *err)
{
    struct pg_sink *ps = (struct pg_sink *)s;
    int rc;

    if ((rc = ensure(ps, err)) != 0)
        return rc;
    if ((rc = run(ps, "BEGIN", 0, NULL, NULL, err, "migrate: BEGIN")) != 0)
        return rc;
    rc = run(ps, "SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ")", 0, NULL,
             NULL, err, "migrate: lock");
    if (rc != 0)
        rollback(ps);
    return rc;
}

static int pg_mig_exec(struct cdr_sink *s, const char *sql,
                       struct cdr_error *err)
{
    return run((struct pg_sink *)s, sql, 0, NULL, NULL, err, "migrate");
}

static int get_i64(struct pg_sink *ps, const char *sql, int np,
                   const char *const *vals, int64_t *out, struct cdr_error *err,
                   const char *what)
{
    PGresult *res = NULL;
    int rc = run(ps, sql, np, vals, &res, err, what);

    if (rc != 0)
        return rc;
    *out = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)
               ? strtoll(PQgetvalue(res, 0, 0), NULL, 10)
               : 0;
    PQclear(res);
    return 0;
}

static int pg_mig_max(struct cdr_sink *s, int64_t *max, struct cdr_error *err)
{
    return get_i64((struct pg_sink *)s,
                   "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                   0, NULL, max, err, "read schema_migrations");
}

static int pg_mig_record(struct cdr_sink *s, int version, struct cdr_error *err)
{
    char v[16], now[CDR_TIME_SQL_LEN];
    const char *vals[2] = { v, now };

    snprintf(v, sizeof(v), "%d", version);
    cdr_time_sql(time_now_ms(), true, now);
    return run((struct pg_sink *)s, "INSERT INTO schema_migrations (version, "
               "applied_at) VALUES ($1, $2)", 2, vals, NULL, err,
               "record migration");
}

static int pg_mig_end(struct cdr_sink *s, bool commit, struct cdr_error *err)
{
    struct pg_sink *ps = (struct pg_sink *)s;

    if (!commit) {
        rollback(ps);
        return 0;
    }
    if (run(ps, "COMMIT", 0, NULL, NULL, err, "migrate: COMMIT") != 0) {
        rollback(ps);
        return CDR_ESQL;
    }
    return 0;
}

/* INSERT INTO <head> VALUES ($..), (..) for nrows rows of ncols values. */
static int insert_chunk(struct pg_sink *ps, const char *head, int ncols,
                        const char *const *vals, size_t nrows,
                        struct cdr_error *err, const char *what)
{
    struct buf sql;
    char tmp[24];
    size_t p = 0;
    int rc;

    if (nrows == 0)
        return 0;
    buf_init(&sql);
    cdr_buf_puts(&sql, head);
    for (size_t r = 0; r < nrows; r++) {
        cdr_buf_puts(&sql, r ? ", (" : " VALUES (");
        for (int c = 0; c < ncols; c++) {
            snprintf(tmp, sizeof(tmp), c ? ", $%zu" : "$%zu", ++p);
            cdr_buf_puts(&sql, tmp);
        }
        cdr_buf_puts(&sql, ")");
    }
    rc = run(ps, cdr_buf_cstr(&sql), (int)p, vals, NULL, err, what);
    buf_free(&sql);
    return rc;
}

static int insert_rows(struct pg_sink *ps, int64_t last, int64_t now,
                       const struct cdr_row *rows, size_t n,
                       struct cdr_error *err)
{
    static const char head[] = "INSERT INTO cdrs (message_id, calling_number, "
        "called_number, source_smsc, dest_smsc, origin_node, "
        "destination_node, submission_time, delivery_time, expiry_time, "
        "status, delivery_attempts, message_parts, deadletter, message_body, "
        "inserted_at, updated_at)";
    struct cdr_vals *v = xmalloc(PG_CHUNK * sizeof(*v));
    const char **flat = xmalloc(PG_CHUNK * CDR_NCOLS * sizeof(*flat));
    size_t k = 0;
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++) {
        if (rows[i].seq <= last)
            continue;
        cdr_row_values(&rows[i], now, true, &v[k]);
        memcpy(flat + k * CDR_NCOLS, v[k].v, sizeof(v[k].v));
        if (++k == PG_CHUNK) {
            rc = insert_chunk(ps, head, CDR_NCOLS, flat, k, err, "insert cdrs");
            k = 0;
        }
    }
    if (rc == 0)
        rc = insert_chunk(ps, head, CDR_NCOLS, flat, k, err, "insert cdrs");
    free(flat);
    free(v);
    return rc;
}

static int insert_events(struct pg_sink *ps, const char *cluster_id,
                         int64_t last, int64_t now,
                         const struct cdr_event *events, size_t m,
                         struct cdr_error *err)
{
    static const char head[] = "INSERT INTO message_events (cluster_id, "
        "message_id, event_epoch, name, description, event_source, "
        "inserted_at)";
    struct cdr_ev_vals *v = xmalloc(PG_CHUNK * sizeof(*v));
    const char **flat = xmalloc(PG_CHUNK * CDR_EV_NCOLS * sizeof(*flat));
    size_t k = 0;
    int rc = 0;

    for (size_t i = 0; i < m && rc == 0; i++) {
        if (events[i].seq <= last)
            continue;
        cdr_event_values(&events[i], cluster_id, now, true, &v[k]);
        memcpy(flat + k * CDR_EV_NCOLS, v[k].v, sizeof(v[k].v));
        if (++k == PG_CHUNK) {
            rc = insert_chunk(ps, head, CDR_EV_NCOLS, flat, k, err,
                              "insert message_events");
            k = 0;
        }
    }
    if (rc == 0)
        rc = insert_chunk(ps, head, CDR_EV_NCOLS, flat, k, err,
                          "insert message_events");
    free(flat);
    free(v);
    return rc;
}

/* Creates the writer's state row if needed and locks it; *last = its seq. */
static int lock_state(struct pg_sink *ps, const char *cluster_id,
                      const char *writer, const char *now, int64_t *last,
                      struct cdr_error *err)
{
    const char *vals[3] = { cluster_id, writer, now };
    int rc;

    rc = run(ps, "INSERT INTO cdr_writer_state (cluster_id, writer, "
             "last_seq, updated_at) VALUES ($1, $2, 0, $3) ON CONFLICT "
             "(cluster_id, writer) DO NOTHING", 3, vals, NULL, err,
             "create cdr_writer_state");
    if (rc != 0)
        return rc;
    return get_i64(ps, "SELECT last_seq FROM cdr_writer_state WHERE "
                   "cluster_id = $1 AND writer = $2 FOR UPDATE", 2, vals, last,
                   err, "lock cdr_writer_state");
}

static int pg_batch_begin(struct cdr_sink *s, const char *cluster_id,
                          const char *writer, int64_t now, int64_t *last,
                          struct cdr_error *err)
{
    struct pg_sink *ps = (struct pg_sink *)s;
    char ts[CDR_TIME_SQL_LEN];
    int rc;

    ps->sqlstate[0] = '\0';
    if ((rc = ensure(ps, err)) != 0)
        return rc;
    cdr_time_sql(now, true, ts);
    if ((rc = run(ps, "BEGIN", 0, NULL, NULL, err, "batch: BEGIN")) != 0)
        return rc;
    return lock_state(ps, cluster_id, writer, ts, last, err);
}

static int pg_batch_insert(struct cdr_sink *s, const char *cluster_id,
                           int64_t last, int64_t now,
                           const struct cdr_row *rows, size_t n,
                           const struct cdr_event *events, size_t m,
                           struct cdr_error *err)
{
    struct pg_sink *ps = (struct pg_sink *)s;
    int rc = insert_rows(ps, last, now, rows, n, err);

    return rc != 0 ? rc
                   : insert_events(ps, cluster_id, last, now, events, m, err);
}

static int pg_batch_commit(struct cdr_sink *s, const char *cluster_id,
                           const char *writer, int64_t upto, int64_t now,
                           struct cdr_error *err)
{
    struct pg_sink *ps = (struct pg_sink *)s;
    char ts[CDR_TIME_SQL_LEN], seq[24];
    const char *vals[4] = { cluster_id, writer, seq, ts };
    int rc;

    cdr_time_sql(now, true, ts);
    snprintf(seq, sizeof(seq), "%lld", (long long)upto);
    rc = run(ps, "UPDATE cdr_writer_state SET last_seq = $3, updated_at = $4 "
             "WHERE cluster_id = $1 AND writer = $2", 4, vals, NULL, err,
             "advance cdr_writer_state");
    return rc != 0 ? rc
                   : run(ps, "COMMIT", 0, NULL, NULL, err, "batch: COMMIT");
}

static void pg_batch_rollback(struct cdr_sink *s)
{
    rollback((struct pg_sink *)s);
}

/* A deadlock or serialization failure (writers of the same name racing,
 * e.g. during a leader change) is worth a retry. */
static bool pg_batch_retry(struct cdr_sink *s)
{
    struct pg_sink *ps = (struct pg_sink *)s;

    return strcmp(ps->sqlstate, "40P01") == 0 ||
           strcmp(ps->sqlstate, "40001") == 0;
}

static int pg_last_seq(struct cdr_sink *s, const char *cluster_id,
                       const char *writer, int64_t *out, struct cdr_error *err)
{
    struct pg_sink *ps = (struct pg_sink *)s;
    const char *vals[2] = { cluster_id, writer };
    int rc;

    if ((rc = ensure(ps, err)) != 0)
        return rc;
    return get_i64(ps, "SELECT last_seq FROM cdr_writer_state WHERE "
                   "cluster_id = $1 AND writer = $2", 2, vals, out, err,
                   "read cdr_writer_state");
}

static int pg_select(struct cdr_sink *s, const char *sql,
                     const struct cdr_sql_params *p, struct cdr_reader *rd,
                     const char *what, struct cdr_error *err)
{
    struct pg_sink *ps = (struct pg_sink *)s;
    const char *vals[CDR_NCOLS + 1];
    PGresult *res = NULL;
    int nt, rc;

    if ((rc = run(ps, sql, p->n, p->v, &res, err, what)) != 0)
        return rc;
    nt = PQntuples(res);
    for (int r = 0; r < nt && rc == 0; r++) {
        for (int c = 0; c < rd->ncols; c++)
            vals[c] = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
        if (cdr_reader_add(rd, vals) != 0)
            rc = cdr_err_set(err, CDR_ESQL, "%s: %s: bad value", ps->label,
                             what);
    }
    PQclear(res);
    return rc;
}

static int pg_ensure(struct cdr_sink *s, struct cdr_error *err)
{
    return ensure((struct pg_sink *)s, err);
}

static void pg_close(struct cdr_sink *s)
{
    struct pg_sink *ps = (struct pg_sink *)s;

    PQfinish(ps->conn);
    free(ps->label);
    free(ps);
}

static const struct cdr_sink_ops pg_ops = {
    .name = "postgres",
    .close = pg_close,
    .mig_begin = pg_mig_begin,
    .mig_exec = pg_mig_exec,
    .mig_max = pg_mig_max,
    .mig_record = pg_mig_record,
    .mig_end = pg_mig_end,
    .batch_begin = pg_batch_begin,
    .batch_insert = pg_batch_insert,
    .batch_commit = pg_batch_commit,
    .batch_rollback = pg_batch_rollback,
    .batch_retry = pg_batch_retry,
    .last_seq = pg_last_seq,
    .ensure = pg_ensure,
    .ph = '$',
    .frac = true,
    .select = pg_select,
};

/* "already exists, skipping" and the like are not worth a log line. */
static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int cdr_pg_open(const struct cdr_sink_config *cfg, struct cdr_sink **out,
                struct cdr_error *err)
{
    struct pg_sink *ps = xcalloc(1, sizeof(*ps));
    char port[16], timeout[16], label[512];
    /* Keepalives: a dead server or network is noticed in about a minute
     * rather than the kernel's two hours. */
    const char *keys[] = { "host", "port", "user", "password", "dbname",
                           "sslmode", "connect_timeout", "options",
                           "application_name", "client_encoding",
                           "keepalives", "keepalives_idle",
                           "keepalives_interval", "keepalives_count", NULL };
    const char *vals[15];

    snprintf(port, sizeof(port), "%d", cfg->port ? cfg->port : 5432);
    snprintf(timeout, sizeof(timeout), "%d", (cfg->timeout_ms + 999) / 1000);
    snprintf(label, sizeof(label), "postgres %s:%s/%s",
             cfg->host ? cfg->host : "localhost", port, cfg->dbname);
    vals[0] = cfg->host;
    vals[1] = port;
    vals[2] = cfg->user;
    vals[3] = cfg->password;
    vals[4] = cfg->dbname;
    vals[5] = cfg->ssl ? "require" : "prefer";
    vals[6] = timeout;
    vals[7] = "-c TimeZone=UTC -c DateStyle=ISO";
    vals[8] = "smsc";
    vals[9] = "UTF8";
    vals[10] = "1";
    vals[11] = "30";
    vals[12] = "10";
    vals[13] = "3";
    vals[14] = NULL;
    ps->base.ops = &pg_ops;
    ps->label = xstrdup(label);
    ps->conn = PQconnectdbParams(keys, vals, 0);
    if (ps->conn == NULL || PQstatus(ps->conn) != CONNECTION_OK) {
        if (ps->conn != NULL)
            fail(ps, err, "connect");
        else
            cdr_err_set(err, CDR_ECONNECT, "%s: out of memory", label);
        if (err != NULL)
            err->code = CDR_ECONNECT;
        pg_close(&ps->base);
        return CDR_ECONNECT;
    }
    PQsetNoticeProcessor(ps->conn, quiet_notice, NULL);
    *out = &ps->base;
    return 0;
}
