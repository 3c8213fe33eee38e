"""The frontend registry (SPEC §4 "Frontends (gateways)"): registration and
heartbeats through any node, expiry by replicated ticks after
frontend_timeout_seconds, history, stats, the client address (X-Forwarded-For
only from trusted_proxies), validation, the status metric, and the registry
surviving a snapshot install on a joining node."""

import re
import threading
import time

import pytest
import requests

import smsc
from smsc import assert_error, ok, parse_time, wait_until

TIMEOUT = 2  # frontend_timeout_seconds of the short-window clusters
FIELDS = {
    "id", "frontend_name", "frontend_type", "ip_address", "hostname",
    "uptime_seconds", "configuration", "status", "last_seen_at",
    "expires_at", "inserted_at", "updated_at",
}


def register(node, path="/api/frontends", headers=None, **fields):
    body = {"frontend_name": "smpp-gateway-1", "frontend_type": "smpp"}
    body.update(fields)
    return node.api.post(path, body, headers=headers)


def frontend(node, fe_id):
    return ok(node.api.get(f"/api/frontends/{fe_id}"))


def history(node, name):
    return ok(node.api.get(f"/api/frontends/history/{name}"))


def stats(node):
    return ok(node.api.get("/api/frontends/stats"))


def status_metric(node):
    """{"connected": n, "disconnected": n} from node's /metrics: the sum of
    sms_c_frontend_status_count{frontend_name, status} over the names."""
    text = node.metrics().text
    assert "# TYPE sms_c_frontend_status_count gauge" in text, text
    out = {"connected": 0, "disconnected": 0}
    for name, st, v in re.findall(
            r'^sms_c_frontend_status_count\{frontend_name="([^"]*)",'
            r'status="(connected|disconnected)"\} (\d+)$', text, re.M):
        out[st] += int(v)
    return out


@pytest.fixture
def short_cluster(make_cluster):
    """Three nodes whose frontends expire after TIMEOUT seconds of
    silence."""
    return make_cluster(3, frontend_timeout_seconds=TIMEOUT)


# --------------------------------------------------------------- lifecycle


def test_heartbeats_through_any_node_keep_it_active(short_cluster):
    c = short_cluster
    a, b, d = c.nodes
    first = ok(register(a, hostname="smpp-gw-01", uptime_seconds=10,
                        configuration={"port": 2775}), 201)
    assert set(first) == FIELDS
    assert first["status"] == "active"
    assert first["frontend_name"] == "smpp-gateway-1"
    assert first["configuration"] == {"port": 2775}
    assert first["inserted_at"] == first["last_seen_at"]
    assert (parse_time(first["expires_at"]) -
            parse_time(first["last_seen_at"])).total_seconds() == TIMEOUT
    fe_id = first["id"]

    # heartbeats through the other nodes, for well over the window: the
    # same row, refreshed, and read back at once from the answering node
    deadline = time.monotonic() + 3 * TIMEOUT
    i = 0
    while time.monotonic() < deadline:
        node = (b, d)[i % 2]
        path = ("/api/frontends", "/api/frontends/register")[i % 2]
        last_sent = time.monotonic()
        hb = ok(register(node, path, uptime_seconds=11 + i), 200)
        assert hb["id"] == fe_id and hb["status"] == "active", hb
        assert hb["uptime_seconds"] == 11 + i
        assert hb["hostname"] == "smpp-gw-01"  # left out: kept
        assert hb["configuration"] == {"port": 2775}
        assert frontend(node, fe_id)["status"] == "active"
        if i >= 2:  # every replica has the registration by now
            n = c.nodes[i % 3]
            assert [r["id"] for r in history(n, "smpp-gateway-1")] == [fe_id]
            assert [r["id"] for r in ok(n.api.get("/api/frontends/active"))] \
                == [fe_id]
            assert status_metric(n) == {"connected": 1, "disconnected": 0}
        i += 1
        time.sleep(TIMEOUT / 4)
    assert i >= 8
    assert hb["inserted_at"] == first["inserted_at"]
    assert parse_time(hb["last_seen_at"]) > parse_time(first["last_seen_at"])

    # silence: every node sees it expire, by the replicated ticks, and not
    # before the window has passed
    for n in c:
        wait_until(lambda: frontend(n, fe_id)["status"] == "expired",
                   TIMEOUT + 8, what=f"{n.name} to expire the frontend")
        assert time.monotonic() - last_sent >= TIMEOUT - 0.1
    for n in c:
        assert ok(n.api.get("/api/frontends/active")) == []
        assert stats(n) == {"active_count": 0, "expired_count": 1,
                            "unique_frontends": 1, "total_registrations": 1}
        wait_until(lambda: status_metric(n) == {"connected": 0,
                                                "disconnected": 1},
                   5, what=f"{n.name}'s frontend metric")

    # the next heartbeat is a new registration
    again = ok(register(d, uptime_seconds=1), 201)
    assert again["id"] > fe_id and again["status"] == "active"
    assert again["hostname"] is None  # a fresh row: nothing carried over
    assert again["configuration"] is None
    c.wait_converged()
    for n in c:
        rows = history(n, "smpp-gateway-1")
        assert [(r["id"], r["status"]) for r in rows] == \
            [(again["id"], "active"), (fe_id, "expired")]
        latest = ok(n.api.get("/api/frontends"))
        assert [r["id"] for r in latest] == [again["id"]]
        assert stats(n) == {"active_count": 1, "expired_count": 0,
                            "unique_frontends": 1, "total_registrations": 2}
        assert status_metric(n) == {"connected": 1, "disconnected": 0}


def test_lists_history_and_stats(make_node):
    window = 5  # long enough for the reads below, short enough to wait out
    n = make_node(frontend_timeout_seconds=window)
    ids = {}
    for name in ("uk_gateway_1", "ims-as", "map.gw"):
        ids[name] = ok(register(n, frontend_name=name), 201)["id"]
    wait_until(lambda: stats(n)["expired_count"] == 3, window + 8,
               what="the three frontends to expire")
    ims2 = ok(register(n, frontend_name="ims-as"), 201)["id"]
    uk2 = ok(register(n, frontend_name="uk_gateway_1"), 201)["id"]
    latest = ok(n.api.get("/api/frontends"))
    assert [(r["frontend_name"], r["id"], r["status"]) for r in latest] == [
        ("ims-as", ims2, "active"), ("map.gw", ids["map.gw"], "expired"),
        ("uk_gateway_1", uk2, "active")]
    active = ok(n.api.get("/api/frontends/active"))
    assert [r["id"] for r in active] == [ims2, uk2]
    assert stats(n) == {"active_count": 2, "expired_count": 1,
                        "unique_frontends": 3, "total_registrations": 5}
    assert [r["id"] for r in history(n, "ims-as")] == [ims2, ids["ims-as"]]
    assert [r["status"] for r in history(n, "ims-as")] == ["active", "expired"]
    assert [r["id"] for r in ok(n.api.get(
        "/api/frontends/history/ims-as", params={"limit": 1, "offset": 1}))] \
        == [ids["ims-as"]]
    assert ok(n.api.get("/api/frontends", params={"limit": 1, "offset": 1})) \
        == [latest[1]]
    assert frontend(n, ims2) == latest[0]
    # linearizable reads work too
    assert ok(n.api.get("/api/frontends/stats",
                        headers={"X-Consistency": "linearizable"}))[
        "total_registrations"] == 5
    assert status_metric(n) == {"connected": 2, "disconnected": 1}
    assert 'sms_c_store_table_size_record_count{table="frontends"} 5' in \
        n.metrics().text

    assert_error(n.api.get("/api/frontends/history/nobody"), 404,
                 "Frontend not registered")
    assert_error(n.api.get("/api/frontends/999999"), 404, "Frontend not found")
    assert_error(n.api.get("/api/frontends/abc"), 404, "Frontend not found")
    assert_error(n.api.get("/api/frontends", params={"limit": 0}), 422,
                 "limit")
    assert n.api.delete(f"/api/frontends/{ims2}").status_code == 405


# --------------------------------------------------------------- input


def test_validation_names_the_field(node):
    for body, status, frag in [
        ({}, 422, "frontend_name is required"),
        ({"frontend_type": "smpp"}, 422, "frontend_name is required"),
        ({"frontend_name": "has space"}, 422, "frontend_name must be"),
        ({"frontend_name": "x" * 129}, 422, "frontend_name must be"),
        ({"frontend_name": "gw", "frontend_type": 5}, 422, "frontend_type"),
        ({"frontend_name": "gw", "ip_address": "10.0.0.256"}, 422,
         "ip_address must be an IPv4 or IPv6 address"),
        ({"frontend_name": "gw", "uptime_seconds": -5}, 422,
         "uptime_seconds"),
        ({"frontend_name": "gw", "uptime_seconds": "5"}, 422,
         "uptime_seconds"),
        ({"frontend_name": "gw", "configuration": [1, 2]}, 422,
         "configuration must be a JSON object or a string holding one"),
        ({"frontend_name": "gw", "configuration": "{not json"}, 422,
         "configuration"),
        ({"frontend_name": "gw", "configuration": {"k": "v" * 9000}}, 422,
         "configuration must be at most 8192 bytes"),
        ({"frontend_name": "gw", "colour": "red"}, 422,
         "unknown field colour"),
    ]:
        assert_error(node.api.post("/api/frontends", body), status, frag)
    assert_error(node.api.post("/api/frontends", raw="{nope"), 400,
                 "Malformed JSON")
    assert_error(node.api.post("/api/frontends", raw="[1]"), 400,
                 "JSON object")
    assert stats(node)["total_registrations"] == 0


def test_configuration_as_object_or_string(node):
    as_obj = ok(register(node, frontend_name="gw-obj", configuration={
        "max_throughput": 1000, "bind_type": "transceiver",
        "nested": {"list": [1, 2.5, None, True]}}), 201)
    as_str = ok(register(node, frontend_name="gw-str", configuration=(
        '{"max_throughput": 1000, "bind_type": "transceiver", '
        '"nested": {"list": [1, 2.5, null, true]}}')), 201)
    want = {"max_throughput": 1000, "bind_type": "transceiver",
            "nested": {"list": [1, 2.5, None, True]}}
    assert as_obj["configuration"] == want
    assert as_str["configuration"] == want
    assert frontend(node, as_str["id"])["configuration"] == want
    # a heartbeat may change it, or leave it out and keep it
    hb = ok(register(node, frontend_name="gw-str",
                     configuration={"max_throughput": 5}))
    assert hb["configuration"] == {"max_throughput": 5}
    hb = ok(register(node, frontend_name="gw-str"))
    assert hb["configuration"] == {"max_throughput": 5}
    # the reference's example body, verbatim
    ref = ok(node.api.post("/api/frontends", {
        "frontend_name": "smpp-gateway-1", "frontend_type": "SMPP",
        "ip_address": "10.0.1.5", "hostname": "smpp-gw-01",
        "uptime_seconds": 3600,
        "configuration": "{\"port\": 2775, \"system_id\": \"smpp_user\"}"}),
        201)
    assert (ref["frontend_type"], ref["ip_address"], ref["hostname"],
            ref["uptime_seconds"]) == ("SMPP", "10.0.1.5", "smpp-gw-01", 3600)
    assert ref["configuration"] == {"port": 2775, "system_id": "smpp_user"}


# --------------------------------------------------------------- addresses


@pytest.fixture
def proxied_cluster(tmp_path):
    """Three nodes: node1 and node2 trust 127.0.0.1 as a proxy (and
    10.0.0.0/8), node3 trusts nobody."""
    c = smsc.Cluster(tmp_path / "proxied", size=3, config={
        "trusted_proxies": ["127.0.0.1", "10.0.0.0/8"]})
    c[2].config["trusted_proxies"] = []
    c[2].write_config()
    return c.start()


def test_ip_address_from_client_or_trusted_proxy(proxied_cluster):
    c = proxied_cluster
    lead = c.leader()
    print("leader:", lead.name)  # shown on failure: which path was forwarded
    for i, n in enumerate(c):
        trusted = n is not c[2]

        def ip_of(headers=None, **fields):
            r = ok(register(n, frontend_name=f"gw-{i}-{len(seen)}",
                            headers=headers, **fields), 201)
            seen.append(r)
            assert frontend(n, r["id"])["ip_address"] == r["ip_address"]
            return r["ip_address"]
        seen = []
        assert ip_of() == "127.0.0.1"
        xff = {"X-Forwarded-For": "203.0.113.7"}
        assert ip_of(xff) == ("203.0.113.7" if trusted else "127.0.0.1")
        # the nearest untrusted hop: trusted hops (10/8) are skipped
        chain = {"X-Forwarded-For": "198.51.100.9, 198.51.100.1, 10.1.2.3"}
        assert ip_of(chain) == ("198.51.100.1" if trusted else "127.0.0.1")
        assert ip_of({"X-Forwarded-For": "2001:DB8::7"}) == \
            ("2001:db8::7" if trusted else "127.0.0.1")
        assert ip_of({"X-Forwarded-For": "nonsense"}) == "127.0.0.1"
        # an address in the body wins
        assert ip_of(xff, ip_address="192.0.2.10") == "192.0.2.10"
    c.wait_converged()
    ips = {r["frontend_name"]: r["ip_address"]
           for r in ok(c[0].api.get("/api/frontends"))}
    assert len(ips) == 18
    for n in c:  # the same on every replica
        assert {r["frontend_name"]: r["ip_address"]
                for r in ok(n.api.get("/api/frontends"))} == ips


# --------------------------------------------------------------- snapshots


def test_registry_reaches_a_node_through_a_snapshot(make_cluster):
    config = {"raft": {"snapshot_threshold": 32, "snapshot_trailing": 4},
              "frontend_timeout_seconds": TIMEOUT}
    c = make_cluster(3, **config)
    a = c.nodes[0]
    old = ok(register(a, frontend_name="old-gw", configuration={"x": 1}), 201)
    busy = ok(register(a, frontend_name="busy-gw"), 201)
    # busy-gw heartbeats while node4 joins (so that it is active in the
    # snapshot node4 installs); old-gw is silent and expires
    stop = threading.Event()

    def heartbeats():
        i = 0
        while not stop.is_set():
            try:
                register(c.nodes[i % 3], frontend_name="busy-gw")
            except requests.RequestException:
                pass
            i += 1
            stop.wait(TIMEOUT / 5)
    t = threading.Thread(target=heartbeats)
    t.start()
    try:
        wait_until(lambda: frontend(a, old["id"])["status"] == "expired",
                   TIMEOUT + 8, what="old-gw to expire")
        time.sleep(3)  # ticks and heartbeats: well past the threshold
        fourth = c.join_new_node("node4", via=c.followers()[0],
                                 config=config)
        assert frontend(fourth, busy["id"])["status"] == "active"
    finally:
        stop.set()
        t.join()
    # its deadline heap came with the snapshot: busy-gw expires there too
    for n in c:
        wait_until(lambda: frontend(n, busy["id"])["status"] == "expired",
                   TIMEOUT + 8, what=f"busy-gw to expire on {n.name}")
    c.wait_converged()
    want = ok(a.api.get("/api/frontends"))
    assert [(r["frontend_name"], r["status"]) for r in want] == \
        [("busy-gw", "expired"), ("old-gw", "expired")]
    assert history(fourth, "old-gw")[0]["configuration"] == {"x": 1}
    assert stats(fourth) == {"active_count": 0, "expired_count": 2,
                             "unique_frontends": 2, "total_registrations": 2}
    assert status_metric(fourth) == {"connected": 0, "disconnected": 2}
    for n in c:
        assert ok(n.api.get("/api/frontends")) == want, n.name
