# appendfsync always, systematically: for EVERY write command the server registers that has a
# key (from COMMAND INFO and COMMAND DOCS, not a hand list), with its keys in each tier state
#   memory    in memory (written, checkpointed)
#   evicted   dropped from memory by eviction (DEBUG TIER-EVICT), so only in the backend
#   backend   only in the backend after a restart
#   absent    never written
# no reply leaves before the fdatasync that covers the command's WAL record. The WAL writer
# sleeps between write() and fdatasync() (DEBUG WAL-SYNC-DELAY), so a reply released on the
# written LSN, or not held at all, arrives too early every time, not one run in three.
#
# Each command gets an invocation built from its COMMAND DOCS arguments (keys, then "a" for
# strings, small numbers, the first choice of each oneof) and keys seeded with a value of its
# group's type. A first pass, without the delay, finds which (command, state) pairs log a record
# (INFO wal_last_lsn moves); the timed pass then checks every one of them, each on its own
# connection, all at once.
#
# strata-only (backend and DEBUG hooks).
import threading
import time
import unittest

from harness import RespMap, info, is_redis, poll_until
from test_tiering import TierTestBase

STRATA_ONLY = unittest.skipIf(is_redis(), "strata backing tier and DEBUG WAL hooks")
SYNC_DELAY_MS = 300
STATES = ("memory", "evicted", "backend", "absent")
# Seeds per command group: a value every generated invocation can work on ("a" is the string
# argument, 3 the number: ZADD key 3 a changes a score, LSET key 1 a an element...).
SEEDS = {
    "string": lambda k: [("SET", k, "1")],
    "list": lambda k: [("RPUSH", k, "a", "b", "c")],
    "hash": lambda k: [("HSET", k, "a", "1", "b", "2")],
    "set": lambda k: [("SADD", k, "a", "b", "c")],
    "sorted-set": lambda k: [("ZADD", k, "1", "a", "2", "b")],
    "generic": lambda k: [("SET", k, "1"), ("PEXPIRE", k, "100000000")],
    # Two entries, both pending for consumer "a" of group "a" (the generated arguments' names).
    "stream": lambda k: [("XADD", k, "1-1", "f", "1"), ("XADD", k, "2-1", "f", "2"),
                         ("XGROUP", "CREATE", k, "a", "0"),
                         ("XREADGROUP", "GROUP", "a", "a", "STREAMS", k, ">")],
}
# Stream arguments that must name what the seed made, to write something.
STRING_VALUES = {"id": "1-1", "start": "0", "last-id": "9-9", "threshold": "1"}


def norm(v):
    if isinstance(v, RespMap):
        return {norm(k): norm(x) for k, x in v}
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, bytes):
        return v.decode()
    return v


def value_for(arg):
    t = arg["type"]
    if t == "key":
        return None  # filled by the caller
    if arg["name"] == "timeout":
        return "0.01"  # a blocking pop on an empty key gives up at once
    if t == "integer":
        return "1"
    if t == "double":
        return "3"
    if t == "unix-time":
        return "4102444800"
    if t == "pattern":
        return "*"
    return STRING_VALUES.get(arg["name"], "a")


def build(args, keys):
    """The required arguments of a COMMAND DOCS argument list, as words; keys from the
    iterator `keys`."""
    words = []
    for a in args:
        if "optional" in a.get("flags", []):
            continue
        if a.get("token") and a["type"] != "pure-token":
            words.append(a["token"])
        t = a["type"]
        if t == "pure-token":
            words.append(a["token"])
        elif t == "oneof":
            words += build([dict(a["arguments"][0], flags=[])], keys)
        elif t == "block":
            words += build(a["arguments"], keys)
        elif t == "key":
            words.append(next(keys))
        else:
            words.append(value_for(a))
    return words


def write_commands(c):
    """[(name, group, [argument docs], number of key specs)] for every write command with keys."""
    c.cmd("HELLO", "3")
    names = norm(c.cmd("COMMAND", "LIST"))
    out = []
    seen = set()  # COMMAND LIST names subcommands too: each once (XGROUP CREATE...)
    for entry in norm(c.cmd("COMMAND", "INFO", *names)):
        for e in [entry] + (entry[9] or []):
            name, flags, specs = e[0], e[2], e[8]
            if "write" not in flags or not specs or name in seen:
                continue
            seen.add(name)
            docs = norm(c.cmd("COMMAND", "DOCS", *name.split("|")))
            doc = docs[name.split("|")[0]]
            if "|" in name:
                doc = doc["subcommands"][name]
            out.append((name, doc["group"], doc.get("arguments", [])))
    c.cmd("HELLO", "2")
    return sorted(out)


class Invocation:
    def __init__(self, name, group, args, prefix):
        self.name = name
        counter = iter("%s:k%d" % (prefix, i) for i in range(100))
        self.keys = []

        def keys():
            for k in counter:
                self.keys.append(k)
                yield k
        self.argv = name.upper().split("|") + build(args, keys())
        self.group = group

    def seed(self):
        # Generic commands (RENAME, COPY, MOVE...) get only their first key: the rest stays free.
        keys = self.keys[:1] if self.group == "generic" else self.keys
        cmds = []
        for k in keys:
            cmds += SEEDS.get(self.group, SEEDS["generic"])(k)
        return cmds


@STRATA_ONLY
class DurabilitySqliteTest(TierTestBase):
    BACKEND = "sqlite"

    def checkpointed(self, c):
        last = int(info(c, "persistence")["wal_last_lsn"])
        self.assertTrue(poll_until(lambda: int(info(c, "backend")["checkpoint_lsn"]) >= last, 20),
                        "no checkpoint reached LSN %d" % last)

    def seed(self, c, invocations):
        for inv in invocations:
            for cmd in inv.seed():
                c.cmd(*cmd)

    def test_no_reply_before_its_fsync_in_any_tier_state(self):
        args = ["--appendfsync", "always", "--checkpoint-interval", "50"]
        srv = self.start(args)
        c = self.conn(srv)
        commands = write_commands(c)
        self.assertGreater(len(commands), 60)
        plan = {}  # (state, pass) -> [Invocation]
        for state in STATES:
            for pass_ in ("probe", "timed"):
                plan[(state, pass_)] = [Invocation(n, g, a, "%s:%s:%s" % (n, state, pass_))
                                        for n, g, a in commands]
        # backend: seeded, checkpointed, then the restart leaves them only in the backend.
        self.seed(c, plan[("backend", "probe")] + plan[("backend", "timed")])
        self.checkpointed(c)
        c.close()
        self.assertEqual(srv.sigterm(), 0)
        srv = self.start(args)
        c = self.conn(srv)
        # memory and evicted: seeded and checkpointed; the evicted ones dropped from memory.
        evicted = plan[("evicted", "probe")] + plan[("evicted", "timed")]
        self.seed(c, plan[("memory", "probe")] + plan[("memory", "timed")] + evicted)
        self.checkpointed(c)
        for inv in evicted:
            for k in (inv.keys[:1] if inv.group == "generic" else inv.keys):
                self.assertEqual(c.cmd("DEBUG", "TIER-EVICT", k), 1, k)

        # Which invocations log a record (INFO wal_last_lsn moves), state by state.
        writes = {}
        for state in STATES:
            writes[state] = set()
            for inv in plan[(state, "probe")]:
                before = int(info(c, "persistence")["wal_last_lsn"])
                c.call(*inv.argv)
                if int(info(c, "persistence")["wal_last_lsn"]) > before:
                    writes[state].add(inv.name)
        for state in STATES:
            if state != "absent":  # on absent keys many commands write nothing (DEL, LPOP...)
                self.assertGreater(len(writes[state]), 0.8 * len(commands),
                                   "%s: only %d of %d commands wrote: %s" % (
                                       state, len(writes[state]), len(commands),
                                       sorted(set(n for n, _, _ in commands) - writes[state])))
            for must in ("set", "incr", "hset", "zadd", "lpush", "append",
                         "sadd" if state == "absent" else "srem"):
                self.assertIn(must, writes[state], state)
        for must in ("del", "expire", "rename", "lmove", "blmove", "smove", "zunionstore",
                     "getdel", "mset", "setex"):
            self.assertIn(must, writes["backend"])

        # The timed pass: every writing invocation at once, each on its own connection.
        self.assertEqual(c.cmd("DEBUG", "WAL-SYNC-DELAY", str(SYNC_DELAY_MS)), "OK")
        self.addCleanup(lambda: c.cmd("DEBUG", "WAL-SYNC-DELAY", "0"))
        early = []
        for state in STATES:
            invs = [inv for inv in plan[(state, "timed")] if inv.name in writes[state]]
            conns = [self.conn(srv) for _ in invs]
            results = [None] * len(invs)

            def run(i):
                t0 = time.monotonic()
                raw, _ = conns[i].call(*invs[i].argv)
                results[i] = (time.monotonic() - t0, raw)
            threads = [threading.Thread(target=run, args=(i,)) for i in range(len(invs))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            for inv, (elapsed, raw) in zip(invs, results):
                if elapsed < SYNC_DELAY_MS / 1000.0:
                    early.append("%s [%s] replied %.0f ms after it was sent: %r"
                                 % (" ".join(inv.argv), state, elapsed * 1000, raw[:60]))
            for cc in conns:
                cc.close()
        self.assertEqual(early, [], "replies released before their fsync:\n" + "\n".join(early))


if __name__ == "__main__":
    unittest.main()


@STRATA_ONLY
class ReadersWaitTest(TierTestBase):
    """Under appendfsync always no reply reveals a write that is not durable yet: a read of a
    key with a pending write waits for its fsync (also after a restart, for a key only in the
    backend that a blind SET wrote); a read of any other key does not wait."""
    BACKEND = "sqlite"

    def test_reads_wait_only_for_pending_writes_of_their_keys(self):
        args = ["--appendfsync", "always", "--checkpoint-interval", "50"]
        srv = self.start(args)
        c = self.conn(srv)
        c.pipeline([("SET", "cold:%d" % i, "v") for i in range(20)] + [("SET", "other", "o")])
        self.wait_checkpoint(c)
        c.close()
        self.assertEqual(srv.sigterm(), 0)
        srv = self.start(args)
        w, r = self.conn(srv), self.conn(srv)
        self.assertEqual(w.cmd("DEBUG", "WAL-SYNC-DELAY", str(SYNC_DELAY_MS)), "OK")
        self.addCleanup(lambda: w.cmd("DEBUG", "WAL-SYNC-DELAY", "0"))
        for i, read in enumerate([("GET", "%s"), ("EXISTS", "%s"), ("TYPE", "%s"),
                                  ("STRLEN", "%s"), ("MGET", "other", "%s")]):
            key = "cold:%d" % i
            w.send("SET", key, "new")  # blind: no read-through, logged, not yet durable
            time.sleep(0.05)
            t0 = time.monotonic()
            raw, _ = r.call(*[a % key if "%s" in a else a for a in read])
            waited = time.monotonic() - t0
            self.assertEqual(w.read_reply()[0], b"+OK\r\n")
            self.assertGreaterEqual(waited, (SYNC_DELAY_MS - 100) / 1000.0,
                                    "%s of a key with a pending write replied %r after %.0f ms"
                                    % (read[0], raw, waited * 1000))
        # Readers of other keys never wait for it.
        w.send("SET", "cold:10", "new")
        time.sleep(0.05)
        t0 = time.monotonic()
        self.assertEqual(r.cmd("GET", "other"), b"o")
        self.assertLess(time.monotonic() - t0, (SYNC_DELAY_MS - 100) / 1000.0)
        self.assertEqual(w.read_reply()[0], b"+OK\r\n")
