# maxmemory and eviction without a backend: Redis's behaviour is the spec, so every test here
# also passes against a stock redis-server (STRATA_SERVER_KIND=redis).
#
# The servers' baseline memory differs (allocator arenas, shard tables), so each test reads
# INFO memory used_memory after FLUSHALL and sets maxmemory = that + a few MB. Values are 1000
# bytes, so a MB holds roughly 900 keys on either server. Policy assertions are statistical with
# wide margins: an approximated LRU/LFU/TTL picks the best of a few samples, not the exact
# victim, but a broken policy (random victims, the wrong class of keys, no eviction) lands far
# outside them.
import os
import time
import unittest

from harness import ServerTestCase, info

MB = 1024 * 1024
HEADROOM = 2 * MB
VALUE = b"v" * 1000
OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
EXECABORT = b"-EXECABORT Transaction discarded because of previous errors.\r\n"
LFU_NOT_SELECTED = (b"-ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                    b"Please note that when switching between policies at runtime LRU and LFU "
                    b"data will take some time to adjust.\r\n")
LFU_SELECTED = (b"-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note "
                b"that when switching between policies at runtime LRU and LFU data will take "
                b"some time to adjust.\r\n")
# Redis applies CONFIG SET at once. Tests about a policy's choices (not about CONFIG SET's timing,
# which test_config_set_* checks) wait this long after changing the configuration, so that a
# server applying it from a periodic timer still gets its policy logic tested.
SETTLE_S = 0.25
# Writes past maxmemory go BATCH per pipeline with PACE_S between batches (well under 1000
# keys/s), as from a client with round trips. How a server keeps up with a fast writer (a
# used-memory figure that lags, a cap on evictions per command) is test_pipelined_burst_*'s
# subject; the policy tests here are about which keys go.
BATCH = 10
PACE_S = 0.015




def used_memory(conn):
    return int(info(conn, "memory")["used_memory"])


def evicted_keys(conn):
    return int(info(conn, "stats")["evicted_keys"])


def note(text):
    if os.environ.get("STRATA_TEST_VERBOSE") == "1":
        print("  " + text)


def chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def count_existing(conn, keys):
    """How many of keys exist (one EXISTS per 200 keys)."""
    return sum(conn.cmd("EXISTS", *part) for part in chunks(keys, 200))


class EvictionTest(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.addCleanup(self.reset_config)
        # Counted from here: CONFIG RESETSTAT zeroes evicted_keys on Redis (and
        # test_resetstat_clears_evicted_keys checks that); the tests count from a baseline anyway.
        self.conn.cmd("CONFIG", "RESETSTAT")
        self.evicted0 = evicted_keys(self.conn)

    def evicted(self):
        """Keys evicted since the test started."""
        return evicted_keys(self.conn) - self.evicted0

    def freeze(self):
        """maxmemory 0, so that counting keys evicts no more of them: Redis evicts before any
        command while over maxmemory (reads included), not only before writes. Returns the
        used_memory just before (the CONFIG SET itself may still evict)."""
        used = used_memory(self.conn)
        self.conn.cmd("CONFIG", "SET", "maxmemory", 0)
        return used

    def unfreeze(self, limit):
        self.conn.cmd("CONFIG", "SET", "maxmemory", limit)
        time.sleep(SETTLE_S)

    def reset_config(self):
        c = self.server.connect()
        try:
            policy = c.cmd("CONFIG", "GET", "maxmemory-policy")[1]
            for name, value in (("maxmemory", "0"), ("maxmemory-policy", "noeviction"),
                                ("maxmemory-samples", "5"), ("lfu-decay-time", "1"),
                                ("lfu-log-factor", "10")):
                c.cmd("CONFIG", "SET", name, value)
            if policy != b"noeviction":
                time.sleep(SETTLE_S)  # the next test starts with noeviction in force
        finally:
            c.close()

    # -- helpers -------------------------------------------------------------------------------
    def configure(self, policy, headroom=HEADROOM, samples=None):
        """maxmemory = baseline used_memory + headroom; returns (baseline, maxmemory)."""
        c = self.conn
        base = used_memory(c)
        c.cmd("CONFIG", "SET", "maxmemory-policy", policy)
        if samples is not None:
            c.cmd("CONFIG", "SET", "maxmemory-samples", samples)
        c.cmd("CONFIG", "SET", "maxmemory", base + headroom)
        time.sleep(SETTLE_S)
        return base, base + headroom

    def fill(self, prefix, target_used, ttl=None, ttl_of=None, start=0):
        """Writes prefix<i> keys (pipelined, 50 a batch) until used_memory >= target_used, which
        is below maxmemory: nothing is evicted yet. ttl_of(i) -> seconds gives a key a TTL.
        Returns the keys written."""
        c = self.conn
        keys = []
        i = start
        while used_memory(c) < target_used:
            cmds = []
            for _ in range(50):
                k = "%s%d" % (prefix, i)
                t = ttl_of(i) if ttl_of else ttl
                cmds.append(("SET", k, VALUE) if t is None else ("SET", k, VALUE, "EX", t))
                keys.append(k)
                i += 1
            for raw, _ in c.pipeline(cmds):
                self.assertEqual(raw, b"+OK\r\n", "fill %s: %r" % (prefix, raw))
            self.assertLess(len(keys), 100000, "used_memory does not grow")
        return keys

    def write_past_limit(self, prefix, count, touch=(), touch_every=5, batch=None):
        """Writes count new keys in small pipelined batches at a moderate rate (~1000 keys/s, as
        a client with round trips would), sending `touch` commands (e.g. GETs of hot keys)
        every touch_every batches. Returns (keys written, replies that were not +OK,
        the highest used_memory seen)."""
        c = self.conn
        batch = batch or BATCH
        keys, bad, peak = [], [], 0
        for n, b in enumerate(range(0, count, batch)):
            cmds = [("SET", "%s%d" % (prefix, i), VALUE) for i in range(b, min(b + batch, count))]
            keys += [cmd[1] for cmd in cmds]
            for raw, _ in c.pipeline(cmds):
                if raw != b"+OK\r\n":
                    bad.append(raw)
            if touch and n % touch_every == 0:
                for part in chunks(list(touch), 200):
                    c.pipeline(part)
            if n % 10 == 0:
                peak = max(peak, used_memory(c))
            time.sleep(PACE_S)
        peak = max(peak, used_memory(c))
        time.sleep(0.1)  # Redis may finish a round of evictions from a timer
        return keys, bad, peak

    def fill_until_oom(self, prefix, paced=True, retries=0, limit=20000):
        """Writes keys until a SET is refused; returns (keys stored, the refusal).
        paced: at write_past_limit's pace (when evictions happen on the way); otherwise 50 a
        pipeline (nothing to evict: the writes just have to get past the limit).
        retries: a refused SET is retried this many times, SETTLE_S apart, before the refusal
        counts (for a test about which keys go, not about keeping up: see BATCH)."""
        c = self.conn
        keys = []
        batch = BATCH if paced else 50
        for b in range(0, limit, batch):
            cmds = [("SET", "%s%d" % (prefix, i), VALUE) for i in range(b, b + batch)]
            for cmd, (raw, _) in zip(cmds, c.pipeline(cmds)):
                for _ in range(retries):
                    if raw == b"+OK\r\n":
                        break
                    time.sleep(SETTLE_S)
                    raw = c.call(*cmd)[0]
                if raw != b"+OK\r\n":
                    return keys, raw
                keys.append(cmd[1])
            if paced:
                time.sleep(PACE_S)
        self.fail("no refusal after %d SETs of %d bytes (used_memory %d, maxmemory %s)"
                  % (limit, len(VALUE), used_memory(c), info(c, "memory")["maxmemory"]))

    # -- INFO ----------------------------------------------------------------------------------
    def test_info_memory_fields(self):
        c = self.conn
        m = info(c, "memory")
        self.assertGreater(int(m["used_memory"]), 0)
        self.assertEqual(m["maxmemory"], "0")
        self.assertEqual(m["maxmemory_policy"], "noeviction")
        before = int(m["used_memory"])
        c.pipeline([("SET", "k%d" % i, VALUE) for i in range(1000)])
        self.assertGreater(used_memory(c), before + 900 * 1000,
                           "1000 values of 1000 bytes should show in used_memory")
        c.cmd("CONFIG", "SET", "maxmemory", 123456789)
        c.cmd("CONFIG", "SET", "maxmemory-policy", "volatile-ttl")
        m = info(c, "memory")
        self.assertEqual(m["maxmemory"], "123456789")
        self.assertEqual(m["maxmemory_policy"], "volatile-ttl")
        self.assertEqual(self.evicted(), 0)

    def test_resetstat_clears_evicted_keys(self):
        c = self.conn
        base, limit = self.configure("allkeys-random")
        old = self.fill("old:", base + HEADROOM * 8 // 10)
        self.write_past_limit("new:", len(old) // 2)
        self.assertGreater(self.evicted(), 0)
        self.assertEqual(c.cmd("CONFIG", "RESETSTAT"), "OK")
        self.assertEqual(info(c, "stats")["evicted_keys"], "0")

    # -- noeviction ----------------------------------------------------------------------------
    def test_noeviction_refuses_denyoom_commands_only(self):
        c = self.conn
        c.cmd("SET", "str", "abc")
        c.cmd("SET", "num", "10")
        c.cmd("RPUSH", "list", "a", "b", "c")
        c.cmd("HSET", "hash", "f", "v")
        c.cmd("SADD", "set", "m")
        base, limit = self.configure("noeviction")
        keys, refusal = self.fill_until_oom("key:", paced=False)
        self.assertEqual(refusal, OOM)
        self.assertGreater(len(keys), HEADROOM // 2000, "refused long before maxmemory")
        self.assertGreater(used_memory(c), limit - 64 * 1024)
        # Right at the limit a freed query buffer can let one more write in: move the limit well
        # below the usage so that every write below must be refused.
        c.cmd("CONFIG", "SET", "maxmemory", used_memory(c) - 256 * 1024)
        time.sleep(SETTLE_S)
        denyoom = [("SET", "brand-new", "x"), ("SET", "str", "x"), ("SETNX", "nx", "1"),
                   ("SETEX", "str", "100", "x"), ("MSET", "a", "1", "b", "2"),
                   ("APPEND", "str", "x"), ("SETRANGE", "str", "0", "x"), ("INCR", "num"),
                   ("DECR", "num"), ("INCRBY", "num", "5"), ("GETSET", "str", "y"),
                   ("RPUSH", "list", "d"), ("LPUSH", "newlist", "d"), ("LSET", "list", "0", "x"),
                   ("LMOVE", "list", "l2", "LEFT", "LEFT"), ("HSET", "hash", "g", "v"),
                   ("SADD", "set", "n"), ("SUNIONSTORE", "dst", "set"), ("ZADD", "z", "1", "a"),
                   ("COPY", "str", "str2")]
        for cmd in denyoom:
            with self.subTest(cmd=" ".join(cmd)):
                self.assertEqual(c.call(*cmd)[0], OOM)
        # Nothing changed, nothing was evicted.
        self.assertEqual(c.cmd("GET", "str"), b"abc")
        self.assertEqual(c.cmd("GET", "num"), b"10")
        self.assertEqual(c.cmd("LRANGE", "list", 0, -1), [b"a", b"b", b"c"])
        self.assertEqual(c.cmd("EXISTS", "brand-new", "nx", "newlist", "z", "str2", "dst", "l2"), 0)
        self.assertEqual(count_existing(c, keys), len(keys))
        self.assertEqual(c.cmd("DBSIZE"), len(keys) + 5)
        self.assertEqual(self.evicted(), 0)
        # Reads and commands without the denyoom flag still run.
        self.assertEqual(c.cmd("GET", keys[0]), VALUE)
        self.assertEqual(c.cmd("STRLEN", "str"), 3)
        self.assertEqual(c.cmd("HGET", "hash", "f"), b"v")
        self.assertEqual(c.cmd("SISMEMBER", "set", "m"), 1)
        self.assertEqual(c.cmd("TTL", "str"), -1)
        self.assertEqual(c.cmd("LPOP", "list"), b"a")
        self.assertEqual(c.cmd("EXPIRE", "str", 1000), 1)
        self.assertEqual(c.cmd("PERSIST", "str"), 1)
        self.assertEqual(c.cmd("HDEL", "hash", "f"), 1)
        self.assertEqual(c.cmd("SREM", "set", "m"), 1)
        self.assertEqual(c.cmd("RENAME", keys[0], "renamed"), "OK")
        self.assertEqual(c.cmd("GETDEL", "renamed"), VALUE)
        self.assertEqual(c.cmd("UNLINK", keys[1]), 1)
        self.assertEqual(c.cmd("DEL", keys[2]), 1)
        m = info(c, "memory")
        self.assertGreater(int(m["used_memory"]), int(m["maxmemory"]))
        self.assertEqual(m["maxmemory_policy"], "noeviction")
        # Deleting frees memory, and writes are accepted again.
        target = int(m["maxmemory"]) - 512 * 1024
        rest = keys[3:]
        while used_memory(c) > target and rest:
            c.cmd("DEL", *rest[:200])
            rest = rest[200:]
        self.assertEqual(c.call("SET", "brand-new", "x")[0], b"+OK\r\n")
        self.assertEqual(c.call("RPUSH", "list", "z")[0], b":3\r\n")

    def test_oom_inside_multi(self):
        # Redis 7.0 refuses to queue any command while over maxmemory (queuing itself uses
        # memory) and then aborts the transaction; DISCARD still works.
        c = self.conn
        c.cmd("SET", "k", "v")
        self.configure("noeviction")
        self.fill_until_oom("key:", paced=False)
        c.cmd("CONFIG", "SET", "maxmemory", used_memory(c) - 256 * 1024)
        time.sleep(SETTLE_S)
        self.assertEqual(c.cmd("MULTI"), "OK")
        self.assertEqual(c.call("SET", "k", "x")[0], OOM)
        self.assertEqual(c.call("EXEC")[0], EXECABORT)
        self.assertEqual(c.cmd("GET", "k"), b"v")
        self.assertEqual(c.cmd("MULTI"), "OK")
        self.assertEqual(c.call("GET", "k")[0], OOM)
        self.assertEqual(c.cmd("DISCARD"), "OK")
        self.assertEqual(c.cmd("GET", "k"), b"v")

    # -- allkeys-* -----------------------------------------------------------------------------
    def test_allkeys_lru_keeps_recently_used_keys(self):
        c = self.conn
        base, limit = self.configure("allkeys-lru")
        old = self.fill("old:", base + HEADROOM * 8 // 10)
        hot, cold = old[::10], [k for i, k in enumerate(old) if i % 10]
        time.sleep(1.5)  # the LRU clocks count whole seconds: cold keys are now >= 1 s idle
        touch = [("GET", k) for k in hot]
        c.pipeline(touch)
        keys, bad, peak = self.write_past_limit("new:", len(old) * 6 // 10, touch=touch)
        self.assertEqual(bad, [], "allkeys-lru must evict, never refuse")
        used = self.freeze()
        evicted = self.evicted()
        self.assertGreater(evicted, len(old) // 5)
        self.assertEqual(c.cmd("DBSIZE"), len(old) + len(keys) - evicted)
        hot_alive = count_existing(c, hot) / len(hot)
        cold_alive = count_existing(c, cold) / len(cold)
        new_alive = count_existing(c, keys) / len(keys)
        msg = "survival: hot %.2f cold %.2f new %.2f (%d evicted)" % (hot_alive, cold_alive,
                                                                      new_alive, evicted)
        note("allkeys-lru %s; used - maxmemory %d, peak - maxmemory %d"
             % (msg, used - limit, peak - limit))
        self.assertGreaterEqual(hot_alive, 0.9, msg)
        self.assertGreaterEqual(new_alive, 0.8, msg)  # new keys are recent too
        self.assertLessEqual(cold_alive, 0.75, msg)
        self.assertGreaterEqual(hot_alive - cold_alive, 0.3, msg)
        # used_memory stays near maxmemory: above most of the headroom, not far past the limit.
        self.assertGreater(used, base + HEADROOM // 2)
        self.assertLess(used, limit + 512 * 1024)
        self.assertLess(peak, limit + MB, "peak used_memory while writing")

    def test_allkeys_lfu_keeps_frequently_used_keys(self):
        c = self.conn
        c.cmd("CONFIG", "SET", "lfu-decay-time", 0)  # no decay at a minute boundary mid-test
        base, limit = self.configure("allkeys-lfu")
        old = self.fill("old:", base + HEADROOM * 8 // 10)
        hot, cold = old[::10], [k for i, k in enumerate(old) if i % 10]
        self.assertEqual(c.cmd("OBJECT", "FREQ", hot[0]), 5)  # LFU_INIT_VAL
        for _ in range(20):
            c.pipeline([("GET", k) for k in hot])
        freq = c.cmd("OBJECT", "FREQ", hot[0])
        self.assertGreater(freq, 5)
        self.assertLess(freq, 20)  # logarithmic: 20 reads are worth a few points
        self.assertEqual(c.cmd("OBJECT", "FREQ", cold[0]), 5)
        # New keys start with the same counter as the cold ones and compete with them.
        keys, bad, peak = self.write_past_limit("new:", len(old) * 12 // 10)
        self.assertEqual(bad, [], "allkeys-lfu must evict, never refuse")
        used = self.freeze()
        evicted = self.evicted()
        self.assertGreater(evicted, len(old) // 2)
        hot_alive = count_existing(c, hot) / len(hot)
        cold_alive = count_existing(c, cold) / len(cold)
        msg = "survival: hot %.2f cold %.2f (%d evicted)" % (hot_alive, cold_alive, evicted)
        note("allkeys-lfu %s; used - maxmemory %d, peak - maxmemory %d"
             % (msg, used - limit, peak - limit))
        self.assertGreaterEqual(hot_alive, 0.9, msg)
        self.assertLessEqual(cold_alive, 0.7, msg)
        self.assertGreaterEqual(hot_alive - cold_alive, 0.3, msg)
        self.assertLess(used, limit + 512 * 1024)
        self.assertLess(peak, limit + MB, "peak used_memory while writing")

    def test_allkeys_random_evicts(self):
        c = self.conn
        base, limit = self.configure("allkeys-random")
        old = self.fill("old:", base + HEADROOM * 8 // 10)
        keys, bad, _ = self.write_past_limit("new:", len(old) // 2)
        self.assertEqual(bad, [], "allkeys-random must evict, never refuse")
        self.freeze()
        first = self.evicted()
        self.assertGreater(first, 0)
        self.assertEqual(c.cmd("DBSIZE"), len(old) + len(keys) - first)
        self.unfreeze(limit)
        more, bad, _ = self.write_past_limit("more:", len(old) // 2)
        self.assertEqual(bad, [])
        used = self.freeze()
        second = self.evicted()
        self.assertGreater(second, first + len(more) // 2, "evicted_keys grows with the writes")
        # Random victims: neither generation is spared (LRU would take the old keys first).
        old_alive = count_existing(c, old) / len(old)
        more_alive = count_existing(c, more) / len(more)
        self.assertGreater(old_alive, 0.1, "old %.2f more %.2f" % (old_alive, more_alive))
        self.assertLess(more_alive, 0.95, "old %.2f more %.2f" % (old_alive, more_alive))
        self.assertLess(used, limit + 512 * 1024)

    # -- volatile-* ----------------------------------------------------------------------------
    def test_volatile_policies_evict_only_keys_with_ttl(self):
        for policy in ("volatile-lru", "volatile-random", "volatile-ttl"):
            with self.subTest(policy=policy):
                self.conn.cmd("FLUSHALL")
                self.check_volatile(policy)

    def check_volatile(self, policy):
        c = self.conn
        c.cmd("CONFIG", "SET", "maxmemory", 0)
        c.cmd("CONFIG", "SET", "maxmemory-policy", "noeviction")
        base, limit = self.configure(policy)
        self.evicted0 = evicted_keys(c)
        persistent = self.fill("p:", base + HEADROOM * 4 // 10)
        # TTL keys in two interleaved groups: "soon" ones expire ~1 day before "late" ones
        # (none expires during the test).
        volatile = self.fill("t:", base + HEADROOM * 85 // 100,
                             ttl_of=lambda i: 100000 + i if i % 2 == 0 else 200000 + i)
        soon, late = volatile[0::2], volatile[1::2]
        new, bad, _ = self.write_past_limit("n:", len(volatile) * 8 // 10)
        self.assertEqual(bad, [], "keys with a TTL were left to evict")
        self.freeze()
        evicted = self.evicted()
        self.assertGreater(evicted, len(volatile) // 4)
        self.assertEqual(count_existing(c, persistent), len(persistent))
        self.assertEqual(count_existing(c, new), len(new))
        soon_alive = count_existing(c, soon)
        late_alive = count_existing(c, late)
        self.assertEqual(soon_alive + late_alive, len(volatile) - evicted,
                         "every eviction took a key with a TTL")
        if policy == "volatile-ttl":
            s, l = soon_alive / len(soon), late_alive / len(late)
            msg = "survival: soonest expiry %.2f latest %.2f" % (s, l)
            note("volatile-ttl " + msg)
            self.assertGreaterEqual(l, 0.8, msg)
            self.assertGreaterEqual(l - s, 0.5, msg)
        # Keep writing: once no key has a TTL, writes are refused.
        self.unfreeze(limit)
        more, refusal = self.fill_until_oom("m:", retries=2)
        self.assertEqual(refusal, OOM)
        self.freeze()
        self.assertEqual(count_existing(c, volatile), 0, "refused while keys with a TTL remain")
        self.assertEqual(self.evicted(), len(volatile))
        self.assertEqual(count_existing(c, persistent + new + more),
                         len(persistent) + len(new) + len(more))
        c.cmd("CONFIG", "SET", "maxmemory", used_memory(c) - 256 * 1024)
        time.sleep(SETTLE_S)
        self.assertEqual(c.call("RPUSH", "list", "x")[0], OOM)
        self.assertEqual(c.cmd("GET", persistent[0]), VALUE)
        self.assertEqual(c.cmd("DEL", persistent[0]), 1)

    def test_volatile_policy_without_ttl_keys_refuses_writes(self):
        for policy in ("volatile-lru", "volatile-random", "volatile-ttl"):
            with self.subTest(policy=policy):
                c = self.conn
                c.cmd("FLUSHALL")
                c.cmd("CONFIG", "SET", "maxmemory", 0)
                base, limit = self.configure(policy)
                keys, refusal = self.fill_until_oom("k:", paced=False)
                self.assertEqual(refusal, OOM)
                self.assertGreater(len(keys), HEADROOM // 2000)
                self.assertEqual(self.evicted(), 0)
                self.assertEqual(c.cmd("DBSIZE"), len(keys))
                # Well under (1 MB): small allocator movements must not bring it back under.
                c.cmd("CONFIG", "SET", "maxmemory", used_memory(c) - 1024 * 1024)
                time.sleep(SETTLE_S)
                self.assertEqual(c.call("SET", "new", "x")[0], OOM)
                self.assertEqual(c.call("RPUSH", "list", "x")[0], OOM)
                self.assertEqual(c.cmd("GET", keys[-1]), VALUE)

    # -- OBJECT FREQ / IDLETIME ----------------------------------------------------------------
    def test_object_freq_and_idletime_by_policy(self):
        c = self.conn
        c.cmd("CONFIG", "SET", "lfu-decay-time", 0)
        for policy in ("allkeys-lfu", "volatile-lfu"):
            with self.subTest(policy=policy):
                c.cmd("FLUSHALL")
                c.cmd("CONFIG", "SET", "maxmemory-policy", policy)
                time.sleep(SETTLE_S)
                c.cmd("SET", "k", "v")
                self.assertEqual(c.call("OBJECT", "FREQ", "k")[0], b":5\r\n")
                self.assertEqual(c.call("OBJECT", "FREQ", "k")[0], b":5\r\n")  # not an access
                c.cmd("GET", "k")  # the first access always counts
                self.assertEqual(c.call("OBJECT", "FREQ", "k")[0], b":6\r\n")
                self.assertEqual(c.call("OBJECT", "IDLETIME", "k")[0], LFU_SELECTED)
                self.assertEqual(c.call("OBJECT", "FREQ", "missing")[0], b"$-1\r\n")
        for policy in ("allkeys-lru", "noeviction", "volatile-ttl"):
            with self.subTest(policy=policy):
                c.cmd("CONFIG", "SET", "maxmemory-policy", policy)
                time.sleep(SETTLE_S)
                self.assertEqual(c.call("OBJECT", "FREQ", "k")[0], LFU_NOT_SELECTED)
                self.assertEqual(c.call("OBJECT", "FREQ", "missing")[0], b"$-1\r\n")
        c.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
        time.sleep(SETTLE_S)
        # Not integers: Redis shares the objects of small integers (their idle time is the
        # server's) unless maxmemory is set.
        c.cmd("SET", "a", "va")
        c.cmd("SET", "b", "vb")
        self.assertEqual(c.cmd("OBJECT", "IDLETIME", "a"), 0)
        time.sleep(1.6)
        idle_a = c.cmd("OBJECT", "IDLETIME", "a")
        self.assertGreaterEqual(idle_a, 1)
        self.assertLessEqual(idle_a, 3)
        self.assertGreaterEqual(c.cmd("OBJECT", "IDLETIME", "a"), 1)  # OBJECT is not an access
        c.cmd("GET", "a")
        self.assertEqual(c.cmd("OBJECT", "IDLETIME", "a"), 0)
        self.assertGreaterEqual(c.cmd("OBJECT", "IDLETIME", "b"), 1)
        self.assertIsNone(c.cmd("OBJECT", "IDLETIME", "missing"))
        with self.subTest("EXISTS is not an access"):  # Redis: LOOKUP_NOTOUCH
            c.cmd("EXISTS", "b")
            self.assertGreaterEqual(c.cmd("OBJECT", "IDLETIME", "b"), 1)

    # -- CONFIG SET at runtime -----------------------------------------------------------------
    def test_config_set_maxmemory_takes_effect(self):
        c = self.conn
        for part in chunks(range(6000), 1000):  # ~6.5 MB: more than any earlier test held
            c.pipeline([("SET", "k%d" % i, VALUE) for i in part])
        used = used_memory(c)
        self.assertEqual(c.cmd("CONFIG", "SET", "maxmemory", used - 512 * 1024), "OK")
        first = c.call("SET", "new", "x")[0]
        refused = first == OOM or self.poll_reply(("SET", "new", "x"), OOM)
        self.assertTrue(refused, "lowering maxmemory below used_memory never refused a write")
        with self.subTest("immediately"):
            self.assertEqual(first, OOM, "the write right after CONFIG SET maxmemory was accepted")
        self.assertEqual(c.cmd("CONFIG", "SET", "maxmemory", 0), "OK")
        self.assertEqual(c.call("SET", "new", "x")[0], b"+OK\r\n")
        self.assertEqual(c.cmd("CONFIG", "SET", "maxmemory", used + 64 * MB), "OK")
        self.assertEqual(c.call("SET", "new2", "x")[0], b"+OK\r\n")
        self.assertEqual(c.cmd("DBSIZE"), 6002)

    def test_config_set_maxmemory_policy_takes_effect(self):
        c = self.conn
        c.pipeline([("SET", "k%d" % i, VALUE) for i in range(2000)])
        # Over by a little (~100 keys) so that a few evictions get back under.
        c.cmd("CONFIG", "SET", "maxmemory", used_memory(c) - 100 * 1024)
        self.assertTrue(self.poll_reply(("SET", "new", "x"), OOM))
        self.assertEqual(self.evicted(), 0)
        # noeviction -> allkeys-random: the same write now evicts instead of failing.
        self.assertEqual(c.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-random"), "OK")
        first = c.call("SET", "new", "x")[0]
        ok = first == b"+OK\r\n" or self.poll_reply(("SET", "new", "x"), b"+OK\r\n")
        self.assertTrue(ok, "allkeys-random never accepted the write")
        self.assertGreater(self.evicted(), 0)
        with self.subTest("immediately"):
            self.assertEqual(first, b"+OK\r\n", "the write right after CONFIG SET "
                             "maxmemory-policy allkeys-random was refused")
        # ... and back to noeviction: refused again (still over: lower the limit again). The
        # [immediately] checks cover the timing; here the policy must not evict in between.
        c.cmd("CONFIG", "SET", "maxmemory-policy", "noeviction")
        time.sleep(SETTLE_S)
        c.cmd("CONFIG", "SET", "maxmemory", used_memory(c) - 100 * 1024)
        self.assertTrue(self.poll_reply(("SET", "new2", "x"), OOM))
        # LRU <-> LFU: OBJECT FREQ follows the policy at once.
        c.cmd("CONFIG", "SET", "maxmemory", 0)
        self.assertEqual(c.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"), "OK")
        c.cmd("SET", "fresh", "v")
        freq = c.call("OBJECT", "FREQ", "fresh")[0]
        self.assertEqual(c.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), "OK")
        idle = c.call("OBJECT", "IDLETIME", "fresh")[0]
        freq_after = c.call("OBJECT", "FREQ", "fresh")[0]
        with self.subTest("immediately"):
            self.assertEqual(freq, b":5\r\n", "OBJECT FREQ right after switching to allkeys-lfu")
            self.assertEqual(freq_after, LFU_NOT_SELECTED,
                             "OBJECT FREQ right after switching back to allkeys-lru")
            self.assertTrue(idle.startswith(b":"),
                            "OBJECT IDLETIME right after switching back to allkeys-lru: %r"
                            % idle)

    def test_policy_from_command_line_applies_from_the_start(self):
        srv = self.start_server(["--maxmemory-policy", "allkeys-lfu"])
        with srv.connect() as c:
            c.cmd("SET", "k", "v")
            self.assertEqual(c.call("OBJECT", "FREQ", "k")[0], b":5\r\n")
            self.assertEqual(c.call("OBJECT", "IDLETIME", "k")[0], LFU_SELECTED)

    def test_config_set_maxmemory_samples(self):
        c = self.conn
        self.assertEqual(c.cmd("CONFIG", "GET", "maxmemory-samples"),
                         [b"maxmemory-samples", b"5"])
        for v in ("1", "10", "64"):
            self.assertEqual(c.cmd("CONFIG", "SET", "maxmemory-samples", v), "OK")
            self.assertEqual(c.cmd("CONFIG", "GET", "maxmemory-samples"),
                             [b"maxmemory-samples", v.encode()])
        raw = c.call("CONFIG", "SET", "maxmemory-samples", "0")[0]
        self.assertTrue(raw.startswith(b"-ERR CONFIG SET failed (possibly related to argument "
                                       b"'maxmemory-samples')"), raw)
        self.assertEqual(c.cmd("CONFIG", "GET", "maxmemory-samples"),
                         [b"maxmemory-samples", b"64"])
        with self.subTest("above 64"):  # Redis 7.0 accepts 1..INT_MAX
            self.assertEqual(c.call("CONFIG", "SET", "maxmemory-samples", "100")[0],
                             b"+OK\r\n")
        # Eviction works at both ends of the range.
        for samples in (1, 64):
            with self.subTest(samples=samples):
                c.cmd("FLUSHALL")
                c.cmd("CONFIG", "SET", "maxmemory", 0)
                base, limit = self.configure("allkeys-lru", samples=samples)
                self.assertEqual(c.cmd("CONFIG", "GET", "maxmemory-samples"),
                                 [b"maxmemory-samples", str(samples).encode()])
                old = self.fill("old:", base + HEADROOM * 8 // 10)
                keys, bad, _ = self.write_past_limit("new:", len(old) * 4 // 10)
                self.assertEqual(bad, [])
                self.assertGreater(self.evicted(), 0)
                self.assertLess(self.freeze(), limit + 512 * 1024)

    # -- memory accounting under a burst -------------------------------------------------------
    def test_pipelined_burst_is_checked_per_command(self):
        # Redis checks used_memory before every denyoom command, so a pipeline of writes far
        # bigger than the headroom is cut off (noeviction) or evicted for (allkeys-lru) as it
        # goes: used_memory never gets far past maxmemory.
        c = self.conn
        big = b"b" * 10000
        if info(c, "memory")["mem_allocator"] == "asan":
            self.skipTest("per-command allocation counters are jemalloc's (a sanitizer build "
                          "only refreshes used_memory every 100 ms)")
        burst = [("SET", "burst:%d" % i, big) for i in range(600)]  # ~6 MB, 3x the headroom
        with self.subTest("noeviction"):
            base, limit = self.configure("noeviction")
            replies = [raw for raw, _ in c.pipeline(burst)]
            accepted = replies.count(b"+OK\r\n")
            self.assertEqual(replies.count(OOM), len(burst) - accepted)
            self.assertLess(accepted, 350, "accepted %d x 10 KB over %d KB of headroom"
                            % (accepted, HEADROOM // 1024))
            self.assertLess(used_memory(c), limit + MB)
        with self.subTest("allkeys-lru"):
            c.cmd("FLUSHALL")
            c.cmd("CONFIG", "SET", "maxmemory", 0)
            base, limit = self.configure("allkeys-lru")
            replies = [raw for raw, _ in c.pipeline(burst)]
            self.assertEqual(replies.count(b"+OK\r\n"), len(burst),
                             "refused writes: %d" % replies.count(OOM))
            used = used_memory(c)
            self.assertLess(used, limit + MB, "used_memory after the burst")
            time.sleep(SETTLE_S)
            after = [c.call("SET", "after:%d" % i, "x")[0] for i in range(5)]
            self.assertEqual(after, [b"+OK\r\n"] * 5, "writes after the burst")

    def poll_reply(self, cmd, want, timeout=2.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.conn.call(*cmd)[0] == want:
                return True
            time.sleep(0.02)
        return False


if __name__ == "__main__":
    unittest.main()
