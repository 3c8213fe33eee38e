/* http_client — a blocking request on a private event_base (see
 * http_client.h). */
#include "cluster/http_client.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "common/xalloc.h"

struct call {
    struct event_base *base;
    struct http_result *r;
};

static void done_cb(struct evhttp_request *req, void *arg)
{
    struct call *c = arg;
    struct http_result *r = c->r;
    /* the connection stays open (keep-alive): leave the loop now */
    event_base_loopexit(c->base, NULL);
    r->status = req ? evhttp_request_get_response_code(req) : 0;
    if (req == NULL || r->status == 0) {
        snprintf(r->error, sizeof r->error, "no answer (connection refused, "
                                            "reset or timed out)");
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    r->len = evbuffer_get_length(in);
    free(r->body);
    r->body = xmalloc(r->len + 1);
    evbuffer_copyout(in, r->body, r->len);
    r->body[r->len] = '\0';
}

static enum evhttp_cmd_type method_of(const char *m)
{
    if (strcmp(m, "POST") == 0)
        return EVHTTP_REQ_POST;
    if (strcmp(m, "PUT") == 0)
        return EVHTTP_REQ_PUT;
    if (strcmp(m, "PATCH") == 0)
        return EVHTTP_REQ_PATCH;
    if (strcmp(m, "DELETE") == 0)
        return EVHTTP_REQ_DELETE;
    return EVHTTP_REQ_GET;
}

static struct evhttp_connection *connect_to(struct event_base *base,
                                            const struct evhttp_uri *u,
                                            SSL_CTX **ctx)
{
    const char *scheme = evhttp_uri_get_scheme(u);
    const char *host = evhttp_uri_get_host(u);
    int port = evhttp_uri_get_port(u);
    bool tls = scheme && strcmp(scheme, "https") == 0;
    if (port < 0)
        port = tls ? 443 : 80;
    if (!tls)
        return evhttp_connection_base_new(base, NULL, host, (ev_uint16_t)port);
    *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(*ctx, TLS1_2_VERSION);
    SSL *ssl = SSL_new(*ctx);
    SSL_set_tlsext_host_name(ssl, host);
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    return evhttp_connection_base_bufferevent_new(base, NULL, bev, host,
                                                  (ev_uint16_t)port);
}

int http_call(const char *base_url, const char *method, const char *path,
              const char *body, const char *const *headers, int timeout_s,
              struct http_result *out)
{
    memset(out, 0, sizeof *out);
    out->body = xstrdup("");
    struct evhttp_uri *u = evhttp_uri_parse(base_url);
    if (u == NULL || evhttp_uri_get_host(u) == NULL) {
        snprintf(out->error, sizeof out->error, "bad URL %s", base_url);
        if (u)
            evhttp_uri_free(u);
        return -1;
    }
    struct event_base *base = event_base_new();
    SSL_CTX *ctx = NULL;
    struct evhttp_connection *c = connect_to(base, u, &ctx);
    evhttp_connection_set_timeout(c, timeout_s);
    struct call call = {base, out};
    struct evhttp_request *req = evhttp_request_new(done_cb, &call);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", evhttp_uri_get_host(u));
    for (const char *const *p = headers; p && *p; p++) {
        const char *colon = strchr(*p, ':');
        if (colon == NULL)
            continue;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(colon - *p), *p);
        evhttp_add_header(h, name, colon + 1 + strspn(colon + 1, " "));
    }
    if (body) {
        /* libevent adds Content-Length itself only to POST and PUT */
        char len[32];
        snprintf(len, sizeof len, "%zu", strlen(body));
        evhttp_add_header(h, "Content-Length", len);
        evhttp_add_header(h, "Content-Type", "application/json");
        evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
    }
    if (evhttp_make_request(c, req, method_of(method), path) == 0)
        event_base_dispatch(base);
    evhttp_connection_free(c);
    event_base_free(base);
    if (ctx)
        SSL_CTX_free(ctx);
    evhttp_uri_free(u);
    return out->status ? 0 : -1;
}

void http_result_free(struct http_result *r)
{
    free(r->body);
    r->body = NULL;
}
