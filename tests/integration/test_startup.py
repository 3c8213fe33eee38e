"""Start-up contract of smscd (SPEC §1, §12): intent for an empty data dir,
config validation, restarts, the HTTPS listener and the data-dir lock."""

import json
import os
import signal
import socket
import ssl
import stat
import subprocess
import time

import pytest
import requests

import smsc
from smsc import describe, message_body, run_smscd


def write_config(tmp_path, config, name="smscd.json"):
    path = tmp_path / name
    path.write_text(json.dumps(config))
    return path


def minimal_config(tmp_path, **extra):
    """A config for a node that is never expected to get far."""
    cfg = {
        "smsc_node_name": "lonely",
        "data_dir": str(tmp_path / "data"),
        "cluster_nodes": [f"lonely@127.0.0.1:{smsc.free_port()}"],
        "api": {"listen_ip": "127.0.0.1", "port": smsc.free_port(),
                "http_port": smsc.free_port()},
        "web": {"listen_ip": "127.0.0.1", "port": smsc.free_port()},
        "metrics": {"listen_ip": "127.0.0.1", "port": smsc.free_port()},
        "rate_limits": {"enabled": False},
    }
    return smsc.merge(cfg, extra)


def test_empty_data_dir_without_intent_exits_2(tmp_path):
    cfg = write_config(tmp_path, minimal_config(tmp_path))
    res = run_smscd(["--config", str(cfg)])
    assert res.returncode == 2, (
        f"expected exit 2, got {res.returncode}; stderr: {res.stderr}")
    assert "--bootstrap" in res.stderr, f"stderr should name --bootstrap: {res.stderr}"
    assert "join" in res.stderr, f"stderr should name the join option: {res.stderr}"


@pytest.mark.parametrize("extra, key", [
    ({"bogus_setting": 1}, "bogus_setting"),
    ({"api": {"prot": 8443}}, "api.prot"),
    ({"raft": {"election_timeout": 1000}}, "raft.election_timeout"),
    ({"api": {"port": "eighty"}}, "api.port"),
    ({"rate_limits": {"enabled": "yes"}}, "rate_limits.enabled"),
    ({"max_delivery_attempts": "three"}, "max_delivery_attempts"),
    ({"cluster_nodes": "not-a-list"}, "cluster_nodes"),
], ids=["unknown-top-level", "unknown-nested", "unknown-nested-raft",
        "wrong-type-int", "wrong-type-bool", "wrong-type-setting",
        "wrong-type-list"])
def test_bad_config_exits_1_naming_the_key(tmp_path, extra, key):
    cfg = write_config(tmp_path, minimal_config(tmp_path, **extra))
    res = run_smscd(["--config", str(cfg), "--bootstrap"])
    assert res.returncode == 1, (
        f"expected exit 1 for {extra}, got {res.returncode}; stderr: {res.stderr}")
    assert key in res.stderr, f"stderr should name {key!r}: {res.stderr!r}"


def test_malformed_config_file_exits_1(tmp_path):
    cfg = tmp_path / "smscd.json"
    cfg.write_text('{"smsc_node_name": "x",')
    res = run_smscd(["--config", str(cfg), "--bootstrap"])
    assert res.returncode == 1, f"got {res.returncode}; stderr: {res.stderr}"
    assert res.stderr.strip(), "a malformed config must be explained on stderr"


def test_restart_without_bootstrap_keeps_data(node):
    created = node.api.post("/api/messages", message_body(message_body="keep me"))
    assert created.status_code == 201, describe(created)
    record = created.json()["data"]
    cluster_id = node.status()["cluster_id"]

    node.stop()
    assert node.proc.returncode == 0, f"SIGTERM should exit 0, got {node.proc.returncode}"
    node.start()  # no --bootstrap: the data dir is not empty any more

    assert node.message(record["id"]) == record
    assert node.status()["cluster_id"] == cluster_id, "cluster_id changed on restart"
    again = node.api.post("/api/messages", message_body())
    assert again.status_code == 201, describe(again)
    assert again.json()["data"]["id"] != record["id"], "ids must stay unique after a restart"


def test_bootstrap_again_on_existing_data_is_harmless(node):
    created = node.api.post("/api/messages", message_body())
    assert created.status_code == 201, describe(created)
    cluster_id = node.status()["cluster_id"]
    node.stop()
    node.start(bootstrap=True)
    assert node.message(created.json()["data"]["id"]) == created.json()["data"]
    assert node.status()["cluster_id"] == cluster_id


def test_https_listener_with_self_signed_certificate(node):
    r = node.https.get("/api/status")
    assert r.status_code == 200, describe(r)
    st = r.json()
    assert st["status"] == "ok" and st["application"] == "smsc"
    assert st["node"] == node.name

    tls_dir = node.data_dir / "tls"
    assert tls_dir.is_dir(), f"{tls_dir} should hold the generated certificate"
    files = sorted(p.name for p in tls_dir.iterdir())
    certs = [p for p in tls_dir.iterdir() if p.suffix in (".crt", ".pem", ".cert")
             and "key" not in p.name]
    keys = [p for p in tls_dir.iterdir() if "key" in p.name]
    assert certs, f"no certificate file in {tls_dir}: {files}"
    assert keys, f"no key file in {tls_dir}: {files}"
    for key in keys:
        mode = stat.S_IMODE(os.stat(key).st_mode)
        assert mode == 0o600, f"{key} has mode {oct(mode)}, expected 0o600"

    served = ssl.get_server_certificate(("127.0.0.1", node.https_port))
    on_disk = [ssl.DER_cert_to_PEM_cert(ssl.PEM_cert_to_DER_cert(c.read_text()))
               for c in certs]
    assert ssl.PEM_cert_to_DER_cert(served) in [
        ssl.PEM_cert_to_DER_cert(c) for c in on_disk], \
        "the served certificate is not the one in data_dir/tls"

    # a client that verifies certificates must refuse a self-signed one
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"https://127.0.0.1:{node.https_port}/api/status",
                     timeout=smsc.HTTP_TIMEOUT)


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_https_speaks_tls_1_2_and_1_3(node, version):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ctx.maximum_version = getattr(ssl.TLSVersion, version)
    with socket.create_connection(("127.0.0.1", node.https_port), timeout=10) as s:
        with ctx.wrap_socket(s) as tls:
            assert tls.version() == version.replace("_", "."), tls.version()


def test_tls_can_be_turned_off(make_node):
    n = make_node(api={"enable_tls": False})
    assert n.status()["status"] == "ok"
    with pytest.raises(requests.exceptions.ConnectionError):
        n.https.get("/api/status", timeout=3)


def test_second_smscd_on_the_same_data_dir_fails(node, tmp_path):
    # Same data dir, every port different: only the data dir can clash.
    cfg = dict(node.config)
    cfg["api"] = dict(cfg["api"], port=smsc.free_port(), http_port=smsc.free_port())
    cfg["web"] = dict(cfg["web"], port=smsc.free_port())
    cfg["metrics"] = dict(cfg["metrics"], port=smsc.free_port())
    path = write_config(tmp_path, cfg, "second.json")
    res = run_smscd(["--config", str(path)])
    assert res.returncode != 0, "a second smscd on the same data dir must not start"
    assert res.stderr.strip(), "the refusal must be explained on stderr"
    # the first one is unharmed
    assert node.running
    r = node.api.post("/api/messages", message_body())
    assert r.status_code == 201, describe(r)


def test_sigterm_during_start_up_exits_promptly(make_node):
    """SIGTERM at any moment of start-up stops the node promptly: exit 0,
    or death by the signal before smscd has installed its handling."""
    for delay in (0.0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2) * 2:
        n = make_node(start=False)
        n.start(bootstrap=True, wait=False)
        time.sleep(delay)
        n.proc.send_signal(signal.SIGTERM)
        try:
            rc = n.proc.wait(timeout=smsc.scaled(10))
        except subprocess.TimeoutExpired:
            rc = None
        if rc is None:
            n.kill()
            pytest.fail(f"SIGTERM {delay * 1000:.0f} ms after start: still "
                        f"running 10 s later:\n{n.log_tail(10)}")
        assert rc in (0, -signal.SIGTERM), \
            f"SIGTERM {delay * 1000:.0f} ms after start: exit {rc}"


def test_openapi_document_matches_the_routes(node):
    """Every path and method the OpenAPI document lists is served (never
    404 "Not found" or 405), and the main resources are in it."""
    r = node.api.get("/api/openapi.json")
    assert r.status_code == 200, describe(r)
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for must in ("/api/messages", "/api/messages/{id}", "/api/routes",
                 "/api/translation_rules/simulate", "/api/locations/{id}",
                 "/api/events/{id}", "/api/messages_raw"):
        assert must in paths, f"{must} missing from the OpenAPI document"
    for path, ops in paths.items():
        for method, op in ops.items():
            if "{" in path:
                params = op.get("parameters", [])
                assert params and params[0]["in"] == "path", (method, path)
            url = path.replace("{id}", "1").replace("{name}", "x")
            resp = node.api.request(method.upper(), url, {})
            assert resp.status_code != 405, f"{method} {path}: 405"
            if resp.status_code == 404:
                assert not resp.json()["errors"]["detail"].startswith(
                    "Not found:"), f"{method} {path} is not routed"
