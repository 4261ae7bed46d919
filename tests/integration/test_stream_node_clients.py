# BullMQ (from npm) on streams and scripts: a queue of jobs processed by a worker, a delayed job,
# a job that fails once and succeeds on its retry, and QueueEvents reading the queue's event
# stream with blocking XREAD (tests/integration/node/bullmq_queue.js). Two worker threads, so
# the blocked reader and the writers land on different threads. Skipped, saying why, when node
# or the npm install is not available.
import json
import os
import subprocess

from harness import ServerTestCase
from test_script_node_clients import HERE, node_modules


class BullMqTest(ServerTestCase):
    strata_only_args = ["--threads", "2"]

    def test_queue_worker_delay_and_retry(self):
        mods, why = node_modules(("ioredis@5", "redis@4", "bullmq@5"))
        if mods is None:
            self.skipTest(why)
        env = dict(os.environ, NODE_PATH=mods)
        r = subprocess.run(["node", os.path.join(HERE, "node", "bullmq_queue.js"),
                            str(self.server.port)], capture_output=True, text=True, timeout=90,
                           env=env)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        out = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertEqual(out["sums"], [100 + i for i in range(10)])
        self.assertEqual(out["delayed"], 3)
        self.assertGreaterEqual(out["delayedAfterMs"], 700)  # not run before its delay
        self.assertEqual(out["flaky"], 10)
        self.assertEqual(out["flakyAttempts"], 2)
        self.assertEqual(out["attempts"], {"add": 10, "flaky": 2, "later": 1})
        self.assertEqual(out["counts"]["completed"], 12)
        self.assertEqual(out["counts"]["failed"], 0)
        self.assertEqual(out["completedEvents"], 12)  # every completion seen on the event stream
