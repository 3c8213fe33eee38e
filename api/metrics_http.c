/* metrics_http — GET /metrics on metrics.port (Prometheus text format
 * 0.0.4): raft state, replicated queue gauges and process_* metrics of
 * this node.  Gauges of replicated state are the same on every node.
 * Reading them takes the store's read lock for a few counters only, so a
 * scrape never holds up request handling.
 */
#include "api/api_int.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "api/metric_defs.h"
#include "common/metrics.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "server/config.h"

static int64_t process_start_ms;

static void gauge(struct evbuffer *b, const char *name, const char *help,
                  const char *type, double v)
{
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name,
                        help, name, type, name, v);
}

static void raft_metrics(struct evbuffer *b, struct api *a)
{
    struct node_status st;
    node_get_status(a->node, &st);
    evbuffer_add_printf(b, "# HELP sms_c_raft_role Raft role of this node "
                           "(1 for the current role)\n"
                           "# TYPE sms_c_raft_role gauge\n");
    static const int roles[] = {NODE_ROLE_LEADER, NODE_ROLE_FOLLOWER,
                                NODE_ROLE_CANDIDATE, NODE_ROLE_UNAVAILABLE};
    for (int i = 0; i < 4; i++)
        evbuffer_add_printf(b, "sms_c_raft_role{role=\"%s\"} %d\n",
                            node_role_name(roles[i]), st.role == roles[i]);
    gauge(b, "sms_c_raft_term", "Current raft term", "gauge", (double)st.term);
    gauge(b, "sms_c_raft_commit_index", "Raft commit index", "gauge",
          (double)st.commit_index);
    gauge(b, "sms_c_raft_applied_index", "Raft index applied here", "gauge",
          (double)st.applied_index);
    gauge(b, "sms_c_raft_leader_changes_total", "Leader changes seen",
          "counter", (double)st.leader_changes);
    gauge(b, "sms_c_raft_entries_applied_total",
          "Group-commit entries applied here", "counter",
          (double)st.entries_applied);
    gauge(b, "sms_c_raft_commands_applied_total", "Commands applied here",
          "counter", (double)st.commands_applied);
}

/* One series per frontend name and status: 1 for the status of its latest
 * registration, 0 for the other (at most FE_METRIC_MAX names). */
#define FE_METRIC_MAX 10000

static void frontend_metrics(struct evbuffer *b, struct api *a)
{
    const struct frontend_rec **v = xcalloc(FE_METRIC_MAX, sizeof *v);
    struct buf out;
    buf_init(&out);
    store_rdlock(a->store);
    size_t n = store_frontends(a->store, false, 0, FE_METRIC_MAX, v);
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 2; k++) {
            bool connected = v[i]->status == FE_ACTIVE;
            static const char head[] =
                "sms_c_frontend_status_count{frontend_name=\"";
            buf_put(&out, head, sizeof head - 1);
            metrics_escape(&out, v[i]->frontend_name);
            const char *st = k == 0 ? "connected" : "disconnected";
            char tail[64];
            int len = snprintf(tail, sizeof tail, "\",status=\"%s\"} %d\n", st,
                               (k == 0) == connected);
            buf_put(&out, tail, (size_t)len);
        }
    }
    store_rdunlock(a->store);
    free(v);
    evbuffer_add_printf(b, "# HELP sms_c_frontend_status_count Frontends by "
                           "the status of their latest registration\n"
                           "# TYPE sms_c_frontend_status_count gauge\n");
    evbuffer_add(b, out.data, out.len);
    buf_free(&out);
}

static void queue_metrics(struct evbuffer *b, struct api *a)
{
    struct store_counts c;
    struct store_frontend_stats fe;
    store_rdlock(a->store);
    store_get_counts(a->store, &c);
    store_frontend_stats(a->store, &fe);
    int64_t oldest = store_oldest_pending(a->store);
    int64_t clock = store_clock(a->store);
    store_rdunlock(a->store);
    static const char *const qnames[] = {
        "sms_c_queue_size_size", "sms_c_queue_size_pending",
        "sms_c_queue_size_failed", "sms_c_queue_size_delivered"};
    static const char *const qhelp[] = {
        "Messages in the store", "Pending messages", "Failed messages",
        "Delivered messages"};
    uint64_t qval[] = {c.total, c.by_status[MSG_PENDING],
                       c.by_status[MSG_FAILED], c.by_status[MSG_DELIVERED]};
    for (int i = 0; i < 4; i++) {
        evbuffer_add_printf(b, "# HELP %s %s (replicated: the same on every "
                               "node)\n# TYPE %s gauge\n"
                               "%s{queue_type=\"message_queue\"} %llu\n",
                            qnames[i], qhelp[i], qnames[i], qnames[i],
                            (unsigned long long)qval[i]);
        if (i == 0)
            evbuffer_add_printf(b, "%s{queue_type=\"dead_letter\"} %llu\n",
                                qnames[i],
                                (unsigned long long)c.by_status[MSG_EXPIRED]);
    }
    evbuffer_add_printf(b, "# HELP sms_c_queue_oldest_message_age_seconds Age "
                           "of the oldest pending message\n"
                           "# TYPE sms_c_queue_oldest_message_age_seconds "
                           "gauge\n"
                           "sms_c_queue_oldest_message_age_seconds"
                           "{queue_type=\"message_queue\"} %.3f\n",
                        oldest == TIME_NULL ? 0.0
                                            : (double)(clock - oldest) / 1000.0);
    evbuffer_add_printf(b, "# HELP sms_c_store_table_size_record_count "
                           "Records per replicated table\n"
                           "# TYPE sms_c_store_table_size_record_count gauge\n"
                           "sms_c_store_table_size_record_count"
                           "{table=\"messages\"} %llu\n"
                           "sms_c_store_table_size_record_count"
                           "{table=\"request_ids\"} %llu\n"
                           "sms_c_store_table_size_record_count"
                           "{table=\"routes\"} %llu\n"
                           "sms_c_store_table_size_record_count"
                           "{table=\"translation_rules\"} %llu\n"
                           "sms_c_store_table_size_record_count"
                           "{table=\"locations\"} %llu\n"
                           "sms_c_store_table_size_record_count"
                           "{table=\"frontends\"} %llu\n",
                        (unsigned long long)c.total,
                        (unsigned long long)c.request_ids,
                        (unsigned long long)c.routes,
                        (unsigned long long)c.rules,
                        (unsigned long long)c.locations,
                        (unsigned long long)fe.total_registrations);
    frontend_metrics(b, a);
}

static long count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    long n = 0;
    if (d == NULL)
        return 0;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n > 2 ? n - 3 : 0; /* ".", ".." and the DIR's own fd */
}

static void process_metrics(struct evbuffer *b)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    long rss_pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        long size;
        if (fscanf(f, "%ld %ld", &size, &rss_pages) != 2)
            rss_pages = 0;
        fclose(f);
    }
    gauge(b, "process_cpu_seconds_total", "User and system CPU time",
          "counter", cpu);
    gauge(b, "process_resident_memory_bytes", "Resident memory", "gauge",
          (double)rss_pages * (double)sysconf(_SC_PAGESIZE));
    gauge(b, "process_open_fds", "Open file descriptors", "gauge",
          (double)count_fds());
    gauge(b, "process_start_time_seconds", "Start time, epoch seconds",
          "gauge", (double)process_start_ms / 1000.0);
}

void api_metrics_init(void)
{
    process_start_ms = time_now_ms();
    api_observe_init();
}

/* The counters and histograms updated on hot paths (common/metrics.h). */
static void registry_metrics(struct evbuffer *b)
{
    const struct metric_family *fams[64];
    size_t n = 0;
    for (size_t i = 0; i < api_metric_family_count; i++)
        fams[n++] = api_metric_families[i];
    fams[n++] = &M_DELIVERY_DEAD_LETTER;
    fams[n++] = &M_RAFT_APPLY_DURATION;
    fams[n++] = &M_RAFT_COMMANDS_PER_ENTRY;
    struct buf out;
    buf_init(&out);
    metrics_render(&out, fams, n);
    evbuffer_add(b, out.data, out.len);
    buf_free(&out);
}

void api_metrics_handler(struct evhttp_request *req, void *arg)
{
    struct api *a = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (path == NULL || strcmp(path, "/metrics") != 0) {
        evhttp_send_error(req, 404, "Not found: try /metrics");
        return;
    }
    struct evbuffer *b = evbuffer_new();
    raft_metrics(b, a);
    queue_metrics(b, a);
    api_cdr_metrics(b, a);
    registry_metrics(b);
    process_metrics(b);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; version=0.0.4; charset=utf-8");
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
}
