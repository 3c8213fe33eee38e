/* record_fixture — test helpers shared by the record codec tests
 * (test_tables.c, test_media.c): field-by-field equality, long strings and
 * body templates, and the checks every record type passes — a deep copy,
 * binary round trips, truncation at every length, and a table of JSON
 * bodies with the status and detail each must get.
 *
 * Include after the record interface (tables_fixture.h or media_fixture.h:
 * enum kind, union rec, rec_init, rec_free, rec_copy, rec_encode, rec_decode,
 * rec_from_json) and after defining
 *   - rec_mode, a typedef of the codec's mode enum, and CREATE and PATCH,
 *     two of its values;
 *   - base_body[], for each kind a body that CREATE accepts.
 * The includer defines rec_eq (declared here), with EQ and EQ_STR.
 * Single-threaded, cmocka. */
#ifndef SMSC_RECORD_FIXTURE_H
#define SMSC_RECORD_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/buf.h"
#include "common/xalloc.h"

/* ---- field-by-field equality ---- */

static inline void assert_str_same(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

#define EQ(f) assert_true(a->f == b->f)
#define EQ_STR(f) assert_str_same(a->f, b->f)

static void rec_eq(enum kind k, const union rec *a, const union rec *b);

/* ---- strings ---- */

/* n copies of c; the caller frees it. */
static inline char *repeat(char c, size_t n)
{
    char *s = xmalloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* The body with its "%L" (if any) replaced by len 'a's; the caller frees
 * it. */
static inline char *expand(const char *tmpl, size_t len)
{
    const char *at = strstr(tmpl, "%L");
    if (at == NULL)
        return xstrdup(tmpl);
    size_t head = (size_t)(at - tmpl), tail = strlen(at + 2);
    char *s = xmalloc(head + len + tail + 1);
    memcpy(s, tmpl, head);
    memset(s + head, 'a', len);
    memcpy(s + head + len, at + 2, tail + 1);
    return s;
}

/* ---- sample records ---- */

struct sample {
    const char *name;
    enum kind kind;
    void (*fill)(union rec *);
    bool json_valid;
};

/* A copy shares nothing with its source. */
static inline void check_copy_is_deep(const struct sample *samples, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct sample *s = &samples[i];
        union rec a, b, c;
        s->fill(&a);
        rec_copy(s->kind, &b, &a);
        rec_free(s->kind, &a); /* poisons a's strings under ASan */
        s->fill(&c);
        rec_eq(s->kind, &b, &c);
        rec_free(s->kind, &b);
        rec_free(s->kind, &c);
    }
}

/* ---- binary codec ---- */

/* Each sample encodes, decodes to an equal record, re-encodes the same. */
static inline void check_binary_round_trip(const struct sample *samples,
                                           size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct sample *s = &samples[i];
        union rec a, b;
        struct buf b1, b2;
        buf_init(&b1);
        buf_init(&b2);
        s->fill(&a);
        rec_encode(s->kind, &b1, &a);
        struct rd rd;
        rd_init(&rd, b1.data, b1.len);
        assert_int_equal(rec_decode(s->kind, &rd, &b), 0);
        assert_true(rd_done(&rd));
        rec_eq(s->kind, &a, &b);
        rec_encode(s->kind, &b2, &b);
        assert_int_equal(b1.len, b2.len);
        assert_memory_equal(b1.data, b2.data, b1.len);
        rec_free(s->kind, &a);
        rec_free(s->kind, &b);
        buf_free(&b1);
        buf_free(&b2);
    }
}

/* No proper prefix of a sample's encoding decodes. */
static inline void check_binary_truncated(const struct sample *samples,
                                          size_t n)
{
    for (size_t i = 0; i < n; i++) {
        union rec a, b;
        struct buf enc;
        buf_init(&enc);
        samples[i].fill(&a);
        rec_encode(samples[i].kind, &enc, &a);
        for (size_t len = 0; len < enc.len; len++) {
            struct rd rd;
            rd_init(&rd, enc.data, len);
            if (rec_decode(samples[i].kind, &rd, &b) != -1 || rd.err == 0)
                fail_msg("%s: a %zu-byte prefix of %zu decoded",
                         samples[i].name, len, enc.len);
        }
        rec_free(samples[i].kind, &a);
        buf_free(&enc);
    }
}

/* ---- JSON ---- */

/* Runs from_json on text; PATCH applies it to the kind's base record. */
static inline int run_json(enum kind k, rec_mode mode, const char *text,
                           union rec *r, char *err, size_t len)
{
    if (mode == PATCH) {
        json_t *base = json_loads(base_body[k], 0, NULL);
        assert_int_equal(rec_from_json(k, base, r, CREATE, err, len), 0);
        json_decref(base);
    }
    json_t *o = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    assert_non_null(o);
    int st = rec_from_json(k, o, r, mode, err, len);
    json_decref(o);
    return st;
}

/* A refused body (422) leaves a patched record as it was, a created one
 * at its defaults. */
static inline void check_failure_keeps_record(enum kind k,
                                              void (*fill)(union rec *),
                                              const char *body)
{
    union rec r, before;
    char err[256];
    fill(&r);
    fill(&before);
    json_t *o = json_loads(body, 0, NULL);
    assert_int_equal(rec_from_json(k, o, &r, PATCH, err, sizeof err), 422);
    rec_eq(k, &r, &before);
    rec_free(k, &r); /* CREATE: r is output-only */
    assert_int_equal(rec_from_json(k, o, &r, CREATE, err, sizeof err), 422);
    rec_free(k, &before);
    rec_init(k, &before);
    rec_eq(k, &r, &before);
    json_decref(o);
}

struct json_case {
    enum kind kind;
    rec_mode mode;
    const char *body; /* "%L" stands for a run of 'a's of length len */
    size_t len;
    int status;       /* 0: accepted */
    const char *detail;
};

/* Each case gets its status and, word for word, its detail. */
static inline void check_json_cases(const struct json_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct json_case *c = &cases[i];
        char *body = expand(c->body, c->len);
        union rec r;
        char err[256] = "";
        int st = run_json(c->kind, c->mode, body, &r, err, sizeof err);
        if (st != c->status || strcmp(err, c->detail) != 0)
            fail_msg("case %zu %s: got %d '%s', want %d '%s'", i, c->body, st,
                     err, c->status, c->detail);
        rec_free(c->kind, &r);
        free(body);
    }
}

#endif
