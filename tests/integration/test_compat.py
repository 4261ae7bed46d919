# Differential test: the same commands go to a stock redis-server (the reference) and to the
# server under test (STRATA_SERVER_KIND, normally build/strata-server); the raw reply bytes must
# be identical. Replies that differ between two correct servers (ids, clocks, hash order) are
# compared by shape or as sets instead. Each group below becomes one test method, run on a fresh
# connection pair after FLUSHALL, and reports every mismatch in the group at once.
import unittest

from harness import HOST, RespConnection, RespError, RespMap, start_reference_pair


# -- steps -----------------------------------------------------------------------------------------
class X:
    """Send a command; replies must be byte-identical."""

    def __init__(self, *args):
        self.args = args

    def describe(self):
        return " ".join(_show(a) for a in self.args)


class Sorted(X):
    """Array reply compared as a multiset (order is hash order: KEYS)."""


class Pairs(X):
    """Flat key/value array or RESP3 map compared as a set of pairs (CONFIG GET with a glob)."""


class Shape(X):
    """Compared by a check(ref_value, our_value) -> None | problem text; raw type byte must match."""

    def __init__(self, check, *args):
        super().__init__(*args)
        self.check = check


class Raw:
    """Send raw bytes; read `replies` replies, each byte-identical."""

    def __init__(self, data, replies=1):
        self.data = data
        self.replies = replies

    def describe(self):
        return "raw %r" % self.data[:80]


class Closed:
    """Both servers must have closed the connection."""

    def describe(self):
        return "(connection closed by server)"


class Reconnect:
    """Fresh connection pair (after a step that closes the connection)."""

    def describe(self):
        return "(reconnect)"


class ScanAll:
    """Full SCAN iteration with the given options; the key sets must match (cursors may not)."""

    def __init__(self, *opts):
        self.opts = opts

    def describe(self):
        return "SCAN ... " + " ".join(self.opts) + " (full iteration)"


def _show(a):
    s = a if isinstance(a, str) else repr(a)
    return s if len(s) <= 40 else s[:37] + "..."


# -- shape checks ----------------------------------------------------------------------------------
def is_int(ref, ours):
    if not isinstance(ours, int) or isinstance(ours, bool):
        return "expected an integer, got %r" % (ours,)


def int_between(lo, hi):
    def check(ref, ours):
        if not isinstance(ours, int) or not lo <= ours <= hi:
            return "expected an integer in [%d, %d], got %r" % (lo, hi, ours)
    return check


def bulk_contains(*needles):
    def check(ref, ours):
        if not isinstance(ours, bytes):
            return "expected a bulk string, got %r" % (ours,)
        missing = [n for n in needles if n not in ours]
        if missing:
            return "bulk string lacks %r" % missing
    return check


def time_shape(ref, ours):
    if (not isinstance(ours, list) or len(ours) != 2
            or not all(isinstance(x, bytes) and x.isdigit() for x in ours)):
        return "expected [seconds, microseconds] as two digit strings, got %r" % (ours,)
    if abs(int(ours[0]) - int(ref[0])) > 5:
        return "clock differs from redis by more than 5s: %r vs %r" % (ours, ref)


def hello_shape(ref, ours):
    # id differs between servers; server/version are the implementation's to choose.
    def norm(v):
        pairs = list(v) if isinstance(v, RespMap) else list(zip(v[0::2], v[1::2]))
        return [(k, val) for k, val in pairs if k not in (b"id", b"server", b"version")]
    if type(ref) is not type(ours):
        return "reply type %s, redis sent %s" % (type(ours).__name__, type(ref).__name__)
    keys = [k for k, _ in (list(ours) if isinstance(ours, RespMap) else zip(ours[0::2], ours[1::2]))]
    for k in (b"server", b"version", b"id"):
        if k not in keys:
            return "HELLO reply lacks %r" % k
    if norm(ref) != norm(ours):
        return "HELLO fields differ: %r vs redis %r" % (norm(ours), norm(ref))


def command_info_shape(ref, ours):
    # name, arity, flags, first key, last key, step must match; the rest (ACL categories, tips,
    # key specs, subcommands) only needs to be there.
    if not isinstance(ours, list) or len(ours) != len(ref):
        return "expected %d entries, got %r" % (len(ref), ours)
    for r, o in zip(ref, ours):
        if r is None or o is None:
            if r is not o:
                return "entry %r vs redis %r" % (o, r)
            continue
        if not isinstance(o, list) or len(o) != len(r):
            return "entry should have %d fields: %r" % (len(r), o)
        if o[:6] != r[:6]:
            return "entry %r differs from redis %r in name/arity/flags/keys" % (o[:6], r[:6])


def is_nonempty_array(ref, ours):
    if not isinstance(ours, list) or not ours:
        return "expected a non-empty array, got %r" % (ours,)


def command_docs_shape(ref, ours):
    if not isinstance(ours, (list, RespMap)) or len(ours) != len(ref):
        return "expected %d elements (name, doc map), got %r" % (len(ref), ours)


def client_info_shape(ref, ours):
    if not isinstance(ours, bytes) or not ours.startswith(b"id=") or b" addr=" not in ours:
        return "expected 'id=... addr=...' line, got %r" % (ours,)


# -- the command groups ----------------------------------------------------------------------------
LONG45 = "x" * 45
LONG44 = "y" * 44
FAR_S = "4102444800"      # 2100-01-01 in seconds
FAR_MS = "4102444800123"

GROUPS = {
    "connection": [
        X("PING"), X("PING", "hello"), X("PING", "a", "b"), X("ping"), X("PiNg"),
        X("ECHO", "x"), X("ECHO"), X("ECHO", "a", "b"), X("ECHO", ""),
        X("FOO"), X("FOO", "a", "b"), X("foo", "x" * 100, "y" * 100, "z" * 100),
        X(""), X("GET"), X("SET", "k"), X("get", "a", "b"),
        X("SELECT", "0"), X("SELECT", "15"), X("SELECT", "16"), X("SELECT", "-1"),
        X("SELECT", "abc"), X("SELECT", "1", "2"), X("SELECT"),
        X("DBSIZE"), X("DBSIZE", "x"),
        X("QUIT"), Closed(),
    ],
    "auth_without_password": [
        X("AUTH", "x"), X("AUTH", "default", "x"), X("AUTH", "a", "b", "c"), X("AUTH"),
    ],
    "hello_resp3": [
        Shape(hello_shape, "HELLO"),
        Shape(hello_shape, "HELLO", "3"),
        X("GET", "missing"), X("SET", "k", "v"), X("GET", "k"), X("RANDOMKEY"), X("MGET", "k", "missing"),
        X("EXISTS", "k", "missing"), X("TTL", "k"), X("TTL", "missing"), X("TYPE", "k"),
        X("SET", "k", "v2", "GET"), X("SET", "missing", "v", "GET", "XX"),
        X("GETDEL", "nothing"), X("GETEX", "nothing"),
        X("INCRBYFLOAT", "f", "1.5"), X("INCR", "n"), X("STRLEN", "k"),
        X("OBJECT", "ENCODING", "missing"), X("OBJECT", "ENCODING", "k"),
        X("CLIENT", "GETNAME"),
        X("CONFIG", "GET", "databases"), X("CONFIG", "GET", "nosuchconfig"),
        Pairs("CONFIG", "GET", "tcp-*"),
        X("COMMAND", "INFO", "nosuchcommand"), X("KEYS", "k"), X("SCAN", "0", "MATCH", "nomatch*"),
        X("FOO"), X("GET"), X("INCR", "k"), X("ECHO", "resp3"), X("PING"), X("DBSIZE"),
        Shape(hello_shape, "HELLO", "3", "SETNAME", "conn1"), X("CLIENT", "GETNAME"),
        Shape(hello_shape, "HELLO", "3", "AUTH", "default", "anything"),
        X("HELLO", "4"), X("HELLO", "abc"), X("HELLO", "3", "FOO"), X("HELLO", "3", "AUTH"),
        X("HELLO", "3", "AUTH", "default"), X("HELLO", "3", "SETNAME", "a b"),
        Shape(hello_shape, "HELLO", "2"),
        X("GET", "missing"), X("MGET", "k", "missing"), X("CONFIG", "GET", "databases"),
    ],
    "set_options": [
        X("SET", "k", "v"), X("GET", "k"), X("SET", "k", "v", "NX"), X("SET", "k", "v2", "XX"),
        X("GET", "k"), X("SET", "new", "v", "XX"), X("GET", "new"), X("SET", "new", "v", "NX"),
        X("SET", "k", "v", "NX", "XX"), X("SET", "k", "v", "nx", "xx"),
        X("SET", "k", "v", "EX", "10"), X("TTL", "k"),
        X("SET", "k", "v", "ex", "20"), X("TTL", "k"),
        X("SET", "k", "v", "PX", "10000"), Shape(int_between(9000, 10000), "PTTL", "k"),
        X("SET", "k", "v", "EX", "0"), X("SET", "k", "v", "EX", "-5"), X("SET", "k", "v", "PX", "0"),
        X("SET", "k", "v", "EX", "abc"), X("SET", "k", "v", "EX", "1.5"),
        X("SET", "k", "v", "EX", "10", "PX", "10"), X("SET", "k", "v", "EX", "10", "EX", "10"),
        X("SET", "k", "v", "EX"), X("SET", "k", "v", "PX"), X("SET", "k", "v", "FOO"),
        X("SET", "k", "v", "EX", "9223372036854775807"),
        X("SET", "k", "v", "PX", "9223372036854775807"),
        X("SET", "k", "v", "EX", "9223372036854775"),
        X("SET", "k", "v", "EXAT", "9223372036854775807"),
        X("SET", "k", "v", "EX", "100"), X("SET", "k", "v2", "KEEPTTL"), X("TTL", "k"),
        X("GET", "k"), X("SET", "k", "v3"), X("TTL", "k"),
        X("SET", "k", "v", "KEEPTTL", "EX", "10"), X("SET", "k", "v", "PX", "10", "KEEPTTL"),
        X("SET", "k", "v", "EX", "100"), X("SET", "k", "v4", "GET"), X("TTL", "k"),
        X("SET", "k", "v5", "GET", "KEEPTTL"),
        X("SET", "nokey", "v", "GET"), X("GET", "nokey"),
        X("SET", "k", "v6", "NX", "GET"), X("SET", "k2", "v", "NX", "GET"), X("GET", "k2"),
        X("SET", "k", "v7", "XX", "GET"), X("SET", "k3", "v", "XX", "GET"), X("EXISTS", "k3"),
        X("SET", "k", "v", "EXAT", FAR_S), X("EXPIRETIME", "k"), X("PEXPIRETIME", "k"),
        X("SET", "k", "v", "PXAT", FAR_MS), X("PEXPIRETIME", "k"), X("EXPIRETIME", "k"),
        X("SET", "k", "v", "EXAT", "1"), X("GET", "k"), X("EXISTS", "k"),
        X("SET", "k", "v", "PXAT", "1"), X("EXISTS", "k"),
        X("SET", "k", "v", "EXAT", "0"), X("SET", "k", "v", "EXAT", "-1"),
        X("SET", "k", "v", "EX", "10", "GET", "XX", "KEEPTTL"),
        X("SET", "k"), X("SET"), X("SET", "", ""), X("GET", ""), X("EXISTS", ""),
    ],
    "set_variants": [
        X("SETNX", "k", "v"), X("SETNX", "k", "v2"), X("GET", "k"), X("SETNX", "k"),
        X("SETEX", "e", "10", "v"), X("TTL", "e"), X("GET", "e"),
        X("SETEX", "e", "0", "v"), X("SETEX", "e", "-1", "v"), X("SETEX", "e", "abc", "v"),
        X("SETEX", "e", "10"), X("SETEX", "e", "9223372036854775807", "v"),
        X("PSETEX", "p", "100000", "v"), Shape(int_between(99000, 100000), "PTTL", "p"),
        X("PSETEX", "p", "0", "v"), X("PSETEX", "p", "-1", "v"), X("PSETEX", "p", "x", "v"),
        X("GETSET", "g", "1"), X("GETSET", "g", "2"), X("GET", "g"), X("GETSET", "g"),
        X("SETEX", "g", "100", "v"), X("GETSET", "g", "3"), X("TTL", "g"),
        X("GETDEL", "g"), X("GETDEL", "g"), X("EXISTS", "g"), X("GETDEL"), X("GETDEL", "a", "b"),
    ],
    "getex": [
        X("GETEX", "missing"), X("GETEX", "missing", "EX", "10"), X("SET", "k", "v"),
        X("GETEX", "k"), X("TTL", "k"), X("GETEX", "k", "EX", "100"), X("TTL", "k"),
        X("GETEX", "k", "PERSIST"), X("TTL", "k"),
        X("GETEX", "k", "PX", "50000"), Shape(int_between(49000, 50000), "PTTL", "k"),
        X("GETEX", "k", "EXAT", FAR_S), X("EXPIRETIME", "k"),
        X("GETEX", "k", "PXAT", FAR_MS), X("PEXPIRETIME", "k"),
        X("GETEX", "k", "EX", "0"), X("GETEX", "k", "EX", "-1"), X("GETEX", "k", "PX", "0"),
        X("GETEX", "k", "EX", "abc"), X("GETEX", "k", "EX"),
        X("GETEX", "k", "PERSIST", "EX", "10"), X("GETEX", "k", "EX", "10", "PX", "10"),
        X("GETEX", "k", "FOO"), X("GETEX", "k", "EX", "9223372036854775807"),
        X("GETEX", "k", "ex", "30"), X("TTL", "k"),
        X("GETEX", "k", "EXAT", "1"), X("EXISTS", "k"), X("GETEX"),
    ],
    "mget_mset": [
        X("MSET", "a", "1", "b", "2"), X("MGET", "a", "b", "c"), X("MGET", "c"),
        X("MSET", "a"), X("MSET", "a", "1", "b"), X("MSET"), X("MGET"),
        X("MSET", "a", "x", "a", "y"), X("GET", "a"),
        X("MSETNX", "a", "1", "z", "2"), X("EXISTS", "z"), X("MSETNX", "x", "1", "y", "2"),
        X("MGET", "x", "y"), X("MSETNX", "x"), X("MSETNX", "q", "1", "q", "2"), X("GET", "q"),
        X("SET", "t", "v", "EX", "100"), X("MSET", "t", "w"), X("TTL", "t"),
    ],
    "incr_decr": [
        X("INCR", "n"), X("INCRBY", "n", "10"), X("DECR", "n"), X("DECRBY", "n", "5"),
        X("INCRBY", "n", "-20"), X("DECRBY", "n", "-3"), X("GET", "n"),
        X("INCRBY", "n", "abc"), X("INCRBY", "n", "1.5"), X("INCRBY", "n", ""),
        X("INCRBY", "n", "99999999999999999999"), X("INCR"), X("INCR", "a", "b"), X("INCRBY", "n"),
        X("SET", "s", "abc"), X("INCR", "s"), X("SET", "s", " 1"), X("INCR", "s"),
        X("SET", "s", "1 "), X("INCR", "s"), X("SET", "s", "01"), X("INCR", "s"),
        X("SET", "s", "+1"), X("INCR", "s"), X("SET", "s", "-0"), X("INCR", "s"),
        X("SET", "s", "1.5"), X("INCR", "s"), X("SET", "s", ""), X("INCR", "s"),
        X("SET", "s", "0"), X("INCR", "s"), X("SET", "s", "-5"), X("INCR", "s"),
        X("SET", "m", "9223372036854775807"), X("INCR", "m"), X("GET", "m"), X("DECR", "m"),
        X("SET", "m", "-9223372036854775808"), X("DECR", "m"), X("INCR", "m"),
        X("SET", "m", "9223372036854775808"), X("INCR", "m"),
        X("SET", "m", "1"), X("INCRBY", "m", "9223372036854775807"),
        X("INCRBY", "m", "9223372036854775806"), X("GET", "m"),
        X("SET", "m", "-2"), X("DECRBY", "m", "9223372036854775807"),
        X("DECRBY", "m", "-9223372036854775808"), X("INCRBY", "m", "-9223372036854775808"),
        X("SET", "t", "5", "EX", "100"), X("INCR", "t"), X("TTL", "t"), X("GET", "t"),
    ],
    "incrbyfloat": [
        X("INCRBYFLOAT", "f", "10.5"), X("INCRBYFLOAT", "f", "0.1"), X("INCRBYFLOAT", "f", "-5"),
        X("GET", "f"), X("SET", "f", "5.0e3"), X("INCRBYFLOAT", "f", "2.0e2"),
        X("INCRBYFLOAT", "g", "3"), X("INCRBYFLOAT", "g", "3.0"), X("INCRBYFLOAT", "g", "-6"),
        X("SET", "h", "0.2"), X("INCRBYFLOAT", "h", "0.1"),
        X("INCRBYFLOAT", "i", "1.23456789012345678"), X("INCRBYFLOAT", "j", "1e-5"),
        X("INCRBYFLOAT", "j2", "-1e10"), X("INCRBYFLOAT", "j3", "1e30"),
        X("INCRBYFLOAT", "j4", "0.1"), X("INCRBYFLOAT", "j4", "0.2"),
        X("INCRBYFLOAT", "j5", "1.1"), X("INCRBYFLOAT", "j6", "-0.0"),
        X("INCRBYFLOAT", "j7", "3.14159"), X("INCRBYFLOAT", "j7", "-3.14159"),
        X("INCRBYFLOAT", "f", "abc"), X("INCRBYFLOAT", "f", ""), X("INCRBYFLOAT", "f", " 1"),
        X("INCRBYFLOAT", "f", "1 "), X("INCRBYFLOAT", "f", "nan"), X("INCRBYFLOAT", "f", "inf"),
        X("INCRBYFLOAT", "f", "-inf"), X("INCRBYFLOAT", "f", "1.5.5"),
        X("SET", "s", "abc"), X("INCRBYFLOAT", "s", "1"),
        X("SET", "n", "10"), X("INCRBYFLOAT", "n", "1"), X("INCR", "n"),
        X("SET", "t", "1.5", "EX", "100"), X("INCRBYFLOAT", "t", "1"), X("TTL", "t"),
        X("INCRBYFLOAT", "f"), X("INCRBYFLOAT"),
    ],
    "append_strlen": [
        X("APPEND", "a", "abc"), X("APPEND", "a", "de"), X("GET", "a"), X("STRLEN", "a"),
        X("STRLEN", "missing"), X("APPEND", "a", ""), X("APPEND", "e", ""), X("EXISTS", "e"),
        X("SET", "n", "10"), X("STRLEN", "n"), X("APPEND", "n", "5"), X("GET", "n"),
        X("SET", "n2", "-12345"), X("STRLEN", "n2"),
        X("SET", "t", "v", "EX", "100"), X("APPEND", "t", "w"), X("TTL", "t"),
        X("APPEND", "a"), X("STRLEN"), X("STRLEN", "a", "b"),
    ],
    "getrange": [
        X("SET", "s", "This is a string"),
        X("GETRANGE", "s", "0", "3"), X("GETRANGE", "s", "-3", "-1"), X("GETRANGE", "s", "0", "-1"),
        X("GETRANGE", "s", "10", "100"), X("GETRANGE", "s", "5", "3"),
        X("GETRANGE", "s", "-100", "-50"), X("GETRANGE", "s", "-100", "100"),
        X("GETRANGE", "s", "100", "200"), X("GETRANGE", "s", "-1", "-5"),
        X("GETRANGE", "s", "-1", "0"), X("GETRANGE", "s", "0", "0"),
        X("GETRANGE", "s", "15", "15"), X("GETRANGE", "s", "16", "16"),
        X("GETRANGE", "s", "0", "-100"), X("GETRANGE", "s", "-5", "-100"),
        X("GETRANGE", "missing", "0", "-1"), X("GETRANGE", "s", "a", "b"),
        X("GETRANGE", "s", "0"), X("SET", "n", "12345"), X("GETRANGE", "n", "1", "2"),
        X("GETRANGE", "n", "-2", "-1"), X("SET", "e", ""), X("GETRANGE", "e", "0", "-1"),
        X("GETRANGE", "s", "0", "9223372036854775807"),
        X("GETRANGE", "s", "-9223372036854775808", "3"),
    ],
    "setrange": [
        X("SETRANGE", "p", "5", "x"), X("GET", "p"), X("STRLEN", "p"),
        X("SET", "s", "Hello World"), X("SETRANGE", "s", "6", "Redis"), X("GET", "s"),
        X("SETRANGE", "s", "0", "AB"), X("SETRANGE", "s", "20", "Z"), X("GET", "s"),
        X("SETRANGE", "s", "-1", "x"), X("SETRANGE", "s", "abc", "x"),
        X("SETRANGE", "s", "536870912", "x"), X("SETRANGE", "s", "536870911", "xy"),
        X("SETRANGE", "s", "536870912", ""),
        X("SETRANGE", "m", "0", ""), X("EXISTS", "m"), X("SETRANGE", "m", "10", ""),
        X("EXISTS", "m"), X("SETRANGE", "m2", "536870912", ""),
        X("SET", "n", "123"), X("SETRANGE", "n", "1", "x"), X("GET", "n"),
        X("SET", "t", "v", "EX", "100"), X("SETRANGE", "t", "0", "w"), X("TTL", "t"),
        X("SETRANGE", "s", "0"),
    ],
    "keys_del_exists": [
        X("MSET", "a", "1", "b", "2", "c", "3"), X("DEL", "a", "b", "missing"),
        X("EXISTS", "a", "b", "c", "c"), X("UNLINK", "c"), X("EXISTS", "c"),
        X("SET", "a", "1"), X("TOUCH", "a", "missing", "a"), X("DEL", "a", "a"),
        X("DEL"), X("EXISTS"), X("UNLINK"), X("TOUCH"), X("DBSIZE"),
        X("TYPE", "missing"), X("SET", "s", "v"), X("TYPE", "s"), X("TYPE"),
    ],
    "expire": [
        X("SET", "k", "v"), X("TTL", "k"), X("TTL", "missing"), X("PTTL", "k"), X("PTTL", "missing"),
        X("EXPIRETIME", "k"), X("EXPIRETIME", "missing"), X("PEXPIRETIME", "k"),
        X("PEXPIRETIME", "missing"),
        X("EXPIRE", "k", "100"), X("TTL", "k"), X("EXPIRE", "missing", "100"),
        X("EXPIRE", "k", "100", "NX"), X("EXPIRE", "k", "200", "XX"), X("TTL", "k"),
        X("EXPIRE", "k", "50", "GT"), X("EXPIRE", "k", "300", "GT"), X("TTL", "k"),
        X("EXPIRE", "k", "400", "LT"), X("EXPIRE", "k", "100", "LT"), X("TTL", "k"),
        X("EXPIRE", "k", "100", "lt"), X("PERSIST", "k"), X("PERSIST", "k"),
        X("PERSIST", "missing"), X("TTL", "k"),
        X("EXPIRE", "k", "100", "XX"), X("EXPIRE", "k", "100", "GT"), X("TTL", "k"),
        X("EXPIRE", "k", "100", "LT"), X("TTL", "k"), X("PERSIST", "k"),
        X("EXPIRE", "k", "100", "NX"), X("EXPIRE", "k", "10", "NX", "XX"),
        X("EXPIRE", "k", "10", "GT", "LT"), X("EXPIRE", "k", "10", "NX", "GT"),
        X("EXPIRE", "k", "10", "NX", "LT"), X("EXPIRE", "k", "10", "XX", "GT"), X("TTL", "k"),
        X("EXPIRE", "k", "10", "FOO"), X("EXPIRE", "k", "abc"), X("EXPIRE", "k", "1.5"),
        X("EXPIRE", "k", "9223372036854775807"), X("EXPIRE", "k", "-9223372036854775808"),
        X("PEXPIRE", "k", "9223372036854775807"),
        X("EXPIRE", "k"), X("EXPIRE"), X("TTL"), X("TTL", "a", "b"), X("PERSIST"),
        X("PEXPIRE", "k", "100000"), Shape(int_between(99000, 100000), "PTTL", "k"), X("TTL", "k"),
        X("PEXPIRE", "k", "200000", "GT"), X("TTL", "k"), X("PEXPIRE", "k", "1", "XX", "GT"),
        X("EXPIREAT", "k", FAR_S), X("EXPIRETIME", "k"), X("PEXPIRETIME", "k"),
        X("PEXPIREAT", "k", FAR_MS), X("PEXPIRETIME", "k"), X("EXPIRETIME", "k"),
        X("EXPIREAT", "k", FAR_S, "GT"), X("EXPIREAT", "k", FAR_S, "LT"),
        X("EXPIREAT", "k", "4102444801", "GT"), X("EXPIRETIME", "k"),
        X("EXPIREAT", "missing", FAR_S),
        X("EXPIRE", "k", "0"), X("EXISTS", "k"), X("SET", "k", "v"), X("EXPIRE", "k", "-1"),
        X("GET", "k"), X("SET", "k", "v"), X("EXPIREAT", "k", "1"), X("EXISTS", "k"),
        X("SET", "k", "v"), X("PEXPIREAT", "k", "1"), X("EXISTS", "k"),
        X("SET", "k", "v"), X("PEXPIRE", "k", "0"), X("EXISTS", "k"), X("TTL", "k"),
        X("SET", "k", "v"), X("EXPIRE", "k", "-5", "NX"), X("EXISTS", "k"),
    ],
    "keys_glob": [
        X("MSET", "hello", "1", "hallo", "2", "hxllo", "3", "heeello", "4", "hllo", "5",
          "h?llo", "6", "a1", "7", "a2", "8", "b1", "9", "[x]", "10", "h*llo", "11"),
        Sorted("KEYS", "*"), Sorted("KEYS", "h?llo"), Sorted("KEYS", "h*llo"),
        Sorted("KEYS", "h[ae]llo"), Sorted("KEYS", "h[^e]llo"), Sorted("KEYS", "h[a-b]llo"),
        Sorted("KEYS", "h\\?llo"), Sorted("KEYS", "h\\*llo"), Sorted("KEYS", "\\[x\\]"),
        Sorted("KEYS", "a?"), Sorted("KEYS", "?1"), Sorted("KEYS", "[ab]1"),
        Sorted("KEYS", "nomatch"), Sorted("KEYS", "hello"), Sorted("KEYS", "H*"),
        Sorted("KEYS", "*l*o"), Sorted("KEYS", "[!a]*"),
        X("KEYS"), X("KEYS", "a", "b"),
    ],
    "scan": [
        X("SCAN", "0"), X("SCAN", "0", "COUNT", "5"),
        X("MSET", "a1", "1", "a2", "2", "a3", "3", "b1", "4", "b2", "5", "c", "6"),
        ScanAll(), ScanAll("MATCH", "a*"), ScanAll("COUNT", "2"), ScanAll("MATCH", "b?", "COUNT", "1"),
        ScanAll("TYPE", "string"), ScanAll("TYPE", "list"), ScanAll("MATCH", "zzz*"),
        ScanAll("count", "3", "match", "*1"),
        X("SCAN", "abc"), X("SCAN", "0", "COUNT", "0"), X("SCAN", "0", "COUNT", "-1"),
        X("SCAN", "0", "COUNT", "abc"), X("SCAN", "0", "FOO"), X("SCAN", "0", "MATCH"),
        X("SCAN", "0", "COUNT"), X("SCAN", "0", "TYPE"), X("SCAN"), X("SCAN", "1.5"),
    ],
    "rename": [
        X("RENAME", "missing", "x"), X("SET", "a", "1", "EX", "100"), X("RENAME", "a", "b"),
        X("TTL", "b"), X("GET", "a"), X("GET", "b"), X("RENAME", "b", "b"), X("GET", "b"),
        X("RENAMENX", "b", "c"), X("SET", "d", "2"), X("RENAMENX", "c", "d"), X("GET", "c"),
        X("RENAMENX", "missing", "x"), X("RENAMENX", "c", "c"), X("RENAME", "c", "d"),
        X("GET", "d"), X("TTL", "d"), X("EXISTS", "c"), X("SET", "e", "3"), X("EXPIRE", "d", "50"),
        X("RENAME", "e", "d"), X("TTL", "d"), X("RENAME", "a"), X("RENAMENX", "a"),
    ],
    "copy": [
        X("SET", "s", "v", "EX", "100"), X("COPY", "s", "d"), X("TTL", "d"), X("GET", "d"),
        X("COPY", "s", "d"), X("SET", "s", "w"), X("COPY", "s", "d", "REPLACE"), X("GET", "d"),
        X("TTL", "d"), X("COPY", "s", "s"), X("COPY", "missing", "d"), X("COPY", "missing", "n"),
        X("COPY", "s", "d", "DB", "1"), X("COPY", "s", "d", "DB", "1"),
        X("COPY", "s", "d", "db", "1", "replace"), X("COPY", "s", "s", "DB", "1"),
        X("SELECT", "1"), X("GET", "d"), X("GET", "s"), X("SELECT", "0"),
        X("COPY", "s", "d", "DB", "16"), X("COPY", "s", "d", "DB", "-1"),
        X("COPY", "s", "d", "DB", "abc"), X("COPY", "s", "d", "FOO"), X("COPY", "s", "d", "DB"),
        X("COPY", "s", "d", "REPLACE", "REPLACE"), X("COPY", "s"),
        X("SET", "n", "12345"), X("COPY", "n", "n2"), X("OBJECT", "ENCODING", "n2"),
        X("INCR", "n2"), X("GET", "n"),
    ],
    "object": [
        X("SET", "i", "123"), X("OBJECT", "ENCODING", "i"), X("SET", "i2", "10000"),
        X("OBJECT", "ENCODING", "i2"), X("SET", "neg", "-123"), X("OBJECT", "ENCODING", "neg"),
        X("SET", "max", "9223372036854775807"), X("OBJECT", "ENCODING", "max"),
        X("SET", "big", "12345678901234567890"), X("OBJECT", "ENCODING", "big"),
        X("SET", "lz", "0123"), X("OBJECT", "ENCODING", "lz"),
        X("SET", "sp", " 1"), X("OBJECT", "ENCODING", "sp"),
        X("SET", "mz", "-0"), X("OBJECT", "ENCODING", "mz"),
        X("SET", "z", "0"), X("OBJECT", "ENCODING", "z"),
        X("SET", "e", "hello"), X("OBJECT", "ENCODING", "e"),
        X("SET", "e44", LONG44), X("OBJECT", "ENCODING", "e44"),
        X("SET", "r45", LONG45), X("OBJECT", "ENCODING", "r45"),
        X("SET", "empty", ""), X("OBJECT", "ENCODING", "empty"),
        X("APPEND", "e", "x"), X("OBJECT", "ENCODING", "e"),
        X("APPEND", "ap", "x"), X("OBJECT", "ENCODING", "ap"),
        X("INCR", "i"), X("OBJECT", "ENCODING", "i"), X("INCR", "cnt"), X("OBJECT", "ENCODING", "cnt"),
        X("SETRANGE", "e44", "0", "z"), X("OBJECT", "ENCODING", "e44"),
        X("INCRBYFLOAT", "f", "1.5"), X("OBJECT", "ENCODING", "f"),
        X("MSET", "m1", "42", "m2", "abc"), X("OBJECT", "ENCODING", "m1"),
        X("OBJECT", "ENCODING", "m2"), X("SETEX", "se", "100", "7"), X("OBJECT", "ENCODING", "se"),
        X("GETSET", "gs", "8"), X("OBJECT", "ENCODING", "gs"),
        X("SETNX", "nx", "9"), X("OBJECT", "ENCODING", "nx"),
        X("OBJECT", "ENCODING", "missing"), X("OBJECT", "FREQ", "i"), X("OBJECT", "FREQ", "missing"),
        Shape(int_between(0, 2), "OBJECT", "IDLETIME", "i"), X("OBJECT", "IDLETIME", "missing"),
        X("OBJECT", "FOO", "i"), X("OBJECT"), X("OBJECT", "ENCODING"),
        X("OBJECT", "ENCODING", "a", "b"),
    ],
    "select_flush": [
        X("SET", "a", "0"), X("SELECT", "1"), X("GET", "a"), X("SET", "b", "1"), X("DBSIZE"),
        X("SELECT", "2"), X("SET", "c", "2"), X("SET", "c2", "2"), X("DBSIZE"),
        X("SELECT", "1"), X("FLUSHDB"), X("DBSIZE"), X("SELECT", "2"), X("DBSIZE"),
        X("SELECT", "0"), X("DBSIZE"), X("GET", "a"), X("FLUSHALL"), X("DBSIZE"),
        X("SELECT", "2"), X("DBSIZE"), X("SELECT", "0"),
        X("SET", "x", "1"), X("FLUSHDB", "ASYNC"), X("DBSIZE"), X("SET", "x", "1"),
        X("FLUSHDB", "SYNC"), X("FLUSHALL", "ASYNC"), X("FLUSHALL", "SYNC"), X("FLUSHALL", "sync"),
        X("FLUSHDB", "FOO"), X("FLUSHALL", "FOO"), X("FLUSHDB", "a", "b"),
        X("FLUSHALL", "SYNC", "ASYNC"),
    ],
    "client": [
        X("CLIENT", "GETNAME"), X("CLIENT", "SETNAME", "foo"), X("CLIENT", "GETNAME"),
        X("CLIENT", "SETNAME", "a b"), X("CLIENT", "SETNAME", "a\nb"), X("CLIENT", "GETNAME"),
        X("CLIENT", "SETNAME", ""), X("CLIENT", "GETNAME"), X("CLIENT", "SETNAME", "a", "b"),
        X("CLIENT", "SETNAME"), X("CLIENT", "GETNAME", "x"), X("CLIENT", "FOO"), X("CLIENT"),
        Shape(is_int, "CLIENT", "ID"), Shape(client_info_shape, "CLIENT", "INFO"),
        X("CLIENT", "KILL", "1.2.3.4:5"), X("CLIENT", "KILL", "ID", "999999"),
        X("CLIENT", "KILL", "ADDR", "1.2.3.4:5"), X("CLIENT", "KILL", "FOO", "bar"),
        X("CLIENT", "KILL", "ID", "abc"), X("CLIENT", "KILL"),
    ],
    "config": [
        X("CONFIG", "GET", "databases"), X("CONFIG", "GET", "timeout"),
        X("CONFIG", "GET", "tcp-keepalive"), X("CONFIG", "GET", "proto-max-bulk-len"),
        X("CONFIG", "GET", "client-query-buffer-limit"), X("CONFIG", "GET", "maxclients"),
        X("CONFIG", "GET", "requirepass"), X("CONFIG", "GET", "bind"),
        X("CONFIG", "GET", "DATABASES"), X("CONFIG", "GET", "nosuchconfig"),
        Pairs("CONFIG", "GET", "tcp-k*"), Pairs("CONFIG", "GET", "databa?es"),
        X("CONFIG", "GET"), X("CONFIG", "SET", "timeout", "abc"), X("CONFIG", "SET", "nosuch", "1"),
        X("CONFIG", "SET", "timeout", "0"), X("CONFIG", "SET", "timeout"),
        X("CONFIG", "SET", "proto-max-bulk-len", "100"), X("CONFIG", "SET", "databases", "4"),
        X("CONFIG", "SET", "maxclients", "10000"), X("CONFIG", "SET", "tcp-keepalive", "300"),
        X("CONFIG", "SET", "client-query-buffer-limit", "1gb"),
        X("CONFIG", "GET", "client-query-buffer-limit"),
        X("CONFIG", "SET", "proto-max-bulk-len", "512mb"), X("CONFIG", "GET", "proto-max-bulk-len"),
        X("CONFIG", "RESETSTAT"), X("CONFIG", "RESETSTAT", "x"), X("CONFIG", "FOO"), X("CONFIG"),
    ],
    "command": [
        Shape(is_int, "COMMAND", "COUNT"),
        Shape(command_info_shape, "COMMAND", "INFO", "get", "set", "del", "mset", "expire",
              "scan", "incrbyfloat", "getrange", "copy", "ping", "select"),
        Shape(command_info_shape, "COMMAND", "INFO", "GET", "nosuchcommand"),
        X("COMMAND", "INFO", "nosuchcommand"),
        Shape(command_docs_shape, "COMMAND", "DOCS", "get"),
        Shape(is_nonempty_array, "COMMAND", "LIST"), X("COMMAND", "FOO"),
    ],
    "misc_shapes": [
        Shape(time_shape, "TIME"), X("TIME", "x"), X("RANDOMKEY"), X("SET", "only", "1"),
        X("RANDOMKEY"), X("RANDOMKEY", "x"),
        Shape(bulk_contains(b"# Server", b"# Clients", b"# Keyspace", b"db0:keys=1,expires=0"),
              "INFO"),
        Shape(bulk_contains(b"# Keyspace\r\ndb0:keys=1,expires=0,"), "INFO", "keyspace"),
        Shape(bulk_contains(b"# Server\r\n"), "INFO", "server"),
    ],
    "inline_and_pipeline": [
        Raw(b"PING\r\n"), Raw(b"SET k \"a b\"\r\nGET k\r\n", 2), Raw(b"GET k\n"),
        Raw(b"ECHO 'single quoted'\r\n"), Raw(b"ECHO \"esc\\x41\\n\"\r\n"),
        Raw(b"\r\n\r\nPING\r\n"), Raw(b"   SET   k2    v2   \r\nGET k2\r\n", 2),
        Raw(b"*0\r\nPING\r\n"), Raw(b"*-1\r\nPING\r\n"),
        Raw(b"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nDBSIZE\r\n", 3),
        Raw(b"*3\r\n$3\r\nSET\r\n$3\r\na\x00b\r\n$4\r\n\r\n\x00\xff\r\n*2\r\n$3\r\nGET\r\n$3\r\na\x00b\r\n", 2),
        Raw(b"UNKNOWNCMD a b\r\n"),
    ],
    "protocol_error_bulk_length": [Raw(b"*1\r\n$-5\r\n"), Closed()],
    "protocol_error_multibulk_length": [Raw(b"*abc\r\n"), Closed()],
    "protocol_error_expected_dollar": [Raw(b"*1\r\nfoo\r\n"), Closed()],
    "protocol_error_unbalanced_quotes": [Raw(b"SET k \"abc\r\n"), Closed()],
    "protocol_error_after_good_command": [Raw(b"PING\r\n*1\r\n$x\r\n", 2), Closed()],
    "transactions": [
        X("MULTI"), X("SET", "t", "1"), X("INCR", "t"), X("GET", "t"), X("EXEC"),
        X("EXEC"), X("DISCARD"),
        X("MULTI"), X("MULTI"), X("WATCH", "t"), X("PING"), X("EXEC"),
        X("MULTI"), X("SET", "t"), X("FOO"), X("INCR", "t"), X("EXEC"), X("GET", "t"),
        X("MULTI"), X("SET", "t", "5"), X("DISCARD"), X("GET", "t"),
        X("MULTI"), X("SET", "s", "abc"), X("INCR", "s"), X("GET", "s"), X("EXEC"),
        X("WATCH", "t", "u"), X("UNWATCH"), X("WATCH"), X("MULTI"), X("EXEC"),
        X("MULTI"), X("UNWATCH"), X("SELECT", "1"), X("SET", "t", "db1"), X("EXEC"),
        X("GET", "t"), X("SELECT", "0"), X("GET", "t"),
        X("MULTI"), X("RESET"), X("EXEC"), X("RESET"), X("RESET", "x"),
    ],
}


# -- runner ----------------------------------------------------------------------------------------
def _norm_pairs(v):
    if isinstance(v, RespMap):
        return sorted(v)
    if isinstance(v, list):
        return sorted(zip(v[0::2], v[1::2]))
    return v


def _clip(raw, n=300):
    return raw if len(raw) <= n else raw[:n] + b"...(%d bytes)" % len(raw)


class DifferentialTestCase(unittest.TestCase):
    """A redis-server (reference) and the configured server, started once per class; groups of
    steps run against both and their replies are compared (run_group). Subclasses add their
    groups as test methods with add_groups()."""

    @classmethod
    def setUpClass(cls):
        cls.ref, cls.sut = start_reference_pair()

    @classmethod
    def tearDownClass(cls):
        cls.sut.stop()
        cls.ref.stop()

    @classmethod
    def add_groups(cls, groups):
        def make_test(steps):
            def test(self):
                self.run_group(steps)
            return test
        for name, steps in groups.items():
            setattr(cls, "test_" + name, make_test(steps))

    def _connect(self):
        ref = RespConnection(HOST, self.ref.port, timeout=3.0)
        sut = RespConnection(HOST, self.sut.port, timeout=3.0)
        self.addCleanup(ref.close)
        self.addCleanup(sut.close)
        return ref, sut

    def run_group(self, steps):
        self.assertTrue(self.sut.alive(), "server died; log tail:\n" + self.sut.log_tail())
        ref, sut = self._connect()
        for c in (ref, sut):
            c.cmd("FLUSHALL")
        problems = []
        for i, step in enumerate(steps):
            where = "step %d: %s" % (i, step.describe())
            try:
                if isinstance(step, Reconnect):
                    ref, sut = self._connect()
                elif isinstance(step, Closed):
                    r_closed = ref.is_closed_by_peer(2.0)
                    s_closed = sut.is_closed_by_peer(2.0)
                    if r_closed != s_closed:
                        problems.append("%s\n  redis closed=%s, %s closed=%s"
                                        % (where, r_closed, self.sut.kind, s_closed))
                elif isinstance(step, ScanAll):
                    rk, sk = _scan_keys(ref, step.opts), _scan_keys(sut, step.opts)
                    if rk != sk:
                        problems.append("%s\n  redis: %r\n  ours:  %r" % (where, sorted(rk), sorted(sk)))
                elif isinstance(step, Raw):
                    ref.send_raw(step.data)
                    sut.send_raw(step.data)
                    for _ in range(step.replies):
                        (rr, _), (sr, _) = ref.read_reply(), sut.read_reply()
                        if rr != sr:
                            problems.append("%s\n  redis: %r\n  ours:  %r" % (where, _clip(rr), _clip(sr)))
                else:
                    rr, rv = ref.call(*step.args)
                    sr, sv = sut.call(*step.args)
                    problem = self._compare(step, rr, rv, sr, sv)
                    if problem:
                        problems.append("%s\n  %s" % (where, problem))
            except (OSError, ConnectionError) as e:
                problems.append("%s\n  connection failure: %r (stopping this group)" % (where, e))
                break
        if problems:
            self.fail("%d mismatch(es) against redis-server %s:\n%s"
                      % (len(problems), "(reference)", "\n".join(problems)))

    def _compare(self, step, rr, rv, sr, sv):
        if isinstance(step, Shape):
            if rr[:1] != sr[:1]:
                return "reply type %r, redis sent %r\n  redis: %r\n  ours:  %r" % (
                    sr[:1], rr[:1], _clip(rr), _clip(sr))
            if isinstance(rv, RespError):
                return None if rr == sr else "redis: %r\n  ours:  %r" % (rr, sr)
            msg = step.check(rv, sv)
            return None if not msg else "%s\n  ours: %r" % (msg, _clip(sr))
        if isinstance(step, Sorted):
            ok = rr[:1] == sr[:1] and (sorted(rv) == sorted(sv) if isinstance(rv, list) else rr == sr)
        elif isinstance(step, Pairs):
            ok = rr[:1] == sr[:1] and _norm_pairs(rv) == _norm_pairs(sv)
        else:
            ok = rr == sr
        if ok:
            return None
        return "redis: %r\n  ours:  %r" % (_clip(rr), _clip(sr))


def _scan_keys(conn, opts, limit=10000):
    cursor = b"0"
    keys = set()
    for _ in range(limit):
        value = conn.cmd("SCAN", cursor, *opts)
        cursor, batch = value
        keys.update(batch)
        if cursor == b"0":
            return keys
    raise AssertionError("SCAN did not finish in %d calls" % limit)



class CompatTest(DifferentialTestCase):
    """Every group of GROUPS (strings, keys, connection, server, transactions)."""


CompatTest.add_groups(GROUPS)

if __name__ == "__main__":
    unittest.main()
