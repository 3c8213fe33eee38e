#!/usr/bin/python3
"""Memory per stored message, and snapshot + restart time, at N pending.

    make bench-memory               # or: tests/bench/memory_bench.py --messages 1000000

One node (rate limits off, CDRs off so nothing but the messages grows)
receives --messages pending messages through create_async, in --steps
equal parts; after each part the node is snapshotted (its raft log is then
trimmed to the trailing entries) and its resident set (VmRSS) is read, so
the table shows bytes per message and create throughput as the store
grows.  Then the node is stopped (SIGTERM) and started again on its data
dir: the time until it answers with every message back is the restart
time.  This is a measurement, not a test: it never fails on a figure.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness as bench  # noqa: E402


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def metric(node, name):
    url = "http://127.0.0.1:%d/metrics" % node.ports["metrics"]
    with urllib.request.urlopen(url, timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def pending(node):
    return int(metric(node, "sms_c_queue_size_pending"))


def post(url, body=b"{}"):
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.load(r)


def load(node, smscctl, count, connections):
    """create_async until `count` more are stored; returns creates/s."""
    start, t0 = pending(node), time.time()
    while pending(node) < start + count:
        left = start + count - pending(node)
        subprocess.run([smscctl, "--node", node.url, "bench", "--scenario",
                        "create_async", "--duration",
                        "%.1f" % max(0.5, min(10.0, left / 40000.0)),
                        "--connections", str(connections), "--warmup", "0"],
                       check=True, stdout=subprocess.DEVNULL)
        deadline = time.time() + 5
        last = -1
        while time.time() < deadline and pending(node) != last:
            last = pending(node)
            time.sleep(0.2)
    return (pending(node) - start) / (time.time() - t0)


def start_node(smscd, root, name, ports, bootstrap):
    node = bench.Node.__new__(bench.Node)
    node.name, node.ports = name, ports
    node.dir = os.path.join(root, name)
    node.url = "http://127.0.0.1:%d" % ports["http"]
    path = os.path.join(node.dir, "smscd.json")
    node.log = open(os.path.join(node.dir, "smscd.log"), "a")
    node.proc = subprocess.Popen(
        [smscd, "--config", path] + (["--bootstrap"] if bootstrap else []),
        stdout=node.log, stderr=subprocess.STDOUT)
    return node


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smscd", default="build/smscd")
    ap.add_argument("--smscctl", default="build/smscctl")
    ap.add_argument("--messages", type=int, default=1000000)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    results = [one_run(args) for _ in range(args.runs)]
    if args.runs > 1:
        print("\nmedians of %d runs: %.0f bytes per message at the last "
              "step, restart %.2f s" % (
                  args.runs, statistics.median(r[0] for r in results),
                  statistics.median(r[1] for r in results)))


def one_run(args):
    root = tempfile.mkdtemp(prefix="smsc-membench-")
    ports = {k: bench.free_port() for k in ("http", "https", "metrics", "raft")}
    node = bench.Node(args.smscd, root, "node1",
                      ["node1@127.0.0.1:%d" % ports["raft"]], ports,
                      extra={"cdr_enabled": False})
    try:
        while not (node.status() or {}).get("leader"):
            time.sleep(0.1)
        time.sleep(0.5)
        base = rss_kib(node.proc.pid)
        print("empty node: %.1f MiB resident" % (base / 1024.0))
        print("%12s %14s %12s %14s" % ("messages", "resident MiB",
                                       "bytes/msg", "creates/s"))
        step = args.messages // args.steps
        for i in range(args.steps):
            rate = load(node, args.smscctl, step, args.connections)
            post(node.url + "/api/cluster/snapshot")
            # raft stores the snapshot from a mapping of the child's bytes
            # and trims its log when done: read the resident set once it
            # has settled
            rss, t0 = rss_kib(node.proc.pid), time.time()
            while time.time() - t0 < 20:
                time.sleep(1.0)
                now = rss_kib(node.proc.pid)
                if abs(now - rss) < rss / 200:
                    break
                rss = now
            n, rss = pending(node), rss_kib(node.proc.pid)
            per_msg = (rss - base) * 1024.0 / n
            print("%12d %14.1f %12.0f %14.0f" % (
                n, rss / 1024.0, per_msg, rate), flush=True)
        n = pending(node)
        t0 = time.time()
        node.stop()
        stopped = time.time() - t0
        t0 = time.time()
        node = start_node(args.smscd, root, "node1", ports, False)
        while True:
            st = node.status()
            if st and st.get("leader") and pending(node) == n:
                break
            time.sleep(0.02)
        back = time.time() - t0
        print("restart with %d messages: stopped in %.2f s, serving all of "
              "them %.2f s after start" % (n, stopped, back))
        return per_msg, back
    finally:
        node.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
