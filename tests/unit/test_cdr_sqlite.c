/* Unit tests for the CDR sink on SQLite (sql/cdr_sink.h, sql/sink_sqlite.c)
 * against real database files in a temporary directory: migrations are
 * versioned, idempotent and safe from two threads at once; batches are
 * exactly once per (cluster_id, writer) by last_seq (also with sinks of
 * one writer racing), atomic when a statement fails, and independent
 * between writers; search by MSISDN, status,
 * time range, limit and offset; NULL times and values round-trip; a
 * message's events read back per cluster; migration 003 on a version-2
 * database; SQL timestamp text in both directions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sql/cdr_internal.h"
#include "sql/cdr_sink.h"

#define T0 1761825600123LL /* 2025-10-30 12:00:00.123 UTC */

struct fx {
    char dir[64];
    char path[128];
    struct cdr_sink *sink;
};

static struct cdr_sink *open_sink(const char *path)
{
    struct cdr_sink_config cfg = { .adapter = "sqlite", .sqlite_path = path };
    struct cdr_error err = { 0 };
    struct cdr_sink *s = NULL;

    if (cdr_sink_open(&cfg, &s, &err) != 0)
        fail_msg("open %s: %s", path, err.msg);
    return s;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct cdr_error err = { 0 };

    snprintf(f->dir, sizeof(f->dir), "/tmp/smsc-cdr-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/cdr.db", f->dir);
    f->sink = open_sink(f->path);
    if (cdr_sink_migrate(f->sink, &err) < 0)
        fail_msg("migrate: %s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char p[160];

    cdr_sink_close(f->sink);
    for (const char *suffix = ""; suffix != NULL;
         suffix = *suffix == '\0' ? "-wal" : strcmp(suffix, "-wal") == 0
                                                 ? "-shm" : NULL) {
        snprintf(p, sizeof(p), "%s%s", f->path, suffix);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* One integer from a query on a separate raw connection. */
static int64_t count(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v = -1;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static struct cdr_row row(int64_t seq, const char *from, const char *to,
                          int64_t submitted)
{
    struct cdr_row r;

    cdr_row_init(&r);
    r.seq = seq;
    r.message_id = 1000 + seq;
    r.calling_number = (char *)from;
    r.called_number = (char *)to;
    r.source_smsc = (char *)"api";
    r.dest_smsc = (char *)"smsc-b";
    r.origin_node = (char *)"node1";
    r.destination_node = (char *)"node2";
    r.submission_time = submitted;
    r.delivery_time = submitted + 1500;
    r.expiry_time = submitted + 86400000;
    r.status = (char *)"delivered";
    r.delivery_attempts = 1;
    r.message_parts = 2;
    r.message_body = (char *)"hello, 'world'";
    r.inserted_at = submitted + 2000;
    r.updated_at = submitted + 2000;
    return r;
}

static struct cdr_event event(int64_t seq, int64_t message_id)
{
    struct cdr_event e;

    cdr_event_init(&e);
    e.seq = seq;
    e.message_id = message_id;
    e.event_epoch = T0;
    e.name = (char *)"delivered";
    e.description = (char *)"delivered to smsc-b";
    e.event_source = (char *)"node1";
    return e;
}

/* Writes rows with seqs lo..hi (numbers alternate) and one event each;
 * returns the new last_seq or -1 with err set.  Safe in any thread. */
static int64_t try_write_range(struct cdr_sink *s, const char *cluster,
                               const char *writer, int64_t lo, int64_t hi,
                               struct cdr_error *err)
{
    struct cdr_row rows[16];
    struct cdr_event evs[16];
    size_t n = 0;

    for (int64_t q = lo; q <= hi; q++, n++) {
        rows[n] = row(q, q % 2 ? "+15551230001" : "+15551230002",
                      "+15559990000", T0 + q * 60000);
        evs[n] = event(q, 1000 + q);
    }
    return cdr_sink_write_batch(s, cluster, writer, rows, n, evs, n, err);
}

/* The same on the test's thread, failing the test on an error. */
static int64_t write_range(struct cdr_sink *s, const char *cluster,
                           const char *writer, int64_t lo, int64_t hi)
{
    struct cdr_error err = { 0 };
    int64_t upto = try_write_range(s, cluster, writer, lo, hi, &err);

    if (upto < 0)
        fail_msg("write_batch: %s", err.msg);
    return upto;
}

static void test_migrate_idempotent(void **state)
{
    struct fx *f = *state;
    struct cdr_error err = { 0 };
    struct cdr_sink *again;

    assert_int_equal(cdr_schema_version(), 3);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM schema_migrations"), 3);
    assert_int_equal(cdr_sink_migrate(f->sink, &err), 0);
    again = open_sink(f->path);
    assert_int_equal(cdr_sink_migrate(again, &err), 0);
    cdr_sink_close(again);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM schema_migrations"), 3);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM sqlite_master WHERE "
                                    "type = 'index' AND name LIKE 'idx_cdrs_%'"),
                     6);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM sqlite_master WHERE "
                                    "name = 'idx_message_events_message_id'"),
                     1);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM sqlite_master WHERE "
                                    "name = "
                                    "'idx_message_events_cluster_message'"),
                     1);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM pragma_table_info("
                                    "'cdrs')"), 18);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM pragma_table_info("
                                    "'cdr_writer_state') WHERE pk > 0"), 2);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM pragma_journal_mode "
                                    "WHERE journal_mode = 'wal'"), 1);
}

/* Threads make no cmocka calls: they report through their result. */
static struct cdr_sink *thread_sink(const char *path)
{
    struct cdr_sink_config cfg = { .adapter = "sqlite", .sqlite_path = path };
    struct cdr_error err = { 0 };
    struct cdr_sink *s = NULL;

    if (cdr_sink_open(&cfg, &s, &err) != 0)
        fprintf(stderr, "open %s: %s\n", path, err.msg);
    return s;
}

static void *migrate_thread(void *arg)
{
    struct cdr_sink *s = thread_sink(arg);
    struct cdr_error err = { 0 };
    intptr_t rc;

    if (s == NULL)
        return (void *)(intptr_t)-100;
    rc = cdr_sink_migrate(s, &err);
    if (rc < 0)
        fprintf(stderr, "migrate: %s\n", err.msg);

    cdr_sink_close(s);
    return (void *)rc;
}

static void test_migrate_concurrent(void **state)
{
    struct fx *f = *state;
    char path[160];
    pthread_t t[4];
    intptr_t total = 0;

    snprintf(path, sizeof(path), "%s/fresh.db", f->dir);
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, migrate_thread, path);
    for (int i = 0; i < 4; i++) {
        void *rc;

        pthread_join(t[i], &rc);
        assert_true((intptr_t)rc >= 0);
        total += (intptr_t)rc;
    }
    assert_int_equal(total, 3); /* each migration applied exactly once */
    assert_int_equal(count(path, "SELECT COUNT(*) FROM schema_migrations"), 3);
    unlink(path);
    snprintf(path, sizeof(path), "%s/fresh.db-wal", f->dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/fresh.db-shm", f->dir);
    unlink(path);
}

static void *race_thread(void *arg)
{
    struct cdr_sink *s = thread_sink(arg);
    struct cdr_error err = { 0 };
    intptr_t ok = s != NULL;

    for (int64_t lo = 1; ok && lo <= 200; lo += 7) {
        int64_t hi = lo + 6 > 200 ? 200 : lo + 6;

        if (try_write_range(s, "c1", "node1", lo, hi, &err) < hi) {
            fprintf(stderr, "write_batch: %s\n", err.msg);
            ok = 0;
        }
    }
    cdr_sink_close(s);
    return (void *)ok;
}

/* Four sinks of one writer name racing over the same seqs (an old and a
 * new leader): each row lands exactly once. */
static void test_racing_writers(void **state)
{
    struct fx *f = *state;
    pthread_t t[4];

    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, race_thread, f->path);
    for (int i = 0; i < 4; i++) {
        void *ok;

        pthread_join(t[i], &ok);
        assert_true((intptr_t)ok);
    }
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM cdrs"), 200);
    assert_int_equal(count(f->path, "SELECT COUNT(DISTINCT message_id) FROM "
                                    "cdrs"), 200);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM message_events"), 200);
    assert_int_equal(count(f->path, "SELECT last_seq FROM cdr_writer_state"),
                     200);
}

static void test_batch_insert(void **state)
{
    struct fx *f = *state;
    struct cdr_error err = { 0 };
    int64_t last = -1;

    assert_int_equal(cdr_sink_last_seq(f->sink, "c1", "node1", &last, &err), 0);
    assert_int_equal(last, 0);
    assert_int_equal(write_range(f->sink, "c1", "node1", 1, 3), 3);
    assert_int_equal(cdr_sink_last_seq(f->sink, "c1", "node1", &last, &err), 0);
    assert_int_equal(last, 3);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM cdrs"), 3);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM message_events"), 3);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM message_events "
                                    "WHERE message_id = 1002"), 1);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM cdrs WHERE "
                                    "submission_time = '2025-10-30 12:01:00.123'"),
                     1);
}

static void test_exactly_once(void **state)
{
    struct fx *f = *state;

    assert_int_equal(write_range(f->sink, "c1", "node1", 1, 3), 3);
    /* The same batch again (a crash before the ack): nothing new. */
    assert_int_equal(write_range(f->sink, "c1", "node1", 1, 3), 3);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM cdrs"), 3);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM message_events"), 3);
    /* An overlapping batch: only 4 and 5 are new. */
    assert_int_equal(write_range(f->sink, "c1", "node1", 2, 5), 5);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM cdrs"), 5);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM message_events"), 5);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM cdrs WHERE "
                                    "message_id = 1004"), 1);
    /* An older batch and an empty one leave last_seq alone. */
    assert_int_equal(write_range(f->sink, "c1", "node1", 1, 2), 5);
    assert_int_equal(write_range(f->sink, "c1", "node1", 1, 0), 5);
    assert_int_equal(count(f->path, "SELECT last_seq FROM cdr_writer_state"), 5);
}

static void test_writers_independent(void **state)
{
    struct fx *f = *state;
    struct cdr_error err = { 0 };
    int64_t a = 0, b = 0, c = 0;

    assert_int_equal(write_range(f->sink, "c1", "node1", 1, 3), 3);
    assert_int_equal(write_range(f->sink, "c1", "node2", 1, 2), 2);
    assert_int_equal(write_range(f->sink, "c2", "node1", 1, 1), 1);
    assert_int_equal(cdr_sink_last_seq(f->sink, "c1", "node1", &a, &err), 0);
    assert_int_equal(cdr_sink_last_seq(f->sink, "c1", "node2", &b, &err), 0);
    assert_int_equal(cdr_sink_last_seq(f->sink, "c2", "node1", &c, &err), 0);
    assert_int_equal(a, 3);
    assert_int_equal(b, 2);
    assert_int_equal(c, 1);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM cdrs"), 6);
    assert_int_equal(write_range(f->sink, "c1", "node2", 1, 4), 4);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM cdrs"), 8);
}

static void test_failed_batch_is_atomic(void **state)
{
    struct fx *f = *state;
    struct cdr_error err = { 0 };
    struct cdr_row rows[2];
    struct cdr_event ev;
    sqlite3 *db = NULL;
    int64_t last = 0;

    assert_int_equal(write_range(f->sink, "c1", "node1", 1, 2), 2);
    /* Break the events table so the second half of the batch fails. */
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "ALTER TABLE message_events RENAME TO "
                                  "gone", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    rows[0] = row(3, "+1", "+2", T0);
    rows[1] = row(4, "+1", "+2", T0);
    ev = event(4, 1004);
    assert_int_equal(cdr_sink_write_batch(f->sink, "c1", "node1", rows, 2, &ev,
                                          1, &err), -1);
    assert_int_equal(err.code, CDR_ESQL);
    assert_non_null(strstr(err.msg, "message_events"));
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM cdrs"), 2);
    assert_int_equal(cdr_sink_last_seq(f->sink, "c1", "node1", &last, &err), 0);
    assert_int_equal(last, 2);
}

static void test_invalid_rows(void **state)
{
    struct fx *f = *state;
    struct cdr_error err = { 0 };
    struct cdr_row r = row(1, "+1", "+2", T0);
    struct cdr_sink_config bad = { .adapter = "oracle", .dbname = "x" };
    struct cdr_sink *s = NULL;

    r.status = NULL;
    assert_int_equal(cdr_sink_write_batch(f->sink, "c1", "n", &r, 1, NULL, 0,
                                          &err), -1);
    assert_int_equal(err.code, CDR_EINVAL);
    assert_non_null(strstr(err.msg, "status"));
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM cdrs"), 0);
    assert_int_equal(cdr_sink_open(&bad, &s, &err), CDR_EINVAL);
    assert_non_null(strstr(err.msg, "database.adapter"));
    assert_null(s);
}

static void search(struct cdr_sink *s, const struct cdr_query *q,
                   struct cdr_row **rows, size_t *n)
{
    struct cdr_error err = { 0 };

    if (cdr_sink_search(s, q, rows, n, &err) != 0)
        fail_msg("search: %s", err.msg);
}

static void test_search(void **state)
{
    struct fx *f = *state;
    struct cdr_query q = { .from_ms = CDR_TIME_NULL, .to_ms = CDR_TIME_NULL };
    struct cdr_row *rows = NULL;
    size_t n = 0;

    assert_int_equal(write_range(f->sink, "c1", "node1", 1, 10), 10);
    search(f->sink, &q, &rows, &n);
    assert_int_equal(n, 10);
    assert_int_equal(rows[0].message_id, 1010); /* newest first */
    assert_int_equal(rows[9].message_id, 1001);
    cdr_rows_free(rows, n);

    q.msisdn = "+15551230001"; /* calling number of the odd seqs */
    search(f->sink, &q, &rows, &n);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(rows[i].calling_number, "+15551230001");
    cdr_rows_free(rows, n);

    q.msisdn = "+15559990000"; /* the called number of all */
    q.from_ms = T0 + 3 * 60000;           /* inclusive */
    q.to_ms = T0 + 7 * 60000;             /* exclusive */
    search(f->sink, &q, &rows, &n);
    assert_int_equal(n, 4);
    assert_int_equal(rows[0].message_id, 1006);
    assert_int_equal(rows[3].message_id, 1003);
    cdr_rows_free(rows, n);

    q.limit = 2;
    q.offset = 1;
    search(f->sink, &q, &rows, &n);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].message_id, 1005);
    assert_int_equal(rows[1].message_id, 1004);
    cdr_rows_free(rows, n);

    q.msisdn = "+19999999999";
    search(f->sink, &q, &rows, &n);
    assert_int_equal(n, 0);
    assert_null(rows);
}

static void test_values_and_null_times(void **state)
{
    struct fx *f = *state;
    struct cdr_query q = { .from_ms = CDR_TIME_NULL, .to_ms = CDR_TIME_NULL };
    struct cdr_error err = { 0 };
    struct cdr_row in[2], *out = NULL;
    size_t n = 0;

    in[0] = row(1, "+15550000001", "+15550000002", T0);
    in[1] = row(2, "+15550000001", "+15550000003", T0 - 5000);
    in[1].delivery_time = CDR_TIME_NULL;
    in[1].expiry_time = CDR_TIME_NULL;
    in[1].message_parts = -1;
    in[1].message_body = NULL;
    in[1].source_smsc = NULL;
    in[1].status = (char *)"expired";
    in[1].deadletter = true;
    in[1].inserted_at = CDR_TIME_NULL; /* the writer's clock */
    in[1].updated_at = CDR_TIME_NULL;
    assert_int_equal(cdr_sink_write_batch(f->sink, "c1", "n", in, 2, NULL, 0,
                                          &err), 2);
    q.msisdn = "+15550000001";
    search(f->sink, &q, &out, &n);
    assert_int_equal(n, 2);
    /* in[0] is newer. */
    assert_true(out[0].id > 0);
    assert_int_equal(out[0].seq, 0);
    assert_int_equal(out[0].submission_time, T0);
    assert_int_equal(out[0].delivery_time, T0 + 1500);
    assert_int_equal(out[0].expiry_time, T0 + 86400000);
    assert_int_equal(out[0].inserted_at, T0 + 2000);
    assert_int_equal(out[0].message_parts, 2);
    assert_int_equal(out[0].delivery_attempts, 1);
    assert_false(out[0].deadletter);
    assert_string_equal(out[0].message_body, "hello, 'world'");
    assert_string_equal(out[0].source_smsc, "api");
    assert_string_equal(out[0].destination_node, "node2");
    assert_int_equal(out[1].delivery_time, CDR_TIME_NULL);
    assert_int_equal(out[1].expiry_time, CDR_TIME_NULL);
    assert_int_equal(out[1].message_parts, -1);
    assert_null(out[1].message_body);
    assert_null(out[1].source_smsc);
    assert_true(out[1].deadletter);
    assert_string_equal(out[1].status, "expired");
    assert_true(out[1].inserted_at > T0); /* now */
    assert_int_equal(out[1].updated_at, out[1].inserted_at);
    cdr_rows_free(out, n);
}

/* The sqlite schema files up to version upto, run on a raw connection
 * the way an older binary would have left the database. */
static void migrate_raw(const char *path, int upto)
{
    sqlite3 *db = NULL;
    char sql[128];

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    for (size_t i = 0; i < cdr_n_migrations; i++) {
        const struct cdr_migration *m = &cdr_migrations[i];

        if (strcmp(m->dialect, "sqlite") != 0 || m->version > upto)
            continue;
        if (sqlite3_exec(db, m->sql, NULL, NULL, NULL) != SQLITE_OK)
            fail_msg("%s: %s", m->name, sqlite3_errmsg(db));
        snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations (version, "
                 "applied_at) VALUES (%d, '2025-01-01 00:00:00.000')",
                 m->version);
        if (m->version > 0)
            assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL),
                             SQLITE_OK);
    }
    sqlite3_close(db);
}

/* A database left at version 2 by an older binary, with an event row:
 * migrate applies 003 only, the old row keeps cluster_id NULL and is not
 * any cluster's, new rows carry theirs. */
static void test_migrate_from_version_2(void **state)
{
    struct fx *f = *state;
    struct cdr_error err = { 0 };
    struct cdr_event *evs = NULL;
    struct cdr_sink *s;
    char path[160];
    sqlite3 *db = NULL;
    size_t n = 0;

    snprintf(path, sizeof(path), "%s/v2.db", f->dir);
    migrate_raw(path, 2);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO message_events (message_id, "
                                  "event_epoch, name, inserted_at) VALUES "
                                  "(1001, 5, 'old', '2025-01-01 "
                                  "00:00:00.000')", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(count(path, "SELECT COUNT(*) FROM pragma_table_info("
                                 "'message_events') WHERE name = "
                                 "'cluster_id'"), 0);

    s = open_sink(path);
    assert_int_equal(cdr_sink_migrate(s, &err), 1);
    assert_int_equal(cdr_sink_migrate(s, &err), 0);
    assert_int_equal(count(path, "SELECT MAX(version) FROM schema_migrations"),
                     3);
    assert_int_equal(count(path, "SELECT COUNT(*) FROM pragma_table_info("
                                 "'message_events') WHERE name = "
                                 "'cluster_id' AND \"notnull\" = 0"), 1);
    assert_int_equal(count(path, "SELECT COUNT(*) FROM pragma_index_info("
                                 "'idx_message_events_cluster_message')"), 2);
    assert_int_equal(count(path, "SELECT COUNT(*) FROM message_events WHERE "
                                 "cluster_id IS NULL"), 1);
    assert_int_equal(write_range(s, "c1", "node1", 1, 1), 1);
    assert_int_equal(cdr_sink_events(s, "c1", 1001, &evs, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(evs[0].name, "delivered");
    cdr_events_free(evs, n);
    cdr_sink_close(s);
    for (const char *sfx = ""; sfx != NULL;
         sfx = *sfx == '\0' ? "-wal" : strcmp(sfx, "-wal") == 0 ? "-shm"
                                                               : NULL) {
        snprintf(path, sizeof(path), "%s/v2.db%s", f->dir, sfx);
        unlink(path);
    }
}

static void events_of(struct cdr_sink *s, const char *cluster,
                      int64_t message_id, struct cdr_event **evs, size_t *n)
{
    struct cdr_error err = { 0 };

    if (cdr_sink_events(s, cluster, message_id, evs, n, &err) != 0)
        fail_msg("events: %s", err.msg);
}

/* Two clusters write events of the same message id: each reads back its
 * own, ordered by event_epoch then insertion, with every value. */
static void test_events_by_cluster(void **state)
{
    struct fx *f = *state;
    struct cdr_error err = { 0 };
    struct cdr_event in[3], *out = NULL;
    size_t n = 0;

    in[0] = event(1, 42);
    in[0].event_epoch = T0 + 10;
    in[0].name = (char *)"submitted";
    in[0].inserted_at = T0 + 20;
    in[1] = event(2, 42);
    in[1].event_epoch = T0;         /* earlier, inserted later */
    in[1].name = (char *)"accepted";
    in[1].description = NULL;
    in[1].event_source = NULL;
    in[2] = event(3, 42);
    in[2].event_epoch = T0 + 10;    /* same epoch as in[0]: by id */
    in[2].name = (char *)"routed";
    assert_int_equal(cdr_sink_write_batch(f->sink, "c1", "node1", NULL, 0, in,
                                          3, &err), 3);
    in[0].name = (char *)"other-cluster";
    assert_int_equal(cdr_sink_write_batch(f->sink, "c2", "node1", NULL, 0, in,
                                          1, &err), 1);
    assert_int_equal(count(f->path, "SELECT COUNT(*) FROM message_events "
                                    "WHERE cluster_id = 'c1'"), 3);

    events_of(f->sink, "c1", 42, &out, &n);
    assert_int_equal(n, 3);
    assert_string_equal(out[0].name, "accepted");
    assert_string_equal(out[1].name, "submitted");
    assert_string_equal(out[2].name, "routed");
    assert_int_equal(out[0].seq, 0);
    assert_int_equal(out[0].message_id, 42);
    assert_int_equal(out[0].event_epoch, T0);
    assert_null(out[0].description);
    assert_null(out[0].event_source);
    assert_true(out[0].inserted_at > T0); /* the writer's clock */
    assert_int_equal(out[1].inserted_at, T0 + 20);
    assert_string_equal(out[1].description, "delivered to smsc-b");
    assert_string_equal(out[1].event_source, "node1");
    cdr_events_free(out, n);

    events_of(f->sink, "c2", 42, &out, &n);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].name, "other-cluster");
    cdr_events_free(out, n);

    events_of(f->sink, "c3", 42, &out, &n);
    assert_int_equal(n, 0);
    assert_null(out);
    events_of(f->sink, "c1", 43, &out, &n);
    assert_int_equal(n, 0);
    assert_null(out);
    assert_int_equal(cdr_sink_events(f->sink, NULL, 42, &out, &n, &err),
                     CDR_EINVAL);
}

static void test_search_status(void **state)
{
    struct fx *f = *state;
    struct cdr_query q = { .from_ms = CDR_TIME_NULL, .to_ms = CDR_TIME_NULL };
    struct cdr_error err = { 0 };
    struct cdr_row in[4], *rows = NULL;
    size_t n = 0;

    for (int i = 0; i < 4; i++) {
        in[i] = row(i + 1, i % 2 ? "+15551230001" : "+15551230002",
                    "+15559990000", T0 + i * 60000);
        in[i].status = (char *)(i == 3 ? "failed" : i ? "expired"
                                                      : "delivered");
    }
    assert_int_equal(cdr_sink_write_batch(f->sink, "c1", "n", in, 4, NULL, 0,
                                          &err), 4);
    q.status = "expired";
    search(f->sink, &q, &rows, &n);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].message_id, 1003);
    assert_int_equal(rows[1].message_id, 1002);
    cdr_rows_free(rows, n);

    q.msisdn = "+15551230001";      /* combined: seqs 2 and 4; 2 expired */
    search(f->sink, &q, &rows, &n);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].message_id, 1002);
    cdr_rows_free(rows, n);

    q.msisdn = NULL;
    q.status = "failed";
    q.from_ms = T0 + 3 * 60000;
    search(f->sink, &q, &rows, &n);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].status, "failed");
    cdr_rows_free(rows, n);

    q.status = "rejected";
    q.from_ms = CDR_TIME_NULL;
    search(f->sink, &q, &rows, &n);
    assert_int_equal(n, 0);
    assert_null(rows);

    q.status = NULL;                /* any */
    search(f->sink, &q, &rows, &n);
    assert_int_equal(n, 4);
    cdr_rows_free(rows, n);
}

static void assert_time_text(int64_t ms, bool frac, const char *want)
{
    char out[CDR_TIME_SQL_LEN];
    int64_t back = 0;

    cdr_time_sql(ms, frac, out);
    assert_string_equal(out, want);
    assert_int_equal(cdr_time_from_sql(out, &back), 0);
    assert_int_equal(back, frac ? ms : ms - ((ms % 1000) + 1000) % 1000);
}

static void test_time_text(void **state)
{
    int64_t ms = 0;

    (void)state;
    assert_time_text(T0, true, "2025-10-30 12:00:00.123");
    assert_time_text(T0, false, "2025-10-30 12:00:00");
    assert_time_text(0, true, "1970-01-01 00:00:00.000");
    assert_time_text(-1, true, "1969-12-31 23:59:59.999");
    assert_time_text(-1, false, "1969-12-31 23:59:59");
    assert_time_text(951868799999LL, true, "2000-02-29 23:59:59.999");
    /* What PostgreSQL and MySQL send back. */
    assert_int_equal(cdr_time_from_sql("2025-10-30 12:00:00.123456", &ms), 0);
    assert_int_equal(ms, T0);
    assert_int_equal(cdr_time_from_sql("2025-10-30 12:00:00", &ms), 0);
    assert_int_equal(ms, T0 - 123);
    assert_int_equal(cdr_time_from_sql("2025-10-30T12:00:00.1", &ms), 0);
    assert_int_equal(ms, T0 - 23);
    assert_int_equal(cdr_time_from_sql("2025-13-30 12:00:00", &ms), -1);
    assert_int_equal(cdr_time_from_sql("", &ms), -1);
    assert_int_equal(cdr_time_from_sql("2025-10-30 12:00:00+02:00", &ms), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_text),
        cmocka_unit_test_setup_teardown(test_migrate_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_from_version_2, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_batch_insert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exactly_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writers_independent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_racing_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_batch_is_atomic, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invalid_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_and_null_times, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_search_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_by_cluster, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
