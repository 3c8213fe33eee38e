/* metric_defs — the API layer's metric families (see metric_defs.h). */
#include "api/metric_defs.h"

#define MS_10_5000 {10, 50, 100, 250, 500, 1000, 2500, 5000}

const struct metric_family M_MSG_RECEIVED = {
    "sms_c_message_received_count", "Messages accepted (201/202) by this node",
    METRIC_COUNTER, 3, {"source_smsc", "source_type", "message_type"}, 0, {0}};
const struct metric_family M_MSG_VALIDATED = {
    "sms_c_message_validated_count",
    "Submissions validated by this node (valid=false: refused with 4xx)",
    METRIC_COUNTER, 1, {"valid"}, 0, {0}};
const struct metric_family M_MSG_PROCESSING = {
    "sms_c_message_processing_stop_duration",
    "Submission handling time on the node that received it, ms",
    METRIC_HISTOGRAM, 1, {"success"}, 8, MS_10_5000};
const struct metric_family M_ROUTE_MATCHED = {
    "sms_c_routing_route_matched_count", "Messages a route was chosen for",
    METRIC_COUNTER, 3, {"route_id", "dest_smsc", "priority"}, 0, {0}};
const struct metric_family M_ROUTING_FAILED = {
    "sms_c_routing_failed_count",
    "Messages no route matched (no_route_found) or whose numbers failed "
    "validation after translation (validation_failed)",
    METRIC_COUNTER, 1, {"reason"}, 0, {0}};
const struct metric_family M_ROUTING_ACTION = {
    "sms_c_routing_action_count", "Routing decisions by action",
    METRIC_COUNTER, 1, {"action"}, 0, {0}};
const struct metric_family M_ROUTING_DURATION = {
    "sms_c_routing_stop_duration",
    "Translation and route selection time, ms", METRIC_HISTOGRAM, 1,
    {"dest_smsc"}, 8, {1, 5, 10, 25, 50, 100, 250, 500}};
const struct metric_family M_DELIVERY_QUEUED = {
    "sms_c_delivery_queued_count", "Messages queued for a destination SMSC",
    METRIC_COUNTER, 1, {"dest_smsc"}, 0, {0}};
const struct metric_family M_DELIVERY_ATTEMPTED = {
    "sms_c_delivery_attempted_count",
    "Delivery outcomes reported (delivered or a failed attempt)",
    METRIC_COUNTER, 1, {"dest_smsc"}, 0, {0}};
const struct metric_family M_DELIVERY_SUCCEEDED = {
    "sms_c_delivery_succeeded_count", "Messages marked delivered",
    METRIC_COUNTER, 1, {"dest_smsc"}, 0, {0}};
const struct metric_family M_DELIVERY_FAILED = {
    "sms_c_delivery_failed_count",
    "Failed delivery attempts (attempt_failed) and messages that became "
    "failed (max_attempts, status_set)",
    METRIC_COUNTER, 2, {"dest_smsc", "reason"}, 0, {0}};
const struct metric_family M_DELIVERY_SUCCEEDED_DURATION = {
    "sms_c_delivery_succeeded_duration",
    "Time from submission to delivery, ms", METRIC_HISTOGRAM, 1,
    {"dest_smsc"}, 7, {100, 500, 1000, 5000, 10000, 30000, 60000}};
const struct metric_family M_DELIVERY_SUCCEEDED_ATTEMPTS = {
    "sms_c_delivery_succeeded_attempt_count",
    "Attempts a delivered message needed", METRIC_HISTOGRAM, 1,
    {"dest_smsc"}, 5, {1, 2, 3, 5, 10}};
const struct metric_family M_DELIVERY_FAILED_ATTEMPTS = {
    "sms_c_delivery_failed_attempt_count",
    "Attempts made before a message failed", METRIC_HISTOGRAM, 1,
    {"dest_smsc"}, 5, {1, 2, 3, 5, 10}};
const struct metric_family M_LOCATION_REGISTERED = {
    "sms_c_location_registered_count",
    "Subscriber location registrations received by this node",
    METRIC_COUNTER, 2, {"location", "ims_capable"}, 0, {0}};
const struct metric_family M_HTTP_COUNT = {
    "sms_c_http_request_count", "HTTP requests answered by this node",
    METRIC_COUNTER, 3, {"route", "method", "status"}, 0, {0}};
const struct metric_family M_HTTP_DURATION = {
    "sms_c_http_request_duration", "HTTP request handling time, ms",
    METRIC_HISTOGRAM, 1, {"route"}, 11,
    {1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000}};
const struct metric_family M_HTTP_EXCEPTION = {
    "sms_c_http_exception_count",
    "HTTP requests answered 5xx by this node", METRIC_COUNTER, 0, {NULL}, 0,
    {0}};

const struct metric_family *const api_metric_families[] = {
    &M_MSG_RECEIVED, &M_MSG_VALIDATED, &M_MSG_PROCESSING, &M_ROUTE_MATCHED,
    &M_ROUTING_FAILED, &M_ROUTING_ACTION, &M_ROUTING_DURATION,
    &M_DELIVERY_QUEUED, &M_DELIVERY_ATTEMPTED, &M_DELIVERY_SUCCEEDED,
    &M_DELIVERY_FAILED, &M_DELIVERY_SUCCEEDED_DURATION,
    &M_DELIVERY_SUCCEEDED_ATTEMPTS, &M_DELIVERY_FAILED_ATTEMPTS,
    &M_LOCATION_REGISTERED, &M_HTTP_COUNT, &M_HTTP_DURATION,
    &M_HTTP_EXCEPTION,
};
const size_t api_metric_family_count =
    sizeof api_metric_families / sizeof api_metric_families[0];
