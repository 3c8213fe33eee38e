/* fieldjson — the engine behind the API's JSON record codecs (tablejson,
 * mediajson, frontendjson): a record type is described once as a table of
 * its JSON fields, and this module applies a request body to a record and
 * renders a record back, refusing bad input with a detail that names the
 * field ("priority must be an integer from 1 to 255", "unknown field foo").
 *
 * Modes: FJ_CREATE starts from the type's defaults; FJ_PATCH starts from
 * the current record and changes only the keys present; FJ_IMPORT is like
 * CREATE and also takes the read-only id (FJ_ID) and stamp (FJ_STAMP)
 * fields, which the other modes accept and ignore.
 *
 * Pure (no I/O, no globals), any thread.
 */
#ifndef SMSC_FIELDJSON_H
#define SMSC_FIELDJSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fj_mode {
    FJ_CREATE = 0,
    FJ_PATCH = 1,
    FJ_IMPORT = 2,
};

enum fj_kind {
    FJ_STR,      /* char *: string or null, at most .max bytes */
    FJ_OPT,      /* char *: like FJ_STR, and "" means null ("any") */
    FJ_BOOL,     /* bool */
    FJ_INT,      /* int32_t in [.min, .max] */
    FJ_SIZE,     /* int64_t: an integer >= 0 */
    FJ_TIME,     /* int64_t ms: RFC 3339 or null (TIME_NULL) */
    FJ_TIME_SET, /* int64_t ms: RFC 3339, null refused */
    FJ_ENUM,     /* uint8_t: a name of .en */
    FJ_JSON,     /* char *: any JSON value as compact text, at most .max */
    FJ_ID,       /* int64_t record id: read-only, taken on IMPORT */
    FJ_STAMP,    /* int64_t ms, inserted_at / updated_at: likewise */
    FJ_IGNORE,   /* read-only key of the rendered record: ignored */
    FJ_CUSTOM,   /* taken by .take, never rendered here */
};

/* An enumeration stored as uint8_t: parse and name as in raft_store;
 * choices completes "X must be one of %s".  When nullable, null and ""
 * store null_value. */
struct fj_enum {
    int (*parse)(const char *name, int *out);
    const char *(*name)(int value);
    const char *choices;
    bool nullable;
    int null_value;
};

struct fj_ctx;
struct fj_field;

/* FJ_CUSTOM: applies v to the field at p (rec + .off); 0 or fj_fail. */
typedef int (*fj_take_fn)(const struct fj_field *f, json_t *v, void *p,
                          struct fj_ctx *c);

struct fj_field {
    const char *name;
    enum fj_kind kind;
    size_t off;
    int64_t min, max;
    const struct fj_enum *en; /* FJ_ENUM */
    fj_take_fn take;          /* FJ_CUSTOM */
};

/* The state of one decode: the mode, the caller's error buffer, the HTTP
 * status of the refusal, and the id key IMPORT took (if any). */
struct fj_ctx {
    enum fj_mode mode;
    char *err;
    size_t errlen;
    int status;
    const char *id_key;
};

/* A record type: its fields, and the functions (on a struct of .size
 * bytes) that set defaults, deep-copy, free, and check the whole record
 * (check may be NULL). */
struct fj_type {
    const struct fj_field *fields;
    size_t nfields;
    size_t size;
    void (*init)(void *rec);
    void (*copy)(void *dst, const void *src);
    void (*free)(void *rec);
    int (*check)(const void *rec, struct fj_ctx *c);
};

#define FJ_NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* Generates static void-pointer adapters name##_init_v, _copy_v, _free_v
 * for name##_rec_init/_copy/_free of struct type. */
#define FJ_REC_OPS(name, type)                                                 \
    static void name##_init_v(void *r) { name##_rec_init((type *)r); }         \
    static void name##_copy_v(void *d, const void *s)                          \
    {                                                                          \
        name##_rec_copy((type *)d, (const type *)s);                           \
    }                                                                          \
    static void name##_free_v(void *r) { name##_rec_free((type *)r); }

/* Records a refusal: the detail in c->err, status in c->status.  Returns
 * -1. */
int fj_fail(struct fj_ctx *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fills rec (of type t) from o in mode: CREATE/IMPORT treat rec as
 * output-only, PATCH as the current record.  The body is applied to a
 * private copy and t->check run on it; on success rec takes the result
 * (a patched rec's old contents are freed).  Returns 0, or the HTTP
 * status with the detail in err; rec is then unchanged (PATCH) or at its
 * defaults (otherwise) and the caller frees it as usual. */
int fj_from_json(const struct fj_type *t, json_t *o, void *rec,
                 enum fj_mode mode, char *err, size_t errlen);

/* A new object with every field but FJ_IGNORE / FJ_CUSTOM of rec, in
 * table order; the caller owns it. */
json_t *fj_to_json(const struct fj_field *fields, size_t n, const void *rec);

/* True for 5 to 15 decimal digits. */
bool fj_valid_imsi(const char *s);

#endif
