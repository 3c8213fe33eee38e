"""MMS messages and SS7 events (SPEC §4 "MMS and SS7"): CRUD through
different nodes of a 3-node cluster with read-back, the mms_message_queues
aliases, validation errors, lists with filters, idempotent retries, and
survival of restarts with snapshots."""

import pytest

from smsc import (assert_error, describe, new_key, ok, parse_time, scaled,
                  utcnow, wait_until)

LIN = {"X-Consistency": "linearizable"}

MMS_FIELDS = {
    "id", "source_msisdn", "destination_msisdn", "subject", "content_type",
    "content_location", "message_size", "status", "inserted_at", "updated_at",
}
SS7_FIELDS = {
    "id", "event_type", "imsi", "msisdn", "timestamp", "details",
    "inserted_at", "updated_at",
}


def mms_body(**overrides):
    """The reference documentation's example MMS."""
    body = {
        "source_msisdn": "+15551234567",
        "destination_msisdn": "+447700900000",
        "subject": "Photo",
        "content_type": "image/jpeg",
        "content_location": "https://cdn.example.com/media/12345.jpg",
        "message_size": 524288,
    }
    body.update(overrides)
    return body


def ss7_body(**overrides):
    """The reference documentation's example SS7 event."""
    body = {
        "event_type": "MAP_UPDATE_LOCATION",
        "imsi": "001001000000001",
        "msisdn": "+15551234567",
    }
    body.update(overrides)
    return body


def get(node, path, **params):
    """A linearizable GET: the record, or None on 404."""
    r = node.api.get(path, headers=LIN, params=params or None)
    if r.status_code == 404:
        return None
    return ok(r)


def every(node, path, page=1000, **params):
    """Every row of a list, paging through it (linearizable)."""
    out = []
    while True:
        batch = ok(node.api.get(path, headers=LIN, params={
            "limit": page, "offset": len(out), **params}))
        out += batch
        if len(batch) < page:
            return out


def recent(ts, seconds=60):
    t = parse_time(ts)
    return abs((utcnow() - t).total_seconds()) < scaled(seconds)


# --------------------------------------------------------------- MMS


def test_mms_crud_through_different_nodes(cluster3):
    leader = cluster3.leader()
    f1, f2 = cluster3.followers()

    m = ok(f1.api.post("/api/mms_messages", mms_body()), 201)
    assert set(m) == MMS_FIELDS, m
    assert m["status"] == "pending" and m["message_size"] == 524288
    assert isinstance(m["id"], int) and m["id"] > 0
    assert m["inserted_at"] == m["updated_at"] and recent(m["inserted_at"])
    # read-your-write on the node that answered, then anywhere
    assert ok(f1.api.get(f"/api/mms_messages/{m['id']}")) == m
    assert get(f2, f"/api/mms_messages/{m['id']}") == m
    assert get(leader, f"/api/mms_messages/{m['id']}") == m

    p = ok(f2.api.patch(f"/api/mms_messages/{m['id']}",
                        {"status": "delivered", "subject": None}))
    assert p["status"] == "delivered" and p["subject"] is None
    assert p["content_type"] == "image/jpeg" and p["id"] == m["id"]
    assert p["inserted_at"] == m["inserted_at"]
    assert ok(f2.api.get(f"/api/mms_messages/{m['id']}")) == p
    assert get(f1, f"/api/mms_messages/{m['id']}") == p

    second = ok(leader.api.post("/api/mms_messages",
                                mms_body(destination_msisdn="+447700900001")),
                201)
    assert second["id"] > m["id"]
    assert [x["id"] for x in ok(f1.api.get(
        "/api/mms_messages", headers=LIN,
        params={"status": "delivered"}))] == [m["id"]]
    assert [x["id"] for x in ok(f2.api.get(
        "/api/mms_messages", headers=LIN,
        params={"status": "pending"}))] == [second["id"]]

    r = f2.api.delete(f"/api/mms_messages/{m['id']}")
    assert r.status_code == 204, describe(r)
    assert_error(f2.api.get(f"/api/mms_messages/{m['id']}"), 404,
                 "MMS message not found")
    assert get(f1, f"/api/mms_messages/{m['id']}") is None
    assert_error(f1.api.delete(f"/api/mms_messages/{m['id']}"), 404,
                 "MMS message not found")
    assert_error(f1.api.patch(f"/api/mms_messages/{m['id']}",
                              {"status": "failed"}), 404,
                 "MMS message not found")

    cluster3.wait_converged()
    for n in cluster3:
        assert [x["id"] for x in every(n, "/api/mms_messages")] == \
            [second["id"]], n.name


def test_mms_message_queues_alias(cluster3):
    f = cluster3.followers()[0]
    a = ok(f.api.post("/api/mms_message_queues", mms_body()), 201)
    b = ok(f.api.post("/api/mms_messages", mms_body(subject="two")), 201)
    assert ok(f.api.get(f"/api/mms_messages/{a['id']}")) == a
    assert ok(f.api.get(f"/api/mms_message_queues/{b['id']}")) == b
    assert ok(f.api.get("/api/mms_message_queues")) == \
        ok(f.api.get("/api/mms_messages")) == [a, b]
    p = ok(f.api.patch(f"/api/mms_message_queues/{a['id']}",
                       {"status": "failed"}))
    assert p["status"] == "failed"
    assert ok(f.api.get(f"/api/mms_messages/{a['id']}")) == p
    r = f.api.delete(f"/api/mms_message_queues/{b['id']}")
    assert r.status_code == 204, describe(r)
    assert_error(f.api.get(f"/api/mms_messages/{b['id']}"), 404,
                 "MMS message not found")
    paths = f.api.get("/api/openapi.json").json()["paths"]
    for p in ("/api/mms_messages", "/api/mms_messages/{id}",
              "/api/mms_message_queues", "/api/mms_message_queues/{id}",
              "/api/ss7_events", "/api/ss7_events/{id}"):
        assert p in paths, p
    assert set(paths["/api/ss7_events/{id}"]) == {"get", "patch", "delete"}


MMS_ERRORS = [
    ({"destination_msisdn": "+447700900000"}, 422,
     "source_msisdn is required"),
    ({"source_msisdn": "+15551234567"}, 422, "destination_msisdn is required"),
    (mms_body(destination_msisdn="not a number"), 422,
     "Invalid phone number format (destination_msisdn)"),
    (mms_body(source_msisdn="+1234567890123456789"), 422,
     "Invalid phone number format (source_msisdn)"),
    (mms_body(message_size=-1), 422, "message_size must be an integer >= 0"),
    (mms_body(message_size="big"), 422,
     "message_size must be an integer >= 0"),
    (mms_body(status="dropped"), 422,
     "status must be one of pending, delivered, failed, expired"),
    (mms_body(subject=5), 422, "subject must be a string or null"),
    (mms_body(content_type="x" * 256), 422,
     "content_type must be at most 255 bytes long"),
    (mms_body(colour="red"), 422, "unknown field colour"),
]


@pytest.mark.parametrize("body,status,detail", MMS_ERRORS)
def test_mms_validation(node, body, status, detail):
    assert_error(node.api.post("/api/mms_messages", body), status, detail)


def test_mms_validation_on_a_follower_and_in_patches(cluster3):
    f = cluster3.followers()[0]
    for body, status, detail in MMS_ERRORS[:4]:
        assert_error(f.api.post("/api/mms_message_queues", body), status,
                     detail)
    m = ok(f.api.post("/api/mms_messages", mms_body()), 201)
    # a PATCH is checked against the merged record, on the leader
    assert_error(f.api.patch(f"/api/mms_messages/{m['id']}",
                             {"destination_msisdn": None}), 422,
                 "destination_msisdn is required")
    assert_error(f.api.patch(f"/api/mms_messages/{m['id']}",
                             {"message_size": 1.5}), 422, "message_size")
    assert_error(f.api.patch(f"/api/mms_messages/{m['id']}", {"id": 9,
                             "nope": 1}), 422, "unknown field nope")
    assert ok(f.api.get(f"/api/mms_messages/{m['id']}")) == m
    assert_error(f.api.post("/api/mms_messages", raw="{not json"), 400)
    assert_error(f.api.post("/api/mms_messages", raw="[1]"), 400)
    assert_error(f.api.patch(f"/api/mms_messages/{m['id']}", raw="{"), 400)
    for bad in ("abc", "0", "-3"):
        assert_error(f.api.get(f"/api/mms_messages/{bad}"), 404,
                     "MMS message not found")
        assert_error(f.api.delete(f"/api/mms_messages/{bad}"), 404,
                     "MMS message not found")
    assert_error(f.api.get("/api/mms_messages", params={"status": "sent"}),
                 422, "status must be one of")
    assert_error(f.api.get("/api/mms_messages", params={"limit": 0}), 422,
                 "limit")
    assert_error(f.api.get("/api/mms_messages", params={"offset": -1}), 422,
                 "offset")


def test_mms_lists_page_and_filter(node):
    ids = []
    for i in range(12):
        body = mms_body(destination_msisdn=f"+4477009000{i % 3:02d}",
                        status=["pending", "failed"][i % 2])
        ids.append(ok(node.api.post("/api/mms_messages", body), 201)["id"])
    assert [m["id"] for m in ok(node.api.get("/api/mms_messages"))] == ids
    assert [m["id"] for m in ok(node.api.get(
        "/api/mms_messages", params={"limit": 5, "offset": 3}))] == ids[3:8]
    assert ok(node.api.get("/api/mms_messages",
                           params={"offset": 12})) == []
    failed = ok(node.api.get("/api/mms_messages",
                             params={"status": "failed"}))
    assert [m["id"] for m in failed] == ids[1::2]
    to0 = ok(node.api.get("/api/mms_messages",
                          params={"destination_msisdn": "+447700900000"}))
    assert [m["id"] for m in to0] == ids[0::3]
    both = ok(node.api.get("/api/mms_messages", params={
        "destination_msisdn": "+447700900000", "status": "failed",
        "source_msisdn": "+15551234567", "limit": 1, "offset": 1}))
    assert [m["id"] for m in both] == [ids[9]]
    assert ok(node.api.get("/api/mms_messages",
                           params={"source_msisdn": "+1999"})) == []


def test_idempotent_create(cluster3):
    f = cluster3.followers()[0]
    key = new_key()
    a = ok(f.api.post("/api/mms_messages", mms_body(),
                      headers={"Idempotency-Key": key}), 201)
    b = f.api.post("/api/mms_messages", mms_body(),
                   headers={"Idempotency-Key": key})
    assert b.status_code == 201, describe(b)
    assert b.json()["data"]["id"] == a["id"]
    assert len(every(cluster3.leader(), "/api/mms_messages")) == 1
    key = new_key()
    e = ok(cluster3.leader().api.post("/api/ss7_events", ss7_body(),
                                      headers={"Idempotency-Key": key}), 201)
    e2 = ok(f.api.post("/api/ss7_events", ss7_body(),
                       headers={"Idempotency-Key": key}), 201)
    assert e2["id"] == e["id"]
    assert len(every(f, "/api/ss7_events")) == 1


# --------------------------------------------------------------- SS7


def test_ss7_crud_through_different_nodes(cluster3):
    leader = cluster3.leader()
    f1, f2 = cluster3.followers()

    e = ok(f1.api.post("/api/ss7_events", ss7_body()), 201)
    assert set(e) == SS7_FIELDS, e
    assert e["event_type"] == "MAP_UPDATE_LOCATION"
    assert e["details"] is None
    assert recent(e["timestamp"]), "timestamp defaults to now"
    assert get(f2, f"/api/ss7_events/{e['id']}") == e

    details = {"vlr_number": "+46700000001", "msc": "msc-1",
               "cause": [1, 2.5, None, True], "nested": {"a": {"b": "é"}}}
    when = "2025-10-30T14:00:00+02:00"
    d = ok(leader.api.post("/api/ss7_events", ss7_body(
        event_type="MAP_SEND_AUTHENTICATION_INFO", msisdn=None,
        timestamp=when, details=details)), 201)
    assert d["timestamp"] == "2025-10-30T12:00:00Z"
    assert d["details"] == details and d["msisdn"] is None
    assert get(f1, f"/api/ss7_events/{d['id']}") == d

    p = ok(f2.api.patch(f"/api/ss7_events/{e['id']}", {
        "event_type": "MAP_CANCEL_LOCATION", "details": "text only",
        "timestamp": "2026-01-01T00:00:00Z"}))
    assert p["event_type"] == "MAP_CANCEL_LOCATION"
    assert p["details"] == "text only"
    assert p["timestamp"] == "2026-01-01T00:00:00Z"
    assert p["imsi"] == e["imsi"] and p["inserted_at"] == e["inserted_at"]
    assert get(f1, f"/api/ss7_events/{e['id']}") == p
    # leaving the timestamp out of a PATCH keeps it
    q = ok(f1.api.patch(f"/api/ss7_events/{e['id']}", {"imsi": None}))
    assert q["timestamp"] == p["timestamp"] and q["imsi"] is None

    lst = ok(f2.api.get("/api/ss7_events", headers=LIN,
                        params={"event_type": "MAP_CANCEL_LOCATION"}))
    assert [x["id"] for x in lst] == [e["id"]]
    lst = ok(f2.api.get("/api/ss7_events", headers=LIN,
                        params={"imsi": "001001000000001"}))
    assert [x["id"] for x in lst] == [d["id"]]
    lst = ok(f2.api.get("/api/ss7_events", headers=LIN,
                        params={"msisdn": "+15551234567"}))
    assert [x["id"] for x in lst] == [e["id"]]

    r = leader.api.delete(f"/api/ss7_events/{e['id']}")
    assert r.status_code == 204, describe(r)
    assert get(f2, f"/api/ss7_events/{e['id']}") is None
    assert_error(f2.api.get(f"/api/ss7_events/{e['id']}"), 404,
                 "SS7 event not found")
    assert_error(f1.api.patch(f"/api/ss7_events/{e['id']}", {}), 404,
                 "SS7 event not found")
    assert_error(f1.api.delete(f"/api/ss7_events/{e['id']}"), 404,
                 "SS7 event not found")
    cluster3.wait_converged()
    for n in cluster3:
        assert every(n, "/api/ss7_events") == [d], n.name


SS7_ERRORS = [
    ({}, 422, "event_type is required"),
    (ss7_body(event_type=None), 422, "event_type is required"),
    (ss7_body(event_type="map_update_location"), 422,
     "event_type must be an upper-case identifier"),
    (ss7_body(event_type="MAP UPDATE"), 422,
     "event_type must be an upper-case identifier"),
    (ss7_body(event_type="M" * 65), 422,
     "event_type must be at most 64 bytes long"),
    (ss7_body(imsi="1234"), 422, "imsi must be 5 to 15 digits"),
    (ss7_body(imsi=1234567), 422, "imsi must be a string or null"),
    (ss7_body(msisdn="nope"), 422, "Invalid phone number format (msisdn)"),
    (ss7_body(timestamp="yesterday"), 422,
     "timestamp must be an RFC 3339 time"),
    (ss7_body(timestamp=None), 422, "timestamp must be an RFC 3339 time"),
    (ss7_body(details="x" * 9000), 422,
     "details must be at most 8192 bytes as compact JSON"),
    (ss7_body(subject="x"), 422, "unknown field subject"),
]


@pytest.mark.parametrize("body,status,detail", SS7_ERRORS)
def test_ss7_validation(node, body, status, detail):
    assert_error(node.api.post("/api/ss7_events", body), status, detail)


def test_ss7_details_kept_as_json(node):
    for value in ({"a": 1, "b": [1, 2, {"c": None}]}, [1, "two", 3.5], "s",
                  42, True, {}):
        e = ok(node.api.post("/api/ss7_events", ss7_body(details=value)), 201)
        assert e["details"] == value
        assert ok(node.api.get(f"/api/ss7_events/{e['id']}"))["details"] == \
            value
    # the largest accepted: 8192 bytes as compact JSON
    big = "y" * 8190
    e = ok(node.api.post("/api/ss7_events", ss7_body(details=big)), 201)
    assert e["details"] == big
    # key order is kept
    text = '{"event_type":"MAP_X","details":{"z":1,"a":2}}'
    e = ok(node.api.post("/api/ss7_events", raw=text), 201)
    r = node.api.get(f"/api/ss7_events/{e['id']}")
    assert '"details":{"z":1,"a":2}' in r.text, r.text


# --------------------------------------------------------------- durability


def snapshot_files(node):
    return sorted(p.name for p in node.data_dir.rglob("snapshot-*")
                  if not p.name.endswith(".meta"))


def test_media_survive_restarts_and_snapshots(make_cluster):
    c = make_cluster(3, raft={"snapshot_threshold": 32,
                              "snapshot_trailing": 4})
    nodes = list(c)
    mms, ss7 = {}, {}
    for i in range(40):
        n = nodes[i % 3]
        m = ok(n.api.post("/api/mms_messages", mms_body(
            subject=f"s{i}", message_size=i)), 201)
        mms[m["id"]] = m
        e = ok(n.api.post("/api/ss7_events", ss7_body(
            details={"i": i})), 201)
        ss7[e["id"]] = e
    # some changes, so a snapshot holds more than inserts
    for mid in list(mms)[:5]:
        mms[mid] = ok(nodes[1].api.patch(f"/api/mms_messages/{mid}",
                                         {"status": "expired"}))
    for eid in list(ss7)[:3]:
        r = nodes[2].api.delete(f"/api/ss7_events/{eid}")
        assert r.status_code == 204, describe(r)
        del ss7[eid]
    wait_until(lambda: all(snapshot_files(n) for n in nodes), 30,
               what="every node to take a snapshot")

    def check(n):
        assert {m["id"]: m for m in every(n, "/api/mms_messages")} == mms, \
            n.name
        assert {e["id"]: e for e in every(n, "/api/ss7_events")} == ss7, \
            n.name

    # a follower restarts from its snapshot and log
    f = c.followers()[0]
    f.restart()
    c.wait_for_leader()
    check(f)

    # a follower down while the leader moves on gets a snapshot installed
    down = c.followers()[0]
    down.stop()
    restored = down.log_tail(10**6).count("restored a snapshot")
    up = [n for n in nodes if n is not down]
    for i in range(40):
        m = ok(up[i % 2].api.post("/api/mms_messages", mms_body(
            subject=f"later {i}")), 201)
        mms[m["id"]] = m
    e = ok(up[0].api.post("/api/ss7_events", ss7_body(
        event_type="MAP_PURGE_MS")), 201)
    ss7[e["id"]] = e
    down.start()
    c.wait_converged()
    for n in nodes:
        check(n)
    assert down.log_tail(10**6).count("restored a snapshot") > restored + 1, \
        "the follower should have loaded its own snapshot and been sent one"

    # the whole cluster restarts; ids keep counting, and a write through
    # any node (a follower's request id included) is a new one
    c.stop()
    c.start(bootstrap=False)
    for n in nodes:
        check(n)
    for n in nodes:
        m = ok(n.api.post("/api/mms_messages", mms_body()), 201)
        assert m["id"] > max(mms), f"{n.name} answered an old MMS {m}"
        mms[m["id"]] = m
        e = ok(n.api.post("/api/ss7_events", ss7_body()), 201)
        assert e["id"] > max(ss7), f"{n.name} answered an old event {e}"
        ss7[e["id"]] = e
