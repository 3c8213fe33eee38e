"""smscctl, the admin CLI, end to end against real nodes.

Runs the binary named by $SMSCCTL (default <repo>/build/smscctl) as a
subprocess and checks its exit codes, its --json documents and its tables.
"""

import json
import os
import re
import subprocess
import time

import pytest

import smsc
from smsc import create, ok, scaled, wait_until

SMSCCTL = os.environ.get("SMSCCTL") or str(smsc.REPO / "build" / "smscctl")


@pytest.fixture(autouse=True, scope="module")
def _binary():
    if not os.path.exists(SMSCCTL):
        pytest.skip(f"smscctl not found at {SMSCCTL}: run `make` or set "
                    "SMSCCTL")


def ctl(node, *args, timeout=None, env=None):
    """Runs smscctl against node (a Node, or a base URL); returns the
    CompletedProcess (text stdout and stderr)."""
    url = node if isinstance(node, str) else node.url
    return subprocess.run([SMSCCTL, "--node", url, *args],
                          capture_output=True, text=True, env=env,
                          timeout=timeout or scaled(60))


def ctl_ok(node, *args, **kw):
    res = ctl(node, *args, **kw)
    assert res.returncode == 0, (f"smscctl {' '.join(args)} exited "
                                 f"{res.returncode}: {res.stderr}{res.stdout}")
    return res


def ctl_json(node, *args, **kw):
    return json.loads(ctl_ok(node, "--json", *args, **kw).stdout)


def require(node, path):
    """The node has the endpoint GET path (fails the test otherwise)."""
    resp = node.api.get(path)
    if resp.status_code in (404, 405):
        pytest.fail(f"GET {path} is missing: {smsc.describe(resp)}")
    return resp


def help_commands(text):
    """The command words listed by `smscctl --help`."""
    section = text.split("commands:\n", 1)[1].split("\n\n", 1)[0]
    out = []
    for line in section.splitlines():
        words = []
        for w in re.split(r"\s{2,}", line.strip())[0].split():
            if not re.fullmatch(r"[a-z]+", w):
                break
            words.append(w)
        out.append(words)
    return out


# --------------------------------------------------------------- CLI only


def test_help_on_the_tool_every_command_and_group():
    res = subprocess.run([SMSCCTL, "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "usage" in res.stdout
    for word in ("exit codes", "--node", "--api-key", "--json", "--timeout"):
        assert word in res.stdout
    commands = help_commands(res.stdout)
    assert ["nodes", "add"] in commands and ["status"] in commands
    assert len(commands) >= 25
    groups = {c[0] for c in commands if len(c) == 2}
    for words in commands + [[g] for g in groups]:
        for flag in ("--help", "-h"):
            r = subprocess.run([SMSCCTL, *words, flag], capture_output=True,
                               text=True)
            assert r.returncode == 0, (words, r.stderr)
            assert "usage" in r.stdout, (words, r.stdout)
            assert r.stderr == ""


@pytest.mark.parametrize("args", [
    [],
    ["frobnicate"],
    ["--frobnicate", "status"],
    ["status", "--frobnicate"],
    ["status", "extra"],
    ["nodes"],
    ["nodes", "frobnicate"],
    ["nodes", "add", "n4"],
    ["messages", "get"],
    ["messages", "get", "not-a-number"],
    ["messages", "send", "--to", "+491", "text"],
    ["messages", "list", "--limit"],
    ["settings", "set", "novalue"],
    ["--timeout", "soon", "status"],
    ["--node", "ftp://example.com", "status"],
    ["routes", "import"],
    ["messages", "tail", "--interval", "0"],
], ids=lambda a: " ".join(a) or "nothing")
def test_usage_errors_exit_2(args):
    res = subprocess.run([SMSCCTL, *args], capture_output=True, text=True)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert res.stderr.strip(), "a usage error says why on stderr"


def test_unreachable_node_exits_3():
    url = f"http://127.0.0.1:{smsc.free_port()}"
    for args in (["status"], ["messages", "list"], ["nodes", "list"],
                 ["settings"], ["bench", "--duration", "1"]):
        res = ctl(url, *args)
        assert res.returncode == 3, (args, res.stderr)
        assert url in res.stderr


# --------------------------------------------------------------- one node


def test_api_error_exits_1_with_status_and_detail(node):
    res = ctl(node, "messages", "get", "987654321")
    assert res.returncode == 1
    assert res.stderr.startswith("smscctl: 404 "), res.stderr
    assert "Message not found" in res.stderr
    res = ctl(node, "messages", "list", "--status", "bogus")
    assert res.returncode == 1 and "422" in res.stderr
    assert "status must be one of" in res.stderr


def test_status_of_one_node(node):
    doc = ctl_json(node, "status")
    st = node.status()
    assert doc["cluster_id"] == st["cluster_id"]
    assert doc["leader"] == node.name and doc["healthy"] is True
    assert doc["problems"] == []
    [m] = doc["members"]
    assert m["name"] == node.name
    assert m["status"]["role"] == "leader" and m["lag"] == 0
    out = ctl_ok(node, "status").stdout
    assert re.search(r"^NAME\s+ROLE\s+RAFT_ROLE\s+TERM", out, re.M), out
    assert re.search(rf"^{node.name}\s+leader\s", out, re.M), out
    assert "{" not in out
    assert ctl_json(node, "nodes", "list")[0]["name"] == node.name


def test_messages_send_get_list(node):
    sid = ctl_ok(node, "messages", "send", "--from", "+4915111111111",
                 "--to", "+4915122222222", "--dest", "gw1",
                 "hello from smscctl").stdout.strip()
    assert sid.isdigit(), sid
    m = ctl_json(node, "messages", "get", sid)
    assert m == node.message(int(sid))
    assert (m["message_body"], m["dest_smsc"], m["source_smsc"]) == (
        "hello from smscctl", "gw1", "smscctl")
    out = ctl_ok(node, "messages", "get", sid).stdout
    assert re.search(r"^message_body\s+hello from smscctl$", out, re.M), out
    sent = ctl_json(node, "messages", "send", "--from", "+4915111111111",
                    "--to", "+4915133333333", "--smsc", "cli", "--dest",
                    "gw2", "second")
    assert sent["source_smsc"] == "cli"
    listed = ctl_json(node, "messages", "list", "--smsc", "cli")
    assert [x["id"] for x in listed] == [sent["id"]]
    assert len(ctl_json(node, "messages", "list", "--limit", "1")) == 1
    out = ctl_ok(node, "messages", "list").stdout
    assert out.splitlines()[0].split()[:3] == ["ID", "STATUS", "FROM"]
    assert re.search(rf"^{sid}\s+pending\s+\+4915111111111", out, re.M), out


def start_tail(node, *args):
    return subprocess.Popen([SMSCCTL, "--node", node.url, *args, "messages",
                             "tail", "--interval", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def stop_tail(proc):
    proc.terminate()
    out, err = proc.communicate(timeout=scaled(10))
    return out, err


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "table"])
def test_messages_tail_prints_new_messages(node, as_json):
    old = [create(node, message_body=f"old {i}", dest_smsc="gw")
           for i in range(5)]
    proc = start_tail(node, *(["--json"] if as_json else []))
    try:
        time.sleep(scaled(1.5))  # it has found the end of the list
        # a message leaving the store shifts the offsets tail follows
        assert node.api.delete(f"/api/messages/{old[1]['id']}"
                               ).status_code == 204
        new = [create(node, message_body=f"new {i}", dest_smsc="gw")
               for i in range(3)]
        time.sleep(scaled(1.5))
    finally:
        out, err = stop_tail(proc)
    assert proc.returncode == 0, err
    if as_json:
        got = [json.loads(line) for line in out.splitlines()]
        assert [m["id"] for m in got] == [m["id"] for m in new]
        assert got[0]["message_body"] == "new 0"
    else:
        lines = out.splitlines()
        assert lines[0].startswith("ID ")
        assert [int(x.split()[0]) for x in lines[1:]] == [m["id"]
                                                         for m in new]


def test_routes_and_rules_round_trip(node, tmp_path):
    for i in range(6):
        ok(node.api.post("/api/routes", {
            "called_prefix": f"+{i + 30}", "dest_smsc": f"gw{i % 3}",
            "priority": i + 1, "description": f"route {i}"}), 201)
        ok(node.api.post("/api/translation_rules", {
            "called_prefix": f"{i}", "called_match": f"^{i}(\\d+)$",
            "called_replace": f"+{i}\\1", "priority": i + 1}), 201)
    for group, key in (("routes", "routes"), ("rules", "rules")):
        path = tmp_path / f"{group}.json"
        ctl_ok(node, group, "export", str(path))
        first = json.loads(path.read_text())
        assert first["count"] == 6
        assert json.loads(ctl_ok(node, group, "export").stdout)[key] == \
            first[key]
        out = ctl_ok(node, group, "import", str(path), "--replace").stdout
        assert "imported 6, failed 0" in out
        again = json.loads(ctl_ok(node, group, "export").stdout)
        assert again[key] == first[key]
        listed = ctl_json(node, group, "list")
        assert [r["id"] for r in listed] == [r["id"] for r in first[key]]
        table = ctl_ok(node, group, "list").stdout
        assert table.startswith("ID ") and len(table.splitlines()) == 7
    res = ctl(node, "routes", "import", str(tmp_path / "missing.json"))
    assert res.returncode == 1 and "missing.json" in res.stderr


def test_frontends_cdr_stats_and_logs(node):
    ok(node.api.post("/api/frontends", {"frontend_name": "smpp-1",
                                        "frontend_type": "smpp"}), 201)
    fes = ctl_json(node, "frontends")
    assert [f["frontend_name"] for f in fes] == ["smpp-1"]
    assert [f["status"] for f in ctl_json(node, "frontends", "--active")] \
        == ["active"]
    out = ctl_ok(node, "frontends").stdout
    assert re.search(r"^smpp-1\s+smpp\s+active", out, re.M), out
    stats = ctl_json(node, "cdr", "stats")
    for key in ("total_enqueued", "total_flushed", "current_queue_size"):
        assert key in stats
    out = ctl_ok(node, "cdr", "stats").stdout
    assert re.search(r"^total_enqueued\s+\d+$", out, re.M), out
    lines = ctl_json(node, "logs", "--limit", "5")
    assert isinstance(lines, list) and 0 < len(lines) <= 5
    assert ctl(node, "logs", "--level", "loud").returncode == 1


def test_api_key_and_environment(node):
    env = dict(os.environ, SMSC_NODE=node.url, SMSC_API_KEY="k123")
    res = subprocess.run([SMSCCTL, "--json", "status"], capture_output=True,
                         text=True, env=env, timeout=scaled(30))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["leader"] == node.name


# --------------------------------------------------------------- new API


def test_settings_get_and_set(node):
    require(node, "/api/settings")
    before = ctl_json(node, "settings")
    assert isinstance(before, dict) and before
    key = "frontend_timeout_seconds"
    assert key in before, sorted(before)
    after = ctl_json(node, "settings", "set", f"{key}=77")
    assert after[key] == 77
    assert ctl_ok(node, "settings", "get", key).stdout.strip() == "77"
    assert ctl_json(node, "settings", "get", key) == 77
    assert ctl_json(node, "settings")[key] == 77
    out = ctl_ok(node, "settings").stdout
    assert re.search(rf"^{key}\s+77$", out, re.M), out
    after = ctl_json(node, "settings", "set", "reject_unrouted=true",
                     "charging_failure_action=deny")
    assert (after["reject_unrouted"], after["charging_failure_action"]) == (
        True, "deny")
    res = ctl(node, "settings", "set", "no_such_setting=1")
    assert res.returncode == 1 and "422" in res.stderr
    assert "no_such_setting" in res.stderr
    assert ctl(node, "settings", "get", "no_such_setting").returncode == 1


def test_status_of_three_nodes_and_an_unreachable_one(cluster3):
    a = cluster3[0]
    require(a, "/api/cluster")
    leader = cluster3.leader()
    names = {n.name for n in cluster3}
    # founding members publish their API URL shortly after the start
    wait_until(lambda: all(m["api_url"] for m in
                           ok(a.api.get("/api/cluster"))["members"]), 20,
               what="every member's api_url")
    for n in cluster3:
        doc = ctl_json(n, "status")
        assert doc["leader"] == leader.name and doc["healthy"] is True
        assert {m["name"] for m in doc["members"]} == names
        for m in doc["members"]:
            assert m["role"] == "voter"
            assert m["status"]["role"] == ("leader" if m["name"] ==
                                           leader.name else "follower")
            assert isinstance(m["lag"], int)
    out = ctl_ok(a, "status").stdout
    for n in cluster3:
        assert re.search(rf"^{n.name}\s+(leader|follower)\s+voter\s", out,
                         re.M), out
    assert {m["name"] for m in ctl_json(a, "nodes", "list")} == names
    down = cluster3.followers()[0]
    down.stop()
    res = ctl(leader, "--json", "status")
    assert res.returncode == 4, res.stderr
    doc = json.loads(res.stdout)
    assert doc["healthy"] is False
    assert f"{down.name} unreachable" in doc["problems"]
    [m] = [m for m in doc["members"] if m["name"] == down.name]
    assert m["status"] is None and m["lag"] is None
    res = ctl(leader, "status")
    assert res.returncode == 4
    assert re.search(rf"^{down.name}\s+unreachable\s", res.stdout, re.M)
    assert "unreachable" in res.stderr
    assert ctl(leader, "nodes", "list").returncode == 0


def test_leader_transfer(cluster3):
    leader = cluster3.leader()
    target = cluster3.followers()[0]
    require(leader, "/api/cluster")
    out = ctl_ok(target, "leader", "transfer", target.name).stdout
    assert out.strip() == f"leader: {target.name}"
    assert cluster3.wait_for_leader() is target
    doc = ctl_json(target, "leader", "transfer")
    assert doc["leader"] != target.name
    wait_until(lambda: cluster3.wait_for_leader().name == doc["leader"], 20,
               what="the new leader")


def test_nodes_add_demote_promote_remove(cluster3):
    a = cluster3[0]
    require(a, "/api/cluster")
    fourth = cluster3.join_new_node("node4", via=a)
    members = {m["name"]: m for m in ctl_json(a, "nodes", "list")}
    assert "node4" in members
    m4 = members["node4"]
    out = ctl_ok(a, "nodes", "add", "node4", m4["raft_address"],
                 m4["api_url"]).stdout
    assert "already a member" in out
    assert ctl_json(a, "nodes", "demote", "node4") == {"node": "node4",
                                                       "role": "standby"}
    roles = {m["name"]: m["role"] for m in ctl_json(a, "nodes", "list")}
    assert roles["node4"] == "standby"
    out = ctl_ok(a, "nodes", "promote", "node4").stdout
    assert out.strip() == "node4 is now a voter"
    ctl_ok(a, "nodes", "demote", "node4")
    assert fourth.stop() == 0
    out = ctl_ok(a, "nodes", "remove", "node4").stdout
    assert out.strip() == "removed node4"
    assert "node4" not in {m["name"] for m in ctl_json(a, "nodes", "list")}
    res = ctl(a, "nodes", "remove", "node4")
    assert res.returncode == 1 and "404" in res.stderr
    # the cluster is healthy again without it
    assert ctl(a, "status").returncode == 0
    body = ctl_json(a, "messages", "send", "--from", "+4915111111111",
                    "--to", "+4915122222222", "--dest", "gw", "after")
    assert body["message_body"] == "after"


def test_backup_and_restore_files(make_node, tmp_path):
    a = make_node()
    for i in range(5):
        smsc.create(a, message_body=f"kept {i}")
    path = tmp_path / "backup.json"
    res = ctl_ok(a, "backup", str(path))
    assert "backup written" in res.stdout
    doc = json.loads(path.read_text())
    assert doc["format"] == "smsc-backup" and doc["counts"]["messages"] == 5
    b = make_node()
    got = ctl_json(b, "restore", str(path))
    assert got["messages"] == 5
    assert [m["message_body"] for m in b.all_messages()] == \
        [m["message_body"] for m in a.all_messages()]
    # a cluster holding messages refuses: exit 1 with the detail
    res = ctl(b, "restore", str(path))
    assert res.returncode == 1 and "409" in res.stderr, res.stderr


def test_snapshot(node):
    got = ctl_json(node, "snapshot")
    assert got["node"] == node.name and got["index"] > 0 and got["bytes"] > 0
    assert f"snapshot at index {got['index']}" in node.log_path.read_text()
    assert got["state_bytes"] >= got["bytes"]
    res = ctl_ok(node, "snapshot")
    assert "snapshot at index" in res.stdout
    assert "bytes stored" in res.stdout and "bytes of state" in res.stdout
