# Real clients against the server: redis-py, redis-cli, redis-benchmark, and many connections
# from many threads.
import inspect
import re
import subprocess
import threading
import time
import unittest

import redis

from harness import ServerTestCase, encode_command, server_kind

BENCH_TESTS = ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"]


def redis_py_supports_resp3():
    return "protocol" in inspect.signature(redis.Redis.__init__).parameters


class RedisPyTest(ServerTestCase):
    def client(self, **kw):
        r = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=10, **kw)
        self.addCleanup(r.close)
        return r

    def test_basic_commands(self):
        r = self.client()
        self.assertTrue(r.ping())
        self.assertTrue(r.set("k", "v"))
        self.assertEqual(r.get("k"), b"v")
        self.assertIsNone(r.get("missing"))
        self.assertIsNone(r.set("k", "w", nx=True))
        self.assertTrue(r.set("k", "w", xx=True, ex=100))
        self.assertEqual(r.ttl("k"), 100)
        self.assertEqual(r.incr("n"), 1)
        self.assertEqual(r.incrby("n", 41), 42)
        self.assertEqual(r.decr("n"), 41)
        self.assertAlmostEqual(r.incrbyfloat("f", 1.5), 1.5)
        self.assertTrue(r.mset({"a": "1", "b": "2"}))
        self.assertEqual(r.mget("a", "b", "c"), [b"1", b"2", None])
        self.assertEqual(r.append("a", "x"), 2)
        self.assertEqual(r.strlen("a"), 2)
        self.assertEqual(r.getrange("k", 0, 0), b"w")
        self.assertEqual(r.exists("a", "b", "zz"), 2)
        self.assertEqual(r.delete("a", "zz"), 1)
        self.assertTrue(r.expire("b", 50))
        self.assertTrue(r.persist("b"))
        self.assertEqual(r.ttl("b"), -1)
        self.assertEqual(r.type("b"), b"string")
        self.assertTrue(r.rename("b", "b2"))
        self.assertEqual(sorted(r.keys("*")), [b"b2", b"f", b"k", b"n"])
        self.assertEqual(sorted(r.scan_iter(count=2)), [b"b2", b"f", b"k", b"n"])
        self.assertEqual(r.dbsize(), 4)
        self.assertEqual(r.echo("hi"), b"hi")
        self.assertEqual(r.getdel("k"), b"w")
        self.assertEqual(r.object("encoding", "n"), b"int")
        t = r.time()
        self.assertEqual(len(t), 2)
        self.assertTrue(r.flushdb())
        self.assertEqual(r.dbsize(), 0)

    def test_errors_are_raised(self):
        r = self.client()
        r.set("s", "abc")
        with self.assertRaises(redis.ResponseError) as cm:
            r.incr("s")
        self.assertIn("not an integer", str(cm.exception))
        with self.assertRaises(redis.ResponseError):
            r.execute_command("NOSUCHCOMMAND", "x")
        self.assertTrue(r.ping())  # connection still usable after errors

    def test_pipeline_and_transactionless_batch(self):
        r = self.client()
        p = r.pipeline(transaction=False)
        for i in range(1000):
            p.set("p%d" % i, i)
        for i in range(1000):
            p.get("p%d" % i)
        out = p.execute()
        self.assertEqual(out[:1000], [True] * 1000)
        self.assertEqual(out[1000:], [b"%d" % i for i in range(1000)])

    def test_client_name_and_info(self):
        r = self.client(client_name="pyclient")
        self.assertIn(r.client_getname(), ("pyclient", b"pyclient"))
        names = [c.get("name") for c in r.client_list()]
        self.assertIn("pyclient", names)
        self.assertIsInstance(r.client_id(), int)
        info = r.info()
        self.assertIn("redis_version", info)
        self.assertEqual(r.config_get("databases"), {"databases": "16"})

    def test_decode_responses(self):
        r = self.client(decode_responses=True)
        r.set("ü", "välue")
        self.assertEqual(r.get("ü"), "välue")

    def test_select_db(self):
        r1 = self.client(db=1)
        r0 = self.client(db=0)
        r1.set("only-in-1", "x")
        self.assertIsNone(r0.get("only-in-1"))
        self.assertEqual(r1.get("only-in-1"), b"x")
        r1.flushall()

    def test_streams_api(self):
        # redis-py's stream helpers: xadd with maxlen, xrange/xrevrange, xread (blocking in a
        # thread until an xadd from this one), xdel, xtrim, xlen.
        r = self.client()
        ids = [r.xadd("events", {"type": "click", "n": i}) for i in range(5)]
        self.assertEqual(r.xlen("events"), 5)
        self.assertEqual([e[0] for e in r.xrange("events")], ids)
        self.assertEqual(r.xrevrange("events", count=1)[0], (ids[-1], {b"type": b"click", b"n": b"4"}))
        self.assertEqual(r.xread({"events": ids[2]}, count=1), [[b"events", [(ids[3], {b"type": b"click", b"n": b"3"})]]])
        got = []
        reader = threading.Thread(target=lambda: got.append(self.client().xread({"events": "$"}, block=5000)))
        reader.start()
        deadline = time.monotonic() + 5
        while r.info("clients")["blocked_clients"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        new_id = r.xadd("events", {"type": "late"}, maxlen=3, approximate=False)
        reader.join(10)
        self.assertEqual(got, [[[b"events", [(new_id, {b"type": b"late"})]]]])
        self.assertEqual(r.xlen("events"), 3)
        self.assertEqual(r.xdel("events", new_id), 1)
        self.assertEqual(r.xtrim("events", maxlen=1, approximate=False), 1)
        self.assertEqual(r.xrange("events"), [(ids[4], {b"type": b"click", b"n": b"4"})])

    def test_stream_consumer_groups_api(self):
        # A work queue the redis-py way: a group, two workers reading, acks, a stuck job taken
        # over with xautoclaim, and the group's state through xpending / xinfo.
        r = self.client()
        for i in range(6):
            r.xadd("jobs", {"job": i}, id="%d-0" % (i + 1))
        self.assertTrue(r.xgroup_create("jobs", "workers", id="0"))
        got1 = r.xreadgroup("workers", "w1", {"jobs": ">"}, count=3)
        got2 = r.xreadgroup("workers", "w2", {"jobs": ">"}, count=3)
        self.assertEqual([e[0] for e in got1[0][1]], [b"1-0", b"2-0", b"3-0"])
        self.assertEqual([e[0] for e in got2[0][1]], [b"4-0", b"5-0", b"6-0"])
        self.assertEqual(r.xack("jobs", "workers", b"1-0", b"2-0", b"3-0"), 3)
        summary = r.xpending("jobs", "workers")
        self.assertEqual(summary["pending"], 3)
        self.assertEqual(summary["consumers"], [{"name": b"w2", "pending": 3}])
        claimed = r.xautoclaim("jobs", "workers", "w1", min_idle_time=0, start_id="0-0", count=2)
        self.assertEqual([e[0] for e in claimed[1]], [b"4-0", b"5-0"])
        groups = r.xinfo_groups("jobs")
        self.assertEqual(groups[0]["name"], b"workers")
        self.assertEqual(groups[0]["pending"], 3)
        self.assertEqual(groups[0]["last-delivered-id"], b"6-0")
        self.assertEqual(groups[0]["lag"], 0)
        consumers = {c["name"]: c["pending"] for c in r.xinfo_consumers("jobs", "workers")}
        self.assertEqual(consumers, {b"w1": 2, b"w2": 1})

    @unittest.skipUnless(redis_py_supports_resp3(),
                         "redis-py %s has no protocol=3 (RESP3 needs redis-py >= 5.0)"
                         % redis.__version__)
    def test_resp3(self):
        r = self.client(protocol=3)
        r.set("k", "v")
        self.assertEqual(r.get("k"), b"v")
        self.assertIsNone(r.get("missing"))
        self.assertEqual(r.config_get("databases"), {"databases": "16"})


class ThreadsTest(ServerTestCase):
    """Many connections from many client threads; the server runs with --threads 2 (strata)."""
    strata_only_args = ["--threads", "2"]

    def test_many_connections_across_threads(self):
        pool = redis.ConnectionPool(host="127.0.0.1", port=self.server.port, max_connections=64,
                                    socket_timeout=20)
        self.addCleanup(pool.disconnect)
        errors = []
        n_threads, per_thread = 16, 300

        def worker(idx):
            try:
                r = redis.Redis(connection_pool=pool)
                for j in range(per_thread):
                    r.incr("counter")
                    r.set("t%d:%d" % (idx, j), j)
                    if r.get("t%d:%d" % (idx, j)) != b"%d" % j:
                        errors.append("thread %d: wrong value for %d" % (idx, j))
                        return
            except Exception as e:  # noqa: BLE001
                errors.append("thread %d: %r" % (idx, e))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        r = redis.Redis(connection_pool=pool)
        self.assertEqual(r.get("counter"), b"%d" % (n_threads * per_thread))
        self.assertEqual(r.dbsize(), n_threads * per_thread + 1)

    def test_many_idle_connections(self):
        conns = [self.server.connect() for _ in range(200)]
        try:
            for i, c in enumerate(conns):
                c.send("SET", "idle%d" % i, i)
            for c in conns:
                self.assertEqual(c.read_reply()[0], b"+OK\r\n")
        finally:
            for c in conns:
                c.close()
        self.assertEqual(self.conn.cmd("DBSIZE"), 200)

    @unittest.skipIf(server_kind() == "redis", "--threads is a strata directive")
    def test_threads_directive_visible(self):
        self.assertEqual(self.conn.cmd("CONFIG", "GET", "threads"), [b"threads", b"2"])


class RedisCliTest(ServerTestCase):
    def cli(self, *args, input=None):
        r = subprocess.run(["redis-cli", "-p", str(self.server.port)] + list(args), input=input,
                           capture_output=True, timeout=30)
        return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")

    def test_non_interactive(self):
        self.assertEqual(self.cli("set", "k", "v"), (0, "OK\n", ""))
        self.assertEqual(self.cli("get", "k"), (0, "v\n", ""))
        self.assertEqual(self.cli("--no-raw", "get", "k"), (0, '"v"\n', ""))
        self.assertEqual(self.cli("--no-raw", "incr", "n"), (0, "(integer) 1\n", ""))
        self.assertEqual(self.cli("--no-raw", "get", "missing"), (0, "(nil)\n", ""))
        self.assertEqual(self.cli("--no-raw", "mget", "k", "missing"), (0, '1) "v"\n2) (nil)\n', ""))
        self.assertEqual(self.cli("--no-raw", "ttl", "k"), (0, "(integer) -1\n", ""))
        self.assertEqual(self.cli("--no-raw", "ping"), (0, "PONG\n", ""))
        rc, out, _ = self.cli("--no-raw", "nosuchcmd")
        self.assertTrue(out.startswith("(error) ERR unknown command 'nosuchcmd'"), out)
        self.assertEqual(self.cli("-n", "3", "set", "in3", "x"), (0, "OK\n", ""))
        self.assertEqual(self.cli("-n", "3", "dbsize"), (0, "1\n", ""))
        self.assertEqual(self.cli("dbsize"), (0, "2\n", ""))

    def test_resp3_mode(self):
        rc, out, err = self.cli("-3", "--no-raw", "hello", "3")
        self.assertEqual(rc, 0, err)
        self.assertIn('"proto" => (integer) 3', out)
        self.assertEqual(self.cli("-3", "--no-raw", "get", "missing"), (0, "(nil)\n", ""))

    def test_pipe_mode(self):
        data = b"".join(encode_command("SET", "pipe%d" % i, "v%d" % i) for i in range(2000))
        rc, out, err = self.cli("--pipe", input=data)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("errors: 0, replies: 2000", out)
        self.assertEqual(self.conn.cmd("DBSIZE"), 2000)

    def test_stdin_args(self):
        rc, out, _ = self.cli("-x", "set", "fromstdin", input=b"payload")
        self.assertEqual((rc, out), (0, "OK\n"))
        self.assertEqual(self.conn.cmd("GET", "fromstdin"), b"payload")


class RedisBenchmarkTest(ServerTestCase):
    strata_only_args = ["--threads", "2"]

    def bench(self, pipeline):
        cmd = ["redis-benchmark", "-p", str(self.server.port), "-t", "ping,set,get,incr,mset",
               "-n", "20000", "-c", "50", "-P", str(pipeline), "-q"]
        r = subprocess.run(cmd, capture_output=True, timeout=45)
        out = r.stdout.decode("utf-8", "replace")
        err = r.stderr.decode("utf-8", "replace")
        self.assertEqual(r.returncode, 0, "redis-benchmark failed:\n%s\n%s" % (out[-2000:], err))
        bad = [line for line in (out + "\n" + err).replace("\r", "\n").splitlines()
               if "ERR" in line or "error" in line.lower()]
        self.assertEqual(bad, [], "error replies during benchmark")
        # The final line of each test: "NAME: 123456.78 requests per second, p50=0.1 msec".
        found = {}
        for m in re.finditer(r"(?m)(?:^|\r)\s*([A-Z_]+(?: \(10 keys\))?): ([0-9.]+) requests per second",
                             out):
            found[m.group(1)] = float(m.group(2))
        for name in BENCH_TESTS:
            self.assertIn(name, found, "no result line for %s in:\n%s" % (name, out[-2000:]))
            self.assertGreater(found[name], 0)
        return found

    def full_default_list(self, pipeline):
        """redis-benchmark's whole default test list (lists, sets, hashes, zsets, LRANGE_600,
        MSET...): every test must report a result and no error reply may appear."""
        cmd = ["redis-benchmark", "-p", str(self.server.port), "-n", "5000", "-c", "20",
               "-P", str(pipeline), "-q"]
        r = subprocess.run(cmd, capture_output=True, timeout=120)
        out = (r.stdout + r.stderr).decode("utf-8", "replace").replace("\r", "\n")
        self.assertEqual(r.returncode, 0, out[-2000:])
        bad = [line for line in out.splitlines() if "ERR" in line or "error" in line.lower()]
        self.assertEqual(bad, [], "error replies during benchmark")
        for name in ("PING_INLINE", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP",
                     "SADD", "HSET", "SPOP", "ZADD", "ZPOPMIN", "LRANGE_100", "LRANGE_600",
                     "MSET (10 keys)"):
            self.assertRegex(out, r"(?m)^\s*%s(?: \([a-z0-9 ]+\))?: [0-9.]+ requests per second"
                             % re.escape(name))

    def test_full_default_list(self):
        self.full_default_list(1)
        self.full_default_list(16)

    def test_pipelined(self):
        self.bench(16)
        self.assertGreaterEqual(self.conn.cmd("DBSIZE"), 1)

    def test_unpipelined(self):
        self.bench(1)


if __name__ == "__main__":
    unittest.main()
