/* smscctl — the smsc admin CLI, a client of any node's REST API.
 *
 *   smscctl [--node URL] [--json] status
 *   smscctl [--node URL] [--json] messages list [--status S] [--limit N]
 *   smscctl [--node URL] [--json] messages get ID
 *   smscctl [--node URL] [--json] messages send --from A --to B --smsc S TEXT
 *
 * Exit codes: 0 success, 1 the node answered with an error, 2 usage error,
 * 3 the node could not be reached.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cluster/http_client.h"

enum { EXIT_OK = 0, EXIT_API = 1, EXIT_USAGE = 2, EXIT_DOWN = 3 };

struct ctl {
    const char *node;
    bool json;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: smscctl [--node URL] [--json] COMMAND\n"
            "  status                         the node's view of the cluster\n"
            "  messages list [--status S] [--limit N]\n"
            "  messages get ID\n"
            "  messages send --from MSISDN --to MSISDN --smsc NAME TEXT\n"
            "options:\n"
            "  --node URL   node API (default http://127.0.0.1:8080, or "
            "$SMSC_NODE)\n"
            "  --json       print the raw JSON answer\n");
}

/* Performs the call; prints errors; returns an exit code and the JSON. */
static int call(const struct ctl *c, const char *method, const char *path,
                const char *body, json_t **out)
{
    struct http_result r;
    *out = NULL;
    if (http_call(c->node, method, path, body, NULL, 30, &r) != 0) {
        fprintf(stderr, "smscctl: %s: %s\n", c->node, r.error);
        http_result_free(&r);
        return EXIT_DOWN;
    }
    json_t *j = json_loads(r.body, 0, NULL);
    int rc = r.status < 400 ? EXIT_OK : EXIT_API;
    if (rc != EXIT_OK) {
        const char *d = NULL;
        json_unpack(j, "{s:{s:s}}", "errors", "detail", &d);
        fprintf(stderr, "smscctl: %d %s\n", r.status, d ? d : r.body);
        json_decref(j);
        j = NULL;
    } else if (c->json) {
        printf("%s\n", r.body);
    }
    http_result_free(&r);
    *out = j;
    return rc;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

static int cmd_status(const struct ctl *c)
{
    json_t *j;
    int rc = call(c, "GET", "/api/status", NULL, &j);
    if (rc == EXIT_OK && !c->json)
        printf("node      %s\nrole      %s\nleader    %s\nterm      %lld\n"
               "commit    %lld\napplied   %lld\ncluster   %s\n",
               str(j, "node"), str(j, "role"), str(j, "leader"),
               json_integer_value(json_object_get(j, "term")),
               json_integer_value(json_object_get(j, "commit_index")),
               json_integer_value(json_object_get(j, "applied_index")),
               str(j, "cluster_id"));
    json_decref(j);
    return rc;
}

static void print_row(json_t *m)
{
    printf("%-10lld %-10s %-16s %-16s %-12s %-12s %s\n",
           json_integer_value(json_object_get(m, "id")), str(m, "status"),
           str(m, "source_msisdn"), str(m, "destination_msisdn"),
           str(m, "source_smsc"), str(m, "dest_smsc"), str(m, "message_body"));
}

static int messages_list(const struct ctl *c, int argc, char **argv)
{
    const char *status = NULL, *limit = "100";
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--status") == 0 && i + 1 < argc)
            status = argv[++i];
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
            limit = argv[++i];
        else
            return usage(stderr), EXIT_USAGE;
    }
    char path[256];
    snprintf(path, sizeof path, "/api/messages?limit=%s%s%s", limit,
             status ? "&status=" : "", status ? status : "");
    json_t *j;
    int rc = call(c, "GET", path, NULL, &j);
    if (rc == EXIT_OK && !c->json) {
        printf("%-10s %-10s %-16s %-16s %-12s %-12s %s\n", "ID", "STATUS",
               "FROM", "TO", "SOURCE", "DEST", "BODY");
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(j, "data"), i, m) print_row(m);
    }
    json_decref(j);
    return rc;
}

static int messages_get(const struct ctl *c, int argc, char **argv)
{
    if (argc != 1)
        return usage(stderr), EXIT_USAGE;
    char path[128];
    snprintf(path, sizeof path, "/api/messages/%s", argv[0]);
    json_t *j;
    int rc = call(c, "GET", path, NULL, &j);
    if (rc == EXIT_OK && !c->json) {
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(j, "data"), k, v) {
            char *s = json_dumps(v, JSON_ENCODE_ANY);
            printf("%-26s %s\n", k, s);
            free(s);
        }
    }
    json_decref(j);
    return rc;
}

static int messages_send(const struct ctl *c, int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *smsc = NULL, *text = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            from = argv[++i];
        else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
            to = argv[++i];
        else if (strcmp(argv[i], "--smsc") == 0 && i + 1 < argc)
            smsc = argv[++i];
        else if (text == NULL && argv[i][0] != '-')
            text = argv[i];
        else
            return usage(stderr), EXIT_USAGE;
    }
    if (!from || !to || !smsc || !text)
        return usage(stderr), EXIT_USAGE;
    json_t *b = json_pack("{s:s,s:s,s:s,s:s}", "source_msisdn", from,
                          "destination_msisdn", to, "source_smsc", smsc,
                          "message_body", text);
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    json_t *j;
    int rc = call(c, "POST", "/api/messages", body, &j);
    free(body);
    if (rc == EXIT_OK && !c->json)
        printf("%lld\n", json_integer_value(json_object_get(
                             json_object_get(j, "data"), "id")));
    json_decref(j);
    return rc;
}

static int messages(const struct ctl *c, int argc, char **argv)
{
    if (argc < 1)
        return usage(stderr), EXIT_USAGE;
    if (strcmp(argv[0], "list") == 0)
        return messages_list(c, argc - 1, argv + 1);
    if (strcmp(argv[0], "get") == 0)
        return messages_get(c, argc - 1, argv + 1);
    if (strcmp(argv[0], "send") == 0)
        return messages_send(c, argc - 1, argv + 1);
    return usage(stderr), EXIT_USAGE;
}

int main(int argc, char **argv)
{
    struct ctl c = {getenv("SMSC_NODE") ? getenv("SMSC_NODE")
                                        : "http://127.0.0.1:8080",
                    false};
    static const struct option opts[] = {
        {"node", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "+n:jh", opts, NULL)) != -1) {
        switch (o) {
        case 'n': c.node = optarg; break;
        case 'j': c.json = true; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return usage(stderr), EXIT_USAGE;
    const char *cmd = argv[optind];
    if (strcmp(cmd, "status") == 0 && optind + 1 == argc)
        return cmd_status(&c);
    if (strcmp(cmd, "messages") == 0)
        return messages(&c, argc - optind - 1, argv + optind + 1);
    usage(stderr);
    return EXIT_USAGE;
}
