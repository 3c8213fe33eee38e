/* http_client — one blocking HTTP request, for smscctl and for a joining
 * node at start-up (never on a server thread).  Plain http:// and https://
 * (certificate not verified: the tools talk to nodes they were told to
 * trust; cluster membership is authenticated separately).
 */
#ifndef SMSC_HTTP_CLIENT_H
#define SMSC_HTTP_CLIENT_H

#include <stddef.h>

struct http_result {
    int status;     /* HTTP status, 0 when no answer came */
    char *body;     /* NUL-terminated, owned (free()), "" when none */
    size_t len;
    char error[256]; /* why there was no answer */
};

/* method: "GET", "POST", "PUT", "PATCH", "DELETE".  body may be NULL.
 * headers: NULL-terminated list of "Name: value" strings, or NULL.
 * Returns 0 when an answer came (any status), -1 otherwise. */
int http_call(const char *base_url, const char *method, const char *path,
              const char *body, const char *const *headers, int timeout_s,
              struct http_result *out);
void http_result_free(struct http_result *r);

#endif
