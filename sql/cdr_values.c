/* cdr_values — rows and events as SQL text and back, SQL timestamps, and
 * the search clause: the pieces the SQLite, PostgreSQL and MySQL backends
 * share so that they store and read the very same values.  Pure; any
 * thread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timefmt.h"
#include "common/xalloc.h"
#include "sql/cdr_internal.h"

const char cdr_insert_columns[] =
    "message_id, calling_number, called_number, source_smsc, dest_smsc, "
    "origin_node, destination_node, submission_time, delivery_time, "
    "expiry_time, status, delivery_attempts, message_parts, deadletter, "
    "message_body, inserted_at, updated_at";

const char cdr_select_columns[] =
    "id, message_id, calling_number, called_number, source_smsc, dest_smsc, "
    "origin_node, destination_node, submission_time, delivery_time, "
    "expiry_time, status, delivery_attempts, message_parts, deadletter, "
    "message_body, inserted_at, updated_at";

const char cdr_event_columns[] =
    "message_id, event_epoch, name, description, event_source, inserted_at";

/* Built on time_format (floors toward -inf, clamps to years 0000..9999). */
void cdr_time_sql(int64_t ms, bool frac, char out[CDR_TIME_SQL_LEN])
{
    char iso[TIMEFMT_LEN];
    int64_t rem = ms % 1000;

    if (rem < 0)
        rem += 1000;
    time_format(ms, iso);     /* "YYYY-MM-DDTHH:MM:SSZ" */
    iso[10] = ' ';
    iso[19] = '\0';
    memcpy(out, iso, 20);
    if (frac) {
        out[19] = '.';
        out[20] = (char)('0' + rem / 100);
        out[21] = (char)('0' + rem / 10 % 10);
        out[22] = (char)('0' + rem % 10);
        out[23] = '\0';
    }
}

int cdr_time_from_sql(const char *s, int64_t *ms)
{
    char tmp[64];
    size_t len = strlen(s);

    if (len == 0 || len + 2 > sizeof(tmp))
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = 'Z';
    tmp[len + 1] = '\0';
    return time_parse(tmp, ms);
}

/* Writes a formatted value into the scratch area at *at. */
static const char *put_num(char *buf, size_t cap, size_t *at, int64_t v)
{
    char *p = buf + *at;
    int len = snprintf(p, cap - *at, "%" PRId64, v);

    *at += (size_t)len + 1;
    return p;
}

static const char *put_time(char *buf, size_t *at, int64_t ms, bool frac)
{
    char *p = buf + *at;

    if (ms == CDR_TIME_NULL)
        return NULL;
    cdr_time_sql(ms, frac, p);
    *at += strlen(p) + 1;
    return p;
}

void cdr_row_values(const struct cdr_row *r, int64_t now, bool frac,
                    struct cdr_vals *out)
{
    size_t at = 0, cap = sizeof(out->buf);
    int64_t ins = r->inserted_at != CDR_TIME_NULL ? r->inserted_at : now;
    int64_t upd = r->updated_at != CDR_TIME_NULL ? r->updated_at : ins;
    const char **v = out->v;

    v[0] = put_num(out->buf, cap, &at, r->message_id);
    v[1] = r->calling_number;
    v[2] = r->called_number;
    v[3] = r->source_smsc;
    v[4] = r->dest_smsc;
    v[5] = r->origin_node;
    v[6] = r->destination_node;
    v[7] = put_time(out->buf, &at, r->submission_time, frac);
    v[8] = put_time(out->buf, &at, r->delivery_time, frac);
    v[9] = put_time(out->buf, &at, r->expiry_time, frac);
    v[10] = r->status;
    v[11] = put_num(out->buf, cap, &at, r->delivery_attempts);
    v[12] = r->message_parts < 0 ? NULL
                                 : put_num(out->buf, cap, &at, r->message_parts);
    v[13] = r->deadletter ? "1" : "0";
    v[14] = r->message_body;
    v[15] = put_time(out->buf, &at, ins, frac);
    v[16] = put_time(out->buf, &at, upd, frac);
}

void cdr_event_values(const struct cdr_event *e, int64_t now, bool frac,
                      struct cdr_ev_vals *out)
{
    size_t at = 0, cap = sizeof(out->buf);
    const char **v = out->v;

    v[0] = put_num(out->buf, cap, &at, e->message_id);
    v[1] = put_num(out->buf, cap, &at, e->event_epoch);
    v[2] = e->name;
    v[3] = e->description;
    v[4] = e->event_source;
    v[5] = put_time(out->buf, &at,
                    e->inserted_at != CDR_TIME_NULL ? e->inserted_at : now,
                    frac);
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v;

    if (s == NULL || *s == '\0')
        return -1;
    v = strtoll(s, &end, 10);
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int parse_time(const char *s, int64_t *out)
{
    if (s == NULL) {
        *out = CDR_TIME_NULL;
        return 0;
    }
    return cdr_time_from_sql(s, out);
}

/* vals: id, then the CDR_NCOLS columns in cdr_insert_columns order. */
int cdr_row_from_text(struct cdr_row *r, const char *const vals[])
{
    const char *const *v = vals + 1;
    int64_t n = 0;

    if (parse_i64(vals[0], &r->id) != 0 || parse_i64(v[0], &r->message_id) != 0)
        return -1;
    r->calling_number = xstrdup(v[1]);
    r->called_number = xstrdup(v[2]);
    r->source_smsc = xstrdup(v[3]);
    r->dest_smsc = xstrdup(v[4]);
    r->origin_node = xstrdup(v[5]);
    r->destination_node = xstrdup(v[6]);
    if (parse_time(v[7], &r->submission_time) != 0 ||
        parse_time(v[8], &r->delivery_time) != 0 ||
        parse_time(v[9], &r->expiry_time) != 0)
        return -1;
    r->status = xstrdup(v[10]);
    if (v[11] != NULL && parse_i64(v[11], &n) != 0)
        return -1;
    r->delivery_attempts = (int)n;
    n = -1;
    if (v[12] != NULL && parse_i64(v[12], &n) != 0)
        return -1;
    r->message_parts = (int)n;
    r->deadletter = v[13] != NULL && (v[13][0] == '1' || v[13][0] == 't');
    r->message_body = xstrdup(v[14]);
    if (parse_time(v[15], &r->inserted_at) != 0 ||
        parse_time(v[16], &r->updated_at) != 0)
        return -1;
    return 0;
}

int64_t cdr_batch_max_seq(const struct cdr_row *rows, size_t n,
                          const struct cdr_event *events, size_t m,
                          int64_t floor)
{
    int64_t max = floor;

    for (size_t i = 0; i < n; i++)
        if (rows[i].seq > max)
            max = rows[i].seq;
    for (size_t i = 0; i < m; i++)
        if (events[i].seq > max)
            max = events[i].seq;
    return max;
}

void cdr_buf_puts(struct buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

const char *cdr_buf_cstr(struct buf *b)
{
    buf_reserve(b, 1);
    b->data[b->len] = '\0';
    return (const char *)b->data;
}

static void put_param(struct buf *sql, char ph, const char *const lit[3],
                      int which, int params[3], int *np)
{
    char tmp[16];

    params[*np] = which;
    (*np)++;
    if (lit != NULL) {
        cdr_buf_puts(sql, lit[which]);
        return;
    }
    snprintf(tmp, sizeof(tmp), "%c%d", ph, *np);
    cdr_buf_puts(sql, tmp);
}

int cdr_search_where(struct buf *sql, const struct cdr_query *q, char ph,
                     const char *const lit[3], int params[3])
{
    const char *sep = " WHERE ";
    char tmp[128];
    int np = 0;

    if (q->msisdn != NULL) {
        cdr_buf_puts(sql, " WHERE (calling_number = ");
        put_param(sql, ph, lit, 0, params, &np);
        cdr_buf_puts(sql, " OR called_number = ");
        if (lit != NULL)
            cdr_buf_puts(sql, lit[0]);
        else {
            snprintf(tmp, sizeof(tmp), "%c%d", ph, np);
            cdr_buf_puts(sql, tmp);
        }
        cdr_buf_puts(sql, ")");
        sep = " AND ";
    }
    if (q->from_ms != CDR_TIME_NULL) {
        cdr_buf_puts(sql, sep);
        cdr_buf_puts(sql, "submission_time >= ");
        put_param(sql, ph, lit, 1, params, &np);
        sep = " AND ";
    }
    if (q->to_ms != CDR_TIME_NULL) {
        cdr_buf_puts(sql, sep);
        cdr_buf_puts(sql, "submission_time < ");
        put_param(sql, ph, lit, 2, params, &np);
    }
    snprintf(tmp, sizeof(tmp), " ORDER BY submission_time DESC, id DESC"
             " LIMIT %zu OFFSET %zu", q->limit != 0 ? q->limit : 100,
             q->offset);
    cdr_buf_puts(sql, tmp);
    return np;
}
