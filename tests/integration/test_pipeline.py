# The command pipeline (docs/ARCHITECTURE.md, "One path for every command"): regression tests for
# the paths a command can take (client, EXEC, blocked-client serving, WAL replay) and where they
# disagreed. Each test here failed on the code before the dispatcher existed.
#
#   PipelineCompatTest   differential against redis-server 7.0.15: commands refused inside MULTI,
#                        an EXEC refused for OOM discards the transaction, WATCH of a missing key
#                        survives a flush, a blocked client served by BLMOVE invalidates WATCHes of
#                        the destination, a transaction that pushes then replaces a key leaves its
#                        blocked poppers blocked
#   TierPipeline*        strata with a backing tier: a blind SET of a backend-only key waits for the
#                        fsync, EXEC over backend-only keys answers what it applied, SCAN finds the
#                        backend-only keys (as many as DBSIZE counts, also through redis-cli --scan)
import socket
import subprocess
import time
import unittest

from harness import (HOST, RespConnection, Server, is_redis, poll_until, server_kind,
                     start_reference_pair)
from test_tiering import TierTestBase

STRATA_ONLY = unittest.skipIf(is_redis(), "strata backing tier")


def no_reply_within(conn, seconds):
    """True if nothing arrives on conn within `seconds` (the reply is being held)."""
    conn.sock.settimeout(seconds)
    try:
        data = conn.sock.recv(1 << 16)
    except socket.timeout:
        return True
    finally:
        conn.sock.settimeout(30)
    conn.buf += data
    return False


def wait_blocked(conn, n, timeout=5.0):
    def check():
        return b"blocked_clients:%d\r\n" % n in conn.cmd("INFO", "clients")
    if not poll_until(check, timeout):
        raise AssertionError("never saw %d blocked clients" % n)


# ------------------------------------------------------------------------------------------------
# Differential: the same scenario against redis-server and the server under test


class PipelineCompatTest(unittest.TestCase):
    """Each scenario is a function of a server that returns the raw replies it saw; the lists must
    be identical for redis-server and the server under test."""

    @classmethod
    def setUpClass(cls):
        cls.ref, cls.sut = start_reference_pair(["--threads", "2"])

    @classmethod
    def tearDownClass(cls):
        cls.sut.stop()
        cls.ref.stop()

    def conns(self, srv, n):
        out = []
        for _ in range(n):
            c = RespConnection(HOST, srv.port, timeout=5.0)
            self.addCleanup(c.close)
            out.append(c)
        out[0].cmd("FLUSHALL")
        return out

    def differential(self, scenario, nconns=2, own_servers=False):
        ref_srv, sut_srv = self.ref, self.sut
        if own_servers:  # a scenario that may stop a server gets servers of its own
            ref_srv, sut_srv = Server(kind="redis"), Server(kind=server_kind())
            for srv in (ref_srv, sut_srv):
                srv.start()
                self.addCleanup(srv.stop)
        self.assertTrue(sut_srv.alive(), "server died earlier:\n" + sut_srv.log_tail())
        ref = scenario(*self.conns(ref_srv, nconns))
        ours = scenario(*self.conns(sut_srv, nconns))
        self.assertTrue(sut_srv.alive(), "server under test died:\n" + sut_srv.log_tail())
        self.assertEqual(ours, ref)

    def test_no_multi_commands_are_refused_inside_multi(self):
        # SHUTDOWN is flagged no-multi: refused while queueing, and EXEC then aborts (before
        # the dispatcher, it was queued and shut the server down at EXEC).
        def scenario(a, b):
            return [raw for raw, _ in a.pipeline([("MULTI",), ("SET", "t", "1"), ("SHUTDOWN",),
                                                   ("SHUTDOWN", "NOSAVE"), ("EXEC",),
                                                   ("GET", "t")])]
        self.differential(scenario, own_servers=True)

    def test_exec_refused_for_oom_discards_the_transaction(self):
        def scenario(a, b):
            out = [raw for raw, _ in a.pipeline([("MULTI",), ("SET", "k", "v")])]
            b.cmd("CONFIG", "SET", "maxmemory", "1")
            try:
                out.append(a.call("EXEC")[0])
            finally:
                b.cmd("CONFIG", "SET", "maxmemory", "0")
            # The transaction is gone: GET runs at once, a new MULTI is not nested, k was never set.
            out += [raw for raw, _ in a.pipeline([("GET", "k"), ("MULTI",), ("EXEC",),
                                                   ("GET", "k")])]
            return out
        self.differential(scenario)

    def test_watch_of_a_missing_key_survives_a_flush(self):
        def scenario(a, b):
            out = []
            for flush in (("FLUSHALL",), ("FLUSHDB",)):
                out += [raw for raw, _ in a.pipeline([("WATCH", "x"), flush, ("MULTI",),
                                                       ("PING",), ("EXEC",)])]
                a.cmd("SET", "x", "1")  # an existing watched key: the flush aborts EXEC
                out += [raw for raw, _ in a.pipeline([("WATCH", "x"), flush, ("MULTI",),
                                                       ("PING",), ("EXEC",)])]
            return out
        self.differential(scenario)

    def test_blmove_served_later_invalidates_watch_on_destination(self):
        for cmd in (("BLMOVE", "src", "dst", "LEFT", "LEFT", "0"),
                    ("BRPOPLPUSH", "src", "dst", "0")):
            with self.subTest(cmd=cmd[0]):
                def scenario(a, b, blocked, cmd=cmd):
                    blocked.send(*cmd)
                    wait_blocked(a, 1)
                    out = [a.call("WATCH", "dst")[0], a.call("MULTI")[0], a.call("PING")[0]]
                    out.append(b.call("RPUSH", "src", "x")[0])
                    out.append(blocked.read_reply()[0])  # served: x moved to dst
                    out.append(a.call("EXEC")[0])        # dst changed after WATCH: aborted
                    out.append(a.call("LRANGE", "dst", "0", "-1")[0])
                    return out
                self.differential(scenario, 3)

    def test_push_then_replace_in_multi_leaves_poppers_blocked(self):
        cases = [
            (("BLPOP", "k", "0"), ("LPUSH", "k", "a"), ("RPUSH", "k", "late")),
            (("BLMPOP", "0", "1", "k", "LEFT"), ("LPUSH", "k", "a"), ("RPUSH", "k", "late")),
            (("BZPOPMIN", "k", "0"), ("ZADD", "k", "1", "a"), ("ZADD", "k", "2", "late")),
            (("BZMPOP", "0", "1", "k", "MIN"), ("ZADD", "k", "1", "a"), ("ZADD", "k", "2", "late")),
        ]
        for block, push, later in cases:
            with self.subTest(cmd=block[0]):
                def scenario(a, b, blocked, block=block, push=push, later=later):
                    blocked.send(*block)
                    wait_blocked(a, 1)
                    out = [raw for raw, _ in a.pipeline([("MULTI",), push, ("DEL", "k"),
                                                          ("SET", "k", "foo"), ("EXEC",)])]
                    out.append(no_reply_within(blocked, 0.3))  # still blocked, no WRONGTYPE
                    a.cmd("DEL", "k")
                    out.append(a.call(*later)[0])
                    out.append(blocked.read_reply()[0])       # served by the later push
                    return out
                self.differential(scenario, 3)


# ------------------------------------------------------------------------------------------------
# strata with a backing tier


class TierPipelineMixin:
    def test_blind_set_of_a_backend_only_key_waits_for_the_fsync(self):
        srv, c = self.cold_server(n=20, extra_args=["--appendfsync", "always"])
        # The WAL writer sleeps 1.5 s before each write: under appendfsync always no write may
        # be acknowledged before that (a reply within 1 s was released before its fsync).
        slow = self.conn(srv)
        self.assertEqual(slow.cmd("DEBUG", "WAL-DELAY", "1500"), "OK")
        cases = [("SET", "cold:1", "new"),               # backend only, blind: no read-through
                 ("SET", "cold:2", "new", "XX"),         # backend only, read through first
                 ("SET", "never-seen", "new"),           # absent
                 ("MSET", "cold:3", "a", "cold:4", "b"),
                 ("SETEX", "cold:5", "100", "x")]
        for args in cases:
            with self.subTest(cmd=" ".join(args)):
                c.send(*args)
                t0 = time.monotonic()
                held = no_reply_within(c, 1.0)
                raw, _ = c.read_reply()
                self.assertTrue(held, "%s replied before its WAL record could be on disk" % (args,))
                self.assertEqual(raw, b"+OK\r\n")
                self.assertGreaterEqual(time.monotonic() - t0, 1.0)
        self.assertEqual(slow.cmd("DEBUG", "WAL-DELAY", "0"), "OK")
        self.assertEqual(c.cmd("MGET", "cold:1", "cold:2", "never-seen", "cold:3", "cold:4",
                               "cold:5"), [b"new", b"new", b"new", b"a", b"b", b"x"])

    def test_exec_over_backend_only_keys_replies_what_it_applied(self):
        srv, c = self.cold_server(n=20)
        # Writes (blind and not), a read and a list pop, all on keys only in the backend.
        replies = c.pipeline([("MULTI",), ("SET", "cold:0", "new"), ("INCR", "cnt"),
                              ("GET", "cold:1"), ("LPOP", "cl"), ("APPEND", "app", "d"),
                              ("EXEC",)])
        self.assertEqual([v for _, v in replies[:6]], ["OK"] + ["QUEUED"] * 5)
        self.assertEqual(replies[6][1], ["OK", 42, b"cv1", b"a", 4])
        self.assertEqual(c.cmd("MGET", "cold:0", "cnt", "app"), [b"new", b"42", b"abcd"])
        self.assertEqual(c.cmd("LRANGE", "cl", "0", "-1"), [b"b", b"c"])
        # And the connection is out of MULTI: a plain command runs at once.
        self.assertEqual(c.cmd("PING"), "PONG")

    def test_scan_finds_backend_only_keys(self):
        n = 300
        srv, c = self.cold_server(n=n)
        c.cmd("SELECT", 2)
        c.pipeline([("SET", "db2:%d" % i, "x") for i in range(40)])
        c.cmd("SELECT", 0)
        self.wait_checkpoint(c)
        c.close()
        self.assertEqual(srv.sigterm(), 0)
        srv = self.start(["--checkpoint-interval", "50"])
        c = self.conn(srv)
        def scan(*opts):
            keys, cursor = [], b"0"
            for _ in range(10000):
                cursor, batch = c.cmd("SCAN", cursor, *opts)
                keys += batch
                if cursor == b"0":
                    return keys
            self.fail("SCAN did not end")

        # Every key only in the backend, and as many as DBSIZE counts (each once).
        dbsize = c.cmd("DBSIZE")
        self.assertEqual(dbsize, n + 4)
        keys = scan("COUNT", "17")
        self.assertEqual(len(keys), dbsize, "SCAN returned %d keys, DBSIZE says %d"
                         % (len(keys), dbsize))
        self.assertEqual(len(set(keys)), len(keys))
        # Some keys back in memory (read through), one written, one deleted, one new: right
        # after the writes every key is there (a key written since the last checkpoint may come
        # twice, which SCAN allows), the deleted one is not; once checkpointed, each comes once.
        c.cmd("GET", "cold:1")
        c.cmd("SET", "cold:2", "changed")
        c.cmd("DEL", "cold:3")
        c.cmd("SET", "fresh", "1")
        dbsize = c.cmd("DBSIZE")
        self.assertEqual(dbsize, n + 4 - 1 + 1)
        self.assertEqual(len(set(scan("COUNT", "17"))), dbsize)
        self.wait_checkpoint(c)
        keys = scan("COUNT", "17")
        self.assertEqual(len(keys), dbsize)
        self.assertEqual(len(set(keys)), len(keys))
        self.assertNotIn(b"cold:3", keys)
        self.assertIn(b"fresh", keys)
        # TYPE and MATCH filters, and the real redis-cli.
        listed = subprocess.run(["redis-cli", "-h", HOST, "-p", str(srv.port), "--scan"],
                                capture_output=True, timeout=60, check=True).stdout.split()
        self.assertEqual(sorted(listed), sorted(keys))
        matched = subprocess.run(["redis-cli", "-h", HOST, "-p", str(srv.port), "--scan",
                                  "--pattern", "cold:1*"], capture_output=True, timeout=60,
                                 check=True).stdout.split()
        self.assertEqual(sorted(matched), sorted(k for k in keys if k.startswith(b"cold:1")))
        self.assertEqual(scan("TYPE", "list"), [b"cl"])
        c.cmd("SELECT", 2)
        self.assertEqual(c.cmd("DBSIZE"), 40)
        cursor, total = b"0", 0
        while True:
            cursor, batch = c.cmd("SCAN", cursor)
            total += len(batch)
            if cursor == b"0":
                break
        self.assertEqual(total, 40)
        self.assertTrue(c.cmd("RANDOMKEY").startswith(b"db2:"))


@STRATA_ONLY
class TierPipelineSqliteTest(TierPipelineMixin, TierTestBase):
    BACKEND = "sqlite"


@STRATA_ONLY
class TierPipelineMysqlTest(TierPipelineMixin, TierTestBase):
    BACKEND = "mysql"


if __name__ == "__main__":
    unittest.main()
