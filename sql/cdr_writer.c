/* cdr_writer — the CDR writer and query threads (see cdr_writer.h).
 *
 * Writer session: connect, migrate, read last_seq of (cluster, writer) —
 * that is where it resumes, whatever the outbox head is.  Each round takes
 * whole outbox items after the position, writes them in one transaction
 * and moves the position to what SQL reports.  Any SQL error closes the
 * connection; the next round reconnects after the backoff.  With a shared
 * database a node that stops leading drops its position and re-reads it
 * when it leads again, so two leaders in turn never rely on stale state
 * (the transaction's row lock on cdr_writer_state orders two writers that
 * overlap for a moment, and what is at or below last_seq is skipped).
 */
#include "sql/cdr_writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/timefmt.h"
#include "common/xalloc.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define CATCH_UP_BATCHES 10
#define ACK_RESEND_MS 1000

struct cdr_writer {
    struct cdr_writer_source src;
    struct cdr_sink_config sink_cfg;  /* owned copies of the strings */
    char *node_name;
    char *writer;                     /* "cluster" or node_name */
    bool shared;

    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;                        /* guarded by lock */
    bool stopped;                     /* threads joined; guarded by lock */
    struct cdr_writer_stats stats;    /* guarded by lock */

    /* writer thread only */
    struct cdr_sink *sink;
    int64_t pos;                      /* stored up to here; -1 = unknown */
    int64_t backoff_ms;
    int64_t last_flush_mono;
    int64_t ack_sent;
    int64_t ack_sent_at;
    char cluster_id[256];

    /* query thread */
    pthread_t qthread;
    struct cdr_query_job *q_head, *q_tail; /* guarded by lock */
    pthread_cond_t qcond;
    struct cdr_sink *qsink;
};

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* Waits on cond up to ms; returns true when asked to stop. */
static bool nap(struct cdr_writer *w, pthread_cond_t *cond, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        if (pthread_cond_timedwait(cond, &w->lock, &ts) == ETIMEDOUT)
            break;
    }
    bool stop = w->stop;
    pthread_mutex_unlock(&w->lock);
    return stop;
}

static void set_error(struct cdr_writer *w, const struct cdr_error *e)
{
    pthread_mutex_lock(&w->lock);
    snprintf(w->stats.last_error, sizeof w->stats.last_error, "%s", e->msg);
    w->stats.connected = false;
    pthread_mutex_unlock(&w->lock);
}

/* An SQL failure: drop the connection and wait before the next try. */
static void fail(struct cdr_writer *w, const struct cdr_error *e,
                 const char *what)
{
    if (w->backoff_ms == 0)
        log_warn("cdr writer: %s: %s (retrying with backoff; the outbox "
                 "keeps every row)", what, e->msg);
    set_error(w, e);
    pthread_mutex_lock(&w->lock);
    w->stats.flush_errors++;
    pthread_mutex_unlock(&w->lock);
    cdr_sink_close(w->sink);
    w->sink = NULL;
    w->pos = -1;
    w->backoff_ms = w->backoff_ms ? w->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (w->backoff_ms > BACKOFF_MAX_MS)
        w->backoff_ms = BACKOFF_MAX_MS;
}

static int open_session(struct cdr_writer *w)
{
    struct cdr_error e;
    if (w->sink == NULL) {
        if (cdr_sink_open(&w->sink_cfg, &w->sink, &e) != 0) {
            fail(w, &e, "connect");
            return -1;
        }
        if (cdr_sink_migrate(w->sink, &e) < 0) {
            fail(w, &e, "migrate");
            return -1;
        }
    }
    int64_t last;
    if (cdr_sink_last_seq(w->sink, w->cluster_id, w->writer, &last, &e) != 0) {
        fail(w, &e, "read cdr_writer_state");
        return -1;
    }
    if (w->backoff_ms != 0)
        log_info("cdr writer: %s database reachable again; resuming after "
                 "seq %lld", cdr_sink_adapter(w->sink), (long long)last);
    w->backoff_ms = 0;
    w->pos = last;
    pthread_mutex_lock(&w->lock);
    w->stats.connected = true;
    w->stats.last_error[0] = '\0';
    w->stats.written_seq = last;
    pthread_mutex_unlock(&w->lock);
    return 0;
}

/* Writes one batch after pos; returns the number of seqs stored, 0 when
 * there was nothing, -1 on an SQL error. */
static int64_t flush_once(struct cdr_writer *w, size_t max)
{
    struct cdr_row *rows;
    struct cdr_event *ev;
    size_t n, m;
    int64_t upto = w->src.read(w->src.arg, w->pos, max, &rows, &n, &ev, &m);
    if (upto <= w->pos) {
        cdr_rows_free(rows, n);
        cdr_events_free(ev, m);
        return 0;
    }
    struct cdr_error e;
    int64_t t0 = time_mono_ms();
    int64_t last = cdr_sink_write_batch(w->sink, w->cluster_id, w->writer,
                                        rows, n, ev, m, &e);
    int64_t t1 = time_mono_ms();
    cdr_rows_free(rows, n);
    cdr_events_free(ev, m);
    if (last < 0) {
        fail(w, &e, "write batch");
        return -1;
    }
    int64_t stored = upto - w->pos;
    w->pos = last > upto ? last : upto;
    w->last_flush_mono = t1;
    pthread_mutex_lock(&w->lock);
    w->stats.total_flushed += n + m;
    w->stats.rows_flushed += n;
    w->stats.events_flushed += m;
    w->stats.total_batches++;
    w->stats.last_flush_at = time_now_ms();
    w->stats.last_flush_count = n + m;
    w->stats.last_flush_duration_ms = (double)(t1 - t0);
    w->stats.written_seq = w->pos;
    pthread_mutex_unlock(&w->lock);
    return stored;
}

static void maybe_ack(struct cdr_writer *w, bool caught_up, int64_t flush_ms)
{
    int64_t now = time_mono_ms();
    int64_t replicated = w->src.acked(w->src.arg, w->writer);
    if (w->pos <= replicated)
        return;
    bool fresh = w->pos > w->ack_sent;
    bool due = now - w->ack_sent_at >= (fresh ? flush_ms : ACK_RESEND_MS);
    if (!due && !(fresh && caught_up && now - w->ack_sent_at >= flush_ms / 4))
        return;
    w->src.ack(w->src.arg, w->writer, w->pos, w->shared);
    w->ack_sent = w->pos;
    w->ack_sent_at = now;
}

static void set_active(struct cdr_writer *w, bool active)
{
    pthread_mutex_lock(&w->lock);
    w->stats.active = active;
    pthread_mutex_unlock(&w->lock);
}

static void *writer_main(void *arg)
{
    struct cdr_writer *w = arg;
    w->pos = -1;
    for (;;) {
        size_t batch;
        int64_t flush_ms;
        w->src.batching(w->src.arg, &batch, &flush_ms);
        if (w->backoff_ms) {
            if (nap(w, &w->cond, w->backoff_ms))
                break;
        }
        bool active = w->src.cluster_id(w->src.arg, w->cluster_id,
                                        sizeof w->cluster_id) &&
                      (!w->shared || w->src.is_leader(w->src.arg));
        set_active(w, active);
        if (!active) {
            w->pos = -1; /* re-read from SQL when it leads again */
            if (nap(w, &w->cond, flush_ms))
                break;
            continue;
        }
        if (w->pos < 0 && open_session(w) != 0)
            continue;
        int64_t head, last;
        w->src.bounds(w->src.arg, &head, &last);
        if (w->pos < head - 1)
            log_warn("cdr writer %s: outbox seqs %lld..%lld were trimmed "
                     "before this writer stored them",
                     w->writer, (long long)w->pos + 1, (long long)head - 1);
        int64_t backlog = last - w->pos;
        int64_t since = time_mono_ms() - w->last_flush_mono;
        if (backlog > 0 && (backlog >= (int64_t)batch || since >= flush_ms)) {
            size_t max = backlog > (int64_t)batch * CATCH_UP_BATCHES
                             ? batch * CATCH_UP_BATCHES
                             : batch;
            if (flush_once(w, max) < 0)
                continue;
            if (last - w->pos >= (int64_t)batch) {
                maybe_ack(w, false, flush_ms);
                continue; /* more waiting: no nap */
            }
        }
        maybe_ack(w, last <= w->pos, flush_ms);
        int64_t wait = backlog > 0 ? flush_ms - since : flush_ms;
        if (nap(w, &w->cond, wait < 1 ? 1 : wait > flush_ms ? flush_ms : wait))
            break;
    }
    cdr_sink_close(w->sink);
    w->sink = NULL;
    return NULL;
}

/* ---- query thread ---- */

static void run_job(struct cdr_writer *w, struct cdr_query_job *j)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (w->qsink == NULL) {
            j->rc = cdr_sink_open(&w->sink_cfg, &w->qsink, &j->err);
            if (j->rc == 0 && cdr_sink_migrate(w->qsink, &j->err) < 0)
                j->rc = j->err.code;
            if (j->rc != 0) {
                cdr_sink_close(w->qsink);
                w->qsink = NULL;
                return;
            }
        }
        if (j->kind == CDR_JOB_SEARCH)
            j->rc = cdr_sink_search(w->qsink, &j->q, &j->rows, &j->n_rows,
                                    &j->err);
        else
            j->rc = cdr_sink_events(w->qsink, j->cluster_id, j->message_id,
                                    &j->events, &j->n_events, &j->err);
        if (j->rc == 0)
            return;
        /* a dropped connection: one fresh try */
        cdr_sink_close(w->qsink);
        w->qsink = NULL;
    }
}

static void *query_main(void *arg)
{
    struct cdr_writer *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->stop && w->q_head == NULL)
            pthread_cond_wait(&w->qcond, &w->lock);
        struct cdr_query_job *j = w->q_head;
        if (j == NULL)
            break; /* stopping, nothing queued */
        w->q_head = j->next;
        if (w->q_head == NULL)
            w->q_tail = NULL;
        bool stopping = w->stop;
        pthread_mutex_unlock(&w->lock);
        if (stopping) {
            j->rc = CDR_ECONNECT;
            snprintf(j->err.msg, sizeof j->err.msg, "shutting down");
        } else {
            run_job(w, j);
        }
        j->done(j);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    cdr_sink_close(w->qsink);
    w->qsink = NULL;
    return NULL;
}

void cdr_writer_query(struct cdr_writer *w, struct cdr_query_job *j)
{
    j->q.msisdn = j->msisdn[0] ? j->msisdn : NULL;
    j->next = NULL;
    j->rc = 0;
    j->rows = NULL;
    j->events = NULL;
    j->n_rows = j->n_events = 0;
    pthread_mutex_lock(&w->lock);
    if (w->stopped) {
        pthread_mutex_unlock(&w->lock);
        j->rc = CDR_ECONNECT;
        snprintf(j->err.msg, sizeof j->err.msg, "shutting down");
        j->done(j);
        return;
    }
    if (w->q_tail)
        w->q_tail->next = j;
    else
        w->q_head = j;
    w->q_tail = j;
    pthread_cond_signal(&w->qcond);
    pthread_mutex_unlock(&w->lock);
}

void cdr_query_job_clear(struct cdr_query_job *j)
{
    cdr_rows_free(j->rows, j->n_rows);
    cdr_events_free(j->events, j->n_events);
    j->rows = NULL;
    j->events = NULL;
    j->n_rows = j->n_events = 0;
}

/* ---- life cycle ---- */

static void free_config(struct cdr_writer *w);

struct cdr_writer *cdr_writer_start(const struct cdr_writer_config *cfg,
                                    const struct cdr_writer_source *src,
                                    char *err, size_t errlen)
{
    const char *adapter = cfg->sink.adapter ? cfg->sink.adapter : "sqlite";
    if (strcmp(adapter, "sqlite") != 0 && strcmp(adapter, "postgres") != 0 &&
        strcmp(adapter, "mysql") != 0) {
        snprintf(err, errlen,
                 "database.adapter: \"%s\" is not sqlite, postgres or mysql",
                 adapter);
        return NULL;
    }
    struct cdr_writer *w = xcalloc(1, sizeof *w);
    w->src = *src;
    w->sink_cfg = cfg->sink;
    w->sink_cfg.adapter = xstrdup(adapter);
    w->sink_cfg.host = dup_or_null(cfg->sink.host);
    w->sink_cfg.user = dup_or_null(cfg->sink.user);
    w->sink_cfg.password = dup_or_null(cfg->sink.password);
    w->sink_cfg.dbname = dup_or_null(cfg->sink.dbname);
    w->sink_cfg.sqlite_path = dup_or_null(cfg->sink.sqlite_path);
    w->node_name = xstrdup(cfg->node_name);
    w->shared = strcmp(adapter, "sqlite") != 0;
    w->writer = xstrdup(w->shared ? CDR_SHARED_WRITER : cfg->node_name);
    w->stats.adapter = w->sink_cfg.adapter;
    w->stats.writer = w->writer;
    w->pos = -1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&w->qcond, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        snprintf(err, errlen, "cdr writer: cannot start its thread");
        free_config(w);
        return NULL;
    }
    if (pthread_create(&w->qthread, NULL, query_main, w) != 0) {
        snprintf(err, errlen, "cdr writer: cannot start the query thread");
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
        free_config(w);
        return NULL;
    }
    return w;
}

void cdr_writer_stop(struct cdr_writer *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    bool running = !w->stop;
    w->stop = true;
    pthread_cond_broadcast(&w->cond);
    pthread_cond_broadcast(&w->qcond);
    pthread_mutex_unlock(&w->lock);
    if (!running)
        return;
    pthread_join(w->thread, NULL);
    pthread_join(w->qthread, NULL);
    pthread_mutex_lock(&w->lock);
    w->stopped = true;
    pthread_mutex_unlock(&w->lock);
}

void cdr_writer_free(struct cdr_writer *w)
{
    if (w == NULL)
        return;
    cdr_writer_stop(w);
    free_config(w);
}

static void free_config(struct cdr_writer *w)
{
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    pthread_cond_destroy(&w->qcond);
    free((char *)w->sink_cfg.adapter);
    free((char *)w->sink_cfg.host);
    free((char *)w->sink_cfg.user);
    free((char *)w->sink_cfg.password);
    free((char *)w->sink_cfg.dbname);
    free((char *)w->sink_cfg.sqlite_path);
    free(w->node_name);
    free(w->writer);
    free(w);
}

void cdr_writer_get_stats(struct cdr_writer *w, struct cdr_writer_stats *st)
{
    pthread_mutex_lock(&w->lock);
    *st = w->stats;
    pthread_mutex_unlock(&w->lock);
}
