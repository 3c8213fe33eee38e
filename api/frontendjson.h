/* frontendjson — JSON <-> frontend registration records (SPEC §4
 * "Frontends (gateways)"), with validation that names the bad field.
 *
 * frontend_from_json fills a heartbeat record from a request body:
 * frontend_name (required), frontend_type, ip_address (canonicalised;
 * default_ip when absent or null — the caller passes the client's
 * address), hostname, uptime_seconds, configuration (a JSON object, or a
 * string holding one; kept as compact JSON text of at most FE_MAX_CONFIG
 * bytes).  The read-only keys of a rendered record (id, status,
 * last_seen_at, expires_at, inserted_at, updated_at) are accepted and
 * ignored; any other key is refused.  Returns 0, or 400 (not an object) /
 * 422 with a detail in err such as "uptime_seconds must be a non-negative
 * integer or null" or "unknown field foo"; r is then left initialised.
 * r is output-only: it is initialised here and the caller frees it.
 *
 * frontend_to_json renders a record as the API shows it (times RFC 3339
 * UTC, configuration as JSON, null for what is not known).  Pure, any
 * thread.
 */
#ifndef SMSC_FRONTENDJSON_H
#define SMSC_FRONTENDJSON_H

#include <jansson.h>
#include <stddef.h>

#include "raft_store/frontends.h"

int frontend_from_json(json_t *o, const char *default_ip,
                       struct frontend_rec *r, char *err, size_t errlen);
json_t *frontend_to_json(const struct frontend_rec *r);

#endif
