/* xlat — number translation (SPEC §7); xlat.h states the semantics.
 *
 * xlat_compile copies each valid rule, compiles its regexes with PCRE2 (JIT
 * when available) and parses each replacement once into pieces — slices of
 * the replacement text and capture-group references — so that xlat_apply
 * only matches and copies bytes into fixed buffers.  Matching uses one
 * pcre2_match_data per thread, sized for XLAT_MAX_GROUPS, made on the
 * thread's first match and freed when the thread exits; PCRE2's heap
 * memory comes from xmalloc.  A compiled set is never written after
 * xlat_compile except for its atomic reference count, so threads share it
 * freely.
 *
 * Replacement text and the global loop follow Elixir's Regex.replace (on
 * Erlang's :re): \N and \g{N} take every digit that follows, a group that
 * does not exist or did not take part gives "", \\ is one backslash, any
 * other backslash is literal.  After an empty match the next attempt is
 * anchored at the same offset and must not be empty; when it fails the
 * scan moves on one byte.  A malformed \g{...} (which makes Elixir raise)
 * is rejected when the rule is checked.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "server/xlat.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define LITERAL (-1)   /* struct piece.group of a slice of text */
#define GROUP_CAP 1000 /* group numbers saturate here (all > 31 give "") */

/* One piece of a parsed replacement. */
struct piece {
    int32_t group; /* LITERAL, or the capture group to insert */
    uint32_t off;  /* for a literal: the slice of the replacement */
    uint32_t len;
};

/* One number's regex and replacement.  code NULL = the rule has none. */
struct rewrite {
    pcre2_code *code;
    const char *text; /* the replacement: borrowed from the rule's rec */
    struct piece *pieces;
    size_t n_pieces;
};

struct rule {
    struct xlat_rule_rec rec; /* owned copy */
    struct rewrite calling;
    struct rewrite called;
};

struct xlat_set {
    atomic_size_t refs;
    size_t n;
    struct rule *rules; /* sorted by priority, then id */
};

/* A result being built in a XLAT_MAX_NUM buffer. */
struct out {
    char *buf;
    size_t len;
    bool overflow; /* it would not fit with its NUL */
};

/* ---- PCRE2 memory -------------------------------------------------------- */

static pthread_once_t pcre_once = PTHREAD_ONCE_INIT;
static pcre2_general_context *pcre_gctx; /* set once, then read-only */
static pcre2_compile_context *pcre_cctx;
static pthread_key_t md_key; /* frees tl_md at thread exit */
static __thread pcre2_match_data *tl_md;

static void *pcre_malloc(PCRE2_SIZE n, void *arg)
{
    (void)arg;
    return xmalloc(n);
}

static void pcre_free(void *p, void *arg)
{
    (void)arg;
    free(p);
}

static void md_destroy(void *md)
{
    pcre2_match_data_free(md);
}

static void pcre_setup(void)
{
    pcre_gctx = pcre2_general_context_create(pcre_malloc, pcre_free, NULL);
    pcre_cctx = pcre2_compile_context_create(pcre_gctx);
    if (pthread_key_create(&md_key, md_destroy) != 0)
        abort();
}

/* The calling thread's match data, big enough for any compiled rule. */
static pcre2_match_data *thread_match_data(void)
{
    if (tl_md == NULL) {
        pthread_once(&pcre_once, pcre_setup);
        tl_md = pcre2_match_data_create(XLAT_MAX_GROUPS + 1, pcre_gctx);
        pthread_setspecific(md_key, tl_md);
    }
    return tl_md;
}

/* ---- building ------------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen,
                                                      const char *fmt, ...)
{
    va_list ap;

    if (err != NULL && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads a group reference (\N or \g{N}) at the backslash s[*i].  Returns 1
 * with *group and *i past it, 0 when there is none, -1 for a malformed
 * \g{N}. */
static int parse_ref(const char *s, size_t *i, int32_t *group)
{
    size_t j = *i + 1;
    bool braced = s[j] == 'g' && s[j + 1] == '{';
    int32_t n = 0;

    if (braced)
        j += 2;
    else if (!is_digit(s[j]))
        return 0;
    if (!is_digit(s[j]))
        return -1;
    for (; is_digit(s[j]); j++)
        if (n < GROUP_CAP)
            n = n * 10 + (s[j] - '0');
    if (braced && s[j++] != '}')
        return -1;
    *group = n;
    *i = j;
    return 1;
}

/* Adds a piece at out[n] (when out is not NULL); empty literals are
 * dropped.  Returns how many pieces it added. */
static size_t put_piece(struct piece *out, size_t n, int32_t group, size_t off,
                        size_t len)
{
    if (group == LITERAL && len == 0)
        return 0;
    if (out != NULL)
        out[n] = (struct piece){group, (uint32_t)off, (uint32_t)len};
    return 1;
}

/* Parses replacement text s into out (or only counts when out is NULL).
 * Returns 0 with the count in *n, or -1 with *bad_at at a malformed \g{N}.
 * A literal run is a slice of s: "\\" ends one and starts the next at its
 * second backslash. */
static int repl_parse(const char *s, struct piece *out, size_t *n,
                      size_t *bad_at)
{
    size_t i = 0, lit = 0;
    int32_t group;

    *n = 0;
    while (s[i] != '\0') {
        size_t end = i;
        int rc = s[i] == '\\' ? parse_ref(s, &end, &group) : 0;

        if (rc < 0) {
            *bad_at = i;
            return -1;
        }
        if (rc > 0) {
            *n += put_piece(out, *n, LITERAL, lit, i - lit);
            *n += put_piece(out, *n, group, 0, 0);
            i = lit = end;
        } else if (s[i] == '\\' && s[i + 1] == '\\') {
            *n += put_piece(out, *n, LITERAL, lit, i - lit);
            lit = i + 1;
            i += 2;
        } else {
            i++;
        }
    }
    *n += put_piece(out, *n, LITERAL, lit, i - lit);
    return 0;
}

static bool too_long(const char *s)
{
    return strnlen(s, TABLE_MAX_STR + 1) > TABLE_MAX_STR;
}

/* Compiles the pattern of "<side>_match".  Returns 0, or -1 with err. */
static int regex_compile(const char *side, const char *pat, pcre2_code **out,
                         char *err, size_t errlen)
{
    PCRE2_UCHAR msg[256];
    PCRE2_SIZE off;
    uint32_t groups;
    int code;

    if (too_long(pat))
        return fail(err, errlen, "%s_match: longer than %d bytes", side,
                    TABLE_MAX_STR);
    pthread_once(&pcre_once, pcre_setup);
    *out = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &code, &off,
                         pcre_cctx);
    if (*out == NULL) {
        pcre2_get_error_message(code, msg, sizeof msg);
        return fail(err, errlen, "%s_match: %s at offset %zu", side,
                    (const char *)msg, (size_t)off);
    }
    pcre2_pattern_info(*out, PCRE2_INFO_CAPTURECOUNT, &groups);
    if (groups > XLAT_MAX_GROUPS) {
        pcre2_code_free(*out);
        *out = NULL;
        return fail(err, errlen, "%s_match: %u capture groups, at most %d",
                    side, groups, XLAT_MAX_GROUPS);
    }
    return 0;
}

static void rewrite_free(struct rewrite *rw)
{
    pcre2_code_free(rw->code);
    free(rw->pieces);
    memset(rw, 0, sizeof *rw);
}

/* Builds the rewrite of one number from "<side>_match" and
 * "<side>_replace" (borrowed; they must outlive rw).  A NULL or empty match
 * means none.  Returns 0, or -1 with err and rw empty. */
static int rewrite_build(struct rewrite *rw, const char *side,
                         const char *match, const char *repl, char *err,
                         size_t errlen)
{
    size_t n, bad_at;

    memset(rw, 0, sizeof *rw);
    if (match == NULL || match[0] == '\0') {
        if (repl != NULL && repl[0] != '\0')
            return fail(err, errlen, "%s_match is required with %s_replace",
                        side, side);
        return 0;
    }
    if (repl == NULL)
        return fail(err, errlen, "%s_replace is required with %s_match", side,
                    side);
    if (too_long(repl))
        return fail(err, errlen, "%s_replace: longer than %d bytes", side,
                    TABLE_MAX_STR);
    if (repl_parse(repl, NULL, &n, &bad_at) != 0)
        return fail(err, errlen, "%s_replace: malformed \\g{N} at offset %zu",
                    side, bad_at);
    if (regex_compile(side, match, &rw->code, err, errlen) != 0)
        return -1;
    rw->text = repl;
    rw->pieces = xcalloc(n, sizeof *rw->pieces);
    repl_parse(repl, rw->pieces, &rw->n_pieces, &bad_at);
    return 0;
}

static void rule_free(struct rule *r)
{
    rewrite_free(&r->calling);
    rewrite_free(&r->called);
    xlat_rule_rec_free(&r->rec);
}

/* Copies src into r and builds its rewrites.  Returns 0, or -1 with err
 * and nothing left allocated. */
static int rule_build(struct rule *r, const struct xlat_rule_rec *src,
                      char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    xlat_rule_rec_copy(&r->rec, src);
    if (rewrite_build(&r->calling, "calling", r->rec.calling_match,
                      r->rec.calling_replace, err, errlen) != 0 ||
        rewrite_build(&r->called, "called", r->rec.called_match,
                      r->rec.called_replace, err, errlen) != 0) {
        rule_free(r);
        return -1;
    }
    return 0;
}

static void rewrite_jit(struct rewrite *rw)
{
    if (rw->code != NULL)
        (void)pcre2_jit_compile(rw->code, PCRE2_JIT_COMPLETE);
}

static int rule_order(const void *a, const void *b)
{
    const struct xlat_rule_rec *x = &((const struct rule *)a)->rec;
    const struct xlat_rule_rec *y = &((const struct rule *)b)->rec;

    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

int xlat_check_rule(const struct xlat_rule_rec *r, char *err, size_t errlen)
{
    struct rule tmp;

    if (rule_build(&tmp, r, err, errlen) != 0)
        return -1;
    rule_free(&tmp);
    return 0;
}

struct xlat_set *xlat_compile(const struct xlat_rule_rec *const *rules,
                              size_t n, size_t *bad)
{
    struct xlat_set *s = xcalloc(1, sizeof *s);
    size_t n_bad = 0;

    s->rules = xcalloc(n, sizeof *s->rules);
    for (size_t i = 0; i < n; i++) {
        struct rule *r = &s->rules[s->n];

        if (rule_build(r, rules[i], NULL, 0) != 0) {
            n_bad++;
            continue;
        }
        rewrite_jit(&r->calling);
        rewrite_jit(&r->called);
        s->n++;
    }
    qsort(s->rules, s->n, sizeof *s->rules, rule_order);
    atomic_init(&s->refs, 1);
    if (bad != NULL)
        *bad = n_bad;
    return s;
}

void xlat_set_ref(struct xlat_set *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void xlat_set_unref(struct xlat_set *s)
{
    if (s == NULL ||
        atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < s->n; i++)
        rule_free(&s->rules[i]);
    free(s->rules);
    free(s);
}

size_t xlat_set_count(const struct xlat_set *s)
{
    return s->n;
}

/* ---- applying ------------------------------------------------------------ */

static void out_put(struct out *o, const char *p, size_t n)
{
    if (o->overflow || n >= XLAT_MAX_NUM - o->len) {
        o->overflow = true;
        return;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

/* Appends the replacement for the match whose ovector is ov (rc pairs). */
static void repl_put(struct out *o, const struct rewrite *rw,
                     const char *subject, const PCRE2_SIZE *ov, int rc)
{
    for (size_t i = 0; i < rw->n_pieces; i++) {
        const struct piece *p = &rw->pieces[i];

        if (p->group == LITERAL)
            out_put(o, rw->text + p->off, p->len);
        else if (p->group < rc && ov[2 * p->group] != PCRE2_UNSET)
            out_put(o, subject + ov[2 * p->group],
                    ov[2 * p->group + 1] - ov[2 * p->group]);
    }
}

/* Replaces every match of rw in subject, writing the result to dst
 * (XLAT_MAX_NUM bytes).  Returns whether the regex matched; dst then holds
 * the result, or a copy of subject with *overflow set when the result would
 * not fit.  A match error (e.g. the match limit) counts as no match. */
static bool rewrite_run(const struct rewrite *rw, const char *subject,
                        char *dst, bool *overflow)
{
    pcre2_match_data *md = thread_match_data();
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    struct out o = {dst, 0, false};
    size_t len = strlen(subject), start = 0, done = 0;
    uint32_t opts = 0;
    bool matched = false;

    while (!o.overflow) {
        int rc = pcre2_match(rw->code, (PCRE2_SPTR)subject, len, start, opts,
                             md, NULL);

        if (rc == PCRE2_ERROR_NOMATCH) {
            if (opts == 0 || start >= len)
                break;
            start++; /* the empty match cannot be extended */
            opts = 0;
            continue;
        }
        if (rc < 0 || ov[1] < ov[0])
            return false;
        matched = true;
        out_put(&o, subject + done, ov[0] - done);
        repl_put(&o, rw, subject, ov, rc);
        done = start = ov[1];
        opts = ov[0] == ov[1] ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
    }
    if (!matched)
        return false;
    out_put(&o, subject + done, len - done);
    *overflow = o.overflow;
    if (o.overflow)
        strcpy(dst, subject);
    else
        dst[o.len] = '\0';
    return true;
}

/* The filters compare first bytes inline: most rules of a table fail
 * there, and a call per filter would cost more than the rest of the rule. */
static bool has_prefix(const char *s, const char *prefix)
{
    return prefix == NULL || prefix[0] == '\0' ||
           (s[0] == prefix[0] && strncmp(s, prefix, strlen(prefix)) == 0);
}

static bool smsc_matches(const char *smsc, const char *filter)
{
    return filter == NULL || filter[0] == '\0' ||
           (smsc != NULL && smsc[0] == filter[0] && strcmp(smsc, filter) == 0);
}

/* Records an applied rule as the next step and makes its results the
 * current numbers.  A number whose regex did not match stays as it is. */
static void step_record(struct xlat_result *res,
                        const struct xlat_rule_rec *rec,
                        const struct xlat_eval *e)
{
    struct xlat_step *st = &res->steps[res->n_steps++];

    st->rule_id = rec->id;
    st->priority = rec->priority;
    strcpy(st->calling_before, res->calling);
    strcpy(st->called_before, res->called);
    if (!e->calling_matched)
        strcpy(st->calling_after, res->calling);
    if (!e->called_matched)
        strcpy(st->called_after, res->called);
    st->calling_changed = strcmp(st->calling_before, st->calling_after) != 0;
    st->called_changed = strcmp(st->called_before, st->called_after) != 0;
    strcpy(res->calling, st->calling_after);
    strcpy(res->called, st->called_after);
}

/* Judges rule r on the current numbers in res and, when it applies,
 * rewrites them.  Fills e; returns whether the chain stops here. */
static bool rule_run(const struct rule *r, const char *smsc,
                     struct xlat_result *res, struct xlat_eval *e)
{
    const struct xlat_rule_rec *rec = &r->rec;
    struct xlat_step *st = &res->steps[res->n_steps]; /* scratch until kept */
    bool calling_long = false, called_long = false;

    *e = (struct xlat_eval){
        .rule = rec,
        .enabled = rec->enabled,
        .calling_prefix_ok = has_prefix(res->calling, rec->calling_prefix),
        .called_prefix_ok = has_prefix(res->called, rec->called_prefix),
        .source_smsc_ok = smsc_matches(smsc, rec->source_smsc),
    };
    if (!e->enabled) {
        e->note = "disabled";
        return false;
    }
    if (!e->calling_prefix_ok || !e->called_prefix_ok || !e->source_smsc_ok) {
        e->note = "filters do not match";
        return false;
    }
    if (r->calling.code != NULL)
        e->calling_matched = rewrite_run(&r->calling, res->calling,
                                         st->calling_after, &calling_long);
    if (r->called.code != NULL)
        e->called_matched = rewrite_run(&r->called, res->called,
                                        st->called_after, &called_long);
    e->applied = e->calling_matched || e->called_matched ||
                 (r->calling.code == NULL && r->called.code == NULL);
    if (!e->applied) {
        e->note = "no regex matched";
        return false;
    }
    step_record(res, rec, e);
    res->chain_limit = rec->cont && res->n_steps == XLAT_MAX_CHAIN;
    if (calling_long || called_long)
        e->note = "result too long, number left unchanged";
    else if (!rec->cont)
        e->note = "stopped: continue is false";
    else if (res->chain_limit)
        e->note = "stopped: chain limit reached";
    return !rec->cont || res->chain_limit;
}

/* Copies number s (NULL = "") into dst.  Returns -1, leaving dst "", when
 * it does not fit. */
static int number_copy(char *dst, const char *s)
{
    size_t len = s == NULL ? 0 : strnlen(s, XLAT_MAX_NUM);

    dst[0] = '\0';
    if (len >= XLAT_MAX_NUM)
        return -1;
    memcpy(dst, s == NULL ? "" : s, len + 1);
    return 0;
}

int xlat_apply(const struct xlat_set *s, const char *calling,
               const char *called, const char *source_smsc,
               struct xlat_result *out, xlat_trace_fn trace, void *arg)
{
    int calling_rc = number_copy(out->calling, calling);
    int called_rc = number_copy(out->called, called);

    out->changed = false;
    out->n_steps = 0;
    out->chain_limit = false;
    if (calling_rc != 0 || called_rc != 0)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        struct xlat_eval e;
        bool stop = rule_run(&s->rules[i], source_smsc, out, &e);

        if (trace != NULL)
            trace(&e, arg);
        if (stop)
            break;
    }
    out->changed = strcmp(out->calling, calling ? calling : "") != 0 ||
                   strcmp(out->called, called ? called : "") != 0;
    return 0;
}
