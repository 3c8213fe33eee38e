"""Durability under kill -9 (SPEC §3: a 201 means committed on a majority
and applied): every acknowledged write survives a crash of one node or of
the whole cluster."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from smsc import describe, message_body, new_key, submit_until_answered


def records_by_id(node):
    return {m["id"]: m for m in node.every_message()}


def assert_all_present(node, acked):
    """acked: id -> record as answered before the crash.  Content may only
    differ in fields a tick could have changed since (none here: nothing is
    due), so the records must be equal."""
    now = records_by_id(node)
    missing = sorted(set(acked) - set(now))
    assert not missing, (
        f"{node.name} lost {len(missing)} of {len(acked)} acknowledged "
        f"messages: {missing[:20]}")
    changed = [i for i in acked if now[i] != acked[i]]
    assert not changed, (
        f"{node.name} changed {len(changed)} messages, e.g. "
        f"{acked[changed[0]]} -> {now[changed[0]]}")
    assert len(now) == len(acked), \
        f"{node.name} has {len(now) - len(acked)} unexpected messages"


@pytest.mark.parametrize("snapshots", [False, True], ids=["log", "snapshot"])
def test_single_node_survives_kill_9(make_node, snapshots):
    config = {"raft": {"snapshot_threshold": 32, "snapshot_trailing": 4}} \
        if snapshots else {}
    node = make_node(**config)
    acked = {}
    for i in range(120):
        r = node.api.post("/api/messages", message_body(
            message_body=f"durable {i} ✓", dest_smsc=f"smsc{i % 3}"))
        assert r.status_code == 201, describe(r)
        m = r.json()["data"]
        acked[m["id"]] = m
    # the last acknowledged writes change state, not only insert
    last_ids = sorted(acked)[-3:]
    r = node.api.post(f"/api/messages/{last_ids[0]}/mark_delivered", {})
    assert r.status_code == 200, describe(r)
    acked[last_ids[0]] = r.json()["data"]
    r = node.api.delete(f"/api/messages/{last_ids[1]}")
    assert r.status_code == 204, describe(r)
    del acked[last_ids[1]]
    r = node.api.patch(f"/api/messages/{last_ids[2]}", {"dest_smsc": "moved"})
    assert r.status_code == 200, describe(r)
    acked[last_ids[2]] = r.json()["data"]
    node.kill()  # right after the last acknowledgement

    node.start()
    assert_all_present(node, acked)
    r = node.api.post("/api/messages", message_body())
    assert r.status_code == 201, describe(r)
    assert r.json()["data"]["id"] not in acked, "an id was handed out twice"


def test_whole_cluster_survives_kill_9(make_cluster):
    c = make_cluster(3)
    nodes = c.nodes

    def one(i):
        order = nodes[i % 3:] + nodes[:i % 3]
        r = submit_until_answered(order, message_body(
            message_body=f"cluster durable {i}"), key=new_key())
        assert r.status_code == 201, describe(r)
        return r.json()["data"]

    with ThreadPoolExecutor(12) as ex:
        records = list(ex.map(one, range(150)))
    c.kill()  # every node, right after the last acknowledgement

    acked = {m["id"]: m for m in records}
    assert len(acked) == 150, "ids must be unique"
    c.start(bootstrap=False)
    c.wait_converged()
    for n in c:
        assert_all_present(n, acked)
