# Write-ahead log under faults: torn tails after a crash, corruption in the middle of the log or
# in a non-last segment, a real full file system (tmpfs), injected write errors (DEBUG WAL-FAIL),
# reply ordering under appendfsync always, and appendfsync changed at runtime.
#
# Every test runs its own strata server(s) with --appendonly yes in a temporary directory that
# survives restarts (WalServer below), so a test can SIGKILL a server, damage its log files and
# start a new server on the same directory. strata-only: a stock redis-server has neither this
# file format nor DEBUG WAL-FAIL.
import atexit
import errno
import os
import random
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from harness import RespError, Server, ServerError, WalServer, poll_until, server_kind

FILE_HEADER = 16
RECORD_HEADER = 16
SEGMENT_MAGIC = b"STRWAL1L"
MISCONF_PREFIX = "MISCONF Errors writing to the AOF file: "


# ------------------------------------------------------------------------------------------------
# A server whose directory outlives it


# ------------------------------------------------------------------------------------------------
# Reading the log files (format: see the module docs of wal/record.h)


class Record:
    def __init__(self, offset, lsn, payload):
        self.offset = offset      # of the record header in the file
        self.lsn = lsn
        self.payload = payload

    @property
    def end(self):
        return self.offset + RECORD_HEADER + len(self.payload)

    def commands(self):
        return decode_payload(self.payload)


def decode_payload(payload):
    """-> [(db, time_ms, [arg bytes...]), ...]"""
    (count,) = struct.unpack_from("<I", payload, 0)
    p = 4
    out = []
    for _ in range(count):
        db, time_ms, argc = struct.unpack_from("<IqI", payload, p)
        p += 16
        argv = []
        for _ in range(argc):
            (n,) = struct.unpack_from("<I", payload, p)
            p += 4
            argv.append(bytes(payload[p:p + n]))
            p += n
        out.append((db, time_ms, argv))
    if p != len(payload):
        raise ValueError("payload has %d trailing bytes" % (len(payload) - p))
    return out


def read_segment(path):
    """Parses a segment written by the server (no checksum check). Returns (first_lsn, records,
    leftover byte count after the last complete record)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < FILE_HEADER or data[:8] != SEGMENT_MAGIC:
        raise AssertionError("%s: bad segment header %r" % (path, data[:16]))
    (first,) = struct.unpack_from("<Q", data, 8)
    off = FILE_HEADER
    records = []
    while off + RECORD_HEADER <= len(data):
        n, _crc, lsn = struct.unpack_from("<IIQ", data, off)
        if off + RECORD_HEADER + n > len(data):
            break
        records.append(Record(off, lsn, data[off + RECORD_HEADER:off + RECORD_HEADER + n]))
        off += RECORD_HEADER + n
    return first, records, len(data) - off


def flip_byte(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x5A]))


def parse_info(text):
    fields = {}
    for line in text.decode().splitlines():
        if ":" in line and not line.startswith("#"):
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return fields


def key(i):
    return "key:%05d" % i


def val(i, pad=40):
    return ("val:%05d:" % i) + "x" * pad


# tmpfs mounts and temporary roots still present; an interrupted run (KeyboardInterrupt skips
# unittest's cleanups) still stops the servers, unmounts and removes them at interpreter exit.
_MOUNTS = set()
_ROOTS = set()


def unmount(mnt):
    if subprocess.run(["umount", mnt], stderr=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["umount", "-l", mnt], stderr=subprocess.DEVNULL)
    _MOUNTS.discard(mnt)


def remove_root(root):
    shutil.rmtree(root, ignore_errors=True)
    _ROOTS.discard(root)


def _cleanup_at_exit():
    harness._stop_all_at_exit()  # servers first: a busy tmpfs does not unmount
    for mnt in list(_MOUNTS):
        unmount(mnt)
    for root in list(_ROOTS):
        remove_root(root)


atexit.register(_cleanup_at_exit)


STRATA_ONLY = unittest.skipIf(server_kind() == "redis",
                              "strata WAL internals (file format, DEBUG WAL-FAIL)")


@STRATA_ONLY
class WalFaultBase(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.root = tempfile.mkdtemp(prefix="strata-walf-")
        _ROOTS.add(self.root)
        self.addCleanup(remove_root, self.root)
        self.log_dir = os.path.join(self.root, "logs")
        os.mkdir(self.log_dir)
        self._servers = []

    # -- servers -----------------------------------------------------------------------------
    def new_data_dir(self, name="data"):
        d = os.path.join(self.root, name)
        os.mkdir(d)
        return d

    def launch(self, data_dir, args=()):
        srv = WalServer(data_dir, self.log_dir, args)
        self.addCleanup(srv.stop)
        srv.start()
        return srv

    def expect_start_failure(self, data_dir, args=()):
        """Starts a server that must refuse to start; returns (exit code, its whole log)."""
        srv = WalServer(data_dir, self.log_dir, args)
        self.addCleanup(srv.stop)
        try:
            srv.start()
        except ServerError:
            self.assertFalse(srv.alive())
            return srv.returncode, srv.log_text()
        log = srv.log_text()
        srv.stop()
        self.fail("server started although it should have refused to; args %r; log:\n%s"
                  % (args, log))

    def info(self, conn):
        return parse_info(conn.cmd("INFO", "persistence"))

    # -- files -------------------------------------------------------------------------------
    @staticmethod
    def wal_dir(data_dir):
        return os.path.join(data_dir, "appendonlydir")

    def segments(self, data_dir):
        d = self.wal_dir(data_dir)
        return sorted(os.path.join(d, n) for n in os.listdir(d)
                      if n.startswith("appendonly.aof.") and n.endswith(".log"))

    def write_keys(self, srv, n, start=1, pad=40, chunk=1000):
        """SET key(i) val(i) for i in start..start+n-1, pipelined `chunk` at a time."""
        with srv.connect() as c:
            for lo in range(start, start + n, chunk):
                hi = min(lo + chunk, start + n)
                replies = c.pipeline([("SET", key(i), val(i, pad)) for i in range(lo, hi)])
                self.assertEqual([r[0] for r in replies], [b"+OK\r\n"] * (hi - lo))

    def check_keys(self, srv, present, absent, pad=40):
        with srv.connect() as c:
            got = c.cmd("MGET", *[key(i) for i in present]) if present else []
            self.assertEqual(got, [val(i, pad).encode() for i in present])
            if absent:
                self.assertEqual(c.cmd("EXISTS", *[key(i) for i in absent]), 0,
                                 "keys past the damage were loaded")

    def crashed_log(self, n, args=(), pad=40, name="data", chunk=1000):
        """Starts a server, writes keys 1..n (appendfsync always), SIGKILLs it. Returns
        (data_dir, sorted segment paths)."""
        data = self.new_data_dir(name)
        srv = self.launch(data, ["--appendfsync", "always"] + list(args))
        self.write_keys(srv, n, pad=pad, chunk=chunk)
        srv.kill9()
        segs = self.segments(data)
        return data, segs

    def assert_records_are_keys(self, records, first_index):
        for j, r in enumerate(records):
            cmds = r.commands()
            self.assertEqual(len(cmds), 1)
            self.assertEqual(cmds[0][2][:2], [b"SET", key(first_index + j).encode()],
                             "record LSN %d" % r.lsn)


# ------------------------------------------------------------------------------------------------
# 1. Torn tails


class TornTailTest(WalFaultBase):
    N = 50

    def test_torn_last_record_is_cut_and_load_truncated_no_refuses(self):
        data, segs = self.crashed_log(self.N)
        self.assertEqual(len(segs), 1, segs)
        path = segs[0]
        first, recs, left = read_segment(path)
        self.assertEqual((first, left), (1, 0))
        self.assertEqual([r.lsn for r in recs], list(range(1, self.N + 1)))
        self.assert_records_are_keys(recs, 1)
        last = recs[-1]
        size = os.path.getsize(path)
        self.assertEqual(size, last.end)
        os.truncate(path, size - 3)  # cuts into the last record's payload

        # aof-load-truncated no: start-up fails and leaves the file as it was.
        rc, log = self.expect_start_failure(data, ["--aof-load-truncated", "no"])
        self.assertNotEqual(rc, 0, log)
        self.assertIn("torn record", log)
        self.assertIn("aof-load-truncated", log)
        self.assertIn(path, log)
        self.assertEqual(os.path.getsize(path), size - 3, "a refused start changed the log")

        # Default (yes): the torn record is cut at its start, everything before it loads.
        srv = self.launch(data, ["--appendfsync", "always"])
        log = srv.log_text()
        self.assertIn("torn record", log)
        self.assertIn("%s ends with a torn record at offset %d" % (path, last.offset), log)
        self.assertEqual(os.path.getsize(path), last.offset,
                         "not truncated to the last record boundary")
        _, recs2, left2 = read_segment(path)
        self.assertEqual((len(recs2), left2), (self.N - 1, 0))
        self.check_keys(srv, range(1, self.N), [self.N])
        with srv.connect() as c:
            self.assertEqual(self.info(c)["wal_last_lsn"], str(self.N - 1))
            # The log goes on after the cut: a new write lands and survives a restart.
            self.assertEqual(c.cmd("SET", "after", "cut"), "OK")
        srv.stop()
        srv = self.launch(data)
        self.check_keys(srv, range(1, self.N), [self.N])
        with srv.connect() as c:
            self.assertEqual(c.cmd("GET", "after"), b"cut")
            self.assertEqual(c.cmd("DBSIZE"), self.N)

    def test_garbage_after_last_record_is_cut(self):
        rng = random.Random(20240611)
        for name, junk in (("random", rng.randbytes(211)),
                           ("zeros", bytes(100)),
                           ("short-random", rng.randbytes(7))):
            with self.subTest(garbage=name):
                data, segs = self.crashed_log(self.N, name="data-" + name)
                self.assertEqual(len(segs), 1, segs)
                path = segs[0]
                size = os.path.getsize(path)
                with open(path, "ab") as f:
                    f.write(junk)
                srv = self.launch(data)
                self.assertIn("torn record", srv.log_text())
                self.assertEqual(os.path.getsize(path), size, "garbage not cut off")
                self.check_keys(srv, range(1, self.N + 1), [])
                with srv.connect() as c:
                    self.assertEqual(c.cmd("DBSIZE"), self.N)
                srv.stop()


# ------------------------------------------------------------------------------------------------
# 2. Damage that is not a torn tail


class CorruptionTest(WalFaultBase):
    def test_damage_in_the_middle_fails_then_wal_load_corrupt_loads_prefix(self):
        n, bad = 200, 50  # the 50th record (LSN 50) is damaged; 150 valid records follow it
        data, segs = self.crashed_log(n)
        self.assertEqual(len(segs), 1)
        path = segs[0]
        _, recs, _ = read_segment(path)
        self.assertEqual(len(recs), n)
        rec = recs[bad - 1]
        self.assertEqual(rec.lsn, bad)
        flip_byte(path, rec.offset + RECORD_HEADER + len(rec.payload) - 5)  # inside the value
        with open(path, "rb") as f:
            damaged = f.read()

        rc, log = self.expect_start_failure(data)
        self.assertEqual(rc, 1, log)
        self.assertIn("WAL damaged in %s at offset %d" % (path, rec.offset), log)
        self.assertIn("wal-load-corrupt", log)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), damaged, "a refused start changed the log")

        srv = self.launch(data, ["--wal-load-corrupt", "yes"])
        self.check_keys(srv, range(1, bad), range(bad, n + 1))
        with srv.connect() as c:
            self.assertEqual(c.cmd("DBSIZE"), bad - 1)
            self.assertEqual(c.cmd("SET", "after", "1"), "OK")
        self.assertTrue(os.path.exists(path + ".corrupt"), os.listdir(self.wal_dir(data)))
        with open(path + ".corrupt", "rb") as f:
            self.assertEqual(f.read(), damaged, "the .corrupt copy is not the damaged file")
        self.assertEqual(os.path.getsize(path), rec.offset, "not cut at the damage")
        srv.stop()

        # What is left is a clean log: a plain start (wal-load-corrupt no) loads it.
        srv = self.launch(data)
        self.check_keys(srv, range(1, bad), range(bad, n + 1))
        with srv.connect() as c:
            self.assertEqual(c.cmd("GET", "after"), b"1")
            self.assertEqual(c.cmd("DBSIZE"), bad)

    def test_damage_in_a_non_last_segment_fails(self):
        n, pad = 150, 100
        # Small pipelines: a segment is switched between write batches, so big batches would
        # overshoot 4096 bytes by a lot and give fewer segments.
        data, segs = self.crashed_log(n, ["--wal-segment-size", "4096"], pad=pad, chunk=5)
        self.assertGreaterEqual(len(segs), 3, segs)
        # The last record of the first segment: nothing valid follows it in that file, so only
        # "it is not the last segment" tells it from a torn tail.
        path = segs[0]
        first, recs, left = read_segment(path)
        self.assertEqual((first, left), (1, 0))
        self.assert_records_are_keys(recs, 1)
        rec = recs[-1]
        bad = rec.lsn
        flip_byte(path, rec.offset + RECORD_HEADER + len(rec.payload) - 5)
        args = ["--wal-segment-size", "4096"]

        rc, log = self.expect_start_failure(data, args)
        self.assertEqual(rc, 1, log)
        self.assertIn("WAL damaged in %s at offset %d" % (path, rec.offset), log)

        # Same for a non-last segment cut short (a torn tail that is not at the end of the log).
        second = segs[1]
        with open(second, "rb") as f:
            second_bytes = f.read()
        _, recs2, _ = read_segment(second)
        os.truncate(second, recs2[-1].end - 3)
        rc, log = self.expect_start_failure(data, args)
        self.assertEqual(rc, 1, log)
        # The first damage is what is reported.
        self.assertIn("WAL damaged in %s at offset %d" % (path, rec.offset), log)
        with open(second, "wb") as f:
            f.write(second_bytes)

        srv = self.launch(data, args + ["--wal-load-corrupt", "yes"])
        self.check_keys(srv, range(1, bad), range(bad, n + 1), pad=pad)
        names = set(os.listdir(self.wal_dir(data)))
        self.assertIn(os.path.basename(path) + ".corrupt", names)
        for later in segs[1:]:
            base = os.path.basename(later)
            self.assertIn(base + ".corrupt", names, "later segment not set aside")
            self.assertNotIn(base, names, "later segment still loadable")


# ------------------------------------------------------------------------------------------------
# 3./4. Write errors


def assert_no_reply(test, conn, seconds, what):
    """Fails if any byte arrives on conn within `seconds` (polled with a short socket timeout)."""
    old = conn.sock.gettimeout()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            conn.sock.settimeout(max(0.01, min(0.1, deadline - time.monotonic())))
            try:
                chunk = conn.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                test.fail("%s: connection closed" % what)
            conn.buf += chunk
            test.fail("%s: a reply arrived while the log was failing: %r" % (what, bytes(conn.buf)))
    finally:
        conn.sock.settimeout(old)


def read_reply_within(conn, seconds):
    old = conn.sock.gettimeout()
    conn.sock.settimeout(seconds)
    try:
        return conn.read_reply()
    finally:
        conn.sock.settimeout(old)


def call_within(conn, seconds, *args):
    """Sends one command; its reply must arrive within `seconds` (socket.timeout otherwise)."""
    conn.send(*args)
    return read_reply_within(conn, seconds)


class InjectedWriteErrorTest(WalFaultBase):
    def check_injected(self, errname, strerror):
        data = self.new_data_dir("data-" + errname)
        srv = self.launch(data, ["--appendfsync", "always"])
        misconf = ("-" + MISCONF_PREFIX + strerror + "\r\n").encode()
        a, b, c, d, e, f = (srv.connect(timeout=5.0) for _ in range(6))
        for conn in (a, b, c, d, e, f):
            self.addCleanup(conn.close)
        self.assertEqual(a.cmd("SET", "unrelated_key", "u"), "OK")  # durable (always)
        self.assertEqual(f.cmd("MULTI"), "OK")
        self.assertEqual(f.cmd("SET", "multi_key", "1"), "QUEUED")
        self.assertEqual(a.cmd("DEBUG", "WAL-FAIL", errname), "OK")

        b.send("SET", "k", "v")
        assert_no_reply(self, b, 0.5, "SET k v on B")
        self.assertTrue(poll_until(lambda: self.info(a)["aof_last_write_status"] == "err", 5.0),
                        "aof_last_write_status never became err: %r" % self.info(a))
        info = self.info(a)
        self.assertEqual(info["wal_last_write_error"], strerror)
        self.assertGreaterEqual(int(info["wal_write_errors"]), 1)

        self.assertEqual(call_within(c, 1.0, "SET", "other", "1")[0], misconf)

        # A read of a key whose write may never become durable does not wait for it without
        # bound: it gets the error at once (the value it would reveal is not on disk).
        self.assertEqual(call_within(d, 1.0, "GET", "k")[0], misconf)

        self.assertEqual(call_within(e, 1.0, "GET", "unrelated_key")[1], b"u")
        self.assertEqual(e.cmd("EXISTS", "unrelated_key"), 1)

        # A write transaction queued before the failure is refused at EXEC, and discarded
        # (Redis's execCommandAbort).
        self.assertEqual(call_within(f, 1.0, "EXEC")[0],
                         b"-EXECABORT Transaction discarded because of: " + misconf[1:],
                         "EXEC of a write transaction while the log fails")
        # One started while failing: the write is refused when queued (as Redis does), EXEC
        # then aborts. (Read-only transactions: test_read_only_transaction_does_not_wait.)
        self.assertEqual(f.cmd("MULTI"), "OK")
        self.assertEqual(call_within(f, 1.0, "SET", "multi_key2", "1")[0], misconf)
        self.assertEqual(call_within(f, 1.0, "EXEC")[0],
                         b"-EXECABORT Transaction discarded because of previous errors.\r\n")
        self.assertEqual(e.cmd("EXISTS", "other", "multi_key", "multi_key2"), 0)

        self.assertEqual(a.cmd("DEBUG", "WAL-FAIL", "OFF"), "OK")
        self.assertEqual(read_reply_within(b, 5.0)[0], b"+OK\r\n")
        self.assertEqual(d.cmd("GET", "k"), b"v")
        self.assertTrue(poll_until(lambda: self.info(a)["aof_last_write_status"] == "ok", 5.0))
        self.assertEqual(c.cmd("SET", "after", "1"), "OK")
        self.assertEqual(f.cmd("SET", "multi_key", "2"), "OK")
        info = self.info(a)
        self.assertEqual(info["wal_durable_lsn"], info["wal_last_lsn"])

        srv.stop()  # clean shutdown, then the same directory again
        srv = self.launch(data)
        with srv.connect() as g:
            self.assertEqual(g.cmd("MGET", "k", "unrelated_key", "other", "after", "multi_key",
                                   "multi_key2"),
                             [b"v", b"u", None, b"1", b"2", None])

    def test_injected_enospc(self):
        self.check_injected("ENOSPC", os.strerror(errno.ENOSPC))

    def test_injected_eio(self):
        self.check_injected("EIO", os.strerror(errno.EIO))

    def test_read_only_transaction_does_not_wait(self):
        # "Reads keep working" while the log fails, and only reads of keys whose last write is
        # not durable wait: a MULTI/GET/EXEC of a key written (durably) before the failure must
        # reply at once, like the plain GET does. 200 keys: whatever the per-process hash seed,
        # some share a shard with the pending write.
        srv = self.launch(self.new_data_dir(), ["--appendfsync", "always"])
        a, b, f, g = (srv.connect(timeout=5.0) for _ in range(4))
        for conn in (a, b, f, g):
            self.addCleanup(conn.close)
        n = 200
        replies = a.pipeline([("SET", "ro:%d" % i, i) for i in range(n)])
        self.assertEqual([r[0] for r in replies], [b"+OK\r\n"] * n)
        self.assertEqual(a.cmd("DEBUG", "WAL-FAIL", "ENOSPC"), "OK")
        b.send("SET", "k", "v")
        self.assertTrue(poll_until(lambda: self.info(a)["aof_last_write_status"] == "err", 5.0))
        for i in range(n):
            self.assertEqual(call_within(g, 1.0, "GET", "ro:%d" % i)[1], str(i).encode())
            self.assertEqual(f.cmd("MULTI"), "OK")
            self.assertEqual(f.cmd("GET", "ro:%d" % i), "QUEUED")
            f.send("EXEC")
            try:
                _, v = read_reply_within(f, 1.0)
            except socket.timeout:
                self.assertEqual(a.cmd("DEBUG", "WAL-FAIL", "OFF"), "OK")
                late = read_reply_within(f, 5.0)[1]
                self.fail("MULTI / GET ro:%d / EXEC did not reply within 1 s while the log was "
                          "failing (ro:%d was durable before the failure; a plain GET of it "
                          "replied at once; only 'SET k v' was pending). After DEBUG WAL-FAIL "
                          "OFF it replied %r." % (i, i, late))
            self.assertEqual(v, [str(i).encode()])
        self.assertEqual(a.cmd("DEBUG", "WAL-FAIL", "OFF"), "OK")
        self.assertEqual(read_reply_within(b, 5.0)[0], b"+OK\r\n")


class DiskFullTest(WalFaultBase):
    def mount_tmpfs(self, size="2m"):
        mnt = os.path.join(self.root, "mnt")
        os.mkdir(mnt)
        if os.geteuid() != 0 or shutil.which("mount") is None:
            self.skipTest("needs root and mount(8) to mount a small tmpfs")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mnt],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
        if r.returncode != 0:
            self.skipTest("cannot mount a tmpfs here (%s); the injected-error tests cover the "
                          "logic" % r.stdout.decode(errors="replace").strip())
        _MOUNTS.add(mnt)
        # Registered after the mount (and after the root's removal), so it runs once every
        # server started later is stopped and before the root is removed.
        self.addCleanup(unmount, mnt)
        return mnt

    def test_disk_full_refuses_writes_then_recovers(self):
        mnt = self.mount_tmpfs()
        srv = self.launch(mnt, ["--appendfsync", "always"])
        enospc = MISCONF_PREFIX + os.strerror(errno.ENOSPC)

        st = os.statvfs(mnt)
        free = st.f_bavail * st.f_frsize
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as fh:
            left = free - 160 * 1024
            chunk = b"\xa5" * (64 * 1024)
            while left > 0:
                fh.write(chunk[:min(left, len(chunk))])
                left -= len(chunk)

        acked = {}
        pending = None
        value = b"z" * 8000
        w = srv.connect(timeout=5.0)
        p = srv.connect(timeout=5.0)
        self.addCleanup(w.close)
        self.addCleanup(p.close)
        for i in range(200):
            k = "big:%03d" % i
            w.send("SET", k, value + k.encode())
            try:
                raw, v = read_reply_within(w, 1.0)
            except socket.timeout:
                pending = k  # applied, its reply waits for the log
                break
            if raw == b"+OK\r\n":
                acked[k] = value + k.encode()
                continue
            self.assertIsInstance(v, RespError, raw)
            self.assertTrue(v.message.startswith(enospc), v.message)
            break
        else:
            self.fail("200 x 8 KB writes never filled a 2 MB tmpfs")
        self.assertGreater(len(acked), 0, "the first write already failed; filler too big")

        self.assertTrue(poll_until(lambda: self.info(p)["aof_last_write_status"] == "err", 5.0))
        refused = []
        raw, v = p.call("SET", "refused:0", "x")
        self.assertIsInstance(v, RespError, raw)
        self.assertTrue(v.message.startswith(enospc), v.message)
        refused.append("refused:0")
        # Reads keep working.
        for k, v in acked.items():
            self.assertEqual(p.cmd("GET", k), v)
        self.assertEqual(p.cmd("EXISTS", *acked), len(acked))
        self.assertEqual(self.info(p)["aof_last_write_status"], "err")
        # Readers of the write that may never become durable (it waits for disk space) do not
        # wait with it: they get the error at once, as do DBSIZE and SCAN, which read every key.
        self.assertIsNotNone(pending, "the write that filled the disk should be waiting")
        for args in (("GET", pending), ("EXISTS", pending), ("TYPE", pending), ("DBSIZE",),
                     ("SCAN", "0"), ("KEYS", "*")):
            raw, v = call_within(p, 1.0, *args)
            self.assertIsInstance(v, RespError, (args, raw))
            self.assertTrue(v.message.startswith(enospc), (args, v.message))

        os.unlink(filler)
        t0 = time.monotonic()
        ok = False
        while time.monotonic() - t0 < 5.0:
            k = "refused:%d" % len(refused)
            raw, v = p.call("SET", k, "x")
            if raw == b"+OK\r\n":
                acked[k] = b"x"
                ok = True
                break
            self.assertTrue(isinstance(v, RespError) and v.message.startswith(enospc), raw)
            refused.append(k)
            time.sleep(0.05)
        self.assertTrue(ok, "writes still refused 5 s after space was freed")
        if pending is not None:
            self.assertEqual(read_reply_within(w, 5.0)[0], b"+OK\r\n")
            acked[pending] = value + pending.encode()
        self.assertTrue(poll_until(lambda: self.info(p)["aof_last_write_status"] == "ok", 5.0))
        self.assertEqual(w.cmd("SET", "final", "1"), "OK")
        acked["final"] = b"1"

        srv.stop()
        srv = self.launch(mnt)
        with srv.connect() as c:
            names = list(acked)
            self.assertEqual(c.cmd("MGET", *names), [acked[k] for k in names])
            if refused:
                self.assertEqual(c.cmd("EXISTS", *refused), 0, "a refused write was applied")
            self.assertEqual(c.cmd("DBSIZE"), len(acked))


# ------------------------------------------------------------------------------------------------
# 5./6. Ordering and policy


class PolicyTest(WalFaultBase):
    def test_pipelined_replies_wait_for_durability(self):
        srv = self.launch(self.new_data_dir(), ["--appendfsync", "always"])
        with srv.connect() as c, srv.connect() as probe:
            before = self.info(probe)
            n = 1000
            replies = c.pipeline([("SET", "p:%d" % i, "v%d" % i) for i in range(n)])
            self.assertEqual([r[0] for r in replies], [b"+OK\r\n"] * n)
            info = self.info(probe)
            self.assertEqual(int(info["wal_last_lsn"]), int(before["wal_last_lsn"]) + n)
            self.assertGreaterEqual(int(info["wal_durable_lsn"]), int(info["wal_last_lsn"]),
                                    "replies were sent before their records were durable")
            self.assertEqual(int(info["wal_records_written"]),
                             int(before["wal_records_written"]) + n)
            c.sock.settimeout(0.2)
            with self.assertRaises(socket.timeout):  # exactly n replies, nothing extra
                c.read_reply()
            c.sock.settimeout(5.0)
            self.assertEqual(c.cmd("GET", "p:999"), b"v999")

            # Big records make fdatasync take ~1-2 ms after write() returned: a reply sent
            # after the write but before the sync is then seen by an INFO from another
            # connection sent right after the reply (deterministically fine when correct).
            big = b"b" * (2 << 20)
            for i in range(8):
                self.assertEqual(c.cmd("SET", "big:%d" % i, big), "OK")
                info = self.info(probe)
                self.assertGreaterEqual(
                    int(info["wal_durable_lsn"]), int(info["wal_last_lsn"]),
                    "SET of a 2 MB value acknowledged before its record was durable")

    def test_appendfsync_config_set_at_runtime(self):
        srv = self.launch(self.new_data_dir())  # starts with the default, everysec
        with srv.connect() as c:
            def info():
                return self.info(c)

            def policy_is(policy):
                self.assertEqual(c.cmd("CONFIG", "GET", "appendfsync"),
                                 [b"appendfsync", policy.encode()])
                self.assertEqual(info()["wal_fsync_policy"], policy,
                                 "INFO does not follow CONFIG SET appendfsync")

            self.assertEqual(info()["wal_fsync_policy"], "everysec")
            for policy in ("always", "everysec", "no", "always"):
                with self.subTest(policy=policy):
                    self.assertEqual(c.cmd("CONFIG", "SET", "appendfsync", policy), "OK")
                    before = int(info()["wal_fsyncs"])
                    # What the policy does is checked first, the INFO label last.
                    if policy == "always":
                        for i in range(20):
                            self.assertEqual(c.cmd("SET", "%s:%d" % (policy, i), i), "OK")
                            now = info()
                            self.assertEqual(
                                now["wal_durable_lsn"], now["wal_last_lsn"],
                                "a SET was acknowledged before its record was durable after "
                                "CONFIG SET appendfsync always (policy in INFO: %s)"
                                % now["wal_fsync_policy"])
                        # each sequential write waited for its own fdatasync
                        self.assertGreaterEqual(int(info()["wal_fsyncs"]) - before, 20)
                    elif policy == "everysec":
                        for i in range(20):
                            self.assertEqual(c.cmd("SET", "%s:%d" % (policy, i), i), "OK")
                        self.assertTrue(poll_until(
                            lambda: (lambda i: i["wal_durable_lsn"] == i["wal_last_lsn"])(
                                info()), 3.0, 0.1),
                            "everysec never synced: %r" % info())
                        self.assertGreater(int(info()["wal_fsyncs"]), before)
                    else:
                        durable = info()["wal_durable_lsn"]
                        for i in range(20):
                            self.assertEqual(c.cmd("SET", "%s:%d" % (policy, i), i), "OK")
                        # Observation window longer than everysec's period: no fdatasync at all.
                        time.sleep(1.3)
                        now = info()
                        self.assertEqual(int(now["wal_fsyncs"]), before,
                                         "fdatasync called after CONFIG SET appendfsync no "
                                         "(policy in INFO: %s)" % now["wal_fsync_policy"])
                        self.assertEqual(now["wal_durable_lsn"], durable)
                        self.assertTrue(poll_until(
                            lambda: (lambda i: i["wal_written_lsn"] == i["wal_last_lsn"])(
                                info()), 3.0), "records not written under 'no'")
                    self.assertEqual(c.cmd("GET", "%s:19" % policy), b"19")
                    policy_is(policy)

            raw, v = c.call("CONFIG", "SET", "appendfsync", "sometimes")
            self.assertIsInstance(v, RespError, raw)
            self.assertEqual(c.cmd("CONFIG", "GET", "appendfsync")[1], b"always")


if __name__ == "__main__":
    unittest.main()


class BackPressureTest(WalFaultBase):
    def test_full_queue_pauses_connections_and_loses_nothing(self):
        # A writer slowed down by DEBUG WAL-DELAY lets the queue reach wal-queue-max: the
        # writing connection must stop being read (the queue stays bounded), not fail or drop.
        limit = 65536
        data = self.new_data_dir()
        srv = self.launch(data, ["--appendfsync", "everysec", "--wal-queue-max", str(limit),
                                 "--wal-batch-max", "10"])
        n, value = 3000, "v" * 100
        with srv.connect() as probe:
            self.assertEqual(probe.cmd("DEBUG", "WAL-DELAY", "100"), "OK")
            result = {}

            def load():
                with srv.connect() as c:
                    result["replies"] = c.pipeline(
                        [("SET", "bp:%d" % i, value) for i in range(n)])

            t = threading.Thread(target=load)
            t.start()
            try:
                deadline = time.time() + 10
                paused, max_pending = False, 0
                while time.time() < deadline:
                    info = self.info(probe)
                    max_pending = max(max_pending, int(info["wal_pending_bytes"]))
                    if int(info["wal_backpressure_pauses"]) > 0:
                        paused = True
                        break
                    time.sleep(0.02)
                self.assertTrue(paused, "the connection was never paused by a full WAL queue")
                # Still bounded while paused: at most one command past the limit.
                for _ in range(10):
                    info = self.info(probe)
                    max_pending = max(max_pending, int(info["wal_pending_bytes"]))
                    time.sleep(0.02)
                self.assertLessEqual(max_pending, limit + 1024)
                self.assertLess(int(info["wal_last_lsn"]), n, "the whole load was accepted")
            finally:
                self.assertEqual(probe.cmd("DEBUG", "WAL-DELAY", "0"), "OK")
                t.join(60)
            self.assertFalse(t.is_alive(), "the paused connection never resumed")
        self.assertEqual([r[0] for r in result["replies"]], [b"+OK\r\n"] * n)
        with srv.connect() as c:
            self.assertEqual(c.cmd("DBSIZE"), n)
        srv.stop()  # SIGTERM: the queued records are written and synced first
        srv2 = self.launch(data, ["--appendfsync", "everysec"])
        with srv2.connect() as c:
            self.assertEqual(c.cmd("DBSIZE"), n)
            self.assertEqual(c.cmd("GET", "bp:%d" % (n - 1)), value.encode())
