/* timefmt — UTC timestamps as smsc exchanges them.
 *
 * Internally every time is int64 milliseconds since the Unix epoch (UTC).
 * Out: "YYYY-MM-DDTHH:MM:SSZ" (SPEC §2).  In: any RFC 3339 date-time
 * ("2025-10-30T12:00:00Z", "2025-10-30T12:00:00.123+02:00",
 * lower-case 't'/'z', a space instead of 'T'), converted to UTC.
 * Pure functions, any thread.
 */
#ifndef SMSC_TIMEFMT_H
#define SMSC_TIMEFMT_H

#include <stdint.h>

#define TIMEFMT_LEN 21 /* "2025-10-30T12:00:00Z" + NUL */

/* Writes ms as "YYYY-MM-DDTHH:MM:SSZ" (seconds truncated toward -inf).
 * Times outside years 0000..9999 are clamped to the nearest end. */
void time_format(int64_t ms, char out[TIMEFMT_LEN]);
/* Parses an RFC 3339 date-time into *ms.  Returns 0, or -1 when s is not a
 * valid RFC 3339 date-time (bad syntax, month 13, Feb 30, hour 24, ...).
 * Leap seconds (:60) are rejected; fraction digits past the millisecond are
 * truncated; *ms is left untouched on failure. */
int time_parse(const char *s, int64_t *ms);
/* Wall clock, ms since the epoch (CLOCK_REALTIME). */
int64_t time_now_ms(void);
/* Monotonic clock, ms (CLOCK_MONOTONIC). */
int64_t time_mono_ms(void);

#endif
