"""RESP2 encoding and reply decoding, plus a minimal blocking client.

encode_command() and parse_reply() are pure (unit-tested); Client wraps a socket around them. Used
for PING/INFO/CONFIG/SHUTDOWN and by the memory loader, so the tool needs no client library.
"""
import socket


class ReplyError(Exception):
    """An error reply (-ERR ...) from the server; str() is the message without the leading '-'."""


class NeedMore(Exception):
    """The buffer holds only part of a reply."""


def encode_command(*args):
    """Encodes one command as a RESP array of bulk strings; args may be str, bytes or int."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def parse_reply(buf, pos=0):
    """Parses one reply starting at buf[pos]. Returns (value, new_pos).

    Simple strings and bulk strings come back as bytes, integers as int, nil as None, arrays as
    lists, errors as ReplyError instances (returned, not raised, so a pipeline can carry on).
    Raises NeedMore if the reply is incomplete. Handles the RESP3 types a server may send
    (%, ~, _, #, ,) well enough for INFO/CONFIG replies.
    """
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise NeedMore()
    kind = buf[pos:pos + 1]
    line = buf[pos + 1:end]
    nxt = end + 2
    if kind == b"+":
        return bytes(line), nxt
    if kind == b"-":
        return ReplyError(line.decode(errors="replace")), nxt
    if kind == b":":
        return int(line), nxt
    if kind == b",":
        return float(line), nxt
    if kind == b"_":
        return None, nxt
    if kind == b"#":
        return line == b"t", nxt
    if kind in (b"$", b"="):
        n = int(line)
        if n < 0:
            return None, nxt
        if len(buf) < nxt + n + 2:
            raise NeedMore()
        return bytes(buf[nxt:nxt + n]), nxt + n + 2
    if kind in (b"*", b"~", b">", b"%"):
        n = int(line)
        if n < 0:
            return None, nxt
        if kind == b"%":
            n *= 2
        items = []
        for _ in range(n):
            v, nxt = parse_reply(buf, nxt)
            items.append(v)
        return items, nxt
    raise ValueError("bad RESP type byte %r at %d" % (kind, pos))


class Client:
    """Blocking connection to one server. Not thread-safe."""

    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read_reply(self):
        while True:
            try:
                v, self.pos = parse_reply(self.buf, self.pos)
                if self.pos > 1 << 20:  # compact now and then
                    del self.buf[:self.pos]
                    self.pos = 0
                return v
            except NeedMore:
                chunk = self.sock.recv(1 << 18)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                self.buf += chunk

    def call(self, *args):
        """Sends one command and returns its reply; raises ReplyError on an error reply."""
        self.sock.sendall(encode_command(*args))
        v = self._read_reply()
        if isinstance(v, ReplyError):
            raise v
        return v

    def pipeline_raw(self, payload, count):
        """Sends pre-encoded commands and reads `count` replies. Returns the error replies seen."""
        self.sock.sendall(payload)
        errors = []
        for _ in range(count):
            v = self._read_reply()
            if isinstance(v, ReplyError):
                errors.append(str(v))
        return errors
