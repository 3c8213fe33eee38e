#!/usr/bin/python3
"""The smsc benchmark: sync and async message submission on one node and on a
three-node cluster, every process on this machine, fsync on.

    make bench                      # or: tests/bench/bench.py --smscd build/smscd

Load comes from wrk (Debian package) with keep-alive connections; each
scenario runs for --seconds and prints throughput and latency percentiles.
Nodes run with rate limits off, in temporary data dirs, on free loopback
ports, and are stopped afterwards.  This is a measurement, not a test: it
never fails on a figure.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from smsc import free_port  # noqa: E402  (ports below the ephemeral range)

BODY = json.dumps({
    "source_msisdn": "+15551234567", "destination_msisdn": "+447700900000",
    "message_body": "Benchmark message", "source_smsc": "bench",
    "dest_smsc": "gw"})

LUA = """
wrk.method = "POST"
wrk.body = '%s'
wrk.headers["Content-Type"] = "application/json"
"""

#: no dest_smsc: the message goes through translation and route selection
ROUTED_BODY = json.dumps({
    "source_msisdn": "5551234567", "destination_msisdn": "+447700900123",
    "message_body": "Benchmark message", "source_smsc": "bench"})


def routing_tables():
    """1,000 routes and 100 translation rules shaped like a carrier's: one
    route per country/operator prefix, a few weighted splits, filters on
    source SMSCs; most rules are filtered to other gateways, one turns ten
    digits into +1."""
    routes = []
    for i in range(1000):
        cc = 20 + i % 80
        r = {"called_prefix": "+%d%d" % (cc, i // 80) if i >= 80 else
             "+%d" % cc, "dest_smsc": "gw%d" % (i % 17),
             "priority": 50 + i % 3, "weight": 1 + i % 100}
        if i % 9 == 0:
            r["source_smsc"] = "partner%d" % i
        routes.append(r)
    routes.append({"called_prefix": "+44", "dest_smsc": "uk1", "weight": 70,
                   "priority": 10})
    routes.append({"called_prefix": "+44", "dest_smsc": "uk2", "weight": 30,
                   "priority": 10})
    rules = [{"source_smsc": "partner%d" % i, "called_match": "^0(\\d+)$",
              "called_replace": "+%d\\1" % (30 + i), "priority": 10 + i % 50}
             for i in range(99)]
    rules.append({"calling_match": "^(\\d{10})$", "calling_replace": "+1\\1",
                  "priority": 200})
    return routes, rules


def post_json(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def load_tables(url):
    routes, rules = routing_tables()
    post_json(url + "/api/routes/import?mode=replace", {"routes": routes})
    post_json(url + "/api/translation_rules/import?mode=replace",
              {"rules": rules})


def get_json(url):
    with urllib.request.urlopen(url, timeout=2) as r:
        return json.load(r)


class Node:
    def __init__(self, smscd, root, name, peers, ports, extra=None):
        self.name, self.ports = name, ports
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        cfg = {
            "smsc_node_name": name, "data_dir": os.path.join(self.dir, "data"),
            "cluster_nodes": peers,
            "api": {"listen_ip": "127.0.0.1", "port": ports["https"],
                    "http_port": ports["http"]},
            "metrics": {"listen_ip": "127.0.0.1", "port": ports["metrics"]},
            "rate_limits": {"enabled": False},
            "logging": {"level": "warning"},
        }
        cfg.update(extra or {})
        path = os.path.join(self.dir, "smscd.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        self.log = open(os.path.join(self.dir, "smscd.log"), "w")
        self.proc = subprocess.Popen([smscd, "--config", path, "--bootstrap"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.url = "http://127.0.0.1:%d" % ports["http"]

    def status(self):
        try:
            return get_json(self.url + "/api/status")
        except OSError:
            return None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def start_cluster(smscd, root, n):
    names = ["node%d" % i for i in range(1, n + 1)]
    ports = [{k: free_port() for k in ("http", "https", "metrics", "raft")}
             for _ in names]
    peers = ["%s@127.0.0.1:%d" % (nm, p["raft"]) for nm, p in zip(names, ports)]
    nodes = [Node(smscd, root, nm, peers, p) for nm, p in zip(names, ports)]
    deadline = time.time() + 30
    while time.time() < deadline:
        sts = [nd.status() for nd in nodes]
        if all(s and s.get("leader") for s in sts):
            leader = sts[0]["leader"]
            # every node must know every API address before we forward
            time.sleep(1.5)
            return nodes, next(nd for nd in nodes if nd.name == leader)
        time.sleep(0.2)
    for nd in nodes:
        nd.stop()
    raise SystemExit("cluster did not elect a leader; logs in %s" % root)


def wrk(urls, path, script, conns, seconds):
    """Runs one wrk per URL at the same time; returns (rps, p50, p99) ms."""
    procs = []
    per = max(1, conns // len(urls))
    for u in urls:
        procs.append(subprocess.Popen(
            ["wrk", "-t", "1", "-c", str(per), "-d", "%ds" % seconds,
             "--latency", "-s", script, u + path],
            stdout=subprocess.PIPE, text=True))
    rps, p50, p99 = 0.0, [], []
    for p in procs:
        out = p.communicate()[0]
        m = re.search(r"Requests/sec:\s+([\d.]+)", out)
        rps += float(m.group(1)) if m else 0.0
        for pct, acc in (("50", p50), ("99", p99)):
            m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)" % pct, out)
            if m:
                v = float(m.group(1))
                acc.append(v / 1000 if m.group(2) == "us" else
                           v * 1000 if m.group(2) == "s" else v)
        if re.search(r"Non-2xx", out):
            print("  note: some answers were not 2xx:", url_line(out))
    return rps, max(p50 or [0]), max(p99 or [0])


def url_line(out):
    return " ".join(l.strip() for l in out.splitlines() if "Non-2xx" in l)


def scenario(table, label, urls, path, script, args):
    rps, p50, p99 = wrk(urls, path, script, args.connections, args.seconds)
    table.append((label, rps, p50, p99))
    print("  %-44s %10.0f/s  p50 %7.2f ms  p99 %7.2f ms" % (label, rps, p50,
                                                            p99), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smscd", default="build/smscd")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    root = tempfile.mkdtemp(prefix="smsc-bench-")
    script = os.path.join(root, "post.lua")
    with open(script, "w") as f:
        f.write(LUA % BODY)
    routed = os.path.join(root, "routed.lua")
    with open(routed, "w") as f:
        f.write(LUA % ROUTED_BODY)
    table = []
    print("smsc benchmark: %d connections, %d s per scenario, data in %s" %
          (args.connections, args.seconds, root))
    # (nodes, routed): each on a fresh cluster, so no scenario pays for the
    # messages an earlier one stored (snapshots grow with the store)
    for n, routed_run in ((1, False), (1, True), (3, False)):
        nodes, leader = start_cluster(
            args.smscd, os.path.join(root, "c%d%s" % (n, "r" * routed_run)), n)
        try:
            if routed_run:
                load_tables(leader.url)
                print("1 node, 1,000 routes and 100 translation rules loaded:")
                scenario(table, "1 node: sync create, translated + routed "
                         "(1,000 routes, 100 rules)", [leader.url],
                         "/api/messages", routed, args)
                continue
            print("%d node(s):" % n)
            scenario(table, "%d node: sync create (leader)" % n, [leader.url],
                     "/api/messages", script, args)
            if n > 1:
                scenario(table, "%d nodes: sync create (spread over all)" % n,
                         [nd.url for nd in nodes], "/api/messages", script, args)
            scenario(table, "%d node%s: create_async (leader)" %
                     (n, "s" if n > 1 else ""), [leader.url],
                     "/api/messages/create_async", script, args)
        finally:
            for nd in nodes:
                nd.stop()
    shutil.rmtree(root, ignore_errors=True)
    print("\n| scenario | throughput | p50 | p99 |\n|---|---|---|---|")
    for label, rps, p50, p99 in table:
        print("| %s | %.0f/s | %.2f ms | %.2f ms |" % (label, rps, p50, p99))


if __name__ == "__main__":
    sys.exit(main())
