/* smscd — the smsc node daemon.
 *
 *   smscd --config FILE [--bootstrap] [--join HOST:PORT[,HOST:PORT...]]
 *
 * Loads the configuration, locks the data dir, starts the replicated store
 * (raft thread) and the REST API (HTTP threads), then waits for a signal:
 * SIGTERM/SIGINT stop gracefully, SIGHUP reopens the log file.  A node
 * with an empty data dir needs --bootstrap (a new cluster), a join list
 * (an existing one) or dns_cluster_query (an existing one whose members
 * DNS SRV records name, cluster/discovery.h); without any it exits with
 * code 2 (SPEC §1), as it does when discovery finds no member or none
 * accepts it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "cluster/discovery.h"
#include "cluster/join.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "raft_store/node.h"
#include "raft_store/store.h"
#include "server/config.h"

#define SMSC_VERSION "0.1.0"
#define EXIT_NEEDS_INTENT 2
#define STEP_DOWN_MS 2000 /* longest wait for a leadership hand-over */

struct args {
    const char *config;
    bool bootstrap;
    const char *join;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: smscd --config FILE [--bootstrap] [--join HOST:PORT,...]\n"
            "  --config FILE   JSON configuration (every key optional)\n"
            "  --bootstrap     form a new cluster from cluster_nodes (first "
            "start only)\n"
            "  --join LIST     join an existing cluster through these members'"
            " APIs\n"
            "  --version       print the version\n");
}

static int parse_args(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"bootstrap", no_argument, NULL, 'b'},
        {"join", required_argument, NULL, 'j'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    memset(a, 0, sizeof *a);
    while ((c = getopt_long(argc, argv, "c:bj:Vh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': a->config = optarg; break;
        case 'b': a->bootstrap = true; break;
        case 'j': a->join = optarg; break;
        case 'V': printf("smscd %s\n", SMSC_VERSION); exit(0);
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "smscd: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
}

/* Creates data_dir and takes its lock: one smscd per data dir. */
static int lock_data_dir(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0700);
            *p = '/';
        }
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "data_dir: cannot create %s: %s", dir,
                 strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/LOCK", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen, "data_dir: %s is in use by another smscd", dir);
        return -1;
    }
    return fd; /* kept open for the life of the process */
}

static int wait_for_signal(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    for (;;) {
        int sig;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            log_info("SIGHUP: reopening the log file");
            log_reopen();
            continue;
        }
        return sig;
    }
}

static void block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* True when host (no brackets) names this node: its advertised API host,
 * its raft host, its listen address or its host name. */
static bool is_own_host(const struct config *cfg, const char *api_url,
                        const char *host)
{
    const char *h = strstr(api_url, "://");
    h = h ? h + 3 : api_url;
    size_t len = strcspn(h, h[0] == '[' ? "]" : ":/");
    if (h[0] == '[')
        h++, len--;
    if (strlen(host) == len && strncmp(host, h, len) == 0)
        return true;
    int self = config_self_index(cfg);
    if (self >= 0 && strcmp(host, cfg->cluster_nodes[self].host) == 0)
        return true;
    if (strcmp(host, cfg->api.listen_ip) == 0 || strcmp(host, "localhost") == 0)
        return true;
    char name[256];
    if (gethostname(name, sizeof name) != 0)
        return false;
    name[sizeof name - 1] = '\0';
    size_t short_len = strcspn(name, ".");
    return strcmp(host, name) == 0 ||
           (strncmp(host, name, short_len) == 0 && host[short_len] == '.');
}

/* True when member ("host:port" or "[v6]:port") is this node's own API. */
static bool is_self(const struct config *cfg, const char *api_url,
                    const char *member)
{
    const char *colon = strrchr(member, ':');
    if (colon == NULL || atoi(colon + 1) != cfg->api.http_port)
        return false;
    char host[300];
    const char *h = member[0] == '[' ? member + 1 : member;
    size_t len = (size_t)(colon - h) - (member[0] == '[' ? 1 : 0);
    snprintf(host, sizeof host, "%.*s", (int)len, h);
    return is_own_host(cfg, api_url, host);
}

/* Looks the members up (dns_cluster_query) and keeps all but this node.
 * Returns 0 with a new list in *out (discovery_free), or -1 with a message
 * naming the query and what was found in err. */
static int discover_join_list(const struct config *cfg, const char *api_url,
                              char ***out, size_t *n, char *err,
                              size_t errlen)
{
    const char *q = cfg->dns_cluster_query;
    int port = cfg->api.http_port ? cfg->api.http_port : cfg->api.port;
    char **found;
    size_t n_found;
    if (discover_members(q, (const char *const *)cfg->dns_servers,
                         cfg->n_dns_servers, port, &found, &n_found, err,
                         errlen) != 0)
        return -1;
    char seen[1024] = "";
    *out = xcalloc(n_found ? n_found : 1, sizeof **out);
    *n = 0;
    for (size_t i = 0; i < n_found; i++) {
        size_t used = strlen(seen);
        snprintf(seen + used, sizeof seen - used, "%s%s", i ? ", " : "",
                 found[i]);
        if (is_self(cfg, api_url, found[i]))
            free(found[i]);
        else
            (*out)[(*n)++] = found[i];
    }
    free(found);
    log_info("dns_cluster_query: SRV _sms._tcp.%s: %s%s", q,
             n_found ? seen : "no records",
             *n < n_found ? " (this node excluded)" : "");
    if (*n > 0)
        return 0;
    snprintf(err, errlen,
             "dns_cluster_query: SRV _sms._tcp.%s found %s: no member to "
             "join through",
             q, n_found ? seen : "no records");
    discovery_free(*out, 0);
    *out = NULL;
    return -1;
}

/* How a node with an empty data dir comes in: a new cluster, a join list,
 * or the members DNS discovery found (owned). */
struct start_plan {
    bool fresh, joining;
    char **found; /* discovered members, NULL when not discovering */
    size_t n_found;
};

/* Decides the start mode; discovery's DNS look-up happens here, before raft
 * touches the data dir.  Returns 0, or the exit code with the message
 * printed. */
static int plan_start(const struct config *cfg, const struct args *a,
                      const char *url, struct start_plan *p)
{
    char err[1200];
    memset(p, 0, sizeof *p);
    p->fresh = !node_has_state(cfg->data_dir);
    p->joining = p->fresh && (a->join || cfg->n_join > 0) && !a->bootstrap;
    if (!p->fresh || a->bootstrap || p->joining)
        return 0;
    if (cfg->dns_cluster_query == NULL) {
        fprintf(stderr,
                "smscd: data_dir %s is empty: start with --bootstrap to form a "
                "new cluster from cluster_nodes, or with --join HOST:PORT "
                "(config key join) or dns_cluster_query to join an existing "
                "one\n",
                cfg->data_dir);
        return EXIT_NEEDS_INTENT;
    }
    if (discover_join_list(cfg, url, &p->found, &p->n_found, err,
                           sizeof err) != 0) {
        fprintf(stderr, "smscd: %s\n", err);
        return EXIT_NEEDS_INTENT;
    }
    return 0;
}

/* Joins as the plan says; returns 0, or the exit code with err set. */
static int join_as_planned(const struct config *cfg, const struct args *a,
                           const struct start_plan *p, const char *url,
                           char *err, size_t errlen)
{
    if (p->joining)
        return join_cluster(cfg, a->join, url, err, errlen) == 0 ? 0 : 1;
    if (p->found == NULL)
        return 0;
    char found[1024] = "";
    for (size_t i = 0, used = 0; i < p->n_found && used < sizeof found; i++)
        used += (size_t)snprintf(found + used, sizeof found - used, "%s%s",
                                 i ? ", " : "", p->found[i]);
    char why[1024];
    if (join_members(cfg, (const char *const *)p->found, p->n_found,
                     "the discovered members", url, why, sizeof why) != 0) {
        int n = snprintf(err, errlen, "dns_cluster_query %s (found %.400s): ",
                         cfg->dns_cluster_query, found);
        if (n > 0 && (size_t)n < errlen)
            snprintf(err + n, errlen - (size_t)n, "%s", why);
        return EXIT_NEEDS_INTENT;
    }
    return 0;
}

static int run(struct config *cfg, const struct args *a)
{
    char err[1200];
    if (lock_data_dir(cfg->data_dir, err, sizeof err) < 0) {
        fprintf(stderr, "smscd: %s\n", err);
        return 1;
    }
    char *url = api_advertise_url(cfg);
    struct start_plan plan;
    int rc = plan_start(cfg, a, url, &plan);
    struct cmd_import routes = {0}, rules = {0};
    if (rc != 0) {
        free(url);
        return rc;
    }
    rc = 1;
    if (api_initial_tables(cfg, &routes, &rules, err, sizeof err) != 0) {
        fprintf(stderr, "smscd: %s\n", err);
        goto err_after_plan;
    }
    block_signals();
    struct store *store = store_new();
    struct node *node = node_new(cfg, store, a->bootstrap && plan.fresh, url,
                                 err, sizeof err);
    struct api *api = NULL;
    if (node != NULL)
        node_set_initial_tables(node, &routes, &rules);
    cmd_import_free(&routes, true);
    cmd_import_free(&rules, false);
    if (node == NULL || node_start(node, err, sizeof err) != 0)
        goto out;
    api = api_start(cfg, node, store, err, sizeof err);
    if (api == NULL)
        goto out;
    rc = join_as_planned(cfg, a, &plan, url, err, sizeof err);
    if (rc != 0)
        goto out;
    log_info("smscd %s: node %s ready (api %s)", SMSC_VERSION, cfg->node_name,
             url);
    int sig = wait_for_signal();
    log_info("signal %d: shutting down", sig);
    /* finish what is in flight while still leading, then hand over */
    api_quiesce(api, 5000);
    if (node_step_down(node, STEP_DOWN_MS))
        log_info("leadership handed over before stopping");
out:
    if (rc != 0)
        fprintf(stderr, "smscd: %s\n", err);
    /* the node first: it completes every call still pending, which the
     * HTTP threads (still running) answer; then they stop */
    node_shutdown(node);
    api_stop(api, 5000);
    node_free(node);
    store_free(store);
err_after_plan:
    discovery_free(plan.found, plan.n_found);
    free(url);
    return rc;
}

int main(int argc, char **argv)
{
    struct args a;
    if (parse_args(argc, argv, &a) != 0)
        return 1;
    struct config cfg;
    char err[512];
    if (config_load(&cfg, a.config, err, sizeof err) != 0) {
        fprintf(stderr, "smscd: %s\n", err);
        return 1;
    }
    if (log_setup(cfg.node_name, cfg.logging.level, cfg.logging.file) != 0) {
        fprintf(stderr, "smscd: logging.file: cannot open %s\n",
                cfg.logging.file);
        config_free(&cfg);
        return 1;
    }
    int rc = run(&cfg, &a);
    config_free(&cfg);
    log_close();
    return rc;
}
