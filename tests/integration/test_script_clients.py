# Lua scripting through real clients: redis-py's Lock (its release / extend / reacquire are Lua
# scripts run with EVALSHA), register_script (EVALSHA, NOSCRIPT, SCRIPT LOAD, transparent reload
# after SCRIPT FLUSH), scripts in pipelines and transactions, redis-cli --eval, and the atomicity
# of scripts on a server with two worker threads: concurrent transfer scripts between keys never
# let a concurrent reader (a read script or MGET) see a total other than the invariant, with the
# keys declared (KEYS) or built inside the script from a prefix (numkeys 0, like BullMQ).
import hashlib
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import redis
from redis.exceptions import LockError, LockNotOwnedError, NoScriptError, ResponseError

from harness import ServerTestCase


class ClientMixin:
    def client(self, **kw):
        r = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=20, **kw)
        self.addCleanup(r.close)
        return r


# -- redis-py Lock ---------------------------------------------------------------------------------
class LockTest(ClientMixin, ServerTestCase):
    strata_only_args = ["--threads", "2"]

    def test_acquire_and_release(self):
        r1, r2 = self.client(), self.client()
        lock = r1.lock("res", timeout=10)
        self.assertTrue(lock.acquire(blocking=False))
        token = lock.local.token
        self.assertEqual(r1.get("res"), token)
        self.assertTrue(lock.locked())
        self.assertTrue(lock.owned())
        self.assertTrue(9000 < r1.pttl("res") <= 10000)
        other = r2.lock("res", timeout=10)
        self.assertFalse(other.acquire(blocking=False))
        self.assertTrue(other.locked())
        self.assertFalse(other.owned())
        lock.release()
        self.assertIsNone(r1.get("res"))
        self.assertFalse(lock.locked())
        self.assertTrue(other.acquire(blocking=False))
        self.assertTrue(other.owned())
        other.release()
        self.assertEqual(r1.exists("res"), 0)
        with self.assertRaises(LockError):
            other.release()  # not held any more (checked client side)

    def test_lock_without_timeout_and_context_manager(self):
        r = self.client()
        with r.lock("cm") as lock:
            self.assertTrue(lock.owned())
            self.assertEqual(r.ttl("cm"), -1)
        self.assertEqual(r.exists("cm"), 0)
        lock = r.lock("cm")
        lock.acquire()
        with self.assertRaises(LockError):
            lock.extend(5)  # no timeout: refused client side
        lock.release()

    def test_extend(self):
        r = self.client()
        lock = r.lock("ext", timeout=10)
        self.assertTrue(lock.acquire(blocking=False))
        self.assertTrue(lock.extend(10))
        self.assertTrue(19000 < r.pttl("ext") <= 20000, r.pttl("ext"))
        self.assertTrue(lock.extend(5, replace_ttl=True))
        self.assertTrue(4000 < r.pttl("ext") <= 5000, r.pttl("ext"))
        self.assertTrue(lock.extend(0.5, replace_ttl=True))
        self.assertTrue(0 < r.pttl("ext") <= 500, r.pttl("ext"))
        # A lock key without a TTL cannot be extended (the script returns 0).
        r.persist("ext")
        with self.assertRaises(LockNotOwnedError):
            lock.extend(10)
        r.pexpire("ext", 10000)
        lock.release()
        with self.assertRaises(LockError):
            lock.extend(10)

    def test_reacquire(self):
        r = self.client()
        lock = r.lock("req", timeout=10)
        self.assertTrue(lock.acquire(blocking=False))
        r.pexpire("req", 500)
        self.assertTrue(lock.reacquire())
        self.assertTrue(9000 < r.pttl("req") <= 10000, r.pttl("req"))
        lock.release()
        with self.assertRaises(LockError):
            lock.reacquire()

    def test_not_owner_errors(self):
        r1, r2 = self.client(), self.client()
        lock = r1.lock("own", timeout=10)
        self.assertTrue(lock.acquire(blocking=False))
        intruder = r2.lock("own", timeout=10)
        # release() forgets the token before it runs the script: set it before each call.
        intruder.local.token = b"not-the-owner"
        with self.assertRaises(LockNotOwnedError):
            intruder.release()
        intruder.local.token = b"not-the-owner"
        with self.assertRaises(LockNotOwnedError):
            intruder.extend(10)
        with self.assertRaises(LockNotOwnedError):
            intruder.reacquire()
        self.assertTrue(lock.owned())  # untouched by the failed attempts
        lock.release()
        # Expired, then taken by another client: the first holder's release fails.
        short = r1.lock("own", timeout=0.2)
        self.assertTrue(short.acquire(blocking=False))
        time.sleep(0.35)
        self.assertFalse(short.locked())
        taker = r2.lock("own", timeout=10)
        self.assertTrue(taker.acquire(blocking=False))
        with self.assertRaises(LockNotOwnedError):
            short.release()
        self.assertTrue(taker.owned())
        taker.release()
        # Released key: a stale token cannot release or extend it either.
        intruder.local.token = b"not-the-owner"
        with self.assertRaises(LockNotOwnedError):
            intruder.extend(10)
        with self.assertRaises(LockNotOwnedError):
            intruder.release()

    def test_blocking_acquire_with_timeout(self):
        r1, r2 = self.client(), self.client()
        holder = r1.lock("blk", timeout=10)
        self.assertTrue(holder.acquire())
        waiter = r2.lock("blk", timeout=10, sleep=0.02)
        t0 = time.monotonic()
        self.assertFalse(waiter.acquire(blocking_timeout=0.3))
        self.assertGreaterEqual(time.monotonic() - t0, 0.25)
        holder.release()
        self.assertTrue(waiter.acquire(blocking_timeout=1))
        waiter.release()
        # The holder's lock expires by itself: a blocked waiter gets it then.
        holder = r1.lock("blk", timeout=0.3)
        self.assertTrue(holder.acquire())
        t0 = time.monotonic()
        self.assertTrue(waiter.acquire(blocking_timeout=5))
        self.assertGreaterEqual(time.monotonic() - t0, 0.1)
        waiter.release()

    def test_contending_clients(self):
        # Threads each with its own client take the lock around a non-atomic read-modify-write.
        n_threads, rounds = 4, 25
        errors = []
        self.client().set("counter", 0)

        def worker(idx):
            try:
                r = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=20)
                try:
                    lock = r.lock("contended", timeout=5, sleep=0.001, thread_local=False)
                    for _ in range(rounds):
                        if not lock.acquire(blocking_timeout=10):
                            errors.append("thread %d: acquire timed out" % idx)
                            return
                        try:
                            v = int(r.get("counter"))
                            r.set("counter", v + 1)
                        finally:
                            lock.release()
                finally:
                    r.close()
            except Exception as e:  # noqa: BLE001
                errors.append("thread %d: %r" % (idx, e))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        r = self.client()
        self.assertEqual(int(r.get("counter")), n_threads * rounds)
        self.assertEqual(r.exists("contended"), 0)

    def test_lock_survives_script_flush(self):
        # Lock's scripts are cached class-wide by sha: after SCRIPT FLUSH they are reloaded.
        r = self.client()
        lock = r.lock("flushlock", timeout=10)
        self.assertTrue(lock.acquire(blocking=False))
        r.script_flush()
        self.assertTrue(lock.extend(1))
        r.script_flush()
        lock.release()
        self.assertEqual(r.exists("flushlock"), 0)


# -- register_script, pipelines, EVAL via redis-py -------------------------------------------------
INCR_BY_ARG = """
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
return {v, redis.call('GET', KEYS[1])}
"""


class RegisterScriptTest(ClientMixin, ServerTestCase):
    def test_sha_matches_and_repeated_calls(self):
        r = self.client()
        script = r.register_script(INCR_BY_ARG)
        self.assertEqual(script.sha, hashlib.sha1(INCR_BY_ARG.encode()).hexdigest())
        for i in range(1, 51):
            self.assertEqual(script(keys=["n"], args=[2]), [2 * i, b"%d" % (2 * i)])
        self.assertEqual(r.script_exists(script.sha), [True])
        self.assertEqual(r.evalsha(script.sha, 1, "n", 1), [101, b"101"])
        self.assertEqual(r.script_load(INCR_BY_ARG), script.sha)

    def test_reloads_after_script_flush(self):
        r = self.client()
        script = r.register_script("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}")
        self.assertEqual(script(keys=["c"], args=["a"]), [b"c", b"a", 1])
        for mode in (None, "SYNC", "ASYNC"):
            if mode is None:
                r.script_flush()
            else:
                r.execute_command("SCRIPT", "FLUSH", mode)
            self.assertEqual(r.script_exists(script.sha), [False])
            with self.assertRaises(NoScriptError):
                r.evalsha(script.sha, 1, "c", "a")
            n = script(keys=["c"], args=["a"])[2]  # NOSCRIPT inside, then SCRIPT LOAD + EVALSHA
            self.assertEqual(n, int(r.get("c")))
            self.assertEqual(r.script_exists(script.sha), [True])
        self.assertEqual(int(r.get("c")), 4)

    def test_script_from_other_client_and_errors(self):
        r1, r2 = self.client(), self.client()
        script = r1.register_script("return redis.call('GET', KEYS[1])")
        r2.set("k", "v")
        self.assertEqual(script(keys=["k"], client=r2), b"v")
        self.assertEqual(script(keys=["k"]), b"v")
        bad = r1.register_script("return redis.call('INCR', KEYS[1])")
        with self.assertRaises(ResponseError) as cm:
            bad(keys=["k"])
        self.assertIn("value is not an integer", str(cm.exception))
        self.assertIn("script: %s" % bad.sha, str(cm.exception))
        with self.assertRaises(ResponseError) as cm:
            r1.register_script("return +")()
        self.assertIn("Error compiling script", str(cm.exception))
        self.assertTrue(r1.ping())

    def test_eval_and_decoding(self):
        r = self.client(decode_responses=True)
        self.assertEqual(r.eval("return {1, 'two', {3, 'four'}, true, false}", 0),
                         [1, "two", [3, "four"], 1, None])
        self.assertEqual(r.eval("return redis.status_reply('FINE')", 0), "FINE")
        self.assertEqual(r.eval("return ARGV[1] .. 'ä'", 0, "ü"), "üä")
        with self.assertRaises(ResponseError) as cm:
            r.eval("return redis.error_reply('MYCODE custom')", 0)
        self.assertEqual(str(cm.exception), "MYCODE custom")
        self.assertEqual(r.eval_ro("return redis.call('GET', KEYS[1])", 1, "nokey"), None)
        with self.assertRaises(ResponseError) as cm:
            r.eval_ro("return redis.call('SET', KEYS[1], 'x')", 1, "k")
        self.assertIn("Write commands are not allowed from read-only scripts", str(cm.exception))

    def test_pipeline_of_scripts(self):
        r = self.client()
        add = r.register_script(INCR_BY_ARG)
        get = r.register_script("return redis.call('GET', KEYS[1])")
        for transaction in (False, True):
            r.delete("p")
            r.script_flush()  # the pipeline must load them (SCRIPT EXISTS / SCRIPT LOAD) itself
            pipe = r.pipeline(transaction=transaction)
            for i in range(20):
                add(keys=["p"], args=[i], client=pipe)
                get(keys=["p"], client=pipe)
            out = pipe.execute()
            total = 0
            for i in range(20):
                total += i
                self.assertEqual(out[2 * i], [total, b"%d" % total])
                self.assertEqual(out[2 * i + 1], b"%d" % total)
            self.assertEqual(r.script_exists(add.sha, get.sha), [True, True])

    def test_pipeline_with_failing_script(self):
        r = self.client()
        r.set("s", "abc")
        ok = r.register_script("return redis.call('SET', KEYS[1], ARGV[1])")
        bad = r.register_script("return redis.call('INCR', KEYS[1])")
        pipe = r.pipeline(transaction=False)
        ok(keys=["a"], args=["1"], client=pipe)
        bad(keys=["s"], client=pipe)
        ok(keys=["b"], args=["2"], client=pipe)
        out = pipe.execute(raise_on_error=False)
        self.assertEqual(out[0], b"OK")
        self.assertIsInstance(out[1], ResponseError)
        self.assertEqual(out[2], b"OK")
        self.assertEqual(r.mget("a", "b"), [b"1", b"2"])
        # In MULTI/EXEC the failing script does not undo the others.
        pipe = r.pipeline(transaction=True)
        ok(keys=["c"], args=["3"], client=pipe)
        bad(keys=["s"], client=pipe)
        out = pipe.execute(raise_on_error=False)
        self.assertIsInstance(out[1], ResponseError)
        self.assertEqual(r.get("c"), b"3")


# -- redis-cli --eval ------------------------------------------------------------------------------
class RedisCliEvalTest(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="strata-it-lua-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def cli_eval(self, script, *args, raw=True):
        path = os.path.join(self.tmp, "script.lua")
        with open(path, "w") as f:
            f.write(script)
        cmd = ["redis-cli", "-p", str(self.server.port)] + ([] if raw else ["--no-raw"])
        r = subprocess.run(cmd + ["--eval", path] + list(args), capture_output=True, timeout=30)
        return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")

    def test_keys_and_args(self):
        script = "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}"
        self.assertEqual(self.cli_eval(script, "key1", "key2", ",", "arg1", "arg2"),
                         (0, "key1\nkey2\narg1\narg2\n2\n2\n", ""))
        self.assertEqual(self.cli_eval(script, "key1", "key2", ",", "arg1", "arg2", raw=False),
                         (0, '1) "key1"\n2) "key2"\n3) "arg1"\n4) "arg2"\n5) (integer) 2\n'
                             '6) (integer) 2\n', ""))
        counts = "return #KEYS .. ':' .. #ARGV"
        self.assertEqual(self.cli_eval(counts), (0, "0:0\n", ""))
        self.assertEqual(self.cli_eval(counts, "a", "b"), (0, "2:0\n", ""))
        self.assertEqual(self.cli_eval(counts, ",", "a", "b"), (0, "0:2\n", ""))

    def test_writes_and_reply_types(self):
        self.assertEqual(self.cli_eval("redis.call('SET', KEYS[1], ARGV[1]); "
                                       "return redis.call('GET', KEYS[1])", "k", ",", "hello"),
                         (0, "hello\n", ""))
        self.assertEqual(self.conn.cmd("GET", "k"), b"hello")
        self.assertEqual(self.cli_eval("return {1, 'two', {3}}", raw=False),
                         (0, '1) (integer) 1\n2) "two"\n3) 1) (integer) 3\n', ""))
        self.assertEqual(self.cli_eval("return 3.7", raw=False), (0, "(integer) 3\n", ""))
        self.assertEqual(self.cli_eval("return nil", raw=False), (0, "(nil)\n", ""))
        self.assertEqual(self.cli_eval("return redis.status_reply('FINE')"), (0, "FINE\n", ""))

    def test_errors(self):
        self.assertEqual(
            self.cli_eval("return nil + 1", raw=False),
            (0, "(error) ERR user_script:1: attempt to perform arithmetic on a nil value script: "
                "d13bc48d895ba57f297c4db70c1d256548a54e2d, on @user_script:1.\n", ""))
        self.assertEqual(
            self.cli_eval("return +", raw=False),
            (0, "(error) ERR Error compiling script (new function): user_script:1: "
                "unexpected symbol near '+'\n", ""))
        self.assertEqual(self.cli_eval("return {err='MY bad'}", raw=False), (0, "(error) MY bad\n", ""))


# -- atomicity across worker threads ---------------------------------------------------------------
N_KEYS = 10
START = 100
TOTAL = N_KEYS * START

# KEYS[1] -> KEYS[2], ARGV[1] units, only if KEYS[1] holds enough. A read-modify-write through
# GET/SET so that any interleaving of two scripts would lose or create money.
TRANSFER = """
local from = tonumber(redis.call('GET', KEYS[1]))
local to = tonumber(redis.call('GET', KEYS[2]))
local amount = tonumber(ARGV[1])
if from < amount then return 0 end
redis.call('SET', KEYS[1], from - amount)
redis.call('SET', KEYS[2], to + amount)
return 1
"""

SUM_DECLARED = """
local sum = 0
for i = 1, #KEYS do sum = sum + tonumber(redis.call('GET', KEYS[i])) end
return sum
"""

# The same with undeclared keys: names built from ARGV[1] (a prefix), numkeys 0.
TRANSFER_PREFIX = """
local p = ARGV[1]
local a, b = p .. ARGV[2], p .. ARGV[3]
local from = tonumber(redis.call('GET', a))
local to = tonumber(redis.call('GET', b))
local amount = tonumber(ARGV[4])
if from < amount then return 0 end
redis.call('SET', a, from - amount)
redis.call('SET', b, to + amount)
return 1
"""

SUM_PREFIX = """
local sum = 0
for i = 0, tonumber(ARGV[2]) - 1 do sum = sum + tonumber(redis.call('GET', ARGV[1] .. i)) end
return sum
"""


class ScriptAtomicityTest(ClientMixin, ServerTestCase):
    """Scripts run atomically with --threads 2 (strata): concurrent transfers keep the total."""
    strata_only_args = ["--threads", "2"]
    n_writers, calls_per_writer = 4, 500

    def run_bank(self, prefix, transfer, reader_calls):
        names = ["%s%d" % (prefix, i) for i in range(N_KEYS)]
        setup = self.client()
        setup.mset({n: START for n in names})
        errors, observed = [], []
        done = threading.Event()
        moved = [0] * self.n_writers

        def writer(idx):
            rnd = random.Random(1000 + idx)
            try:
                r = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=20)
                try:
                    for _ in range(self.calls_per_writer):
                        i, j = rnd.sample(range(N_KEYS), 2)
                        moved[idx] += transfer(r, names, i, j, rnd.randint(1, 60))
                finally:
                    r.close()
            except Exception as e:  # noqa: BLE001
                errors.append("writer %d: %r" % (idx, e))

        def reader():
            try:
                r = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=20)
                try:
                    while not done.is_set() or len(observed) < 10:
                        for how, total in reader_calls(r, names):
                            observed.append((how, total))
                            if total != TOTAL:
                                errors.append("%s saw a total of %r" % (how, total))
                                return
                finally:
                    r.close()
            except Exception as e:  # noqa: BLE001
                errors.append("reader: %r" % (e,))

        writers = [threading.Thread(target=writer, args=(i,)) for i in range(self.n_writers)]
        readers = [threading.Thread(target=reader) for _ in range(2)]
        for t in writers + readers:
            t.start()
        for t in writers:
            t.join(120)
        done.set()
        for t in readers:
            t.join(60)
        self.assertFalse(any(t.is_alive() for t in writers + readers), "threads still running")
        self.assertEqual(errors, [])
        self.assertGreater(sum(moved), 0, "no transfer succeeded")
        self.assertGreaterEqual(len(observed), 10)
        values = [int(v) for v in setup.mget(names)]
        self.assertEqual(sum(values), TOTAL, values)
        self.assertTrue(all(v >= 0 for v in values), values)
        return values

    def test_declared_keys(self):
        r = self.client()
        transfer = r.register_script(TRANSFER)
        total = r.register_script(SUM_DECLARED)

        def do_transfer(conn, names, i, j, amount):
            return transfer(keys=[names[i], names[j]], args=[amount], client=conn)

        def read(conn, names):
            yield "sum script", total(keys=names, client=conn)
            yield "MGET", sum(int(v) for v in conn.mget(names))

        self.run_bank("acct:", do_transfer, read)

    def test_undeclared_keys_from_prefix(self):
        r = self.client()
        transfer = r.register_script(TRANSFER_PREFIX)
        total = r.register_script(SUM_PREFIX)

        def do_transfer(conn, names, i, j, amount):
            return transfer(keys=[], args=["bull:{q}:", i, j, amount], client=conn)

        def read(conn, names):
            yield "prefix sum script", total(keys=[], args=["bull:{q}:", N_KEYS], client=conn)
            yield "MGET", sum(int(v) for v in conn.mget(names))

        self.run_bank("bull:{q}:", do_transfer, read)

    def test_functions(self):
        # FCALL goes through the same locks: a library of transfer and sum functions.
        r = self.client()
        body = "\n".join(l for l in TRANSFER.strip().splitlines() if l)
        lib = ("#!lua name=bank\n"
               "redis.register_function('transfer', function(KEYS, ARGV)\n%s\nend)\n"
               "redis.register_function{function_name='total', flags={'no-writes'}, "
               "callback=function(KEYS, ARGV)\n%s\nend}\n" % (body, SUM_DECLARED.strip()))
        r.function_load(lib, replace=True)

        def do_transfer(conn, names, i, j, amount):
            return conn.fcall("transfer", 2, names[i], names[j], amount)

        def read(conn, names):
            yield "FCALL_RO total", conn.fcall_ro("total", len(names), *names)
            yield "MGET", sum(int(v) for v in conn.mget(names))

        self.run_bank("fn:", do_transfer, read)

    def test_eval_without_cache_concurrently(self):
        # Plain EVAL (compile on every call) from several threads while others SCRIPT FLUSH.
        errors = []
        setup = self.client()
        setup.set("ctr", 0)

        def worker(idx):
            try:
                r = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=20)
                try:
                    for k in range(200):
                        # A distinct body per call: every EVAL compiles a new script.
                        r.eval("local v = redis.call('GET', KEYS[1]) "
                               "redis.call('SET', KEYS[1], tonumber(v) + 1) return %d" % k,
                               1, "ctr")
                        if idx == 0 and k % 50 == 0:
                            r.script_flush()
                finally:
                    r.close()
            except Exception as e:  # noqa: BLE001
                errors.append("worker %d: %r" % (idx, e))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        self.assertEqual(int(setup.get("ctr")), 800)


if __name__ == "__main__":
    unittest.main()
