#!/usr/bin/python3
"""The smsc benchmark on one node: `smscctl bench` (the whole scenario
suite: create, create_async, raw, raw_async, fetch, list) against a fresh
one-node cluster on this machine, fsync on.

    make bench                  # or: tests/bench/bench.py --smscd build/smscd
    make bench BENCH_ARGS="--duration 5 --runs 3"

Options this script does not know (--duration, --connections, --rate,
--scenario, ...) go to smscctl bench.  --runs K repeats the suite on a
fresh node each time and ends with a table of the medians.  The node runs
with rate limits off, in a temporary data dir, on free loopback ports, and
is stopped afterwards; the JSON of the last run goes to --out.  This is a
measurement, not a test: it never fails on a figure.
"""
import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smscd", default="build/smscd")
    ap.add_argument("--smscctl", help="default: next to --smscd")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--out", default="build/bench/node.json")
    args, passthrough = ap.parse_known_args()
    smscctl = args.smscctl or os.path.join(os.path.dirname(args.smscd),
                                           "smscctl")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    root = tempfile.mkdtemp(prefix="smsc-bench-")
    runs, docs = [], []
    for k in range(args.runs):
        print("\n== run %d/%d: 1 node, data in %s" % (k + 1, args.runs, root),
              flush=True)
        nodes, leader = harness.start_cluster(
            args.smscd, os.path.join(root, "run%d" % k), 1)
        try:
            doc = harness.smscctl_bench(smscctl, leader.url, passthrough,
                                        os.path.join(root, "run%d.json" % k))
        finally:
            for nd in nodes:
                nd.stop()
        docs.append(doc)
        runs.append({r["name"]: harness.row_figures(r)
                     for r in doc["scenarios"]})
    harness.finish(runs, docs, args.out, "1 node", root)


if __name__ == "__main__":
    sys.exit(main())
