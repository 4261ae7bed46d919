"""INFO parser and the WAL figures read from it."""
import unittest

from context import data
from strata_bench import info

STRATA_SAMPLE = (
    "# Server\r\nredis_version:7.0.15\r\nstrata_version:0.1.0\r\nos:Linux 6.1 x86_64\r\n"
    "tcp_port:17001\r\nconfig_file:\r\n\r\n"
    "# Persistence\r\nloading:0\r\naof_enabled:0\r\n\r\n"
    "# Stats\r\ntotal_commands_processed:12\r\ninstantaneous_ops_per_sec:0\r\n"
    "total_error_replies:50\r\n\r\n"
    "# CPU\r\nused_cpu_sys:0.003871\r\nused_cpu_user:0.000000\r\n\r\n"
    "# Commandstats\r\n"
    "cmdstat_lpush:calls=1,usec=10,usec_per_call=10.00,rejected_calls=0,failed_calls=0\r\n"
    "cmdstat_config|get:calls=1,usec=13,usec_per_call=13.00,rejected_calls=0,failed_calls=0\r\n"
    "\r\n# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\n")


class ParseInfoTest(unittest.TestCase):
    def test_sections_and_types(self):
        s = info.parse_info(STRATA_SAMPLE)
        self.assertEqual(list(s), ["server", "persistence", "stats", "cpu", "commandstats",
                                   "keyspace"])
        self.assertEqual(s["server"]["redis_version"], "7.0.15")  # not a number
        self.assertEqual(s["server"]["tcp_port"], 17001)
        self.assertEqual(s["server"]["os"], "Linux 6.1 x86_64")
        self.assertEqual(s["server"]["config_file"], "")
        self.assertEqual(s["cpu"]["used_cpu_sys"], 0.003871)
        self.assertEqual(s["stats"]["total_error_replies"], 50)

    def test_dict_values(self):
        s = info.parse_info(STRATA_SAMPLE)
        self.assertEqual(s["keyspace"]["db0"], {"keys": 3, "expires": 1, "avg_ttl": 0})
        self.assertEqual(s["commandstats"]["cmdstat_config|get"]["calls"], 1)
        self.assertEqual(s["commandstats"]["cmdstat_lpush"]["usec_per_call"], 10.0)

    def test_bytes_and_no_header(self):
        s = info.parse_info(b"a:1\nb:x,y\nc:k=v\n")
        self.assertEqual(s[""], {"a": 1, "b": "x,y", "c": {"k": "v"}})

    def test_value_with_colon_and_equals(self):
        s = info.parse_info("# Server\nexecutable:/usr/bin/redis-server\nx:a=b:c\n"
                            "client_list:id=3,addr=127.0.0.1:5000\nodd:=5\n")
        self.assertEqual(s["server"]["executable"], "/usr/bin/redis-server")
        self.assertEqual(s["server"]["x"], {"a": "b:c"})
        self.assertEqual(s["server"]["client_list"], {"id": 3, "addr": "127.0.0.1:5000"})
        self.assertEqual(s["server"]["odd"], "=5")

    def test_real_redis_info_all(self):
        s = info.parse_info(data("info-redis-7.0.15.txt"))
        self.assertIn("commandstats", s)
        self.assertEqual(info.command_calls(s, "set"), 40000)
        self.assertEqual(info.command_calls(s, "GET"), 40000)
        self.assertIsNone(info.command_calls(s, "hset"))
        self.assertEqual(info.field(s, "aof_enabled"), 0)
        self.assertEqual(s["keyspace"]["db0"]["keys"], 2000)
        self.assertIsInstance(info.field(s, "used_memory"), int)

    def test_flatten_and_field(self):
        s = {"a": {"x": 1}, "b": {"x": 2, "y": 3}}
        self.assertEqual(info.flatten(s), {"x": 1, "y": 3})
        self.assertEqual(info.field(s, "nope", "y"), 3)
        self.assertEqual(info.field(s, "nope", default=7), 7)


class WalFiguresTest(unittest.TestCase):
    def test_server_without_wal(self):
        b = info.parse_info(STRATA_SAMPLE)
        f = info.wal_figures(b, b, 2.0)
        self.assertIsNone(f["fsyncs_per_s"])
        self.assertIsNone(f["batch_avg"])
        self.assertEqual(f["wal_fields"], "")

    def test_server_with_wal_fields(self):
        b = info.parse_info("# Persistence\nwal_fsyncs:100\nwal_batch_avg:3.5\n")
        a = info.parse_info("# Persistence\nwal_fsyncs:700\nwal_batch_avg:12.25\n")
        f = info.wal_figures(b, a, 2.0)
        self.assertEqual(f["fsyncs_per_s"], 300.0)
        self.assertEqual(f["batch_avg"], 12.25)
        self.assertIn("wal_fsyncs", f["wal_fields"])

    def test_field_table_names_are_tuples(self):
        for names in list(info.WAL_COUNTERS.values()) + list(info.WAL_GAUGES.values()):
            self.assertIsInstance(names, tuple)


if __name__ == "__main__":
    unittest.main()
