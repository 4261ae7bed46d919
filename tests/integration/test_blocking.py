# Blocking pops across connections and worker threads: woken by a push from another
# connection, served first come first served, timeouts, MULTI, pipelined commands behind a
# blocked one, and disconnects.
import socket
import time
import unittest

from harness import ServerTestCase


class BlockingTest(ServerTestCase):
    strata_only_args = ("--threads", "2")

    def blocked(self, *args):
        """A new connection that sent a blocking command; returns it without reading."""
        c = self.new_conn()
        c.send(*args)
        return c

    def wait_blocked(self, n):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            info = self.conn.cmd("INFO", "clients")
            if b"blocked_clients:%d\r\n" % n in info:
                return
            time.sleep(0.01)
        self.fail("never saw %d blocked clients:\n%r" % (n, info))

    def assert_no_reply(self, c, wait=0.15):
        c.sock.settimeout(wait)
        try:
            data = c.sock.recv(100)
            self.fail("unexpected reply while blocked: %r" % data)
        except socket.timeout:
            pass
        finally:
            c.sock.settimeout(10)

    def test_blpop_woken_by_push_from_other_connections(self):
        # Several pairs so that blocker and pusher land on different workers at least once.
        for i in range(6):
            key = "q%d" % i
            c = self.blocked("BLPOP", key, "0")
            self.wait_blocked(1)
            self.assert_no_reply(c, 0.05)
            pusher = self.new_conn()
            self.assertEqual(pusher.cmd("RPUSH", key, "a", "b"), 2)  # length before serving
            self.assertEqual(c.read_reply()[1], [key.encode(), b"a"])
            self.assertEqual(self.conn.cmd("LRANGE", key, "0", "-1"), [b"b"])

    def test_fifo_fairness(self):
        waiters = []
        for i in range(3):
            waiters.append(self.blocked("BRPOP", "fair", "0"))
            self.wait_blocked(i + 1)
        self.conn.cmd("LPUSH", "fair", "x1", "x2", "x3")  # list: x3 x2 x1; BRPOP takes x1 first
        got = [w.read_reply()[1] for w in waiters]
        self.assertEqual(got, [[b"fair", b"x1"], [b"fair", b"x2"], [b"fair", b"x3"]])

    def test_multiple_keys_and_timeout(self):
        c = self.blocked("BLPOP", "k1", "k2", "0")
        self.wait_blocked(1)
        self.conn.cmd("RPUSH", "k2", "v")
        self.assertEqual(c.read_reply()[1], [b"k2", b"v"])
        start = time.monotonic()
        raw, _ = c.call("BLPOP", "k1", "0.2")
        self.assertEqual(raw, b"*-1\r\n")
        self.assertGreaterEqual(time.monotonic() - start, 0.15)
        raw, _ = c.call("BLMOVE", "k1", "k2", "LEFT", "RIGHT", "0.1")
        self.assertEqual(raw, b"*-1\r\n")  # Redis answers every blocking timeout with a null array

    def test_pipelined_commands_wait_behind_a_blocked_one(self):
        c = self.new_conn()
        c.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\np\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n")
        self.wait_blocked(1)
        self.assert_no_reply(c)
        self.conn.cmd("RPUSH", "p", "1")
        self.assertEqual(c.read_reply()[1], [b"p", b"1"])
        self.assertEqual(c.read_reply()[0], b"+PONG\r\n")

    def test_inside_multi_never_blocks(self):
        c = self.new_conn()
        c.cmd("MULTI")
        c.cmd("BLPOP", "none", "0")
        c.cmd("BZPOPMIN", "none", "0")
        raw, _ = c.call("EXEC")
        self.assertEqual(raw, b"*2\r\n*-1\r\n*-1\r\n")

    def test_xread_woken_by_xadd_from_other_connections(self):
        # Several pairs so that reader and writer land on different workers at least once; "$"
        # means the last ID when the reader blocked: an entry added before is not returned.
        for i in range(6):
            key = "xs%d" % i
            self.conn.cmd("XADD", key, "1-0", "old", "x")
            c = self.blocked("XREAD", "BLOCK", "0", "STREAMS", key, "$")
            self.wait_blocked(1)
            self.assert_no_reply(c, 0.05)
            writer = self.new_conn()
            self.assertEqual(writer.cmd("XADD", key, "2-0", "f", str(i)), b"2-0")
            self.assertEqual(c.read_reply()[1], [[key.encode(), [[b"2-0", [b"f", str(i).encode()]]]]])
            self.wait_blocked(0)

    def test_xread_waiters_all_get_the_entry(self):
        # Unlike a pop, reading consumes nothing: every reader blocked on the stream is served.
        readers = []
        for i in range(3):
            readers.append(self.blocked("XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "xall", "other", "$", "$"))
            self.wait_blocked(i + 1)
        self.conn.cmd("XDEL", "xall", "1-0")  # changes nothing there: nobody is served
        self.conn.cmd("SET", "unrelated", "v")
        self.assert_no_reply(readers[0], 0.05)
        self.conn.cmd("XADD", "other", "5-1", "a", "b")
        for r in readers:
            self.assertEqual(r.read_reply()[1], [[b"other", [[b"5-1", [b"a", b"b"]]]]])
        self.wait_blocked(0)

    def test_xread_waiter_with_a_later_id_does_not_hold_back_others(self):
        ahead = self.blocked("XREAD", "BLOCK", "0", "STREAMS", "xid", "100-0")
        self.wait_blocked(1)
        behind = self.blocked("XREAD", "BLOCK", "0", "STREAMS", "xid", "$")
        self.wait_blocked(2)
        self.conn.cmd("XADD", "xid", "7-0", "a", "1")
        self.assertEqual(behind.read_reply()[1], [[b"xid", [[b"7-0", [b"a", b"1"]]]]])
        self.assert_no_reply(ahead, 0.05)
        self.conn.cmd("XADD", "xid", "100-1", "a", "2")
        self.assertEqual(ahead.read_reply()[1], [[b"xid", [[b"100-1", [b"a", b"2"]]]]])

    def test_xreadgroup_blocks_for_new_entries(self):
        self.conn.cmd("XGROUP", "CREATE", "xg", "grp", "$", "MKSTREAM")
        self.conn.cmd("XGROUP", "CREATE", "xg", "other", "$")
        first = self.blocked("XREADGROUP", "GROUP", "grp", "c1", "BLOCK", "0", "STREAMS", "xg", ">")
        self.wait_blocked(1)
        second = self.blocked("XREADGROUP", "GROUP", "grp", "c2", "BLOCK", "0", "STREAMS", "xg", ">")
        self.wait_blocked(2)
        reader = self.blocked("XREADGROUP", "GROUP", "other", "c3", "BLOCK", "0", "STREAMS", "xg", ">")
        self.wait_blocked(3)
        self.conn.cmd("XADD", "xg", "1-1", "job", "a")
        # One consumer of a group gets a new entry; the other group's consumer gets it as well.
        self.assertEqual(first.read_reply()[1], [[b"xg", [[b"1-1", [b"job", b"a"]]]]])
        self.assertEqual(reader.read_reply()[1], [[b"xg", [[b"1-1", [b"job", b"a"]]]]])
        self.assert_no_reply(second, 0.05)
        self.assertEqual(self.conn.cmd("XPENDING", "xg", "grp")[0], 1)
        self.conn.cmd("XADD", "xg", "1-2", "job", "b")
        self.assertEqual(second.read_reply()[1], [[b"xg", [[b"1-2", [b"job", b"b"]]]]])
        # A group destroyed under a waiter answers it with NOGROUP.
        gone = self.blocked("XREADGROUP", "GROUP", "grp", "c1", "BLOCK", "0", "STREAMS", "xg", ">")
        self.wait_blocked(1)
        self.assertEqual(self.conn.cmd("XGROUP", "DESTROY", "xg", "grp"), 1)
        raw, _ = gone.read_reply()
        self.assertTrue(raw.startswith(b"-NOGROUP"), raw)

    def test_xread_timeout_multi_and_script(self):
        c = self.new_conn()
        t0 = time.monotonic()
        raw, _ = c.call("XREAD", "BLOCK", "100", "STREAMS", "xt", "$")
        self.assertEqual(raw, b"*-1\r\n")
        self.assertGreaterEqual(time.monotonic() - t0, 0.09)
        c.cmd("MULTI")
        c.cmd("XREAD", "BLOCK", "0", "STREAMS", "xt", "$")
        self.assertEqual(c.call("EXEC")[0], b"*1\r\n*-1\r\n")
        raw, _ = c.call("EVAL", "return redis.call('XREAD', 'BLOCK', '0', 'STREAMS', 'xt', '$')", "0")
        self.assertTrue(raw.startswith(b"-ERR XREAD command is not allowed with BLOCK option from scripts"), raw)
        # A key that becomes another type does not serve the waiter; a stream again does.
        w = self.blocked("XREAD", "BLOCK", "0", "STREAMS", "xt", "0-0")
        self.wait_blocked(1)
        self.conn.cmd("SET", "xt", "now a string")
        self.assert_no_reply(w, 0.05)
        self.conn.cmd("DEL", "xt")
        self.conn.cmd("XADD", "xt", "3-0", "k", "v")
        self.assertEqual(w.read_reply()[1], [[b"xt", [[b"3-0", [b"k", b"v"]]]]])

    def test_blmove_and_brpoplpush(self):
        c = self.blocked("BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
        self.wait_blocked(1)
        self.conn.cmd("RPUSH", "src", "a", "b")
        self.assertEqual(c.read_reply()[1], b"b")
        self.assertEqual(self.conn.cmd("LRANGE", "dst", "0", "-1"), [b"b"])
        c2 = self.blocked("BRPOPLPUSH", "src2", "dst", "0")
        self.wait_blocked(1)
        self.conn.cmd("LPUSH", "src2", "z")
        self.assertEqual(c2.read_reply()[1], b"z")
        self.assertEqual(self.conn.cmd("LRANGE", "dst", "0", "-1"), [b"z", b"b"])

    def test_chained_blmove_wakes_a_waiter_on_the_destination(self):
        first = self.blocked("BLPOP", "dst3", "0")
        self.wait_blocked(1)
        mover = self.blocked("BLMOVE", "src3", "dst3", "LEFT", "RIGHT", "0")
        self.wait_blocked(2)
        self.conn.cmd("RPUSH", "src3", "m")
        self.assertEqual(mover.read_reply()[1], b"m")
        self.assertEqual(first.read_reply()[1], [b"dst3", b"m"])

    def test_lmpop_and_zset_blocking(self):
        c = self.blocked("BLMPOP", "0", "2", "l1", "l2", "RIGHT", "COUNT", "2")
        self.wait_blocked(1)
        self.conn.cmd("RPUSH", "l2", "a", "b", "c")
        self.assertEqual(c.read_reply()[1], [b"l2", [b"c", b"b"]])
        z = self.blocked("BZPOPMIN", "z1", "z2", "0")
        self.wait_blocked(1)
        self.conn.cmd("ZADD", "z2", "2", "two", "1", "one")
        self.assertEqual(z.read_reply()[1], [b"z2", b"one", b"1"])
        zm = self.blocked("BZMPOP", "0", "1", "z3", "MAX", "COUNT", "5")
        self.wait_blocked(1)
        self.conn.cmd("ZADD", "z3", "1", "a", "3", "c")
        self.assertEqual(zm.read_reply()[1], [b"z3", [[b"c", b"3"], [b"a", b"1"]]])

    def test_disconnected_waiter_takes_nothing(self):
        c = self.blocked("BLPOP", "gone", "0")
        self.wait_blocked(1)
        c.close()
        self.wait_blocked(0)
        self.conn.cmd("RPUSH", "gone", "kept")
        self.assertEqual(self.conn.cmd("LRANGE", "gone", "0", "-1"), [b"kept"])

    def test_timeout_errors(self):
        for args in (("BLPOP", "k", "abc"), ("BLPOP", "k", "-1"), ("BZPOPMIN", "k", "x")):
            raw, _ = self.conn.call(*args)
            self.assertTrue(raw.startswith(b"-ERR timeout"), raw)


if __name__ == "__main__":
    unittest.main()
