#!/usr/bin/python3
"""Sync create throughput as the store grows, on a three-node cluster.

    make bench-flat                 # or: tests/bench/flat_bench.py --smscd build/smscd

A fresh three-node cluster (rate limits off, CDRs to SQLite, fsync on) is
measured with `smscctl bench --leader --scenario create` at each of
--sizes stored (pending) messages; between measurements create_async fills
the store up to the next size.  The table shows req/s and latency per
size and the change against the first.  A measurement, not a test.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CDR_SQLITE = {"cdr_enabled": True, "database": {"adapter": "sqlite"}}


def pending(node):
    url = "http://127.0.0.1:%d/metrics" % node.ports["metrics"]
    with urllib.request.urlopen(url, timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("sms_c_queue_size_pending"):
                return int(float(line.rsplit(" ", 1)[1]))
    return 0


def fill(smscctl, leader, target):
    while pending(leader) < target:
        left = target - pending(leader)
        subprocess.run([smscctl, "--node", leader.url, "bench", "--scenario",
                        "create_async", "--duration",
                        str(max(1, min(20, left // 25000))), "--warmup", "0"],
                       check=True, stdout=subprocess.DEVNULL)
        last, t0 = -1, time.time()
        while pending(leader) != last and time.time() - t0 < 30:
            last = pending(leader)
            time.sleep(0.3)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smscd", default="build/smscd")
    ap.add_argument("--smscctl", help="default: next to --smscd")
    ap.add_argument("--sizes", default="10000,250000,500000,1000000")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    smscctl = args.smscctl or os.path.join(os.path.dirname(args.smscd),
                                           "smscctl")
    sizes = [int(x) for x in args.sizes.split(",")]
    runs = [one_run(args, smscctl, sizes) for _ in range(args.runs)]
    if args.runs > 1:
        print("\nmedians of %d runs:" % args.runs)
        med = []
        for i in range(len(sizes)):
            med.append((int(statistics.median(r[i][0] for r in runs)),
                        {k: statistics.median(r[i][1][k] for r in runs)
                         for k in ("req_per_s", "p50", "p99", "max")}))
        show(med)


def show(rows):
    base = rows[0][1]["req_per_s"] or 1
    print("\n%12s %10s %8s %8s %8s %9s" % ("stored", "req/s", "p50", "p99",
                                            "max", "vs first"))
    for stored, r in rows:
        print("%12d %10.0f %8.2f %8.2f %8.2f %+8.1f%%" % (
            stored, r["req_per_s"], r["p50"], r["p99"], r["max"],
            100.0 * (r["req_per_s"] - base) / base), flush=True)


def one_run(args, smscctl, sizes):
    root = tempfile.mkdtemp(prefix="smsc-flat-")
    nodes, leader = harness.start_cluster(args.smscd, root, 3,
                                          extra=CDR_SQLITE)
    rows = []
    try:
        for size in sizes:
            fill(smscctl, leader, size)
            time.sleep(2)  # let the followers and the CDR writers settle
            stored = pending(leader)
            doc = harness.smscctl_bench(
                smscctl, leader.url,
                ["--scenario", "create", "--duration", str(args.duration)],
                os.path.join(root, "flat-%d.json" % size))
            rows.append((stored, harness.row_figures(doc["scenarios"][0])))
    finally:
        for nd in nodes:
            nd.stop()
        shutil.rmtree(root, ignore_errors=True)
    show(rows)
    return rows

if __name__ == "__main__":
    main()
