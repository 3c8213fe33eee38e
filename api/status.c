/* status — GET /api/status, the OpenAPI document, and the two internal
 * node-to-node read index (linearizable reads on followers).
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/forward.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "server/config.h"

/* The leader's name: from the replicated node_info, else from the config. */
static void leader_name(struct api *a, uint64_t id, char *out, size_t len)
{
    out[0] = '\0';
    if (id == 0)
        return;
    store_rdlock(a->store);
    const struct store_node_info *ni = store_node_info_by_id(a->store, id);
    if (ni)
        snprintf(out, len, "%s", ni->name);
    store_rdunlock(a->store);
    for (size_t i = 0; out[0] == '\0' && i < a->cfg->n_cluster_nodes; i++)
        if (node_id_of(a->cfg->cluster_nodes[i].name) == id)
            snprintf(out, len, "%s", a->cfg->cluster_nodes[i].name);
}

void h_status(struct api_req *r)
{
    struct api *a = r->t->api;
    struct node_status st;
    node_get_status(a->node, &st);
    char leader[128], now[TIMEFMT_LEN];
    leader_name(a, st.leader_id, leader, sizeof leader);
    time_format(time_now_ms(), now);
    store_rdlock(a->store);
    const char *cid = store_cluster_id(a->store);
    json_t *cluster_id = cid ? json_string(cid) : json_null();
    store_rdunlock(a->store);
    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:o,s:I,s:I,s:I,s:o}", "status", "ok",
        "application", "smsc", "timestamp", now, "node", a->node_name, "role",
        node_role_name(st.role), "leader",
        leader[0] ? json_string(leader) : json_null(), "term",
        (json_int_t)st.term, "commit_index", (json_int_t)st.commit_index,
        "applied_index", (json_int_t)st.applied_index, "cluster_id",
        cluster_id);
    api_reply_json(r, 200, o);
}

static void read_index_ready(struct api_req *r)
{
    if (r->call.outcome != NODE_DONE) {
        evhttp_add_header(evhttp_request_get_output_headers(r->req),
                          FWD_HDR_NOT_LEADER, "1");
        api_reply_error(r, 503, "Not the leader");
        return;
    }
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)r->call.index);
    evhttp_add_header(evhttp_request_get_output_headers(r->req), FWD_HDR_INDEX,
                      v);
    api_reply_data(r, 200,
                   json_pack("{s:I}", "index", (json_int_t)r->call.index));
}

void h_internal_read_index(struct api_req *r)
{
    if (!node_is_leader(r->t->api->node)) {
        evhttp_add_header(evhttp_request_get_output_headers(r->req),
                          FWD_HDR_NOT_LEADER, "1");
        api_reply_error(r, 503, "Not the leader");
        return;
    }
    api_call_begin(r, read_index_ready);
    node_barrier(r->t->api->node, &r->call);
}

/* The {name} segment of a pattern as an OpenAPI path parameter: {id} an
 * integer (or, for locations, an id or a +MSISDN), anything else a
 * string. */
static void path_parameter(json_t *op, const char *pattern)
{
    const char *open = strchr(pattern, '{');
    const char *close = open ? strchr(open, '}') : NULL;
    if (close == NULL)
        return;
    char name[32];
    snprintf(name, sizeof name, "%.*s", (int)(close - open - 1), open + 1);
    bool integer = strcmp(name, "id") == 0 &&
                   strncmp(pattern, "/api/locations", 14) != 0;
    json_object_set_new(
        op, "parameters",
        json_pack("[{s:s,s:s,s:b,s:{s:s}}]", "name", name, "in", "path",
                  "required", 1, "schema", "type",
                  integer ? "integer" : "string"));
}

static const char *method_lower(enum evhttp_cmd_type m)
{
    switch (m) {
    case EVHTTP_REQ_POST: return "post";
    case EVHTTP_REQ_PUT: return "put";
    case EVHTTP_REQ_PATCH: return "patch";
    case EVHTTP_REQ_DELETE: return "delete";
    default: return "get";
    }
}

/* The OpenAPI 3 document, generated from the route table. */
void h_openapi(struct api_req *r)
{
    json_t *paths = json_object();
    for (unsigned i = 0; i < api_route_count; i++) {
        const struct route *rt = &api_routes[i];
        if (rt->flags & ROUTE_INTERNAL)
            continue;
        json_t *p = json_object_get(paths, rt->pattern);
        if (p == NULL) {
            p = json_object();
            json_object_set_new(paths, rt->pattern, p);
        }
        json_t *op = json_pack("{s:s,s:{s:{s:s}}}", "summary", rt->summary,
                               "responses", "default", "description",
                               "SPEC §3 envelope");
        path_parameter(op, rt->pattern);
        json_object_set_new(p, method_lower(rt->method), op);
    }
    api_reply_json(r, 200,
                   json_pack("{s:s,s:{s:s,s:s},s:o}", "openapi", "3.0.3",
                             "info", "title", "smsc REST API", "version", "1",
                             "paths", paths));
}

/* ---- GET /api/logs ---- */

struct log_lines {
    json_t *a;
    enum log_level min;
};

static void keep_line(const char *line, void *arg)
{
    struct log_lines *l = arg;
    /* "<time> <level> <node> ...": the level is the second word */
    const char *sp = strchr(line, ' ');
    if (sp && l->min > LOG_DEBUG) {
        char level[16] = "";
        sscanf(sp + 1, "%15s", level);
        enum log_level lv;
        if (log_parse_level(level, &lv) == 0 && lv < l->min)
            return;
    }
    json_array_append_new(l->a, json_string(line));
}

void h_logs(struct api_req *r)
{
    long limit;
    if (api_query_int(r, "limit", 1, LOG_RING_LINES, 500, &limit))
        return;
    struct log_lines l = {json_array(), LOG_DEBUG};
    const char *level = api_query(r, "level");
    if (level && log_parse_level(level, &l.min) != 0) {
        json_decref(l.a);
        api_reply_error(r, 422, "level must be debug, info, warning or error");
        return;
    }
    log_recent((size_t)limit, keep_line, &l);
    api_reply_data(r, 200, l.a);
}
