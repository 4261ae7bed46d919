# A throwaway MariaDB server for integration tests that need a MySQL backend they can stop, kill
# and restart (outage tests). Standard library only; queries go through the `mariadb` command line
# client. The server flags match tests/mariadb.sh and /work/shared/ENVIRONMENT.md.
#
#   db = MariaDB().start()           # own temp dir + free port; bootstraps on the first start
#   db.query("CREATE TABLE t (k VARBINARY(64) PRIMARY KEY, v LONGBLOB)", database="strata_test")
#   db.query("INSERT INTO t VALUES (%s, %s)" % (MariaDB.literal(b"k"), MariaDB.literal(b"\0\xff")),
#            database="strata_test")
#   db.query("SELECT k, v FROM t", "strata_test")     -> [["k", "\x00\udcff"]]   (str, see query)
#   db.query_hex("SELECT HEX(v) FROM t", "strata_test") -> [[b"\x00\xff"]]
#   db.stop(); db.start()            # same port, socket and datadir: the data survives
#   db.kill(); db.start()            # SIGKILL (crash), then InnoDB recovery on the next start
#   db.pause(); db.resume()          # SIGSTOP/SIGCONT: a hung server that keeps its sockets
#   db.destroy()                     # stop + remove the directory (also done at interpreter exit)
#
# Properties: host ("127.0.0.1"), port, socket, user ("strata"), password, database
# ("strata_test", created on start), pid, dir, log_path; env() gives the STRATA_TEST_MYSQL_* dict
# (same names as tests/mariadb.sh writes) to pass to a strata-server subprocess.
#
# shared(): one module-wide server for all tests of a run, started on first use. If run_all.sh
# exported STRATA_TEST_MYSQL_SOCKET/PORT/USER/PASSWORD (a MariaDB it owns) and that server answers,
# shared() wraps it instead (an ExternalMariaDB: query() works, start/stop/kill raise), which saves
# the ~1 s start. Tests that stop or kill the server must use their own MariaDB(), never shared().
# Tests sharing a server should use their own database or table names.
import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

HOST = "127.0.0.1"
USER = "strata"
DATABASE = "strata_test"


def _which(name, fallback):
    return shutil.which(name) or fallback


MARIADBD = _which("mariadbd", "/usr/sbin/mariadbd")
MARIADB_CLIENT = _which("mariadb", "/usr/bin/mariadb")
INSTALL_DB = _which("mariadb-install-db", "/usr/bin/mariadb-install-db")


class MariaDBError(Exception):
    pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# Every MariaDB whose process or directory may still exist; stopped/removed at interpreter exit.
_LIVE = set()
_LIVE_LOCK = threading.Lock()


def _cleanup_all_at_exit():
    for db in list(_LIVE):
        try:
            db.destroy()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


atexit.register(_cleanup_all_at_exit)


def _on_sigterm(signum, frame):
    # Python's default SIGTERM action skips atexit (harness.py installs the same handler).
    raise KeyboardInterrupt("SIGTERM")


if (threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL):
    signal.signal(signal.SIGTERM, _on_sigterm)


def _unescape_batch(field):
    """Undoes the escaping of `mariadb --batch` output (\\0 \\t \\n \\\\)."""
    if "\\" not in field:
        return field
    out = []
    i = 0
    n = len(field)
    while i < n:
        c = field[i]
        if c == "\\" and i + 1 < n:
            nxt = field[i + 1]
            out.append({"0": "\0", "t": "\t", "n": "\n", "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class _Client:
    """query()/query_hex() over the mariadb command line client; needs socket, user, password."""

    query_timeout = 60.0

    def _client_cmd(self, database):
        cmd = [MARIADB_CLIENT, "--no-defaults", "--batch", "--skip-column-names",
               "--connect-timeout=5", "-u" + self.user, "--password=" + self.password,
               "--socket=" + self.socket]
        if database:
            cmd.append("--database=" + database)
        return cmd

    def query(self, sql, database=None, timeout=None):
        """Runs sql (one or more ;-separated statements) and returns every result row as a list
        of str (tab-separated batch output, unescaped; bytes that are not UTF-8 come back as
        surrogate escapes). SQL NULL comes back as None -- and so does the string 'NULL', which
        batch mode prints the same way: SELECT HEX(col) / ISNULL(col) when that matters.
        Statements without a result set add no rows. Raises MariaDBError on any error."""
        try:
            p = subprocess.run(self._client_cmd(database), input=sql.encode("utf-8"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=timeout or self.query_timeout)
        except subprocess.TimeoutExpired as e:
            raise MariaDBError("query timed out after %ss: %s" % (e.timeout, sql[:200]))
        if p.returncode != 0:
            raise MariaDBError("mariadb client exited %d: %s\nsql: %s"
                               % (p.returncode, p.stderr.decode("utf-8", "replace").strip(),
                                  sql[:500]))
        rows = []
        for line in p.stdout.decode("utf-8", "surrogateescape").split("\n"):
            if line == "":
                continue
            rows.append([None if f == "NULL" else _unescape_batch(f) for f in line.split("\t")])
        return rows

    def query_hex(self, sql, database=None, timeout=None):
        """query() for a SELECT whose columns are all HEX(...): returns rows of bytes (None for
        NULL; HEX(NULL) is NULL, so this case is exact)."""
        return [[None if f is None else bytes.fromhex(f) for f in row]
                for row in self.query(sql, database, timeout)]

    def scalar(self, sql, database=None):
        """The first column of the first row, or None when there is no row."""
        rows = self.query(sql, database)
        return rows[0][0] if rows else None

    @staticmethod
    def literal(value):
        """A SQL literal: bytes -> X'hex' (exact for any binary value), None -> NULL, int ->
        digits, str -> X'utf-8 hex' (a binary string; fine for VARBINARY/BLOB columns)."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, str):
            value = value.encode("utf-8")
        return "X'%s'" % bytes(value).hex()

    def env(self):
        """The STRATA_TEST_MYSQL_* variables for this server (as tests/mariadb.sh writes them)."""
        return {
            "STRATA_TEST_MYSQL_SOCKET": self.socket,
            "STRATA_TEST_MYSQL_HOST": self.host,
            "STRATA_TEST_MYSQL_PORT": str(self.port),
            "STRATA_TEST_MYSQL_USER": self.user,
            "STRATA_TEST_MYSQL_PASSWORD": self.password,
            "STRATA_TEST_MYSQL_DATABASE": self.database,
            "STRATA_TEST_MYSQL_PID": str(self.pid or ""),
        }


class MariaDB(_Client):
    """One mariadbd process that this object owns (started by Popen, stopped by its pid)."""

    def __init__(self, start_timeout=20.0, stop_timeout=20.0, extra_args=()):
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.extra_args = list(extra_args)
        self.host = HOST
        self.user = USER
        self.database = DATABASE
        self.password = None
        self.port = None
        self.dir = None
        self.socket = None
        self.data_dir = None
        self.log_path = None
        self.proc = None
        self.returncode = None
        self._bootstrapped = False

    @property
    def pid(self):
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # -- lifecycle ---------------------------------------------------------------------------
    def _make_dir(self):
        base = None
        tmp = tempfile.gettempdir()
        # sun_path is 108 bytes: keep "<dir>/mysqld.sock" well below it.
        if len(os.path.join(tmp, "strata-mdb-XXXXXXXX", "mysqld.sock")) > 100:
            base = "/tmp"
        self.dir = tempfile.mkdtemp(prefix="strata-mdb-", dir=base)
        self.data_dir = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.log_path = os.path.join(self.dir, "mariadb.log")

    def _log_note(self, text):
        with open(self.log_path, "a") as f:
            f.write("=== %s %s ===\n" % (time.strftime("%F %T"), text))

    def _bootstrap(self):
        cmd = [INSTALL_DB, "--no-defaults", "--datadir=" + self.data_dir,
               "--auth-root-authentication-method=normal", "--skip-test-db", "--user=root",
               "--skip-log-bin", "--innodb-log-file-size=16M", "--innodb-buffer-pool-size=64M"]
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        if p.returncode != 0:
            raise MariaDBError("mariadb-install-db exited %d\noutput tail:\n%s"
                               % (p.returncode, "\n".join(
                                   p.stdout.decode("utf-8", "replace").splitlines()[-25:])))

    def command_line(self):
        return [MARIADBD, "--no-defaults", "--datadir=" + self.data_dir,
                "--socket=" + self.socket, "--port=%d" % self.port,
                "--bind-address=" + HOST, "--skip-networking=0", "--user=root",
                "--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=64M",
                "--innodb-log-file-size=16M", "--innodb-flush-log-at-trx-commit=2",
                "--performance-schema=OFF", "--max-allowed-packet=1G",
                "--pid-file=" + os.path.join(self.dir, "mariadbd.pid"),
                "--log-error=" + self.log_path] + self.extra_args

    def start(self):
        """Starts mariadbd and waits until the strata user can connect. The first start
        bootstraps a datadir and picks a free port; later starts reuse both (so the data and the
        address survive stop()/kill()). Returns self."""
        if self.alive():
            raise MariaDBError("already running (pid %d)" % self.proc.pid)
        if not os.path.exists(MARIADBD):
            raise MariaDBError("mariadbd not found (install mariadb-server-core)")
        with _LIVE_LOCK:
            _LIVE.add(self)
        if self.dir is None:
            self._make_dir()
        if not self._bootstrapped:
            self._bootstrap()
        first = self.port is None
        last_error = None
        for _attempt in range(3 if first else 1):
            if first:
                self.port = free_port()
            try:
                self._spawn()
                break
            except MariaDBError as e:
                last_error = e
                tail = self.log_tail(10).lower()
                if not first or not ("address already in use" in tail
                                     or "another server running on port" in tail):
                    raise
        else:
            raise last_error
        if not self._bootstrapped:
            self.password = os.urandom(16).hex()
            self._root_sql(
                "CREATE OR REPLACE USER '{u}'@'localhost' IDENTIFIED BY '{p}';"
                "CREATE OR REPLACE USER '{u}'@'127.0.0.1' IDENTIFIED BY '{p}';"
                "GRANT ALL PRIVILEGES ON *.* TO '{u}'@'localhost' WITH GRANT OPTION;"
                "GRANT ALL PRIVILEGES ON *.* TO '{u}'@'127.0.0.1' WITH GRANT OPTION;"
                "CREATE DATABASE IF NOT EXISTS {d};"
                "FLUSH PRIVILEGES;".format(u=self.user, p=self.password, d=self.database))
            self._bootstrapped = True
        return self

    def _root_sql(self, sql):
        p = subprocess.run([MARIADB_CLIENT, "--no-defaults", "-uroot", "--socket=" + self.socket],
                           input=sql.encode(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=30)
        if p.returncode != 0:
            raise MariaDBError("root SQL failed: %s" % p.stdout.decode("utf-8", "replace"))
        return p.stdout

    def _ping(self):
        # root over the socket: works before the strata user exists.
        return subprocess.call([MARIADB_CLIENT, "--no-defaults", "-uroot",
                                "--socket=" + self.socket, "--connect-timeout=2", "-e", "SELECT 1"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=10) == 0

    def _spawn(self):
        try:
            os.unlink(self.socket)
        except FileNotFoundError:
            pass
        self._log_note("start: port %d socket %s" % (self.port, self.socket))
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command_line(), cwd=self.dir,
                                         stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT)
        self.returncode = None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                self.returncode = rc
                raise MariaDBError("mariadbd exited with code %s during start-up (port %d)\n"
                                   "log tail:\n%s" % (rc, self.port, self.log_tail()))
            if os.path.exists(self.socket) and self._ping():
                return
            time.sleep(0.03)
        tail = self.log_tail()
        self.kill()
        raise MariaDBError("mariadbd did not answer within %.1fs (port %d)\nlog tail:\n%s"
                           % (self.start_timeout, self.port, tail))

    def stop(self, timeout=None):
        """SIGTERM by pid and wait (SIGKILL after timeout, default stop_timeout). Keeps the
        directory, so start() brings the same data back. Returns the exit code; safe twice."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGCONT)  # in case pause()d
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=timeout or self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            self.returncode = self.proc.poll()
        return self.returncode

    def restart(self):
        """stop() then start() on the same port, socket and data."""
        self.stop()
        return self.start()

    def kill(self):
        """SIGKILL by pid and wait: a crash. start() afterwards runs InnoDB crash recovery."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        if self.proc is not None:
            self.returncode = self.proc.poll()
        return self.returncode

    def pause(self):
        """SIGSTOP: the server keeps its sockets but answers nothing (a hung backend)."""
        if self.alive():
            os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        if self.alive():
            os.kill(self.proc.pid, signal.SIGCONT)

    def destroy(self):
        """stop() and remove the directory (data included). Also run at interpreter exit."""
        try:
            self.stop()
        finally:
            if self.dir and os.path.isdir(self.dir):
                shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
            self.port = None
            self._bootstrapped = False
            with _LIVE_LOCK:
                _LIVE.discard(self)

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
        except (OSError, TypeError):
            return "(no log)"
        text = data.decode("utf-8", "replace").splitlines()
        return "\n".join(text[-lines:]) or "(empty log)"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.destroy()
        return False


class ExternalMariaDB(_Client):
    """A running server this process does not own (from run_all.sh's STRATA_TEST_MYSQL_*):
    queries only."""

    def __init__(self, environ=None):
        e = os.environ if environ is None else environ
        self.socket = e["STRATA_TEST_MYSQL_SOCKET"]
        self.host = e.get("STRATA_TEST_MYSQL_HOST", HOST)
        self.port = int(e["STRATA_TEST_MYSQL_PORT"])
        self.user = e["STRATA_TEST_MYSQL_USER"]
        self.password = e["STRATA_TEST_MYSQL_PASSWORD"]
        self.database = e.get("STRATA_TEST_MYSQL_DATABASE", DATABASE)
        pid = e.get("STRATA_TEST_MYSQL_PID", "")
        self.pid = int(pid) if pid.isdigit() else None

    def alive(self):
        try:
            return self.scalar("SELECT 1") == "1"
        except MariaDBError:
            return False

    def _not_owned(self, *_args, **_kwargs):
        raise MariaDBError("this MariaDB belongs to run_all.sh; use your own MariaDB() to "
                           "stop, kill or restart a server")

    start = stop = restart = kill = pause = resume = destroy = _not_owned


_shared = None
_shared_lock = threading.Lock()


def shared():
    """One server for the whole test run: run_all.sh's (when its STRATA_TEST_MYSQL_* variables are
    set and it answers), else a MariaDB() started on first use and destroyed at interpreter exit.
    Never stop or kill it; create your own database/tables in it."""
    global _shared
    with _shared_lock:
        if _shared is not None:
            if _shared.alive():
                return _shared
            if isinstance(_shared, MariaDB):  # someone stopped it anyway: bring it back
                return _shared.start()
        _shared = None
        if all(os.environ.get(k) for k in ("STRATA_TEST_MYSQL_SOCKET", "STRATA_TEST_MYSQL_PORT",
                                           "STRATA_TEST_MYSQL_USER",
                                           "STRATA_TEST_MYSQL_PASSWORD")):
            ext = ExternalMariaDB()
            if ext.alive():
                _shared = ext
                return _shared
        _shared = MariaDB().start()
        return _shared
