/* ctl_admin — smscctl's admin reads and writes: settings, routes and
 * translation rules (list, export, import), frontends, CDR writer stats,
 * the node's log lines, and the commands not available yet.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster/ctl.h"
#include "common/xalloc.h"

#define MAX_FILE (64 * 1024 * 1024)

static void print_kv(json_t *d)
{
    ctl_kv(d);
}

/* ---- settings ---- */

int ctl_settings_get(const struct ctl *c, const struct ctl_cmd *cmd,
                     const struct ctl_args *a)
{
    (void)cmd;
    json_t *j;
    int rc = ctl_call(c, NULL, "GET", "/api/settings", NULL, 0, NULL, &j);
    if (rc != CTL_OK || a->npos == 0)
        return ctl_emit(c, j, rc, print_kv);
    json_t *v = json_object_get(json_object_get(j, "data"), a->pos[0]);
    if (v == NULL) {
        fprintf(stderr, "smscctl: no setting %s\n", a->pos[0]);
        rc = CTL_API;
    } else if (c->json) {
        ctl_print_json(v);
    } else {
        char buf[1024];
        printf("%s\n", ctl_cell(v, buf, sizeof buf));
    }
    json_decref(j);
    return rc;
}

int ctl_settings_set(const struct ctl *c, const struct ctl_cmd *cmd,
                     const struct ctl_args *a)
{
    json_t *b = json_object();
    for (int i = 0; i < a->npos; i++) {
        const char *eq = strchr(a->pos[i], '=');
        if (eq == NULL || eq == a->pos[i]) {
            json_decref(b);
            return ctl_usage_error(cmd, "expected KEY=VALUE, not %s",
                                   a->pos[i]);
        }
        char *key = xstrdup(a->pos[i]);
        key[eq - a->pos[i]] = '\0';
        json_t *v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
        json_object_set_new(b, key, v ? v : json_string(eq + 1));
        free(key);
    }
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    json_t *j;
    int rc = ctl_call(c, NULL, "PATCH", "/api/settings", body, 0, NULL, &j);
    free(body);
    return ctl_emit(c, j, rc, print_kv);
}

/* ---- routes and rules ---- */

static const struct ctl_col route_cols[] = {
    {"ID", "id", 0},
    {"PRIO", "priority", 0},
    {"WEIGHT", "weight", 0},
    {"CALLED", "called_prefix", 0},
    {"CALLING", "calling_prefix", 0},
    {"SOURCE", "source_smsc", 0},
    {"TYPE", "source_type", 0},
    {"DEST", "dest_smsc", 0},
    {"ENABLED", "enabled", 0},
    {"DESCRIPTION", "description", 40},
};

static const struct ctl_col rule_cols[] = {
    {"ID", "id", 0},
    {"PRIO", "priority", 0},
    {"CALLING_MATCH", "calling_match", 0},
    {"CALLING_REPLACE", "calling_replace", 0},
    {"CALLED_MATCH", "called_match", 0},
    {"CALLED_REPLACE", "called_replace", 0},
    {"CONTINUE", "continue", 0},
    {"ENABLED", "enabled", 0},
    {"DESCRIPTION", "description", 40},
};

static bool is_routes(const struct ctl_cmd *cmd)
{
    return strcmp(cmd->group, "routes") == 0;
}

static const char *base_path(const struct ctl_cmd *cmd)
{
    return is_routes(cmd) ? "/api/routes" : "/api/translation_rules";
}

static void print_routes(json_t *d)
{
    ctl_table(route_cols, sizeof route_cols / sizeof route_cols[0], d);
}

static void print_rules(json_t *d)
{
    ctl_table(rule_cols, sizeof rule_cols / sizeof rule_cols[0], d);
}

int ctl_table_list(const struct ctl *c, const struct ctl_cmd *cmd,
                   const struct ctl_args *a)
{
    (void)a;
    json_t *j;
    int rc = ctl_call(c, NULL, "GET", base_path(cmd), NULL, 0, NULL, &j);
    return ctl_emit(c, j, rc, is_routes(cmd) ? print_routes : print_rules);
}

int ctl_table_export(const struct ctl *c, const struct ctl_cmd *cmd,
                     const struct ctl_args *a)
{
    char path[64], *doc;
    snprintf(path, sizeof path, "%s/export", base_path(cmd));
    int rc = ctl_call_raw(c, "GET", path, NULL, &doc);
    if (rc != CTL_OK)
        return rc;
    FILE *f = a->npos ? fopen(a->pos[0], "w") : stdout;
    if (f == NULL) {
        fprintf(stderr, "smscctl: %s: %m\n", a->pos[0]);
        free(doc);
        return CTL_API;
    }
    size_t n = strlen(doc);
    bool ok = fwrite(doc, 1, n, f) == n &&
              (n == 0 || doc[n - 1] == '\n' || fputc('\n', f) != EOF);
    ok = (f == stdout ? fflush(f) : fclose(f)) == 0 && ok;
    if (!ok)
        fprintf(stderr, "smscctl: cannot write %s\n",
                a->npos ? a->pos[0] : "stdout");
    free(doc);
    return ok ? CTL_OK : CTL_API;
}

/* The whole of file path (owned, NUL-terminated), or NULL with a message. */
static char *read_file(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "smscctl: %s: %m\n", path);
        return NULL;
    }
    size_t cap = 65536, n = 0, got;
    char *s = xmalloc(cap + 1);
    while ((got = fread(s + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap && cap < MAX_FILE) {
            cap *= 2;
            s = xrealloc(s, cap + 1);
        }
    }
    bool bad = ferror(f) || n >= MAX_FILE;
    if (f != stdin)
        fclose(f);
    if (bad) {
        fprintf(stderr, "smscctl: cannot read %s (or larger than %d MiB)\n",
                path, MAX_FILE >> 20);
        free(s);
        return NULL;
    }
    s[n] = '\0';
    return s;
}

static void print_imported(json_t *d)
{
    char ok[32], failed[32];
    printf("imported %s, failed %s\n",
           ctl_cell(json_object_get(d, "imported"), ok, sizeof ok),
           ctl_cell(json_object_get(d, "failed"), failed, sizeof failed));
    size_t i;
    json_t *e;
    char buf[512];
    json_array_foreach(json_object_get(d, "errors"), i, e)
        printf("  %s\n", ctl_cell(e, buf, sizeof buf));
}

int ctl_table_import(const struct ctl *c, const struct ctl_cmd *cmd,
                     const struct ctl_args *a)
{
    char *body = read_file(a->pos[0]);
    if (body == NULL)
        return CTL_API;
    char path[96];
    snprintf(path, sizeof path, "%s/import?mode=%s", base_path(cmd),
             ctl_opt(cmd, a, "replace") ? "replace" : "merge");
    json_t *j;
    int rc = ctl_call(c, NULL, "POST", path, body, 0, NULL, &j);
    free(body);
    return ctl_emit(c, j, rc, print_imported);
}

/* ---- frontends, cdr stats, logs ---- */

static void print_frontends(json_t *d)
{
    static const struct ctl_col cols[] = {
        {"NAME", "frontend_name", 0},
        {"TYPE", "frontend_type", 0},
        {"STATUS", "status", 0},
        {"IP", "ip_address", 0},
        {"HOSTNAME", "hostname", 0},
        {"LAST_SEEN", "last_seen_at", 0},
        {"ID", "id", 0},
    };
    ctl_table(cols, sizeof cols / sizeof cols[0], d);
}

int ctl_frontends(const struct ctl *c, const struct ctl_cmd *cmd,
                  const struct ctl_args *a)
{
    const char *path =
        ctl_opt(cmd, a, "active") ? "/api/frontends/active" : "/api/frontends";
    json_t *j;
    int rc = ctl_call(c, NULL, "GET", path, NULL, 0, NULL, &j);
    return ctl_emit(c, j, rc, print_frontends);
}

int ctl_cdr_stats(const struct ctl *c, const struct ctl_cmd *cmd,
                  const struct ctl_args *a)
{
    (void)cmd, (void)a;
    json_t *j;
    int rc = ctl_call(c, NULL, "GET", "/api/cdr/stats", NULL, 0, NULL, &j);
    return ctl_emit(c, j, rc, print_kv);
}

static void print_lines(json_t *d)
{
    size_t i;
    json_t *l;
    json_array_foreach(d, i, l)
        printf("%s\n", json_string_value(l) ? json_string_value(l) : "");
}

int ctl_logs(const struct ctl *c, const struct ctl_cmd *cmd,
             const struct ctl_args *a)
{
    const char *limit = ctl_opt(cmd, a, "limit"),
               *level = ctl_opt(cmd, a, "level");
    if ((limit && !ctl_segment_ok(limit)) || (level && !ctl_segment_ok(level)))
        return ctl_usage_error(cmd, "bad --limit or --level value");
    char path[256];
    snprintf(path, sizeof path, "/api/logs?limit=%s%s%s", limit ? limit : "500",
             level ? "&level=" : "", level ? level : "");
    json_t *j;
    int rc = ctl_call(c, NULL, "GET", path, NULL, 0, NULL, &j);
    return ctl_emit(c, j, rc, print_lines);
}

int ctl_backup(const struct ctl *c, const struct ctl_cmd *cmd,
               const struct ctl_args *a)
{
    (void)cmd;
    char *doc;
    int rc = ctl_call_raw(c, "GET", "/api/backup", NULL, &doc);
    if (rc != CTL_OK)
        return rc;
    const char *path = a->pos[0];
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    bool ok = f != NULL && fputs(doc, f) >= 0;
    if (f != NULL)
        ok = (f == stdout ? fflush(f) : fclose(f)) == 0 && ok;
    if (!ok)
        fprintf(stderr, "smscctl: cannot write %s\n", path);
    else if (f != stdout && !c->json)
        printf("backup written to %s (%zu bytes)\n", path, strlen(doc));
    free(doc);
    return ok ? CTL_OK : CTL_API;
}

static void print_restored(json_t *d)
{
    char n[32];
    printf("restored %s messages\n",
           ctl_cell(json_object_get(d, "messages"), n, sizeof n));
}

int ctl_restore(const struct ctl *c, const struct ctl_cmd *cmd,
                const struct ctl_args *a)
{
    (void)cmd;
    char *body = read_file(a->pos[0]);
    if (body == NULL)
        return CTL_API;
    json_t *j;
    int rc = ctl_call(c, NULL, "POST", "/api/restore", body, 0, NULL, &j);
    free(body);
    return ctl_emit(c, j, rc, print_restored);
}

static void print_snapshot(json_t *d)
{
    char node[128], index[32], bytes[32], state[32];
    printf("%s: snapshot at index %s (%s bytes stored, %s bytes of state)\n",
           ctl_cell(json_object_get(d, "node"), node, sizeof node),
           ctl_cell(json_object_get(d, "index"), index, sizeof index),
           ctl_cell(json_object_get(d, "bytes"), bytes, sizeof bytes),
           ctl_cell(json_object_get(d, "state_bytes"), state, sizeof state));
}

int ctl_snapshot(const struct ctl *c, const struct ctl_cmd *cmd,
                 const struct ctl_args *a)
{
    (void)cmd, (void)a;
    json_t *j;
    int rc = ctl_call(c, NULL, "POST", "/api/cluster/snapshot", "{}", 0, NULL,
                      &j);
    return ctl_emit(c, j, rc, print_snapshot);
}

int ctl_unavailable(const struct ctl *c, const struct ctl_cmd *cmd,
                    const struct ctl_args *a)
{
    (void)c, (void)a;
    fprintf(stderr, "smscctl: %s: not available in this version\n", cmd->group);
    return CTL_API;
}
