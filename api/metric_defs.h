/* metric_defs — the metric families of the API layer (SPEC §11), with the
 * reference's names, labels and buckets (milliseconds).  Who counts:
 * request-driven counters on the node that received the request (a
 * forwarded request is not counted again on the leader); routing on the
 * node that ran the pipeline (once per message); tick-driven transitions
 * on the leader (raft_store); gauges of replicated state on every node.
 */
#ifndef SMSC_METRIC_DEFS_H
#define SMSC_METRIC_DEFS_H

#include "common/metrics.h"

extern const struct metric_family M_MSG_RECEIVED, M_MSG_VALIDATED,
    M_MSG_PROCESSING, M_ROUTE_MATCHED, M_ROUTING_FAILED, M_ROUTING_ACTION,
    M_ROUTING_DURATION, M_DELIVERY_QUEUED, M_DELIVERY_ATTEMPTED,
    M_DELIVERY_SUCCEEDED, M_DELIVERY_FAILED, M_DELIVERY_SUCCEEDED_DURATION,
    M_DELIVERY_SUCCEEDED_ATTEMPTS, M_DELIVERY_FAILED_ATTEMPTS,
    M_LOCATION_REGISTERED, M_HTTP_COUNT, M_HTTP_DURATION, M_HTTP_EXCEPTION;

/* Every family above, in the order /metrics lists them. */
extern const struct metric_family *const api_metric_families[];
extern const size_t api_metric_family_count;

#endif
