/* Unit tests for server/route: the specificity score, selection (priority
 * over score, each score component, every criterion mismatching on its own,
 * disabled routes, prefixes longer than the index key, ties across called
 * prefixes), the weighted split swept over evenly spaced draws and its exact
 * boundaries, the simulator's per-route verdicts in id order, random route
 * sets checked against a brute-force reference selection, the SPEC
 * reference example, and reference counting (alone and across threads).
 * Sets are built from short-lived copies so ASan catches a set that
 * borrows instead of copying.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "server/route.h"

#define MAX_ROUTES 10
#define SWEEP 10000

/* A route in a test table; id 0 ends a list.  priority 0 means 1 and
 * weight 0 means 100 (the SPEC defaults). */
struct rt {
    int64_t id;
    const char *dest;
    const char *called;
    const char *calling;
    const char *smsc;
    const char *enum_domain;
    uint8_t type;
    int32_t priority;
    int32_t weight;
    bool disabled;
};

/* clang-format off */
/* A message with every criterion set, and one with only a called number. */
#define IN_FULL                                                             \
    {                                                                       \
        .calling = "+15551234567", .called = "+447700900123",               \
        .source_smsc = "smsc-a", .source_type = SRC_SMPP,                   \
        .enum_domain = "e164.example",                                      \
    }
#define IN_BARE {.called = "+447700900123"}

#define LONG_NUM "+44123456789012345678901234567890123456789012"
#define LONG_40 "+441234567890123456789012345678901234567"
#define LONG_40B "+441234567890123456789012345678901234599"
/* clang-format on */

static size_t rt_count(const struct rt *rts)
{
    size_t n = 0;

    while (n < MAX_ROUTES && rts[n].id != 0)
        n++;
    return n;
}

static void rec_from_rt(struct route_rec *r, const struct rt *t)
{
    *r = (struct route_rec){
        .id = t->id,
        .called_prefix = xstrdup(t->called),
        .calling_prefix = xstrdup(t->calling),
        .source_smsc = xstrdup(t->smsc),
        .enum_domain = xstrdup(t->enum_domain),
        .source_type = t->type,
        .dest_smsc = xstrdup(t->dest),
        .description = xstrdup("test route"),
        .weight = t->weight ? t->weight : 100,
        .priority = t->priority ? t->priority : 1,
        .enabled = !t->disabled,
    };
}

static void rec_clear(struct route_rec *r)
{
    free(r->called_prefix);
    free(r->calling_prefix);
    free(r->source_smsc);
    free(r->enum_domain);
    free(r->dest_smsc);
    free(r->description);
}

/* Builds a set from temporary records, freed before returning. */
static struct route_set *build(const struct rt *rts)
{
    struct route_rec recs[MAX_ROUTES];
    const struct route_rec *ptrs[MAX_ROUTES] = {0};
    size_t n = rt_count(rts);

    for (size_t i = 0; i < n; i++) {
        rec_from_rt(&recs[i], &rts[i]);
        ptrs[i] = &recs[i];
    }
    struct route_set *s = route_set_build(ptrs, n);
    for (size_t i = 0; i < n; i++)
        rec_clear(&recs[i]);
    return s;
}

static const char *select_dest(const struct route_set *s,
                               const struct route_input *in, uint32_t draw)
{
    struct route_choice c;

    if (!route_select(s, in, draw, &c)) {
        assert_null(c.route);
        return NULL;
    }
    return c.route->dest_smsc;
}

/* ---- score ------------------------------------------------------------ */

struct score_case {
    struct rt route;
    int score;
};

/* clang-format off */
static const struct score_case score_cases[] = {
    {{.id = 1}, 0},
    {{.id = 1, .called = "", .calling = ""}, 0},
    {{.id = 1, .called = "+44"}, 300},
    {{.id = 1, .calling = "+1"}, 100},
    {{.id = 1, .smsc = "s"}, 25},
    {{.id = 1, .smsc = ""}, 25},
    {{.id = 1, .enum_domain = "e"}, 15},
    {{.id = 1, .type = SRC_IMS}, 10},
    {{.id = 1, .called = "+4477", .calling = "+1", .smsc = "s",
      .enum_domain = "e", .type = SRC_SMPP},
     500 + 100 + 25 + 15 + 10},
};
/* clang-format on */

static void test_score(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(score_cases) / sizeof(*score_cases); i++) {
        struct route_rec r;
        rec_from_rt(&r, &score_cases[i].route);
        if (route_score(&r) != score_cases[i].score)
            fail_msg("case %zu: score %d, want %d", i, route_score(&r),
                     score_cases[i].score);
        rec_clear(&r);
    }
}

/* ---- selection -------------------------------------------------------- */

struct select_case {
    const char *name;
    struct rt routes[MAX_ROUTES];
    struct route_input in;
    uint32_t draw;
    const char *want; /* dest of the selected route; NULL = none */
    int score;
};

/* clang-format off */
/* A route that fails one criterion beside a catch-all (score 0), which
 * it would outscore if it matched. */
#define MISMATCH(label, input, ...)                                         \
    {label,                                                                 \
     {{.id = 1, .dest = "specific", __VA_ARGS__},                           \
      {.id = 2, .dest = "fallback"}},                                       \
     input, 0, "fallback", 0}

static const struct select_case select_cases[] = {
    {"priority beats score",
     {{.id = 1, .dest = "fine", .called = "+4477", .smsc = "smsc-a",
       .priority = 2},
      {.id = 2, .dest = "coarse", .called = "+", .priority = 1}},
     IN_FULL, 0, "coarse", 100},
    {"lowest priority value wins",
     {{.id = 1, .dest = "p9", .called = "+44", .priority = 9},
      {.id = 2, .dest = "p3", .called = "+44", .priority = 3},
      {.id = 3, .dest = "p5", .called = "+44", .priority = 5}},
     IN_FULL, 0, "p3", 300},
    {"longer called prefix",
     {{.id = 1, .dest = "short", .called = "+44"},
      {.id = 2, .dest = "long", .called = "+447"}},
     IN_FULL, 0, "long", 400},
    {"calling prefix adds 50 a character",
     {{.id = 1, .dest = "called", .called = "+44"},
      {.id = 2, .dest = "both", .called = "+44", .calling = "+1"}},
     IN_FULL, 0, "both", 400},
    {"called character outweighs calling character",
     {{.id = 1, .dest = "called", .called = "+447"},
      {.id = 2, .dest = "calling", .called = "+44", .calling = "+"}},
     IN_FULL, 0, "called", 400},
    {"three calling characters beat one called character",
     {{.id = 1, .dest = "called", .called = "+447"},
      {.id = 2, .dest = "calling", .called = "+44", .calling = "+15"}},
     IN_FULL, 0, "calling", 450},
    {"source_smsc adds 25",
     {{.id = 1, .dest = "plain", .called = "+44"},
      {.id = 2, .dest = "smsc", .called = "+44", .smsc = "smsc-a"}},
     IN_FULL, 0, "smsc", 325},
    {"enum_domain adds 15",
     {{.id = 1, .dest = "plain", .called = "+44"},
      {.id = 2, .dest = "enum", .called = "+44",
       .enum_domain = "e164.example"}},
     IN_FULL, 0, "enum", 315},
    {"source_type adds 10",
     {{.id = 1, .dest = "plain", .called = "+44"},
      {.id = 2, .dest = "type", .called = "+44", .type = SRC_SMPP}},
     IN_FULL, 0, "type", 310},
    {"source_smsc beats enum_domain",
     {{.id = 1, .dest = "enum", .called = "+44", .enum_domain = "e164.example"},
      {.id = 2, .dest = "smsc", .called = "+44", .smsc = "smsc-a"}},
     IN_FULL, 0, "smsc", 325},
    {"enum_domain beats source_type",
     {{.id = 1, .dest = "type", .called = "+44", .type = SRC_SMPP},
      {.id = 2, .dest = "enum", .called = "+44",
       .enum_domain = "e164.example"}},
     IN_FULL, 0, "enum", 315},
    {"combined filters lose to one more calling character",
     {{.id = 1, .dest = "filters", .called = "+447", .calling = "+1",
       .smsc = "smsc-a", .type = SRC_SMPP},
      {.id = 2, .dest = "calling", .called = "+447", .calling = "+15"}},
     IN_FULL, 0, "calling", 550},
    {"every criterion at once",
     {{.id = 1, .dest = "all", .called = "+44", .calling = "+1",
       .smsc = "smsc-a", .enum_domain = "e164.example", .type = SRC_SMPP},
      {.id = 2, .dest = "called", .called = "+4477"}},
     IN_FULL, 0, "called", 500},
    {"every criterion at once, alone",
     {{.id = 1, .dest = "all", .called = "+44", .calling = "+1",
       .smsc = "smsc-a", .enum_domain = "e164.example", .type = SRC_SMPP}},
     IN_FULL, 0, "all", 450},
    {"empty prefixes match anything",
     {{.id = 1, .dest = "any", .called = "", .calling = ""}},
     IN_BARE, 0, "any", 0},
    {"NULL criteria match anything",
     {{.id = 1, .dest = "any"}}, IN_FULL, 0, "any", 0},
    {"prefix equal to the whole number",
     {{.id = 1, .dest = "exact", .called = "+447700900123"}},
     IN_BARE, 0, "exact", 1300},
    {"disabled routes never selected",
     {{.id = 1, .dest = "off", .called = "+4477", .disabled = true},
      {.id = 2, .dest = "on", .called = "+", .priority = 5}},
     IN_FULL, 0, "on", 100},
    {"only disabled routes",
     {{.id = 1, .dest = "off", .called = "+44", .disabled = true}},
     IN_FULL, 0, NULL, 0},
    MISMATCH("called prefix mismatch", IN_FULL, .called = "+49"),
    MISMATCH("called prefix longer than the number", IN_FULL,
             .called = "+4477009001234"),
    MISMATCH("calling prefix mismatch", IN_FULL, .calling = "+49"),
    MISMATCH("calling prefix without calling number", IN_BARE,
             .calling = "+1"),
    MISMATCH("source_smsc mismatch", IN_FULL, .smsc = "smsc-b"),
    MISMATCH("source_smsc without one", IN_BARE, .smsc = "smsc-a"),
    MISMATCH("source_smsc is not a prefix", IN_FULL, .smsc = "smsc"),
    MISMATCH("source_type mismatch", IN_FULL, .type = SRC_IMS),
    MISMATCH("source_type without one", IN_BARE, .type = SRC_SMPP),
    MISMATCH("enum_domain mismatch", IN_FULL, .enum_domain = "other.example"),
    MISMATCH("enum_domain without ENUM result", IN_BARE,
             .enum_domain = "e164.example"),
    {"no route matches",
     {{.id = 1, .dest = "de", .called = "+49"},
      {.id = 2, .dest = "us", .called = "+1"}},
     IN_FULL, 0, NULL, 0},
    {"no routes", {{0}}, IN_FULL, 0, NULL, 0},
    {"prefix longer than the index key",
     {{.id = 1, .dest = "long", .called = LONG_40},
      {.id = 2, .dest = "long-b", .called = LONG_40B},
      {.id = 3, .dest = "fallback", .called = "+"}},
     {.called = LONG_NUM}, 0, "long", 4000},
    {"prefix longer than the index key, other tail",
     {{.id = 1, .dest = "long", .called = LONG_40},
      {.id = 2, .dest = "long-b", .called = LONG_40B},
      {.id = 3, .dest = "fallback", .called = "+"}},
     {.called = LONG_40B "123"}, 0, "long-b", 4000},
    {"prefix longer than the index key, no full match",
     {{.id = 1, .dest = "long", .called = LONG_40},
      {.id = 2, .dest = "long-b", .called = LONG_40B},
      {.id = 3, .dest = "fallback", .called = "+"}},
     {.called = "+4412345678901234567890123456789012345000"}, 0, "fallback",
     100},
    /* 200 + 100 ties 300: one tier across two called-prefix buckets, in id
     * order (id 1 first), not in bucket order. */
    {"tie across called prefixes, draw 0",
     {{.id = 2, .dest = "short+calling", .called = "+4", .calling = "+1"},
      {.id = 1, .dest = "long", .called = "+44"}},
     IN_FULL, 0, "long", 300},
    {"tie across called prefixes, last draw",
     {{.id = 2, .dest = "short+calling", .called = "+4", .calling = "+1"},
      {.id = 1, .dest = "long", .called = "+44"}},
     IN_FULL, UINT32_MAX, "short+calling", 300},
};
/* clang-format on */

static void run_select_case(const struct select_case *c)
{
    struct route_set *s = build(c->routes);
    struct route_choice ch;
    bool found = route_select(s, &c->in, c->draw, &ch);
    const char *got = found ? ch.route->dest_smsc : "(none)";

    if (found != (c->want != NULL) || (found && strcmp(got, c->want) != 0))
        fail_msg("%s: selected %s, want %s", c->name, got,
                 c->want ? c->want : "(none)");
    if (found && ch.score != c->score)
        fail_msg("%s: score %d, want %d", c->name, ch.score, c->score);
    if (!found && (ch.route || ch.candidates || ch.tier_weight))
        fail_msg("%s: choice not cleared", c->name);
    route_set_unref(s);
}

static void test_select_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(select_cases) / sizeof(*select_cases); i++)
        run_select_case(&select_cases[i]);
}

/* ---- weighted split --------------------------------------------------- */

struct split_case {
    const char *name;
    struct rt routes[MAX_ROUTES];
    struct route_input in;
    uint32_t candidates;
    uint32_t tier_weight;
    const char *dest[4]; /* in id order */
    double share[4];
};

/* clang-format off */
static const struct split_case split_cases[] = {
    {"70/30",
     {{.id = 1, .dest = "a", .called = "+44", .weight = 70},
      {.id = 2, .dest = "b", .called = "+44", .weight = 30}},
     IN_FULL, 2, 100, {"a", "b"}, {0.70, 0.30}},
    {"50/30/20 listed out of id order",
     {{.id = 30, .dest = "c", .called = "+44", .weight = 20},
      {.id = 10, .dest = "a", .called = "+44", .weight = 50},
      {.id = 20, .dest = "b", .called = "+44", .weight = 30}},
     IN_FULL, 3, 100, {"a", "b", "c"}, {0.50, 0.30, 0.20}},
    {"1/99",
     {{.id = 1, .dest = "a", .called = "+44", .weight = 1},
      {.id = 2, .dest = "b", .called = "+44", .weight = 99}},
     IN_FULL, 2, 100, {"a", "b"}, {0.01, 0.99}},
    {"disabled, unmatched and lower tiers take no share",
     {{.id = 1, .dest = "a", .called = "+44", .weight = 60},
      {.id = 2, .dest = "off", .called = "+44", .weight = 50,
       .disabled = true},
      {.id = 3, .dest = "b", .called = "+44", .weight = 40},
      {.id = 4, .dest = "other", .called = "+49", .weight = 50},
      {.id = 5, .dest = "lower", .called = "+4", .weight = 50},
      {.id = 6, .dest = "later", .called = "+44", .priority = 2}},
     IN_FULL, 2, 100, {"a", "b"}, {0.60, 0.40}},
    {"default weights split evenly",
     {{.id = 1, .dest = "a", .called = "+44"},
      {.id = 2, .dest = "b", .called = "+44"},
      {.id = 3, .dest = "c", .called = "+44"},
      {.id = 4, .dest = "d", .called = "+44"}},
     IN_FULL, 4, 400, {"a", "b", "c", "d"}, {0.25, 0.25, 0.25, 0.25}},
    {"one tier across called-prefix buckets",
     {{.id = 1, .dest = "a", .called = "+4", .calling = "+1", .weight = 25},
      {.id = 2, .dest = "b", .called = "+44", .weight = 75}},
     IN_FULL, 2, 100, {"a", "b"}, {0.25, 0.75}},
};
/* clang-format on */

static uint32_t sweep_draw(size_t i)
{
    return (uint32_t)(((uint64_t)i << 32) / SWEEP);
}

static void run_split_case(const struct split_case *c)
{
    struct route_set *s = build(c->routes);
    size_t counts[4] = {0};

    for (size_t i = 0; i < SWEEP; i++) {
        struct route_choice ch;
        assert_true(route_select(s, &c->in, sweep_draw(i), &ch));
        assert_int_equal(ch.candidates, c->candidates);
        assert_int_equal(ch.tier_weight, c->tier_weight);
        size_t j = 0;
        while (j < c->candidates && strcmp(ch.route->dest_smsc, c->dest[j]))
            j++;
        if (j == c->candidates)
            fail_msg("%s: selected %s", c->name, ch.route->dest_smsc);
        counts[j]++;
    }
    for (size_t j = 0; j < c->candidates; j++) {
        double got = (double)counts[j] / SWEEP;
        if (got < c->share[j] - 0.005 || got > c->share[j] + 0.005)
            fail_msg("%s: %s got %.4f, want %.2f", c->name, c->dest[j], got,
                     c->share[j]);
    }
    assert_string_equal(select_dest(s, &c->in, 0), c->dest[0]);
    assert_string_equal(select_dest(s, &c->in, UINT32_MAX),
                        c->dest[c->candidates - 1]);
    route_set_unref(s);
}

static void test_split_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(split_cases) / sizeof(*split_cases); i++)
        run_split_case(&split_cases[i]);
}

/* target = draw * 100 >> 32 crosses 70 between these two draws. */
static void test_split_boundary(void **state)
{
    struct route_input in = IN_FULL;
    struct route_set *s = build(split_cases[0].routes);

    (void)state;
    assert_string_equal(select_dest(s, &in, 3006477107u), "a");
    assert_string_equal(select_dest(s, &in, 3006477108u), "b");
    route_set_unref(s);
}

/* ---- simulate --------------------------------------------------------- */

struct eval_want {
    int64_t id;
    bool enabled, calling, called, smsc, type, enum_domain;
    bool matched;
    int score;
    bool candidate, selected;
};

/* clang-format off */
static const struct rt sim_routes[] = {
    {.id = 9, .dest = "us", .called = "+1"},
    {.id = 5, .dest = "uk1", .called = "+44", .weight = 70},
    {.id = 2, .dest = "uk2", .called = "+44", .weight = 30},
    {.id = 3, .dest = "off", .called = "+447", .disabled = true},
    {.id = 7, .dest = "calling", .called = "+44", .calling = "+49"},
    {.id = 4, .dest = "smsc", .smsc = "smsc-b", .type = SRC_SMPP},
    {.id = 8, .dest = "enum", .called = "+4", .enum_domain = "other",
     .type = SRC_IMS},
    {.id = 6, .dest = "later", .called = "+44", .priority = 2},
    {.id = 10, .dest = "lower", .called = "+4"},
    {0},
};

/* For IN_FULL; "+447700900123" matches +44, +447 and +4.  Matching but
 * not candidates: id 6 (same score, later priority), id 10 (lower score). */
static const struct eval_want sim_want[] = {
    /* id en  calling called smsc   type   enum   match  score cand  sel */
    {2, true, true, true, true, true, true, true, 300, true, false},
    {3, false, true, true, true, true, true, false, 400, false, false},
    {4, true, true, true, false, true, true, false, 35, false, false},
    {5, true, true, true, true, true, true, true, 300, true, true},
    {6, true, true, true, true, true, true, true, 300, false, false},
    {7, true, false, true, true, true, true, false, 450, false, false},
    {8, true, true, true, true, false, false, false, 225, false, false},
    {9, true, true, false, true, true, true, false, 200, false, false},
    {10, true, true, true, true, true, true, true, 200, false, false},
};
/* clang-format on */

static void check_eval(const struct route_eval *ev, const struct eval_want *w)
{
    assert_int_equal(ev->route->id, w->id);
    assert_int_equal(ev->enabled, w->enabled);
    assert_int_equal(ev->calling_prefix_ok, w->calling);
    assert_int_equal(ev->called_prefix_ok, w->called);
    assert_int_equal(ev->source_smsc_ok, w->smsc);
    assert_int_equal(ev->source_type_ok, w->type);
    assert_int_equal(ev->enum_domain_ok, w->enum_domain);
    assert_int_equal(ev->matched, w->matched);
    assert_int_equal(ev->score, w->score);
    assert_int_equal(ev->candidate, w->candidate);
    assert_int_equal(ev->selected, w->selected);
}

static void test_simulate(void **state)
{
    struct route_input in = IN_FULL;
    struct route_set *s = build(sim_routes);
    struct route_eval ev[MAX_ROUTES];
    struct route_choice ch, sel;
    size_t n = route_set_count(s);

    (void)state;
    assert_int_equal(n, 9);
    /* Candidates are ids 2 (30) then 5 (70): 50 % of the range is id 5. */
    assert_true(route_simulate(s, &in, UINT32_MAX / 2, ev, &ch));
    for (size_t i = 0; i < n; i++)
        check_eval(&ev[i], &sim_want[i]);
    assert_true(route_select(s, &in, UINT32_MAX / 2, &sel));
    assert_memory_equal(&ch, &sel, sizeof(ch));
    assert_ptr_equal(ch.route, ev[3].route);
    assert_int_equal(ch.candidates, 2);
    assert_int_equal(ch.tier_weight, 100);

    assert_true(route_simulate(s, &in, 0, ev, &ch));
    assert_true(ev[0].selected);
    assert_false(ev[3].selected);
    route_set_unref(s);
}

static void test_simulate_no_match(void **state)
{
    struct route_input in = {.called = "+33123456789"};
    struct rt routes[] = {
        {.id = 2, .dest = "uk", .called = "+44"},
        {.id = 1, .dest = "off", .disabled = true},
        {0},
    };
    struct route_set *s = build(routes);
    struct route_eval ev[2];
    struct route_choice ch;

    (void)state;
    assert_false(route_simulate(s, &in, 0, ev, &ch));
    assert_null(ch.route);
    assert_int_equal(ev[0].route->id, 1);
    assert_true(ev[0].called_prefix_ok);
    assert_false(ev[0].matched);
    assert_int_equal(ev[1].route->id, 2);
    assert_false(ev[1].called_prefix_ok);
    for (size_t i = 0; i < 2; i++)
        assert_false(ev[i].candidate || ev[i].selected);
    route_set_unref(s);
}

/* ---- randomised: the index against a brute-force reference ------------ */

#define RAND_ROUTES 200

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

#define PICK(pool) ((pool)[rng() % (sizeof(pool) / sizeof(*(pool)))])

/* clang-format off */
static const char *const called_pool[] = {
    NULL, "", "+", "+4", "+44", "+447", "+4477", "+1", "+15", "+49",
    LONG_40, LONG_40B};
static const char *const calling_pool[] = {NULL, "", "+1", "+15", "+49"};
static const char *const smsc_pool[] = {NULL, "smsc-a", "smsc-b"};
static const char *const enum_pool[] = {NULL, "e164.example", "other"};
static const char *const number_pool[] = {
    NULL, "", "+447700900123", "+15551234567", "+4930123", "+33123",
    LONG_NUM, LONG_40B "1"};
/* clang-format on */

static struct rt random_rt(int64_t id)
{
    return (struct rt){
        .id = id,
        .dest = "d",
        .called = PICK(called_pool),
        .calling = PICK(calling_pool),
        .smsc = PICK(smsc_pool),
        .enum_domain = PICK(enum_pool),
        .type = (uint8_t)(rng() % SRC_TYPE_COUNT),
        .priority = (int32_t)(1 + rng() % 3),
        .weight = (int32_t)(1 + rng() % 100),
        .disabled = rng() % 10 == 0,
    };
}

/* Selection from the simulator's per-route verdicts alone, the slow and
 * obvious way; ev is in id order. */
static const struct route_rec *reference_pick(const struct route_eval *ev,
                                              size_t n, uint32_t draw)
{
    const struct route_eval *best = NULL;
    uint64_t total = 0, cum = 0;

    for (size_t i = 0; i < n; i++)
        if (ev[i].matched &&
            (best == NULL || ev[i].route->priority < best->route->priority ||
             (ev[i].route->priority == best->route->priority &&
              ev[i].score > best->score)))
            best = &ev[i];
    if (best == NULL)
        return NULL;
    for (size_t pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            if (!ev[i].matched || ev[i].score != best->score ||
                ev[i].route->priority != best->route->priority)
                continue;
            if (pass == 0) {
                total += (uint64_t)ev[i].route->weight;
            } else if ((cum += (uint64_t)ev[i].route->weight) >
                       (((uint64_t)draw * total) >> 32)) {
                return ev[i].route;
            }
        }
    fail_msg("reference_pick: draw beyond the tier");
    return NULL;
}

/* Checks one random set with random inputs; counts the selections and
 * those among several candidates, so the test can tell it was not vacuous. */
static void check_random_set(size_t *selected, size_t *ties)
{
    struct route_rec recs[RAND_ROUTES];
    const struct route_rec *ptrs[RAND_ROUTES];
    struct route_eval ev[RAND_ROUTES];

    for (size_t i = 0; i < RAND_ROUTES; i++) {
        struct rt t = random_rt((int64_t)(i * 7919 % 1009 + 1));
        rec_from_rt(&recs[i], &t);
        ptrs[i] = &recs[i];
    }
    struct route_set *s = route_set_build(ptrs, RAND_ROUTES);
    for (size_t i = 0; i < RAND_ROUTES; i++)
        rec_clear(&recs[i]);
    for (size_t q = 0; q < 200; q++) {
        struct route_input in = {
            .calling = PICK(number_pool),
            .called = PICK(number_pool),
            .source_smsc = PICK(smsc_pool),
            .source_type = (int)(rng() % SRC_TYPE_COUNT),
            .enum_domain = PICK(enum_pool),
        };
        struct route_choice ch;
        uint32_t draw = rng();
        route_simulate(s, &in, draw, ev, &ch);
        const struct route_rec *want = reference_pick(ev, RAND_ROUTES, draw);
        route_select(s, &in, draw, &ch);
        assert_ptr_equal(ch.route, want);
        *selected += want != NULL;
        *ties += ch.candidates > 1;
    }
    route_set_unref(s);
}

static void test_random_against_reference(void **state)
{
    size_t selected = 0, ties = 0;

    (void)state;
    for (size_t i = 0; i < 50; i++)
        check_random_set(&selected, &ties);
    assert_in_range(selected, 5000, 9900); /* of 10,000: some miss */
    assert_in_range(ties, 200, 9000);
}

/* ---- reference example (SPEC §6) --------------------------------------- */

/* clang-format off */
static const struct rt reference_routes[] = {
    {.id = 1, .dest = "north_america_gateway", .called = "+1"},
    {.id = 2, .dest = "uk_gateway_1", .called = "+44", .weight = 70},
    {.id = 3, .dest = "uk_gateway_2", .called = "+44", .weight = 30},
    {0},
};
/* clang-format on */

static void test_reference_example(void **state)
{
    struct route_input na = {.called = "+15551234567"};
    struct route_input uk = {.called = "+447700900123"};
    struct route_set *s = build(reference_routes);
    size_t uk1 = 0;

    (void)state;
    for (size_t i = 0; i < SWEEP; i++) {
        assert_string_equal(select_dest(s, &na, sweep_draw(i)),
                            "north_america_gateway");
        const char *d = select_dest(s, &uk, sweep_draw(i));
        if (strcmp(d, "uk_gateway_1") == 0)
            uk1++;
        else
            assert_string_equal(d, "uk_gateway_2");
    }
    assert_in_range(uk1, SWEEP * 695 / 1000, SWEEP * 705 / 1000);
    route_set_unref(s);
}

/* ---- reference counting ------------------------------------------------ */

static void test_refcount(void **state)
{
    struct route_input in = {.called = "+447700900123"};
    struct route_set *s = build(reference_routes);

    (void)state;
    route_set_ref(s);
    route_set_ref(s);
    route_set_unref(s);
    route_set_unref(s);
    assert_int_equal(route_set_count(s), 3);
    assert_string_equal(select_dest(s, &in, 0), "uk_gateway_1");
    route_set_unref(s); /* last: ASan reports a leak if nothing is freed */
    route_set_unref(NULL);
}

#define THREADS 4

/* Returns the number of wrong selections. */
static void *reader(void *arg)
{
    struct route_set *s = arg;
    struct route_input in = {.called = "+447700900123"};
    uintptr_t wrong = 0;

    for (uint32_t i = 0; i < 20000; i++)
        if (strncmp(select_dest(s, &in, i * 214749u), "uk_gateway_", 11))
            wrong++;
    route_set_unref(s);
    return (void *)wrong;
}

/* Readers each hold a reference; the builder drops its own first. */
static void test_threads(void **state)
{
    struct route_set *s = build(reference_routes);
    pthread_t th[THREADS];

    (void)state;
    for (size_t i = 0; i < THREADS; i++) {
        route_set_ref(s);
        assert_int_equal(pthread_create(&th[i], NULL, reader, s), 0);
    }
    route_set_unref(s);
    for (size_t i = 0; i < THREADS; i++) {
        void *wrong;
        assert_int_equal(pthread_join(th[i], &wrong), 0);
        assert_null(wrong);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score),
        cmocka_unit_test(test_select_table),
        cmocka_unit_test(test_split_table),
        cmocka_unit_test(test_split_boundary),
        cmocka_unit_test(test_simulate),
        cmocka_unit_test(test_simulate_no_match),
        cmocka_unit_test(test_random_against_reference),
        cmocka_unit_test(test_reference_example),
        cmocka_unit_test(test_refcount),
        cmocka_unit_test(test_threads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
