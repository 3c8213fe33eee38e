"""Three-node clusters (SPEC §1, §3, §4): replication, forwarding,
read-your-writes, failover, restarts, leases across nodes and joining."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from smsc import (assert_error, create, describe, message_body, new_key,
                  scaled, submit_until_answered, wait_until)


# --------------------------------------------------------------- helpers


def by_id(records):
    return {m["id"]: m for m in records}


def assert_same_messages(cluster, nodes=None, expected_ids=None):
    """After convergence, every node (default: every running one) holds the
    same full set of message records; returns one node's list."""
    nodes = nodes or cluster.running_nodes
    cluster.wait_converged(nodes=nodes)
    lists = {n.name: n.every_message() for n in nodes}
    ref_name, ref_list = next(iter(lists.items()))
    ref = by_id(ref_list)
    for name, records in lists.items():
        got = by_id(records)
        assert len(got) == len(records), f"{name} lists an id twice"
        only_here = sorted(set(got) - set(ref))
        only_there = sorted(set(ref) - set(got))
        differ = [i for i in set(got) & set(ref) if got[i] != ref[i]]
        assert not (only_here or only_there or differ), (
            f"{name} and {ref_name} disagree: only on {name}: "
            f"{only_here[:10]}, only on {ref_name}: {only_there[:10]}, "
            f"different content: "
            + "; ".join(f"{got[i]} vs {ref[i]}" for i in differ[:2]))
    if expected_ids is not None:
        missing = sorted(set(expected_ids) - set(ref))
        extra = sorted(set(ref) - set(expected_ids))
        assert not (missing or extra), (
            f"missing {len(missing)}: {missing[:20]}; unexpected "
            f"{len(extra)}: {extra[:20]}")
    return ref_list


def submit_many(cluster, count, workers=32, prefix="bulk", **fields):
    """count creates spread over the running nodes, each with its own
    Idempotency-Key and retried on 503/connection errors; returns the
    records of the 201 answers in submission order."""
    nodes = cluster.running_nodes

    def one(i):
        # start on the node this message is assigned to, then rotate
        order = nodes[i % len(nodes):] + nodes[:i % len(nodes)]
        r = submit_until_answered(order, message_body(
            message_body=f"{prefix} {i}", **fields),
            key=f"{prefix}-{i}-{new_key()}")
        assert r.status_code == 201, describe(r)
        return r.json()["data"]

    with ThreadPoolExecutor(workers) as ex:
        return list(ex.map(one, range(count)))


# --------------------------------------------------------------- status


def test_status_agrees_on_leader_and_cluster_id(cluster3):
    sts = {n.name: n.status() for n in cluster3}
    leaders = {s["leader"] for s in sts.values()}
    assert len(leaders) == 1, f"nodes disagree on the leader: {sts}"
    leader = leaders.pop()
    assert leader in sts
    assert len({s["cluster_id"] for s in sts.values()}) == 1, sts
    assert all(s["cluster_id"] for s in sts.values())
    roles = sorted(s["role"] for s in sts.values())
    assert roles == ["follower", "follower", "leader"], sts
    assert sts[leader]["role"] == "leader"
    for name, s in sts.items():
        assert s["node"] == name


# --------------------------------------------------------------- replication


def test_write_on_any_node_is_readable_everywhere(cluster3):
    created = []
    for n in cluster3:
        m = create(n, message_body=f"written on {n.name}")
        created.append(m)
        # read-your-write on the node that answered, at once
        assert n.message(m["id"]) == m, \
            f"{n.name} answered 201 but cannot read the message back"
    assert len({m["id"] for m in created}) == 3
    cluster3.wait_converged()
    for n in cluster3:
        for m in created:
            assert n.message(m["id"]) == m, f"{n.name} differs on {m['id']}"


def test_write_on_a_follower_returns_the_record(cluster3):
    follower = cluster3.followers()[0]
    r = follower.api.post("/api/messages", message_body(dest_smsc="smscF"))
    assert r.status_code == 201, describe(r)
    m = r.json()["data"]
    assert isinstance(m["id"], int) and m["status"] == "pending"
    assert m["dest_smsc"] == "smscF"
    assert m["origin_node"] == follower.name


def test_every_write_kind_through_a_follower_is_read_back_at_once(cluster3):
    f = cluster3.followers()[0]
    m = create(f, dest_smsc="smscF")

    r = f.api.patch(f"/api/messages/{m['id']}", {"dest_smsc": "smscG"})
    assert r.status_code == 200, describe(r)
    assert f.message(m["id"])["dest_smsc"] == "smscG"

    r = f.api.put(f"/api/messages/{m['id']}")
    assert r.status_code == 200, describe(r)
    assert f.message(m["id"])["delivery_attempts"] == 1

    r = f.api.post(f"/api/messages/{m['id']}/mark_delivered", {})
    assert r.status_code == 200, describe(r)
    assert f.message(m["id"])["status"] == "delivered"
    r = f.api.post(f"/api/messages/{m['id']}/mark_delivered", {})
    assert r.status_code == 409, describe(r)

    r = f.api.delete(f"/api/messages/{m['id']}")
    assert r.status_code == 204, describe(r)
    assert f.message(m["id"]) is None

    cluster3.wait_converged()
    for n in cluster3:
        assert n.message(m["id"]) is None, f"{n.name} still has {m['id']}"


def test_validation_errors_on_a_follower(cluster3):
    f = cluster3.followers()[0]
    body = message_body()
    del body["source_smsc"]
    assert_error(f.api.post("/api/messages", body), 422,
                 "source_smsc is required")
    assert_error(f.api.patch("/api/messages/424242", {"status": "delivered"}),
                 404, "Message not found")


def test_600_concurrent_creates_over_three_nodes(cluster3):
    started = time.monotonic()
    records = submit_many(cluster3, 600, prefix="c600")
    elapsed = time.monotonic() - started
    ids = [m["id"] for m in records]
    assert len(set(ids)) == 600, f"{600 - len(set(ids))} duplicate ids"
    bodies = sorted(m["message_body"] for m in records)
    assert bodies == sorted(f"c600 {i}" for i in range(600))
    assert_same_messages(cluster3, expected_ids=ids)
    print(f"600 creates in {elapsed:.1f} s")


def test_linearizable_read_from_a_follower(cluster3):
    leader = cluster3.leader()
    followers = cluster3.followers()
    for i in range(20):
        m = create(leader, message_body=f"lin {i}")
        f = followers[i % 2]
        if i % 2:
            r = f.api.get(f"/api/messages/{m['id']}",
                          headers={"X-Consistency": "linearizable"})
        else:
            r = f.api.get(f"/api/messages/{m['id']}",
                          params={"consistent": "true"})
        assert r.status_code == 200, \
            f"linearizable read on {f.name} missed a committed write: {describe(r)}"
        assert r.json()["data"] == m


def lease_fetch_by_header(node, smsc_name, limit, lease_seconds):
    return node.api.get("/api/messages", headers={"smsc": smsc_name},
                        params={"limit": limit, "lease_seconds": lease_seconds})


def lease_fetch_by_query(node, smsc_name, limit, lease_seconds):
    return node.api.get("/api/messages/get_by_smsc",
                        params={"smsc": smsc_name, "limit": limit,
                                "lease_seconds": lease_seconds})


@pytest.mark.parametrize("fetch", [lease_fetch_by_header, lease_fetch_by_query],
                         ids=["smsc-header", "get_by_smsc"])
def test_leases_through_two_nodes_never_overlap(cluster3, fetch):
    created = submit_many(cluster3, 60, workers=8, prefix="lease",
                          dest_smsc="smscL")
    ids = [m["id"] for m in created]
    cluster3.wait_converged()

    got = {}

    def poll(node):
        mine = []
        empty = 0
        deadline = time.monotonic() + scaled(30)
        # a correct server runs dry after 60 ids; a broken one must not
        # keep this loop going forever
        while empty < 2 and len(mine) <= len(ids) and \
                time.monotonic() < deadline:
            r = fetch(node, "smscL", limit=7, lease_seconds=60)
            if r.status_code == 503:
                continue
            assert r.status_code == 200, describe(r)
            batch = [m["id"] for m in r.json()["data"]]
            empty = empty + 1 if not batch else 0
            mine += batch
        got[node.name] = mine

    a, b = cluster3.followers()  # both forward their lease writes
    threads = [threading.Thread(target=poll, args=(n,)) for n in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=scaled(60))
    assert set(got) == {a.name, b.name}, "a poller did not finish"
    both = got[a.name] + got[b.name]
    twice = sorted(i for i, k in Counter(both).items() if k > 1)
    assert not twice, (
        f"{len(twice)} messages handed out more than once: {twice[:20]} "
        f"({a.name} got {got[a.name][:20]}..., {b.name} got {got[b.name][:20]}...)")
    assert sorted(both) == sorted(ids), "every message is leased exactly once"


# --------------------------------------------------------------- failover


def test_leader_kill_loses_no_acknowledged_write(cluster3):
    c = cluster3
    old = c.leader()
    acked = {}  # body -> record, for every 201
    lock = threading.Lock()
    stop = threading.Event()
    errors = []

    def writer(wid):
        i = 0
        try:
            while not stop.is_set():
                body = f"w{wid}-{i}"
                r = submit_until_answered(lambda: c.running_nodes,
                                          message_body(message_body=body),
                                          key=f"{body}-{new_key()}")
                assert r.status_code == 201, describe(r)
                with lock:
                    acked[body] = r.json()["data"]
                i += 1
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: len(acked) >= 20, 20, what="writes before the kill")
        old.kill()
        killed_at = time.monotonic()

        # a fresh write, submitted after the kill, on the survivors
        r = submit_until_answered(lambda: c.running_nodes,
                                  message_body(message_body="after the kill"),
                                  key=new_key(), timeout=30)
        resumed = time.monotonic() - killed_at
        assert r.status_code == 201, describe(r)
        assert resumed < scaled(10), f"writes resumed only after {resumed:.1f} s"
        print(f"writes resumed {resumed:.2f} s after kill -9 of the leader")
        acked["after the kill"] = r.json()["data"]
        time.sleep(1)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=scaled(60))
    assert not errors, f"a writer failed: {errors[0]!r}"

    new = c.leader()
    assert new is not old and new.running
    survivors = c.running_nodes
    records = assert_same_messages(c, nodes=survivors)
    check_acked_present_once(records, acked)

    old.start()
    records = assert_same_messages(c)
    check_acked_present_once(records, acked)


def check_acked_present_once(records, acked):
    bodies = {}
    for m in records:
        bodies.setdefault(m["message_body"], []).append(m)
    dup = {b: [m["id"] for m in ms] for b, ms in bodies.items() if len(ms) > 1}
    assert not dup, f"retried writes were applied twice: {dup}"
    lost = [b for b, m in acked.items()
            if b not in bodies or bodies[b][0]["id"] != m["id"]]
    assert not lost, f"{len(lost)} acknowledged messages lost: {lost[:10]}"


def test_whole_cluster_restart_keeps_everything(cluster3):
    records = submit_many(cluster3, 30, workers=6, prefix="restart")
    leader = cluster3.leader()
    for m in records[:5]:
        r = leader.api.post(f"/api/messages/{m['id']}/mark_delivered", {})
        assert r.status_code == 200, describe(r)
    cluster_id = leader.status()["cluster_id"]
    before = assert_same_messages(cluster3)

    cluster3.stop()
    for n in cluster3:
        assert n.proc.returncode == 0, f"{n.name} exited {n.proc.returncode} on SIGTERM"
    cluster3.start(bootstrap=False)

    after = assert_same_messages(cluster3)
    assert by_id(after) == by_id(before)
    assert {s["cluster_id"] for s in cluster3.statuses().values()} == {cluster_id}
    m = create(cluster3.nodes[0])
    assert m["id"] not in by_id(before), "ids must stay unique after a restart"


# --------------------------------------------------------------- membership


@pytest.mark.parametrize("snapshots", [False, True], ids=["log", "snapshot"])
def test_fourth_node_joins_and_catches_up(make_cluster, snapshots):
    config = {"raft": {"snapshot_threshold": 64, "snapshot_trailing": 8}} \
        if snapshots else {}
    c = make_cluster(3, **config)
    records = submit_many(c, 150, workers=12, prefix="join")
    before = assert_same_messages(c)

    fourth = c.join_new_node("node4", via=c.followers()[0], config=config)
    st = fourth.status()
    leader = c.leader()
    assert st["leader"] == leader.name, f"node4 does not see the leader: {st}"
    assert st["cluster_id"] == leader.status()["cluster_id"]

    after = assert_same_messages(c)  # all four nodes
    assert by_id(after) == by_id(before)
    assert len(after) == len(records)

    # it is a full member: it takes writes and they reach everyone
    m = create(fourth, message_body="via node4")
    assert fourth.message(m["id"]) == m
    assert_same_messages(c)
    # it stops gracefully, and restarts as a member without --join
    assert fourth.stop() == 0, "SIGTERM must stop the joined node (exit 0)"
    fourth.start()
    assert fourth.status()["leader"] == c.leader().name
    assert_same_messages(c)
