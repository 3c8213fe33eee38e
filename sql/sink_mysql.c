/* sink_mysql — the CDR sink on MySQL / MariaDB through libmariadb
 * (libmysqlclient-compatible API; writer = the cluster).
 *
 * The session uses utf8mb4 and time_zone '+00:00'; DATETIME columns hold
 * UTC to the second (the reference's types).  Values are spliced into
 * multi-row INSERTs after mysql_real_escape_string, flushed every
 * MY_CHUNK_BYTES.  A batch locks its cdr_writer_state row (SELECT ... FOR
 * UPDATE inside START TRANSACTION).  MySQL commits DDL implicitly, so
 * migrations are serialised with GET_LOCK and every schema statement is
 * idempotent.  After a lost connection the next call reconnects.
 * Blocking; one thread per sink.
 */
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timefmt.h"
#include "common/xalloc.h"
#include "sql/cdr_internal.h"

#define MY_CHUNK_BYTES (1 << 20)
#define MY_LOCK "'smsc_schema_migrate'"

struct my_sink {
    struct cdr_sink base;
    MYSQL *db;
    bool broken;            /* reconnect before the next statement */
    unsigned last_errno;    /* of the last failed statement */
    char *host, *user, *password, *dbname;
    unsigned port, timeout_s;
    bool ssl;
    char *label;            /* "mysql host:port/db" for messages */
};

static int fail(struct my_sink *ms, struct cdr_error *err, const char *what)
{
    unsigned e = mysql_errno(ms->db);

    ms->last_errno = e;
    /* A client-side error (server gone, lost, unreachable, TLS): start
     * over with a new connection on the next call. */
    if (e >= CR_MIN_ERROR && e <= CR_MAX_ERROR)
        ms->broken = true;
    return cdr_err_set(err, CDR_ESQL, "%s: %s: %s", ms->label, what,
                       mysql_error(ms->db));
}

/* Runs one statement; the result, if any, goes to *out or is dropped. */
static int run(struct my_sink *ms, const char *sql, size_t len,
               MYSQL_RES **out, struct cdr_error *err, const char *what)
{
    MYSQL_RES *res;

    if (mysql_real_query(ms->db, sql, (unsigned long)len) != 0)
        return fail(ms, err, what);
    res = mysql_store_result(ms->db);
    if (res == NULL && mysql_field_count(ms->db) != 0)
        return fail(ms, err, what);
    if (out != NULL)
        *out = res;
    else if (res != NULL)
        mysql_free_result(res);
    return 0;
}

static int runs(struct my_sink *ms, const char *sql, struct cdr_error *err,
                const char *what)
{
    return run(ms, sql, strlen(sql), NULL, err, what);
}

static int get_i64(struct my_sink *ms, const char *sql, int64_t *out,
                   struct cdr_error *err, const char *what)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = run(ms, sql, strlen(sql), &res, err, what);

    if (rc != 0)
        return rc;
    row = res != NULL ? mysql_fetch_row(res) : NULL;
    *out = row != NULL && row[0] != NULL ? strtoll(row[0], NULL, 10) : 0;
    if (res != NULL)
        mysql_free_result(res);
    return 0;
}

/* Appends 'escaped s' or NULL. */
static void put_lit(struct my_sink *ms, struct buf *b, const char *s)
{
    size_t len;

    if (s == NULL) {
        cdr_buf_puts(b, "NULL");
        return;
    }
    len = strlen(s);
    buf_reserve(b, 2 * len + 3);
    b->data[b->len++] = '\'';
    b->len += mysql_real_escape_string(ms->db, (char *)b->data + b->len, s,
                                       (unsigned long)len);
    b->data[b->len++] = '\'';
}

static int connect_db(struct my_sink *ms, struct cdr_error *err)
{
    my_bool enforce = 1;
    /* Reads may wait for the other writer's row lock (leader change). */
    unsigned io_s = ms->timeout_s * 6;

    ms->db = mysql_init(NULL);
    if (ms->db == NULL)
        return cdr_err_set(err, CDR_ECONNECT, "%s: out of memory", ms->label);
    mysql_options(ms->db, MYSQL_OPT_CONNECT_TIMEOUT, &ms->timeout_s);
    mysql_options(ms->db, MYSQL_OPT_READ_TIMEOUT, &io_s);
    mysql_options(ms->db, MYSQL_OPT_WRITE_TIMEOUT, &io_s);
    mysql_options(ms->db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (ms->ssl)
        mysql_options(ms->db, MYSQL_OPT_SSL_ENFORCE, &enforce);
    if (mysql_real_connect(ms->db, ms->host, ms->user, ms->password,
                           ms->dbname, ms->port, NULL, 0) == NULL) {
        fail(ms, err, "connect");
        if (err != NULL)
            err->code = CDR_ECONNECT;
        return CDR_ECONNECT;
    }
    if (runs(ms, "SET time_zone = '+00:00'", err, "set time_zone") != 0)
        return CDR_ECONNECT;
    ms->broken = false;
    return 0;
}

static int ensure(struct my_sink *ms, struct cdr_error *err)
{
    if (!ms->broken)
        return 0;
    mysql_close(ms->db);
    ms->db = NULL;
    return connect_db(ms, err);
}

static int my_mig_begin(struct cdr_sink *s, struct cdr_error *err)
{
    struct my_sink *ms = (struct my_sink *)s;
    char sql[96];
    int64_t got = 0;
    int rc;

    if ((rc = ensure(ms, err)) != 0)
        return rc;
    snprintf(sql, sizeof(sql), "SELECT GET_LOCK(" MY_LOCK ", %u)",
             ms->timeout_s);
    if ((rc = get_i64(ms, sql, &got, err, "migrate: GET_LOCK")) != 0)
        return rc;
    if (got != 1)
        return cdr_err_set(err, CDR_ESQL, "%s: migrate: GET_LOCK timed out "
                           "(another node is migrating)", ms->label);
    return 0;
}

static bool only_comments(const char *p, const char *end)
{
    while (p < end) {
        if (*p == '-' && p + 1 < end && p[1] == '-') {
            while (p < end && *p != '\n')
                p++;
        } else if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
            p++;
        } else {
            return false;
        }
    }
    return true;
}

/* Runs a script statement by statement (split at ';' ending a line). */
static int my_mig_exec(struct cdr_sink *s, const char *sql,
                       struct cdr_error *err)
{
    struct my_sink *ms = (struct my_sink *)s;
    const char *p = sql;

    while (*p != '\0') {
        const char *semi = strstr(p, ";\n");
        const char *end = semi != NULL ? semi : p + strlen(p);

        if (!only_comments(p, end) &&
            run(ms, p, (size_t)(end - p), NULL, err, "migrate") != 0)
            return CDR_ESQL;
        p = semi != NULL ? semi + 2 : end;
    }
    return 0;
}

static int my_mig_max(struct cdr_sink *s, int64_t *max, struct cdr_error *err)
{
    return get_i64((struct my_sink *)s, "SELECT COALESCE(MAX(version), 0) "
                   "FROM schema_migrations", max, err,
                   "read schema_migrations");
}

static int my_mig_record(struct cdr_sink *s, int version, struct cdr_error *err)
{
    char sql[128], now[CDR_TIME_SQL_LEN];

    cdr_time_sql(time_now_ms(), false, now);
    snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations (version, "
             "applied_at) VALUES (%d, '%s')", version, now);
    return runs((struct my_sink *)s, sql, err, "record migration");
}

static int my_mig_end(struct cdr_sink *s, bool commit, struct cdr_error *err)
{
    struct my_sink *ms = (struct my_sink *)s;

    (void)commit; /* DDL is not transactional: nothing to roll back */
    return runs(ms, "SELECT RELEASE_LOCK(" MY_LOCK ")", err,
                "migrate: RELEASE_LOCK");
}

static void rollback(struct my_sink *ms)
{
    if (!ms->broken)
        mysql_real_query(ms->db, "ROLLBACK", 8);
}

/* Sends sql if it holds rows; resets it to head. */
static int flush(struct my_sink *ms, struct buf *sql, const char *head,
                 size_t *rows, struct cdr_error *err, const char *what)
{
    int rc = 0;

    if (*rows > 0)
        rc = run(ms, (const char *)sql->data, sql->len, NULL, err, what);
    buf_reset(sql);
    cdr_buf_puts(sql, head);
    *rows = 0;
    return rc;
}

static void put_tuple(struct my_sink *ms, struct buf *sql, size_t rows,
                      const char *const *v, int ncols)
{
    cdr_buf_puts(sql, rows ? ", (" : " (");
    for (int c = 0; c < ncols; c++) {
        if (c)
            cdr_buf_puts(sql, ", ");
        put_lit(ms, sql, v[c]);
    }
    cdr_buf_puts(sql, ")");
}

static int insert_all(struct my_sink *ms, const char *cluster_id,
                      int64_t last, int64_t now,
                      const struct cdr_row *rows, size_t n,
                      const struct cdr_event *events, size_t m,
                      struct cdr_error *err)
{
    static const char rhead[] = "INSERT INTO cdrs (message_id, "
        "calling_number, called_number, source_smsc, dest_smsc, origin_node, "
        "destination_node, submission_time, delivery_time, expiry_time, "
        "status, delivery_attempts, message_parts, deadletter, message_body, "
        "inserted_at, updated_at) VALUES";
    static const char ehead[] = "INSERT INTO message_events (cluster_id, "
        "message_id, event_epoch, name, description, event_source, "
        "inserted_at) VALUES";
    struct buf sql;
    size_t k = 0;
    int rc = 0;

    buf_init(&sql);
    cdr_buf_puts(&sql, rhead);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct cdr_vals v;

        if (rows[i].seq <= last)
            continue;
        cdr_row_values(&rows[i], now, false, &v);
        put_tuple(ms, &sql, k++, v.v, CDR_NCOLS);
        if (sql.len >= MY_CHUNK_BYTES)
            rc = flush(ms, &sql, rhead, &k, err, "insert cdrs");
    }
    if (rc == 0)
        rc = flush(ms, &sql, ehead, &k, err, "insert cdrs");
    for (size_t i = 0; i < m && rc == 0; i++) {
        struct cdr_ev_vals v;

        if (events[i].seq <= last)
            continue;
        cdr_event_values(&events[i], cluster_id, now, false, &v);
        put_tuple(ms, &sql, k++, v.v, CDR_EV_NCOLS);
        if (sql.len >= MY_CHUNK_BYTES)
            rc = flush(ms, &sql, ehead, &k, err, "insert message_events");
    }
    if (rc == 0)
        rc = flush(ms, &sql, ehead, &k, err, "insert message_events");
    buf_free(&sql);
    return rc;
}

/* Appends "WHERE cluster_id = '..' AND writer = '..'". */
static void put_key(struct my_sink *ms, struct buf *b, const char *cluster_id,
                    const char *writer)
{
    cdr_buf_puts(b, " WHERE cluster_id = ");
    put_lit(ms, b, cluster_id);
    cdr_buf_puts(b, " AND writer = ");
    put_lit(ms, b, writer);
}

static int lock_state(struct my_sink *ms, const char *cluster_id,
                      const char *writer, const char *now, int64_t *last,
                      struct cdr_error *err)
{
    struct buf b;
    int rc;

    buf_init(&b);
    cdr_buf_puts(&b, "INSERT INTO cdr_writer_state (cluster_id, writer, "
                 "last_seq, updated_at) VALUES (");
    put_lit(ms, &b, cluster_id);
    cdr_buf_puts(&b, ", ");
    put_lit(ms, &b, writer);
    cdr_buf_puts(&b, ", 0, ");
    put_lit(ms, &b, now);
    cdr_buf_puts(&b, ") ON DUPLICATE KEY UPDATE last_seq = last_seq");
    rc = run(ms, (const char *)b.data, b.len, NULL, err,
             "create cdr_writer_state");
    buf_reset(&b);
    cdr_buf_puts(&b, "SELECT last_seq FROM cdr_writer_state");
    put_key(ms, &b, cluster_id, writer);
    cdr_buf_puts(&b, " FOR UPDATE");
    if (rc == 0)
        rc = get_i64(ms, cdr_buf_cstr(&b), last, err, "lock cdr_writer_state");
    buf_free(&b);
    return rc;
}

static int save_state(struct my_sink *ms, const char *cluster_id,
                      const char *writer, int64_t upto, const char *now,
                      struct cdr_error *err)
{
    struct buf b;
    char tmp[96];
    int rc;

    buf_init(&b);
    snprintf(tmp, sizeof(tmp), "UPDATE cdr_writer_state SET last_seq = %lld, "
             "updated_at = '%s'", (long long)upto, now);
    cdr_buf_puts(&b, tmp);
    put_key(ms, &b, cluster_id, writer);
    rc = run(ms, (const char *)b.data, b.len, NULL, err,
             "advance cdr_writer_state");
    buf_free(&b);
    return rc;
}

static int my_batch_begin(struct cdr_sink *s, const char *cluster_id,
                          const char *writer, int64_t now, int64_t *last,
                          struct cdr_error *err)
{
    struct my_sink *ms = (struct my_sink *)s;
    char ts[CDR_TIME_SQL_LEN];
    int rc;

    ms->last_errno = 0;
    if ((rc = ensure(ms, err)) != 0)
        return rc;
    cdr_time_sql(now, false, ts);
    if ((rc = runs(ms, "START TRANSACTION", err,
                   "batch: START TRANSACTION")) != 0)
        return rc;
    return lock_state(ms, cluster_id, writer, ts, last, err);
}

static int my_batch_insert(struct cdr_sink *s, const char *cluster_id,
                           int64_t last, int64_t now,
                           const struct cdr_row *rows, size_t n,
                           const struct cdr_event *events, size_t m,
                           struct cdr_error *err)
{
    return insert_all((struct my_sink *)s, cluster_id, last, now, rows, n,
                      events, m, err);
}

static int my_batch_commit(struct cdr_sink *s, const char *cluster_id,
                           const char *writer, int64_t upto, int64_t now,
                           struct cdr_error *err)
{
    struct my_sink *ms = (struct my_sink *)s;
    char ts[CDR_TIME_SQL_LEN];
    int rc;

    cdr_time_sql(now, false, ts);
    rc = save_state(ms, cluster_id, writer, upto, ts, err);
    return rc != 0 ? rc : runs(ms, "COMMIT", err, "batch: COMMIT");
}

static void my_batch_rollback(struct cdr_sink *s)
{
    rollback((struct my_sink *)s);
}

/* InnoDB may pick a batch as a deadlock victim when writers of the same
 * name race (e.g. during a leader change); that is worth a retry. */
static bool my_batch_retry(struct cdr_sink *s)
{
    struct my_sink *ms = (struct my_sink *)s;

    return !ms->broken && (ms->last_errno == ER_LOCK_DEADLOCK ||
                           ms->last_errno == ER_LOCK_WAIT_TIMEOUT);
}

static int my_last_seq(struct cdr_sink *s, const char *cluster_id,
                       const char *writer, int64_t *out, struct cdr_error *err)
{
    struct my_sink *ms = (struct my_sink *)s;
    struct buf b;
    int rc;

    if ((rc = ensure(ms, err)) != 0)
        return rc;
    buf_init(&b);
    cdr_buf_puts(&b, "SELECT last_seq FROM cdr_writer_state");
    put_key(ms, &b, cluster_id, writer);
    rc = get_i64(ms, cdr_buf_cstr(&b), out, err, "read cdr_writer_state");
    buf_free(&b);
    return rc;
}

static void my_quote(struct cdr_sink *s, struct buf *sql, const char *value)
{
    put_lit((struct my_sink *)s, sql, value);
}

static int my_select(struct cdr_sink *s, const char *sql,
                     const struct cdr_sql_params *p, struct cdr_reader *rd,
                     const char *what, struct cdr_error *err)
{
    struct my_sink *ms = (struct my_sink *)s;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc;

    (void)p; /* the values are spliced into sql */
    if ((rc = run(ms, sql, strlen(sql), &res, err, what)) != 0)
        return rc;
    while (res != NULL && rc == 0 && (row = mysql_fetch_row(res)) != NULL)
        if (cdr_reader_add(rd, (const char *const *)row) != 0)
            rc = cdr_err_set(err, CDR_ESQL, "%s: %s: bad value", ms->label,
                             what);
    if (res != NULL)
        mysql_free_result(res);
    return rc;
}

static int my_ensure(struct cdr_sink *s, struct cdr_error *err)
{
    return ensure((struct my_sink *)s, err);
}

static void my_close(struct cdr_sink *s)
{
    struct my_sink *ms = (struct my_sink *)s;

    if (ms->db != NULL)
        mysql_close(ms->db);
    free(ms->host);
    free(ms->user);
    free(ms->password);
    free(ms->dbname);
    free(ms->label);
    free(ms);
}

static const struct cdr_sink_ops mysql_ops = {
    .name = "mysql",
    .close = my_close,
    .mig_begin = my_mig_begin,
    .mig_exec = my_mig_exec,
    .mig_max = my_mig_max,
    .mig_record = my_mig_record,
    .mig_end = my_mig_end,
    .batch_begin = my_batch_begin,
    .batch_insert = my_batch_insert,
    .batch_commit = my_batch_commit,
    .batch_rollback = my_batch_rollback,
    .batch_retry = my_batch_retry,
    .last_seq = my_last_seq,
    .ensure = my_ensure,
    .quote = my_quote,
    .frac = false,
    .select = my_select,
};

/* mysql_init() initialises the library on first use, which is not
 * thread-safe: do it once, whichever thread opens the first sink. */
static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void library_init(void)
{
    mysql_library_init(0, NULL, NULL);
}

int cdr_mysql_open(const struct cdr_sink_config *cfg, struct cdr_sink **out,
                   struct cdr_error *err)
{
    struct my_sink *ms;
    char label[512];
    int rc;

    pthread_once(&library_once, library_init);
    ms = xcalloc(1, sizeof(*ms));

    ms->base.ops = &mysql_ops;
    ms->host = xstrdup(cfg->host);
    ms->user = xstrdup(cfg->user);
    ms->password = xstrdup(cfg->password);
    ms->dbname = xstrdup(cfg->dbname);
    ms->port = (unsigned)(cfg->port ? cfg->port : 3306);
    ms->timeout_s = (unsigned)(cfg->timeout_ms + 999) / 1000;
    ms->ssl = cfg->ssl;
    snprintf(label, sizeof(label), "mysql %s:%u/%s",
             cfg->host ? cfg->host : "localhost", ms->port, cfg->dbname);
    ms->label = xstrdup(label);
    if ((rc = connect_db(ms, err)) != 0) {
        my_close(&ms->base);
        return rc;
    }
    *out = &ms->base;
    return 0;
}
