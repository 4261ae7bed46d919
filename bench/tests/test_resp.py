"""RESP encoding/decoding used by the tool's own client and loader."""
import unittest

import context  # noqa: F401  (puts bench/ on sys.path)
from strata_bench import resp


class RespTest(unittest.TestCase):
    def test_encode(self):
        self.assertEqual(resp.encode_command("SET", b"k", 12),
                         b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n")
        self.assertEqual(resp.encode_command("X", ""), b"*2\r\n$1\r\nX\r\n$0\r\n\r\n")

    def test_scalars(self):
        self.assertEqual(resp.parse_reply(b"+OK\r\n"), (b"OK", 5))
        self.assertEqual(resp.parse_reply(b":-42\r\n"), (-42, 6))
        self.assertEqual(resp.parse_reply(b"$-1\r\n"), (None, 5))
        self.assertEqual(resp.parse_reply(b"$3\r\na\r\n\r\n"), (b"a\r\n", 9))
        self.assertEqual(resp.parse_reply(b"_\r\n"), (None, 3))
        self.assertEqual(resp.parse_reply(b",1.5\r\n"), (1.5, 6))

    def test_error_is_returned(self):
        v, _ = resp.parse_reply(b"-ERR unknown command\r\n")
        self.assertIsInstance(v, resp.ReplyError)
        self.assertEqual(str(v), "ERR unknown command")

    def test_nested_and_map(self):
        v, pos = resp.parse_reply(b"*2\r\n$10\r\nappendonly\r\n*1\r\n:1\r\n")
        self.assertEqual(v, [b"appendonly", [1]])
        v, _ = resp.parse_reply(b"%1\r\n+a\r\n:1\r\n")
        self.assertEqual(v, [b"a", 1])

    def test_every_prefix_needs_more(self):
        whole = b"*2\r\n$3\r\nfoo\r\n:7\r\n"
        for i in range(len(whole)):
            with self.assertRaises(resp.NeedMore):
                resp.parse_reply(whole[:i])
        self.assertEqual(resp.parse_reply(whole), ([b"foo", 7], len(whole)))

    def test_position(self):
        buf = b"+A\r\n+B\r\n"
        v, pos = resp.parse_reply(buf)
        v2, pos2 = resp.parse_reply(buf, pos)
        self.assertEqual((v, v2, pos2), (b"A", b"B", len(buf)))


if __name__ == "__main__":
    unittest.main()
