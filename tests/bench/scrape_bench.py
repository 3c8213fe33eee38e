#!/usr/bin/python3
"""Does scraping /metrics slow submissions?  One node, sync creates with wrk
(64 connections), alternating runs without a scraper and with one that
fetches /metrics every second (as Prometheus would, scrape_interval 1s);
prints each run and the medians.

    make bench-scrape     # or: tests/bench/scrape_bench.py --smscd build/smscd
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness as bench  # noqa: E402  (the shared helpers)


def scraper(url, stop, sizes):
    while not stop.wait(1.0):
        with urllib.request.urlopen(url, timeout=5) as r:
            sizes.append(len(r.read()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smscd", default="build/smscd")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    root = tempfile.mkdtemp(prefix="smsc-scrape-bench-")
    script = os.path.join(root, "post.lua")
    with open(script, "w") as f:
        f.write(bench.LUA % bench.BODY)
    results = {False: [], True: []}
    for i in range(args.rounds):
        for scraping in (False, True):
            nodes, leader = bench.start_cluster(
                args.smscd, os.path.join(root, "r%d%s" % (i, "s" * scraping)),
                1)
            stop, sizes = threading.Event(), []
            t = threading.Thread(target=scraper, args=(
                "http://127.0.0.1:%d/metrics" % leader.ports["metrics"], stop,
                sizes))
            try:
                if scraping:
                    t.start()
                rps, p50, p99 = bench.wrk([leader.url], "/api/messages",
                                          script, args.connections,
                                          args.seconds)
            finally:
                stop.set()
                if scraping:
                    t.join()
                for nd in nodes:
                    nd.stop()
            results[scraping].append(rps)
            print("  round %d, %-24s %8.0f/s  p50 %6.2f ms  p99 %6.2f ms%s" % (
                i + 1, "scraped every second:" if scraping else "no scraping:",
                rps, p50, p99, "  (%d scrapes, %d bytes each)" % (
                    len(sizes), sizes[-1]) if sizes else ""), flush=True)
    shutil.rmtree(root, ignore_errors=True)
    a, b = (statistics.median(results[k]) for k in (False, True))
    print("\nmedian sync creates/s: no scraping %.0f, scraped every second "
          "%.0f (%+.1f %%)" % (a, b, (b - a) * 100 / a))


if __name__ == "__main__":
    sys.exit(main())
