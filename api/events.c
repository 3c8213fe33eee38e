/* events — /api/events (SPEC §4 "Event log").
 *
 * GET /api/events/{message_id} lists a message's events, oldest first, from
 * this node's replica; for a message no longer in the store they come from
 * SQL (message_events, written through the CDR outbox).
 * POST /api/events adds a custom event to a stored message (a replicated
 * write; event_source defaults to the node the request reached).
 */
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>

#include "common/timefmt.h"
#include "common/xalloc.h"

#define NAME_MAX_LEN 64

static json_t *event_json(const struct store_event *e)
{
    char at[TIMEFMT_LEN];
    time_format(e->at, at);
    return json_pack("{s:I,s:s,s:s,s:s,s:s}", "event_epoch",
                     (json_int_t)(e->at / 1000), "event_time", at, "name",
                     e->name, "description", e->description, "event_source",
                     e->source);
}

static void collect(const struct store_event *e, void *arg)
{
    json_array_append_new(arg, event_json(e));
}

static void get_now(struct api_req *r)
{
    int64_t id = api_path_id(r);
    json_t *a = json_array();
    int in_store = -1;
    if (id > 0) {
        store_rdlock(r->t->api->store);
        in_store = store_events(r->t->api->store, id, collect, a);
        store_rdunlock(r->t->api->store);
    }
    if (in_store < 0 && id > 0) {
        json_decref(a);
        api_cdr_events(r, id); /* it left the store: its events are in SQL */
        return;
    }
    api_reply_data(r, 200, a);
}

void h_events_get(struct api_req *r)
{
    api_read(r, get_now);
}

/* The event just added: the last one of the message. */
struct last_event {
    json_t *j;
};

static void keep_last(const struct store_event *e, void *arg)
{
    struct last_event *l = arg;
    json_decref(l->j);
    l->j = event_json(e);
}

static void added(struct api_req *r)
{
    const struct store_result *res = &r->call.result;
    if (api_reply_result_error(r, res))
        return;
    struct last_event last = {NULL};
    store_rdlock(r->t->api->store);
    store_events(r->t->api->store, res->id, keep_last, &last);
    store_rdunlock(r->t->api->store);
    if (last.j == NULL)
        last.j = json_object();
    json_object_set_new(last.j, "message_id", json_integer(res->id));
    api_reply_data(r, 201, last.j);
}

static int opt_string(struct api_req *r, const char *key, size_t max,
                      const char **out)
{
    json_t *v = json_object_get(r->body, key);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v) || json_string_length(v) > max) {
        api_reply_error(r, 422, "%s must be a string of at most %zu "
                                "characters", key, max);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

void h_events_add(struct api_req *r)
{
    if (api_parse_body(r, false) != 0)
        return;
    json_t *id = json_object_get(r->body, "message_id");
    if (!json_is_integer(id) || json_integer_value(id) <= 0) {
        api_reply_error(r, 422, "message_id is required: a message id");
        return;
    }
    const char *name, *desc, *source;
    if (opt_string(r, "name", NAME_MAX_LEN, &name) ||
        opt_string(r, "description", CMD_MAX_NOTE, &desc) ||
        opt_string(r, "event_source", NAME_MAX_LEN, &source))
        return;
    if (name == NULL || name[0] == '\0') {
        api_reply_error(r, 422, "name is required");
        return;
    }
    struct cmd c;
    cmd_init(&c, CMD_EVENT_ADD);
    c.u.event.id = json_integer_value(id);
    c.u.event.name = xstrdup(name);
    c.u.event.description = desc ? xstrdup(desc) : NULL;
    c.u.event.source = source ? xstrdup(source) : NULL;
    api_set_cmd(r, &c);
    api_write(r, added);
}
