"""The CDR sink (sql/cdr_sink.h) against real PostgreSQL and MariaDB servers.

Each server is started once per module on a free loopback port in a temp
dir (as the ``postgres`` / ``mysql`` system user when the tests run as
root), with password authentication for a dedicated user and TLS enabled.
``build/tests/cdr_sql_driver`` (tests/integration/cdr_sql_driver.c) runs
the exactly-once / search scenario and migrations; the schema is checked
through the servers' own clients.  Skipped when the server packages
(postgresql, mariadb-server) are not installed.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pytest

import smsc

DRIVER = os.environ.get("CDR_SQL_DRIVER") or str(
    smsc.REPO / "build" / "tests" / "cdr_sql_driver")
PASSWORD = "cdr-secret"
PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"


def driver(mode, adapter, port, db, *, user="smsc", password=PASSWORD,
           ssl=False, check=True):
    args = [DRIVER, mode, adapter, "127.0.0.1", str(port), user, password, db]
    if ssl:
        args.append("ssl")
    r = subprocess.run(args, capture_output=True, text=True,
                       timeout=smsc.scaled(60))
    if check and r.returncode != 0:
        pytest.fail(f"{' '.join(args[:2])} {db}: exit {r.returncode}\n"
                    f"{r.stdout}{r.stderr}")
    return r


def as_user(user):
    """Command prefix that runs a server as `user` when we are root."""
    return ["runuser", "-u", user, "--"] if os.geteuid() == 0 else []


def make_dir(prefix, user):
    d = tempfile.mkdtemp(prefix=prefix)
    if os.geteuid() == 0:
        pw = pwd.getpwnam(user)
        os.chown(d, pw.pw_uid, pw.pw_gid)
    return d


def self_signed(d, user):
    """server.crt / server.key in d, readable by user only."""
    crt, key = os.path.join(d, "server.crt"), os.path.join(d, "server.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-keyout", key,
                    "-out", crt], check=True, capture_output=True)
    os.chmod(key, 0o600)
    if os.geteuid() == 0:
        pw = pwd.getpwnam(user)
        for f in (crt, key):
            os.chown(f, pw.pw_uid, pw.pw_gid)
    return crt, key


# --------------------------------------------------------------- PostgreSQL

class Postgres:
    def __init__(self):
        self.dir = make_dir("cdr-pg-", "postgres")
        self.port = smsc.free_port()
        self.data = os.path.join(self.dir, "data")
        bindir = PG_BIN[-1]
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        run = as_user("postgres")
        subprocess.run(run + [f"{bindir}/initdb", "-D", self.data, "-U",
                              "smsc", f"--pwfile={pwfile}", "-A",
                              "scram-sha-256"], check=True,
                       capture_output=True)
        crt, key = self_signed(self.dir, "postgres")
        # cdr_tls accepts TLS connections only
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("local all all scram-sha-256\n"
                    "hostnossl cdr_tls all 127.0.0.1/32 reject\n"
                    "host all all 127.0.0.1/32 scram-sha-256\n")
        self.ctl = run + [f"{bindir}/pg_ctl", "-D", self.data]
        self.opts = (f"-p {self.port} -k {self.dir} "
                     "-c listen_addresses=127.0.0.1 -c ssl=on "
                     f"-c ssl_cert_file={crt} -c ssl_key_file={key}")
        self.start()

    def start(self):
        subprocess.run(self.ctl + ["-l", os.path.join(self.dir, "log"), "-o",
                                   self.opts, "-w", "-t", "60", "start"],
                       check=True, capture_output=True)

    def halt(self):
        subprocess.run(self.ctl + ["-m", "fast", "-w", "stop"],
                       capture_output=True)

    def sql(self, statement, db="postgres"):
        env = dict(os.environ, PGPASSWORD=PASSWORD)
        r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", "smsc", "-d", db, "-v", "ON_ERROR_STOP=1",
                            "-tAc", statement], env=env, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def fresh_db(self, name):
        self.sql(f"DROP DATABASE IF EXISTS {name}")
        self.sql(f"CREATE DATABASE {name}")
        return name

    def stop(self):
        self.halt()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres():
    if not PG_BIN or shutil.which("psql") is None:
        pytest.skip("PostgreSQL server not installed (Debian: postgresql)")
    pg = Postgres()
    yield pg
    pg.stop()


# --------------------------------------------------------------- MariaDB

class MariaDB:
    def __init__(self):
        self.dir = make_dir("cdr-my-", "mysql")
        self.port = smsc.free_port()
        self.sock = os.path.join(self.dir, "sock")
        data = os.path.join(self.dir, "data")
        run = as_user("mysql")
        user = ["--user=mysql"] if os.geteuid() == 0 else []
        subprocess.run(run + ["mariadb-install-db", "--no-defaults",
                              f"--datadir={data}",
                              "--auth-root-authentication-method=normal"]
                       + user, check=True, capture_output=True)
        crt, key = self_signed(self.dir, "mysql")
        self.cmd = run + [MARIADBD, "--no-defaults", f"--datadir={data}",
                          f"--socket={self.sock}", f"--port={self.port}",
                          "--bind-address=127.0.0.1", "--skip-log-bin",
                          f"--pid-file={self.dir}/pid",
                          f"--log-error={self.dir}/err.log",
                          f"--ssl-cert={crt}", f"--ssl-key={key}"] + user
        self.proc = None
        self.start()
        self.sql("CREATE USER 'smsc'@'127.0.0.1' IDENTIFIED BY "
                 f"'{PASSWORD}'; "
                 "CREATE USER 'smsc_tls'@'127.0.0.1' IDENTIFIED BY "
                 f"'{PASSWORD}' REQUIRE SSL; "
                 "GRANT ALL ON *.* TO 'smsc'@'127.0.0.1'; "
                 "GRANT ALL ON *.* TO 'smsc_tls'@'127.0.0.1'")

    def start(self):
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        smsc.wait_until(lambda: self._ping(), smsc.scaled(60),
                        what="mariadbd accepting connections")

    def halt(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def _ping(self):
        if self.proc.poll() is not None:
            with open(os.path.join(self.dir, "err.log")) as f:
                pytest.fail("mariadbd exited:\n" + f.read()[-3000:])
        return os.path.exists(self.sock) and subprocess.run(
            ["mariadb", "--no-defaults", "-S", self.sock, "-u", "root", "-e",
             "SELECT 1"], capture_output=True).returncode == 0

    def sql(self, statement, db=None):
        args = ["mariadb", "--no-defaults", "-S", self.sock, "-u", "root",
                "-N", "-B", "-e", statement]
        r = subprocess.run(args + ([db] if db else []), capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def fresh_db(self, name):
        self.sql(f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name}")
        return name

    def stop(self):
        self.halt()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def mariadb():
    if not os.path.exists(MARIADBD) or shutil.which("mariadb-install-db") \
            is None:
        pytest.skip("MariaDB server not installed (Debian: mariadb-server)")
    my = MariaDB()
    yield my
    my.stop()


# --------------------------------------------------------------- tests

CDR_INDEXES = sorted(["idx_cdrs_called_number", "idx_cdrs_calling_number",
                      "idx_cdrs_dest_smsc", "idx_cdrs_message_id",
                      "idx_cdrs_status", "idx_cdrs_submission_time"])


def concurrent_migrations(adapter, port, db, n=4):
    with ThreadPoolExecutor(n) as pool:
        outs = list(pool.map(lambda _: driver("migrate", adapter, port, db),
                             range(n)))
    return sum(int(r.stdout.split()[1]) for r in outs)


def test_postgres_scenario(postgres):
    db = postgres.fresh_db("cdr")
    assert driver("migrate", "postgres", postgres.port, db).stdout == \
        "applied 2\n"
    assert driver("scenario", "postgres", postgres.port, db).stdout == "ok\n"
    assert driver("migrate", "postgres", postgres.port, db).stdout == \
        "applied 0\n"
    assert postgres.sql("SELECT COUNT(*) FROM cdrs", db) == "9"
    assert postgres.sql("SELECT COUNT(*) FROM message_events", db) == "9"
    assert postgres.sql("SELECT string_agg(version::text, ',' ORDER BY "
                        "version) FROM schema_migrations", db) == "1,2"
    idx = postgres.sql("SELECT indexname FROM pg_indexes WHERE tablename = "
                       "'cdrs' AND indexname LIKE 'idx_%' ORDER BY 1", db)
    assert idx.split() == CDR_INDEXES
    assert postgres.sql("SELECT data_type FROM information_schema.columns "
                        "WHERE table_name = 'cdrs' AND column_name = "
                        "'submission_time'", db) == \
        "timestamp without time zone"
    # stored as UTC wall time
    assert postgres.sql("SELECT submission_time FROM cdrs WHERE message_id "
                        "= 1001 LIMIT 1", db) == "2025-10-30 12:01:00"
    assert postgres.sql("SELECT writer || '=' || last_seq FROM "
                        "cdr_writer_state WHERE cluster_id = 'c1' ORDER BY "
                        "writer", db).split() == ["cluster=6", "other=2"]


def big_batches(server, adapter):
    """Batches larger than one INSERT statement (PostgreSQL: 500 rows per
    statement; MySQL: 1 MiB of SQL text) are still written whole."""
    db = server.fresh_db("cdr_big")
    env = dict(os.environ, CDR_BENCH_ROWS="3000", CDR_BENCH_BATCH="1500")
    r = subprocess.run([DRIVER, "bench", adapter, "127.0.0.1",
                        str(server.port), "smsc", PASSWORD, db], env=env,
                       capture_output=True, text=True, timeout=smsc.scaled(120))
    assert r.returncode == 0, r.stderr
    print(f"{adapter}: {r.stdout.strip()}")
    assert server.sql("SELECT COUNT(*) FROM cdrs", db) == "3000"
    assert server.sql("SELECT COUNT(DISTINCT message_id) FROM cdrs", db) == \
        "3000"
    assert server.sql("SELECT COUNT(*) FROM message_events", db) == "3000"


def test_postgres_big_batches(postgres):
    big_batches(postgres, "postgres")


def test_mariadb_big_batches(mariadb):
    big_batches(mariadb, "mysql")


def racing_writers(server, adapter, n=4):
    """Writers of the same name racing over the same seqs (an old and a new
    leader during a leader change): every row lands exactly once."""
    db = server.fresh_db("cdr_race_rows")
    env = dict(os.environ, CDR_BENCH_ROWS="400", CDR_BENCH_BATCH="7")
    args = [DRIVER, "bench", adapter, "127.0.0.1", str(server.port), "smsc",
            PASSWORD, db]
    procs = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for _ in range(n)]
    for p in procs:
        out, errs = p.communicate(timeout=smsc.scaled(120))
        assert p.returncode == 0, errs
    assert server.sql("SELECT COUNT(*) FROM cdrs", db) == "400"
    assert server.sql("SELECT COUNT(DISTINCT message_id) FROM cdrs", db) == \
        "400"
    assert server.sql("SELECT COUNT(*) FROM message_events", db) == "400"
    assert server.sql("SELECT last_seq FROM cdr_writer_state", db) == "400"


def test_postgres_racing_writers(postgres):
    racing_writers(postgres, "postgres")


def test_mariadb_racing_writers(mariadb):
    racing_writers(mariadb, "mysql")


def test_postgres_concurrent_migrations(postgres):
    db = postgres.fresh_db("cdr_race")
    assert concurrent_migrations("postgres", postgres.port, db) == 2
    assert postgres.sql("SELECT COUNT(*) FROM schema_migrations", db) == "2"


def test_postgres_tls_and_bad_password(postgres):
    db = postgres.fresh_db("cdr_tls")
    assert driver("scenario", "postgres", postgres.port, db,
                  ssl=True).stdout == "ok\n"
    r = driver("migrate", "postgres", postgres.port, db,
               password="wrong", check=False)
    assert r.returncode == 1
    assert "password authentication failed" in r.stderr


def test_mariadb_scenario(mariadb):
    db = mariadb.fresh_db("cdr")
    assert driver("migrate", "mysql", mariadb.port, db).stdout == \
        "applied 2\n"
    assert driver("scenario", "mysql", mariadb.port, db).stdout == "ok\n"
    assert driver("migrate", "mysql", mariadb.port, db).stdout == \
        "applied 0\n"
    assert mariadb.sql("SELECT COUNT(*) FROM cdrs", db) == "9"
    assert mariadb.sql("SELECT COUNT(*) FROM message_events", db) == "9"
    idx = mariadb.sql("SELECT DISTINCT index_name FROM "
                      "information_schema.statistics WHERE table_schema = "
                      f"'{db}' AND table_name = 'cdrs' AND index_name LIKE "
                      "'idx_%' ORDER BY 1")
    assert idx.split() == CDR_INDEXES
    assert mariadb.sql("SELECT submission_time FROM cdrs WHERE message_id "
                       "= 1001 LIMIT 1", db) == "2025-10-30 12:01:00"
    assert mariadb.sql("SELECT HEX(message_body) FROM cdrs WHERE message_id "
                       "= 1001 LIMIT 1", db).endswith("F09F9880")  # U+1F600
    assert mariadb.sql("SELECT CONCAT(writer, '=', last_seq) FROM "
                       "cdr_writer_state WHERE cluster_id = 'c1' ORDER BY "
                       "writer", db).split() == ["cluster=6", "other=2"]


def test_mariadb_concurrent_migrations(mariadb):
    db = mariadb.fresh_db("cdr_race")
    assert concurrent_migrations("mysql", mariadb.port, db) == 2
    assert mariadb.sql("SELECT COUNT(*) FROM schema_migrations", db) == "2"


def test_mariadb_tls_and_bad_password(mariadb):
    db = mariadb.fresh_db("cdr_tls")
    # smsc_tls is REQUIRE SSL: refused in clear, accepted with ssl
    r = driver("migrate", "mysql", mariadb.port, db, user="smsc_tls",
               check=False)
    assert r.returncode == 1 and "Access denied" in r.stderr
    assert driver("scenario", "mysql", mariadb.port, db, user="smsc_tls",
                  ssl=True).stdout == "ok\n"
    r = driver("migrate", "mysql", mariadb.port, db, password="wrong",
               check=False)
    assert r.returncode == 1 and "Access denied" in r.stderr


def outage_roundtrip(server, adapter):
    """One sink across a server restart: the batch during the outage fails
    cleanly, the sink reconnects, and the retried (overlapping) batch is
    written exactly once."""
    db = server.fresh_db("cdr_outage")
    args = [DRIVER, "outage", adapter, "127.0.0.1", str(server.port), "smsc",
            PASSWORD, db]
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "ready\n", p.stderr.read()
        server.halt()
        try:
            p.stdin.write("down\n")
            p.stdin.flush()
            assert p.stdout.readline() == "failed\n", p.stderr.read()
        finally:
            server.start()
        out, errs = p.communicate("up\n", timeout=smsc.scaled(60))
        assert p.returncode == 0 and out == "ok\n", errs
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert server.sql("SELECT COUNT(*) FROM cdrs", db) == "6"
    assert server.sql("SELECT COUNT(*) FROM message_events", db) == "6"


def test_postgres_outage_then_reconnect(postgres):
    outage_roundtrip(postgres, "postgres")


def test_mariadb_outage_then_reconnect(mariadb):
    outage_roundtrip(mariadb, "mysql")
