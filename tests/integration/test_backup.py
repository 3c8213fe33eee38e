"""Backup and restore (SPEC §4): GET /api/backup is a consistent, versioned
JSON document of the whole replicated state; POST /api/restore puts it into
a cluster that holds no messages (through any node), after which that
cluster answers exactly like the one backed up."""

import base64
import hashlib
import json

import requests

from smsc import assert_error, create, ok, scaled, wait_until
from test_admin import assert_same_state


def populate(node):
    ok(node.api.post("/api/routes", {"called_prefix": "+44",
                                     "dest_smsc": "uk-gw"}), 201)
    ok(node.api.post("/api/translation_rules", {
        "calling_match": "^(\\d{10})$", "calling_replace": "+1\\1",
        "priority": 5}), 201)
    ok(node.api.post("/api/locations", {"msisdn": "+447700900001",
                                        "imsi": "001010000000001",
                                        "location": "msc1"}), 201)
    ok(node.api.post("/api/frontends", {"frontend_name": "fe1"}), 201)
    ids = []
    for i in range(40):
        m = create(node, destination_msisdn=f"+4477009{i:05d}",
                   message_body=f"backup {i}")
        ids.append(m["id"])
    for i in ids[:10]:
        ok(node.api.post(f"/api/messages/{i}/mark_delivered"))
    ok(node.api.patch("/api/settings", {"max_delivery_attempts": 4}))
    return ids


def dump(node):
    """A canonical view of a node's replicated state through the API."""
    def get(path):
        return ok(node.api.get(path, params={"limit": 1000}))
    routes = node.api.get("/api/routes/export").json()
    rules = node.api.get("/api/translation_rules/export").json()
    routes, rules = routes.get("data", routes), rules.get("data", rules)
    return {
        "messages": get("/api/messages"),
        "routes": routes["routes"], "rules": rules["rules"],
        "locations": get("/api/locations"),
        "frontends": get("/api/frontends"),
        "settings": ok(node.api.get("/api/settings")),
        "events": ok(node.api.get("/api/events/1")),
    }


def backup(node):
    r = requests.get(node.url + "/api/backup", timeout=scaled(30))
    assert r.status_code == 200, r.text[:300]
    doc = r.json()
    state = base64.b64decode(doc["state"])
    assert len(state) == doc["state_bytes"]
    assert hashlib.sha256(state).hexdigest() == doc["sha256"]
    return doc


def test_backup_restore_round_trip(make_node, make_cluster):
    a = make_node()
    populate(a)
    doc = backup(a)
    assert doc["format"] == "smsc-backup" and doc["version"] == 1
    assert doc["counts"]["messages"] == 40
    assert doc["cluster_id"] == a.status()["cluster_id"]

    b = make_cluster(3)
    via = b.followers()[0]  # forwarded to the leader
    got = ok(via.api.post("/api/restore", doc))
    assert got["messages"] == 40
    want = dump(a)
    for n in b.nodes:
        wait_until(lambda n=n: dump(n) == want, scaled(10),
                   what=f"{n.name} answering like the backed-up node")
    # every replica holds the same state
    assert_same_state(b.nodes)
    # the restored cluster goes on: ids continue, its members are its own
    m = create(b.leader())
    assert m["id"] == 41
    assert {x["name"] for x in ok(via.api.get("/api/cluster"))["members"]} \
        == {n.name for n in b.nodes}
    # a backup of the restored cluster restores to the same state again
    doc2 = backup(b.leader())
    assert doc2["counts"]["messages"] == 41


def test_restore_refusals(make_node):
    a = make_node()
    populate(a)
    doc = backup(a)
    c = make_node()
    bad = dict(doc, sha256="0" * 64)
    assert_error(c.api.post("/api/restore", bad), 422, "sha256")
    assert_error(c.api.post("/api/restore", dict(doc, format="tar")), 422,
                 "Not an smsc backup")
    assert_error(c.api.post("/api/restore", dict(doc, version=9)), 422,
                 "version 9")
    cut = base64.b64decode(doc["state"])[:-20]
    broken = dict(doc, state=base64.b64encode(cut).decode(),
                  state_bytes=len(cut),
                  sha256=hashlib.sha256(cut).hexdigest())
    assert_error(c.api.post("/api/restore", broken), 422, "state")
    assert ok(c.api.get("/api/messages")) == []
    create(c)
    assert_error(c.api.post("/api/restore", doc), 409, "holds 1 messages")
    assert len(ok(c.api.get("/api/messages"))) == 1


def test_backup_is_json_streamed(make_node):
    a = make_node()
    populate(a)
    with requests.get(a.url + "/api/backup", stream=True,
                      timeout=scaled(30)) as r:
        assert r.headers["Content-Type"] == "application/json"
        assert r.headers.get("Transfer-Encoding") == "chunked"
        body = b"".join(r.iter_content(65536))
    doc = json.loads(body)
    assert doc["state_format"] == "smsc-snapshot-5"
