/* tablejson — JSON <-> records of the route, translation-rule and location
 * tables (SPEC §4, §6, §7), with validation that names the bad field.
 *
 * *_from_json fill a record from a JSON object:
 *   - mode TABLE_JSON_CREATE: r starts from *_rec_init defaults, absent
 *     fields keep them, required fields are checked;
 *   - mode TABLE_JSON_PATCH: r holds the current record; only the fields
 *     present change; the result is checked as a whole;
 *   - mode TABLE_JSON_IMPORT: like CREATE, and "id" (or "route_id" /
 *     "rule_id"), "inserted_at" and "updated_at" are taken when present
 *     (otherwise they are ignored: the state machine assigns them).
 * They return 0, or an HTTP status (422) with a detail in err such as
 * "priority must be an integer from 1 to 255" or "unknown field foo".
 * Read-only keys ("id", "route_id"/"rule_id", "inserted_at",
 * "updated_at") are accepted and ignored outside IMPORT.  An empty string
 * for a filter means "any" (NULL).  Regexes are checked by the caller
 * (server/xlat.h xlat_check_rule), not here.
 *
 * *_to_json render a record as the API shows it (times RFC 3339 UTC, null
 * for NULL).  Pure, any thread.
 */
#ifndef SMSC_TABLEJSON_H
#define SMSC_TABLEJSON_H

#include <jansson.h>
#include <stddef.h>

#include "raft_store/tables.h"

enum table_json_mode {
    TABLE_JSON_CREATE = 0,
    TABLE_JSON_PATCH = 1,
    TABLE_JSON_IMPORT = 2,
};

int route_from_json(json_t *o, struct route_rec *r, enum table_json_mode mode,
                    char *err, size_t errlen);
json_t *route_to_json(const struct route_rec *r);

int xlat_rule_from_json(json_t *o, struct xlat_rule_rec *r,
                        enum table_json_mode mode, char *err, size_t errlen);
json_t *xlat_rule_to_json(const struct xlat_rule_rec *r);

int location_from_json(json_t *o, struct location_rec *r,
                       enum table_json_mode mode, char *err, size_t errlen);
json_t *location_to_json(const struct location_rec *r);

#endif
