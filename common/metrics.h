/* metrics — counters and histograms with labels, cheap on hot paths, in
 * the Prometheus text exposition format 0.0.4.
 *
 * A family (name, help, kind, label names, histogram buckets) is a static
 * const struct.  Updates go to the calling thread's own series table: the
 * thread is the only writer of its series, so an update is a lookup and a
 * relaxed atomic store, with no lock and no contention; a thread takes its
 * table's lock only to add a series it has never seen.  A scrape
 * (metrics_render) sums every thread's series per label set, taking each
 * table's lock only while it copies that table — never while a thread
 * updates a value.  Series live for the process (a thread that exits keeps
 * its counts).  Label values are escaped on output (\\, \", \n).
 */
#ifndef SMSC_METRICS_H
#define SMSC_METRICS_H

#include <stddef.h>

#include "common/buf.h"

#define METRIC_MAX_LABELS 4
#define METRIC_MAX_BUCKETS 16

enum metric_kind { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metric_family {
    const char *name;
    const char *help;
    enum metric_kind kind;
    unsigned n_labels;
    const char *labels[METRIC_MAX_LABELS];
    unsigned n_buckets;                 /* histograms: upper bounds */
    double buckets[METRIC_MAX_BUCKETS]; /*   ascending; +Inf is implied */
};

/* Adds v to the counter (or gauge) series with these label values (exactly
 * f->n_labels strings; NULL is an empty value).  Any thread. */
void metric_add(const struct metric_family *f, double v, ...);
/* Records one observation of the histogram series.  Any thread. */
void metric_observe(const struct metric_family *f, double v, ...);

/* Appends every family of fams (HELP and TYPE even without samples) and
 * its series summed over threads, families in the order given, series
 * sorted by label values. */
void metrics_render(struct buf *out, const struct metric_family *const *fams,
                    size_t n);

/* Appends one label value escaped for the exposition format. */
void metrics_escape(struct buf *out, const char *v);

#endif
