#!/usr/bin/python3
"""The smsc benchmark on a three-node cluster: `smscctl bench --leader`
(the whole suite) against a fresh cluster on loopback, CDRs written to
SQLite, fsync on; then sync creates spread over all three nodes
(followers forward to the leader).

    make bench-cluster          # or: tests/bench/bench_cluster.py --smscd build/smscd
    make bench-cluster BENCH_ARGS="--runs 3 --duration 5"

Options this script does not know go to smscctl bench.  --runs K repeats
everything on a fresh cluster each time, prints each run's table and then
the medians.  The JSON (every run and the medians) goes to --out
(build/bench/cluster.json).  A measurement, not a test.
"""
import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

#: CDRs on, into data_dir/cdr.sqlite (the default adapter, said explicitly)
CDR_SQLITE = {"cdr_enabled": True, "database": {"adapter": "sqlite"}}


def one_run(args, smscctl, passthrough, root, k):
    nodes, leader = harness.start_cluster(
        args.smscd, os.path.join(root, "run%d" % k), 3, extra=CDR_SQLITE)
    try:
        print("leader: %s (%s)" % (leader.name, leader.url), flush=True)
        suite = harness.smscctl_bench(
            smscctl, nodes[0].url, ["--leader", *passthrough],
            os.path.join(root, "run%d.json" % k))
        spread = None
        if not args.no_spread:
            print("create spread over all nodes:", flush=True)
            # a later --scenario wins over one in passthrough
            spread = harness.smscctl_bench(
                smscctl, nodes[0].url,
                [*passthrough, "--scenario", "create", "--nodes",
                 ",".join(nd.url for nd in nodes)],
                os.path.join(root, "run%d-spread.json" % k))
    finally:
        for nd in nodes:
            nd.stop()
    figures = {r["name"]: harness.row_figures(r) for r in suite["scenarios"]}
    if spread:
        for r in spread["scenarios"]:
            figures[r["name"] + " (all nodes)"] = harness.row_figures(r)
    return {"suite": suite, "spread": spread}, figures


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smscd", default="build/smscd")
    ap.add_argument("--smscctl", help="default: next to --smscd")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--no-spread", action="store_true",
                    help="skip the create run spread over all nodes")
    ap.add_argument("--out", default="build/bench/cluster.json")
    args, passthrough = ap.parse_known_args()
    smscctl = args.smscctl or os.path.join(os.path.dirname(args.smscd),
                                           "smscctl")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    root = tempfile.mkdtemp(prefix="smsc-bench-cluster-")
    docs, runs = [], []
    for k in range(args.runs):
        print("\n== run %d/%d: 3 nodes, CDRs to SQLite, data in %s" %
              (k + 1, args.runs, root), flush=True)
        doc, figures = one_run(args, smscctl, passthrough, root, k)
        docs.append(doc)
        runs.append(figures)
        harness.print_table("run %d (3 nodes)" % (k + 1), figures)
    harness.finish(runs, docs, args.out, "3 nodes", root)


if __name__ == "__main__":
    sys.exit(main())
