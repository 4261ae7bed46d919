"""The tier mode's pure helpers: key names and payloads, the first-touch share, the checkpoint
condition, INFO deltas, the interleaved plan, per-repetition ratios and the tables."""
import math
import random
import unittest

import context  # noqa: F401  (puts bench/ on sys.path)
from strata_bench import resp
from strata_bench.modes import tier


class KeysTest(unittest.TestCase):
    def test_key_name_matches_redis_benchmark(self):
        # redis-benchmark -r replaces __rand_int__ in key:__rand_int__ with %012d.
        self.assertEqual(tier.key_name(42), b"key:000000000042")
        self.assertEqual(tier.key_name(199999), b"key:000000199999")

    def test_value_for(self):
        self.assertEqual(len(tier.value_for(7, 100)), 100)
        self.assertTrue(tier.value_for(7, 100).startswith(b"000000000007:000000000007:"))
        self.assertEqual(tier.value_for(7, 5), b"00000")
        self.assertEqual(tier.value_for(7, 0), b"")
        self.assertNotEqual(tier.value_for(1, 100), tier.value_for(2, 100))

    def test_set_payload_is_resp(self):
        want = (resp.encode_command("SET", tier.key_name(3), tier.value_for(3, 20))
                + resp.encode_command("SET", tier.key_name(4), tier.value_for(4, 20)))
        self.assertEqual(tier.set_payload(3, 2, size=20), want)
        self.assertEqual(tier.set_payload(0, 1, value=b"xxx"),
                         resp.encode_command("SET", "key:000000000000", "xxx"))
        self.assertEqual(tier.set_payload(5, 0, size=3), b"")


class FirstTouchTest(unittest.TestCase):
    def test_formula(self):
        # n = K/4: 1 - e^-0.25 of K distinct, / n  -> ~0.885
        self.assertAlmostEqual(tier.first_touch_fraction(50000, 200000),
                               4 * (1 - math.exp(-0.25)), places=3)
        self.assertAlmostEqual(tier.first_touch_fraction(1, 1000), 1.0)
        self.assertEqual(tier.first_touch_fraction(10, 1), 0.1)
        self.assertIsNone(tier.first_touch_fraction(0, 10))

    def test_against_simulation(self):
        rnd = random.Random(1)
        k, n = 2000, 1000
        sims = []
        for _ in range(20):
            sims.append(len({rnd.randrange(k) for _ in range(n)}) / n)
        self.assertAlmostEqual(sum(sims) / len(sims), tier.first_touch_fraction(n, k), places=2)


class CheckpointTest(unittest.TestCase):
    OK = {"checkpoint_backlog_keys": 0, "checkpoint_backlog_lsns": 0, "checkpoint_lsn": 200000}

    def test_settled(self):
        self.assertTrue(tier.checkpoint_settled(self.OK))
        self.assertTrue(tier.checkpoint_settled(self.OK, 200000))
        self.assertFalse(tier.checkpoint_settled(self.OK, 200001))
        self.assertFalse(tier.checkpoint_settled(dict(self.OK, checkpoint_backlog_keys=3)))
        self.assertFalse(tier.checkpoint_settled(dict(self.OK, checkpoint_backlog_lsns=1)))
        self.assertFalse(tier.checkpoint_settled({}))
        self.assertFalse(tier.checkpoint_settled(None))
        # An INFO without the field (backlog_keys missing) is not "settled".
        self.assertFalse(tier.checkpoint_settled({"checkpoint_backlog_lsns": 0}))

    def test_deltas(self):
        b = {"readthrough_keys": 10, "readthrough_loads": 5, "checkpoints": 1}
        a = {"readthrough_keys": 35, "readthrough_loads": 9, "checkpoints": 1, "x": 3}
        d = tier.backend_deltas(b, a)
        self.assertEqual((d["readthrough_keys"], d["readthrough_loads"], d["checkpoints"]),
                         (25, 4, 0))
        self.assertIsNone(d["readthrough_errors"])
        self.assertIsNone(tier.backend_deltas({}, a)["readthrough_keys"])


class PlanTest(unittest.TestCase):
    def test_interleaving(self):
        plan = tier.hit_plan(["none", "sqlite", "redis"], 2, [16, 1], ["set", "get"])
        self.assertEqual(len(plan), 2 * 2 * 2 * 3)
        self.assertEqual([c for r, p, t, c in plan[:3]], ["none", "sqlite", "redis"])
        self.assertEqual(plan[0][:3], (0, 16, "set"))
        self.assertEqual(plan[3][:3], (0, 16, "get"))
        second = [x for x in plan if x[0] == 1]
        self.assertEqual([c for r, p, t, c in second[:3]], ["redis", "sqlite", "none"])

    def test_labels_and_directives(self):
        self.assertEqual(tier.config_label("mysql", 4), "mysql pool=4")
        self.assertEqual(tier.config_label("sqlite"), "sqlite")
        self.assertEqual(tier.tier_directives("none"), ["--backend", "none"])

        class Db:
            socket, user, password = "/tmp/s.sock", "u", "p"
        self.assertEqual(tier.tier_directives("mysql", Db(), "d", 20),
                         ["--backend", "mysql", "--mysql-socket", "/tmp/s.sock",
                          "--mysql-user", "u", "--mysql-password", "p", "--mysql-database", "d",
                          "--mysql-pool-size", "20"])


def _rec(config, rep, rps, test="get", pipeline=16, part="hit", status="ok", **kw):
    return dict(part=part, config=config, rep=rep, rps=rps, test=test, pipeline=pipeline,
                status=status, **kw)


class TablesTest(unittest.TestCase):
    RECS = [
        _rec("none", 0, 100.0, server_cpu_us_per_req=1.0, total_cpu_us_per_req=1.0),
        _rec("sqlite", 0, 95.0, server_cpu_us_per_req=1.1, total_cpu_us_per_req=1.5),
        _rec("redis", 0, 50.0),
        _rec("none", 1, 110.0), _rec("sqlite", 1, 99.0), _rec("redis", 1, 55.0),
        _rec("none", 2, 90.0), _rec("sqlite", 2, 90.0, status="error", error="x"),
        _rec("redis", 2, 45.0),
    ]

    def test_per_rep_ratios(self):
        rr = tier.per_rep_ratios(self.RECS, "sqlite", "none")
        self.assertEqual(sorted(round(x, 3) for x in rr[("get", 16)]), [0.9, 0.95])
        rr = tier.per_rep_ratios(self.RECS, "none", "redis")
        self.assertEqual(sorted(rr[("get", 16)]), [2.0, 2.0, 2.0])

    def test_formatting(self):
        self.assertEqual(tier.fmt_ratio_range(0.97, [0.95, 0.99]), "0.97 (0.95-0.99)")
        self.assertEqual(tier.fmt_ratio_range(0.97, [0.97]), "0.97")
        self.assertEqual(tier.fmt_ratio_range(None, []), "-")
        row = {"rps": 1000.0, "rps_min": 900.0, "rps_max": 1100.0, "n": 3}
        self.assertEqual(tier.fmt_range(row, "rps"), "1,000 (900-1,100)")
        self.assertEqual(tier.fmt_range(dict(row, n=1), "rps"), "1,000")
        self.assertEqual(tier.fmt_range(None, "rps"), "-")

    def test_hit_rows(self):
        headers, rows = tier.hit_rows(self.RECS)
        self.assertEqual(headers[:5], ["test", "-P", "none rps", "sqlite rps", "redis rps"])
        self.assertIn("sqlite/none", headers)
        self.assertIn("none/redis", headers)
        self.assertEqual(len(rows), 1)
        row = dict(zip(headers, rows[0]))
        self.assertEqual(row["none rps"], "100 (90-110)")
        self.assertEqual(row["sqlite rps"], "97 (95-99)")  # the error point is left out
        self.assertEqual(row["sqlite/none"], "0.97 (0.90-0.95)")
        self.assertEqual(row["none/redis"], "2.00 (2.00-2.00)")
        self.assertEqual(row["CPU us/req n/s/r"], "1.00 / 1.10 / -")
        self.assertEqual(row["incl. write-behind n/s/r"], "1.00 / 1.50 / -")
        self.assertEqual(tier.hit_rows(self.RECS, "absent"), ([], []))

    def test_miss_and_mixed_rows(self):
        recs = [_rec("sqlite", r, 30000.0 + r, part="miss", readthroughs_per_s=26000.0,
                     miss_fraction=0.88, p50_latency_ms=1.2, p99_latency_ms=5.0,
                     server_cpu_pct=90.0, others_on_server_cpus_pct=5.0, restart_s=0.1,
                     backend_only_keys=200000) for r in range(3)]
        recs.append(_rec("mysql", 0, None, part="miss", status="unsupported", error="no db"))
        rows = tier.miss_rows(recs)
        self.assertEqual(rows[0][:4], ["sqlite", 3, "30,001 (30,000-30,002)", "26,000"])
        self.assertEqual(rows[1][:3], ["mysql", 0, "unsupported"])
        self.assertEqual(len(rows[1]), len(tier.MISS_HEADERS))
        mixed = [_rec("sqlite", 0, 80000.0, part="mixed", load="alone", p50_latency_ms=0.3,
                      p99_latency_ms=0.5, max_latency_ms=4.0, readthroughs_per_s=0.0,
                      client_cpu_pct=97.0),
                 _rec("sqlite", 0, 40000.0, part="mixed", load="with misses",
                      p50_latency_ms=1.0, p99_latency_ms=2.5, max_latency_ms=6.0,
                      readthroughs_per_s=19000.0, client_cpu_pct=47.0)]
        rows = tier.mixed_rows(mixed)
        self.assertEqual(rows[0][8], "-")
        self.assertEqual(rows[1][8], "5.00")
        self.assertEqual(len(rows[1]), len(tier.MIXED_HEADERS))


if __name__ == "__main__":
    unittest.main()
