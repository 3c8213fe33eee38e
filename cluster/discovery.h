/* discovery — find the members of a cluster to join through DNS SRV.
 *
 * A node started with an empty data dir, no --bootstrap and no join list
 * but with `dns_cluster_query` set asks DNS for the SRV records of
 * _sms._tcp.<query> (c-ares, the system resolver or `dns_servers`) and
 * joins through the API addresses they name: the record's target and port,
 * port 0 meaning the node's own api.http_port.  Only the SRV answer is
 * resolved; the join code connects to the target by name.  Main thread,
 * blocking, at start-up, before any other thread runs (c-ares' library
 * init is not thread-safe).
 */
#ifndef SMSC_DISCOVERY_H
#define SMSC_DISCOVERY_H

#include <stddef.h>

/* One SRV record as it came in the answer. */
struct discovery_srv {
    const char *target; /* borrowed, no trailing dot */
    int priority, weight, port;
};

/* Resolves SRV _sms._tcp.<query>, waiting a few seconds at most.
 * servers: n_servers DNS servers as "host:port" (IP addresses), borrowed;
 * none = the system resolver.  On success *out is a new array of *n new
 * "host:port" strings (caller frees each and the array; discovery_free),
 * in the order of discovery_order(); zero records is success with *n 0.
 * Returns 0, or -1 with a message naming the query (or dns_servers) in
 * err. */
int discover_members(const char *query, const char *const *servers,
                     size_t n_servers, int default_port, char ***out,
                     size_t *n, char *err, size_t errlen);

/* The pure part of discover_members: sorts recs (in place) by priority
 * ascending, then weight descending, then answer order, and returns a new
 * array of n new "target:port" strings, port 0 becoming default_port (an
 * IPv6 literal target is bracketed).  Any thread. */
char **discovery_order(struct discovery_srv *recs, size_t n,
                       int default_port);

void discovery_free(char **members, size_t n);

#endif
