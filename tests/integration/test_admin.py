"""Cluster administration over the API (SPEC §4 "Cluster and admin", §12):
the member list, leadership transfer, demote/promote, removing a member,
growing 3 → 5 and shrinking 5 → 3 under write load with nothing
acknowledged lost, replicated settings, and a leader's graceful SIGTERM
handing leadership over."""

import threading
import time

from smsc import (assert_error, create, describe, message_body, new_key, ok,
                  scaled, wait_until)
from test_cluster import assert_same_messages


def members(node):
    return {m["name"]: m for m in ok(node.api.get("/api/cluster"))["members"]}


def assert_same_state(nodes):
    """Every node reaches the same (applied index, state hash) — polled,
    as ticks keep the index moving."""
    def same():
        got = {(h["applied_index"], h["sha256"]) for h in
               (ok(n.api.get("/api/cluster/state_hash")) for n in nodes)}
        return len(got) == 1
    wait_until(same, scaled(15), interval=0.05,
               what="one state hash on every node")


def test_member_list_on_every_node(cluster3):
    c = cluster3
    lead = c.leader()
    # founders are listed from the start; each announces its API address
    wait_until(lambda: all(m["api_url"] for n in c.nodes
                           for m in members(n).values()), scaled(5),
               what="every member's api_url on every node")
    for n in c.nodes:
        got = ok(n.api.get("/api/cluster"))
        assert got["leader"] == lead.name
        assert sorted(got["members"][i]["name"] for i in range(3)) == \
            sorted(x.name for x in c.nodes)
        for m in got["members"]:
            assert m["role"] == "voter"
            assert m["api_url"].startswith("http://127.0.0.1:")
            assert m["raft_address"].startswith("127.0.0.1:")


def test_transfer_demote_promote(cluster3):
    c = cluster3
    lead = c.leader()
    target = c.followers()[0]
    # asked through the other follower: forwarded to the leader
    other = [n for n in c.followers() if n is not target][0]
    got = ok(other.api.post("/api/cluster/transfer", {"node": target.name}))
    assert got["leader"] == target.name
    wait_until(lambda: c.leader() is target, scaled(5), what="new leader")
    assert_error(target.api.post("/api/cluster/transfer", {"node": "nope"}),
                 404, "nope")
    # to any up-to-date voter
    got = ok(target.api.post("/api/cluster/transfer", {}))
    assert got["leader"] in {lead.name, other.name}
    lead = c.leader()
    standby = c.followers()[0]
    got = ok(lead.api.post(f"/api/cluster/nodes/{standby.name}/demote"))
    assert got == {"node": standby.name, "role": "standby"}
    wait_until(lambda: members(standby)[standby.name]["role"] == "standby",
               scaled(5), what="standby everywhere")
    # a standby still replicates and forwards writes
    m = create(standby)
    assert standby.message(m["id"])["id"] == m["id"]
    ok(standby.api.post(f"/api/cluster/nodes/{standby.name}/promote"))
    wait_until(lambda: all(members(n)[standby.name]["role"] == "voter"
                           for n in c.nodes), scaled(5), what="voter again")
    assert_error(lead.api.post("/api/cluster/nodes/ghost/promote"), 404,
                 "ghost")


def writer(cluster, stop, acked, errors):
    """Creates messages through the running nodes until stop, keeping the
    ids of every 201 (retrying with the same key on 503/connection loss)."""
    i = 0
    while not stop.is_set():
        key = f"grow-{i}-{new_key()}"
        body = message_body(message_body=f"grow {i}")
        for _ in range(50):
            nodes = [n for n in cluster.running_nodes]
            n = nodes[i % len(nodes)]
            try:
                r = n.api.post("/api/messages", body,
                               headers={"Idempotency-Key": key}, timeout=10)
            except Exception:  # noqa: BLE001 — node going away: retry
                time.sleep(0.1)
                continue
            if r.status_code == 201:
                acked.append(r.json()["data"]["id"])
                break
            if r.status_code != 503:
                errors.append(describe(r))
                break
            time.sleep(0.1)
        i += 1


def test_grow_to_five_and_shrink_to_three_under_load(make_cluster):
    c = make_cluster(3)
    stop, acked, errors = threading.Event(), [], []
    t = threading.Thread(target=writer, args=(c, stop, acked, errors))
    t.start()
    try:
        time.sleep(scaled(1))
        n4 = c.join_new_node("node4", via=c.followers()[0])
        n5 = c.join_new_node("node5", via=c.leader())
        wait_until(lambda: sum(m["role"] == "voter"
                               for m in members(c.leader()).values()) == 5,
                   scaled(20), what="five voters")
        time.sleep(scaled(1))
        # shrink: remove two of the founders, one of them the leader (which
        # must hand leadership over first)
        lead = c.leader()
        gone = [x for x in c.nodes[:3] if x is not lead][0]
        assert_error(gone.api.delete(f"/api/cluster/nodes/{gone.name}"), 409,
                     "another member")
        ok(lead.api.delete(f"/api/cluster/nodes/{gone.name}"))
        gone.stop()
        c.nodes.remove(gone)
        assert_error(lead.api.delete(f"/api/cluster/nodes/{lead.name}"), 409,
                     "move leadership first")
        ok(lead.api.post("/api/cluster/transfer", {}))
        wait_until(lambda: c.leader() is not lead, scaled(20),
                   what="a new leader after the transfer")
        ok(c.leader().api.delete(f"/api/cluster/nodes/{lead.name}"))
        lead.stop()
        c.nodes.remove(lead)
        new_lead = c.leader()
        wait_until(lambda: set(members(new_lead)) == {x.name for x in c.nodes},
                   scaled(10), what="three members left")
        time.sleep(scaled(1))
    finally:
        stop.set()
        t.join()
    assert not errors, errors[:3]
    assert len(acked) > 50, f"too few writes during the changes: {len(acked)}"
    assert len(set(acked)) == len(acked), "an id was acknowledged twice"
    got = assert_same_messages(c, expected_ids=acked)
    assert {m["id"] for m in got} >= set(acked)
    assert {n4.name, n5.name} <= set(members(c.leader()))


def test_settings_replicated_and_validated(cluster3):
    c = cluster3
    f = c.followers()[0]
    before = ok(f.api.get("/api/settings"))
    assert before["max_delivery_attempts"] == 0
    assert before["charging_failure_action"] == "allow"
    got = ok(f.api.patch("/api/settings", {"max_delivery_attempts": 3,
                                           "reject_unrouted": True}))
    assert got["max_delivery_attempts"] == 3 and got["reject_unrouted"]
    for n in c.nodes:
        wait_until(lambda n=n: ok(n.api.get("/api/settings"))
                   ["max_delivery_attempts"] == 3, scaled(5),
                   what=f"settings on {n.name}")
    assert_error(f.api.patch("/api/settings", {"max_delivery_attemptz": 1}),
                 422, "max_delivery_attemptz", "unknown setting")
    assert_error(f.api.patch("/api/settings", {"event_ttl_days": -1}), 422,
                 "event_ttl_days")
    assert_error(f.api.patch("/api/settings", {"cdr_enabled": "yes"}), 422,
                 "cdr_enabled", "true or false")
    assert ok(f.api.get("/api/settings"))["event_ttl_days"] == 7
    # the change is in the leader's log, with the request id
    logs = ok(c.leader().api.get("/api/logs"))
    assert any("settings: max_delivery_attempts 0 -> 3 request_id=" in l
               for l in logs), logs[-20:]
    # and it takes effect: a third failed attempt fails the message
    m = create(f, dest_smsc="gw")
    for _ in range(3):
        ok(f.api.put(f"/api/messages/{m['id']}", {}))
    assert f.message(m["id"])["status"] == "failed"


def test_sigterm_on_leader_hands_leadership_over(cluster3):
    c = cluster3
    lead = c.leader()
    term = lead.status()["term"]
    t0 = time.monotonic()
    assert lead.stop() == 0
    took = time.monotonic() - t0
    assert "leadership handed over before stopping" in lead.log_path \
        .read_text(), lead.log_tail()
    new = c.leader()
    assert new is not lead and new.status()["term"] > term
    assert took < scaled(8), f"stopping took {took:.1f} s"
    create(new)  # the cluster goes on at once


def test_join_after_ten_thousand_messages(make_cluster):
    """A node started with an empty data dir and --join after 10,000
    messages catches up (from a snapshot: the log was compacted) and then
    holds exactly what the others hold."""
    from test_cluster import submit_many
    config = {"raft": {"snapshot_threshold": 256, "snapshot_trailing": 64}}
    c = make_cluster(3, **config)
    records = submit_many(c, 10000, workers=32, prefix="big")
    assert len({m["id"] for m in records}) == 10000
    c.join_new_node("node4", via=c.followers()[0], config=config)
    wait_until(lambda: members(c.leader())["node4"]["role"] == "voter",
               scaled(30), what="node4 a voter")
    got = assert_same_messages(c, expected_ids=[m["id"] for m in records])
    assert len(got) == 10000
    assert_same_state(c.nodes)
