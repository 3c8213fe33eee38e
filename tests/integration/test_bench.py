"""smscctl bench, the load generator, against real nodes: every scenario
answers without errors, what it reports as acknowledged is what the node
stored, --rate paces the load, --nodes and --leader pick the targets.

The runs are short (1 s, 4 connections): these check the tool, not the
server's speed.
"""

import json
import os
import re
import subprocess

import pytest

import smsc
from smsc import scaled, wait_until

SMSCCTL = os.environ.get("SMSCCTL") or str(smsc.REPO / "build" / "smscctl")

SCENARIOS = ["create", "create_async", "raw", "raw_async", "fetch", "list"]


@pytest.fixture(autouse=True, scope="module")
def _binary():
    if not os.path.exists(SMSCCTL):
        pytest.skip(f"smscctl not found at {SMSCCTL}: run `make` or set "
                    "SMSCCTL")


def bench(url, tmp_path, *args, expect=0):
    """Runs smscctl bench against url; returns (JSON document, stdout)."""
    out = tmp_path / "bench.json"
    res = subprocess.run(
        [SMSCCTL, "--node", url, "bench", "--duration", "1", "--warmup", "0",
         "--connections", "4", "--json", str(out), *args],
        capture_output=True, text=True, timeout=scaled(120))
    assert res.returncode == expect, res.stderr + res.stdout
    return json.loads(out.read_text()), res.stdout


def stored(node):
    """Messages in the node's store, from its metrics."""
    m = re.search(r'^sms_c_queue_size_size\{queue_type="message_queue"\} '
                  r'(\d+)$', node.metrics().text, re.M)
    assert m, "no sms_c_queue_size_size in /metrics"
    return int(m.group(1))


def check_row(row, name):
    assert row["name"] == name
    for key in ("requests", "errors", "acknowledged", "sent", "req_per_s",
                "measured_s", "error_detail", "latency_ms", "stored_after_s"):
        assert key in row, key
    for key in ("mean", "p50", "p99", "max"):
        assert row["latency_ms"][key] >= 0
    assert row["requests"] > 0, row
    assert row["errors"] == 0, row
    assert row["latency_ms"]["p50"] <= row["latency_ms"]["max"]
    assert row["requests"] <= row["acknowledged"] <= row["sent"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_answers_and_stores_what_it_acknowledged(node, tmp_path,
                                                          scenario):
    before = stored(node)
    extra = ["--pending", "500"] if scenario == "fetch" else []
    doc, out = bench(node.url, tmp_path, "--scenario", scenario, *extra)
    assert doc["nodes"] == [node.url] and doc["targets"] == [node.url]
    assert doc["options"]["connections"] == 4
    assert doc["options"]["scenarios"] == [scenario]
    assert doc["started_at"]
    (row,) = doc["scenarios"]
    check_row(row, scenario)
    assert re.search(rf"^{scenario}\s+{row['requests']}\s+0\s", out, re.M), out
    if scenario in ("create", "raw"):
        # a 201 means committed: every one is there, and nothing else
        assert stored(node) - before == row["acknowledged"]
        assert row["stored_after_s"] is None
    elif scenario.endswith("async"):
        assert row["stored_after_s"] is not None
        assert stored(node) - before == row["acknowledged"]
    elif scenario == "fetch":
        # the setup queued 500, and the load read them without claiming
        assert stored(node) - before == 500
        pending = node.every_message(status="pending", dest_smsc="bench_fetch")
        assert len(pending) == 500
        # none leased: a claimed message would leave the ready queue
        r = node.api.get("/api/messages/queue",
                         params={"smsc": "bench_fetch", "limit": 1000})
        assert r.status_code == 200 and len(r.json()["data"]) == 500
    else:
        assert stored(node) == before


def test_raw_messages_differ(node, tmp_path):
    """Each raw submission has its own originator, so none is taken for a
    retransmission of another."""
    doc, _ = bench(node.url, tmp_path, "--scenario", "raw")
    msgs = node.every_message(source_smsc="bench")
    assert len(msgs) == doc["scenarios"][0]["acknowledged"]
    assert len({m["source_msisdn"] for m in msgs}) == len(msgs)


def test_rate_paces_an_open_loop(node, tmp_path):
    doc, _ = bench(node.url, tmp_path, "--scenario", "create", "--rate",
                   "200", "--duration", "2")
    row = doc["scenarios"][0]
    assert doc["options"]["rate"] == 200
    assert row["errors"] == 0
    assert 400 * 0.7 <= row["requests"] <= 400 * 1.3, row


def test_help_and_bad_options():
    res = subprocess.run([SMSCCTL, "bench", "--help"], capture_output=True,
                         text=True)
    assert res.returncode == 0
    for word in ("--rate", "--leader", "--nodes", "http://", "create_async",
                 "fetch"):
        assert word in res.stdout, word
    for args, named in ((["--frobnicate"], "--frobnicate"),
                        (["--connections", "0"], "--connections"),
                        (["--scenario", "nope"], "nope"),
                        (["--nodes", "https://127.0.0.1:1"], "http://")):
        res = subprocess.run([SMSCCTL, "bench", *args], capture_output=True,
                             text=True)
        assert res.returncode == 2, (args, res.stderr)
        assert named in res.stderr, (args, res.stderr)


def test_unreachable_node_exits_3(tmp_path):
    port = smsc.free_port()
    res = subprocess.run(
        [SMSCCTL, "--node", f"http://127.0.0.1:{port}", "--timeout", "2",
         "bench", "--scenario", "create_async", "--duration", "0.5",
         "--warmup", "0"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 3, res.stderr


def test_cluster_spread_and_leader(cluster3, tmp_path):
    leader = cluster3.leader()
    urls = [n.url for n in cluster3]
    before = stored(leader)
    doc, _ = bench(urls[0], tmp_path, "--scenario", "create", "--nodes",
                   ",".join(urls), "--connections", "6")
    assert doc["targets"] == urls
    row = doc["scenarios"][0]
    check_row(row, "create")
    wait_until(lambda: stored(leader) - before == row["acknowledged"],
               scaled(10), what="every acknowledged create stored")

    follower = cluster3.followers()[0]
    doc, _ = bench(follower.url, tmp_path, "--scenario", "create_async,list",
                   "--leader")
    assert doc["nodes"] == [follower.url]
    assert doc["targets"] == [leader.url]
    assert doc["options"]["leader"] is True
    for row, name in zip(doc["scenarios"], ["create_async", "list"]):
        check_row(row, name)
