/* sink_sqlite — the CDR sink on an SQLite file (the embedded default:
 * every node writes its own file, writer = the node).
 *
 * The file is opened in WAL mode with synchronous=FULL (an acknowledged
 * batch survives a power cut: the outbox is trimmed once it is committed)
 * and a busy timeout, so a reader such as an export never fails a write.
 * Batches and migrations take the write lock up front with BEGIN
 * IMMEDIATE.  Times are TEXT 'YYYY-MM-DD HH:MM:SS.SSS' in UTC.  Blocking;
 * one thread per sink (see sql/cdr_sink.h).
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "common/timefmt.h"
#include "common/xalloc.h"
#include "sql/cdr_internal.h"

struct sqlite_sink {
    struct cdr_sink base;
    sqlite3 *db;
    char *path;
    sqlite3_stmt *ins_row;   /* prepared on first batch (after migrate) */
    sqlite3_stmt *ins_ev;
};

static int fail(struct sqlite_sink *ss, struct cdr_error *err, const char *what)
{
    return cdr_err_set(err, CDR_ESQL, "sqlite %s: %s: %s", ss->path, what,
                       sqlite3_errmsg(ss->db));
}

static int exec(struct sqlite_sink *ss, const char *sql, struct cdr_error *err,
                const char *what)
{
    if (sqlite3_exec(ss->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return fail(ss, err, what);
    return 0;
}

/* Switching a file to WAL takes an exclusive lock, and SQLite answers
 * SQLITE_BUSY at once, without its busy handler, while another
 * connection is opening the same fresh file: retry within the timeout. */
static int set_wal(struct sqlite_sink *ss, int timeout_ms,
                   struct cdr_error *err)
{
    for (int waited = 0;; waited += 10) {
        int rc = sqlite3_exec(ss->db, "PRAGMA journal_mode = WAL", NULL, NULL,
                              NULL);

        if (rc == SQLITE_OK)
            return 0;
        if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
            break;
        if (waited >= timeout_ms)
            break;
        sqlite3_sleep(10);
    }
    return fail(ss, err, "WAL mode");
}

static void rollback(struct sqlite_sink *ss)
{
    if (!sqlite3_get_autocommit(ss->db))
        sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
}

static int prepare(struct sqlite_sink *ss, sqlite3_stmt **st, const char *sql,
                   struct cdr_error *err)
{
    if (*st != NULL) {
        sqlite3_reset(*st);
        sqlite3_clear_bindings(*st);
        return 0;
    }
    if (sqlite3_prepare_v2(ss->db, sql, -1, st, NULL) != SQLITE_OK)
        return fail(ss, err, "prepare");
    return 0;
}

/* Binds text values 1..n (NULL = SQL NULL) and steps a DML statement. */
static int bind_step(struct sqlite_sink *ss, sqlite3_stmt *st,
                     const char *const *v, int n, struct cdr_error *err,
                     const char *what)
{
    sqlite3_reset(st);
    for (int i = 0; i < n; i++) {
        int rc = v[i] == NULL
                     ? sqlite3_bind_null(st, i + 1)
                     : sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC);
        if (rc != SQLITE_OK)
            return fail(ss, err, what);
    }
    if (sqlite3_step(st) != SQLITE_DONE)
        return fail(ss, err, what);
    return 0;
}

static int sq_mig_begin(struct cdr_sink *s, struct cdr_error *err)
{
    return exec((struct sqlite_sink *)s, "BEGIN IMMEDIATE", err,
                "migrate: BEGIN IMMEDIATE");
}

static int sq_mig_exec(struct cdr_sink *s, const char *sql,
                       struct cdr_error *err)
{
    return exec((struct sqlite_sink *)s, sql, err, "migrate");
}

static int sq_mig_max(struct cdr_sink *s, int64_t *max, struct cdr_error *err)
{
    struct sqlite_sink *ss = (struct sqlite_sink *)s;
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(ss->db, "SELECT COALESCE(MAX(version), 0) FROM "
                           "schema_migrations", -1, &st, NULL) != SQLITE_OK)
        return fail(ss, err, "read schema_migrations");
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *max = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : fail(ss, err, "read schema_migrations");
}

static int sq_mig_record(struct cdr_sink *s, int version, struct cdr_error *err)
{
    struct sqlite_sink *ss = (struct sqlite_sink *)s;
    sqlite3_stmt *st = NULL;
    char now[CDR_TIME_SQL_LEN];
    int rc;

    cdr_time_sql(time_now_ms(), true, now);
    if (sqlite3_prepare_v2(ss->db, "INSERT INTO schema_migrations (version, "
                           "applied_at) VALUES (?1, ?2)", -1, &st,
                           NULL) != SQLITE_OK)
        return fail(ss, err, "record migration");
    sqlite3_bind_int(st, 1, version);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(ss, err, "record migration");
}

static int sq_mig_end(struct cdr_sink *s, bool commit, struct cdr_error *err)
{
    struct sqlite_sink *ss = (struct sqlite_sink *)s;

    if (!commit) {
        rollback(ss);
        return 0;
    }
    if (exec(ss, "COMMIT", err, "migrate: COMMIT") != 0) {
        rollback(ss);
        return CDR_ESQL;
    }
    return 0;
}

static int read_last(struct sqlite_sink *ss, const char *cluster_id,
                     const char *writer, int64_t *out, struct cdr_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(ss->db, "SELECT last_seq FROM cdr_writer_state "
                           "WHERE cluster_id = ?1 AND writer = ?2", -1, &st,
                           NULL) != SQLITE_OK)
        return fail(ss, err, "read cdr_writer_state");
    sqlite3_bind_text(st, 1, cluster_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, writer, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(ss, err, "read cdr_writer_state");
    return 0;
}

static int save_last(struct sqlite_sink *ss, const char *cluster_id,
                     const char *writer, int64_t seq, int64_t now,
                     struct cdr_error *err)
{
    sqlite3_stmt *st = NULL;
    char ts[CDR_TIME_SQL_LEN];
    int rc;

    cdr_time_sql(now, true, ts);
    if (sqlite3_prepare_v2(
            ss->db,
            "INSERT INTO cdr_writer_state (cluster_id, writer, last_seq, "
            "updated_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (cluster_id, "
            "writer) DO UPDATE SET last_seq = excluded.last_seq, "
            "updated_at = excluded.updated_at",
            -1, &st, NULL) != SQLITE_OK)
        return fail(ss, err, "write cdr_writer_state");
    sqlite3_bind_text(st, 1, cluster_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, writer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, seq);
    sqlite3_bind_text(st, 4, ts, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(ss, err, "write cdr_writer_state");
}

/* Inserts the rows and events above last; called inside the transaction. */
static int sq_batch_insert(struct cdr_sink *s, const char *cluster_id,
                           int64_t last, int64_t now,
                           const struct cdr_row *rows, size_t n,
                           const struct cdr_event *events, size_t m,
                           struct cdr_error *err)
{
    struct sqlite_sink *ss = (struct sqlite_sink *)s;
    static const char ins_row[] =
        "INSERT INTO cdrs (message_id, calling_number, called_number, "
        "source_smsc, dest_smsc, origin_node, destination_node, "
        "submission_time, delivery_time, expiry_time, status, "
        "delivery_attempts, message_parts, deadletter, message_body, "
        "inserted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?, ?)";
    static const char ins_ev[] =
        "INSERT INTO message_events (cluster_id, message_id, event_epoch, "
        "name, description, event_source, inserted_at) VALUES (?, ?, ?, ?, "
        "?, ?, ?)";

    if (n > 0 && prepare(ss, &ss->ins_row, ins_row, err) != 0)
        return CDR_ESQL;
    for (size_t i = 0; i < n; i++) {
        struct cdr_vals v;

        if (rows[i].seq <= last)
            continue;
        cdr_row_values(&rows[i], now, true, &v);
        if (bind_step(ss, ss->ins_row, v.v, CDR_NCOLS, err, "insert cdrs") != 0)
            return CDR_ESQL;
    }
    if (m > 0 && prepare(ss, &ss->ins_ev, ins_ev, err) != 0)
        return CDR_ESQL;
    for (size_t i = 0; i < m; i++) {
        struct cdr_ev_vals v;

        if (events[i].seq <= last)
            continue;
        cdr_event_values(&events[i], cluster_id, now, true, &v);
        if (bind_step(ss, ss->ins_ev, v.v, CDR_EV_NCOLS, err,
                      "insert message_events") != 0)
            return CDR_ESQL;
    }
    return 0;
}

static int sq_batch_begin(struct cdr_sink *s, const char *cluster_id,
                          const char *writer, int64_t now, int64_t *last,
                          struct cdr_error *err)
{
    struct sqlite_sink *ss = (struct sqlite_sink *)s;

    (void)now;
    if (exec(ss, "BEGIN IMMEDIATE", err, "batch: BEGIN IMMEDIATE") != 0)
        return CDR_ESQL;
    return read_last(ss, cluster_id, writer, last, err);
}

static int sq_batch_commit(struct cdr_sink *s, const char *cluster_id,
                           const char *writer, int64_t upto, int64_t now,
                           struct cdr_error *err)
{
    struct sqlite_sink *ss = (struct sqlite_sink *)s;

    if (save_last(ss, cluster_id, writer, upto, now, err) != 0)
        return CDR_ESQL;
    return exec(ss, "COMMIT", err, "batch: COMMIT");
}

static void sq_batch_rollback(struct cdr_sink *s)
{
    rollback((struct sqlite_sink *)s);
}

static int sq_last_seq(struct cdr_sink *s, const char *cluster_id,
                       const char *writer, int64_t *out, struct cdr_error *err)
{
    return read_last((struct sqlite_sink *)s, cluster_id, writer, out, err);
}

static int sq_select(struct cdr_sink *s, const char *sql,
                     const struct cdr_sql_params *p, struct cdr_reader *rd,
                     const char *what, struct cdr_error *err)
{
    struct sqlite_sink *ss = (struct sqlite_sink *)s;
    const char *vals[CDR_NCOLS + 1];
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(ss->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(ss, err, what);
    for (int i = 0; i < p->n; i++)
        sqlite3_bind_text(st, i + 1, p->v[i], -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < rd->ncols; i++)
            vals[i] = (const char *)sqlite3_column_text(st, i);
        if (cdr_reader_add(rd, vals) != 0) {
            sqlite3_finalize(st);
            return cdr_err_set(err, CDR_ESQL, "sqlite %s: %s: bad value",
                               ss->path, what);
        }
    }
    rc = rc == SQLITE_DONE ? 0 : fail(ss, err, what);
    sqlite3_finalize(st);
    return rc;
}

static void sq_close(struct cdr_sink *s)
{
    struct sqlite_sink *ss = (struct sqlite_sink *)s;

    sqlite3_finalize(ss->ins_row);
    sqlite3_finalize(ss->ins_ev);
    sqlite3_close(ss->db);
    free(ss->path);
    free(ss);
}

static const struct cdr_sink_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .mig_begin = sq_mig_begin,
    .mig_exec = sq_mig_exec,
    .mig_max = sq_mig_max,
    .mig_record = sq_mig_record,
    .mig_end = sq_mig_end,
    .batch_begin = sq_batch_begin,
    .batch_insert = sq_batch_insert,
    .batch_commit = sq_batch_commit,
    .batch_rollback = sq_batch_rollback,
    .last_seq = sq_last_seq,
    .ph = '?',
    .frac = true,
    .select = sq_select,
};

int cdr_sqlite_open(const struct cdr_sink_config *cfg, struct cdr_sink **out,
                    struct cdr_error *err)
{
    struct sqlite_sink *ss = xcalloc(1, sizeof(*ss));
    int rc;

    ss->base.ops = &sqlite_ops;
    ss->path = xstrdup(cfg->sqlite_path);
    rc = sqlite3_open_v2(cfg->sqlite_path, &ss->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        rc = cdr_err_set(err, CDR_ECONNECT, "sqlite %s: open: %s", ss->path,
                         ss->db ? sqlite3_errmsg(ss->db) : sqlite3_errstr(rc));
        goto err_close;
    }
    sqlite3_busy_timeout(ss->db, cfg->timeout_ms);
    if (set_wal(ss, cfg->timeout_ms, err) != 0 ||
        exec(ss, "PRAGMA synchronous = FULL", err, "synchronous") != 0) {
        rc = CDR_ECONNECT;
        if (err != NULL)
            err->code = rc;
        goto err_close;
    }
    *out = &ss->base;
    return 0;

err_close:
    sq_close(&ss->base);
    return rc;
}
