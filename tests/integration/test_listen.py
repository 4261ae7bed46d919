# A busy port is refused, as redis-server refuses it: a second server started on a port another
# process listens on must exit non-zero at once, naming the address and port in its log
# ("Could not create server TCP listening socket 127.0.0.1:PORT: bind: Address already in use"),
# while the first keeps serving alone. Each worker's SO_REUSEPORT listener would otherwise let
# a second strata-server join the port and the kernel split the clients between two datasets.
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import harness
from harness import HOST, RespConnection, Server, server_kind


class SamePortServer(Server):
    """A server started on a given port (the harness otherwise picks a free one)."""

    def __init__(self, port, **kw):
        super().__init__(**kw)
        self.fixed_port = port

    def _new_dir(self):
        harness._LIVE.add(self)
        self.dir = tempfile.mkdtemp(prefix="strata-it-%s-" % self.kind)
        self.log_path = os.path.join(self.dir, "server.log")

    def start(self):
        self._new_dir()
        self._spawn(self.fixed_port)
        return self

    def run_to_exit(self, timeout):
        """Starts the process on the port and waits for it to exit by itself: its exit code,
        or None if it is still running after timeout (then it is stopped). A PING on the port
        proves nothing here: the first server answers it."""
        self._new_dir()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command_line(self.fixed_port), cwd=self.dir,
                                         stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT)
        self.port = self.fixed_port
        return self.wait_exit(timeout)


def incr_from_new_connections(port, n=10):
    """n INCRs of one key, each from a new connection: one dataset answers 1..n in order."""
    got = []
    for _ in range(n):
        with RespConnection(HOST, port, timeout=5.0) as c:
            got.append(c.cmd("INCR", "k"))
    return got


class BusyPortTest(unittest.TestCase):
    def start(self, srv):
        srv.start()
        self.addCleanup(srv.stop)
        return srv

    def assert_refused(self, port, first):
        """A second server of the configured kind on `port` exits non-zero with the address and
        port in its log, and `first` still serves alone."""
        second = SamePortServer(port)
        self.addCleanup(second.stop)
        code = second.run_to_exit(5.0)
        log = second.log_text()
        self.assertIsNotNone(code, "the second server is running on the busy port:\n" + log)
        self.assertNotEqual(code, 0, log)
        self.assertIn("%s:%d" % (HOST, port), log)
        self.assertIn("Address already in use", log)
        self.assertTrue(first.alive(), "the first server died:\n" + first.log_tail())
        self.assertEqual(incr_from_new_connections(port), list(range(1, 11)))

    def test_second_server_on_a_busy_port_refuses_to_start(self):
        first = self.start(Server(extra_args=["--threads", "2"] if server_kind() == "strata" else []))
        self.assert_refused(first.port, first)

    def test_port_held_by_redis_server_is_refused(self):
        first = self.start(Server(kind="redis"))
        self.assert_refused(first.port, first)

    def test_restart_on_the_same_port_right_after_a_stop(self):
        first = self.start(Server())
        port = first.port
        self.assertEqual(incr_from_new_connections(port, 3), [1, 2, 3])
        open_conn = RespConnection(HOST, port)  # closed by the server: TIME_WAIT on its port
        self.addCleanup(open_conn.close)
        open_conn.cmd("PING")
        self.assertEqual(first.stop(), 0)
        again = SamePortServer(port)
        self.addCleanup(again.stop)
        again.start()
        self.assertEqual(incr_from_new_connections(port), list(range(1, 11)))

    def test_two_servers_starting_at_once_on_one_port(self):
        # Both start at the same moment: exactly one serves, the other exits non-zero.
        if server_kind() != "strata":
            self.skipTest("strata's start-up lock")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((HOST, 0))
            port = s.getsockname()[1]
        procs = []
        binary = Server().binary
        for _ in range(2):
            d = tempfile.mkdtemp(prefix="strata-it-race-")
            self.addCleanup(shutil.rmtree, d, True)
            log = open(os.path.join(d, "server.log"), "wb")
            procs.append(subprocess.Popen(
                [binary, "--port", str(port), "--bind", HOST, "--dir", d, "--threads", "4"],
                cwd=d, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT))
            log.close()
        for p in procs:
            self.addCleanup(lambda p=p: (p.poll() is None and p.terminate(), p.wait()))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and all(p.poll() is None for p in procs):
            time.sleep(0.02)
        time.sleep(0.3)  # the loser exits within milliseconds of the winner binding
        codes = [p.poll() for p in procs]
        self.assertEqual(sum(c is None for c in codes), 1, "exit codes %r" % codes)
        self.assertTrue(all(c is None or c != 0 for c in codes), "exit codes %r" % codes)

        def answers():
            try:
                with RespConnection(HOST, port, timeout=1.0) as c:
                    return c.cmd("PING") == "PONG"
            except OSError:
                return False
        self.assertTrue(harness.poll_until(answers, 10.0))
        self.assertEqual(incr_from_new_connections(port), list(range(1, 11)))


if __name__ == "__main__":
    unittest.main()
