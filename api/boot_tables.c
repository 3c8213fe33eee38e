/* boot_tables — the config's sms_routes and translation_rules (SPEC §12)
 * as records for the cluster's `init` command, checked at start-up like
 * any API write: a bad entry stops the node with its index and field. */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>

#include "api/tablejson.h"
#include "common/xalloc.h"
#include "raft_store/cmd.h"
#include "server/config.h"
#include "server/xlat.h"

static int load_routes(json_t *a, struct cmd_import *out, char *err,
                       size_t errlen)
{
    for (size_t i = 0; i < json_array_size(a); i++) {
        struct route_rec *r = xcalloc(1, sizeof *r);
        char why[256];
        route_rec_init(r);
        if (route_from_json(json_array_get(a, i), r, TABLE_JSON_IMPORT, why,
                            sizeof why) != 0) {
            snprintf(err, errlen, "sms_routes[%zu]: %s", i, why);
            route_rec_free(r);
            free(r);
            return -1;
        }
        cmd_import_add(out, r);
    }
    return 0;
}

static int load_rules(json_t *a, struct cmd_import *out, char *err,
                      size_t errlen)
{
    for (size_t i = 0; i < json_array_size(a); i++) {
        struct xlat_rule_rec *r = xcalloc(1, sizeof *r);
        char why[256];
        xlat_rule_rec_init(r);
        if (xlat_rule_from_json(json_array_get(a, i), r, TABLE_JSON_IMPORT,
                                why, sizeof why) != 0 ||
            xlat_check_rule(r, why, sizeof why) != 0) {
            snprintf(err, errlen, "translation_rules[%zu]: %s", i, why);
            xlat_rule_rec_free(r);
            free(r);
            return -1;
        }
        cmd_import_add(out, r);
    }
    return 0;
}

int api_initial_tables(const struct config *cfg, struct cmd_import *routes,
                       struct cmd_import *rules, char *err, size_t errlen)
{
    if (load_routes(cfg->sms_routes, routes, err, errlen) == 0 &&
        load_rules(cfg->translation_rules, rules, err, errlen) == 0)
        return 0;
    cmd_import_free(routes, true);
    cmd_import_free(rules, false);
    return -1;
}
