"""callgrind totals."""
import unittest

import context  # noqa: F401  (puts bench/ on sys.path)
from strata_bench import callgrind

SAMPLE = """# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 4242
cmd:  /usr/bin/redis-server --port 1
part: 1

desc: I1 cache:
positions: line
events: Ir
summary: 191374684

fl=(1) ???
fn=(1) 0x0000000000001100
0 3
totals: 191374684
"""


class CallgrindTest(unittest.TestCase):
    def test_totals(self):
        self.assertEqual(callgrind.parse_totals(SAMPLE), 191374684)

    def test_event_column(self):
        text = "events: Dr Ir Dw\nsummary: 1 2 3\ntotals: 10 20 30\n"
        self.assertEqual(callgrind.parse_totals(text), 20)
        self.assertEqual(callgrind.parse_totals(text, "Dw"), 30)

    def test_summary_only_and_parts_summed(self):
        self.assertEqual(callgrind.parse_totals("events: Ir\nsummary: 5\n"), 5)
        two = "events: Ir\npart: 1\ntotals: 5\npart: 2\ntotals: 7\n"
        self.assertEqual(callgrind.parse_totals(two), 12)

    def test_nothing(self):
        self.assertIsNone(callgrind.parse_totals("events: Ir\n"))


if __name__ == "__main__":
    unittest.main()
