/* strpool — shared copies of strings that repeat (see strpool.h). */
#include "common/strpool.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct strpool_entry {
    size_t refs;
    char s[];
};

static struct strpool_entry *entry_of(const char *s)
{
    return (struct strpool_entry *)(void *)(s - offsetof(struct strpool_entry,
                                                         s));
}

void strpool_init(struct strpool *p)
{
    hmap_str_init(&p->map);
}

void strpool_free(struct strpool *p)
{
    size_t pos = 0;
    const char *key;
    void *val;
    while (hmap_str_next(&p->map, &pos, &key, &val))
        free(val);
    hmap_str_free(&p->map);
    hmap_str_init(&p->map);
}

char *strpool_get(struct strpool *p, const char *s)
{
    if (s == NULL)
        return NULL;
    struct strpool_entry *e = hmap_str_get(&p->map, s);
    if (e == NULL) {
        size_t n = strlen(s) + 1;
        e = xmalloc(sizeof *e + n);
        e->refs = 0;
        memcpy(e->s, s, n);
        hmap_str_put(&p->map, s, e);
    }
    e->refs++;
    return e->s;
}

void strpool_put(struct strpool *p, const char *s)
{
    if (s == NULL)
        return;
    struct strpool_entry *e = entry_of(s);
    if (--e->refs > 0)
        return;
    hmap_str_del(&p->map, s);
    free(e);
}

size_t strpool_count(const struct strpool *p)
{
    return p->map.count;
}
