#!/usr/bin/python3
"""CDR benchmark: submission throughput with CDRs off and on (SQLite,
PostgreSQL, MariaDB), and the rate at which the CDR writer stores rows with
the default batch settings (batch_insert_batch_size 100,
batch_insert_flush_interval_ms 100).

    make bench-cdr                  # or: tests/bench/cdr_bench.py --smscd build/smscd

Every create goes through a drop route, so each one is a final message and
one CDR.  wrk drives sync creates for --seconds at --connections; the
writer's statistics (GET /api/cdr/stats) give the rows stored during the
load and how long the outbox takes to drain afterwards.  PostgreSQL and
MariaDB are started on loopback by tests/integration/sqlservers.py.  This
is a measurement, not a test: it never fails on a figure.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness as bench  # noqa: E402  (the shared helpers)
import sqlservers  # noqa: E402

BODY = json.dumps({
    "source_msisdn": "+15551234567", "destination_msisdn": "+447700900000",
    "message_body": "Benchmark message", "source_smsc": "bench"})
DROP_ROUTE = {"called_prefix": "+44", "drop": True, "priority": 1}


def start(smscd, root, name, database, cdr_enabled):
    ports = {k: bench.free_port() for k in ("http", "https", "metrics", "raft")}
    node = bench.Node(smscd, root, name, ["%s@127.0.0.1:%d" % (name,
                                                              ports["raft"])],
                      ports, extra={"sms_routes": [DROP_ROUTE],
                                    "cdr_enabled": cdr_enabled,
                                    **({"database": database}
                                       if database else {})})
    deadline = time.time() + 30
    while time.time() < deadline:
        st = node.status()
        if st and st.get("leader"):
            return node
        time.sleep(0.2)
    node.stop()
    raise SystemExit("node did not start; logs in %s" % root)


def stats(node):
    return bench.get_json(node.url + "/api/cdr/stats")["data"]


def run(args, root, label, database, cdr_enabled=True, server_down=None):
    """One scenario; server_down: an SQL server stopped for the load and
    started again after it (the outbox keeps the rows meanwhile)."""
    node = start(args.smscd, os.path.join(root, label.replace(" ", "_")),
                 "node1", database, cdr_enabled)
    try:
        script = os.path.join(root, "drop.lua")
        with open(script, "w") as f:
            f.write(bench.LUA % BODY)
        if server_down:
            server_down.halt()
        t0 = time.time()
        rps, p50, p99 = bench.wrk([node.url], "/api/messages", script,
                                  args.connections, args.seconds)
        loaded = time.time() - t0
        if server_down:
            server_down.start()
        s = stats(node)
        during = s["rows_flushed"]
        peak = s["current_queue_size"]
        while cdr_enabled and stats(node)["current_queue_size"] > 0 and \
                time.time() - t0 < loaded + 300:
            time.sleep(0.1)
        total = time.time() - t0
        s = stats(node)
        row = (label, rps, p99, during / loaded if cdr_enabled else 0,
               s["rows_flushed"] / total if cdr_enabled else 0,
               total - loaded if cdr_enabled else 0, peak,
               s["total_batches"])
        print("  %-22s submit %8.0f/s p99 %6.2f ms | rows stored during load "
              "%8.0f/s, overall %8.0f/s, drained %5.1f s after, outbox at "
              "end of load %d, %d batches" % row, flush=True)
        return row
    finally:
        node.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smscd", default="build/smscd")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--adapters",
                    default="off,sqlite,postgres,mysql,postgres-down,"
                            "mysql-down")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    root = tempfile.mkdtemp(prefix="smsc-cdr-bench-")
    table = []
    print("CDR benchmark: 1 node, %d connections, %d s, every create dropped "
          "by a route (one CDR each)" % (args.connections, args.seconds))
    for adapter in args.adapters.split(","):
        if adapter == "off":
            table.append(run(args, root, "CDRs off", None, False))
        elif adapter == "sqlite":
            table.append(run(args, root, "SQLite (embedded)", None))
        else:
            srv = (sqlservers.MariaDB() if adapter.startswith("mysql")
                   else sqlservers.Postgres())
            label = {"postgres": "PostgreSQL", "mysql": "MariaDB",
                     "postgres-down": "PostgreSQL down during load",
                     "mysql-down": "MariaDB down during load"}[adapter]
            try:
                srv.fresh_db("cdr_bench")
                table.append(run(args, root, label,
                                 srv.database_config("cdr_bench"),
                                 server_down=srv if "down" in adapter
                                 else None))
            finally:
                srv.stop()
    shutil.rmtree(root, ignore_errors=True)
    print("\n| CDR store | submissions/s | p99 | CDR rows/s during load | "
          "rows/s overall | drain after load |\n|---|---|---|---|---|---|")
    for label, rps, p99, during, overall, drain, _, _ in table:
        print("| %s | %.0f | %.2f ms | %.0f | %.0f | %.1f s |" % (
            label, rps, p99, during, overall, drain))


if __name__ == "__main__":
    sys.exit(main())
