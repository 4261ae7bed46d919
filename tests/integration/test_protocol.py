# Wire-protocol behaviour through raw sockets: pipelining, fragmented requests, inline commands,
# protocol errors (reply, then close only that connection), size limits, binary safety, RESP3.
import threading
import time
import unittest

from harness import RespMap, ServerTestCase, encode_command


class PipelineTest(ServerTestCase):
    def test_pipeline_10k_in_one_send_replies_in_order(self):
        n = 10000
        cmds = []
        for i in range(n):
            if i % 2 == 0:
                cmds.append(("INCR", "counter"))
            else:
                cmds.append(("ECHO", "msg-%d" % i))
        replies = self.conn.pipeline(cmds)
        self.assertEqual(len(replies), n)
        expected_counter = 0
        for i, (raw, value) in enumerate(replies):
            if i % 2 == 0:
                expected_counter += 1
                self.assertEqual(raw, b":%d\r\n" % expected_counter, "reply %d" % i)
            else:
                self.assertEqual(value, b"msg-%d" % i, "reply %d" % i)
        self.assertEqual(self.conn.cmd("GET", "counter"), b"%d" % (n // 2))

    def test_pipeline_of_sets_then_gets(self):
        n = 5000
        replies = self.conn.pipeline([("SET", "k%d" % i, "v%d" % i) for i in range(n)])
        self.assertTrue(all(raw == b"+OK\r\n" for raw, _ in replies))
        replies = self.conn.pipeline([("GET", "k%d" % i) for i in range(n)])
        self.assertEqual([v for _, v in replies], [b"v%d" % i for i in range(n)])
        self.assertEqual(self.conn.cmd("DBSIZE"), n)

    def test_pipeline_with_errors_in_between(self):
        replies = self.conn.pipeline([("SET", "a", "1"), ("NOSUCHCMD",), ("GET", "a"),
                                      ("INCR", "a", "extra"), ("INCR", "a")])
        raws = [r for r, _ in replies]
        self.assertEqual(raws[0], b"+OK\r\n")
        self.assertTrue(raws[1].startswith(b"-ERR unknown command 'NOSUCHCMD'"))
        self.assertEqual(raws[2], b"$1\r\n1\r\n")
        self.assertEqual(raws[3], b"-ERR wrong number of arguments for 'incr' command\r\n")
        self.assertEqual(raws[4], b":2\r\n")

    def test_request_split_into_one_byte_writes(self):
        data = encode_command("SET", "split-key", "split-value") + encode_command("GET", "split-key")
        for b in data:
            self.conn.send_raw(bytes([b]))
            time.sleep(0.001)  # TCP_NODELAY is on: each byte is its own segment
        self.assertEqual(self.conn.read_reply()[0], b"+OK\r\n")
        self.assertEqual(self.conn.read_reply()[0], b"$11\r\nsplit-value\r\n")

    def test_inline_request_split_into_one_byte_writes(self):
        for b in b"ECHO hello\r\n":
            self.conn.send_raw(bytes([b]))
            time.sleep(0.001)
        self.assertEqual(self.conn.read_reply()[0], b"$5\r\nhello\r\n")

    def test_request_split_at_every_offset(self):
        data = encode_command("SET", "k", "x" * 40)
        for cut in range(1, len(data)):
            self.conn.send_raw(data[:cut])
            time.sleep(0.002)
            self.conn.send_raw(data[cut:])
            self.assertEqual(self.conn.read_reply()[0], b"+OK\r\n", "split at %d" % cut)

    def test_large_value_across_many_packets(self):
        value = bytes(range(256)) * 40000  # ~10 MB
        self.assertEqual(self.conn.call("SET", "big", value)[0], b"+OK\r\n")
        self.assertEqual(self.conn.cmd("STRLEN", "big"), len(value))
        self.assertEqual(self.conn.cmd("GET", "big"), value)


class InlineTest(ServerTestCase):
    def test_inline_commands(self):
        c = self.conn
        c.send_raw(b"PING\r\n")
        self.assertEqual(c.read_reply()[0], b"+PONG\r\n")
        c.send_raw(b"SET greeting \"hello world\"\r\nGET greeting\r\n")
        self.assertEqual(c.read_reply()[0], b"+OK\r\n")
        self.assertEqual(c.read_reply()[0], b"$11\r\nhello world\r\n")
        c.send_raw(b"GET greeting\n")  # a bare LF also ends an inline command
        self.assertEqual(c.read_reply()[0], b"$11\r\nhello world\r\n")
        c.send_raw(b"\r\n\r\nEXISTS greeting nope\r\n")  # empty lines are skipped
        self.assertEqual(c.read_reply()[0], b":1\r\n")
        c.send_raw(b"ECHO 'a b'\r\n")
        self.assertEqual(c.read_reply()[0], b"$3\r\na b\r\n")
        c.send_raw(b"ECHO 'a b' extra\r\n")
        self.assertEqual(c.read_reply()[0], b"-ERR wrong number of arguments for 'echo' command\r\n")

    def test_inline_quoting(self):
        c = self.conn
        c.send_raw(b"SET q \"c\\x41\\td\"\r\nGET q\r\n")
        self.assertEqual(c.read_reply()[0], b"+OK\r\n")
        self.assertEqual(c.read_reply()[1], b"cA\td")
        c.send_raw(b"SET q 'single \"quoted\"'\r\nGET q\r\n")
        self.assertEqual(c.read_reply()[0], b"+OK\r\n")
        self.assertEqual(c.read_reply()[1], b'single "quoted"')

    def test_inline_and_multibulk_mixed(self):
        c = self.conn
        c.send_raw(b"SET a 1\r\n" + encode_command("INCR", "a") + b"GET a\r\n")
        self.assertEqual([c.read_reply()[0] for _ in range(3)],
                         [b"+OK\r\n", b":2\r\n", b"$1\r\n2\r\n"])

    def test_unbalanced_quotes_closes_connection(self):
        c = self.new_conn()
        c.send_raw(b"SET k \"abc\r\n")
        self.assertEqual(c.read_reply()[0], b"-ERR Protocol error: unbalanced quotes in request\r\n")
        self.assertTrue(c.is_closed_by_peer())

    def test_too_big_inline_request(self):
        c = self.new_conn()
        try:
            c.send_raw(b"x" * (70 * 1024))  # no newline, over Redis's 64 KiB inline limit
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.assertTrue(c.is_closed_by_peer(5.0), "connection should be closed")
        self.assertEqual(bytes(c.buf), b"-ERR Protocol error: too big inline request\r\n")


class ProtocolErrorTest(ServerTestCase):
    def _expect_error_and_close(self, payload, error):
        bad = self.new_conn()
        good = self.new_conn()
        self.assertEqual(good.call("SET", "survivor", "yes")[0], b"+OK\r\n")
        bad.send_raw(payload)
        self.assertEqual(bad.read_reply()[0], error)
        self.assertTrue(bad.is_closed_by_peer(), "connection with a protocol error stays open")
        # Another connection keeps working.
        self.assertEqual(good.call("GET", "survivor")[0], b"$3\r\nyes\r\n")
        self.assertEqual(self.new_conn().call("PING")[0], b"+PONG\r\n")

    def test_negative_bulk_length(self):
        self._expect_error_and_close(b"*1\r\n$-5\r\n",
                                     b"-ERR Protocol error: invalid bulk length\r\n")

    def test_non_numeric_bulk_length(self):
        self._expect_error_and_close(b"*1\r\n$abc\r\n",
                                     b"-ERR Protocol error: invalid bulk length\r\n")

    def test_invalid_multibulk_length(self):
        self._expect_error_and_close(b"*abc\r\n",
                                     b"-ERR Protocol error: invalid multibulk length\r\n")

    def test_expected_dollar(self):
        self._expect_error_and_close(b"*1\r\nfoo\r\n",
                                     b"-ERR Protocol error: expected '$', got 'f'\r\n")

    def test_error_after_valid_commands_in_same_packet(self):
        bad = self.new_conn()
        bad.send_raw(encode_command("SET", "before", "1") + b"*1\r\n$-1\r\n"
                     + encode_command("SET", "after", "1"))
        self.assertEqual(bad.read_reply()[0], b"+OK\r\n")
        self.assertEqual(bad.read_reply()[0], b"-ERR Protocol error: invalid bulk length\r\n")
        self.assertTrue(bad.is_closed_by_peer())
        self.assertEqual(self.conn.cmd("EXISTS", "before", "after"), 1)

    def test_empty_and_null_multibulk_are_ignored(self):
        self.conn.send_raw(b"*0\r\n*-1\r\nPING\r\n")
        self.assertEqual(self.conn.read_reply()[0], b"+PONG\r\n")


class ProtoMaxBulkLenTest(ServerTestCase):
    server_args = ["--proto-max-bulk-len", "1mb"]

    def test_limit(self):
        self.assertEqual(self.conn.cmd("CONFIG", "GET", "proto-max-bulk-len"),
                         [b"proto-max-bulk-len", b"1048576"])
        self.assertEqual(self.conn.call("SET", "k", b"x" * 1048576)[0], b"+OK\r\n")
        self.assertEqual(self.conn.cmd("STRLEN", "k"), 1048576)
        bad = self.new_conn()
        bad.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n")  # header alone is enough
        self.assertEqual(bad.read_reply()[0], b"-ERR Protocol error: invalid bulk length\r\n")
        self.assertTrue(bad.is_closed_by_peer())
        self.assertEqual(self.conn.call("PING")[0], b"+PONG\r\n")

    def test_setrange_and_append_respect_limit(self):
        self.assertEqual(self.conn.call("SETRANGE", "k", "1048576", "x")[0],
                         b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n")
        self.assertEqual(self.conn.call("SETRANGE", "k", "1048575", "x")[0], b":1048576\r\n")
        self.assertEqual(self.conn.call("APPEND", "k", "y")[0],
                         b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n")

    def test_config_set_raises_limit(self):
        self.conn.cmd("CONFIG", "SET", "proto-max-bulk-len", "2mb")
        try:
            self.assertEqual(self.conn.call("SET", "k", b"x" * 1048577)[0], b"+OK\r\n")
        finally:
            self.conn.cmd("CONFIG", "SET", "proto-max-bulk-len", "1mb")


class QueryBufferLimitTest(ServerTestCase):
    server_args = ["--client-query-buffer-limit", "1mb"]

    def test_oversized_query_closes_only_that_client(self):
        self.assertEqual(self.conn.call("SET", "small", b"x" * 500000)[0], b"+OK\r\n")
        bad = self.new_conn()
        try:
            bad.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n" + b"x" * 3000000 + b"\r\n")
            closed = bad.is_closed_by_peer(5.0)
        except (BrokenPipeError, ConnectionResetError):
            closed = True
        self.assertTrue(closed, "a 3 MB query over a 1 MB limit should close the connection")
        self.assertEqual(self.conn.cmd("EXISTS", "k"), 0)
        self.assertEqual(self.conn.call("PING")[0], b"+PONG\r\n")


class BinarySafetyTest(ServerTestCase):
    def test_binary_keys_and_values(self):
        key = b"key\x00with\r\nnul\xff"
        value = bytes(range(256)) + b"\r\n\x00\r\n"
        self.assertEqual(self.conn.call("SET", key, value)[0], b"+OK\r\n")
        raw, got = self.conn.call("GET", key)
        self.assertEqual(got, value)
        self.assertEqual(raw, b"$%d\r\n%s\r\n" % (len(value), value))
        self.assertEqual(self.conn.cmd("STRLEN", key), len(value))
        self.assertEqual(self.conn.cmd("EXISTS", b"key"), 0)  # not truncated at \0
        self.assertEqual(self.conn.cmd("KEYS", "key*"), [key])
        self.assertEqual(self.conn.cmd("APPEND", key, b"\x00"), len(value) + 1)
        self.assertEqual(self.conn.cmd("GETRANGE", key, "0", "2"), b"\x00\x01\x02")
        self.assertEqual(self.conn.cmd("ECHO", b"\x00\r\n"), b"\x00\r\n")

    def test_empty_key_and_value(self):
        self.assertEqual(self.conn.call("SET", "", "")[0], b"+OK\r\n")
        self.assertEqual(self.conn.call("GET", "")[0], b"$0\r\n\r\n")
        self.assertEqual(self.conn.cmd("DBSIZE"), 1)


class Resp3Test(ServerTestCase):
    def test_resp3_types(self):
        c = self.conn
        raw, hello = c.call("HELLO", "3")
        self.assertEqual(raw[:1], b"%", "HELLO 3 must reply with a RESP3 map")
        self.assertIsInstance(hello, RespMap)
        self.assertEqual(hello.dict()[b"proto"], 3)
        self.assertEqual(c.call("GET", "missing")[0], b"_\r\n")
        c.cmd("SET", "k", "v")
        self.assertEqual(c.call("MGET", "k", "missing")[0], b"*2\r\n$1\r\nv\r\n_\r\n")
        self.assertEqual(c.call("CONFIG", "GET", "databases")[0],
                         b"%1\r\n$9\r\ndatabases\r\n$2\r\n16\r\n")
        self.assertEqual(c.call("TYPE", "k")[0], b"+string\r\n")
        raw, _ = c.call("NOSUCH")
        self.assertTrue(raw.startswith(b"-ERR unknown command"))
        # Pipelined RESP3 replies stay in order.
        replies = c.pipeline([("GET", "missing"), ("GET", "k"), ("EXISTS", "k")])
        self.assertEqual([r for r, _ in replies], [b"_\r\n", b"$1\r\nv\r\n", b":1\r\n"])
        raw, hello = c.call("HELLO", "2")
        self.assertEqual(raw[:1], b"*")
        self.assertEqual(c.call("GET", "missing")[0], b"$-1\r\n")

    def test_protocol_is_per_connection(self):
        a, b = self.new_conn(), self.new_conn()
        a.cmd("HELLO", "3")
        self.assertEqual(a.call("GET", "missing")[0], b"_\r\n")
        self.assertEqual(b.call("GET", "missing")[0], b"$-1\r\n")


class ConcurrentPipelinesTest(ServerTestCase):
    strata_only_args = ["--threads", "2"]

    def test_many_connections_pipelining_at_once(self):
        errors = []

        def worker(idx):
            try:
                with self.server.connect() as c:
                    for round_ in range(5):
                        cmds = [("INCR", "shared")] + [("SET", "c%d:%d" % (idx, j), j)
                                                       for j in range(200)]
                        cmds += [("GET", "c%d:%d" % (idx, j)) for j in range(200)]
                        replies = c.pipeline(cmds)
                        gets = [v for _, v in replies[201:]]
                        if gets != [b"%d" % j for j in range(200)]:
                            errors.append("worker %d round %d: wrong GET replies" % (idx, round_))
            except Exception as e:  # noqa: BLE001 - report anything from the thread
                errors.append("worker %d: %r" % (idx, e))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(self.conn.cmd("GET", "shared"), b"80")
        self.assertEqual(self.conn.cmd("DBSIZE"), 16 * 200 + 1)


if __name__ == "__main__":
    unittest.main()
