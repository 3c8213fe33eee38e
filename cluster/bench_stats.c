/* bench_stats — the bench's latency histogram, the merge of per-thread
 * results, the table rows and the JSON figures.
 *
 * The histogram is log-linear (HDR style): one bucket per microsecond
 * below 2 * BENCH_SUB, then BENCH_SUB buckets per power of two, so every
 * recorded value is known within 1/BENCH_SUB of itself whatever its size,
 * and recording is a shift and an increment.
 */
#include <stdio.h>
#include <string.h>

#include "cluster/bench.h"

#define MAX_US ((UINT64_C(1) << 27) - 1)

static int msb(uint64_t v)
{
    return 63 - __builtin_clzll(v);
}

static size_t bucket_of(uint64_t us)
{
    if (us > MAX_US)
        us = MAX_US;
    if (us < 2 * BENCH_SUB)
        return (size_t)us;
    int shift = msb(us) - msb(BENCH_SUB); /* >= 1: top in [SUB, 2 SUB) */
    uint64_t top = us >> shift;
    return (size_t)(2 * BENCH_SUB + (shift - 1) * BENCH_SUB +
                    (int)(top - BENCH_SUB));
}

/* The middle of bucket b, in µs. */
static uint64_t value_of(size_t b)
{
    if (b < 2 * BENCH_SUB)
        return b;
    int shift = (int)((b - 2 * BENCH_SUB) / BENCH_SUB) + 1;
    uint64_t top = (b - 2 * BENCH_SUB) % BENCH_SUB + BENCH_SUB;
    return (top << shift) + (UINT64_C(1) << (shift - 1));
}

void bench_hist_add(struct bench_hist *h, uint64_t us)
{
    h->counts[bucket_of(us)]++;
    h->n++;
    h->sum_us += (double)us;
    if (us > h->max_us)
        h->max_us = us;
}

void bench_hist_merge(struct bench_hist *into, const struct bench_hist *h)
{
    for (size_t i = 0; i < BENCH_BUCKETS; i++)
        into->counts[i] += h->counts[i];
    into->n += h->n;
    into->sum_us += h->sum_us;
    if (h->max_us > into->max_us)
        into->max_us = h->max_us;
}

uint64_t bench_hist_quantile(const struct bench_hist *h, double q)
{
    if (h->n == 0)
        return 0;
    /* the rank of the answer, 1-based: p50 of 4 values is the 2nd */
    uint64_t rank = (uint64_t)(q * (double)h->n + 0.5);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < BENCH_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t v = value_of(i);
            return v > h->max_us ? h->max_us : v;
        }
    }
    return h->max_us;
}

uint64_t bench_errors(const struct bench_result *r)
{
    uint64_t n = r->sock_err + r->timeouts + r->short_err;
    for (int i = 0; i < BENCH_STATUS_MAX; i++)
        n += r->status_err[i];
    return n;
}

void bench_result_merge(struct bench_result *into,
                        const struct bench_result *r)
{
    into->ok += r->ok;
    into->acked += r->acked;
    into->sent += r->sent;
    for (int i = 0; i < BENCH_STATUS_MAX; i++)
        into->status_err[i] += r->status_err[i];
    into->sock_err += r->sock_err;
    into->timeouts += r->timeouts;
    into->short_err += r->short_err;
    into->reconnects += r->reconnects;
    bench_hist_merge(&into->hist, &r->hist);
}

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

static double rps(const struct bench_result *r)
{
    return r->measured_s > 0 ? (double)r->ok / r->measured_s : 0.0;
}

static double mean_ms(const struct bench_result *r)
{
    return r->hist.n ? r->hist.sum_us / (double)r->hist.n / 1000.0 : 0.0;
}

json_t *bench_result_json(const struct bench_result *r)
{
    json_t *by_status = json_object();
    for (int i = 0; i < BENCH_STATUS_MAX; i++)
        if (r->status_err[i]) {
            char k[16];
            snprintf(k, sizeof k, "%d", i);
            json_object_set_new(by_status, k,
                                json_integer((json_int_t)r->status_err[i]));
        }
    return json_pack(
        "{s:I,s:I,s:I,s:I,s:{s:o,s:I,s:I,s:I},s:I,s:f,s:f,s:{s:f,s:f,s:f,"
        "s:f,s:f,s:f}}",
        "requests", (json_int_t)r->ok, "errors", (json_int_t)bench_errors(r),
        "acknowledged", (json_int_t)r->acked, "sent", (json_int_t)r->sent,
        "error_detail", "status", by_status, "socket", (json_int_t)r->sock_err,
        "timeout", (json_int_t)r->timeouts, "short_answer",
        (json_int_t)r->short_err, "reconnects", (json_int_t)r->reconnects,
        "measured_s", r->measured_s, "req_per_s", rps(r), "latency_ms",
        "mean", mean_ms(r), "p50", ms(bench_hist_quantile(&r->hist, 0.50)),
        "p90", ms(bench_hist_quantile(&r->hist, 0.90)), "p99",
        ms(bench_hist_quantile(&r->hist, 0.99)), "p999",
        ms(bench_hist_quantile(&r->hist, 0.999)), "max", ms(r->hist.max_us));
}

void bench_table_header(void)
{
    printf("%-16s %10s %7s %9s %8s %8s %8s %8s %9s\n", "scenario", "requests",
           "errors", "req/s", "mean", "p50", "p99", "max", "stored_s");
    fflush(stdout);
}

void bench_table_row(const char *name, const struct bench_result *r,
                     double stored_after_s)
{
    char stored[16] = "-";
    if (stored_after_s >= 0)
        snprintf(stored, sizeof stored, "%.2f", stored_after_s);
    printf("%-16s %10llu %7llu %9.0f %8.2f %8.2f %8.2f %8.2f %9s\n", name,
           (unsigned long long)r->ok, (unsigned long long)bench_errors(r),
           rps(r), mean_ms(r), ms(bench_hist_quantile(&r->hist, 0.50)),
           ms(bench_hist_quantile(&r->hist, 0.99)), ms(r->hist.max_us),
           stored);
    fflush(stdout);
}
