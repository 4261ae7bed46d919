# Differential test of the set commands: the same commands go to a stock redis-server (the
# reference) and to the server under test; the raw reply bytes must be identical. Uses the step
# types and the group runner of test_compat.py. Replies in hash-table order (members of a
# "hashtable" set) are compared as multisets (Sorted); an intset answers in ascending order, so
# those replies are compared byte for byte, as are encodings (OBJECT ENCODING), errors and the
# order in which arguments and keys are checked. Random commands (SPOP, SRANDMEMBER) are checked
# by shape against the set's contents. A seeded random walk with a tiny intset limit compares
# every deterministic reply and, every 50 steps, the whole sets and their encodings.
import random
import unittest

import test_compat as tc


X, Sorted, Shape = tc.X, tc.Sorted, tc.Shape

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


# -- shape checks for random replies ---------------------------------------------------------------
def members_of(universe, n, distinct=True):
    """An array/set of n members, each in universe (distinct unless told otherwise)."""
    universe = {u.encode() if isinstance(u, str) else u for u in universe}

    def check(ref, ours):
        if not isinstance(ours, list) or len(ours) != n:
            return "expected %d members, got %r" % (n, ours)
        if not all(m in universe for m in ours):
            return "members outside the set: %r" % [m for m in ours if m not in universe]
        if distinct and len(set(ours)) != len(ours):
            return "repeated members: %r" % (ours,)
    return check


def one_of(universe):
    universe = {u.encode() if isinstance(u, str) else u for u in universe}

    def check(ref, ours):
        if ours not in universe:
            return "expected one of the members, got %r" % (ours,)
    return check


def scan_all_members(conn, key, *opts):
    """Full SSCAN iteration; returns (members, calls)."""
    cursor, members, calls = b"0", [], 0
    while True:
        reply = conn.cmd("SSCAN", key, cursor, *opts)
        cursor, batch = reply
        members += batch
        calls += 1
        if cursor == b"0":
            return members, calls
        if calls > 100000:
            raise AssertionError("SSCAN did not finish")


NUMS = [str(i) for i in range(1, 11)]
INTS_EDGE = ["0", "-1", "32767", "32768", "-32768", "-32769", "2147483647", "2147483648",
             "-2147483648", "-2147483649", "9223372036854775807", "-9223372036854775808"]
NOT_INTS = ["01", "+1", "-0", " 1", "1 ", "1.0", "00", "-", "0x10", "9223372036854775808",
            "-9223372036854775809", ""]

GROUPS = {
    "sadd_srem_basics": [
        X("SADD", "s", "a"), X("SADD", "s", "b", "c", "a"), X("SADD", "s", "a"), X("SCARD", "s"),
        Sorted("SMEMBERS", "s"), X("SISMEMBER", "s", "a"), X("SISMEMBER", "s", "z"),
        X("SISMEMBER", "missing", "a"), X("SMISMEMBER", "s", "a", "z", "c", "a"),
        X("SMISMEMBER", "missing", "a", "b"), X("SCARD", "missing"), X("SMEMBERS", "missing"),
        X("SREM", "s", "a", "z"), X("SREM", "s", "z"), X("SREM", "missing", "a"),
        X("SREM", "s", "b", "c", "x"), X("EXISTS", "s"), X("TYPE", "s"),
        X("SADD", "e", ""), X("SMEMBERS", "e"), X("SISMEMBER", "e", ""), X("SREM", "e", ""),
        X("EXISTS", "e"), X("SADD", "bin", "a\x00b", "\r\n", "\xff"), X("SCARD", "bin"),
        X("SISMEMBER", "bin", "a\x00b"), X("SISMEMBER", "bin", "a"), X("TYPE", "bin"),
        X("OBJECT", "ENCODING", "bin"),
        X("SADD"), X("SADD", "s"), X("SREM", "s"), X("SCARD"), X("SCARD", "a", "b"),
        X("SMEMBERS"), X("SMEMBERS", "a", "b"), X("SISMEMBER", "s"), X("SISMEMBER", "s", "a", "b"),
        X("SMISMEMBER", "s"), X("sadd", "S", "x"), X("SmEmBeRs", "S"),
    ],
    "intset_encoding": [
        X("SADD", "i", "3", "1", "2"), X("OBJECT", "ENCODING", "i"), X("SMEMBERS", "i"),
        X("SADD", "i", *INTS_EDGE), X("SMEMBERS", "i"), X("OBJECT", "ENCODING", "i"),
        X("SCARD", "i"), X("SISMEMBER", "i", "32768"), X("SISMEMBER", "i", "-9223372036854775808"),
        X("SISMEMBER", "i", "01"), X("SISMEMBER", "i", "1.0"), X("SISMEMBER", "i", "+1"),
        X("SMISMEMBER", "i", "1", "01", "-0", "0", "9223372036854775808"),
        X("SREM", "i", "01", "+1", "9223372036854775807"), X("SMEMBERS", "i"),
        X("SREM", "i", "-9223372036854775808", "2147483648", "-2147483649"), X("SMEMBERS", "i"),
        X("OBJECT", "ENCODING", "i"),
        # widths grow from 16 to 64 bits in both directions
        X("SADD", "w", "5"), X("SADD", "w", "-70000"), X("SADD", "w", "5000000000"),
        X("SADD", "w", "-5000000000"), X("SMEMBERS", "w"), X("SADD", "w2", "100000"),
        X("SADD", "w2", "1", "-1", "-100000"), X("SMEMBERS", "w2"),
        X("SADD", "w3", "9223372036854775807"), X("SADD", "w3", "-9223372036854775808", "0"),
        X("SMEMBERS", "w3"), X("SREM", "w3", "9223372036854775807", "-9223372036854775808", "0"),
        X("EXISTS", "w3"),
    ] + [
        step for i, v in enumerate(NOT_INTS) for step in (
            X("SADD", "n%d" % i, "1", "2", v), X("OBJECT", "ENCODING", "n%d" % i),
            Sorted("SMEMBERS", "n%d" % i), X("SISMEMBER", "n%d" % i, v),
            X("SISMEMBER", "n%d" % i, "1"))
    ] + [
        X("SADD", "h", "a", "1"), X("OBJECT", "ENCODING", "h"), X("SREM", "h", "a"),
        X("OBJECT", "ENCODING", "h"), X("SMEMBERS", "h"), X("SADD", "h2", "x"),
        X("OBJECT", "ENCODING", "h2"),
    ],
    "intset_limit": [
        X("SADD", "big", *[str(i) for i in range(512)]), X("OBJECT", "ENCODING", "big"),
        X("SCARD", "big"), X("SADD", "big", "100"), X("OBJECT", "ENCODING", "big"),
        X("SADD", "big", "512"), X("OBJECT", "ENCODING", "big"), X("SCARD", "big"),
        X("SREM", "big", "512"), X("OBJECT", "ENCODING", "big"),
        X("SADD", "b2", *[str(i) for i in range(600)]), X("OBJECT", "ENCODING", "b2"),
        X("SISMEMBER", "b2", "599"), X("SISMEMBER", "b2", "600"),
        X("CONFIG", "SET", "set-max-intset-entries", "2"),
        X("SADD", "c", "1", "2"), X("OBJECT", "ENCODING", "c"), X("SADD", "c", "3"),
        X("OBJECT", "ENCODING", "c"), X("SADD", "c2", "1", "2", "3"),
        X("OBJECT", "ENCODING", "c2"),
        X("CONFIG", "SET", "set-max-intset-entries", "0"),
        X("SADD", "z", "7"), X("OBJECT", "ENCODING", "z"),
        X("CONFIG", "SET", "set-max-intset-entries", "512"),
        X("SADD", "c3", "1", "2", "3"), X("OBJECT", "ENCODING", "c3"),
    ],
    "wrongtype": [
        X("SET", "str", "v"), X("RPUSH", "lst", "a"), X("SADD", "s", "a", "1"),
        X("SADD", "str", "a"), X("SREM", "str", "a"), X("SMEMBERS", "str"),
        X("SISMEMBER", "str", "a"), X("SMISMEMBER", "str", "a"), X("SCARD", "str"),
        X("SPOP", "str"), X("SPOP", "str", "1"), X("SPOP", "str", "0"), X("SPOP", "str", "-1"),
        X("SRANDMEMBER", "str"), X("SRANDMEMBER", "str", "2"), X("SRANDMEMBER", "str", "x"),
        X("SSCAN", "str", "0"), X("SSCAN", "str", "x"), X("SSCAN", "str", "0", "COUNT", "0"),
        X("SINTER", "s", "str"), X("SINTER", "missing", "str"), X("SINTER", "str", "missing"),
        X("SUNION", "s", "lst"), X("SDIFF", "missing", "str"), X("SDIFF", "s", "str"),
        X("SINTERCARD", "2", "s", "str"), X("SINTERCARD", "2", "missing", "str"),
        X("SINTERSTORE", "d", "s", "str"), X("SUNIONSTORE", "d", "str"),
        X("SDIFFSTORE", "d", "s", "lst"), X("EXISTS", "d"),
        X("SMOVE", "str", "s", "a"), X("SMOVE", "s", "str", "a"), X("SMOVE", "s", "str", "zz"),
        X("SMOVE", "missing", "str", "a"), X("SMOVE", "str", "missing", "a"),
        Sorted("SMEMBERS", "s"), X("GET", "s"), X("LPUSH", "s", "x"), X("TYPE", "s"),
    ],
    "smove": [
        X("SADD", "a", "1", "2", "x"), X("SADD", "b", "3"),
        X("SMOVE", "a", "b", "1"), Sorted("SMEMBERS", "a"), X("SMEMBERS", "b"),
        X("OBJECT", "ENCODING", "b"), X("SMOVE", "a", "b", "x"), X("OBJECT", "ENCODING", "b"),
        X("SMOVE", "a", "b", "nope"), X("SMOVE", "a", "b", "2"), X("EXISTS", "a"),
        X("SMOVE", "b", "new", "3"), X("SMEMBERS", "new"), X("OBJECT", "ENCODING", "new"),
        X("SMOVE", "b", "new2", "x"), X("OBJECT", "ENCODING", "new2"),
        X("SADD", "c", "k"), X("SADD", "d", "k"), X("SMOVE", "c", "d", "k"), X("EXISTS", "c"),
        X("SMEMBERS", "d"), X("SMOVE", "d", "d", "k"), X("SMOVE", "d", "d", "zz"),
        X("SMEMBERS", "d"), X("SMOVE", "missing", "d", "k"), X("SMOVE", "missing", "missing", "k"),
        X("SMOVE", "a"), X("SMOVE", "a", "b"), X("SMOVE", "a", "b", "c", "d"),
    ],
    "spop_srandmember_errors": [
        X("SADD", "s", "1", "2", "3"),
        X("SPOP", "s", "abc"), X("SPOP", "s", "-1"), X("SPOP", "s", "1.5"), X("SPOP", "s", ""),
        X("SPOP", "missing", "abc"), X("SPOP", "s", "1", "2"), X("SPOP", "missing", "1", "2"),
        X("SPOP", "s", "-9223372036854775808"), X("SPOP", "missing"), X("SPOP", "missing", "3"),
        X("SPOP", "missing", "0"), X("SPOP", "s", "0"), X("SCARD", "s"),
        X("SRANDMEMBER", "s", "abc"), X("SRANDMEMBER", "s", "1.5"),
        X("SRANDMEMBER", "s", "-9223372036854775808"), X("SRANDMEMBER", "missing", "abc"),
        X("SRANDMEMBER", "s", "1", "2"), X("SRANDMEMBER", "missing"),
        X("SRANDMEMBER", "missing", "5"), X("SRANDMEMBER", "missing", "-5"),
        X("SRANDMEMBER", "s", "0"), X("SRANDMEMBER", "s", "3"), X("SRANDMEMBER", "s", "100"),
        X("SRANDMEMBER", "s", "9223372036854775807"), X("SPOP"), X("SRANDMEMBER"),
        X("SPOP", "s", "3"), X("EXISTS", "s"),
        X("SADD", "s", "1", "2", "3"), X("SPOP", "s", "9223372036854775807"), X("EXISTS", "s"),
    ],
    "spop_srandmember_shapes": [
        X("SADD", "s", *NUMS),
        Shape(one_of(NUMS), "SRANDMEMBER", "s"), Shape(members_of(NUMS, 1), "SRANDMEMBER", "s", "1"),
        Shape(members_of(NUMS, 3), "SRANDMEMBER", "s", "3"),
        Shape(members_of(NUMS, 5), "SRANDMEMBER", "s", "5"),
        Shape(members_of(NUMS, 9), "SRANDMEMBER", "s", "9"),
        X("SRANDMEMBER", "s", "10"), X("SRANDMEMBER", "s", "11"),
        Shape(members_of(NUMS, 25, distinct=False), "SRANDMEMBER", "s", "-25"),
        Shape(members_of(NUMS, 1, distinct=False), "SRANDMEMBER", "s", "-1"),
        X("SCARD", "s"),
        Shape(one_of(NUMS), "SPOP", "s"), X("SCARD", "s"),
        Shape(members_of(NUMS, 2), "SPOP", "s", "2"), X("SCARD", "s"),
        Shape(members_of(NUMS, 6), "SPOP", "s", "6"), X("SCARD", "s"),
        X("OBJECT", "ENCODING", "s"), Shape(members_of(NUMS, 1), "SPOP", "s", "5"),
        X("EXISTS", "s"),
        X("SADD", "h", "a", "b", "c", "d", "e"),
        Shape(members_of("abcde", 4), "SRANDMEMBER", "h", "4"),
        Shape(members_of("abcde", 2), "SRANDMEMBER", "h", "2"),
        Shape(members_of("abcde", 7, distinct=False), "SRANDMEMBER", "h", "-7"),
        Shape(members_of("abcde", 4), "SPOP", "h", "4"), X("SCARD", "h"),
        Shape(one_of("abcde"), "SPOP", "h"), X("EXISTS", "h"),
        # a hashtable whose survivors are all integers becomes an intset again when SPOP
        # rebuilds it (Redis's "most members" case)
        X("SADD", "m", "x", "7"), Shape(members_of(["x", "7"], 1), "SPOP", "m", "1"),
        X("SCARD", "m"),
        X("SADD", "t", "1", "2", "3"), X("EXPIRE", "t", "100"),
        Shape(members_of("123", 2), "SPOP", "t", "2"), X("TTL", "t"),
    ],
    "sinter": [
        X("SADD", "a", "1", "2", "3", "4"), X("SADD", "b", "2", "3", "4", "5"),
        X("SADD", "c", "3", "4", "x"), X("SADD", "d", "x", "y", "3"),
        X("SINTER", "a", "b"), X("SINTER", "b", "a"), Sorted("SINTER", "a", "b", "c"),  # c is a hashtable: its order
       
        Sorted("SINTER", "c", "d"), X("SINTER", "a"), X("SINTER", "a", "a"),
        X("SINTER", "a", "missing"), X("SINTER", "missing"), X("SINTER", "missing", "a"),
        X("SINTER", "a", "d"), X("SINTER", "a", "c", "d"),
        X("SINTERSTORE", "dst", "a", "b"), X("SMEMBERS", "dst"), X("OBJECT", "ENCODING", "dst"),
        X("SINTERSTORE", "dst", "c", "d"), Sorted("SMEMBERS", "dst"),
        X("OBJECT", "ENCODING", "dst"),
        X("SINTERSTORE", "dst", "a", "c", "d"), X("SMEMBERS", "dst"),
        X("OBJECT", "ENCODING", "dst"), X("SINTERSTORE", "dst", "a", "missing"),
        X("EXISTS", "dst"), X("SINTERSTORE", "dst", "a", "missing"),
        X("SINTERSTORE", "dst", "a", "d", "x"), X("SET", "str", "v"),
        X("SINTERSTORE", "str", "a", "b"), X("TYPE", "str"), X("SMEMBERS", "str"),
        X("SINTERSTORE", "a", "a", "b"), X("SMEMBERS", "a"),
        X("SINTERSTORE", "e", "a", "c"), X("SINTERSTORE", "e", "c", "e"), X("SMEMBERS", "e"),
        X("SINTER"), X("SINTERSTORE", "x"),
    ],
    "sintercard": [
        X("SADD", "a", "1", "2", "3", "4", "5"), X("SADD", "b", "2", "3", "4", "5", "6"),
        X("SADD", "c", "a", "b", "3"),
        X("SINTERCARD", "1", "a"), X("SINTERCARD", "2", "a", "b"), X("SINTERCARD", "3", "a", "b", "c"),
        X("SINTERCARD", "2", "a", "b", "LIMIT", "2"), X("SINTERCARD", "2", "a", "b", "limit", "0"),
        X("SINTERCARD", "2", "a", "b", "LIMIT", "100"), X("SINTERCARD", "2", "a", "missing"),
        X("SINTERCARD", "1", "missing"), X("SINTERCARD", "2", "a", "a"),
        X("SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "3"),
        X("SINTERCARD", "abc", "a"), X("SINTERCARD", "0", "a"), X("SINTERCARD", "-1", "a"),
        X("SINTERCARD", "2", "a"), X("SINTERCARD", "9223372036854775807", "a"),
        X("SINTERCARD", "1", "a", "LIMIT", "-1"), X("SINTERCARD", "1", "a", "LIMIT", "abc"),
        X("SINTERCARD", "1", "a", "LIMIT"), X("SINTERCARD", "1", "a", "FOO"),
        X("SINTERCARD", "1", "a", "FOO", "1"), X("SINTERCARD", "1", "missing", "LIMIT", "x"),
        X("SINTERCARD", "1"), X("SINTERCARD"),
    ],
    "sunion_sdiff": [
        X("SADD", "a", "1", "2", "3"), X("SADD", "b", "3", "4", "5"), X("SADD", "c", "5", "x"),
        X("SUNION", "a", "b"), X("SUNION", "b", "a", "missing"), Sorted("SUNION", "a", "c"),
        X("SUNION", "missing"), X("SUNION", "a"),
        X("SDIFF", "a", "b"), X("SDIFF", "b", "a"), X("SDIFF", "b", "a", "c"),
        X("SDIFF", "a", "missing"), X("SDIFF", "missing", "a"), X("SDIFF", "a", "a"),
        X("SDIFF", "a", "b", "a"), Sorted("SDIFF", "c", "a"), X("SDIFF", "c", "c", "missing"),
        X("SUNIONSTORE", "u", "a", "b"), X("SMEMBERS", "u"), X("OBJECT", "ENCODING", "u"),
        X("SUNIONSTORE", "u", "a", "c"), Sorted("SMEMBERS", "u"), X("OBJECT", "ENCODING", "u"),
        X("SUNIONSTORE", "u", "missing"), X("EXISTS", "u"), X("SUNIONSTORE", "u", "missing"),
        X("SDIFFSTORE", "d", "a", "b"), X("SMEMBERS", "d"), X("OBJECT", "ENCODING", "d"),
        X("SDIFFSTORE", "d", "c", "a"), Sorted("SMEMBERS", "d"), X("OBJECT", "ENCODING", "d"),
        X("SDIFFSTORE", "d", "a", "a"), X("EXISTS", "d"),
        X("SET", "str", "v"), X("EXPIRE", "str", "100"), X("SUNIONSTORE", "str", "a"),
        X("TYPE", "str"), X("TTL", "str"), X("SDIFFSTORE", "a", "a", "b"), X("SMEMBERS", "a"),
        X("SUNIONSTORE", "b", "b", "a"), X("SMEMBERS", "b"),
        X("SUNION"), X("SDIFF"), X("SUNIONSTORE", "x"), X("SDIFFSTORE", "x"),
    ],
    "algebra_encodings": [
        # A stored result starts as an intset and converts on the way, like Redis's; the two
        # SDIFF algorithms decide whether a big intermediate already left the intset encoding.
        X("SADD", "big", *[str(i) for i in range(700)]),
        X("SADD", "small", *[str(i) for i in range(300)]),
        X("SADD", "mixed", "a", *[str(i) for i in range(0, 700, 2)]),
        X("SINTERSTORE", "r1", "big", "small"), X("OBJECT", "ENCODING", "r1"), X("SCARD", "r1"),
        X("SINTERSTORE", "r2", "big", "mixed"), X("OBJECT", "ENCODING", "r2"), X("SCARD", "r2"),
        X("SUNIONSTORE", "r3", "small"), X("OBJECT", "ENCODING", "r3"),
        X("SUNIONSTORE", "r4", "big"), X("OBJECT", "ENCODING", "r4"),
        X("SDIFFSTORE", "r5", "big", "mixed"), X("OBJECT", "ENCODING", "r5"), X("SCARD", "r5"),
        X("SDIFFSTORE", "r6", "big", "small"), X("OBJECT", "ENCODING", "r6"), X("SCARD", "r6"),
        X("SADD", "huge", *[str(i) for i in range(5000)]),
        X("SDIFFSTORE", "r7", "small", "huge"), X("EXISTS", "r7"),
        X("SDIFFSTORE", "r8", "big", "small", "small", "small"), X("OBJECT", "ENCODING", "r8"),
        X("SCARD", "r8"),
        X("SADD", "q0", *[str(i) for i in range(0, 50)]),
        X("SADD", "q1", *[str(i) for i in range(50, 100)]),
        X("SADD", "q2", *[str(i) for i in range(100, 150)]),
        X("SADD", "q3", *[str(i) for i in range(150, 200)]),
        X("SDIFFSTORE", "r10", "big", "q0", "q1", "q2", "q3"), X("OBJECT", "ENCODING", "r10"),
        X("SDIFFSTORE", "r11", "big", "q0", "huge"), X("OBJECT", "ENCODING", "r11"),
        X("SDIFFSTORE", "r9", "mixed", "huge"), X("SMEMBERS", "r9"), X("OBJECT", "ENCODING", "r9"),
        X("SINTER", "small", "small"), X("SINTER", "r1", "small"), X("SMEMBERS", "r1"),
        X("COPY", "mixed", "cp"), X("OBJECT", "ENCODING", "cp"), X("SREM", "cp", "a"),
        X("OBJECT", "ENCODING", "cp"), X("COPY", "small", "cp2"), X("OBJECT", "ENCODING", "cp2"),
        X("SMEMBERS", "cp2"),
    ],
    "sscan": [
        X("SADD", "i", "5", "3", "10", "-1", "100"), X("SSCAN", "i", "0"),
        X("SSCAN", "i", "123"), X("SSCAN", "i", "0", "COUNT", "1"),
        X("SSCAN", "i", "0", "MATCH", "1*"), X("SSCAN", "i", "0", "match", "*", "count", "2"),
        X("SSCAN", "i", "0", "MATCH", "-*", "MATCH", "*0"),
        X("SSCAN", "i", "abc"), X("SSCAN", "i", "-1"), X("SSCAN", "i", "18446744073709551616"),
        X("SSCAN", "i", "0", "COUNT", "0"), X("SSCAN", "i", "0", "COUNT", "-1"),
        X("SSCAN", "i", "0", "COUNT", "x"), X("SSCAN", "i", "0", "TYPE", "set"),
        X("SSCAN", "i", "0", "MATCH"), X("SSCAN", "i", "0", "FOO", "bar"),
        X("SSCAN", "missing", "0"), X("SSCAN", "missing", "0", "COUNT", "0"),
        X("SSCAN", "missing", "x"), X("SSCAN", "missing", "0", "TYPE", "x"),
        X("SSCAN", "i"), X("SSCAN"),
    ],
    "resp3": [
        tc.Shape(tc.hello_shape, "HELLO", "3"),
        X("SADD", "s", "1", "2", "3"), X("SMEMBERS", "s"), X("SMEMBERS", "missing"),
        X("SPOP", "missing"), X("SPOP", "missing", "2"), X("SPOP", "s", "0"),
        X("SRANDMEMBER", "missing"), X("SRANDMEMBER", "missing", "2"), X("SRANDMEMBER", "s", "5"),
        X("SRANDMEMBER", "s", "0"), X("SMISMEMBER", "s", "1", "9"), X("SISMEMBER", "s", "1"),
        X("SINTER", "s", "s"), X("SINTER", "s", "missing"), X("SUNION", "s", "missing"),
        X("SDIFF", "s", "missing"), X("SDIFF", "missing", "s"), X("SINTERCARD", "1", "s"),
        X("SSCAN", "s", "0"), X("SSCAN", "missing", "0"), X("SPOP", "s", "3"),
    ],
    "command_info": [
        Shape(tc.command_info_shape, "COMMAND", "INFO", "sadd", "srem", "smembers", "sismember",
              "smismember", "scard", "spop", "srandmember", "smove", "sinter", "sintercard",
              "sinterstore", "sunion", "sunionstore", "sdiff", "sdiffstore", "sscan"),
        Shape(tc.command_docs_shape, "COMMAND", "DOCS", "sintercard"),
        Shape(tc.command_docs_shape, "COMMAND", "DOCS", "sscan"),
        X("COMMAND", "GETKEYS", "SMOVE", "a", "b", "m"),
        X("COMMAND", "GETKEYS", "SINTERSTORE", "d", "a", "b"),
        X("COMMAND", "GETKEYS", "SUNION", "a", "b", "c"),
    ],
    "ttl_rename_transactions": [
        X("SADD", "s", "a", "b"), X("EXPIRE", "s", "100"), X("SADD", "s", "c"), X("TTL", "s"),
        X("SREM", "s", "a"), X("TTL", "s"), X("RENAME", "s", "t"), X("TTL", "t"),
        Sorted("SMEMBERS", "t"), X("SREM", "t", "b", "c"), X("EXISTS", "t"),
        X("SADD", "p", "x"), X("PEXPIREAT", "p", "1"), X("SCARD", "p"), X("SADD", "p", "y"),
        X("SMEMBERS", "p"), X("TTL", "p"),
        X("MULTI"), X("SADD", "m", "1", "2"), X("SINTERSTORE", "n", "m", "m"),
        X("SMOVE", "m", "n", "1"), X("SMEMBERS", "n"), X("SCARD", "m"), X("EXEC"),
        X("MULTI"), X("SADD", "m", "x"), X("SPOP", "m", "x"), X("SCARD", "m"), X("EXEC"),
    ],
}


# -- the random walk ------------------------------------------------------------------------------
VALUES = ["a", "b", "c", "1", "2", "3", "-7", "300", "70000", "5000000000", "", "x" * 20]
KEYS = ["k1", "k2", "k3"]


def random_command(rng):
    """A deterministic set command: (args, compare_sorted)."""
    k = rng.choice(KEYS)
    vs = lambda: [rng.choice(VALUES) for _ in range(rng.randint(1, 4))]
    keys = lambda: rng.sample(KEYS + ["missing"], rng.randint(1, 3))
    op = rng.randrange(12)
    if op in (0, 1, 2):
        return ["SADD", k] + vs(), False
    if op == 3:
        return ["SREM", k] + vs(), False
    if op == 4:
        return ["SMOVE", k, rng.choice(KEYS), rng.choice(VALUES)], False
    if op == 5:
        return ["SINTERSTORE", rng.choice(KEYS)] + keys(), False
    if op == 6:
        return ["SUNIONSTORE", rng.choice(KEYS)] + keys(), False
    if op == 7:
        return ["SDIFFSTORE", rng.choice(KEYS)] + keys(), False
    if op == 8:
        return [rng.choice(["SINTER", "SUNION", "SDIFF"])] + keys(), True
    if op == 9:
        ks = keys()
        return ["SINTERCARD", str(len(ks))] + ks + ["LIMIT", str(rng.randint(0, 4))], False
    if op == 10:
        return ["SMISMEMBER", k] + vs(), False
    return ["SCARD", k], False


class SetCompatTest(tc.DifferentialTestCase):
    """The set groups and a random walk against redis-server (reference) and our server."""


    def random_walk(self, max_intset, seed, steps):
        ref, sut = self._connect()
        for c in (ref, sut):
            c.cmd("FLUSHALL")
            c.cmd("CONFIG", "SET", "set-max-intset-entries", str(max_intset))
        for c in (ref, sut):
            self.addCleanup(c.cmd, "CONFIG", "SET", "set-max-intset-entries", "512")
        rng = random.Random(seed)
        for i in range(steps):
            args, unordered = random_command(rng)
            rr, rv = ref.call(*args)
            sr, sv = sut.call(*args)
            same = (sorted(rv) == sorted(sv) and rr[:1] == sr[:1]) if (
                unordered and isinstance(rv, list)) else rr == sr
            if not same:
                self.fail("intset limit %s seed %d step %d: %s\n  redis: %r\n  ours:  %r"
                          % (max_intset, seed, i, " ".join(args), rr[:300], sr[:300]))
            if i % 50 == 49:
                for k in KEYS:
                    a, b = ref.cmd("SMEMBERS", k), sut.cmd("SMEMBERS", k)
                    self.assertEqual(sorted(a), sorted(b), "step %d: members of %s" % (i, k))
                    a, b = ref.call("OBJECT", "ENCODING", k)[0], sut.call("OBJECT", "ENCODING", k)[0]
                    self.assertEqual(a, b, "step %d: encoding of %s" % (i, k))

    def test_random_walk_tiny_intsets(self):
        self.random_walk(3, 1, 3000)

    def test_random_walk_default(self):
        self.random_walk(512, 2, 3000)

    def test_sscan_hashtable_full_iteration(self):
        # Every member comes back at least once, also while the set grows and shrinks between
        # calls (table resizes); with no changes, exactly once.
        ref, sut = self._connect()
        members = ["m%d" % i for i in range(3000)]
        for c in (ref, sut):
            c.cmd("FLUSHALL")
            c.cmd("SADD", "h", *members)
        for opts in ((), ("COUNT", "1"), ("COUNT", "7"), ("COUNT", "1000"), ("MATCH", "m1*")):
            got, _ = scan_all_members(sut, "h", *opts)
            want = [m.encode() for m in members]
            if opts[:1] == ("MATCH",):
                want = [m for m in want if m.startswith(b"m1")]
            self.assertEqual(sorted(got), sorted(want), "SSCAN %r" % (opts,))
        cursor, seen, rng = b"0", set(), random.Random(5)
        stable = set(m.encode() for m in members[:1000])
        extra = 0
        while True:
            cursor, batch = sut.cmd("SSCAN", "h", cursor, "COUNT", "20")
            seen.update(batch)
            if cursor == b"0":
                break
            if rng.random() < 0.5:
                sut.cmd("SADD", "h", *["n%d" % (extra + j) for j in range(200)])
                extra += 200
            else:
                sut.cmd("SREM", "h", *["m%d" % rng.randint(1000, 2999) for _ in range(200)])
        self.assertFalse(stable - seen, "members present throughout were missed")
        # The reply shape of one step matches Redis's: [cursor, [members]].
        r = sut.cmd("SSCAN", "h", "0", "COUNT", "5")
        self.assertTrue(isinstance(r, list) and len(r) == 2 and isinstance(r[1], list))

    def test_large_sets(self):
        ref, sut = self._connect()
        rng = random.Random(9)
        a = ["e%d" % rng.randint(0, 30000) for _ in range(20000)]
        b = [str(rng.randint(0, 30000)) for _ in range(20000)]
        for c in (ref, sut):
            c.cmd("FLUSHALL")
            for i in range(0, len(a), 1000):
                c.cmd("SADD", "a", *a[i:i + 1000])
                c.cmd("SADD", "b", *b[i:i + 1000])
                c.cmd("SADD", "c", *(a[i:i + 500] + b[i:i + 500]))
        script = [
            ("SCARD", "a"), ("SCARD", "b"), ("SCARD", "c"), ("SINTERCARD", "2", "a", "c"),
            ("SINTERCARD", "3", "a", "b", "c"), ("SINTERCARD", "2", "b", "c", "LIMIT", "10"),
            ("SINTERSTORE", "i", "a", "c"), ("SUNIONSTORE", "u", "a", "b", "c"),
            ("SDIFFSTORE", "d", "c", "a"), ("SDIFFSTORE", "d2", "a", "c", "b"),
            ("OBJECT", "ENCODING", "d"), ("SCARD", "d"), ("SCARD", "d2"), ("SCARD", "u"),
            ("SMISMEMBER", "c", "e1", "e2", "100", "200", "300"),
        ]
        for args in script:
            rr, _ = ref.call(*args)
            sr, _ = sut.call(*args)
            self.assertEqual(rr, sr, "%s\n  redis: %r\n  ours:  %r" % (args, rr[:200], sr[:200]))
        for args in (("SMEMBERS", "i"), ("SINTER", "c", "b"), ("SDIFF", "b", "c"),
                     ("SUNION", "i", "d")):
            self.assertEqual(sorted(ref.cmd(*args)), sorted(sut.cmd(*args)), args)
        # SPOP in all three of Redis's cases leaves a set of the right size whose members came
        # from the original.
        before = set(sut.cmd("SMEMBERS", "c"))
        n = len(before)
        popped = sut.cmd("SPOP", "c", "10")
        popped += sut.cmd("SPOP", "c", str(n - 10 - 50))
        self.assertEqual(len(set(popped)), len(popped))
        rest = set(sut.cmd("SMEMBERS", "c"))
        self.assertEqual(len(rest), 50)
        self.assertEqual(rest | set(popped), before)
        self.assertFalse(rest & set(popped))
        last = sut.cmd("SPOP", "c", "1000")
        self.assertEqual(set(last), rest)
        self.assertEqual(sut.cmd("EXISTS", "c"), 0)
        # SRANDMEMBER's distinct cases on a big set.
        members = set(sut.cmd("SMEMBERS", "a"))
        for count in (5, len(members) // 2, len(members) - 1):
            got = sut.cmd("SRANDMEMBER", "a", str(count))
            self.assertEqual(len(got), count)
            self.assertEqual(len(set(got)), count)
            self.assertTrue(set(got) <= members)
        got = sut.cmd("SRANDMEMBER", "a", "-50000")
        self.assertEqual(len(got), 50000)
        self.assertTrue(set(got) <= members)


SetCompatTest.add_groups(GROUPS)

if __name__ == "__main__":
    unittest.main()
