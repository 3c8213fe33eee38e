/* xlat — number translation (SPEC §7): rewriting the calling and called
 * numbers of a message with an ordered chain of PCRE2 rules.
 *
 * A rule set is compiled once per version of the replicated rule table
 * (xlat_compile) and then shared, read-only and reference-counted, by every
 * HTTP thread; applying it allocates nothing per message.  Rules run in
 * priority order (lower first, then id).  A rule *applies* when its filters
 * match (calling_prefix / called_prefix: string prefixes; source_smsc:
 * equality; NULL or "" = any) and, when it has calling_match or
 * called_match, at least one of them matches; a rule with no regex applies
 * on its filters alone.  An applied rule rewrites each number whose regex
 * matched (every non-overlapping match replaced, \1..\9 and \g{N} naming
 * groups, \0 the whole match, \\ a backslash); continue=false then stops,
 * true passes the rewritten numbers to the next rules.  At most
 * XLAT_MAX_CHAIN rules apply.  Disabled rules never apply.
 *
 * Pure (no I/O); the compiled set may be used by many threads at once.
 */
#ifndef SMSC_XLAT_H
#define SMSC_XLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft_store/tables.h"

#define XLAT_MAX_CHAIN 10
#define XLAT_MAX_NUM 128       /* longest number in or out, with the NUL */
#define XLAT_MAX_GROUPS 31     /* capture groups a rule's regex may have */

struct xlat_set;

/* Checks a rule's regexes (and that each match has its replace and the
 * other way round).  Returns 0, or -1 with a detail naming the field and
 * PCRE2's message and offset in err, e.g.
 * "called_match: missing closing parenthesis at offset 4". */
int xlat_check_rule(const struct xlat_rule_rec *r, char *err, size_t errlen);

/* Compiles the rules (copying what it needs).  A rule whose regex does not
 * compile is left out, with a log-free note in *bad (may be NULL) counting
 * them.  Never returns NULL.  The set starts with one reference. */
struct xlat_set *xlat_compile(const struct xlat_rule_rec *const *rules,
                              size_t n, size_t *bad);
void xlat_set_ref(struct xlat_set *s);
void xlat_set_unref(struct xlat_set *s);
size_t xlat_set_count(const struct xlat_set *s);

struct xlat_step {
    int64_t rule_id;
    int32_t priority;
    bool calling_changed;
    bool called_changed;
    char calling_before[XLAT_MAX_NUM];
    char calling_after[XLAT_MAX_NUM];
    char called_before[XLAT_MAX_NUM];
    char called_after[XLAT_MAX_NUM];
};

struct xlat_result {
    char calling[XLAT_MAX_NUM];   /* the numbers after translation */
    char called[XLAT_MAX_NUM];
    bool changed;                 /* either number differs from its input */
    int n_steps;                  /* rules applied */
    struct xlat_step steps[XLAT_MAX_CHAIN];
    bool chain_limit;             /* stopped by XLAT_MAX_CHAIN */
};

/* How one rule was judged, for the simulator. */
struct xlat_eval {
    const struct xlat_rule_rec *rule;  /* the set's copy */
    bool enabled;
    bool calling_prefix_ok;       /* true when the filter is NULL */
    bool called_prefix_ok;
    bool source_smsc_ok;
    bool calling_matched;         /* regex present and matched */
    bool called_matched;
    bool applied;
    const char *note;             /* "stopped: continue is false", ... or NULL */
};

typedef void (*xlat_trace_fn)(const struct xlat_eval *e, void *arg);

/* Translates.  NULL numbers count as "".  trace (may be NULL) is called for
 * every rule looked at, in order, until the chain stops.  Returns 0, or -1
 * when an input number is XLAT_MAX_NUM bytes or longer (out then holds the
 * inputs unchanged). */
int xlat_apply(const struct xlat_set *s, const char *calling,
               const char *called, const char *source_smsc,
               struct xlat_result *out, xlat_trace_fn trace, void *arg);

#endif
