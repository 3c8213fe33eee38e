/* cdr_sql_driver — drives sql/cdr_sink.h against a real PostgreSQL or
 * MariaDB/MySQL server for tests/integration/test_cdr_sql.py.
 *
 *   cdr_sql_driver migrate  ADAPTER HOST PORT USER PASSWORD DB [ssl]
 *       migrates; prints "applied N"
 *   cdr_sql_driver scenario ADAPTER HOST PORT USER PASSWORD DB [ssl]
 *       migrates, then checks exactly-once batches (repeat, overlap, two
 *       writers, two clusters), search (also by status), value round
 *       trips and message events by cluster (four more events in
 *       clusters c8, c9); prints "ok" or the first failed check, exit
 *       status 1.
 *   cdr_sql_driver outage   ADAPTER HOST PORT USER PASSWORD DB [ssl]
 *       one sink across a server restart: writes seqs 1..3, prints
 *       "ready"; after a line on stdin (the server is down) a batch of
 *       1..6 must fail, prints "failed"; after a second line (the server
 *       is back) retries it until it succeeds and checks that exactly six
 *       rows exist; prints "ok".
 *   cdr_sql_driver bench    ADAPTER HOST PORT USER PASSWORD DB [ssl]
 *       writes CDR_BENCH_ROWS (20000) rows with 600-byte bodies in
 *       batches of CDR_BENCH_BATCH (100), each with one event; prints
 *       rows per second.  Several at once on one database must still
 *       leave each row exactly once.
 * ADAPTER sqlite takes the database file as DB (HOST etc. are ignored).
 * Times on MySQL are DATETIME (seconds), so the checks use whole seconds.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sql/cdr_sink.h"

#define T0 1761825600000LL /* 2025-10-30 12:00:00 UTC */

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

static struct cdr_error err;

static struct cdr_row mkrow(int64_t seq)
{
    struct cdr_row r;

    cdr_row_init(&r);
    r.seq = seq;
    r.message_id = 1000 + seq;
    r.calling_number = (char *)(seq % 2 ? "+15551230001" : "+15551230002");
    r.called_number = (char *)"+15559990000";
    r.source_smsc = (char *)"api";
    r.dest_smsc = (char *)"smsc-b";
    r.origin_node = (char *)"node1";
    r.submission_time = T0 + seq * 60000;
    r.delivery_time = seq % 3 ? T0 + seq * 60000 + 2000 : CDR_TIME_NULL;
    r.expiry_time = CDR_TIME_NULL;
    r.status = (char *)(seq % 3 ? "delivered" : "expired");
    r.delivery_attempts = (int)seq % 4;
    r.message_parts = seq % 2 ? 1 : -1;
    r.deadletter = seq % 3 == 0;
    r.message_body = (char *)(seq % 2 ? "it's a \"test\" \\ ü 😀" : NULL);
    r.inserted_at = T0 + seq * 60000 + 3000;
    return r;
}

static int64_t try_batch(struct cdr_sink *s, const char *cluster,
                         const char *writer, int64_t lo, int64_t hi)
{
    struct cdr_row rows[64];
    struct cdr_event evs[64];
    size_t n = 0;
    int64_t upto;

    for (int64_t q = lo; q <= hi; q++, n++) {
        rows[n] = mkrow(q);
        cdr_event_init(&evs[n]);
        evs[n].seq = q;
        evs[n].message_id = 1000 + q;
        evs[n].event_epoch = T0 + q;
        evs[n].name = (char *)"delivered";
        evs[n].description = (char *)"it's delivered";
    }
    upto = cdr_sink_write_batch(s, cluster, writer, rows, n, evs, n, &err);
    if (upto < 0)
        fprintf(stderr, "write_batch: %s\n", err.msg);
    return upto;
}

static int64_t batch(struct cdr_sink *s, const char *cluster,
                     const char *writer, int64_t lo, int64_t hi)
{
    int64_t upto = try_batch(s, cluster, writer, lo, hi);

    if (upto < 0)
        exit(1);
    return upto;
}

static size_t search_status(struct cdr_sink *s, const char *msisdn,
                            const char *status, int64_t from, int64_t to,
                            struct cdr_row **rows)
{
    struct cdr_query q = { .msisdn = msisdn, .status = status,
                           .from_ms = from, .to_ms = to };
    size_t n = 0;

    if (cdr_sink_search(s, &q, rows, &n, &err) != 0) {
        fprintf(stderr, "search: %s\n", err.msg);
        exit(1);
    }
    return n;
}

static size_t search(struct cdr_sink *s, const char *msisdn, int64_t from,
                     int64_t to, struct cdr_row **rows)
{
    return search_status(s, msisdn, NULL, from, to, rows);
}

static size_t events(struct cdr_sink *s, const char *cluster,
                     int64_t message_id, struct cdr_event **evs)
{
    size_t n = 0;

    if (cdr_sink_events(s, cluster, message_id, evs, &n, &err) != 0) {
        fprintf(stderr, "events: %s\n", err.msg);
        exit(1);
    }
    return n;
}

/* Status filter over the rows scenario wrote: c1 seqs 1..6 (3 and 6
 * expired), writer "other" 1..2 and c2 1, all delivered. */
static void scenario_status(struct cdr_sink *s)
{
    struct cdr_row *rows = NULL;
    size_t n;

    n = search_status(s, NULL, "expired", CDR_TIME_NULL, CDR_TIME_NULL, &rows);
    CHECK(n == 2);
    CHECK(rows[0].message_id == 1006 && rows[1].message_id == 1003);
    cdr_rows_free(rows, n);
    n = search_status(s, "+15551230001", "delivered", CDR_TIME_NULL,
                      CDR_TIME_NULL, &rows);
    CHECK(n == 4); /* odd seqs but c1's 3 */
    for (size_t i = 0; i < n; i++)
        CHECK(strcmp(rows[i].status, "delivered") == 0);
    cdr_rows_free(rows, n);
    n = search_status(s, NULL, "expired", T0 + 4 * 60000, CDR_TIME_NULL,
                      &rows);
    CHECK(n == 1 && rows[0].message_id == 1006);
    cdr_rows_free(rows, n);
    n = search_status(s, NULL, "rejected", CDR_TIME_NULL, CDR_TIME_NULL,
                      &rows);
    CHECK(n == 0 && rows == NULL);
}

static struct cdr_event mkevent(int64_t seq, int64_t message_id,
                                int64_t epoch, const char *name)
{
    struct cdr_event e;

    cdr_event_init(&e);
    e.seq = seq;
    e.message_id = message_id;
    e.event_epoch = epoch;
    e.name = (char *)name;
    return e;
}

/* Events of one message id kept apart by cluster, in event_epoch then
 * insertion order; four events more in message_events. */
static void scenario_events(struct cdr_sink *s)
{
    struct cdr_event in[3], *out = NULL;
    size_t n;

    n = events(s, "c1", 1001, &out); /* writers "cluster" and "other" */
    CHECK(n == 2);
    CHECK(out[0].seq == 0 && out[0].message_id == 1001);
    CHECK(out[0].event_epoch == T0 + 1 && out[0].inserted_at != CDR_TIME_NULL);
    CHECK(strcmp(out[0].description, "it's delivered") == 0);
    CHECK(out[0].event_source == NULL);
    cdr_events_free(out, n);
    CHECK(events(s, "c2", 1001, &out) == 1);
    cdr_events_free(out, 1);
    CHECK(events(s, "c2", 1002, &out) == 0 && out == NULL);

    in[0] = mkevent(1, 77, T0 + 5000, "late");
    in[1] = mkevent(2, 77, T0, "early");
    in[2] = mkevent(3, 77, T0 + 5000, "late2");
    in[2].event_source = (char *)"node2";
    CHECK(cdr_sink_write_batch(s, "c9", "w", NULL, 0, in, 3, &err) == 3);
    in[0].name = (char *)"c8's";
    CHECK(cdr_sink_write_batch(s, "c8", "w", NULL, 0, in, 1, &err) == 1);
    n = events(s, "c9", 77, &out);
    CHECK(n == 3);
    CHECK(strcmp(out[0].name, "early") == 0 && out[0].event_epoch == T0);
    CHECK(strcmp(out[1].name, "late") == 0);
    CHECK(strcmp(out[2].name, "late2") == 0);
    CHECK(strcmp(out[2].event_source, "node2") == 0);
    CHECK(out[1].description == NULL);
    cdr_events_free(out, n);
    n = events(s, "c8", 77, &out);
    CHECK(n == 1 && strcmp(out[0].name, "c8's") == 0);
    cdr_events_free(out, n);
}

static void scenario(struct cdr_sink *s)
{
    struct cdr_row *rows = NULL;
    int64_t last = -1;
    size_t n;

    CHECK(cdr_sink_migrate(s, &err) == 0); /* already current */
    CHECK(cdr_sink_last_seq(s, "c1", "cluster", &last, &err) == 0 && last == 0);
    CHECK(batch(s, "c1", "cluster", 1, 3) == 3);
    CHECK(batch(s, "c1", "cluster", 1, 3) == 3);    /* repeated */
    CHECK(batch(s, "c1", "cluster", 2, 6) == 6);    /* overlapping */
    CHECK(batch(s, "c1", "cluster", 1, 0) == 6);    /* empty */
    CHECK(batch(s, "c1", "other", 1, 2) == 2);      /* second writer */
    CHECK(batch(s, "c2", "cluster", 1, 1) == 1);    /* second cluster */
    CHECK(cdr_sink_last_seq(s, "c1", "cluster", &last, &err) == 0 && last == 6);
    CHECK(cdr_sink_last_seq(s, "c1", "other", &last, &err) == 0 && last == 2);

    n = search(s, NULL, CDR_TIME_NULL, CDR_TIME_NULL, &rows);
    CHECK(n == 9);
    cdr_rows_free(rows, n);
    n = search(s, "+15551230001", CDR_TIME_NULL, CDR_TIME_NULL, &rows);
    CHECK(n == 5); /* seqs 1, 3, 5 of c1 + 1 of other + 1 of c2 */
    cdr_rows_free(rows, n);
    n = search(s, "+15559990000", T0 + 2 * 60000, T0 + 5 * 60000, &rows);
    CHECK(n == 4); /* c1 seqs 2, 3, 4 and other seq 2 */
    CHECK(rows[0].message_id == 1004 && rows[3].message_id == 1002);
    cdr_rows_free(rows, n);

    n = search(s, "+15551230002", T0 + 6 * 60000, T0 + 7 * 60000, &rows);
    CHECK(n == 1);
    CHECK(rows[0].message_id == 1006);
    CHECK(rows[0].submission_time == T0 + 6 * 60000);
    CHECK(rows[0].delivery_time == CDR_TIME_NULL);
    CHECK(rows[0].expiry_time == CDR_TIME_NULL);
    CHECK(rows[0].message_parts == -1 && rows[0].message_body == NULL);
    CHECK(rows[0].deadletter && strcmp(rows[0].status, "expired") == 0);
    CHECK(rows[0].inserted_at == T0 + 6 * 60000 + 3000);
    CHECK(rows[0].updated_at == rows[0].inserted_at);
    CHECK(rows[0].destination_node == NULL);
    cdr_rows_free(rows, n);

    n = search(s, "+15551230001", T0 + 5 * 60000, T0 + 6 * 60000, &rows);
    CHECK(n == 1);
    CHECK(rows[0].delivery_time == T0 + 5 * 60000 + 2000);
    CHECK(rows[0].message_parts == 1 && !rows[0].deadletter);
    CHECK(strcmp(rows[0].message_body, "it's a \"test\" \\ ü 😀") == 0);
    CHECK(rows[0].delivery_attempts == 1);
    cdr_rows_free(rows, n);

    scenario_status(s);
    scenario_events(s);
}

/* Environment integer with a default, clamped to [1, max]. */
static int64_t env_int(const char *name, int64_t def, int64_t max)
{
    const char *v = getenv(name);
    int64_t x = v != NULL ? atoll(v) : def;

    return x < 1 ? 1 : x > max ? max : x;
}

static void bench(struct cdr_sink *s)
{
    int64_t total = env_int("CDR_BENCH_ROWS", 20000, INT64_MAX / 2), seq = 0;
    size_t size = (size_t)env_int("CDR_BENCH_BATCH", 100, 5000);
    struct cdr_row *rows = calloc(size, sizeof(*rows));
    struct cdr_event *evs = calloc(size, sizeof(*evs));
    char body[601];
    struct timespec t0, t1;
    double secs;

    memset(body, 'x', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (seq < total) {
        size_t n = 0;

        for (; n < size && seq < total; n++) {
            rows[n] = mkrow(++seq);
            rows[n].message_body = body;
            cdr_event_init(&evs[n]);
            evs[n].seq = seq;
            evs[n].message_id = rows[n].message_id;
            evs[n].event_epoch = T0;
            evs[n].name = (char *)"delivered";
        }
        /* >= : another process may be writing the same seqs (races) */
        if (cdr_sink_write_batch(s, "bench", "cluster", rows, n, evs, n,
                                 &err) < seq) {
            fprintf(stderr, "write_batch: %s\n", err.msg);
            exit(1);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) +
           (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%lld rows (+ as many events) in batches of %zu: %.3f s, "
           "%.0f rows/s\n", (long long)total, size, secs,
           (double)total / secs);
    free(rows);
    free(evs);
}

static void wait_line(void)
{
    char line[64];

    fflush(stdout);
    if (fgets(line, sizeof(line), stdin) == NULL)
        exit(1);
}

static void outage(struct cdr_sink *s)
{
    struct cdr_row *rows = NULL;
    int64_t upto = -1;
    size_t n;

    CHECK(batch(s, "c1", "cluster", 1, 3) == 3);
    printf("ready\n");
    wait_line();
    CHECK(try_batch(s, "c1", "cluster", 1, 6) == -1);
    CHECK(err.code == CDR_ESQL || err.code == CDR_ECONNECT);
    printf("failed\n");
    wait_line();
    for (int i = 0; i < 150 && upto < 0; i++) {
        upto = try_batch(s, "c1", "cluster", 1, 6);
        if (upto < 0)
            usleep(200 * 1000);
    }
    CHECK(upto == 6);
    n = search(s, NULL, CDR_TIME_NULL, CDR_TIME_NULL, &rows);
    CHECK(n == 6);
    cdr_rows_free(rows, n);
}

int main(int argc, char **argv)
{
    struct cdr_sink_config cfg = { 0 };
    struct cdr_sink *s = NULL;
    int applied;

    if (argc < 8) {
        fprintf(stderr, "usage: %s migrate|scenario ADAPTER HOST PORT USER "
                "PASSWORD DB [ssl]\n", argv[0]);
        return 2;
    }
    cfg.adapter = argv[2];
    cfg.host = argv[3];
    cfg.port = atoi(argv[4]);
    cfg.user = argv[5];
    cfg.password = argv[6];
    cfg.dbname = argv[7];
    cfg.ssl = argc > 8 && strcmp(argv[8], "ssl") == 0;
    cfg.sqlite_path = argv[7];
    if (cdr_sink_open(&cfg, &s, &err) != 0) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 1;
    }
    applied = cdr_sink_migrate(s, &err);
    if (applied < 0) {
        fprintf(stderr, "migrate: %s\n", err.msg);
        return 1;
    }
    if (strcmp(argv[1], "migrate") == 0) {
        printf("applied %d\n", applied);
    } else if (strcmp(argv[1], "bench") == 0) {
        bench(s);
    } else if (strcmp(argv[1], "outage") == 0) {
        outage(s);
        printf("ok\n");
    } else {
        scenario(s);
        printf("ok\n");
    }
    cdr_sink_close(s);
    return 0;
}
