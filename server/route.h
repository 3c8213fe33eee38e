/* route — route selection (SPEC §6).
 *
 * A route set is built once per version of the replicated route table
 * (route_set_build) and then shared, read-only and reference-counted, by
 * every HTTP thread.  A route matches a message when every non-NULL
 * criterion matches: calling_prefix / called_prefix are string prefixes of
 * the (translated) numbers, source_smsc is equal, source_type is equal
 * (SRC_NONE = any), enum_domain equals the ENUM result's domain (a route
 * with an enum_domain never matches a message without one).  Disabled
 * routes never match.  Selection: the lowest priority value among matching
 * routes; among those the highest specificity score (called prefix length
 * x100, calling prefix length x50, source_smsc +25, enum_domain +15,
 * source_type +10); among equals, weighted random by weight, using a
 * uniform 32-bit draw the caller makes (the leader draws it, the command
 * carries the outcome, so replicas agree).
 *
 * Pure (no I/O); a set may be used by many threads at once.
 */
#ifndef SMSC_ROUTE_H
#define SMSC_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft_store/tables.h"

struct route_set;

/* Builds a set from the routes (copying them).  Starts with one reference. */
struct route_set *route_set_build(const struct route_rec *const *routes,
                                  size_t n);
void route_set_ref(struct route_set *s);
void route_set_unref(struct route_set *s);
size_t route_set_count(const struct route_set *s);

struct route_input {
    const char *calling;       /* translated source_msisdn (NULL = "") */
    const char *called;        /* translated destination_msisdn */
    const char *source_smsc;   /* NULL = none */
    int source_type;           /* enum msg_source_type */
    const char *enum_domain;   /* NULL = no ENUM result */
};

struct route_choice {
    const struct route_rec *route; /* the set's copy, NULL when none */
    int score;
    int32_t priority;
    uint32_t candidates;       /* routes in the winning tier */
    uint32_t tier_weight;      /* sum of their weights */
};

/* Specificity score of a route (the formula above). */
int route_score(const struct route_rec *r);

/* Selects a route.  Returns true and fills *out, or false (out->route NULL)
 * when no enabled route matches. */
bool route_select(const struct route_set *s, const struct route_input *in,
                  uint32_t draw, struct route_choice *out);

/* How one route was judged, for the simulator. */
struct route_eval {
    const struct route_rec *route; /* the set's copy */
    bool enabled;
    bool calling_prefix_ok;    /* true when the criterion is NULL */
    bool called_prefix_ok;
    bool source_smsc_ok;
    bool source_type_ok;
    bool enum_domain_ok;
    bool matched;              /* enabled and every criterion ok */
    int score;
    bool candidate;            /* in the winning priority/score tier */
    bool selected;
};

/* Judges every route of the set, in id order, into out[0..route_set_count)
 * and selects like route_select (with the same draw).  Returns whether a
 * route was selected. */
bool route_simulate(const struct route_set *s, const struct route_input *in,
                    uint32_t draw, struct route_eval *out,
                    struct route_choice *choice);

#endif
