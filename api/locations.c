/* locations — /api/locations (SPEC §4 "Subscriber locations").
 *
 * {x} is a location id, or an MSISDN when it starts with '+' (also
 * /api/locations/msisdn/{msisdn}): reads by MSISDN give its newest live
 * registration.  POST upserts by IMSI (201 new, 200 updated).  PATCH is
 * merged on the leader into its current record and proposed whole.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/tablejson.h"
#include "common/xalloc.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000

/* The location {x} names, under the read lock: by id or by MSISDN. */
static const struct location_rec *lookup(struct api_req *r)
{
    const char *x = r->path_id;
    if (x == NULL)
        return NULL;
    bool by_msisdn = x[0] == '+' || strstr(r->route->pattern, "/msisdn/");
    if (by_msisdn)
        return store_location_by_msisdn(r->t->api->store, x);
    int64_t id = api_path_id(r);
    return id > 0 ? store_location(r->t->api->store, id) : NULL;
}

static json_t *render_id(struct api_req *r, int64_t id)
{
    store_rdlock(r->t->api->store);
    const struct location_rec *l = store_location(r->t->api->store, id);
    json_t *j = l ? location_to_json(l) : NULL;
    store_rdunlock(r->t->api->store);
    return j;
}

static void reply_loc(struct api_req *r)
{
    const struct store_result *res = &r->call.result;
    if (api_reply_result_error(r, res))
        return;
    json_t *j = render_id(r, res->id);
    if (j == NULL)
        j = json_pack("{s:I}", "id", (json_int_t)res->id);
    api_reply_data(r, res->status ? res->status : 200, j);
}

static void list_now(struct api_req *r)
{
    long limit, offset;
    if (api_query_int(r, "limit", 1, LIST_MAX, LIST_DEFAULT, &limit) ||
        api_query_int(r, "offset", 0, 100000000, 0, &offset))
        return;
    const char *msisdn = api_query(r, "msisdn");
    const struct location_rec **v = xcalloc((size_t)limit, sizeof *v);
    json_t *a = json_array();
    store_rdlock(r->t->api->store);
    size_t n = store_locations(r->t->api->store, msisdn, (size_t)offset,
                               (size_t)limit, v);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, location_to_json(v[i]));
    store_rdunlock(r->t->api->store);
    free(v);
    api_reply_data(r, 200, a);
}

static void get_now(struct api_req *r)
{
    store_rdlock(r->t->api->store);
    const struct location_rec *l = lookup(r);
    json_t *j = l ? location_to_json(l) : NULL;
    store_rdunlock(r->t->api->store);
    if (j == NULL)
        api_reply_error(r, 404, "Location not found");
    else
        api_reply_data(r, 200, j);
}

void h_locations_list(struct api_req *r)
{
    api_read(r, list_now);
}

void h_locations_get(struct api_req *r)
{
    api_read(r, get_now);
}

void h_locations_upsert(struct api_req *r)
{
    if (api_parse_body(r, false) != 0)
        return;
    struct cmd c;
    char err[256];
    cmd_init(&c, CMD_LOC_PUT);
    int st = location_from_json(r->body, &c.u.loc.rec, TABLE_JSON_CREATE, err,
                                sizeof err);
    if (st != 0) {
        cmd_free(&c);
        api_reply_error(r, st, "%s", err);
        return;
    }
    c.u.loc.rec.id = 0;
    c.u.loc.by_imsi = true;
    api_set_cmd(r, &c);
    api_write(r, reply_loc);
}

static void patch_on_leader(struct api_req *r)
{
    struct cmd c;
    cmd_init(&c, CMD_LOC_PUT);
    store_rdlock(r->t->api->store);
    const struct location_rec *cur = lookup(r);
    if (cur) {
        location_rec_free(&c.u.loc.rec);
        location_rec_copy(&c.u.loc.rec, cur);
    }
    store_rdunlock(r->t->api->store);
    if (cur == NULL) {
        cmd_free(&c);
        api_reply_error(r, 404, "Location not found");
        return;
    }
    char err[256];
    int st = location_from_json(r->body, &c.u.loc.rec, TABLE_JSON_PATCH, err,
                                sizeof err);
    if (st != 0) {
        cmd_free(&c);
        api_reply_error(r, st, "%s", err);
        return;
    }
    api_set_cmd(r, &c);
    api_propose(r);
}

void h_locations_patch(struct api_req *r)
{
    if (api_parse_body(r, false) != 0)
        return;
    r->leader_action = patch_on_leader;
    api_write(r, reply_loc);
}

static void deleted(struct api_req *r)
{
    if (!api_reply_result_error(r, &r->call.result))
        api_reply_empty(r, 204);
}

static void delete_on_leader(struct api_req *r)
{
    store_rdlock(r->t->api->store);
    const struct location_rec *cur = lookup(r);
    int64_t id = cur ? cur->id : 0;
    store_rdunlock(r->t->api->store);
    if (id == 0) {
        api_reply_error(r, 404, "Location not found");
        return;
    }
    struct cmd c;
    cmd_init(&c, CMD_LOC_DELETE);
    c.u.id = id;
    api_set_cmd(r, &c);
    api_propose(r);
}

void h_locations_delete(struct api_req *r)
{
    r->leader_action = delete_on_leader;
    api_write(r, deleted);
}
