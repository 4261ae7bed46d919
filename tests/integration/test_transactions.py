# MULTI/EXEC/WATCH across connections and worker threads: WATCH aborts on a change made by any
# connection (also on expiry and FLUSHALL) and not on a write that changed nothing; EXEC is
# atomic, so no reader ever sees half of a transaction.
import threading
import time
import unittest

from harness import ServerTestCase


class TransactionTest(ServerTestCase):
    strata_only_args = ("--threads", "2")

    def others(self, n=6):
        """Several other connections: with two workers, some land on the other thread."""
        conns = [self.new_conn() for _ in range(n)]
        return conns

    def watch_then(self, key, change):
        """WATCH key, run change(), then MULTI/SET/EXEC; returns EXEC's reply value."""
        c = self.conn
        c.cmd("WATCH", key)
        change()
        c.cmd("MULTI")
        c.cmd("SET", key, "from-tx")
        return c.call("EXEC")[1]

    def test_info_inside_exec_and_scripts(self):
        # INFO counts keys and expiries shard by shard; inside EXEC (and a script) it must skip
        # the shards the execution holds already instead of waiting for itself forever.
        c = self.conn
        c.cmd("SET", "k", "v")
        c.cmd("MULTI")
        c.cmd("SET", "k", "w")
        c.cmd("INFO", "keyspace")
        c.cmd("INFO")
        reply = c.cmd("EXEC")
        self.assertEqual(reply[0], "OK")
        self.assertIn(b"db0:keys=1", reply[1])
        self.assertIn(b"# Keyspace", c.cmd("EVAL", "return redis.call('INFO')", 1, "k"))

    def test_watch_aborts_on_change_from_any_connection(self):
        for i, other in enumerate(self.others()):
            key = "w%d" % i
            self.conn.cmd("SET", key, "0")
            self.assertIsNone(self.watch_then(key, lambda: other.cmd("INCR", key)))
            self.assertEqual(self.conn.cmd("GET", key), b"1")

    def test_watch_survives_unrelated_and_no_op_writes(self):
        other = self.new_conn()
        self.conn.cmd("SET", "k", "v")
        self.assertEqual(self.watch_then("k", lambda: other.cmd("SET", "unrelated", "x")), ["OK"])
        # SETNX on an existing key and DEL of a missing one change nothing.
        self.assertEqual(self.watch_then("k", lambda: other.cmd("SETNX", "k", "other")), ["OK"])
        self.assertEqual(self.watch_then("missing", lambda: other.cmd("DEL", "missing")), ["OK"])

    def test_watch_aborts_on_expiry_flush_and_delete(self):
        other = self.new_conn()
        self.conn.cmd("SET", "e", "v", "PX", "100")
        self.assertIsNone(self.watch_then("e", lambda: time.sleep(0.25)))
        self.conn.cmd("SET", "f", "v")
        self.assertIsNone(self.watch_then("f", lambda: other.cmd("FLUSHALL")))
        self.conn.cmd("SET", "d", "v")
        self.assertIsNone(self.watch_then("d", lambda: other.cmd("DEL", "d")))
        self.conn.cmd("SET", "x", "v")
        self.assertIsNone(self.watch_then("x", lambda: other.cmd("EXPIRE", "x", "100")))

    def test_exec_is_atomic_across_threads(self):
        self.conn.cmd("MSET", "a", "0", "b", "0")
        stop = time.monotonic() + 1.5
        errors = []

        def writer():
            c = self.new_conn()
            while time.monotonic() < stop:
                replies = c.pipeline([("MULTI",), ("INCR", "a"), ("SET", "mid", "x"),
                                      ("INCR", "b"), ("EXEC",)])
                if replies[-1][0][:1] != b"*":
                    errors.append("EXEC failed: %r" % (replies[-1][0],))

        def reader():
            c = self.new_conn()
            while time.monotonic() < stop:
                a, b = c.cmd("MGET", "a", "b")
                if a != b:
                    errors.append("saw half a transaction: a=%r b=%r" % (a, b))
                    return

        threads = [threading.Thread(target=writer) for _ in range(3)]
        threads += [threading.Thread(target=reader) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        a, b = self.conn.cmd("MGET", "a", "b")
        self.assertEqual(a, b)
        self.assertGreater(int(a), 10)

    def test_transactions_with_numkeys_commands_do_not_deadlock(self):
        # ZUNIONSTORE names only its destination in first/last key: EXEC must still lock its
        # sources in the global order, or two such transactions can deadlock. (Timing-dependent:
        # a run without the fix does not always hit the deadlock in one second.)
        keys = ["zk%d" % i for i in range(8)]
        for k in keys:
            self.conn.cmd("ZADD", k, "1", "m")
        stop = time.monotonic() + 1.0
        errors = []

        def worker(offset):
            c = self.new_conn()
            i = 0
            while time.monotonic() < stop:
                a, b, d = keys[(i + offset) % 8], keys[(i + offset + 3) % 8], keys[(i + 5) % 8]
                replies = c.pipeline([("MULTI",), ("ZUNIONSTORE", d, "2", a, b),
                                      ("ZINTERSTORE", a, "2", d, b), ("EXEC",)])
                if replies[-1][0][:1] != b"*":
                    errors.append(replies[-1][0])
                i += 1

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        self.assertFalse(any(t.is_alive() for t in threads), "transactions deadlocked")
        self.assertEqual(errors, [])

    def test_exec_with_keyless_and_cross_db_commands(self):
        c = self.conn
        c.cmd("SET", "k", "1")
        c.cmd("MULTI")
        c.cmd("DBSIZE")
        c.cmd("MOVE", "k", "3")
        c.cmd("SELECT", "3")
        c.cmd("GET", "k")
        c.cmd("KEYS", "*")
        self.assertEqual(c.cmd("EXEC"), [1, 1, "OK", b"1", [b"k"]])
        c.cmd("SELECT", "0")


if __name__ == "__main__":
    unittest.main()
