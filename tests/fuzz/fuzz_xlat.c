/* libFuzzer target: translation rules as a client writes them.  The input
 * is split at NUL bytes into a calling regex, its replacement, a called
 * regex, its replacement and two numbers.  A rule is accepted or rejected
 * with a detail by xlat_check_rule; an accepted rule is compiled and
 * applied (with a trace) without crashing, leaking or writing a number
 * past XLAT_MAX_NUM. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/xlat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void trace(const struct xlat_eval *e, void *arg)
{
    (void)e;
    (*(int *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *part[6] = {0};
    char *p = text;
    for (int i = 0; i < 6 && p <= text + size; i++) {
        part[i] = p;
        p += strlen(p) + 1;
    }
    struct xlat_rule_rec r;
    xlat_rule_rec_init(&r);
    r.id = 1;
    r.calling_match = part[0] && part[0][0] ? strdup(part[0]) : NULL;
    r.calling_replace = part[1] ? strdup(part[1]) : NULL;
    r.called_match = part[2] && part[2][0] ? strdup(part[2]) : NULL;
    r.called_replace = part[3] ? strdup(part[3]) : NULL;
    r.cont = size % 2;
    char err[256] = "";
    if (xlat_check_rule(&r, err, sizeof err) != 0) {
        if (err[0] == '\0')
            abort();
    } else {
        const struct xlat_rule_rec *v[2] = {&r, &r};
        struct xlat_set *s = xlat_compile(v, 2, NULL);
        struct xlat_result out;
        int seen = 0;
        xlat_apply(s, part[4] ? part[4] : "", part[5] ? part[5] : "", NULL,
                   &out, trace, &seen);
        if (strlen(out.calling) >= XLAT_MAX_NUM ||
            strlen(out.called) >= XLAT_MAX_NUM || out.n_steps > 2)
            abort();
        xlat_set_unref(s);
    }
    xlat_rule_rec_free(&r);
    free(text);
    return 0;
}
