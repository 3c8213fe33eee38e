/* bench — `smscctl bench`, a load generator against the REST API.
 *
 * The engine (bench_load.c) keeps N keep-alive HTTP/1.1 connections over
 * plain TCP on one libevent event_base per thread and writes pre-formatted
 * request bytes; answers go through a small hand-written parser
 * (bench_parse.c) rather than evhttp's client, whose per-request
 * allocations would make the tool cost more CPU than the server it shares
 * the machine with.  Latencies go into per-thread log-linear histograms
 * merged at the end (bench_stats.c); ctl_bench.c turns the options into
 * scenarios and prints the table and the JSON.
 */
#ifndef SMSC_BENCH_H
#define SMSC_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <jansson.h>

/* ---- latency histogram (bench_stats.c) ----
 * Microseconds, HDR style: values below 256 exactly, above that 128
 * sub-buckets per power of two (< 0.8 % error) up to 2^27 µs (134 s). */
#define BENCH_SUB 128
#define BENCH_BUCKETS (2 * BENCH_SUB + 19 * BENCH_SUB)

struct bench_hist {
    uint64_t counts[BENCH_BUCKETS];
    uint64_t n;
    double sum_us;
    uint64_t max_us;
};

void bench_hist_add(struct bench_hist *h, uint64_t us);
void bench_hist_merge(struct bench_hist *into, const struct bench_hist *h);
/* The value (µs) at quantile q (0 to 1); 0 when empty. */
uint64_t bench_hist_quantile(const struct bench_hist *h, double q);

/* ---- what one run counted ---- */
#define BENCH_STATUS_MAX 600

struct bench_result {
    uint64_t ok;      /* 2xx answers that completed in the measured window */
    uint64_t acked;   /* every 2xx answer (warm-up and drain included) */
    uint64_t sent;    /* requests written */
    uint64_t status_err[BENCH_STATUS_MAX]; /* non-2xx answers by status */
    uint64_t sock_err; /* connection failed or closed with answers due */
    uint64_t timeouts; /* no answer within --timeout */
    uint64_t short_err; /* 2xx answer with fewer items than required */
    uint64_t reconnects;
    double measured_s; /* length of the measured window */
    struct bench_hist hist;
};

/* Errors in the measured window (non-2xx, socket, timeouts, short). */
uint64_t bench_errors(const struct bench_result *r);
void bench_result_merge(struct bench_result *into,
                        const struct bench_result *r);

/* ---- the engine (bench_load.c) ---- */

struct bench_target {
    char host[256];
    char port[8];
    char url[300]; /* http://host:port, as given */
};

/* A request as bytes; when slot >= 0, BENCH_SLOT digits at that offset
 * are replaced with a number unique to the request (the Content-Length
 * already counts them). */
#define BENCH_SLOT 10
struct bench_tpl {
    char *bytes;
    size_t len;
    long slot;
};

struct bench_cfg {
    const struct bench_target *targets;
    const struct bench_tpl *tpls; /* one per target (Host differs) */
    int ntargets;
    int conns, threads, pipeline;
    double rate;        /* requests/s in total; 0: closed loop */
    double warmup_s, duration_s;
    uint64_t goal;      /* > 0: stop after this many 2xx, no time limit */
    int timeout_s;
    int min_items;      /* > 0: a 2xx body must hold this many "id": */
    bool quiet;
};

/* Runs the load; out is zeroed first.  -1 when no thread could start. */
int bench_run(const struct bench_cfg *cfg, struct bench_result *out);

/* Builds a request: method, path, host header, optional API key, body
 * (NULL for none; "%N" in it marks the numbered slot). */
void bench_tpl_build(struct bench_tpl *t, const char *method,
                     const char *path, const char *host, const char *api_key,
                     const char *body);
void bench_tpl_free(struct bench_tpl *t);
/* Monotonic clock in microseconds. */
uint64_t bench_now_us(void);

/* ---- the answer parser (bench_parse.c) ---- */

enum bench_pstate {
    BP_STATUS,
    BP_HEADERS,
    BP_BODY,
    BP_CHUNK_SIZE,
    BP_CHUNK_DATA,
    BP_CHUNK_CRLF,
    BP_TRAILER,
    BP_UNTIL_CLOSE,
};

struct bench_parser {
    enum bench_pstate state;
    int status;
    bool close;        /* Connection: close */
    bool chunked;
    long long clen;    /* -1 when not given */
    size_t left;       /* body or chunk bytes still due */
    bool keep_body;    /* collect the body into body */
    struct evbuffer *body;
};

/* Feeds in: 1 when an answer is complete (status, close, body set; the
 * caller calls bench_parser_reset before the next), 0 when more bytes are
 * needed, -1 on a malformed answer. */
int bench_parse(struct bench_parser *p, struct evbuffer *in);
void bench_parser_reset(struct bench_parser *p);
/* The number of "id": keys in the collected body. */
int bench_count_items(struct bench_parser *p);

/* ---- output (bench_stats.c) ---- */

/* One scenario's figures as JSON (ms for latencies). */
json_t *bench_result_json(const struct bench_result *r);
void bench_table_header(void);
/* One table row; stored_after_s < 0 prints "-". */
void bench_table_row(const char *name, const struct bench_result *r,
                     double stored_after_s);

#endif
