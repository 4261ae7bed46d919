"""Starting, pinning, readiness and stopping of the servers under test.

Every child (servers and redis-benchmark) is registered in a ProcessRegistry and stopped by pid
when the tool ends, fails or is interrupted (Ctrl-C, SIGTERM): registry.stop_all() runs from the
modes' finally blocks and again at exit. Children start in their own session, so a Ctrl-C at the
terminal reaches only the tool, which then stops them in order; and when `setpriv` is available
they get SIGTERM from the kernel if the tool itself is killed (PR_SET_PDEATHSIG), so not even a
SIGKILL of the tool leaves a server running.

A server is started as  [setpriv --pdeathsig TERM] taskset -c CPUS [valgrind ...] BINARY ARGS
in its own data directory, on a free loopback port; readiness = a PING answered with PONG.
"""
import os
import shutil
import signal
import socket
import subprocess
import time

from . import info as info_mod
from . import resp


class StartError(Exception):
    """The server exited during start-up or did not answer PING in time; .log_tail says why."""

    def __init__(self, msg, log_tail=""):
        super().__init__(msg)
        self.log_tail = log_tail


class ProcessRegistry:
    """The children this tool started (Popen objects), to stop by pid on the way out."""

    def __init__(self):
        self.procs = {}
        # Prepended to every child's argv: the kernel sends it SIGTERM if this tool dies.
        self.prefix = _pdeathsig_prefix()

    def add(self, proc, name):
        self.procs[proc.pid] = (proc, name)

    def discard(self, proc):
        self.procs.pop(proc.pid, None)

    def stop_all(self, grace_s=10.0):
        for pid, (proc, name) in list(self.procs.items()):
            stop_process(proc, grace_s)
            self.procs.pop(pid, None)


def stop_process(proc, grace_s=10.0):
    """SIGTERM to proc.pid, wait up to grace_s, then SIGKILL; always reaps. Returns exit status."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def install_signal_handlers():
    """SIGTERM/SIGHUP become SystemExit, so finally blocks (and the registry) run."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pdeathsig_prefix():
    setpriv = shutil.which("setpriv")
    if not setpriv:
        return []
    try:
        ok = subprocess.run([setpriv, "--pdeathsig", "TERM", "true"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    except OSError:
        ok = False
    return [setpriv, "--pdeathsig", "TERM"] if ok else []


def binary_kind(binary):
    """'redis' if `binary --version` says "Redis server", else 'strata'."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "strata"
    return "redis" if out.startswith("Redis server") else "strata"


def binary_version(binary):
    try:
        return subprocess.run([binary, "--version"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None


def server_args(kind, port, data_dir, threads=1, cpus=None, appendonly="no",
                appendfsync=None, extra=()):
    """Directives for one server. Redis: no RDB snapshots, io-threads when threads > 1.
    strata: --threads and --server-cpus (worker i on the i-th CPU of the list)."""
    a = ["--port", str(port), "--bind", "127.0.0.1", "--dir", data_dir]
    if kind == "redis":
        a += ["--save", "", "--daemonize", "no", "--logfile", "", "--appendonly", appendonly]
        if appendfsync:
            a += ["--appendfsync", appendfsync]
        if threads and threads > 1:
            a += ["--io-threads", str(threads), "--io-threads-do-reads", "yes"]
    else:
        a += ["--threads", str(threads)]
        if cpus:
            a += ["--server-cpus", cpus]
        # Only pass persistence directives when persistence is asked for: a server without a WAL
        # still starts, and one that cannot do it refuses to start (recorded as unsupported).
        if appendonly != "no":
            a += ["--appendonly", appendonly]
        if appendfsync and appendonly != "no":
            a += ["--appendfsync", appendfsync]
    return a + list(extra)


class Server:
    """One server process under test. start() -> ready; stop() -> reaped.

    name: label in results ('strata', 'redis'); kind: 'strata' or 'redis' (argument dialect).
    """

    def __init__(self, name, kind, binary, cpus, data_dir, registry, args_fn=None, threads=1,
                 appendonly="no", appendfsync=None, extra=(), valgrind=None, ready_timeout=15.0,
                 log_path=None):
        self.name, self.kind, self.binary = name, kind, binary
        self.cpus, self.data_dir, self.registry = cpus, data_dir, registry
        self.threads, self.appendonly, self.appendfsync = threads, appendonly, appendfsync
        self.extra, self.valgrind = list(extra), valgrind
        self.ready_timeout = ready_timeout
        self.log_path = log_path or os.path.join(data_dir, "server.log")
        self.proc = None
        self.port = None
        self.argv = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self):
        os.makedirs(self.data_dir, exist_ok=True)
        self.port = free_port()
        args = server_args(self.kind, self.port, self.data_dir, self.threads, self.cpus,
                           self.appendonly, self.appendfsync, self.extra)
        self.argv = (list(self.registry.prefix) + ["taskset", "-c", self.cpus]
                     + list(self.valgrind or []) + [self.binary] + args)
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(self.argv, cwd=self.data_dir, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        finally:
            log.close()
        self.registry.add(self.proc, self.name)
        self._wait_ready()
        return self

    def log_tail(self, n=15):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def _wait_ready(self):
        deadline = time.monotonic() + self.ready_timeout
        while True:
            if self.proc.poll() is not None:
                self.registry.discard(self.proc)
                raise StartError("%s exited during start-up (status %s)"
                                 % (self.name, self.proc.returncode), self.log_tail())
            try:
                with resp.Client("127.0.0.1", self.port, timeout=2.0) as c:
                    if c.call("PING") == b"PONG":
                        return
            except (OSError, resp.ReplyError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise StartError("%s did not answer PING within %.0fs"
                                 % (self.name, self.ready_timeout), self.log_tail())
            time.sleep(0.05)

    def client(self, timeout=30.0):
        return resp.Client("127.0.0.1", self.port, timeout=timeout)

    def call(self, *args):
        with self.client() as c:
            return c.call(*args)

    def info(self):
        """INFO all, parsed ({section: {field: value}})."""
        return info_mod.parse_info(self.call("INFO", "all"))

    def config_get(self, name):
        try:
            r = self.call("CONFIG", "GET", name)
        except (resp.ReplyError, OSError):
            return None
        if isinstance(r, list) and len(r) >= 2:
            v = r[1]
            return v.decode() if isinstance(v, bytes) else v
        return None

    def stop(self, grace_s=None):
        """SIGTERM by pid (both servers shut down cleanly on it; under valgrind that lets callgrind
        write its file), SIGKILL after the grace period. Returns the exit status."""
        if not self.proc:
            return None
        if grace_s is None:
            grace_s = 120.0 if self.valgrind else 10.0
        rc = stop_process(self.proc, grace_s)
        self.registry.discard(self.proc)
        return rc

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
