/* join — ask a member to add this node to its cluster (see join.h). */
#include "cluster/join.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cluster/http_client.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "server/config.h"

#define JOIN_TOTAL_S 120

/* One POST of the join request to a member ("host:port"). */
static int post(const char *member, const char *body, struct http_result *a)
{
    char url[300];
    snprintf(url, sizeof url, "http://%s", member);
    http_call(url, "POST", "/api/cluster/nodes", body, NULL, 10, a);
    return a->status;
}

/* Waits a second between attempts; true when SIGTERM or SIGINT came (the
 * daemon blocks them in every thread and collects them here). */
static bool interrupted(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    struct timespec ts = {1, 0};
    return sigtimedwait(&set, NULL, &ts) > 0;
}

static char **split_list(const char *s, size_t *n)
{
    char **v = NULL;
    *n = 0;
    char *copy = xstrdup(s);
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
        v = xrealloc(v, (*n + 1) * sizeof *v);
        v[(*n)++] = xstrdup(tok);
    }
    free(copy);
    return v;
}

int join_members(const struct config *cfg, const char *const *list, size_t n,
                 const char *what, const char *api_url, char *err,
                 size_t errlen)
{
    err[0] = '\0';
    const struct config_peer *me = &cfg->cluster_nodes[config_self_index(cfg)];
    char addr[300];
    snprintf(addr, sizeof addr, strchr(me->host, ':') ? "[%s]:%d" : "%s:%d",
             me->host, me->raft_port);
    json_t *j = json_pack("{s:s,s:s,s:s}", "name", cfg->node_name, "address",
                          addr, "api_address", api_url);
    char *body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    int rc = -1;
    struct http_result a;
    memset(&a, 0, sizeof a);
    for (int t = 0; t < JOIN_TOTAL_S && rc != 0 && n > 0; t++) {
        const char *m = list[(size_t)t % n];
        http_result_free(&a);
        int st = post(m, body, &a);
        if (st == 200 || st == 201) {
            log_info("join: %s added this node to its cluster", m);
            rc = 0;
        } else if (st == 409) {
            /* another membership change is running: wait our turn */
            log_info("join: %s: a membership change is in progress; "
                     "retrying", m);
            if (interrupted()) {
                snprintf(err, errlen, "join: interrupted by a signal");
                break;
            }
        } else if (st >= 400 && st < 500) {
            snprintf(err, errlen, "join: %s refused: %d %s", m, st, a.body);
            break;
        } else {
            log_info("join: %s: %s; retrying", m,
                     st ? a.body : a.error);
            if (interrupted()) {
                snprintf(err, errlen, "join: interrupted by a signal");
                break;
            }
        }
    }
    if (rc != 0 && (n == 0 || err[0] == '\0'))
        snprintf(err, errlen, "join: no member of %s accepted this node",
                 what);
    http_result_free(&a);
    free(body);
    return rc;
}

int join_cluster(const struct config *cfg, const char *join_arg,
                 const char *api_url, char *err, size_t errlen)
{
    if (!join_arg)
        return join_members(cfg, (const char *const *)cfg->join, cfg->n_join,
                            "the join list", api_url, err, errlen);
    size_t n = 0;
    char **members = split_list(join_arg, &n);
    int rc = join_members(cfg, (const char *const *)members, n, join_arg,
                          api_url, err, errlen);
    for (size_t i = 0; i < n; i++)
        free(members[i]);
    free(members);
    return rc;
}
