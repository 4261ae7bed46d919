# The backing tier under faults (docs/TIERING.md "When the database is down or slow"):
#
#   TierCrash*          4 writers (SET/INCR/RPUSH, appendfsync always) while checkpoints run,
#                       SIGKILL, restart: every acknowledged write is there (test_wal's checker),
#                       and after the first checkpoint the backend's rows equal the server's values
#   TierOutageTest      own MariaDB, stopped under a write load: writes still acknowledged, memory
#                       served, backend_state down, backlog grows, a read of a backend-only key
#                       fails fast with "ERR backend unavailable" and the connection goes on;
#                       MariaDB back: the backlog drains and MySQL holds every acknowledged value;
#                       wal-max-size: MISCONF while down, writes again once drained; a hung
#                       (SIGSTOPped) MariaDB parks only the connection that needs it
#
# Environment: STRATA_TIERING_CRASH_SECONDS (load before the SIGKILL, default 1.5).
#
# strata-only: a stock redis-server has no backend.
import os
import select
import threading
import time
import unittest

import harness
import test_tiering as tt
from harness import RespError, poll_until
from test_wal import History, Writer, check_recovered, kill9_and_join

CRASH_SECONDS = max(0.2, tt.env_float("STRATA_TIERING_CRASH_SECONDS", 1.5))
STRATA_ONLY = tt.STRATA_ONLY
info, info_int = tt.info, tt.info_int


# ------------------------------------------------------------------------------------------------
# 4. SIGKILL under load


def writer_keys(n_writers):
    keys = ["ctr:shared"]
    for t in range(n_writers):
        keys += ["w%d:k%d" % (t, i) for i in range(Writer.N_KEYS)]
        keys += ["w%d:c%d" % (t, i) for i in range(Writer.N_CTRS)]
        keys.append("w%d:list" % t)
    return keys


class CrashMixin:
    N_WRITERS = 4

    def test_sigkill_under_load_keeps_acknowledged_writes(self):
        args = ["--appendfsync", "always", "--checkpoint-interval", "100"]
        srv = self.start(args)
        writers = [Writer(i, History(), srv.port) for i in range(self.N_WRITERS)]
        for w in writers:
            w.start()
        self.assertTrue(poll_until(lambda: all(w.acked_now > 20 for w in writers), 10.0, 0.01),
                        "writers made no progress\n" + self.logs())
        with srv.connect() as ic:
            # The kill must land with checkpoints behind and ahead of it.
            self.assertTrue(poll_until(lambda: info_int(ic, "checkpoints") >= 2, 10.0, 0.02),
                            "no checkpoints under load: %r" % info(ic, "backend"))
            time.sleep(CRASH_SECONDS)
            b = info(ic, "backend")
        counts = [w.acked_now for w in writers]
        self.assertTrue(poll_until(lambda: all(w.acked_now > n for w, n in zip(writers, counts)),
                                   5.0, 0.002), "writers stalled before the kill")
        acked = kill9_and_join(self, srv, writers)

        srv2 = self.start(args)
        c = self.conn(srv2)
        self.assertEqual(info_int(c, "wal_load_errors", "persistence"), 0)
        problems, lost, _, shared = check_recovered(c, writers, None, 0)
        self.assertEqual(problems, [], "[%s, %d writes acknowledged] recovered state\n%s"
                         % (self.BACKEND, acked, self.logs()))
        self.assertEqual(lost, 0)
        # After the restart's first checkpoint the rows equal what the server serves.
        self.tt_wait(c)
        keys = writer_keys(self.N_WRITERS)
        rows = self.view.rows(0)
        bad = []
        existing = set()
        for k in keys:
            t, v = tt.read_value(c, k)
            row = rows.get((0, k.encode()))
            if t == "none":
                if row is not None:
                    bad.append("%s: absent from the server, row %r" % (k, row[:2]))
                continue
            existing.add(k.encode())
            if row is None:
                bad.append("%s: %s %.80r on the server, no row" % (k, t, v))
                continue
            if row[0] != tt.TYPE_CODES[t] or tt.decode_value(row[0], row[1]) != v:
                bad.append("%s: server %s %.80r, row type %d %.80r" % (k, t, v, row[0], row[1]))
        self.assertEqual(bad, [], self.logs())
        self.assertEqual(sorted(k for (_, k) in rows), sorted(existing), "extra rows")
        self.assertEqual(c.cmd("DBSIZE"), len(existing))
        print("\n[%s] %d writes acknowledged, %d checkpoints before the kill (backlog %s keys), "
              "shared counter %d, %d keys checked against the rows"
              % (self.BACKEND, acked, int(b["checkpoints"]), b["checkpoint_backlog_keys"],
                 shared, len(existing)), flush=True)

    def tt_wait(self, c):
        return self.wait_checkpoint(c, timeout=30.0)


@STRATA_ONLY
class TierCrashSqliteTest(CrashMixin, tt.TierTestBase):
    BACKEND = "sqlite"


@STRATA_ONLY
class TierCrashMysqlTest(CrashMixin, tt.TierTestBase):
    BACKEND = "mysql"


# ------------------------------------------------------------------------------------------------
# 5.-6. MariaDB down, hung


class SetWriter(threading.Thread):
    """One connection: SET o:<seq % 200> v<seq>, one at a time, until stopped; records the last
    acknowledged value per key and any error reply."""

    def __init__(self, port, prefix="o"):
        super().__init__(daemon=True)
        self.port = port
        self.prefix = prefix
        self.last = {}
        self.acked = 0
        self.errors = []
        self.stop_evt = threading.Event()

    def run(self):
        try:
            with harness.RespConnection(harness.HOST, self.port, timeout=20.0) as c:
                seq = 0
                while not self.stop_evt.is_set():
                    key, val = "%s:%d" % (self.prefix, seq % 200), "v%d" % seq
                    _, r = c.call("SET", key, val)
                    if r != "OK":
                        self.errors.append((key, r))
                        return
                    self.last[key] = val.encode()
                    self.acked += 1
                    seq += 1
        except Exception as e:  # noqa: BLE001 (reported by the test)
            self.errors.append(e)

    def stop(self):
        self.stop_evt.set()
        self.join(20.0)


@STRATA_ONLY
class TierOutageTest(tt.TierTestBase):
    BACKEND = "mysql"
    OWN_MARIADB = True

    def wait_state(self, c, state, timeout):
        ok = poll_until(lambda: info(c, "backend")["backend_state"] == state, timeout, 0.02)
        self.assertTrue(ok, "backend_state not %s after %.0fs: %r"
                        % (state, timeout, info(c, "backend")))

    def test_outage_keeps_serving_and_drains(self):
        srv, c = self.cold_server(extra_args=["--checkpoint-interval", "100"])
        w = SetWriter(srv.port)
        w.start()
        self.addCleanup(w.stop)
        self.assertTrue(poll_until(lambda: w.acked > 50, 10.0, 0.01), "writer made no progress")
        t_stop = time.monotonic()
        self.mdb.stop()
        self.wait_state(c, "down", 10.0)
        t_down = time.monotonic() - t_stop
        b_down = info(c, "backend")
        self.assertTrue(b_down["backend_last_error"], "no last error shown: %r" % b_down)
        acked_down = w.acked
        # Writes go on being acknowledged; the backlog grows.
        self.assertTrue(poll_until(lambda: w.acked > acked_down + 300, 10.0, 0.01),
                        "writes stalled while the backend is down (%d acked)" % w.acked)
        self.assertEqual(w.errors, [])
        self.assertTrue(poll_until(lambda: info_int(c, "checkpoint_backlog_lsns")
                                   > int(b_down["checkpoint_backlog_lsns"]) + 100, 5.0, 0.02))
        self.assertGreater(info_int(c, "checkpoint_backlog_keys"), 0)
        # Keys in memory are served.
        v = c.cmd("GET", "o:0")
        self.assertTrue(v is not None and v.startswith(b"v"), v)
        # A key only in the backend: an error reply, promptly, and the connection goes on.
        t0 = time.monotonic()
        r = c.call("GET", "cold:1")[1]
        t_err = time.monotonic() - t0
        self.assertIsInstance(r, RespError)
        self.assertTrue(r.message.startswith("ERR backend unavailable"), r.message)
        self.assertLess(t_err, 10.0)
        self.assertEqual(c.cmd("PING"), "PONG")
        got = [x[1] for x in c.pipeline([("GET", "cold:2"), ("PING",), ("SET", "mine", "m"),
                                         ("GET", "mine")])]
        self.assertIsInstance(got[0], RespError)
        self.assertTrue(got[0].message.startswith("ERR backend unavailable"), got[0])
        self.assertEqual(got[1:], ["PONG", "OK", b"m"])
        self.assertTrue(srv.alive())
        self.assertEqual(w.errors, [])

        # MariaDB back (same socket, same data): the backlog drains.
        t_outage = time.monotonic() - t_stop
        self.mdb.start()
        t_back = time.monotonic()
        self.wait_state(c, "ok", 20.0)
        self.assertTrue(poll_until(lambda: info_int(c, "checkpoint_backlog_lsns") < 1000, 20.0,
                                   0.02), "backlog not drained under load: %r"
                        % info(c, "backend"))
        t_drain = time.monotonic() - t_back
        w.stop()
        self.assertEqual(w.errors, [])
        b = self.wait_checkpoint(c, timeout=20.0)
        self.assertGreater(int(b["checkpoint_failures"]), 0)
        self.assertEqual(int(b["checkpoint_lsn"]),
                         info_int(c, "wal_last_lsn", "persistence"))
        rows = self.view.values(0, sorted(w.last))
        wrong = ["%s: mysql %r, last acknowledged %r" % (k, rows.get(k.encode()), v)
                 for k, v in sorted(w.last.items()) if rows.get(k.encode()) != v]
        self.assertEqual(wrong, [], self.logs())
        self.assertEqual(c.cmd("GET", "cold:1"), b"cv1")    # read-through works again
        self.assertEqual(self.view.row(0, "mine")[:2], (0, b"m"))
        print("\n[outage] down detected after %.2fs, outage %.1fs, %d writes acknowledged "
              "(%d while down), backlog drained %.2fs after MariaDB came back, read error "
              "in %.2fs" % (t_down, t_outage, w.acked, w.acked - acked_down, t_drain, t_err),
              flush=True)

    def test_wal_max_size_refuses_writes_until_drained(self):
        srv = self.start(["--checkpoint-interval", "100", "--wal-max-size", "1mb"])
        c = self.conn(srv)
        c.pipeline([("SET", "pre:%d" % i, "p%d" % i) for i in range(20)])
        self.wait_checkpoint(c)
        self.mdb.stop()
        self.wait_state(c, "down", 10.0)
        val = b"x" * 8000
        acked = []
        refusal = None
        deadline = time.monotonic() + 20.0
        i = 0
        while time.monotonic() < deadline:
            r = c.call("SET", "m:%d" % i, val)[1]
            if r != "OK":
                refusal = r
                break
            acked.append(i)
            i += 1
            if i % 64 == 0:
                time.sleep(0.01)   # the WAL size is sampled every 100 ms
        self.assertIsInstance(refusal, RespError, "no refusal after %d writes of 8 KB" % i)
        self.assertTrue(refusal.message.startswith("MISCONF"), refusal.message)
        self.assertGreater(len(acked), 100)           # the cap, not something else, refused
        wal = sum(os.path.getsize(os.path.join(self.data_dir, tt.APPENDDIR, n))
                  for n in tt.wal_segments(self.data_dir).values())
        self.assertGreater(wal, 1 << 20)
        # Reads (memory) and other writes' refusals; the connection stays usable.
        self.assertEqual(c.cmd("GET", "m:0"), val)
        self.assertEqual(c.cmd("GET", "pre:3"), b"p3")
        r = c.call("INCR", "pre:counter")[1]
        self.assertIsInstance(r, RespError)
        self.assertTrue(r.message.startswith("MISCONF"), r)
        self.assertEqual(c.cmd("PING"), "PONG")
        self.assertIsNone(c.cmd("GET", "m:%d" % (i + 5)))

        self.mdb.start()
        t0 = time.monotonic()
        ok = poll_until(lambda: c.call("SET", "after", "works")[1] == "OK", 20.0, 0.05)
        self.assertTrue(ok, "writes still refused 20 s after MariaDB came back: %r\n%r"
                        % (c.call("SET", "after", "works")[1], info(c, "backend")))
        t_ok = time.monotonic() - t0
        self.wait_checkpoint(c, timeout=20.0)
        self.assertEqual(self.view.count(0), 20 + len(acked) + 1)
        got = self.view.values(0, [b"m:%d" % k for k in (acked[0], acked[len(acked) // 2],
                                                         acked[-1])])
        self.assertEqual(set(got.values()), {val})
        self.assertEqual(len(got), 3)
        poll_until(lambda: sum(os.path.getsize(os.path.join(self.data_dir, tt.APPENDDIR, n))
                               for n in tt.wal_segments(self.data_dir).values()) < (1 << 20),
                   5.0, 0.05)
        wal_after = sum(os.path.getsize(os.path.join(self.data_dir, tt.APPENDDIR, n))
                        for n in tt.wal_segments(self.data_dir).values())
        self.assertLess(wal_after, 1 << 20, "the WAL did not shrink after the drain")
        print("\n[wal-max-size] %d writes of 8 KB acknowledged, then MISCONF (WAL %.1f MB); "
              "writes accepted %.2fs after MariaDB came back, WAL %.0f KB after the drain"
              % (len(acked), wal / 1e6, t_ok, wal_after / 1e3), flush=True)

    def test_hung_backend_parks_only_the_reader(self):
        srv, c = self.cold_server()
        c.cmd("SET", "hot", "h")
        other = self.conn(srv)
        self.mdb.pause()                      # SIGSTOP: sockets open, no answers
        self.addCleanup(self.mdb.resume)
        c.send_raw(tt.encode_command("GET", "cold:1") + tt.encode_command("GET", "hot")
                   + tt.encode_command("SET", "hot", "h2"))
        t0 = time.monotonic()
        # Everyone else goes on, including writes and reads of resident keys.
        self.assertEqual(other.cmd("PING"), "PONG")
        self.assertEqual(other.cmd("GET", "hot"), b"h")
        self.assertEqual(other.cmd("SET", "x", "1"), "OK")
        self.assertEqual(other.cmd("GET", "x"), b"1")
        t_other = time.monotonic() - t0
        # The reader waits for the backend (nothing answered yet: its replies stay in order).
        readable, _, _ = select.select([c.sock], [], [], 0.5)
        self.assertEqual(readable, [], "a reply came while the backend is stopped")
        self.assertEqual(info_int(other, "readthrough_in_flight"), 1)
        self.mdb.resume()
        self.assertEqual([c.read_reply()[1] for _ in range(3)], [b"cv1", b"h", "OK"])
        self.assertEqual(other.cmd("GET", "hot"), b"h2")
        self.assertLess(t_other, 1.0)


if __name__ == "__main__":
    unittest.main()


# ------------------------------------------------------------------------------------------------
# A checkpoint that cannot commit while memory is full


class CheckpointFailsAtMaxmemoryMixin:
    """The backend refuses checkpoints (SQLite: another connection holds the write lock; MySQL:
    the server is stopped) while memory is full and the policy evicts any key: keys written
    since the last commit are dirty, so nothing may count them clean (and evict them) before a
    checkpoint holding them commits. Every acknowledged write reads back during the outage and
    after it; writes wait for memory rather than push dirty keys out."""
    VALUE = b"v" * 4000

    def test_checkpoint_failing_at_maxmemory_loses_nothing(self):
        srv = self.start(["--checkpoint-interval", "50", "--maxmemory-policy", "allkeys-lru"])
        c = self.conn(srv, timeout=60.0)
        for b in range(0, 800, 50):  # clean data, evictable
            c.pipeline([("SET", "old:%d" % i, self.VALUE) for i in range(b, b + 50)])
        self.wait_checkpoint(c)
        self.block_backend()
        unblocked = [False]

        def unblock():
            if not unblocked[0]:
                unblocked[0] = True
                self.unblock_backend()
        self.addCleanup(unblock)
        # A: dirty keys a checkpoint then tries (and fails) to write.
        acked = {}
        for i in range(300):
            self.assertEqual(c.cmd("SET", "a:%d" % i, self.VALUE + b"%d" % i), "OK")
            acked["a:%d" % i] = self.VALUE + b"%d" % i
        self.assertTrue(poll_until(lambda: int(info(c, "backend")["checkpoint_failures"]) > 0,
                                   30.0, 0.05), "no checkpoint failed: %r" % info(c, "backend"))
        # B: memory full from here on; writes evict clean keys, then wait for a checkpoint.
        c.cmd("CONFIG", "SET", "maxmemory", str(info_int(c, "used_memory", "memory") + (256 << 10)))
        w = self.conn(srv, timeout=1.5)
        pending = None
        for i in range(2000):
            k, v = "b:%d" % i, self.VALUE + b"b%d" % i
            w.send("SET", k, v)
            try:
                raw, _ = w.read_reply()
            except OSError:  # socket.timeout: waiting for memory, as it should
                pending = (k, v)
                break
            self.assertEqual(raw, b"+OK\r\n", k)
            acked[k] = v
        self.assertIsNotNone(pending, "2000 writes of dirty keys fit in a full memory while "
                             "no checkpoint could commit: dirty keys were evicted")
        self.assertGreater(info_int(c, "evicted_keys", "stats"), 0)
        # Still blocked: every acknowledged write reads back (none was evicted unwritten).
        r = self.conn(srv, timeout=60.0)
        names = sorted(acked)
        got = []
        for b in range(0, len(names), 50):
            got += r.cmd("MGET", *names[b:b + 50])
        lost = [k for k, v in zip(names, got) if v != acked[k]]
        self.assertEqual(lost[:10], [], "%d acknowledged keys lost while the backend refused "
                         "checkpoints" % len(lost))
        # Back: the waiting write completes, every key is there, old ones read through.
        r.cmd("CONFIG", "SET", "maxmemory", "0")
        unblock()
        w.sock.settimeout(60.0)
        self.assertEqual(w.read_reply()[0], b"+OK\r\n")
        acked[pending[0]] = pending[1]
        self.wait_checkpoint(r, timeout=60.0)
        names = sorted(acked)
        got = []
        for b in range(0, len(names), 50):
            got += r.cmd("MGET", *names[b:b + 50])
        self.assertEqual([k for k, v in zip(names, got) if v != acked[k]][:10], [])
        self.assertEqual(r.cmd("MGET", "old:0", "old:799"), [self.VALUE] * 2)


@STRATA_ONLY
class CheckpointFailsAtMaxmemorySqliteTest(CheckpointFailsAtMaxmemoryMixin, tt.TierTestBase):
    BACKEND = "sqlite"

    def block_backend(self):
        import sqlite3
        self.lock_con = sqlite3.connect(self.view.path, timeout=10, isolation_level=None)
        self.lock_con.execute("BEGIN EXCLUSIVE")  # the server's checkpoints get SQLITE_BUSY

    def unblock_backend(self):
        self.lock_con.execute("ROLLBACK")
        self.lock_con.close()


@STRATA_ONLY
class CheckpointFailsAtMaxmemoryMysqlTest(CheckpointFailsAtMaxmemoryMixin, tt.TierTestBase):
    BACKEND = "mysql"
    OWN_MARIADB = True

    def block_backend(self):
        self.mdb.stop()

    def unblock_backend(self):
        self.mdb.start()
