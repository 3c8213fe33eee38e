/* join — a new node asks an existing cluster to take it in (SPEC §1).
 *
 * With an empty data dir and a join list (--join or the `join` key), the
 * node starts raft with no configuration and asks a member, over that
 * member's REST API, to add it: POST /api/cluster/nodes {"name",
 * "address" (raft host:port), "api_address"}.  The member forwards this to
 * the leader, which adds the node as a spare, lets it catch up and promotes
 * it to voter.  Main thread, blocking, at start-up.
 */
#ifndef SMSC_JOIN_H
#define SMSC_JOIN_H

#include <stddef.h>

struct config;

/* join_arg: the --join value ("host:port,host:port") or NULL to use
 * cfg->join.  Tries each member in turn until one accepts, for up to two
 * minutes.  Returns 0, or -1 with a message in err. */
int join_cluster(const struct config *cfg, const char *join_arg,
                 const char *api_url, char *err, size_t errlen);

/* The same with an explicit list of n "host:port" members (borrowed), e.g.
 * found by DNS discovery; what names the list in the error message. */
int join_members(const struct config *cfg, const char *const *list, size_t n,
                 const char *what, const char *api_url, char *err,
                 size_t errlen);

#endif
