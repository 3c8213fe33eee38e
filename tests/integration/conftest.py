"""Fixtures for the smscd integration tests (see smsc.py for the harness)."""

import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import smsc  # noqa: E402
from sqlservers import mariadb_or_skip, postgres_or_skip  # noqa: E402


def pytest_configure(config):
    # the daemons' certificates are self-signed on purpose
    config.addinivalue_line(
        "filterwarnings", "ignore::urllib3.exceptions.InsecureRequestWarning")
    if not os.path.exists(smsc.SMSCD):
        raise pytest.UsageError(
            f"smscd binary not found at {smsc.SMSCD}: run `make` or set SMSCD")
    # one consistent binary for the whole run, even if it is rebuilt meanwhile
    bindir = tempfile.mkdtemp(prefix="smscd-bin-")
    config.add_cleanup(lambda: shutil.rmtree(bindir, ignore_errors=True))
    smsc.snapshot_binary(bindir)


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:")


@pytest.fixture(autouse=True)
def _track_nodes():
    """Every node a test creates is stopped at its end, whatever happens.
    A node still running then must exit 0 on SIGTERM, and no node may have
    logged a sanitizer report (SMSC_SAN=1)."""
    smsc.current_nodes.clear()
    yield
    nodes = list(smsc.current_nodes)
    running = [n for n in nodes if n.running]
    smsc.stop_all(nodes)
    problems = [f"{n.name} exited {n.proc.returncode} on SIGTERM"
                for n in running if n.proc.returncode != 0]
    problems += [f"{n.name} logged a sanitizer report" for n in nodes
                 if any(m in n.log_tail(10**6) for m in SANITIZER_MARKS)]
    if problems:
        pytest.fail("; ".join(problems) + "\n" + "\n".join(
            f"--- {n.name}:\n{n.log_tail()}" for n in nodes), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the tail of every node's log to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when in ("setup", "call"):
        for n in smsc.current_nodes:
            report.sections.append(
                (f"smscd log of {n.name} ({n.log_path}), last "
                 f"{smsc.LOG_TAIL_LINES} lines", n.log_tail()))


@pytest.fixture
def make_node(tmp_path):
    """Factory: make_node(**config) starts a one-node cluster whose config
    is the harness default deep-merged with config; returns the Node."""
    count = 0

    def make(start=True, **config):
        nonlocal count
        count += 1
        node = smsc.Node(f"solo{count}", tmp_path / f"solo{count}",
                         config=config)
        if start:
            node.start(bootstrap=True)
        return node
    return make


@pytest.fixture
def node(make_node):
    """One running node, a fresh one-node cluster, rate limits off."""
    return make_node()


@pytest.fixture
def make_cluster(tmp_path):
    """Factory: make_cluster(size=3, **config) starts a fresh cluster."""
    def make(size=3, **config):
        return smsc.Cluster(tmp_path / f"cluster{size}", size=size,
                            config=config).start()
    return make


@pytest.fixture
def cluster3(make_cluster):
    """Three running nodes of a fresh cluster with an agreed leader."""
    return make_cluster(3)


@pytest.fixture(scope="module")
def postgres():
    """A real PostgreSQL on loopback for one test module (sqlservers.py)."""
    pg = postgres_or_skip()
    yield pg
    pg.stop()


@pytest.fixture(scope="module")
def mariadb():
    """A real MariaDB on loopback for one test module (sqlservers.py)."""
    my = mariadb_or_skip()
    yield my
    my.stop()
