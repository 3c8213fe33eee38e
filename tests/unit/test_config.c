/* test_config — unit tests for the node configuration loader
 * (server/config*.c) and the replicated-settings table
 * (raft_store/settings.c): defaults, a full valid file, every kind of error
 * message, environment overrides and the cross-key checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/config.h"

static const char *const env_vars[] = {
    "NODE_NAME",  "API_PORT",    "API_LISTEN_IP", "API_ENABLE_TLS",
    "WEB_PORT",   "DB_USERNAME", "DB_PASSWORD",   "DB_HOSTNAME",
    "DB_PORT",    "DB_NAME",     "DB_POOL_SIZE",  "OCS_URL",
    "OCS_TENANT", "OCS_ACCOUNT",
};

static int clear_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++)
        unsetenv(env_vars[i]);
    return 0;
}

/* Parses text, expects failure with exactly the message want. */
static void expect_error(const char *text, const char *want)
{
    struct config cfg;
    char err[256] = "";

    assert_int_equal(config_parse(&cfg, text, err, sizeof err), -1);
    assert_string_equal(err, want);
    assert_null(cfg.node_name);
    assert_null(cfg.sms_routes);
    config_free(&cfg); /* safe on the zeroed struct */
}

static void expect_ok(struct config *cfg, const char *text)
{
    char err[256] = "";

    if (config_parse(cfg, text, err, sizeof err) != 0)
        fail_msg("unexpected error: %s", err);
}

/* Writes text to a new temporary file; returns its path (static buffer). */
static const char *write_temp(const char *text)
{
    static char path[] = "/tmp/test_config_XXXXXX";
    int fd;

    strcpy(path, "/tmp/test_config_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_settings_table(void **state)
{
    struct store_settings s;
    int action = -1;

    (void)state;
    assert_int_equal(store_setting_count, 20);
    for (unsigned i = 0; i < store_setting_count; i++)
        for (unsigned j = 0; j < i; j++)
            assert_string_not_equal(store_setting_table[i].name,
                                    store_setting_table[j].name);
    store_settings_defaults(&s);
    assert_null(store_settings_check(&s));
    assert_int_equal(s.message_retention_hours, 24);
    assert_int_equal(s.max_pending_messages, 5000000);
    assert_true(s.cdr_enabled);
    assert_int_equal(s.charging_failure_action, CHARGING_ALLOW);
    s.frontend_timeout_seconds = 0;
    assert_string_equal(store_settings_check(&s), "frontend_timeout_seconds");
    s.frontend_timeout_seconds = 90;
    s.charging_failure_action = 7;
    assert_string_equal(store_settings_check(&s), "charging_failure_action");
    assert_int_equal(store_charging_action_parse("deny", &action), 0);
    assert_int_equal(action, CHARGING_DENY);
    assert_int_equal(store_charging_action_parse("Deny", &action), -1);
    assert_int_equal(store_charging_action_parse(NULL, &action), -1);
    assert_string_equal(store_charging_action_name(CHARGING_ALLOW), "allow");
    assert_string_equal(store_charging_action_name(CHARGING_DENY), "deny");
}

static void check_defaults_node(const struct config *cfg)
{
    assert_string_equal(cfg->node_name, "node1");
    assert_string_equal(cfg->data_dir, "./var/node1");
    assert_int_equal(cfg->n_cluster_nodes, 1);
    assert_string_equal(cfg->cluster_nodes[0].name, "node1");
    assert_string_equal(cfg->cluster_nodes[0].host, "127.0.0.1");
    assert_int_equal(cfg->cluster_nodes[0].raft_port, 9100);
    assert_int_equal(config_self_index(cfg), 0);
    assert_int_equal(cfg->n_join, 0);
    assert_null(cfg->cluster_secret);
}

static void check_defaults_listeners(const struct config *cfg)
{
    assert_string_equal(cfg->api.listen_ip, "0.0.0.0");
    assert_int_equal(cfg->api.port, 8443);
    assert_int_equal(cfg->api.http_port, 8080);
    assert_true(cfg->api.enable_tls);
    assert_null(cfg->api.tls_cert_path);
    assert_null(cfg->api.tls_key_path);
    assert_int_equal(cfg->api.threads, 0);
    assert_int_equal(cfg->api.max_body_bytes, 1024 * 1024);
    assert_int_equal(cfg->api.max_connections, 10000);
    assert_int_equal(cfg->api.timeout_seconds, 60);
    assert_null(cfg->api.advertise_url);
    assert_string_equal(cfg->web.listen_ip, "0.0.0.0");
    assert_int_equal(cfg->web.port, 8086);
    assert_string_equal(cfg->metrics.listen_ip, "0.0.0.0");
    assert_int_equal(cfg->metrics.port, 9568);
}

static void check_defaults_rest(const struct config *cfg)
{
    struct store_settings s;

    assert_int_equal(cfg->raft.apply_timeout_ms, 5000);
    assert_int_equal(cfg->raft.max_inflight_entries, 16);
    assert_int_equal(cfg->raft.max_entry_bytes, 1024 * 1024);
    assert_int_equal(cfg->raft.election_timeout_ms, 1000);
    assert_int_equal(cfg->raft.heartbeat_timeout_ms, 100);
    assert_int_equal(cfg->raft.snapshot_threshold, 32768);
    assert_int_equal(cfg->raft.snapshot_trailing, 4096);
    assert_int_equal(cfg->raft.segment_bytes, 8 * 1024 * 1024);
    assert_string_equal(cfg->database.adapter, "sqlite");
    assert_int_equal(cfg->database.pool_size, 20);
    assert_int_equal(cfg->database.port, 0);
    assert_false(cfg->database.ssl);
    assert_true(cfg->rate_limits.enabled);
    assert_int_equal(cfg->rate_limits.messages_per_second, 100);
    assert_int_equal(cfg->rate_limits.async_per_second, 1000);
    assert_int_equal(cfg->rate_limits.raw_per_second, 100);
    assert_int_equal(cfg->rate_limits.reads_per_second, 1000);
    assert_string_equal(cfg->logging.level, "info");
    assert_null(cfg->logging.file);
    assert_int_equal(cfg->n_trusted_proxies, 0);
    assert_int_equal(cfg->async_queue_max, 100000);
    assert_null(cfg->ocs_url);
    assert_int_equal(cfg->ocs_timeout, 5000);
    assert_false(cfg->enum_enabled);
    assert_int_equal(cfg->n_enum_domains, 1);
    assert_string_equal(cfg->enum_domains[0], "e164.arpa");
    assert_int_equal(cfg->n_enum_dns_servers, 0);
    assert_int_equal(cfg->enum_timeout, 5000);
    store_settings_defaults(&s);
    assert_memory_equal(&cfg->settings, &s, sizeof s);
    assert_true(json_is_array(cfg->sms_routes));
    assert_int_equal(json_array_size(cfg->sms_routes), 0);
    assert_true(json_is_array(cfg->translation_rules));
    assert_int_equal(json_array_size(cfg->translation_rules), 0);
}

static void check_defaults(const struct config *cfg)
{
    check_defaults_node(cfg);
    check_defaults_listeners(cfg);
    check_defaults_rest(cfg);
}

static void test_defaults(void **state)
{
    struct config cfg;
    char err[256];

    (void)state;
    assert_int_equal(config_parse(&cfg, NULL, err, sizeof err), 0);
    check_defaults(&cfg);
    config_free(&cfg);
    assert_null(cfg.node_name);
    config_free(&cfg); /* twice is safe */

    expect_ok(&cfg, "{}");
    check_defaults(&cfg);
    config_free(&cfg);

    assert_int_equal(config_load(&cfg, NULL, err, sizeof err), 0);
    check_defaults(&cfg);
    config_free(&cfg);
}

static const char full_config[] =
    "{\n"
    "  \"smsc_node_name\": \"node2\",\n"
    "  \"data_dir\": \"/srv/smsc\",\n"
    "  \"cluster_nodes\": [\"node1@10.0.0.1:9100\", \"node2@[fd00::2]:9101\",\n"
    "                    \"node3@smsc3.example.net:9102\"],\n"
    "  \"join\": [\"10.0.0.1:8080\", \"[fd00::3]:8443\"],\n"
    "  \"cluster_secret\": \"s3cret\",\n"
    "  \"dns_cluster_query\": \"smsc.internal\",\n"
    "  \"dns_servers\": [\"10.0.0.53:53\", \"[fd00::53]:5353\"],\n"
    "  \"api\": {\"listen_ip\": \"10.0.0.2\", \"port\": 9443,\n"
    "          \"http_port\": 0, \"enable_tls\": false,\n"
    "          \"tls_cert_path\": \"/c.pem\", \"tls_key_path\": \"/k.pem\",\n"
    "          \"threads\": 8, \"max_body_bytes\": 2048,\n"
    "          \"max_connections\": 50, \"timeout_seconds\": 30,\n"
    "          \"advertise_url\": \"https://node2:9443\"},\n"
    "  \"web\": {\"listen_ip\": \"127.0.0.1\", \"port\": 0},\n"
    "  \"metrics\": {\"listen_ip\": \"::\", \"port\": 9999},\n"
    "  \"raft\": {\"apply_timeout_ms\": 2000, \"max_inflight_entries\": 32,\n"
    "           \"max_entry_bytes\": 65536, \"election_timeout_ms\": 500,\n"
    "           \"heartbeat_timeout_ms\": 50, \"snapshot_threshold\": 100,\n"
    "           \"snapshot_trailing\": 10, \"segment_bytes\": 16777216},\n"
    "  \"database\": {\"adapter\": \"postgres\", \"username\": \"u\",\n"
    "               \"password\": \"p\", \"hostname\": \"db\", \"port\": "
    "5432,\n"
    "               \"database\": \"cdr\", \"pool_size\": 5, \"ssl\": true},\n"
    "  \"rate_limits\": {\"enabled\": false, \"messages_per_second\": 1,\n"
    "                  \"async_per_second\": 2, \"raw_per_second\": 3,\n"
    "                  \"reads_per_second\": 4},\n"
    "  \"logging\": {\"level\": \"debug\", \"file\": \"/var/log/smsc.log\"},\n"
    "  \"trusted_proxies\": [\"10.0.0.0/8\", \"192.168.1.1\", \"::1\",\n"
    "                      \"2001:db8::/32\"],\n"
    "  \"async_queue_max\": 42,\n"
    "  \"ocs_url\": \"http://ocs\", \"ocs_tenant\": \"t\",\n"
    "  \"ocs_account\": \"a\", \"ocs_destination\": \"d\",\n"
    "  \"ocs_source\": \"s\", \"ocs_subject\": \"sub\", \"ocs_timeout\": 700,\n"
    "  \"enum_enabled\": true, \"enum_domains\": [\"e164.org\", "
    "\"e164.arpa\"],\n"
    "  \"enum_dns_servers\": [\"8.8.8.8:53\"], \"enum_timeout\": 900,\n"
    "  \"message_retention_hours\": 48, \"max_delivery_attempts\": 5,\n"
    "  \"reject_unrouted\": true, \"cdr_outbox_max_rows\": 2000,\n"
    "  \"charging_failure_action\": \"deny\",\n"
    "  \"sms_routes\": [{\"dest_smsc\": \"gw1\", \"weight\": 10}],\n"
    "  \"translation_rules\": [{\"match\": \"^0\"}, {\"match\": \"^00\"}]\n"
    "}\n";

static void check_full_cluster(const struct config *cfg)
{
    assert_string_equal(cfg->node_name, "node2");
    assert_string_equal(cfg->data_dir, "/srv/smsc");
    assert_int_equal(cfg->n_cluster_nodes, 3);
    assert_string_equal(cfg->cluster_nodes[1].name, "node2");
    assert_string_equal(cfg->cluster_nodes[1].host, "fd00::2");
    assert_int_equal(cfg->cluster_nodes[1].raft_port, 9101);
    assert_string_equal(cfg->cluster_nodes[2].host, "smsc3.example.net");
    assert_int_equal(config_self_index(cfg), 1);
    assert_int_equal(cfg->n_join, 2);
    assert_string_equal(cfg->join[1], "[fd00::3]:8443");
    assert_string_equal(cfg->cluster_secret, "s3cret");
    assert_string_equal(cfg->dns_cluster_query, "smsc.internal");
    assert_int_equal(cfg->n_dns_servers, 2);
    assert_string_equal(cfg->dns_servers[1], "[fd00::53]:5353");
}

static void check_full_rest(const struct config *cfg)
{
    assert_int_equal(cfg->api.port, 9443);
    assert_int_equal(cfg->api.http_port, 0);
    assert_false(cfg->api.enable_tls);
    assert_string_equal(cfg->api.tls_key_path, "/k.pem");
    assert_int_equal(cfg->api.max_body_bytes, 2048);
    assert_string_equal(cfg->api.advertise_url, "https://node2:9443");
    assert_int_equal(cfg->web.port, 0);
    assert_string_equal(cfg->metrics.listen_ip, "::");
    assert_int_equal(cfg->raft.heartbeat_timeout_ms, 50);
    assert_int_equal(cfg->raft.segment_bytes, 16777216);
    assert_string_equal(cfg->database.adapter, "postgres");
    assert_string_equal(cfg->database.database, "cdr");
    assert_int_equal(cfg->database.port, 5432);
    assert_true(cfg->database.ssl);
    assert_false(cfg->rate_limits.enabled);
    assert_int_equal(cfg->rate_limits.reads_per_second, 4);
    assert_string_equal(cfg->logging.level, "debug");
    assert_int_equal(cfg->n_trusted_proxies, 4);
    assert_string_equal(cfg->trusted_proxies[3], "2001:db8::/32");
    assert_int_equal(cfg->async_queue_max, 42);
    assert_string_equal(cfg->ocs_subject, "sub");
    assert_int_equal(cfg->ocs_timeout, 700);
    assert_true(cfg->enum_enabled);
    assert_int_equal(cfg->n_enum_domains, 2);
    assert_string_equal(cfg->enum_domains[0], "e164.org");
    assert_string_equal(cfg->enum_dns_servers[0], "8.8.8.8:53");
    assert_int_equal(cfg->settings.message_retention_hours, 48);
    assert_int_equal(cfg->settings.max_delivery_attempts, 5);
    assert_true(cfg->settings.reject_unrouted);
    assert_int_equal(cfg->settings.cdr_outbox_max_rows, 2000);
    assert_int_equal(cfg->settings.charging_failure_action, CHARGING_DENY);
    assert_int_equal(cfg->settings.event_ttl_days, 7);
    assert_int_equal(json_array_size(cfg->sms_routes), 1);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(cfg->sms_routes, 0), "weight")),
                     10);
    assert_int_equal(json_array_size(cfg->translation_rules), 2);
}

static void test_full_config(void **state)
{
    struct config cfg;
    char err[256] = "";

    (void)state;
    expect_ok(&cfg, full_config);
    check_full_cluster(&cfg);
    check_full_rest(&cfg);
    config_free(&cfg);

    /* The same through a file. */
    const char *path = write_temp(full_config);
    if (config_load(&cfg, path, err, sizeof err) != 0)
        fail_msg("unexpected error: %s", err);
    unlink(path);
    check_full_cluster(&cfg);
    check_full_rest(&cfg);
    config_free(&cfg);
}

static void test_unknown_keys(void **state)
{
    (void)state;
    expect_error("{\"smsc_node_nam\": \"x\"}", "unknown key 'smsc_node_nam'");
    expect_error("{\"api\": {\"prot\": 1}}", "unknown key 'api.prot'");
    expect_error("{\"raft\": {\"port\": 1}}", "unknown key 'raft.port'");
    /* A setting name is only a top-level key. */
    expect_error("{\"api\": {\"cdr_enabled\": true}}",
                 "unknown key 'api.cdr_enabled'");
}

static void test_wrong_types(void **state)
{
    (void)state;
    expect_error("{\"smsc_node_name\": 5}",
                 "smsc_node_name: expected a string");
    expect_error("{\"api\": 5}", "api: expected an object");
    expect_error("{\"api\": {\"port\": \"80\"}}",
                 "api.port: expected an integer between 0 and 65535");
    expect_error("{\"api\": {\"port\": 80.0}}",
                 "api.port: expected an integer between 0 and 65535");
    expect_error("{\"api\": {\"enable_tls\": \"yes\"}}",
                 "api.enable_tls: expected true or false");
    expect_error("{\"cluster_nodes\": \"a@h:1\"}",
                 "cluster_nodes: expected an array");
    expect_error("{\"enum_domains\": [\"ok\", 3]}",
                 "enum_domains[1]: expected a string");
    expect_error("{\"sms_routes\": {}}", "sms_routes: expected an array");
    expect_error("{\"cdr_enabled\": 1}", "cdr_enabled: expected true or false");
    expect_error("{\"database\": {\"adapter\": \"oracle\"}}",
                 "database.adapter: expected one of sqlite, postgres, mysql");
    expect_error("{\"logging\": {\"level\": \"trace\"}}",
                 "logging.level: expected one of debug, info, warning, error");
    expect_error("{\"smsc_node_name\": \"bad name\"}",
                 "smsc_node_name: expected 1 to 63 characters of "
                 "[A-Za-z0-9_.-]");
    expect_error("[]", "config: the top level must be an object");
}

static void test_ranges(void **state)
{
    (void)state;
    expect_error("{\"api\": {\"port\": 70000}}",
                 "api.port: expected an integer between 0 and 65535");
    expect_error("{\"api\": {\"max_body_bytes\": 100}}",
                 "api.max_body_bytes: expected an integer between 1024 and "
                 "1073741824");
    expect_error("{\"raft\": {\"segment_bytes\": 33554432}}",
                 "raft.segment_bytes: expected an integer between 1048576 and "
                 "16777216");
    expect_error("{\"database\": {\"pool_size\": 0}}",
                 "database.pool_size: expected an integer between 1 and 1000");
    expect_error("{\"raft\": {\"heartbeat_timeout_ms\": 1000}}",
                 "raft.heartbeat_timeout_ms: must be less than "
                 "raft.election_timeout_ms (1000)");
}

static void test_settings_errors(void **state)
{
    (void)state;
    expect_error("{\"message_retention_hours\": 0}",
                 "message_retention_hours: expected an integer between 1 and "
                 "87600");
    expect_error("{\"frontend_timeout_seconds\": 0}",
                 "frontend_timeout_seconds: expected an integer between 1 and "
                 "86400");
    expect_error("{\"max_delivery_attempts\": -1}",
                 "max_delivery_attempts: expected an integer between 0 and "
                 "1000");
    expect_error("{\"charging_failure_action\": \"maybe\"}",
                 "charging_failure_action: expected \"allow\" or \"deny\"");
    expect_error("{\"charging_failure_action\": 1}",
                 "charging_failure_action: expected \"allow\" or \"deny\"");
}

static void test_cluster_nodes(void **state)
{
    static const char *const bad[] = {
        "b",           "b@",          "b@h",      "b@h:",          "b@h:0",
        "b@h:65536",   "b@h:12x",     "b@:9100",  "@h:1",          "b c@h:1",
        "b@[::1:9100", "b@[::1]9100", "b@[zz]:1", "b@1.2.3.999:1", "b@-h:1",
        "b@h h:1",     "b@::1:9100",
    };
    struct config cfg;
    char text[256];

    (void)state;
    expect_error("{\"cluster_nodes\": [\"node1@127.0.0.1:9100\", \"x\"]}",
                 "cluster_nodes[1]: expected \"name@host:port\"");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text,
                 "{\"cluster_nodes\": [\"node1@127.0.0.1:1\", \"%s\"]}",
                 bad[i]);
        expect_error(text, "cluster_nodes[1]: expected \"name@host:port\"");
    }
    expect_error("{\"cluster_nodes\": [\"a@127.0.0.1:1\", \"node1@::1:2\"]}",
                 "cluster_nodes[1]: expected \"name@host:port\"");
    expect_error("{\"cluster_nodes\": [\"node1@127.0.0.1:1\","
                 " \"node1@127.0.0.2:2\"]}",
                 "cluster_nodes[1]: duplicate node name 'node1'");
    expect_error("{\"cluster_nodes\": [\"a@127.0.0.1:1\", \"b@127.0.0.1:2\"]}",
                 "smsc_node_name: 'node1' is not in cluster_nodes");

    expect_ok(&cfg, "{\"smsc_node_name\": \"b\", \"cluster_nodes\": "
                    "[\"a@127.0.0.1:9100\", \"b@[::1]:9101\", "
                    "\"c@localhost:65535\"]}");
    assert_int_equal(config_self_index(&cfg), 1);
    assert_string_equal(cfg.cluster_nodes[1].host, "::1");
    assert_int_equal(cfg.cluster_nodes[2].raft_port, 65535);
    assert_string_equal(cfg.data_dir, "./var/b");
    cfg.node_name[0] = 'z';
    assert_int_equal(config_self_index(&cfg), -1);
    config_free(&cfg);
}

static void test_cluster_secret(void **state)
{
    struct config cfg;
    const char *want = "cluster_secret: required when cluster_nodes has a "
                       "non-loopback address";

    (void)state;
    expect_error("{\"cluster_nodes\": [\"node1@10.0.0.1:9100\"]}", want);
    expect_error("{\"cluster_nodes\": [\"node1@127.0.0.1:1\", "
                 "\"n2@db.example.com:2\"]}",
                 want);
    expect_error("{\"cluster_secret\": \"\", "
                 "\"cluster_nodes\": [\"node1@[fd00::1]:9100\"]}",
                 want);
    expect_ok(&cfg, "{\"cluster_secret\": \"k\", "
                    "\"cluster_nodes\": [\"node1@10.0.0.1:9100\"]}");
    config_free(&cfg);
    expect_ok(&cfg, "{\"cluster_nodes\": [\"node1@127.9.9.9:1\", "
                    "\"n2@LOCALHOST:2\", \"n3@[::1]:3\"]}");
    config_free(&cfg);
}

static void test_trusted_proxies(void **state)
{
    static const char *const bad[] = {
        "10.0.0.0/33", "::/129", "10.0.0.0/",   "10.0.0.0/x", "10.0.0",
        "example.com", "",       "1.2.3.4/8/8", "[::1]",      "10.0.0.0/-1",
    };
    char text[128];

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "{\"trusted_proxies\": [\"%s\"]}", bad[i]);
        expect_error(text,
                     "trusted_proxies[0]: expected an IP address or CIDR");
    }
    expect_error("{\"trusted_proxies\": [\"::/0\", 5]}",
                 "trusted_proxies[1]: expected an IP address or CIDR");
}

static void test_join(void **state)
{
    struct config cfg;

    (void)state;
    expect_ok(&cfg, "{\"join\": \"10.0.0.1:8080\"}");
    assert_int_equal(cfg.n_join, 1);
    assert_string_equal(cfg.join[0], "10.0.0.1:8080");
    config_free(&cfg);
    expect_ok(&cfg, "{\"join\": [\"a:1\", \"b.example:8443\"]}");
    assert_int_equal(cfg.n_join, 2);
    assert_string_equal(cfg.join[1], "b.example:8443");
    config_free(&cfg);
    expect_ok(&cfg, "{\"join\": []}");
    assert_int_equal(cfg.n_join, 0);
    config_free(&cfg);
    expect_error("{\"join\": \"nohost\"}", "join: expected \"host:port\"");
    expect_error("{\"join\": [\"a:1\", \"b:99999\"]}",
                 "join[1]: expected \"host:port\"");
    expect_error("{\"join\": 7}", "join: expected an array or a string");
    expect_error("{\"enum_dns_servers\": [\"1.1.1.1\"]}",
                 "enum_dns_servers[0]: expected \"host:port\"");
    expect_error("{\"dns_servers\": [\"127.0.0.1:53\", \"10.0.0.1\"]}",
                 "dns_servers[1]: expected \"host:port\"");
}

static void test_syntax_errors(void **state)
{
    struct config cfg;
    char err[256] = "";

    (void)state;
    assert_int_equal(config_parse(&cfg, "{\n  \"api\": {\n    \"port\": ,\n}",
                                  err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "line 3"));
    assert_non_null(strstr(err, "column"));
    assert_int_equal(strncmp(err, "config: ", 8), 0);
    config_free(&cfg);

    assert_int_equal(
        config_parse(&cfg, "{\"a\": 1, \"a\": 2}", err, sizeof err), -1);
    assert_non_null(strstr(err, "duplicate"));

    const char *path = write_temp("{\n\n  \"x\" 1\n}\n");
    assert_int_equal(config_load(&cfg, path, err, sizeof err), -1);
    unlink(path);
    assert_int_equal(strncmp(err, path, strlen(path)), 0);
    assert_non_null(strstr(err, "line 3"));
    assert_null(cfg.node_name);

    assert_int_equal(
        config_load(&cfg, "/nonexistent/smsc.json", err, sizeof err), -1);
    assert_string_equal(err,
                        "/nonexistent/smsc.json: No such file or directory");
    assert_null(cfg.node_name);
    config_free(&cfg);

    /* A tiny or absent error buffer is fine. */
    assert_int_equal(config_parse(&cfg, "{\"api\": 1}", err, 4), -1);
    assert_string_equal(err, "api");
    assert_int_equal(config_parse(&cfg, "{\"api\": 1}", NULL, 0), -1);
}

static void test_env_overrides(void **state)
{
    struct config cfg;
    char err[256] = "";
    const char *path;

    (void)state;
    setenv("API_PORT", "9000", 1);
    setenv("API_LISTEN_IP", "10.1.1.1", 1);
    setenv("API_ENABLE_TLS", "0", 1);
    setenv("WEB_PORT", "0", 1);
    setenv("DB_USERNAME", "user", 1);
    setenv("DB_PASSWORD", "pa ss", 1);
    setenv("DB_HOSTNAME", "db.local", 1);
    setenv("DB_PORT", "3306", 1);
    setenv("DB_NAME", "smsc_cdr", 1);
    setenv("DB_POOL_SIZE", "7", 1);
    setenv("OCS_URL", "http://ocs:2080", 1);
    setenv("OCS_TENANT", "cgrates.org", 1);
    setenv("OCS_ACCOUNT", "acct", 1);
    path = write_temp("{\"api\": {\"port\": 1, \"enable_tls\": true},"
                      " \"database\": {\"pool_size\": 3},"
                      " \"cluster_nodes\": [\"n1@127.0.0.1:1\","
                      " \"n2@127.0.0.1:2\"]}");
    setenv("NODE_NAME", "n2", 1);
    if (config_load(&cfg, path, err, sizeof err) != 0)
        fail_msg("unexpected error: %s", err);
    assert_string_equal(cfg.node_name, "n2");
    assert_string_equal(cfg.data_dir, "./var/n2");
    assert_int_equal(config_self_index(&cfg), 1);
    assert_int_equal(cfg.api.port, 9000);
    assert_string_equal(cfg.api.listen_ip, "10.1.1.1");
    assert_false(cfg.api.enable_tls);
    assert_int_equal(cfg.web.port, 0);
    assert_string_equal(cfg.database.username, "user");
    assert_string_equal(cfg.database.password, "pa ss");
    assert_string_equal(cfg.database.hostname, "db.local");
    assert_int_equal(cfg.database.port, 3306);
    assert_string_equal(cfg.database.database, "smsc_cdr");
    assert_int_equal(cfg.database.pool_size, 7);
    assert_string_equal(cfg.ocs_url, "http://ocs:2080");
    assert_string_equal(cfg.ocs_tenant, "cgrates.org");
    assert_string_equal(cfg.ocs_account, "acct");
    config_free(&cfg);
    unlink(path);
}

/* NODE_NAME applies before data_dir and the membership check. */
static void test_env_node_name(void **state)
{
    struct config cfg;
    char err[256] = "";
    const char *path;

    (void)state;
    path = write_temp("{\"cluster_nodes\": [\"n1@127.0.0.1:1\","
                      " \"n2@127.0.0.1:2\"]}");
    setenv("NODE_NAME", "n2", 1);
    assert_int_equal(config_load(&cfg, path, err, sizeof err), 0);
    assert_int_equal(config_self_index(&cfg), 1);
    config_free(&cfg);
    setenv("NODE_NAME", "n3", 1);
    assert_int_equal(config_load(&cfg, path, err, sizeof err), -1);
    assert_string_equal(err, "smsc_node_name: 'n3' is not in cluster_nodes");
    unlink(path);

    /* config_parse ignores the environment. */
    setenv("API_PORT", "9000", 1);
    expect_ok(&cfg, "{}");
    assert_int_equal(cfg.api.port, 8443);
    assert_string_equal(cfg.node_name, "node1");
    config_free(&cfg);

    setenv("API_ENABLE_TLS", "true", 1);
    assert_int_equal(config_load(&cfg, NULL, err, sizeof err), 0);
    assert_true(cfg.api.enable_tls);
    assert_string_equal(cfg.data_dir, "./var/n3");
    config_free(&cfg);
    clear_env(NULL);
}

/* Sets one variable, expects config_load(NULL) to fail with want. */
static void expect_env_error(const char *var, const char *value,
                             const char *want)
{
    struct config cfg;
    char err[256] = "";

    clear_env(NULL);
    setenv(var, value, 1);
    assert_int_equal(config_load(&cfg, NULL, err, sizeof err), -1);
    assert_string_equal(err, want);
    assert_null(cfg.node_name);
    unsetenv(var);
}

static void test_env_errors(void **state)
{
    (void)state;
    expect_env_error("API_PORT", "abc",
                     "API_PORT: expected an integer between 0 and 65535");
    expect_env_error("API_PORT", "80x",
                     "API_PORT: expected an integer between 0 and 65535");
    expect_env_error("API_PORT", "",
                     "API_PORT: expected an integer between 0 and 65535");
    expect_env_error("WEB_PORT", "65536",
                     "WEB_PORT: expected an integer between 0 and 65535");
    expect_env_error("DB_POOL_SIZE", "0",
                     "DB_POOL_SIZE: expected an integer between 1 and 1000");
    expect_env_error("DB_PORT", "99999999999999999999999",
                     "DB_PORT: expected an integer between 0 and 65535");
    expect_env_error("API_ENABLE_TLS", "yes",
                     "API_ENABLE_TLS: expected true or false");
    expect_env_error("NODE_NAME", "a/b",
                     "NODE_NAME: expected 1 to 63 characters of "
                     "[A-Za-z0-9_.-]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings_table),
        cmocka_unit_test_setup(test_defaults, clear_env),
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_settings_errors),
        cmocka_unit_test(test_cluster_nodes),
        cmocka_unit_test(test_cluster_secret),
        cmocka_unit_test(test_trusted_proxies),
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test_setup_teardown(test_env_overrides, clear_env,
                                        clear_env),
        cmocka_unit_test_setup_teardown(test_env_node_name, clear_env,
                                        clear_env),
        cmocka_unit_test_setup_teardown(test_env_errors, clear_env, clear_env),
    };

    clear_env(NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
