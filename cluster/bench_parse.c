/* bench_parse — the bench's HTTP/1.1 answer parser: status line, the
 * headers it needs (Content-Length, Transfer-Encoding: chunked,
 * Connection: close), then the body skipped or collected.
 *
 * It works on the connection's input evbuffer in place: a line is found
 * with evbuffer_search_eol and read with evbuffer_pullup, body bytes are
 * drained (or moved into p->body), so an answer costs no allocation.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster/bench.h"

#define LINE_MAX_LEN 8192

void bench_parser_reset(struct bench_parser *p)
{
    p->state = BP_STATUS;
    p->status = 0;
    p->close = false;
    p->chunked = false;
    p->clen = -1;
    p->left = 0;
    if (p->body)
        evbuffer_drain(p->body, evbuffer_get_length(p->body));
}

/* The next line of in (without its CRLF) into *line, NUL-free; 1 when one
 * is there, 0 when not yet, -1 when too long.  The caller drains *total. */
static int next_line(struct evbuffer *in, const char **line, size_t *len,
                     size_t *total)
{
    size_t eol_len;
    struct evbuffer_ptr e =
        evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
    if (e.pos < 0)
        return evbuffer_get_length(in) > LINE_MAX_LEN ? -1 : 0;
    *len = (size_t)e.pos;
    *total = *len + eol_len;
    *line = (const char *)evbuffer_pullup(in, (ev_ssize_t)*total);
    return 1;
}

static bool header_is(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

/* The value of a header line, blanks trimmed, into buf. */
static const char *header_value(const char *line, size_t len, char *buf,
                                size_t buflen)
{
    const char *v = (const char *)memchr(line, ':', len) + 1;
    size_t n = len - (size_t)(v - line);
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n >= buflen)
        n = buflen - 1;
    memcpy(buf, v, n);
    buf[n] = '\0';
    return buf;
}

static int status_line(struct bench_parser *p, const char *line, size_t len)
{
    /* "HTTP/1.1 201 Created" */
    if (len < 12 || strncmp(line, "HTTP/1.", 7) != 0 || line[8] != ' ')
        return -1;
    int st = 0;
    for (int i = 9; i < 12; i++) {
        if (line[i] < '0' || line[i] > '9')
            return -1;
        st = st * 10 + (line[i] - '0');
    }
    p->status = st;
    if (line[7] == '0')
        p->close = true; /* HTTP/1.0 closes unless told otherwise */
    return 0;
}

static int header_line(struct bench_parser *p, const char *line, size_t len)
{
    char v[64];
    if (header_is(line, len, "Content-Length")) {
        char *end;
        p->clen = strtoll(header_value(line, len, v, sizeof v), &end, 10);
        if (*end || p->clen < 0)
            return -1;
    } else if (header_is(line, len, "Transfer-Encoding")) {
        p->chunked = strcasecmp(header_value(line, len, v, sizeof v),
                                "chunked") == 0;
    } else if (header_is(line, len, "Connection")) {
        header_value(line, len, v, sizeof v);
        p->close = strcasecmp(v, "close") == 0;
    }
    return 0;
}

/* After the blank line: where the body is. 1 when there is none. */
static int body_start(struct bench_parser *p)
{
    if (p->status < 200 || p->status == 204 || p->status == 304)
        return 1;
    if (p->chunked) {
        p->state = BP_CHUNK_SIZE;
    } else if (p->clen >= 0) {
        p->left = (size_t)p->clen;
        p->state = BP_BODY;
        return p->left == 0;
    } else {
        p->close = true;
        p->state = BP_UNTIL_CLOSE;
    }
    return 0;
}

/* Moves up to p->left body bytes out of in; true when none are left. */
static bool take_body(struct bench_parser *p, struct evbuffer *in)
{
    size_t n = evbuffer_get_length(in);
    if (n > p->left)
        n = p->left;
    if (p->keep_body && p->body)
        evbuffer_remove_buffer(in, p->body, n);
    else
        evbuffer_drain(in, n);
    p->left -= n;
    return p->left == 0;
}

int bench_parse(struct bench_parser *p, struct evbuffer *in)
{
    for (;;) {
        const char *line = NULL;
        size_t len = 0, total = 0;
        int r;
        switch (p->state) {
        case BP_STATUS:
        case BP_HEADERS:
        case BP_CHUNK_SIZE:
        case BP_CHUNK_CRLF:
        case BP_TRAILER:
            r = next_line(in, &line, &len, &total);
            if (r <= 0)
                return r;
            break;
        case BP_BODY:
            if (!take_body(p, in))
                return 0;
            return 1;
        case BP_CHUNK_DATA:
            if (!take_body(p, in))
                return 0;
            p->state = BP_CHUNK_CRLF;
            continue;
        case BP_UNTIL_CLOSE:
            /* the answer ends with the connection: the caller sees EOF */
            p->left = evbuffer_get_length(in);
            take_body(p, in);
            return 0;
        }
        int done = 0;
        if (p->state == BP_STATUS) {
            if (len == 0) { /* tolerate a stray CRLF between answers */
                evbuffer_drain(in, total);
                continue;
            }
            if (status_line(p, line, len) != 0)
                return -1;
            p->state = BP_HEADERS;
        } else if (p->state == BP_HEADERS) {
            if (len == 0) {
                done = body_start(p);
            } else if (header_line(p, line, len) != 0) {
                return -1;
            }
        } else if (p->state == BP_CHUNK_SIZE) {
            char *end;
            char hex[24];
            size_t n = len < sizeof hex - 1 ? len : sizeof hex - 1;
            memcpy(hex, line, n);
            hex[n] = '\0';
            unsigned long long sz = strtoull(hex, &end, 16);
            if (end == hex)
                return -1;
            p->left = (size_t)sz;
            p->state = sz ? BP_CHUNK_DATA : BP_TRAILER;
        } else if (p->state == BP_CHUNK_CRLF) {
            if (len != 0)
                return -1;
            p->state = BP_CHUNK_SIZE;
        } else if (len == 0) { /* BP_TRAILER: ends at the blank line */
            done = 1;
        }
        evbuffer_drain(in, total);
        if (done)
            return 1;
    }
}

int bench_count_items(struct bench_parser *p)
{
    if (p->body == NULL)
        return 0;
    size_t n = evbuffer_get_length(p->body);
    const char *s = (const char *)evbuffer_pullup(p->body, -1);
    int count = 0;
    for (const char *at = s; at && (size_t)(at - s) < n;) {
        at = memmem(at, n - (size_t)(at - s), "\"id\":", 5);
        if (at) {
            count++;
            at += 5;
        }
    }
    return count;
}
