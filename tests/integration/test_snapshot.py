"""Raft snapshots taken in the background: a forked child serialises the
state while the node goes on applying; a restart comes back from the
snapshot with every message; a kill -9 of the node takes its snapshot
child with it; the in-place fallback still works."""

import os
import subprocess
import threading
import time

import pytest

from smsc import describe, scaled, wait_until

SMSCCTL = os.environ.get("SMSCCTL", "build/smscctl")


def load(node, seconds=1):
    """Fills the node through create_async; returns the stored count."""
    subprocess.run([SMSCCTL, "--node", node.url, "bench", "--scenario",
                    "create_async", "--duration", str(seconds), "--warmup",
                    "0", "--connections", "16"], check=True,
                   stdout=subprocess.DEVNULL)
    return count(node)


def count(node):
    text = node.metrics().text
    line = next(ln for ln in text.splitlines()
                if ln.startswith("sms_c_queue_size_pending"))
    return int(float(line.rsplit(" ", 1)[1]))


def processes_of(config_path):
    """pids whose command line names this node's config (the node and any
    child it forked)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if str(config_path).encode() in f.read():
                    out.append(int(pid))
        except OSError:
            pass
    return out


def snapshot(node):
    r = node.api.post("/api/cluster/snapshot", timeout=scaled(60))
    assert r.status_code == 200, describe(r)
    return r.json()["data"]


@pytest.mark.parametrize("background", [True, False],
                         ids=["background", "in_place"])
def test_snapshot_then_restart_keeps_every_message(make_node, background):
    node = make_node(raft={"snapshot_in_background": background})
    n = load(node)
    assert n > 1000
    before = {m["id"]: m for m in node.every_message()}
    taken = snapshot(node)
    assert taken["state_bytes"] > n * 100
    if background:  # compressed (raft_store/snap_lz4.h)
        assert 0 < taken["bytes"] < taken["state_bytes"] / 2
    else:
        assert taken["bytes"] == taken["state_bytes"]
    way = "in the background" if background else "in place"
    wait_until(lambda: way in node.log_tail(200), scaled(10),
               what=f"a snapshot log line '{way}'")
    # writes after the snapshot come back from the log on restart
    r = node.api.post("/api/messages", {
        "source_msisdn": "+15550000001", "destination_msisdn": "+15550000002",
        "message_body": "after the snapshot", "source_smsc": "test",
        "dest_smsc": "bench_gw"})
    assert r.status_code == 201, describe(r)
    before[r.json()["data"]["id"]] = r.json()["data"]
    node.stop()
    node.start()
    after = {m["id"]: m for m in node.every_message()}
    assert after.keys() == before.keys()
    assert after == before


def test_threshold_snapshots_do_not_stall_the_node(make_node):
    """Snapshots every 64 entries while clients write: each is taken in
    the background and the node answers throughout."""
    node = make_node(raft={"snapshot_threshold": 64, "snapshot_trailing": 8})
    load(node, seconds=2)
    log = node.log_tail(2000)
    taken = [ln for ln in log.splitlines() if "snapshot at index" in ln]
    assert taken, "no snapshot was taken"
    assert all("in the background" in ln for ln in taken), taken
    node.stop()
    node.start()
    assert count(node) > 1000


def test_kill_9_takes_the_snapshot_child_along(make_node):
    node = make_node()
    n = load(node, seconds=2)
    # ask for a snapshot and kill the node while its child serialises
    def ask():
        try:
            node.api.post("/api/cluster/snapshot", timeout=scaled(30))
        except OSError:
            pass  # the node dies under the request: expected
    asker = threading.Thread(target=ask, daemon=True)
    asker.start()
    wait_until(lambda: len(processes_of(node.config_path)) > 1, scaled(10),
               interval=0.002, what="the snapshot child")
    node.kill()
    wait_until(lambda: not processes_of(node.config_path), scaled(10),
               what="no process of the killed node left")
    node.start()
    assert count(node) == n
    time.sleep(0.1)
    assert snapshot(node)["bytes"] > 0
