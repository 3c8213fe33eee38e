/* log — leveled, one-line-per-event logging.
 *
 * Lines look like
 *   2026-11-26T06:33:08.123Z info node1 raft: became leader term=3
 * and go to stdout, or to a file (reopened by log_reopen(), e.g. on SIGHUP
 * for logrotate).  The last LOG_RING_LINES lines are kept in memory for
 * GET /api/logs.  Any thread may log; a mutex serialises writers.
 */
#ifndef SMSC_LOG_H
#define SMSC_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARNING = 2, LOG_ERROR = 3 };

#define LOG_RING_LINES 4096

/* Sets the node name shown on each line, the minimum level and the file
 * (NULL = stdout).  Returns 0, or -1 when the file cannot be opened. */
int log_setup(const char *node, const char *level, const char *file);
int log_parse_level(const char *name, enum log_level *out);
int log_reopen(void);
void log_close(void);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int log_enabled(enum log_level level);
/* Calls fn for each kept line, oldest first, at most max lines (newest). */
void log_recent(size_t max, void (*fn)(const char *line, void *arg), void *arg);

#define log_debug(...)                                                         \
    do {                                                                       \
        if (log_enabled(LOG_DEBUG))                                            \
            log_msg(LOG_DEBUG, __VA_ARGS__);                                   \
    } while (0)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
