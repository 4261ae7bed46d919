"""redis-benchmark output parsers: --csv, the default text output, p99.9 from the distribution."""
import unittest

from context import data
from strata_bench import rbench


class CsvTest(unittest.TestCase):
    def test_real_7_0_output(self):
        rows = rbench.parse_csv(data("rb-csv-7.0.15.csv"))
        self.assertEqual([r["test"] for r in rows], ["SET", "GET", "INCR"])
        self.assertEqual(rows[0]["rps"], 56818.18)
        self.assertEqual(rows[0]["avg_latency_ms"], 0.579)
        self.assertEqual(rows[0]["min_latency_ms"], 0.168)
        self.assertEqual(rows[0]["p50_latency_ms"], 0.567)
        self.assertEqual(rows[0]["p95_latency_ms"], 0.823)
        self.assertEqual(rows[0]["p99_latency_ms"], 0.959)
        self.assertEqual(rows[0]["max_latency_ms"], 4.391)
        self.assertIsNone(rows[0]["p999_latency_ms"])  # not in the CSV

    def test_header_only_means_no_rows(self):
        # What redis-benchmark prints when the server answers the first request with an error.
        self.assertEqual(rbench.parse_csv(
            '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",'
            '"p99_latency_ms","max_latency_ms"\n'), [])

    def test_test_name_with_comma_and_spaces(self):
        rows = rbench.parse_csv('"LRANGE_100 (first 100 elements), x","1000.00","0.1","0.1",'
                                '"0.1","0.2","0.3","0.4"\n')
        self.assertEqual(rows[0]["test"], "LRANGE_100 (first 100 elements), x")
        self.assertEqual(rows[0]["max_latency_ms"], 0.4)

    def test_old_two_column_rows_and_noise(self):
        text = 'WARNING: could not fetch server CONFIG\r\n"SET","1234.50"\n"GET","99.00"\n'
        rows = rbench.parse_csv(text)
        self.assertEqual([(r["test"], r["rps"]) for r in rows], [("SET", 1234.5), ("GET", 99.0)])
        self.assertIsNone(rows[0]["p50_latency_ms"])

    def test_empty(self):
        self.assertEqual(rbench.parse_csv(""), [])


class TextTest(unittest.TestCase):
    def test_real_7_0_output(self):
        rows = rbench.parse_text(data("rb-text-7.0.15.txt"))
        self.assertEqual([r["test"] for r in rows], ["SET", "GET"])
        s = rows[0]
        self.assertEqual(s["rps"], 194174.75)
        self.assertEqual((s["avg_latency_ms"], s["min_latency_ms"], s["p50_latency_ms"],
                          s["p95_latency_ms"], s["p99_latency_ms"], s["max_latency_ms"]),
                         (0.683, 0.128, 0.639, 0.975, 2.351, 4.311))
        # 20000 requests: p99.9 needs 19980; the first step reaching it is 99.902% (19984).
        self.assertEqual(s["p999_latency_ms"], 4.271)
        self.assertEqual(s["requests_completed"], 20000)
        self.assertEqual(rows[1]["p999_latency_ms"], 4.479)

    def test_progress_lines_with_carriage_returns(self):
        text = ("SET: rps=0.0 (overall: -nan) avg_msec=-nan (overall: -nan)\r   \r"
                "====== SET ======\n  3008 requests completed in 0.01 seconds\n\n"
                "Latency by percentile distribution:\n"
                "0.000% <= 0.647 milliseconds (cumulative count 48)\n"
                "50.000% <= 1.783 milliseconds (cumulative count 1648)\n"
                "100.000% <= 2.831 milliseconds (cumulative count 3000)\n\n"
                "Summary:\n  throughput summary: 501333.34 requests per second\n"
                "  latency summary (msec):\n"
                "          avg       min       p50       p95       p99       max\n"
                "        1.409     0.640     1.783     2.159     2.831     2.831\n")
        rows = rbench.parse_text(text)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["rps"], 501333.34)
        self.assertEqual(rows[0]["requests_completed"], 3008)
        self.assertEqual(rows[0]["p999_latency_ms"], 2.831)
        self.assertEqual(rows[0]["p99_latency_ms"], 2.831)

    def test_block_cut_short_is_dropped(self):
        text = "====== SET ======\n  100 requests completed in 0.01 seconds\n"
        self.assertEqual(rbench.parse_text(text), [])

    def test_csv_and_text_agree_on_the_summary_fields(self):
        # Same numbers, two formats: what the CSV has, the text parser must give identically.
        text_rows = rbench.parse_text(data("rb-text-7.0.15.txt"))
        csv_line = ('"SET","194174.75","0.683","0.128","0.639","0.975","2.351","4.311"\n')
        csv_row = rbench.parse_csv(csv_line)[0]
        for k in rbench.CSV_FIELDS:
            self.assertEqual(text_rows[0][k], csv_row[k], k)


class PercentileTest(unittest.TestCase):
    def test_exact_when_a_step_reaches_it(self):
        pts = [(0.0, 0.1, 10), (50.0, 0.5, 600), (75.0, 0.9, 999), (87.5, 1.5, 1000),
               (100.0, 1.5, 1000)]
        # 99.9% of 1000 = 999: the 75% step already has 999 -> 0.9 exactly.
        self.assertEqual(rbench.percentile_from_distribution(pts, 99.9), 0.9)
        self.assertEqual(rbench.percentile_from_distribution(pts, 50), 0.5)
        self.assertEqual(rbench.percentile_from_distribution(pts, 100), 1.5)

    def test_empty_or_zero(self):
        self.assertIsNone(rbench.percentile_from_distribution([], 99.9))
        self.assertIsNone(rbench.percentile_from_distribution([(100.0, 1.0, 0)], 99.9))


class MiscTest(unittest.TestCase):
    def test_test_command(self):
        self.assertEqual(rbench.test_command("SET"), "set")
        self.assertEqual(rbench.test_command("hset"), "hset")
        self.assertEqual(rbench.test_command("PING_INLINE"), "ping")
        self.assertEqual(rbench.test_command("LRANGE_100 (first 100 elements)"), "lrange")
        self.assertEqual(rbench.test_command("MSET (10 keys)"), "mset")

    def test_command_line(self):
        argv = rbench.command_line(7000, "set", 1000, 50, 16, 100000, None, None, True)
        self.assertEqual(argv, ["redis-benchmark", "-h", "127.0.0.1", "-p", "7000", "-t", "set",
                                "-n", "1000", "-c", "50", "-P", "16", "-r", "100000", "--csv"])
        argv = rbench.command_line(7000, "get", 10, 1, 1, None, 16, 4, False)
        self.assertNotIn("--csv", argv)
        self.assertNotIn("-r", argv)
        self.assertEqual(argv[-4:], ["-d", "16", "--threads", "4"])

    def test_stream_command_line(self):
        argv = rbench.command_line(7000, "xrange_10", 1000, 50, 16)
        self.assertNotIn("-t", argv)
        self.assertEqual(argv[-6:], ["XRANGE", "bench:stream", "-", "+", "COUNT", "10"])
        self.assertEqual(rbench.test_command("xrange_10"), "xrange")
        self.assertEqual(rbench.TEST_PROBES["xrange_10"][0], "EVAL")
        self.assertEqual(rbench.command_line(7000, "xadd", 1000, 50, 16)[-5:],
                         ["XADD", "bench:xadd", "*", "myfield", "myvalue"])

    def test_script_command_line(self):
        # Script tests send EVALSHA of the body's SHA1 (no -t), with __rand_int__ keys.
        argv = rbench.command_line(7000, "evalsha_incr", 1000, 50, 16, 100000, None, None, True)
        self.assertNotIn("-t", argv)
        body = rbench.SCRIPTS["evalsha_incr"][0]
        import hashlib
        self.assertEqual(argv[-4:], ["EVALSHA", hashlib.sha1(body.encode()).hexdigest(), "1",
                                     "s0:key:__rand_int__"])
        self.assertEqual(rbench.test_command("evalsha_10"), "evalsha")
        self.assertEqual(rbench.TEST_PROBES["evalsha_10"][:2], ("SCRIPT", "LOAD"))

    def test_error_message(self):
        err = ("Error from server: ERR unknown command 'HSET', with args beginning with: "
               "'myhash' 'element:000000000574' 'VXK' \n")
        self.assertTrue(rbench.error_message(err).startswith("Error from server: ERR unknown"))
        self.assertIsNone(rbench.error_message("", '"SET","1.0"\n'))


if __name__ == "__main__":
    unittest.main()
