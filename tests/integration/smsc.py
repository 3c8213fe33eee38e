"""Test harness for smscd: real processes on loopback, driven over HTTP.

A ``Node`` is one smscd process with its own ports, data dir, config file
and log file; a ``Cluster`` is N founding nodes sharing ``cluster_nodes``.
Everything here talks to the daemon through its sockets only.

Environment:
  SMSCD      path of the smscd binary (default: <repo>/build/smscd)
  SMSC_SAN=1 the binary runs under ASan/UBSan: every wait is scaled up
  SMSC_WRAPPER  optional command prefix for every smscd, e.g.
             "valgrind --log-file={dir}/vg.txt"; {dir} becomes the node's
             work dir (signals then go to the wrapper)
"""

import atexit
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import requests
import urllib3

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

REPO = Path(__file__).resolve().parents[2]
#: the binary under test; conftest replaces it by a private copy per session
SMSCD = os.environ.get("SMSCD") or str(REPO / "build" / "smscd")
SAN = os.environ.get("SMSC_SAN") == "1"
SCALE = 3 if SAN else 1

#: default HTTP timeout for one request (seconds)
HTTP_TIMEOUT = 15 * SCALE
CLUSTER_SECRET = "integration-test-secret"
LOG_TAIL_LINES = 60


def scaled(seconds):
    """A wait budget, longer when running under sanitizers."""
    return seconds * SCALE


# --------------------------------------------------------------- ports

_ports_lock = threading.Lock()
_ports_given = set()


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
            return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def free_port():
    """A loopback TCP port that is free now and not handed out before.

    Ports come from below the kernel's ephemeral range, so that outgoing
    connections (raft peers, forwarding) never take a port a node is about to
    listen on, or listens on again after a restart."""
    lo, _ = _ephemeral_range()
    top = max(lo - 1, 11000)
    with _ports_lock:
        for _ in range(1000):
            port = random.randint(10000, top)
            if port in _ports_given:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _ports_given.add(port)
            return port
    raise RuntimeError("no free port found")


# --------------------------------------------------------------- processes

_live = set()  # every Popen started here and not yet reaped
_live_lock = threading.Lock()
#: started through `setpriv --pdeathsig KILL`, a node dies with the test run
#: even when pytest itself is killed -9 (util-linux; skipped when missing)
_PDEATHSIG = shutil.which("setpriv")
#: nodes created since the current test started (for log tails on failure)
current_nodes = []


def _register(proc):
    with _live_lock:
        _live.add(proc)


def _unregister(proc):
    with _live_lock:
        _live.discard(proc)


@atexit.register
def kill_everything():
    """Last resort: no smscd started by the tests outlives them."""
    with _live_lock:
        procs = list(_live)
        _live.clear()
    for p in procs:
        if p.poll() is None:
            p.kill()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


def snapshot_binary(dest_dir, attempts=30):
    """Copies SMSCD into dest_dir and points SMSCD at the copy, so that a
    rebuild during the run cannot swap or half-write the binary under the
    tests.  Retries while the source is mid-link (copy does not run)."""
    global SMSCD
    src = SMSCD
    dest = Path(dest_dir) / "smscd"
    last = None
    for _ in range(attempts):
        try:
            shutil.copy2(src, dest)
            res = subprocess.run([str(dest), "--version"], capture_output=True,
                                 text=True, timeout=30)
            if res.returncode == 0:
                SMSCD = str(dest)
                return SMSCD
            last = res.stderr or res.stdout
        except (OSError, subprocess.SubprocessError) as e:
            last = repr(e)
        time.sleep(2)
    raise RuntimeError(f"cannot get a working copy of {src}: {last}")


def run_smscd(args, timeout=None):
    """Runs smscd to completion (for start-up failures); returns
    CompletedProcess with text stdout/stderr.  Killed after timeout."""
    return subprocess.run([SMSCD, *args], capture_output=True, text=True,
                          timeout=timeout or scaled(20))


# --------------------------------------------------------------- time

TIME_FMT = "%Y-%m-%dT%H:%M:%SZ"


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


def iso(t):
    """A datetime as the RFC 3339 UTC string smscd uses."""
    return t.astimezone(dt.timezone.utc).strftime(TIME_FMT)


def parse_time(s):
    """A time smscd sent out (YYYY-MM-DDTHH:MM:SSZ) as an aware datetime."""
    assert isinstance(s, str), f"expected a time string, got {s!r}"
    return dt.datetime.strptime(s, TIME_FMT).replace(tzinfo=dt.timezone.utc)


def in_future(seconds):
    return iso(utcnow() + dt.timedelta(seconds=seconds))


def wait_until(predicate, timeout, interval=0.1, what="condition"):
    """Polls predicate until it returns a truthy value, which is returned;
    raises AssertionError after timeout (seconds, scaled for ASan) saying
    what the last poll saw."""
    deadline = time.monotonic() + scaled(timeout)
    last = "never polled"
    while True:
        try:
            value = predicate()
            if value:
                return value
            last = f"last result: {value!r}"
        except (requests.RequestException, ValueError, KeyError) as e:
            last = f"last error: {e!r}"
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {scaled(timeout)} s waiting for {what} "
                f"({last})")
        time.sleep(interval)


# --------------------------------------------------------------- HTTP


def new_key():
    return uuid.uuid4().hex


def detail(resp):
    """The errors.detail of an error answer ('' when absent)."""
    try:
        return resp.json()["errors"]["detail"]
    except (ValueError, KeyError, TypeError):
        return ""


def describe(resp):
    return f"{resp.request.method} {resp.url} -> {resp.status_code} {resp.text[:500]}"


class Api:
    """Thin JSON client for one base URL (plain HTTP or HTTPS)."""

    def __init__(self, base_url):
        self.base_url = base_url
        self._local = threading.local()

    @property
    def session(self):
        s = getattr(self._local, "session", None)
        if s is None:
            s = requests.Session()
            self._local.session = s
        return s

    def request(self, method, path, body=None, *, raw=None, headers=None,
                params=None, timeout=HTTP_TIMEOUT):
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body)
        if data is not None:
            hdrs.setdefault("Content-Type", "application/json")
        # verify=False per request: a session-level setting would lose to
        # REQUESTS_CA_BUNDLE in the environment (certificates are self-signed)
        return self.session.request(method, self.base_url + path, data=data,
                                    headers=hdrs, params=params,
                                    timeout=timeout, verify=False)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


# --------------------------------------------------------------- node


class Unmet:
    """A falsy poll result that still says what was seen (wait_until puts
    its repr into the timeout message)."""

    def __init__(self, seen):
        self.seen = seen

    def __bool__(self):
        return False

    def __repr__(self):
        return repr(self.seen)


class Node:
    """One smscd process: ports, data dir, config and log under workdir."""

    #: argv put before smscd (and SMSC_WRAPPER), e.g. ("ip", "netns",
    #: "exec", NS) for a node that runs in its own network namespace
    command_prefix = ()

    def __init__(self, name, workdir, *, cluster_nodes=None, raft_port=None,
                 config=None):
        self.name = name
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.workdir / "data"
        self.config_path = self.workdir / "smscd.json"
        self.log_path = self.workdir / "smscd.log"
        self.raft_port = raft_port or free_port()
        self.http_port = free_port()
        self.https_port = free_port()
        self.metrics_port = free_port()
        self.web_port = free_port()
        self.cluster_nodes = cluster_nodes or [self.peer_entry]
        self.config = self.base_config()
        merge(self.config, config or {})
        self.write_config()
        self.proc = None
        self.api = Api(self.url)
        self.https = Api(f"https://127.0.0.1:{self.https_port}")
        current_nodes.append(self)

    # -- configuration

    @property
    def peer_entry(self):
        return f"{self.name}@127.0.0.1:{self.raft_port}"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def metrics_url(self):
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    @property
    def api_address(self):
        return f"127.0.0.1:{self.http_port}"

    def base_config(self):
        return {
            "smsc_node_name": self.name,
            "data_dir": str(self.data_dir),
            "cluster_nodes": list(self.cluster_nodes),
            "cluster_secret": CLUSTER_SECRET,
            "api": {
                "listen_ip": "127.0.0.1",
                "port": self.https_port,
                "http_port": self.http_port,
                "enable_tls": True,
            },
            "web": {"listen_ip": "127.0.0.1", "port": self.web_port},
            "metrics": {"listen_ip": "127.0.0.1", "port": self.metrics_port},
            "rate_limits": {"enabled": False},
            "logging": {"level": "info"},
        }

    def write_config(self):
        self.config_path.write_text(json.dumps(self.config, indent=2))

    def run_expecting_exit(self, bootstrap=False):
        """Runs this node's smscd to completion (a start-up that must
        fail); returns the CompletedProcess."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.write_config()
        args = ["--config", str(self.config_path)]
        return run_smscd(args + (["--bootstrap"] if bootstrap else []))

    # -- process control

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, *, bootstrap=False, join=None, wait=True, extra_args=()):
        """Starts smscd (output appended to log_path); with wait, returns
        once the node is ready (see wait_ready)."""
        assert not self.running, f"{self.name} is already running"
        args = [SMSCD, "--config", str(self.config_path)]
        wrapper = os.environ.get("SMSC_WRAPPER")
        if wrapper:
            args = wrapper.replace("{dir}", str(self.workdir)).split() + args
        args = [*self.command_prefix, *args]
        # the parent-death signal fires when the *thread* that forked exits,
        # so only processes started by the main thread get it
        if _PDEATHSIG and threading.current_thread() is threading.main_thread():
            args = [_PDEATHSIG, "--pdeathsig", "KILL", *args]
        if bootstrap:
            args.append("--bootstrap")
        if join:
            args += ["--join", join]
        args += list(extra_args)
        log = open(self.log_path, "ab")
        log.write(f"\n===== {time.strftime('%H:%M:%S')} start: "
                  f"{' '.join(args)}\n".encode())
        log.flush()
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        log.close()
        _register(self.proc)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20):
        """Waits until this node answers /api/status, knows a leader and has
        applied the cluster's init (cluster_id set)."""
        def ready():
            if not self.running:
                raise AssertionError(
                    f"{self.name} exited with code {self.proc.returncode} "
                    f"during start-up:\n{self.log_tail()}")
            st = self.status(timeout=scaled(2))
            if st.get("leader") and st.get("cluster_id"):
                return st
            return Unmet(st)
        return wait_until(ready, timeout, what=f"{self.name} to be ready")

    def _reap(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is not None:
                _unregister(self.proc)

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL when it has not exited after timeout.
        Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            _unregister(self.proc)
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            self._reap(scaled(timeout))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self._reap(scaled(10))
        return self.proc.returncode

    def kill(self):
        """kill -9."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self._reap(scaled(10))

    def restart(self, **kw):
        self.stop()
        return self.start(**kw)

    def log_tail(self, lines=LOG_TAIL_LINES):
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- API helpers

    def status(self, timeout=HTTP_TIMEOUT):
        r = self.api.get("/api/status", timeout=timeout)
        r.raise_for_status()
        return r.json()

    def metrics(self):
        return requests.get(self.metrics_url, timeout=HTTP_TIMEOUT)

    def all_messages(self, **params):
        """Every message of this replica (up to 1000), as a list."""
        r = self.api.get("/api/messages", params={"limit": 1000, **params})
        assert r.status_code == 200, describe(r)
        return r.json()["data"]

    def every_message(self, page=1000, **params):
        """Every message of this replica, paging through the list."""
        out = []
        while True:
            r = self.api.get("/api/messages",
                             params={"limit": page, "offset": len(out), **params})
            assert r.status_code == 200, describe(r)
            batch = r.json()["data"]
            out += batch
            if len(batch) < page:
                return out

    def message(self, msg_id, **kw):
        """GET one message: the record, or None on 404."""
        r = self.api.get(f"/api/messages/{msg_id}", **kw)
        if r.status_code == 404:
            return None
        assert r.status_code == 200, describe(r)
        return r.json()["data"]

    def __repr__(self):
        return f"<Node {self.name} http={self.http_port}>"


def stop_all(nodes):
    """SIGTERM to every running node at once, then waits for each."""
    for n in nodes:
        if n.running:
            n.proc.send_signal(signal.SIGTERM)
    for n in nodes:
        n.stop()


def merge(into, extra):
    """Deep-merges dict extra into dict into."""
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            merge(into[k], v)
        else:
            into[k] = v
    return into


# --------------------------------------------------------------- cluster


class Cluster:
    """N founding nodes of one cluster."""

    def __init__(self, workdir, size=3, config=None, prefix="node"):
        self.workdir = Path(workdir)
        names = [f"{prefix}{i + 1}" for i in range(size)]
        raft_ports = [free_port() for _ in names]
        peers = [f"{n}@127.0.0.1:{p}" for n, p in zip(names, raft_ports)]
        self.nodes = [
            Node(n, self.workdir / n, cluster_nodes=peers, raft_port=p,
                 config=config)
            for n, p in zip(names, raft_ports)
        ]

    def __iter__(self):
        return iter(self.nodes)

    def __getitem__(self, i):
        return self.nodes[i]

    def __len__(self):
        return len(self.nodes)

    @property
    def running_nodes(self):
        return [n for n in self.nodes if n.running]

    def start(self, bootstrap=True):
        for n in self.nodes:
            if not n.running:
                n.start(bootstrap=bootstrap, wait=False)
        for n in self.nodes:
            n.wait_ready()
        self.wait_for_leader()
        return self

    def stop(self):
        stop_all(self.nodes)

    def kill(self):
        for n in self.nodes:
            n.kill()

    def join_new_node(self, name, via=None, config=None):
        """Starts a node with an empty data dir that joins this cluster
        through via's API (default: the first running node); its own config
        lists only itself.  Returns it once it knows the leader."""
        via = via or self.running_nodes[0]
        node = Node(name, self.workdir / name, config=config)
        self.nodes.append(node)
        node.start(join=via.api_address)
        return node

    def statuses(self, nodes=None):
        out = {}
        for n in nodes or self.running_nodes:
            try:
                out[n.name] = n.status(timeout=scaled(2))
            except requests.RequestException:
                out[n.name] = None
        return out

    def wait_for_leader(self, timeout=20):
        """Waits until every running node answers and all agree on one
        leader that is itself running and says it is leader; returns it."""
        by_name = {n.name: n for n in self.nodes}

        def agreed():
            sts = self.statuses()
            seen = Unmet({k: v and (v["role"], v["leader"], v["term"])
                          for k, v in sts.items()})
            if not sts or any(s is None for s in sts.values()):
                return seen
            leaders = {s["leader"] for s in sts.values()}
            if len(leaders) != 1:
                return seen
            name = leaders.pop()
            st = sts.get(name)
            if not name or st is None or st["role"] != "leader":
                return seen
            return by_name[name]
        return wait_until(agreed, timeout, what="one agreed leader")

    def leader(self):
        return self.wait_for_leader()

    def followers(self):
        lead = self.leader()
        return [n for n in self.running_nodes if n is not lead]

    def wait_converged(self, timeout=20, nodes=None):
        """Waits until every running node (or nodes) has applied at least the
        leader's commit index."""
        nodes = nodes or self.running_nodes

        def converged():
            target = self.leader().status()["commit_index"]
            applied = {n.name: n.status(timeout=scaled(2))["applied_index"]
                       for n in nodes}
            if all(a >= target for a in applied.values()):
                return True
            return Unmet({"leader commit_index": target, "applied": applied})
        wait_until(converged, timeout, what="replicas to converge")


# --------------------------------------------------------------- messages


def message_body(**overrides):
    """A valid submission body."""
    body = {
        "source_msisdn": "+4915112345678",
        "destination_msisdn": "+4915187654321",
        "message_body": "Hello from the integration tests",
        "source_smsc": "test_smsc",
    }
    body.update(overrides)
    return body


def ok(resp, status=200):
    """The data of a successful answer with this status."""
    assert resp.status_code == status, f"expected {status}: {describe(resp)}"
    return resp.json()["data"]


def create(node, **fields):
    """Submits a valid message through node (fields override the defaults);
    returns the record of the 201 answer."""
    return ok(node.api.post("/api/messages", message_body(**fields)), 201)


def assert_error(resp, status, *fragments):
    """resp is an error answer with this status whose errors.detail contains
    every fragment."""
    assert resp.status_code == status, f"expected {status}: {describe(resp)}"
    text = detail(resp)
    assert text, f"error answer without errors.detail: {describe(resp)}"
    for f in fragments:
        assert f in text, f"detail {text!r} should mention {f!r}"


def submit_until_answered(nodes, body, key, timeout=30, path="/api/messages"):
    """POSTs body with Idempotency-Key key, rotating over nodes on connection
    errors and 503 (the documented retry), until another answer comes.
    nodes is a list, or a callable giving the current candidates.
    Returns the final response."""
    deadline = time.monotonic() + scaled(timeout)
    i = 0
    last = None
    while time.monotonic() < deadline:
        candidates = nodes() if callable(nodes) else nodes
        if not candidates:
            time.sleep(0.05)
            continue
        node = candidates[i % len(candidates)]
        i += 1
        try:
            r = node.api.post(path, body, headers={"Idempotency-Key": key},
                              timeout=scaled(10))
        except requests.RequestException as e:
            last = repr(e)
            time.sleep(0.05)
            continue
        if r.status_code != 503:
            return r
        last = describe(r)
        time.sleep(0.05)
    raise AssertionError(f"no answer but 503/errors for {scaled(timeout)} s: "
                         f"{last}")
