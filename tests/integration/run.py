#!/usr/bin/python3
# Runs every tests/integration/test_*.py with unittest against STRATA_SERVER_KIND (strata by
# default, or redis) and ends with exactly one summary line:
#   N passed, M failed[, K skipped]
# A test counts once: failed if it or any of its subtests failed or errored, skipped if skipped,
# passed otherwise. A class or module set-up failure counts every test it kept from running as
# failed. Exit code 0 iff nothing failed.
#
# Usage: /usr/bin/python3 tests/integration/run.py [-q] [-k PATTERN] [test_module ...]
import argparse
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class CountingResult(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome = {}        # test id -> "pass" | "fail" | "skip"
        self.holder_fail = []    # descriptions of set-up/tear-down errors outside any test
        self.holder_skip = []

    def _mark(self, test, what):
        tid = test.id()
        if self.outcome.get(tid) == "fail":
            return
        self.outcome[tid] = what

    def startTest(self, test):
        super().startTest(test)
        self.outcome.setdefault(test.id(), "pass")

    def addError(self, test, err):
        super().addError(test, err)
        if isinstance(test, unittest.TestCase):
            self._mark(test, "fail")
        else:  # _ErrorHolder: setUpClass / setUpModule / tearDownClass ...
            self.holder_fail.append(test.description)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._mark(test, "fail")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._mark(test, "fail")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        if isinstance(test, unittest.TestCase):
            self._mark(test, "skip")
        else:
            self.holder_skip.append(test.description)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._mark(test, "pass")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._mark(test, "fail")


def all_test_ids(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from all_test_ids(item)
        else:
            yield item.id()


def holder_scope(description):
    """'setUpClass (test_x.Cls)' -> 'test_x.Cls.'; 'setUpModule (test_x)' -> 'test_x.'."""
    m = re.search(r"\(([\w.]+)\)", description)
    return m.group(1) + "." if m else None


def summarize(suite_ids, result):
    outcome = dict(result.outcome)
    for desc in result.holder_skip:
        scope = holder_scope(desc)
        for tid in suite_ids:
            if scope and tid.startswith(scope) and tid not in outcome:
                outcome[tid] = "skip"
    extra_failed = 0
    for desc in result.holder_fail:
        scope = holder_scope(desc)
        hit = [tid for tid in suite_ids if scope and tid.startswith(scope) and tid not in outcome]
        for tid in hit:
            outcome[tid] = "fail"
        if not hit:
            extra_failed += 1  # e.g. tearDownClass failed after its tests passed
    for tid in suite_ids:
        outcome.setdefault(tid, "fail")  # never ran and no reason given
    passed = sum(1 for v in outcome.values() if v == "pass")
    failed = sum(1 for v in outcome.values() if v == "fail") + extra_failed
    skipped = sum(1 for v in outcome.values() if v == "skip")
    return passed, failed, skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-q", "--quiet", action="store_true", help="dots instead of one line per test")
    ap.add_argument("-k", dest="patterns", action="append",
                    help="only tests matching this substring/glob (unittest -k)")
    ap.add_argument("modules", nargs="*", help="test modules (default: all test_*.py)")
    args = ap.parse_args()

    sys.path.insert(0, HERE)
    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = [p if "*" in p else "*%s*" % p for p in args.patterns]
    if args.modules:
        names = [os.path.splitext(os.path.basename(m))[0] for m in args.modules]
        suite = loader.loadTestsFromNames(names)
    else:
        suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    suite_ids = list(all_test_ids(suite))

    kind = os.environ.get("STRATA_SERVER_KIND", "strata")
    print("integration tests against STRATA_SERVER_KIND=%s (%d tests)" % (kind, len(suite_ids)),
          flush=True)
    # Everything on stdout so the summary line is reliably the last line of the output.
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=1 if args.quiet else 2,
                                     resultclass=CountingResult)
    result = runner.run(suite)
    sys.stdout.flush()
    passed, failed, skipped = summarize(suite_ids, result)
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line, flush=True)
    return 0 if failed == 0 and result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
