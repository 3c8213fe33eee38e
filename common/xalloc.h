/* xalloc — the one allocation wrapper of smsc.
 *
 * Every heap allocation in the project goes through these helpers.  Memory
 * is bounded by the table limits (SPEC §3), so running out of it is treated
 * like redis does: log one line and abort, never limp on with half-applied
 * state.  Any thread may call them.
 */
#ifndef SMSC_XALLOC_H
#define SMSC_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
/* Returns a new copy of s, or NULL when s is NULL. */
char *xstrdup(const char *s);
/* Copies at most n bytes of s and terminates the copy. */
char *xstrndup(const char *s, size_t n);

#endif
