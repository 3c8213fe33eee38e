/* routes — /api/routes and /api/translation_rules (SPEC §4, §6, §7): CRUD,
 * export, import and the simulators.
 *
 * The two tables share every handler through a descriptor (struct tbl).
 * Writes are validated where they arrive and again on the leader, which
 * builds the command: a PATCH merges the body into the leader's current
 * record and proposes the whole record, so the state machine only stores.
 * Simulators are reads: they run the same compiled sets as the pipeline on
 * this node's replica and change nothing.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/tablejson.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "server/route.h"
#include "server/xlat.h"

#define IMPORT_MAX 10000
#define EXPORT_VERSION "1.0"

struct tbl {
    bool routes;
    const char *doc_key;      /* the array in export documents */
    const char *not_found;
    size_t rec_size;
    uint8_t put, del, import;
    int (*from_json)(json_t *o, void *rec, enum table_json_mode mode,
                     char *err, size_t errlen);
    json_t *(*to_json)(const void *rec);
    void (*init)(void *rec);
    void (*free)(void *rec);
    void (*copy)(void *dst, const void *src);
    int (*check)(const void *rec, char *err, size_t errlen);
    size_t (*list)(const struct store *s, const void *const **v);
    const void *(*get)(const struct store *s, int64_t id);
};

/* ---- the two descriptors (typed wrappers) ---- */

static int route_from(json_t *o, void *r, enum table_json_mode m, char *e,
                      size_t n)
{
    return route_from_json(o, r, m, e, n);
}
static json_t *route_to(const void *r) { return route_to_json(r); }
static void route_init(void *r) { route_rec_init(r); }
static void route_fr(void *r) { route_rec_free(r); }
static void route_cp(void *d, const void *s) { route_rec_copy(d, s); }
static size_t route_list(const struct store *s, const void *const **v)
{
    return store_routes(s, (const struct route_rec *const **)v);
}
static const void *route_get(const struct store *s, int64_t id)
{
    return store_route(s, id);
}

static int rule_from(json_t *o, void *r, enum table_json_mode m, char *e,
                     size_t n)
{
    return xlat_rule_from_json(o, r, m, e, n);
}
static json_t *rule_to(const void *r) { return xlat_rule_to_json(r); }
static void rule_init(void *r) { xlat_rule_rec_init(r); }
static void rule_fr(void *r) { xlat_rule_rec_free(r); }
static void rule_cp(void *d, const void *s) { xlat_rule_rec_copy(d, s); }
static int rule_check(const void *r, char *e, size_t n)
{
    return xlat_check_rule(r, e, n) == 0 ? 0 : 422;
}
static size_t rule_list(const struct store *s, const void *const **v)
{
    return store_rules(s, (const struct xlat_rule_rec *const **)v);
}
static const void *rule_get(const struct store *s, int64_t id)
{
    return store_rule(s, id);
}

static const struct tbl routes_tbl = {
    true, "routes", "Route not found", sizeof(struct route_rec),
    CMD_ROUTE_PUT, CMD_ROUTE_DELETE, CMD_ROUTE_IMPORT,
    route_from, route_to, route_init, route_fr, route_cp, NULL,
    route_list, route_get,
};

static const struct tbl rules_tbl = {
    false, "rules", "Translation rule not found",
    sizeof(struct xlat_rule_rec),
    CMD_RULE_PUT, CMD_RULE_DELETE, CMD_RULE_IMPORT,
    rule_from, rule_to, rule_init, rule_fr, rule_cp, rule_check,
    rule_list, rule_get,
};

/* ---- helpers ---- */

/* Parses one record in mode and checks it; 0 or an HTTP status. */
static int parse_rec(const struct tbl *t, json_t *o, void *rec,
                     enum table_json_mode mode, char *err, size_t errlen)
{
    int st = t->from_json(o, rec, mode, err, errlen);
    if (st == 0 && t->check)
        st = t->check(rec, err, errlen);
    return st;
}

static struct cmd *put_cmd(const struct tbl *t, struct cmd *c, void *rec)
{
    cmd_init(c, t->put);
    void *dst = t->routes ? (void *)&c->u.route : (void *)&c->u.rule;
    t->free(dst);
    memcpy(dst, rec, t->rec_size); /* takes the strings over */
    return c;
}

static json_t *render(struct api_req *r, const struct tbl *t, int64_t id)
{
    store_rdlock(r->t->api->store);
    const void *rec = t->get(r->t->api->store, id);
    json_t *j = rec ? t->to_json(rec) : NULL;
    store_rdunlock(r->t->api->store);
    return j;
}

static const struct tbl *tbl_of(struct api_req *r)
{
    return strstr(r->route->pattern, "/api/routes") ? &routes_tbl
                                                    : &rules_tbl;
}

static void reply_rec(struct api_req *r)
{
    const struct store_result *res = &r->call.result;
    if (api_reply_result_error(r, res))
        return;
    json_t *j = render(r, tbl_of(r), res->id);
    if (j == NULL)
        j = json_pack("{s:I}", "id", (json_int_t)res->id);
    api_reply_data(r, res->status ? res->status : 200, j);
}

/* ---- reads ---- */

static void list(struct api_req *r)
{
    const struct tbl *t = tbl_of(r);
    json_t *a = json_array();
    store_rdlock(r->t->api->store);
    const void *const *v;
    size_t n = t->list(r->t->api->store, &v);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, t->to_json(v[i]));
    store_rdunlock(r->t->api->store);
    api_reply_data(r, 200, a);
}

static void get(struct api_req *r)
{
    const struct tbl *t = tbl_of(r);
    int64_t id = api_path_id(r);
    json_t *j = id > 0 ? render(r, t, id) : NULL;
    if (j == NULL)
        api_reply_error(r, 404, "%s", t->not_found);
    else
        api_reply_data(r, 200, j);
}

static void export(struct api_req *r)
{
    const struct tbl *t = tbl_of(r);
    json_t *a = json_array();
    store_rdlock(r->t->api->store);
    const void *const *v;
    size_t n = t->list(r->t->api->store, &v);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, t->to_json(v[i]));
    store_rdunlock(r->t->api->store);
    char now[TIMEFMT_LEN];
    time_format(time_now_ms(), now);
    api_reply_json(r, 200,
                   json_pack("{s:s,s:s,s:I,s:o}", "version", EXPORT_VERSION,
                             "exported_at", now, "count", (json_int_t)n,
                             t->doc_key, a));
}

/* ---- writes ---- */

static void create(struct api_req *r, const struct tbl *t)
{
    if (api_parse_body(r, false) != 0)
        return;
    char err[256];
    uint8_t rec[sizeof(struct route_rec) > sizeof(struct xlat_rule_rec)
                    ? sizeof(struct route_rec)
                    : sizeof(struct xlat_rule_rec)]
        __attribute__((aligned(8)));
    t->init(rec);
    int st = parse_rec(t, r->body, rec, TABLE_JSON_CREATE, err, sizeof err);
    if (st != 0) {
        t->free(rec);
        api_reply_error(r, st, "%s", err);
        return;
    }
    struct cmd c;
    api_set_cmd(r, put_cmd(t, &c, rec));
    api_write(r, reply_rec);
}

/* Leader: merge the body into the current record and propose it whole. */
static void patch_on_leader(struct api_req *r)
{
    const struct tbl *t = tbl_of(r);
    int64_t id = api_path_id(r);
    uint8_t rec[sizeof(struct route_rec) > sizeof(struct xlat_rule_rec)
                    ? sizeof(struct route_rec)
                    : sizeof(struct xlat_rule_rec)]
        __attribute__((aligned(8)));
    store_rdlock(r->t->api->store);
    const void *cur = id > 0 ? t->get(r->t->api->store, id) : NULL;
    if (cur)
        t->copy(rec, cur);
    store_rdunlock(r->t->api->store);
    if (cur == NULL) {
        api_reply_error(r, 404, "%s", t->not_found);
        return;
    }
    char err[256];
    int st = parse_rec(t, r->body, rec, TABLE_JSON_PATCH, err, sizeof err);
    if (st != 0) {
        t->free(rec);
        api_reply_error(r, st, "%s", err);
        return;
    }
    struct cmd c;
    api_set_cmd(r, put_cmd(t, &c, rec));
    api_propose(r);
}

static void patch(struct api_req *r, const struct tbl *t)
{
    (void)t;
    if (api_path_id(r) <= 0) {
        api_reply_error(r, 404, "%s", tbl_of(r)->not_found);
        return;
    }
    if (api_parse_body(r, false) != 0)
        return;
    r->leader_action = patch_on_leader;
    api_write(r, reply_rec);
}

static void deleted(struct api_req *r)
{
    if (!api_reply_result_error(r, &r->call.result))
        api_reply_empty(r, 204);
}

static void del(struct api_req *r, const struct tbl *t)
{
    int64_t id = api_path_id(r);
    if (id <= 0) {
        api_reply_error(r, 404, "%s", t->not_found);
        return;
    }
    struct cmd c;
    cmd_init(&c, t->del);
    c.u.id = id;
    api_set_cmd(r, &c);
    api_write(r, deleted);
}

/* The records of an import body: the export document (also wrapped in
 * "data"), or a bare array. */
static json_t *import_array(json_t *body, const struct tbl *t)
{
    if (json_is_array(body))
        return body;
    json_t *doc = json_object_get(body, "data");
    if (json_is_object(doc))
        body = doc;
    json_t *a = json_object_get(body, t->doc_key);
    return json_is_array(a) ? a : NULL;
}

static void imported(struct api_req *r)
{
    const struct store_result *res = &r->call.result;
    if (api_reply_result_error(r, res))
        return;
    json_t *errors = json_object_get(r->body, "__errors");
    api_reply_data(r, 200,
                   json_pack("{s:I,s:I,s:O}", "imported", (json_int_t)res->id,
                             "failed",
                             (json_int_t)(errors ? json_array_size(errors) : 0),
                             "errors", errors ? errors : json_array()));
}

static void import(struct api_req *r, const struct tbl *t)
{
    if (api_parse_body(r, false) != 0)
        return;
    const char *mode = api_query(r, "mode");
    bool replace = mode && strcmp(mode, "replace") == 0;
    if (mode && !replace && strcmp(mode, "merge") != 0) {
        api_reply_error(r, 422, "mode must be merge or replace");
        return;
    }
    json_t *a = import_array(r->body, t);
    if (a == NULL) {
        api_reply_error(r, 422, "%s is required: an array of records",
                        t->doc_key);
        return;
    }
    if (json_array_size(a) > IMPORT_MAX) {
        api_reply_error(r, 413, "%s: at most %d records per import",
                        t->doc_key, IMPORT_MAX);
        return;
    }
    struct cmd c;
    cmd_init(&c, t->import);
    c.u.import.replace = replace;
    json_t *errors = json_array();
    for (size_t i = 0; i < json_array_size(a); i++) {
        void *rec = xcalloc(1, t->rec_size);
        char err[256];
        t->init(rec);
        if (parse_rec(t, json_array_get(a, i), rec, TABLE_JSON_IMPORT, err,
                      sizeof err) != 0) {
            t->free(rec);
            free(rec);
            json_array_append_new(errors, json_pack("{s:I,s:s}", "index",
                                                    (json_int_t)i, "detail",
                                                    err));
            continue;
        }
        cmd_import_add(&c.u.import, rec);
    }
    if (replace && json_array_size(errors) > 0) {
        json_t *first = json_array_get(errors, 0);
        api_reply_error(r, 422,
                        "%s[%lld]: %s (a replace import changes nothing "
                        "unless every record is valid; %zu failed)",
                        t->doc_key,
                        (long long)json_integer_value(
                            json_object_get(first, "index")),
                        json_string_value(json_object_get(first, "detail")),
                        json_array_size(errors));
        json_decref(errors);
        cmd_free(&c);
        return;
    }
    /* kept with the request for the answer */
    json_object_set_new(r->body, "__errors", errors);
    api_set_cmd(r, &c);
    api_write(r, imported);
}

/* ---- simulators ---- */

/* The simulator's input: the submit fields, or calling/called_number. */
struct sim_in {
    const char *calling;
    const char *called;
    const char *smsc;
    int source_type;
};

static int sim_input(struct api_req *r, struct sim_in *in)
{
    if (api_parse_body(r, false) != 0)
        return -1;
    json_t *b = r->body;
    json_t *calling = json_object_get(b, "source_msisdn");
    json_t *called = json_object_get(b, "destination_msisdn");
    if (calling == NULL)
        calling = json_object_get(b, "calling_number");
    if (called == NULL)
        called = json_object_get(b, "called_number");
    json_t *smsc = json_object_get(b, "source_smsc");
    json_t *type = json_object_get(b, "source_type");
    in->source_type = SRC_NONE;
    if ((calling && !json_is_string(calling)) ||
        (called && !json_is_string(called))) {
        api_reply_error(r, 422, "source_msisdn and destination_msisdn must "
                                "be strings");
        return -1;
    }
    if (calling == NULL && called == NULL) {
        api_reply_error(r, 422, "destination_msisdn (or called_number) is "
                                "required");
        return -1;
    }
    if (smsc && !json_is_null(smsc) && !json_is_string(smsc)) {
        api_reply_error(r, 422, "source_smsc must be a string");
        return -1;
    }
    if (type && !json_is_null(type) &&
        (!json_is_string(type) ||
         msg_source_type_parse(json_string_value(type), &in->source_type))) {
        api_reply_error(r, 422, "source_type must be one of ims, "
                                "circuit_switched, smpp");
        return -1;
    }
    in->calling = calling ? json_string_value(calling) : "";
    in->called = called ? json_string_value(called) : "";
    in->smsc = smsc && json_is_string(smsc) ? json_string_value(smsc) : NULL;
    return 0;
}

static json_t *change(const char *before, const char *after)
{
    return json_pack("{s:s,s:s,s:b}", "before", before, "after", after,
                     "changed", strcmp(before, after) != 0);
}

static json_t *steps_json(const struct xlat_result *xr)
{
    json_t *a = json_array();
    for (int i = 0; i < xr->n_steps; i++) {
        const struct xlat_step *st = &xr->steps[i];
        json_array_append_new(
            a, json_pack("{s:i,s:I,s:i,s:o,s:o}", "step", i + 1, "rule_id",
                         (json_int_t)st->rule_id, "priority", st->priority,
                         "source_msisdn",
                         change(st->calling_before, st->calling_after),
                         "destination_msisdn",
                         change(st->called_before, st->called_after)));
    }
    return a;
}

static void rule_eval(const struct xlat_eval *e, void *arg)
{
    json_t *filters = json_pack(
        "{s:b,s:b,s:b}", "calling_prefix", e->calling_prefix_ok,
        "called_prefix", e->called_prefix_ok, "source_smsc", e->source_smsc_ok);
    json_array_append_new(
        arg, json_pack("{s:I,s:i,s:s?,s:b,s:o,s:b,s:b,s:b,s:s?}", "rule_id",
                       (json_int_t)e->rule->id, "priority", e->rule->priority,
                       "description", e->rule->description, "enabled",
                       e->enabled, "filters", filters, "calling_matched",
                       e->calling_matched, "called_matched", e->called_matched,
                       "applied", e->applied, "note", e->note));
}

/* Runs translation with a trace; NULL after replying 422. */
static json_t *simulate_translation(struct api_req *r, struct xlat_set *rules,
                                    const struct sim_in *in,
                                    struct xlat_result *xr)
{
    json_t *evals = json_array();
    if (xlat_apply(rules, in->calling, in->called, in->smsc, xr, rule_eval,
                   evals) != 0) {
        json_decref(evals);
        api_reply_error(r, 422, "a number is too long (at most %d characters)",
                        XLAT_MAX_NUM - 1);
        return NULL;
    }
    return json_pack("{s:o,s:o,s:b,s:i,s:b,s:o,s:o}", "source_msisdn",
                     change(in->calling, xr->calling), "destination_msisdn",
                     change(in->called, xr->called), "changed", xr->changed,
                     "applied", xr->n_steps, "chain_limit_reached",
                     xr->chain_limit, "steps", steps_json(xr), "rules", evals);
}

/* The simulators' common first part: the input, this thread's sets, and
 * the translation with its trace.  NULL after replying. */
static json_t *simulate_begin(struct api_req *r, struct sim_in *in,
                              struct route_set **routes,
                              struct xlat_result *xr)
{
    if (sim_input(r, in) != 0)
        return NULL;
    struct xlat_set *rules;
    pipeline_sets(r->t, routes, &rules);
    return simulate_translation(r, rules, in, xr);
}

static void rules_simulate(struct api_req *r)
{
    struct sim_in in;
    struct route_set *routes;
    struct xlat_result xr;
    json_t *j = simulate_begin(r, &in, &routes, &xr);
    if (j)
        api_reply_data(r, 200, j);
}

static json_t *criterion(const char *value, bool ok)
{
    return json_pack("{s:s?,s:b}", "value", value, "matched", ok);
}

static json_t *route_eval_json(const struct route_eval *e)
{
    const struct route_rec *rt = e->route;
    json_t *crit = json_pack(
        "{s:o,s:o,s:o,s:o,s:o}", "calling_prefix",
        criterion(rt->calling_prefix, e->calling_prefix_ok), "called_prefix",
        criterion(rt->called_prefix, e->called_prefix_ok), "source_smsc",
        criterion(rt->source_smsc, e->source_smsc_ok), "source_type",
        criterion(msg_source_type_name(rt->source_type), e->source_type_ok),
        "enum_domain", criterion(rt->enum_domain, e->enum_domain_ok));
    return json_pack("{s:I,s:s?,s:i,s:i,s:b,s:o,s:b,s:i,s:b,s:b,s:s?}",
                     "route_id", (json_int_t)rt->id, "dest_smsc", rt->dest_smsc,
                     "priority", rt->priority, "weight", rt->weight, "enabled",
                     e->enabled, "criteria", crit, "matched", e->matched,
                     "score", e->score, "candidate", e->candidate, "selected",
                     e->selected, "description", rt->description);
}

static const char *action_of(const struct route_rec *rt)
{
    if (rt == NULL)
        return "unrouted";
    return rt->drop ? "drop" : rt->auto_reply ? "auto_reply" : "forward";
}

static json_t *why(const struct route_choice *ch, bool reject)
{
    char buf[256];
    if (ch->route == NULL)
        snprintf(buf, sizeof buf, "no enabled route matched: %s",
                 reject ? "rejected with 422 No route found (reject_unrouted)"
                        : "the message stays unrouted (dest_smsc null)");
    else if (ch->candidates == 1)
        snprintf(buf, sizeof buf,
                 "lowest priority %d, then highest score %d: route %lld is "
                 "the only candidate",
                 ch->priority, ch->score, (long long)ch->route->id);
    else
        snprintf(buf, sizeof buf,
                 "lowest priority %d, then highest score %d: %u candidates, "
                 "weighted random picked route %lld (weight %d of %u)",
                 ch->priority, ch->score, ch->candidates,
                 (long long)ch->route->id, ch->route->weight, ch->tier_weight);
    return json_string(buf);
}

static void routes_simulate(struct api_req *r)
{
    struct sim_in in;
    struct route_set *routes;
    struct xlat_result xr;
    json_t *tr = simulate_begin(r, &in, &routes, &xr);
    if (tr == NULL)
        return;
    json_object_del(tr, "rules");
    struct route_input ri = {xr.calling, xr.called, in.smsc, in.source_type,
                             NULL};
    size_t n = route_set_count(routes);
    struct route_eval *ev = xcalloc(n ? n : 1, sizeof *ev);
    struct route_choice ch;
    route_simulate(routes, &ri, arc4random(), ev, &ch);
    json_t *all = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(all, route_eval_json(&ev[i]));
    free(ev);
    store_rdlock(r->t->api->store);
    bool reject = store_get_settings(r->t->api->store)->reject_unrouted;
    store_rdunlock(r->t->api->store);
    api_reply_data(
        r, 200,
        json_pack("{s:o,s:o,s:I,s:s?,s:s,s:o,s:o}", "translation", tr,
                  "routes", all, "selected_route_id",
                  (json_int_t)(ch.route ? ch.route->id : 0), "dest_smsc",
                  ch.route ? ch.route->dest_smsc : NULL, "action",
                  action_of(ch.route), "reason", why(&ch, reject),
                  "selected", ch.route ? route_eval_json(&(struct route_eval){
                                             .route = ch.route,
                                             .enabled = true,
                                             .calling_prefix_ok = true,
                                             .called_prefix_ok = true,
                                             .source_smsc_ok = true,
                                             .source_type_ok = true,
                                             .enum_domain_ok = true,
                                             .matched = true,
                                             .score = ch.score,
                                             .candidate = true,
                                             .selected = true})
                                       : json_null()));
}

/* ---- the handlers of the route table ---- */

void h_routes_list(struct api_req *r) { api_read(r, list); }
void h_routes_get(struct api_req *r) { api_read(r, get); }
void h_routes_create(struct api_req *r) { create(r, &routes_tbl); }
void h_routes_patch(struct api_req *r) { patch(r, &routes_tbl); }
void h_routes_delete(struct api_req *r) { del(r, &routes_tbl); }
void h_routes_export(struct api_req *r) { api_read(r, export); }
void h_routes_import(struct api_req *r) { import(r, &routes_tbl); }
void h_routes_simulate(struct api_req *r) { routes_simulate(r); }
void h_rules_list(struct api_req *r) { api_read(r, list); }
void h_rules_get(struct api_req *r) { api_read(r, get); }
void h_rules_create(struct api_req *r) { create(r, &rules_tbl); }
void h_rules_patch(struct api_req *r) { patch(r, &rules_tbl); }
void h_rules_delete(struct api_req *r) { del(r, &rules_tbl); }
void h_rules_export(struct api_req *r) { api_read(r, export); }
void h_rules_import(struct api_req *r) { import(r, &rules_tbl); }
void h_rules_simulate(struct api_req *r) { rules_simulate(r); }
