/* ctl_http — smscctl's API calls: one request through http_client with the
 * global options applied (API key, timeout), the SPEC §3 error envelope
 * turned into a message on stderr and an exit code (see ctl.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cluster/ctl.h"
#include "cluster/http_client.h"
#include "common/xalloc.h"

/* Performs the request; r is always initialised.  CTL_DOWN when no answer
 * came (the reason printed unless quiet). */
static int request(const struct ctl *c, const char *base, const char *method,
                   const char *path, const char *body, int quiet,
                   struct http_result *r)
{
    char key[300];
    const char *headers[2] = {NULL, NULL};
    if (c->api_key) {
        snprintf(key, sizeof key, "X-API-Key: %s", c->api_key);
        headers[0] = key;
    }
    base = base ? base : c->node;
    if (http_call(base, method, path, body, headers, c->timeout_s, r) != 0) {
        if (quiet != CTL_QUIET)
            fprintf(stderr, "smscctl: %s: %s\n", base, r->error);
        return CTL_DOWN;
    }
    return CTL_OK;
}

/* Prints "smscctl: <status> <detail>" for an error answer. */
static void print_error(const struct http_result *r)
{
    json_t *j = json_loads(r->body, 0, NULL);
    const char *d = NULL;
    json_unpack(j, "{s:{s:s}}", "errors", "detail", &d);
    fprintf(stderr, "smscctl: %d %s\n", r->status,
            d ? d : (r->body[0] ? r->body : "(no detail)"));
    json_decref(j);
}

int ctl_call(const struct ctl *c, const char *base, const char *method,
             const char *path, const char *body, int quiet, int *status,
             json_t **out)
{
    struct http_result r;
    *out = NULL;
    int rc = request(c, base, method, path, body, quiet, &r);
    if (status)
        *status = r.status;
    if (rc == CTL_OK && r.status >= 400) {
        if (quiet != CTL_QUIET && quiet != r.status)
            print_error(&r);
        rc = CTL_API;
    } else if (rc == CTL_OK) {
        *out = json_loads(r.body, JSON_DECODE_ANY, NULL);
        if (*out == NULL)
            *out = json_null();
    }
    http_result_free(&r);
    return rc;
}

int ctl_call_raw(const struct ctl *c, const char *method, const char *path,
                 const char *body, char **out)
{
    struct http_result r;
    *out = NULL;
    int rc = request(c, NULL, method, path, body, 0, &r);
    if (rc == CTL_OK && r.status >= 400) {
        print_error(&r);
        rc = CTL_API;
    } else if (rc == CTL_OK) {
        *out = r.body;
        r.body = NULL;
    }
    http_result_free(&r);
    return rc;
}

void ctl_print_json(const json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);
    printf("%s\n", s ? s : "null");
    free(s);
}

int ctl_emit(const struct ctl *c, json_t *j, int rc,
             void (*human)(json_t *data))
{
    if (rc == CTL_OK) {
        json_t *data = json_object_get(j, "data");
        if (data == NULL)
            data = j;
        if (c->json)
            ctl_print_json(data);
        else if (human)
            human(data);
    }
    json_decref(j);
    return rc;
}

bool ctl_segment_ok(const char *s)
{
    return s[0] != '\0' && strlen(s) < 128 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789._:@+-") == strlen(s);
}
