# Differential test of the list commands: the same commands go to a stock redis-server (the
# reference) and to the server under test; the raw reply bytes must be identical. Uses the step
# types and the group runner of test_compat.py. Besides the fixed groups, a seeded random walk
# of list commands runs with tiny node sizes (list-max-listpack-size 1, 3, -1) so node splits,
# inserts spilling into neighbouring nodes and node deletions all happen, comparing every reply
# and, every 50 steps, the whole lists.
import random
import unittest

import test_compat as tc


X, Shape = tc.X, tc.Shape

BIG = "b" * 5000          # a 32-bit-length string
MID = "m" * 100           # a 12-bit-length string

GROUPS = {
    "push_pop_basics": [
        X("LPUSH", "l", "a"), X("LPUSH", "l", "b", "c"), X("RPUSH", "l", "d", "e", "f"),
        X("LRANGE", "l", "0", "-1"), X("LLEN", "l"), X("LLEN", "missing"),
        X("LPOP", "l"), X("RPOP", "l"), X("LRANGE", "l", "0", "-1"),
        X("LPUSHX", "l", "x", "y"), X("RPUSHX", "l", "z"), X("LPUSHX", "none", "x"),
        X("RPUSHX", "none", "x", "y"), X("EXISTS", "none"), X("LRANGE", "l", "0", "-1"),
        X("LPOP", "missing"), X("RPOP", "missing"),
        X("RPUSH", "e", ""), X("LRANGE", "e", "0", "-1"), X("LPOP", "e"), X("EXISTS", "e"),
        X("RPUSH", "one", "v"), X("RPOP", "one"), X("EXISTS", "one"), X("TYPE", "l"),
        X("OBJECT", "ENCODING", "l"), X("LPUSH"), X("LPUSH", "l"), X("RPUSHX", "l"),
        X("LLEN"), X("LLEN", "a", "b"),
    ],
    "pop_count": [
        X("RPUSH", "l", "1", "2", "3", "4", "5", "6"),
        X("LPOP", "l", "2"), X("RPOP", "l", "2"), X("LRANGE", "l", "0", "-1"),
        X("LPOP", "l", "0"), X("RPOP", "l", "0"), X("LPOP", "l", "100"), X("EXISTS", "l"),
        X("LPOP", "missing", "2"), X("RPOP", "missing", "2"), X("LPOP", "missing", "0"),
        X("LPOP", "l", "-1"), X("LPOP", "l", "abc"), X("LPOP", "l", "1.5"), X("LPOP", "l", ""),
        X("RPOP", "missing", "-1"), X("LPOP", "l", "1", "2"), X("RPOP", "l", "1", "2"),
        X("RPUSH", "r", "a", "b", "c"), X("RPOP", "r", "5"), X("EXISTS", "r"),
        X("RPUSH", "r", "a", "b", "c"), X("LPOP", "r", "9223372036854775807"),
        X("LPOP"), X("SET", "s", "v"), X("LPOP", "s"), X("LPOP", "s", "2"), X("LPOP", "s", "0"),
        X("LPOP", "s", "-1"), X("RPOP", "s"),
    ],
    "integers_and_sizes": [
        X("RPUSH", "n", "0", "1", "127", "128", "-1", "4095", "4096", "-4096", "-4097", "32767",
          "32768", "-32768", "-32769", "8388607", "8388608", "-8388608", "-8388609",
          "2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775807",
          "-9223372036854775808", "9223372036854775808", "-0", "+1", "01", " 1", "1 ", "1.0",
          "00", "-", "0x10", "18446744073709551616"),
        X("LRANGE", "n", "0", "-1"), X("LINDEX", "n", "-10"), X("LPOS", "n", "128"),
        X("LPOS", "n", "-0"), X("LPOS", "n", "0"), X("LREM", "n", "0", "01"),
        X("LREM", "n", "0", "1"), X("LRANGE", "n", "0", "-1"),
        X("RPUSH", "sz", "", "x" * 63, "x" * 64, "x" * 127, "x" * 128, MID, "x" * 4095,
          "x" * 4096, BIG, "\x00\xff\r\n"),
        X("LRANGE", "sz", "0", "-1"), X("LINDEX", "sz", "8"), X("LPOS", "sz", BIG),
        X("LPOS", "sz", "x" * 4096), X("LSET", "sz", "0", BIG), X("LSET", "sz", "-1", "1"),
        X("LRANGE", "sz", "0", "-1"), X("RPOP", "sz", "3"), X("LPOP", "sz", "3"),
        X("LRANGE", "sz", "0", "-1"),
    ],
    "lrange": [
        X("RPUSH", "l", "a", "b", "c", "d", "e"),
        X("LRANGE", "l", "0", "0"), X("LRANGE", "l", "0", "-1"), X("LRANGE", "l", "-2", "-1"),
        X("LRANGE", "l", "1", "3"), X("LRANGE", "l", "3", "1"), X("LRANGE", "l", "-100", "100"),
        X("LRANGE", "l", "5", "10"), X("LRANGE", "l", "4", "4"), X("LRANGE", "l", "-1", "-1"),
        X("LRANGE", "l", "-1", "-5"), X("LRANGE", "l", "0", "-6"), X("LRANGE", "l", "-6", "0"),
        X("LRANGE", "l", "-9223372036854775808", "9223372036854775807"),
        X("LRANGE", "l", "9223372036854775807", "-9223372036854775808"),
        X("LRANGE", "missing", "0", "-1"), X("LRANGE", "missing", "a", "b"),
        X("LRANGE", "l", "a", "1"), X("LRANGE", "l", "0", "1.5"), X("LRANGE", "l", "0"),
        X("SET", "s", "v"), X("LRANGE", "s", "0", "-1"), X("LRANGE", "s", "x", "-1"),
    ],
    "lindex_lset": [
        X("RPUSH", "l", "a", "b", "c"),
        X("LINDEX", "l", "0"), X("LINDEX", "l", "2"), X("LINDEX", "l", "3"),
        X("LINDEX", "l", "-1"), X("LINDEX", "l", "-3"), X("LINDEX", "l", "-4"),
        X("LINDEX", "l", "abc"), X("LINDEX", "missing", "abc"), X("LINDEX", "missing", "0"),
        X("LINDEX", "l", "9223372036854775807"), X("LINDEX", "l", "-9223372036854775808"),
        X("LSET", "l", "0", "A"), X("LSET", "l", "-1", "C"), X("LSET", "l", "1", "12345"),
        X("LRANGE", "l", "0", "-1"), X("LSET", "l", "3", "x"), X("LSET", "l", "-4", "x"),
        X("LSET", "l", "abc", "x"), X("LSET", "missing", "0", "x"),
        X("LSET", "missing", "abc", "x"), X("LSET", "l", "0"), X("LINDEX", "l"),
        X("SET", "s", "v"), X("LINDEX", "s", "0"), X("LINDEX", "s", "abc"),
        X("LSET", "s", "0", "x"), X("LSET", "s", "abc", "x"),
    ],
    "linsert": [
        X("RPUSH", "l", "a", "b", "c", "b"),
        X("LINSERT", "l", "BEFORE", "b", "x"), X("LINSERT", "l", "AFTER", "b", "y"),
        X("LINSERT", "l", "after", "c", "z"), X("LINSERT", "l", "before", "a", "first"),
        X("LINSERT", "l", "AFTER", "b", "last"), X("LRANGE", "l", "0", "-1"),
        X("LINSERT", "l", "BEFORE", "nope", "x"), X("LINSERT", "missing", "BEFORE", "a", "x"),
        X("EXISTS", "missing"), X("LINSERT", "l", "MIDDLE", "a", "x"),
        X("LINSERT", "missing", "MIDDLE", "a", "x"), X("LINSERT", "l", "BEFORE", "a"),
        X("RPUSH", "n", "1", "2", "3"), X("LINSERT", "n", "AFTER", "2", "10"),
        X("LINSERT", "n", "AFTER", "02", "x"), X("LRANGE", "n", "0", "-1"),
        X("SET", "s", "v"), X("LINSERT", "s", "BEFORE", "a", "x"),
        X("LINSERT", "s", "MIDDLE", "a", "x"),
    ],
    "lrem": [
        X("RPUSH", "l", "a", "b", "a", "c", "a", "b", "a"),
        X("LREM", "l", "1", "a"), X("LRANGE", "l", "0", "-1"), X("LREM", "l", "-1", "a"),
        X("LRANGE", "l", "0", "-1"), X("LREM", "l", "0", "b"), X("LRANGE", "l", "0", "-1"),
        X("LREM", "l", "5", "zz"), X("LREM", "l", "0", "a"), X("LRANGE", "l", "0", "-1"),
        X("LREM", "l", "0", "c"), X("EXISTS", "l"), X("LREM", "missing", "0", "a"),
        X("LREM", "missing", "x", "a"), X("LREM", "l", "1.5", "a"),
        X("RPUSH", "n", "1", "2", "1", "01", "1"), X("LREM", "n", "-2", "1"),
        X("LRANGE", "n", "0", "-1"), X("LREM", "n", "-9223372036854775808", "1"),
        X("LRANGE", "n", "0", "-1"), X("LREM", "n", "9223372036854775807", "2"),
        X("SET", "s", "v"), X("LREM", "s", "0", "v"), X("LREM", "s", "x", "v"), X("LREM", "s", "0"),
    ],
    "ltrim": [
        X("RPUSH", "l", "a", "b", "c", "d", "e", "f"),
        X("LTRIM", "l", "1", "-2"), X("LRANGE", "l", "0", "-1"), X("LTRIM", "l", "0", "100"),
        X("LRANGE", "l", "0", "-1"), X("LTRIM", "l", "-2", "-1"), X("LRANGE", "l", "0", "-1"),
        X("LTRIM", "l", "1", "0"), X("EXISTS", "l"), X("RPUSH", "l", "a", "b"),
        X("LTRIM", "l", "5", "10"), X("EXISTS", "l"), X("RPUSH", "l", "a", "b", "c"),
        X("LTRIM", "l", "-100", "-3"), X("LRANGE", "l", "0", "-1"),
        X("LTRIM", "l", "0", "-1"), X("LRANGE", "l", "0", "-1"),
        X("LTRIM", "missing", "0", "1"), X("LTRIM", "missing", "a", "1"),
        X("LTRIM", "l", "0", "x"), X("LTRIM", "l", "0"),
        X("LTRIM", "l", "-9223372036854775808", "9223372036854775807"),
        X("LRANGE", "l", "0", "-1"), X("SET", "s", "v"), X("LTRIM", "s", "0", "1"),
        X("LTRIM", "s", "a", "1"),
    ],
    "lpos": [
        X("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"),
        X("LPOS", "l", "c"), X("LPOS", "l", "z"), X("LPOS", "l", "c", "RANK", "2"),
        X("LPOS", "l", "c", "RANK", "-1"), X("LPOS", "l", "c", "RANK", "-3"),
        X("LPOS", "l", "c", "RANK", "4"), X("LPOS", "l", "c", "RANK", "-4"),
        X("LPOS", "l", "c", "COUNT", "0"), X("LPOS", "l", "c", "COUNT", "2"),
        X("LPOS", "l", "c", "COUNT", "2", "RANK", "2"), X("LPOS", "l", "c", "COUNT", "0",
                                                          "RANK", "-1"),
        X("LPOS", "l", "c", "COUNT", "1", "MAXLEN", "3"), X("LPOS", "l", "c", "MAXLEN", "2"),
        X("LPOS", "l", "c", "MAXLEN", "3"), X("LPOS", "l", "c", "RANK", "-1", "MAXLEN", "1"),
        X("LPOS", "l", "c", "RANK", "-1", "MAXLEN", "2", "COUNT", "0"),
        X("LPOS", "l", "z", "COUNT", "0"), X("LPOS", "l", "2"), X("LPOS", "l", "02"),
        X("LPOS", "l", "c", "rank", "1", "count", "1", "maxlen", "0"),
        X("LPOS", "l", "c", "RANK", "1", "RANK", "2"),
        X("LPOS", "l", "c", "RANK", "0"), X("LPOS", "l", "c", "RANK", "abc"),
        X("LPOS", "l", "c", "COUNT", "-1"), X("LPOS", "l", "c", "COUNT", "abc"),
        X("LPOS", "l", "c", "MAXLEN", "-1"), X("LPOS", "l", "c", "MAXLEN", "x"),
        X("LPOS", "l", "c", "RANK"), X("LPOS", "l", "c", "FOO", "1"), X("LPOS", "l", "c", "COUNT"),
        X("LPOS", "l", "c", "RANK", "-9223372036854775808"),
        X("LPOS", "l", "c", "RANK", "-9223372036854775808", "COUNT", "1"),
        X("LPOS", "l", "c", "RANK", "9223372036854775807"),
        X("LPOS", "l", "c", "RANK", "-9223372036854775807", "COUNT", "0"),
        X("LPOS", "missing", "c"), X("LPOS", "missing", "c", "COUNT", "0"),
        X("LPOS", "missing", "c", "RANK", "0"), X("LPOS", "l"),
        X("SET", "s", "v"), X("LPOS", "s", "v"), X("LPOS", "s", "v", "COUNT", "1"),
        X("LPOS", "s", "v", "RANK", "0"),
    ],
    "lmove_rpoplpush": [
        X("RPUSH", "src", "a", "b", "c"), X("RPOPLPUSH", "src", "dst"),
        X("LRANGE", "src", "0", "-1"), X("LRANGE", "dst", "0", "-1"),
        X("LMOVE", "src", "dst", "LEFT", "RIGHT"), X("LMOVE", "src", "dst", "left", "left"),
        X("EXISTS", "src"), X("LRANGE", "dst", "0", "-1"),
        X("LMOVE", "dst", "dst", "LEFT", "RIGHT"), X("LRANGE", "dst", "0", "-1"),
        X("LMOVE", "dst", "dst", "RIGHT", "LEFT"), X("LMOVE", "dst", "dst", "LEFT", "LEFT"),
        X("LMOVE", "dst", "dst", "RIGHT", "RIGHT"), X("LRANGE", "dst", "0", "-1"),
        X("RPOPLPUSH", "dst", "dst"), X("LRANGE", "dst", "0", "-1"),
        X("RPUSH", "one", "x"), X("RPOPLPUSH", "one", "one"), X("LRANGE", "one", "0", "-1"),
        X("LMOVE", "missing", "dst", "LEFT", "RIGHT"), X("RPOPLPUSH", "missing", "dst"),
        X("LMOVE", "src", "dst", "UP", "LEFT"), X("LMOVE", "src", "dst", "LEFT", "DOWN"),
        X("LMOVE", "missing", "dst", "UP", "LEFT"), X("LMOVE", "src", "dst", "LEFT"),
        X("SET", "s", "v"), X("RPOPLPUSH", "s", "dst"), X("RPOPLPUSH", "dst", "s"),
        X("LRANGE", "dst", "0", "-1"), X("RPOPLPUSH", "missing", "s"),
        X("LMOVE", "s", "s", "LEFT", "LEFT"), X("LMOVE", "dst", "s", "LEFT", "LEFT"),
        X("RPOPLPUSH", "src"),
    ],
    "lmpop": [
        X("RPUSH", "a", "1", "2", "3"), X("RPUSH", "b", "x", "y"),
        X("LMPOP", "1", "a", "LEFT"), X("LMPOP", "1", "a", "RIGHT"),
        X("LMPOP", "2", "missing", "b", "LEFT", "COUNT", "10"), X("EXISTS", "b"),
        X("LMPOP", "2", "missing", "b", "LEFT"), X("LMPOP", "3", "m1", "a", "b", "right",
                                                    "count", "2"),
        X("LMPOP", "1", "a", "LEFT"), X("RPUSH", "a", "1", "2"),
        X("LMPOP", "2", "a", "a", "LEFT", "COUNT", "1"),
        X("LMPOP", "0", "a", "LEFT"), X("LMPOP", "-1", "a", "LEFT"), X("LMPOP", "x", "a", "LEFT"),
        X("LMPOP", "2", "a", "LEFT"), X("LMPOP", "1", "a", "UP"), X("LMPOP", "1", "a"),
        X("LMPOP", "1", "a", "LEFT", "COUNT"), X("LMPOP", "1", "a", "LEFT", "COUNT", "0"),
        X("LMPOP", "1", "a", "LEFT", "COUNT", "-1"), X("LMPOP", "1", "a", "LEFT", "COUNT", "x"),
        X("LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"),
        X("LMPOP", "1", "a", "LEFT", "FOO"),
        X("LMPOP", "9223372036854775807", "a", "LEFT"), X("LMPOP", "1", "a", "LEFT", "COUNT",
                                                           "9223372036854775807"),
        X("SET", "s", "v"), X("LMPOP", "2", "s", "a", "LEFT"), X("RPUSH", "c", "z"),
        X("LMPOP", "2", "c", "s", "LEFT"), X("LMPOP", "2", "missing", "s", "LEFT"),
        X("LMPOP", "1", "missing", "LEFT"), X("LMPOP"), X("LMPOP", "1", "a"),
    ],
    "wrongtype_writes": [
        X("SET", "s", "v"), X("LPUSH", "s", "a"), X("RPUSH", "s", "a"), X("LPUSHX", "s", "a"),
        X("RPUSHX", "s", "a"), X("LLEN", "s"), X("GET", "s"),
        X("RPUSH", "l", "a"), X("GET", "l"), X("INCR", "l"), X("APPEND", "l", "x"),
        X("TYPE", "l"),
    ],
    "ttl_rename_copy": [
        X("RPUSH", "l", "a", "b", "c"), X("EXPIRE", "l", "100"), X("RPUSH", "l", "d"),
        X("TTL", "l"), X("LPOP", "l"), X("TTL", "l"), X("RENAME", "l", "m"),
        X("LRANGE", "m", "0", "-1"), X("TTL", "m"), X("COPY", "m", "n"),
        X("LPUSH", "n", "new"), X("LRANGE", "m", "0", "-1"), X("LRANGE", "n", "0", "-1"),
        X("OBJECT", "ENCODING", "n"), X("DEL", "m"), X("EXISTS", "m"),
        X("LTRIM", "n", "1", "0"), X("TTL", "n"), X("EXISTS", "n"),
        X("RPUSH", "p", "x"), X("PEXPIREAT", "p", "1"),
        X("LLEN", "p"), X("LPUSHX", "p", "y"), X("EXISTS", "p"),
    ],
    "resp3": [
        Shape(tc.hello_shape, "HELLO", "3"),
        X("LPOP", "missing"), X("LPOP", "missing", "2"), X("RPOP", "missing", "0"),
        X("LINDEX", "missing", "0"), X("LPOS", "missing", "a"),
        X("LPOS", "missing", "a", "COUNT", "0"), X("LMPOP", "1", "missing", "LEFT"),
        X("RPOPLPUSH", "missing", "x"), X("LRANGE", "missing", "0", "-1"),
        X("RPUSH", "l", "a", "b", "c"), X("LPOP", "l", "0"), X("LPOP", "l", "2"),
        X("LINDEX", "l", "5"), X("LPOS", "l", "zz"), X("LMPOP", "1", "l", "RIGHT"),
        X("LPOP", "l"),
    ],
    "command_info": [
        Shape(tc.command_info_shape, "COMMAND", "INFO", "lpush", "rpush", "lpushx", "rpushx",
              "lpop", "rpop", "llen", "lrange", "lindex", "lset", "linsert", "lrem", "ltrim",
              "lpos", "lmove", "rpoplpush"),
        # LMPOP's "movablekeys" flag and keynum key spec are introspection's to describe.
        Shape(tc.command_docs_shape, "COMMAND", "DOCS", "lpos"),
        X("COMMAND", "GETKEYS", "LMOVE", "a", "b", "LEFT", "RIGHT"),
        X("COMMAND", "GETKEYS", "RPOPLPUSH", "a", "b"),
    ],
    "transactions": [
        X("MULTI"), X("RPUSH", "l", "a", "b"), X("LPOP", "l"), X("LMOVE", "l", "m", "LEFT",
                                                                   "LEFT"),
        X("LRANGE", "m", "0", "-1"), X("EXEC"), X("EXISTS", "l"),
        X("MULTI"), X("LPUSH", "m", "x"), X("LPOP", "nope", "x"), X("LPOS", "m", "x"),
        X("EXEC"),
    ],
}


# -- the random walk ------------------------------------------------------------------------------
VALUES = ["a", "b", "c", "1", "2", "-7", "300", "70000", "", "x" * 20, "y" * 70, "z" * 300]
KEYS = ["k1", "k2", "k3"]


def random_command(rng):
    k = rng.choice(KEYS)
    v = lambda: rng.choice(VALUES)
    idx = lambda: str(rng.randint(-12, 12))
    op = rng.randrange(16)
    if op == 0:
        return ["LPUSH", k] + [v() for _ in range(rng.randint(1, 6))]
    if op == 1:
        return ["RPUSH", k] + [v() for _ in range(rng.randint(1, 6))]
    if op == 2:
        return ["LPOP", k] + ([str(rng.randint(0, 5))] if rng.random() < 0.5 else [])
    if op == 3:
        return ["RPOP", k] + ([str(rng.randint(0, 5))] if rng.random() < 0.5 else [])
    if op == 4:
        return ["LRANGE", k, idx(), idx()]
    if op == 5:
        return ["LINDEX", k, idx()]
    if op == 6:
        return ["LSET", k, idx(), v()]
    if op == 7:
        return ["LINSERT", k, rng.choice(["BEFORE", "AFTER"]), v(), v()]
    if op == 8:
        return ["LREM", k, str(rng.randint(-3, 3)), v()]
    if op == 9:
        return ["LTRIM", k, idx(), idx()]
    if op == 10:
        opts = []
        if rng.random() < 0.5:
            opts += ["RANK", str(rng.choice([-3, -2, -1, 1, 2, 3]))]
        if rng.random() < 0.5:
            opts += ["COUNT", str(rng.randint(0, 3))]
        if rng.random() < 0.3:
            opts += ["MAXLEN", str(rng.randint(0, 10))]
        return ["LPOS", k, v()] + opts
    if op == 11:
        return ["LMOVE", k, rng.choice(KEYS), rng.choice(["LEFT", "RIGHT"]),
                rng.choice(["LEFT", "RIGHT"])]
    if op == 12:
        keys = rng.sample(KEYS, rng.randint(1, 3))
        return ["LMPOP", str(len(keys))] + keys + [rng.choice(["LEFT", "RIGHT"]), "COUNT",
                                                   str(rng.randint(1, 4))]
    if op == 13:
        return ["RPOPLPUSH", k, rng.choice(KEYS)]
    if op == 14:
        return ["LLEN", k]
    return ["LRANGE", k, "0", "-1"]


class ListCompatTest(tc.DifferentialTestCase):
    """The list groups and a random walk against redis-server (reference) and our server."""


    def random_walk(self, fill, seed, steps):
        ref, sut = self._connect()
        for c in (ref, sut):
            c.cmd("FLUSHALL")
            c.cmd("CONFIG", "SET", "list-max-listpack-size", str(fill))
        # Runs before the connections close (cleanups run last-in first-out).
        for c in (ref, sut):
            self.addCleanup(c.cmd, "CONFIG", "SET", "list-max-listpack-size", "-2")
        rng = random.Random(seed)
        for i in range(steps):
            args = random_command(rng)
            rr, _ = ref.call(*args)
            sr, _ = sut.call(*args)
            if rr != sr:
                self.fail("fill %s seed %d step %d: %s\n  redis: %r\n  ours:  %r"
                          % (fill, seed, i, " ".join(args), rr[:300], sr[:300]))
            if i % 50 == 49:
                for k in KEYS:
                    a, b = ref.call("LRANGE", k, "0", "-1")[0], sut.call("LRANGE", k, "0", "-1")[0]
                    self.assertEqual(a, b, "fill %s seed %d step %d: contents of %s differ"
                                     % (fill, seed, i, k))

    def test_random_walk_fill_1(self):
        self.random_walk(1, 1, 3000)

    def test_random_walk_fill_3(self):
        self.random_walk(3, 2, 3000)

    def test_random_walk_fill_4k(self):
        self.random_walk(-1, 3, 3000)

    def test_random_walk_default(self):
        self.random_walk(-2, 4, 3000)

    def test_long_lists_both_ends(self):
        # Thousands of elements over many nodes: pushes, middle reads, pops from both ends.
        ref, sut = self._connect()
        for c in (ref, sut):
            c.cmd("FLUSHALL")
        rng = random.Random(7)
        script = []
        for i in range(3000):
            script.append(["RPUSH" if i % 3 else "LPUSH", "big",
                           str(i) if i % 2 else "elem-%d-%s" % (i, "p" * (i % 90))])
        for i in range(200):
            script.append(["LINDEX", "big", str(rng.randint(-3100, 3100))])
            script.append(["LRANGE", "big", str(rng.randint(-3100, 3100)),
                           str(rng.randint(-3100, 3100))])
        for i in range(100):
            script.append(["LSET", "big", str(rng.randint(-2999, 2999)), "s" * rng.randint(0, 200)])
            script.append(["LINSERT", "big", "AFTER", str(rng.randrange(1, 3000, 2)), "ins%d" % i])
        script += [["LREM", "big", "-5", "ins3"], ["LPOS", "big", "ins9", "RANK", "-1"],
                   ["LTRIM", "big", "100", "-100"], ["LLEN", "big"],
                   ["LPOP", "big", "700"], ["RPOP", "big", "700"], ["LRANGE", "big", "0", "-1"]]
        for args in script:
            rr, _ = ref.call(*args)
            sr, _ = sut.call(*args)
            self.assertEqual(rr, sr, "%s\n  redis: %r\n  ours:  %r" % (args[:3], rr[:200], sr[:200]))


ListCompatTest.add_groups(GROUPS)

if __name__ == "__main__":
    unittest.main()
