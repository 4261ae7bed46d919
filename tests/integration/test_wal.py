# Write-ahead log end to end: what a client wrote comes back after a restart on the same
# directory, whether the server shut down cleanly or was SIGKILLed, with or without rewrites
# (BGREWRITEAOF, automatic) and segment rotation in between.
#
#   WalRoundTripTest  every data type, databases, transactions, blocking pops, TTLs: snapshot the
#                     whole keyspace, shut down, restart, compare (appendfsync always/everysec/no)
#   WalCrashTest      4 writer threads, SIGKILL mid-load: every acknowledged write survives
#                     (always), or every write acknowledged > 2.5 s before the kill (everysec);
#                     the recovered state is a per-connection prefix of what was sent
#   WalRewriteTest    BGREWRITEAOF under load, automatic rewrite, segment rotation
#
# Environment: STRATA_WAL_CRASH_SECONDS (load time before the SIGKILL, default 2),
#              STRATA_WAL_CRASH_ROUNDS (kill/restart rounds per crash test, default 1).
#
# strata-only: a stock redis-server has neither this log layout nor these INFO fields.
import os
import re
import shutil
import signal
import tempfile
import threading
import time
import unittest

import harness
from harness import RespError, Server, WalServer, info, info_int, poll_until, server_kind

STRATA_ONLY = unittest.skipIf(server_kind() == "redis", "strata WAL layout and INFO fields")
APPENDDIR = "appendonlydir"
SEGMENT_RE = re.compile(r"^appendonly\.aof\.(\d{20})\.log$")
BASE_RE = re.compile(r"^appendonly\.aof\.(\d{20})\.base$")


def env_float(name, default):
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return float(default)


CRASH_SECONDS = max(0.2, env_float("STRATA_WAL_CRASH_SECONDS", 2.0))
CRASH_ROUNDS = max(1, int(env_float("STRATA_WAL_CRASH_ROUNDS", 1)))
# Tolerance of PTTL comparisons across a restart, on top of the measured elapsed time (the
# server's millisecond rounding and its per-loop-iteration clock).
PTTL_SLACK_MS = 60




def wal_files(data_dir):
    """(segments {lsn: name}, bases {lsn: name}, other names) in dir/appendonlydir."""
    d = os.path.join(data_dir, APPENDDIR)
    segs, bases, other = {}, {}, []
    for name in sorted(os.listdir(d)):
        m = SEGMENT_RE.match(name)
        b = BASE_RE.match(name)
        if m:
            segs[int(m.group(1))] = name
        elif b:
            bases[int(b.group(1))] = name
        else:
            other.append(name)
    return segs, bases, other


# ------------------------------------------------------------------------------------------------
# Whole-keyspace snapshots


STREAM_GROUPS = ("workers", "audit", "g")  # the groups the round trip creates


def stream_groups(conn, key):
    """What XPENDING says of the round trip's groups on key (idle times aside: they move)."""
    out = {}
    for g in STREAM_GROUPS:
        raw, summary = conn.call("XPENDING", key, g)
        if raw.startswith(b"-NOGROUP"):
            continue
        rows = conn.cmd("XPENDING", key, g, "-", "+", 100000)
        out[g] = (summary, [(r[0], r[1], r[3]) for r in rows])
    return out


def snapshot(conn, exclude=()):
    """{(db, key): (type, contents, pttl, t_before, t_after)} over every database, where the
    t_* bracket the PTTL query (time.monotonic()). Leaves the connection on db 0."""
    ndb = int(conn.cmd("CONFIG", "GET", "databases")[1])
    state = {}
    for db in range(ndb):
        conn.cmd("SELECT", db)
        for key in sorted(conn.cmd("KEYS", "*")):
            if key in exclude:
                continue
            t = conn.cmd("TYPE", key)
            if t == "string":
                val = conn.cmd("GET", key)
            elif t == "list":
                val = conn.cmd("LRANGE", key, 0, -1)
            elif t == "hash":
                flat = conn.cmd("HGETALL", key)
                val = sorted(zip(flat[0::2], flat[1::2]))
            elif t == "set":
                val = sorted(conn.cmd("SMEMBERS", key))
            elif t == "zset":
                val = conn.cmd("ZRANGE", key, 0, -1, "WITHSCORES")
            elif t == "stream":
                val = (conn.cmd("XLEN", key), conn.cmd("XRANGE", key, "-", "+"), stream_groups(conn, key))
            else:
                val = ("unexpected type", t)
            t0 = time.monotonic()
            pttl = conn.cmd("PTTL", key)
            t1 = time.monotonic()
            state[(db, key)] = (str(t), val, pttl, t0, t1)
    conn.cmd("SELECT", 0)
    return state


def assert_same_state(tc, before, after, what=""):
    """Same keys, types and contents; PTTLs consistent with the time that passed between the two
    queries (an expiry replayed with the original clock keeps counting down across a restart)."""
    only_before = sorted(set(before) - set(after))
    only_after = sorted(set(after) - set(before))
    tc.assertEqual((only_before, only_after), ([], []),
                   "%skeys differ after restart: (missing, extra)" % what)
    bad = []
    for k in sorted(before):
        tb, vb, pb, b0, b1 = before[k]
        ta, va, pa, a0, a1 = after[k]
        if (tb, vb) != (ta, va):
            bad.append("%r: before %r %r, after %r %r" % (k, tb, vb, ta, va))
            continue
        if (pb < 0) != (pa < 0) or (pb < 0 and pb != pa):
            bad.append("%r: PTTL before %d, after %d" % (k, pb, pa))
            continue
        if pb >= 0:
            # expire_at - now: the change lies in [-(a1 - b0), -(a0 - b1)] (ms).
            lo = pb - (a1 - b0) * 1000 - PTTL_SLACK_MS
            hi = pb - (a0 - b1) * 1000 + PTTL_SLACK_MS
            if not lo <= pa <= hi:
                bad.append("%r: PTTL before %d, after %d, expected within [%d, %d]"
                           % (k, pb, pa, lo, hi))
    tc.assertEqual(bad, [], "%sstate differs after restart" % what)


# ------------------------------------------------------------------------------------------------


class WalTestBase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        super().setUp()
        self.data_dir = tempfile.mkdtemp(prefix="strata-it-wal-")
        self.addCleanup(shutil.rmtree, self.data_dir, True)
        self.servers = []

    def start(self, extra_args=()):
        srv = WalServer(self.data_dir, extra_args=extra_args)
        self.addCleanup(srv.stop)      # by pid; a no-op once it exited
        srv.start()
        self.servers.append(srv)
        return srv

    def logs(self):
        out = []
        for s in self.servers:
            out.append("--- %s ---\n%s" % (os.path.basename(s.log_path), s.log_tail(15)))
        return "\n".join(out)

    def conn(self, srv, timeout=10.0):
        c = srv.connect(timeout=timeout)
        self.addCleanup(c.close)
        return c

    def wait_rewrite_done(self, c, timeout=30.0):
        ok = poll_until(lambda: info(c)["aof_rewrite_in_progress"] == "0", timeout, 0.02)
        self.assertTrue(ok, "rewrite still in progress after %.0fs\n%s" % (timeout, self.logs()))

    def check_rewritten_dir(self, what=""):
        """Exactly one .base; every segment starts after its LSN; no .tmp left."""
        segs, bases, other = wal_files(self.data_dir)
        self.assertEqual(len(bases), 1, "%sbases: %r, segments %r" % (what, bases, segs))
        base_lsn = next(iter(bases))
        stale = [n for lsn, n in segs.items() if lsn <= base_lsn]
        self.assertEqual(stale, [], "%ssegments at or below the base LSN %d remain (all: %r)"
                         % (what, base_lsn, sorted(segs.values())))
        self.assertEqual([n for n in other if n.endswith(".tmp")], [], what + "tmp files left")
        with open(os.path.join(self.data_dir, APPENDDIR, bases[base_lsn]), "rb") as f:
            hdr = f.read(16)
        self.assertEqual(hdr[:8], b"STRWAL1B")
        self.assertEqual(int.from_bytes(hdr[8:16], "little"), base_lsn,
                         "base header LSN differs from its name")
        return base_lsn, segs


# ------------------------------------------------------------------------------------------------
# 1. Restart round trip


@STRATA_ONLY
class WalRoundTripTest(WalTestBase):
    def build_state(self, srv, c):
        """Writes a state touching every type and keyspace operation. Returns {key: (monotonic
        time before the SET, time of its reply)} for the keys whose TTL is checked separately."""
        marks = {}
        ok = lambda *a: self.assertEqual(c.cmd(*a), "OK", a)  # noqa: E731

        # Strings
        t0 = time.monotonic()
        ok("SET", "s:ex100", "v", "EX", "100")
        marks["s:ex100"] = (t0, time.monotonic())
        ok("SET", "s:plain", "hello")
        ok("SET", "s:px", "v", "PX", "200000")
        ok("SET", "s:float", "10.5")
        for d in ("0.1", "0.1", "-3.25", "1e3"):
            c.cmd("INCRBYFLOAT", "s:float", d)
        ok("SET", "s:floatttl", "1", "EX", "500")
        self.assertEqual(c.cmd("INCRBYFLOAT", "s:floatttl", "2.5"), b"3.5")
        self.assertEqual(c.cmd("APPEND", "s:app", "abc"), 3)
        self.assertEqual(c.cmd("APPEND", "s:app", "def"), 6)
        ok("SET", "s:range", "Hello World")
        c.cmd("SETRANGE", "s:range", 6, "Redis")
        c.cmd("SETRANGE", "s:pad", 5, "x")            # zero padding, new key
        ok("SET", "s:bin", b"\x00\r\n\xff*3\r\n")
        for _ in range(5):
            c.cmd("INCR", "s:ctr")
        c.cmd("DECRBY", "s:ctr", 2)
        ok("SET", "s:del1", "x")
        ok("SET", "s:del2", "x")
        self.assertEqual(c.cmd("DEL", "s:del1", "s:del2", "s:nosuch"), 2)
        ok("SET", "s:persist", "v")
        self.assertEqual(c.cmd("EXPIRE", "s:persist", 1000), 1)
        self.assertEqual(c.cmd("PERSIST", "s:persist"), 1)
        ok("SET", "s:getex", "v")
        c.cmd("GETEX", "s:getex", "PX", "300000")
        ok("SET", "s:getdel", "v")
        c.cmd("GETDEL", "s:getdel")
        ok("SET", "s:keepttl", "a", "EX", "600")
        ok("SET", "s:keepttl", "b", "KEEPTTL")
        ok("SET", "s:dropttl", "a", "EX", "600")
        ok("SET", "s:dropttl", "b")                       # plain SET clears the TTL
        c.cmd("MSET", "s:m1", "1", "s:m2", "2")

        # Lists
        c.cmd("RPUSH", "l:a", *[str(i) for i in range(1, 11)])
        self.assertEqual(c.cmd("LPOP", "l:a"), b"1")
        self.assertEqual(c.cmd("LPOP", "l:a", 2), [b"2", b"3"])
        c.cmd("LINSERT", "l:a", "BEFORE", "5", "x")
        c.cmd("LINSERT", "l:a", "AFTER", "9", "y")
        c.cmd("LMOVE", "l:a", "l:b", "LEFT", "RIGHT")
        c.cmd("LMOVE", "l:a", "l:b", "RIGHT", "LEFT")
        c.cmd("LMOVE", "l:a", "l:a", "RIGHT", "LEFT")   # rotation
        c.cmd("RPOP", "l:b")
        c.cmd("LPUSH", "l:ttl", "a", "b")
        c.cmd("EXPIRE", "l:ttl", 300)
        c.cmd("RPUSH", "l:gone", "only")
        c.cmd("LPOP", "l:gone")                          # emptied: key deleted

        # Hashes
        c.cmd("HSET", "h:a", "f1", "v1", "f2", "v2", "f3", "1.5")
        c.cmd("HINCRBYFLOAT", "h:a", "f3", "2.25")
        c.cmd("HINCRBYFLOAT", "h:a", "fnew", "-0.5")
        c.cmd("HINCRBY", "h:a", "cnt", 7)
        self.assertEqual(c.cmd("HDEL", "h:a", "f1"), 1)
        c.cmd("HSET", "h:gone", "x", "1")
        c.cmd("HDEL", "h:gone", "x")
        c.cmd("HSET", "h:ttl", "f", "v")
        c.cmd("PEXPIRE", "h:ttl", 250000)

        # Sets (SPOP is random: the log must carry what was actually popped)
        c.cmd("SADD", "st:a", *["m%d" % i for i in range(20)])
        c.cmd("SPOP", "st:a")
        self.assertEqual(len(c.cmd("SPOP", "st:a", 3)), 3)
        c.cmd("SREM", "st:a", "m0", "m1", "m2")
        c.cmd("SADD", "st:b", "x", "y")
        c.cmd("SPOP", "st:b", 5)                          # pops all: key deleted
        c.cmd("SADD", "st:c", "only")
        c.cmd("SPOP", "st:c")
        c.cmd("SADD", "st:int", "1", "2", "3", "100")
        c.cmd("SPOP", "st:int")

        # Sorted sets
        c.cmd("ZADD", "z:a", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e", 6, "f")
        c.cmd("ZINCRBY", "z:a", 10, "a")
        c.cmd("ZINCRBY", "z:a", "0.5", "new")
        c.cmd("ZPOPMIN", "z:a")
        c.cmd("ZPOPMIN", "z:a", 2)
        c.cmd("ZADD", "z:b", 1, "b", 7, "x", "-inf", "lo", "+inf", "hi")
        c.cmd("ZADD", "z:b", "0.1", "tenth", "1.0000000000000002", "eps")
        c.cmd("ZUNIONSTORE", "z:u", 2, "z:a", "z:b", "WEIGHTS", 1, 3, "AGGREGATE", "MAX")
        c.cmd("ZREM", "z:b", "x")

        # Keyspace: RENAME, COPY, MOVE, databases
        c.cmd("SET", "k:old", "renamed-value")
        ok("RENAME", "k:old", "k:new")
        c.cmd("RPUSH", "k:src", "a", "b", "c")
        self.assertEqual(c.cmd("COPY", "k:src", "k:copy"), 1)
        c.cmd("RPUSH", "k:src", "d")                       # the copy is independent
        self.assertEqual(c.cmd("COPY", "z:a", "z:a-in3", "DB", 3), 1)
        c.cmd("SET", "k:mv", "moved")
        self.assertEqual(c.cmd("MOVE", "k:mv", 3), 1)
        c.cmd("SET", "k:ttlrename", "v", "PX", "400000")
        ok("RENAME", "k:ttlrename", "k:ttlrenamed")
        ok("SELECT", 3)
        ok("SET", "s:plain", "db3 value")                  # same name, other db
        c.cmd("RPUSH", "d3:l", "a", "b")
        c.cmd("HSET", "d3:h", "f", "v")
        c.cmd("SADD", "d3:s", "m")
        c.cmd("SET", "d3:ttl", "v", "EX", "700")
        ok("SELECT", 5)
        c.cmd("SET", "d5:a", "1")
        c.cmd("RPUSH", "d5:l", "x")
        ok("FLUSHDB")
        c.cmd("SET", "d5:after", "flush")
        ok("SELECT", 7)
        c.cmd("SET", "d7:a", "1")
        c.cmd("HSET", "d7:h", "f", "v")
        ok("FLUSHDB")                                      # db 7 stays empty
        ok("SELECT", 0)

        # Transactions: one record with several commands, SELECT inside
        ok("MULTI")
        for cmd in (("SET", "tx:a", "1"), ("INCR", "tx:a"), ("RPUSH", "tx:l", "a", "b"),
                    ("HSET", "tx:h", "f", "v"), ("EXPIRE", "tx:l", 400), ("SELECT", 3),
                    ("SET", "tx:in3", "v"), ("SELECT", 0), ("DEL", "s:m2")):
            self.assertEqual(c.cmd(*cmd), "QUEUED", cmd)
        res = c.cmd("EXEC")
        self.assertEqual(len(res), 9, res)
        ok("MULTI")
        c.cmd("SET", "tx:discarded", "v")
        ok("DISCARD")
        w = self.conn(srv)
        w.cmd("WATCH", "tx:a")
        c.cmd("INCR", "tx:a")
        w.cmd("MULTI")
        w.cmd("SET", "tx:aborted", "v")
        self.assertIsNone(w.cmd("EXEC"))                   # aborted: nothing logged

        # A blocked BLPOP served by a later RPUSH from another client
        b = self.conn(srv)
        b.send("BLPOP", "bl:list", "bl:other", 10)
        self.assertTrue(poll_until(lambda: info_int(c, "blocked_clients", "clients") >= 1,
                                   5.0, 0.01), "BLPOP did not block")
        self.assertEqual(c.cmd("RPUSH", "bl:list", "first", "second"), 2)
        self.assertEqual(b.read_reply()[1], [b"bl:list", b"first"])
        b.send("BLMOVE", "bl:src", "bl:dst", "LEFT", "RIGHT", 10)
        self.assertTrue(poll_until(lambda: info_int(c, "blocked_clients", "clients") >= 1,
                                   5.0, 0.01), "BLMOVE did not block")
        c.cmd("LPUSH", "bl:src", "p", "q")
        self.assertEqual(b.read_reply()[1], b"q")
        return marks

    def build_more(self, srv, c):
        """More write commands, big values (records beyond the in-place path, rewrite chunks of
        512 elements and 256 KB) and a blocked BZPOPMIN."""
        now_s = int(time.time())
        c.cmd("SETEX", "x:setex", 800, "v")
        c.cmd("PSETEX", "x:psetex", 800000, "v")
        c.cmd("SET", "x:gs", "old")
        self.assertEqual(c.cmd("GETSET", "x:gs", "new"), b"old")
        self.assertEqual(c.cmd("SET", "x:gs", "newer", "GET"), b"new")
        self.assertEqual(c.cmd("SETNX", "x:gs", "nope"), 0)
        self.assertEqual(c.cmd("MSETNX", "x:mn1", "a", "x:mn2", "b"), 1)
        c.cmd("INCRBY", "x:n", 40)
        c.cmd("DECR", "x:n")
        c.cmd("SET", "x:empty", "")
        c.cmd("SET", "x:at", "v")
        c.cmd("EXPIREAT", "x:at", now_s + 1000)
        c.cmd("SET", "x:pat", "v")
        c.cmd("PEXPIREAT", "x:pat", (now_s + 1200) * 1000 + 123)
        c.cmd("SET", "x:neg", "v")
        c.cmd("EXPIRE", "x:neg", -1)                       # deletes the key
        c.cmd("SET", "x:gep", "v", "EX", 900)
        c.cmd("GETEX", "x:gep", "PERSIST")
        c.cmd("SET", "x:rnx", "v")
        self.assertEqual(c.cmd("RENAMENX", "x:rnx", "x:rnx2"), 1)
        c.cmd("SET", "x:unl", "v")
        c.cmd("UNLINK", "x:unl")
        c.cmd("SET", "x:big", "B" * 300000)               # one record > 256 KB
        c.cmd("APPEND", "x:big", "tail")
        # Lists
        c.cmd("RPUSH", "x:l", *["e%d" % i for i in range(2000)])
        c.cmd("LSET", "x:l", 5, "five")
        c.cmd("LREM", "x:l", 0, "e7")
        c.cmd("LTRIM", "x:l", 1, 1500)
        c.cmd("RPOPLPUSH", "x:l", "x:l2")
        c.cmd("LPUSHX", "x:l2", "head")
        c.cmd("RPUSHX", "x:nolist", "x")                  # no key: nothing
        c.cmd("LMPOP", 2, "x:nolist", "x:l", "RIGHT", "COUNT", 3)
        # Hashes
        c.cmd("HSET", "x:h", *[x for i in range(1500) for x in ("f%d" % i, "v%d" % i)])
        c.cmd("HSETNX", "x:h", "f1", "no")
        c.cmd("HSETNX", "x:h", "fresh", "yes")
        c.cmd("HMSET", "x:h2", "a", "1", "b", "2")
        c.cmd("HDEL", "x:h2", "a", "b")                    # key gone
        c.cmd("PEXPIRE", "x:h", 700000)
        # Sets
        c.cmd("SADD", "x:s1", *["m%d" % i for i in range(1200)])
        c.cmd("SADD", "x:s2", "m1", "m2", "other")
        c.cmd("SMOVE", "x:s2", "x:s3", "other")
        c.cmd("SINTERSTORE", "x:si", "x:s1", "x:s2")
        c.cmd("SUNIONSTORE", "x:su", "x:s2", "x:s3")
        c.cmd("SDIFFSTORE", "x:sd", "x:s1", "x:s2")
        c.cmd("SADD", "x:ints", *range(0, 1000, 7))
        c.cmd("SPOP", "x:ints", 50)
        c.cmd("EXPIRE", "x:sd", 650)
        # Sorted sets
        c.cmd("ZADD", "x:z", *[x for i in range(1100) for x in (i * 0.5, "z%d" % i)])
        c.cmd("ZADD", "x:z", "NX", 1000, "z1", 1000, "znew")
        c.cmd("ZADD", "x:z", "XX", "CH", 2000, "z2", 2000, "znope")
        c.cmd("ZADD", "x:z", "GT", 0, "z3", 5000, "z4")
        c.cmd("ZADD", "x:z", "INCR", "0.25", "z5")
        c.cmd("ZREMRANGEBYSCORE", "x:z", 10, 20)
        c.cmd("ZREMRANGEBYRANK", "x:z", 0, 2)
        c.cmd("ZRANGESTORE", "x:zr", "x:z", 0, 9)
        c.cmd("ZADD", "x:lex", 0, "a", 0, "b", 0, "c", 0, "d")
        c.cmd("ZREMRANGEBYLEX", "x:lex", "[b", "[c")
        c.cmd("ZINTERSTORE", "x:zi", 2, "x:z", "x:zr", "AGGREGATE", "SUM")
        c.cmd("ZDIFFSTORE", "x:zd", 2, "x:zr", "x:lex")
        c.cmd("ZPOPMAX", "x:zr", 2)
        c.cmd("ZMPOP", 1, "x:zr", "MIN", "COUNT", 2)
        c.cmd("PEXPIRE", "x:zi", 720000)
        # Streams: "*" IDs (the log holds the concrete ones), deletions, an approximate trim (the
        # log holds the exact effect), an empty stream that remembers its last ID.
        c.cmd("XADD", "x:st", "1-1", "a", "1")
        for i in range(300):
            c.cmd("XADD", "x:st", "*", "f", i)
        c.cmd("XDEL", "x:st", "1-1")
        c.cmd("XTRIM", "x:st", "MAXLEN", "~", 150)
        c.cmd("XADD", "x:st", "MAXLEN", "=", 120, "*", "g", "h")
        c.cmd("XADD", "x:st2", "5-5", "a", "b")
        c.cmd("XDEL", "x:st2", "5-5")
        c.cmd("XSETID", "x:st2", "9-9", "ENTRIESADDED", 7, "MAXDELETEDID", "5-5")
        # Consumer groups: deliveries (the log holds them as XCLAIMs), acks, claims, a consumer
        # created without deliveries, one deleted, a NOACK read.
        c.cmd("XGROUP", "CREATE", "x:st", "workers", "0")
        c.cmd("XGROUP", "CREATE", "x:st", "audit", "$")
        c.cmd("XREADGROUP", "GROUP", "workers", "w1", "COUNT", 20, "STREAMS", "x:st", ">")
        c.cmd("XREADGROUP", "GROUP", "workers", "w2", "COUNT", 10, "STREAMS", "x:st", ">")
        c.cmd("XREADGROUP", "GROUP", "workers", "w3", "COUNT", 5, "NOACK", "STREAMS", "x:st", ">")
        c.cmd("XREADGROUP", "GROUP", "workers", "w1", "STREAMS", "x:st", "0")  # history: counts
        pend = c.cmd("XPENDING", "x:st", "workers", "-", "+", 100)
        c.cmd("XACK", "x:st", "workers", *[p[0] for p in pend[:7]])
        c.cmd("XCLAIM", "x:st", "workers", "w4", 0, pend[8][0], pend[9][0])
        c.cmd("XAUTOCLAIM", "x:st", "workers", "w5", 0, pend[20][0], "COUNT", 3)
        c.cmd("XGROUP", "CREATECONSUMER", "x:st", "workers", "idle")
        c.cmd("XGROUP", "DELCONSUMER", "x:st", "workers", "w2")
        c.cmd("XGROUP", "CREATE", "x:st2", "g", "$")
        # A blocked BZPOPMIN served by a ZADD
        b = self.conn(srv)
        b.send("BZPOPMIN", "x:bz", 10)
        self.assertTrue(poll_until(lambda: info_int(c, "blocked_clients", "clients") >= 1,
                                   5.0, 0.01), "BZPOPMIN did not block")
        c.cmd("ZADD", "x:bz", 2, "two", 1, "one")
        self.assertEqual(b.read_reply()[1], [b"x:bz", b"one", b"1"])

    def round_trip(self, policy, stop_how, rewrite=False):
        srv = self.start(["--appendfsync", policy])
        c = self.conn(srv)
        self.assertEqual(info(c)["aof_enabled"], "1")
        marks = self.build_state(srv, c)
        self.build_more(srv, c)
        if rewrite:
            # The state goes through a base; later writes stay in segments on top of it.
            c.cmd("SET", "rw:gone-by-base", "v", "PX", 1)
            self.assertEqual(c.cmd("BGREWRITEAOF"),
                             "Background append only file rewriting started")
            self.wait_rewrite_done(c)
            self.assertEqual(info(c)["aof_last_bgrewrite_status"], "ok", self.logs())
            self.check_rewritten_dir("[round trip] ")
            c.cmd("INCR", "s:ctr")
            c.cmd("RPUSH", "x:l", "after-base")
            c.cmd("HSET", "h:a", "after", "base")
            c.cmd("SPOP", "x:s1", 3)
            c.cmd("ZINCRBY", "x:z", 3, "z500")
            c.cmd("DEL", "x:big")
            c.cmd("EXPIRE", "s:plain", 999)
            c.cmd("XADD", "x:st", "*", "after", "base")
            c.cmd("XREADGROUP", "GROUP", "workers", "w9", "COUNT", 2, "STREAMS", "x:st", ">")
        # A key that expires 2 s after it was written, whatever the restart does.
        t0 = time.monotonic()
        c.cmd("SET", "s:ex2", "short", "EX", 2)
        t_ex2 = time.monotonic()
        before = snapshot(c, exclude={b"s:ex2"})
        self.assertGreater(len(before), 40)
        self.assertTrue(before[(0, b"s:float")][1].startswith(b"1007.4"), before[(0, b"s:float")])
        self.assertEqual(before[(0, b"l:a")][1],
                         [b"y", b"x", b"5", b"6", b"7", b"8", b"9"], "list ops")
        self.assertEqual(before[(0, b"l:b")][1], [b"10"], "list ops")
        self.assertNotIn((5, b"d5:a"), before)
        self.assertEqual(before[(0, b"s:persist")][2], -1)
        last_lsn = info_int(c, "wal_last_lsn")
        self.assertGreater(last_lsn, 100)
        # Every one-key write was logged while its shard was still locked (not after it).
        c.close()

        rc = srv.shutdown_cmd() if stop_how == "shutdown" else srv.sigterm()
        self.assertEqual(rc, 0, "exit code of a clean stop\n" + self.logs())
        # Not an assertion: puts 0.3 s between the logged clocks and the replay's, so a TTL
        # restarted at load time shows (PTTL_SLACK_MS is well below it).
        time.sleep(0.3)
        srv2 = self.start(["--appendfsync", policy])
        c2 = self.conn(srv2)
        if not rewrite:
            self.assertEqual(info_int(c2, "wal_loaded_records"), last_lsn,
                             "every logged record replayed")
        self.assertEqual(info_int(c2, "wal_load_errors"), 0)

        # s:ex2: expires 2 s after its SET, not 2 s after the replay.
        tq = time.monotonic()
        left = c2.cmd("PTTL", "s:ex2")
        if left >= 0:
            self.assertLessEqual(left, 2000 - (tq - t_ex2) * 1000 + PTTL_SLACK_MS,
                                 "s:ex2 TTL restarted at load time")
        gone = poll_until(lambda: c2.cmd("EXISTS", "s:ex2") == 0,
                          max(0.1, t0 + 2.0 + 1.0 - time.monotonic()), 0.02)
        self.assertTrue(gone, "s:ex2 (EX 2) still there 3 s after it was set")

        # s:ex100: TTL <= 100 and > 90, and no more than what is left of the original 100 s.
        ttl = c2.cmd("TTL", "s:ex100")
        self.assertTrue(90 < ttl <= 100, ttl)
        tq = time.monotonic()
        pttl = c2.cmd("PTTL", "s:ex100")
        self.assertLessEqual(pttl, 100000 - (tq - marks["s:ex100"][1]) * 1000 + PTTL_SLACK_MS)

        after = snapshot(c2, exclude={b"s:ex2"})
        assert_same_state(self, before, after, "[%s/%s] " % (policy, stop_how))

        # A second restart (the log now holds two runs) loads the same state.
        c2.close()
        self.assertEqual(srv2.sigterm(), 0)
        srv3 = self.start(["--appendfsync", policy])
        c3 = self.conn(srv3)
        after2 = snapshot(c3, exclude={b"s:ex2"})
        assert_same_state(self, before, after2, "[%s/%s, second restart] " % (policy, stop_how))
        # The empty stream kept its last ID through the log (and the rewrite's XSETID).
        raw, _ = c3.call("XADD", "x:st2", "9-9", "a", "b")
        self.assertTrue(raw.startswith(b"-ERR The ID specified in XADD is equal or smaller"), raw)
        self.assertEqual(c3.cmd("XADD", "x:st2", "9-10", "a", "b"), b"9-10")

    def test_round_trip_always(self):
        self.round_trip("always", "shutdown")

    def test_round_trip_everysec(self):
        self.round_trip("everysec", "sigterm")

    def test_round_trip_no(self):
        self.round_trip("no", "shutdown")

    def test_round_trip_through_rewrite(self):
        self.round_trip("everysec", "sigterm", rewrite=True)


# ------------------------------------------------------------------------------------------------
# 2./3. SIGKILL under load


class Op:
    __slots__ = ("seq", "kind", "key", "arg", "t_ack")

    def __init__(self, seq, kind, key, arg):
        self.seq, self.kind, self.key, self.arg = seq, kind, key, arg
        self.t_ack = None      # monotonic time the reply arrived; None: in flight


class History:
    """What one writer sent that the server (still) holds, carried across kill/restart rounds."""

    def __init__(self):
        self.ops = []          # in send order; "shared" ops only for the current round
        self.next_seq = 0


class Writer(threading.Thread):
    """One connection writing SET / INCR / RPUSH on keys only it touches (plus INCR on a shared
    counter), one command at a time, recording each op and when its reply arrived."""

    N_KEYS = 16
    N_CTRS = 8

    def __init__(self, tid, hist, port):
        super().__init__(daemon=True)
        self.tid = tid
        self.hist = hist
        self.port = port
        self.error = None
        self.acked_now = 0

    def next_op(self, seq):
        t = self.tid
        r = seq % 7
        if r in (0, 3):
            op = Op(seq, "set", "w%d:k%d" % (t, seq % self.N_KEYS), "v%d:%d" % (t, seq))
            return op, ("SET", op.key, op.arg)
        if r in (1, 4):
            op = Op(seq, "incr", "w%d:c%d" % (t, seq % self.N_CTRS), None)
            return op, ("INCR", op.key)
        if r == 6:
            op = Op(seq, "shared", "ctr:shared", None)
            return op, ("INCR", op.key)
        op = Op(seq, "rpush", "w%d:list" % t, "i%d:%d" % (t, seq))
        return op, ("RPUSH", op.key, op.arg)

    def run(self):
        try:
            conn = harness.RespConnection(harness.HOST, self.port, timeout=15.0)
        except OSError as e:
            self.error = e
            return
        try:
            while True:     # until the server dies
                op, args = self.next_op(self.hist.next_seq)
                self.hist.next_seq += 1
                self.hist.ops.append(op)
                conn.send(*args)
                _, reply = conn.read_reply()
                if isinstance(reply, RespError):
                    raise reply
                if op.kind == "shared":
                    op.arg = reply
                op.t_ack = time.monotonic()
                self.acked_now += 1
        except (OSError, ConnectionError):
            pass            # the server died: the last op stays in flight (t_ack None)
        except Exception as e:  # noqa: BLE001 (reported by the test)
            self.error = e
        finally:
            conn.close()


def kill9_and_join(test, srv, writers):
    """SIGKILLs the server under the writers' load, waits for every writer to notice, and
    returns how many writes were acknowledged in all (asserting enough load to mean anything)."""
    srv.kill9()
    for w in writers:
        w.join(15.0)
        test.assertFalse(w.is_alive(), "writer did not notice the crash")
        test.assertIsNone(w.error, "writer %d: %r" % (w.tid, w.error))
    acked = sum(w.acked_now for w in writers)
    test.assertGreater(acked, 200, "too little load to mean anything")
    return acked


def check_recovered(c, writers, cutoff, shared_base):
    """Checks the recovered keyspace against the writers' histories; returns (problems, number
    of acknowledged writes lost, number acknowledged after the cutoff, the shared counter now).

    Per writer, the recovered state must be the effect of a prefix of its ops (one connection's
    commands are logged in order): for every key, the last op applied is the last op on that key
    at or before one point S of the writer's history. Every op acknowledged at or before `cutoff`
    (None: every acknowledged op) must lie within S. Afterwards each history is trimmed to what
    the server holds (ops past S dropped, an in-flight op within S kept), so rounds chain."""
    problems = []
    lost = 0
    recent = 0
    shared_ops = [op for w in writers for op in w.hist.ops if op.kind == "shared"]
    acked_in = lambda op: op.t_ack is not None and (cutoff is None  # noqa: E731
                                                     or op.t_ack <= cutoff)
    for w in writers:
        ops = [op for op in w.hist.ops if op.kind != "shared"]
        per_key = {}
        for op in ops:
            per_key.setdefault(op.key, []).append(op)
        applied = {}      # key -> seq of the last applied op on it (-1: none)
        for key, kops in per_key.items():
            kind = kops[0].kind
            if kind == "set":
                v = c.cmd("GET", key)
                hit = [op for op in kops if v is not None and op.arg == v.decode()]
                if v is not None and not hit:
                    problems.append("%s = %r: a value never written to it" % (key, v))
                    continue
                applied[key] = hit[0].seq if hit else -1
            elif kind == "incr":
                v = c.cmd("GET", key)
                n = int(v) if v is not None else 0
                if n > len(kops):
                    problems.append("%s = %d, but only %d INCRs were sent" % (key, n, len(kops)))
                    continue
                applied[key] = kops[n - 1].seq if n else -1
            else:
                got = [x.decode() for x in c.cmd("LRANGE", key, 0, -1)]
                sent = [op.arg for op in kops]
                if got != sent[:len(got)]:
                    diff = next((i for i, g in enumerate(got) if i >= len(sent) or g != sent[i]))
                    problems.append("%s: %d items, not a prefix of the %d sent; first difference "
                                    "at index %d: %r" % (key, len(got), len(sent), diff, got[diff]))
                    continue
                applied[key] = kops[len(got) - 1].seq if got else -1
        if len(applied) != len(per_key):
            continue
        s = max(applied.values(), default=-1)
        for key, kops in per_key.items():
            expect = max([op.seq for op in kops if op.seq <= s], default=-1)
            if applied[key] != expect:
                problems.append("writer %d: %s holds op #%d, but the writer's prefix up to #%d "
                                "ends with op #%d on it (a hole in the recovered log)"
                                % (w.tid, key, applied[key], s, expect))
        missing = [op for op in ops if acked_in(op) and op.seq > s]
        if missing:
            op = missing[0]
            problems.append("writer %d: %d acknowledged write(s) lost, the first #%d %s %s %r "
                            "(the recovered prefix ends at #%d)"
                            % (w.tid, len(missing), op.seq, op.kind, op.key, op.arg, s))
        lost += sum(1 for op in ops if op.t_ack is not None and op.seq > s)
        recent += sum(1 for op in ops if op.t_ack is not None and not acked_in(op))
        # Trim: the server holds exactly the ops up to s (shared INCRs are settled below).
        w.hist.ops = [op for op in ops if op.seq <= s]
        for op in w.hist.ops:
            if op.t_ack is None:
                op.t_ack = 0.0          # was in flight and made it: settled, old
    # The shared counter: only bounds (the writers' INCRs on it interleave).
    v = c.cmd("GET", "ctr:shared")
    value = int(v) if v is not None else 0
    acked = [op for op in shared_ops if op.t_ack is not None]
    must = [op for op in acked if acked_in(op)]
    inflight = len(shared_ops) - len(acked)
    low = max([shared_base + len(must)] + [op.arg for op in must])
    high = shared_base + len(acked) + inflight
    if not low <= value <= high:
        problems.append("ctr:shared = %d, expected within [%d, %d] (start %d, %d acknowledged "
                        "INCRs, %d of them before the cutoff, %d in flight)"
                        % (value, low, high, shared_base, len(acked), len(must), inflight))
    lost += max(0, shared_base + len(acked) - value)
    return problems, lost, recent, value


@STRATA_ONLY
class WalCrashTest(WalTestBase):
    N_WRITERS = 4

    def crash_rounds(self, policy, load_seconds, cutoff_age, extra_args=(), rewrites=False):
        """Rounds of: start, load, SIGKILL mid-load, restart, check. cutoff_age None: every
        acknowledged write must survive; else those acknowledged that long before the kill."""
        hists = [History() for _ in range(self.N_WRITERS)]
        shared = 0
        losses = []
        for rnd in range(CRASH_ROUNDS):
            srv = self.start(["--appendfsync", policy] + list(extra_args))
            writers = [Writer(i, hists[i], srv.port) for i in range(self.N_WRITERS)]
            for w in writers:
                w.start()
            self.assertTrue(poll_until(lambda: all(w.acked_now > 20 for w in writers), 10.0,
                                       0.01), "writers made no progress\n" + self.logs())
            time.sleep(load_seconds)                    # the load runs (not an assertion)
            counts = [w.acked_now for w in writers]
            self.assertTrue(poll_until(lambda: all(w.acked_now > n for w, n in
                                                   zip(writers, counts)), 5.0, 0.002),
                            "writers stalled before the kill")
            if rewrites:
                with srv.connect() as ic:
                    self.assertTrue(poll_until(lambda: info_int(ic, "aof_rewrites") >= 2, 10.0,
                                               0.01), "no automatic rewrites under the load")
            t_kill = time.monotonic()
            acked = kill9_and_join(self, srv, writers)

            srv2 = self.start(["--appendfsync", policy] + list(extra_args))
            c = self.conn(srv2)
            self.assertEqual(info_int(c, "wal_load_errors"), 0)
            cutoff = None if cutoff_age is None else t_kill - cutoff_age
            problems, lost, recent, shared = check_recovered(c, writers, cutoff, shared)
            self.assertEqual(problems, [], "[%s round %d, %d writes acknowledged] recovered "
                             "state\n%s" % (policy, rnd, acked, self.logs()))
            losses.append(lost)
            print("\n[%s round %d] %d writes acknowledged%s, %d acknowledged writes lost"
                  % (policy, rnd, acked, "" if cutoff_age is None else
                     " (%d in the last %.1f s before the kill)" % (recent, cutoff_age), lost),
                  flush=True)
            c.close()
            self.assertEqual(srv2.sigterm(), 0)
        return losses

    def test_crash_always_keeps_every_acknowledged_write(self):
        losses = self.crash_rounds("always", CRASH_SECONDS, None)
        self.assertEqual(losses, [0] * CRASH_ROUNDS)

    def test_crash_always_during_automatic_rewrites(self):
        # Automatic rewrites every few hundred KB: the kill may land in one, or between a base
        # and the segments after it.
        args = ["--auto-aof-rewrite-min-size", "256kb", "--auto-aof-rewrite-percentage", "20",
                "--wal-segment-size", "32kb"]
        losses = self.crash_rounds("always", CRASH_SECONDS, None, args, rewrites=True)
        self.assertEqual(losses, [0] * CRASH_ROUNDS)

    def test_crash_everysec_keeps_older_writes(self):
        # Writes acknowledged > 2.5 s before the kill must survive: load that long plus the knob.
        self.crash_rounds("everysec", CRASH_SECONDS + 2.5, 2.5)


# ------------------------------------------------------------------------------------------------
# 4.-6. Rewrites and segments


class BgWriters:
    """Threads on their own connections until stopped: `n` writing INCR on 200 counters, RPUSH
    and HSET (pipelined 8 at a time), one doing multi-key, cross-database and transactional
    writes (LMOVE, RENAME, SMOVE, MSET, MULTI/EXEC, ZUNIONSTORE, COPY ... DB, MOVE, FLUSHDB,
    SPOP), and one blocked in BLMOVE that the mixed writer's pushes keep serving."""

    def __init__(self, port, n=3):
        self.port = port
        self.stop_evt = threading.Event()
        self.errors = []
        self.sent = [0] * n
        self.mixed_cycles = 0
        self.served = 0
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(n)]
        self.threads.append(threading.Thread(target=self.run_mixed, daemon=True))
        self.threads.append(threading.Thread(target=self.run_blocked, daemon=True))

    def _pipeline(self, c, cmds):
        for cmd, (_, rep) in zip(cmds, c.pipeline(cmds)):
            if isinstance(rep, RespError):
                raise AssertionError("%r -> %r" % (cmd, rep))

    def run(self, i):
        try:
            with harness.RespConnection(harness.HOST, self.port, timeout=20.0) as c:
                seq = 0
                while not self.stop_evt.is_set():
                    cmds = []
                    for _ in range(8):
                        r = seq % 4
                        if r in (0, 1):
                            cmds.append(("INCR", "ctr:%d" % ((seq * 7 + i) % 200)))
                        elif r == 2:
                            cmds.append(("RPUSH", "list:%d" % (seq % 5), "%d:%d" % (i, seq)))
                        else:
                            cmds.append(("HSET", "hash:%d" % (seq % 3), "f%d" % (seq % 500),
                                         "%d:%d" % (i, seq)))
                        seq += 1
                    self._pipeline(c, cmds)
                    self.sent[i] = seq
        except Exception as e:  # noqa: BLE001
            self.errors.append(e)

    def run_mixed(self):
        try:
            with harness.RespConnection(harness.HOST, self.port, timeout=20.0) as c:
                self._pipeline(c, [("RPUSH", "mx:l1", *["e%d" % k for k in range(20)]),
                                   ("SET", "mx:r:a", 0),
                                   ("SADD", "mx:s1", *["m%d" % k for k in range(50)]),
                                   ("ZADD", "mx:z2", 1, "a", 2, "b")])
                i = 0
                while not self.stop_evt.is_set():
                    cmds = [("LMOVE", "mx:l1", "mx:l2", "LEFT", "RIGHT"),
                            ("RPOPLPUSH", "mx:l2", "mx:l1"),
                            ("INCR", "mx:r:a"), ("RENAME", "mx:r:a", "mx:r:b"),
                            ("RENAME", "mx:r:b", "mx:r:a"),
                            ("SMOVE", "mx:s1", "mx:s2", "m%d" % (i % 50)),
                            ("SADD", "mx:s1", "m%d" % ((i + 25) % 50)),
                            ("MSET", "mx:m1", i, "mx:m2", -i),
                            ("MULTI",), ("INCR", "mx:tx:a"), ("RPUSH", "mx:tx:l", i),
                            ("HINCRBY", "mx:tx:h", "f%d" % (i % 7), 1), ("EXEC",),
                            ("ZINCRBY", "mx:z1", 1, "m%d" % (i % 10)),
                            ("ZUNIONSTORE", "mx:zu", 2, "mx:z1", "mx:z2"),
                            ("COPY", "mx:tx:l", "mx:copy", "DB", 2, "REPLACE"),
                            ("SET", "mx:mv:%d" % i, i), ("MOVE", "mx:mv:%d" % i, 1),
                            ("SADD", "mx:sp", "x%d" % i, "y%d" % i), ("SPOP", "mx:sp"),
                            ("RPUSH", "mx:bq", "b%d" % i),
                            ("PEXPIRE", "mx:tx:h", 900000)]
                    if i % 10 == 0:
                        cmds += [("SELECT", 4), ("FLUSHDB",), ("RPUSH", "db4:l", i, i + 1),
                                 ("HSET", "db4:h", "f", i), ("SELECT", 0)]
                    self._pipeline(c, cmds)
                    i += 1
                    self.mixed_cycles = i
        except Exception as e:  # noqa: BLE001
            self.errors.append(e)

    def run_blocked(self):
        try:
            with harness.RespConnection(harness.HOST, self.port, timeout=20.0) as c:
                while not self.stop_evt.is_set():
                    _, rep = c.call("BLMOVE", "mx:bq", "mx:bdst", "LEFT", "RIGHT", "0.2")
                    if isinstance(rep, RespError):
                        raise rep
                    self.served += rep is not None
        except Exception as e:  # noqa: BLE001
            self.errors.append(e)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stop_evt.set()
        for t in self.threads:
            t.join(20.0)

    def __exit__(self, *exc):
        self.stop()
        return False


@STRATA_ONLY
class WalRewriteTest(WalTestBase):
    def bgrewrite(self, c, timeout=20.0):
        """Starts a rewrite (waiting out one already running). Returns 1 once it finished."""
        deadline = time.monotonic() + timeout
        while True:
            _, rep = c.call("BGREWRITEAOF")
            if rep == "Background append only file rewriting started":
                break
            self.assertEqual(rep, RespError("ERR Background append only file rewriting already "
                                            "in progress"))
            self.assertLess(time.monotonic(), deadline, "rewrite never became possible")
            self.wait_rewrite_done(c)
        self.wait_rewrite_done(c)
        self.assertEqual(info(c)["aof_last_bgrewrite_status"], "ok", self.logs())
        return 1

    def rewrite_under_load(self, policy, crash):
        srv = self.start(["--appendfsync", policy, "--wal-segment-size", "64kb"])
        c = self.conn(srv)
        # Enough data that a rewrite takes a while (~10+ ms) and overlaps the writers.
        for i in range(10):
            c.cmd("RPUSH", "big:%d" % i, *["item%d" % j for j in range(10000)])
        for i in range(10):
            c.cmd("HSET", "bigh:%d" % i, *[x for j in range(2000) for x in ("f%d" % j, "v" * 50)])
        rewrites0 = info_int(c, "aof_rewrites")
        cow0 = info_int(c, "wal_rewrite_cow_captures")
        started = refused = 0
        with BgWriters(srv.port) as bw:
            for i in range(4):
                lsn = info_int(c, "wal_last_lsn")
                self.assertTrue(poll_until(lambda: info_int(c, "wal_last_lsn") > lsn + 300,
                                           10.0, 0.01), "writers stalled: %r" % bw.errors)
                started += self.bgrewrite(c)
                # Two more back to back: the second meets the first still running (a rewrite
                # of this data set takes milliseconds), unless it was very quick.
                reps = [rep for _, rep in c.pipeline([("BGREWRITEAOF",), ("BGREWRITEAOF",)])]
                self.assertEqual(reps[0], "Background append only file rewriting started")
                started += 1
                if reps[1] == "Background append only file rewriting started":
                    started += 1
                else:
                    self.assertEqual(reps[1], RespError("ERR Background append only file "
                                                        "rewriting already in progress"))
                    refused += 1
                self.wait_rewrite_done(c)
                self.assertEqual(info(c)["aof_last_bgrewrite_status"], "ok", self.logs())
                base_lsn, _ = self.check_rewritten_dir("[rewrite %d under load] " % i)
                self.assertLessEqual(base_lsn, info_int(c, "wal_last_lsn"))
                self.assertTrue(all(t.is_alive() for t in bw.threads), bw.errors)
            self.assertTrue(poll_until(lambda: bw.served > 0, 5.0, 0.01), "BLMOVE never served")
        self.assertEqual(bw.errors, [])
        self.assertGreater(sum(bw.sent), 1000)
        st = info(c)
        self.assertEqual(int(st["aof_rewrites"]) - rewrites0, started)
        self.assertGreater(int(st["wal_rewrite_cow_captures"]), cow0,
                           "no write ever met a rewrite in progress")
        self.assertGreater(bw.mixed_cycles, 10)
        self.assertGreater(refused, 0, "a BGREWRITEAOF during a rewrite was never refused")
        self.assertEqual(st["aof_rewrite_in_progress"], "0")
        self.assertEqual(st["aof_last_write_status"], "ok")
        before = snapshot(c)
        # The 200 counters add up to the INCRs sent (2 of every 4 commands).
        total = sum(int(v[1]) for k, v in before.items() if k[1].startswith(b"ctr:"))
        self.assertEqual(total, sum((s + 3) // 4 + (s + 2) // 4 for s in bw.sent))
        last = info_int(c, "wal_last_lsn")
        if crash:
            if policy != "always":
                self.assertTrue(poll_until(lambda: info_int(c, "wal_durable_lsn") >= last,
                                           5.0, 0.01), "log never became durable")
            self.assertEqual(info_int(c, "wal_durable_lsn"), last)
            c.close()
            srv.kill9()
        else:
            c.close()
            self.assertEqual(srv.shutdown_cmd(), 0)
        srv2 = self.start(["--appendfsync", policy])
        c2 = self.conn(srv2)
        self.assertEqual(info_int(c2, "wal_load_errors"), 0)
        self.assertEqual(info_int(c2, "wal_last_lsn"), last, "LSNs continue where they were")
        after = snapshot(c2)
        assert_same_state(self, before, after, "[rewrite under load, %s] " % (
            "SIGKILL" if crash else "SHUTDOWN"))
        self.check_rewritten_dir("[after restart] ")

    def test_rewrite_under_load_shutdown(self):
        self.rewrite_under_load("everysec", crash=False)

    def test_rewrite_under_load_sigkill(self):
        self.rewrite_under_load("always", crash=True)

    def test_bgrewriteaof_needs_appendonly(self):
        srv = Server(kind="strata", extra_args=["--appendonly", "no"])
        self.addCleanup(srv.stop)
        srv.start()
        with srv.connect() as c:
            _, rep = c.call("BGREWRITEAOF")
            self.assertIsInstance(rep, RespError)

    def test_auto_rewrite(self):
        args = ["--auto-aof-rewrite-min-size", "64kb", "--auto-aof-rewrite-percentage", "50",
                "--wal-segment-size", "16kb"]
        srv = self.start(args)
        c = self.conn(srv)
        self.assertEqual(info_int(c, "aof_rewrites"), 0)
        value = "x" * 400
        written = 0
        i = 0
        while written < 600 * 1024:
            cmds = []
            for _ in range(50):
                cmds.append(("SET", "hot:%d" % (i % 6), "%d:%s" % (i, value)))
                i += 1
            if i % 500 == 0:
                cmds.append(("HSET", "hot:h", "f%d" % (i % 4), i))
            for _, rep in c.pipeline(cmds):
                self.assertNotIsInstance(rep, RespError)
            written = info_int(c, "wal_bytes_written")
        # No more writes: the automatic rewrite happens (and compacts the log) by itself.
        def compacted():
            st = info(c)
            return (int(st["aof_rewrites"]) >= 1 and st["aof_rewrite_in_progress"] == "0"
                    and int(st["aof_current_size"]) < int(st["wal_bytes_written"]) // 8) and st
        st = poll_until(compacted, 15.0, 0.05)
        st = st or info(c)
        self.assertGreaterEqual(int(st["aof_rewrites"]), 1, "no automatic rewrite\n" + self.logs())
        self.assertLess(int(st["aof_current_size"]), int(st["wal_bytes_written"]) // 8,
                        "log not compacted: %r" % st)
        self.assertGreater(int(st["aof_base_size"]), 0)
        self.assertEqual(st["aof_last_bgrewrite_status"], "ok")
        self.check_rewritten_dir("[auto rewrite] ")
        before = snapshot(c)
        self.assertEqual(len(before), 7)
        c.close()
        self.assertEqual(srv.sigterm(), 0)
        srv2 = self.start(args)
        assert_same_state(self, before, snapshot(self.conn(srv2)), "[auto rewrite] ")

    def test_rewrite_of_big_collections(self):
        # The base writes collections in commands of 512 elements: sizes around and across that
        # boundary, every type, a TTL on a collection, binary and float-edge values.
        srv = self.start(["--appendfsync", "everysec"])
        c = self.conn(srv)
        for n in (511, 512, 513, 1500):
            cmds = []
            for i in range(n):
                cmds += [("RPUSH", "l%d" % n, "e%d\x00" % i), ("HSET", "h%d" % n, "f%d" % i, i),
                         ("SADD", "s%d" % n, "m%d" % i), ("SADD", "i%d" % n, i),
                         ("ZADD", "z%d" % n, repr(i * 0.1 - 50), "m%d" % i)]
            for _, rep in c.pipeline(cmds):
                self.assertNotIsInstance(rep, RespError)
        c.cmd("ZADD", "zinf", "inf", "a", "-inf", "b", "1e-300", "c", "1.7976931348623157e308", "d")
        c.cmd("PEXPIRE", "h1500", 500000)
        keys = sorted(k.decode() for k in c.cmd("KEYS", "*"))

        def dump():
            out = {}
            for k in keys:
                t = c.cmd("TYPE", k)
                if t == "list":
                    out[k] = c.cmd("LRANGE", k, 0, -1)
                elif t == "hash":
                    out[k] = sorted(c.cmd("HGETALL", k))
                elif t == "set":
                    out[k] = sorted(c.cmd("SMEMBERS", k))
                else:
                    out[k] = c.cmd("ZRANGE", k, 0, -1, "WITHSCORES")
            return out

        before = dump()
        self.assertEqual(c.cmd("BGREWRITEAOF"), "Background append only file rewriting started")
        self.wait_rewrite_done(c)
        self.check_rewritten_dir()
        self.assertEqual(srv.shutdown_cmd(), 0)
        srv = self.start()
        c = self.conn(srv)
        self.assertEqual(dump(), before)
        self.assertGreater(c.cmd("PTTL", "h1500"), 400000)
        self.assertEqual(c.cmd("PTTL", "l1500"), -1)
        # Loaded from the base alone: its commands were chunked (several per big collection).
        self.assertGreater(info_int(c, "wal_loaded_records"), 0)

    def test_segment_rotation(self):
        srv = self.start(["--wal-segment-size", "4096"])
        c = self.conn(srv)
        value = "y" * 1000
        for batch in range(20):
            cmds = [("SET", "seg:%d" % (n % 300), "%d:%s" % (n, value))
                    for n in range(batch * 50, batch * 50 + 50)]
            cmds.append(("RPUSH", "seg:list", "%d:%s" % (batch, value[:200])))
            cmds.append(("HSET", "seg:h", "f%d" % batch, value[:100]))
            for _, rep in c.pipeline(cmds):
                self.assertNotIsInstance(rep, RespError)
        # Replies under everysec do not wait for the write: let the writer catch up.
        last = info_int(c, "wal_last_lsn")
        self.assertEqual(last, 20 * 52)
        self.assertTrue(poll_until(lambda: info_int(c, "wal_written_lsn") >= last, 10.0, 0.01))
        self.assertGreater(info_int(c, "wal_bytes_written"), 1000000)
        before = snapshot(c)
        self.assertEqual(len(before), 302)
        segs, bases, _ = wal_files(self.data_dir)
        self.assertEqual(bases, {})
        self.assertGreaterEqual(len(segs), 5, "segments: %r" % sorted(segs.values()))
        self.assertEqual(info_int(c, "wal_segments"), len(segs))
        lsns = sorted(segs)
        self.assertEqual(lsns[0], 1)
        c.close()
        self.assertEqual(srv.shutdown_cmd(), 0)
        sizes = [os.path.getsize(os.path.join(self.data_dir, APPENDDIR, segs[l])) for l in lsns]
        self.assertTrue(all(s >= 4096 for s in sizes[:-1]),
                        "a closed segment below wal-segment-size: %r" % sizes)
        srv2 = self.start(["--wal-segment-size", "4096"])
        c2 = self.conn(srv2)
        self.assertEqual(info_int(c2, "wal_loaded_records"), 20 * 52)
        assert_same_state(self, before, snapshot(c2), "[segments] ")


if __name__ == "__main__":
    unittest.main()
