/* api_int — what the api/ files share: the server, its threads, the
 * request context, the route table and the reply helpers.  Only the api/ .c files
 * include this header.
 *
 * Every handler runs on the HTTP thread that accepted the connection.  A
 * handler either replies at once or starts asynchronous work (a raft
 * proposal, a wait for an applied index, a forward to the leader) and
 * returns; the continuation runs later on the same thread.  A request
 * context lives until it has been answered AND every asynchronous call it
 * started has come back, so a late completion never touches freed memory.
 */
#ifndef SMSC_API_INT_H
#define SMSC_API_INT_H

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "api/api.h"
#include "raft_store/cmd.h"
#include "raft_store/node.h"
#include "raft_store/store.h"

struct fwd_pool;
struct api_req;
struct ratelimit;

enum route_flags {
    ROUTE_WRITE = 1 << 0,      /* goes to the leader */
    ROUTE_INTERNAL = 1 << 1,   /* node-to-node only: must be signed */
};

enum rate_class { RATE_NONE, RATE_SUBMIT, RATE_ASYNC, RATE_RAW, RATE_READ };

typedef void (*api_handler)(struct api_req *r);

struct route {
    enum evhttp_cmd_type method;
    const char *pattern;       /* "/api/messages/{id}/mark_delivered" */
    api_handler handler;
    unsigned flags;
    enum rate_class rate;
    const char *summary;       /* one line, for the OpenAPI document */
};

struct api_thread {
    struct api *api;
    int index;
    pthread_t thread;
    struct event_base *base;
    struct evhttp *http;       /* plain listener */
    struct evhttp *https;      /* TLS listener */
    struct evhttp *metrics;    /* thread 0 only */
    struct event *done_ev;     /* woken by node completions */
    pthread_mutex_t done_lock;
    struct api_req *done_head; /* guarded by done_lock */
    struct fwd_pool *fwd;      /* connections to the leader */
    struct event *async_ev;    /* drains the async backlog */
    struct event *announce_ev; /* node_info to the leader (followers) */
    struct event *stop_ev;     /* activated to end the thread's loop */
    uint64_t next_rid;
    struct pipe_cache *pipe;   /* this thread's compiled routes and rules */
};

struct async_item;
struct cdr_writer;

struct api {
    const struct config *cfg;
    struct node *node;
    struct store *store;
    SSL_CTX *tls;
    SSL_CTX *tls_client;
    struct api_thread *threads;
    int n_threads;
    evutil_socket_t fd_http, fd_https, fd_metrics;
    struct ratelimit *rl;
    atomic_long async_backlog;     /* accepted, not yet committed */
    atomic_int inflight_requests;
    atomic_bool stopping;
    bool quiesced;                 /* api_quiesce done (main thread) */
    char node_name[64];
    uint64_t incarnation;      /* random per process, in node-made ids */
    struct cdr_writer *cdr;    /* this node's CDR writer (cdr.c) */
    atomic_ullong cdr_ack_seq; /* node-made ids of CDR acks */
    atomic_ullong cdr_backlog_refused;
    atomic_llong cdr_backlog_logged_ms;
};

struct api_req {
    struct evhttp_request *req;
    struct api_thread *t;
    const struct route *route;
    char *path_id;              /* the {id} / {name} segment, owned */
    struct evkeyvalq query;
    bool query_parsed;
    json_t *body;               /* parsed JSON body, or NULL */
    char client_ip[64];
    char rid[CMD_MAX_REQUEST_ID + 1]; /* request id */
    int key_kind;               /* enum cmd_key_kind */
    bool forwarded;             /* came from another node, signed */
    char forwarder[64];
    int64_t started_ms;
    double started_at;          /* monotonic ms, fine-grained (metrics) */
    int64_t deadline_ms;        /* monotonic */

    /* asynchronous state */
    struct node_call call;
    void (*on_call)(struct api_req *r);  /* when call comes back */
    void (*cont)(struct api_req *r);     /* the handler's next step */
    void (*leader_action)(struct api_req *r); /* instead of proposing cmd */
    int pending;                /* asynchronous calls not back yet */
    bool answered;
    struct event *timer;
    struct api_req *done_next;
    uint64_t index;             /* raft index to wait for */
    int64_t *lease_ids;         /* lease result (owned) */
    uint32_t n_lease_ids;
    int stage;

    /* a leader's answer being relayed by a follower */
    int fwd_status;
    char *fwd_body;
    size_t fwd_len;
    char fwd_ctype[64];
    const char *fwd_path;       /* forward as POST fwd_path + fwd_json */
    char *fwd_json;             /*   instead of the client's request */
    void *cdr_job;              /* an SQL query in flight (cdr.c), owned */
    void *restore_job;          /* a restore being proposed (backup.c) */
    uint8_t *cmd;               /* encoded command kept for retries */
    size_t cmd_len;
    int retries;
};

/* ---- router.c ---- */
extern const struct route api_routes[];
extern const unsigned api_route_count;
void api_dispatch(struct evhttp_request *req, void *arg);

/* ---- reply.c ---- */
void api_reply_json(struct api_req *r, int status, json_t *body); /* steals */
void api_reply_data(struct api_req *r, int status, json_t *data); /* wraps */
void api_reply_error(struct api_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void api_reply_empty(struct api_req *r, int status);
void api_reply_raw(struct api_req *r, int status, const char *ctype,
                   const void *body, size_t len);
/* Answers with the JSON text in body (application/json), taking its bytes
 * without a copy; body is left empty. */
void api_reply_buf(struct api_req *r, int status, struct buf *body);
/* An empty buffer for an answer body, recycled from earlier answers. */
void api_body_init(struct buf *b);
/* Finishes a context: frees it when answered and nothing is pending. */
void api_req_release(struct api_req *r);
const char *api_query(struct api_req *r, const char *key);
const char *api_header(struct api_req *r, const char *key);
/* Parses the body as a JSON object; on failure replies 400 and returns -1.
 * An empty body gives an empty object when allow_empty. */
int api_parse_body(struct api_req *r, bool allow_empty);
/* Query integer in [min, max] with a default; replies 422 and returns -1
 * when malformed. */
int api_query_int(struct api_req *r, const char *key, long min, long max,
                  long dflt, long *out);
/* The {id} segment as a positive integer, or -1. */
int64_t api_path_id(struct api_req *r);

/* ---- write.c: the path of a write ---- */
/* Proposes r->cmd (encoded) on the leader, or forwards the HTTP request to
 * the leader when this node follows; then calls done(r) on this thread
 * with r->call filled (leader) or replies with the relayed answer
 * (follower).  Replies 503 by itself on timeouts and missing leaders. */
void api_write(struct api_req *r, void (*done)(struct api_req *r));
/* The continuation of a leader-side node call: on NODE_DONE runs r->cont,
 * else answers 503 / retries like a proposal would. */
void api_local_done(struct api_req *r);
/* Makes the request linearizable before running cont(r). */
void api_linearize(struct api_req *r, void (*cont)(struct api_req *r));
bool api_wants_linearizable(struct api_req *r);
/* Runs read(r) now, or after a linearizable barrier when the client asked
 * for one (X-Consistency: linearizable or ?consistent=true). */
void api_read(struct api_req *r, void (*read)(struct api_req *r));
/* Moves the request's deadline to ms from now (long multi-step writes). */
void api_extend_deadline(struct api_req *r, int64_t ms);
/* Starts a wait for the node (call hand-off back to this thread). */
void api_call_begin(struct api_req *r, void (*cont)(struct api_req *r));
void api_thread_wake_done(evutil_socket_t fd, short what, void *arg);
/* Replies with a store result that is an error; true when it was one. */
bool api_reply_result_error(struct api_req *r, const struct store_result *res);

/* ---- messages.c, msgjson.c ---- */
void h_messages_create(struct api_req *r);
void h_messages_create_async(struct api_req *r);
void h_messages_list(struct api_req *r);
void h_messages_get_by_smsc(struct api_req *r);
void h_messages_get(struct api_req *r);
void h_messages_patch(struct api_req *r);
void h_messages_retry(struct api_req *r);
void h_messages_delivered(struct api_req *r);
void h_messages_delete(struct api_req *r);
void h_internal_lease(struct api_req *r);
json_t *msg_to_json(const struct msg *m);
/* Answers with the record of the message a write created or changed. */
void api_reply_record(struct api_req *r);
/* Finishes a create command whose message is filled in: the pipeline (when
 * asked), the origin node, r->cmd.  false after replying (c is freed). */
bool api_create_finish(struct api_req *r, struct cmd *c, bool pipeline);
/* Hands r->cmd to the async backlog and answers 202 (503 when full). */
void api_accept_async(struct api_req *r, const char *path);
void h_messages_raw(struct api_req *r);
void h_messages_raw_async(struct api_req *r);
/* Fills d from a create body.  Returns 0, or an HTTP status with a detail
 * naming the field in err. */
int msg_from_json(json_t *body, struct msg_data *d, char *err, size_t errlen);
/* The JSON fields of a raw submission (SPEC §4 "Raw SMS PDU") into d, the
 * pdu hex into *pdu (owned).  Same return convention. */
int msg_raw_from_json(json_t *body, struct msg_data *d, char **pdu, char *err,
                      size_t errlen);
/* The number rules of SPEC §2, checked after translation: 0 or 422. */
int msg_check_numbers(const struct msg_data *d, char *err, size_t errlen);
/* Fills a PATCH command; same return convention. */
int msg_patch_from_json(json_t *body, struct cmd_patch *p, char *err,
                        size_t errlen);

/* ---- pipeline.c: translation → routing on the leader (SPEC §5–§7) ---- */
struct route_set;
struct xlat_set;
/* The thread's route and rule sets, rebuilt when the store's tables
 * changed; valid until the next call on this thread. */
void pipeline_sets(struct api_thread *t, struct route_set **routes,
                   struct xlat_set **rules);
/* Translates the numbers of cr->m, validates them, and selects the route
 * (or keeps a client-given dest_smsc), filling cr->action, xlat_note and,
 * for an auto-reply route, cr->reply.  Returns 0, or an HTTP status with a
 * detail in err. */
int pipeline_create(struct api_thread *t, struct cmd_create *cr, char *err,
                    size_t errlen);
void pipeline_free(struct api_thread *t);

/* ---- routes.c, locations.c, events.c ---- */
void h_routes_list(struct api_req *r);
void h_routes_get(struct api_req *r);
void h_routes_create(struct api_req *r);
void h_routes_patch(struct api_req *r);
void h_routes_delete(struct api_req *r);
void h_routes_export(struct api_req *r);
void h_routes_import(struct api_req *r);
void h_routes_simulate(struct api_req *r);
void h_rules_list(struct api_req *r);
void h_rules_get(struct api_req *r);
void h_rules_create(struct api_req *r);
void h_rules_patch(struct api_req *r);
void h_rules_delete(struct api_req *r);
void h_rules_export(struct api_req *r);
void h_rules_import(struct api_req *r);
void h_rules_simulate(struct api_req *r);
void h_locations_list(struct api_req *r);
void h_locations_get(struct api_req *r);
void h_locations_upsert(struct api_req *r);
void h_locations_patch(struct api_req *r);
void h_locations_delete(struct api_req *r);
void h_events_get(struct api_req *r);
void h_events_add(struct api_req *r);
/* ---- frontends.c ---- */
void h_frontends_register(struct api_req *r);
void h_frontends_list(struct api_req *r);
void h_frontends_active(struct api_req *r);
void h_frontends_stats(struct api_req *r);
void h_frontends_history(struct api_req *r);
void h_frontends_get(struct api_req *r);
/* media.c: MMS messages and SS7 events, one set of handlers for both */
void h_media_list(struct api_req *r);
void h_media_get(struct api_req *r);
void h_media_create(struct api_req *r);
void h_media_patch(struct api_req *r);
void h_media_delete(struct api_req *r);
/* Encodes c as this request's command (and frees c); the node the request
 * reached is recorded in it as the event source. */
void api_set_cmd(struct api_req *r, struct cmd *c);
/* Proposes r->cmd here (this node leads); continues with r->cont. */
void api_propose(struct api_req *r);

/* ---- cluster.c ---- */
void h_cluster_nodes_add(struct api_req *r);
/* ---- admin.c ---- */
void h_cluster_get(struct api_req *r);
void h_cluster_nodes_remove(struct api_req *r);
void h_cluster_nodes_promote(struct api_req *r);
void h_cluster_nodes_demote(struct api_req *r);
void h_cluster_transfer(struct api_req *r);
void h_settings_get(struct api_req *r);
void h_settings_patch(struct api_req *r);
void h_cluster_state_hash(struct api_req *r);
void h_cluster_snapshot(struct api_req *r);
/* ---- backup.c ---- */
void h_backup(struct api_req *r);
void h_restore(struct api_req *r);
void api_restore_job_free(void *job);
void h_internal_node_info(struct api_req *r);

/* ---- status.c ---- */
void h_status(struct api_req *r);
void h_internal_read_index(struct api_req *r);
void h_openapi(struct api_req *r);
void h_logs(struct api_req *r);

/* ---- async.c ---- */
/* Takes the encoded command and the original body (a follower forwards
 * that body to path on the leader); 0, or -1 when the backlog is full. */
int api_async_submit(struct api_req *r, const char *path, const uint8_t *cmd,
                     size_t len);
/* The same without a request (node-made commands such as CDR acks); any
 * thread.  body is what a follower POSTs to path on the leader. */
int api_async_post(struct api *a, const char *path, const uint8_t *cmd,
                   size_t len, const char *body, size_t body_len,
                   const char *rid, const char *client);
void api_async_thread_init(struct api_thread *t);

/* ---- cdr.c: the CDR writer of this node and its endpoints ---- */
/* Starts the writer (SQLite file in data_dir unless database says
 * otherwise); 0, or -1 with err set. */
int api_cdr_start(struct api *a, char *err, size_t errlen);
/* Stops the writer's threads (later queries fail with 503); then, once
 * the HTTP threads are gone, api_cdr_free. */
void api_cdr_stop(struct api *a);
void api_cdr_free(struct api *a);
void h_cdr_stats(struct api_req *r);
void h_cdrs_search(struct api_req *r);
void h_internal_cdr_ack(struct api_req *r);
/* The events of a message that left the store, from SQL; replies. */
void api_cdr_events(struct api_req *r, int64_t message_id);
/* 503 "CDR backlog full" when the outbox is at its bound; true after
 * replying. */
bool api_cdr_backlog_full(struct api_req *r);
/* sms_c_cdr_* in Prometheus text. */
void api_cdr_metrics(struct evbuffer *b, struct api *a);
void api_cdr_job_free(void *job);

/* ---- observe.c: per-request metrics ---- */
double api_mono_ms(void);
/* Creates the zero series of the counters alerts watch (at start-up). */
void api_observe_init(void);
/* Counts a reply about to go out (any thread's request, its own thread). */
void api_observe_reply(struct api_req *r, int status);

/* ---- metrics_http.c ---- */
void api_metrics_init(void);
void api_metrics_handler(struct evhttp_request *req, void *arg);

/* ---- ratelimit.c ---- */
struct ratelimit *ratelimit_new(const struct config *cfg);
void ratelimit_free(struct ratelimit *rl);
/* Checks and counts one request; adds the X-RateLimit-* headers.  Returns
 * true when allowed, false after replying 429. */
bool ratelimit_check(struct ratelimit *rl, struct api_req *r);

#endif
