/* tables_fixture — one interface over the three table record types
 * (route, translation rule, location) for the codec tests and the fuzz
 * target: init, free, copy, binary and JSON codecs by kind. */
#ifndef SMSC_TABLES_FIXTURE_H
#define SMSC_TABLES_FIXTURE_H

#include "api/tablejson.h"
#include "raft_store/tables.h"

enum kind { ROUTE, RULE, LOCATION };
#define N_KINDS 3

union rec {
    struct route_rec route;
    struct xlat_rule_rec rule;
    struct location_rec loc;
};

static inline void rec_init(enum kind k, union rec *r)
{
    switch (k) {
    case ROUTE: route_rec_init(&r->route); break;
    case RULE: xlat_rule_rec_init(&r->rule); break;
    case LOCATION: location_rec_init(&r->loc); break;
    }
}

static inline void rec_free(enum kind k, union rec *r)
{
    switch (k) {
    case ROUTE: route_rec_free(&r->route); break;
    case RULE: xlat_rule_rec_free(&r->rule); break;
    case LOCATION: location_rec_free(&r->loc); break;
    }
}

static inline void rec_copy(enum kind k, union rec *dst, const union rec *src)
{
    switch (k) {
    case ROUTE: route_rec_copy(&dst->route, &src->route); break;
    case RULE: xlat_rule_rec_copy(&dst->rule, &src->rule); break;
    case LOCATION: location_rec_copy(&dst->loc, &src->loc); break;
    }
}

static inline void rec_encode(enum kind k, struct buf *b, const union rec *r)
{
    switch (k) {
    case ROUTE: route_rec_encode(b, &r->route); break;
    case RULE: xlat_rule_rec_encode(b, &r->rule); break;
    case LOCATION: location_rec_encode(b, &r->loc); break;
    }
}

static inline int rec_decode(enum kind k, struct rd *rd, union rec *r)
{
    switch (k) {
    case ROUTE: return route_rec_decode(rd, &r->route);
    case RULE: return xlat_rule_rec_decode(rd, &r->rule);
    case LOCATION: return location_rec_decode(rd, &r->loc);
    }
    return -1;
}

static inline int rec_from_json(enum kind k, json_t *o, union rec *r,
                         enum table_json_mode mode, char *err, size_t len)
{
    switch (k) {
    case ROUTE: return route_from_json(o, &r->route, mode, err, len);
    case RULE: return xlat_rule_from_json(o, &r->rule, mode, err, len);
    case LOCATION: return location_from_json(o, &r->loc, mode, err, len);
    }
    return -1;
}

static inline json_t *rec_to_json(enum kind k, const union rec *r)
{
    switch (k) {
    case ROUTE: return route_to_json(&r->route);
    case RULE: return xlat_rule_to_json(&r->rule);
    case LOCATION: return location_to_json(&r->loc);
    }
    return NULL;
}

#endif
