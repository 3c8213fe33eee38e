/* cluster — /api/cluster*: membership.
 *
 * POST /api/cluster/nodes {"name", "address", "api_address"} adds a member
 * (SPEC §4 "Cluster and admin"): the leader adds it as a spare and promotes
 * it to voter once it has caught up (raft_store/node_members.c), then
 * records its node_info so every node can reach its API.  Idempotent: 200
 * when the node is a voter already.  POST /api/_internal/node_info is how a
 * follower announces its own API address (signed, node-to-node only).
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* Makes r's command a node_info (not de-duplicated: announcements repeat). */
static void set_node_info(struct api_req *r, const char *name, const char *url,
                          const char *addr, uint64_t id)
{
    struct cmd c;
    cmd_init(&c, CMD_NODE_INFO);
    c.u.node_info.name = xstrdup(name);
    c.u.node_info.api_url = xstrdup(url);
    c.u.node_info.raft_address = xstrdup(addr);
    c.u.node_info.raft_id = id;
    struct buf b;
    buf_init(&b);
    cmd_encode(&b, &c);
    cmd_free(&c);
    free(r->cmd);
    r->cmd = buf_steal(&b, &r->cmd_len);
}

static void info_recorded(struct api_req *r)
{
    if (api_reply_result_error(r, &r->call.result))
        return;
    api_reply_data(r, r->stage == 201 ? 201 : 200,
                   json_pack("{s:O}", "node", json_object_get(r->body, "name")));
}

static void member_added(struct api_req *r)
{
    int st = r->call.result.status;
    if (st != 200 && st != 201) {
        api_reply_error(r, st ? st : 503, "Cannot add %s: %s",
                        json_string_value(json_object_get(r->body, "name")),
                        r->call.result.detail);
        return;
    }
    r->stage = st;
    r->leader_action = NULL;
    api_write(r, info_recorded); /* r->cmd holds the node_info */
}

static void add_on_leader(struct api_req *r)
{
    const char *name = json_string_value(json_object_get(r->body, "name"));
    const char *addr = json_string_value(json_object_get(r->body, "address"));
    r->cont = member_added;
    api_call_begin(r, api_local_done);
    node_add_member(r->t->api->node, node_id_of(name), addr, &r->call);
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < 64 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_.-") == n;
}

void h_cluster_nodes_add(struct api_req *r)
{
    if (api_parse_body(r, false) != 0)
        return;
    const char *name = NULL, *addr = NULL, *api_addr = NULL;
    if (json_unpack(r->body, "{s:s,s:s,s:s}", "name", &name, "address", &addr,
                    "api_address", &api_addr) != 0) {
        api_reply_error(r, 422, "name, address and api_address are required "
                                "strings");
        return;
    }
    if (!valid_name(name)) {
        api_reply_error(r, 422, "name must be 1 to 63 characters of "
                                "[A-Za-z0-9_.-]");
        return;
    }
    if (strlen(addr) > 200 || strrchr(addr, ':') == NULL) {
        api_reply_error(r, 422, "address must be host:raft_port");
        return;
    }
    if (strlen(api_addr) > 200 || strncmp(api_addr, "http", 4) != 0) {
        api_reply_error(r, 422, "api_address must be an http:// or https:// "
                                "URL");
        return;
    }
    set_node_info(r, name, api_addr, addr, node_id_of(name));
    r->leader_action = add_on_leader;
    api_write(r, member_added);
}

static void node_info_done(struct api_req *r)
{
    if (!api_reply_result_error(r, &r->call.result))
        api_reply_data(r, 200, json_pack("{s:b}", "ok", 1));
}

void h_internal_node_info(struct api_req *r)
{
    if (api_parse_body(r, false) != 0)
        return;
    const char *name = NULL, *url = NULL, *addr = NULL;
    json_int_t id = 0;
    if (json_unpack(r->body, "{s:s,s:s,s:s,s:I}", "name", &name, "api_url",
                    &url, "raft_address", &addr, "raft_id", &id) != 0 ||
        strlen(name) > CMD_MAX_NAME || strlen(url) > CMD_MAX_NAME ||
        strlen(addr) > CMD_MAX_NAME) {
        api_reply_error(r, 422, "node_info needs name, api_url, raft_address "
                                "and raft_id");
        return;
    }
    set_node_info(r, name, url, addr, (uint64_t)id);
    api_write(r, node_info_done);
}
