"""Routing, number translation, subscriber locations, the event log and the
simulators (SPEC §4, §5, §6, §7), on one node and on a 3-node cluster."""

import json
import threading
import time
from collections import Counter

import pytest

from smsc import (assert_error, create, describe, in_future,
                  message_body, new_key, ok, scaled, wait_until)

ROUTE_FIELDS = {
    "id", "route_id", "calling_prefix", "called_prefix", "source_smsc",
    "source_type", "enum_domain", "dest_smsc", "auto_reply",
    "auto_reply_message", "drop", "charged", "weight", "priority",
    "description", "enabled", "inserted_at", "updated_at",
}
RULE_FIELDS = {
    "id", "rule_id", "calling_prefix", "called_prefix", "source_smsc",
    "calling_match", "calling_replace", "called_match", "called_replace",
    "priority", "description", "enabled", "continue", "inserted_at",
    "updated_at",
}


def add_route(node, **fields):
    return ok(node.api.post("/api/routes", fields), 201)


def add_rule(node, **fields):
    return ok(node.api.post("/api/translation_rules", fields), 201)


def events(node, msg_id):
    return ok(node.api.get(f"/api/events/{msg_id}"))


def event_names(node, msg_id):
    return [e["name"] for e in events(node, msg_id)]


def submit_all(nodes, count, workers=16, **fields):
    """count creates spread round-robin over nodes, concurrently; returns
    the records in submission order."""
    out = [None] * count
    errors = []

    def work(w):
        try:
            for i in range(w, count, workers):
                n = nodes[i % len(nodes)]
                r = n.api.post("/api/messages", message_body(**fields),
                               headers={"Idempotency-Key": new_key()})
                for _ in range(50):
                    if r.status_code != 503:
                        break
                    time.sleep(0.1)
                    r = n.api.post("/api/messages", message_body(**fields),
                                   headers={"Idempotency-Key": new_key()})
                assert r.status_code == 201, describe(r)
                out[i] = r.json()["data"]
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(w,))
               for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return out


# --------------------------------------------------------------- routes


def test_route_crud_and_validation(node):
    r = add_route(node, called_prefix="+44", dest_smsc="uk_gw", weight=70,
                  priority=10, description="UK")
    assert set(r) == ROUTE_FIELDS
    assert r["id"] == r["route_id"] > 0
    assert (r["weight"], r["priority"], r["enabled"], r["charged"]) == \
        (70, 10, True, "default")
    got = ok(node.api.get(f"/api/routes/{r['id']}"))
    assert got == r
    p = ok(node.api.patch(f"/api/routes/{r['id']}",
                          {"dest_smsc": "uk_gw2", "enabled": False}))
    assert (p["dest_smsc"], p["enabled"], p["weight"]) == ("uk_gw2", False, 70)
    assert p["inserted_at"] == r["inserted_at"]
    assert [x["id"] for x in ok(node.api.get("/api/routes"))] == [r["id"]]

    for body, status, frag in [
        ({"called_prefix": "+1", "dest_smsc": "x", "weight": 0}, 422,
         "weight"),
        ({"called_prefix": "+1", "dest_smsc": "x", "priority": 256}, 422,
         "priority"),
        ({"called_prefix": "+1"}, 422, "dest_smsc"),
        ({"drop": True, "auto_reply": True, "auto_reply_message": "x"}, 422,
         "drop"),
        ({"auto_reply": True}, 422, "auto_reply_message"),
        ({"dest_smsc": "x", "source_type": "fax"}, 422, "source_type"),
        ({"dest_smsc": "x", "charged": "maybe"}, 422, "charged"),
        ({"dest_smsc": "x", "called_prefx": "+1"}, 422, "called_prefx"),
    ]:
        assert_error(node.api.post("/api/routes", body), status, frag)
    assert_error(node.api.patch(f"/api/routes/{r['id']}", {"weight": 101}),
                 422, "weight")
    assert_error(node.api.get("/api/routes/999"), 404, "Route not found")
    assert node.api.delete(f"/api/routes/{r['id']}").status_code == 204
    assert_error(node.api.delete(f"/api/routes/{r['id']}"), 404,
                 "Route not found")
    assert_error(node.api.patch("/api/routes/999", {"weight": 5}), 404,
                 "Route not found")


def test_selection_priority_then_score(node):
    add_route(node, called_prefix="+44", dest_smsc="generic", priority=50)
    add_route(node, called_prefix="+4477", dest_smsc="mobile", priority=50)
    add_route(node, called_prefix="+44", source_smsc="vip", dest_smsc="vip_gw",
              priority=10)
    assert create(node, destination_msisdn="+447700900123")["dest_smsc"] == \
        "mobile"  # longer called prefix scores higher
    assert create(node, destination_msisdn="+442071234567")["dest_smsc"] == \
        "generic"
    assert create(node, destination_msisdn="+447700900123",
                  source_smsc="vip")["dest_smsc"] == "vip_gw"  # priority
    m = create(node, destination_msisdn="+447700900123", dest_smsc="chosen")
    assert (m["dest_smsc"], m["route_id"]) == ("chosen", None)
    assert "message_routed" in event_names(node, m["id"])


def test_unrouted_waits_or_is_rejected(make_node):
    n = make_node()
    m = create(n, destination_msisdn="+33612345678")
    assert m["dest_smsc"] is None and m["status"] == "pending"
    assert event_names(n, m["id"]) == ["message_inserted", "routing_failed"]
    strict = make_node(reject_unrouted=True)
    assert_error(strict.api.post("/api/messages", message_body()), 422,
                 "No route found")
    assert ok(strict.api.get("/api/messages")) == []
    add_route(strict, called_prefix="+49", dest_smsc="de_gw")
    assert create(strict)["dest_smsc"] == "de_gw"


def test_drop_route(node):
    route = add_route(node, called_prefix="+4915187", drop=True,
                      description="blocked range")
    m = create(node)
    assert m["status"] == "dropped" and m["route_id"] == route["id"]
    assert event_names(node, m["id"]) == ["message_inserted", "message_dropped"]
    assert ok(node.api.get("/api/messages", headers={"smsc": "test_smsc",
                                                     "include-unrouted": "1"})) == []


def test_auto_reply(node):
    route = add_route(node, called_prefix="+4915187", auto_reply=True,
                      auto_reply_message="We are closed today",
                      dest_smsc="ignored_gw")
    add_route(node, called_prefix="+4915112", dest_smsc="sender_gw")
    m = create(node)
    assert m["status"] == "delivered" and m["deliver_time"] is not None
    names = event_names(node, m["id"])
    assert names == ["message_inserted", "auto_reply_sent",
                     "message_delivered"], names
    replies = [x for x in ok(node.api.get("/api/messages"))
               if x["id"] != m["id"]]
    assert len(replies) == 1
    reply = replies[0]
    assert reply["source_msisdn"] == m["destination_msisdn"]
    assert reply["destination_msisdn"] == m["source_msisdn"]
    assert reply["message_body"] == "We are closed today"
    assert reply["source_smsc"] == "auto_reply"
    # routed normally, in the same commit, and never auto-replied again
    assert (reply["status"], reply["dest_smsc"]) == ("pending", "sender_gw")
    assert str(reply["id"]) in events(node, m["id"])[1]["description"]
    route_of_reply = add_route(node, called_prefix="+4915112", auto_reply=True,
                               auto_reply_message="loop?", priority=1)
    m2 = create(node)
    all_msgs = ok(node.api.get("/api/messages"))
    reply2 = [x for x in all_msgs if x["id"] > m2["id"]]
    assert len(reply2) == 1 and reply2[0]["status"] == "pending"
    assert reply2[0]["route_id"] == route_of_reply["id"]
    assert route["id"] != route_of_reply["id"]


def test_weighted_split_70_30_over_2000_messages(cluster3):
    leader = cluster3.leader()
    add_route(leader, called_prefix="+44", dest_smsc="uk_gateway_1",
              weight=70, priority=50)
    add_route(leader, called_prefix="+44", dest_smsc="uk_gateway_2",
              weight=30, priority=50)
    records = submit_all(list(cluster3), 2000,
                         destination_msisdn="+447700900123")
    counts = Counter(m["dest_smsc"] for m in records)
    share = counts["uk_gateway_1"] / 2000 * 100
    assert set(counts) == {"uk_gateway_1", "uk_gateway_2"}, counts
    assert 65 <= share <= 75, f"uk_gateway_1 got {share:.1f} %: {counts}"
    # every replica stored the leader's choice
    cluster3.wait_converged()
    for n in cluster3:
        for m in records[:50]:
            assert n.message(m["id"])["dest_smsc"] == m["dest_smsc"]


def test_route_and_rule_written_on_one_node_apply_on_another(cluster3):
    a, b, c = list(cluster3)
    rule = add_rule(a, called_match=r"^0(\d+)$", called_replace=r"+49\1",
                    priority=10)
    route = add_route(a, called_prefix="+49151", dest_smsc="de_mobile")
    m = create(b, destination_msisdn="015112345678")
    assert (m["destination_msisdn"], m["dest_smsc"], m["route_id"]) == \
        ("+4915112345678", "de_mobile", route["id"])
    ok(b.api.patch(f"/api/routes/{route['id']}", {"dest_smsc": "de_mobile2"}))
    assert create(c, destination_msisdn="015112345678")["dest_smsc"] == \
        "de_mobile2"
    assert c.api.delete(f"/api/translation_rules/{rule['id']}") \
        .status_code == 204
    assert_error(a.api.post("/api/messages", message_body(
        destination_msisdn="015112345678x")), 422,
        "Invalid phone number format")
    # every node shows the same tables
    cluster3.wait_converged()
    exports = [ok(n.api.get("/api/routes"))
               for n in cluster3]
    assert exports[0] == exports[1] == exports[2]


# --------------------------------------------------------------- translation


def test_translation_rules_and_regex_errors(node):
    r = add_rule(node, calling_match=r"^(\d{10})$", calling_replace=r"+1\1",
                 called_match=r"^(\d{10})$", called_replace=r"+1\1",
                 priority=100, description="10 digits to +1")
    assert set(r) == RULE_FIELDS and r["continue"] is False
    m = create(node, source_msisdn="5551234567",
               destination_msisdn="5559876543")
    assert (m["source_msisdn"], m["destination_msisdn"]) == \
        ("+15551234567", "+15559876543")
    ev = events(node, m["id"])
    assert [e["name"] for e in ev][:2] == ["message_inserted",
                                            "number_translated"]
    assert "5551234567 -> +15551234567" in ev[1]["description"]

    for body, field in [
        ({"called_match": "^(abc", "called_replace": "x"}, "called_match"),
        ({"calling_match": "[z-a]", "calling_replace": "x"}, "calling_match"),
    ]:
        resp = node.api.post("/api/translation_rules", body)
        assert_error(resp, 422, field, "offset")
    assert_error(node.api.post("/api/translation_rules",
                               {"called_match": "^(1)$"}), 422,
                 "called_replace")
    assert_error(node.api.patch(f"/api/translation_rules/{r['id']}",
                                {"calling_match": "(("}), 422,
                 "calling_match", "offset")
    assert ok(node.api.get(f"/api/translation_rules/{r['id']}")) == r


def test_numbers_are_validated_after_translation(node):
    assert_error(node.api.post("/api/messages", message_body(
        destination_msisdn="00-49-151")), 422, "Invalid phone number format")
    add_rule(node, called_match=r"^00-(\d+)-(\d+)$", called_replace=r"+\1\2")
    m = create(node, destination_msisdn="00-49-151")
    assert m["destination_msisdn"] == "+49151"


def test_reference_translation_chains(node):
    add_rule(node, calling_match="^0+(.+)$", calling_replace=r"\1",
             called_match="^0+(.+)$", called_replace=r"\1", priority=5,
             **{"continue": True})
    add_rule(node, calling_match=r"^(\d{10})$", calling_replace=r"+1\1",
             called_match=r"^(\d{10})$", called_replace=r"+1\1", priority=10,
             **{"continue": True})
    add_rule(node, calling_match=r"^\+1(\d{3})(\d{3})(\d{4})$",
             calling_replace=r"+1-\1-\2-\3",
             called_match=r"^\+1(\d{3})(\d{3})(\d{4})$",
             called_replace=r"+1-\1-\2-\3", priority=15)
    before = ok(node.api.get("/api/translation_rules"))
    sim = ok(node.api.post("/api/translation_rules/simulate",
                           {"calling_number": "005551234567",
                            "called_number": "+447700900123"}))
    assert sim["source_msisdn"]["after"] == "+1-555-123-4567"
    assert sim["destination_msisdn"]["after"] == "+447700900123"
    steps = [(s["source_msisdn"]["before"], s["source_msisdn"]["after"])
             for s in sim["steps"]]
    assert steps == [("005551234567", "5551234567"),
                     ("5551234567", "+15551234567"),
                     ("+15551234567", "+1-555-123-4567")]
    assert sim["applied"] == 3
    assert [x["applied"] for x in sim["rules"]] == [True, True, True]
    # the simulator changes nothing
    assert ok(node.api.get("/api/translation_rules")) == before
    assert ok(node.api.get("/api/messages")) == []


def test_simulators_explain_the_choice(node):
    r70 = add_route(node, called_prefix="+44", dest_smsc="uk1", weight=70)
    r30 = add_route(node, called_prefix="+44", dest_smsc="uk2", weight=30)
    r_us = add_route(node, called_prefix="+1", dest_smsc="us")
    r_off = add_route(node, called_prefix="+4477", dest_smsc="off",
                      enabled=False)
    sim = ok(node.api.post("/api/routes/simulate",
                           {"source_msisdn": "+15551234567",
                            "destination_msisdn": "+447700900123",
                            "source_smsc": "api"}))
    by_id = {x["route_id"]: x for x in sim["routes"]}
    assert set(by_id) == {r70["id"], r30["id"], r_us["id"], r_off["id"]}
    assert by_id[r_us["id"]]["matched"] is False
    assert by_id[r_us["id"]]["criteria"]["called_prefix"]["matched"] is False
    assert by_id[r_off["id"]]["enabled"] is False
    assert by_id[r_off["id"]]["matched"] is False
    assert by_id[r70["id"]]["candidate"] and by_id[r30["id"]]["candidate"]
    assert by_id[r70["id"]]["score"] == 300
    assert sim["selected_route_id"] in (r70["id"], r30["id"])
    assert sim["dest_smsc"] in ("uk1", "uk2")
    assert "weighted random" in sim["reason"] and "2 candidates" in \
        sim["reason"]
    assert [x for x in sim["routes"] if x["selected"]][0]["route_id"] == \
        sim["selected_route_id"]
    none = ok(node.api.post("/api/routes/simulate",
                            {"destination_msisdn": "+33612345678"}))
    assert none["selected_route_id"] == 0 and none["action"] == "unrouted"
    assert ok(node.api.get("/api/messages")) == []
    assert_error(node.api.post("/api/routes/simulate", {}), 422,
                 "destination_msisdn")


# --------------------------------------------------------------- export/import


def canonical(doc, key):
    return json.dumps(doc[key], sort_keys=True, separators=(",", ":"))


@pytest.mark.parametrize("table,key", [("routes", "routes"),
                                       ("translation_rules", "rules")])
def test_export_replace_import_round_trip(cluster3, table, key):
    a, b, _ = list(cluster3)
    if key == "routes":
        for i in range(25):
            add_route(a, called_prefix=f"+{i + 10}", dest_smsc=f"gw{i % 4}",
                      weight=(i % 100) + 1, priority=(i % 7) + 1,
                      description=f"route {i}", charged=["yes", "no",
                                                         "default"][i % 3])
    else:
        for i in range(25):
            add_rule(a, called_prefix=f"{i}", called_match=f"^{i}(\\d+)$",
                     called_replace=f"+{i}\\1", priority=(i % 9) + 1,
                     **{"continue": i % 2 == 0})
    first = a.api.get(f"/api/{table}/export")
    assert first.status_code == 200, describe(first)
    doc = first.json()
    assert (doc["version"], doc["count"]) == ("1.0", 25)
    assert "exported_at" in doc
    # wipe through a replace with one record, then restore the export on
    # another node
    id_key = "route_id" if key == "routes" else "rule_id"
    junk = [dict(doc[key][0], id=999, description="junk", **{id_key: 999})]
    res = ok(b.api.post(f"/api/{table}/import", {key: junk},
                        params={"mode": "replace"}))
    assert res == {"imported": 1, "failed": 0, "errors": []}
    # a reads what b wrote: linearizable reads, not a replica's lag
    lin = {"consistent": "true"}
    assert [x["id"] for x in ok(a.api.get(f"/api/{table}",
                                          params=lin))] == [999]
    res = ok(b.api.post(f"/api/{table}/import", doc,
                        params={"mode": "replace"}))
    assert (res["imported"], res["failed"]) == (25, 0)
    again = a.api.get(f"/api/{table}/export", params=lin).json()
    assert canonical(again, key) == canonical(doc, key)


def test_import_merge_counts_failures(node):
    add_route(node, called_prefix="+1", dest_smsc="us")
    doc = {"version": "1.0", "routes": [
        {"id": 1, "called_prefix": "+1", "dest_smsc": "us_new"},
        {"called_prefix": "+44", "dest_smsc": "uk"},
        {"called_prefix": "+33", "weight": 500, "dest_smsc": "fr"},
    ]}
    res = ok(node.api.post("/api/routes/import", doc))
    assert (res["imported"], res["failed"]) == (2, 1)
    assert res["errors"][0]["index"] == 2 and "weight" in \
        res["errors"][0]["detail"]
    routes = ok(node.api.get("/api/routes"))
    assert [(r["id"], r["dest_smsc"]) for r in routes] == \
        [(1, "us_new"), (2, "uk")]
    assert_error(node.api.post("/api/routes/import", doc,
                               params={"mode": "replace"}), 422, "weight")
    assert len(ok(node.api.get("/api/routes"))) == 2  # nothing changed
    assert_error(node.api.post("/api/routes/import", doc,
                               params={"mode": "sideways"}), 422, "mode")
    assert_error(node.api.post("/api/routes/import", {"x": 1}), 422, "routes")


def test_initial_tables_from_config_at_bootstrap(make_node, tmp_path):
    cfg = {
        "sms_routes": [{"called_prefix": "+44", "dest_smsc": "uk_gateway_1",
                        "weight": 70, "priority": 50},
                       {"called_prefix": "+1", "dest_smsc": "na_gw"}],
        "translation_rules": [{"called_match": r"^(\d{10})$",
                               "called_replace": r"+1\1", "priority": 100}],
    }
    n = make_node(**cfg)
    assert [r["dest_smsc"] for r in ok(n.api.get("/api/routes"))] == \
        ["uk_gateway_1", "na_gw"]
    assert create(n, destination_msisdn="5551234567")["dest_smsc"] == "na_gw"
    # applied once: a later change survives a restart with the same config
    ok(n.api.patch("/api/routes/1", {"dest_smsc": "uk_changed"}))
    n.restart()
    assert ok(n.api.get("/api/routes/1"))["dest_smsc"] == "uk_changed"
    assert len(ok(n.api.get("/api/routes"))) == 2


def test_bad_initial_tables_stop_the_node(make_node):
    n = make_node(start=False, sms_routes=[{"called_prefix": "+1",
                                            "weight": 0, "dest_smsc": "x"}])
    res = n.run_expecting_exit(bootstrap=True)
    assert res.returncode == 1
    assert "sms_routes[0]" in res.stderr and "weight" in res.stderr
    n2 = make_node(start=False, translation_rules=[
        {"called_match": "((", "called_replace": "x"}])
    res = n2.run_expecting_exit(bootstrap=True)
    assert res.returncode == 1
    assert "translation_rules[0]" in res.stderr and "offset" in res.stderr


# --------------------------------------------------------------- locations


def test_location_crud_and_upsert_by_imsi(node):
    body = {"msisdn": "+15551234567", "imsi": "001001000000001",
            "location": "msc1.region1.example.com",
            "ran_location": "cell_12345", "imei": "123456789012345",
            "ims_capable": True, "csfb": False, "registered": True,
            "expires": in_future(3600), "user_agent": "Samsung Galaxy"}
    loc = ok(node.api.post("/api/locations", body), 201)
    assert loc["id"] > 0 and loc["ims_capable"] is True
    again = ok(node.api.post("/api/locations",
                             dict(body, location="msc2")), 200)
    assert again["id"] == loc["id"] and again["location"] == "msc2"
    assert again["inserted_at"] == loc["inserted_at"]
    assert ok(node.api.get(f"/api/locations/{loc['id']}"))["location"] == \
        "msc2"
    assert ok(node.api.get("/api/locations/+15551234567"))["id"] == loc["id"]
    assert ok(node.api.get("/api/locations/msisdn/+15551234567"))["id"] == \
        loc["id"]
    p = ok(node.api.patch("/api/locations/+15551234567",
                          {"ran_location": "cell_67890"}))
    assert (p["ran_location"], p["location"]) == ("cell_67890", "msc2")
    assert len(ok(node.api.get("/api/locations"))) == 1
    assert_error(node.api.post("/api/locations", {"imsi": "1"}), 422)
    assert_error(node.api.post("/api/locations",
                               {"msisdn": "nope", "location": "x"}), 422,
                 "msisdn")
    assert node.api.delete(f"/api/locations/{loc['id']}").status_code == 204
    assert_error(node.api.get(f"/api/locations/{loc['id']}"), 404,
                 "Location not found")
    assert_error(node.api.get("/api/locations/+15551234567"), 404)


def test_location_based_fetch_follows_the_subscriber(cluster3):
    a, b, c = list(cluster3)
    dest = "+4915100000001"
    ok(a.api.post("/api/locations", {"msisdn": dest, "imsi": "262010000000001",
                                     "location": "msc_a"}), 201)
    m = create(b, destination_msisdn=dest)
    other = create(b, destination_msisdn="+4915100000002")
    routed = create(b, dest_smsc="msc_a")
    assert m["dest_smsc"] is None
    cluster3.wait_converged()

    def queue(node, smsc, unrouted=False):
        h = {"smsc": smsc, "X-Consistency": "linearizable"}
        if unrouted:
            h["include-unrouted"] = "true"
        return [x["id"] for x in ok(node.api.get("/api/messages", headers=h))]

    for n in cluster3:
        assert queue(n, "msc_a") == [m["id"], routed["id"]]
        assert queue(n, "msc_b") == []
        assert queue(n, "msc_b", unrouted=True) == [m["id"], other["id"]]
    # the subscriber moves: its waiting message moves with it
    ok(c.api.post("/api/locations", {"msisdn": dest, "imsi": "262010000000001",
                                     "location": "msc_b"}), 200)
    cluster3.wait_converged()
    for n in cluster3:
        assert queue(n, "msc_a") == [routed["id"]]
        assert queue(n, "msc_b") == [m["id"]]
    # a lease through one node hides it from a fetch through another
    leased = ok(a.api.get("/api/messages/get_by_smsc",
                          params={"smsc": "msc_b", "lease_seconds": 60}))
    assert [x["id"] for x in leased] == [m["id"], other["id"]]
    assert queue(b, "msc_b") == []
    ok(b.api.post(f"/api/messages/{m['id']}/mark_delivered",
                  {"dest_smsc": "msc_b"}))
    # the registration expires: ignored, then purged by the ticks
    ok(a.api.post("/api/locations", {"msisdn": "+4915100000002",
                                     "imsi": "262010000000002",
                                     "location": "msc_c",
                                     "expires": in_future(2)}), 201)
    assert ok(a.api.get("/api/locations/+4915100000002"))["location"] == \
        "msc_c"
    wait_until(lambda: a.api.get("/api/locations/+4915100000002")
               .status_code == 404, scaled(10), what="location expiry")


# --------------------------------------------------------------- events


def test_event_sequence_of_a_routed_retried_delivered_message(cluster3):
    leader = cluster3.leader()
    f1, f2 = cluster3.followers()
    add_route(f1, called_prefix="+4915187", dest_smsc="de_gw")
    m = create(f1)
    assert m["dest_smsc"] == "de_gw"
    r = f2.api.put(f"/api/messages/{m['id']}")
    assert r.status_code == 200, describe(r)
    r = leader.api.put(f"/api/messages/{m['id']}")
    assert r.status_code == 200, describe(r)
    ok(f2.api.post(f"/api/messages/{m['id']}/mark_delivered",
                   {"dest_smsc": "de_gw"}))
    cluster3.wait_converged()
    expected = ["message_inserted", "message_routed", "delivery_attempt_1",
                "delivery_attempt_2", "message_delivered"]
    for n in cluster3:
        ev = events(n, m["id"])
        assert [e["name"] for e in ev] == expected, ev
        # each event names the node that caused it
        assert [e["event_source"] for e in ev] == \
            [f1.name, f1.name, f2.name, leader.name, f2.name], ev
        epochs = [e["event_epoch"] for e in ev]
        assert epochs == sorted(epochs)
        assert "de_gw" in ev[1]["description"]
    custom = ok(f1.api.post("/api/events", {
        "message_id": m["id"], "name": "external_delivery_confirmed",
        "description": "confirmed by the handset"}), 201)
    assert custom["event_source"] == f1.name
    assert custom["message_id"] == m["id"]
    ext = ok(f2.api.post("/api/events", {
        "message_id": m["id"], "name": "billing", "event_source": "ocs"}), 201)
    assert ext["event_source"] == "ocs"
    assert event_names(f2, m["id"])[-2:] == ["external_delivery_confirmed",
                                             "billing"]
    assert_error(f1.api.post("/api/events", {"message_id": 999999,
                                             "name": "x"}), 404,
                 "Message not found")
    assert_error(f1.api.post("/api/events", {"message_id": m["id"]}), 422,
                 "name")
    assert ok(f1.api.get("/api/events/999999")) == []


def test_expiry_records_dead_letter_event(node):
    m = create(node, expires=in_future(1))
    wait_until(lambda: node.message(m["id"])["status"] == "expired",
               scaled(10), what="expiry")
    names = event_names(node, m["id"])
    assert names[-1] == "message_dead_letter", names


# --------------------------------------------------------------- duplicates


def test_idempotency_key_versus_identical_texts(cluster3):
    a, b, _ = list(cluster3)
    key = new_key()
    body = message_body(message_body="same text")
    first = a.api.post("/api/messages", body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, describe(first)
    again = b.api.post("/api/messages", body, headers={"Idempotency-Key": key})
    assert again.status_code == 201, describe(again)
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    x = create(a, message_body="same text")
    y = create(b, message_body="same text")
    assert len({x["id"], y["id"], first.json()["data"]["id"]}) == 3
