/* ctl_messages — smscctl messages list|get|send|tail.
 *
 * tail follows GET /api/messages, which lists the store in id order with
 * limit/offset.  Messages leave the store (dropped, purged), so an offset
 * drifts; tail remembers the last id it printed and the offset it was at,
 * re-reads from one before that offset, and steps back whenever the page
 * no longer starts at or before that id.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/ctl.h"

#define PAGE 1000

static const struct ctl_col msg_cols[] = {
    {"ID", "id", 0},
    {"STATUS", "status", 0},
    {"FROM", "source_msisdn", 0},
    {"TO", "destination_msisdn", 0},
    {"SOURCE", "source_smsc", 0},
    {"DEST", "dest_smsc", 0},
    {"CREATED", "inserted_at", 0},
    {"BODY", "message_body", 40},
};
#define MSG_NCOLS (sizeof msg_cols / sizeof msg_cols[0])

static void print_list(json_t *data)
{
    ctl_table(msg_cols, MSG_NCOLS, data);
}

/* Appends "&key=value" when value is given (values are checked first). */
static int add_query(const struct ctl_cmd *cmd, char *q, size_t len,
                     const char *key, const char *value)
{
    if (value == NULL)
        return 0;
    if (!ctl_segment_ok(value))
        return ctl_usage_error(cmd, "bad --%s value %s", key, value);
    size_t n = strlen(q);
    snprintf(q + n, len - n, "%s%s=%s", n ? "&" : "?", key, value);
    return 0;
}

int ctl_messages_list(const struct ctl *c, const struct ctl_cmd *cmd,
                      const struct ctl_args *a)
{
    char q[512] = "";
    if (add_query(cmd, q, sizeof q, "status", ctl_opt(cmd, a, "status")) ||
        add_query(cmd, q, sizeof q, "source_smsc", ctl_opt(cmd, a, "smsc")) ||
        add_query(cmd, q, sizeof q, "dest_smsc", ctl_opt(cmd, a, "dest")) ||
        add_query(cmd, q, sizeof q, "limit", ctl_opt(cmd, a, "limit")) ||
        add_query(cmd, q, sizeof q, "offset", ctl_opt(cmd, a, "offset")))
        return CTL_USAGE;
    char path[600];
    snprintf(path, sizeof path, "/api/messages%s", q);
    json_t *j;
    int rc = ctl_call(c, NULL, "GET", path, NULL, 0, NULL, &j);
    return ctl_emit(c, j, rc, print_list);
}

static void print_one(json_t *d)
{
    ctl_kv(d);
}

int ctl_messages_get(const struct ctl *c, const struct ctl_cmd *cmd,
                     const struct ctl_args *a)
{
    const char *id = a->pos[0];
    if (strspn(id, "0123456789") != strlen(id) || strlen(id) > 19)
        return ctl_usage_error(cmd, "ID must be a message id, not %s", id);
    char path[64];
    snprintf(path, sizeof path, "/api/messages/%s", id);
    json_t *j;
    int rc = ctl_call(c, NULL, "GET", path, NULL, 0, NULL, &j);
    return ctl_emit(c, j, rc, print_one);
}

static void print_id(json_t *d)
{
    printf("%lld\n", (long long)json_integer_value(json_object_get(d, "id")));
}

int ctl_messages_send(const struct ctl *c, const struct ctl_cmd *cmd,
                      const struct ctl_args *a)
{
    const char *from = ctl_opt(cmd, a, "from"), *to = ctl_opt(cmd, a, "to");
    const char *smsc = ctl_opt(cmd, a, "smsc"), *dest = ctl_opt(cmd, a, "dest");
    if (from == NULL || to == NULL)
        return ctl_usage_error(cmd, "--from and --to are required");
    json_t *b = json_pack("{s:s,s:s,s:s,s:s}", "source_msisdn", from,
                          "destination_msisdn", to, "source_smsc",
                          smsc ? smsc : "smscctl", "message_body", a->pos[0]);
    if (dest)
        json_object_set_new(b, "dest_smsc", json_string(dest));
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    json_t *j;
    int rc = ctl_call(c, NULL, "POST", "/api/messages", body, 0, NULL, &j);
    free(body);
    return ctl_emit(c, j, rc, print_id);
}

/* ---- tail ---- */

static volatile sig_atomic_t stop_tail;

static void on_signal(int sig)
{
    (void)sig;
    stop_tail = 1;
}

struct tail {
    json_int_t last_id; /* highest id printed (or seen at start) */
    long pos;           /* offset of last_id in the list, or -1: none */
    bool header;        /* the human header is printed */
};

/* One page at offset into *page (an array). */
static int page_at(const struct ctl *c, long offset, long limit, json_t **page)
{
    char path[128];
    snprintf(path, sizeof path, "/api/messages?limit=%ld&offset=%ld", limit,
             offset);
    json_t *j;
    int rc = ctl_call(c, NULL, "GET", path, NULL, 0, NULL, &j);
    *page = NULL;
    if (rc == CTL_OK) {
        *page = json_incref(json_object_get(j, "data"));
        if (!json_is_array(*page)) {
            json_decref(*page);
            *page = json_array();
        }
    }
    json_decref(j);
    return rc;
}

static json_int_t id_of(const json_t *page, size_t i)
{
    return json_integer_value(json_object_get(json_array_get(page, i), "id"));
}

/* Finds the end of the list (the newest message) by galloping on the
 * offset, so that tail starts after what is there already. */
static int tail_start(const struct ctl *c, struct tail *t)
{
    long lo = -1, hi = 1; /* lo: an offset known to hold a message */
    json_t *p;
    int rc;
    for (;;) {
        if ((rc = page_at(c, hi - 1, 1, &p)) != CTL_OK)
            return rc;
        bool some = json_array_size(p) > 0;
        json_decref(p);
        if (!some)
            break;
        lo = hi - 1;
        hi *= 2;
    }
    while (lo + 1 < hi - 1) { /* lo holds one, hi - 1 holds none */
        long mid = lo + (hi - 1 - lo) / 2;
        if ((rc = page_at(c, mid, 1, &p)) != CTL_OK)
            return rc;
        if (json_array_size(p) > 0)
            lo = mid;
        else
            hi = mid + 1;
        json_decref(p);
    }
    t->pos = lo;
    t->last_id = 0;
    if (lo >= 0 && (rc = page_at(c, lo, 1, &p)) == CTL_OK) {
        t->last_id = id_of(p, 0);
        json_decref(p);
    }
    return rc;
}

static void tail_print(const struct ctl *c, struct tail *t, json_t *m)
{
    if (c->json) {
        char *s = json_dumps(m, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        return;
    }
    json_t *one = json_pack("[O]", m);
    if (!t->header) {
        ctl_table(msg_cols, MSG_NCOLS, one);
        t->header = true;
    } else {
        /* rows only: the header is printed once; widths may differ */
        char buf[512];
        for (size_t i = 0; i < MSG_NCOLS; i++)
            printf(
                "%s%s",
                ctl_cell(json_object_get(m, msg_cols[i].key), buf, sizeof buf),
                i + 1 < MSG_NCOLS ? "  " : "\n");
    }
    json_decref(one);
}

/* Prints what was stored since the last poll. */
static int tail_poll(const struct ctl *c, struct tail *t)
{
    long back = 1;
    for (;;) {
        long from = t->pos < 0 ? 0 : t->pos;
        json_t *p;
        int rc = page_at(c, from, PAGE, &p);
        if (rc != CTL_OK)
            return rc;
        size_t n = json_array_size(p);
        if (from > 0 && (n == 0 || id_of(p, 0) > t->last_id)) {
            /* messages left the store before ours: look further back */
            json_decref(p);
            t->pos = from - back < 0 ? 0 : from - back;
            back *= 2;
            continue;
        }
        size_t i;
        json_t *m;
        json_array_foreach(p, i, m)
        {
            json_int_t id = json_integer_value(json_object_get(m, "id"));
            if (id <= t->last_id)
                continue;
            tail_print(c, t, m);
            t->last_id = id;
        }
        if (n > 0)
            t->pos = from + (long)n - 1;
        json_decref(p);
        fflush(stdout);
        if (n < PAGE)
            return CTL_OK;
    }
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (!stop_tail && nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int ctl_messages_tail(const struct ctl *c, const struct ctl_cmd *cmd,
                      const struct ctl_args *a)
{
    double interval = 1;
    const char *iv = ctl_opt(cmd, a, "interval");
    if (iv) {
        char *end;
        interval = strtod(iv, &end);
        if (*end || !(interval >= 0.05 && interval <= 3600))
            return ctl_usage_error(cmd, "--interval must be 0.05 to 3600 "
                                        "seconds");
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct tail t = {0, -1, false};
    int rc = tail_start(c, &t);
    while (rc == CTL_OK && !stop_tail) {
        sleep_s(interval);
        if (!stop_tail)
            rc = tail_poll(c, &t);
    }
    return rc;
}
