/* route_bench — micro-benchmark of server/route selection.
 *
 * Builds 1,000 routes shaped like a real table (country codes and longer
 * operator prefixes such as +1555 or +4477, a few calling-prefix,
 * source_smsc, source_type and enum_domain filters, three priorities,
 * weighted splits, some disabled routes, no catch-all) and times
 * route_select over 1,000,000 calls cycling through 4,096 numbers, about
 * one in eight of them in a country no route covers.  Deterministic.
 *
 *   gcc -std=gnu11 -D_GNU_SOURCE -O2 -I. server/route.c common/xalloc.c \
 *       tests/bench/route_bench.c -o /tmp/route_bench && /tmp/route_bench
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xalloc.h"
#include "server/route.h"

#define N_ROUTES 1000
#define N_INPUTS 4096
#define N_CALLS 1000000

static const char *const countries[] = {
    "+1",   "+7",   "+20",  "+27",  "+30",  "+31",  "+32",  "+33",  "+34",
    "+36",  "+39",  "+40",  "+41",  "+43",  "+44",  "+45",  "+46",  "+47",
    "+48",  "+49",  "+51",  "+52",  "+54",  "+55",  "+56",  "+57",  "+60",
    "+61",  "+62",  "+63",  "+64",  "+65",  "+66",  "+81",  "+82",  "+84",
    "+86",  "+90",  "+91",  "+92",  "+234", "+254", "+351", "+353", "+358",
    "+420", "+852", "+971", "+972", "+966"};
#define N_COUNTRIES (sizeof(countries) / sizeof(*countries))

/* Codes no route covers. */
static const char *const unrouted[] = {"+298", "+299", "+500", "+688"};

static const char *const smscs[] = {"smsc-ims", "smsc-cs", "smsc-smpp1",
                                    "smsc-smpp2"};

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

static char *digits_after(const char *prefix, size_t n)
{
    size_t len = strlen(prefix);
    char *s = xmalloc(len + n + 1);

    memcpy(s, prefix, len);
    for (size_t i = 0; i < n; i++)
        s[len + i] = (char)('0' + rng() % 10);
    s[len + n] = '\0';
    return s;
}

/* Route i: the first ones are bare country codes, the rest operator
 * prefixes of 1-3 more digits, some with extra filters. */
static void make_route(struct route_rec *r, size_t i)
{
    const char *cc = countries[i % N_COUNTRIES];
    uint32_t roll = rng() % 100;

    memset(r, 0, sizeof(*r));
    r->id = (int64_t)i + 1;
    r->called_prefix =
        i < N_COUNTRIES ? xstrdup(cc) : digits_after(cc, 1 + rng() % 3);
    if (roll < 15)
        r->calling_prefix = xstrdup(countries[rng() % N_COUNTRIES]);
    if (roll >= 10 && roll < 20)
        r->source_smsc = xstrdup(smscs[rng() % 4]);
    if (roll >= 20 && roll < 25)
        r->source_type = (uint8_t)(SRC_IMS + rng() % 3);
    if (roll >= 25 && roll < 28)
        r->enum_domain = xstrdup("e164.arpa");
    r->dest_smsc = xstrdup(smscs[rng() % 4]);
    r->weight = (int32_t)(1 + rng() % 100);
    r->priority = roll < 80 ? 10 : roll < 95 ? 5 : 1;
    r->enabled = rng() % 20 != 0;
}

static void free_route(struct route_rec *r)
{
    free(r->called_prefix);
    free(r->calling_prefix);
    free(r->source_smsc);
    free(r->enum_domain);
    free(r->dest_smsc);
}

/* Fills in; the numbers are returned in owned[0..2) for freeing. */
static void make_input(struct route_input *in, char **owned)
{
    const char *cc =
        rng() % 8 == 0 ? unrouted[rng() % 4] : countries[rng() % N_COUNTRIES];

    in->called = owned[0] = digits_after(cc, 13 - strlen(cc));
    in->calling = owned[1] = digits_after(countries[rng() % N_COUNTRIES], 9);
    in->source_smsc = rng() % 4 ? smscs[rng() % 4] : NULL;
    in->source_type = (int)(rng() % SRC_TYPE_COUNT);
    in->enum_domain = rng() % 3 == 0 ? "e164.arpa" : NULL;
}

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(void)
{
    static struct route_rec recs[N_ROUTES];
    static const struct route_rec *ptrs[N_ROUTES];
    static struct route_input inputs[N_INPUTS];
    static char *numbers[N_INPUTS][2];
    static struct route_eval evals[N_ROUTES];
    struct route_choice ch;
    size_t matched = 0;
    int64_t checksum = 0;

    for (size_t i = 0; i < N_ROUTES; i++) {
        make_route(&recs[i], i);
        ptrs[i] = &recs[i];
    }
    for (size_t i = 0; i < N_INPUTS; i++)
        make_input(&inputs[i], numbers[i]);

    double t0 = now_ns();
    struct route_set *s = route_set_build(ptrs, N_ROUTES);
    double t1 = now_ns();
    for (size_t i = 0; i < N_CALLS; i++) {
        if (route_select(s, &inputs[i % N_INPUTS], rng(), &ch)) {
            matched++;
            checksum += ch.route->id;
        }
    }
    double t2 = now_ns();
    for (size_t i = 0; i < N_INPUTS; i++)
        route_simulate(s, &inputs[i], rng(), evals, &ch);
    double t3 = now_ns();

    printf("routes %d, calls %d, matched %.1f %%, checksum %lld\n", N_ROUTES,
           N_CALLS, 100.0 * (double)matched / N_CALLS, (long long)checksum);
    printf("route_set_build   %8.1f us\n", (t1 - t0) / 1e3);
    printf("route_select      %8.1f ns/call\n", (t2 - t1) / N_CALLS);
    printf("route_simulate    %8.1f ns/call\n", (t3 - t2) / N_INPUTS);

    route_set_unref(s);
    for (size_t i = 0; i < N_ROUTES; i++)
        free_route(&recs[i]);
    for (size_t i = 0; i < N_INPUTS; i++) {
        free(numbers[i][0]);
        free(numbers[i][1]);
    }
    return 0;
}
