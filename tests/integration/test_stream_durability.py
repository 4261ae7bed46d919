# Streams and the write-ahead log under SIGKILL: entries added with "*" (the log holds the IDs
# they got), approximate trims (logged as the exact trim they amounted to), and consumer-group
# work (deliveries, acks, claims, a destroyed group) come back exactly after a crash, and the
# streams keep working (new IDs above the old ones, groups serving where they stopped).
import unittest

from harness import server_kind
from test_wal import WalTestBase

STRATA_ONLY = unittest.skipUnless(server_kind() == "strata", "strata's write-ahead log")


def stream_state(c, key, groups):
    """Everything a client can see of a stream and its groups, idle times aside."""
    info = dict(zip(*[iter(c.cmd("XINFO", "STREAM", key))] * 2))
    state = {"entries": c.cmd("XRANGE", key, "-", "+"),
             "info": {k: v for k, v in info.items() if k != b"radix-tree-nodes"},
             "groups": c.cmd("XINFO", "GROUPS", key)}
    for g in groups:
        state["pending " + g] = [r[:2] + r[3:] for r in c.cmd("XPENDING", key, g, "-", "+", 1000)]
        state["consumers " + g] = [dict(zip(*[iter(x)] * 2)).get(b"pending")
                                   for x in c.cmd("XINFO", "CONSUMERS", key, g)]
    return state


@STRATA_ONLY
class StreamCrashTest(WalTestBase):
    def test_streams_and_groups_survive_sigkill(self):
        srv = self.start(["--appendfsync", "always", "--threads", "2"])
        c = self.conn(srv)
        for i in range(500):
            c.cmd("XADD", "events", "MAXLEN", "~", "300", "*", "n", i)
        c.cmd("XGROUP", "CREATE", "events", "workers", "0")
        c.cmd("XGROUP", "CREATE", "events", "audit", "$")
        c.cmd("XGROUP", "CREATE", "events", "gone", "0")
        for w in ("w1", "w2", "w3"):
            c.cmd("XREADGROUP", "GROUP", "workers", w, "COUNT", 40, "STREAMS", "events", ">")
        pending = c.cmd("XPENDING", "events", "workers", "-", "+", 1000)
        c.cmd("XACK", "events", "workers", *[p[0] for p in pending[:50]])
        c.cmd("XCLAIM", "events", "workers", "w4", 0, pending[60][0], pending[61][0])
        c.cmd("XAUTOCLAIM", "events", "workers", "w5", 0, pending[90][0], "COUNT", 5)
        c.cmd("XDEL", "events", pending[100][0])
        c.cmd("XGROUP", "DESTROY", "events", "gone")
        c.cmd("XADD", "events", "*", "n", "last")
        c.cmd("XREADGROUP", "GROUP", "audit", "a1", "STREAMS", "events", ">")
        before = stream_state(c, "events", ("workers", "audit"))
        self.assertEqual(len(before["pending workers"]), 120 - 50)
        last = before["info"][b"last-generated-id"]
        srv.kill9()

        srv2 = self.start(["--appendfsync", "always", "--threads", "2"])
        c2 = self.conn(srv2)
        self.assertEqual(stream_state(c2, "events", ("workers", "audit")), before)
        self.assertEqual(c2.call("XPENDING", "events", "gone")[0][:8], b"-NOGROUP")
        new_id = c2.cmd("XADD", "events", "*", "n", "after")
        ms, seq = (int(x) for x in new_id.split(b"-"))
        lms, lseq = (int(x) for x in last.split(b"-"))
        self.assertGreater((ms, seq), (lms, lseq))
        # The group goes on after the last entry it delivered before the crash.
        delivered = dict(zip(*[iter(before["groups"][1])] * 2))[b"last-delivered-id"]
        following = c2.cmd("XRANGE", "events", b"(" + delivered, "+", "COUNT", 1)
        got = c2.cmd("XREADGROUP", "GROUP", "workers", "w1", "COUNT", 1, "STREAMS", "events", ">")
        self.assertEqual(got[0][1][0][0], following[0][0])


if __name__ == "__main__":
    unittest.main()
