/* libFuzzer target: JSON request bodies of POST and PATCH
 * /api/messages.  Every input is either accepted or answered with a 4xx
 * status and a detail; nothing crashes or leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = json_loadb((const char *)data, size, 0, NULL);
    if (body == NULL || !json_is_object(body)) {
        json_decref(body);
        return 0;
    }
    char err[256];
    struct msg_data d;
    int st = msg_from_json(body, &d, err, sizeof err);
    if (st == 0)
        msg_data_free(&d);
    else if (st < 400 || st > 499 || err[0] == '\0')
        abort();
    struct cmd c;
    cmd_init(&c, CMD_MSG_PATCH);
    st = msg_patch_from_json(body, &c.u.patch, err, sizeof err);
    if (st != 0 && (st < 400 || st > 499))
        abort();
    cmd_free(&c);
    json_decref(body);
    return 0;
}
