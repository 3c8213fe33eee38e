"""Logs (SPEC §11, issue "observability"): one line per event with the
request id, message id and route id where they apply; the last lines of a
node at GET /api/logs; the file reopened on SIGHUP (logrotate)."""

import os
import signal

from smsc import assert_error, message_body, ok, wait_until


def lines(node, **params):
    return ok(node.api.get("/api/logs", params=params))


def test_recent_lines_and_filters(node):
    got = lines(node)
    assert any("ready" in l for l in got), got
    assert all(" info " in l or " warning " in l or " error " in l
               for l in got), got
    assert len(lines(node, limit=1)) == 1
    assert all(" warning " in l or " error " in l
               for l in lines(node, level="warning"))
    assert_error(node.api.get("/api/logs", params={"level": "loud"}), 422,
                 "level")
    assert_error(node.api.get("/api/logs", params={"limit": 0}), 422,
                 "limit")


def test_message_lines_carry_ids(make_node):
    node = make_node(logging={"level": "debug"})
    ok(node.api.post("/api/routes", {"called_prefix": "+4477",
                                     "dest_smsc": "uk-gw"}), 201)
    route_id = ok(node.api.get("/api/routes"))[0]["id"]
    body = message_body(destination_msisdn="+447700900123")
    body.pop("dest_smsc", None)
    m = ok(node.api.post("/api/messages", body,
                         headers={"Idempotency-Key": "log-key-1"}), 201)
    want = (f"message_id={m['id']}", f"route_id={route_id}",
            "dest_smsc=uk-gw", "request_id=log-key-1")
    wait_until(lambda: any(all(w in l for w in want) for l in lines(node)),
               5, what="a line naming the message, route and request")


def test_log_file_reopened_on_sighup(make_node, tmp_path):
    path = tmp_path / "smscd.log"
    node = make_node(logging={"level": "info", "file": str(path)})
    wait_until(lambda: path.exists() and "ready" in path.read_text(), 5,
               what="the log file")
    rotated = tmp_path / "smscd.log.1"
    os.rename(path, rotated)
    node.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: path.exists() and "reopening" in path.read_text()
               + rotated.read_text(), 5, what="a new log file after SIGHUP")
    assert node.api.get("/api/status").status_code == 200
    assert path.exists()
