/* libFuzzer target: configuration files.  Every input either loads or is
 * refused with a message; nothing crashes or leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct config cfg;
    char err[512];
    err[0] = '\0';
    if (config_parse(&cfg, text, err, sizeof err) == 0)
        config_free(&cfg);
    else if (err[0] == '\0')
        abort();
    free(text);
    return 0;
}
