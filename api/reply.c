/* reply — the one way answers leave the API: the SPEC §3 envelope
 * ({"data": ...} or {"errors": {"detail": ...}}), request-context
 * lifetime, and small helpers to read queries, headers and bodies.
 */
#include "api/api_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <sys/queue.h>

#include "common/log.h"
#include "common/timefmt.h"
#include "common/xalloc.h"

static void free_req(struct api_req *r)
{
    if (r->query_parsed)
        evhttp_clear_headers(&r->query);
    if (r->body)
        json_decref(r->body);
    if (r->timer)
        event_free(r->timer);
    free(r->path_id);
    free(r->fwd_body);
    free(r->fwd_json);
    free(r->cmd);
    free(r->lease_ids);
    free(r->call.result.ids);
    if (r->cdr_job)
        api_cdr_job_free(r->cdr_job);
    if (r->restore_job)
        api_restore_job_free(r->restore_job);
    atomic_fetch_sub(&r->t->api->inflight_requests, 1);
    free(r);
}

void api_req_release(struct api_req *r)
{
    if (r->answered && r->pending == 0)
        free_req(r);
}

/* A 5xx answer is an event worth a line (at most LOG_5XX_PER_SECOND a
 * second, so an overload does not flood the log). */
#define LOG_5XX_PER_SECOND 10

static void log_server_error(struct api_req *r, int status,
                             struct evbuffer *body)
{
    static _Atomic int64_t second;
    static atomic_int lines;
    int64_t now = time_mono_ms() / 1000;
    int64_t was = atomic_load(&second);
    if (was != now && atomic_compare_exchange_strong(&second, &was, now))
        atomic_store(&lines, 0);
    if (atomic_fetch_add(&lines, 1) >= LOG_5XX_PER_SECOND)
        return;
    char detail[160] = "";
    if (body) {
        size_t n = evbuffer_get_length(body);
        if (n >= sizeof detail)
            n = sizeof detail - 1;
        evbuffer_copyout(body, detail, n);
        detail[n] = '\0';
    }
    log_warn("http %s %s -> %d request_id=%s %s",
             r->route ? r->route->pattern : "-",
             evhttp_request_get_uri(r->req), status, r->rid, detail);
}

static void send_reply(struct api_req *r, int status, struct evbuffer *body)
{
    if (r->answered) {
        if (body)
            evbuffer_free(body);
        return;
    }
    r->answered = true;
    api_observe_reply(r, status);
    if (status >= 500)
        log_server_error(r, status, body);
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
    evhttp_add_header(h, "X-Request-Id", r->rid);
    if (log_enabled(LOG_DEBUG))
        log_debug("http %s %s -> %d in %lld ms request_id=%s",
                  r->route ? r->route->pattern : "-",
                  evhttp_request_get_uri(r->req), status,
                  (long long)(time_mono_ms() - r->started_ms), r->rid);
    evhttp_send_reply(r->req, status, NULL, body);
    if (body)
        evbuffer_free(body);
    r->req = NULL;
}

void api_reply_raw(struct api_req *r, int status, const char *ctype,
                   const void *body, size_t len)
{
    if (r->answered)
        return;
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, body, len);
    if (ctype)
        evhttp_add_header(evhttp_request_get_output_headers(r->req),
                          "Content-Type", ctype);
    send_reply(r, status, b);
}

/* Answer bodies are recycled: a page of 100 messages is ~90 KB, and a
 * fresh block of that size per answer costs page faults (glibc maps or
 * trims such blocks) on every request.  A few buffers wait here between
 * answers; the evbuffer hands each back once its bytes are sent. */
#define BODY_POOL 16
#define BODY_POOL_CAP (1u << 20) /* larger ones are freed */

static pthread_mutex_t body_pool_mu = PTHREAD_MUTEX_INITIALIZER;
static struct buf *body_pool[BODY_POOL];
static int body_pool_n;

void api_body_init(struct buf *b)
{
    struct buf *h = NULL;
    pthread_mutex_lock(&body_pool_mu);
    if (body_pool_n > 0)
        h = body_pool[--body_pool_n];
    pthread_mutex_unlock(&body_pool_mu);
    buf_init(b);
    if (h) {
        *b = *h;
        b->len = 0;
        free(h);
    }
}

static void body_sent(const void *data, size_t len, void *arg)
{
    struct buf *h = arg;
    (void)data;
    (void)len;
    if (h->cap <= BODY_POOL_CAP) {
        pthread_mutex_lock(&body_pool_mu);
        if (body_pool_n < BODY_POOL) {
            body_pool[body_pool_n++] = h;
            h = NULL;
        }
        pthread_mutex_unlock(&body_pool_mu);
    }
    if (h) {
        buf_free(h);
        free(h);
    }
}

void api_reply_buf(struct api_req *r, int status, struct buf *body)
{
    if (r->answered) {
        buf_free(body);
        return;
    }
    struct evbuffer *b = evbuffer_new();
    struct buf *h = xmalloc(sizeof *h);
    *h = *body;
    buf_init(body);
    /* one chain, no copy */
    if (evbuffer_add_reference(b, h->data, h->len, body_sent, h) != 0)
        body_sent(NULL, 0, h);
    evhttp_add_header(evhttp_request_get_output_headers(r->req),
                      "Content-Type", "application/json");
    send_reply(r, status, b);
}

/* jansson dumps token by token: collected in one buf, handed to libevent
 * at once (an evbuffer_add per token was 15 % of a list answer). */
static int dump_cb(const char *buf, size_t size, void *data)
{
    buf_put(data, buf, size);
    return 0;
}

void api_reply_json(struct api_req *r, int status, json_t *body)
{
    if (r->answered) {
        json_decref(body);
        return;
    }
    struct buf b;
    api_body_init(&b);
    buf_reserve(&b, 256);
    json_dump_callback(body, dump_cb, &b, JSON_COMPACT);
    json_decref(body);
    api_reply_buf(r, status, &b);
}

void api_reply_data(struct api_req *r, int status, json_t *data)
{
    api_reply_json(r, status, json_pack("{s:o}", "data", data));
}

void api_reply_error(struct api_req *r, int status, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    api_reply_json(r, status,
                   json_pack("{s:{s:s}}", "errors", "detail", detail));
}

void api_reply_empty(struct api_req *r, int status)
{
    send_reply(r, status, NULL);
}

bool api_reply_result_error(struct api_req *r, const struct store_result *res)
{
    if (res->status < 400)
        return false;
    api_reply_error(r, res->status, "%s", res->detail);
    return true;
}

const char *api_query(struct api_req *r, const char *key)
{
    if (!r->query_parsed) {
        TAILQ_INIT(&r->query);
        const char *q = evhttp_uri_get_query(
            evhttp_request_get_evhttp_uri(r->req));
        if (q)
            evhttp_parse_query_str(q, &r->query);
        r->query_parsed = true;
    }
    return evhttp_find_header(&r->query, key);
}

const char *api_header(struct api_req *r, const char *key)
{
    return evhttp_find_header(evhttp_request_get_input_headers(r->req), key);
}

int api_parse_body(struct api_req *r, bool allow_empty)
{
    if (r->body != NULL)
        return 0; /* parsed already (a handler running again on a retry) */
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    size_t len = evbuffer_get_length(in);
    if (len == 0 && allow_empty) {
        r->body = json_object();
        return 0;
    }
    const char *p = (const char *)evbuffer_pullup(in, -1);
    json_error_t e;
    r->body = json_loadb(p ? p : "", len, JSON_REJECT_DUPLICATES, &e);
    if (r->body == NULL) {
        api_reply_error(r, 400, "Malformed JSON body: %s at line %d column %d",
                        e.text, e.line, e.column);
        return -1;
    }
    if (!json_is_object(r->body)) {
        api_reply_error(r, 400, "Request body must be a JSON object");
        return -1;
    }
    return 0;
}

int api_query_int(struct api_req *r, const char *key, long min, long max,
                  long dflt, long *out)
{
    const char *v = api_query(r, key);
    *out = dflt;
    if (v == NULL)
        return 0;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || errno != 0 || n < min || n > max) {
        api_reply_error(r, 422, "%s must be an integer between %ld and %ld",
                        key, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

int64_t api_path_id(struct api_req *r)
{
    if (r->path_id == NULL || r->path_id[0] == '\0')
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(r->path_id, &end, 10);
    if (*end != '\0' || errno != 0 || v <= 0)
        return -1;
    return v;
}
