# The script time limit: busy-reply-threshold (alias lua-time-limit), -BUSY, SCRIPT KILL,
# FUNCTION KILL, -UNKILLABLE, FUNCTION STATS of a running function, SHUTDOWN NOSAVE, and the
# FUNCTION LOAD timeout.
#
# The differential part runs one scenario on redis-server 7.0.15 and on the server under test
# and compares every reply byte for byte. The commands it compares touch what the busy script
# holds (its first run holds its whole database), so they are refused the same way whichever
# worker thread of strata serves the connection.
#
# The strata part checks what strata does better than Redis (docs/ARCHITECTURE.md, "Scripts"):
# connections of the other worker thread keep being served for keys the script does not hold,
# connections of the script's own thread (and new ones) get -BUSY and can kill it, and SHUTDOWN
# NOSAVE under a script that wrote ends the process without any of the script's writes.
import os
import time
import unittest

import test_compat as tc
from harness import RespConnection, RespError, Server, WalServer, poll_until, server_kind, HOST
from test_wal import WalTestBase

STRATA_ONLY = unittest.skipUnless(server_kind() == "strata", "strata's worker threads")

LOOP = "while true do end"
WRITE_THEN_LOOP = "redis.call('SET', 'x', 'partial') while true do end"
# Runs 300 ms (past the threshold), writes, then loops: the write happens while busy.
LATE_WRITE = """
local t = redis.call('TIME')
local start = t[1] * 1000000 + t[2]
while true do
  t = redis.call('TIME')
  if t[1] * 1000000 + t[2] - start > 300000 then break end
end
redis.call('SET', 'late', '1')
while true do end
"""
PCALL_LOOP = "while true do pcall(function() while true do end end) end"
LIB = ("#!lua name=busylib\n"
       "redis.register_function('spin', function(keys, args) while true do end end)\n"
       "redis.register_function{function_name='spin_ro', callback=function(keys, args) "
       "while true do end end, flags={'no-writes'}}\n")


BUSY_EVAL = b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"


def busy(raw):
    return raw.startswith(b"-BUSY")


def wait_busy(conn, probe=("GET", "x"), timeout=5.0):
    """Polls with a command the busy script blocks until it answers -BUSY; its raw reply."""
    deadline = time.monotonic() + timeout
    while True:
        raw, _ = conn.call(*probe)
        if busy(raw) or time.monotonic() > deadline:
            return raw
        time.sleep(0.01)


class BusyDifferentialTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.ref, cls.sut = tc.start_reference_pair(strata_args=["--threads", "2"])

    @classmethod
    def tearDownClass(cls):
        cls.sut.stop()
        cls.ref.stop()

    def setUp(self):
        self.assertTrue(self.sut.alive(), "server died; log tail:\n" + self.sut.log_tail())
        for srv in (self.ref, self.sut):
            c = self.connect(srv)
            c.cmd("FLUSHALL")
            c.cmd("FUNCTION", "FLUSH")
            c.cmd("CONFIG", "SET", "busy-reply-threshold", "50")

    def connect(self, srv):
        c = RespConnection(HOST, srv.port, timeout=10.0)
        self.addCleanup(c.close)
        return c

    def both(self, scenario):
        """Runs scenario(server) on both; compares the (label, raw reply) lists it returns."""
        ref, ours = scenario(self.ref), scenario(self.sut)
        self.assertEqual([l for l, _ in ref], [l for l, _ in ours])
        problems = ["%s: redis %r, ours %r" % (label, r, s)
                    for (label, r), (_, s) in zip(ref, ours) if r != s]
        self.assertEqual(problems, [], "\n".join(problems))
        return ours

    def test_busy_replies_then_script_kill(self):
        def scenario(srv):
            a, b = self.connect(srv), self.connect(srv)
            out = []
            a.send("EVAL", LOOP, "0")
            out.append(("first -BUSY", wait_busy(b)))
            for args in (("SET", "x", "1"), ("EVALSHA", "0" * 40, "0"), ("FUNCTION", "KILL"),
                         ("FUNCTION", "STATS"), ("SHUTDOWN",), ("SHUTDOWN", "SAVE"),
                         ("KEYS", "*"), ("DBSIZE",)):
                out.append((" ".join(args), b.call(*args)[0]))
            out.append(("SCRIPT KILL", b.call("SCRIPT", "KILL")[0]))
            out.append(("the killed EVAL", a.read_reply()[0]))
            out.append(("SCRIPT KILL again", b.call("SCRIPT", "KILL")[0]))
            out.append(("GET after", b.call("GET", "x")[0]))
            out.append(("same connection after", a.call("EVAL", "return 7", "0")[0]))
            return out
        self.both(scenario)

    def test_pcall_cannot_catch_the_kill(self):
        def scenario(srv):
            a, b = self.connect(srv), self.connect(srv)
            a.send("EVAL", PCALL_LOOP, "0")
            out = [("-BUSY", wait_busy(b)), ("SCRIPT KILL", b.call("SCRIPT", "KILL")[0]),
                   ("killed", a.read_reply()[0])]
            return out
        self.both(scenario)

    def test_unkillable_after_a_write(self):
        # A write before the threshold: the script can only be waited for, or SHUTDOWN NOSAVE.
        def scenario(srv):
            a, b = self.connect(srv), self.connect(srv)
            a.send("EVAL", WRITE_THEN_LOOP, "0")
            out = [("-BUSY", wait_busy(b)),
                   ("SCRIPT KILL", b.call("SCRIPT", "KILL")[0]),
                   ("FUNCTION KILL", b.call("FUNCTION", "KILL")[0])]
            self.shutdown_nosave(srv)
            return out
        self.both(scenario)

    def shutdown_nosave(self, srv):
        """The way out of an unkillable script: the class's server exits and starts again."""
        c = self.connect(srv)
        c.send("SHUTDOWN", "NOSAVE")
        self.assertIsNotNone(srv.wait_exit(10.0), "%s did not exit" % srv.kind)
        srv.proc = None
        srv.start()

    def test_write_made_while_busy_is_unkillable(self):
        def scenario(srv):
            a, b = self.connect(srv), self.connect(srv)
            a.send("EVAL", LATE_WRITE, "0")
            out = [("-BUSY", wait_busy(b))]
            time.sleep(1.0)  # its write, 300 ms after it started (keys cannot be read: -BUSY)
            out.append(("SCRIPT KILL", b.call("SCRIPT", "KILL")[0]))
            self.shutdown_nosave(srv)
            return out
        self.both(scenario)

    def test_function_kill_and_stats(self):
        def scenario(srv):
            a, b = self.connect(srv), self.connect(srv)
            out = [("LOAD", b.call("FUNCTION", "LOAD", LIB)[0])]
            for fn in ("spin", "spin_ro"):
                a.send("FCALL", fn, "0")
                out.append(("-BUSY", wait_busy(b)))
                out.append(("SCRIPT KILL of a function", b.call("SCRIPT", "KILL")[0]))
                _, stats = b.call("FUNCTION", "STATS")
                running = dict(zip(stats[1][0::2], stats[1][1::2]))
                out.append(("running name", running[b"name"]))
                out.append(("running command", repr(running[b"command"]).encode()))
                self.assertGreaterEqual(running[b"duration_ms"], 50)
                out.append(("FUNCTION KILL", b.call("FUNCTION", "KILL")[0]))
                out.append(("killed FCALL", a.read_reply()[0]))
                out.append(("stats after", b.call("FUNCTION", "STATS")[0]))
            return out
        self.both(scenario)

    def test_every_command_under_a_busy_script(self):
        # Generated from the command table: every command and subcommand, with as many
        # arguments as its arity asks, sent while a script is busy. strata's connection is one
        # of the script's own thread (the other thread serves what the script does not hold).
        # Not sent: those that would end the scenario (SHUTDOWN, QUIT, SCRIPT KILL) or change
        # the connection's state for the rest (MULTI, RESET).
        skip = {"shutdown", "quit", "script|kill", "multi", "reset",
                "debug"}  # redis-server refuses DEBUG by default (enable-debug-command)
        by_outcome = {"hello"}
        # WATCH names a key: on the script's own thread strata answers -BUSY (Redis runs it).
        KNOWN_DIFFERENT = {"watch": BUSY_EVAL}
        probe = self.connect(self.sut)
        names = sorted(n.decode() for n in probe.cmd("COMMAND", "LIST"))
        infos = {n: probe.cmd("COMMAND", "INFO", n)[0] for n in names}

        def invocation(name, arity):
            words = name.split("|")
            need = abs(arity) - len(words)
            return words + ["0"] * max(need, 0)

        def scenario(srv):
            a = self.connect(srv)
            a.send("EVAL", LOOP, "0")
            b = None
            for _ in range(16):  # on strata: a connection of the script's thread
                c = self.connect(srv)
                if busy(wait_busy(c, ("PING",), timeout=2.0)):
                    b = c
                    break
            self.assertIsNotNone(b, "no connection of the busy thread in 16")
            out = []
            for name in names:
                if name in skip:
                    continue
                raw = b.call(*invocation(name, infos[name][1]))[0]
                if name in by_outcome:  # served on both: the reply itself differs (client id)
                    raw = b"-BUSY" if busy(raw) else b"served"
                if name in KNOWN_DIFFERENT:
                    raw = KNOWN_DIFFERENT[name] if srv is self.ref else raw
                out.append((name, raw))
            out.append(("SCRIPT KILL", b.call("SCRIPT", "KILL")[0]))
            out.append(("killed", a.read_reply()[0]))
            return out
        ours = self.both(scenario)
        refused = [n for n, raw in ours if busy(raw)]
        self.assertGreater(len(refused), len(ours) // 2)

    def test_lua_time_limit_is_an_alias(self):
        def scenario(srv):
            c = self.connect(srv)
            return [("SET old", c.call("CONFIG", "SET", "lua-time-limit", "1234")[0]),
                    ("GET new", c.call("CONFIG", "GET", "busy-reply-threshold")[0]),
                    ("GET old", c.call("CONFIG", "GET", "lua-time-limit")[0]),
                    ("SET new", c.call("CONFIG", "SET", "busy-reply-threshold", "50")[0]),
                    ("GET old again", c.call("CONFIG", "GET", "lua-time-limit")[0])]
        self.both(scenario)

    def test_function_load_timeout(self):
        def scenario(srv):
            c = self.connect(srv)
            return [("LOAD", c.call("FUNCTION", "LOAD", "#!lua name=slow\n" + LOOP)[0]),
                    ("LIST", c.call("FUNCTION", "LIST")[0])]
        self.both(scenario)

    def test_under_threshold_nothing_is_busy(self):
        # A script shorter than the threshold is waited for, never refused.
        def scenario(srv):
            a, b = self.connect(srv), self.connect(srv)
            b.cmd("CONFIG", "SET", "busy-reply-threshold", "5000")
            a.send("EVAL", LATE_WRITE.replace("while true do end", "return 1"), "0")
            time.sleep(0.05)
            out = [("GET waits", b.call("GET", "late")[0]), ("EVAL", a.read_reply()[0])]
            return out
        self.both(scenario)


@STRATA_ONLY
class BusyThreadsTest(unittest.TestCase):
    """Two worker threads: what a busy script holds answers -BUSY, the rest keeps working."""

    def setUp(self):
        self.srv = Server(extra_args=["--threads", "2", "--busy-reply-threshold", "50"])
        self.srv.start()
        self.addCleanup(self.srv.stop)

    def connect(self):
        c = self.srv.connect()
        self.addCleanup(c.close)
        return c

    def test_other_thread_serves_what_the_script_does_not_hold(self):
        a = self.connect()
        script = "if ARGV[1] == 'spin' then while true do end end return redis.call('INCR', KEYS[1])"
        self.assertEqual(a.cmd("EVAL", script, "1", "hot", "once"), 1)  # learns: its keys only
        a.send("EVAL", script, "1", "hot", "spin")
        conns = [self.connect() for _ in range(12)]
        self.assertTrue(busy(wait_busy(conns[0], ("GET", "hot"))))
        mine = [c for c in conns if busy(c.call("PING")[0])]  # the script's thread
        other = [c for c in conns if c not in mine]
        self.assertTrue(mine and other, "12 connections all on one thread: %d" % len(mine))
        # The other thread: keys of other shards and other databases are served.
        o = other[0]
        served = sum(o.call("SET", "k%d" % i, "v")[0] == b"+OK\r\n" for i in range(64))
        self.assertGreater(served, 32)
        self.assertTrue(busy(o.call("GET", "hot")[0]))  # what it holds: -BUSY, not a wait
        o.cmd("SELECT", "1")
        self.assertEqual(o.call("SET", "hot", "elsewhere")[0], b"+OK\r\n")
        # A transaction that needs the script's shard: EXEC aborts it with the reason (Redis's
        # answer to an EXEC refused with -BUSY).
        o.cmd("SELECT", "0")
        self.assertEqual(o.call("MULTI")[0], b"+OK\r\n")
        o.cmd("INCR", "hot")
        self.assertEqual(o.call("EXEC")[0],
                         b"-EXECABORT Transaction discarded because of: " + BUSY_EVAL[1:])
        # The script's own thread: everything but the allowed commands gets -BUSY, new
        # connections too; SCRIPT KILL from there works.
        m = mine[0]
        self.assertTrue(busy(m.call("SET", "k0", "v")[0]))
        self.assertEqual(m.call("MULTI")[0], b"+OK\r\n")
        self.assertEqual(m.call("DISCARD")[0], b"+OK\r\n")
        self.assertEqual(m.call("SCRIPT", "KILL")[0], b"+OK\r\n")
        raw, _ = a.read_reply()
        self.assertTrue(raw.startswith(b"-ERR Script killed by user with SCRIPT KILL..."), raw)
        self.assertEqual(o.call("EXEC")[0], b"-ERR EXEC without MULTI\r\n")
        self.assertEqual(a.cmd("GET", "hot"), b"1")  # never incremented by the killed run
        self.assertEqual(m.call("PING")[0], b"+PONG\r\n")
        self.assertEqual(a.cmd("EVAL", script, "1", "hot", "once"), 2)

    def test_new_connections_reach_a_busy_thread(self):
        a = self.connect()
        a.send("EVAL", LOOP, "0")
        self.assertTrue(busy(wait_busy(self.connect())))
        # New connections land on either thread; every one is answered.
        for _ in range(10):
            c = self.connect()
            raw = c.call("GET", "x")[0]
            self.assertTrue(busy(raw), raw)
            c.close()
        self.assertEqual(self.connect().call("SCRIPT", "KILL")[0], b"+OK\r\n")
        self.assertTrue(a.read_reply()[0].startswith(b"-ERR Script killed"))

    def test_shutdown_nosave_kills_a_script_that_did_not_write(self):
        a = self.connect()
        a.send("EVAL", LOOP, "0")
        b = self.connect()
        self.assertTrue(busy(wait_busy(b)))
        b.send("SHUTDOWN", "NOSAVE")
        self.assertEqual(self.srv.wait_exit(10.0), 0)
        self.assertIn("bye bye", self.srv.log_text())


@STRATA_ONLY
class BusyShutdownDurabilityTest(WalTestBase):
    def test_shutdown_nosave_under_a_written_script_keeps_everything_else(self):
        srv = self.start(["--threads", "2", "--busy-reply-threshold", "50"])
        c = self.conn(srv)
        c.cmd("SET", "x", "before")
        for i in range(100):
            c.cmd("RPUSH", "log", i)
        a = self.conn(srv)
        a.send("EVAL", WRITE_THEN_LOOP + "", "0")
        b = self.conn(srv)
        self.assertTrue(busy(wait_busy(b)))
        self.assertEqual(b.call("SCRIPT", "KILL")[0][:11], b"-UNKILLABLE")
        b.send("SHUTDOWN", "NOSAVE")
        self.assertEqual(srv.wait_exit(10.0), 0, self.logs())
        srv2 = self.start(["--threads", "2"])
        c2 = self.conn(srv2)
        self.assertEqual(c2.cmd("GET", "x"), b"before")  # not the script's half-done write
        self.assertEqual(c2.cmd("LLEN", "log"), 100)


if __name__ == "__main__":
    unittest.main()
