# Fair random picks, end to end: Redis's "SRANDMEMBER histogram distribution" test (from its
# tests/unit/type/set.tcl: ten members, 1000 picks, Pearson's chi-square below 40, i.e. 9 degrees
# of freedom at a 7.6e-6 false-alarm rate), and the same histogram for SPOP, HRANDFIELD,
# ZRANDMEMBER and RANDOMKEY. Every check runs against a stock redis-server and against the
# server under test, with the same bound. Unlike Redis's helper, the statistic counts every
# member, also one never picked.
import unittest

from harness import Server, server_kind

BOUND = 40.0  # Redis's: "df = 9, 40 means 0.00001 probability"
PICKS = 1000

# Redis's hashtable contents (strings: a hashtable in 7.0) and its intset contents.
HASHTABLE = [b"1", b"5", b"10", b"50", b"125", b"MARY", b"PATRICIA", b"LINDA", b"BARBARA",
             b"ELIZABETH"]
INTSET = [str(i).encode() for i in range(10)]
LONG = b"x" * 100  # past the 64-byte listpack value limit: hashtable / skiplist encodings


def chi_square(population, picks):
    counts = {m: 0 for m in population}
    for p in picks:
        if p not in counts:
            raise AssertionError("%r is not in %r" % (p, population))
        counts[p] += 1
    expected = len(picks) / len(population)
    return sum((c - expected) ** 2 / expected for c in counts.values())


class RandomHistogramTest(unittest.TestCase):
    """A redis-server and the server under test, side by side."""

    @classmethod
    def setUpClass(cls):
        cls.servers = []
        try:
            for kind in ("redis", server_kind()):
                srv = Server(kind=kind)
                srv.start()
                cls.servers.append(srv)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for srv in cls.servers:
            srv.stop()

    def each_server(self):
        """(kind, connection) per server, database flushed."""
        for srv in self.servers:
            self.assertTrue(srv.alive(), "%s died; log tail:\n%s" % (srv.kind, srv.log_tail()))
            c = srv.connect()
            self.addCleanup(c.close)
            c.cmd("FLUSHALL")
            yield srv.kind, c

    def check(self, kind, what, population, picks):
        with self.subTest(server=kind, what=what):
            x2 = chi_square(population, picks)
            self.assertLess(x2, BOUND, "%s: %s: chi-square %.1f over %d picks of %d members"
                            % (kind, what, x2, len(picks), len(population)))

    @staticmethod
    def calls(c, command, times):
        return [v for _, v in c.pipeline([command] * times)]

    def test_srandmember_histogram(self):
        # Redis's test, for both of its encodings.
        for kind, c in self.each_server():
            for encoding, members in (("hashtable", HASHTABLE), ("intset", INTSET)):
                c.cmd("DEL", "myset")
                c.cmd("SADD", "myset", *members)
                self.assertEqual(c.cmd("OBJECT", "ENCODING", "myset"), encoding.encode())
                what = "SRANDMEMBER (%s)" % encoding
                # Negative count (Redis's PATH 1).
                self.check(kind, what + " -1000", members, c.cmd("SRANDMEMBER", "myset", -PICKS))
                # Positive counts (PATH 3 and PATH 4).
                for size in (8, 2):
                    picks = [m for r in self.calls(c, ("SRANDMEMBER", "myset", size), PICKS // size)
                             for m in r]
                    self.check(kind, "%s %d" % (what, size), members, picks)
                # No count.
                self.check(kind, what, members, self.calls(c, ("SRANDMEMBER", "myset"), PICKS))

    def test_spop_histogram(self):
        for kind, c in self.each_server():
            c.cmd("SADD", "myset", *HASHTABLE)
            self.assertEqual(c.cmd("OBJECT", "ENCODING", "myset"), b"hashtable")
            picks = []
            for _ in range(PICKS):
                m = c.cmd("SPOP", "myset")
                picks.append(m)
                c.cmd("SADD", "myset", m)
            self.check(kind, "SPOP", HASHTABLE, picks)
            picks = []
            for _ in range(PICKS // 2):
                popped = c.cmd("SPOP", "myset", 2)
                picks += popped
                c.cmd("SADD", "myset", *popped)
            self.check(kind, "SPOP 2", HASHTABLE, picks)

    def test_hrandfield_histogram(self):
        for kind, c in self.each_server():
            fields = HASHTABLE
            c.cmd("HSET", "myhash", *[x for f in fields for x in (f, LONG)])
            self.assertEqual(c.cmd("OBJECT", "ENCODING", "myhash"), b"hashtable")
            self.check(kind, "HRANDFIELD -1000", fields, c.cmd("HRANDFIELD", "myhash", -PICKS))
            for size in (8, 2):
                picks = [f for r in self.calls(c, ("HRANDFIELD", "myhash", size), PICKS // size)
                         for f in r]
                self.check(kind, "HRANDFIELD %d" % size, fields, picks)
            self.check(kind, "HRANDFIELD", fields, self.calls(c, ("HRANDFIELD", "myhash"), PICKS))

    def test_zrandmember_histogram(self):
        for kind, c in self.each_server():
            members = [LONG + m for m in HASHTABLE]
            c.cmd("ZADD", "myzset", *[x for i, m in enumerate(members) for x in (i, m)])
            self.assertEqual(c.cmd("OBJECT", "ENCODING", "myzset"), b"skiplist")
            self.check(kind, "ZRANDMEMBER -1000", members, c.cmd("ZRANDMEMBER", "myzset", -PICKS))
            for size in (8, 2):
                picks = [m for r in self.calls(c, ("ZRANDMEMBER", "myzset", size), PICKS // size)
                         for m in r]
                self.check(kind, "ZRANDMEMBER %d" % size, members, picks)
            self.check(kind, "ZRANDMEMBER", members,
                       self.calls(c, ("ZRANDMEMBER", "myzset"), PICKS))

    def test_randomkey_histogram(self):
        for kind, c in self.each_server():
            for k in HASHTABLE:
                c.cmd("SET", k, "v")
            self.check(kind, "RANDOMKEY", HASHTABLE, self.calls(c, ("RANDOMKEY",), PICKS))


if __name__ == "__main__":
    unittest.main()
