/* ctl_commands — the table of smscctl's commands: words, arguments,
 * options, help and handler.  The parser and every --help text are made
 * from these rows (ctl_args.c); the handlers live in ctl_cluster.c,
 * ctl_messages.c and ctl_admin.c.
 */
#include "cluster/ctl.h"

#define TABLE_HELP(what, path)                                                 \
    "The " what " of the cluster (" path "): `list` shows them, `export`\n"    \
    "writes the export document (to FILE or stdout), `import FILE` loads "     \
    "one\n(merged by id, or with --replace instead of the current set)."

/* clang-format off */
const struct ctl_cmd ctl_commands[] = {
    {"status", NULL, NULL, 0, 0,
     "cluster health: every member's role, term, indexes and lag",
     "Asks the node for the members (GET /api/cluster), then every member\n"
     "for its own view (GET /api/status on its api_url).  ROLE is what the\n"
     "member says it is (leader, follower, candidate, unavailable),\n"
     "unreachable, or unknown (no api_url known for it yet: not counted);\n"
     "RAFT_ROLE its place in the configuration (voter, standby,\n"
     "spare); LAG the leader's commit index minus the member's applied "
     "index.\nExits 4 when the cluster is unhealthy: no leader, a member "
     "unreachable,\nor a lag above --max-lag.  A node without /api/cluster "
     "is shown alone.",
     ctl_status,
     {{"max-lag", "N",
     "lag above which a member is unhealthy "
     "(default 1000)"}}},
    {"nodes", "list", NULL, 0, 0,
     "the members of the cluster",
     "Same data as `status` (members only); never exits 4.",
     ctl_nodes_list,
     {{NULL}}},
    {"nodes", "add", "NAME RAFT_ADDRESS API_URL", 3, 3,
     "add a member (idempotent)",
     "POST /api/cluster/nodes.  RAFT_ADDRESS is host:port of its Raft\n"
     "listener, API_URL its REST API (http://host:port).  200 when it is a\n"
     "member already.",
     ctl_nodes_add,
     {{NULL}}},
    {"nodes", "remove", "NAME", 1, 1,
     "remove a member",
     "DELETE /api/cluster/nodes/NAME.",
     ctl_nodes_remove,
     {{NULL}}},
    {"nodes", "promote", "NAME", 1, 1,
     "make a member a voter",
     "POST /api/cluster/nodes/NAME/promote.",
     ctl_nodes_promote,
     {{NULL}}},
    {"nodes", "demote", "NAME", 1, 1,
     "make a voter a standby",
     "POST /api/cluster/nodes/NAME/demote.",
     ctl_nodes_demote,
     {{NULL}}},
    {"leader", "transfer", "[NODE]", 0, 1,
     "move leadership",
     "POST /api/cluster/transfer: to NODE, or to any up-to-date voter.",
     ctl_leader_transfer,
     {{NULL}}},
    {"settings", NULL, NULL, 0, 0,
     "the cluster settings (same as get)",
     NULL,
     ctl_settings_get,
     {{NULL}}},
    {"settings", "get", "[KEY]", 0, 1,
     "the cluster settings, or one",
     "GET /api/settings.  With KEY, prints that setting's value only.",
     ctl_settings_get,
     {{NULL}}},
    {"settings", "set", "KEY=VALUE...", 1, CTL_MAX_POS,
     "change settings",
     "PATCH /api/settings with one object.  A VALUE that parses as JSON\n"
     "(numbers, true, false, null, \"quoted\") is sent as that, any other as\n"
     "a string.  Prints the new settings.",
     ctl_settings_set,
     {{NULL}}},
    {"routes", "list", NULL, 0, 0,
     "the routes",
     TABLE_HELP("routes", "/api/routes"),
     ctl_table_list,
     {{NULL}}},
    {"routes", "export", "[FILE]", 0, 1,
     "the routes' export document",
     TABLE_HELP("routes", "/api/routes"),
     ctl_table_export,
     {{NULL}}},
    {"routes", "import", "FILE", 1, 1,
     "load an export document",
     TABLE_HELP("routes", "/api/routes"),
     ctl_table_import,
     {{"replace", NULL, "replace every route (default: merge)"}}},
    {"rules", "list", NULL, 0, 0,
     "the number translation rules",
     TABLE_HELP("translation rules", "/api/translation_rules"),
     ctl_table_list,
     {{NULL}}},
    {"rules", "export", "[FILE]", 0, 1,
     "the rules' export document",
     TABLE_HELP("translation rules", "/api/translation_rules"),
     ctl_table_export,
     {{NULL}}},
    {"rules", "import", "FILE", 1, 1,
     "load an export document",
     TABLE_HELP("translation rules", "/api/translation_rules"),
     ctl_table_import,
     {{"replace", NULL, "replace every rule (default: merge)"}}},
    {"messages", "list", NULL, 0, 0,
     "messages in the store, oldest first",
     "GET /api/messages.",
     ctl_messages_list,
     {{"status", "S",
     "pending, delivered, failed, expired, dropped or "
     "rejected"},
     {"smsc", "NAME", "source SMSC"},
     {"dest", "NAME", "destination SMSC"},
     {"limit", "N", "at most N (1 to 1000, default 100)"},
     {"offset", "N", "skip the first N"}}},
    {"messages", "get", "ID", 1, 1,
     "one message",
     "GET /api/messages/ID.",
     ctl_messages_get,
     {{NULL}}},
    {"messages", "send", "TEXT", 1, 1,
     "submit a message; prints its id",
     "POST /api/messages: routing, translation and charging apply unless\n"
     "--dest names the destination SMSC.",
     ctl_messages_send,
     {{"from", "MSISDN", "source MSISDN (required)"},
     {"to", "MSISDN", "destination MSISDN (required)"},
     {"smsc", "NAME", "source SMSC (default smscctl)"},
     {"dest", "NAME", "destination SMSC (skips route selection)"}}},
    {"messages", "tail", NULL, 0, 0,
     "follow new messages until Ctrl-C",
     "Polls GET /api/messages and prints each message stored after the\n"
     "start, once (with --json one compact object per line).",
     ctl_messages_tail,
     {{"interval", "S", "seconds between polls (default 1)"}}},
    {"frontends", NULL, NULL, 0, 0,
     "registered frontends (gateways)",
     "GET /api/frontends (latest row per name), or /api/frontends/active.",
     ctl_frontends,
     {{"active", NULL, "only the active ones"}}},
    {"cdr", "stats", NULL, 0, 0,
     "the CDR writer's statistics",
     "GET /api/cdr/stats (of the node asked).",
     ctl_cdr_stats,
     {{NULL}}},
    {"logs", NULL, NULL, 0, 0,
     "recent log lines of the node",
     "GET /api/logs (of the node asked), oldest first.",
     ctl_logs,
     {{"limit", "N", "at most N lines (default 500)"},
     {"level", "L", "debug, info, warning or error and above"}}},
    {"backup", NULL, "FILE", 1, 1,
     "save the whole replicated state",
     "GET /api/backup into FILE (- for stdout): one JSON document with the\n"
     "state of the whole cluster, consistent as of one applied index.",
     ctl_backup,
     {{NULL}}},
    {"restore", NULL, "FILE", 1, 1,
     "load a backup into a cluster that holds no messages",
     "POST /api/restore of FILE (- for stdin).  Every member ends with the\n"
     "backed-up state; the cluster keeps its own members.",
     ctl_restore,
     {{NULL}}},
    {"snapshot", NULL, NULL, 0, 0,
     "take a Raft snapshot of the node now",
     "POST /api/cluster/snapshot: the node asked snapshots its state at its\n"
     "next applied entry and compacts its log (each member its own).",
     ctl_snapshot,
     {{NULL}}},
    {"bench", NULL, NULL, 0, 0,
     "load-test the API: throughput and latency per scenario",
     "Keeps --connections keep-alive HTTP/1.1 connections (plain http://\n"
     "only) spread over --nodes, and runs each scenario for --warmup plus\n"
     "--duration seconds, in this order: create (POST /api/messages),\n"
     "create_async (POST /api/messages/create_async), raw and raw_async\n"
     "(POST /api/messages_raw[/async], an SMS-SUBMIT PDU), fetch\n"
     "(GET /api/messages/queue?smsc=bench_fetch&limit=100, a read that\n"
     "claims nothing, after loading --pending messages for bench_fetch)\n"
     "and list (GET /api/messages?limit=100).  Messages go to dest_smsc\n"
     "bench_gw, each body numbered so no two are alike.  A row per scenario:\n"
     "2xx answers in the measured window, errors (non-2xx, socket errors,\n"
     "timeouts), req/s, latency mean, p50, p99 and max in ms, and for the\n"
     "async ones the seconds until every accepted message was stored.\n"
     "--rate makes it an open loop: R requests/s in total at fixed\n"
     "intervals, latency counted from each request's due time.  The global\n"
     "--json (before `bench`) prints the result document instead of the\n"
     "table.  Exits 1 when a scenario got no 2xx answer at all.",
     ctl_bench,
     {{"scenario", "NAME,...", "run only these (default: the whole suite)"},
     {"nodes", "URL,...", "spread connections over these "
     "(default: --node)"},
     {"leader", NULL, "send everything to the leader (asked of the "
     "first node)"},
     {"connections", "N", "connections in all (default 64)"},
     {"duration", "S", "measured seconds per scenario (default 10)"},
     {"warmup", "S", "seconds before measuring (default 1)"},
     {"threads", "T", "event loops (default 1)"},
     {"rate", "R", "open loop: requests/s in all (default 0: closed loop)"},
     {"pipeline", "D", "requests in flight per connection (default 1)"},
     {"payload", "BYTES", "message_body length (default 20)"},
     {"pending", "N", "fetch: messages queued first (default 100000)"},
     {"json", "FILE", "write the results as JSON to FILE"}}},
    {NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, {{NULL}}},
};
/* clang-format on */
