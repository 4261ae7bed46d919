# Scripts and the write-ahead log: a script's writes are logged as one record of the commands
# it ran (their effects: a random pick, a SELECT, a TTL), so replay after SIGKILL gives the same
# keyspace without running Lua; a script that fails half way keeps what it wrote before the
# error (as Redis) and replay agrees.
import unittest

from harness import WalServer, server_kind
from test_wal import WalTestBase, snapshot, assert_same_state

STRATA_ONLY = unittest.skipUnless(server_kind() == "strata", "strata's write-ahead log")

MOVE = """
local from = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[1])
if from < amount then return 0 end
redis.call('DECRBY', KEYS[1], amount)
redis.call('INCRBY', KEYS[2], amount)
return 1
"""


@STRATA_ONLY
class ScriptReplayTest(WalTestBase):
    def test_script_writes_survive_sigkill(self):
        srv = self.start(["--appendfsync", "always"])
        c = self.conn(srv)
        c.cmd("SET", "acct:a", 1000)
        sha = c.cmd("SCRIPT", "LOAD", MOVE)
        for i in range(200):
            c.cmd("EVALSHA", sha, 2, "acct:a" if i % 2 else "acct:b", "acct:b" if i % 2 else "acct:a", 7)
        # Effects, not calls: random values, SPOP's pick, a SELECT inside the script, a TTL.
        c.cmd("SADD", "pool", *range(50))
        for _ in range(5):
            c.cmd("EVAL", "local m = redis.call('SPOP', KEYS[1]); "
                          "redis.call('RPUSH', KEYS[2], m); "
                          "redis.call('SET', KEYS[3], tostring(math.random())); return m",
                  3, "pool", "picked", "rnd")
        c.cmd("EVAL", "redis.call('SELECT', 5); redis.call('HSET', 'h5', 'f', 'v'); "
                      "redis.call('EXPIRE', 'h5', 1000); return 1", 0)
        # Partial writes of a failing script stay (Redis does not roll back).
        raw, _ = c.call("EVAL", "redis.call('SET', 'half', 'done'); "
                                "return redis.call('INCR', KEYS[1])", 1, "picked")
        self.assertTrue(raw.startswith(b"-WRONGTYPE"), raw)
        before = snapshot(c)
        self.assertEqual(int(c.cmd("GET", "acct:a")) + int(c.cmd("GET", "acct:b")), 1000)
        srv.kill9()

        srv2 = self.start(["--appendfsync", "always"])
        c2 = self.conn(srv2)
        after = snapshot(c2)
        assert_same_state(self, before, after, "[script replay] ")
        self.assertEqual(c2.cmd("GET", "half"), b"done")
        c2.cmd("SELECT", 5)
        self.assertEqual(c2.cmd("HGET", "h5", "f"), b"v")

    def test_functions_survive_sigkill(self):
        # FUNCTION LOAD / DELETE are durable when they answer (the library file is synced);
        # FCALL's writes replay from the WAL like a script's.
        lib = ("#!lua name=bank\n"
               "redis.register_function('deposit', function(keys, args) "
               "return redis.call('INCRBY', keys[1], args[1]) end)\n"
               "redis.register_function{function_name='balance', flags={'no-writes'}, "
               "callback=function(keys) return redis.call('GET', keys[1]) end}\n")
        srv = self.start(["--appendfsync", "always"])
        c = self.conn(srv)
        self.assertEqual(c.cmd("FUNCTION", "LOAD", lib), b"bank")
        for _ in range(10):
            c.cmd("FCALL", "deposit", 1, "acct", 5)
        srv.kill9()

        srv2 = self.start(["--appendfsync", "always"])
        c2 = self.conn(srv2)
        self.assertEqual(c2.cmd("FCALL_RO", "balance", 1, "acct"), b"50")
        self.assertEqual(c2.cmd("FCALL", "deposit", 1, "acct", 1), 51)
        # A library loaded then deleted stays deleted.
        self.assertEqual(c2.cmd("FUNCTION", "LOAD", "#!lua name=gone\n"
                                "redis.register_function('g', function() return 1 end)"), b"gone")
        self.assertEqual(c2.cmd("FUNCTION", "DELETE", "gone"), "OK")
        srv2.kill9()

        srv3 = self.start(["--appendfsync", "always"])
        c3 = self.conn(srv3)
        self.assertEqual([l[1] for l in c3.cmd("FUNCTION", "LIST")], [b"bank"])
        raw, _ = c3.call("FCALL", "g", 0)
        self.assertTrue(raw.startswith(b"-ERR Function not found"), raw)
        # FUNCTION FLUSH is durable too.
        self.assertEqual(c3.cmd("FUNCTION", "FLUSH"), "OK")
        srv3.kill9()
        srv4 = self.start(["--appendfsync", "always"])
        self.assertEqual(self.conn(srv4).cmd("FUNCTION", "LIST"), [])

if __name__ == "__main__":
    unittest.main()
