/* cdr_values — rows and events as SQL text and back, SQL timestamps, and
 * the SELECTs of search and events with their parameters: the pieces the
 * SQLite, PostgreSQL and MySQL backends share so that they store and read
 * the very same values.  Pure; any thread.
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
    "cluster_id, message_id, event_epoch, name, description, event_source, "
    "inserted_at";

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

void cdr_event_values(const struct cdr_event *e, const char *cluster_id,
                      int64_t now, bool frac, struct cdr_ev_vals *out)
{
    size_t at = 0, cap = sizeof(out->buf);
    const char **v = out->v;

    v[0] = cluster_id;
    v[1] = put_num(out->buf, cap, &at, e->message_id);
    v[2] = put_num(out->buf, cap, &at, e->event_epoch);
    v[3] = e->name;
    v[4] = e->description;
    v[5] = e->event_source;
    v[6] = put_time(out->buf, &at,
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

/* vals: the CDR_EV_NCOLS columns in cdr_event_columns order. */
int cdr_event_from_text(struct cdr_event *e, const char *const vals[])
{
    if (parse_i64(vals[1], &e->message_id) != 0 ||
        parse_i64(vals[2], &e->event_epoch) != 0)
        return -1;
    e->name = xstrdup(vals[3]);
    e->description = xstrdup(vals[4]);
    e->event_source = xstrdup(vals[5]);
    return parse_time(vals[6], &e->inserted_at);
}

void cdr_reader_init(struct cdr_reader *rd, bool events)
{
    memset(rd, 0, sizeof(*rd));
    rd->events = events;
    rd->ncols = events ? CDR_EV_NCOLS : 1 + CDR_NCOLS;
}

int cdr_reader_add(struct cdr_reader *rd, const char *const vals[])
{
    if (rd->n == rd->cap) {
        rd->cap = rd->cap ? rd->cap * 2 : 16;
        if (rd->events)
            rd->evs = xrealloc(rd->evs, rd->cap * sizeof(*rd->evs));
        else
            rd->rows = xrealloc(rd->rows, rd->cap * sizeof(*rd->rows));
    }
    /* Counted before parsing: a half-filled item is freed with the rest. */
    if (rd->events) {
        cdr_event_init(&rd->evs[rd->n++]);
        return cdr_event_from_text(&rd->evs[rd->n - 1], vals);
    }
    cdr_row_init(&rd->rows[rd->n++]);
    return cdr_row_from_text(&rd->rows[rd->n - 1], vals);
}

void cdr_reader_free(struct cdr_reader *rd)
{
    if (rd->events)
        cdr_events_free(rd->evs, rd->n);
    else
        cdr_rows_free(rd->rows, rd->n);
    cdr_reader_init(rd, rd->events);
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

void cdr_sql_params_init(struct cdr_sql_params *p, char ph,
                         void (*quote)(void *ctx, struct buf *sql,
                                       const char *value),
                         void *ctx, bool frac)
{
    memset(p, 0, sizeof(*p));
    p->ph = ph;
    p->quote = quote;
    p->ctx = ctx;
    p->frac = frac;
}

void cdr_sql_param(struct buf *sql, struct cdr_sql_params *p,
                   const char *value)
{
    char tmp[16];

    if (p->ph == 0) {
        p->quote(p->ctx, sql, value);
        return;
    }
    p->v[p->n++] = value;
    snprintf(tmp, sizeof(tmp), "%c%d", p->ph, p->n);
    cdr_buf_puts(sql, tmp);
}

/* A time or number parameter: its text lives in p->text. */
static void param_time(struct buf *sql, struct cdr_sql_params *p, int64_t ms)
{
    char *t = p->text[p->n];

    cdr_time_sql(ms, p->frac, t);
    cdr_sql_param(sql, p, t);
}

static void param_i64(struct buf *sql, struct cdr_sql_params *p, int64_t v)
{
    char *t = p->text[p->n];

    snprintf(t, CDR_TIME_SQL_LEN, "%" PRId64, v);
    cdr_sql_param(sql, p, t);
}

void cdr_search_sql(struct buf *sql, const struct cdr_query *q,
                    struct cdr_sql_params *p)
{
    const char *sep = " WHERE ";
    char tmp[128];

    cdr_buf_puts(sql, "SELECT ");
    cdr_buf_puts(sql, cdr_select_columns);
    cdr_buf_puts(sql, " FROM cdrs");
    if (q->msisdn != NULL) {
        cdr_buf_puts(sql, " WHERE (calling_number = ");
        cdr_sql_param(sql, p, q->msisdn);
        cdr_buf_puts(sql, " OR called_number = ");
        cdr_sql_param(sql, p, q->msisdn);
        cdr_buf_puts(sql, ")");
        sep = " AND ";
    }
    if (q->status != NULL) {
        cdr_buf_puts(sql, sep);
        cdr_buf_puts(sql, "status = ");
        cdr_sql_param(sql, p, q->status);
        sep = " AND ";
    }
    if (q->from_ms != CDR_TIME_NULL) {
        cdr_buf_puts(sql, sep);
        cdr_buf_puts(sql, "submission_time >= ");
        param_time(sql, p, q->from_ms);
        sep = " AND ";
    }
    if (q->to_ms != CDR_TIME_NULL) {
        cdr_buf_puts(sql, sep);
        cdr_buf_puts(sql, "submission_time < ");
        param_time(sql, p, q->to_ms);
    }
    snprintf(tmp, sizeof(tmp), " ORDER BY submission_time DESC, id DESC"
             " LIMIT %zu OFFSET %zu", q->limit != 0 ? q->limit : 100,
             q->offset);
    cdr_buf_puts(sql, tmp);
}

void cdr_events_sql(struct buf *sql, const char *cluster_id,
                    int64_t message_id, struct cdr_sql_params *p)
{
    cdr_buf_puts(sql, "SELECT ");
    cdr_buf_puts(sql, cdr_event_columns);
    cdr_buf_puts(sql, " FROM message_events WHERE cluster_id = ");
    cdr_sql_param(sql, p, cluster_id);
    cdr_buf_puts(sql, " AND message_id = ");
    param_i64(sql, p, message_id);
    cdr_buf_puts(sql, " ORDER BY event_epoch, id");
}
