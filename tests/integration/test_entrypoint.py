"""docker/entrypoint.sh on its own, without Docker: the config it writes
from environment variables, its start-mode choice (bootstrap, join, plain
restart) and that it execs smscd, with real smscd processes on loopback."""

import json
import os
import shutil
import signal
import stat
import subprocess
import time

import pytest

import smsc

ENTRYPOINT = str(smsc.REPO / "docker" / "entrypoint.sh")


def base_env(**extra):
    """A clean environment for the entrypoint: PATH only, plus extra (so
    that no NODE_NAME, API_PORT... of the test run leaks in)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_entrypoint(**extra):
    """Runs the entrypoint to completion (SMSCD defaults to /bin/echo, so it
    prints smscd's arguments); returns the CompletedProcess."""
    env = base_env(**{"SMSCD": "/bin/echo", **extra})
    return subprocess.run(["sh", ENTRYPOINT], env=env, capture_output=True,
                          text=True, timeout=30)


class EntryNode:
    """One smscd started through the entrypoint, its env built from the
    harness's free ports; output goes to workdir/out.log."""

    def __init__(self, workdir, name, raft_port=None, **extra):
        self.workdir = workdir
        self.name = name
        self.raft_port = raft_port or smsc.free_port()
        self.http_port = smsc.free_port()
        self.env = base_env(
            SMSCD=smsc.SMSCD, NODE_NAME=name, DATA_DIR=workdir / "data",
            ADVERTISE_HOST="127.0.0.1", LISTEN_IP="127.0.0.1",
            RAFT_PORT=self.raft_port, HTTP_PORT=self.http_port,
            API_PORT=smsc.free_port(), METRICS_PORT=smsc.free_port(),
            **extra)
        self.log_path = workdir / "out.log"
        self.api = smsc.Api(f"http://127.0.0.1:{self.http_port}")
        self.proc = None

    @property
    def peer_entry(self):
        return f"{self.name}@127.0.0.1:{self.raft_port}"

    def start(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(["sh", ENTRYPOINT], env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        smsc._register(self.proc)
        return self

    def status(self):
        r = self.api.get("/api/status", timeout=smsc.scaled(2))
        r.raise_for_status()
        return r.json()

    def wait_ready(self, timeout=20):
        def ready():
            assert self.proc.poll() is None, (
                f"{self.name} exited {self.proc.returncode}:\n{self.log()}")
            st = self.status()
            return st if st.get("leader") and st.get("cluster_id") else None
        return smsc.wait_until(ready, timeout, what=f"{self.name} ready")

    def stop(self, timeout=15):
        """SIGTERM to the entrypoint's pid; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=smsc.scaled(timeout))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        smsc._unregister(self.proc)
        return self.proc.returncode

    def log(self):
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def entry_nodes():
    """Every EntryNode made through it is stopped at the test's end."""
    nodes = []
    yield nodes
    for n in nodes:
        if n.proc is not None and n.proc.poll() is None:
            n.proc.send_signal(signal.SIGTERM)
    for n in nodes:
        if n.proc is not None:
            n.stop()


# --------------------------------------------------------------- static


def test_posix_syntax():
    r = subprocess.run(["sh", "-n", ENTRYPOINT], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr


def test_shellcheck():
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck not installed (Debian: shellcheck)")
    r = subprocess.run(["shellcheck", "-s", "sh", ENTRYPOINT],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


# --------------------------------------------------------------- config


def test_missing_node_name_exits_64(tmp_path):
    r = run_entrypoint(DATA_DIR=tmp_path)
    assert r.returncode == 64, r
    assert "NODE_NAME" in r.stderr
    assert not (tmp_path / "smscd.json").exists()


@pytest.mark.parametrize("var, value, says", [
    ("API_PORT", "70000", "API_PORT"),
    ("HTTP_PORT", "80a", "HTTP_PORT"),
    ("ENABLE_TLS", "maybe", "ENABLE_TLS"),
    ("DB_ADAPTER", "oracle", "DB_ADAPTER"),
    ("RAFT_PORT", "9200", "RAFT_PORT"),
    ("CLUSTER_NODES", "other@10.0.0.9:9100", "CLUSTER_NODES"),
    ("CLUSTER_SECRET", "two\nlines", "CLUSTER_SECRET"),
    ("JOIN", "a:1, b:2", "JOIN"),
])
def test_bad_variable_exits_64_naming_it(tmp_path, var, value, says):
    env = {"NODE_NAME": "n1", "DATA_DIR": tmp_path,
           "CLUSTER_NODES": "n1@10.0.0.1:9100", var: value}
    r = run_entrypoint(**env)
    assert r.returncode == 64, r
    assert says in r.stderr


def test_generated_config(tmp_path):
    secret = 'q"uo\\te $HOME `x` \'s\\\\n'
    r = run_entrypoint(
        NODE_NAME="smsc2", DATA_DIR=tmp_path,
        CLUSTER_NODES=" smsc1@h1:9100, smsc2@h2:9101 ,smsc3@h3:9100,",
        CLUSTER_SECRET=secret, API_PORT=18443, HTTP_PORT=18080,
        METRICS_PORT=19568, LISTEN_IP="10.1.2.3", ENABLE_TLS="false",
        LOG_LEVEL="debug", DB_ADAPTER="mysql", ADVERTISE_URL="http://h2:18080")
    assert r.returncode == 0, r.stderr
    path = tmp_path / "smscd.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cfg = json.loads(path.read_text())
    assert cfg == {
        "smsc_node_name": "smsc2",
        "data_dir": str(tmp_path),
        "cluster_nodes": ["smsc1@h1:9100", "smsc2@h2:9101", "smsc3@h3:9100"],
        "cluster_secret": secret,
        "api": {"listen_ip": "10.1.2.3", "port": 18443, "http_port": 18080,
                "enable_tls": False, "advertise_url": "http://h2:18080"},
        "metrics": {"listen_ip": "10.1.2.3", "port": 19568},
        "logging": {"level": "debug"},
        "database": {"adapter": "mysql"},
    }
    # RAFT_PORT came from this node's entry; empty dir, no JOIN: bootstrap
    assert r.stdout.split("\n")[-2] == f"--config {path} --bootstrap"


def test_defaults(tmp_path):
    r = run_entrypoint(NODE_NAME="solo", DATA_DIR=tmp_path,
                       ADVERTISE_HOST="box")
    assert r.returncode == 0, r.stderr
    cfg = json.loads((tmp_path / "smscd.json").read_text())
    assert cfg["cluster_nodes"] == ["solo@box:9100"]
    assert "cluster_secret" not in cfg
    assert cfg["api"] == {"listen_ip": "0.0.0.0", "port": 8443,
                          "http_port": 8080, "enable_tls": True}
    assert cfg["metrics"]["port"] == 9568
    assert cfg["logging"] == {"level": "info"}
    assert cfg["database"] == {"adapter": "sqlite"}


def test_existing_smsc_config_is_used_as_is(tmp_path):
    own = tmp_path / "own.json"
    own.write_text('{"smsc_node_name": "x"}')
    r = run_entrypoint(SMSC_CONFIG=own, DATA_DIR=tmp_path / "d",
                       JOIN="127.0.0.1:1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[-2] == f"--config {own} --join 127.0.0.1:1"
    assert own.read_text() == '{"smsc_node_name": "x"}'


# --------------------------------------------------------------- processes


def test_single_node_bootstrap_sigterm_restart(tmp_path, entry_nodes):
    node = EntryNode(tmp_path / "n1", "n1")
    entry_nodes.append(node)
    st = node.start().wait_ready()
    assert st["node"] == "n1" and st["leader"] == "n1"
    cluster_id = st["cluster_id"]
    assert "bootstrapping a new cluster" in node.log()
    # exec: the entrypoint's pid is smscd itself, SIGTERM stops it cleanly
    with open(f"/proc/{node.proc.pid}/comm") as f:
        assert f.read().strip() == "smscd"
    assert node.stop() == 0
    assert "shutting down" in node.log()

    node.start()
    st = node.wait_ready()
    assert st["cluster_id"] == cluster_id
    log = node.log()
    assert "holds raft state: restarting" in log
    assert log.count("bootstrapping") == 1
    assert node.stop() == 0


def test_three_nodes_form_a_cluster_and_a_fourth_joins(tmp_path,
                                                        entry_nodes):
    names = ["e1", "e2", "e3"]
    ports = [smsc.free_port() for _ in names]
    peers = ",".join(f"{n}@127.0.0.1:{p}" for n, p in zip(names, ports))
    secret = 'entry"point\\secret'
    for n, p in zip(names, ports):
        entry_nodes.append(EntryNode(tmp_path / n, n, raft_port=p,
                                     CLUSTER_NODES=peers,
                                     CLUSTER_SECRET=secret))
    for n in entry_nodes:
        n.start()
    for n in entry_nodes:
        n.wait_ready()

    def one_leader():
        sts = [n.status() for n in entry_nodes]
        leaders = {s["leader"] for s in sts}
        roles = sorted(s["role"] for s in sts)
        ok = len(leaders) == 1 and roles == ["follower", "follower", "leader"]
        return sts if ok else None
    sts = smsc.wait_until(one_leader, 20, what="one agreed leader")
    cluster_id = sts[0]["cluster_id"]
    assert {s["cluster_id"] for s in sts} == {cluster_id}

    fourth = EntryNode(tmp_path / "e4", "e4", CLUSTER_SECRET=secret,
                       JOIN=f"127.0.0.1:{entry_nodes[1].http_port}")
    entry_nodes.append(fourth)
    st = fourth.start().wait_ready()
    assert st["cluster_id"] == cluster_id
    assert st["leader"] in names
    assert "joining through" in fourth.log()
    # it follows the log: a write through the leader reaches it
    leader = next(n for n in entry_nodes if n.name == st["leader"])
    msg = smsc.ok(leader.api.post("/api/messages", smsc.message_body()), 201)
    smsc.wait_until(
        lambda: fourth.api.get(f"/api/messages/{msg['id']}").status_code
        == 200, 10, what="the message on the joined node")
    started = time.monotonic()
    assert all(n.stop() == 0 for n in entry_nodes)
    assert time.monotonic() - started < smsc.scaled(20)


# --------------------------------------------------------------- image


def _runtime_packages():
    """The packages the Dockerfile's runtime stage installs."""
    text = (smsc.REPO / "docker" / "Dockerfile").read_text()
    runtime = text.split("FROM debian:12-slim", 1)[1]
    install = runtime.split("apt-get install", 1)[1].split("&&", 1)[0]
    return {w for w in install.replace("\\", " ").split()
            if not w.startswith("-")}


def _depends_closure(pkgs):
    """pkgs and every package they depend on (installed ones, recursively)."""
    seen, todo = set(), list(pkgs)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        r = subprocess.run(["dpkg-query", "-W", "-f=${Depends},${Pre-Depends}",
                            p], capture_output=True, text=True)
        for alt in r.stdout.replace("|", ",").split(","):
            name = alt.strip().split(" ")[0].split(":")[0]
            if name:
                todo.append(name)
    return seen


def test_runtime_stage_has_every_shared_library():
    """Each library `ldd smscd` shows comes from a package of the runtime
    stage's list (or one they pull in), or from Debian's required base."""
    if shutil.which("dpkg-query") is None or shutil.which("ldd") is None:
        pytest.skip("needs dpkg-query and ldd")
    listed = _runtime_packages()
    assert "libmariadb3" in listed and "libuv1" in listed
    have = _depends_closure(listed)
    ldd = subprocess.run(["ldd", smsc.SMSCD], capture_output=True, text=True,
                         check=True).stdout
    missing = []
    for line in ldd.splitlines():
        if "=>" not in line or "not found" in line:
            continue
        lib = os.path.realpath(line.split("=>")[1].split("(")[0].strip())
        r = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True)
        if r.returncode != 0:
            continue  # not from a package (e.g. a sanitizer runtime copy)
        pkg = r.stdout.split(":")[0]
        if smsc.SAN and pkg in ("libasan8", "libubsan1", "libstdc++6"):
            continue  # the sanitizers' runtime, not the image's binary
        prio = subprocess.run(["dpkg-query", "-W", "-f=${Priority}", pkg],
                              capture_output=True, text=True).stdout
        if pkg not in have and prio != "required":
            missing.append(f"{lib} ({pkg})")
    assert not missing, f"not in the runtime stage: {missing}"
