# Pub/Sub end to end: SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH counts,
# delivery to subscribers on every worker thread (--threads 2), message order, the RESP2
# subscribed context, RESP3 pushes, PUBSUB introspection, the pubsub output buffer limit, and a
# byte-for-byte comparison with redis-server for confirmations, messages and errors.
import os
import shutil
import socket
import threading
import time
import unittest

from harness import (HOST, RespConnection, RespError, RespPush, Server, ServerTestCase,
                     is_redis, poll_until, server_binary, server_kind)

GET_REFUSED = (b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
               b"QUIT / RESET are allowed in this context\r\n")


def msg_bytes(channel, payload, kind=b"*"):
    return (b"%s3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
            % (kind, len(channel), channel, len(payload), payload))


class PubSubTest(ServerTestCase):
    strata_only_args = ("--threads", "2")

    def setUp(self):
        super().setUp()
        # The previous test's connections close asynchronously: start from no subscriptions.
        def clean():
            c = self.conn
            return (c.cmd("PUBSUB", "CHANNELS") == [] and c.cmd("PUBSUB", "NUMPAT") == 0
                    and c.cmd("PUBSUB", "SHARDCHANNELS") == [])
        self.assertTrue(poll_until(clean, 5), "subscriptions left over from an earlier test")

    def subscribe(self, conn, *names, cmd="SUBSCRIBE"):
        conn.send(cmd, *names)
        return [conn.read_reply()[1] for _ in names]

    def subscribers(self, n, channel):
        """n connections subscribed to channel (with --threads 2 they spread over both workers)."""
        subs = []
        for _ in range(n):
            c = self.new_conn()
            self.assertEqual(self.subscribe(c, channel), [[b"subscribe", channel.encode(), 1]])
            subs.append(c)
        return subs

    def assert_silent(self, conn, wait=0.1):
        conn.sock.settimeout(wait)
        try:
            data = conn.sock.recv(4096)
            self.fail("unexpected bytes: %r" % data)
        except socket.timeout:
            pass
        finally:
            conn.sock.settimeout(10)

    # -- subscribing ----------------------------------------------------------------------------
    def test_confirmations_and_counts(self):
        c = self.new_conn()
        c.send("SUBSCRIBE", "a", "b", "a")
        self.assertEqual(c.read_reply()[0], b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n")
        self.assertEqual(c.read_reply()[1], [b"subscribe", b"b", 2])
        self.assertEqual(c.read_reply()[1], [b"subscribe", b"a", 2])  # already subscribed
        self.assertEqual(self.subscribe(c, "p*", cmd="PSUBSCRIBE"), [[b"psubscribe", b"p*", 3]])
        self.assertEqual(self.subscribe(c, "x", cmd="UNSUBSCRIBE"), [[b"unsubscribe", b"x", 3]])
        self.assertEqual(self.subscribe(c, "a", cmd="UNSUBSCRIBE"), [[b"unsubscribe", b"a", 2]])
        self.assertEqual(self.conn.cmd("PUBSUB", "NUMSUB", "a", "b"), [b"a", 0, b"b", 1])

    def test_unsubscribe_all(self):
        c = self.new_conn()
        self.subscribe(c, "a", "b", "c")
        self.subscribe(c, "p1", "p2", cmd="PSUBSCRIBE")
        c.send("UNSUBSCRIBE")
        replies = [c.read_reply()[1] for _ in range(3)]
        self.assertEqual(sorted(r[1] for r in replies), [b"a", b"b", b"c"])
        self.assertEqual([(r[0], r[2]) for r in replies],
                         [(b"unsubscribe", 4), (b"unsubscribe", 3), (b"unsubscribe", 2)])
        # Nothing left of that kind: one reply with a null name and the remaining count.
        self.assertEqual(c.call("UNSUBSCRIBE")[0], b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:2\r\n")
        c.send("PUNSUBSCRIBE")
        replies = [c.read_reply()[1] for _ in range(2)]
        self.assertEqual(sorted(r[1] for r in replies), [b"p1", b"p2"])
        self.assertEqual([r[2] for r in replies], [1, 0])
        self.assertEqual(c.call("PUNSUBSCRIBE")[0],
                         b"*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n")
        # Out of the subscribed context: ordinary commands work again, nobody receives.
        self.assertEqual(c.call("GET", "k")[0], b"$-1\r\n")
        self.assertEqual(self.conn.cmd("PUBLISH", "a", "x"), 0)
        self.assertEqual(self.conn.cmd("PUBLISH", "p1", "x"), 0)
        self.assertEqual(self.conn.cmd("PUBSUB", "CHANNELS"), [])
        self.assertEqual(self.conn.cmd("PUBSUB", "NUMPAT"), 0)

    # -- delivery -------------------------------------------------------------------------------
    def test_publish_reaches_subscribers_on_every_worker(self):
        subs = self.subscribers(8, "news")
        pubs = [self.new_conn() for _ in range(4)]
        for i, p in enumerate(pubs):
            self.assertEqual(p.cmd("PUBLISH", "news", "hello-%d" % i), 8)
        want = sorted(b"hello-%d" % i for i in range(4))
        for s in subs:
            got = [s.read_reply() for _ in range(4)]
            for raw, value in got:
                self.assertEqual(raw, msg_bytes(b"news", value[2]))
            self.assertEqual(sorted(v[2] for _, v in got), want)
        self.assertEqual(self.conn.cmd("PUBLISH", "nobody", "x"), 0)

    def test_messages_from_one_publisher_arrive_in_order(self):
        subs = self.subscribers(6, "seq")
        p = self.new_conn()
        n = 2000
        replies = p.pipeline([("PUBLISH", "seq", "m%d" % i) for i in range(n)])
        self.assertEqual({v for _, v in replies}, {6})
        for s in subs:
            got = [s.read_reply()[1][2] for _ in range(n)]
            self.assertEqual(got, [b"m%d" % i for i in range(n)])

    def test_patterns_and_receiver_counts(self):
        s1, s2 = self.new_conn(), self.new_conn()
        self.assertEqual(self.subscribe(s1, "news.*", cmd="PSUBSCRIBE"),
                         [[b"psubscribe", b"news.*", 1]])
        self.subscribe(s2, "news.tech")
        self.subscribe(s2, "news.*", "n*", "h[ae]llo", cmd="PSUBSCRIBE")
        # s1: one pmessage; s2: the message and two pmessages. Each counts, as in Redis.
        self.assertEqual(self.conn.cmd("PUBLISH", "news.tech", "x"), 4)
        raw, v = s1.read_reply()
        self.assertEqual(raw, b"*4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$9\r\nnews.tech\r\n"
                              b"$1\r\nx\r\n")
        self.assertEqual(s2.read_reply()[1], [b"message", b"news.tech", b"x"])
        pm = [s2.read_reply()[1] for _ in range(2)]
        self.assertEqual(sorted(pm), [[b"pmessage", b"n*", b"news.tech", b"x"],
                                      [b"pmessage", b"news.*", b"news.tech", b"x"]])
        self.assertEqual(self.conn.cmd("PUBLISH", "hallo", "y"), 1)
        self.assertEqual(s2.read_reply()[1], [b"pmessage", b"h[ae]llo", b"hallo", b"y"])
        self.assertEqual(self.conn.cmd("PUBLISH", "hillo", "y"), 0)
        self.assertEqual(self.conn.cmd("PUBLISH", "news", "z"), 1)  # n* only
        self.assertEqual(s2.read_reply()[1], [b"pmessage", b"n*", b"news", b"z"])
        self.assert_silent(s1)
        self.assertEqual(self.subscribe(s2, "n*", cmd="PUNSUBSCRIBE"), [[b"punsubscribe", b"n*", 3]])
        self.assertEqual(self.conn.cmd("PUBLISH", "news", "z"), 0)

    def test_binary_and_empty_payloads(self):
        s = self.new_conn()
        self.subscribe(s, "bin\x00ch")
        payload = bytes(range(256)) * 10
        self.assertEqual(self.conn.cmd("PUBLISH", "bin\x00ch", payload), 1)
        self.assertEqual(s.read_reply()[0], msg_bytes(b"bin\x00ch", payload))
        self.assertEqual(self.conn.cmd("PUBLISH", "bin\x00ch", ""), 1)
        self.assertEqual(s.read_reply()[0], msg_bytes(b"bin\x00ch", b""))

    def test_disconnected_subscriber_is_forgotten(self):
        subs = self.subscribers(4, "gone")
        self.subscribe(subs[0], "g*", cmd="PSUBSCRIBE")
        for s in subs:
            s.close()
        self.assertTrue(poll_until(lambda: self.conn.cmd("PUBSUB", "NUMSUB", "gone")[1] == 0, 5))
        self.assertTrue(poll_until(lambda: self.conn.cmd("PUBSUB", "NUMPAT") == 0, 5))
        self.assertEqual(self.conn.cmd("PUBLISH", "gone", "x"), 0)

    def test_no_message_after_unsubscribe_confirmation(self):
        # A RESP2 client that unsubscribed must never read a message as a command's reply,
        # even while messages from another worker are in flight.
        s = self.new_conn()
        p = self.new_conn()
        for _ in range(20):
            self.subscribe(s, "race")
            p.send_raw(b"".join(b"*3\r\n$7\r\nPUBLISH\r\n$4\r\nrace\r\n$1\r\nx\r\n"
                                for _ in range(50)))
            s.send("UNSUBSCRIBE", "race")
            while True:
                _, v = s.read_reply()
                if v[0] == b"unsubscribe":
                    break
                self.assertEqual(v, [b"message", b"race", b"x"])
            self.assertEqual(s.call("ECHO", "after")[0], b"$5\r\nafter\r\n")
            for _ in range(50):
                p.read_reply()

    # -- contexts -------------------------------------------------------------------------------
    def test_resp2_subscribed_context(self):
        c = self.new_conn()
        self.subscribe(c, "ctx")
        self.assertEqual(c.call("GET", "k")[0], GET_REFUSED)
        self.assertEqual(c.call("PING")[0], b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")
        self.assertEqual(c.call("PING", "hi")[0], b"*2\r\n$4\r\npong\r\n$2\r\nhi\r\n")
        self.assertEqual(c.call("SUBSCRIBE", "ctx2")[1], [b"subscribe", b"ctx2", 2])
        self.assertEqual(c.call("PSUBSCRIBE", "c*")[1], [b"psubscribe", b"c*", 3])
        # Still usable for messages after a refused command.
        self.assertEqual(self.conn.cmd("PUBLISH", "ctx", "m"), 2)
        self.assertEqual(c.read_reply()[1], [b"message", b"ctx", b"m"])
        self.assertEqual(c.read_reply()[1], [b"pmessage", b"c*", b"ctx", b"m"])
        # RESET leaves every channel without replies for them.
        self.assertEqual(c.call("RESET")[0], b"+RESET\r\n")
        self.assertEqual(c.call("PING")[0], b"+PONG\r\n")
        self.assertEqual(self.conn.cmd("PUBLISH", "ctx", "m"), 0)
        self.assertEqual(self.conn.cmd("PUBSUB", "NUMPAT"), 0)
        # QUIT is allowed while subscribed.
        q = self.new_conn()
        self.subscribe(q, "ctx")
        self.assertEqual(q.call("QUIT")[0], b"+OK\r\n")
        self.assertTrue(q.is_closed_by_peer())
        self.assertTrue(poll_until(lambda: self.conn.cmd("PUBLISH", "ctx", "m") == 0, 5))

    def test_resp3_pushes_and_commands_while_subscribed(self):
        c = self.new_conn()
        c.cmd("HELLO", "3")
        raw, v = c.call("SUBSCRIBE", "r3")
        self.assertEqual(raw, b">3\r\n$9\r\nsubscribe\r\n$2\r\nr3\r\n:1\r\n")
        self.assertIsInstance(v, RespPush)
        # Any command works in RESP3 while subscribed.
        self.assertEqual(c.call("SET", "k", "v")[0], b"+OK\r\n")
        self.assertEqual(c.call("GET", "k")[0], b"$1\r\nv\r\n")
        self.assertEqual(c.call("PING")[0], b"+PONG\r\n")
        self.assertEqual(self.conn.cmd("PUBLISH", "r3", "hello"), 1)
        self.assertEqual(c.read_reply()[0], msg_bytes(b"r3", b"hello", kind=b">"))
        # Its own PUBLISH: the push comes before the integer reply.
        c.send("PUBLISH", "r3", "self")
        self.assertEqual(c.read_reply()[0], msg_bytes(b"r3", b"self", kind=b">"))
        self.assertEqual(c.read_reply()[0], b":1\r\n")
        self.assertEqual(c.call("UNSUBSCRIBE")[0], b">3\r\n$11\r\nunsubscribe\r\n$2\r\nr3\r\n:0\r\n")
        self.assertEqual(c.call("UNSUBSCRIBE")[0], b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n")

    def test_subscribe_inside_multi(self):
        c = self.new_conn()
        c.send_raw(b"MULTI\r\nSUBSCRIBE q\r\nPING\r\nEXEC\r\nPING\r\n")
        self.assertEqual([c.read_reply()[0] for _ in range(5)],
                         [b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n",
                          b"*2\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nq\r\n:1\r\n"
                          b"*2\r\n$4\r\npong\r\n$0\r\n\r\n",
                          b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"])

    # -- introspection --------------------------------------------------------------------------
    def test_pubsub_introspection(self):
        a, b = self.new_conn(), self.new_conn()
        self.subscribe(a, "chan.1", "chan.2", "other")
        self.subscribe(b, "chan.1")
        self.subscribe(a, "p*", "q*", cmd="PSUBSCRIBE")
        self.subscribe(b, "p*", cmd="PSUBSCRIBE")
        c = self.conn
        self.assertEqual(sorted(c.cmd("PUBSUB", "CHANNELS")), [b"chan.1", b"chan.2", b"other"])
        self.assertEqual(sorted(c.cmd("PUBSUB", "CHANNELS", "chan.*")), [b"chan.1", b"chan.2"])
        self.assertEqual(c.cmd("PUBSUB", "CHANNELS", "nothing*"), [])
        self.assertEqual(c.call("PUBSUB", "NUMSUB", "chan.1", "chan.2", "zz")[0],
                         b"*6\r\n$6\r\nchan.1\r\n:2\r\n$6\r\nchan.2\r\n:1\r\n$2\r\nzz\r\n:0\r\n")
        self.assertEqual(c.cmd("PUBSUB", "NUMSUB"), [])
        self.assertEqual(c.cmd("PUBSUB", "NUMPAT"), 2)  # distinct patterns
        self.assertEqual(c.call("PUBSUB", "CHANNELS", "a", "b")[0],
                         b"-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. "
                         b"Try PUBSUB HELP.\r\n")
        self.assertEqual(c.call("PUBSUB", "NUMPAT", "x")[0],
                         b"-ERR wrong number of arguments for 'pubsub|numpat' command\r\n")
        help_lines = c.cmd("PUBSUB", "HELP")
        self.assertEqual(help_lines[0],
                         "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        self.assertEqual(len(help_lines), 14)

    def test_shard_channels(self):
        s = self.new_conn()
        self.assertEqual(self.subscribe(s, "s1", "s2", cmd="SSUBSCRIBE"),
                         [[b"ssubscribe", b"s1", 1], [b"ssubscribe", b"s2", 2]])
        self.assertEqual(s.call("GET", "k")[0], GET_REFUSED)
        # A namespace of its own: PUBLISH and patterns do not reach shard subscribers.
        self.assertEqual(self.conn.cmd("PUBLISH", "s1", "x"), 0)
        self.assertEqual(self.conn.cmd("SPUBLISH", "s1", "x"), 1)
        self.assertEqual(s.read_reply()[0], b"*3\r\n$8\r\nsmessage\r\n$2\r\ns1\r\n$1\r\nx\r\n")
        self.assertEqual(sorted(self.conn.cmd("PUBSUB", "SHARDCHANNELS")), [b"s1", b"s2"])
        self.assertEqual(self.conn.cmd("PUBSUB", "SHARDNUMSUB", "s1", "s3"), [b"s1", 1, b"s3", 0])
        self.assertEqual(self.conn.cmd("PUBSUB", "CHANNELS"), [])
        # The channel count of an UNSUBSCRIBE does not include shard channels.
        self.assertEqual(s.call("UNSUBSCRIBE")[1], [b"unsubscribe", None, 0])
        s.send("SUNSUBSCRIBE")
        self.assertEqual(sorted(s.read_reply()[1][2] for _ in range(2)), [0, 1])
        self.assertEqual(s.call("GET", "k")[0], b"$-1\r\n")

    # -- slow subscribers -----------------------------------------------------------------------
    def test_subscriber_that_never_reads_is_disconnected(self):
        # A subscriber with a tiny receive window that never reads, and a good one that does.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((HOST, self.server.port))
        slow = RespConnection.__new__(RespConnection)
        slow.sock, slow.buf = sock, bytearray()
        self.addCleanup(slow.close)
        slow.sock.settimeout(10)
        self.assertEqual(self.subscribe(slow, "big"), [[b"subscribe", b"big", 1]])
        good = self.subscribers(1, "big")[0]

        payload = b"z" * (1 << 20)
        sent = 48  # 48 MB: past the 32 MB hard limit plus what the kernel buffers
        want = sent * len(msg_bytes(b"big", payload))
        received = [0]
        tail = bytearray()

        def reader():
            good.sock.settimeout(0.2)
            deadline = time.monotonic() + 30
            while received[0] < want and time.monotonic() < deadline:
                try:
                    chunk = good.sock.recv(1 << 20)
                except socket.timeout:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                received[0] += len(chunk)
                tail[:] = (tail + chunk)[-64:]

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        pub = self.new_conn()
        for _ in range(sent):
            self.assertIn(pub.cmd("PUBLISH", "big", payload), (1, 2))
        # Delivery on other workers is asynchronous: the slow one goes soon after, not at once.
        self.assertTrue(poll_until(lambda: self.conn.cmd("PUBSUB", "NUMSUB", "big")[1] == 1, 10),
                        "slow subscriber still subscribed after %d MB" % sent)
        self.assertTrue(slow.is_closed_by_peer(5.0))
        # Everyone else was served: the good subscriber got every message, others still work.
        t.join(30)
        self.assertEqual(received[0], want)
        self.assertTrue(bytes(tail).endswith(b"z" * 32 + b"\r\n"))
        self.assertEqual(self.conn.call("PING")[0], b"+PONG\r\n")
        self.assertEqual(pub.cmd("PUBLISH", "big", "small"), 1)
        self.assertTrue(poll_until(
            lambda: b"scheduled to be closed ASAP for overcoming of output buffer limits"
            in open(self.server.log_path, "rb").read(), 5))


    def test_client_list_shows_subscription_counts(self):
        sub = self.new_conn()
        self.subscribe(sub, "c1", "c2")
        self.subscribe(sub, "p*", cmd="PSUBSCRIBE")
        sub_id = self.new_conn()  # CLIENT LIST as seen from another connection
        line = [l for l in sub_id.cmd("CLIENT", "LIST").split(b"\n")
                if b" sub=2 " in l]
        self.assertEqual(len(line), 1, sub_id.cmd("CLIENT", "LIST"))
        self.assertIn(b" flags=P ", line[0])
        self.assertIn(b" psub=1 ", line[0])
        self.subscribe(sub, "c1", "c2", cmd="UNSUBSCRIBE")
        self.subscribe(sub, "p*", cmd="PUNSUBSCRIBE")
        self.assertNotIn(b"flags=P", sub_id.cmd("CLIENT", "LIST"))

    def test_output_limit_follows_config_set(self):
        # A lowered pub/sub hard limit takes effect at once: 8 MB unread is too much for 1 MB.
        self.assertEqual(self.conn.cmd("CONFIG", "SET", "client-output-buffer-limit",
                                       "pubsub 1mb 1mb 0"), "OK")
        self.addCleanup(lambda: self.conn.cmd("CONFIG", "SET", "client-output-buffer-limit",
                                              "pubsub 32mb 8mb 60"))
        self.assertIn(b"pubsub 1048576 1048576 0",
                      self.conn.cmd("CONFIG", "GET", "client-output-buffer-limit")[1])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((HOST, self.server.port))
        slow = RespConnection.__new__(RespConnection)
        slow.sock, slow.buf = sock, bytearray()
        self.addCleanup(slow.close)
        slow.sock.settimeout(10)
        self.subscribe(slow, "small-limit")
        pub = self.new_conn()
        for _ in range(8):
            pub.cmd("PUBLISH", "small-limit", b"q" * (1 << 20))
        self.assertTrue(poll_until(
            lambda: self.conn.cmd("PUBSUB", "NUMSUB", "small-limit")[1] == 0, 10))


# -- differential check against redis-server ------------------------------------------------------
# Steps on a (subscriber, publisher) connection pair: (who, command..., replies to read on the
# subscriber side). Every reply's bytes must match redis-server's, except those marked "ignore".
S, P = "s", "p"
STEPS = [
    (S, ("SUBSCRIBE", "a", "b"), 2), (S, ("SUBSCRIBE", "a"), 1), (S, ("PSUBSCRIBE", "p*"), 1),
    (S, ("UNSUBSCRIBE", "x"), 1), (S, ("PUNSUBSCRIBE", "zz"), 1), (S, ("GET", "k"), 1),
    (S, ("SET", "k", "v"), 1), (S, ("PING",), 1), (S, ("PING", "hi"), 1),
    (S, ("PING", "a", "b"), 1), (S, ("SUBSCRIBE",), 1), (S, ("PSUBSCRIBE",), 1),
    (S, ("PUBLISH", "a", "x"), 1), (S, ("PUBSUB", "NUMPAT"), 1),
    (P, ("PUBLISH", "a", "m1"), 0), (S, (), 1),
    (P, ("PUBLISH", "pa", "m2"), 0), (S, (), 1),
    (P, ("PUBLISH", "b", ""), 0), (S, (), 1),
    (P, ("PUBLISH", "nobody", "m"), 0), (P, ("PUBLISH", "a"), 0), (P, ("PUBLISH",), 0),
    (P, ("PUBSUB",), 0), (P, ("PUBSUB", "foo"), 0), (P, ("PUBSUB", "CHANNELS", "a", "b"), 0),
    (P, ("PUBSUB", "channels", "a", "b"), 0), (P, ("PUBSUB", "NUMPAT", "x"), 0),
    (P, ("PUBSUB", "NUMSUB", "a", "b", "zz"), 0), (P, ("PUBSUB", "NUMSUB"), 0),
    (P, ("PUBSUB", "NUMPAT"), 0), (P, ("PUBSUB", "CHANNELS", "a*"), 0), (P, ("PUBSUB", "HELP"), 0),
    (P, ("PUBSUB", "HELP", "x"), 0), (P, ("PUBSUB", "SHARDNUMSUB", "a"), 0),
    (P, ("PUBSUB", "SHARDCHANNELS", "a", "b"), 0),
    (S, ("PUNSUBSCRIBE", "p*"), 1), (S, ("UNSUBSCRIBE", "b"), 1), (S, ("UNSUBSCRIBE", "a"), 1),
    (S, ("UNSUBSCRIBE",), 1), (S, ("PUNSUBSCRIBE",), 1), (S, ("GET", "k"), 1),
    (S, ("PSUBSCRIBE", "q"), 1), (S, ("UNSUBSCRIBE",), 1), (S, ("PUNSUBSCRIBE",), 1),
    (S, ("SSUBSCRIBE", "s"), 1), (S, ("GET", "k"), 1), (S, ("UNSUBSCRIBE",), 1),
    (P, ("SPUBLISH", "s", "sm"), 0), (S, (), 1), (P, ("SPUBLISH", "s"), 0),
    (S, ("SUNSUBSCRIBE",), 1), (S, ("SUNSUBSCRIBE",), 1),
    (S, ("HELLO", "3"), "ignore"),
    (S, ("SUBSCRIBE", "a"), 1), (S, ("PSUBSCRIBE", "a*"), 1), (S, ("GET", "k"), 1),
    (S, ("PING",), 1), (P, ("PUBLISH", "a", "m3"), 0), (S, (), 2),
    (S, ("PUBLISH", "a", "self"), 3), (S, ("PUBSUB", "NUMSUB", "a"), 1),
    (S, ("UNSUBSCRIBE", "a"), 1), (S, ("PUNSUBSCRIBE", "a*"), 1), (S, ("UNSUBSCRIBE",), 1),
    (S, ("PUNSUBSCRIBE",), 1), (S, ("SSUBSCRIBE", "s"), 1), (S, ("SUNSUBSCRIBE",), 1),
    (S, ("SUNSUBSCRIBE",), 1), (S, ("HELLO", "2"), "ignore"),
    (S, ("MULTI",), 1), (S, ("SUBSCRIBE", "m"), 1), (S, ("EXEC",), 1), (S, ("PING",), 1),
    (S, ("RESET",), 1), (S, ("PING",), 1), (P, ("PUBLISH", "m", "x"), 0),
]


@unittest.skipIf(is_redis(), "compares strata with redis-server")
class PubSubCompatTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which(server_binary("redis")) is None and not os.path.exists(
                server_binary("redis")):
            raise unittest.SkipTest("redis-server not found")
        cls.ref = Server(kind="redis")
        cls.ref.start()
        try:
            cls.sut = Server(kind=server_kind(), extra_args=["--threads", "2"])
            cls.sut.start()
        except Exception:
            cls.ref.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.sut.stop()
        cls.ref.stop()

    def test_replies_match_redis(self):
        pairs = {}
        for who in (S, P):
            pairs[who] = (RespConnection(HOST, self.ref.port, timeout=3.0),
                          RespConnection(HOST, self.sut.port, timeout=3.0))
            for c in pairs[who]:
                self.addCleanup(c.close)
        problems = []
        for i, (who, args, nreplies) in enumerate(STEPS):
            ref, sut = pairs[who]
            where = "step %d: %s %s" % (i, who, " ".join(args) or "(read)")
            if args:
                ref.send(*args)
                sut.send(*args)
            if who == P:  # the publisher reads its own reply; its subscriber reads afterwards
                nreplies = 1
            if nreplies == "ignore":
                ref.read_reply()
                sut.read_reply()
                continue
            for _ in range(nreplies):
                try:
                    rr, sr = ref.read_reply()[0], sut.read_reply()[0]
                except (OSError, ConnectionError) as e:
                    self.fail("%s: %r\nearlier problems: %s" % (where, e, problems))
                if rr != sr:
                    problems.append("%s\n  redis: %r\n  ours:  %r" % (where, rr, sr))
        self.assertEqual(problems, [], "\n" + "\n".join(problems))


if __name__ == "__main__":
    unittest.main()
