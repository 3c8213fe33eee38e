"""DNS SRV discovery of the members to join (dns_cluster_query).

A dnsmasq on a loopback port serves _sms._tcp.cluster.test with one SRV
record per member's API; a fourth node whose config names only the query
and that DNS server starts with an empty data dir and neither --join nor
--bootstrap, joins and catches up.  A query without records stops
start-up with exit code 2 and the query in the message.
"""

import os
import shutil
import socket
import subprocess
import time

import pytest

from smsc import Node, create, free_port, scaled, wait_until
from test_cluster import assert_same_messages, submit_many

DNSMASQ = shutil.which("dnsmasq") or (
    "/usr/sbin/dnsmasq" if os.path.exists("/usr/sbin/dnsmasq") else None)

pytestmark = pytest.mark.skipif(
    DNSMASQ is None, reason="dnsmasq not installed (Debian package "
    "dnsmasq-base)")

QUERY = "cluster.test"


def udp_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@pytest.fixture
def dns_server(tmp_path):
    """Factory: dns_server(records) starts dnsmasq on a free loopback port
    answering SRV _sms._tcp.cluster.test with records, a list of
    (target, port, priority, weight); every other name under .test is
    NXDOMAIN.  Returns "127.0.0.1:PORT"; stopped at the end of the test."""
    procs = []

    def start(records):
        port = free_port()
        while not udp_free(port):
            port = free_port()
        args = [DNSMASQ, "--no-daemon", "--conf-file=/dev/null",
                "--no-resolv", "--no-hosts", f"--port={port}",
                "--listen-address=127.0.0.1", "--bind-interfaces",
                "--local=/test/", "--log-queries"]
        if os.geteuid() == 0:
            args.append("--user=root")
        args += [f"--srv-host=_sms._tcp.{QUERY},{t},{p},{prio},{w}"
                 for t, p, prio, w in records]
        log = open(tmp_path / f"dnsmasq-{port}.log", "wb")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        log.close()
        procs.append(proc)

        def listening():
            assert proc.poll() is None, (
                f"dnsmasq exited {proc.returncode}: "
                + (tmp_path / f"dnsmasq-{port}.log").read_text())
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0
        wait_until(listening, scaled(10), what="dnsmasq to listen")
        return f"127.0.0.1:{port}", proc

    yield start
    for p in procs:
        if p.poll() is None:
            p.terminate()
            p.wait(timeout=10)


def test_fourth_node_discovers_and_joins(make_cluster, dns_server):
    c = make_cluster(3)
    records = submit_many(c, 40, workers=8, prefix="dns")
    before = assert_same_messages(c)
    # one record per member, ordered by weight within one priority; plus a
    # lower-priority port-0 record that names the new node itself (port 0
    # is the node's own http_port), which it must leave out
    srv = [("127.0.0.1", c[1].http_port, 10, 20),
           ("127.0.0.1", 0, 20, 0),
           ("127.0.0.1", c[2].http_port, 10, 50),
           ("127.0.0.1", c[0].http_port, 10, 30)]
    server, dnsmasq = dns_server(srv)

    fourth = Node("node4", c.workdir / "node4", config={
        "dns_cluster_query": QUERY, "dns_servers": [server]})
    c.nodes.append(fourth)
    assert not fourth.data_dir.exists()
    fourth.start()  # neither --join nor --bootstrap

    log = fourth.log_path.read_text()
    found = ", ".join(f"127.0.0.1:{p}" for p in
                      (c[2].http_port, c[0].http_port, c[1].http_port,
                       fourth.http_port))
    assert f"dns_cluster_query: SRV _sms._tcp.{QUERY}: {found} " \
           "(this node excluded)" in log, log
    assert f"join: 127.0.0.1:{c[2].http_port} added this node" in log, log
    leader = c.leader()
    st = fourth.status()
    assert st["leader"] == leader.name, f"node4 does not see the leader: {st}"
    assert st["cluster_id"] == leader.status()["cluster_id"]
    after = assert_same_messages(c)  # all four nodes
    assert len(after) == len(records) == len(before)
    m = create(fourth, message_body="via node4")
    assert fourth.message(m["id"]) == m
    assert_same_messages(c)

    # an existing data dir ignores discovery: it restarts with DNS gone
    dnsmasq.terminate()
    dnsmasq.wait(timeout=10)
    assert fourth.stop() == 0
    fourth.start()
    assert fourth.status()["leader"] == c.leader().name


def test_query_without_records_exits_2(tmp_path, dns_server):
    server, _ = dns_server([("127.0.0.1", 8080, 0, 0)])
    node = Node("lost", tmp_path / "lost", config={
        "dns_cluster_query": "missing.test", "dns_servers": [server]})
    t0 = time.monotonic()
    res = node.run_expecting_exit()
    assert res.returncode == 2, res.stderr
    assert "_sms._tcp.missing.test" in res.stderr, res.stderr
    assert "no records" in res.stderr, res.stderr
    assert time.monotonic() - t0 < scaled(10)


def test_only_itself_found_exits_2(tmp_path, dns_server):
    server, _ = dns_server([("127.0.0.1", 0, 0, 0)])
    node = Node("alone", tmp_path / "alone", config={
        "dns_cluster_query": QUERY, "dns_servers": [server]})
    res = node.run_expecting_exit()
    assert res.returncode == 2, res.stderr
    assert f"_sms._tcp.{QUERY} found 127.0.0.1:{node.http_port}" \
        in res.stderr, res.stderr


def test_bad_dns_servers_names_the_key(tmp_path):
    node = Node("bad", tmp_path / "bad", config={
        "dns_cluster_query": QUERY, "dns_servers": ["127.0.0.1"]})
    res = node.run_expecting_exit()
    assert res.returncode == 1, res.stderr
    assert "dns_servers[0]: expected \"host:port\"" in res.stderr, res.stderr


def test_nobody_accepting_exits_2(tmp_path, dns_server):
    """The members found do not answer: the node keeps trying (like
    --join) until stopped, then exits 2 naming the query and the finds."""
    dead = free_port()
    server, _ = dns_server([("127.0.0.1", dead, 0, 0)])
    node = Node("orphan", tmp_path / "orphan", config={
        "dns_cluster_query": QUERY, "dns_servers": [server]})
    node.start(wait=False)

    def retrying():
        assert node.running, node.log_tail()
        return "; retrying" in node.log_path.read_text()
    wait_until(retrying, scaled(10), what="a join attempt")
    assert node.stop() == 2, node.log_tail()
    assert f"dns_cluster_query {QUERY} (found 127.0.0.1:{dead}): join: " \
        in node.log_path.read_text(), node.log_tail()
