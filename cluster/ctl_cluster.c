/* ctl_cluster — smscctl's cluster commands: status (the health check),
 * nodes list|add|remove|promote|demote and leader transfer.
 *
 * status asks one node for the members (GET /api/cluster) and each member
 * for its own view (GET /api/status on its api_url), so an unreachable or
 * lagging member shows as such even when the node asked thinks it is fine.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster/ctl.h"

#define DEFAULT_MAX_LAG 1000

/* The member document of a node without GET /api/cluster: itself. */
static json_t *single_node(const struct ctl *c, json_t *st)
{
    json_t *m =
        json_pack("{s:O,s:n,s:n,s:s,s:n}", "name", json_object_get(st, "node"),
                  "raft_id", "raft_address", "api_url", c->node, "role");
    json_t *doc = json_pack("{s:O,s:O,s:O,s:[o]}", "cluster_id",
                            json_object_get(st, "cluster_id"), "leader",
                            json_object_get(st, "leader"), "term",
                            json_object_get(st, "term"), "members", m);
    return doc;
}

/* The commit index the lags are measured against: the leader's, else the
 * highest any member reported. */
static json_int_t reference_commit(const json_t *doc)
{
    const char *leader = json_string_value(json_object_get(doc, "leader"));
    json_int_t best = 0;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(doc, "members"), i, m)
    {
        json_t *st = json_object_get(m, "status");
        json_int_t ci = json_integer_value(json_object_get(st, "commit_index"));
        const char *name = json_string_value(json_object_get(m, "name"));
        if (leader && name && strcmp(name, leader) == 0 && json_is_object(st))
            return ci;
        if (ci > best)
            best = ci;
    }
    return best;
}

/* Adds "status" (the member's /api/status or null) and "lag" to each.
 * A member whose api_url is not known (yet) is asked through c->node when
 * it is the node asked. */
static void probe_members(const struct ctl *c, json_t *doc)
{
    json_t *self = NULL;
    if (ctl_call(c, NULL, "GET", "/api/status", NULL, CTL_QUIET, NULL, &self) !=
        CTL_OK) {
        json_decref(self);
        self = NULL;
    }
    const char *self_name = json_string_value(json_object_get(self, "node"));
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(doc, "members"), i, m)
    {
        if (json_object_get(m, "status"))
            continue; /* single_node: already known */
        const char *url = json_string_value(json_object_get(m, "api_url"));
        const char *name = json_string_value(json_object_get(m, "name"));
        json_t *st = NULL;
        if (url == NULL && self_name && name && strcmp(name, self_name) == 0) {
            json_object_set(m, "status", self);
            continue;
        }
        if (url == NULL ||
            ctl_call(c, url, "GET", "/api/status", NULL, CTL_QUIET, NULL,
                     &st) != CTL_OK ||
            !json_is_object(st)) {
            json_decref(st);
            st = json_null();
        }
        json_object_set_new(m, "status", st);
    }
    json_decref(self);
    json_int_t ref = reference_commit(doc);
    json_array_foreach(json_object_get(doc, "members"), i, m)
    {
        json_t *ap =
            json_object_get(json_object_get(m, "status"), "applied_index");
        json_object_set_new(m, "lag",
                            json_is_integer(ap)
                                ? json_integer(ref - json_integer_value(ap))
                                : json_null());
    }
}

/* The cluster document of ctl.h's `status` contract into *out. */
static int gather(const struct ctl *c, json_t **out)
{
    json_t *j;
    int st;
    *out = NULL;
    int rc = ctl_call(c, NULL, "GET", "/api/cluster", NULL, 404, &st, &j);
    if (rc == CTL_API && st == 404) {
        rc = ctl_call(c, NULL, "GET", "/api/status", NULL, 0, NULL, &j);
        if (rc != CTL_OK)
            return rc;
        json_t *doc = single_node(c, j);
        json_object_set(json_array_get(json_object_get(doc, "members"), 0),
                        "status", j);
        json_decref(j);
        *out = doc;
    } else if (rc == CTL_OK) {
        json_t *d = json_object_get(j, "data");
        *out = json_pack("{s:O?,s:O?,s:O?,s:O?,s:O?}", "cluster_id",
                         json_object_get(d, "cluster_id"), "leader",
                         json_object_get(d, "leader"), "term",
                         json_object_get(d, "term"), "commit_index",
                         json_object_get(d, "commit_index"), "members",
                         json_object_get(d, "members"));
        json_decref(j);
        json_t *members = json_object_get(*out, "members");
        json_object_set_new(*out, "members",
                            json_is_array(members) ? json_deep_copy(members)
                                                   : json_array());
    }
    if (*out)
        probe_members(c, *out);
    return rc;
}

/* The problems status finds, as an array of strings. */
static json_t *problems_of(const json_t *doc, json_int_t max_lag)
{
    json_t *p = json_array();
    const char *leader = json_string_value(json_object_get(doc, "leader"));
    if (leader == NULL)
        json_array_append_new(p, json_string("no leader"));
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(doc, "members"), i, m)
    {
        const char *name = json_string_value(json_object_get(m, "name"));
        json_t *st = json_object_get(m, "status");
        const char *role = json_string_value(json_object_get(st, "role"));
        json_int_t lag = json_integer_value(json_object_get(m, "lag"));
        name = name ? name : "?";
        if (!json_is_string(json_object_get(m, "api_url")) &&
            !json_is_object(st))
            continue; /* cannot be asked: not counted against it */
        if (!json_is_object(st))
            json_array_append_new(p, json_sprintf("%s unreachable", name));
        else if (!role || (strcmp(role, "leader") && strcmp(role, "follower")))
            json_array_append_new(
                p, json_sprintf("%s is %s", name, role ? role : "?"));
        else if (lag > max_lag)
            json_array_append_new(
                p, json_sprintf("%s lags %lld entries", name, (long long)lag));
    }
    return p;
}

/* Members flattened into the rows of the human table. */
static json_t *member_rows(const json_t *doc)
{
    json_t *rows = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(doc, "members"), i, m)
    {
        json_t *st = json_object_get(m, "status");
        json_t *api = json_object_get(m, "api_url");
        const char *role = json_string_value(json_object_get(st, "role"));
        if (role == NULL)
            role = json_is_string(api) ? "unreachable" : "unknown";
        json_array_append_new(
            rows, json_pack("{s:O?,s:s,s:O?,s:O?,s:O?,s:O?,s:O?,s:O?}", "name",
                            json_object_get(m, "name"), "role", role,
                            "raft_role", json_object_get(m, "role"), "term",
                            json_object_get(st, "term"), "commit",
                            json_object_get(st, "commit_index"), "applied",
                            json_object_get(st, "applied_index"), "lag",
                            json_object_get(m, "lag"), "api_url", api));
    }
    return rows;
}

static void print_members(const json_t *doc)
{
    static const struct ctl_col cols[] = {
        {"NAME", "name", 0},
        {"ROLE", "role", 0},
        {"RAFT_ROLE", "raft_role", 0},
        {"TERM", "term", 0},
        {"COMMIT", "commit", 0},
        {"APPLIED", "applied", 0},
        {"LAG", "lag", 0},
        {"API_URL", "api_url", 0},
    };
    json_t *rows = member_rows(doc);
    ctl_table(cols, sizeof cols / sizeof cols[0], rows);
    json_decref(rows);
}

int ctl_status(const struct ctl *c, const struct ctl_cmd *cmd,
               const struct ctl_args *a)
{
    json_int_t max_lag = DEFAULT_MAX_LAG;
    const char *ml = ctl_opt(cmd, a, "max-lag");
    if (ml) {
        char *end;
        max_lag = strtoll(ml, &end, 10);
        if (*end || max_lag < 0)
            return ctl_usage_error(cmd, "--max-lag must be a number >= 0");
    }
    json_t *doc;
    int rc = gather(c, &doc);
    if (rc != CTL_OK)
        return rc;
    json_t *problems = problems_of(doc, max_lag);
    bool healthy = json_array_size(problems) == 0;
    json_object_set_new(doc, "healthy", json_boolean(healthy));
    json_object_set_new(doc, "problems", problems);
    char buf[256], l[128], t[64];
    if (c->json) {
        ctl_print_json(doc);
    } else {
        printf("cluster %s  leader %s  term %s\n\n",
               ctl_cell(json_object_get(doc, "cluster_id"), buf, sizeof buf),
               ctl_cell(json_object_get(doc, "leader"), l, sizeof l),
               ctl_cell(json_object_get(doc, "term"), t, sizeof t));
        print_members(doc);
        printf("\n%s\n", healthy ? "healthy" : "UNHEALTHY");
    }
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
        fprintf(stderr, "smscctl: unhealthy: %s\n", json_string_value(p));
    json_decref(doc);
    return healthy ? CTL_OK : CTL_UNHEALTHY;
}

int ctl_nodes_list(const struct ctl *c, const struct ctl_cmd *cmd,
                   const struct ctl_args *a)
{
    (void)cmd, (void)a;
    json_t *doc;
    int rc = gather(c, &doc);
    if (rc != CTL_OK)
        return rc;
    if (c->json)
        ctl_print_json(json_object_get(doc, "members"));
    else
        print_members(doc);
    json_decref(doc);
    return CTL_OK;
}

int ctl_nodes_add(const struct ctl *c, const struct ctl_cmd *cmd,
                  const struct ctl_args *a)
{
    (void)cmd;
    json_t *b = json_pack("{s:s,s:s,s:s}", "name", a->pos[0], "address",
                          a->pos[1], "api_address", a->pos[2]);
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    json_t *j;
    int st = 0;
    int rc = ctl_call(c, NULL, "POST", "/api/cluster/nodes", body, 0, &st, &j);
    free(body);
    if (rc == CTL_OK && !c->json) {
        printf(st == 201 ? "added %s\n" : "%s is already a member\n",
               a->pos[0]);
        json_decref(j);
        return rc;
    }
    return ctl_emit(c, j, rc, NULL);
}

/* POST or DELETE on /api/cluster/nodes/NAME[/suffix]. */
static int node_call(const struct ctl *c, const struct ctl_cmd *cmd,
                     const char *method, const char *name, const char *suffix,
                     json_t **out)
{
    *out = NULL;
    if (!ctl_segment_ok(name))
        return ctl_usage_error(cmd, "bad node name %s", name);
    char path[256];
    snprintf(path, sizeof path, "/api/cluster/nodes/%s%s", name, suffix);
    return ctl_call(c, NULL, method, path,
                    strcmp(method, "POST") == 0 ? "{}" : NULL, 0, NULL, out);
}

static void print_removed(json_t *d)
{
    char b[128];
    printf("removed %s\n",
           ctl_cell(json_object_get(d, "removed"), b, sizeof b));
}

static void print_role(json_t *d)
{
    char n[128], r[64];
    printf("%s is now a %s\n",
           ctl_cell(json_object_get(d, "node"), n, sizeof n),
           ctl_cell(json_object_get(d, "role"), r, sizeof r));
}

int ctl_nodes_remove(const struct ctl *c, const struct ctl_cmd *cmd,
                     const struct ctl_args *a)
{
    json_t *j;
    int rc = node_call(c, cmd, "DELETE", a->pos[0], "", &j);
    return ctl_emit(c, j, rc, print_removed);
}

int ctl_nodes_promote(const struct ctl *c, const struct ctl_cmd *cmd,
                      const struct ctl_args *a)
{
    json_t *j;
    int rc = node_call(c, cmd, "POST", a->pos[0], "/promote", &j);
    return ctl_emit(c, j, rc, print_role);
}

int ctl_nodes_demote(const struct ctl *c, const struct ctl_cmd *cmd,
                     const struct ctl_args *a)
{
    json_t *j;
    int rc = node_call(c, cmd, "POST", a->pos[0], "/demote", &j);
    return ctl_emit(c, j, rc, print_role);
}

static void print_leader(json_t *d)
{
    char b[128];
    printf("leader: %s\n", ctl_cell(json_object_get(d, "leader"), b, sizeof b));
}

int ctl_leader_transfer(const struct ctl *c, const struct ctl_cmd *cmd,
                        const struct ctl_args *a)
{
    (void)cmd;
    json_t *b = a->npos ? json_pack("{s:s}", "node", a->pos[0]) : json_object();
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    json_t *j;
    int rc =
        ctl_call(c, NULL, "POST", "/api/cluster/transfer", body, 0, NULL, &j);
    free(body);
    return ctl_emit(c, j, rc, print_leader);
}
