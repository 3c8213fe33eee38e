/* log — leveled logging to stdout or a reopenable file, with an in-memory
 * ring of recent lines (see log.h). */
#include "common/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/xalloc.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum log_level log_min = LOG_INFO;
static char log_node[64] = "-";
static char *log_path;       /* guarded by log_lock */
static FILE *log_file;       /* guarded by log_lock; NULL = stdout */
static char *ring[LOG_RING_LINES]; /* guarded by log_lock */
static size_t ring_next;     /* guarded by log_lock */

static const char *level_names[] = {"debug", "info", "warning", "error"};

int log_parse_level(const char *name, enum log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    if (strcasecmp(name, "warn") == 0) {
        *out = LOG_WARNING;
        return 0;
    }
    return -1;
}

int log_setup(const char *node, const char *level, const char *file)
{
    if (node)
        snprintf(log_node, sizeof log_node, "%s", node);
    if (level && log_parse_level(level, &log_min) != 0)
        return -1;
    pthread_mutex_lock(&log_lock);
    free(log_path);
    log_path = xstrdup(file);
    pthread_mutex_unlock(&log_lock);
    return log_reopen();
}

int log_reopen(void)
{
    int rc = 0;
    pthread_mutex_lock(&log_lock);
    if (log_path != NULL) {
        FILE *f = fopen(log_path, "a");
        if (f == NULL) {
            rc = -1;
        } else {
            if (log_file)
                fclose(log_file);
            setvbuf(f, NULL, _IOLBF, 0);
            log_file = f;
        }
    }
    pthread_mutex_unlock(&log_lock);
    return rc;
}

void log_close(void)
{
    pthread_mutex_lock(&log_lock);
    if (log_file)
        fclose(log_file);
    log_file = NULL;
    free(log_path);
    log_path = NULL;
    for (size_t i = 0; i < LOG_RING_LINES; i++) {
        free(ring[i]);
        ring[i] = NULL;
    }
    pthread_mutex_unlock(&log_lock);
}

int log_enabled(enum log_level level)
{
    return level >= log_min;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level < log_min)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char line[2048];
    int n = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                     level_names[level], log_node);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';

    pthread_mutex_lock(&log_lock);
    fprintf(log_file ? log_file : stdout, "%s\n", line);
    if (log_file == NULL)
        fflush(stdout);
    free(ring[ring_next]);
    ring[ring_next] = xstrdup(line);
    ring_next = (ring_next + 1) % LOG_RING_LINES;
    pthread_mutex_unlock(&log_lock);
}

void log_recent(size_t max, void (*fn)(const char *line, void *arg), void *arg)
{
    if (max > LOG_RING_LINES)
        max = LOG_RING_LINES;
    pthread_mutex_lock(&log_lock);
    size_t start = (ring_next + LOG_RING_LINES - max) % LOG_RING_LINES;
    for (size_t i = 0; i < max; i++) {
        const char *l = ring[(start + i) % LOG_RING_LINES];
        if (l)
            fn(l, arg);
    }
    pthread_mutex_unlock(&log_lock);
}
