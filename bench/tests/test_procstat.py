"""/proc parsers: process stat lines and diskstats."""
import unittest

import context  # noqa: F401  (puts bench/ on sys.path)
from strata_bench import procstat

# A real-shaped line; comm with a space and a parenthesis.
STAT = ("2317 (strata (w 1)) S 1 2317 2317 0 -1 4194560 1000 0 0 0 "
        "150 40 0 0 20 0 3 0 123456 100000000 1500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 "
        "0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0")


class StatTest(unittest.TestCase):
    def test_fields(self):
        st = procstat.parse_stat(STAT)
        self.assertEqual(st["comm"], "strata (w 1)")
        self.assertEqual(st["state"], "S")
        self.assertEqual(st["utime"], 150)
        self.assertEqual(st["stime"], 40)
        self.assertEqual(st["num_threads"], 3)
        self.assertEqual(st["processor"], 1)

    def test_own_process(self):
        import os
        with open("/proc/%d/stat" % os.getpid()) as f:
            st = procstat.parse_stat(f.read())
        self.assertGreaterEqual(st["utime"] + st["stime"], 0)
        self.assertGreaterEqual(procstat.process_cpu_seconds(os.getpid()), 0)

    def test_cpu_by_core(self):
        before = {1: (100, 0, "a"), 2: (50, 1, "b")}
        after = {1: (150, 0, "a"), 2: (50, 1, "b"), 3: (20, 1, "c")}  # thread 3 is new
        out = procstat.cpu_by_core(before, after)
        self.assertAlmostEqual(out[0], 50 / procstat.CLK_TCK)
        self.assertAlmostEqual(out[1], 20 / procstat.CLK_TCK)


DISKSTATS = (
    "   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    " 254       0 vda 100412 29615 4966258 54696 42650 27619 16514552 33139 0 21496 91114 "
    "9135 30 13773368 3222 1646 55\n"
    "   8       1 sda1 10 0 80 1 20 0 160 2 0 3 3\n")


class DiskstatsTest(unittest.TestCase):
    def test_parse(self):
        d = procstat.parse_diskstats(DISKSTATS)
        self.assertEqual(d["vda"], {"reads": 100412, "writes": 42650,
                                    "sectors_written": 16514552, "flushes": 1646})
        self.assertIsNone(d["sda1"]["flushes"])  # old kernel: no flush fields
        self.assertEqual(d["loop0"]["writes"], 0)

    def test_rates(self):
        b = {"reads": 0, "writes": 10, "sectors_written": 100, "flushes": 5}
        a = {"reads": 0, "writes": 30, "sectors_written": 2148, "flushes": 15}
        r = procstat.disk_rates(b, a, 2.0)
        self.assertEqual(r, {"disk_writes_per_s": 10.0, "disk_flushes_per_s": 5.0,
                             "disk_write_kib_per_s": 512.0})
        self.assertEqual(procstat.disk_rates(None, a, 2.0)["disk_writes_per_s"], None)


if __name__ == "__main__":
    unittest.main()
