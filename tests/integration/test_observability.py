"""Observability: the Prometheus config, alert rules and Grafana dashboards
of docker/ against real nodes and a real Prometheus.

* promtool accepts docker/prometheus/prometheus.yml and both rule files;
  the dashboards are well-formed Grafana JSON;
* every metric name used by alerts.yml and the dashboards is a family a
  live node exports (alerts-charging-enum.yml is left out: the ENUM and
  charging features, and so their sms_c_enum_* / sms_c_charging_* metrics,
  are not built yet);
* a real Prometheus (own process on a free loopback port, own TSDB in a
  temp dir) scrapes a 3-node cluster, and the dashboards' aggregations give
  the cluster-wide truth: counters summed over nodes count each request
  once, replicated gauges are the same on every node (max, never sum);
* the same Prometheus loads every rule group healthy, no alert of
  alerts.yml fires on a healthy cluster, and every dashboard expression is
  valid PromQL.

Needs the Debian package `prometheus` (prometheus and promtool); the tests
that need it skip without it.
"""

import json
import math
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests

import smsc
from smsc import create, ok, scaled, wait_until

DOCKER = smsc.REPO / "docker"
PROM_DIR = DOCKER / "prometheus"
PROM_CONFIG = PROM_DIR / "prometheus.yml"
ALERTS = PROM_DIR / "alerts.yml"
ALERTS_CHARGING_ENUM = PROM_DIR / "alerts-charging-enum.yml"
DASHBOARDS = sorted((DOCKER / "grafana" / "dashboards").glob("*.json"))

PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")

#: metric names in PromQL: ours, the process_* ones, and Prometheus's `up`
METRIC_RE = re.compile(r"\b(sms_c_\w+|process_\w+|up)\b")
#: dashboard variables, replaced by a value before Prometheus sees a query
DASHBOARD_VARS = {"$__rate_interval": "1m", "$__interval": "15s",
                  "$max_capacity": "1000"}

REQUIRED_ALERTS = {
    "RoutingFailures", "QueueBacklog", "OldMessagesInQueue",
    "NoActiveFrontends", "FrontendDisconnected",
    "DeadLetterMessagesIncreasing", "LowDeliverySuccessRate",
    "HighDeliveryRetryRate", "SlowMessageProcessing", "SmscNodeDown",
    "NoRaftLeader", "CdrBacklogGrowing", "CdrWriterDisconnected",
}


def need_promtool():
    if PROMTOOL is None:
        pytest.skip("promtool not installed (Debian package: prometheus)")


def need_prometheus():
    if PROMETHEUS is None:
        pytest.skip("prometheus not installed (Debian package: prometheus)")


# --------------------------------------------------------------- sources


def alert_rules(path):
    """[(alert name, expr)] of a rule file.  A small reader for the layout
    of our rule files (`- alert: NAME` then `expr: ...` on one line or as a
    `>` / `|` block), so the tests need no YAML module."""
    lines = Path(path).read_text().splitlines()
    out = []
    name = None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"\s*-\s*alert:\s*(\S+)", line)
        if m:
            name = m.group(1).strip("\"'")
        m = re.match(r"(\s*)expr:\s*(.*)$", line)
        if m:
            indent, rest = len(m.group(1)), m.group(2).strip()
            if rest in (">", "|", ">-", "|-", ">+", "|+"):
                block = []
                i += 1
                while i < len(lines) and (
                        not lines[i].strip() or
                        len(lines[i]) - len(lines[i].lstrip()) > indent):
                    block.append(lines[i].strip())
                    i += 1
                rest = " ".join(b for b in block if b)
                i -= 1
            assert name, f"{path}: expr without an alert name: {rest}"
            if rest[:1] in ("'", '"'):
                rest = rest[1:-1]
            out.append((name, rest))
            name = None
        i += 1
    return out


def dashboard_panels(panels):
    for p in panels:
        yield p
        yield from dashboard_panels(p.get("panels", []))


def dashboard_exprs():
    """[(where, expr)] of every dashboard target."""
    out = []
    for path in DASHBOARDS:
        dash = json.loads(path.read_text())
        for p in dashboard_panels(dash["panels"]):
            for t in p.get("targets", []):
                out.append((f"{path.name}: {p['title']!r}", t["expr"]))
    return out


def concrete(expr):
    """A dashboard expression with its variables replaced by values."""
    for var, value in DASHBOARD_VARS.items():
        expr = expr.replace(var, value)
    assert "$" not in expr, f"unknown dashboard variable in {expr}"
    return expr


# --------------------------------------------------------------- metrics


def families(text):
    """{name: kind} of every `# TYPE name kind` in an exposition."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"#\s*TYPE\s+(\S+)\s+(\S+)", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def missing_metrics(expr, fams):
    """Names used in a PromQL expression that are no family of fams."""
    missing = []
    for name in METRIC_RE.findall(expr):
        if name == "up" or name in fams:
            continue
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if base != name and fams.get(base) in ("histogram", "summary"):
            continue
        missing.append(name)
    return missing


# --------------------------------------------------------------- prometheus


class Prometheus:
    """A prometheus process on a free loopback port, its TSDB, config and
    log in a temp dir; stop() ends it and removes the dir."""

    def __init__(self, targets, rule_files=(), interval="1s"):
        need_prometheus()
        self.dir = Path(tempfile.mkdtemp(prefix="smsc-prom-"))
        self.port = smsc.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        rules = []
        for f in rule_files:
            shutil.copy(f, self.dir / Path(f).name)
            rules.append(Path(f).name)
        config = {
            "global": {"scrape_interval": interval,
                       "evaluation_interval": interval,
                       "scrape_timeout": interval},
            "rule_files": rules,
            "scrape_configs": [{"job_name": "smsc",
                                "static_configs": [{"targets": targets}]}],
        }
        # JSON is YAML
        (self.dir / "prometheus.yml").write_text(json.dumps(config, indent=2))
        args = [PROMETHEUS, f"--config.file={self.dir / 'prometheus.yml'}",
                f"--storage.tsdb.path={self.dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=1h", "--log.level=warn"]
        if smsc._PDEATHSIG:
            args = [smsc._PDEATHSIG, "--pdeathsig", "KILL", *args]
        self.log_path = self.dir / "prometheus.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(args, stdout=log,
                                         stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        smsc._register(self.proc)
        wait_until(self._ready, 30, interval=0.2, what="prometheus ready")

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"prometheus exited {self.proc.returncode}:"
                                 f"\n{self.log()}")
        return requests.get(self.url + "/-/ready", timeout=2).status_code \
            == 200

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except FileNotFoundError:
            return "(no log)"

    def api(self, path, **params):
        r = requests.get(self.url + "/api/v1/" + path, params=params,
                         timeout=scaled(10))
        body = r.json()
        assert r.status_code == 200 and body["status"] == "success", \
            f"{path} {params}: {r.status_code} {r.text[:500]}"
        return body["data"]

    def query(self, expr):
        """The instant vector of expr: [(labels, float)]."""
        data = self.api("query", query=expr)
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        return [(s["metric"], float(s["value"][1])) for s in data["result"]]

    def value(self, expr):
        """The single value of expr, None when it is empty."""
        res = self.query(expr)
        assert len(res) <= 1, f"{expr}: more than one series: {res}"
        return res[0][1] if res else None

    def targets(self):
        return self.api("targets", state="active")["activeTargets"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        smsc._unregister(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def prometheus_for():
    """Factory: prometheus_for(nodes, rule_files=()) starts a Prometheus
    that scrapes these nodes every second and waits until every target is
    up; stopped at the end of the test."""
    started = []

    def start(nodes, rule_files=()):
        prom = Prometheus([f"127.0.0.1:{n.metrics_port}" for n in nodes],
                          rule_files)
        started.append(prom)

        def all_up():
            ts = prom.targets()
            seen = smsc.Unmet([(t["scrapeUrl"], t["health"], t["lastError"])
                               for t in ts])
            if len(ts) == len(nodes) and all(t["health"] == "up"
                                             for t in ts):
                return ts
            return seen
        wait_until(all_up, 30, interval=0.2,
                   what="every smscd target up in prometheus")
        return prom
    yield start
    for p in started:
        p.stop()


# --------------------------------------------------------------- traffic


def deliver(node, msg_id, dest_smsc="gw1"):
    return ok(node.api.post(f"/api/messages/{msg_id}/mark_delivered",
                            {"dest_smsc": dest_smsc}))


def some_traffic(node):
    """A little of everything a node counts: routed, unrouted, invalid,
    delivered and failed messages, a frontend, a location, a 404."""
    ok(node.api.post("/api/routes", {"called_prefix": "+49",
                                     "dest_smsc": "gw1", "priority": 10}),
       201)
    routed = create(node)                          # through the route
    direct = create(node, dest_smsc="gw2")         # routing skipped
    # no route matches; an invalid submission (4xx); a failed delivery
    node.api.post("/api/messages",
                  smsc.message_body(destination_msisdn="+1555000111"))
    assert node.api.post("/api/messages", {"source_smsc": "x"}) \
        .status_code // 100 == 4
    deliver(node, routed["id"])
    node.api.put(f"/api/messages/{direct['id']}")
    ok(node.api.post("/api/frontends", {"frontend_name": "fe1",
                                        "frontend_type": "smpp"}), 201)
    ok(node.api.post("/api/locations", {
        "msisdn": "+4915100000001", "imsi": "262010000000001",
        "location": "fe1", "ims_capable": True}), 201)
    assert node.api.get("/api/messages/999999999").status_code == 404


# --------------------------------------------------------------- static


def test_promtool_accepts_config_and_rules():
    need_promtool()
    for args in (["check", "config", str(PROM_CONFIG)],
                 ["check", "rules", str(ALERTS), str(ALERTS_CHARGING_ENUM)]):
        r = subprocess.run([PROMTOOL, *args], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0, f"promtool {' '.join(args)}:\n" \
                                  f"{r.stdout}{r.stderr}"
    names = {n for n, _ in alert_rules(ALERTS)}
    assert REQUIRED_ALERTS <= names, REQUIRED_ALERTS - names
    assert {n for n, _ in alert_rules(ALERTS_CHARGING_ENUM)} == {
        "HighEnumFailureRate", "LowEnumCacheHitRate",
        "ChargingFailuresDetected"}


def test_dashboards_are_grafana_json():
    assert len(DASHBOARDS) == 5, DASHBOARDS
    uids = set()
    for path in DASHBOARDS:
        dash = json.loads(path.read_text())
        assert dash["schemaVersion"] >= 36, path.name
        assert dash["uid"] not in uids, path.name
        uids.add(dash["uid"])
        assert dash["title"] and dash["panels"], path.name
        ids = [p["id"] for p in dashboard_panels(dash["panels"])]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate panel ids"
        for p in dashboard_panels(dash["panels"]):
            g = p["gridPos"]
            assert 0 <= g["x"] and g["x"] + g["w"] <= 24, (path.name, p)
            if p["type"] == "row":
                continue
            assert p["datasource"]["uid"] == "prometheus", (path.name, p)
            assert p["targets"], f"{path.name}: {p['title']} has no query"
            for t in p["targets"]:
                assert t["expr"].strip() and t["refId"], (path.name, p)
                # no ENUM / charging panels: those features are not built
                assert not re.search(r"sms_c_(enum|charging)_", t["expr"])


# --------------------------------------------------------------- live node


def test_every_metric_used_is_exported(node):
    some_traffic(node)
    r = node.metrics()
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    fams = families(r.text)
    used = [(f"alerts.yml {name}", expr) for name, expr in alert_rules(ALERTS)]
    used += dashboard_exprs()
    # alerts-charging-enum.yml is left out on purpose: sms_c_enum_* and
    # sms_c_charging_* belong to features not built yet
    problems = {}
    for where, expr in used:
        for name in missing_metrics(expr, fams):
            problems.setdefault(name, []).append(where)
    assert not problems, "metrics used but not exported by smscd:\n" + \
        "\n".join(f"  {n}  (used by {', '.join(sorted(set(w))[:3])})"
                  for n, w in sorted(problems.items()))


# --------------------------------------------------------------- prometheus


def test_prometheus_aggregates_a_cluster(cluster3, prometheus_for):
    nodes = list(cluster3)
    prom = prometheus_for(nodes)

    def settled(expr, want):
        def check():
            v = prom.value(expr)
            return True if v is not None and abs(v - want) < 1e-9 \
                else smsc.Unmet(v)
        wait_until(check, 30, interval=0.25, what=f"{expr} == {want}")

    # one message through each node first, so that every node's series
    # exist in the TSDB before the bulk of the traffic (rate() needs the
    # increase to happen between two samples of a series)
    msgs = [create(n, source_smsc="promtest", dest_smsc="gw1")
            for n in nodes]
    settled("sum(sms_c_message_received_count)", 3)
    settled("count(count by (instance) "
            "(sms_c_message_processing_stop_duration_count))", 3)
    for i in range(3, 60):
        msgs.append(create(nodes[i % 3], source_smsc="promtest",
                           dest_smsc="gw1"))
    # 45 delivered, each through another node than the one that took it
    for i, m in enumerate(msgs[:45]):
        deliver(nodes[(i + 1) % 3], m["id"])

    # counters: each node counts what it received; the sum is the cluster
    settled("sum(sms_c_message_received_count)", 60)
    settled("sum(sms_c_delivery_queued_count)", 60)
    settled("sum(sms_c_delivery_succeeded_count)", 45)
    assert prom.value("sum(increase(sms_c_message_received_count[1m]))") > 0
    assert prom.value("sum(rate(sms_c_message_received_count[1m]))") > 0
    per_node = {s["instance"]: v for s, v in prom.query(
        "sum by (instance) (sms_c_message_received_count)")}
    assert sorted(per_node.values()) == [20, 20, 20], per_node
    # delivery success rate
    assert prom.value("sum(sms_c_delivery_succeeded_count) / "
                      "sum(sms_c_delivery_queued_count)") == 0.75

    # replicated gauges: the same on every node, so max (never sum)
    settled("max(sms_c_queue_size_pending)", 15)

    def every_node_15():
        got = {s["instance"]: v for s, v in prom.query(
            "max by (instance) (sms_c_queue_size_pending)")}
        return got if len(got) == 3 and set(got.values()) == {15} \
            else smsc.Unmet(got)
    wait_until(every_node_15, 30, interval=0.25,
               what="sms_c_queue_size_pending == 15 on every node")
    assert prom.value("sum(sms_c_queue_size_pending)") == 45  # why not sum

    # histogram quantile over all nodes
    p95 = "histogram_quantile(0.95, sum by (le) " \
          "(rate(sms_c_message_processing_stop_duration_bucket[1m])))"

    def finite_p95():
        v = prom.value(p95)
        return v if v is not None and math.isfinite(v) and v > 0 \
            else smsc.Unmet(v)
    v = wait_until(finite_p95, 30, interval=0.25, what=p95)
    assert 0 < v <= 5000, v

    # a healthy scrape: every target up, no scrape error
    for t in prom.targets():
        assert t["health"] == "up" and not t["lastError"], t


def test_rules_healthy_and_dashboard_queries_valid(cluster3, prometheus_for):
    nodes = list(cluster3)
    ok(nodes[0].api.post("/api/frontends", {"frontend_name": "fe1",
                                            "frontend_type": "smpp"}), 201)
    prom = prometheus_for(nodes, [ALERTS, ALERTS_CHARGING_ENUM])
    want = {n for n, _ in alert_rules(ALERTS)} | \
        {n for n, _ in alert_rules(ALERTS_CHARGING_ENUM)}

    def all_evaluated():
        groups = prom.api("rules")["groups"]
        rules = [(r["name"], r["health"], r.get("lastError", ""))
                 for g in groups for r in g["rules"]]
        if {n for n, _, _ in rules} == want and \
                all(h == "ok" for _, h, _ in rules):
            return groups
        return smsc.Unmet(rules)
    groups = wait_until(all_evaluated, 30, interval=0.25,
                        what="every rule evaluated with health ok")
    assert {g["file"].rsplit("/", 1)[-1] for g in groups} == \
        {"alerts.yml", "alerts-charging-enum.yml"}

    # a healthy cluster with a connected frontend: no alert condition holds
    wait_until(lambda: prom.value(
        'max(sum by (instance) (sms_c_frontend_status_count'
        '{status="connected"}))') == 1, 30, interval=0.25,
        what="the frontend counted as connected")
    firing = {name: prom.query(expr) for name, expr in alert_rules(ALERTS)}
    firing = {k: v for k, v in firing.items() if v}
    assert not firing, f"alert conditions true on a healthy cluster: {firing}"

    # every dashboard expression is valid PromQL
    for where, expr in dashboard_exprs():
        r = requests.get(prom.url + "/api/v1/query",
                         params={"query": concrete(expr)}, timeout=scaled(10))
        assert r.status_code == 200 and r.json()["status"] == "success", \
            f"{where}: {expr}: {r.text[:300]}"
