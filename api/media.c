/* media — /api/mms_messages (alias /api/mms_message_queues) and
 * /api/ss7_events (SPEC §4 "MMS and SS7").
 *
 * Both resources share every handler through a descriptor (struct
 * media_res) chosen by the route's path.  POST creates (201 with the
 * stored record); PATCH is merged on the leader into its current record
 * and proposed whole, so the state machine only stores; DELETE answers 204.
 * Bodies are validated where they arrive and again on the leader
 * (api/mediajson.h).  Lists are in id order with limit / offset and exact
 * filters on the indexed keys (MMS: status, source_msisdn,
 * destination_msisdn; SS7: event_type, msisdn, imsi).
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/mediajson.h"
#include "common/xalloc.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000

struct media_res {
    const char *not_found;
    uint8_t put, del;
    /* The query parameters of the filter keys, in struct media_filter
     * order (NULL past the last). */
    const char *filter_keys[MEDIA_KEYS];
    /* Fills the PUT command c from body (see mediajson.h). */
    int (*from_json)(json_t *body, struct cmd *c, enum media_json_mode mode,
                     char *err, size_t errlen);
    /* Copies stored row id into the PUT command c; false when absent. */
    bool (*load)(const struct store *s, int64_t id, struct cmd *c);
    /* Row id as JSON, or NULL when absent. */
    json_t *(*render)(const struct store *s, int64_t id);
    /* Appends the rows matching f to the array a. */
    void (*list)(const struct store *s, const struct media_filter *f,
                 json_t *a);
};

/* ---- the two descriptors (typed wrappers) ---- */

static int mms_from(json_t *o, struct cmd *c, enum media_json_mode m,
                    char *e, size_t n)
{
    return mms_from_json(o, &c->u.mms, m, e, n);
}

static bool mms_load(const struct store *s, int64_t id, struct cmd *c)
{
    const struct mms_rec *cur = store_mms(s, id);
    if (cur == NULL)
        return false;
    mms_rec_free(&c->u.mms);
    mms_rec_copy(&c->u.mms, cur);
    return true;
}

static json_t *mms_render(const struct store *s, int64_t id)
{
    const struct mms_rec *m = store_mms(s, id);
    return m ? mms_to_json(m) : NULL;
}

static void mms_list(const struct store *s, const struct media_filter *f,
                     json_t *a)
{
    const struct mms_rec **v = xcalloc(f->limit ? f->limit : 1, sizeof *v);
    size_t n = store_mms_list(s, f, v);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, mms_to_json(v[i]));
    free(v);
}

static int ss7_from(json_t *o, struct cmd *c, enum media_json_mode m,
                    char *e, size_t n)
{
    return ss7_from_json(o, &c->u.ss7, m, e, n);
}

static bool ss7_load(const struct store *s, int64_t id, struct cmd *c)
{
    const struct ss7_rec *cur = store_ss7(s, id);
    if (cur == NULL)
        return false;
    ss7_rec_free(&c->u.ss7);
    ss7_rec_copy(&c->u.ss7, cur);
    return true;
}

static json_t *ss7_render(const struct store *s, int64_t id)
{
    const struct ss7_rec *e = store_ss7(s, id);
    return e ? ss7_to_json(e) : NULL;
}

static void ss7_list(const struct store *s, const struct media_filter *f,
                     json_t *a)
{
    const struct ss7_rec **v = xcalloc(f->limit ? f->limit : 1, sizeof *v);
    size_t n = store_ss7_list(s, f, v);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, ss7_to_json(v[i]));
    free(v);
}

static const struct media_res mms_res = {
    "MMS message not found", CMD_MMS_PUT, CMD_MMS_DELETE,
    {[MMS_KEY_STATUS] = "status", [MMS_KEY_SOURCE] = "source_msisdn",
     [MMS_KEY_DESTINATION] = "destination_msisdn"},
    mms_from, mms_load, mms_render, mms_list,
};

static const struct media_res ss7_res = {
    "SS7 event not found", CMD_SS7_PUT, CMD_SS7_DELETE,
    {[SS7_KEY_EVENT_TYPE] = "event_type", [SS7_KEY_MSISDN] = "msisdn",
     [SS7_KEY_IMSI] = "imsi"},
    ss7_from, ss7_load, ss7_render, ss7_list,
};

static const struct media_res *res_of(struct api_req *r)
{
    static const char ss7_prefix[] = "/api/ss7_events";
    return strncmp(r->route->pattern, ss7_prefix, sizeof ss7_prefix - 1) == 0
               ? &ss7_res
               : &mms_res;
}

/* ---- reads ---- */

static void list_now(struct api_req *r)
{
    const struct media_res *res = res_of(r);
    long limit, offset;
    if (api_query_int(r, "limit", 1, LIST_MAX, LIST_DEFAULT, &limit) ||
        api_query_int(r, "offset", 0, 100000000, 0, &offset))
        return;
    struct media_filter f = {.offset = (size_t)offset, .limit = (size_t)limit};
    for (unsigned k = 0; k < MEDIA_KEYS && res->filter_keys[k]; k++)
        f.key[k] = api_query(r, res->filter_keys[k]);
    int st;
    if (res == &mms_res && f.key[MMS_KEY_STATUS] &&
        mms_status_parse(f.key[MMS_KEY_STATUS], &st) != 0) {
        api_reply_error(r, 422, "status must be one of pending, delivered, "
                                "failed, expired");
        return;
    }
    json_t *a = json_array();
    store_rdlock(r->t->api->store);
    res->list(r->t->api->store, &f, a);
    store_rdunlock(r->t->api->store);
    api_reply_data(r, 200, a);
}

static void get_now(struct api_req *r)
{
    const struct media_res *res = res_of(r);
    int64_t id = api_path_id(r);
    json_t *j = NULL;
    if (id > 0) {
        store_rdlock(r->t->api->store);
        j = res->render(r->t->api->store, id);
        store_rdunlock(r->t->api->store);
    }
    if (j == NULL)
        api_reply_error(r, 404, "%s", res->not_found);
    else
        api_reply_data(r, 200, j);
}

void h_media_list(struct api_req *r)
{
    api_read(r, list_now);
}

void h_media_get(struct api_req *r)
{
    api_read(r, get_now);
}

/* ---- writes ---- */

/* The stored row a write changed, as its answer. */
static void reply_row(struct api_req *r)
{
    const struct store_result *res = &r->call.result;
    if (api_reply_result_error(r, res))
        return;
    store_rdlock(r->t->api->store);
    json_t *j = res_of(r)->render(r->t->api->store, res->id);
    store_rdunlock(r->t->api->store);
    if (j == NULL) /* deleted by a later entry already */
        j = json_pack("{s:I}", "id", (json_int_t)res->id);
    api_reply_data(r, res->status ? res->status : 200, j);
}

void h_media_create(struct api_req *r)
{
    if (api_parse_body(r, false) != 0)
        return;
    const struct media_res *res = res_of(r);
    struct cmd c;
    char err[256];
    cmd_init(&c, res->put);
    int st = res->from_json(r->body, &c, MEDIA_JSON_CREATE, err, sizeof err);
    if (st != 0) {
        cmd_free(&c);
        api_reply_error(r, st, "%s", err);
        return;
    }
    api_set_cmd(r, &c);
    api_write(r, reply_row);
}

/* Leader: merge the body into the current record and propose it whole. */
static void patch_on_leader(struct api_req *r)
{
    const struct media_res *res = res_of(r);
    struct cmd c;
    cmd_init(&c, res->put);
    store_rdlock(r->t->api->store);
    bool found = res->load(r->t->api->store, api_path_id(r), &c);
    store_rdunlock(r->t->api->store);
    if (!found) {
        cmd_free(&c);
        api_reply_error(r, 404, "%s", res->not_found);
        return;
    }
    char err[256];
    int st = res->from_json(r->body, &c, MEDIA_JSON_PATCH, err, sizeof err);
    if (st != 0) {
        cmd_free(&c);
        api_reply_error(r, st, "%s", err);
        return;
    }
    api_set_cmd(r, &c);
    api_propose(r);
}

void h_media_patch(struct api_req *r)
{
    if (api_path_id(r) <= 0) {
        api_reply_error(r, 404, "%s", res_of(r)->not_found);
        return;
    }
    if (api_parse_body(r, false) != 0)
        return;
    r->leader_action = patch_on_leader;
    api_write(r, reply_row);
}

static void deleted(struct api_req *r)
{
    if (!api_reply_result_error(r, &r->call.result))
        api_reply_empty(r, 204);
}

void h_media_delete(struct api_req *r)
{
    const struct media_res *res = res_of(r);
    int64_t id = api_path_id(r);
    if (id <= 0) {
        api_reply_error(r, 404, "%s", res->not_found);
        return;
    }
    struct cmd c;
    cmd_init(&c, res->del);
    c.u.id = id;
    api_set_cmd(r, &c);
    api_write(r, deleted);
}
