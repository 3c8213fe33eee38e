"""The Messages endpoints of SPEC §4 against one node (SPEC §2, §3, §5)."""

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from smsc import (assert_error, create, describe, detail, in_future, iso,
                  message_body, new_key, ok, parse_time, utcnow, wait_until)

RECORD_FIELDS = {
    "id", "source_msisdn", "destination_msisdn", "message_body",
    "source_smsc", "dest_smsc", "source_imsi", "dest_imsi", "source_type",
    "message_parts", "message_part_number", "tp_data_coding_scheme",
    "tp_dcs_character_set", "tp_dcs_coding_group", "tp_dcs_compressed",
    "tp_dcs_has_message_class", "tp_dcs_message_class", "tp_user_data_header",
    "status", "send_time", "deliver_time", "deliver_after", "expires",
    "deadletter", "delivery_attempts", "charge_failed",
    "status_report_requested", "status_report_for", "raw_data_flag",
    "raw_sip_flag", "raw_pdu", "origin_node", "destination_node",
    "inserted_at", "updated_at",
}

#: tolerance when comparing a server time with the test's clock
CLOCK_SLACK = dt.timedelta(seconds=5)
MINUTE = dt.timedelta(minutes=1)


# --------------------------------------------------------------- helpers


def create_many(node, count, **fields):
    return [create(node, **fields) for _ in range(count)]


def assert_close(server_time, expected, slack=CLOCK_SLACK, what="time"):
    got = parse_time(server_time)
    assert abs(got - expected) <= slack, (
        f"{what}: got {server_time}, expected about {iso(expected)}")


def ids(records):
    return [m["id"] for m in records]


def queue(node, smsc, *, unrouted=None, **params):
    """Queue fetch by header; returns the ids, oldest first."""
    headers = {"smsc": smsc}
    if unrouted is not None:
        headers["include-unrouted"] = unrouted
    r = node.api.get("/api/messages", headers=headers, params=params)
    assert r.status_code == 200, describe(r)
    return ids(r.json()["data"])


def get_by_smsc(node, smsc, path="/api/messages/get_by_smsc", **params):
    r = node.api.get(path, params={"smsc": smsc, **params})
    assert r.status_code == 200, describe(r)
    return ids(r.json()["data"])


def patch(node, msg_id, body, **kw):
    return node.api.patch(f"/api/messages/{msg_id}", body, **kw)


def retry(node, msg_id, how="PUT", **kw):
    """A failed delivery, through PUT or increment_delivery_attempt."""
    if how == "PUT":
        return node.api.put(f"/api/messages/{msg_id}", **kw)
    return node.api.post(f"/api/messages/{msg_id}/increment_delivery_attempt",
                         **kw)


def mark_delivered(node, msg_id, body=None):
    return node.api.post(f"/api/messages/{msg_id}/mark_delivered",
                         body if body is not None else {})


# --------------------------------------------------------------- status


def test_status_of_a_single_node(node):
    r = node.api.get("/api/status")
    assert r.status_code == 200, describe(r)
    assert r.headers["Content-Type"].startswith("application/json")
    st = r.json()
    for key in ("status", "application", "timestamp", "node", "role",
                "leader", "term", "commit_index", "applied_index",
                "cluster_id"):
        assert key in st, f"/api/status lacks {key}: {st}"
    assert st["status"] == "ok" and st["application"] == "smsc"
    assert st["node"] == st["leader"] == node.name
    assert st["role"] == "leader"
    assert st["term"] >= 1
    assert st["applied_index"] <= st["commit_index"]
    assert st["cluster_id"]
    assert_close(st["timestamp"], utcnow(), what="timestamp")


# --------------------------------------------------------------- create


def test_create_returns_the_full_record_with_defaults(node):
    before = utcnow()
    r = node.api.post("/api/messages", message_body())
    assert r.status_code == 201, describe(r)
    assert r.headers["Content-Type"].startswith("application/json")
    m = r.json()["data"]

    missing = RECORD_FIELDS - m.keys()
    assert not missing, f"record lacks {sorted(missing)}"
    assert isinstance(m["id"], int) and m["id"] > 0
    for k, v in message_body().items():
        assert m[k] == v, f"{k}: sent {v!r}, got {m[k]!r}"
    assert m["status"] == "pending"
    assert m["dest_smsc"] is None, "no route configured: unrouted"
    assert m["deadletter"] is False and m["charge_failed"] is False
    assert m["delivery_attempts"] == 0
    assert m["tp_data_coding_scheme"] == "00"
    assert m["tp_dcs_character_set"] == "gsm7"
    assert m["message_parts"] == 1 and m["message_part_number"] == 1
    assert m["deliver_time"] is None and m["deliver_after"] is None
    assert m["status_report_requested"] is False
    assert m["status_report_for"] is None
    assert m["origin_node"] == node.name
    assert_close(m["inserted_at"], before, what="inserted_at")
    assert_close(m["send_time"], before, what="send_time")
    assert parse_time(m["expires"]) == parse_time(m["inserted_at"]) + \
        dt.timedelta(hours=24), "expires defaults to inserted_at + 24 h"
    assert node.message(m["id"]) == m, "GET returns what the 201 returned"


def test_create_keeps_optional_fields(node):
    given = {
        "dest_smsc": "smpp_out",
        "source_imsi": "262011234567890",
        "dest_imsi": "262019876543210",
        "source_type": "smpp",
        "tp_dcs_message_class": 1,
        "tp_dcs_has_message_class": True,
        "tp_user_data_header": "050003AB0201",
        "status_report_requested": True,
        "send_time": "2030-01-02T03:04:05Z",
        "deliver_after": "2030-01-02T04:00:00Z",
        "expires": "2030-01-03T00:00:00Z",
    }
    m = create(node, **given)
    for k, v in given.items():
        got = m[k]
        if k == "tp_user_data_header":
            got, v = got.upper(), v.upper()
        assert got == v, f"{k}: sent {v!r}, got {m[k]!r}"


@pytest.mark.parametrize("body, charset, parts", [
    ("a" * 160, "gsm7", 1),
    ("a" * 161, "gsm7", 2),
    ("a" * 306, "gsm7", 2),
    ("a" * 307, "gsm7", 3),
    ("€" * 80, "gsm7", 1),     # extension characters count two septets
    ("€" * 81, "gsm7", 2),
    ("Ж" * 70, "ucs2", 1),
    ("Ж" * 71, "ucs2", 2),
    ("Ж" * 134, "ucs2", 2),
    ("Ж" * 135, "ucs2", 3),
    ("Hello 😀", "ucs2", 1),
    ("a" * (255 * 153), "gsm7", 255),
], ids=["gsm7-160", "gsm7-161", "gsm7-306", "gsm7-307", "ext-80", "ext-81",
        "ucs2-70", "ucs2-71", "ucs2-134", "ucs2-135", "emoji", "gsm7-255-parts"])
def test_character_set_and_parts_are_computed(node, body, charset, parts):
    m = create(node, message_body=body)
    assert m["message_body"] == body
    assert m["tp_dcs_character_set"] == charset
    assert m["message_parts"] == parts


@pytest.mark.parametrize("body, charset, parts", [
    ("48656c6c6f", "8bit", 1),
    ("00" * 140, "8bit", 1),
    ("00" * 141, "8bit", 2),
    ("é" * 140, "latin1", 1),
    ("é" * 141, "latin1", 2),
    ("a" * 70, "ucs2", 1),
    ("a" * 71, "ucs2", 2),
])
def test_given_character_set_is_used(node, body, charset, parts):
    m = create(node, message_body=body, tp_dcs_character_set=charset)
    assert m["tp_dcs_character_set"] == charset
    assert m["message_parts"] == parts


@pytest.mark.parametrize("body", ["a" * (255 * 153 + 1), "Ж" * (255 * 67 + 1)],
                         ids=["gsm7", "ucs2"])
def test_more_than_255_parts_is_too_long(node, body):
    r = node.api.post("/api/messages", message_body(message_body=body))
    assert_error(r, 422, "Message too long")


@pytest.mark.parametrize("field", ["source_msisdn", "destination_msisdn",
                                   "message_body", "source_smsc"])
def test_required_fields(node, field):
    body = message_body()
    del body[field]
    assert_error(node.api.post("/api/messages", body), 422, f"{field} is required")
    assert node.all_messages() == [], "a rejected submission must store nothing"


@pytest.mark.parametrize("number", ["abc", "12", "+1234567890123456",
                                    "+49 151 1234567", "++4915112345",
                                    "49-151-12345", "+"])
def test_bad_destination_number(node, number):
    r = node.api.post("/api/messages", message_body(destination_msisdn=number))
    assert_error(r, 422, "Invalid phone number format", "destination_msisdn")


@pytest.mark.parametrize("number", ["123", "+123", "4915112345678",
                                    "+123456789012345"])
def test_good_destination_numbers_incl_short_codes(node, number):
    assert create(node, destination_msisdn=number)["destination_msisdn"] == number


@pytest.mark.parametrize("number", ["TooLongSender", "+1234567890123456789",
                                    "Сбербанк", "Shop\n"])
def test_bad_source_number(node, number):
    r = node.api.post("/api/messages", message_body(source_msisdn=number))
    assert_error(r, 422, "Invalid phone number format", "source_msisdn")


@pytest.mark.parametrize("sender", ["MyBank", "Shop4U", "ABCDEFGHIJK"])
def test_alphanumeric_sender_is_accepted(node, sender):
    assert create(node, source_msisdn=sender)["source_msisdn"] == sender


@pytest.mark.parametrize("raw", ['{"source_msisdn": ', "not json at all",
                                 '{"a": 1}}'])
def test_malformed_json_is_400(node, raw):
    r = node.api.post("/api/messages", raw=raw)
    assert r.status_code == 400, describe(r)
    assert detail(r), "a 400 carries errors.detail"


@pytest.mark.parametrize("raw", ["[1, 2]", '"text"', "42", "null"])
def test_non_object_body_is_400(node, raw):
    r = node.api.post("/api/messages", raw=raw)
    assert r.status_code == 400, describe(r)


def test_unknown_field_is_422(node):
    r = node.api.post("/api/messages", message_body(foo="bar"))
    assert_error(r, 422, "Unknown field", "foo")


@pytest.mark.parametrize("field, value", [
    ("expires", "tomorrow"),
    ("deliver_after", "2025-13-45T00:00:00Z"),
    ("send_time", 1700000000),
    ("expires", "2025-10-30 12:00"),
])
def test_bad_time_is_422(node, field, value):
    r = node.api.post("/api/messages", message_body(**{field: value}))
    assert_error(r, 422, field)


@pytest.mark.parametrize("given, stored", [
    ("2031-05-06T12:00:00+02:00", "2031-05-06T10:00:00Z"),
    ("2031-05-06T10:00:00.250Z", "2031-05-06T10:00:00Z"),
    ("2031-05-06t10:00:00z", "2031-05-06T10:00:00Z"),
    ("2031-05-06T05:30:00-04:30", "2031-05-06T10:00:00Z"),
])
def test_any_rfc3339_time_is_accepted(node, given, stored):
    assert create(node, expires=given)["expires"] == stored


@pytest.mark.parametrize("fields, named", [
    ({"tp_dcs_character_set": "klingon"}, "tp_dcs_character_set"),
    ({"tp_dcs_character_set": "gsm7", "message_body": "Жук"}, None),
    ({"tp_dcs_character_set": "8bit", "message_body": "not hex"}, None),
    ({"tp_dcs_character_set": "latin1", "message_body": "Жук"}, None),
], ids=["unknown-set", "not-gsm7", "8bit-not-hex", "not-latin1"])
def test_bad_character_set_is_422(node, fields, named):
    r = node.api.post("/api/messages", message_body(**fields))
    assert_error(r, 422, *([named] if named else []))


@pytest.mark.parametrize("field, value", [
    ("message_body", 42),
    ("source_smsc", ["a"]),
    ("status_report_requested", "yes"),
    ("source_type", "carrier_pigeon"),
])
def test_wrong_field_types_are_422(node, field, value):
    assert_error(node.api.post("/api/messages", message_body(**{field: value})),
                 422, field)


# --------------------------------------------------------------- create_async


def stored_by_source_smsc(node, source_smsc):
    return node.all_messages(source_smsc=source_smsc)


def test_create_async_accepts_then_stores(node):
    body = message_body(source_smsc="async_src", message_body="async hello")
    r = node.api.post("/api/messages/create_async", body)
    data = ok(r, 202)
    assert data["status"] == "accepted"
    assert "message" in data

    stored = wait_until(lambda: stored_by_source_smsc(node, "async_src"), 5,
                        what="the async message to be stored")
    assert len(stored) == 1
    for k, v in body.items():
        assert stored[0][k] == v
    assert stored[0]["status"] == "pending"


def test_create_async_validates_synchronously(node):
    body = message_body(source_smsc="async_bad")
    del body["destination_msisdn"]
    assert_error(node.api.post("/api/messages/create_async", body), 422,
                 "destination_msisdn is required")
    assert_error(node.api.post("/api/messages/create_async",
                               message_body(source_smsc="async_bad",
                                            destination_msisdn="x")),
                 422, "Invalid phone number format")
    assert node.api.post("/api/messages/create_async", raw="{").status_code == 400
    time.sleep(1.5)
    assert stored_by_source_smsc(node, "async_bad") == []


def test_create_async_with_idempotency_key_stores_once(node):
    key = new_key()
    body = message_body(source_smsc="async_once")
    for _ in range(3):
        ok(node.api.post("/api/messages/create_async", body,
                         headers={"Idempotency-Key": key}), 202)
    wait_until(lambda: stored_by_source_smsc(node, "async_once"), 5,
               what="the async message to be stored")
    time.sleep(1.5)
    assert len(stored_by_source_smsc(node, "async_once")) == 1


# --------------------------------------------------------------- list


def test_list_filters(node):
    a = create(node, source_smsc="src1", dest_smsc="dst1")
    b = create(node, source_smsc="src1", dest_smsc="dst2")
    c = create(node, source_smsc="src2", dest_smsc="dst1")
    ok(mark_delivered(node, b["id"]))

    def listed(**params):
        return sorted(ids(node.all_messages(**params)))

    assert listed() == sorted([a["id"], b["id"], c["id"]])
    assert listed(status="pending") == sorted([a["id"], c["id"]])
    assert listed(status="delivered") == [b["id"]]
    assert listed(status="failed") == []
    assert listed(source_smsc="src1") == sorted([a["id"], b["id"]])
    assert listed(dest_smsc="dst1") == sorted([a["id"], c["id"]])
    assert listed(source_smsc="src1", status="pending") == [a["id"]]
    assert listed(source_smsc="nobody") == []


def test_list_limit_and_offset(node):
    created = create_many(node, 105)
    r = node.api.get("/api/messages")
    assert len(ok(r)) == 100, "default limit is 100"
    everything = ids(node.all_messages())
    assert sorted(everything) == sorted(ids(created))
    assert len(ok(node.api.get("/api/messages", params={"limit": 7}))) == 7

    pages = []
    for offset in (0, 40, 80, 120):
        pages.append(ids(ok(node.api.get(
            "/api/messages", params={"limit": 40, "offset": offset}))))
    assert [len(p) for p in pages] == [40, 40, 25, 0]
    assert sum(pages, []) == everything, "pages must tile the full list"


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": -1}, {"limit": "ten"}, {"limit": 1001},
    {"offset": -1}, {"offset": "x"}, {"status": "bogus"},
])
def test_list_bad_query_is_422(node, params):
    r = node.api.get("/api/messages", params=params)
    assert r.status_code == 422, describe(r)
    assert detail(r)


# --------------------------------------------------------------- queue fetch


def test_queue_fetch_by_header(node):
    a = create(node, dest_smsc="smscA")
    unrouted = create(node)
    b = create(node, dest_smsc="smscB")
    a2 = create(node, dest_smsc="smscA")

    assert queue(node, "smscA") == [a["id"], a2["id"]], \
        "unrouted messages are not included by default"
    for yes in ("true", "1", "TRUE"):
        assert queue(node, "smscA", unrouted=yes) == \
            [a["id"], unrouted["id"], a2["id"]], f"include-unrouted: {yes}"
    for no in ("false", "0"):
        assert queue(node, "smscA", unrouted=no) == [a["id"], a2["id"]]
    assert queue(node, "smscB") == [b["id"]]
    assert queue(node, "smscC") == []
    assert queue(node, "smscC", unrouted="true") == [unrouted["id"]]

    r = node.api.get("/api/messages",
                     headers={"smsc": "smscA", "include-unrouted": "maybe"})
    assert_error(r, 422, "include-unrouted")


@pytest.mark.parametrize("path", ["/api/messages/get_by_smsc",
                                  "/api/messages/queue"])
def test_get_by_smsc_includes_unrouted(node, path):
    a = create(node, dest_smsc="smscA")
    unrouted = create(node)
    create(node, dest_smsc="smscB")
    assert get_by_smsc(node, "smscA", path) == [a["id"], unrouted["id"]]
    assert get_by_smsc(node, "smscA", path, limit=1) == [a["id"]]


def test_queue_fetch_limit_takes_the_oldest(node):
    created = ids(create_many(node, 5, dest_smsc="smscA"))
    assert queue(node, "smscA", limit=2) == created[:2]
    assert queue(node, "smscA") == created


def test_queue_skips_final_deadletter_and_future_messages(node):
    first = create(node, dest_smsc="smscA")
    future = create(node, dest_smsc="smscA", deliver_after=in_future(3600))
    delivered = create(node, dest_smsc="smscA")
    ok(mark_delivered(node, delivered["id"]))
    dead = create(node, dest_smsc="smscA")
    ok(patch(node, dead["id"], {"deadletter": True}))
    failed = create(node, dest_smsc="smscA")
    ok(patch(node, failed["id"], {"status": "failed"}))
    last = create(node, dest_smsc="smscA")

    assert queue(node, "smscA") == [first["id"], last["id"]], (
        f"only due, live, pending messages are fetched (future={future['id']}, "
        f"delivered={delivered['id']}, dead={dead['id']}, failed={failed['id']})")


def test_past_deliver_after_is_due_at_once(node):
    """A deliver_after already past when submitted needs no tick, also in
    the first second of a new cluster."""
    m = create(node, dest_smsc="smscA", deliver_after=iso(utcnow() - MINUTE))
    assert queue(node, "smscA") == [m["id"]]
    time.sleep(1.5)
    m2 = create(node, dest_smsc="smscA", deliver_after=iso(utcnow() - MINUTE))
    assert queue(node, "smscA") == [m["id"], m2["id"]]


def test_future_deliver_after_becomes_due(node):
    m = create(node, dest_smsc="smscA", deliver_after=in_future(3600))
    assert queue(node, "smscA") == []
    ok(patch(node, m["id"], {"deliver_after": iso(utcnow() - MINUTE)}))
    wait_until(lambda: queue(node, "smscA") == [m["id"]], 3,
               what="the message to become due")


def test_deliver_after_passing_by_itself(node):
    m = create(node, dest_smsc="smscA", deliver_after=in_future(1))
    assert queue(node, "smscA") == []
    wait_until(lambda: queue(node, "smscA") == [m["id"]], 4,
               what="deliver_after to pass")


def test_leases_give_disjoint_sets(node):
    created = ids(create_many(node, 5, dest_smsc="smscA"))
    first = queue(node, "smscA", limit=2, lease_seconds=60)
    second = queue(node, "smscA", limit=2, lease_seconds=60)
    third = queue(node, "smscA", limit=2, lease_seconds=60)
    assert first == created[:2]
    assert second == created[2:4]
    assert third == created[4:]
    assert queue(node, "smscA", lease_seconds=60) == []
    assert queue(node, "smscA") == [], "a plain fetch skips leased messages too"
    assert get_by_smsc(node, "smscA") == []
    assert len(node.all_messages()) == 5, "leased messages stay listed"


def test_lease_expires(node):
    m = create(node, dest_smsc="smscA")
    assert queue(node, "smscA", lease_seconds=1) == [m["id"]]
    assert queue(node, "smscA") == []
    wait_until(lambda: queue(node, "smscA") == [m["id"]], 4,
               what="the lease to end")


def test_leased_message_delivered_or_retried_is_not_fetched_again(node):
    a, b, c = ids(create_many(node, 3, dest_smsc="smscA"))
    assert queue(node, "smscA", lease_seconds=1) == [a, b, c]
    ok(mark_delivered(node, a))
    ok(retry(node, b))
    time.sleep(2.5)  # past the lease
    assert queue(node, "smscA") == [c], \
        "delivered and backed-off messages stay out of the queue"


@pytest.mark.parametrize("params", [{"lease_seconds": 0}, {"lease_seconds": -5},
                                    {"limit": 0}, {"limit": 1001}])
def test_queue_bad_query_is_422(node, params):
    r = node.api.get("/api/messages", headers={"smsc": "smscA"}, params=params)
    assert r.status_code == 422, describe(r)


# --------------------------------------------------------------- get


def test_get_one_and_404(node):
    m = create(node)
    assert ok(node.api.get(f"/api/messages/{m['id']}")) == m
    for missing in (m["id"] + 1000, 0, "abc", -1):
        assert_error(node.api.get(f"/api/messages/{missing}"), 404,
                     "Message not found")


def test_linearizable_reads(node):
    m = create(node)
    r = node.api.get(f"/api/messages/{m['id']}",
                     headers={"X-Consistency": "linearizable"})
    assert ok(r) == m
    r = node.api.get(f"/api/messages/{m['id']}", params={"consistent": "true"})
    assert ok(r) == m
    r = node.api.get("/api/messages", headers={"X-Consistency": "linearizable"})
    assert ids(ok(r)) == [m["id"]]


# --------------------------------------------------------------- PATCH


@pytest.mark.parametrize("field, value, expected", [
    ("dest_smsc", "smscX", {"dest_smsc": "smscX"}),
    ("deliver_after", "2031-01-01T00:00:00Z",
     {"deliver_after": "2031-01-01T00:00:00Z"}),
    ("message_body", "b" * 161,
     {"message_body": "b" * 161, "message_parts": 2,
      "tp_dcs_character_set": "gsm7"}),
    ("message_body", "Привет",
     {"message_body": "Привет", "tp_dcs_character_set": "ucs2"}),
    ("expires", "2031-02-02T02:02:02Z", {"expires": "2031-02-02T02:02:02Z"}),
    ("deadletter", True, {"deadletter": True}),
    ("delivery_attempts", 3, {"delivery_attempts": 3}),
    ("deliver_time", "2026-01-01T00:00:00Z",
     {"deliver_time": "2026-01-01T00:00:00Z"}),
    ("delivered_at", "2026-01-01T00:00:00Z",
     {"deliver_time": "2026-01-01T00:00:00Z"}),
], ids=["dest_smsc", "deliver_after", "message_body-long", "message_body-ucs2",
        "expires", "deadletter", "delivery_attempts", "deliver_time",
        "delivered_at"])
def test_patch_one_field(node, field, value, expected):
    m = create(node)
    updated = ok(patch(node, m["id"], {field: value}))
    for k, v in expected.items():
        assert updated[k] == v, f"PATCH {field}: {k} is {updated[k]!r}, expected {v!r}"
    untouched = {k for k in RECORD_FIELDS if k not in expected} - \
        {"updated_at", "message_parts", "tp_dcs_character_set"}
    for k in untouched:
        assert updated[k] == m[k], f"PATCH {field} changed {k}: {m[k]!r} -> {updated[k]!r}"
    assert parse_time(updated["updated_at"]) >= parse_time(m["updated_at"])
    assert node.message(m["id"]) == updated


def test_patch_moves_updated_at(node):
    m = create(node)
    time.sleep(1.1)  # times have a resolution of one second
    updated = ok(patch(node, m["id"], {"dest_smsc": "smscX"}))
    assert parse_time(updated["updated_at"]) > parse_time(m["updated_at"])
    assert updated["inserted_at"] == m["inserted_at"]


def test_patch_dest_smsc_routes_the_message(node):
    m = create(node)
    assert queue(node, "smscX") == []
    ok(patch(node, m["id"], {"dest_smsc": "smscX"}))
    assert queue(node, "smscX") == [m["id"]]


def test_patch_status_delivered_is_mark_delivered(node):
    m = create(node)
    d = ok(patch(node, m["id"], {"status": "delivered"}))
    assert d["status"] == "delivered"
    assert d["deliver_time"] is not None, "delivered sets deliver_time"
    assert_close(d["deliver_time"], utcnow(), what="deliver_time")
    assert_error(mark_delivered(node, m["id"]), 409)
    assert node.message(m["id"]) == d


@pytest.mark.parametrize("final", ["delivered", "failed", "expired", "dropped",
                                   "rejected"])
def test_pending_to_each_final_state_and_no_final_to_final(node, final):
    m = create(node)
    assert ok(patch(node, m["id"], {"status": final}))["status"] == final
    for other in ("delivered", "failed", "expired", "dropped", "rejected"):
        if other != final:
            assert_error(patch(node, m["id"], {"status": other}), 409)
    assert node.message(m["id"])["status"] == final
    assert_error(retry(node, m["id"]), 409)
    assert_error(retry(node, m["id"], how="POST"), 409)
    assert_error(mark_delivered(node, m["id"]), 409)


def test_requeue_a_delivered_message(node):
    m = create(node, dest_smsc="smscA")
    ok(mark_delivered(node, m["id"]))
    assert queue(node, "smscA") == []
    back = ok(patch(node, m["id"], {"status": "pending"}))
    assert back["status"] == "pending"
    assert queue(node, "smscA") == [m["id"]]


def test_requeue_a_deadletter_needs_deadletter_false(node):
    m = create(node, dest_smsc="smscA")
    ok(patch(node, m["id"], {"status": "expired", "deadletter": True}))
    assert_error(patch(node, m["id"], {"status": "pending"}), 409)
    assert node.message(m["id"])["status"] == "expired", "a 409 changes nothing"
    back = ok(patch(node, m["id"], {"status": "pending", "deadletter": False}))
    assert back["status"] == "pending" and back["deadletter"] is False
    assert queue(node, "smscA") == [m["id"]]


def test_requeue_an_expired_message_needs_a_future_expires(node):
    m = create(node, dest_smsc="smscA", expires=in_future(1))
    wait_until(lambda: node.message(m["id"])["status"] == "expired", 5,
               what="the message to expire")
    assert_error(patch(node, m["id"], {"status": "pending", "deadletter": False}),
                 409)
    back = ok(patch(node, m["id"], {"status": "pending", "deadletter": False,
                                    "expires": in_future(3600)}))
    assert back["status"] == "pending"
    assert queue(node, "smscA") == [m["id"]]


@pytest.mark.parametrize("body, status, named", [
    ({"foo": 1}, 422, "foo"),
    ({"status": "bogus"}, 422, "status"),
    ({}, 422, None),
    ({"expires": "soon"}, 422, "expires"),
    ({"deliver_after": 5}, 422, "deliver_after"),
    ({"deadletter": "yes"}, 422, "deadletter"),
    ({"delivery_attempts": -1}, 422, "delivery_attempts"),
    ({"message_body": "a" * (255 * 153 + 1)}, 422, "Message too long"),
    ({"source_msisdn": "+123456"}, 422, "source_msisdn"),
])
def test_patch_validation(node, body, status, named):
    m = create(node)
    assert_error(patch(node, m["id"], body), status, *([named] if named else []))
    assert node.message(m["id"]) == m, "a rejected PATCH changes nothing"


def test_patch_malformed_json_and_missing_message(node):
    m = create(node)
    assert patch(node, m["id"], None, raw="{oops").status_code == 400
    assert_error(patch(node, m["id"] + 1000, {"status": "delivered"}), 404,
                 "Message not found")


# --------------------------------------------------------------- retry / backoff


@pytest.mark.parametrize("how", ["PUT", "POST"])
def test_backoff_doubles_per_attempt(node, how):
    m = create(node, dest_smsc="smscA")
    for attempt, minutes in ((1, 2), (2, 4), (3, 8), (4, 16)):
        now = utcnow()
        r = ok(retry(node, m["id"], how))
        assert r["delivery_attempts"] == attempt
        assert r["status"] == "pending"
        assert_close(r["deliver_after"], now + minutes * MINUTE,
                     what=f"deliver_after after attempt {attempt}")
    assert queue(node, "smscA") == [], "a backed-off message is not due"


def test_retry_of_a_missing_message_is_404(node):
    assert_error(retry(node, 999), 404, "Message not found")
    assert_error(retry(node, 999, "POST"), 404, "Message not found")
    assert_error(mark_delivered(node, 999), 404, "Message not found")


def test_retry_with_idempotency_key_counts_once(node):
    m = create(node)
    key = new_key()
    first = ok(retry(node, m["id"], headers={"Idempotency-Key": key}))
    again = ok(retry(node, m["id"], headers={"Idempotency-Key": key}))
    assert first["delivery_attempts"] == 1
    assert again["delivery_attempts"] == 1, "the same request id applies once"
    assert node.message(m["id"])["delivery_attempts"] == 1


def test_max_delivery_attempts_fails_the_message(make_node):
    node = make_node(max_delivery_attempts=3)
    m = create(node, dest_smsc="smscA")
    assert ok(retry(node, m["id"]))["status"] == "pending"
    assert ok(retry(node, m["id"], "POST"))["status"] == "pending"
    last = ok(retry(node, m["id"]))
    assert last["status"] == "failed" and last["delivery_attempts"] == 3
    assert_error(retry(node, m["id"]), 409)
    assert node.message(m["id"])["delivery_attempts"] == 3
    assert ids(node.all_messages(status="failed")) == [m["id"]]


# --------------------------------------------------------------- delivered / delete


def test_mark_delivered(node):
    m = create(node)
    d = ok(mark_delivered(node, m["id"], {"dest_smsc": "smscZ"}))
    assert d["status"] == "delivered"
    assert d["dest_smsc"] == "smscZ"
    assert_close(d["deliver_time"], utcnow(), what="deliver_time")
    assert_error(mark_delivered(node, m["id"], {"dest_smsc": "smscZ"}), 409)
    assert node.message(m["id"]) == d
    assert queue(node, "smscZ") == []


def test_mark_delivered_without_body(node):
    m = create(node, dest_smsc="smscA")
    r = node.api.post(f"/api/messages/{m['id']}/mark_delivered")
    assert ok(r)["status"] == "delivered"
    assert ok(r)["dest_smsc"] == "smscA"


@pytest.mark.parametrize("final", [False, True], ids=["pending", "delivered"])
def test_delete(node, final):
    m = create(node)
    if final:
        ok(mark_delivered(node, m["id"]))
    r = node.api.delete(f"/api/messages/{m['id']}")
    assert r.status_code == 204, describe(r)
    assert r.content == b""
    assert node.message(m["id"]) is None
    assert node.all_messages() == []
    assert_error(node.api.delete(f"/api/messages/{m['id']}"), 404)


def test_delete_missing_is_404(node):
    assert_error(node.api.delete("/api/messages/4242"), 404, "Message not found")


# --------------------------------------------------------------- expiry


def test_expiry_makes_a_deadletter(node):
    m = create(node, dest_smsc="smscA", expires=in_future(2))
    assert queue(node, "smscA") == [m["id"]]
    gone = wait_until(lambda: (lambda x: x if x["status"] == "expired" else None)(
        node.message(m["id"])), 5, what="the message to expire")
    assert gone["deadletter"] is True
    assert queue(node, "smscA") == []
    assert ids(node.all_messages(status="expired")) == [m["id"]]
    assert_error(retry(node, m["id"]), 409)
    assert_error(mark_delivered(node, m["id"]), 409)


# dead_letter_time_minutes is at least a minute: the dead-letter
# transition is covered by tests/unit/test_store.c instead.


def test_no_status_report_unless_requested(node):
    m = create(node)
    ok(mark_delivered(node, m["id"]))
    time.sleep(1.5)
    assert len(node.all_messages()) == 1, "no report was requested"


# --------------------------------------------------------------- bounds and routing


def test_max_pending_messages_is_a_503_bound(make_node):
    node = make_node(max_pending_messages=3)
    first = create_many(node, 3, dest_smsc="smscA")
    r = node.api.post("/api/messages", message_body())
    assert_error(r, 503, "max_pending_messages")
    assert len(node.all_messages()) == 3
    ok(mark_delivered(node, first[0]["id"]))
    create(node)  # room again


def test_reject_unrouted(make_node):
    node = make_node(reject_unrouted=True)
    assert_error(node.api.post("/api/messages", message_body()), 422,
                 "No route found")
    assert node.all_messages() == []
    assert create(node, dest_smsc="smscA")["dest_smsc"] == "smscA", \
        "a client-given dest_smsc skips route selection"


def test_body_too_large_is_413(node):
    r = node.api.post("/api/messages",
                      message_body(message_body="a" * (2 * 1024 * 1024)))
    assert r.status_code == 413, describe(r)


# --------------------------------------------------------------- duplicates


def test_idempotency_key_returns_the_first_answer(node):
    key = new_key()
    body = message_body(message_body="only once")
    first = node.api.post("/api/messages", body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, describe(first)
    again = node.api.post("/api/messages", body, headers={"Idempotency-Key": key})
    assert again.status_code == 201, "a repeat gets the first status code"
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    other = node.api.post("/api/messages", message_body(message_body="changed"),
                          headers={"Idempotency-Key": key})
    assert other.status_code == 201
    assert other.json()["data"]["id"] == first.json()["data"]["id"], \
        "the key, not the body, identifies the request"
    fresh = node.api.post("/api/messages", body,
                          headers={"Idempotency-Key": new_key()})
    assert fresh.json()["data"]["id"] != first.json()["data"]["id"]
    assert len(node.all_messages()) == 2


def test_identical_bodies_without_key_are_two_messages(node):
    body = message_body(message_body="say it twice")
    a = ok(node.api.post("/api/messages", body), 201)
    b = ok(node.api.post("/api/messages", body), 201)
    assert a["id"] != b["id"]
    assert len(node.all_messages()) == 2


# --------------------------------------------------------------- rate limits


def post_burst(node, count, workers=16):
    def one(_):
        return node.api.post("/api/messages", message_body())
    with ThreadPoolExecutor(workers) as ex:
        return list(ex.map(one, range(count)))


def test_rate_limit_headers_and_429(make_node):
    node = make_node(rate_limits={"enabled": True})
    r = node.api.post("/api/messages", message_body())
    assert r.status_code == 201, describe(r)
    assert r.headers.get("X-RateLimit-Limit") == "100"
    remaining = int(r.headers["X-RateLimit-Remaining"])
    assert 0 <= remaining < 100
    reset = int(r.headers["X-RateLimit-Reset"])
    assert time.time() - 1 <= reset <= time.time() + 2, "Reset is epoch seconds"

    started = time.monotonic()
    answers = post_burst(node, 250)
    elapsed = time.monotonic() - started
    codes = [a.status_code for a in answers]
    assert set(codes) <= {201, 429}, f"unexpected codes {set(codes)}"
    assert codes.count(429) > 0, (
        f"250 POSTs in {elapsed:.2f} s: no 429 (201 x {codes.count(201)})")
    limited = next(a for a in answers if a.status_code == 429)
    assert_error(limited, 429)
    assert "retry" in detail(limited).lower(), "the 429 says when to retry"
    assert limited.headers.get("X-RateLimit-Limit") == "100"
    assert limited.headers.get("X-RateLimit-Remaining") == "0"
    assert "X-RateLimit-Reset" in limited.headers
    assert len(node.all_messages()) == 1 + codes.count(201), \
        "a limited request stores nothing"
    # reads have their own, higher limit
    assert node.api.get("/api/messages").status_code == 200


def test_no_rate_limit_when_disabled(node):
    codes = [a.status_code for a in post_burst(node, 250)]
    assert codes.count(201) == 250, f"codes: {set(codes)}"


# --------------------------------------------------------------- routing table


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/nope"), ("GET", "/nope"), ("POST", "/api/messages/1/nope"),
    ("GET", "/api/messages/1/2/3"),
])
def test_unknown_path_is_404(node, method, path):
    r = node.api.request(method, path)
    assert_error(r, 404)


@pytest.mark.parametrize("method, path", [
    ("DELETE", "/api/status"), ("PATCH", "/api/messages"),
    ("GET", "/api/messages/1/mark_delivered"),
    ("POST", "/api/messages/1"),
])
def test_wrong_method_is_405(node, method, path):
    assert_error(node.api.request(method, path), 405)


# --------------------------------------------------------------- metrics


def metric_value(text, name):
    """The value of the first sample of metric name (any labels)."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"metric {name} not found")


def test_metrics(node):
    create(node)
    r = node.metrics()
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    assert metric_value(r.text, "sms_c_raft_role") >= 0
    assert metric_value(r.text, "process_resident_memory_bytes") > 1e6
    assert "# TYPE sms_c_raft_role" in r.text
