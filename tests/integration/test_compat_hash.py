# Differential test of the hash commands: the same commands go to a stock redis-server (the
# reference) and to the server under test; raw reply bytes must be identical. Uses the step types
# and the group runner of test_compat.py. Listpack-encoded hashes keep insertion order in both
# servers, so their HGETALL/HKEYS/HSCAN replies are compared byte for byte; hashtable-encoded
# ones are compared as sets (Sorted / Pairs / HScanAll). HRANDFIELD is checked by shape (sizes,
# distinctness, membership, RESP3 nesting). A seeded random walk runs with tiny encoding limits so
# listpack -> hashtable conversions happen all the time, comparing every reply and, every 50
# steps, the whole hashes and their encodings.
import random
import unittest

import test_compat as tc


X, Shape, Sorted, Pairs = tc.X, tc.Shape, tc.Sorted, tc.Pairs

V64 = "v" * 64            # longest value a listpack holds by default
V65 = "w" * 65            # one byte too long: converts
F65 = "f" * 65


class HScanAll(X):
    """Full HSCAN iteration of one key; the (field, value) sets must match (cursors may not)."""

    def __init__(self, key, *opts):
        super().__init__("HSCAN", key, "0", *opts)
        self.key = key
        self.opts = opts


class _HScanStep(X):
    """What the group runner sends for an HScanAll (HLEN of the key)."""

    def __init__(self, step):
        super().__init__("HLEN", step.key)
        self.key, self.opts = step.key, step.opts

    def describe(self):
        return "HSCAN %s ... %s (full iteration)" % (self.key, " ".join(self.opts))


def hscan_pairs(conn, key, opts, limit=100000):
    cursor = b"0"
    pairs = set()
    calls = 0
    for _ in range(limit):
        calls += 1
        value = conn.cmd("HSCAN", key, cursor, *opts)
        cursor, batch = value
        pairs.update(zip(batch[0::2], batch[1::2]))
        if cursor == b"0":
            return pairs, calls
    raise AssertionError("HSCAN did not finish in %d calls" % limit)


def fields_of(n, prefix="f"):
    return ["%s%d" % (prefix, i) for i in range(n)]


def hset_args(key, n, prefix="f", value=lambda i: "v%d" % i):
    args = ["HSET", key]
    for i in range(n):
        args += ["%s%d" % (prefix, i), value(i)]
    return args


# -- HRANDFIELD shape checks ---------------------------------------------------------------------
def rand_check(contents, count, with_values, resp3=False):
    """contents: {field: value} of the hash (bytes); count as given to HRANDFIELD."""
    contents = {k.encode(): v.encode() for k, v in contents.items()}

    def check(ref, ours):
        if not isinstance(ours, list):
            return "expected an array, got %r" % (ours,)
        if with_values and resp3:
            if not all(isinstance(p, list) and len(p) == 2 for p in ours):
                return "RESP3 WITHVALUES must nest [field, value] pairs: %r" % (ours,)
            pairs = [tuple(p) for p in ours]
        elif with_values:
            if len(ours) % 2:
                return "RESP2 WITHVALUES must be flat field, value, ...: %r" % (ours,)
            pairs = list(zip(ours[0::2], ours[1::2]))
        else:
            pairs = [(f, contents.get(f)) for f in ours]
        want = abs(count) if count < 0 else min(count, len(contents))
        if len(pairs) != want:
            return "expected %d elements, got %d" % (want, len(pairs))
        for f, v in pairs:
            if f not in contents or (with_values and contents[f] != v):
                return "(%r, %r) is not in the hash" % (f, v)
        if count > 0 and len({f for f, _ in pairs}) != len(pairs):
            return "positive count must give distinct fields: %r" % (ours,)
    return check


def one_of(*fields):
    allowed = {f.encode() for f in fields}

    def check(ref, ours):
        if ours not in allowed:
            return "expected one of %r, got %r" % (sorted(allowed), ours)
    return check


SMALL = {"a": "1", "b": "2", "c": "3", "d": "4", "e": "5"}
BIG = {"f%d" % i: "v%d" % i for i in range(200)}

GROUPS = {
    "basics": [
        X("HSET", "h", "a", "1"), X("HSET", "h", "b", "2", "c", "3"), X("HSET", "h", "a", "x"),
        X("HSET", "h", "a", "x", "d", "4", "d", "5"),
        X("HGET", "h", "a"), X("HGET", "h", "zz"), X("HGET", "missing", "a"),
        X("HMGET", "h", "a", "zz", "b", "a"), X("HMGET", "missing", "a", "b"),
        X("HLEN", "h"), X("HLEN", "missing"), X("HEXISTS", "h", "a"), X("HEXISTS", "h", "zz"),
        X("HEXISTS", "missing", "a"), X("HSTRLEN", "h", "a"), X("HSTRLEN", "h", "zz"),
        X("HSTRLEN", "missing", "a"), X("HGETALL", "h"), X("HKEYS", "h"), X("HVALS", "h"),
        X("HGETALL", "missing"), X("HKEYS", "missing"), X("HVALS", "missing"),
        X("TYPE", "h"), X("OBJECT", "ENCODING", "h"),
        X("HDEL", "h", "a"), X("HDEL", "h", "a"), X("HDEL", "h", "zz", "b", "b", "c"),
        X("HGETALL", "h"), X("HDEL", "missing", "a"), X("HDEL", "h", "d"), X("EXISTS", "h"),
        X("HSET", "e", "", ""), X("HGET", "e", ""), X("HSTRLEN", "e", ""), X("HGETALL", "e"),
        X("HSET", "bin", "a\x00b\r\n", "\xff\x00"), X("HGETALL", "bin"),
        X("HSET", "n", "i", "12345"), X("HSET", "n", "j", "-0"), X("HSET", "n", "k", "007"),
        X("HSTRLEN", "n", "i"), X("HGETALL", "n"),
    ],
    "arity": [
        X("HSET"), X("HSET", "h"), X("HSET", "h", "a"), X("HSET", "h", "a", "1", "b"),
        X("HMSET", "h", "a"), X("HMSET", "h", "a", "1", "b"), X("HSETNX", "h", "a"),
        X("HGET", "h"), X("HGET", "h", "a", "b"), X("HMGET", "h"), X("HDEL", "h"),
        X("HLEN"), X("HLEN", "a", "b"), X("HEXISTS", "h"), X("HKEYS"), X("HVALS", "a", "b"),
        X("HGETALL"), X("HINCRBY", "h", "a"), X("HINCRBYFLOAT", "h", "a", "1", "2"),
        X("HSTRLEN", "h"), X("HRANDFIELD"), X("HSCAN", "h"), X("EXISTS", "h"),
    ],
    "hsetnx_hmset": [
        X("HSETNX", "h", "a", "1"), X("HSETNX", "h", "a", "2"), X("HGET", "h", "a"),
        X("HSETNX", "h", "b", "2"), X("HMSET", "h", "a", "10", "c", "30"), X("HGETALL", "h"),
        X("HMSET", "new", "x", "1"), X("HGETALL", "new"),
        # An existing field: nothing is set, and a long value does not convert the hash.
        X("HSETNX", "h", "a", V65), X("OBJECT", "ENCODING", "h"),
        X("HSETNX", "h", "z", V65), X("OBJECT", "ENCODING", "h"), X("HGET", "h", "z"),
    ],
    "hincrby": [
        X("HINCRBY", "h", "a", "5"), X("HINCRBY", "h", "a", "-7"), X("HGET", "h", "a"),
        X("HINCRBY", "h", "a", "abc"), X("HINCRBY", "h", "a", "1.5"), X("HINCRBY", "h", "a", ""),
        X("HINCRBY", "h", "a", " 1"), X("HINCRBY", "h", "a", "+1"),
        X("HSET", "h", "s", "abc", "sp", " 1", "z", "007", "neg", "-0"),
        X("HINCRBY", "h", "s", "1"), X("HINCRBY", "h", "sp", "1"), X("HINCRBY", "h", "z", "1"),
        X("HINCRBY", "h", "neg", "1"),
        X("HSET", "h", "big", "9223372036854775807"), X("HINCRBY", "h", "big", "1"),
        X("HINCRBY", "h", "big", "0"), X("HINCRBY", "h", "big", "-9223372036854775808"),
        X("HSET", "h", "small", "-9223372036854775808"), X("HINCRBY", "h", "small", "-1"),
        X("HINCRBY", "h", "small", "9223372036854775807"), X("HINCRBY", "h", "new", "0"),
        X("HGETALL", "h"), X("HINCRBY", "missing", "f", "abc"), X("EXISTS", "missing"),
        X("HINCRBY", "h", F65, "1"), X("OBJECT", "ENCODING", "h"), X("HGET", "h", F65),
    ],
    "hincrbyfloat": [
        X("HINCRBYFLOAT", "h", "g", "0.1"), X("HINCRBYFLOAT", "h", "g", "0.2"),
        X("HINCRBYFLOAT", "h", "g", "-0.3"), X("HINCRBYFLOAT", "h", "g", "5.0e3"),
        X("HINCRBY", "h", "g", "1"), X("HINCRBYFLOAT", "h", "g", "-5001"),
        X("HINCRBYFLOAT", "h", "g", "1e-20"), X("HINCRBYFLOAT", "h", "g", "-1e-20"),
        X("HINCRBYFLOAT", "h", "f", "inf"), X("HINCRBYFLOAT", "h", "f", "-inf"),
        X("HINCRBYFLOAT", "h", "f", "nan"), X("HINCRBYFLOAT", "h", "f", "abc"),
        X("HINCRBYFLOAT", "h", "f", ""), X("HINCRBYFLOAT", "h", "f", " 1"),
        X("HINCRBYFLOAT", "h", "f", "0x10"), X("HINCRBYFLOAT", "h", "f", "1.5 "),
        X("HSET", "h", "s", "abc", "n", "10", "sp", " 1", "e", "1e3", "hex", "0x10"),
        X("HINCRBYFLOAT", "h", "s", "1"), X("HINCRBYFLOAT", "h", "n", "1.5"),
        X("HINCRBYFLOAT", "h", "sp", "1"), X("HINCRBYFLOAT", "h", "e", "1"),
        X("HINCRBYFLOAT", "h", "hex", "1"), X("HINCRBYFLOAT", "h", "n", "3.0"),
        X("HINCRBYFLOAT", "h", "n", "-1.25e2"),
        X("HINCRBYFLOAT", "h", "n", "1.7976931348623157e308"),
        X("HGET", "h", "n"), X("OBJECT", "ENCODING", "h"),
        X("HSET", "h2", "c", "1"), X("HINCRBYFLOAT", "h2", "c", "1e400"),
        X("OBJECT", "ENCODING", "h2"), X("HINCRBYFLOAT", "h2", "c", "1e4932"),
        X("HINCRBYFLOAT", "h2", "c", "-1e400"), X("HGET", "h2", "c"),
        X("HINCRBYFLOAT", "missing", "f", "x"), X("EXISTS", "missing"),
        X("HINCRBYFLOAT", "h3", "x", "-0.0"), X("HGET", "h3", "x"),
    ],
    "encoding_entries": [
        X(*hset_args("h", 128)), X("OBJECT", "ENCODING", "h"), X("HLEN", "h"),
        X("HGETALL", "h"), X("HSET", "h", "f0", "again"), X("OBJECT", "ENCODING", "h"),
        X("HSET", "h", "f128", "v128"), X("OBJECT", "ENCODING", "h"), X("HLEN", "h"),
        Pairs("HGETALL", "h"), Sorted("HKEYS", "h"), Sorted("HVALS", "h"),
        X("HGET", "h", "f77"), X("HMGET", "h", "f1", "nope", "f128"),
        X(*(["HDEL", "h"] + fields_of(120))), X("OBJECT", "ENCODING", "h"), X("HLEN", "h"),
        Pairs("HGETALL", "h"), X(*(["HDEL", "h"] + fields_of(129))), X("EXISTS", "h"),
        # One HSET that passes the limit on its own.
        X(*hset_args("big", 300)), X("OBJECT", "ENCODING", "big"), X("HLEN", "big"),
        Pairs("HGETALL", "big"), HScanAll("big"), HScanAll("big", "COUNT", "3"),
        HScanAll("big", "MATCH", "f1*"), HScanAll("big", "MATCH", "f2?", "COUNT", "1000"),
    ],
    "encoding_values": [
        X("HSET", "a", "f", V64), X("OBJECT", "ENCODING", "a"),
        X("HSET", "a", "g", V65), X("OBJECT", "ENCODING", "a"), Pairs("HGETALL", "a"),
        X("HSET", "b", "f" * 64, "1"), X("OBJECT", "ENCODING", "b"),
        X("HSET", "b", F65, "1"), X("OBJECT", "ENCODING", "b"),
        X("HSET", "c", "x", "1", "y", V65, "z", "3"), X("OBJECT", "ENCODING", "c"),
        Pairs("HGETALL", "c"), X("HDEL", "c", "y"), X("OBJECT", "ENCODING", "c"),
        X("HSET", "d", "x", "1"), X("HSET", "d", "x", V65), X("OBJECT", "ENCODING", "d"),
        X("HGET", "d", "x"), X("HSET", "d", "x", "short"), X("HGET", "d", "x"),
        X("HINCRBY", "d", "x", "1"), X("HSET", "d", "x", "41"), X("HINCRBY", "d", "x", "1"),
        X("HINCRBY", "d", "x", "-1000000000000"), X("HGET", "d", "x"),
        X("HSET", "e", "x", V64), X("HSETNX", "e", "y", V65), X("OBJECT", "ENCODING", "e"),
        X("HSET", "g", "x", "1"), X("HINCRBYFLOAT", "g", "x", "0.1"),
        X("OBJECT", "ENCODING", "g"),
    ],
    "config_limits": [
        X("CONFIG", "SET", "hash-max-listpack-entries", "2"),
        X("HSET", "h", "a", "1", "b", "2"), X("OBJECT", "ENCODING", "h"),
        X("HSET", "h", "c", "3"), X("OBJECT", "ENCODING", "h"),
        X("CONFIG", "SET", "hash-max-listpack-entries", "0"),
        X("HSET", "z", "a", "1"), X("OBJECT", "ENCODING", "z"),
        X("CONFIG", "SET", "hash-max-listpack-entries", "128"),
        X("CONFIG", "SET", "hash-max-listpack-value", "0"),
        X("HSET", "v", "", ""), X("OBJECT", "ENCODING", "v"),
        X("HSET", "v", "a", ""), X("OBJECT", "ENCODING", "v"),
        X("CONFIG", "SET", "hash-max-ziplist-value", "3"),
        X("HSET", "w", "abc", "def"), X("OBJECT", "ENCODING", "w"),
        X("HSET", "w", "abc", "defg"), X("OBJECT", "ENCODING", "w"),
        X("CONFIG", "SET", "hash-max-listpack-value", "64"),
    ],
    "wrongtype": [
        X("SET", "s", "v"), X("HSET", "s", "a", "1"), X("HSET", "s", "a"),
        X("HMSET", "s", "a", "1"),
        X("HSETNX", "s", "a", "1"), X("HGET", "s", "a"), X("HMGET", "s", "a"), X("HDEL", "s", "a"),
        X("HLEN", "s"), X("HEXISTS", "s", "a"), X("HSTRLEN", "s", "a"), X("HKEYS", "s"),
        X("HVALS", "s"), X("HGETALL", "s"), X("HINCRBY", "s", "a", "1"),
        X("HINCRBY", "s", "a", "x"), X("HINCRBYFLOAT", "s", "a", "1"),
        X("HINCRBYFLOAT", "s", "a", "x"), X("HINCRBYFLOAT", "s", "a", "inf"),
        X("HRANDFIELD", "s"), X("HRANDFIELD", "s", "1"), X("HRANDFIELD", "s", "x"),
        X("HRANDFIELD", "s", "1", "WITHVALUES", "x"), X("HSCAN", "s", "0"),
        X("HSCAN", "s", "x"), X("HSCAN", "s", "0", "FOO"), X("GET", "s"),
        X("HSET", "h", "a", "1"), X("GET", "h"), X("INCR", "h"), X("LPUSH", "h", "x"),
        X("TYPE", "h"),
    ],
    "hrandfield": [
        X("HRANDFIELD", "missing"), X("HRANDFIELD", "missing", "5"),
        X("HRANDFIELD", "missing", "0"), X("HRANDFIELD", "missing", "-5", "WITHVALUES"),
        X("HRANDFIELD", "missing", "abc"), X("HRANDFIELD", "missing", "1", "withvalue"),
        X("HRANDFIELD", "h", "abc"), X("HRANDFIELD", "h", "1.5"),
        X("HRANDFIELD", "h", "-9223372036854775808"),
        X("HRANDFIELD", "h", "-9223372036854775807"),  # missing key: empty array
        X("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"),
        X("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"),
        X("HRANDFIELD", "h", "1", "WITHVALUES", "x"), X("HRANDFIELD", "h", "1", "x"),
        X(*(["HSET", "h"] + [x for kv in SMALL.items() for x in kv])),
        Shape(one_of(*SMALL), "HRANDFIELD", "h"),
        X("HRANDFIELD", "h", "0"), X("HRANDFIELD", "h", "0", "WITHVALUES"),
        # count >= size: the whole hash, listpack order.
        X("HRANDFIELD", "h", "5"), X("HRANDFIELD", "h", "100", "WITHVALUES"),
        Shape(rand_check(SMALL, 1, False), "HRANDFIELD", "h", "1"),
        Shape(rand_check(SMALL, 3, False), "HRANDFIELD", "h", "3"),
        Shape(rand_check(SMALL, 4, True), "HRANDFIELD", "h", "4", "WITHVALUES"),
        Shape(rand_check(SMALL, -20, False), "HRANDFIELD", "h", "-20"),
        Shape(rand_check(SMALL, -20, True), "HRANDFIELD", "h", "-20", "withvalues"),
        X("HRANDFIELD", "h", "1", "WITHVALUES", "x"), X("HRANDFIELD", "h", "4611686018427387904",
                                                        "WITHVALUES"),
        X(*hset_args("big", 200)),
        Shape(one_of(*BIG), "HRANDFIELD", "big"),
        Shape(rand_check(BIG, 1, True), "HRANDFIELD", "big", "1", "WITHVALUES"),
        Shape(rand_check(BIG, 10, False), "HRANDFIELD", "big", "10"),
        Shape(rand_check(BIG, 150, True), "HRANDFIELD", "big", "150", "WITHVALUES"),
        Shape(rand_check(BIG, 199, False), "HRANDFIELD", "big", "199"),
        Shape(rand_check(BIG, 500, True), "HRANDFIELD", "big", "500", "WITHVALUES"),
        Shape(rand_check(BIG, -500, True), "HRANDFIELD", "big", "-500", "WITHVALUES"),
        Sorted("HRANDFIELD", "big", "200"),
    ],
    "hscan": [
        X("HSCAN", "missing", "0"), X("HSCAN", "missing", "0", "FOO"),
        X("HSCAN", "missing", "abc"), X("HSCAN", "missing", "0", "COUNT", "0"),
        X(*(["HSET", "h"] + [x for kv in SMALL.items() for x in kv])),
        X("HSCAN", "h", "0"), X("HSCAN", "h", "0", "COUNT", "1"), X("HSCAN", "h", "123"),
        X("HSCAN", "h", "-1"), X("HSCAN", "h", "+0"), X("HSCAN", "h", ""),
        X("HSCAN", "h", "0", "MATCH", "[a-c]"), X("HSCAN", "h", "0", "match", "*"),
        X("HSCAN", "h", "0", "MATCH", "nomatch", "COUNT", "100"),
        X("HSCAN", "h", "0", "COUNT", "0"), X("HSCAN", "h", "0", "COUNT", "-1"),
        X("HSCAN", "h", "0", "COUNT", "x"), X("HSCAN", "h", "0", "COUNT"), X("HSCAN", "h", "0", "TYPE", "hash"),
        X("HSCAN", "h", "0", "MATCH", ""),
        X("HSCAN", "h", "0", "MATCH"), X("HSCAN", "h", "0", "TYPE", "string"),
        X("HSCAN", "h", "0", "FOO", "bar"), X("HSCAN", "h", " 0"), X("HSCAN", "h", "1x"),
        X("HSCAN", "h", "18446744073709551615"), X("HSCAN", "h", "18446744073709551616"),
        X(*hset_args("big", 1000)), HScanAll("big"), HScanAll("big", "COUNT", "1"),
        HScanAll("big", "COUNT", "50", "MATCH", "f9*"), HScanAll("big", "MATCH", "nothing"),
        X("HSCAN", "big", "0", "COUNT", "x"), X("HSCAN", "big", "0", "COUNT", "0"),
    ],
    "ttl_rename_copy": [
        X("HSET", "h", "a", "1"), X("EXPIRE", "h", "100"), X("HSET", "h", "b", "2"),
        X("TTL", "h"), X("HDEL", "h", "a"), X("TTL", "h"),
        X(*hset_args("h", 200)), X("OBJECT", "ENCODING", "h"), X("TTL", "h"),
        X("HSET", "h", "long", V65), X("TTL", "h"),
        X("RENAME", "h", "m"), X("TTL", "m"), X("HLEN", "m"),
        X("COPY", "m", "n"), X("HSET", "n", "new", "x"), X("HLEN", "m"), X("HLEN", "n"),
        X("OBJECT", "ENCODING", "n"), X("HGET", "n", "f5"),
        X("HSET", "s", "a", "1", "b", "2"), X("COPY", "s", "t"), X("HSET", "t", "c", "3"),
        X("HGETALL", "s"), X("HGETALL", "t"), X("OBJECT", "ENCODING", "t"),
        X("HSET", "p", "x", "1"), X("PEXPIREAT", "p", "1"), X("HGET", "p", "x"),
        X("HSETNX", "p", "y", "1"), X("HGETALL", "p"),
        X("HSET", "q", "x", "1"), X("EXPIRE", "q", "50"), X("HDEL", "q", "x"),
        X("HSET", "q", "x", "1"), X("TTL", "q"),
    ],
    "resp3": [
        Shape(tc.hello_shape, "HELLO", "3"),
        X("HGET", "missing", "a"), X("HMGET", "missing", "a", "b"), X("HGETALL", "missing"),
        X("HKEYS", "missing"), X("HVALS", "missing"), X("HRANDFIELD", "missing"),
        X("HRANDFIELD", "missing", "3"), X("HRANDFIELD", "missing", "3", "WITHVALUES"),
        X("HSCAN", "missing", "0"),
        X(*(["HSET", "h"] + [x for kv in SMALL.items() for x in kv])),
        X("HGETALL", "h"), X("HKEYS", "h"), X("HVALS", "h"), X("HMGET", "h", "a", "nope"),
        X("HGET", "h", "nope"), X("HINCRBYFLOAT", "c", "a", "0.5"), X("HINCRBY", "c", "b", "2"),
        X("HRANDFIELD", "h", "10", "WITHVALUES"), X("HRANDFIELD", "h", "0", "WITHVALUES"),
        Shape(rand_check(SMALL, 1, True, resp3=True), "HRANDFIELD", "h", "1", "WITHVALUES"),
        Shape(rand_check(SMALL, 2, True, resp3=True), "HRANDFIELD", "h", "2", "WITHVALUES"),
        Shape(rand_check(SMALL, -7, True, resp3=True), "HRANDFIELD", "h", "-7", "WITHVALUES"),
        X("HSCAN", "h", "0"),
        X(*hset_args("big", 150)), Pairs("HGETALL", "big"),
        Shape(rand_check(BIG, -3, True, resp3=True), "HRANDFIELD", "big", "-3", "WITHVALUES"),
    ],
    "command_info": [
        Shape(tc.command_info_shape, "COMMAND", "INFO", "hset", "hsetnx", "hget", "hmget",
              "hmset", "hdel", "hlen", "hexists", "hkeys", "hvals", "hgetall", "hincrby",
              "hincrbyfloat", "hstrlen", "hrandfield", "hscan"),
        Shape(tc.command_docs_shape, "COMMAND", "DOCS", "hset"),
        Shape(tc.command_docs_shape, "COMMAND", "DOCS", "hrandfield"),
        X("COMMAND", "GETKEYS", "HSET", "k", "f", "v"),
        X("COMMAND", "GETKEYS", "HSCAN", "k", "0"),
    ],
    "transactions": [
        X("MULTI"), X("HSET", "h", "a", "1"), X("HINCRBY", "h", "a", "2"), X("HGETALL", "h"),
        X("HDEL", "h", "a"), X("EXISTS", "h"), X("EXEC"),
        X("MULTI"), X("HSET", "h", "a"), X("HGET", "h", "a"), X("EXEC"),
        X("MULTI"), X("HSET", "h", "a", "x"), X("HINCRBY", "h", "a", "1"), X("HGET", "h", "a"),
        X("EXEC"),
    ],
}


# -- the random walk ------------------------------------------------------------------------------
WALK_FIELDS = ["a", "b", "c", "d", "e", "f", "g", "h", "1", "22", "", "long-field-name"]
WALK_VALUES = ["x", "yy", "", "0", "7", "-3", "100", "1.5", "abcdefgh", "z" * 20, "9" * 18]
WALK_KEYS = ["k1", "k2", "k3"]


def random_command(rng):
    k = rng.choice(WALK_KEYS)
    f = lambda: rng.choice(WALK_FIELDS)
    v = lambda: rng.choice(WALK_VALUES)
    op = rng.randrange(14)
    if op <= 2:
        args = ["HSET", k]
        for _ in range(rng.randint(1, 4)):
            args += [f(), v()]
        return args
    if op == 3:
        return ["HSETNX", k, f(), v()]
    if op == 4:
        return ["HDEL", k] + [f() for _ in range(rng.randint(1, 4))]
    if op == 5:
        return ["HINCRBY", k, f(), str(rng.randint(-50, 50))]
    if op == 6:
        return ["HINCRBYFLOAT", k, f(), rng.choice(["0.5", "-1.25", "3", "1e3", "-0.1"])]
    if op == 7:
        return ["HGET", k, f()]
    if op == 8:
        return ["HMGET", k, f(), f(), f()]
    if op == 9:
        return ["HLEN", k]
    if op == 10:
        return ["HSTRLEN", k, f()]
    if op == 11:
        return ["HEXISTS", k, f()]
    if op == 12:
        return ["HMSET", k, f(), v()]
    return ["OBJECT", "ENCODING", k]


class HashCompatTest(tc.DifferentialTestCase):
    """The hash groups and a random walk against redis-server (reference) and our server."""

    def _connect(self):
        ref, sut = tc.DifferentialTestCase._connect(self)
        self._conns = (ref, sut)  # the pair the group runner is using, for HScanAll
        return ref, sut

    def run_group(self, steps):
        # test_compat's runner; an HScanAll step is sent as a harmless HLEN, and _compare then
        # iterates HSCAN on both servers.
        tc.DifferentialTestCase.run_group(self, [_HScanStep(s) if isinstance(s, HScanAll) else s
                                       for s in steps])

    def _compare(self, step, rr, rv, sr, sv):
        if isinstance(step, _HScanStep):
            ref, sut = self._conns
            rp, _ = hscan_pairs(ref, step.key, step.opts)
            sp, _ = hscan_pairs(sut, step.key, step.opts)
            if rp != sp:
                return "redis: %d pairs, ours %d; only redis: %r; only ours: %r" % (
                    len(rp), len(sp), sorted(rp - sp)[:5], sorted(sp - rp)[:5])
            return None
        return tc.DifferentialTestCase._compare(self, step, rr, rv, sr, sv)

    def random_walk(self, entries, value, seed, steps):
        ref, sut = self._connect()
        for c in (ref, sut):
            c.cmd("FLUSHALL")
            c.cmd("CONFIG", "SET", "hash-max-listpack-entries", str(entries))
            c.cmd("CONFIG", "SET", "hash-max-listpack-value", str(value))
        # Runs before the connections close (cleanups run last-in first-out).
        for c in (ref, sut):
            self.addCleanup(c.cmd, "CONFIG", "SET", "hash-max-listpack-entries", "128")
            self.addCleanup(c.cmd, "CONFIG", "SET", "hash-max-listpack-value", "64")
        rng = random.Random(seed)
        for i in range(steps):
            args = random_command(rng)
            rr, _ = ref.call(*args)
            sr, _ = sut.call(*args)
            if rr != sr:
                self.fail("limits %s/%s seed %d step %d: %s\n  redis: %r\n  ours:  %r"
                          % (entries, value, seed, i, " ".join(args), rr[:300], sr[:300]))
            if i % 50 == 49:
                for key in WALK_KEYS:
                    a, b = ref.cmd("HGETALL", key), sut.cmd("HGETALL", key)
                    pa, pb = sorted(zip(a[0::2], a[1::2])), sorted(zip(b[0::2], b[1::2]))
                    self.assertEqual(pa, pb, "limits %s/%s seed %d step %d: contents of %s differ"
                                     % (entries, value, seed, i, key))
                    # A listpack keeps insertion order in both servers.
                    ea = ref.call("OBJECT", "ENCODING", key)[0]
                    if ea == b"$8\r\nlistpack\r\n":
                        self.assertEqual(a, b, "listpack order of %s differs" % key)

    def test_random_walk_tiny_limits(self):
        self.random_walk(4, 8, 1, 3000)

    def test_random_walk_small_limits(self):
        self.random_walk(8, 2, 2, 3000)

    def test_random_walk_default_limits(self):
        self.random_walk(128, 64, 3, 2000)

    def test_hscan_guarantee_across_resizes(self):
        # Fields present for the whole iteration are returned even while the table grows and
        # shrinks between calls (Redis's SCAN guarantee).
        ref, sut = self._connect()
        sut.cmd("FLUSHALL")
        sut.cmd(*hset_args("g", 500, prefix="keep"))
        cursor, seen, calls, added = b"0", set(), 0, []
        while True:
            cursor, batch = sut.cmd("HSCAN", "g", cursor, "COUNT", "20")
            seen.update(batch[0::2])
            calls += 1
            if calls % 2:  # grow the table a lot, then shrink it back
                added = ["tmp%d_%d" % (calls, i) for i in range(300 * (calls % 7 + 1))]
                sut.cmd(*(["HSET", "g"] + [x for f in added for x in (f, "t")]))
            else:
                sut.cmd(*(["HDEL", "g"] + added))
            if cursor == b"0":
                break
            self.assertLess(calls, 10000)
        missing = [f for f in ("keep%d" % i for i in range(500)) if f.encode() not in seen]
        self.assertEqual(missing, [])

    def test_big_hash(self):
        # A 20k-field hash through HSET batches, then reads and deletes compared with redis.
        ref, sut = self._connect()
        for c in (ref, sut):
            c.cmd("FLUSHALL")
        for start in range(0, 20000, 1000):
            args = ["HSET", "big"]
            for i in range(start, start + 1000):
                args += ["field:%d" % i, "value:%d" % (i * 7)]
            self.assertEqual(ref.call(*args)[0], sut.call(*args)[0])
        for args in (["HLEN", "big"], ["HGET", "big", "field:12345"], ["HSTRLEN", "big", "field:9"],
                     ["HMGET", "big", "field:0", "field:19999", "field:20000"],
                     ["HINCRBY", "big", "field:5", "3"], ["HEXISTS", "big", "field:77"],
                     ["OBJECT", "ENCODING", "big"]):
            self.assertEqual(ref.call(*args)[0], sut.call(*args)[0], args)
        a, b = ref.cmd("HGETALL", "big"), sut.cmd("HGETALL", "big")
        self.assertEqual(sorted(zip(a[0::2], a[1::2])), sorted(zip(b[0::2], b[1::2])))
        self.assertEqual(hscan_pairs(sut, "big", ("COUNT", "100"))[0], set(zip(a[0::2], a[1::2])))
        args = ["HDEL", "big"] + ["field:%d" % i for i in range(0, 20000, 2)]
        self.assertEqual(ref.call(*args)[0], sut.call(*args)[0])
        args = ["HDEL", "big"] + ["field:%d" % i for i in range(1, 20000, 2)]
        self.assertEqual(ref.call(*args)[0], sut.call(*args)[0])
        self.assertEqual(ref.call("EXISTS", "big")[0], sut.call("EXISTS", "big")[0])


HashCompatTest.add_groups(GROUPS)

if __name__ == "__main__":
    unittest.main()
