#!/usr/bin/python3
"""Helpers shared by the benchmark scripts (bench.py, bench_cluster.py,
cdr_bench.py, scrape_bench.py): nodes started on free loopback ports in
temporary data dirs with rate limits off (Node, start_cluster), small JSON
calls, the routing tables of the "routed" scenario, and the wrk runner the
CDR and scrape benchmarks still use (make bench and make bench-cluster use
smscctl bench instead).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
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


def start_cluster(smscd, root, n, extra=None):
    names = ["node%d" % i for i in range(1, n + 1)]
    ports = [{k: free_port() for k in ("http", "https", "metrics", "raft")}
             for _ in names]
    peers = ["%s@127.0.0.1:%d" % (nm, p["raft"]) for nm, p in zip(names, ports)]
    nodes = [Node(smscd, root, nm, peers, p, extra)
             for nm, p in zip(names, ports)]
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


# ---------------------------------------------------------------- smscctl bench
HEADER = "%-22s %10s %7s %9s %8s %8s %8s %8s %9s" % (
    "scenario", "requests", "errors", "req/s", "mean", "p50", "p99", "max",
    "stored_s")


def smscctl_bench(smscctl, url, args, json_path):
    """Runs `smscctl bench` (its table goes straight to our stdout, a row
    as each scenario ends); returns its JSON document."""
    cmd = [smscctl, "--node", url, "bench", "--json", json_path, *args]
    print("$ " + " ".join(cmd), flush=True)
    rc = subprocess.call(cmd)
    if rc not in (0, 1) or not os.path.exists(json_path):
        raise SystemExit("smscctl bench exited %d" % rc)
    with open(json_path) as f:
        return json.load(f)


def row_figures(row):
    lat = row["latency_ms"]
    return {"requests": row["requests"], "errors": row["errors"],
            "req_per_s": row["req_per_s"], "mean": lat["mean"],
            "p50": lat["p50"], "p99": lat["p99"], "max": lat["max"],
            "stored_after_s": row.get("stored_after_s")}


def medians(runs):
    """runs: a list of {label: row figures}; the median of each figure per
    label (labels in first-seen order), None where no run had a value."""
    import statistics
    out = {}
    for run in runs:
        for label in run:
            out.setdefault(label, None)
    for label in out:
        rows = [r[label] for r in runs if label in r]
        out[label] = {k: (statistics.median([r[k] for r in rows
                                             if r[k] is not None])
                          if any(r[k] is not None for r in rows) else None)
                      for k in rows[0]}
    return out


def print_table(title, table):
    print("\n" + title + "\n" + HEADER)
    for label, f in table.items():
        stored = "-" if f["stored_after_s"] is None else \
            "%.2f" % f["stored_after_s"]
        print("%-22s %10.0f %7.0f %9.0f %8.2f %8.2f %8.2f %8.2f %9s" % (
            label, f["requests"], f["errors"], f["req_per_s"], f["mean"],
            f["p50"], f["p99"], f["max"], stored))
    sys.stdout.flush()


def finish(runs, docs, out, label, root):
    """After the runs: the table of medians (when more than one), the JSON
    of every run and the medians to out, the scratch dir removed."""
    med = medians(runs)
    if len(runs) > 1:
        print_table("medians of %d runs (%s)" % (len(runs), label), med)
    with open(out, "w") as f:
        json.dump({"runs": docs, "medians": med}, f, indent=2)
    print("\nJSON: %s" % out)
    shutil.rmtree(root, ignore_errors=True)
