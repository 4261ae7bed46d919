# Differential test of the sorted-set commands: the same commands go to a stock redis-server (the
# reference) and to the server under test; the raw reply bytes must be identical. Uses the step
# types and the group runner of test_compat.py. Random replies (ZRANDMEMBER) are compared by
# shape; ZSCAN of a skiplist (hash order) by the full set of pairs it returns. Besides the fixed
# groups, seeded random walks of zset commands run with tiny listpack limits (so sets keep
# converting to skiplists) and with the defaults, comparing every reply and, every 50 steps, the
# whole sets with their scores.
import random
import unittest

import test_compat as tc
from harness import HOST, RespConnection, RespError

X, Shape, Sorted = tc.X, tc.Shape, tc.Sorted

LONG = "L" * 70  # longer than zset-max-listpack-value (64)


def array_of_len(n, pairs=False):
    """An array of n elements (RESP2 flat pairs count twice when pairs=True is given as 2n)."""
    def check(ref, ours):
        if not isinstance(ours, list) or len(ours) != n:
            return "expected an array of %d, got %r" % (n, ours)
    return check


def random_members_of(members, n, distinct, scores=False, nested=False):
    """ZRANDMEMBER shape: n elements, each a known member (and its known score)."""
    def check(ref, ours):
        if not isinstance(ours, list):
            return "expected an array, got %r" % (ours,)
        items = ours
        if scores and not nested:
            if len(items) % 2:
                return "odd flat pair array %r" % (ours,)
            items = list(zip(items[0::2], items[1::2]))
        if len(items) != n:
            return "expected %d elements, got %d: %r" % (n, len(items), ours)
        seen = []
        for it in items:
            if scores:
                if not isinstance(it, (list, tuple)) or len(it) != 2:
                    return "expected [member, score], got %r" % (it,)
                m, s = it
                if m not in members or float(s) != members[m]:
                    return "unknown pair %r" % (it,)
            else:
                m = it
                if m not in members:
                    return "unknown member %r" % (m,)
            seen.append(m)
        if distinct and len(set(seen)) != len(seen):
            return "repeated members in %r" % (seen,)
    return check


M5 = {b"a": 1.0, b"b": 2.0, b"c": 3.0, b"d": 4.0, b"e": 5.0}

GROUPS = {
    "zadd_basics": [
        X("ZADD", "z", "1", "a"), X("ZADD", "z", "2", "b", "3", "c"), X("ZADD", "z", "1", "a"),
        X("ZADD", "z", "5", "a"), X("ZRANGE", "z", "0", "-1", "WITHSCORES"), X("ZCARD", "z"),
        X("ZADD", "z", "CH", "6", "a", "2", "b", "9", "new"), X("ZADD", "z", "ch", "ch", "1", "x"),
        X("ZADD", "z", "NX", "100", "a", "100", "nx1"), X("ZADD", "z", "XX", "100", "a", "100", "xx1"),
        X("ZSCORE", "z", "xx1"), X("ZSCORE", "z", "a"), X("ZSCORE", "z", "nx1"),
        X("ZADD", "z", "GT", "50", "a"), X("ZADD", "z", "GT", "CH", "150", "a"),
        X("ZADD", "z", "LT", "CH", "200", "a", "1", "b"), X("ZADD", "z", "XX", "GT", "CH", "0", "a"),
        X("ZADD", "z", "GT", "7", "brandnew"), X("ZADD", "z", "LT", "7", "brandnew2"),
        X("ZRANGE", "z", "0", "-1", "WITHSCORES"),
        X("ZADD", "z", "INCR", "5", "a"), X("ZADD", "z", "INCR", "5", "fresh"),
        X("ZADD", "z", "NX", "INCR", "5", "a"), X("ZADD", "z", "XX", "INCR", "5", "zzz"),
        X("ZADD", "z", "GT", "INCR", "-1", "a"), X("ZADD", "z", "LT", "INCR", "-1", "a"),
        X("ZADD", "z", "INCR", "0", "a"), X("ZADD", "z", "XX", "INCR", "0", "a"),
        X("ZADD", "missing", "XX", "1", "a"), X("EXISTS", "missing"),
        X("ZADD", "missing", "XX", "INCR", "1", "a"), X("ZADD", "missing", "XX", "CH", "1", "a"),
        X("ZADD", "z", "1", "nx"), X("ZSCORE", "z", "nx"), X("TYPE", "z"),
    ],
    "zadd_errors": [
        X("ZADD", "z", "1"), X("ZADD", "z", "1", "a", "2"), X("ZADD", "z", "NX"),
        X("ZADD", "z", "NX", "XX", "1", "a"), X("ZADD", "z", "NX", "GT", "1", "a"),
        X("ZADD", "z", "LT", "NX", "1", "a"), X("ZADD", "z", "GT", "LT", "1", "a"),
        X("ZADD", "z", "INCR", "1", "a", "2", "b"), X("ZADD", "z", "x", "a"),
        X("ZADD", "z", "1", "a", "x", "b"), X("EXISTS", "z"), X("ZADD", "z", "nan", "a"),
        X("ZADD", "z", "NaN", "a"), X("ZADD", "z", "", "a"), X("ZADD", "z", " 1", "a"),
        X("ZADD", "z", "1 ", "a"), X("ZADD", "z", "1e400", "a"), X("ZADD", "z", "-1e400", "a"),
        X("ZADD", "z", "1e-400", "a"), X("ZADD", "z", "1.2.3", "a"), X("ZADD", "z", "--1", "a"),
        X("ZADD", "z", "NX", "XX", "x", "a"), X("ZADD", "z", "INCR", "x", "a", "y", "b"),
        X("ZADD", "z", "GT", "LT", "NX", "XX", "1", "a"), X("ZADD"), X("ZADD", "z"),
        X("ZADD", "z", "XX", "NX", "1"), X("EXISTS", "z"),
        X("SET", "s", "v"), X("ZADD", "s", "1", "a"), X("ZADD", "s", "x", "a"),
        X("ZADD", "s", "NX", "XX", "1", "a"), X("ZINCRBY", "s", "1", "a"),
    ],
    "scores": [
        X("ZADD", "z", "inf", "pinf", "-inf", "ninf", "+inf", "pinf2", "-0", "negzero", "0", "zero",
          "1.5", "f", "0x10", "hex", "1e3", "exp", "-2.5e-3", "small", "3.0000000000000004", "ulp",
          "9007199254740993", "big53", "36028797018963968", "two55", "-36028797018963969", "nbig",
          "123456789012345678901234567890", "huge", "1e-310", "denorm", "Infinity", "inf2",
          "-INF", "ninf2", "0.1", "tenth", "1e308", "max"),
        X("ZRANGE", "z", "0", "-1", "WITHSCORES"), X("ZSCORE", "z", "negzero"),
        X("ZSCORE", "z", "zero"), X("ZSCORE", "z", "denorm"), X("ZSCORE", "z", "pinf"),
        X("ZMSCORE", "z", "ninf", "tenth", "huge", "nope"), X("ZSCAN", "z", "0", "COUNT", "100"),
        X("ZADD", "n", "-36028797018963968", "a", "36028797018963967", "b", "-128", "c",
          "127", "d", "128", "e", "-129", "f", "32767", "g", "-32768", "h", "8388607", "i",
          "2147483648", "j", "-1", "k", "255", "l", "256", "m"),
        X("ZRANGE", "n", "0", "-1", "WITHSCORES"), X("ZSCAN", "n", "0"),
        X("ZADD", "z2", "inf", "a"), X("ZINCRBY", "z2", "-inf", "a"), X("ZSCORE", "z2", "a"),
        X("ZADD", "z2", "INCR", "-inf", "a"), X("ZINCRBY", "z2", "inf", "a"),
        X("ZINCRBY", "z2", "1", "a"), X("ZINCRBY", "z2", "nan", "a"),
        X("ZINCRBY", "z2", "x", "a"), X("ZINCRBY", "z2", "1.5", "b"), X("ZINCRBY", "z2", "-0", "c"),
        X("ZSCORE", "z2", "c"), X("ZINCRBY", "z2", "0", "c"), X("ZINCRBY", "z2", "1e308", "d"),
        X("ZINCRBY", "z2", "1e308", "d"), X("ZRANGE", "z2", "0", "-1", "WITHSCORES"),
        X("ZINCRBY", "z2", "NX", "a"), X("ZINCRBY", "missing", "2", "m"),
        X("ZADD", "zz", "0", "a"), X("ZADD", "zz", "-0", "a"), X("ZSCORE", "zz", "a"),
        X("ZADD", "zz", "CH", "-0", "a"),
    ],
    "zrem_zscore_zcard": [
        X("ZADD", "z", "1", "a", "2", "b", "3", "c"), X("ZREM", "z", "a", "x", "a"),
        X("ZREM", "z", "nope"), X("ZCARD", "z"), X("ZREM", "z", "b", "c", "d"), X("EXISTS", "z"),
        X("ZREM", "missing", "a"), X("ZSCORE", "missing", "a"), X("ZCARD", "missing"),
        X("ZMSCORE", "missing", "a", "b"), X("ZADD", "z", "1", "a"),
        X("ZMSCORE", "z", "a", "b", "a"), X("ZSCORE", "z", "b"), X("ZREM", "z"),
        X("ZSCORE", "z"), X("ZMSCORE", "z"), X("ZCARD"), X("ZCARD", "z", "y"),
        X("SET", "s", "v"), X("ZREM", "s", "a"), X("ZSCORE", "s", "a"), X("ZMSCORE", "s", "a"),
        X("ZCARD", "s"), X("ZRANK", "s", "a"), X("ZREVRANK", "s", "a"),
    ],
    "zrank": [
        X("ZADD", "z", "1", "a", "2", "b", "2", "bb", "3", "c"), X("ZRANK", "z", "a"),
        X("ZRANK", "z", "bb"), X("ZREVRANK", "z", "a"), X("ZREVRANK", "z", "c"),
        X("ZRANK", "z", "x"), X("ZREVRANK", "z", "x"), X("ZRANK", "missing", "a"),
        X("ZRANK", "z", "a", "WITHSCORE"),
    ],
    "zrange_rank": [
        X("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
        X("ZRANGE", "z", "0", "-1"), X("ZRANGE", "z", "1", "3"), X("ZRANGE", "z", "-2", "-1"),
        X("ZRANGE", "z", "3", "1"), X("ZRANGE", "z", "-100", "100"), X("ZRANGE", "z", "5", "9"),
        X("ZRANGE", "z", "0", "-6"), X("ZRANGE", "z", "0", "0", "withscores"),
        X("ZRANGE", "z", "-9223372036854775808", "9223372036854775807"),
        X("ZRANGE", "z", "9223372036854775807", "-9223372036854775808"),
        X("ZRANGE", "z", "0", "-1", "REV"), X("ZRANGE", "z", "1", "2", "REV", "WITHSCORES"),
        X("ZREVRANGE", "z", "0", "1"), X("ZREVRANGE", "z", "0", "-1", "WITHSCORES"),
        X("ZREVRANGE", "z", "-2", "-1"), X("ZREVRANGE", "z", "0", "1", "REV"),
        X("ZRANGE", "z", "a", "1"), X("ZRANGE", "z", "0", "1.5"), X("ZRANGE", "z", "0", "1", "FOO"),
        X("ZRANGE", "z", "0", "1", "LIMIT", "0", "1"), X("ZRANGE", "z", "0", "1", "LIMIT", "0", "-1"),
        X("ZRANGE", "z", "0", "1", "LIMIT", "5", "-1"), X("ZRANGE", "z", "0", "1", "LIMIT", "0"),
        X("ZRANGE", "z", "0", "1", "LIMIT", "x", "1"), X("ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"),
        X("ZRANGE", "missing", "0", "-1"), X("ZRANGE", "missing", "a", "b"),
        X("ZRANGE", "z", "0"), X("SET", "s", "v"), X("ZRANGE", "s", "0", "-1"),
        X("ZRANGE", "s", "a", "-1"), X("ZREVRANGE", "s", "0", "-1"),
        X("ZRANGE", "z", "0", "-1", "WITHSCORES", "WITHSCORES", "REV"),
        X("ZRANGE", "z", "0", "-1", "REV", "REV"),
    ],
    "zrange_byscore": [
        X("ZADD", "z", "1", "a", "2", "b", "2", "b2", "3", "c", "4", "d", "5", "e", "inf", "i",
          "-inf", "ni"),
        X("ZRANGEBYSCORE", "z", "-inf", "+inf"), X("ZRANGEBYSCORE", "z", "2", "3"),
        X("ZRANGEBYSCORE", "z", "(2", "3"), X("ZRANGEBYSCORE", "z", "2", "(3", "WITHSCORES"),
        X("ZRANGEBYSCORE", "z", "(2", "(2"), X("ZRANGEBYSCORE", "z", "2", "2"),
        X("ZRANGEBYSCORE", "z", "3", "2"), X("ZRANGEBYSCORE", "z", "(-inf", "(inf"),
        X("ZRANGEBYSCORE", "z", "inf", "inf"), X("ZRANGEBYSCORE", "z", "-inf", "-inf"),
        X("ZRANGEBYSCORE", "z", "", "3"), X("ZRANGEBYSCORE", "z", "(", "3"),
        X("ZRANGEBYSCORE", "z", " 2", "3"), X("ZRANGEBYSCORE", "z", "2 ", "3"),
        X("ZRANGEBYSCORE", "z", "1e400", "inf"), X("ZRANGEBYSCORE", "z", "0x2", "3"),
        X("ZRANGEBYSCORE", "z", "2\x00junk", "3"), X("ZRANGEBYSCORE", "z", "nan", "3"),
        X("ZRANGEBYSCORE", "z", "x", "3"), X("ZRANGEBYSCORE", "z", "1", "[3"),
        X("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "1", "2"),
        X("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "1", "-1"),
        X("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "1", "-5"),
        X("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "0", "0"),
        X("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "-1", "2"),
        X("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "8", "2"),
        X("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "7", "2"),
        X("ZRANGEBYSCORE", "z", "2", "4", "LIMIT", "2", "5", "WITHSCORES"),
        X("ZRANGEBYSCORE", "z", "2", "4", "LIMIT", "3", "5"),
        X("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "9223372036854775807", "1"),
        X("ZRANGEBYSCORE", "z", "2", "4", "WITHSCORES", "LIMIT", "1", "1", "LIMIT", "0", "1"),
        X("ZRANGEBYSCORE", "z", "2", "4", "LIMIT", "1"), X("ZRANGEBYSCORE", "z", "2", "4", "REV"),
        X("ZRANGEBYSCORE", "z", "2", "4", "BYSCORE"),
        X("ZREVRANGEBYSCORE", "z", "+inf", "-inf"), X("ZREVRANGEBYSCORE", "z", "4", "2"),
        X("ZREVRANGEBYSCORE", "z", "(4", "(2", "WITHSCORES"), X("ZREVRANGEBYSCORE", "z", "2", "4"),
        X("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "2", "3"),
        X("ZREVRANGEBYSCORE", "z", "4", "2", "LIMIT", "2", "3"),
        X("ZREVRANGEBYSCORE", "z", "4", "2", "LIMIT", "3", "3"),
        X("ZRANGE", "z", "2", "4", "BYSCORE"), X("ZRANGE", "z", "4", "2", "BYSCORE", "REV"),
        X("ZRANGE", "z", "(1", "5", "BYSCORE", "LIMIT", "1", "2", "WITHSCORES"),
        X("ZRANGE", "z", "5", "(1", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES"),
        X("ZRANGE", "z", "x", "5", "BYSCORE"), X("ZRANGE", "z", "1", "5", "BYSCORE", "BYLEX"),
        X("ZRANGE", "z", "1", "5", "BYSCORE", "BYSCORE"),
        X("ZRANGEBYSCORE", "missing", "x", "y"), X("ZRANGEBYSCORE", "missing", "0", "1"),
        X("SET", "s", "v"), X("ZRANGEBYSCORE", "s", "0", "1"), X("ZRANGEBYSCORE", "s", "x", "1"),
    ],
    "zrange_bylex": [
        X("ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "ab", "0", "",
          "0", "\xff", "0", "B"),
        X("ZRANGEBYLEX", "z", "-", "+"), X("ZRANGEBYLEX", "z", "[a", "[c"),
        X("ZRANGEBYLEX", "z", "(a", "(c"), X("ZRANGEBYLEX", "z", "[", "(a"),
        X("ZRANGEBYLEX", "z", "(", "+"), X("ZRANGEBYLEX", "z", "+", "-"),
        X("ZRANGEBYLEX", "z", "-", "-"), X("ZRANGEBYLEX", "z", "+", "+"),
        X("ZRANGEBYLEX", "z", "[b", "[b"), X("ZRANGEBYLEX", "z", "(b", "[b"),
        X("ZRANGEBYLEX", "z", "[c", "[a"), X("ZRANGEBYLEX", "z", "-", "[c", "LIMIT", "1", "2"),
        X("ZRANGEBYLEX", "z", "-", "+", "LIMIT", "0", "-1"),
        X("ZRANGEBYLEX", "z", "-", "+", "LIMIT", "-1", "3"),
        X("ZRANGEBYLEX", "z", "-", "+", "LIMIT", "9", "3"),
        X("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"), X("ZRANGEBYLEX", "z", "a", "c"),
        X("ZRANGEBYLEX", "z", "[a", "c"), X("ZRANGEBYLEX", "z", "", "+"),
        X("ZRANGEBYLEX", "z", "-x", "+"), X("ZRANGEBYLEX", "z", "-", "+x"),
        X("ZRANGEBYLEX", "z", "-\x00x", "+"),
        X("ZREVRANGEBYLEX", "z", "+", "-"), X("ZREVRANGEBYLEX", "z", "[c", "[a"),
        X("ZREVRANGEBYLEX", "z", "(d", "(a", "LIMIT", "1", "1"),
        X("ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "3", "100"), X("ZREVRANGEBYLEX", "z", "-", "+"),
        X("ZRANGE", "z", "[a", "[c", "BYLEX"), X("ZRANGE", "z", "[c", "[a", "BYLEX", "REV"),
        X("ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", "2", "2"),
        X("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"),
        X("ZRANGE", "z", "-", "+", "WITHSCORES", "BYLEX"),
        X("ZRANGE", "z", "x", "+", "BYLEX"),
        X("ZLEXCOUNT", "z", "-", "+"), X("ZLEXCOUNT", "z", "[b", "(d"), X("ZLEXCOUNT", "z", "(d", "[b"),
        X("ZLEXCOUNT", "z", "a", "b"), X("ZLEXCOUNT", "missing", "-", "+"),
        X("ZLEXCOUNT", "missing", "a", "+"), X("SET", "s", "v"), X("ZLEXCOUNT", "s", "-", "+"),
        X("ZLEXCOUNT", "s", "x", "+"), X("ZRANGEBYLEX", "s", "-", "+"),
    ],
    "zcount": [
        X("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "-inf", "m", "inf", "p"),
        X("ZCOUNT", "z", "-inf", "+inf"), X("ZCOUNT", "z", "2", "3"), X("ZCOUNT", "z", "(2", "3"),
        X("ZCOUNT", "z", "(2", "(3"), X("ZCOUNT", "z", "3", "2"), X("ZCOUNT", "z", "(-inf", "(inf"),
        X("ZCOUNT", "z", "5", "10"), X("ZCOUNT", "z", "x", "1"), X("ZCOUNT", "z", "1", "nan"),
        X("ZCOUNT", "missing", "0", "1"), X("ZCOUNT", "missing", "x", "1"),
        X("SET", "s", "v"), X("ZCOUNT", "s", "0", "1"), X("ZCOUNT", "s", "x", "1"),
    ],
    "zrangestore": [
        X("ZADD", "src", "1", "a", "2", "b", "3", "c", "4", "d"),
        X("ZRANGESTORE", "dst", "src", "0", "1"), X("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        X("ZRANGESTORE", "dst", "src", "2", "4", "BYSCORE", "LIMIT", "1", "5"),
        X("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        X("ZRANGESTORE", "dst", "src", "(4", "1", "BYSCORE", "REV"),
        X("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        X("ZRANGESTORE", "dst", "src", "0", "-1", "REV"), X("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        X("ZRANGESTORE", "dst", "src", "[b", "+", "BYLEX"), X("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        X("OBJECT", "ENCODING", "dst"),
        X("ZRANGESTORE", "dst", "src", "5", "10"), X("EXISTS", "dst"),
        X("SET", "str", "v"), X("ZRANGESTORE", "str", "src", "0", "0"), X("TYPE", "str"),
        X("ZRANGESTORE", "str", "missing", "0", "-1"), X("EXISTS", "str"),
        X("ZRANGESTORE", "src", "src", "1", "2"), X("ZRANGE", "src", "0", "-1", "WITHSCORES"),
        X("ZRANGESTORE", "dst", "src", "0", "-1", "WITHSCORES"),
        X("ZRANGESTORE", "dst", "src", "0", "-1", "LIMIT", "0", "1"),
        X("ZRANGESTORE", "dst", "src", "x", "1"), X("ZRANGESTORE", "dst", "src", "0"),
        X("SET", "s", "v"), X("ZRANGESTORE", "dst", "s", "0", "-1"),
        X("ZRANGESTORE", "dst", "s", "x", "-1"),
    ],
    "zremrange": [
        X("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"),
        X("ZREMRANGEBYRANK", "z", "0", "0"), X("ZREMRANGEBYRANK", "z", "-1", "-1"),
        X("ZRANGE", "z", "0", "-1"), X("ZREMRANGEBYRANK", "z", "5", "10"),
        X("ZREMRANGEBYRANK", "z", "2", "1"), X("ZREMRANGEBYRANK", "z", "-100", "0"),
        X("ZRANGE", "z", "0", "-1"), X("ZREMRANGEBYSCORE", "z", "(3", "4"),
        X("ZRANGE", "z", "0", "-1"), X("ZREMRANGEBYSCORE", "z", "10", "20"),
        X("ZREMRANGEBYSCORE", "z", "-inf", "+inf"), X("EXISTS", "z"),
        X("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"),
        X("ZREMRANGEBYLEX", "l", "(a", "[c"), X("ZRANGE", "l", "0", "-1"),
        X("ZREMRANGEBYLEX", "l", "-", "+"), X("EXISTS", "l"),
        X("ZREMRANGEBYRANK", "missing", "0", "-1"), X("ZREMRANGEBYRANK", "missing", "x", "1"),
        X("ZREMRANGEBYSCORE", "missing", "x", "1"), X("ZREMRANGEBYLEX", "missing", "x", "1"),
        X("ZREMRANGEBYSCORE", "missing", "0", "1"), X("ZREMRANGEBYLEX", "missing", "-", "+"),
        X("SET", "s", "v"), X("ZREMRANGEBYRANK", "s", "0", "1"), X("ZREMRANGEBYSCORE", "s", "0", "1"),
        X("ZREMRANGEBYLEX", "s", "-", "+"), X("ZREMRANGEBYRANK", "s", "x", "1"),
        X("ZADD", "r", "1", "a", "2", "b"),
        X("ZREMRANGEBYRANK", "r", "-9223372036854775808", "9223372036854775807"),
        X("EXISTS", "r"),
    ],
    "pops": [
        X("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
        X("ZPOPMIN", "z"), X("ZPOPMAX", "z"), X("ZPOPMIN", "z", "2"), X("ZPOPMAX", "z", "0"),
        X("ZPOPMAX", "z", "10"), X("EXISTS", "z"), X("ZPOPMIN", "missing"),
        X("ZPOPMIN", "missing", "3"), X("ZPOPMIN", "missing", "0"), X("ZPOPMIN", "z", "-1"),
        X("ZPOPMIN", "z", "x"), X("ZPOPMIN", "z", "1", "2"), X("ZPOPMAX", "missing", "-1"),
        X("SET", "s", "v"), X("ZPOPMIN", "s"), X("ZPOPMIN", "s", "0"), X("ZPOPMAX", "s", "-1"),
        X("ZADD", "a", "1", "x", "2", "y"), X("ZADD", "b", "3", "p", "inf", "q"),
        X("ZMPOP", "1", "a", "MIN"), X("ZMPOP", "2", "missing", "b", "MAX", "COUNT", "5"),
        X("EXISTS", "b"), X("ZMPOP", "3", "m1", "m2", "a", "max", "count", "1"),
        X("ZMPOP", "1", "a", "MIN"), X("ZMPOP", "0", "a", "MIN"), X("ZMPOP", "-1", "a", "MIN"),
        X("ZMPOP", "x", "a", "MIN"), X("ZMPOP", "2", "a", "MIN"), X("ZMPOP", "1", "a", "UP"),
        X("ZMPOP", "1", "a"), X("ZMPOP", "1", "a", "MIN", "COUNT"),
        X("ZMPOP", "1", "a", "MIN", "COUNT", "0"), X("ZMPOP", "1", "a", "MIN", "COUNT", "-1"),
        X("ZMPOP", "1", "a", "MIN", "COUNT", "x"), X("ZMPOP", "1", "a", "MIN", "COUNT", "1",
                                                    "COUNT", "1"),
        X("ZMPOP", "1", "a", "MIN", "FOO"), X("ZMPOP", "9223372036854775807", "a", "MIN"),
        X("ZMPOP", "1", "a", "MIN", "COUNT", "9223372036854775807"),
        X("ZADD", "c", "1", "z"), X("ZMPOP", "2", "s", "c", "MIN"), X("ZMPOP", "2", "c", "s", "MIN"),
        X("ZMPOP", "2", "missing", "s", "MIN"), X("ZMPOP", "1", "missing", "MIN"), X("ZMPOP"),
    ],
    "zrandmember": [
        X("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
        Shape(random_members_of(M5, 1, True), "ZRANDMEMBER", "z", "1"),
        X("ZRANDMEMBER", "z", "5"), X("ZRANDMEMBER", "z", "100"), X("ZRANDMEMBER", "z", "0"),
        X("ZRANDMEMBER", "z", "5", "WITHSCORES"), X("ZRANDMEMBER", "z", "6", "withscores"),
        Shape(random_members_of(M5, 3, True), "ZRANDMEMBER", "z", "3"),
        Shape(random_members_of(M5, 2, True), "ZRANDMEMBER", "z", "2"),
        Shape(random_members_of(M5, 4, True, scores=True), "ZRANDMEMBER", "z", "4", "WITHSCORES"),
        Shape(random_members_of(M5, 20, False), "ZRANDMEMBER", "z", "-20"),
        Shape(random_members_of(M5, 7, False, scores=True), "ZRANDMEMBER", "z", "-7", "WITHSCORES"),
        X("ZRANDMEMBER", "missing"), X("ZRANDMEMBER", "missing", "5"),
        X("ZRANDMEMBER", "missing", "-5", "WITHSCORES"), X("ZRANDMEMBER", "z", "x"),
        X("ZRANDMEMBER", "z", "1", "FOO"), X("ZRANDMEMBER", "z", "1", "WITHSCORES", "x"),
        X("ZRANDMEMBER", "z", "-9223372036854775808"),
        X("ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"),
        X("ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"),
        X("ZRANDMEMBER", "missing", "x"), X("ZRANDMEMBER", "missing", "1", "FOO"),
        X("SET", "s", "v"), X("ZRANDMEMBER", "s"), X("ZRANDMEMBER", "s", "1"),
        X("ZRANDMEMBER", "s", "0"),
    ],
    "setops": [
        X("ZADD", "a", "1", "x", "2", "y", "3", "z"), X("ZADD", "b", "10", "y", "20", "z", "30", "w"),
        X("SADD", "s", "x", "w", "v"), X("SADD", "si", "1", "2", "x"),
        X("ZUNIONSTORE", "d", "2", "a", "b"), X("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        X("ZINTERSTORE", "d", "2", "a", "b"), X("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        X("ZDIFFSTORE", "d", "2", "a", "b"), X("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        X("ZUNION", "2", "a", "b", "WITHSCORES"), X("ZINTER", "2", "a", "b", "WITHSCORES"),
        X("ZDIFF", "2", "b", "a", "WITHSCORES"), X("ZUNION", "2", "a", "b"),
        X("ZUNION", "3", "a", "b", "s", "WITHSCORES"), X("ZINTER", "2", "a", "s", "WITHSCORES"),
        X("ZDIFF", "2", "s", "a", "WITHSCORES"), X("ZUNION", "2", "si", "a", "WITHSCORES"),
        X("ZINTER", "2", "si", "si", "WITHSCORES"),
        X("ZUNION", "2", "a", "b", "WEIGHTS", "2", "0.5", "WITHSCORES"),
        X("ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"),
        X("ZUNION", "2", "a", "b", "aggregate", "max", "weights", "-1", "1", "withscores"),
        X("ZINTER", "2", "a", "b", "WEIGHTS", "0", "inf", "WITHSCORES"),
        X("ZINTER", "3", "a", "a", "a", "AGGREGATE", "SUM", "WITHSCORES"),
        X("ZUNION", "2", "a", "missing", "WITHSCORES"), X("ZINTER", "2", "a", "missing"),
        X("ZDIFF", "2", "missing", "a"), X("ZDIFF", "1", "a"), X("ZUNION", "1", "missing"),
        X("ZUNIONSTORE", "d", "1", "missing"), X("EXISTS", "d"),
        X("ZADD", "d", "1", "q"), X("ZINTERSTORE", "d", "2", "a", "missing"), X("EXISTS", "d"),
        X("ZUNIONSTORE", "a", "2", "a", "b", "WEIGHTS", "1", "2"), X("ZRANGE", "a", "0", "-1", "WITHSCORES"),
        X("ZADD", "inf1", "inf", "m", "1", "n"), X("ZADD", "inf2", "-inf", "m", "2", "n"),
        X("ZUNION", "2", "inf1", "inf2", "WITHSCORES"), X("ZINTER", "2", "inf1", "inf2", "WITHSCORES"),
        X("ZUNION", "2", "inf1", "inf2", "WEIGHTS", "0", "1", "WITHSCORES"),
        X("ZADD", "f1", "0.1", "m"), X("ZADD", "f2", "0.2", "m", "1", "x"),
        X("ZADD", "f3", "0.3", "m", "1", "x", "2", "y"),
        X("ZUNION", "3", "f3", "f1", "f2", "WITHSCORES"), X("ZINTER", "3", "f3", "f2", "f1", "WITHSCORES"),
        X("SET", "str", "v"), X("ZUNION", "2", "a", "str"), X("ZUNIONSTORE", "d", "2", "a", "str"),
        X("ZUNION", "2", "str", "a", "FOO"), X("ZINTERSTORE", "str", "1", "a"), X("TYPE", "str"),
        X("ZUNION", "0", "a"), X("ZUNION", "-1", "a"), X("ZUNION", "x", "a"), X("ZUNION", "3", "a", "b"),
        X("ZUNIONSTORE", "d", "0", "a"), X("ZINTERSTORE", "d", "0", "a"), X("ZDIFFSTORE", "d", "0", "a"),
        X("ZINTER", "0", "a"), X("ZDIFF", "0", "a"), X("ZINTERCARD", "0", "a"),
        X("ZUNION", "2", "a", "b", "WEIGHTS", "1"), X("ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"),
        X("ZUNION", "2", "a", "b", "WEIGHTS", "1", "nan"), X("ZUNION", "2", "a", "b", "AGGREGATE"),
        X("ZUNION", "2", "a", "b", "AGGREGATE", "AVG"), X("ZDIFF", "2", "a", "b", "WEIGHTS", "1", "2"),
        X("ZDIFF", "2", "a", "b", "AGGREGATE", "SUM"), X("ZUNIONSTORE", "d", "2", "a", "b", "WITHSCORES"),
        X("ZUNION", "2", "a", "b", "WITHSCORES", "WITHSCORES"),
        X("ZUNION", "2", "a", "b", "WEIGHTS", "1", "2", "WEIGHTS", "3", "4", "WITHSCORES"),
        X("ZINTERCARD", "2", "a", "b"), X("ZINTERCARD", "2", "a", "b", "LIMIT", "1"),
        X("ZINTERCARD", "2", "a", "b", "LIMIT", "0"), X("ZINTERCARD", "2", "a", "s"),
        X("ZINTERCARD", "1", "a", "LIMIT", "-1"), X("ZINTERCARD", "1", "a", "LIMIT"),
        X("ZINTERCARD", "1", "a", "WITHSCORES"), X("ZINTERCARD", "2", "a", "str"),
        X("ZINTERCARD", "2", "a", "missing"),
    ],
    "encodings": [
        X("ZADD", "z", "1", "a"), X("OBJECT", "ENCODING", "z"), X("ZADD", "z", "2", LONG),
        X("OBJECT", "ENCODING", "z"), X("ZREM", "z", LONG), X("OBJECT", "ENCODING", "z"),
        X("ZADD", "big", "1", LONG), X("OBJECT", "ENCODING", "big"),
        X("CONFIG", "SET", "zset-max-listpack-entries", "3"),
        X("ZADD", "e", "1", "a", "2", "b", "3", "c"), X("OBJECT", "ENCODING", "e"),
        X("ZADD", "e", "4", "d"), X("OBJECT", "ENCODING", "e"), X("ZRANGE", "e", "0", "-1", "WITHSCORES"),
        X("ZADD", "e2", "1", "a", "2", "b", "3", "c", "4", "d"), X("OBJECT", "ENCODING", "e2"),
        X("ZUNIONSTORE", "u", "1", "e"), X("OBJECT", "ENCODING", "u"),
        X("ZRANGESTORE", "u", "e", "0", "2"), X("OBJECT", "ENCODING", "u"),
        X("ZRANGESTORE", "u", "e", "0", "3"), X("OBJECT", "ENCODING", "u"),
        X("ZDIFFSTORE", "u", "2", "e", "missing"), X("OBJECT", "ENCODING", "u"),
        X("ZPOPMIN", "u", "2"), X("OBJECT", "ENCODING", "u"), X("COPY", "u", "u2"),
        X("OBJECT", "ENCODING", "u2"), X("ZRANGE", "u2", "0", "-1", "WITHSCORES"),
        X("CONFIG", "SET", "zset-max-listpack-entries", "0"),
        X("ZADD", "zero", "1", "a"), X("OBJECT", "ENCODING", "zero"),
        X("ZRANGESTORE", "u3", "e", "0", "0"), X("OBJECT", "ENCODING", "u3"),
        X("CONFIG", "SET", "zset-max-listpack-entries", "128"),
        X("CONFIG", "SET", "zset-max-listpack-value", "2"),
        X("ZADD", "v", "1", "ab"), X("OBJECT", "ENCODING", "v"), X("ZADD", "v", "1", "abc"),
        X("OBJECT", "ENCODING", "v"), X("ZUNIONSTORE", "v2", "1", "v"), X("OBJECT", "ENCODING", "v2"),
        X("ZINTERSTORE", "v3", "2", "v", "v"), X("OBJECT", "ENCODING", "v3"),
        X("ZADD", "v4", "1", "abc", "2", "d"), X("OBJECT", "ENCODING", "v4"),
        X("CONFIG", "SET", "zset-max-listpack-value", "64"),
        X("ZADD", "v5", "1", "a", "2", "b"), X("ZADD", "v5", "XX", "3", LONG),
        X("OBJECT", "ENCODING", "v5"), X("ZADD", "v5", "INCR", "1", LONG), X("OBJECT", "ENCODING", "v5"),
    ],
    "ttl_rename_copy": [
        X("ZADD", "z", "1", "a", "2", "b"), X("EXPIRE", "z", "100"), X("ZADD", "z", "3", "c"),
        X("TTL", "z"), X("ZPOPMIN", "z"), X("TTL", "z"), X("RENAME", "z", "y"),
        X("ZRANGE", "y", "0", "-1", "WITHSCORES"), X("TTL", "y"), X("COPY", "y", "w"),
        X("ZADD", "w", "9", "new"), X("ZRANGE", "y", "0", "-1"), X("ZRANGE", "w", "0", "-1"),
        X("ZREMRANGEBYRANK", "w", "0", "-1"), X("EXISTS", "w"),
        X("ZADD", "p", "1", "x"), X("PEXPIREAT", "p", "1"), X("ZCARD", "p"),
        X("ZADD", "p", "XX", "1", "x"), X("EXISTS", "p"),
        X("ZADD", "t", "1", "a", "2", "b", "3", "c"), X("ZUNIONSTORE", "t", "1", "t",
                                                        "WEIGHTS", "2"),
        X("ZRANGE", "t", "0", "-1", "WITHSCORES"), X("TYPE", "t"),
    ],
    "resp3": [
        Shape(tc.hello_shape, "HELLO", "3"),
        X("ZADD", "z", "1", "a", "2.5", "b", "inf", "c"), X("ZADD", "z", "INCR", "1", "a"),
        X("ZADD", "z", "NX", "INCR", "1", "a"), X("ZINCRBY", "z", "1", "a"),
        X("ZSCORE", "z", "a"), X("ZSCORE", "z", "c"), X("ZSCORE", "z", "nope"),
        X("ZSCORE", "missing", "a"), X("ZMSCORE", "z", "a", "nope"), X("ZMSCORE", "missing", "a"),
        X("ZRANK", "z", "nope"), X("ZRANGE", "z", "0", "-1"), X("ZRANGE", "z", "0", "-1", "WITHSCORES"),
        X("ZRANGE", "missing", "0", "-1", "WITHSCORES"), X("ZRANGE", "z", "5", "6", "WITHSCORES"),
        X("ZRANGEBYSCORE", "z", "-inf", "inf", "WITHSCORES"),
        X("ZRANGEBYSCORE", "z", "10", "20", "WITHSCORES"),
        X("ZREVRANGE", "z", "0", "-1", "WITHSCORES"), X("ZRANGEBYLEX", "z", "-", "+"),
        X("ZUNION", "1", "z", "WITHSCORES"), X("ZINTER", "2", "z", "z", "WITHSCORES"),
        X("ZDIFF", "1", "z", "WITHSCORES"), X("ZUNION", "1", "z"),
        X("ZRANDMEMBER", "z", "10", "WITHSCORES"),
        Shape(random_members_of({b"a": 3.0, b"b": 2.5, b"c": float("inf")}, 3, True),
              "ZRANDMEMBER", "z", "3"),
        X("ZRANDMEMBER", "missing"), X("ZRANDMEMBER", "missing", "3", "WITHSCORES"),
        X("ZSCAN", "z", "0"), X("ZPOPMIN", "z"), X("ZPOPMIN", "z", "1"), X("ZPOPMAX", "z", "0"),
        X("ZPOPMAX", "missing"), X("ZPOPMAX", "missing", "2"),
        X("ZADD", "y", "1", "a", "2", "b"), X("ZMPOP", "1", "y", "MAX"),
        X("ZMPOP", "1", "missing", "MAX"), X("ZMPOP", "1", "y", "MAX", "COUNT", "5"),
    ],
    "zscan_listpack": [
        X("ZADD", "z", "1", "a", "2", "b", "3.5", "c", "-0", "d", "inf", "e", "1e-5", "f"),
        X("ZSCAN", "z", "0"), X("ZSCAN", "z", "0", "COUNT", "1"), X("ZSCAN", "z", "0", "MATCH", "[a-c]"),
        X("ZSCAN", "z", "0", "match", "*", "count", "2"), X("ZSCAN", "z", "123"),
        X("ZSCAN", "z", "x"), X("ZSCAN", "z", "-1"), X("ZSCAN", "z", "18446744073709551616"),
        X("ZSCAN", "z", "0", "COUNT", "0"), X("ZSCAN", "z", "0", "COUNT", "x"),
        X("ZSCAN", "z", "0", "TYPE", "zset"), X("ZSCAN", "z", "0", "MATCH"),
        X("ZSCAN", "z", "0", "FOO", "bar"), X("ZSCAN", "missing", "0"),
        X("ZSCAN", "missing", "0", "FOO"), X("ZSCAN", "missing", "x"),
        X("SET", "s", "v"), X("ZSCAN", "s", "0"), X("ZSCAN", "s", "x"),
    ],
    "command_info": [
        Shape(tc.command_info_shape, "COMMAND", "INFO", "zadd", "zrem", "zscore", "zmscore",
              "zincrby", "zcard", "zcount", "zlexcount", "zrank", "zrevrank", "zrange",
              "zrangestore", "zrevrange", "zrangebyscore", "zrevrangebyscore", "zrangebylex",
              "zrevrangebylex", "zremrangebyrank", "zremrangebyscore", "zremrangebylex",
              "zpopmin", "zpopmax", "zmpop", "zrandmember", "zunionstore", "zinterstore",
              "zdiffstore", "zunion", "zinter", "zdiff", "zintercard", "zscan"),
        Shape(tc.command_docs_shape, "COMMAND", "DOCS", "zadd"),
        X("COMMAND", "GETKEYS", "ZRANGESTORE", "d", "s", "0", "1"),
        X("COMMAND", "GETKEYS", "ZADD", "k", "1", "m"),
    ],
    "transactions": [
        X("MULTI"), X("ZADD", "z", "1", "a", "2", "b"), X("ZINCRBY", "z", "5", "a"),
        X("ZRANGE", "z", "0", "-1", "WITHSCORES"), X("ZUNIONSTORE", "u", "1", "z"),
        X("ZPOPMIN", "u"), X("EXEC"), X("ZRANGE", "u", "0", "-1", "WITHSCORES"),
        X("MULTI"), X("ZADD", "z", "x", "a"), X("ZADD", "z", "1", "c"), X("EXEC"),
        X("ZCARD", "z"),
    ],
}


# -- ZSCAN over a skiplist: hash order differs, the pairs must not -------------------------------
def zscan_all(conn, key, *opts):
    cursor = b"0"
    pairs = set()
    for _ in range(100000):
        cursor, flat = conn.cmd("ZSCAN", key, cursor, *opts)
        pairs.update(zip(flat[0::2], flat[1::2]))
        if cursor == b"0":
            return pairs
    raise AssertionError("ZSCAN did not finish")


# -- the random walk ------------------------------------------------------------------------------
MEMBERS = ["a", "b", "c", "d", "e", "f", "g", "h", "m1", "m2", "", "x" * 10, "y" * 70, "12", "-3"]
SCORES = ["0", "1", "1", "2", "-1", "1.5", "-2.25", "3", "inf", "-inf", "100", "7e10", "-0", "0.1"]
KEYS = ["k1", "k2", "k3"]


def score_arg(rng):
    s = rng.choice(SCORES)
    if rng.random() < 0.1:
        return "(" + s
    return s


def lex_arg(rng):
    r = rng.random()
    if r < 0.15:
        return "-"
    if r < 0.3:
        return "+"
    return rng.choice("[(") + rng.choice(MEMBERS)


def random_command(rng, lex_key):
    k = rng.choice(KEYS)
    m = lambda: rng.choice(MEMBERS)
    idx = lambda: str(rng.randint(-15, 15))
    op = rng.randrange(24)
    if op <= 3:
        opts = []
        for flag in ("NX", "XX", "GT", "LT", "CH"):
            if rng.random() < 0.12:
                opts.append(flag)
        args = []
        for _ in range(rng.randint(1, 5)):
            args += [rng.choice(SCORES), m()]
        if rng.random() < 0.1:
            opts.append("INCR")
            args = args[:2]
        return ["ZADD", k] + opts + args
    if op == 4:
        return ["ZINCRBY", k, rng.choice(SCORES), m()]
    if op == 5:
        return ["ZREM", k] + [m() for _ in range(rng.randint(1, 4))]
    if op == 6:
        return ["ZRANGE", k, idx(), idx()] + (["WITHSCORES"] if rng.random() < 0.5 else []) + \
            (["REV"] if rng.random() < 0.3 else [])
    if op == 7:
        cmd = ["ZRANGEBYSCORE", k, score_arg(rng), score_arg(rng)]
        if rng.random() < 0.5:
            cmd.append("WITHSCORES")
        if rng.random() < 0.4:
            cmd += ["LIMIT", str(rng.randint(0, 6)), str(rng.randint(-1, 6))]
        return cmd
    if op == 8:
        cmd = ["ZREVRANGEBYSCORE", k, score_arg(rng), score_arg(rng)]
        if rng.random() < 0.4:
            cmd += ["LIMIT", str(rng.randint(0, 6)), str(rng.randint(-1, 6))]
        return cmd
    if op == 9:
        return ["ZCOUNT", k, score_arg(rng), score_arg(rng)]
    if op == 10:
        return [rng.choice(["ZRANK", "ZREVRANK"]), k, m()]
    if op == 11:
        return ["ZSCORE", k, m()]
    if op == 12:
        return ["ZREMRANGEBYRANK", k, idx(), idx()]
    if op == 13:
        return ["ZREMRANGEBYSCORE", k, score_arg(rng), score_arg(rng)]
    if op == 14:
        return [rng.choice(["ZPOPMIN", "ZPOPMAX"]), k] + ([str(rng.randint(0, 4))]
                                                         if rng.random() < 0.5 else [])
    if op == 15:
        keys = rng.sample(KEYS, rng.randint(1, 3))
        return ["ZMPOP", str(len(keys))] + keys + [rng.choice(["MIN", "MAX"]), "COUNT",
                                                   str(rng.randint(1, 3))]
    if op == 16:
        keys = rng.sample(KEYS, rng.randint(1, 3))
        cmd = [rng.choice(["ZUNIONSTORE", "ZINTERSTORE"]), rng.choice(KEYS + ["dst"]),
               str(len(keys))] + keys
        if rng.random() < 0.4:
            cmd += ["WEIGHTS"] + [rng.choice(["1", "2", "-1", "0.5", "0"]) for _ in keys]
        if rng.random() < 0.4:
            cmd += ["AGGREGATE", rng.choice(["SUM", "MIN", "MAX"])]
        return cmd
    if op == 17:
        keys = rng.sample(KEYS, rng.randint(1, 3))
        return [rng.choice(["ZUNION", "ZINTER", "ZDIFF"]), str(len(keys))] + keys + ["WITHSCORES"]
    if op == 18:
        keys = rng.sample(KEYS, rng.randint(1, 3))
        return ["ZDIFFSTORE", rng.choice(KEYS + ["dst"]), str(len(keys))] + keys
    if op == 19:
        return ["ZRANGESTORE", rng.choice(KEYS + ["dst"]), k, idx(), idx()]
    if op == 20:
        # Lex commands on a key whose members all share one score.
        c = rng.randrange(5)
        if c == 0:
            return ["ZADD", lex_key] + sum((["0", m()] for _ in range(rng.randint(1, 3))), [])
        if c == 1:
            cmd = ["ZRANGEBYLEX", lex_key, lex_arg(rng), lex_arg(rng)]
            if rng.random() < 0.4:
                cmd += ["LIMIT", str(rng.randint(0, 5)), str(rng.randint(-1, 5))]
            return cmd
        if c == 2:
            return ["ZREVRANGEBYLEX", lex_key, lex_arg(rng), lex_arg(rng)]
        if c == 3:
            return ["ZLEXCOUNT", lex_key, lex_arg(rng), lex_arg(rng)]
        return ["ZREMRANGEBYLEX", lex_key, lex_arg(rng), lex_arg(rng)]
    if op == 21:
        return ["ZMSCORE", k, m(), m()]
    if op == 22:
        return ["ZCARD", k]
    return ["OBJECT", "ENCODING", k]


class ZSetCompatTest(tc.DifferentialTestCase):
    """The zset groups and random walks against redis-server (reference) and our server."""


    def run_group(self, steps):
        # Groups may change the listpack limits: always start from (and restore) the defaults.
        ref, sut = self._connect()
        for c in (ref, sut):
            self.addCleanup(self._reset_limits, c)
        tc.DifferentialTestCase.run_group(self, steps)

    @staticmethod
    def _reset_limits(c):
        try:
            c.cmd("CONFIG", "SET", "zset-max-listpack-entries", "128")
            c.cmd("CONFIG", "SET", "zset-max-listpack-value", "64")
        except (OSError, RespError):
            pass

    def _set_limits(self, entries, value):
        ref, sut = self._connect()
        for c in (ref, sut):
            c.cmd("FLUSHALL")
            c.cmd("CONFIG", "SET", "zset-max-listpack-entries", str(entries))
            c.cmd("CONFIG", "SET", "zset-max-listpack-value", str(value))
            self.addCleanup(self._reset_limits, c)
        return ref, sut

    def random_walk(self, entries, value, seed, steps):
        ref, sut = self._set_limits(entries, value)
        rng = random.Random(seed)
        for i in range(steps):
            args = random_command(rng, "lex")
            rr, _ = ref.call(*args)
            sr, _ = sut.call(*args)
            if rr != sr:
                self.fail("limits %s/%s seed %d step %d: %s\n  redis: %r\n  ours:  %r"
                          % (entries, value, seed, i, " ".join(args), rr[:300], sr[:300]))
            if i % 50 == 49:
                for k in KEYS + ["dst", "lex"]:
                    a = ref.call("ZRANGE", k, "0", "-1", "WITHSCORES")[0]
                    b = sut.call("ZRANGE", k, "0", "-1", "WITHSCORES")[0]
                    self.assertEqual(a, b, "seed %d step %d: contents of %s differ" % (seed, i, k))

    def test_random_walk_tiny_listpacks(self):
        self.random_walk(3, 8, 11, 4000)

    def test_random_walk_no_listpacks(self):
        self.random_walk(0, 64, 12, 3000)

    def test_random_walk_default(self):
        self.random_walk(128, 64, 13, 4000)

    def test_big_skiplist(self):
        # Thousands of members with tied and spread scores: ranks, ranges, removals, pops, scans.
        ref, sut = self._set_limits(128, 64)
        rng = random.Random(5)
        script = []
        for i in range(0, 3000, 50):
            args = []
            for j in range(i, i + 50):
                args += [str(rng.choice([rng.randint(0, 300), rng.random() * 1000, 7])),
                         "member:%d" % j]
            script.append(["ZADD", "big"] + args)
        for i in range(300):
            script.append(["ZRANK", "big", "member:%d" % rng.randint(0, 3100)])
            script.append(["ZRANGE", "big", str(rng.randint(-3100, 3100)), str(rng.randint(-3100, 3100))])
            lo = rng.randint(0, 300)
            script.append(["ZRANGEBYSCORE", "big", str(lo), "(%d" % (lo + rng.randint(0, 30)),
                           "LIMIT", str(rng.randint(0, 20)), str(rng.randint(-1, 20))])
            script.append(["ZREVRANGEBYSCORE", "big", str(lo + 20), str(lo), "WITHSCORES",
                           "LIMIT", str(rng.randint(0, 20)), str(rng.randint(1, 20))])
            script.append(["ZCOUNT", "big", str(lo), str(lo + rng.randint(0, 100))])
            script.append(["ZINCRBY", "big", str(rng.randint(-50, 50)), "member:%d" % rng.randint(0, 3100)])
        for i in range(50):
            script.append(["ZREMRANGEBYRANK", "big", str(rng.randint(0, 2500)), str(rng.randint(0, 2500))])
            script.append(["ZREMRANGEBYSCORE", "big", str(rng.randint(0, 300)), str(rng.randint(0, 300))])
            script.append(["ZPOPMIN", "big", str(rng.randint(1, 5))])
            script.append(["ZPOPMAX", "big"])
            script.append(["ZCARD", "big"])
        script += [["ZRANGE", "big", "0", "-1", "WITHSCORES"], ["OBJECT", "ENCODING", "big"],
                   ["ZUNIONSTORE", "u", "2", "big", "big", "WEIGHTS", "1", "0.5"],
                   ["ZRANGE", "u", "0", "-1", "WITHSCORES"],
                   ["ZRANDMEMBER", "big", "100000", "WITHSCORES"]]
        for args in script:
            rr, _ = ref.call(*args)
            sr, _ = sut.call(*args)
            self.assertEqual(rr, sr, "%s\n  redis: %r\n  ours:  %r" % (args[:4], rr[:200], sr[:200]))
        self.assertEqual(zscan_all(ref, "big"), zscan_all(sut, "big"))
        self.assertEqual(zscan_all(ref, "big", "MATCH", "member:1*", "COUNT", "7"),
                         zscan_all(sut, "big", "MATCH", "member:1*", "COUNT", "7"))

    def test_lex_on_skiplist(self):
        ref, sut = self._set_limits(4, 64)
        rng = random.Random(9)
        words = ["w%03d" % i for i in range(200)]
        script = [["ZADD", "lx"] + sum((["0", w] for w in words), [])]
        for _ in range(300):
            a, b = sorted(rng.sample(words, 2))
            script.append(["ZRANGEBYLEX", "lx", rng.choice("[(") + a, rng.choice("[(") + b,
                           "LIMIT", str(rng.randint(0, 10)), str(rng.randint(-1, 10))])
            script.append(["ZREVRANGEBYLEX", "lx", rng.choice("[(") + b, rng.choice("[(") + a])
            script.append(["ZLEXCOUNT", "lx", rng.choice(["-", "[" + a]), rng.choice(["+", "(" + b])])
        script += [["ZREMRANGEBYLEX", "lx", "[w050", "(w100"], ["ZRANGE", "lx", "0", "-1"],
                   ["ZLEXCOUNT", "lx", "-", "+"]]
        for args in script:
            rr, _ = ref.call(*args)
            sr, _ = sut.call(*args)
            self.assertEqual(rr, sr, "%s\n  redis: %r\n  ours:  %r" % (args[:4], rr[:200], sr[:200]))

    def test_watch_sees_only_real_changes(self):
        # A write that changed nothing (re-adding a member with its score, removing a missing
        # member, an empty range removal) must not abort a transaction that WATCHes the key.
        script = [
            (["ZADD", "w", "1", "b"], True), (["ZADD", "w", "1", "a"], False),
            (["ZREM", "w", "nope"], False), (["ZREMRANGEBYSCORE", "w", "5", "9"], False),
            (["ZINCRBY", "w", "0", "a"], False), (["ZADD", "w", "NX", "7", "a"], False),
            (["ZPOPMIN", "w", "0"], False), (["ZADD", "w", "2", "a"], True),
            (["ZUNIONSTORE", "w", "1", "w"], True), (["ZPOPMIN", "w"], True),
        ]
        results = {}
        for name, srv in (("redis", self.ref), ("ours", self.sut)):
            a = RespConnection(HOST, srv.port, timeout=3.0)
            b = RespConnection(HOST, srv.port, timeout=3.0)
            self.addCleanup(a.close)
            self.addCleanup(b.close)
            a.cmd("FLUSHALL")
            a.cmd("ZADD", "w", "1", "a")
            got = []
            for args, _ in script:
                a.cmd("WATCH", "w")
                b.cmd(*args)
                a.cmd("MULTI")
                a.cmd("PING")
                got.append(a.cmd("EXEC") is None)  # None: aborted
            results[name] = got
        self.assertEqual(results["redis"], results["ours"])
        self.assertEqual(results["ours"], [aborted for _, aborted in script])

    def test_zrandmember_skiplist_shapes(self):
        ref, sut = self._set_limits(128, 64)
        members = {("m%d" % i).encode(): float(i) for i in range(300)}
        args = ["ZADD", "r"] + sum(([str(int(s)), m.decode()] for m, s in members.items()), [])
        ref.cmd(*args)
        sut.cmd(*args)
        for count, distinct in ((1, True), (10, True), (150, True), (299, True), (-500, False)):
            for ws in (False, True):
                cmd = ["ZRANDMEMBER", "r", str(count)] + (["WITHSCORES"] if ws else [])
                got = sut.cmd(*cmd)
                problem = random_members_of(members, abs(count), distinct, scores=ws)(None, got)
                self.assertIsNone(problem, "%s: %s" % (cmd, problem))
        self.assertIn(sut.cmd("ZRANDMEMBER", "r"), members)
        self.assertEqual(ref.cmd("ZRANDMEMBER", "r", "300"), sut.cmd("ZRANDMEMBER", "r", "300"))


ZSetCompatTest.add_groups(GROUPS)

if __name__ == "__main__":
    unittest.main()
