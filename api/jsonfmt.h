/* jsonfmt — the two small renderings every JSON codec of the API shares:
 * a string or null, and a time as RFC 3339 UTC or null.  Pure, any
 * thread. */
#ifndef SMSC_JSONFMT_H
#define SMSC_JSONFMT_H

#include <jansson.h>
#include <stdint.h>

json_t *json_str_or_null(const char *s);
/* ms since the epoch as "YYYY-MM-DDTHH:MM:SSZ"; TIME_NULL as null. */
json_t *json_time_or_null(int64_t ms);

#endif
