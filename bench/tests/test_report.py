"""Aggregation, pairing and table rendering; CPU lists and the default core split."""
import unittest

import context  # noqa: F401  (puts bench/ on sys.path)
from strata_bench import loader, meta, progress, report, resp


class ReportTest(unittest.TestCase):
    RECS = [
        dict(server="strata", test="set", pipeline=1, rep=0, status="ok", rps=100.0),
        dict(server="strata", test="set", pipeline=1, rep=1, status="ok", rps=120.0),
        dict(server="strata", test="set", pipeline=1, rep=2, status="ok", rps=90.0),
        dict(server="redis", test="set", pipeline=1, rep=0, status="ok", rps=80.0),
        dict(server="strata", test="hset", pipeline=1, rep=0, status="unsupported", rps=None,
             error="ERR unknown command"),
        dict(server="redis", test="hset", pipeline=1, rep=0, status="ok", rps=70.0),
    ]

    def test_aggregate_medians(self):
        agg = report.aggregate(self.RECS, ("server", "test", "pipeline"), ("rps",))
        s = agg[0]
        self.assertEqual((s["server"], s["rps"], s["rps_min"], s["rps_max"], s["n"]),
                         ("strata", 100.0, 90.0, 120.0, 3))
        hs = [r for r in agg if r["test"] == "hset" and r["server"] == "strata"][0]
        self.assertEqual((hs["status"], hs["rps"]), ("unsupported", None))
        self.assertEqual(hs["error"], "ERR unknown command")

    def test_pair_and_ratio(self):
        agg = report.aggregate(self.RECS, ("server", "test", "pipeline"), ("rps",))
        pairs = report.pair(agg, ("test", "pipeline"))
        self.assertEqual([p[0] for p in pairs], [("set", 1), ("hset", 1)])
        k, s, d = pairs[0]
        self.assertAlmostEqual(report.ratio(s["rps"], d["rps"]), 1.25)
        self.assertIsNone(report.ratio(None, 1))
        self.assertIsNone(report.ratio(1, 0))

    def test_tables(self):
        t = report.text_table(["a", "bb"], [["x", "1"], ["yyy", "22"]])
        self.assertEqual(t.splitlines(), ["a    bb", "---  --", "x     1", "yyy  22"])
        m = report.md_table(["a", "b"], [["x|y", 1]])
        self.assertEqual(m.splitlines(), ["| a | b |", "|---|---:|", "| x\\|y | 1 |"])

    def test_fmt(self):
        self.assertEqual(report.fmt(1234567.8), "1,234,568")
        self.assertEqual(report.fmt(None), "-")
        self.assertEqual(report.fmt_ratio(0.6666), "0.67")


class MetaTest(unittest.TestCase):
    def test_cpu_lists(self):
        self.assertEqual(meta.parse_cpu_list("0-2,5"), [0, 1, 2, 5])
        self.assertEqual(meta.parse_cpu_list("3"), [3])
        self.assertEqual(meta.format_cpu_list([5, 0, 1, 2]), "0-2,5")
        self.assertEqual(meta.format_cpu_list([1]), "1")

    def test_default_split(self):
        self.assertEqual(meta.default_cpu_split([0]), ("0", "0"))
        self.assertEqual(meta.default_cpu_split([0, 1]), ("0", "1"))
        s, c = meta.default_cpu_split(list(range(8)))
        self.assertFalse(set(meta.parse_cpu_list(s)) & set(meta.parse_cpu_list(c)))
        self.assertEqual(len(meta.parse_cpu_list(s)) + len(meta.parse_cpu_list(c)), 8)


class LoaderTest(unittest.TestCase):
    def test_fixed_sizes(self):
        self.assertEqual(loader.fixed(b"k", 42, 16), b"k000000000000042")
        with self.assertRaises(ValueError):
            loader.fixed(b"k", 12345, 4)

    def test_commands_are_valid_resp(self):
        for vtype in ("string", "list", "hash", "set", "zset", "stream"):
            cmds = list(loader.commands(vtype, 200, 100, 16, 16))
            total = sum(k for _, k in cmds)
            self.assertEqual(total, 200, vtype)
            for payload, k in cmds:
                args, pos = resp.parse_reply(payload)
                self.assertEqual(pos, len(payload))
                self.assertEqual(args[0].decode(), loader.COMMANDS[vtype])
                self.assertEqual(len(args[1]), 16)

    def test_big_collections_split(self):
        cmds = list(loader.commands("list", 5000, 5000, 16, 16))
        self.assertEqual(len(cmds), 3)  # 2000 + 2000 + 1000 elements
        self.assertEqual(sum(k for _, k in cmds), 5000)


class ProgressTest(unittest.TestCase):
    def test_durations(self):
        self.assertEqual(progress.fmt_duration(65), "1:05")
        self.assertEqual(progress.fmt_duration(3725), "1:02:05")
        self.assertEqual(progress.fmt_duration(None), "?")


if __name__ == "__main__":
    unittest.main()
