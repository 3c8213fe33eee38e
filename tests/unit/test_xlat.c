/* Unit tests for server/xlat: chains of rules (the SPEC §7 reference
 * examples, filters on the rewritten numbers, stop rules, continue, the
 * chain limit, disabled rules, priority/id order), the Elixir replacement
 * syntax and global replacement with empty matches, rule checking and its
 * error messages, the trace, number length limits, and a set shared by
 * several threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/xlat.h"

#define MAX_RULES 12

/* A rule as the tables write it; converted to a struct xlat_rule_rec. */
struct rule_spec {
    int64_t id; /* 0 ends a list */
    int32_t priority;
    bool cont;
    bool disabled;
    const char *calling_prefix, *called_prefix, *source_smsc;
    const char *calling_match, *calling_replace;
    const char *called_match, *called_replace;
};

static struct xlat_rule_rec rec_of(const struct rule_spec *s)
{
    return (struct xlat_rule_rec){
        .id = s->id,
        .priority = s->priority,
        .cont = s->cont,
        .enabled = !s->disabled,
        .calling_prefix = (char *)s->calling_prefix,
        .called_prefix = (char *)s->called_prefix,
        .source_smsc = (char *)s->source_smsc,
        .calling_match = (char *)s->calling_match,
        .calling_replace = (char *)s->calling_replace,
        .called_match = (char *)s->called_match,
        .called_replace = (char *)s->called_replace,
    };
}

/* Compiles the rules of specs up to the first id 0 (at most MAX_RULES). */
static struct xlat_set *compile_specs(const struct rule_spec *specs,
                                      size_t *bad)
{
    struct xlat_rule_rec recs[MAX_RULES];
    const struct xlat_rule_rec *ptrs[MAX_RULES];
    size_t n = 0;

    for (; n < MAX_RULES && specs[n].id != 0; n++) {
        recs[n] = rec_of(&specs[n]);
        ptrs[n] = &recs[n];
    }
    return xlat_compile(ptrs, n, bad);
}

/* ---- chains ------------------------------------------------------------ */

struct step_want {
    int64_t id; /* 0 = not checked */
    const char *calling_before, *calling_after;
    const char *called_before, *called_after;
};

struct apply_case {
    const char *name;
    struct rule_spec rules[MAX_RULES];
    const char *calling, *called, *smsc;
    const char *want_calling, *want_called;
    int n_steps;
    bool changed;
    struct step_want steps[4];
};

/* clang-format off */
static const struct apply_case apply_cases[] = {
    {"ten digits get +1",
     {{1, 10, .called_match = "^(\\d{10})$", .called_replace = "+1\\1"}},
     "46700000001", "5551234567", NULL,
     "46700000001", "+15551234567", 1, true,
     {{1, "46700000001", "46700000001", "5551234567", "+15551234567"}}},
    {"00 to + and back, rules given out of order",
     {{2, 10, false, .calling_match = "^\\+(\\d+)$",
       .calling_replace = "00\\1"},
      {1, 5, true, .calling_match = "^00(.+)$", .calling_replace = "+\\1"}},
     "00441234567890", "123", NULL,
     "00441234567890", "123", 2, false,
     {{1, "00441234567890", "+441234567890", "123", "123"},
      {2, "+441234567890", "00441234567890", "123", "123"}}},
    {"three steps to a dashed NANP number",
     {{1, 5, true, .called_match = "^0+(.+)$", .called_replace = "\\1"},
      {2, 10, true, .called_match = "^(\\d{10})$", .called_replace = "+1\\1"},
      {3, 15, false, .called_match = "^\\+1(\\d{3})(\\d{3})(\\d{4})$",
       .called_replace = "+1-\\1-\\2-\\3"}},
     "111", "005551234567", NULL,
     "111", "+1-555-123-4567", 3, true,
     {{1, "111", "111", "005551234567", "5551234567"},
      {2, "111", "111", "5551234567", "+15551234567"},
      {3, "111", "111", "+15551234567", "+1-555-123-4567"}}},
    {"stop rule protects a trusted gateway",
     {{1, 1, .source_smsc = "trusted_gateway"},
      {2, 10, .called_match = "^(\\d{10})$", .called_replace = "+1\\1"}},
     "1", "5551234567", "trusted_gateway",
     "1", "5551234567", 1, false,
     {{1, "1", "1", "5551234567", "5551234567"}}},
    {"stop rule for another gateway is skipped",
     {{1, 1, .source_smsc = "trusted_gateway"},
      {2, 10, .called_match = "^(\\d{10})$", .called_replace = "+1\\1"}},
     "1", "5551234567", "other_gateway",
     "1", "+15551234567", 1, true,
     {{2, "1", "1", "5551234567", "+15551234567"}}},
    {"source_smsc filter without a source",
     {{1, 1, .source_smsc = "trusted_gateway", .called_match = "5",
       .called_replace = "6"}},
     "1", "5", NULL, "1", "5", 0, false, {{0}}},
    {"empty filters mean any",
     {{1, 1, .calling_prefix = "", .called_prefix = "", .source_smsc = "",
       .called_match = "5", .called_replace = "6"}},
     "1", "5", NULL, "1", "6", 1, true, {{0}}},
    {"calling prefix filter does not match",
     {{1, 1, .calling_prefix = "44", .called_match = "^0",
       .called_replace = ""},
      {2, 2, .called_match = "^0", .called_replace = "+"}},
     "33123", "0123", NULL, "33123", "+123", 1, true, {{.id = 2}}},
    {"called prefix filter matches",
     {{1, 1, .called_prefix = "01", .called_match = "^0",
       .called_replace = ""},
      {2, 2, .called_match = "^0", .called_replace = "+"}},
     "33123", "0123", NULL, "33123", "123", 1, true, {{.id = 1}}},
    {"prefix filters see the rewritten numbers",
     {{1, 1, true, .calling_match = "^0(\\d+)$", .calling_replace = "44\\1"},
      {2, 2, false, .calling_prefix = "44", .called_match = "^9",
       .called_replace = "+9"}},
     "0777", "9123", NULL, "44777", "+9123", 2, true,
     {{.id = 1}, {.id = 2}}},
    {"continue false stops the chain",
     {{1, 1, false, .called_match = "^1", .called_replace = "2"},
      {2, 2, false, .called_match = "^2", .called_replace = "3"}},
     "", "1", NULL, "", "2", 1, true, {{.id = 1}}},
    {"a rule whose regex does not match does not stop the chain",
     {{1, 1, false, .called_match = "^9", .called_replace = "0"},
      {2, 2, false, .called_match = "^1", .called_replace = "2"}},
     "", "1", NULL, "", "2", 1, true, {{.id = 2}}},
    {"disabled rules are skipped",
     {{1, 1, false, true, .called_match = "^1", .called_replace = "X"},
      {2, 2, false, .called_match = "^1", .called_replace = "2"}},
     "", "1", NULL, "", "2", 1, true, {{.id = 2}}},
    {"same priority runs in id order",
     {{7, 3, false, .called_match = "^1", .called_replace = "7"},
      {4, 3, false, .called_match = "^1", .called_replace = "4"}},
     "", "1", NULL, "", "4", 1, true, {{.id = 4}}},
    {"calling and called rewritten independently",
     {{1, 1, .calling_match = "^0", .calling_replace = "+46",
       .called_match = "^0", .called_replace = "+47"}},
     "0701", "555", NULL, "+46701", "555", 1, true,
     {{1, "0701", "+46701", "555", "555"}}},
    {"both numbers rewritten by one rule",
     {{1, 1, .calling_match = "^0", .calling_replace = "+46",
       .called_match = "^0", .called_replace = "+47"}},
     "0701", "0555", NULL, "+46701", "+47555", 1, true,
     {{1, "0701", "+46701", "0555", "+47555"}}},
    {"NULL numbers count as empty",
     {{1, 1, .called_match = "^$", .called_replace = "empty"}},
     NULL, NULL, NULL, "", "empty", 1, true, {{0}}},
    {"no rules",
     {{0}}, "1", "2", NULL, "1", "2", 0, false, {{0}}},
};
/* clang-format on */

static void check_step(const char *name, int i, const struct xlat_step *st,
                       const struct step_want *w)
{
    if (w->id == 0)
        return;
    if (st->rule_id != w->id)
        fail_msg("%s: step %d is rule %lld, want %lld", name, i,
                 (long long)st->rule_id, (long long)w->id);
    if (w->calling_before == NULL)
        return;
    assert_string_equal(st->calling_before, w->calling_before);
    assert_string_equal(st->calling_after, w->calling_after);
    assert_string_equal(st->called_before, w->called_before);
    assert_string_equal(st->called_after, w->called_after);
    assert_int_equal(st->calling_changed,
                     strcmp(w->calling_before, w->calling_after) != 0);
    assert_int_equal(st->called_changed,
                     strcmp(w->called_before, w->called_after) != 0);
}

static void test_apply_table(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof apply_cases / sizeof apply_cases[0]; c++) {
        const struct apply_case *tc = &apply_cases[c];
        struct xlat_result res;
        size_t bad = 99;
        struct xlat_set *s = compile_specs(tc->rules, &bad);

        print_message("case: %s\n", tc->name);
        assert_int_equal(bad, 0);
        assert_int_equal(
            xlat_apply(s, tc->calling, tc->called, tc->smsc, &res, NULL, NULL),
            0);
        assert_string_equal(res.calling, tc->want_calling);
        assert_string_equal(res.called, tc->want_called);
        assert_int_equal(res.n_steps, tc->n_steps);
        assert_int_equal(res.changed, tc->changed);
        assert_false(res.chain_limit);
        for (int i = 0; i < res.n_steps && i < 4; i++)
            check_step(tc->name, i, &res.steps[i], &tc->steps[i]);
        xlat_set_unref(s);
    }
}

/* Twelve rules that each append a digit and continue: ten apply. */
static void test_chain_limit(void **state)
{
    static const char *const repl[MAX_RULES] = {
        "\\g{1}0", "\\g{1}1", "\\g{1}2", "\\g{1}3", "\\g{1}4",  "\\g{1}5",
        "\\g{1}6", "\\g{1}7", "\\g{1}8", "\\g{1}9", "\\g{1}10", "\\g{1}11"};
    struct rule_spec specs[MAX_RULES + 1] = {{0}};
    struct xlat_result res;
    struct xlat_set *s;

    (void)state;
    for (int i = 0; i < MAX_RULES; i++)
        specs[i] = (struct rule_spec){.id = i + 1,
                                      .priority = i + 1,
                                      .cont = true,
                                      .called_match = "^(\\d+)$",
                                      .called_replace = repl[i]};
    s = compile_specs(specs, NULL);
    assert_int_equal(xlat_set_count(s), MAX_RULES);
    assert_int_equal(xlat_apply(s, "", "5", NULL, &res, NULL, NULL), 0);
    assert_int_equal(res.n_steps, XLAT_MAX_CHAIN);
    assert_true(res.chain_limit);
    assert_string_equal(res.called, "50123456789");
    assert_string_equal(res.steps[9].called_before, "5012345678");
    assert_int_equal(res.steps[9].rule_id, 10);
    xlat_set_unref(s);
}

/* Ten rules that apply, the last one with continue false: no limit hit. */
static void test_chain_ten_without_limit(void **state)
{
    struct rule_spec specs[XLAT_MAX_CHAIN + 1] = {{0}};
    struct xlat_result res;
    struct xlat_set *s;

    (void)state;
    for (int i = 0; i < XLAT_MAX_CHAIN; i++)
        specs[i] = (struct rule_spec){.id = i + 1,
                                      .priority = 1,
                                      .cont = i < XLAT_MAX_CHAIN - 1,
                                      .called_match = "$",
                                      .called_replace = "1"};
    s = compile_specs(specs, NULL);
    assert_int_equal(xlat_apply(s, "", "", NULL, &res, NULL, NULL), 0);
    assert_int_equal(res.n_steps, XLAT_MAX_CHAIN);
    assert_false(res.chain_limit);
    assert_string_equal(res.called, "1111111111");
    xlat_set_unref(s);
}

/* ---- replacement syntax and global replacement ------------------------- */

/* clang-format off */
static const struct {
    const char *match, *replace, *in, *want; /* want NULL = no match */
} replace_cases[] = {
    {"^(\\d{10})$", "+1\\1", "5551234567", "+15551234567"},
    {"^(\\d{10})$", "+1\\1", "555123456", NULL},
    {"\\d", "<\\0>", "12", "<1><2>"},
    {"(\\d)(\\d)", "\\g{2}\\g{1}", "1234", "2143"},
    {"(\\d)(\\d)", "\\g{02}", "1234", "24"},
    {"(\\d)", "\\1\\1", "12", "1122"},
    {"^", "\\\\", "12", "\\12"},
    {"1", "a\\\\\\\\b", "1", "a\\\\b"},
    {"(\\d)", "\\10", "a1b", "ab"},         /* group 10, not 1 then 0 */
    {"(\\d)", "\\g{1}0", "a1b", "a10b"},
    {"(\\d)", "\\99999999999", "a1b", "ab"}, /* huge group number */
    {"(a)|(b)", "[\\2]", "ab", "[][b]"},     /* unset group */
    {"1", "\\n\\g", "1", "\\n\\g"},          /* other backslashes stay */
    {"1", "a\\", "1", "a\\"},                /* trailing backslash */
    {"x*", "-", "ab", "-a-b-"},
    {"\\d*", "X", "a12b", "XaXXbX"},
    {"(?:)", "+", "12", "+1+2+"},
    {"$", "0", "12", "120"},
    {"0", "", "102030", "123"},
    {"(?=\\d)", "-", "12", "-1-2"},
    {"^0+", "", "000", ""},
    {"+", "", "", NULL},                     /* never compiles: left out */
};
/* clang-format on */

static void test_replace_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof replace_cases / sizeof replace_cases[0];
         i++) {
        const char *want = replace_cases[i].want;
        const char *in = replace_cases[i].in;
        struct rule_spec specs[2] = {
            {1, 1, .calling_match = replace_cases[i].match,
             .calling_replace = replace_cases[i].replace,
             .called_match = replace_cases[i].match,
             .called_replace = replace_cases[i].replace}};
        struct xlat_set *s = compile_specs(specs, NULL);
        struct xlat_result res;

        print_message("/%s/ -> \"%s\" on \"%s\"\n", replace_cases[i].match,
                      replace_cases[i].replace, in);
        assert_int_equal(xlat_apply(s, in, in, NULL, &res, NULL, NULL), 0);
        assert_string_equal(res.calling, want ? want : in);
        assert_string_equal(res.called, want ? want : in);
        assert_int_equal(res.n_steps, want ? 1 : 0);
        xlat_set_unref(s);
    }
}

/* ---- rule checking ----------------------------------------------------- */

/* clang-format off */
static const struct {
    struct rule_spec rule;
    const char *want;           /* NULL = valid */
} check_cases[] = {
    {{.id = 1, .priority = 1}, NULL},
    {{1, 1, .source_smsc = "gw"}, NULL},
    {{1, 1, .calling_match = "^0", .calling_replace = ""}, NULL},
    {{1, 1, .calling_match = "", .calling_replace = ""}, NULL},
    {{1, 1, .called_match = "^(\\d)", .called_replace = "\\g{1}\\1\\\\"},
     NULL},
    {{1, 1, .calling_match = "^(abc", .calling_replace = "x"},
     "calling_match: missing closing parenthesis at offset 5"},
    {{1, 1, .called_match = "[z-a]", .called_replace = "x"},
     "called_match: range out of order in character class at offset 3"},
    {{1, 1, .calling_match = "^1", .calling_replace = "x",
      .called_match = "*x", .called_replace = "y"},
     "called_match: quantifier does not follow a repeatable item at "
     "offset 0"},
    {{1, 1, .calling_match = "^1"},
     "calling_replace is required with calling_match"},
    {{1, 1, .calling_replace = "x"},
     "calling_match is required with calling_replace"},
    {{1, 1, .calling_match = "", .calling_replace = "x"},
     "calling_match is required with calling_replace"},
    {{1, 1, .called_match = "^1"},
     "called_replace is required with called_match"},
    {{1, 1, .called_replace = "x"},
     "called_match is required with called_replace"},
    {{1, 1, .called_match = "1", .called_replace = "a\\g{1"},
     "called_replace: malformed \\g{N} at offset 1"},
    {{1, 1, .calling_match = "1", .calling_replace = "\\g{}"},
     "calling_replace: malformed \\g{N} at offset 0"},
    {{1, 1, .calling_match = "1", .calling_replace = "\\g{x}"},
     "calling_replace: malformed \\g{N} at offset 0"},
};
/* clang-format on */

static void test_check_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof check_cases / sizeof check_cases[0]; i++) {
        struct xlat_rule_rec r = rec_of(&check_cases[i].rule);
        const char *want = check_cases[i].want;
        char err[256] = "";
        size_t bad = 99;
        const struct xlat_rule_rec *p = &r;
        struct xlat_set *s;

        print_message("check case %zu\n", i);
        assert_int_equal(xlat_check_rule(&r, err, sizeof err), want ? -1 : 0);
        assert_string_equal(err, want ? want : "");
        s = xlat_compile(&p, 1, &bad);
        assert_int_equal(bad, want ? 1 : 0);
        assert_int_equal(xlat_set_count(s), want ? 0 : 1);
        xlat_set_unref(s);
    }
}

/* Returns a pattern of n capture groups "(1)(1)...", caller frees. */
static char *groups_pattern(int n)
{
    char *p = malloc((size_t)n * 3 + 1);

    for (int i = 0; i < n; i++)
        memcpy(p + i * 3, "(1)", 3);
    p[n * 3] = '\0';
    return p;
}

static void test_check_limits(void **state)
{
    char *ok = groups_pattern(XLAT_MAX_GROUPS);
    char *many = groups_pattern(XLAT_MAX_GROUPS + 1);
    char *long_pat = malloc(TABLE_MAX_STR + 2);
    struct xlat_rule_rec r = {
        .id = 1, .priority = 1, .enabled = true, .calling_replace = "\\31"};
    char err[256];

    (void)state;
    r.calling_match = ok;
    assert_int_equal(xlat_check_rule(&r, err, sizeof err), 0);
    r.calling_match = many;
    assert_int_equal(xlat_check_rule(&r, err, sizeof err), -1);
    assert_string_equal(err, "calling_match: 32 capture groups, at most 31");

    memset(long_pat, '1', TABLE_MAX_STR + 1);
    long_pat[TABLE_MAX_STR] = '\0';
    r.calling_match = long_pat;
    assert_int_equal(xlat_check_rule(&r, err, sizeof err), 0);
    long_pat[TABLE_MAX_STR] = '1';
    long_pat[TABLE_MAX_STR + 1] = '\0';
    assert_int_equal(xlat_check_rule(&r, err, sizeof err), -1);
    assert_string_equal(err, "calling_match: longer than 1024 bytes");
    r.calling_match = "1";
    r.calling_replace = long_pat;
    assert_int_equal(xlat_check_rule(&r, err, sizeof err), -1);
    assert_string_equal(err, "calling_replace: longer than 1024 bytes");
    assert_int_equal(xlat_check_rule(&r, NULL, 0), -1);
    free(ok);
    free(many);
    free(long_pat);
}

/* The 31st group is usable; the fit of a result is exact. */
static void test_group_31_and_result_length(void **state)
{
    char *pat = groups_pattern(XLAT_MAX_GROUPS);
    char in[XLAT_MAX_NUM], want[XLAT_MAX_NUM];
    struct xlat_rule_rec r = {.id = 1,
                              .priority = 1,
                              .enabled = true,
                              .called_match = pat,
                              .called_replace = "\\31x"};
    struct rule_spec dbl = {1, 1, .called_match = "^(\\d+)$",
                            .called_replace = "\\1\\1"};
    const struct xlat_rule_rec *p = &r;
    struct xlat_set *s = xlat_compile(&p, 1, NULL);
    struct xlat_result res;

    (void)state;
    memset(in, '1', XLAT_MAX_GROUPS);
    in[XLAT_MAX_GROUPS] = '\0';
    assert_int_equal(xlat_apply(s, "", in, NULL, &res, NULL, NULL), 0);
    assert_string_equal(res.called, "1x");
    xlat_set_unref(s);
    free(pat);

    r = rec_of(&dbl);
    s = xlat_compile(&p, 1, NULL);
    memset(in, '1', 63);
    in[63] = '\0'; /* 126 bytes doubled: fits */
    assert_int_equal(xlat_apply(s, "", in, NULL, &res, NULL, NULL), 0);
    memset(want, '1', 126);
    want[126] = '\0';
    assert_string_equal(res.called, want);
    in[63] = '1'; /* 128 bytes doubled: too long */
    in[64] = '\0';
    assert_int_equal(xlat_apply(s, "", in, NULL, &res, NULL, NULL), 0);
    assert_string_equal(res.called, in);
    assert_int_equal(res.n_steps, 1);
    assert_false(res.steps[0].called_changed);
    assert_false(res.changed);
    xlat_set_unref(s);
}

/* ---- trace ------------------------------------------------------------- */

struct trace_log {
    int n;
    struct xlat_eval e[MAX_RULES];
};

static void trace_cb(const struct xlat_eval *e, void *arg)
{
    struct trace_log *log = arg;

    assert_true(log->n < MAX_RULES);
    log->e[log->n++] = *e;
}

/* clang-format off */
static const struct rule_spec trace_rules[] = {
    {1, 1, true, true, .called_match = "^1", .called_replace = "X"},
    {2, 2, true, .calling_prefix = "9", .called_match = "^1",
     .called_replace = "X"},
    {3, 3, true, .called_match = "^9", .called_replace = "X"},
    {4, 4, true, .called_prefix = "1", .called_match = "^1",
     .called_replace = "2"},
    {5, 5, false, .source_smsc = "gw"},
    {6, 6, false, .called_match = "^2", .called_replace = "X"},
    {0},
};
/* clang-format on */

/* clang-format off */
static const struct {
    bool enabled, calling_ok, called_ok, smsc_ok, calling_m, called_m, applied;
    const char *note;
} trace_want[] = {
    {false, true, true, true, false, false, false, "disabled"},
    {true, false, true, true, false, false, false, "filters do not match"},
    {true, true, true, true, false, false, false, "no regex matched"},
    {true, true, true, true, false, true, true, NULL},
    {true, true, true, true, false, false, true, "stopped: continue is false"},
};
/* clang-format on */

static void test_trace(void **state)
{
    struct xlat_set *s = compile_specs(trace_rules, NULL);
    struct trace_log log = {0};
    struct xlat_result res;

    (void)state;
    assert_int_equal(xlat_apply(s, "5", "1", "gw", &res, trace_cb, &log), 0);
    assert_string_equal(res.called, "2");
    assert_int_equal(res.n_steps, 2);
    assert_int_equal(log.n, 5);
    for (int i = 0; i < log.n; i++) {
        const struct xlat_eval *e = &log.e[i];

        print_message("trace %d\n", i);
        assert_int_equal(e->rule->id, i + 1);
        assert_int_equal(e->enabled, trace_want[i].enabled);
        assert_int_equal(e->calling_prefix_ok, trace_want[i].calling_ok);
        assert_int_equal(e->called_prefix_ok, trace_want[i].called_ok);
        assert_int_equal(e->source_smsc_ok, trace_want[i].smsc_ok);
        assert_int_equal(e->calling_matched, trace_want[i].calling_m);
        assert_int_equal(e->called_matched, trace_want[i].called_m);
        assert_int_equal(e->applied, trace_want[i].applied);
        if (trace_want[i].note == NULL)
            assert_null(e->note);
        else
            assert_string_equal(e->note, trace_want[i].note);
    }
    xlat_set_unref(s);
}

static void test_trace_chain_limit_note(void **state)
{
    struct rule_spec specs[MAX_RULES] = {{0}};
    struct trace_log log = {0};
    struct xlat_result res;
    struct xlat_set *s;

    (void)state;
    for (int i = 0; i < MAX_RULES - 1; i++)
        specs[i] = (struct rule_spec){.id = i + 1,
                                      .priority = 1,
                                      .cont = true,
                                      .called_match = "$",
                                      .called_replace = "1"};
    s = compile_specs(specs, NULL);
    assert_int_equal(xlat_apply(s, "", "", NULL, &res, trace_cb, &log), 0);
    assert_int_equal(log.n, XLAT_MAX_CHAIN);
    assert_string_equal(log.e[XLAT_MAX_CHAIN - 1].note,
                        "stopped: chain limit reached");
    assert_true(res.chain_limit);
    xlat_set_unref(s);
}

/* ---- numbers ----------------------------------------------------------- */

static void test_number_length(void **state)
{
    struct rule_spec specs[2] = {
        {1, 1, .called_match = "^", .called_replace = "+"}};
    struct xlat_set *s = compile_specs(specs, NULL);
    struct trace_log log = {0};
    struct xlat_result res;
    char max[XLAT_MAX_NUM], over[XLAT_MAX_NUM + 1];

    (void)state;
    memset(max, '1', sizeof max - 1);
    max[sizeof max - 1] = '\0';
    memset(over, '1', sizeof over - 1);
    over[sizeof over - 1] = '\0';

    assert_int_equal(xlat_apply(s, max, "2", NULL, &res, NULL, NULL), 0);
    assert_string_equal(res.calling, max);
    assert_string_equal(res.called, "+2");

    assert_int_equal(xlat_apply(s, over, "2", NULL, &res, trace_cb, &log), -1);
    assert_string_equal(res.calling, "");
    assert_string_equal(res.called, "2");
    assert_int_equal(res.n_steps, 0);
    assert_false(res.changed);
    assert_int_equal(log.n, 0);

    assert_int_equal(xlat_apply(s, "1", over, NULL, &res, NULL, NULL), -1);
    assert_string_equal(res.calling, "1");
    assert_string_equal(res.called, "");

    /* "+" and 127 bytes does not fit: the number stays as it was. */
    assert_int_equal(xlat_apply(s, "", max, NULL, &res, NULL, NULL), 0);
    assert_string_equal(res.called, max);
    xlat_set_unref(s);
}

/* ---- sets -------------------------------------------------------------- */

static void test_compile_leaves_out_bad_rules(void **state)
{
    static const struct rule_spec specs[] = {
        {3, 1, .called_match = "(", .called_replace = "x"},
        {1, 2, .called_match = "^1", .called_replace = "2"},
        {2, 1, .calling_match = "^1"},
        {0},
    };
    size_t bad = 0;
    struct xlat_set *s = compile_specs(specs, &bad);
    struct xlat_result res;

    (void)state;
    assert_int_equal(bad, 2);
    assert_int_equal(xlat_set_count(s), 1);
    assert_int_equal(xlat_apply(s, "", "1", NULL, &res, NULL, NULL), 0);
    assert_string_equal(res.called, "2");
    xlat_set_unref(s);

    s = xlat_compile(NULL, 0, NULL);
    assert_int_equal(xlat_set_count(s), 0);
    xlat_set_unref(s);
    xlat_set_unref(NULL);
}

#define THREADS 4
#define PER_THREAD 20000

static void *apply_loop(void *arg)
{
    struct xlat_set *s = arg;
    struct xlat_result res;
    char in[16];

    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(in, sizeof in, "00%09d", i);
        if (xlat_apply(s, in, "", NULL, &res, NULL, NULL) != 0 ||
            strcmp(res.calling, in + 2) != 0 || res.n_steps != 1)
            return (void *)1;
    }
    xlat_set_unref(s);
    return NULL;
}

/* Threads share one set, each holding a reference; each thread's match
 * data is freed when it exits (ASan would report it otherwise). */
static void test_threads(void **state)
{
    static const struct rule_spec specs[] = {
        {1, 1, .calling_match = "^00(\\d+)$", .calling_replace = "\\1"},
        {0},
    };
    struct xlat_set *s = compile_specs(specs, NULL);
    pthread_t t[THREADS];
    void *rv;

    (void)state;
    for (int i = 0; i < THREADS; i++) {
        xlat_set_ref(s);
        assert_int_equal(pthread_create(&t[i], NULL, apply_loop, s), 0);
    }
    xlat_set_unref(s);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], &rv), 0);
        assert_null(rv);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apply_table),
        cmocka_unit_test(test_chain_limit),
        cmocka_unit_test(test_chain_ten_without_limit),
        cmocka_unit_test(test_replace_table),
        cmocka_unit_test(test_check_table),
        cmocka_unit_test(test_check_limits),
        cmocka_unit_test(test_group_31_and_result_length),
        cmocka_unit_test(test_trace),
        cmocka_unit_test(test_trace_chain_limit_note),
        cmocka_unit_test(test_number_length),
        cmocka_unit_test(test_compile_leaves_out_bad_rules),
        cmocka_unit_test(test_threads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
