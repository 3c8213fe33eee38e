/* observe — the per-request metrics of SPEC §11, taken when a reply goes
 * out: HTTP counts and durations for every request, and the message,
 * delivery and location counters for the calls that drive them.
 *
 * Who counts: the node that received the request from its client.  A
 * request a follower forwarded is counted by that follower (when it relays
 * the answer), never again by the leader, so sum(rate(...)) over the
 * cluster counts each request once.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/metric_defs.h"

double api_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *body_str(struct api_req *r, const char *key)
{
    json_t *v = r->body ? json_object_get(r->body, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : "";
}

static bool is_create(api_handler h)
{
    return h == h_messages_create || h == h_messages_create_async ||
           h == h_messages_raw || h == h_messages_raw_async;
}

static void observe_create(struct api_req *r, int status, double ms)
{
    bool refused = status == 400 || status == 413 || status == 422;
    metric_add(&M_MSG_VALIDATED, 1, refused ? "false" : "true");
    metric_observe(&M_MSG_PROCESSING, ms, status < 400 ? "true" : "false");
    if (status == 201 || status == 202) {
        const char *type = body_str(r, "source_type");
        metric_add(&M_MSG_RECEIVED, 1, body_str(r, "source_smsc"),
                   type[0] ? type : "api", "sms");
    }
}

/* A delivery outcome: the message as this node's replica has it now. */
static void observe_delivery(struct api_req *r, bool delivered)
{
    int64_t id = api_path_id(r);
    if (id <= 0)
        return;
    char dest[128] = "";
    int attempts = 0, status = -1;
    int64_t took = -1;
    store_rdlock(r->t->api->store);
    const struct msg *m = store_get(r->t->api->store, id);
    if (m) {
        snprintf(dest, sizeof dest, "%s", m->d.dest_smsc ? m->d.dest_smsc : "");
        attempts = m->d.delivery_attempts;
        status = m->d.status;
        if (m->d.deliver_time != TIME_NULL)
            took = m->d.deliver_time - m->d.inserted_at;
    }
    store_rdunlock(r->t->api->store);
    if (status < 0)
        return;
    metric_add(&M_DELIVERY_ATTEMPTED, 1, dest);
    if (delivered) {
        metric_add(&M_DELIVERY_SUCCEEDED, 1, dest);
        metric_observe(&M_DELIVERY_SUCCEEDED_ATTEMPTS, attempts + 1, dest);
        if (took >= 0)
            metric_observe(&M_DELIVERY_SUCCEEDED_DURATION, (double)took, dest);
        return;
    }
    metric_add(&M_DELIVERY_FAILED, 1, dest, "attempt_failed");
    if (status == MSG_FAILED) {
        metric_add(&M_DELIVERY_FAILED, 1, dest, "max_attempts");
        metric_observe(&M_DELIVERY_FAILED_ATTEMPTS, attempts, dest);
    }
}

void api_observe_init(void)
{
    /* series an alert watches with increase(): present from the start, so
     * the first event is a visible step from 0 */
    metric_add(&M_ROUTING_FAILED, 0, "no_route_found");
    metric_add(&M_ROUTING_FAILED, 0, "validation_failed");
    metric_add(&M_DELIVERY_DEAD_LETTER, 0, "expired");
    metric_add(&M_DELIVERY_DEAD_LETTER, 0, "dead_letter_time");
    metric_add(&M_HTTP_EXCEPTION, 0);
}

void api_observe_reply(struct api_req *r, int status)
{
    const char *route = r->route ? r->route->pattern : "unmatched";
    const char *method = "OTHER";
    switch (r->req ? evhttp_request_get_command(r->req) : 0) {
    case EVHTTP_REQ_GET: method = "GET"; break;
    case EVHTTP_REQ_POST: method = "POST"; break;
    case EVHTTP_REQ_PUT: method = "PUT"; break;
    case EVHTTP_REQ_PATCH: method = "PATCH"; break;
    case EVHTTP_REQ_DELETE: method = "DELETE"; break;
    default: break;
    }
    char st[8];
    snprintf(st, sizeof st, "%d", status);
    double ms = api_mono_ms() - r->started_at;
    metric_add(&M_HTTP_COUNT, 1, route, method, st);
    metric_observe(&M_HTTP_DURATION, ms, route);
    if (status >= 500)
        metric_add(&M_HTTP_EXCEPTION, 1);
    if (r->forwarded || r->route == NULL)
        return;
    api_handler h = r->route->handler;
    if (is_create(h))
        observe_create(r, status, ms);
    else if (h == h_messages_delivered && status == 200)
        observe_delivery(r, true);
    else if (h == h_messages_retry && status == 200)
        observe_delivery(r, false);
    else if ((h == h_locations_upsert || h == h_locations_patch) &&
             (status == 200 || status == 201)) {
        json_t *ims = r->body ? json_object_get(r->body, "ims_capable") : NULL;
        metric_add(&M_LOCATION_REGISTERED, 1, body_str(r, "location"),
                   json_is_true(ims) ? "true" : "false");
    }
}
