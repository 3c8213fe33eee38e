"""CDRs end to end (SPEC §10, §4): smscd nodes writing the replicated
outbox into SQLite (per node), PostgreSQL and MariaDB (leader only).

Every move into a final state gives exactly one row in `cdrs`; the
reference's example queries run unchanged against those rows; a leader
killed mid-flush, a SQL outage and two clusters sharing one database
neither lose nor duplicate a row; a dead database bounds the outbox and
submissions then get 503 `CDR backlog full`.  The SQL servers are the
real ones of sqlservers.py (skipped when not installed).
"""

import csv
import io
import sqlite3
import threading
import time
import uuid

import requests

import smsc
from smsc import (Cluster, assert_error, create, describe, in_future, ok,
                  scaled, wait_until)

FAST = {"batch_insert_flush_interval_ms": 50}


# --------------------------------------------------------------- helpers


def stats(node):
    return ok(node.api.get("/api/cdr/stats"))


def deliver(node, msg_id, dest_smsc="smscB"):
    return node.api.post(f"/api/messages/{msg_id}/mark_delivered",
                         {"dest_smsc": dest_smsc})


def sqlite_rows(node, where="1=1"):
    path = node.data_dir / "cdr.sqlite"
    if not path.exists():
        return []
    db = sqlite3.connect(str(path), timeout=10)
    try:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in
                db.execute(f"SELECT * FROM cdrs WHERE {where} ORDER BY id")]
    finally:
        db.close()


def sqlite_query(node, statement):
    db = sqlite3.connect(str(node.data_dir / "cdr.sqlite"), timeout=10)
    try:
        return [tuple(r) for r in db.execute(statement)]
    finally:
        db.close()


def server_rows(server, statement, db):
    """The rows of a query through the server's own client, as tuples of
    strings (psql -tA: '|' separated; mariadb -N -B: tab separated)."""
    out = server.sql(statement, db)
    sep = "|" if server.ADAPTER == "postgres" else "\t"
    return [tuple(line.split(sep)) for line in out.splitlines() if line]


def wait_rows(count_fn, expected, timeout=30, what="CDR rows"):
    def enough():
        n = count_fn()
        return True if n == expected else smsc.Unmet(n)
    wait_until(enough, timeout, interval=0.2,
               what=f"{what} == {expected}")


def wait_drained(nodes, timeout=30):
    def drained():
        sizes = {n.name: stats(n)["current_queue_size"] for n in nodes}
        return True if all(v == 0 for v in sizes.values()) else \
            smsc.Unmet(sizes)
    wait_until(drained, timeout, interval=0.2, what="CDR outbox drained")


def metric(node, name):
    for line in node.metrics().text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"metric {name} not exported")


def rows_in(server, db):
    """COUNT(*) of cdrs, -1 while the writer has not created the table."""
    try:
        return server.count("SELECT COUNT(*) FROM cdrs", db)
    except AssertionError:
        return -1


def no_duplicates(server, db):
    dups = server.sql("SELECT message_id, COUNT(*) FROM cdrs GROUP BY "
                      "message_id HAVING COUNT(*) > 1", db)
    assert dups == "", f"duplicate CDRs (message_id|count): {dups}"


# the reference's example queries, verbatim
DAILY_VOLUME = ("SELECT DATE(submission_time) as date, dest_smsc, "
                "COUNT(*) as message_count FROM cdrs GROUP BY "
                "DATE(submission_time), dest_smsc ORDER BY date DESC, "
                "message_count DESC;")
DELIVERY_RATE = ("SELECT status, COUNT(*) as count, ROUND(COUNT(*) * 100.0 / "
                 "(SELECT COUNT(*) FROM cdrs), 2) as percentage FROM cdrs "
                 "GROUP BY status;")
FAILURES = ("SELECT called_number, COUNT(*) as failed_count FROM cdrs WHERE "
            "status IN ('failed', 'expired') GROUP BY called_number HAVING "
            "COUNT(*) > 0 ORDER BY failed_count DESC;")


def check_reference_queries(rows, expected):
    """rows: {query: list of tuples}; expected: list of (status, dest_smsc,
    called_number, submission date 'YYYY-MM-DD') per created CDR."""
    def norm_null(v):
        return None if v in (None, "", "NULL") else v

    vol = {}
    for _, smsc_, _, day in expected:
        vol[(day, smsc_)] = vol.get((day, smsc_), 0) + 1
    got = {(str(r[0])[:10], norm_null(r[1])): int(r[2])
           for r in rows[DAILY_VOLUME]}
    assert got == vol, f"daily volume {got} != {vol}"
    counts = [int(r[2]) for r in rows[DAILY_VOLUME]]
    assert counts == sorted(counts, reverse=True) or \
        len({r[0] for r in rows[DAILY_VOLUME]}) > 1

    total = len(expected)
    by_status = {}
    for st, _, _, _ in expected:
        by_status[st] = by_status.get(st, 0) + 1
    got = {r[0]: (int(r[1]), float(r[2])) for r in rows[DELIVERY_RATE]}
    assert set(got) == set(by_status), f"{got} vs {by_status}"
    for st, n in by_status.items():
        assert got[st][0] == n, f"{st}: {got[st]} != {n}"
        assert abs(got[st][1] - round(n * 100.0 / total, 2)) < 0.006, \
            f"{st}: percentage {got[st][1]}"

    fails = {}
    for st, _, called, _ in expected:
        if st in ("failed", "expired"):
            fails[called] = fails.get(called, 0) + 1
    got_f = [(r[0], int(r[1])) for r in rows[FAILURES]]
    assert dict(got_f) == fails, f"failures {got_f} != {fails}"
    assert [n for _, n in got_f] == sorted(fails.values(), reverse=True)


def today():
    return smsc.utcnow().strftime("%Y-%m-%d")


# --------------------------------------------------------------- SQLite


def test_sqlite_every_final_state_one_row(make_node):
    node = make_node(**FAST)
    name = node.name
    m_del = create(node, source_msisdn="+4911100001",
                   destination_msisdn="+4922200001", dest_smsc="smscA",
                   message_body="to be delivered")
    m_exp = create(node, source_msisdn="+4911100002",
                   destination_msisdn="+4922200002", dest_smsc="smscA",
                   message_body="to expire", expires=in_future(2))
    m_drop = create(node, source_msisdn="+4911100003",
                    destination_msisdn="+4922200003", dest_smsc="smscB",
                    message_body="to be dropped")
    m_fail = create(node, source_msisdn="+4911100004",
                    destination_msisdn="+4922200004", dest_smsc="smscB",
                    message_body="to fail")
    m_rej = create(node, source_msisdn="+4911100005",
                   destination_msisdn="+4922200005", dest_smsc="smscB",
                   message_body="to reject")
    assert ok(deliver(node, m_del["id"], "smscA"))["status"] == "delivered"
    r = node.api.delete(f"/api/messages/{m_drop['id']}")
    assert r.status_code == 204, describe(r)
    assert ok(node.api.patch(f"/api/messages/{m_fail['id']}",
                             {"status": "failed"}))["status"] == "failed"
    assert ok(node.api.patch(f"/api/messages/{m_rej['id']}",
                             {"status": "rejected"}))["status"] == "rejected"
    wait_rows(lambda: len(sqlite_rows(node)), 5, timeout=15)

    rows = {r["message_id"]: r for r in sqlite_rows(node)}
    assert len(sqlite_rows(node)) == 5 and len(rows) == 5
    want = {m_del["id"]: ("delivered", "smscA"),
            m_exp["id"]: ("expired", "smscA"),
            m_drop["id"]: ("dropped", "smscB"),
            m_fail["id"]: ("failed", "smscB"),
            m_rej["id"]: ("rejected", "smscB")}
    for m in (m_del, m_exp, m_drop, m_fail, m_rej):
        row = rows[m["id"]]
        st, dsmsc = want[m["id"]]
        assert row["status"] == st, row
        assert row["calling_number"] == m["source_msisdn"], row
        assert row["called_number"] == m["destination_msisdn"], row
        assert row["source_smsc"] == "test_smsc", row
        assert row["dest_smsc"] == dsmsc, row
        assert row["origin_node"] == name, row
        assert row["message_body"] == m["message_body"], row
        assert row["message_parts"] == 1, row
        assert row["submission_time"].startswith(
            m["inserted_at"][:10]), row
        assert row["expiry_time"], row
        if st == "delivered":
            assert row["delivery_time"] is not None, row
            assert row["delivery_time"] >= row["submission_time"], row
            assert row["destination_node"] == name, row
        else:
            assert row["delivery_time"] is None, row
            assert row["destination_node"] is None, row
    assert rows[m_exp["id"]]["deadletter"] == 1
    assert rows[m_del["id"]]["deadletter"] == 0

    # the same rows through GET /api/cdrs (JSON)
    data = ok(node.api.get("/api/cdrs"))
    assert sorted(d["message_id"] for d in data) == sorted(rows)
    for d in data:
        row = rows[d["message_id"]]
        for k in ("calling_number", "called_number", "source_smsc",
                  "dest_smsc", "origin_node", "destination_node", "status",
                  "message_body", "delivery_attempts", "message_parts"):
            assert d[k] == row[k], (k, d, row)
        assert d["deadletter"] == bool(row["deadletter"])
        assert (d["delivery_time"] is None) == (row["delivery_time"] is None)
    one = ok(node.api.get("/api/cdrs", params={"msisdn": "+4922200004"}))
    assert [d["message_id"] for d in one] == [m_fail["id"]]
    one = ok(node.api.get("/api/cdrs", params={"msisdn": "+4911100001"}))
    assert [d["message_id"] for d in one] == [m_del["id"]]
    exp = ok(node.api.get("/api/cdrs", params={"status": "expired"}))
    assert [d["message_id"] for d in exp] == [m_exp["id"]]

    hour = 3600
    assert len(ok(node.api.get("/api/cdrs", params={
        "from": in_future(-hour), "to": in_future(hour)}))) == 5
    assert ok(node.api.get("/api/cdrs", params={"from": in_future(hour)})) \
        == []
    assert ok(node.api.get("/api/cdrs", params={"to": in_future(-hour)})) \
        == []
    assert len(ok(node.api.get("/api/cdrs", params={"limit": 2}))) == 2

    # and as CSV
    r = node.api.get("/api/cdrs", params={"format": "csv"})
    assert r.status_code == 200, describe(r)
    assert r.headers["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert r.text.startswith("id,message_id,calling_number,called_number,")
    assert list(table[0])[-1] == "message_body"
    assert sorted(int(t["message_id"]) for t in table) == sorted(rows)
    for t in table:
        row = rows[int(t["message_id"])]
        assert t["status"] == row["status"]
        assert t["called_number"] == row["called_number"]
        assert t["message_body"] == row["message_body"]
        assert t["origin_node"] == name
        assert (t["delivery_time"] == "") == (row["delivery_time"] is None)

    # requeue: a failed message back to pending, then delivered -> 2nd row
    r = node.api.patch(f"/api/messages/{m_fail['id']}", {"status": "pending"})
    assert ok(r)["status"] == "pending"
    assert ok(deliver(node, m_fail["id"], "smscC"))["status"] == "delivered"
    wait_rows(lambda: len(sqlite_rows(node)), 6, timeout=15)
    again = sqlite_rows(node, f"message_id = {m_fail['id']}")
    assert [r["status"] for r in again] == ["failed", "delivered"], again
    assert again[1]["dest_smsc"] == "smscC"
    assert again[1]["destination_node"] == name
    assert again[1]["delivery_time"] is not None
    st = stats(node)
    assert st["adapter"] == "sqlite" and st["writer"] == name
    assert st["cdr_enabled"] is True and st["connected"] is True
    assert st["rows_flushed"] == 6 and st["current_queue_size"] == 0
    assert metric(node, "sms_c_cdr_written_rows_total") == 6

    # the deleted (dropped) message's events are read back from SQL
    ev = ok(node.api.get(f"/api/events/{m_drop['id']}"))
    names = [e["name"] for e in ev]
    assert names[0] == "message_inserted" and "message_dropped" in names

    # the reference's example queries, unchanged, on SQLite
    expected = [(rows[i]["status"], rows[i]["dest_smsc"],
                 rows[i]["called_number"], today()) for i in rows]
    expected.append(("delivered", "smscC", "+4922200004", today()))
    check_reference_queries(
        {q: sqlite_query(node, q) for q in (DAILY_VOLUME, DELIVERY_RATE,
                                            FAILURES)}, expected)


def test_sqlite_drop_route_and_max_attempts(make_node):
    node = make_node(max_delivery_attempts=2, **FAST)
    ok(node.api.post("/api/routes", {"called_prefix": "+4977", "drop": True,
                                     "description": "blocked"}), 201)
    dropped = create(node, destination_msisdn="+4977123456")
    assert dropped["status"] == "dropped"
    m = create(node, destination_msisdn="+4988123456", dest_smsc="smscA")
    for _ in range(2):
        r = node.api.put(f"/api/messages/{m['id']}", {})
        assert r.status_code == 200, describe(r)
    assert node.message(m["id"])["status"] == "failed"
    wait_rows(lambda: len(sqlite_rows(node)), 2, timeout=15)
    rows = {r["message_id"]: r for r in sqlite_rows(node)}
    assert rows[dropped["id"]]["status"] == "dropped"
    assert rows[dropped["id"]]["called_number"] == "+4977123456"
    assert rows[m["id"]]["status"] == "failed"
    assert rows[m["id"]]["delivery_attempts"] == 2
    assert rows[m["id"]]["delivery_time"] is None
    # a final message answers 409 and writes no second row
    r = node.api.put(f"/api/messages/{m['id']}", {})
    assert r.status_code == 409, describe(r)
    time.sleep(scaled(0.5))
    assert len(sqlite_rows(node)) == 2


def test_sqlite_body_settings(make_node):
    node = make_node(delete_message_body_after_delivery=True,
                     hide_message_body_in_export=True, **FAST)
    a = create(node, message_body="secret delivered", dest_smsc="smscA")
    b = create(node, message_body="secret failed", dest_smsc="smscA")
    ok(deliver(node, a["id"]))
    ok(node.api.patch(f"/api/messages/{b['id']}", {"status": "failed"}))
    wait_rows(lambda: len(sqlite_rows(node)), 2, timeout=15)
    rows = {r["message_id"]: r for r in sqlite_rows(node)}
    assert rows[a["id"]]["message_body"] is None, rows[a["id"]]
    assert rows[b["id"]]["message_body"] == "secret failed"
    r = node.api.get("/api/cdrs", params={"format": "csv"})
    assert r.status_code == 200, describe(r)
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert len(table) == 2
    assert all(t["message_body"] == "" for t in table), table
    assert "secret" not in r.text


def test_sqlite_cdr_disabled(make_node):
    node = make_node(cdr_enabled=False, **FAST)
    a = create(node, dest_smsc="smscA")
    b = create(node, dest_smsc="smscA")
    ok(deliver(node, a["id"]))
    assert node.api.delete(f"/api/messages/{b['id']}").status_code == 204
    time.sleep(scaled(1.5))
    assert sqlite_rows(node) == []
    st = stats(node)
    assert st["cdr_enabled"] is False
    assert st["rows_flushed"] == 0
    assert ok(node.api.get("/api/cdrs")) == []


# --------------------------------------------------------------- cluster


def test_sqlite_cluster_every_node_writes_every_row(make_cluster):
    """SQLite: every member's own file gets every CDR, also those made in
    the first seconds after the cluster formed (before the followers'
    node_info announcements are applied), and the outbox is trimmed only
    at the slowest member's acknowledgement."""
    c = make_cluster(3, **FAST)
    nodes = list(c)
    lead = c.leader()
    ids = []
    # a burst at once, through the leader (no forwarding delay)
    for i in range(30):
        m = create(lead, dest_smsc="smscA")
        ok(deliver(lead, m["id"], "smscA"))
        ids.append(m["id"])
    for i in range(12):
        m = create(nodes[i % 3], dest_smsc="smscA")
        ok(deliver(nodes[(i + 1) % 3], m["id"], "smscA"))
        ids.append(m["id"])
    for nd in nodes:
        wait_rows(lambda: len(sqlite_rows(nd)), len(ids), timeout=10,
                  what=f"rows in {nd.name}'s cdr.sqlite")
        rows = sqlite_rows(nd)
        assert sorted(r["message_id"] for r in rows) == sorted(ids)
        per_origin = {}
        for r in rows:
            per_origin[r["origin_node"]] = per_origin.get(r["origin_node"],
                                                          0) + 1
        want = {n.name: 4 for n in nodes}
        want[lead.name] += 30
        assert per_origin == want
        assert stats(nd)["writer"] == nd.name
    # the outbox is trimmed once every voter has acknowledged
    wait_drained(nodes)
    for nd in nodes:
        st = stats(nd)
        assert st["acked_seq"] == st["total_enqueued"] == len(ids), st
        assert st["left_out"] == 0
        assert "trimmed before this writer stored them" not in \
            nd.log_tail(10**6)


def test_sqlite_follower_killed_mid_flush(make_cluster):
    """SQLite: a member killed -9 while writing catches up from the outbox
    after its restart (the outbox waits for it): every file ends with every
    row, once."""
    c = make_cluster(3, batch_insert_batch_size=3,
                     batch_insert_flush_interval_ms=10)
    lead = c.leader()
    victim = c.followers()[0]
    ids = []

    def load(k):
        for _ in range(k):
            m = create(lead, dest_smsc="smscA")
            ok(deliver(lead, m["id"], "smscA"))
            ids.append(m["id"])
    load(150)
    victim.kill()
    load(150)
    assert stats(lead)["current_queue_size"] > 0  # kept for the victim
    victim.start()
    load(50)
    for nd in c:
        wait_rows(lambda: len(sqlite_rows(nd)), len(ids), timeout=20,
                  what=f"rows in {nd.name}'s cdr.sqlite")
        got = [r["message_id"] for r in sqlite_rows(nd)]
        assert sorted(got) == sorted(ids), nd.name
    wait_drained(list(c))


def cluster_scenario(tmp_path, server, dbname, n=60):
    db = server.fresh_db(dbname)
    c = Cluster(tmp_path / dbname, 3,
                config={"database": server.database_config(db), **FAST})
    c.start()
    nodes = list(c)
    created = []
    for i in range(n):
        m = create(nodes[i % 3], dest_smsc=["smscA", "smscB"][i % 2],
                   destination_msisdn=f"+49333{i % 4:05d}")
        created.append(m)
    for i, m in enumerate(created):
        ok(deliver(nodes[(i + 1) % 3], m["id"], m["dest_smsc"]))
    # a few failures and an expiry for the reference queries
    extra = []
    for i in range(3):
        m = create(nodes[i], dest_smsc="smscB",
                   destination_msisdn="+4944400001")
        ok(nodes[(i + 2) % 3].api.patch(f"/api/messages/{m['id']}",
                                        {"status": "failed"}))
        extra.append(("failed", "smscB", "+4944400001"))
    m = create(nodes[1], dest_smsc="smscA", destination_msisdn="+4944400002",
               expires=in_future(2))
    extra.append(("expired", "smscA", "+4944400002"))
    total = n + len(extra)
    wait_rows(lambda: rows_in(server, db), total)
    assert server.count("SELECT COUNT(DISTINCT message_id) FROM cdrs", db) \
        == total
    no_duplicates(server, db)
    ids = {int(x) for x in server.sql(
        "SELECT message_id FROM cdrs WHERE status = 'delivered'",
        db).split()}
    assert ids == {m["id"] for m in created}
    # origin_node = where it was submitted, destination_node = where
    # delivered
    per_origin = dict(server_rows(
        server, "SELECT origin_node, COUNT(*) FROM cdrs WHERE status = "
        "'delivered' GROUP BY origin_node", db))
    assert {k: int(v) for k, v in per_origin.items()} == \
        {nd.name: n // 3 for nd in nodes}
    per_dest = dict(server_rows(
        server, "SELECT destination_node, COUNT(*) FROM cdrs WHERE status = "
        "'delivered' GROUP BY destination_node", db))
    assert {k: int(v) for k, v in per_dest.items()} == \
        {nd.name: n // 3 for nd in nodes}
    wait_drained(nodes)
    lead = c.leader()
    for nd in nodes:
        st = stats(nd)
        assert st["adapter"] == server.ADAPTER and st["writer"] == "cluster"
        assert st["active"] is (nd is lead), (nd.name, st)
    assert stats(lead)["rows_flushed"] >= total

    # the reference's example queries on this server, unchanged
    expected = [("delivered", m["dest_smsc"], m["destination_msisdn"],
                 today()) for m in created]
    expected += [(s, d, cn, today()) for s, d, cn in extra]
    check_reference_queries(
        {q: server_rows(server, q, db)
         for q in (DAILY_VOLUME, DELIVERY_RATE, FAILURES)}, expected)

    # events of a deleted message: from SQL, read on a follower
    gone = create(lead, dest_smsc="smscA")
    r = lead.api.delete(f"/api/messages/{gone['id']}")
    assert r.status_code == 204, describe(r)
    follower = c.followers()[0]

    def events():
        r = follower.api.get(f"/api/events/{gone['id']}")
        if r.status_code != 200:
            return smsc.Unmet(describe(r))
        names = [e["name"] for e in r.json()["data"]]
        return names if "message_dropped" in names else smsc.Unmet(names)
    names = wait_until(events, 20, interval=0.2,
                       what="events of a deleted message on a follower")
    assert names[0] == "message_inserted"
    assert server.count("SELECT COUNT(*) FROM message_events WHERE "
                        f"message_id = {gone['id']}", db) == len(names)
    # and through the follower's own /api/cdrs
    got = ok(follower.api.get("/api/cdrs", params={"status": "dropped"}))
    assert [d["message_id"] for d in got] == [gone["id"]]
    c.stop()


def test_postgres_cluster_exactly_once(tmp_path, postgres):
    cluster_scenario(tmp_path, postgres, "cdr_cluster")


def test_mariadb_cluster_exactly_once(tmp_path, mariadb):
    cluster_scenario(tmp_path, mariadb, "cdr_cluster")


# --------------------------------------------------------------- load


class Loader(threading.Thread):
    """Creates and delivers messages one after the other through the
    running nodes of a cluster; records what was acknowledged."""

    def __init__(self, cluster, smsc_name="smscL"):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.smsc_name = smsc_name
        self.stop_flag = threading.Event()
        self.created = {}          # id -> record
        self.delivered = set()     # ids with a 200 from mark_delivered
        self.ok_times = []         # monotonic time of every 2xx create
        self.refused = []          # (time, status, detail) of other answers
        self.errors = 0
        self.i = 0

    def _nodes(self):
        return [n for n in self.cluster.nodes if n.running]

    def _post(self, path, body, key):
        deadline = time.monotonic() + scaled(30)
        while time.monotonic() < deadline:
            nodes = self._nodes()
            if not nodes:
                time.sleep(0.05)
                continue
            node = nodes[self.i % len(nodes)]
            self.i += 1
            try:
                r = node.api.post(path, body,
                                  headers={"Idempotency-Key": key},
                                  timeout=scaled(10))
            except requests.RequestException:
                self.errors += 1
                time.sleep(0.05)
                continue
            if r.status_code == 503 and "backlog" not in smsc.detail(r):
                self.errors += 1
                time.sleep(0.05)
                continue
            return r
        return None

    def run(self):
        while not self.stop_flag.is_set():
            r = self._post("/api/messages",
                           smsc.message_body(dest_smsc=self.smsc_name),
                           uuid.uuid4().hex)
            if r is None or r.status_code != 201:
                self.refused.append((time.monotonic(),
                                     r and r.status_code,
                                     r is not None and smsc.detail(r)))
                time.sleep(0.05)
                continue
            self.ok_times.append(time.monotonic())
            m = r.json()["data"]
            self.created[m["id"]] = m
            r = self._post(f"/api/messages/{m['id']}/mark_delivered",
                           {"dest_smsc": self.smsc_name}, uuid.uuid4().hex)
            if r is not None and r.status_code == 200:
                self.delivered.add(m["id"])

    def finish(self):
        self.stop_flag.set()
        self.join(scaled(60))
        assert not self.is_alive()


def delivered_in_store(node):
    return {m["id"] for m in node.every_message(status="delivered")}


def test_postgres_leader_killed_mid_flush(tmp_path, postgres):
    db = postgres.fresh_db("cdr_kill")
    c = Cluster(tmp_path / "kill", 3,
                config={"database": postgres.database_config(db),
                        "batch_insert_batch_size": 3,
                        "batch_insert_flush_interval_ms": 10})
    c.start()
    loaders = [Loader(c) for _ in range(3)]
    for ld in loaders:
        ld.start()
    try:
        wait_until(lambda: rows_in(postgres, db)
                   >= 30, 20, what="CDRs flowing")
        time.sleep(1)
        old = c.leader()

        def behind():
            st = stats(old)
            return st["written_seq"] < st["total_enqueued"]
        # kill it while CDRs it has not written yet are waiting
        in_flight = any(behind() for _ in range(50))
        old.kill()
        before = postgres.count("SELECT COUNT(*) FROM cdrs", db)
        new = c.wait_for_leader()
        assert new is not old
        time.sleep(3)
        old.start()
        c.wait_for_leader()
        time.sleep(2)
    finally:
        for ld in loaders:
            ld.finish()
    acked = set().union(*(ld.delivered for ld in loaders))
    created = {}
    for ld in loaders:
        created.update(ld.created)
    c.wait_converged()
    in_store = delivered_in_store(c.leader())
    assert acked <= in_store
    wait_rows(lambda: rows_in(postgres, db),
              len(in_store), timeout=30)
    no_duplicates(postgres, db)
    ids = {int(x) for x in postgres.sql("SELECT message_id FROM cdrs",
                                        db).split()}
    assert acked <= ids, f"lost: {sorted(acked - ids)[:20]}"
    assert ids == in_store
    st = postgres.sql("SELECT writer || '=' || last_seq FROM "
                      "cdr_writer_state", db)
    print(f"\nkill test: {len(created)} created, {len(acked)} delivered "
          f"acknowledged, {len(in_store)} delivered in store, "
          f"{before} rows when the leader died (behind: {in_flight}), "
          f"final {len(ids)}; "
          f"writer state {st}")
    wait_drained(c.running_nodes)
    c.stop()


def test_two_clusters_share_one_postgres(tmp_path, postgres):
    db = postgres.fresh_db("cdr_shared")
    cfg = {"database": postgres.database_config(db), **FAST}
    west = Cluster(tmp_path / "west", 1, config=cfg, prefix="west").start()
    east = Cluster(tmp_path / "east", 3, config=cfg, prefix="east").start()
    want = {}
    for i in range(7):
        m = create(west[0], dest_smsc="smscW")
        ok(deliver(west[0], m["id"], "smscW"))
        want["west1"] = want.get("west1", 0) + 1
    for i in range(12):
        nd = east[i % 3]
        m = create(nd, dest_smsc="smscE")
        ok(deliver(east[(i + 1) % 3], m["id"], "smscE"))
        want[nd.name] = want.get(nd.name, 0) + 1
    wait_rows(lambda: rows_in(postgres, db), 19)
    got = {k: int(v) for k, v in server_rows(
        postgres, "SELECT origin_node, COUNT(*) FROM cdrs GROUP BY "
        "origin_node", db)}
    assert got == want
    # message ids overlap (both clusters start at 1): both rows kept
    assert postgres.count("SELECT COUNT(*) FROM cdrs WHERE message_id = 1",
                          db) == 2
    ws = server_rows(postgres, "SELECT cluster_id, writer, last_seq FROM "
                     "cdr_writer_state ORDER BY cluster_id", db)
    cids = {west[0].status()["cluster_id"], east[0].status()["cluster_id"]}
    assert len(cids) == 2
    assert {w[0] for w in ws} == cids and len(ws) == 2, ws
    assert all(w[1] == "cluster" for w in ws), ws
    wait_drained(list(west) + list(east))
    west.stop()
    east.stop()


def test_mariadb_outage_keeps_submissions_flowing(tmp_path, mariadb):
    db = mariadb.fresh_db("cdr_outage")
    c = Cluster(tmp_path / "outage", 3,
                config={"database": mariadb.database_config(db), **FAST})
    c.start()
    lead = c.leader()
    loader = Loader(c)
    t0 = time.monotonic()
    loader.start()
    samples = []
    halted = restarted = None
    try:
        time.sleep(8)
        halted = time.monotonic()
        mariadb.halt()
        t_down = time.monotonic()
        try:
            while time.monotonic() - halted < 30:
                try:
                    samples.append((time.monotonic(), stats(lead)))
                except requests.RequestException:
                    pass
                time.sleep(0.5)
        finally:
            mariadb.start()
        restarted = time.monotonic()
        time.sleep(7)
    finally:
        loader.finish()
    end = time.monotonic()

    def rate(a, b):
        return sum(1 for t in loader.ok_times if a <= t < b) / (b - a)
    before = rate(t0 + 1, halted)
    during = rate(t_down, restarted)
    after = rate(restarted, end)
    per_second = [sum(1 for t in loader.ok_times if s <= t - t0 < s + 1)
                  for s in range(int(end - t0))]
    max_outbox = max((s["current_queue_size"] for _, s in samples),
                     default=None)
    disconnected = any(not s["connected"] for _, s in samples)
    errors = max((s["flush_errors"] for _, s in samples), default=0)
    print(f"\noutage test (MariaDB down {restarted - halted:.1f} s, of it "
          f"{t_down - halted:.1f} s stopping): creates/s before "
          f"{before:.1f}, during {during:.1f}, after {after:.1f}; "
          f"max outbox {max_outbox}, flush_errors {errors}, "
          f"connected false seen {disconnected}, "
          f"refused {len(loader.refused)}, retried {loader.errors}")
    print(f"per second (outage from s {halted - t0:.0f} to "
          f"{restarted - t0:.0f}): {per_second}")
    assert before > 0
    assert during >= before / 2, (before, during)
    assert not loader.refused, loader.refused[:5]
    assert disconnected or errors > 0
    assert max_outbox and max_outbox > 100, max_outbox

    c.wait_converged()
    in_store = delivered_in_store(lead)
    assert loader.delivered <= in_store
    wait_rows(lambda: rows_in(mariadb, db),
              len(in_store), timeout=60)
    no_duplicates(mariadb, db)
    ids = {int(x) for x in mariadb.sql("SELECT message_id FROM cdrs",
                                       db).split()}
    assert ids == in_store
    wait_drained(c.running_nodes)
    st = stats(lead)
    assert st["connected"] is True and st["flush_errors"] >= 1
    print(f"after: {len(ids)} rows, stats {st}")
    c.stop()


def test_backlog_bound_refuses_creates(make_node):
    dead = smsc.free_port()    # nothing listens there
    node = make_node(database={"adapter": "postgres",
                               "hostname": "127.0.0.1", "port": dead,
                               "username": "smsc", "password": "x",
                               "database": "cdr"},
                     cdr_outbox_max_rows=1000, **FAST)
    spare = create(node, dest_smsc="smscA")  # delivered once the bound is hit
    delivered = 0
    first_refusal = None
    late_creates = 0
    for i in range(1500):
        r = node.api.post("/api/messages", smsc.message_body(
            dest_smsc="smscA"))
        if r.status_code == 503:
            assert_error(r, 503, "CDR backlog full")
            if first_refusal is None:
                first_refusal = i
            continue
        assert r.status_code == 201, describe(r)
        if first_refusal is not None:
            late_creates += 1
        m = r.json()["data"]
        r = deliver(node, m["id"], "smscA")
        if r.status_code == 200:
            delivered += 1
        if first_refusal is not None and i > first_refusal + 30:
            break
    assert first_refusal is not None, "the outbox bound never refused"
    st = stats(node)
    print(f"\nbacklog: first 503 after {first_refusal} creates, "
          f"{delivered} delivered, {late_creates} creates accepted after "
          f"the first 503, outbox {st['current_queue_size']}")
    assert 990 <= delivered <= 1000 + 5, delivered
    assert late_creates <= 5
    assert st["connected"] is False
    assert 1000 <= st["current_queue_size"] <= 1000 + 5
    assert st["backlog_refused"] > 0
    assert metric(node, "sms_c_cdr_backlog_rejected_total") > 0
    assert metric(node, "sms_c_cdr_outbox_rows") == st["current_queue_size"]
    # a delivery report past the bound: its CDR is never dropped (it is
    # either refused with the message left pending, or kept in the outbox)
    r = deliver(node, spare["id"], "smscA")
    after = stats(node)["current_queue_size"]
    print(f"mark_delivered past the bound -> {r.status_code} "
          f"{smsc.detail(r)!r}, outbox {after}")
    if r.status_code == 200:
        assert after == st["current_queue_size"] + 1
    else:
        assert_error(r, 503, "CDR backlog full")
        assert node.message(spare["id"])["status"] == "pending"
        assert after == st["current_queue_size"]
