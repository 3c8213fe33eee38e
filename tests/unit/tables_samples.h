/* tables_samples — the records the table codec tests run on: for each of
 * route, translation rule and location, the defaults, a full record that
 * JSON can carry, and binary extremes; and field-by-field equality.
 * Include after record_fixture.h (EQ, EQ_STR, repeat, struct sample).
 * Single-threaded, cmocka. */
#ifndef SMSC_TABLES_SAMPLES_H
#define SMSC_TABLES_SAMPLES_H

#define T_2025 1761825600000LL /* 2025-10-30T12:00:00Z */
#define T_2026 1767225600000LL /* 2026-01-01T00:00:00Z */
#define T_9999 253402300799000LL /* 9999-12-31T23:59:59Z */

/* ---- field-by-field equality ---- */

static void route_eq(const struct route_rec *a, const struct route_rec *b)
{
    EQ(id); EQ(source_type); EQ(auto_reply); EQ(drop); EQ(charged);
    EQ(weight); EQ(priority); EQ(enabled); EQ(inserted_at); EQ(updated_at);
    EQ_STR(calling_prefix); EQ_STR(called_prefix); EQ_STR(source_smsc);
    EQ_STR(enum_domain); EQ_STR(dest_smsc); EQ_STR(auto_reply_message);
    EQ_STR(description);
}

static void rule_eq(const struct xlat_rule_rec *a,
                    const struct xlat_rule_rec *b)
{
    EQ(id); EQ(priority); EQ(enabled); EQ(cont); EQ(inserted_at);
    EQ(updated_at);
    EQ_STR(calling_prefix); EQ_STR(called_prefix); EQ_STR(source_smsc);
    EQ_STR(calling_match); EQ_STR(calling_replace); EQ_STR(called_match);
    EQ_STR(called_replace); EQ_STR(description);
}

static void loc_eq(const struct location_rec *a, const struct location_rec *b)
{
    EQ(id); EQ(ims_capable); EQ(csfb); EQ(registered); EQ(expires);
    EQ(inserted_at); EQ(updated_at);
    EQ_STR(msisdn); EQ_STR(imsi); EQ_STR(location); EQ_STR(ran_location);
    EQ_STR(imei); EQ_STR(user_agent);
}

static void rec_eq(enum kind k, const union rec *a, const union rec *b)
{
    switch (k) {
    case ROUTE: route_eq(&a->route, &b->route); break;
    case RULE: rule_eq(&a->rule, &b->rule); break;
    case LOCATION: loc_eq(&a->loc, &b->loc); break;
    }
}

/* ---- sample records ---- */

/* Every field set, JSON-valid (times on whole seconds). */
static void route_full(union rec *u)
{
    struct route_rec *r = &u->route;
    route_rec_init(r);
    r->id = INT64_MAX;
    r->calling_prefix = xstrdup("+1555");
    r->called_prefix = xstrdup("+4670");
    r->source_smsc = xstrdup("smpp-in");
    r->enum_domain = xstrdup("e164.arpa");
    r->source_type = SRC_CIRCUIT_SWITCHED;
    r->dest_smsc = xstrdup("gw-\xc3\xa9"); /* UTF-8 é */
    r->auto_reply_message = xstrdup("");
    r->charged = CHARGED_NO;
    r->weight = 1;
    r->priority = 255;
    r->description = xstrdup("Swedish mobiles");
    r->enabled = false;
    r->inserted_at = T_2025;
    r->updated_at = T_9999;
}

static void rule_full(union rec *u)
{
    struct xlat_rule_rec *r = &u->rule;
    xlat_rule_rec_init(r);
    r->id = 1;
    r->calling_prefix = xstrdup("0");
    r->called_prefix = xstrdup("00");
    r->source_smsc = xstrdup("ims");
    r->calling_match = xstrdup("^0([1-9][0-9]*)$");
    r->calling_replace = xstrdup("+46\\1");
    r->called_match = xstrdup("^00");
    r->called_replace = xstrdup("");
    r->priority = 1;
    r->description = xstrdup("national to E.164");
    r->enabled = false;
    r->cont = true;
    r->inserted_at = T_2025;
    r->updated_at = T_2026;
}

static void loc_full(union rec *u)
{
    struct location_rec *r = &u->loc;
    location_rec_init(r);
    r->id = 99;
    r->msisdn = xstrdup("+447700900123");
    r->imsi = xstrdup("234150999999999");
    r->location = xstrdup("msc-london-1");
    r->ran_location = xstrdup("cell 4711");
    r->imei = xstrdup("35209900176148");
    r->user_agent = xstrdup("IMS client/1.0");
    r->ims_capable = true;
    r->csfb = true;
    r->registered = false;
    r->expires = T_2026;
    r->inserted_at = T_2025;
    r->updated_at = T_2025;
}

/* Binary extremes: longest strings, extreme ids, times and limits. */
static void route_max(union rec *u)
{
    struct route_rec *r = &u->route;
    route_full(u);
    free(r->calling_prefix);
    free(r->description);
    r->calling_prefix = repeat('1', TABLE_MAX_STR);
    r->description = repeat('d', TABLE_MAX_STR);
    r->id = 0;
    r->source_type = SRC_TYPE_COUNT - 1;
    r->auto_reply = r->drop = true;
    r->weight = 100;
    r->priority = 1;
    r->inserted_at = INT64_MAX;
    r->updated_at = INT64_MIN + 1;
}

static void rule_max(union rec *u)
{
    struct xlat_rule_rec *r = &u->rule;
    rule_full(u);
    free(r->called_match);
    r->called_match = repeat('.', TABLE_MAX_STR);
    r->id = INT64_MAX;
    r->priority = 255;
    r->inserted_at = -1;
    r->updated_at = INT64_MAX;
}

static void loc_max(union rec *u)
{
    struct location_rec *r = &u->loc;
    loc_full(u);
    free(r->user_agent);
    r->user_agent = repeat('u', TABLE_MAX_STR);
    r->id = 0;
    r->expires = INT64_MAX;
    r->inserted_at = INT64_MIN + 1;
    r->updated_at = 0;
}

static void route_default(union rec *u) { route_rec_init(&u->route); }
static void rule_default(union rec *u) { xlat_rule_rec_init(&u->rule); }
static void loc_default(union rec *u) { location_rec_init(&u->loc); }

static const struct sample samples[] = {
    {"route defaults", ROUTE, route_default, false},
    {"route full", ROUTE, route_full, true},
    {"route max", ROUTE, route_max, false},
    {"rule defaults", RULE, rule_default, true},
    {"rule full", RULE, rule_full, true},
    {"rule max", RULE, rule_max, false},
    {"location defaults", LOCATION, loc_default, false},
    {"location full", LOCATION, loc_full, true},
    {"location max", LOCATION, loc_max, false},
};

#define N_SAMPLES (sizeof samples / sizeof samples[0])

#endif
