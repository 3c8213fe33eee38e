/* ctl_args — smscctl's command line: the global options, finding the row
 * of ctl_commands[] the words name, parsing that row's options and
 * positionals, and every --help text (generated from the same rows).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/ctl.h"

#define DEFAULT_NODE "http://127.0.0.1:8080"
#define DEFAULT_TIMEOUT_S 10

static const char global_help[] =
    "global options (before or after the command):\n"
    "  --node URL      node to talk to (default $SMSC_NODE, else " DEFAULT_NODE
    ")\n"
    "  --api-key KEY   sent as X-API-Key (default $SMSC_API_KEY)\n"
    "  --json          print the API's JSON data (one document; `messages "
    "tail`: one per line)\n"
    "  --timeout S     seconds to wait for each answer (default 10)\n"
    "  -h, --help      show help (also after any command)\n";

static const char exit_help[] =
    "exit codes:\n"
    "  0  success\n"
    "  1  the API answered an error (4xx/5xx; `smscctl: STATUS DETAIL` on "
    "stderr),\n"
    "     or the command is not available in this version\n"
    "  2  usage error (unknown command or option, missing argument)\n"
    "  3  the node could not be reached\n"
    "  4  `status`: the cluster is unhealthy (no leader, a member "
    "unreachable,\n"
    "     or a member lagging more than --max-lag entries)\n";

static bool is_help(const char *s)
{
    return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0;
}

/* "nodes add" or "status" into buf. */
static const char *words(const struct ctl_cmd *cmd, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", cmd->group, cmd->sub ? " " : "",
             cmd->sub ? cmd->sub : "");
    return buf;
}

static const char *usage_line(const struct ctl_cmd *cmd, char *buf, size_t len)
{
    char w[64];
    snprintf(buf, len, "%s%s%s%s", words(cmd, w, sizeof w),
             cmd->opts[0].name ? " [OPTIONS]" : "", cmd->pos_usage ? " " : "",
             cmd->pos_usage ? cmd->pos_usage : "");
    return buf;
}

void ctl_usage(FILE *f)
{
    char line[160];
    fprintf(f, "usage: smscctl [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
               "The smsc admin CLI: talks to the REST API of any node.\n\n"
               "commands:\n");
    for (const struct ctl_cmd *c = ctl_commands; c->group; c++)
        fprintf(f, "  %-44s %s\n", usage_line(c, line, sizeof line),
                c->summary);
    fprintf(f, "\n%s\n%s\n`smscctl COMMAND --help` describes a command.\n",
            global_help, exit_help);
}

static void cmd_help(FILE *f, const struct ctl_cmd *cmd)
{
    char line[160];
    fprintf(f, "usage: smscctl [GLOBAL OPTIONS] %s\n\n%s\n",
            usage_line(cmd, line, sizeof line), cmd->summary);
    if (cmd->help)
        fprintf(f, "\n%s\n", cmd->help);
    fprintf(f, "\noptions:\n");
    for (const struct ctl_optdef *o = cmd->opts; o->name; o++) {
        snprintf(line, sizeof line, "--%s%s%s", o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
        fprintf(f, "  %-20s %s\n", line, o->help);
    }
    fprintf(f, "  %-20s %s\n\n%s\n%s", "-h, --help", "show this help",
            global_help, exit_help);
}

static void group_help(FILE *f, const char *group)
{
    char line[160];
    fprintf(f,
            "usage: smscctl [GLOBAL OPTIONS] %s SUBCOMMAND [ARGS]\n\n"
            "subcommands:\n",
            group);
    for (const struct ctl_cmd *c = ctl_commands; c->group; c++)
        if (strcmp(c->group, group) == 0)
            fprintf(f, "  %-44s %s\n", usage_line(c, line, sizeof line),
                    c->summary);
    fprintf(f,
            "\n`smscctl %s SUBCOMMAND --help` describes one; "
            "`smscctl --help` lists global options and exit codes.\n",
            group);
}

int ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "smscctl: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    char w[64];
    fprintf(stderr, "\n(see `smscctl %s%s--help`)\n",
            cmd ? words(cmd, w, sizeof w) : "", cmd ? " " : "");
    return CTL_USAGE;
}

const char *ctl_opt(const struct ctl_cmd *cmd, const struct ctl_args *a,
                    const char *name)
{
    for (int i = 0; i < CTL_MAX_OPTS && cmd->opts[i].name; i++)
        if (strcmp(cmd->opts[i].name, name) == 0)
            return a->opt[i];
    return NULL;
}

/* Splits "--name=value" / "--name" into name (in buf) and *inline_val. */
static const char *opt_name(const char *arg, char *buf, size_t len,
                            const char **inline_val)
{
    const char *eq = strchr(arg + 2, '=');
    *inline_val = eq ? eq + 1 : NULL;
    size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
    snprintf(buf, len, "%.*s", (int)n, arg + 2);
    return buf;
}

/* Takes the value of an option: inline, or the next argument. */
static const char *opt_value(const char *inline_val, int argc, char **argv,
                             int *i)
{
    if (inline_val)
        return inline_val;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

/* A global option at argv[*i]: 1 taken, 0 not a global one, -1 error. */
static int global_opt(struct ctl *c, int argc, char **argv, int *i)
{
    char name[32];
    const char *iv;
    if (strncmp(argv[*i], "--", 2) != 0)
        return 0;
    opt_name(argv[*i], name, sizeof name, &iv);
    if (strcmp(name, "json") == 0 && iv == NULL) {
        c->json = true;
        return 1;
    }
    if (strcmp(name, "node") && strcmp(name, "api-key") &&
        strcmp(name, "timeout"))
        return 0;
    const char *v = opt_value(iv, argc, argv, i);
    if (v == NULL)
        return ctl_usage_error(NULL, "--%s needs a value", name), -1;
    if (strcmp(name, "node") == 0) {
        if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
            return ctl_usage_error(NULL,
                                   "--node must be an http:// or "
                                   "https:// URL, not %s",
                                   v),
                   -1;
        c->node = v;
    } else if (strcmp(name, "api-key") == 0) {
        c->api_key = v;
    } else {
        char *end;
        long t = strtol(v, &end, 10);
        if (*end || t < 1 || t > 3600)
            return ctl_usage_error(NULL,
                                   "--timeout must be 1 to 3600 "
                                   "seconds, not %s",
                                   v),
                   -1;
        c->timeout_s = (int)t;
    }
    return 1;
}

/* A command option at argv[*i] into a: 1 taken, 0 unknown, -1 error. */
static int cmd_opt(const struct ctl_cmd *cmd, struct ctl_args *a, int argc,
                   char **argv, int *i)
{
    char name[32];
    const char *iv;
    opt_name(argv[*i], name, sizeof name, &iv);
    for (int k = 0; k < CTL_MAX_OPTS && cmd->opts[k].name; k++) {
        if (strcmp(cmd->opts[k].name, name) != 0)
            continue;
        if (cmd->opts[k].arg == NULL) {
            if (iv)
                return ctl_usage_error(cmd, "--%s takes no value", name), -1;
            a->opt[k] = "1";
            return 1;
        }
        a->opt[k] = opt_value(iv, argc, argv, i);
        if (a->opt[k] == NULL)
            return ctl_usage_error(cmd, "--%s needs %s", name,
                                   cmd->opts[k].arg),
                   -1;
        return 1;
    }
    return 0;
}

/* Parses argv[i..] for cmd and runs it. */
static int run_cmd(struct ctl *c, const struct ctl_cmd *cmd, int argc,
                   char **argv, int i)
{
    struct ctl_args a = {{NULL}, {NULL}, 0};
    bool only_pos = false;
    for (; i < argc; i++) {
        const char *s = argv[i];
        if (!only_pos && is_help(s)) {
            cmd_help(stdout, cmd);
            return CTL_OK;
        }
        if (!only_pos && strcmp(s, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (!only_pos && s[0] == '-' && s[1] != '\0') {
            int r = s[1] == '-' ? cmd_opt(cmd, &a, argc, argv, &i) : 0;
            if (r == 0)
                r = global_opt(c, argc, argv, &i);
            if (r < 0)
                return CTL_USAGE;
            if (r == 0)
                return ctl_usage_error(cmd, "unknown option %s", s);
            continue;
        }
        if (a.npos >= cmd->max_pos)
            return ctl_usage_error(cmd, "unexpected argument %s", s);
        a.pos[a.npos++] = s;
    }
    if (a.npos < cmd->min_pos)
        return ctl_usage_error(cmd, "missing %s", cmd->pos_usage);
    return cmd->run(c, cmd, &a);
}

/* The row for argv[i] (group) and maybe argv[i+1] (sub); *used gets how
 * many words were taken.  NULL when none (the error already reported, or
 * group help printed with *used = -1). */
static const struct ctl_cmd *find_cmd(int argc, char **argv, int i, int *used)
{
    const struct ctl_cmd *bare = NULL;
    bool group_found = false, has_sub = false;
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
    for (const struct ctl_cmd *c = ctl_commands; c->group; c++) {
        if (strcmp(c->group, argv[i]) != 0)
            continue;
        group_found = true;
        has_sub |= c->sub != NULL;
        if (c->sub == NULL)
            bare = c;
        else if (next && strcmp(c->sub, next) == 0)
            return *used = 2, c;
    }
    *used = 1;
    if (!group_found)
        return ctl_usage_error(NULL, "unknown command %s", argv[i]), NULL;
    if (next && is_help(next) && has_sub) {
        group_help(stdout, argv[i]);
        return *used = -1, NULL;
    }
    if (bare)
        return bare;
    if (next == NULL)
        ctl_usage_error(NULL, "%s needs a subcommand", argv[i]);
    else
        ctl_usage_error(NULL, "unknown subcommand %s %s", argv[i], next);
    return NULL;
}

int ctl_main(int argc, char **argv)
{
    struct ctl c = {getenv("SMSC_NODE"), getenv("SMSC_API_KEY"), false,
                    DEFAULT_TIMEOUT_S};
    if (c.node == NULL || c.node[0] == '\0')
        c.node = DEFAULT_NODE;
    if (c.api_key && c.api_key[0] == '\0')
        c.api_key = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (is_help(argv[i])) {
            ctl_usage(stdout);
            return CTL_OK;
        }
        int r = global_opt(&c, argc, argv, &i);
        if (r < 0)
            return CTL_USAGE;
        if (r == 0)
            return ctl_usage_error(NULL, "unknown option %s", argv[i]);
    }
    if (i >= argc) {
        ctl_usage(stderr);
        return CTL_USAGE;
    }
    int used;
    const struct ctl_cmd *cmd = find_cmd(argc, argv, i, &used);
    if (cmd == NULL)
        return used < 0 ? CTL_OK : CTL_USAGE;
    return run_cmd(&c, cmd, argc, argv, i + used);
}
