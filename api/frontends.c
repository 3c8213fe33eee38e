/* frontends — /api/frontends (SPEC §4 "Frontends (gateways)").
 *
 * POST /api/frontends and /api/frontends/register register or refresh a
 * frontend (201 with a new registration, 200 with the active one
 * refreshed); the reads list the latest registration per name, the active
 * ones, the stats, one name's history (newest first) and one row by id.
 *
 * The frontend's address defaults to the client's: the peer address, or —
 * only when the peer is one of the config's trusted_proxies — the
 * X-Forwarded-For address nearest to it that is not itself trusted.  A
 * follower decides it (the leader sees neither the client's socket nor its
 * headers) and forwards the body with ip_address filled in.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "api/frontendjson.h"
#include "common/netaddr.h"
#include "common/xalloc.h"
#include "server/config.h"

#define LIST_DEFAULT 1000
#define LIST_MAX 10000
#define HISTORY_DEFAULT 100
#define HISTORY_MAX 1000

/* The client's address as SPEC §4 defines it, into out[NETADDR_LEN]
 * ("" when unknown). */
static void client_addr(struct api_req *r, char out[NETADDR_LEN])
{
    const struct config *cfg = r->t->api->cfg;
    if (netaddr_canonical(r->client_ip, out) != 0)
        return;
    const char *xff = api_header(r, "X-Forwarded-For");
    if (r->forwarded || xff == NULL ||
        !netaddr_in_list(out, cfg->trusted_proxies, cfg->n_trusted_proxies))
        return;
    /* right to left: each hop added the address it saw */
    char *list = xstrdup(xff);
    for (;;) {
        char *comma = strrchr(list, ',');
        char *item = comma ? comma + 1 : list;
        char ip[NETADDR_LEN];
        if (netaddr_canonical(item, ip) != 0)
            break; /* garbage: keep the last address we can vouch for */
        memcpy(out, ip, sizeof ip);
        if (comma == NULL ||
            !netaddr_in_list(ip, cfg->trusted_proxies, cfg->n_trusted_proxies))
            break;
        *comma = '\0';
    }
    free(list);
}

static json_t *render_id(struct api_req *r, int64_t id)
{
    store_rdlock(r->t->api->store);
    const struct frontend_rec *f = store_frontend(r->t->api->store, id);
    json_t *j = f ? frontend_to_json(f) : NULL;
    store_rdunlock(r->t->api->store);
    return j;
}

static void reply_fe(struct api_req *r)
{
    const struct store_result *res = &r->call.result;
    if (api_reply_result_error(r, res))
        return;
    json_t *j = render_id(r, res->id);
    if (j == NULL) /* purged meanwhile */
        j = json_pack("{s:I}", "id", (json_int_t)res->id);
    api_reply_data(r, res->status ? res->status : 200, j);
}

void h_frontends_register(struct api_req *r)
{
    if (api_parse_body(r, false) != 0)
        return;
    char ip[NETADDR_LEN], err[256];
    client_addr(r, ip);
    struct cmd c;
    cmd_init(&c, CMD_FE_HEARTBEAT);
    int st = frontend_from_json(r->body, ip, &c.u.fe, err, sizeof err);
    if (st != 0) {
        cmd_free(&c);
        api_reply_error(r, st, "%s", err);
        return;
    }
    if (c.u.fe.ip_address != NULL) {
        json_object_set_new(r->body, "ip_address",
                            json_string(c.u.fe.ip_address));
        free(r->fwd_json);
        r->fwd_json = json_dumps(r->body, JSON_COMPACT);
        r->fwd_path = "/api/frontends/register";
    }
    api_set_cmd(r, &c);
    api_write(r, reply_fe);
}

/* ---- reads ---- */

static void list_rows(struct api_req *r, bool active_only)
{
    long limit, offset;
    if (api_query_int(r, "limit", 1, LIST_MAX, LIST_DEFAULT, &limit) ||
        api_query_int(r, "offset", 0, 100000000, 0, &offset))
        return;
    const struct frontend_rec **v = xcalloc((size_t)limit, sizeof *v);
    json_t *a = json_array();
    store_rdlock(r->t->api->store);
    size_t n = store_frontends(r->t->api->store, active_only, (size_t)offset,
                               (size_t)limit, v);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, frontend_to_json(v[i]));
    store_rdunlock(r->t->api->store);
    free(v);
    api_reply_data(r, 200, a);
}

static void list_now(struct api_req *r)
{
    list_rows(r, false);
}

static void active_now(struct api_req *r)
{
    list_rows(r, true);
}

static void stats_now(struct api_req *r)
{
    struct store_frontend_stats st;
    store_rdlock(r->t->api->store);
    store_frontend_stats(r->t->api->store, &st);
    store_rdunlock(r->t->api->store);
    api_reply_data(r, 200,
                   json_pack("{s:I,s:I,s:I,s:I}", "active_count",
                             (json_int_t)st.active_count, "expired_count",
                             (json_int_t)st.expired_count, "unique_frontends",
                             (json_int_t)st.unique_frontends,
                             "total_registrations",
                             (json_int_t)st.total_registrations));
}

static void history_now(struct api_req *r)
{
    long limit, offset;
    if (api_query_int(r, "limit", 1, HISTORY_MAX, HISTORY_DEFAULT, &limit) ||
        api_query_int(r, "offset", 0, 100000000, 0, &offset))
        return;
    char *name = evhttp_uridecode(r->path_id ? r->path_id : "", 0, NULL);
    const struct frontend_rec **v = xcalloc((size_t)limit, sizeof *v);
    json_t *a = json_array();
    store_rdlock(r->t->api->store);
    long n = name ? store_frontend_history(r->t->api->store, name,
                                           (size_t)offset, (size_t)limit, v)
                  : -1;
    for (long i = 0; i < n; i++)
        json_array_append_new(a, frontend_to_json(v[i]));
    store_rdunlock(r->t->api->store);
    free(v);
    free(name);
    if (n < 0) {
        json_decref(a);
        api_reply_error(r, 404, "Frontend not registered");
        return;
    }
    api_reply_data(r, 200, a);
}

static void get_now(struct api_req *r)
{
    int64_t id = api_path_id(r);
    json_t *j = id > 0 ? render_id(r, id) : NULL;
    if (j == NULL)
        api_reply_error(r, 404, "Frontend not found");
    else
        api_reply_data(r, 200, j);
}

void h_frontends_list(struct api_req *r)
{
    api_read(r, list_now);
}

void h_frontends_active(struct api_req *r)
{
    api_read(r, active_now);
}

void h_frontends_stats(struct api_req *r)
{
    api_read(r, stats_now);
}

void h_frontends_history(struct api_req *r)
{
    api_read(r, history_now);
}

void h_frontends_get(struct api_req *r)
{
    api_read(r, get_now);
}
