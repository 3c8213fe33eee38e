/* Unit tests of common/metrics.c: series summed over threads, label
 * escaping, histogram buckets made cumulative with _sum and _count, and
 * families listed with HELP/TYPE before they have samples. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/metrics.h"

static const struct metric_family REQS = {
    "t_requests", "Requests", METRIC_COUNTER, 2, {"route", "status"}, 0, {0}};
static const struct metric_family LAT = {
    "t_latency", "Latency, ms", METRIC_HISTOGRAM, 1, {"route"}, 3,
    {1, 10, 100}};
static const struct metric_family IDLE = {
    "t_idle", "Never updated", METRIC_COUNTER, 0, {NULL}, 0, {0}};
static const struct metric_family OTHER = {
    "t_other", "Not rendered", METRIC_COUNTER, 0, {NULL}, 0, {0}};

static char *render(void)
{
    const struct metric_family *fams[] = {&REQS, &LAT, &IDLE};
    struct buf b;
    buf_init(&b);
    metrics_render(&b, fams, 3);
    buf_put_u8(&b, 0);
    return (char *)b.data;
}

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        metric_add(&REQS, 1, "/a", "200");
        metric_observe(&LAT, 5, "/a");
    }
    metric_add(&OTHER, 1);
    return NULL;
}

static void test_threads_summed(void **state)
{
    (void)state;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    metric_add(&REQS, 2, "/a", "500");
    char *out = render();
    assert_non_null(strstr(out, "# HELP t_requests Requests\n"
                                "# TYPE t_requests counter\n"
                                "t_requests{route=\"/a\",status=\"200\"} 4000\n"
                                "t_requests{route=\"/a\",status=\"500\"} 2\n"));
    assert_non_null(strstr(out, "t_latency_bucket{route=\"/a\",le=\"1\"} 0\n"
                                "t_latency_bucket{route=\"/a\",le=\"10\"} 4000\n"
                                "t_latency_bucket{route=\"/a\",le=\"100\"} 4000\n"
                                "t_latency_bucket{route=\"/a\",le=\"+Inf\"} 4000\n"
                                "t_latency_sum{route=\"/a\"} 20000\n"
                                "t_latency_count{route=\"/a\"} 4000\n"));
    /* a family without samples is still listed; one not asked for is not */
    assert_non_null(strstr(out, "# TYPE t_idle counter\n"));
    assert_null(strstr(out, "t_other"));
    free(out);
}

static void test_escaping_and_overflow_bucket(void **state)
{
    (void)state;
    metric_add(&REQS, 1, "a\"b\\c\nd", NULL);
    metric_observe(&LAT, 1000, "/slow");
    metric_observe(&LAT, 1, "/slow");
    char *out = render();
    assert_non_null(
        strstr(out, "t_requests{route=\"a\\\"b\\\\c\\nd\",status=\"\"} 1\n"));
    assert_non_null(strstr(out, "t_latency_bucket{route=\"/slow\",le=\"1\"} 1\n"
                                "t_latency_bucket{route=\"/slow\",le=\"10\"} 1\n"
                                "t_latency_bucket{route=\"/slow\",le=\"100\"} 1\n"
                                "t_latency_bucket{route=\"/slow\",le=\"+Inf\"} 2\n"
                                "t_latency_sum{route=\"/slow\"} 1001\n"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_summed),
        cmocka_unit_test(test_escaping_and_overflow_bucket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
