# Keyspace and server behaviour over time and across connections: lazy and active expiry, SCAN
# under concurrent writes, databases, AUTH, CLIENT, CONFIG, start-up directives, shutdown.
import os
import signal
import subprocess
import threading
import time
import unittest

from harness import (RespMap, ServerTestCase, info_int, poll_until, server_kind)

NOAUTH = b"-NOAUTH Authentication required.\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
HELLO_NOAUTH = (b"-NOAUTH HELLO must be called with the client already authenticated, otherwise "
                b"the HELLO AUTH <user> <pass> option can be used to authenticate the client and "
                b"select the RESP protocol version at the same time\r\n")
STRATA_ONLY = unittest.skipIf(server_kind() == "redis", "strata-only directive")


def parse_client_list(text):
    clients = []
    for line in text.decode().strip().split("\n"):
        if not line:
            continue
        fields = {}
        for item in line.split(" "):
            k, _, v = item.partition("=")
            fields[k] = v
        clients.append(fields)
    return clients


class ExpiryTest(ServerTestCase):
    def test_lazy_expiry_removes_key(self):
        c = self.conn
        c.cmd("SET", "k", "v", "PX", "50")
        c.cmd("SET", "keep", "v")
        self.assertEqual(c.cmd("GET", "k"), b"v")
        time.sleep(0.2)
        self.assertIsNone(c.cmd("GET", "k"))
        self.assertEqual(c.cmd("EXISTS", "k"), 0)
        self.assertEqual(c.cmd("TTL", "k"), -2)
        self.assertEqual(c.cmd("PTTL", "k"), -2)
        self.assertEqual(c.cmd("KEYS", "*"), [b"keep"])
        self.assertEqual(c.cmd("GET", "keep"), b"v")

    def test_expired_key_is_gone_for_every_command(self):
        c = self.conn
        for k in ("a", "b", "c", "d", "e", "f"):
            c.cmd("SET", k, "5", "PX", "30")
        time.sleep(0.15)
        self.assertEqual(c.cmd("INCR", "a"), 1)            # starts from 0, no TTL
        self.assertEqual(c.cmd("TTL", "a"), -1)
        self.assertEqual(c.cmd("APPEND", "b", "x"), 1)
        self.assertEqual(c.cmd("SETNX", "c", "new"), 1)
        self.assertEqual(c.call("RENAME", "d", "d2")[0], b"-ERR no such key\r\n")
        self.assertEqual(c.cmd("COPY", "e", "e2"), 0)
        self.assertEqual(c.cmd("STRLEN", "f"), 0)
        self.assertIsNone(c.cmd("OBJECT", "ENCODING", "f"))

    def test_ttl_counts_down(self):
        c = self.conn
        c.cmd("SET", "k", "v", "EX", "3")
        time.sleep(1.1)
        self.assertEqual(c.cmd("TTL", "k"), 2)
        self.assertLess(c.cmd("PTTL", "k"), 2000)
        self.assertGreater(c.cmd("PTTL", "k"), 1000)

    def test_active_expiry_reclaims_without_traffic(self):
        c = self.conn
        c.pipeline([("SET", "vol:%d" % i, "x", "PX", "100") for i in range(1000)])
        c.pipeline([("SET", "perm:%d" % i, "x") for i in range(10)])
        c.cmd("SELECT", "3")
        c.pipeline([("SET", "vol3:%d" % i, "x", "PX", "100") for i in range(200)])
        c.cmd("SELECT", "0")
        self.assertEqual(c.cmd("DBSIZE"), 1010)
        start = time.monotonic()
        # Nothing touches the keys; DBSIZE counts keys that are still stored.
        watcher = self.new_conn()
        n = poll_until(lambda: watcher.cmd("DBSIZE") == 10, timeout=5.0, interval=0.1)
        elapsed = time.monotonic() - start
        self.assertTrue(n, "active expiry left %d keys after %.1fs" % (watcher.cmd("DBSIZE"), elapsed))
        watcher.cmd("SELECT", "3")
        self.assertTrue(poll_until(lambda: watcher.cmd("DBSIZE") == 0, timeout=3.0, interval=0.1),
                        "db 3 still holds volatile keys")
        self.assertEqual(c.cmd("EXISTS", "perm:0", "perm:9"), 2)

    def test_persist_and_overwrite_cancel_expiry(self):
        c = self.conn
        c.cmd("SET", "p", "v", "PX", "100")
        c.cmd("PERSIST", "p")
        c.cmd("SET", "o", "v", "PX", "100")
        c.cmd("SET", "o", "w")
        c.cmd("SET", "g", "v", "PX", "100")
        c.cmd("GETEX", "g", "PERSIST")
        time.sleep(0.3)
        self.assertEqual(c.cmd("MGET", "p", "o", "g"), [b"v", b"w", b"v"])


class ScanTest(ServerTestCase):
    def test_scan_full_iteration_under_concurrent_writes(self):
        c = self.conn
        base = {b"base:%d" % i for i in range(5000)}
        c.pipeline([("SET", k, "1") for k in base])
        stop = threading.Event()
        writer_errors = []

        def writer():
            try:
                with self.server.connect() as w:
                    j = 0
                    while not stop.is_set():
                        cmds = [("SET", "new:%d" % (j + i), "1") for i in range(50)]
                        cmds.append(("DEL", "new:%d" % (j - 25)))
                        w.pipeline(cmds)
                        j += 50
            except Exception as e:  # noqa: BLE001
                writer_errors.append(repr(e))

        t = threading.Thread(target=writer)
        t.start()
        try:
            seen = []
            cursor = b"0"
            for _ in range(200000):
                cursor, batch = c.cmd("SCAN", cursor, "COUNT", "100")
                seen.extend(batch)
                time.sleep(0.0005)
                if cursor == b"0":
                    break
            else:
                self.fail("SCAN never returned cursor 0")
        finally:
            stop.set()
            t.join(30)
        self.assertEqual(writer_errors, [])
        missing = base - set(seen)
        self.assertFalse(missing, "%d base keys never returned, e.g. %r"
                         % (len(missing), sorted(missing)[:5]))
        strange = [k for k in seen if not (k.startswith(b"base:") or k.startswith(b"new:"))]
        self.assertEqual(strange, [])

    def test_scan_match_count_type(self):
        c = self.conn
        c.pipeline([("SET", "user:%d" % i, i) for i in range(300)]
                   + [("SET", "other:%d" % i, i) for i in range(300)])
        keys, cursor, calls = set(), b"0", 0
        while True:
            cursor, batch = c.cmd("SCAN", cursor, "MATCH", "user:*", "COUNT", "37", "TYPE", "string")
            calls += 1
            self.assertTrue(all(k.startswith(b"user:") for k in batch))
            keys.update(batch)
            if cursor == b"0":
                break
        self.assertEqual(keys, {b"user:%d" % i for i in range(300)})
        self.assertGreater(calls, 1, "COUNT 37 over 600 keys should take several calls")
        self.assertEqual(c.cmd("SCAN", "0", "TYPE", "hash", "COUNT", "1000")[1], [])

    def test_keys_glob(self):
        c = self.conn
        c.cmd("MSET", "hello", "1", "hallo", "1", "hxllo", "1", "hllo", "1", "heeello", "1", "x", "1")
        self.assertEqual(sorted(c.cmd("KEYS", "h?llo")), [b"hallo", b"hello", b"hxllo"])
        self.assertEqual(sorted(c.cmd("KEYS", "h*llo")),
                         [b"hallo", b"heeello", b"hello", b"hllo", b"hxllo"])
        self.assertEqual(sorted(c.cmd("KEYS", "h[ae]llo")), [b"hallo", b"hello"])
        self.assertEqual(sorted(c.cmd("KEYS", "h[^e]llo")), [b"hallo", b"hxllo"])
        self.assertEqual(sorted(c.cmd("KEYS", "h[a-b]llo")), [b"hallo"])
        self.assertEqual(len(c.cmd("KEYS", "*")), 6)
        c.pipeline([("SET", "bulk:%d" % i, i) for i in range(10000)])
        self.assertEqual(len(c.cmd("KEYS", "bulk:*")), 10000)
        self.assertEqual(sorted(c.cmd("KEYS", "bulk:999?")), [b"bulk:%d" % i for i in range(9990, 10000)])


class DatabaseTest(ServerTestCase):
    def test_select_isolation(self):
        a, b = self.conn, self.new_conn()
        a.cmd("SET", "k", "db0")
        b.cmd("SELECT", "5")
        self.assertIsNone(b.cmd("GET", "k"))
        b.cmd("SET", "k", "db5")
        self.assertEqual(a.cmd("GET", "k"), b"db0")
        self.assertEqual(b.cmd("GET", "k"), b"db5")
        self.assertEqual(b.cmd("DBSIZE"), 1)
        self.assertEqual(b.cmd("KEYS", "*"), [b"k"])
        b.cmd("DEL", "k")
        self.assertEqual(a.cmd("GET", "k"), b"db0")
        # The selected database belongs to the connection: a new one starts at 0.
        self.assertEqual(self.new_conn().cmd("GET", "k"), b"db0")

    def test_flushdb_and_flushall(self):
        a, b = self.conn, self.new_conn()
        a.cmd("MSET", "x", "1", "y", "2")
        b.cmd("SELECT", "2")
        b.cmd("MSET", "x", "1", "y", "2", "z", "3")
        self.assertEqual(b.cmd("FLUSHDB"), "OK")
        self.assertEqual(b.cmd("DBSIZE"), 0)
        self.assertEqual(a.cmd("DBSIZE"), 2)
        b.cmd("SET", "again", "1")
        self.assertEqual(a.cmd("FLUSHALL"), "OK")
        self.assertEqual(a.cmd("DBSIZE"), 0)
        self.assertEqual(b.cmd("DBSIZE"), 0)
        a.cmd("SET", "k", "v", "EX", "100")
        a.cmd("FLUSHALL", "ASYNC")
        self.assertEqual(a.cmd("TTL", "k"), -2)

    def test_move_between_databases_with_copy(self):
        a = self.conn
        a.cmd("SET", "src", "v", "EX", "100")
        self.assertEqual(a.cmd("COPY", "src", "dst", "DB", "7"), 1)
        a.cmd("SELECT", "7")
        self.assertEqual(a.cmd("GET", "dst"), b"v")
        self.assertEqual(a.cmd("TTL", "dst"), 100)

    def test_databases_directive(self):
        srv = self.start_server(["--databases", "4"])
        with srv.connect() as c:
            self.assertEqual(c.cmd("CONFIG", "GET", "databases"), [b"databases", b"4"])
            self.assertEqual(c.cmd("SELECT", "3"), "OK")
            self.assertEqual(c.call("SELECT", "4")[0], b"-ERR DB index is out of range\r\n")


class LazyFreeTest(ServerTestCase):
    """UNLINK, FLUSHALL/FLUSHDB ASYNC and the lazyfree-lazy-* settings: which deletions hand a
    big value to the freeing thread, seen in INFO's lazyfreed_objects (Redis 7.0 counts the
    same way, so these run against redis-server too where the defaults agree)."""

    def lazyfreed(self):
        return info_int(self.conn, "lazyfreed_objects", "memory")

    def settle(self, want):
        """Waits until lazyfreed_objects reaches want and nothing is pending; returns it."""
        got = poll_until(lambda: self.lazyfreed() >= want and
                         info_int(self.conn, "lazyfree_pending_objects", "memory") == 0, 10)
        self.assertTrue(got, "lazyfreed_objects stayed at %d, wanted %d" % (self.lazyfreed(), want))
        return self.lazyfreed()

    def big_set(self, key, n=1000):  # a hashtable set: more than 64 allocations to free
        for i in range(0, n, 500):
            self.conn.cmd("SADD", key, *["m%d" % j for j in range(i, min(n, i + 500))])

    def test_unlink_hands_only_big_values_to_the_thread(self):
        c = self.conn
        self.big_set("big")
        c.cmd("SADD", "small", "a", "b")
        before = self.lazyfreed()
        self.assertEqual(c.cmd("UNLINK", "big", "small", "missing"), 2)
        self.assertEqual(c.cmd("EXISTS", "big", "small"), 0)
        self.assertEqual(self.settle(before + 1), before + 1)  # the big one only
        # DEL frees where it runs, unless lazyfree-lazy-user-del says otherwise.
        self.big_set("big")
        self.assertEqual(c.cmd("DEL", "big"), 1)
        self.assertEqual(self.lazyfreed(), before + 1)
        self.assertEqual(c.cmd("CONFIG", "SET", "lazyfree-lazy-user-del", "yes"), "OK")
        self.big_set("big")
        self.assertEqual(c.cmd("DEL", "big"), 1)
        self.assertEqual(self.settle(before + 2), before + 2)
        c.cmd("CONFIG", "SET", "lazyfree-lazy-user-del", "no")

    def test_flush_async_frees_every_key_in_the_background(self):
        c = self.conn
        c.cmd("MSET", *[x for i in range(300) for x in ("k%d" % i, "v")])
        before = self.lazyfreed()
        self.assertEqual(c.cmd("FLUSHALL", "SYNC"), "OK")
        self.assertEqual(self.lazyfreed(), before)
        c.cmd("MSET", *[x for i in range(300) for x in ("k%d" % i, "v")])
        self.assertEqual(c.cmd("FLUSHDB", "ASYNC"), "OK")
        self.assertEqual(c.cmd("DBSIZE"), 0)
        self.assertEqual(self.settle(before + 300), before + 300)
        # Without ASYNC or SYNC: lazyfree-lazy-user-flush decides.
        c.cmd("MSET", *[x for i in range(200) for x in ("k%d" % i, "v")])
        self.assertEqual(c.cmd("FLUSHALL"), "OK")
        self.assertEqual(self.lazyfreed(), before + 300)
        self.assertEqual(c.cmd("CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"), "OK")
        c.cmd("MSET", *[x for i in range(200) for x in ("k%d" % i, "v")])
        self.assertEqual(c.cmd("FLUSHALL"), "OK")
        self.assertEqual(self.settle(before + 500), before + 500)
        self.assertEqual(c.call("FLUSHALL", "ASYNC", "SYNC")[0], b"-ERR syntax error\r\n")
        c.cmd("CONFIG", "SET", "lazyfree-lazy-user-flush", "no")

    def test_expiry_and_server_deletions_follow_their_settings(self):
        # Redis 7.0's defaults: both off, so these big values are freed where they go.
        c = self.conn
        self.assertEqual(c.cmd("CONFIG", "GET", "lazyfree-lazy-expire"),
                         [b"lazyfree-lazy-expire", b"no"])
        self.assertEqual(c.cmd("CONFIG", "GET", "lazyfree-lazy-server-del"),
                         [b"lazyfree-lazy-server-del", b"no"])
        before = self.lazyfreed()
        self.big_set("big")
        c.cmd("SET", "big", "now a string")  # overwrites the set: a server deletion
        self.assertEqual(self.lazyfreed(), before)
        for name in ("lazyfree-lazy-expire", "lazyfree-lazy-server-del"):
            self.assertEqual(c.cmd("CONFIG", "SET", name, "yes"), "OK")
        try:
            self.big_set("big2")
            c.cmd("SET", "big2", "x")
            self.assertEqual(self.settle(before + 1), before + 1)
            self.big_set("exp")
            c.cmd("PEXPIRE", "exp", "20")
            time.sleep(0.1)
            self.assertEqual(c.cmd("EXISTS", "exp"), 0)  # lazy expiry, on access
            self.assertEqual(self.settle(before + 2), before + 2)
        finally:
            for name in ("lazyfree-lazy-expire", "lazyfree-lazy-server-del"):
                c.cmd("CONFIG", "SET", name, "no")


class AuthTest(ServerTestCase):
    server_args = ["--requirepass", "secret"]

    def setUp(self):  # FLUSHALL needs AUTH here, so no base setUp.
        self.conn = self.new_conn()

    def test_noauth_until_auth(self):
        c = self.conn
        self.assertEqual(c.call("GET", "k")[0], NOAUTH)
        self.assertEqual(c.call("PING")[0], NOAUTH)
        self.assertEqual(c.call("SET", "k", "v")[0], NOAUTH)
        self.assertEqual(c.call("CLIENT", "SETNAME", "x")[0], NOAUTH)
        # A refused EXEC answers EXECABORT with the reason, in MULTI or not (execCommandAbort).
        self.assertEqual(c.call("EXEC")[0],
                         b"-EXECABORT Transaction discarded because of: " + NOAUTH[1:])
        self.assertEqual(c.call("AUTH", "wrong")[0], WRONGPASS)
        self.assertEqual(c.call("AUTH", "default", "wrong")[0], WRONGPASS)
        self.assertEqual(c.call("AUTH", "bob", "secret")[0], WRONGPASS)
        self.assertEqual(c.call("GET", "k")[0], NOAUTH)
        self.assertEqual(c.call("AUTH", "secret")[0], b"+OK\r\n")
        self.assertEqual(c.call("GET", "k")[0], b"$-1\r\n")
        self.assertEqual(c.call("CONFIG", "GET", "requirepass")[0],
                         b"*2\r\n$11\r\nrequirepass\r\n$6\r\nsecret\r\n")
        other = self.new_conn()
        self.assertEqual(other.call("AUTH", "default", "secret")[0], b"+OK\r\n")
        self.assertEqual(other.call("PING")[0], b"+PONG\r\n")

    def test_quit_allowed_before_auth(self):
        self.assertEqual(self.conn.call("QUIT")[0], b"+OK\r\n")
        self.assertTrue(self.conn.is_closed_by_peer())

    def test_hello_auth(self):
        c = self.conn
        self.assertEqual(c.call("HELLO", "3")[0], HELLO_NOAUTH)
        self.assertEqual(c.call("HELLO", "3", "AUTH", "default", "wrong")[0], WRONGPASS)
        raw, hello = c.call("HELLO", "3", "AUTH", "default", "secret")
        self.assertIsInstance(hello, RespMap, raw)
        self.assertEqual(c.call("GET", "missing")[0], b"_\r\n")

    def test_config_set_requirepass(self):
        c = self.conn
        c.cmd("AUTH", "secret")
        c.cmd("CONFIG", "SET", "requirepass", "newpass")
        try:
            self.assertEqual(c.call("PING")[0], b"+PONG\r\n")  # already authenticated
            fresh = self.new_conn()
            self.assertEqual(fresh.call("PING")[0], NOAUTH)
            self.assertEqual(fresh.call("AUTH", "secret")[0], WRONGPASS)
            self.assertEqual(fresh.call("AUTH", "newpass")[0], b"+OK\r\n")
            c.cmd("CONFIG", "SET", "requirepass", "")
            self.assertEqual(self.new_conn().call("PING")[0], b"+PONG\r\n")
        finally:
            c.cmd("CONFIG", "SET", "requirepass", "secret")
        self.assertEqual(self.new_conn().call("PING")[0], NOAUTH)

    def test_redis_cli_with_password(self):
        r = subprocess.run(["redis-cli", "-p", str(self.server.port), "-a", "secret",
                            "--no-auth-warning", "ping"], capture_output=True, timeout=30)
        self.assertEqual((r.returncode, r.stdout), (0, b"PONG\n"))
        r = subprocess.run(["redis-cli", "-p", str(self.server.port), "ping"],
                           capture_output=True, timeout=30)
        self.assertIn(b"NOAUTH", r.stdout + r.stderr)


class ClientCommandTest(ServerTestCase):
    def test_setname_getname_list(self):
        a, b = self.conn, self.new_conn()
        self.assertIsNone(a.cmd("CLIENT", "GETNAME"))
        a.cmd("CLIENT", "SETNAME", "alpha")
        b.cmd("CLIENT", "SETNAME", "beta")
        b.cmd("SELECT", "4")
        self.assertEqual(a.cmd("CLIENT", "GETNAME"), b"alpha")
        raw, listing = a.call("CLIENT", "LIST")
        self.assertEqual(raw[:1], b"$")
        clients = parse_client_list(listing)
        by_name = {cl.get("name"): cl for cl in clients}
        self.assertIn("alpha", by_name)
        self.assertIn("beta", by_name)
        for field in ("id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "cmd"):
            self.assertIn(field, by_name["alpha"], "CLIENT LIST line lacks %s=" % field)
        self.assertEqual(by_name["beta"]["db"], "4")
        self.assertEqual(by_name["alpha"]["cmd"], "client|list")
        self.assertEqual(by_name["alpha"]["id"], str(a.cmd("CLIENT", "ID")))
        self.assertEqual(by_name["alpha"]["addr"],
                         "%s:%d" % a.sock.getsockname()[:2])
        info = parse_client_list(a.cmd("CLIENT", "INFO"))
        self.assertEqual(len(info), 1)
        self.assertEqual(info[0]["name"], "alpha")
        only_b = parse_client_list(a.cmd("CLIENT", "LIST", "ID", by_name["beta"]["id"]))
        self.assertEqual([cl["name"] for cl in only_b], ["beta"])

    def test_client_ids_are_unique_and_increasing(self):
        ids = [self.new_conn().cmd("CLIENT", "ID") for _ in range(5)]
        self.assertEqual(ids, sorted(set(ids)))

    def test_kill_by_id(self):
        victim = self.new_conn()
        vid = victim.cmd("CLIENT", "ID")
        self.assertEqual(self.conn.cmd("CLIENT", "KILL", "ID", str(vid)), 1)
        self.assertTrue(victim.is_closed_by_peer())
        self.assertEqual(self.conn.cmd("CLIENT", "KILL", "ID", str(vid)), 0)
        self.assertEqual(self.conn.call("PING")[0], b"+PONG\r\n")

    def test_kill_by_addr_both_forms(self):
        v1, v2 = self.new_conn(), self.new_conn()
        v1.cmd("PING")
        v2.cmd("PING")
        addr1 = "%s:%d" % v1.sock.getsockname()[:2]
        addr2 = "%s:%d" % v2.sock.getsockname()[:2]
        self.assertEqual(self.conn.call("CLIENT", "KILL", addr1)[0], b"+OK\r\n")
        self.assertTrue(v1.is_closed_by_peer())
        self.assertEqual(self.conn.cmd("CLIENT", "KILL", "ADDR", addr2), 1)
        self.assertTrue(v2.is_closed_by_peer())
        self.assertEqual(self.conn.call("CLIENT", "KILL", addr1)[0], b"-ERR No such client\r\n")
        names = [cl.get("addr") for cl in parse_client_list(self.conn.cmd("CLIENT", "LIST"))]
        self.assertNotIn(addr1, names)
        self.assertNotIn(addr2, names)

    def test_kill_skips_self_by_default(self):
        me = "%s:%d" % self.conn.sock.getsockname()[:2]
        self.assertEqual(self.conn.cmd("CLIENT", "KILL", "ADDR", me), 0)
        self.assertEqual(self.conn.call("PING")[0], b"+PONG\r\n")


class ConfigTest(ServerTestCase):
    def test_config_get_glob(self):
        pairs = self.conn.cmd("CONFIG", "GET", "*")
        names = set(pairs[0::2])
        for name in (b"port", b"bind", b"databases", b"requirepass", b"maxclients", b"timeout",
                     b"tcp-keepalive", b"proto-max-bulk-len", b"client-query-buffer-limit"):
            self.assertIn(name, names)
        maxes = self.conn.cmd("CONFIG", "GET", "*max*")
        names = maxes[0::2]
        self.assertIn(b"maxclients", names)
        self.assertIn(b"proto-max-bulk-len", names)
        self.assertTrue(all(b"max" in n for n in names), names)
        self.assertEqual(self.conn.cmd("CONFIG", "GET", "port"),
                         [b"port", str(self.server.port).encode()])
        self.assertEqual(self.conn.cmd("CONFIG", "GET", "nosuch*"), [])

    def test_config_set_and_get(self):
        c = self.conn
        try:
            self.assertEqual(c.cmd("CONFIG", "SET", "timeout", "30"), "OK")
            self.assertEqual(c.cmd("CONFIG", "GET", "timeout"), [b"timeout", b"30"])
            self.assertEqual(c.cmd("CONFIG", "SET", "maxclients", "500"), "OK")
            self.assertEqual(c.cmd("CONFIG", "GET", "maxclients"), [b"maxclients", b"500"])
            self.assertEqual(c.cmd("CONFIG", "SET", "proto-max-bulk-len", "2mb"), "OK")
            self.assertEqual(c.cmd("CONFIG", "GET", "proto-max-bulk-len"),
                             [b"proto-max-bulk-len", b"2097152"])
            # Redis 7: several pairs at once.
            self.assertEqual(c.cmd("CONFIG", "SET", "timeout", "5", "tcp-keepalive", "100"), "OK")
            self.assertEqual(c.cmd("CONFIG", "GET", "timeout"), [b"timeout", b"5"])
            self.assertEqual(c.cmd("CONFIG", "GET", "tcp-keepalive"), [b"tcp-keepalive", b"100"])
            self.assertEqual(c.cmd("CONFIG", "RESETSTAT"), "OK")
        finally:
            c.cmd("CONFIG", "SET", "timeout", "0")
            c.cmd("CONFIG", "SET", "maxclients", "10000")
            c.cmd("CONFIG", "SET", "proto-max-bulk-len", "512mb")
            c.cmd("CONFIG", "SET", "tcp-keepalive", "300")

    def test_config_file_and_overrides(self):
        srv = self.start_server(["--tcp-keepalive", "77"],
                                config_text="# comment\ndatabases 6\ntcp-keepalive 60\n"
                                            "timeout 0\n")
        with srv.connect() as c:
            self.assertEqual(c.cmd("CONFIG", "GET", "databases"), [b"databases", b"6"])
            # Command-line directives come after the file and win.
            self.assertEqual(c.cmd("CONFIG", "GET", "tcp-keepalive"), [b"tcp-keepalive", b"77"])


class LimitsTest(ServerTestCase):
    def test_idle_timeout_closes_connection(self):
        srv = self.start_server(["--timeout", "1"])
        idle = srv.connect()
        self.addCleanup(idle.close)
        idle.cmd("PING")
        start = time.monotonic()
        self.assertTrue(idle.is_closed_by_peer(6.0), "idle client not closed after timeout 1")
        self.assertGreaterEqual(time.monotonic() - start, 0.5)

    def test_maxclients(self):
        srv = self.start_server(["--maxclients", "3"])
        # The harness's readiness probe may still be counted on another worker thread for a
        # moment after it hung up: wait until this connection is the only one listed.
        first = srv.connect()
        deadline = time.monotonic() + 5
        while first.cmd("CLIENT", "LIST").count(b"\n") != 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        conns = [first] + [srv.connect() for _ in range(2)]
        for c in conns:
            self.addCleanup(c.close)
            self.assertEqual(c.call("PING")[0], b"+PONG\r\n")
        extra = srv.connect()
        self.addCleanup(extra.close)
        self.assertTrue(extra.is_closed_by_peer(3.0))
        self.assertEqual(bytes(extra.buf), b"-ERR max number of clients reached\r\n")
        conns[0].close()
        ok = poll_until(lambda: _ping_ok(srv), timeout=3.0)
        self.assertTrue(ok, "a slot should free up after a client disconnects")

    @STRATA_ONLY
    def test_shards_and_threads_directives(self):
        srv = self.start_server(["--shards", "4", "--threads", "2"])
        with srv.connect() as c:
            self.assertEqual(c.cmd("CONFIG", "GET", "shards"), [b"shards", b"4"])
            c.pipeline([("SET", "k%d" % i, i) for i in range(2000)])
            self.assertEqual(c.cmd("DBSIZE"), 2000)
            self.assertEqual(len(c.cmd("KEYS", "*")), 2000)
            self.assertEqual(c.cmd("MGET", "k0", "k1999", "nope"), [b"0", b"1999", None])
            keys, cursor = set(), b"0"
            while True:
                cursor, batch = c.cmd("SCAN", cursor, "COUNT", "100")
                keys.update(batch)
                if cursor == b"0":
                    break
            self.assertEqual(len(keys), 2000)
            self.assertEqual(c.cmd("DEL", *["k%d" % i for i in range(100)]), 100)
            self.assertEqual(c.cmd("DBSIZE"), 1900)

    @STRATA_ONLY
    def test_server_cpus_directive(self):
        srv = self.start_server(["--server-cpus", "0", "--threads", "1"])
        with srv.connect() as c:
            self.assertEqual(c.cmd("PING"), "PONG")
            self.assertEqual(c.cmd("CONFIG", "GET", "server-cpus"), [b"server-cpus", b"0"])


def _ping_ok(srv):
    try:
        with srv.connect(timeout=2.0) as c:
            return c.call("PING")[0] == b"+PONG\r\n"
    except (OSError, ConnectionError):
        return False


class ShutdownTest(ServerTestCase):
    def test_shutdown_command_stops_process(self):
        srv = self.start_server()
        c = srv.connect()
        self.addCleanup(c.close)
        c.cmd("SET", "k", "v")
        c.send("SHUTDOWN")
        self.assertTrue(c.is_closed_by_peer(10.0))
        self.assertEqual(srv.wait_exit(10.0), 0, "log tail:\n" + srv.log_tail())

    def test_shutdown_nosave(self):
        srv = self.start_server()
        c = srv.connect()
        self.addCleanup(c.close)
        c.send("SHUTDOWN", "NOSAVE")
        self.assertTrue(c.is_closed_by_peer(10.0))
        self.assertEqual(srv.wait_exit(10.0), 0)

    def test_sigterm_exits_zero(self):
        srv = self.start_server()
        clients = [srv.connect() for _ in range(5)]
        for c in clients:
            self.addCleanup(c.close)
            c.cmd("SET", "k", "v")
        os.kill(srv.proc.pid, signal.SIGTERM)
        self.assertEqual(srv.wait_exit(10.0), 0, "log tail:\n" + srv.log_tail())
        for c in clients:
            self.assertTrue(c.is_closed_by_peer(2.0))

    def test_sigint_exits_zero(self):
        srv = self.start_server()
        os.kill(srv.proc.pid, signal.SIGINT)
        self.assertEqual(srv.wait_exit(10.0), 0, "log tail:\n" + srv.log_tail())


if __name__ == "__main__":
    unittest.main()
