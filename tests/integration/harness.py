# End-to-end test harness: starts a server process (build/strata-server or a stock redis-server)
# on a free loopback port in its own temporary directory, and speaks raw RESP2/RESP3 to it so
# tests can check exact reply bytes.
#
# Environment:
#   STRATA_SERVER_KIND  strata (default) | redis: which server the tests run against
#   STRATA_SERVER_BIN   path of our binary (default: <repo>/build/strata-server)
#   REDIS_SERVER_BIN    path of redis-server (default: the one on PATH)
#   STRATA_TEST_VERBOSE 1: print each server's log tail when it stops
import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HOST = "127.0.0.1"


def server_kind():
    kind = os.environ.get("STRATA_SERVER_KIND", "strata").strip().lower() or "strata"
    if kind not in ("strata", "redis"):
        raise ValueError("STRATA_SERVER_KIND must be 'strata' or 'redis', got %r" % kind)
    return kind


def is_redis():
    return server_kind() == "redis"


def server_binary(kind):
    if kind == "strata":
        return os.environ.get("STRATA_SERVER_BIN",
                              os.path.join(REPO_ROOT, "build", "strata-server"))
    return os.environ.get("REDIS_SERVER_BIN") or shutil.which("redis-server") or "redis-server"


def free_port():
    """A port nobody listens on right now (the OS picks it; a tiny race remains, see start)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class ServerError(Exception):
    pass


# Every server whose process or temporary directory may still exist, so an interpreter exit (even
# after a failure or SIGTERM) still stops them and removes their directories.
_LIVE = set()


def _stop_all_at_exit():
    for srv in list(_LIVE):
        srv.stop()


atexit.register(_stop_all_at_exit)


def _on_sigterm(signum, frame):
    # Python's default SIGTERM action skips atexit; KeyboardInterrupt unwinds through unittest
    # (which re-raises it) so the servers above are still stopped.
    raise KeyboardInterrupt("SIGTERM")


if (threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL):
    signal.signal(signal.SIGTERM, _on_sigterm)


class Server:
    """One server process. Use as a context manager, or call start()/stop().

    extra_args are "--directive value" words appended to the command line; they apply to both
    kinds, so pass only directives that both understand unless the test is kind-specific.
    """

    def __init__(self, kind=None, extra_args=(), start_timeout=10.0, config_text=None):
        self.kind = kind or server_kind()
        self.config_text = config_text  # written to <dir>/server.conf, passed as first argument
        self.binary = server_binary(self.kind)
        self.extra_args = list(extra_args)
        self.start_timeout = start_timeout
        self.port = None
        self.proc = None
        self.dir = None
        self.log_path = None
        self.returncode = None

    # -- lifecycle ---------------------------------------------------------------------------
    def command_line(self, port):
        if self.kind == "redis":
            base = [self.binary, "--save", "", "--appendonly", "no"]
        else:
            base = [self.binary]
        if self.config_text is not None:
            conf = os.path.join(self.dir, "server.conf")
            with open(conf, "w") as f:
                f.write(self.config_text)
            base.insert(1, conf)
        return base + ["--port", str(port), "--bind", HOST, "--dir", self.dir] + self.extra_args

    def start(self):
        if os.sep in self.binary and not os.path.exists(self.binary):
            raise ServerError("%s server binary not found at %s (build it with `make`, or set %s)"
                              % (self.kind, self.binary,
                                 "STRATA_SERVER_BIN" if self.kind == "strata"
                                 else "REDIS_SERVER_BIN"))
        if os.sep not in self.binary and shutil.which(self.binary) is None:
            raise ServerError("%s not found on PATH" % self.binary)
        _LIVE.add(self)
        last_error = None
        # Retry on a port another process grabbed between free_port() and the bind.
        for _attempt in range(3):
            if self.dir is None:
                self.dir = tempfile.mkdtemp(prefix="strata-it-%s-" % self.kind)
                self.log_path = os.path.join(self.dir, "server.log")
            port = free_port()
            try:
                self._spawn(port)
                return self
            except ServerError as e:
                last_error = e
                if "in use" not in str(e).lower():
                    break
        self.cleanup_dir()
        raise last_error

    def _spawn(self, port):
        cmd = self.command_line(port)
        self.cmd = cmd
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(cmd, cwd=self.dir, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()
        self.port = port
        self.returncode = None
        deadline = time.monotonic() + self.start_timeout
        last = None
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                self.returncode = rc
                raise ServerError("%s exited with code %s during start-up\ncommand: %s\n"
                                  "log tail:\n%s" % (self.kind, rc, " ".join(map(repr, cmd)),
                                                     self.log_tail()))
            try:
                with RespConnection(HOST, port, timeout=1.0) as c:
                    raw, _ = c.call("PING")
                    # NOAUTH also proves the server is up (started with requirepass).
                    if raw == b"+PONG\r\n" or raw.startswith(b"-NOAUTH"):
                        return
                    last = raw
            except (OSError, RespError, ProtocolError) as e:
                last = e
            time.sleep(0.02)
        tail = self.log_tail()
        self.stop()
        raise ServerError("%s did not answer PING within %.1fs (last: %r)\ncommand: %s\n"
                          "log tail:\n%s" % (self.kind, self.start_timeout, last,
                                             " ".join(map(repr, cmd)), tail))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_exit(self, timeout):
        """Waits for the process to exit by itself; returns its exit code or None on timeout."""
        if self.proc is None:
            return self.returncode
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def stop(self, timeout=5.0):
        """SIGTERM, wait, SIGKILL fallback; removes the directory. Returns the exit code.
        Safe to call twice."""
        try:
            if self.proc is not None and self.proc.poll() is None:
                try:
                    self.proc.send_signal(signal.SIGTERM)
                    self.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=timeout)
                except ProcessLookupError:
                    pass
            if self.proc is not None:
                self.returncode = self.proc.poll()
            if os.environ.get("STRATA_TEST_VERBOSE") == "1" and self.log_path:
                print("\n--- %s log tail (port %s) ---\n%s"
                      % (self.kind, self.port, self.log_tail()))
        finally:
            self.cleanup_dir()
        return self.returncode

    def cleanup_dir(self):
        if self.dir and os.path.isdir(self.dir):
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
        if self.proc is None or self.proc.poll() is not None:
            _LIVE.discard(self)

    def log_text(self):
        """The whole server log ("" if there is none)."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
        except (OSError, TypeError):
            return "(no log)"
        text = data.decode("utf-8", "replace").splitlines()
        return "\n".join(text[-lines:]) or "(empty log)"

    # -- convenience -------------------------------------------------------------------------
    def connect(self, timeout=10.0):
        return RespConnection(HOST, self.port, timeout=timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


# ------------------------------------------------------------------------------------------------
# RESP decoding. Values decode to plain Python where the type is unambiguous and to small marker
# classes where RESP3 distinguishes types that Python would merge.



class WalServer(Server):
    """A strata server with --appendonly yes on a directory the test owns: stop(), kill9() and
    the other ways of ending it leave the directory alone, so another WalServer can start on it
    (restart, crash recovery). Each start logs to its own file in log_dir (default: the data
    directory; pass another one when the data directory is a tiny file system)."""

    _serial = 0

    def __init__(self, data_dir, log_dir=None, extra_args=()):
        super().__init__(kind="strata", extra_args=["--appendonly", "yes"] + list(extra_args))
        WalServer._serial += 1
        self.dir = data_dir
        self.log_path = os.path.join(log_dir or data_dir, "server-%d.log" % WalServer._serial)

    def cleanup_dir(self):
        # The directory belongs to the test; only forget the process once it is gone.
        if self.proc is None or self.proc.poll() is not None:
            _LIVE.discard(self)

    def kill9(self):
        """SIGKILL (by pid, through Popen) and wait: a crash with nothing flushed by the server."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.returncode = self.proc.poll() if self.proc is not None else None
        self.cleanup_dir()

    def shutdown_cmd(self, timeout=10.0):
        """SHUTDOWN over a connection; waits for the exit and returns the exit code."""
        with self.connect() as c:
            c.send("SHUTDOWN")
            c.is_closed_by_peer(timeout=timeout)
        rc = self.wait_exit(timeout)
        self.cleanup_dir()
        return rc

    def sigterm(self, timeout=10.0):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.wait_exit(timeout)
        self.cleanup_dir()
        return rc

class RespError(Exception):
    """An error reply (-ERR ... or RESP3 blob error !). str() is the message without '-'."""

    def __init__(self, message, blob=False):
        super().__init__(message)
        self.message = message
        self.blob = blob

    def __eq__(self, other):
        return isinstance(other, RespError) and other.message == self.message

    def __hash__(self):
        return hash(self.message)

    def __repr__(self):
        return "RespError(%r)" % self.message


class ProtocolError(Exception):
    """The server sent bytes that are not valid RESP."""


class SimpleString(str):
    """+OK style status reply (a str); bulk strings decode to bytes instead."""

    def __repr__(self):
        return "SimpleString(%s)" % str.__repr__(self)


class Double(float):
    """RESP3 double (,1.5)."""


class BigNumber(int):
    """RESP3 big number ((123)."""


class Verbatim(bytes):
    """RESP3 verbatim string (=); .format holds the 3-letter format."""

    def __new__(cls, data, fmt):
        obj = bytes.__new__(cls, data)
        obj.format = fmt
        return obj


class RespMap(list):
    """RESP3 map (%): a list of (key, value) pairs in wire order. .dict() for lookups."""

    def dict(self):
        return {k: v for k, v in self}


class RespSet(list):
    """RESP3 set (~), in wire order."""


class RespPush(list):
    """RESP3 push (>)."""


class NeedMore(Exception):
    pass


def _line(buf, pos):
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise NeedMore()
    return buf[pos:end], end + 2


def parse_reply(buf, pos=0):
    """Parses one complete reply from buf[pos:]. Returns (value, new_pos); raises NeedMore."""
    if pos >= len(buf):
        raise NeedMore()
    t = buf[pos:pos + 1]
    line, nxt = _line(buf, pos + 1)
    if t == b"+":
        return SimpleString(line.decode("utf-8", "surrogateescape")), nxt
    if t == b"-":
        return RespError(line.decode("utf-8", "surrogateescape")), nxt
    if t == b":":
        return int(line), nxt
    if t in (b"$", b"!", b"="):
        n = int(line)
        if n < 0:
            if t != b"$":
                raise ProtocolError("negative length for %r" % t)
            return None, nxt
        if len(buf) < nxt + n + 2:
            raise NeedMore()
        data = bytes(buf[nxt:nxt + n])
        if buf[nxt + n:nxt + n + 2] != b"\r\n":
            raise ProtocolError("bulk string not terminated by CRLF")
        end = nxt + n + 2
        if t == b"$":
            return data, end
        if t == b"!":
            return RespError(data.decode("utf-8", "surrogateescape"), blob=True), end
        if len(data) < 4 or data[3:4] != b":":
            raise ProtocolError("verbatim string without format prefix")
        return Verbatim(data[4:], data[:3].decode()), end
    if t in (b"*", b"~", b">", b"%", b"|"):
        n = int(line)
        if n < 0:
            if t != b"*":
                raise ProtocolError("negative length for %r" % t)
            return None, nxt
        count = 2 * n if t in (b"%", b"|") else n
        items = []
        p = nxt
        for _ in range(count):
            v, p = parse_reply(buf, p)
            items.append(v)
        if t == b"*":
            return items, p
        if t == b"~":
            return RespSet(items), p
        if t == b">":
            return RespPush(items), p
        pairs = RespMap(zip(items[0::2], items[1::2]))
        if t == b"%":
            return pairs, p
        # Attribute: metadata that precedes the real reply; return the reply itself.
        return parse_reply(buf, p)
    if t == b"_":
        if line:
            raise ProtocolError("null with payload")
        return None, nxt
    if t == b"#":
        if line not in (b"t", b"f"):
            raise ProtocolError("bad boolean %r" % line)
        return line == b"t", nxt
    if t == b",":
        return Double(float(line.decode())), nxt
    if t == b"(":
        return BigNumber(int(line)), nxt
    raise ProtocolError("unknown reply type byte %r at offset %d: %r"
                        % (t, pos, bytes(buf[pos:pos + 40])))


def encode_command(*args):
    """RESP array of bulk strings; str args are UTF-8 encoded, ints formatted."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        elif isinstance(a, float):
            a = repr(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RespConnection:
    """A raw RESP client over one TCP connection. Not thread-safe; one per thread."""

    def __init__(self, host=HOST, port=6379, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, *args):
        self.sock.sendall(encode_command(*args))

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection (buffered: %r)"
                                  % bytes(self.buf[:200]))
        self.buf += chunk

    def read_reply(self):
        """Reads exactly one complete reply. Returns (raw_bytes, decoded)."""
        while True:
            try:
                value, end = parse_reply(self.buf, 0)
            except NeedMore:
                self._fill()
                continue
            raw = bytes(self.buf[:end])
            del self.buf[:end]
            return raw, value

    def call(self, *args):
        """Sends one command, returns (raw, decoded). Error replies come back decoded as
        RespError values, not raised."""
        self.send(*args)
        return self.read_reply()

    def cmd(self, *args):
        """Sends one command and returns the decoded value; raises RespError on an error reply."""
        _, value = self.call(*args)
        if isinstance(value, RespError):
            raise value
        return value

    def pipeline(self, commands):
        """Sends all commands in one write, then reads one reply per command (raw, decoded)."""
        self.sock.sendall(b"".join(encode_command(*c) for c in commands))
        return [self.read_reply() for _ in commands]

    def is_closed_by_peer(self, timeout=2.0):
        """True when the server closes the connection within timeout (any pending bytes are
        drained first); False if it is still open."""
        old = self.sock.gettimeout()
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                try:
                    chunk = self.sock.recv(65536)
                except socket.timeout:
                    return False
                except (ConnectionResetError, BrokenPipeError):
                    return True
                if not chunk:
                    return True
                self.buf += chunk
            return False
        finally:
            try:
                self.sock.settimeout(old)
            except OSError:
                pass


def info(conn, section="persistence"):
    """INFO section as a dict of field -> value (strings), over a RespConnection."""
    text = conn.cmd("INFO", section).decode()
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def info_int(conn, field, section="persistence"):
    return int(info(conn, section)[field])


def poll_until(predicate, timeout, interval=0.05):
    """Calls predicate until it returns a truthy value or timeout passes; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def start_reference_pair(strata_args=()):
    """A stock redis-server (the reference of differential tests) and a server of the
    configured kind (with strata_args when it is strata), both started: (ref, sut). If the
    second cannot start, the first is stopped."""
    ref = Server(kind="redis")
    ref.start()
    try:
        sut = Server(kind=server_kind(),
                     extra_args=list(strata_args) if server_kind() == "strata" else [])
        sut.start()
    except Exception:
        ref.stop()
        raise
    return ref, sut


class ServerTestCase(unittest.TestCase):
    """Starts one server of the configured kind per test class (server_args from the class)."""

    server_args = ()
    strata_only_args = ()  # appended only when the kind is strata (e.g. --threads 2)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        args = list(cls.server_args)
        if server_kind() == "strata":
            args += list(cls.strata_only_args)
        cls.server = Server(extra_args=args)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        srv = getattr(cls, "server", None)
        if srv is not None:
            srv.stop()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.assertTrue(self.server.alive(),
                        "server died earlier; log tail:\n" + self.server.log_tail())
        self.conn = self.server.connect()
        self.addCleanup(self.conn.close)
        self.conn.cmd("FLUSHALL")

    def new_conn(self):
        c = self.server.connect()
        self.addCleanup(c.close)
        return c

    def start_server(self, extra_args=(), kind=None, config_text=None):
        """A dedicated server for one test, stopped when the test ends (even on failure)."""
        srv = Server(kind=kind, extra_args=extra_args, config_text=config_text)
        srv.start()
        self.addCleanup(srv.stop)
        return srv
