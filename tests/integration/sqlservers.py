"""Real PostgreSQL and MariaDB servers for the integration tests.

``Postgres()`` / ``MariaDB()`` each start one server on a free loopback
port in a temp dir (as the ``postgres`` / ``mysql`` system user when the
tests run as root), with TLS and password authentication for the user
``smsc`` (password ``PASSWORD``; MariaDB: 'smsc'@'127.0.0.1' with all
privileges, and 'smsc_tls' which requires TLS; PostgreSQL: the database
``cdr_tls`` accepts TLS connections only).  ``sql()`` runs a statement
through the server's own client as an administrator and returns its text
output, ``count()`` the integer of a single-value query, ``fresh_db()``
(re)creates a database, ``database_config()`` gives smscd's ``database``
config for one, ``halt()`` / ``start()`` stop and restart the server on
the same port and data (for outage tests, any number of times), and
``stop()`` ends it and removes its files.  ``postgres_or_skip()`` /
``mariadb_or_skip()`` construct one or skip the test when the server
packages (postgresql, mariadb-server) are not installed.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

import smsc

PASSWORD = "cdr-secret"
PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"


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


class _Server:
    """What both servers share; a subclass sets ADAPTER, port and dir and
    has sql(statement, db), start() and halt()."""

    ADAPTER = None

    def count(self, statement, db):
        """The integer a single-value query on db returns."""
        return int(self.sql(statement, db))

    def database_config(self, name):
        """smscd's JSON config key `database` for database name here."""
        return {"adapter": self.ADAPTER, "hostname": "127.0.0.1",
                "port": self.port, "username": "smsc",
                "password": PASSWORD, "database": name}

    def stop(self):
        self.halt()
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------- PostgreSQL

class Postgres(_Server):
    ADAPTER = "postgres"

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


def postgres_or_skip():
    """A new running Postgres, or pytest.skip when the server is missing."""
    if not PG_BIN or shutil.which("psql") is None:
        pytest.skip("PostgreSQL server not installed (Debian: postgresql)")
    return Postgres()


# --------------------------------------------------------------- MariaDB

class MariaDB(_Server):
    ADAPTER = "mysql"

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


def mariadb_or_skip():
    """A new running MariaDB, or pytest.skip when the server is missing."""
    if not os.path.exists(MARIADBD) or shutil.which("mariadb-install-db") \
            is None:
        pytest.skip("MariaDB server not installed (Debian: mariadb-server)")
    return MariaDB()
