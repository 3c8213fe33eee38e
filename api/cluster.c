/* cluster — /api/cluster*: membership.
 *
 * POST /api/cluster/nodes {"name", "address", "api_address"} adds a member
 * (SPEC §4 "Cluster and admin"): the leader adds it as a spare and promotes
 * it to voter once it has caught up (raft_store/node_members.c), then
 * records its node_info so every node can reach its API.  Idempotent: 200
 * when the node is a voter already.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

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
    struct cmd c;
    cmd_init(&c, CMD_NODE_INFO);
    c.u.node_info.name = xstrdup(name);
    c.u.node_info.api_url = xstrdup(api_addr);
    c.u.node_info.raft_address = xstrdup(addr);
    c.u.node_info.raft_id = node_id_of(name);
    struct buf b;
    buf_init(&b);
    cmd_encode(&b, &c);
    cmd_free(&c);
    r->cmd = buf_steal(&b, &r->cmd_len);
    r->leader_action = add_on_leader;
    api_write(r, member_added);
}
