# Interactive redis-cli in a real terminal (tmux): the prompt, command hints built from
# COMMAND DOCS, and a short session. Runs against either server kind.
import shutil
import subprocess
import time
import unittest

from harness import ServerTestCase


def tmux(*args):
    r = subprocess.run(["tmux"] + list(args), capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("tmux %s failed: %s" % (" ".join(args[:1]), r.stderr.strip()))
    return r.stdout


def start_session(name, command):
    # The tmux server of a just-killed last session may still be exiting: retry briefly.
    for attempt in range(20):
        try:
            return tmux("new-session", "-d", "-s", name, "-x", "220", "-y", "30", command)
        except RuntimeError:
            if attempt == 19:
                raise
            time.sleep(0.1)


@unittest.skipIf(shutil.which("tmux") is None, "tmux not installed")
class InteractiveCliTest(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.session = "strata-cli-%d-%s" % (self.server.port, self._testMethodName)
        start_session(self.session, "redis-cli -p %d" % self.server.port)
        self.addCleanup(lambda: subprocess.run(["tmux", "kill-session", "-t", self.session],
                                               capture_output=True))
        self.wait_for(lambda screen: "127.0.0.1:%d>" % self.server.port in screen)

    def screen(self):
        return tmux("capture-pane", "-t", self.session, "-p")

    def wait_for(self, pred, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen()
            if pred(s):
                return s
            time.sleep(0.05)
        self.fail("terminal never showed what was expected; screen:\n" + self.screen())

    def type(self, text):
        tmux("send-keys", "-t", self.session, "C-u", text)

    def test_hints_come_from_command_docs(self):
        cases = {
            "set ": "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds"
                    "|PXAT unix-time-milliseconds|KEEPTTL]",
            "expire k ": "seconds [NX|XX|GT|LT]",
            "scan 0 ": "[MATCH pattern] [COUNT count] [TYPE type]",
            "config get ": "parameter [parameter ...]",
        }
        for typed, hint in cases.items():
            with self.subTest(typed=typed):
                self.type(typed)
                self.wait_for(lambda s: hint in s)

    def test_session(self):
        self.type("set greeting hello")
        tmux("send-keys", "-t", self.session, "Enter")
        self.wait_for(lambda s: "OK" in s)
        self.type("get greeting")
        tmux("send-keys", "-t", self.session, "Enter")
        self.wait_for(lambda s: '"hello"' in s)
        self.type("incr greeting")
        tmux("send-keys", "-t", self.session, "Enter")
        self.wait_for(lambda s: "(error) ERR value is not an integer or out of range" in s)


if __name__ == "__main__":
    unittest.main()
