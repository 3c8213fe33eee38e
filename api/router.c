/* router — the one REST route table and the dispatcher.
 *
 * Every route is a row: method, path pattern ({id} matches one segment),
 * handler, flags (write → goes to the leader; internal → node-to-node only,
 * signed) and rate-limit class.  Literal rows come before rows with a
 * parameter, so /api/messages/queue never reaches /api/messages/{id}.  The
 * dispatcher builds the request context (request id, client address,
 * forwarding identity), applies rate limits and calls the handler.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "cluster/forward.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "server/config.h"

#define GET EVHTTP_REQ_GET
#define POST EVHTTP_REQ_POST
#define PUT EVHTTP_REQ_PUT
#define PATCH EVHTTP_REQ_PATCH
#define DELETE EVHTTP_REQ_DELETE
#define W ROUTE_WRITE
#define I ROUTE_INTERNAL

const struct route api_routes[] = {
    {GET, "/api/status", h_status, 0, RATE_NONE, "Node and cluster status"},
    {GET, "/api/openapi.json", h_openapi, 0, RATE_NONE, "OpenAPI document"},
    {GET, "/api/logs", h_logs, 0, RATE_READ,
     "Recent log lines of this node (?limit= up to 4096, level=)"},
    {POST, "/api/messages", h_messages_create, W, RATE_SUBMIT,
     "Submit a message"},
    {GET, "/api/messages", h_messages_list, 0, RATE_READ,
     "List messages, or the queue of the frontend in the smsc header"},
    {POST, "/api/messages/create_async", h_messages_create_async, 0,
     RATE_ASYNC, "Submit a message, stored in the background"},
    {POST, "/api/messages_raw", h_messages_raw, W, RATE_RAW,
     "Submit a raw SMS PDU (TS 23.040 TPDU, optionally in RP/CP)"},
    {POST, "/api/messages_raw/async", h_messages_raw_async, 0, RATE_RAW,
     "Submit a raw SMS PDU, stored in the background"},
    {GET, "/api/messages/get_by_smsc", h_messages_get_by_smsc, 0, RATE_READ,
     "Queue fetch for a frontend, unrouted included"},
    {GET, "/api/messages/queue", h_messages_get_by_smsc, 0, RATE_READ,
     "Alias of get_by_smsc"},
    {GET, "/api/messages/{id}", h_messages_get, 0, RATE_READ,
     "One message"},
    {PATCH, "/api/messages/{id}", h_messages_patch, W, RATE_NONE,
     "Update a message"},
    {PUT, "/api/messages/{id}", h_messages_retry, W, RATE_NONE,
     "Failed delivery: count an attempt and back off"},
    {DELETE, "/api/messages/{id}", h_messages_delete, W, RATE_NONE,
     "Delete a message (a pending one is dropped)"},
    {POST, "/api/messages/{id}/increment_delivery_attempt", h_messages_retry,
     W, RATE_NONE, "Same as PUT /api/messages/{id}"},
    {POST, "/api/messages/{id}/mark_delivered", h_messages_delivered, W,
     RATE_NONE, "Mark a message delivered"},
    {GET, "/api/routes", h_routes_list, 0, RATE_READ, "List routes"},
    {POST, "/api/routes", h_routes_create, W, RATE_NONE, "Create a route"},
    {GET, "/api/routes/export", h_routes_export, 0, RATE_READ,
     "Export the route table"},
    {POST, "/api/routes/import", h_routes_import, W, RATE_NONE,
     "Import routes (?mode=merge|replace)"},
    {POST, "/api/routes/simulate", h_routes_simulate, 0, RATE_READ,
     "Show how a message would be translated and routed"},
    {GET, "/api/routes/{id}", h_routes_get, 0, RATE_READ, "One route"},
    {PATCH, "/api/routes/{id}", h_routes_patch, W, RATE_NONE,
     "Update a route"},
    {DELETE, "/api/routes/{id}", h_routes_delete, W, RATE_NONE,
     "Delete a route"},
    {GET, "/api/translation_rules", h_rules_list, 0, RATE_READ,
     "List number translation rules"},
    {POST, "/api/translation_rules", h_rules_create, W, RATE_NONE,
     "Create a translation rule"},
    {GET, "/api/translation_rules/export", h_rules_export, 0, RATE_READ,
     "Export the translation rules"},
    {POST, "/api/translation_rules/import", h_rules_import, W, RATE_NONE,
     "Import translation rules (?mode=merge|replace)"},
    {POST, "/api/translation_rules/simulate", h_rules_simulate, 0, RATE_READ,
     "Show each translation step for two numbers"},
    {GET, "/api/translation_rules/{id}", h_rules_get, 0, RATE_READ,
     "One translation rule"},
    {PATCH, "/api/translation_rules/{id}", h_rules_patch, W, RATE_NONE,
     "Update a translation rule"},
    {DELETE, "/api/translation_rules/{id}", h_rules_delete, W, RATE_NONE,
     "Delete a translation rule"},
    {GET, "/api/locations", h_locations_list, 0, RATE_READ,
     "List subscriber locations (?msisdn=)"},
    {POST, "/api/locations", h_locations_upsert, W, RATE_NONE,
     "Register a location (upsert by IMSI)"},
    {GET, "/api/locations/msisdn/{id}", h_locations_get, 0, RATE_READ,
     "The newest live location of an MSISDN"},
    {GET, "/api/locations/{id}", h_locations_get, 0, RATE_READ,
     "One location, by id or by MSISDN (+...)"},
    {PATCH, "/api/locations/{id}", h_locations_patch, W, RATE_NONE,
     "Update a location"},
    {DELETE, "/api/locations/{id}", h_locations_delete, W, RATE_NONE,
     "Delete a location"},
    {GET, "/api/events/{id}", h_events_get, 0, RATE_READ,
     "The events of a message"},
    {POST, "/api/events", h_events_add, W, RATE_NONE,
     "Add a custom event to a message"},
    {GET, "/api/frontends", h_frontends_list, 0, RATE_READ,
     "The latest registration of every frontend"},
    {POST, "/api/frontends", h_frontends_register, W, RATE_NONE,
     "Register a frontend or refresh it (heartbeat)"},
    {POST, "/api/frontends/register", h_frontends_register, W, RATE_NONE,
     "Same as POST /api/frontends"},
    {GET, "/api/frontends/active", h_frontends_active, 0, RATE_READ,
     "Active frontend registrations"},
    {GET, "/api/frontends/stats", h_frontends_stats, 0, RATE_READ,
     "Frontend counts: active, expired, unique, registrations"},
    {GET, "/api/frontends/history/{name}", h_frontends_history, 0, RATE_READ,
     "The registrations of one frontend name, newest first"},
    {GET, "/api/frontends/{id}", h_frontends_get, 0, RATE_READ,
     "One frontend registration"},
    {GET, "/api/mms_messages", h_media_list, 0, RATE_READ,
     "List MMS messages (?status=, source_msisdn=, destination_msisdn=)"},
    {POST, "/api/mms_messages", h_media_create, W, RATE_NONE,
     "Create an MMS message"},
    {GET, "/api/mms_messages/{id}", h_media_get, 0, RATE_READ,
     "One MMS message"},
    {PATCH, "/api/mms_messages/{id}", h_media_patch, W, RATE_NONE,
     "Update an MMS message"},
    {DELETE, "/api/mms_messages/{id}", h_media_delete, W, RATE_NONE,
     "Delete an MMS message"},
    {GET, "/api/mms_message_queues", h_media_list, 0, RATE_READ,
     "Alias of GET /api/mms_messages"},
    {POST, "/api/mms_message_queues", h_media_create, W, RATE_NONE,
     "Alias of POST /api/mms_messages"},
    {GET, "/api/mms_message_queues/{id}", h_media_get, 0, RATE_READ,
     "Alias of GET /api/mms_messages/{id}"},
    {PATCH, "/api/mms_message_queues/{id}", h_media_patch, W, RATE_NONE,
     "Alias of PATCH /api/mms_messages/{id}"},
    {DELETE, "/api/mms_message_queues/{id}", h_media_delete, W, RATE_NONE,
     "Alias of DELETE /api/mms_messages/{id}"},
    {GET, "/api/ss7_events", h_media_list, 0, RATE_READ,
     "List SS7 events (?event_type=, msisdn=, imsi=)"},
    {POST, "/api/ss7_events", h_media_create, W, RATE_NONE,
     "Record an SS7 event"},
    {GET, "/api/ss7_events/{id}", h_media_get, 0, RATE_READ,
     "One SS7 event"},
    {PATCH, "/api/ss7_events/{id}", h_media_patch, W, RATE_NONE,
     "Update an SS7 event"},
    {DELETE, "/api/ss7_events/{id}", h_media_delete, W, RATE_NONE,
     "Delete an SS7 event"},
    {GET, "/api/cdr/stats", h_cdr_stats, 0, RATE_READ,
     "CDR writer statistics of this node and the replicated outbox"},
    {GET, "/api/cdrs", h_cdrs_search, 0, RATE_READ,
     "Search CDRs (?msisdn=, from=, to=, status=, limit=, offset=, "
     "format=json|csv)"},
    {POST, "/api/cluster/nodes", h_cluster_nodes_add, W, RATE_NONE,
     "Add a member (it joins as spare and is promoted once caught up)"},
    {GET, "/api/cluster", h_cluster_get, 0, RATE_READ,
     "Members (name, raft address, API URL, voter/standby/spare), leader, "
     "term"},
    {DELETE, "/api/cluster/nodes/{name}", h_cluster_nodes_remove, W,
     RATE_NONE, "Remove a member"},
    {POST, "/api/cluster/nodes/{name}/promote", h_cluster_nodes_promote, W,
     RATE_NONE, "Make a member a voter"},
    {POST, "/api/cluster/nodes/{name}/demote", h_cluster_nodes_demote, W,
     RATE_NONE, "Make a member a standby (replicates, does not vote)"},
    {POST, "/api/cluster/transfer", h_cluster_transfer, W, RATE_NONE,
     "Move leadership to {\"node\": NAME}, or to any up-to-date voter"},
    {GET, "/api/cluster/state_hash", h_cluster_state_hash, 0, RATE_READ,
     "SHA-256 of this replica's replicated state, with its applied index"},
    {POST, "/api/cluster/snapshot", h_cluster_snapshot, 0, RATE_NONE,
     "Take a raft snapshot of this node now (compacts its log)"},
    {GET, "/api/backup", h_backup, 0, RATE_NONE,
     "The whole replicated state as one JSON document (streamed)"},
    {POST, "/api/restore", h_restore, W, RATE_NONE,
     "Restore a backup into a cluster that holds no messages"},
    {GET, "/api/settings", h_settings_get, 0, RATE_READ,
     "The replicated cluster settings"},
    {PATCH, "/api/settings", h_settings_patch, W, RATE_NONE,
     "Change cluster settings (validated together, logged)"},
    {POST, "/api/_internal/lease", h_internal_lease, W | I, RATE_NONE,
     "A follower's queue fetch with lease_seconds"},
    {GET, "/api/_internal/read_index", h_internal_read_index, I, RATE_NONE,
     "Leader read index for linearizable reads"},
    {POST, "/api/_internal/node_info", h_internal_node_info, W | I, RATE_NONE,
     "A member announces its API address"},
    {POST, "/api/_internal/cdr_ack", h_internal_cdr_ack, W | I, RATE_NONE,
     "A CDR writer stored the outbox up to a seq"},
};
const unsigned api_route_count = sizeof api_routes / sizeof api_routes[0];

/* Matches path against pattern; on success *param holds the {x} segment
 * (a new string) when the pattern has one. */
static bool match(const char *pattern, const char *path, char **param)
{
    *param = NULL;
    while (*pattern && *path) {
        if (*pattern == '{') {
            const char *pe = strchr(pattern, '}');
            const char *se = strchr(path, '/');
            size_t n = se ? (size_t)(se - path) : strlen(path);
            if (n == 0 || pe == NULL)
                break;
            free(*param);
            *param = xstrndup(path, n);
            pattern = pe + 1;
            path += n;
            continue;
        }
        if (*pattern != *path)
            break;
        pattern++;
        path++;
    }
    if (*pattern == '\0' && (*path == '\0' || strcmp(path, "/") == 0))
        return true;
    free(*param);
    *param = NULL;
    return false;
}

static const struct route *find_route(enum evhttp_cmd_type m, const char *path,
                                      char **param, bool *path_known)
{
    *path_known = false;
    for (unsigned i = 0; i < api_route_count; i++) {
        char *p;
        if (!match(api_routes[i].pattern, path, &p))
            continue;
        *path_known = true;
        if (api_routes[i].method == m) {
            *param = p;
            return &api_routes[i];
        }
        free(p);
    }
    return NULL;
}

static void client_address(struct evhttp_request *req, char *out, size_t len)
{
    struct evhttp_connection *c = evhttp_request_get_connection(req);
    const char *addr = NULL;
    ev_uint16_t port = 0;
    if (c)
        evhttp_connection_get_peer(c, (char **)&addr, &port);
    snprintf(out, len, "%s", addr ? addr : "unknown");
}

/* A request from another node: check the signature over its metadata. */
static bool accept_forwarded(struct api_req *r, const char *by)
{
    const char *client = api_header(r, FWD_HDR_CLIENT);
    const char *rid = api_header(r, FWD_HDR_RID);
    const char *kind = api_header(r, FWD_HDR_KIND);
    const char *sig = api_header(r, FWD_HDR_SIG);
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    size_t len = evbuffer_get_length(in);
    const void *body = evbuffer_pullup(in, -1);
    struct fwd_meta meta = {
        .method = evhttp_request_get_command(r->req) == EVHTTP_REQ_GET
                      ? "GET" : "?",
        .uri = evhttp_request_get_uri(r->req),
        .forwarder = by,
        .client = client ? client : "",
        .rid = rid ? rid : "",
        .kind = kind ? kind : "",
    };
    switch (evhttp_request_get_command(r->req)) {
    case EVHTTP_REQ_POST: meta.method = "POST"; break;
    case EVHTTP_REQ_PUT: meta.method = "PUT"; break;
    case EVHTTP_REQ_PATCH: meta.method = "PATCH"; break;
    case EVHTTP_REQ_DELETE: meta.method = "DELETE"; break;
    default: break;
    }
    if (!client || !rid || !kind || !sig || strlen(rid) > CMD_MAX_REQUEST_ID ||
        !fwd_verify(r->t->api->cfg->cluster_secret, &meta, body ? body : "",
                    len, sig)) {
        api_reply_error(r, 401, "Invalid node-to-node signature");
        return false;
    }
    r->forwarded = true;
    snprintf(r->forwarder, sizeof r->forwarder, "%s", by);
    snprintf(r->client_ip, sizeof r->client_ip, "%s", client);
    snprintf(r->rid, sizeof r->rid, "%s", rid);
    r->key_kind = strcmp(kind, "client") == 0 ? KEY_CLIENT : KEY_NODE;
    return true;
}

/* Request id: the client's Idempotency-Key, else one made here. */
static bool assign_request_id(struct api_req *r)
{
    const char *key = api_header(r, "Idempotency-Key");
    if (key != NULL) {
        size_t n = strlen(key);
        if (n == 0 || n > CMD_MAX_REQUEST_ID) {
            api_reply_error(r, 422,
                            "Idempotency-Key must be 1 to %d characters",
                            CMD_MAX_REQUEST_ID);
            return false;
        }
        snprintf(r->rid, sizeof r->rid, "%s", key);
        r->key_kind = KEY_CLIENT;
        return true;
    }
    snprintf(r->rid, sizeof r->rid, "%s-%016llx-%d-%llx",
             r->t->api->node_name,
             (unsigned long long)r->t->api->incarnation, r->t->index,
             (unsigned long long)++r->t->next_rid);
    r->key_kind = KEY_NONE;
    return true;
}

static struct api_req *new_req(struct api_thread *t, struct evhttp_request *req)
{
    struct api_req *r = xcalloc(1, sizeof *r);
    r->req = req;
    r->t = t;
    r->started_ms = time_mono_ms();
    r->started_at = api_mono_ms();
    r->deadline_ms = r->started_ms + t->api->cfg->raft.apply_timeout_ms;
    atomic_fetch_add(&t->api->inflight_requests, 1);
    client_address(req, r->client_ip, sizeof r->client_ip);
    return r;
}

static const char *method_name(enum evhttp_cmd_type m)
{
    switch (m) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    default: return "?";
    }
}

void api_dispatch(struct evhttp_request *req, void *arg)
{
    struct api_thread *t = arg;
    struct api_req *r = new_req(t, req);
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    bool known;
    char *param = NULL;
    r->route = path ? find_route(m, path, &param, &known) : NULL;
    r->path_id = param;
    snprintf(r->rid, sizeof r->rid, "-");
    if (r->route == NULL) {
        if (path && known)
            api_reply_error(r, 405, "Method %s not allowed on %s",
                            method_name(m), path);
        else
            api_reply_error(r, 404, "Not found: %s", path ? path : "?");
    } else if (atomic_load(&t->api->stopping)) {
        api_reply_error(r, 503, "Shutting down; retry on another node");
    } else {
        const char *by = api_header(r, FWD_HDR_BY);
        bool ok = by ? accept_forwarded(r, by) : assign_request_id(r);
        if (ok && !r->forwarded && (r->route->flags & ROUTE_INTERNAL)) {
            api_reply_error(r, 403, "Internal route: node-to-node only");
            ok = false;
        }
        if (ok && !r->forwarded && !ratelimit_check(t->api->rl, r))
            ok = false;
        if (ok)
            r->route->handler(r);
    }
    api_req_release(r);
}
