# The backing tier (docs/TIERING.md) end to end, against both backends (SQLite: a file under the
# server's dir; MySQL: a throwaway MariaDB from mariadb.py).
#
#   TierRoundTrip*     every type (binary strings, lists, hashes, sets, zsets with inf scores,
#                      TTLs) in two databases: checkpoint, SIGTERM or SIGKILL (with writes only in
#                      the WAL), restart: DBSIZE counts the backend-only keys before any read, every
#                      value/type/TTL comes back by read-through; checkpoints delete the WAL
#                      segments at or below checkpoint_lsn and a restart needs none of them
#   TierSqlView*       the rows as any SQL client sees them: raw string bytes, the collection codec,
#                      expire_ms; DEL / expiry / FLUSHDB remove rows, FLUSHDB only in its database
#   TierEviction*      maxmemory far below the data: every write OK, every key reads back, keys
#                      were evicted and read through, memory bounded, the backend holds everything
#   TierNothingEvictableTest  a write over maxmemory with nothing evictable gets an answer
#   TierReadThrough*   pipelines and MULTI/EXEC over evicted keys, writes to evicted keys, a miss
#                      of a never-written key costs no backend read
#   TierSecretTest     mysql-password is never shown (CONFIG GET, INFO, the log)
#
# test_tiering_faults.py has the crash, outage, wal-max-size and hung-backend tests.
#
# Environment: STRATA_TIERING_SCALE (default 1): multiplies the eviction tests' key counts;
#              STRATA_TIERING_VALUE_BYTES (default 16384): their value size.
#
# strata-only: a stock redis-server has no backend.
import os
import re
import shutil
import sqlite3
import struct
import tempfile
import threading
import time
import unittest

import mariadb
import harness
from harness import RespError, WalServer, encode_command, info, is_redis, poll_until

STRATA_ONLY = unittest.skipIf(is_redis(), "strata backing tier (backend sqlite/mysql)")


def env_float(name, default):
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return float(default)


SCALE = max(0.01, env_float("STRATA_TIERING_SCALE", 1.0))
VALUE_BYTES = max(16, int(env_float("STRATA_TIERING_VALUE_BYTES", 16384)))
APPENDDIR = "appendonlydir"
SEGMENT_RE = re.compile(r"^appendonly\.aof\.(\d{20})\.log$")
TYPE_CODES = {"string": 0, "list": 1, "hash": 2, "set": 3, "zset": 4, "stream": 5}
TTL_SLACK_MS = 100


# ------------------------------------------------------------------------------------------------
# INFO and waiting


def info_int(conn, field, section="backend"):
    return harness.info_int(conn, field, section)


def wait_checkpoint(tc, conn, timeout=20.0, what=""):
    """Waits until everything logged so far is in the backend: checkpoint_lsn >= the WAL's last
    LSN now, no dirty key, backend ok. Returns INFO backend at that point."""
    target = info_int(conn, "wal_last_lsn", "persistence")

    def done():
        b = info(conn, "backend")
        ok = (b["backend_state"] == "ok" and int(b["checkpoint_lsn"]) >= target
              and int(b["checkpoint_backlog_keys"]) == 0)
        return b if ok else None

    b = poll_until(done, timeout, 0.02)
    if not b:
        tc.fail("%sno checkpoint reached LSN %d within %.0fs: %r"
                % (what, target, timeout, info(conn, "backend")))
    return b


def wal_segments(data_dir):
    """{first lsn: name} of the WAL segments in dir/appendonlydir."""
    out = {}
    for name in os.listdir(os.path.join(data_dir, APPENDDIR)):
        m = SEGMENT_RE.match(name)
        if m:
            out[int(m.group(1))] = name
    return out


# ------------------------------------------------------------------------------------------------
# The collection codec (storage/codec.h), to check rows independently of the server


def decode_value(type_code, v):
    """A row's v as a plain value: bytes (string), list, dict (hash), set, dict member->score
    (zset). Raises ValueError on a malformed collection."""
    v = bytes(v)
    if type_code == 0:
        return v
    if not v or v[0] != 1:
        raise ValueError("bad codec version in %r" % v[:8])
    (n,) = struct.unpack_from("<I", v, 1)
    pos = 5

    def bstr():
        nonlocal pos
        (ln,) = struct.unpack_from("<I", v, pos)
        pos += 4
        if pos + ln > len(v):
            raise ValueError("string past the end")
        s = v[pos:pos + ln]
        pos += ln
        return s

    if type_code == 5:  # stream: last ID, max deleted ID, entries added, then the entries
        pos += 40
        entries = []
        for _ in range(n):
            ms, seq, pairs = struct.unpack_from("<QQI", v, pos)
            pos += 20
            entries.append((b"%d-%d" % (ms, seq), [bstr() for _ in range(2 * pairs)]))
        (groups,) = struct.unpack_from("<I", v, pos)  # the dataset's streams have none
        pos += 4
        if groups != 0 or pos != len(v):
            raise ValueError("%d groups, %d bytes after them" % (groups, len(v) - pos))
        return entries
    items = []
    for _ in range(n):
        if type_code in (1, 3):
            items.append(bstr())
        elif type_code == 2:
            items.append((bstr(), bstr()))
        elif type_code == 4:
            m = bstr()
            (score,) = struct.unpack_from("<d", v, pos)
            pos += 8
            items.append((m, score))
        else:
            raise ValueError("unknown type %d" % type_code)
    if pos != len(v):
        raise ValueError("%d bytes after the last item" % (len(v) - pos))
    if type_code == 1:
        return items
    if type_code == 3:
        return set(items)
    return dict(items)


def read_value(c, key):
    """(type name, value as decode_value gives it) of key through the server; ('none', None)."""
    t = str(c.cmd("TYPE", key))
    if t == "string":
        return t, c.cmd("GET", key)
    if t == "list":
        return t, c.cmd("LRANGE", key, 0, -1)
    if t == "hash":
        flat = c.cmd("HGETALL", key)
        return t, dict(zip(flat[0::2], flat[1::2]))
    if t == "set":
        return t, set(c.cmd("SMEMBERS", key))
    if t == "zset":
        flat = c.cmd("ZRANGE", key, 0, -1, "WITHSCORES")
        return t, {m: float(s) for m, s in zip(flat[0::2], flat[1::2])}
    if t == "stream":
        return t, [(e[0], e[1]) for e in c.cmd("XRANGE", key, "-", "+")]
    return t, None


# ------------------------------------------------------------------------------------------------
# Backends: the server arguments and an independent SQL view of the rows


class SqliteView:
    kind = "sqlite"

    def __init__(self, data_dir):
        self.path = os.path.join(data_dir, "strata.sqlite")

    def args(self):
        return ["--backend", "sqlite"]

    def _query(self, sql, params=()):
        # Read-only, a fresh connection each time (the server writes the file meanwhile; WAL
        # journal mode lets a reader see the last committed transaction).
        con = sqlite3.connect("file:%s?mode=ro" % self.path, uri=True, timeout=10)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def rows(self, db=None):
        """{(db, key): (type, v, expire_ms or None)} of every row (or one database's)."""
        sql = "SELECT db, k, type, v, expire_ms FROM strata_kv"
        params = ()
        if db is not None:
            sql += " WHERE db = ?"
            params = (db,)
        out = {}
        for d, k, t, v, e in self._query(sql, params):
            if not isinstance(k, bytes) or not isinstance(v, bytes):
                raise AssertionError("row (%r, %r): k/v not BLOBs (%r, %r)"
                                     % (d, k, type(k), type(v)))
            out[(d, k)] = (t, v, e)
        return out

    def row(self, db, key):
        key = key.encode() if isinstance(key, str) else key
        r = self._query("SELECT type, v, expire_ms FROM strata_kv WHERE db = ? AND k = ?",
                        (db, key))
        return tuple(r[0]) if r else None

    def count(self, db=None):
        if db is None:
            return self._query("SELECT COUNT(*) FROM strata_kv")[0][0]
        return self._query("SELECT COUNT(*) FROM strata_kv WHERE db = ?", (db,))[0][0]

    def values(self, db, keys):
        """{key: v} of the string rows among keys."""
        out = {}
        for i in range(0, len(keys), 500):
            chunk = [k.encode() if isinstance(k, str) else k for k in keys[i:i + 500]]
            for k, v in self._query("SELECT k, v FROM strata_kv WHERE db = ? AND k IN (%s)"
                                    % ",".join("?" * len(chunk)), (db, *chunk)):
                out[k] = v
        return out

    def checkpoint_lsn(self):
        r = self._query("SELECT value FROM strata_meta WHERE name = 'checkpoint_lsn'")
        return int(r[0][0]) if r else None


class MysqlView:
    kind = "mysql"

    def __init__(self, mdb, database):
        self.mdb = mdb
        self.database = database

    def args(self):
        return ["--backend", "mysql", "--mysql-socket", self.mdb.socket,
                "--mysql-user", self.mdb.user, "--mysql-password", self.mdb.password,
                "--mysql-database", self.database]

    def _rows(self, where=""):
        out = {}
        for d, hk, t, hv, e in self.mdb.query(
                "SELECT db, HEX(k), type, HEX(v), expire_ms FROM strata_kv" + where,
                self.database):
            out[(int(d), bytes.fromhex(hk))] = (int(t), bytes.fromhex(hv),
                                                None if e is None else int(e))
        return out

    def rows(self, db=None):
        return self._rows("" if db is None else " WHERE db = %d" % db)

    def row(self, db, key):
        r = self._rows(" WHERE db = %d AND k = %s" % (db, mariadb.MariaDB.literal(key)))
        return next(iter(r.values()), None)

    def count(self, db=None):
        where = "" if db is None else " WHERE db = %d" % db
        return int(self.mdb.scalar("SELECT COUNT(*) FROM strata_kv" + where, self.database))

    def values(self, db, keys):
        out = {}
        for i in range(0, len(keys), 200):
            chunk = keys[i:i + 200]
            for hk, hv in self.mdb.query_hex(
                    "SELECT HEX(k), HEX(v) FROM strata_kv WHERE db = %d AND k IN (%s)"
                    % (db, ",".join(mariadb.MariaDB.literal(k) for k in chunk)), self.database):
                out[hk] = hv
        return out

    def checkpoint_lsn(self):
        v = self.mdb.scalar("SELECT value FROM strata_meta WHERE name = 'checkpoint_lsn'",
                            self.database)
        return None if v is None else int(v)


# ------------------------------------------------------------------------------------------------
# Test bases


class TierTestBase(unittest.TestCase):
    """BACKEND = 'sqlite' | 'mysql' in the concrete classes. MySQL classes use mariadb.shared()
    unless they set OWN_MARIADB (then one MariaDB of their own for the class, which tests may
    stop, kill or pause). Every test gets its own data directory and its own MySQL database."""

    BACKEND = None
    OWN_MARIADB = False
    _serial = 0
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mdb = None
        if cls.BACKEND == "mysql":
            cls.mdb = mariadb.MariaDB().start() if cls.OWN_MARIADB else mariadb.shared()

    @classmethod
    def tearDownClass(cls):
        if cls.OWN_MARIADB and cls.mdb is not None:
            cls.mdb.destroy()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.data_dir = tempfile.mkdtemp(prefix="strata-it-tier-")
        self.addCleanup(shutil.rmtree, self.data_dir, True)
        self.servers = []
        if self.BACKEND == "mysql":
            if self.OWN_MARIADB and not self.mdb.alive():
                self.mdb.start()        # a failed test may have left it stopped
            TierTestBase._serial += 1
            name = re.sub(r"[^a-z0-9_]", "_", "t%d_%d_%s" % (
                os.getpid(), TierTestBase._serial, self._testMethodName.lower()))[:64]
            self.view = MysqlView(self.mdb, name)
            self.mdb.query("DROP DATABASE IF EXISTS %s" % name)
            self.addCleanup(self._drop_database, name)   # runs after the servers stopped
        else:
            self.view = SqliteView(self.data_dir)

    def _drop_database(self, name):
        try:
            if self.OWN_MARIADB:
                self.mdb.resume()
                if not self.mdb.alive():
                    return
            self.mdb.query("DROP DATABASE IF EXISTS %s" % name)
        except mariadb.MariaDBError:
            pass

    def start(self, extra_args=(), log_dir=None):
        srv = WalServer(self.data_dir, log_dir=log_dir,
                        extra_args=self.view.args() + list(extra_args))
        self.addCleanup(srv.stop)
        srv.start()
        self.servers.append(srv)
        return srv

    def conn(self, srv, timeout=20.0):
        c = srv.connect(timeout=timeout)
        self.addCleanup(c.close)
        return c

    def logs(self, lines=15):
        return "\n".join("--- %s ---\n%s" % (os.path.basename(s.log_path), s.log_tail(lines))
                         for s in self.servers)

    def wait_checkpoint(self, c, timeout=20.0):
        return wait_checkpoint(self, c, timeout, "[%s] " % self.BACKEND)

    def cold_server(self, n=50, extra_args=()):
        """A server whose keys cold:0..n-1 (strings), cl (list), ch (hash), cnt (counter) are in
        the backend only (written, checkpointed, restarted)."""
        srv = self.start(["--checkpoint-interval", "50"] + list(extra_args))
        c = self.conn(srv)
        c.pipeline([("SET", "cold:%d" % i, "cv%d" % i) for i in range(n)])
        c.cmd("RPUSH", "cl", "a", "b", "c")
        c.cmd("HSET", "ch", "f", "v", "g", "w")
        c.cmd("SET", "cnt", 41)
        c.cmd("SET", "app", "abc")
        self.wait_checkpoint(c)
        c.close()
        self.assertEqual(srv.sigterm(), 0)
        srv = self.start(["--checkpoint-interval", "50"] + list(extra_args))
        c = self.conn(srv)
        self.assertEqual(info_int(c, "backend_only_keys"), n + 4)
        return srv, c


# ------------------------------------------------------------------------------------------------
# 1. Round trip through the backend


def dataset():
    """{(db, key): (type, value, ttl_ms or None)}: every type, binary keys and values, inf
    scores, big and small encodings, TTLs, the same key names in two databases."""
    d = {}
    d[(0, b"s:plain")] = ("string", b"hello", None)
    d[(0, b"s:bin\x00key\xff")] = ("string", b"\x00\x01\xff\r\n\x00tail\x00", None)
    d[(0, b"s:empty")] = ("string", b"", None)
    d[(0, b"s:int")] = ("string", b"-1234567", None)
    d[(0, b"s:big")] = ("string", bytes(range(256)) * 300, None)
    d[(0, b"s:ttl")] = ("string", b"expiring", 300000)
    d[(0, b"l:small")] = ("list", [b"a", b"", b"\x00x\xff", b"a"], None)
    d[(0, b"l:big")] = ("list", [b"e%d" % i for i in range(700)] + [b"x" * 5000], None)
    d[(0, b"h:small")] = ("hash", {b"f1": b"v1", b"\x00f": b"\xffv", b"empty": b""}, 400000)
    d[(0, b"h:big")] = ("hash", {b"f%d" % i: b"v%d" % i for i in range(600)}, None)
    d[(0, b"st:small")] = ("set", {b"a", b"b", b"\x00", b""}, None)
    d[(0, b"st:ints")] = ("set", {b"1", b"2", b"-5", b"1000000"}, None)
    d[(0, b"st:big")] = ("set", {b"m%d" % i for i in range(700)}, None)
    d[(0, b"z:inf")] = ("zset", {b"lo": float("-inf"), b"mid": 1.5, b"hi": float("inf"),
                                 b"neg": -2.25, b"tiny": 1e-300, b"\x00m": 0.0}, None)
    d[(0, b"z:big")] = ("zset", {b"m%d" % i: i / 7.0 for i in range(400)}, 500000)
    d[(1, b"s:plain")] = ("string", b"db1 value", None)
    d[(1, b"l:small")] = ("list", [b"db1"], 600000)
    d[(1, b"z:only1")] = ("zset", {b"x": float("inf")}, None)
    d[(1, b"h:small")] = ("hash", {b"k": b"\x00"}, None)
    d[(0, b"x:small")] = ("stream", [(b"1-1", [b"f", b"\x00v"]), (b"2-0", [b"f", b"", b"g", b"h"])],
                          None)
    d[(0, b"x:big")] = ("stream", [(b"%d-0" % i, [b"f", b"v%d" % i]) for i in range(1, 400)],
                        700000)
    return d


def write_dataset(tc, c, data):
    """Writes data; returns {(db, key): monotonic time before its TTL was set}."""
    t_ttl = {}
    cur = None
    for (db, key), (t, val, ttl) in sorted(data.items()):
        if db != cur:
            tc.assertEqual(c.cmd("SELECT", db), "OK")
            cur = db
        c.cmd("DEL", key)
        if t == "string":
            tc.assertEqual(c.cmd("SET", key, val), "OK")
        elif t == "list":
            c.cmd("RPUSH", key, *val)
        elif t == "hash":
            c.cmd("HSET", key, *[x for kv in val.items() for x in kv])
        elif t == "set":
            c.cmd("SADD", key, *val)
        elif t == "stream":
            for entry_id, pairs in val:
                c.cmd("XADD", key, entry_id, *pairs)
        else:
            args = []
            for m, s in val.items():
                args += [repr(s) if s not in (float("inf"), float("-inf"))
                         else ("+inf" if s > 0 else "-inf"), m]
            c.cmd("ZADD", key, *args)
        if ttl is not None:
            t_ttl[(db, key)] = time.monotonic()
            tc.assertEqual(c.cmd("PEXPIRE", key, ttl), 1)
    c.cmd("SELECT", 0)
    return t_ttl


def check_dataset(tc, c, data, t_ttl, what=""):
    """Every key of data has its type, value and TTL; returns the problems (empty if none)."""
    problems = []
    cur = None
    for (db, key), (t, val, ttl) in sorted(data.items()):
        if db != cur:
            c.cmd("SELECT", db)
            cur = db
        got_t, got = read_value(c, key)
        if (got_t, got) != (t, val):
            problems.append("db %d %r: expected %s %.200r, got %s %.200r"
                            % (db, key, t, val, got_t, got))
            continue
        pttl = c.cmd("PTTL", key)
        if ttl is None:
            if pttl != -1:
                problems.append("db %d %r: PTTL %r, expected -1" % (db, key, pttl))
        else:
            elapsed = (time.monotonic() - t_ttl[(db, key)]) * 1000
            if not ttl - elapsed - TTL_SLACK_MS <= pttl <= ttl:
                problems.append("db %d %r: PTTL %r, expected within [%d, %d]"
                                % (db, key, pttl, ttl - elapsed - TTL_SLACK_MS, ttl))
    c.cmd("SELECT", 0)
    return problems


def dbsizes(c, dbs):
    out = {}
    for db in dbs:
        c.cmd("SELECT", db)
        out[db] = c.cmd("DBSIZE")
    c.cmd("SELECT", 0)
    return out


class RoundTripMixin:
    def round_trip(self, stop_how):
        data = dataset()
        srv = self.start(["--checkpoint-interval", "50", "--appendfsync", "always"])
        c = self.conn(srv)
        t_ttl = write_dataset(self, c, data)
        b = self.wait_checkpoint(c)
        self.assertGreaterEqual(int(b["checkpoint_rows"]), len(data))
        # After the checkpoint: changes only the WAL holds (no further checkpoint until the
        # stop): an overwrite, a deletion and a new key, all of checkpointed keys' rows.
        c.cmd("CONFIG", "SET", "checkpoint-interval", "3600000")
        c.cmd("SET", "s:plain", "overwritten after the checkpoint")
        data[(0, b"s:plain")] = ("string", b"overwritten after the checkpoint", None)
        self.assertEqual(c.cmd("DEL", "st:small"), 1)
        del data[(0, b"st:small")]
        c.cmd("RPUSH", "l:small", "\x00pushed")
        data[(0, b"l:small")][1].append(b"\x00pushed")
        c.cmd("SET", "s:walonly", "only in the log")
        data[(0, b"s:walonly")] = ("string", b"only in the log", None)
        c.cmd("SELECT", 1)
        c.cmd("ZADD", "z:only1", "-inf", "y")
        data[(1, b"z:only1")][1][b"y"] = float("-inf")
        c.cmd("SELECT", 0)
        wal_only_lsns = info_int(c, "checkpoint_backlog_lsns")
        self.assertGreater(wal_only_lsns, 0)
        c.close()

        if stop_how == "sigterm":
            self.assertEqual(srv.sigterm(), 0, self.logs())
            # The last checkpoint at shutdown wrote the WAL-only changes.
            self.assertIsNone(self.view.row(0, b"st:small"), "deleted key's row left behind")
            self.assertEqual(self.view.row(0, b"s:walonly")[:2], (0, b"only in the log"))
        else:
            srv.kill9()
            self.assertIsNotNone(self.view.row(0, b"st:small"))  # the WAL holds the DEL

        srv2 = self.start(["--checkpoint-interval", "50"])
        c = self.conn(srv2)
        before = info(c, "backend")
        self.assertEqual(int(before["readthrough_loads"]), 0)
        # DBSIZE counts the keys only the backend holds, before anything was read.
        expect_sizes = {db: sum(1 for (d, _) in data if d == db) for db in (0, 1)}
        self.assertEqual(dbsizes(c, (0, 1)), expect_sizes, self.logs())
        if stop_how == "sigterm":
            # Nothing to replay: every key is in the backend only.
            self.assertEqual(info_int(c, "wal_loaded_records", "persistence"), 0)
            self.assertEqual(int(before["backend_only_keys"]), len(data))
            # KEYS lists what only the backend holds (it reads the backend's keys first).
            self.assertEqual(sorted(c.cmd("KEYS", "*")), sorted(k for (d, k) in data if d == 0))
            self.assertEqual(info_int(c, "readthrough_loads"), 0)  # listing loads no value
        else:
            self.assertGreaterEqual(info_int(c, "wal_loaded_records", "persistence"),
                                    wal_only_lsns)
        self.assertEqual(c.cmd("EXISTS", "st:small"), 0, "a deleted key came back")
        problems = check_dataset(self, c, data, t_ttl)
        self.assertEqual(problems, [], "[%s %s] after restart\n%s"
                         % (self.BACKEND, stop_how, self.logs()))
        after = info(c, "backend")
        loads = int(after["readthrough_loads"])
        self.assertGreater(loads, 0)
        if stop_how == "sigterm":
            self.assertGreaterEqual(int(after["readthrough_found"]), len(data))
        self.assertEqual(int(after["backend_only_keys"]), 0)
        self.assertEqual(int(after["readthrough_errors"]), 0)
        # Loaded keys stay loaded: reading everything again costs no backend read.
        self.assertEqual(check_dataset(self, c, data, t_ttl), [])
        self.assertEqual(info_int(c, "readthrough_loads"), loads)
        self.assertEqual(dbsizes(c, (0, 1)), expect_sizes)

    def test_round_trip_sigterm(self):
        self.round_trip("sigterm")

    def test_round_trip_sigkill(self):
        self.round_trip("sigkill")

    def test_checkpoint_deletes_wal_segments(self):
        data = dataset()
        srv = self.start(["--checkpoint-interval", "50", "--wal-segment-size", "64kb"])
        c = self.conn(srv)
        t_ttl = write_dataset(self, c, data)
        first = wal_segments(self.data_dir)
        b = self.wait_checkpoint(c)
        ck = int(b["checkpoint_lsn"])
        self.assertGreater(ck, 0)
        # The segments' deletion follows the commit: poll briefly.
        poll_until(lambda: min(wal_segments(self.data_dir)) > ck, 5.0, 0.02)
        segs = wal_segments(self.data_dir)
        self.assertTrue(min(first) <= ck, "no segment started at or below the checkpoint")
        stale = sorted(n for lsn, n in segs.items() if lsn <= ck)
        self.assertEqual(stale, [], "segments at or below checkpoint_lsn %d remain (all: %r)"
                         % (ck, sorted(segs.values())))
        self.assertEqual(self.view.checkpoint_lsn(), ck)
        srv.kill9()
        srv2 = self.start()
        c = self.conn(srv2)
        # Nothing above the checkpoint was logged: the data comes from the backend alone.
        self.assertEqual(info_int(c, "wal_loaded_records", "persistence"), 0)
        self.assertEqual(info_int(c, "checkpoint_lsn"), ck)
        self.assertEqual(check_dataset(self, c, data, t_ttl), [], self.logs())
        self.assertGreater(info_int(c, "readthrough_loads"), 0)


@STRATA_ONLY
class TierRoundTripSqliteTest(RoundTripMixin, TierTestBase):
    BACKEND = "sqlite"


@STRATA_ONLY
class TierRoundTripMysqlTest(RoundTripMixin, TierTestBase):
    BACKEND = "mysql"


# ------------------------------------------------------------------------------------------------
# 2. The rows as SQL sees them


class SqlViewMixin:
    def test_rows_hold_raw_bytes_and_codec(self):
        srv = self.start(["--checkpoint-interval", "50"])
        c = self.conn(srv)
        data = dataset()
        t0_ms = time.time() * 1000
        write_dataset(self, c, data)
        self.wait_checkpoint(c)
        t1_ms = time.time() * 1000
        rows = self.view.rows()
        self.assertEqual(sorted(rows), sorted(data), "row keys differ from the keys written")
        bad = []
        for (db, key), (t, val, ttl) in sorted(data.items()):
            rt, rv, rexp = rows[(db, key)]
            if rt != TYPE_CODES[t]:
                bad.append("%r: type %r, expected %d" % (key, rt, TYPE_CODES[t]))
                continue
            try:
                got = decode_value(rt, rv)
            except (ValueError, struct.error) as e:
                bad.append("%r: undecodable v (%s): %.80r" % (key, e, rv))
                continue
            if got != val:
                bad.append("db %d %r: row holds %.200r, expected %.200r" % (db, key, got, val))
            if ttl is None and rexp is not None:
                bad.append("%r: expire_ms %r, expected NULL" % (key, rexp))
            if ttl is not None and not (rexp is not None and t0_ms + ttl - 1000 <= rexp
                                        <= t1_ms + ttl + 1000):
                bad.append("%r: expire_ms %r, expected about now + %d (%d)"
                           % (key, rexp, ttl, t0_ms + ttl))
        self.assertEqual(bad, [])
        # A string is exactly its bytes (no header): the documented SQL example.
        self.assertEqual(self.view.row(0, b"s:bin\x00key\xff")[:2],
                         (0, b"\x00\x01\xff\r\n\x00tail\x00"))
        if self.BACKEND == "mysql":
            # ... also with a plain `mariadb` query, as an operator would write it.
            self.assertEqual(self.mdb.query_hex(
                "SELECT HEX(v) FROM strata_kv WHERE db=0 AND k='s:plain'", self.view.database),
                [[b"hello"]])
            self.assertEqual(self.mdb.query_hex(
                "SELECT HEX(v) FROM strata_kv WHERE db=1 AND k='s:plain'", self.view.database),
                [[b"db1 value"]])
        self.assertEqual(self.view.checkpoint_lsn(), info_int(c, "checkpoint_lsn"))

    def test_deletes_remove_rows(self):
        srv = self.start(["--checkpoint-interval", "50"])
        c = self.conn(srv)
        for i in range(20):
            c.cmd("SET", "keep:%d" % i, "k%d" % i)
        c.cmd("SET", "del:a", "x")
        c.cmd("RPUSH", "del:list", "a", "b")
        c.cmd("SET", "exp:a", "x", "PX", 2000)
        c.cmd("HSET", "exp:h", "f", "v")
        c.cmd("PEXPIRE", "exp:h", 2000)
        c.cmd("SELECT", 1)
        for i in range(10):
            c.cmd("SET", "db1:%d" % i, i)
        c.cmd("SET", "keep:0", "db1's keep:0")
        c.cmd("SELECT", 0)
        self.wait_checkpoint(c)
        self.assertEqual(self.view.count(0), 24)
        self.assertEqual(self.view.count(1), 11)
        self.assertIsNotNone(self.view.row(0, "exp:a"))
        # DEL, and a key emptied by a pop, remove their rows.
        self.assertEqual(c.cmd("DEL", "del:a"), 1)
        c.cmd("LPOP", "del:list", 2)
        self.wait_checkpoint(c)
        self.assertIsNone(self.view.row(0, "del:a"))
        self.assertIsNone(self.view.row(0, "del:list"))
        # Expiry (nobody touches the keys: the server's active expiry) removes rows.
        ok = poll_until(lambda: self.view.row(0, "exp:a") is None
                        and self.view.row(0, "exp:h") is None, 10.0, 0.05)
        self.assertTrue(ok, "rows of expired keys still there 10 s later: %r %r, INFO %r"
                        % (self.view.row(0, "exp:a"), self.view.row(0, "exp:h"),
                           info(c, "backend")))
        # FLUSHDB in db 1 removes db 1's rows only.
        c.cmd("SELECT", 1)
        self.assertEqual(c.cmd("FLUSHDB"), "OK")
        c.cmd("SET", "db1:after", "after the flush")
        c.cmd("SELECT", 0)
        self.wait_checkpoint(c)
        self.assertEqual(sorted(k for (_, k) in self.view.rows(1)), [b"db1:after"])
        rows0 = self.view.rows(0)
        self.assertEqual(sorted(rows0), sorted((0, b"keep:%d" % i) for i in range(20)))
        self.assertEqual({k: v for (_, k), (_, v, _) in rows0.items()},
                         {b"keep:%d" % i: b"k%d" % i for i in range(20)})
        self.assertGreaterEqual(info_int(c, "checkpoint_deletes"), 4)
        # A restart agrees: the deleted keys stay deleted.
        c.close()
        self.assertEqual(srv.sigterm(), 0)
        c = self.conn(self.start())
        self.assertEqual(dbsizes(c, (0, 1)), {0: 20, 1: 1})
        for k in ("del:a", "del:list", "exp:a", "exp:h"):
            self.assertEqual(c.cmd("EXISTS", k), 0, k)
        c.cmd("SELECT", 1)
        self.assertEqual(c.cmd("GET", "keep:0"), None)
        self.assertEqual(c.cmd("GET", "db1:after"), b"after the flush")


@STRATA_ONLY
class TierSqlViewSqliteTest(SqlViewMixin, TierTestBase):
    BACKEND = "sqlite"


@STRATA_ONLY
class TierSqlViewMysqlTest(SqlViewMixin, TierTestBase):
    BACKEND = "mysql"


# ------------------------------------------------------------------------------------------------
# 3. Tiering: data far beyond maxmemory


def big_value(i, size):
    head = b"%08d\x00\xff" % i
    return (head + bytes([i % 251]) * 7) * (size // 17) + head[:size % 17]


class MemorySampler(threading.Thread):
    """Samples INFO memory used_memory every 20 ms on its own connection; .peak."""

    def __init__(self, srv):
        super().__init__(daemon=True)
        self.srv = srv
        self.peak = 0
        self.samples = 0
        self.stop_evt = threading.Event()

    def run(self):
        try:
            with self.srv.connect() as c:
                while not self.stop_evt.is_set():
                    self.peak = max(self.peak, info_int(c, "used_memory", "memory"))
                    self.samples += 1
                    time.sleep(0.02)
        except (OSError, ConnectionError, RespError):
            pass

    def stop(self):
        self.stop_evt.set()
        self.join(10.0)


class EvictionMixin:
    DATA_MEMORY = 8 << 20   # maxmemory = the bare server's used_memory + this
    N_KEYS = 5000           # x 16 KB = 80 MB, 10x maxmemory (times STRATA_TIERING_SCALE)
    PIPELINE = 32

    def test_data_far_beyond_maxmemory(self):
        n = max(100, int(self.N_KEYS * SCALE))
        vs = VALUE_BYTES
        srv = self.start(["--checkpoint-interval", "100", "--maxmemory-policy", "allkeys-lru"])
        c = self.conn(srv, timeout=60.0)
        # As an operator would: room for data above what the server itself needs (its tables,
        # the key index, the backend's connections and caches).
        self.MAXMEMORY = info_int(c, "used_memory", "memory") + self.DATA_MEMORY
        c.cmd("CONFIG", "SET", "maxmemory", str(self.MAXMEMORY))
        sampler = MemorySampler(srv)
        sampler.start()
        self.addCleanup(sampler.stop)
        t0 = time.monotonic()
        bad = []
        for b in range(0, n, self.PIPELINE):
            idx = range(b, min(n, b + self.PIPELINE))
            replies = c.pipeline([("SET", "big:%d" % i, big_value(i, vs)) for i in idx])
            bad += [(i, r) for i, (_, r) in zip(idx, replies) if r != "OK"]
        t_write = time.monotonic() - t0
        self.assertEqual(bad[:5], [], "%d SETs not answered OK" % len(bad))
        peak_write = sampler.peak
        used_after_write = info_int(c, "used_memory", "memory")
        evicted = info_int(c, "evicted_keys", "stats")
        self.assertGreater(evicted, 0, "nothing evicted with %d bytes of data and maxmemory %d"
                           % (n * vs, self.MAXMEMORY))
        self.assertGreater(info_int(c, "backend_only_keys"), 0)
        self.assertEqual(c.cmd("DBSIZE"), n)

        t0 = time.monotonic()
        loads0 = info_int(c, "readthrough_loads")
        wrong = []
        for b in range(0, n, self.PIPELINE):
            idx = list(range(b, min(n, b + self.PIPELINE)))
            replies = c.pipeline([("GET", "big:%d" % i) for i in idx])
            wrong += [i for i, (_, r) in zip(idx, replies) if r != big_value(i, vs)]
        t_read = time.monotonic() - t0
        self.assertEqual(wrong[:10], [], "%d of %d keys read back wrong" % (len(wrong), n))
        b = info(c, "backend")
        self.assertGreater(int(b["readthrough_loads"]), loads0)
        self.assertEqual(int(b["readthrough_errors"]), 0)
        self.assertEqual(c.cmd("DBSIZE"), n)
        used_end = info_int(c, "used_memory", "memory")
        sampler.stop()

        # The backend holds every key, readable by a plain SQL client.
        self.wait_checkpoint(c, timeout=60.0)
        self.assertEqual(self.view.count(0), n)
        sample = sorted({0, n - 1} | set(range(0, n, max(1, n // 25))))
        got = self.view.values(0, [b"big:%d" % i for i in sample])
        self.assertEqual(sorted(got), sorted(b"big:%d" % i for i in sample))
        self.assertEqual([i for i in sample if got[b"big:%d" % i] != big_value(i, vs)], [])
        if self.BACKEND == "mysql":
            self.assertEqual(self.mdb.query_hex(
                "SELECT HEX(v) FROM strata_kv WHERE db=0 AND k='big:7'", self.view.database),
                [[big_value(7, vs)]])

        print("\n[%s] %d keys x %d B = %.1f MB, maxmemory %.1f MB: write %.2fs, read %.2fs; "
              "evicted %d, read-through loads %d (%s keys), memory waits %s; used_memory peak "
              "%.1f MB (%.1fx) while writing, %.1f MB after writing, %.1f MB after reading "
              "(%d samples)"
              % (self.BACKEND, n, vs, n * vs / 1e6, self.MAXMEMORY / 1e6, t_write, t_read,
                 evicted, int(b["readthrough_loads"]) - loads0, b["readthrough_keys"],
                 b["memory_waits"],
                 peak_write / 1e6, peak_write / self.MAXMEMORY, used_after_write / 1e6,
                 used_end / 1e6, sampler.samples), flush=True)
        # Memory. While writing it may exceed maxmemory until a checkpoint commits (TIERING.md):
        # the peak is printed above, not asserted. Reading the data back must not leave it all
        # resident (every command evicts when over maxmemory), and a write over maxmemory
        # evicts clean keys and is answered promptly, bringing memory back near maxmemory.
        problems = []
        if used_end >= 3 * self.MAXMEMORY:
            problems.append("used_memory %.1f MB (%.1fx maxmemory) after reading every key back"
                            % (used_end / 1e6, used_end / self.MAXMEMORY))
        t0 = time.monotonic()
        with srv.connect(timeout=5.0) as c2:
            try:
                reply = c2.call("SET", "after:reads", "x")[1]
            except OSError as e:     # socket.timeout
                reply = "no reply (%r)" % e
        t_set = time.monotonic() - t0
        if reply != "OK" or t_set > 2.0:
            problems.append("a SET after the reads answered %r in %.2fs" % (reply, t_set))
        used_set = info_int(c, "used_memory", "memory")
        if used_set >= 3 * self.MAXMEMORY:
            problems.append("used_memory %.1f MB after that SET" % (used_set / 1e6))
        self.assertEqual(problems, [], "\n".join(problems))


@STRATA_ONLY
class TierEvictionSqliteTest(EvictionMixin, TierTestBase):
    BACKEND = "sqlite"
    N_KEYS = 2500


@STRATA_ONLY
class TierEvictionMysqlTest(EvictionMixin, TierTestBase):
    BACKEND = "mysql"


# ------------------------------------------------------------------------------------------------
# maxmemory with nothing to evict


@STRATA_ONLY
class TierNothingEvictableTest(TierTestBase):
    BACKEND = "sqlite"

    def test_write_with_nothing_evictable_answers(self):
        # Regression: with a backend, a write while used_memory is over maxmemory and no key
        # can be evicted (none at all here, nothing dirty) used to wait for a checkpoint that
        # could not help, forever. Without a backend the same write gets -OOM at once; so must
        # it with one when nothing is waiting to be checkpointed.
        srv = self.start(["--maxmemory", "1mb", "--maxmemory-policy", "allkeys-lru",
                          "--checkpoint-interval", "50"])
        c = self.conn(srv, timeout=3.0)
        self.assertGreater(info_int(c, "used_memory", "memory"), 1 << 20)  # the bare server
        time.sleep(0.3)   # a few server cron runs (the eviction policy, used_memory)
        t0 = time.monotonic()
        try:
            reply = c.call("SET", "k", "v")[1]
        except OSError as e:
            reply = "no reply within 3 s (%r); INFO backend memory_waits %s" % (
                e, info(self.conn(srv), "backend")["memory_waits"])
        ok = reply == "OK" or (isinstance(reply, RespError) and reply.message.startswith("OOM"))
        self.assertTrue(ok, "SET over maxmemory with nothing evictable: %r after %.1fs"
                        % (reply, time.monotonic() - t0))
        # Reads are not refused.
        self.assertEqual(self.conn(srv).cmd("PING"), "PONG")


# ------------------------------------------------------------------------------------------------
# 7. Read-through: ordering, transactions, misses


class ReadThroughMixin:
    def test_keys_lists_backend_only_keys(self):
        # After a restart every key is only in the backend: KEYS must still list them, once
        # each, and not a key deleted since (its row is still in the backend until the next
        # checkpoint).
        srv, c = self.cold_server(n=20)
        c.cmd("CONFIG", "SET", "checkpoint-interval", "3600000")  # the DEL below stays unwritten
        time.sleep(0.1)
        every = sorted([b"cold:%d" % i for i in range(20)] + [b"cl", b"ch", b"cnt", b"app"])
        self.assertEqual(sorted(c.cmd("KEYS", "*")), every)
        self.assertEqual(sorted(c.cmd("KEYS", "cold:1*")),
                         sorted(b"cold:%d" % i for i in [1] + list(range(10, 20))))
        self.assertEqual(c.cmd("GET", "cold:3"), b"cv3")   # now in memory too: listed once
        self.assertEqual(c.cmd("DEL", "cold:4"), 1)        # deleted: its old row must not show
        c.cmd("SET", "fresh", "x")                          # only in memory
        got = c.cmd("KEYS", "*")
        self.assertEqual(len(got), len(set(got)))
        self.assertEqual(sorted(got), sorted([k for k in every if k != b"cold:4"] + [b"fresh"]))
        self.assertEqual(c.cmd("DBSIZE"), len(got))
        # Another database with nothing in the backend answers from memory.
        c.cmd("SELECT", 3)
        self.assertEqual(c.cmd("KEYS", "*"), [])

    def test_scripts_read_backend_only_keys(self):
        # A script's declared keys are read through before it runs; a key it builds itself
        # parks it (it has written nothing: it runs again once the key is in memory); a key it
        # reads after writing is read at once, on the loop. Each sees the backend's value.
        srv, c = self.cold_server(n=10)
        loads = info_int(c, "readthrough_loads")
        self.assertEqual(c.cmd("EVAL", "return redis.call('GET', KEYS[1])", 1, "cold:1"), b"cv1")
        self.assertEqual(c.cmd("EVAL", "return redis.call('GET', 'cold:' .. ARGV[1])", 0, 2),
                         b"cv2")
        self.assertEqual(c.cmd("EVAL", "redis.call('SET', 'w', 'x'); "
                                       "return redis.call('GET', 'cold:' .. ARGV[1])", 0, 3), b"cv3")
        # (the third key is read on the spot, not by a read-through job)
        self.assertGreaterEqual(info_int(c, "readthrough_loads") - loads, 2)
        # A script that moves values between backend-only keys: both exist afterwards.
        self.assertEqual(c.cmd("EVAL", "local v = redis.call('GET', 'cold:4'); "
                                       "redis.call('SET', 'cold:5', v); return redis.call('GET', 'cold:5')",
                               0), b"cv4")
        self.assertEqual(c.cmd("GET", "cold:5"), b"cv4")
        self.assertEqual(c.cmd("GET", "w"), b"x")

    def test_stream_groups_survive_the_backend(self):
        # A stream with consumer groups goes to the backend whole (entries, groups, consumers,
        # pending entries) and comes back by read-through after a restart.
        srv = self.start(["--checkpoint-interval", "50"])
        c = self.conn(srv)
        for i in range(1, 31):
            c.cmd("XADD", "jobs", "%d-0" % i, "n", i)
        c.cmd("XGROUP", "CREATE", "jobs", "workers", "0")
        c.cmd("XREADGROUP", "GROUP", "workers", "w1", "COUNT", 10, "STREAMS", "jobs", ">")
        c.cmd("XREADGROUP", "GROUP", "workers", "w2", "COUNT", 5, "STREAMS", "jobs", ">")
        c.cmd("XACK", "jobs", "workers", "2-0", "3-0")
        c.cmd("XGROUP", "CREATECONSUMER", "jobs", "workers", "idle")
        before = (c.cmd("XPENDING", "jobs", "workers"), c.cmd("XINFO", "GROUPS", "jobs"),
                  [r[:2] + r[3:] for r in c.cmd("XPENDING", "jobs", "workers", "-", "+", 100)])
        self.wait_checkpoint(c)
        c.close()
        self.assertEqual(srv.sigterm(), 0)
        srv = self.start(["--checkpoint-interval", "50"])
        c = self.conn(srv)
        self.assertEqual(info_int(c, "backend_only_keys"), 1)
        after = (c.cmd("XPENDING", "jobs", "workers"), c.cmd("XINFO", "GROUPS", "jobs"),
                 [r[:2] + r[3:] for r in c.cmd("XPENDING", "jobs", "workers", "-", "+", 100)])
        self.assertEqual(after, before)
        self.assertEqual(c.cmd("XREADGROUP", "GROUP", "workers", "w3", "COUNT", 1, "STREAMS", "jobs", ">"),
                         [[b"jobs", [[b"16-0", [b"n", b"16"]]]]])

    def test_evicted_stream_reads_back_with_its_groups(self):
        # Eviction drops a checkpointed stream like any value; the next command reads it back
        # whole, groups and pending entries included.
        srv = self.start(["--checkpoint-interval", "50"])
        c = self.conn(srv)
        for i in range(1, 201):
            c.cmd("XADD", "ev", "%d-0" % i, "n", i)
        c.cmd("XGROUP", "CREATE", "ev", "g", "0")
        c.cmd("XREADGROUP", "GROUP", "g", "a", "COUNT", 50, "STREAMS", "ev", ">")
        before = (c.cmd("XLEN", "ev"), c.cmd("XINFO", "GROUPS", "ev"),
                  [r[:2] + r[3:] for r in c.cmd("XPENDING", "ev", "g", "-", "+", 100)])
        self.wait_checkpoint(c)
        self.assertEqual(c.cmd("DEBUG", "TIER-EVICT", "ev"), 1)
        loads = info_int(c, "readthrough_loads")
        after = (c.cmd("XLEN", "ev"), c.cmd("XINFO", "GROUPS", "ev"),
                 [r[:2] + r[3:] for r in c.cmd("XPENDING", "ev", "g", "-", "+", 100)])
        self.assertEqual(after, before)
        self.assertGreater(info_int(c, "readthrough_loads"), loads)

    def test_group_reads_reach_the_backend(self):
        # XREADGROUP changes its group although Redis's key spec calls its key read-only: the
        # key must be checkpointed again, or a restart (the log deleted up to the checkpoint)
        # and an eviction would both bring back the group as it was before the read.
        srv = self.start(["--checkpoint-interval", "50"])
        c = self.conn(srv)
        for i in range(1, 11):
            c.cmd("XADD", "q", "%d-0" % i, "n", i)
        c.cmd("XGROUP", "CREATE", "q", "g", "0")
        self.wait_checkpoint(c)
        c.cmd("XREADGROUP", "GROUP", "g", "a", "COUNT", 4, "STREAMS", "q", ">")
        c.cmd("SET", "bump", "x")  # a later write, so a checkpoint covers the read's record
        self.wait_checkpoint(c)
        self.assertEqual(c.cmd("DEBUG", "TIER-EVICT", "q"), 1)
        self.assertEqual(c.cmd("XPENDING", "q", "g")[0], 4)  # read back from the backend
        c.close()
        self.assertEqual(srv.sigterm(), 0)
        srv = self.start(["--checkpoint-interval", "50"])
        c = self.conn(srv)
        self.assertEqual(c.cmd("XPENDING", "q", "g")[0], 4)
        self.assertEqual(c.cmd("XREADGROUP", "GROUP", "g", "b", "COUNT", 1, "STREAMS", "q", ">"),
                         [[b"q", [[b"5-0", [b"n", b"5"]]]]])

    def test_blind_write_needs_no_read(self):
        # SET without NX/XX/GET/KEEPTTL replaces whatever the key held: no backend read. SET NX
        # depends on the old key: it must read it (and find it there).
        srv, c = self.cold_server(n=5)
        loads = info_int(c, "readthrough_loads")
        self.assertEqual(c.cmd("SET", "cold:1", "new"), "OK")
        self.assertEqual(c.cmd("MSET", "cold:2", "m2", "cold:3", "m3"), "OK")
        self.assertEqual(info_int(c, "readthrough_loads"), loads)
        self.assertEqual(c.cmd("GET", "cold:1"), b"new")
        self.assertEqual(c.cmd("DBSIZE"), 5 + 4)  # still counted once each
        self.assertIsNone(c.cmd("SET", "cold:4", "x", "NX"))  # exists in the backend
        self.assertEqual(info_int(c, "readthrough_loads"), loads + 1)
        self.assertEqual(c.cmd("GET", "cold:4"), b"cv4")

    def test_pipelined_misses_share_one_query(self):
        # A pipeline of GETs of keys only in the backend: the first parks the connection and
        # the keys of the GETs queued behind it go into the same lookup.
        srv, c = self.cold_server(n=30)
        loads, keys = info_int(c, "readthrough_loads"), info_int(c, "readthrough_keys")
        replies = c.pipeline([("GET", "cold:%d" % i) for i in range(30)])
        self.assertEqual([r for _, r in replies], [b"cv%d" % i for i in range(30)])
        self.assertLessEqual(info_int(c, "readthrough_loads") - loads, 2)
        self.assertGreaterEqual(info_int(c, "readthrough_keys") - keys, 30)

    def test_pipeline_order_and_values(self):
        srv, c = self.cold_server()
        other = self.conn(srv)
        c.pipeline([("SET", "hot:%d" % i, "hv%d" % i) for i in range(10)])
        c.cmd("SET", "other", "o")
        cmds, expect = [], []
        for i in range(40):
            r = i % 4
            if r == 0:
                cmds.append(("GET", "cold:%d" % i))
                expect.append(b"cv%d" % i)
            elif r == 1:
                cmds.append(("SET", "hot:%d" % (i % 10), "new%d" % i))
                expect.append("OK")
            elif r == 2:
                cmds.append(("GET", "hot:%d" % ((i - 1) % 10)))
                expect.append(b"new%d" % (i - 1))
            else:
                cmds.append(("GET", "cold:%d" % (i - 2)))   # loaded two commands ago
                expect.append(b"cv%d" % (i - 2))
        cmds += [("MGET", "cold:41", "hot:0", "nosuch", "cold:42"), ("LRANGE", "cl", 0, -1),
                 ("INCR", "cnt"), ("APPEND", "app", "def"), ("HGET", "ch", "g"), ("PING",),
                 ("EXISTS", "cold:43", "cold:44", "nosuch"), ("STRLEN", "cold:45")]
        expect += [[b"cv41", b"hv0", None, b"cv42"], [b"a", b"b", b"c"], 42, 6, b"w",
                   "PONG", 2, 4]
        # Send it all, check another connection is answered meanwhile, then read in order.
        c.send_raw(b"".join(encode_command(*cmd) for cmd in cmds))
        self.assertEqual(other.cmd("PING"), "PONG")
        self.assertEqual(other.cmd("GET", "other"), b"o")
        got = [c.read_reply()[1] for _ in cmds]
        self.assertEqual(got, expect)
        self.assertEqual(c.cmd("GET", "app"), b"abcdef")
        self.assertEqual(c.cmd("GET", "cnt"), b"42")
        self.assertGreater(info_int(c, "readthrough_loads"), 0)
        self.assertEqual(info_int(c, "readthrough_errors"), 0)

    def test_multi_exec_over_evicted_keys(self):
        srv, c = self.cold_server()
        self.assertEqual(c.cmd("MULTI"), "OK")
        for cmd in (("GET", "cold:1"), ("SET", "cold:2", "replaced"), ("GET", "cold:2"),
                    ("LRANGE", "cl", 0, -1), ("RPUSH", "cl", "d"), ("HGETALL", "ch"),
                    ("INCRBY", "cnt", 9), ("GET", "cold:3"), ("APPEND", "app", "!")):
            self.assertEqual(c.cmd(*cmd), "QUEUED")
        self.assertEqual(c.cmd("EXEC"), [b"cv1", "OK", b"replaced", [b"a", b"b", b"c"], 4,
                                         [b"f", b"v", b"g", b"w"], 50, b"cv3", 4])
        self.assertEqual(c.cmd("LRANGE", "cl", 0, -1), [b"a", b"b", b"c", b"d"])
        # WATCH on an evicted key: untouched, EXEC runs; touched by another client, aborted.
        self.assertEqual(c.cmd("WATCH", "cold:4"), "OK")
        c.cmd("MULTI")
        c.cmd("GET", "cold:4")
        self.assertEqual(c.cmd("EXEC"), [b"cv4"])
        c.cmd("WATCH", "cold:5")
        self.conn(srv).cmd("SET", "cold:5", "changed")
        c.cmd("MULTI")
        c.cmd("GET", "cold:5")
        self.assertIsNone(c.cmd("EXEC"))
        self.assertEqual(c.cmd("GET", "cold:5"), b"changed")

    def test_miss_of_unknown_key_needs_no_backend_read(self):
        srv, c = self.cold_server()
        b0 = info(c, "backend")
        for i in range(50):
            self.assertIsNone(c.cmd("GET", "never:%d" % i))
        self.assertEqual(c.cmd("EXISTS", "never:a", "never:b"), 0)
        self.assertEqual(c.cmd("LRANGE", "never:l", 0, -1), [])
        self.assertEqual(c.cmd("INCR", "never:ctr"), 1)       # a write to a new key too
        b1 = info(c, "backend")
        for f in ("readthrough_loads", "readthrough_keys"):
            self.assertEqual(b1[f], b0[f], f)
        # ... while a key the backend has costs one.
        self.assertEqual(c.cmd("GET", "cold:7"), b"cv7")
        self.assertEqual(info_int(c, "readthrough_loads"), int(b0["readthrough_loads"]) + 1)
        self.assertEqual(info_int(c, "readthrough_found"), int(b0["readthrough_found"]) + 1)
        # A deleted key is not brought back from its stale row.
        self.assertEqual(c.cmd("DEL", "cold:8"), 1)
        self.assertIsNone(c.cmd("GET", "cold:8"))
        self.assertEqual(c.cmd("EXISTS", "cold:8"), 0)


@STRATA_ONLY
class TierReadThroughSqliteTest(ReadThroughMixin, TierTestBase):
    BACKEND = "sqlite"


@STRATA_ONLY
class TierReadThroughMysqlTest(ReadThroughMixin, TierTestBase):
    BACKEND = "mysql"


# ------------------------------------------------------------------------------------------------
# 8. The MySQL password is never shown


@STRATA_ONLY
class TierSecretTest(TierTestBase):
    BACKEND = "mysql"

    def test_password_never_shown(self):
        pw = self.mdb.password
        self.assertTrue(pw)
        srv = self.start()
        c = self.conn(srv)
        self.assertEqual(info(c, "backend")["backend_state"], "ok")
        flat = c.cmd("CONFIG", "GET", "*")
        names = [x.decode() for x in flat[0::2]]
        self.assertIn("mysql-user", names)
        self.assertIn("mysql-socket", names)
        blob = b"\n".join(flat)
        self.assertNotIn(pw.encode(), blob)
        for pat in ("mysql-password", "mysql-*", "*password*"):
            got = c.cmd("CONFIG", "GET", pat)
            self.assertNotIn(pw.encode(), b"\n".join(got), pat)
        for section in ("everything", "all", "backend", "server"):
            self.assertNotIn(pw, c.cmd("INFO", section).decode("utf-8", "replace"), section)
        # CONFIG SET of a start-up-only directive is refused, and still shows nothing.
        r = c.call("CONFIG", "SET", "mysql-password", "other")[1]
        self.assertIsInstance(r, RespError)
        self.assertNotIn(pw, r.message)
        # The log does not print it either (the command line holds it; the log must not).
        self.assertNotIn(pw, srv.log_text())


if __name__ == "__main__":
    unittest.main()
