/* api — the REST API server of a node (SPEC §3, §4).
 *
 * api_start() opens the listeners (HTTPS on api.port, plain HTTP on
 * api.http_port, Prometheus on metrics.port) and starts api.threads HTTP
 * threads, each with its own libevent event_base; api_stop() stops them
 * and answers nothing more.  Both are called from the main thread; the
 * node and the store must outlive the API.
 */
#ifndef SMSC_API_H
#define SMSC_API_H

#include <stddef.h>

struct api;
struct config;
struct node;
struct store;

/* Returns NULL with a message naming the failing key/listener in err. */
struct api *api_start(const struct config *cfg, struct node *node,
                      struct store *store, char *err, size_t errlen);
/* Stops accepting, lets in-flight requests finish for up to grace_ms, then
 * stops the threads and frees everything. */
void api_stop(struct api *a, int grace_ms);
/* The first half of api_stop: new requests get 503, in-flight ones get up
 * to grace_ms to finish, the CDR writer stops; the HTTP threads keep
 * running (to answer what the node completes at its shutdown). */
void api_quiesce(struct api *a, int grace_ms);
struct cmd_import;
/* The config's initial sms_routes and translation_rules as records for the
 * cluster's init command (zeroed imports in, filled on success).  Returns
 * 0, or -1 with "sms_routes[i]: <detail>" in err. */
int api_initial_tables(const struct config *cfg, struct cmd_import *routes,
                       struct cmd_import *rules, char *err, size_t errlen);
/* The URL other nodes use to reach this node's API (for node_info). */
char *api_advertise_url(const struct config *cfg);

#endif
