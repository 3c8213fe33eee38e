/* pipeline — what the leader decides for a new message before it becomes a
 * command (SPEC §5 step 3): number translation, number validation, route
 * selection and the auto-reply.  ENUM and charging slot in here later.
 *
 * Every decision is made here, once, and carried in the command (the
 * translated numbers, the chosen dest_smsc and route id, the weighted
 * draw's outcome), so replicas apply the same thing without re-deciding.
 *
 * Each HTTP thread keeps its own compiled copy of the route and rule
 * tables (server/route.h, server/xlat.h) and rebuilds it only when the
 * store's table version changed: nothing is compiled per message and
 * threads share nothing mutable.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/metric_defs.h"
#include "common/xalloc.h"
#include "server/route.h"
#include "server/smstext.h"
#include "server/xlat.h"

#define AUTO_REPLY_SMSC "auto_reply"

/* Routing decisions are counted where the pipeline ran (the leader, or the
 * node that accepted an async submission): once per message. */
static const char *const action_names[ACT_CLIENT_DEST + 1] = {
    [ACT_UNROUTED] = "unrouted", [ACT_FORWARD] = "forward",
    [ACT_DROP] = "drop", [ACT_AUTO_REPLY] = "auto_reply",
    [ACT_CLIENT_DEST] = "client_dest_smsc",
};

struct pipe_cache {
    struct route_set *routes;
    uint64_t routes_version;
    struct xlat_set *rules;
    uint64_t rules_version;
};

/* Copies the rules under the read lock so compiling (PCRE2 + JIT, a few
 * ms for many rules) never holds the lock. */
static struct xlat_rule_rec **copy_rules(struct store *s, size_t *n)
{
    const struct xlat_rule_rec *const *v;
    *n = store_rules(s, &v);
    struct xlat_rule_rec **c = xcalloc(*n ? *n : 1, sizeof *c);
    for (size_t i = 0; i < *n; i++) {
        c[i] = xcalloc(1, sizeof **c);
        xlat_rule_rec_copy(c[i], v[i]);
    }
    return c;
}

static void refresh_routes(struct store *s, struct pipe_cache *pc)
{
    const struct route_rec *const *recs;
    store_rdlock(s);
    uint64_t v = store_routes_version(s);
    size_t n = store_routes(s, &recs);
    struct route_set *set = route_set_build(recs, n);
    store_rdunlock(s);
    if (pc->routes)
        route_set_unref(pc->routes);
    pc->routes = set;
    pc->routes_version = v;
}

static void refresh_rules(struct store *s, struct pipe_cache *pc)
{
    size_t n;
    store_rdlock(s);
    uint64_t v = store_rules_version(s);
    struct xlat_rule_rec **copies = copy_rules(s, &n);
    store_rdunlock(s);
    if (pc->rules)
        xlat_set_unref(pc->rules);
    pc->rules = xlat_compile((const struct xlat_rule_rec *const *)copies, n,
                             NULL);
    pc->rules_version = v;
    for (size_t i = 0; i < n; i++) {
        xlat_rule_rec_free(copies[i]);
        free(copies[i]);
    }
    free(copies);
}

void pipeline_sets(struct api_thread *t, struct route_set **routes,
                   struct xlat_set **rules)
{
    struct pipe_cache *pc = t->pipe;
    if (pc == NULL)
        pc = t->pipe = xcalloc(1, sizeof *pc);
    struct store *s = t->api->store;
    /* the common case: both current, no lock taken */
    if (pc->routes == NULL || pc->routes_version != store_routes_version(s))
        refresh_routes(s, pc);
    if (pc->rules == NULL || pc->rules_version != store_rules_version(s))
        refresh_rules(s, pc);
    *routes = pc->routes;
    *rules = pc->rules;
}

void pipeline_free(struct api_thread *t)
{
    struct pipe_cache *pc = t->pipe;
    if (pc == NULL)
        return;
    if (pc->routes)
        route_set_unref(pc->routes);
    if (pc->rules)
        xlat_set_unref(pc->rules);
    free(pc);
    t->pipe = NULL;
}

static void replace_str(char **dst, const char *v)
{
    free(*dst);
    *dst = xstrdup(v);
}

/* "source_msisdn 5551234567 -> +15551234567 (rule_id=3)" */
static char *translation_note(const struct xlat_result *xr,
                              const struct msg_data *before)
{
    char note[CMD_MAX_NOTE];
    size_t n = 0;
    const char *src = before->source_msisdn ? before->source_msisdn : "";
    const char *dst = before->destination_msisdn ? before->destination_msisdn
                                                  : "";
    if (strcmp(src, xr->calling) != 0)
        n += (size_t)snprintf(note + n, sizeof note - n,
                              "source_msisdn %s -> %s; ", src, xr->calling);
    if (n < sizeof note && strcmp(dst, xr->called) != 0)
        n += (size_t)snprintf(note + n, sizeof note - n,
                              "destination_msisdn %s -> %s; ", dst,
                              xr->called);
    for (int i = 0; i < xr->n_steps && n < sizeof note; i++)
        n += (size_t)snprintf(note + n, sizeof note - n, "%srule_id=%lld",
                              i ? "," : "by ",
                              (long long)xr->steps[i].rule_id);
    return xstrdup(note);
}

/* Translates d's numbers in place; note set when anything changed. */
static int translate(const struct xlat_set *rules, struct msg_data *d,
                     char **note, char *err, size_t errlen)
{
    struct xlat_result xr;
    if (xlat_apply(rules, d->source_msisdn, d->destination_msisdn,
                   d->source_smsc, &xr, NULL, NULL) != 0) {
        snprintf(err, errlen, "Invalid phone number format (too long)");
        return 422;
    }
    if (!xr.changed)
        return 0;
    *note = translation_note(&xr, d);
    replace_str(&d->source_msisdn, xr.calling);
    replace_str(&d->destination_msisdn, xr.called);
    return 0;
}

/* Routes d (no client dest_smsc); returns the action. */
static int select_route(const struct route_set *routes, struct msg_data *d,
                        const struct route_rec **chosen)
{
    struct route_input in = {d->source_msisdn, d->destination_msisdn,
                             d->source_smsc, d->source_type, NULL};
    struct route_choice ch;
    *chosen = NULL;
    if (!route_select(routes, &in, arc4random(), &ch))
        return ACT_UNROUTED;
    const struct route_rec *rt = ch.route;
    *chosen = rt;
    d->route_id = rt->id;
    d->charged = rt->charged;
    if (rt->dest_smsc)
        replace_str(&d->dest_smsc, rt->dest_smsc);
    if (rt->drop)
        return ACT_DROP;
    if (rt->auto_reply)
        return ACT_AUTO_REPLY;
    return ACT_FORWARD;
}

/* The reply of an auto-reply route: numbers swapped, routed normally but
 * never auto-replied again.  NULL when the sender cannot be answered. */
static struct msg_data *make_reply(const struct xlat_set *rules,
                                   const struct route_set *routes,
                                   const struct msg_data *orig,
                                   const char *text, uint8_t *action)
{
    if (!sms_valid_destination(orig->source_msisdn) || text == NULL)
        return NULL;
    struct sms_measure ms;
    if (sms_measure(text, strlen(text), -1, &ms) != SMS_OK)
        return NULL;
    struct msg_data *r = xcalloc(1, sizeof *r);
    msg_data_init(r);
    r->source_msisdn = xstrdup(orig->destination_msisdn);
    r->destination_msisdn = xstrdup(orig->source_msisdn);
    r->message_body = xstrdup(text);
    r->source_smsc = xstrdup(AUTO_REPLY_SMSC);
    r->tp_data_coding_scheme = xstrdup(ms.charset == SMS_CS_UCS2 ? "08" : "00");
    r->charset = (uint8_t)ms.charset;
    r->message_parts = ms.parts;
    char *note = NULL, err[64];
    if (translate(rules, r, &note, err, sizeof err) != 0 ||
        msg_check_numbers(r, err, sizeof err) != 0) {
        free(note);
        msg_data_free(r);
        free(r);
        return NULL;
    }
    free(note);
    const struct route_rec *rt;
    int act = select_route(routes, r, &rt);
    *action = (uint8_t)(act == ACT_AUTO_REPLY
                            ? (r->dest_smsc ? ACT_FORWARD : ACT_UNROUTED)
                            : act);
    return r;
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The routing metrics of one decision. */
static void count_decision(const struct cmd_create *cr,
                           const struct route_rec *rt, double ms)
{
    const char *dest = cr->m.dest_smsc ? cr->m.dest_smsc : "";
    metric_add(&M_ROUTING_ACTION, 1, action_names[cr->action]);
    metric_observe(&M_ROUTING_DURATION, ms, dest);
    if (rt != NULL) {
        char id[24], prio[16];
        snprintf(id, sizeof id, "%lld", (long long)rt->id);
        snprintf(prio, sizeof prio, "%d", rt->priority);
        metric_add(&M_ROUTE_MATCHED, 1, id, rt->dest_smsc ? rt->dest_smsc : "",
                   prio);
    }
    if (cr->action == ACT_UNROUTED)
        metric_add(&M_ROUTING_FAILED, 1, "no_route_found");
    if (cr->m.dest_smsc && (cr->action == ACT_FORWARD ||
                            cr->action == ACT_CLIENT_DEST))
        metric_add(&M_DELIVERY_QUEUED, 1, cr->m.dest_smsc);
}

int pipeline_create(struct api_thread *t, struct cmd_create *cr, char *err,
                    size_t errlen)
{
    double t0 = mono_ms();
    struct route_set *routes;
    struct xlat_set *rules;
    pipeline_sets(t, &routes, &rules);
    struct msg_data *d = &cr->m;
    int st = translate(rules, d, &cr->xlat_note, err, errlen);
    if (st == 0)
        st = msg_check_numbers(d, err, errlen);
    if (st != 0) {
        metric_add(&M_ROUTING_FAILED, 1, "validation_failed");
        return st;
    }
    const struct route_rec *rt = NULL;
    cr->action = d->dest_smsc != NULL
                     ? ACT_CLIENT_DEST
                     : (uint8_t)select_route(routes, d, &rt);
    count_decision(cr, rt, mono_ms() - t0);
    if (cr->action == ACT_UNROUTED) {
        store_rdlock(t->api->store);
        bool reject = store_get_settings(t->api->store)->reject_unrouted;
        store_rdunlock(t->api->store);
        if (reject) {
            snprintf(err, errlen, "No route found");
            return 422;
        }
    } else if (cr->action == ACT_AUTO_REPLY) {
        cr->reply = make_reply(rules, routes, d, rt->auto_reply_message,
                               &cr->reply_action);
    }
    return 0;
}
