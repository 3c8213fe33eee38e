/* xlat_bench — micro-benchmark of server/xlat: compiles 100 rules shaped
 * like a real table (mostly prefix- or gateway-filtered rules that do not
 * match, a few unfiltered regexes, a short chain that does match) and times
 * xlat_apply over a rotating set of numbers.  Prints ns per call.
 *
 *   gcc -std=gnu11 -D_GNU_SOURCE -O2 -I. tests/bench/xlat_bench.c \
 *       server/xlat.c raft_store/tables.c common/buf.c common/xalloc.c \
 *       -o /tmp/xlat_bench -lpcre2-8 && /tmp/xlat_bench [calls]
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/xlat.h"

#define N_RULES 100

__attribute__((format(printf, 1, 2))) static char *dup_printf(const char *fmt,
                                                              ...)
{
    char buf[64];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return strdup(buf);
}

/* Rule i of the table; strings are heap copies freed by free_rule. */
static void make_rule(struct xlat_rule_rec *r, int i)
{
    memset(r, 0, sizeof *r);
    r->id = i + 1;
    r->priority = 10 + i;
    r->enabled = true;
    if (i < 80) { /* country prefixes the numbers never have */
        r->called_prefix = dup_printf("9%02d", i);
        r->called_match = strdup("^9(\\d+)$");
        r->called_replace = strdup("+9\\1");
    } else if (i < 90) { /* other gateways */
        r->source_smsc = dup_printf("gw_%d", i);
        r->calling_match = strdup("^0(\\d{9})$");
        r->calling_replace = strdup("+46\\1");
    } else if (i < 96) { /* unfiltered regexes that do not match */
        r->called_match = dup_printf("^00%d(\\d{6,12})$", i);
        r->called_replace = strdup("+\\1");
    } else { /* the chain that applies */
        static const char *const m[] = {"^0+(.+)$", "^(\\d{10})$",
                                        "^\\+1(\\d{3})(\\d{3})(\\d{4})$",
                                        "^4670(\\d+)$"};
        static const char *const p[] = {"\\1", "+1\\1", "+1-\\1-\\2-\\3",
                                        "+4670\\1"};
        r->called_match = strdup(m[i - 96]);
        r->called_replace = strdup(p[i - 96]);
        r->cont = i < 98;
    }
}

static void free_rule(struct xlat_rule_rec *r)
{
    free(r->calling_prefix);
    free(r->called_prefix);
    free(r->source_smsc);
    free(r->calling_match);
    free(r->calling_replace);
    free(r->called_match);
    free(r->called_replace);
}

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    static const char *const called[] = {"005551234567", "46701234567",
                                         "447700900123", "5551234567"};
    long calls = argc > 1 ? atol(argv[1]) : 1000000;
    struct xlat_rule_rec recs[N_RULES];
    const struct xlat_rule_rec *ptrs[N_RULES];
    struct xlat_result res;
    struct xlat_set *s;
    size_t bad;
    long steps = 0;
    double t0, t1;

    for (int i = 0; i < N_RULES; i++) {
        make_rule(&recs[i], i);
        ptrs[i] = &recs[i];
    }
    s = xlat_compile(ptrs, N_RULES, &bad);
    if (bad != 0 || xlat_set_count(s) != N_RULES) {
        fprintf(stderr, "xlat_bench: %zu rules did not compile\n", bad);
        return 1;
    }
    xlat_apply(s, "46700000001", called[0], "gw_1", &res, NULL, NULL);
    printf("sample: %s -> %s in %d steps\n", called[0], res.called,
           res.n_steps);

    t0 = now_ns();
    for (long i = 0; i < calls; i++) {
        xlat_apply(s, "46700000001", called[i & 3], "gw_1", &res, NULL, NULL);
        steps += res.n_steps;
    }
    t1 = now_ns();
    printf("%ld calls, %d rules: %.0f ns per xlat_apply (%.2f steps avg)\n",
           calls, N_RULES, (t1 - t0) / (double)calls,
           (double)steps / (double)calls);

    xlat_set_unref(s);
    for (int i = 0; i < N_RULES; i++)
        free_rule(&recs[i]);
    return 0;
}
