/* ctl — the pieces of smscctl, the admin CLI (cluster/smscctl.c is its
 * entry point).  smscctl is a plain REST client of one node: every command
 * is a row of a table (ctl_commands[]) naming its words, its options and
 * its handler; the dispatcher parses the arguments against that row, so the
 * help text and the parser come from the same data.
 *
 * Single-threaded: everything here runs on the main thread of smscctl.
 */
#ifndef SMSC_CTL_H
#define SMSC_CTL_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/* The exit codes scripts may rely on (printed by `smscctl --help`). */
enum ctl_exit {
    CTL_OK = 0,        /* success */
    CTL_API = 1,       /* the API answered an error, or unavailable */
    CTL_USAGE = 2,     /* bad command line */
    CTL_DOWN = 3,      /* the node could not be reached */
    CTL_UNHEALTHY = 4, /* `status` found the cluster unhealthy */
};

/* The global options, shared by every command. */
struct ctl {
    const char *node;    /* base URL of the node we talk to */
    const char *api_key; /* sent as X-API-Key, or NULL */
    bool json;           /* print JSON instead of tables */
    int timeout_s;       /* per HTTP request */
};

#define CTL_MAX_OPTS 14
#define CTL_MAX_POS 8

/* One option of a command: "--name" (flag) or "--name VALUE". */
struct ctl_optdef {
    const char *name; /* without the leading "--" */
    const char *arg;  /* metavariable ("N", "S"), NULL for a flag */
    const char *help;
};

/* A parsed command line: option values in the order of the command's
 * optdefs (NULL when absent, "1" for a given flag), positionals after. */
struct ctl_args {
    const char *opt[CTL_MAX_OPTS];
    const char *pos[CTL_MAX_POS];
    int npos;
};

struct ctl_cmd;
typedef int ctl_run_fn(const struct ctl *c, const struct ctl_cmd *cmd,
                       const struct ctl_args *a);

struct ctl_cmd {
    const char *group;     /* first word: "nodes" */
    const char *sub;       /* second word: "add", or NULL for none */
    const char *pos_usage; /* "NAME RAFT_ADDRESS API_URL" */
    int min_pos, max_pos;
    const char *summary; /* one line, for the command list */
    const char *help;    /* a paragraph for `COMMAND --help`, or NULL */
    ctl_run_fn *run;
    struct ctl_optdef opts[CTL_MAX_OPTS];
};

/* The command table, ended by a row with group NULL (ctl_commands.c). */
extern const struct ctl_cmd ctl_commands[];

/* ---- dispatch and help (ctl_args.c) ---- */

/* Prints the tool's usage: global options, commands, exit codes. */
void ctl_usage(FILE *f);
/* Parses the global options at the front of argv and runs the command
 * they name.  Returns an exit code (enum ctl_exit). */
int ctl_main(int argc, char **argv);
/* The value of option name of cmd in a (NULL when not given). */
const char *ctl_opt(const struct ctl_cmd *cmd, const struct ctl_args *a,
                    const char *name);
/* Reports a usage error (message on stderr); returns CTL_USAGE. */
int ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- HTTP (ctl_http.c) ---- */

#define CTL_QUIET (-1)
/* One API call to base (NULL: c->node).  body may be NULL.  On an answer
 * below 400, *out gets the parsed JSON (owned by the caller; JSON null when
 * the body is not JSON) and *status the HTTP status (status may be NULL).
 * Errors are printed to stderr ("smscctl: <status> <detail>") except an
 * answer with status quiet, or none at all when quiet is CTL_QUIET.
 * Returns CTL_OK, CTL_API (4xx/5xx; *status set) or CTL_DOWN. */
int ctl_call(const struct ctl *c, const char *base, const char *method,
             const char *path, const char *body, int quiet, int *status,
             json_t **out);
/* Whether s can go into a URL path as one segment unescaped. */
bool ctl_segment_ok(const char *s);
/* Same, but the answer body is returned raw (owned, NUL-terminated). */
int ctl_call_raw(const struct ctl *c, const char *method, const char *path,
                 const char *body, char **out);
/* Prints j as one indented JSON document on stdout. */
void ctl_print_json(const json_t *j);
/* Prints the "data" member of j (or j itself) as JSON, or runs human on it
 * (may be NULL: nothing printed).  Frees j.  Returns rc. */
int ctl_emit(const struct ctl *c, json_t *j, int rc,
             void (*human)(json_t *data));

/* ---- tables (ctl_table.c) ---- */

/* A column of a table of JSON objects: header and key. */
struct ctl_col {
    const char *header;
    const char *key;
    int max_width; /* 0: no limit; longer values are cut with "…" */
};

/* A JSON value as table text into buf: strings as they are, null and
 * absent as "-", other scalars as JSON.  Returns buf. */
const char *ctl_cell(const json_t *v, char *buf, size_t len);
/* Prints rows (an array of objects) as an aligned table with a header. */
void ctl_table(const struct ctl_col *cols, size_t ncols, const json_t *rows);
/* Prints an object as two aligned columns, KEY and VALUE. */
void ctl_kv(const json_t *obj);

/* ---- command handlers (ctl_cluster.c, ctl_messages.c, ctl_admin.c) ---- */

ctl_run_fn ctl_status, ctl_nodes_list, ctl_nodes_add, ctl_nodes_remove,
    ctl_nodes_promote, ctl_nodes_demote, ctl_leader_transfer;
ctl_run_fn ctl_messages_list, ctl_messages_get, ctl_messages_send,
    ctl_messages_tail;
ctl_run_fn ctl_settings_get, ctl_settings_set, ctl_table_export,
    ctl_table_import, ctl_table_list, ctl_frontends, ctl_cdr_stats, ctl_logs,
    ctl_backup, ctl_restore, ctl_snapshot, ctl_unavailable;
/* `bench`, the load generator (ctl_bench.c, engine in bench_*.c) */
ctl_run_fn ctl_bench;

#endif
