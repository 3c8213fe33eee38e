"""The CDR sink (sql/cdr_sink.h) against real PostgreSQL and MariaDB servers.

Each server (sqlservers.py) is started once per module on a free loopback
port, with password authentication for a dedicated user and TLS enabled.
``build/tests/cdr_sql_driver`` (tests/integration/cdr_sql_driver.c) runs
the exactly-once / search / events scenario and migrations; the schema is
checked through the servers' own clients.  Skipped when the server
packages (postgresql, mariadb-server) are not installed.
"""

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

import smsc
from sqlservers import PASSWORD

DRIVER = os.environ.get("CDR_SQL_DRIVER") or str(
    smsc.REPO / "build" / "tests" / "cdr_sql_driver")


def driver(mode, adapter, port, db, *, user="smsc", password=PASSWORD,
           ssl=False, check=True):
    args = [DRIVER, mode, adapter, "127.0.0.1", str(port), user, password, db]
    if ssl:
        args.append("ssl")
    r = subprocess.run(args, capture_output=True, text=True,
                       timeout=smsc.scaled(60))
    if check and r.returncode != 0:
        pytest.fail(f"{' '.join(args[:2])} {db}: exit {r.returncode}\n"
                    f"{r.stdout}{r.stderr}")
    return r


# --------------------------------------------------------------- tests

CDR_INDEXES = sorted(["idx_cdrs_called_number", "idx_cdrs_calling_number",
                      "idx_cdrs_dest_smsc", "idx_cdrs_message_id",
                      "idx_cdrs_status", "idx_cdrs_submission_time"])


# the scenario's events: c1 writers "cluster" 1..6 and "other" 1..2, c2 1,
# c8 1, c9 3
EVENTS_BY_CLUSTER = ("SELECT CONCAT(cluster_id, '|', COUNT(*)) FROM "
                     "message_events GROUP BY cluster_id ORDER BY cluster_id")
EVENTS_PER_CLUSTER = ["c1|8", "c2|1", "c8|1", "c9|3"]


def concurrent_migrations(adapter, port, db, n=4):
    with ThreadPoolExecutor(n) as pool:
        outs = list(pool.map(lambda _: driver("migrate", adapter, port, db),
                             range(n)))
    return sum(int(r.stdout.split()[1]) for r in outs)


def test_postgres_scenario(postgres):
    db = postgres.fresh_db("cdr")
    assert driver("migrate", "postgres", postgres.port, db).stdout == \
        "applied 3\n"
    assert driver("scenario", "postgres", postgres.port, db).stdout == "ok\n"
    assert driver("migrate", "postgres", postgres.port, db).stdout == \
        "applied 0\n"
    assert postgres.count("SELECT COUNT(*) FROM cdrs", db) == 9
    assert postgres.count("SELECT COUNT(*) FROM message_events", db) == 13
    assert postgres.sql("SELECT string_agg(version::text, ',' ORDER BY "
                        "version) FROM schema_migrations", db) == "1,2,3"
    assert postgres.sql(EVENTS_BY_CLUSTER, db).split() == EVENTS_PER_CLUSTER
    assert postgres.sql("SELECT data_type || ',' || is_nullable || ',' || "
                        "character_maximum_length FROM "
                        "information_schema.columns WHERE table_name = "
                        "'message_events' AND column_name = 'cluster_id'",
                        db) == "character varying,YES,255"
    assert postgres.sql("SELECT indexdef FROM pg_indexes WHERE indexname = "
                        "'idx_message_events_cluster_message'", db) \
        .endswith("(cluster_id, message_id)")
    assert postgres.count("SELECT COUNT(*) FROM information_schema.columns "
                          "WHERE table_name = 'cdrs' AND column_name = "
                          "'cluster_id'", db) == 0
    idx = postgres.sql("SELECT indexname FROM pg_indexes WHERE tablename = "
                       "'cdrs' AND indexname LIKE 'idx_%' ORDER BY 1", db)
    assert idx.split() == CDR_INDEXES
    assert postgres.sql("SELECT data_type FROM information_schema.columns "
                        "WHERE table_name = 'cdrs' AND column_name = "
                        "'submission_time'", db) == \
        "timestamp without time zone"
    # stored as UTC wall time
    assert postgres.sql("SELECT submission_time FROM cdrs WHERE message_id "
                        "= 1001 LIMIT 1", db) == "2025-10-30 12:01:00"
    assert postgres.sql("SELECT writer || '=' || last_seq FROM "
                        "cdr_writer_state WHERE cluster_id = 'c1' ORDER BY "
                        "writer", db).split() == ["cluster=6", "other=2"]


def big_batches(server, adapter):
    """Batches larger than one INSERT statement (PostgreSQL: 500 rows per
    statement; MySQL: 1 MiB of SQL text) are still written whole."""
    db = server.fresh_db("cdr_big")
    env = dict(os.environ, CDR_BENCH_ROWS="3000", CDR_BENCH_BATCH="1500")
    r = subprocess.run([DRIVER, "bench", adapter, "127.0.0.1",
                        str(server.port), "smsc", PASSWORD, db], env=env,
                       capture_output=True, text=True, timeout=smsc.scaled(120))
    assert r.returncode == 0, r.stderr
    print(f"{adapter}: {r.stdout.strip()}")
    assert server.sql("SELECT COUNT(*) FROM cdrs", db) == "3000"
    assert server.sql("SELECT COUNT(DISTINCT message_id) FROM cdrs", db) == \
        "3000"
    assert server.sql("SELECT COUNT(*) FROM message_events", db) == "3000"


def test_postgres_big_batches(postgres):
    big_batches(postgres, "postgres")


def test_mariadb_big_batches(mariadb):
    big_batches(mariadb, "mysql")


def racing_writers(server, adapter, n=4):
    """Writers of the same name racing over the same seqs (an old and a new
    leader during a leader change): every row lands exactly once."""
    db = server.fresh_db("cdr_race_rows")
    env = dict(os.environ, CDR_BENCH_ROWS="400", CDR_BENCH_BATCH="7")
    args = [DRIVER, "bench", adapter, "127.0.0.1", str(server.port), "smsc",
            PASSWORD, db]
    procs = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for _ in range(n)]
    for p in procs:
        out, errs = p.communicate(timeout=smsc.scaled(120))
        assert p.returncode == 0, errs
    assert server.sql("SELECT COUNT(*) FROM cdrs", db) == "400"
    assert server.sql("SELECT COUNT(DISTINCT message_id) FROM cdrs", db) == \
        "400"
    assert server.sql("SELECT COUNT(*) FROM message_events", db) == "400"
    assert server.sql("SELECT last_seq FROM cdr_writer_state", db) == "400"


def test_postgres_racing_writers(postgres):
    racing_writers(postgres, "postgres")


def test_mariadb_racing_writers(mariadb):
    racing_writers(mariadb, "mysql")


def test_postgres_concurrent_migrations(postgres):
    db = postgres.fresh_db("cdr_race")
    assert concurrent_migrations("postgres", postgres.port, db) == 3
    assert postgres.count("SELECT COUNT(*) FROM schema_migrations", db) == 3


def test_postgres_tls_and_bad_password(postgres):
    db = postgres.fresh_db("cdr_tls")
    assert driver("scenario", "postgres", postgres.port, db,
                  ssl=True).stdout == "ok\n"
    r = driver("migrate", "postgres", postgres.port, db,
               password="wrong", check=False)
    assert r.returncode == 1
    assert "password authentication failed" in r.stderr


def test_mariadb_scenario(mariadb):
    db = mariadb.fresh_db("cdr")
    assert driver("migrate", "mysql", mariadb.port, db).stdout == \
        "applied 3\n"
    assert driver("scenario", "mysql", mariadb.port, db).stdout == "ok\n"
    assert driver("migrate", "mysql", mariadb.port, db).stdout == \
        "applied 0\n"
    assert mariadb.count("SELECT COUNT(*) FROM cdrs", db) == 9
    assert mariadb.count("SELECT COUNT(*) FROM message_events", db) == 13
    assert mariadb.sql("SELECT GROUP_CONCAT(version ORDER BY version) FROM "
                       "schema_migrations", db) == "1,2,3"
    assert mariadb.sql(EVENTS_BY_CLUSTER, db).split() == EVENTS_PER_CLUSTER
    assert mariadb.sql("SELECT CONCAT(data_type, ',', is_nullable, ',', "
                       "character_maximum_length) FROM "
                       "information_schema.columns WHERE table_schema = "
                       f"'{db}' AND table_name = 'message_events' AND "
                       "column_name = 'cluster_id'") == "varchar,YES,255"
    assert mariadb.sql("SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index) "
                       "FROM information_schema.statistics WHERE "
                       f"table_schema = '{db}' AND index_name = "
                       "'idx_message_events_cluster_message'") == \
        "cluster_id,message_id"
    idx = mariadb.sql("SELECT DISTINCT index_name FROM "
                      "information_schema.statistics WHERE table_schema = "
                      f"'{db}' AND table_name = 'cdrs' AND index_name LIKE "
                      "'idx_%' ORDER BY 1")
    assert idx.split() == CDR_INDEXES
    assert mariadb.sql("SELECT submission_time FROM cdrs WHERE message_id "
                       "= 1001 LIMIT 1", db) == "2025-10-30 12:01:00"
    assert mariadb.sql("SELECT HEX(message_body) FROM cdrs WHERE message_id "
                       "= 1001 LIMIT 1", db).endswith("F09F9880")  # U+1F600
    assert mariadb.sql("SELECT CONCAT(writer, '=', last_seq) FROM "
                       "cdr_writer_state WHERE cluster_id = 'c1' ORDER BY "
                       "writer", db).split() == ["cluster=6", "other=2"]


def test_mariadb_concurrent_migrations(mariadb):
    db = mariadb.fresh_db("cdr_race")
    assert concurrent_migrations("mysql", mariadb.port, db) == 3
    assert mariadb.count("SELECT COUNT(*) FROM schema_migrations", db) == 3


def test_mariadb_tls_and_bad_password(mariadb):
    db = mariadb.fresh_db("cdr_tls")
    # smsc_tls is REQUIRE SSL: refused in clear, accepted with ssl
    r = driver("migrate", "mysql", mariadb.port, db, user="smsc_tls",
               check=False)
    assert r.returncode == 1 and "Access denied" in r.stderr
    assert driver("scenario", "mysql", mariadb.port, db, user="smsc_tls",
                  ssl=True).stdout == "ok\n"
    r = driver("migrate", "mysql", mariadb.port, db, password="wrong",
               check=False)
    assert r.returncode == 1 and "Access denied" in r.stderr


def outage_roundtrip(server, adapter):
    """One sink across a server restart: the batch during the outage fails
    cleanly, the sink reconnects, and the retried (overlapping) batch is
    written exactly once."""
    db = server.fresh_db("cdr_outage")
    args = [DRIVER, "outage", adapter, "127.0.0.1", str(server.port), "smsc",
            PASSWORD, db]
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "ready\n", p.stderr.read()
        server.halt()
        try:
            p.stdin.write("down\n")
            p.stdin.flush()
            assert p.stdout.readline() == "failed\n", p.stderr.read()
        finally:
            server.start()
        out, errs = p.communicate("up\n", timeout=smsc.scaled(60))
        assert p.returncode == 0 and out == "ok\n", errs
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert server.sql("SELECT COUNT(*) FROM cdrs", db) == "6"
    assert server.sql("SELECT COUNT(*) FROM message_events", db) == "6"


def test_postgres_outage_then_reconnect(postgres):
    outage_roundtrip(postgres, "postgres")


def test_mariadb_outage_then_reconnect(mariadb):
    outage_roundtrip(mariadb, "mysql")


def restart_twice(server, adapter):
    """halt() / start() work again and again on the same port and data."""
    db = server.fresh_db("cdr_restart")
    assert driver("migrate", adapter, server.port, db).stdout == "applied 3\n"
    for _ in range(2):
        server.halt()
        server.start()
        assert server.count("SELECT COUNT(*) FROM schema_migrations", db) == 3
    assert driver("migrate", adapter, server.port, db).stdout == "applied 0\n"


def test_postgres_restart_twice(postgres):
    restart_twice(postgres, "postgres")
    assert postgres.database_config("cdr") == {
        "adapter": "postgres", "hostname": "127.0.0.1",
        "port": postgres.port, "username": "smsc", "password": PASSWORD,
        "database": "cdr"}


def test_mariadb_restart_twice(mariadb):
    restart_twice(mariadb, "mysql")
    assert mariadb.database_config("cdr") == {
        "adapter": "mysql", "hostname": "127.0.0.1", "port": mariadb.port,
        "username": "smsc", "password": PASSWORD, "database": "cdr"}
