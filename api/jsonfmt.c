/* jsonfmt — see jsonfmt.h. */
#include "api/jsonfmt.h"

#include "common/timefmt.h"
#include "raft_store/msg.h"

json_t *json_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *json_time_or_null(int64_t ms)
{
    if (ms == TIME_NULL)
        return json_null();
    char buf[TIMEFMT_LEN];
    time_format(ms, buf);
    return json_string(buf);
}
