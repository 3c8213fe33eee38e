/* admin — cluster membership and settings (SPEC §4 "Cluster and admin",
 * §12):
 *
 *   GET    /api/cluster                       members as this node sees them
 *   DELETE /api/cluster/nodes/{name}          remove a member
 *   POST   /api/cluster/nodes/{name}/promote  make it a voter
 *   POST   /api/cluster/nodes/{name}/demote   make it a standby (replicates,
 *                                             does not vote)
 *   POST   /api/cluster/transfer              {"node": NAME} or {}: move
 *                                             leadership
 *   GET    /api/settings, PATCH /api/settings the replicated cluster settings
 *   GET    /api/cluster/state_hash            SHA-256 of this replica's state
 *   POST   /api/cluster/snapshot              a raft snapshot of this node now
 *
 * Changes run on the leader (a follower forwards them); a removed member's
 * node_info is forgotten through the log so nothing keeps waiting for it
 * (the SQLite CDR outbox trims at the slowest member).  A settings change
 * is validated as a whole, applied as one command and logged with the
 * request id and every value that changed.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "common/log.h"
#include "common/xalloc.h"

/* ---- GET /api/cluster ---- */

void h_cluster_get(struct api_req *r)
{
    struct api *a = r->t->api;
    struct node_member m[NODE_MAX_MEMBERS];
    size_t n = node_members(a->node, m, NODE_MAX_MEMBERS);
    struct node_status st;
    node_get_status(a->node, &st);
    json_t *members = json_array();
    const char *leader = NULL;
    store_rdlock(a->store);
    for (size_t i = 0; i < n; i++) {
        const struct store_node_info *ni = store_node_info_by_id(a->store,
                                                                 m[i].id);
        char id[24];
        snprintf(id, sizeof id, "%016llx", (unsigned long long)m[i].id);
        json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "name",
                              ni ? ni->name : id, "raft_id", id,
                              "raft_address", m[i].address, "role",
                              node_member_role_name(m[i].role));
        json_object_set_new(o, "api_url", ni && ni->api_url
                                              ? json_string(ni->api_url)
                                              : json_null());
        json_array_append_new(members, o);
        if (m[i].id == st.leader_id && ni)
            leader = ni->name;
    }
    const char *cid = store_cluster_id(a->store);
    json_t *j = json_pack("{s:o,s:o,s:I,s:I,s:o}", "cluster_id",
                          cid ? json_string(cid) : json_null(), "leader",
                          leader ? json_string(leader) : json_null(), "term",
                          (json_int_t)st.term, "commit_index",
                          (json_int_t)st.commit_index, "members", members);
    store_rdunlock(a->store);
    api_reply_data(r, 200, j);
}

/* ---- membership changes ---- */

/* The raft id of the member named in the path, or 0 after replying 404. */
static uint64_t member_id(struct api_req *r)
{
    const char *name = r->path_id;
    uint64_t id = node_id_of(name);
    struct node_member m[NODE_MAX_MEMBERS];
    size_t n = node_members(r->t->api->node, m, NODE_MAX_MEMBERS);
    for (size_t i = 0; i < n; i++)
        if (m[i].id == id)
            return id;
    api_reply_error(r, 404, "%s is not a member", name);
    return 0;
}

static void forgotten(struct api_req *r)
{
    if (api_reply_result_error(r, &r->call.result))
        return;
    api_reply_data(r, 200, json_pack("{s:s}", "removed", r->path_id));
}

static void removed(struct api_req *r)
{
    const struct store_result *res = &r->call.result;
    if (res->status != 200) {
        api_reply_error(r, res->status ? res->status : 503,
                        "Cannot remove %s: %s", r->path_id, res->detail);
        return;
    }
    log_info("cluster: %s removed from the configuration request_id=%s",
             r->path_id, r->rid);
    r->leader_action = NULL;
    api_write(r, forgotten); /* r->cmd: forget its node_info */
}

static void remove_on_leader(struct api_req *r)
{
    uint64_t id = member_id(r);
    if (id == 0)
        return;
    if (strcmp(r->path_id, r->t->api->node_name) == 0) {
        api_reply_error(r, 409, "%s leads the cluster: move leadership first "
                                "(POST /api/cluster/transfer)", r->path_id);
        return;
    }
    if (r->forwarded && strcmp(r->forwarder, r->path_id) == 0) {
        api_reply_error(r, 409, "Ask another member to remove %s (it would "
                                "never see its own removal applied)",
                        r->path_id);
        return;
    }
    r->cont = removed;
    api_call_begin(r, api_local_done);
    node_remove_member(r->t->api->node, id, &r->call);
}

void h_cluster_nodes_remove(struct api_req *r)
{
    struct cmd c;
    cmd_init(&c, CMD_NODE_FORGET);
    c.u.node_info.name = xstrdup(r->path_id);
    api_set_cmd(r, &c);
    r->leader_action = remove_on_leader;
    api_write(r, removed);
}

static void assigned(struct api_req *r)
{
    const struct store_result *res = &r->call.result;
    if (res->status != 200) {
        api_reply_error(r, res->status ? res->status : 503,
                        "Cannot change the role of %s: %s", r->path_id,
                        res->detail);
        return;
    }
    int role = r->stage;
    log_info("cluster: %s is now a %s request_id=%s", r->path_id,
             node_member_role_name(role), r->rid);
    api_reply_data(r, 200, json_pack("{s:s,s:s}", "node", r->path_id, "role",
                                     node_member_role_name(role)));
}

static void assign_on_leader(struct api_req *r)
{
    uint64_t id = member_id(r);
    if (id == 0)
        return;
    r->cont = assigned;
    api_call_begin(r, api_local_done);
    node_assign_member(r->t->api->node, id, r->stage, &r->call);
}

static void assign(struct api_req *r, int role)
{
    r->stage = role;
    r->leader_action = assign_on_leader;
    api_write(r, assigned);
}

void h_cluster_nodes_promote(struct api_req *r)
{
    assign(r, MEMBER_VOTER);
}

void h_cluster_nodes_demote(struct api_req *r)
{
    assign(r, MEMBER_STANDBY);
}

static void transferred(struct api_req *r)
{
    const struct store_result *res = &r->call.result;
    if (res->status != 200) {
        api_reply_error(r, res->status ? res->status : 503,
                        "Leadership transfer failed: %s", res->detail);
        return;
    }
    char name[128] = "";
    store_rdlock(r->t->api->store);
    const struct store_node_info *ni =
        store_node_info_by_id(r->t->api->store, (uint64_t)res->id);
    if (ni)
        snprintf(name, sizeof name, "%s", ni->name);
    store_rdunlock(r->t->api->store);
    log_info("cluster: leadership moved to %s request_id=%s",
             name[0] ? name : "?", r->rid);
    api_reply_data(r, 200, json_pack("{s:s}", "leader", name));
}

static void transfer_on_leader(struct api_req *r)
{
    const char *name = json_string_value(json_object_get(r->body, "node"));
    uint64_t id = 0;
    if (name) {
        free(r->path_id);
        r->path_id = xstrdup(name);
        if ((id = member_id(r)) == 0)
            return;
    }
    r->cont = transferred;
    api_call_begin(r, api_local_done);
    node_transfer(r->t->api->node, id, &r->call);
}

void h_cluster_transfer(struct api_req *r)
{
    if (api_parse_body(r, true) != 0)
        return;
    json_t *node = json_object_get(r->body, "node");
    if (node && !json_is_null(node) && !json_is_string(node)) {
        api_reply_error(r, 422, "node must be a member's name");
        return;
    }
    r->leader_action = transfer_on_leader;
    api_write(r, transferred);
}

/* ---- settings ---- */

static json_t *settings_json(const struct store_settings *st)
{
    json_t *o = json_object();
    for (unsigned i = 0; i < store_setting_count; i++) {
        const struct setting_desc *d = &store_setting_table[i];
        const char *p = (const char *)st + d->offset;
        json_t *v;
        if (d->kind == SETTING_INT) {
            int64_t x;
            memcpy(&x, p, sizeof x);
            v = json_integer(x);
        } else if (d->kind == SETTING_BOOL) {
            bool b;
            memcpy(&b, p, sizeof b);
            v = json_boolean(b);
        } else {
            int act;
            memcpy(&act, p, sizeof act);
            v = json_string(store_charging_action_name(act));
        }
        json_object_set_new(o, d->name, v);
    }
    return o;
}

static void settings_now(struct api_req *r)
{
    store_rdlock(r->t->api->store);
    json_t *j = settings_json(store_get_settings(r->t->api->store));
    store_rdunlock(r->t->api->store);
    api_reply_data(r, 200, j);
}

void h_settings_get(struct api_req *r)
{
    api_read(r, settings_now);
}

/* Sets one setting from JSON; 0, or -1 after replying 422. */
static int set_one(struct api_req *r, struct store_settings *st,
                   const char *key, json_t *v)
{
    for (unsigned i = 0; i < store_setting_count; i++) {
        const struct setting_desc *d = &store_setting_table[i];
        if (strcmp(d->name, key) != 0)
            continue;
        char *p = (char *)st + d->offset;
        if (d->kind == SETTING_INT) {
            if (!json_is_integer(v) || json_integer_value(v) < d->min ||
                json_integer_value(v) > d->max) {
                api_reply_error(r, 422, "%s must be an integer from %lld to "
                                        "%lld", key, (long long)d->min,
                                (long long)d->max);
                return -1;
            }
            int64_t x = json_integer_value(v);
            memcpy(p, &x, sizeof x);
        } else if (d->kind == SETTING_BOOL) {
            if (!json_is_boolean(v)) {
                api_reply_error(r, 422, "%s must be true or false", key);
                return -1;
            }
            bool b = json_is_true(v);
            memcpy(p, &b, sizeof b);
        } else {
            int act;
            if (!json_is_string(v) ||
                store_charging_action_parse(json_string_value(v), &act) != 0) {
                api_reply_error(r, 422, "%s must be \"allow\" or \"deny\"",
                                key);
                return -1;
            }
            memcpy(p, &act, sizeof act);
        }
        return 0;
    }
    api_reply_error(r, 422, "%s: unknown setting", key);
    return -1;
}

static void settings_changed(struct api_req *r)
{
    if (api_reply_result_error(r, &r->call.result))
        return;
    settings_now(r);
}

/* On the leader: the current settings with the body's changes. */
static void patch_on_leader(struct api_req *r)
{
    struct store_settings st;
    store_rdlock(r->t->api->store);
    st = *store_get_settings(r->t->api->store);
    store_rdunlock(r->t->api->store);
    json_t *before = settings_json(&st);
    const char *key;
    json_t *v;
    json_object_foreach(r->body, key, v) {
        if (set_one(r, &st, key, v) != 0) {
            json_decref(before);
            return;
        }
    }
    const char *bad = store_settings_check(&st);
    if (bad) {
        json_decref(before);
        api_reply_error(r, 422, "%s: out of range", bad);
        return;
    }
    json_t *after = settings_json(&st);
    json_object_foreach(after, key, v) {
        json_t *old = json_object_get(before, key);
        if (json_equal(old, v))
            continue;
        char *a = json_dumps(old, JSON_ENCODE_ANY);
        char *b = json_dumps(v, JSON_ENCODE_ANY);
        log_info("settings: %s %s -> %s request_id=%s client=%s", key, a, b,
                 r->rid, r->client_ip);
        free(a);
        free(b);
    }
    json_decref(before);
    json_decref(after);
    struct cmd c;
    cmd_init(&c, CMD_SETTINGS);
    c.u.settings = st;
    api_set_cmd(r, &c);
    api_propose(r);
}

void h_settings_patch(struct api_req *r)
{
    if (api_parse_body(r, false) != 0)
        return;
    const char *key;
    json_t *v;
    struct store_settings probe;
    store_settings_defaults(&probe);
    json_object_foreach(r->body, key, v) {
        if (set_one(r, &probe, key, v) != 0)
            return; /* checked here too, so a follower answers 422 itself */
    }
    r->leader_action = patch_on_leader;
    api_write(r, settings_changed);
}

/* ---- GET /api/cluster/state_hash ---- */

/* SHA-256 of this replica's whole replicated state (its snapshot bytes)
 * with the index it has applied: replicas at the same index must agree. */
static void state_hash_now(struct api_req *r)
{
    struct buf b;
    buf_init(&b);
    store_rdlock(r->t->api->store);
    uint64_t index = store_applied_index(r->t->api->store);
    store_snapshot(r->t->api->store, &b);
    store_rdunlock(r->t->api->store);
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(b.data, b.len, md);
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    api_reply_data(r, 200, json_pack("{s:I,s:s,s:I}", "applied_index",
                                     (json_int_t)index, "sha256", hex,
                                     "bytes", (json_int_t)b.len));
    buf_free(&b);
}

void h_cluster_state_hash(struct api_req *r)
{
    api_read(r, state_hash_now);
}

/* ---- POST /api/cluster/snapshot ---- */

static void snapshot_taken(struct api_req *r)
{
    if (r->call.outcome != NODE_DONE) {
        api_reply_error(r, 503, "No snapshot taken: the node is stopping");
        return;
    }
    log_info("raft: snapshot asked by request_id=%s taken at index %llu",
             r->rid, (unsigned long long)r->call.index);
    /* bytes: as stored (compressed when taken in the background);
     * state_bytes: the state's encoding */
    api_reply_data(r, 200, json_pack("{s:s,s:I,s:I,s:I}", "node",
                                     r->t->api->node_name, "index",
                                     (json_int_t)r->call.index, "bytes",
                                     (json_int_t)r->call.result.id,
                                     "state_bytes",
                                     (json_int_t)r->call.result.id2));
}

/* A snapshot of the node asked (each member compacts its own log). */
void h_cluster_snapshot(struct api_req *r)
{
    api_call_begin(r, snapshot_taken);
    node_snapshot(r->t->api->node, &r->call);
}
