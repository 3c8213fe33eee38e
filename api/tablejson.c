/* tablejson — routes, translation rules and subscriber locations to and
 * from JSON (see tablejson.h).
 *
 * Each record type is described once, as a table of its JSON fields (name,
 * kind, offset in the struct, limits) that the fieldjson engine walks to
 * take a request body and to render a record.  What a single field cannot
 * say (drop and auto_reply together, a required msisdn) is checked on the
 * whole record afterwards.
 *
 * Ownership: in CREATE and IMPORT mode the record is output-only (it is
 * initialised here); in PATCH mode it holds the current record.  The body
 * is applied to a private copy, so on error a patched record is unchanged
 * and a created one is left at its defaults: the caller frees it as usual.
 */
#include "api/tablejson.h"

#include "api/fieldjson.h"
#include "server/smstext.h"

#define NAME_MAX_LEN 64 /* prefixes, SMSC names, domains */

static const struct fj_enum source_type_enum = {
    msg_source_type_parse, msg_source_type_name,
    "ims, circuit_switched, smpp, or null", true, SRC_NONE};

static const struct fj_enum charged_enum = {
    route_charged_parse, route_charged_name, "yes, no, default", false, 0};

static enum fj_mode fj_mode_of(enum table_json_mode mode)
{
    switch (mode) {
    case TABLE_JSON_PATCH: return FJ_PATCH;
    case TABLE_JSON_IMPORT: return FJ_IMPORT;
    case TABLE_JSON_CREATE: break;
    }
    return FJ_CREATE;
}

/* ---- routes (SPEC §6) ---- */

#define RF(name, kind, member, min, max)                                       \
    {name, kind, offsetof(struct route_rec, member), min, max, NULL, NULL}
#define RE(name, member, en)                                                   \
    {name, FJ_ENUM, offsetof(struct route_rec, member), 0, 0, en, NULL}

static const struct fj_field route_fields[] = {
    RF("id", FJ_ID, id, 0, 0),
    RF("route_id", FJ_ID, id, 0, 0),
    RF("calling_prefix", FJ_OPT, calling_prefix, 0, NAME_MAX_LEN),
    RF("called_prefix", FJ_OPT, called_prefix, 0, NAME_MAX_LEN),
    RF("source_smsc", FJ_OPT, source_smsc, 0, NAME_MAX_LEN),
    RE("source_type", source_type, &source_type_enum),
    RF("enum_domain", FJ_OPT, enum_domain, 0, NAME_MAX_LEN),
    RF("dest_smsc", FJ_OPT, dest_smsc, 0, NAME_MAX_LEN),
    RF("auto_reply", FJ_BOOL, auto_reply, 0, 0),
    RF("auto_reply_message", FJ_STR, auto_reply_message, 0, TABLE_MAX_STR),
    RF("drop", FJ_BOOL, drop, 0, 0),
    RE("charged", charged, &charged_enum),
    RF("weight", FJ_INT, weight, 1, 100),
    RF("priority", FJ_INT, priority, 1, 255),
    RF("description", FJ_STR, description, 0, TABLE_MAX_STR),
    RF("enabled", FJ_BOOL, enabled, 0, 0),
    RF("inserted_at", FJ_STAMP, inserted_at, 0, 0),
    RF("updated_at", FJ_STAMP, updated_at, 0, 0),
};

static int check_route(const void *rec, struct fj_ctx *c)
{
    const struct route_rec *r = rec;
    if (r->drop && r->auto_reply)
        return fj_fail(c, 422, "drop and auto_reply cannot both be set");
    if (r->auto_reply &&
        (r->auto_reply_message == NULL || r->auto_reply_message[0] == '\0'))
        return fj_fail(c, 422, "auto_reply_message is required when "
                               "auto_reply is true");
    if (!r->drop && !r->auto_reply && r->dest_smsc == NULL)
        return fj_fail(c, 422, "dest_smsc is required unless drop or "
                               "auto_reply is set");
    return 0;
}

FJ_REC_OPS(route, struct route_rec)

static const struct fj_type route_type = {
    route_fields, FJ_NFIELDS(route_fields), sizeof(struct route_rec),
    route_init_v, route_copy_v, route_free_v, check_route};

int route_from_json(json_t *o, struct route_rec *r, enum table_json_mode mode,
                    char *err, size_t errlen)
{
    return fj_from_json(&route_type, o, r, fj_mode_of(mode), err, errlen);
}

json_t *route_to_json(const struct route_rec *r)
{
    return fj_to_json(route_fields, FJ_NFIELDS(route_fields), r);
}

/* ---- translation rules (SPEC §7) ---- */

#define XF(name, kind, member, min, max)                                       \
    {name, kind, offsetof(struct xlat_rule_rec, member), min, max, NULL, NULL}

static const struct fj_field xlat_fields[] = {
    XF("id", FJ_ID, id, 0, 0),
    XF("rule_id", FJ_ID, id, 0, 0),
    XF("calling_prefix", FJ_OPT, calling_prefix, 0, NAME_MAX_LEN),
    XF("called_prefix", FJ_OPT, called_prefix, 0, NAME_MAX_LEN),
    XF("source_smsc", FJ_OPT, source_smsc, 0, NAME_MAX_LEN),
    XF("calling_match", FJ_OPT, calling_match, 0, TABLE_MAX_STR),
    XF("calling_replace", FJ_STR, calling_replace, 0, TABLE_MAX_STR),
    XF("called_match", FJ_OPT, called_match, 0, TABLE_MAX_STR),
    XF("called_replace", FJ_STR, called_replace, 0, TABLE_MAX_STR),
    XF("priority", FJ_INT, priority, 1, 255),
    XF("description", FJ_STR, description, 0, TABLE_MAX_STR),
    XF("enabled", FJ_BOOL, enabled, 0, 0),
    XF("continue", FJ_BOOL, cont, 0, 0),
    XF("inserted_at", FJ_STAMP, inserted_at, 0, 0),
    XF("updated_at", FJ_STAMP, updated_at, 0, 0),
};

FJ_REC_OPS(xlat_rule, struct xlat_rule_rec)

static const struct fj_type xlat_rule_type = {
    xlat_fields, FJ_NFIELDS(xlat_fields), sizeof(struct xlat_rule_rec),
    xlat_rule_init_v, xlat_rule_copy_v, xlat_rule_free_v, NULL};

int xlat_rule_from_json(json_t *o, struct xlat_rule_rec *r,
                        enum table_json_mode mode, char *err, size_t errlen)
{
    return fj_from_json(&xlat_rule_type, o, r, fj_mode_of(mode), err, errlen);
}

json_t *xlat_rule_to_json(const struct xlat_rule_rec *r)
{
    return fj_to_json(xlat_fields, FJ_NFIELDS(xlat_fields), r);
}

/* ---- subscriber locations (SPEC §4) ---- */

#define LF(name, kind, member, min, max)                                       \
    {name, kind, offsetof(struct location_rec, member), min, max, NULL, NULL}

static const struct fj_field location_fields[] = {
    LF("id", FJ_ID, id, 0, 0),
    LF("msisdn", FJ_OPT, msisdn, 0, NAME_MAX_LEN),
    LF("imsi", FJ_OPT, imsi, 0, NAME_MAX_LEN),
    LF("location", FJ_OPT, location, 0, 255),
    LF("ran_location", FJ_OPT, ran_location, 0, 255),
    LF("imei", FJ_OPT, imei, 0, 32),
    LF("user_agent", FJ_OPT, user_agent, 0, 255),
    LF("ims_capable", FJ_BOOL, ims_capable, 0, 0),
    LF("csfb", FJ_BOOL, csfb, 0, 0),
    LF("registered", FJ_BOOL, registered, 0, 0),
    LF("expires", FJ_TIME, expires, 0, 0),
    LF("inserted_at", FJ_STAMP, inserted_at, 0, 0),
    LF("updated_at", FJ_STAMP, updated_at, 0, 0),
};

static int check_location(const void *rec, struct fj_ctx *c)
{
    const struct location_rec *r = rec;
    if (r->msisdn == NULL)
        return fj_fail(c, 422, "msisdn is required");
    if (!sms_valid_destination(r->msisdn))
        return fj_fail(c, 422, "Invalid phone number format (msisdn)");
    if (r->imsi && !fj_valid_imsi(r->imsi))
        return fj_fail(c, 422, "imsi must be 5 to 15 digits");
    if (r->location == NULL)
        return fj_fail(c, 422, "location is required");
    return 0;
}

FJ_REC_OPS(location, struct location_rec)

static const struct fj_type location_type = {
    location_fields, FJ_NFIELDS(location_fields), sizeof(struct location_rec),
    location_init_v, location_copy_v, location_free_v, check_location};

int location_from_json(json_t *o, struct location_rec *r,
                       enum table_json_mode mode, char *err, size_t errlen)
{
    return fj_from_json(&location_type, o, r, fj_mode_of(mode), err, errlen);
}

json_t *location_to_json(const struct location_rec *r)
{
    return fj_to_json(location_fields, FJ_NFIELDS(location_fields), r);
}
