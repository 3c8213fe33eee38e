/* mediajson — JSON <-> MMS message and SS7 event records (SPEC §4 "MMS and
 * SS7"), with validation that names the bad field.
 *
 * *_from_json fill a record from a JSON object:
 *   - MEDIA_JSON_CREATE: r is output-only (initialised here to the
 *     defaults); absent fields keep them; required fields are checked;
 *   - MEDIA_JSON_PATCH: r holds the current record; only the fields present
 *     change; the result is checked as a whole.
 * They return 0, or an HTTP status — 400 when the body is not an object,
 * else 422 — with a detail in err such as "message_size must be an
 * integer >= 0", "Invalid phone number format (destination_msisdn)" or
 * "unknown field foo".  The read-only keys "id", "inserted_at" and
 * "updated_at" are accepted and ignored.  On error a patched record is
 * unchanged and a created one is at its defaults (the caller frees it as
 * usual).
 *
 * MMS: source_msisdn and destination_msisdn are required, numbers as for
 * messages (server/smstext.h); subject, content_type, content_location are
 * optional strings; message_size an integer >= 0 (default 0); status one of
 * pending, delivered, failed, expired (default pending).
 * SS7: event_type is required, an upper-case identifier (A-Z, 0-9, _, at
 * most 64, starting with a letter) such as MAP_UPDATE_LOCATION; imsi 5 to
 * 15 digits and msisdn a phone number, both optional; timestamp RFC 3339
 * (absent on create = when the state machine applies it); details any JSON
 * value, kept as its compact JSON text of at most SS7_MAX_DETAILS bytes.
 *
 * *_to_json render a record as the API shows it (times RFC 3339 UTC, null
 * for NULL, details as the JSON value it holds).  Pure, any thread.
 */
#ifndef SMSC_MEDIAJSON_H
#define SMSC_MEDIAJSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "raft_store/media.h"

enum media_json_mode {
    MEDIA_JSON_CREATE = 0,
    MEDIA_JSON_PATCH = 1,
};

int mms_from_json(json_t *o, struct mms_rec *r, enum media_json_mode mode,
                  char *err, size_t errlen);
json_t *mms_to_json(const struct mms_rec *r);

int ss7_from_json(json_t *o, struct ss7_rec *r, enum media_json_mode mode,
                  char *err, size_t errlen);
json_t *ss7_to_json(const struct ss7_rec *r);

/* True for an event type as SS7 events take it. */
bool ss7_valid_event_type(const char *s);

#endif
