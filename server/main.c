/* smscd — the smsc node daemon.
 *
 *   smscd --config FILE [--bootstrap] [--join HOST:PORT[,HOST:PORT...]]
 *
 * Loads the configuration, locks the data dir, starts the replicated store
 * (raft thread) and the REST API (HTTP threads), then waits for a signal:
 * SIGTERM/SIGINT stop gracefully, SIGHUP reopens the log file.  A node
 * with an empty data dir needs --bootstrap (a new cluster) or a join list
 * (an existing one); without either it exits with code 2 (SPEC §1).
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

static int run(struct config *cfg, const struct args *a)
{
    char err[512];
    if (lock_data_dir(cfg->data_dir, err, sizeof err) < 0) {
        fprintf(stderr, "smscd: %s\n", err);
        return 1;
    }
    bool fresh = !node_has_state(cfg->data_dir);
    bool joining = fresh && (a->join || cfg->n_join > 0) && !a->bootstrap;
    if (fresh && !a->bootstrap && !joining) {
        fprintf(stderr,
                "smscd: data_dir %s is empty: start with --bootstrap to form a "
                "new cluster from cluster_nodes, or with --join HOST:PORT "
                "(config key join) to join an existing one\n",
                cfg->data_dir);
        return EXIT_NEEDS_INTENT;
    }
    struct cmd_import routes = {0}, rules = {0};
    if (api_initial_tables(cfg, &routes, &rules, err, sizeof err) != 0) {
        fprintf(stderr, "smscd: %s\n", err);
        return 1;
    }
    block_signals();
    struct store *store = store_new();
    char *url = api_advertise_url(cfg);
    struct node *node = node_new(cfg, store, a->bootstrap && fresh, url, err,
                                 sizeof err);
    int rc = 1;
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
    if (joining && join_cluster(cfg, a->join, url, err, sizeof err) != 0)
        goto out;
    log_info("smscd %s: node %s ready (api %s)", SMSC_VERSION, cfg->node_name,
             url);
    int sig = wait_for_signal();
    log_info("signal %d: shutting down", sig);
    /* finish what is in flight while still leading, then hand over */
    api_stop(api, 5000);
    api = NULL;
    if (node_step_down(node, STEP_DOWN_MS))
        log_info("leadership handed over before stopping");
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "smscd: %s\n", err);
    api_stop(api, 5000);
    node_stop(node);
    store_free(store);
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
