# Real Node.js clients doing what applications do with scripts: ioredis defineCommand and
# node-redis v4 defineScript / functions (tests/integration/node/scripts_clients.js). The npm
# packages are installed once into build/npm (npm's registry is reachable here; the install
# takes a few seconds). Skipped, and saying why, when node or the install is not available.
import json
import os
import shutil
import subprocess
import unittest

from harness import ServerTestCase

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
NPM_DIR = os.path.join(REPO, "build", "npm")
PACKAGES = ("ioredis@5", "redis@4")


def node_modules(packages=PACKAGES):
    """The node_modules folder with the packages, installing them if needed; None + reason."""
    if not shutil.which("node") or not shutil.which("npm"):
        return None, "node/npm not installed"
    mods = os.path.join(NPM_DIR, "node_modules")
    if all(os.path.isdir(os.path.join(mods, p.rsplit("@", 1)[0])) for p in packages):
        return mods, None
    os.makedirs(NPM_DIR, exist_ok=True)
    r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent",
                        "--prefix", NPM_DIR] + list(packages),
                       capture_output=True, text=True, timeout=240)
    if r.returncode != 0:
        return None, "npm install failed: " + (r.stderr or r.stdout)[-300:]
    return mods, None


class NodeScriptClientsTest(ServerTestCase):
    strata_only_args = ["--threads", "2"]

    def test_ioredis_and_node_redis_scripts(self):
        mods, why = node_modules()
        if mods is None:
            self.skipTest(why)
        env = dict(os.environ, NODE_PATH=mods)
        r = subprocess.run(["node", os.path.join(HERE, "node", "scripts_clients.js"),
                            str(self.server.port)], capture_output=True, text=True, timeout=60,
                           env=env)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        out = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertEqual(out["io_first"], 1)
        self.assertEqual(out["io_after_flush"], 1)
        self.assertEqual(out["io_refused"], 0)
        self.assertEqual(out["io_pipeline"], [1, 1, 1, 1, 1, "35"])
        self.assertEqual(out["io_eval"], ["io:b", "x", "65"])
        self.assertIn("ERR value is not an integer or out of range", out["io_error"])
        self.assertEqual(out["nr_script"], 10)
        self.assertEqual(out["nr_after_flush"], 12)
        self.assertEqual(out["nr_function_load"], "nrlib")
        self.assertEqual(out["nr_fcall"], 24)
        self.assertEqual(out["nr_multi"], [26, "26"])


if __name__ == "__main__":
    unittest.main()
