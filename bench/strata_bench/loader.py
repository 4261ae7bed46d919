"""Pipelined loader for the memory sweep: fixed-size keys, values and members over one raw
connection, in batches. Every reply of the commands used is one line (+OK, :n or -ERR), so the
loader counts lines instead of parsing replies one by one.

Shapes (n = elements):
  string  n keys:                       SET k v
  list    n / E keys of E elements:     RPUSH k m1 .. mE
  hash    ... E fields:                 HSET k f1 v1 .. fE vE
  set     ... E members:                SADD k m1 .. mE
  zset    ... E members, score = index: ZADD k 1 m1 .. E mE
  stream  ... E entries of two fields:  XADD k <j>-1 f1 mj f2 mj  (one command per entry; the
          reply is a bulk string: two lines)
Keys are "k" + zero-padded number (key_size bytes), values/members likewise with "v"/"m"/"f".
"""
import time

COMMANDS = {"string": "SET", "list": "RPUSH", "hash": "HSET", "set": "SADD", "zset": "ZADD",
            "stream": "XADD"}
REPLY_LINES = {"stream": 2}  # lines per reply where it is not one
PROBES = {
    "string": ("SET", "__bench_probe_mem", "x"),
    "list": ("RPUSH", "__bench_probe_mem", "x"),
    "hash": ("HSET", "__bench_probe_mem", "f", "x"),
    "set": ("SADD", "__bench_probe_mem", "x"),
    "zset": ("ZADD", "__bench_probe_mem", "1", "x"),
    "stream": ("XADD", "__bench_probe_mem", "1-1", "f", "x"),
}
MAX_ARGS_PER_COMMAND = 2000  # collection elements per command; larger collections take several


def fixed(prefix, i, size):
    """b'k0000000000000042' style: prefix + zero-padded i, exactly `size` bytes (>= digits)."""
    s = b"%s%0*d" % (prefix, size - len(prefix), i)
    if len(s) != size:
        raise ValueError("size %d too small for %r%d" % (size, prefix, i))
    return s


def _bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def commands(vtype, n, per_key, key_size, value_size):
    """Yields (encoded command, elements in it) for the shape above."""
    if vtype == "string":
        for i in range(n):
            yield (b"*3\r\n$3\r\nSET\r\n" + _bulk(fixed(b"k", i, key_size))
                   + _bulk(fixed(b"v", i, value_size))), 1
        return
    cmd = COMMANDS[vtype].encode()
    keys = max(1, n // per_key)
    if vtype == "stream":
        for k in range(keys):
            key = _bulk(fixed(b"k", k, key_size))
            for j in range(per_key):
                m = _bulk(fixed(b"m", j, value_size))
                yield (b"*7\r\n$4\r\nXADD\r\n" + key + _bulk(b"%d-1" % (j + 1)) + _bulk(b"f1") + m
                       + _bulk(b"f2") + m), 1
        return
    for k in range(keys):
        key = _bulk(fixed(b"k", k, key_size))
        for start in range(0, per_key, MAX_ARGS_PER_COMMAND):
            idx = range(start, min(per_key, start + MAX_ARGS_PER_COMMAND))
            parts = []
            for j in idx:
                m = fixed(b"m", j, value_size)
                if vtype == "hash":
                    parts.append(_bulk(fixed(b"f", j, value_size)) + _bulk(m))
                elif vtype == "zset":
                    parts.append(_bulk(b"%d" % j) + _bulk(m))
                else:
                    parts.append(_bulk(m))
            argc = 2 + len(idx) * (2 if vtype in ("hash", "zset") else 1)
            head = b"*%d\r\n$%d\r\n%s\r\n" % (argc, len(cmd), cmd)
            yield head + key + b"".join(parts), len(idx)


def load(client, vtype, n, per_key, key_size, value_size, batch_bytes=1 << 20):
    """Loads the shape through resp.Client `client`. Returns dict(keys, elements, seconds,
    errors: [first few error lines])."""
    sock = client.sock
    t0 = time.monotonic()
    buf, count, elements, errors = [], 0, 0, []
    size = 0

    def flush():
        nonlocal buf, count, size
        if not buf:
            return
        sock.sendall(b"".join(buf))
        need, got, tail = count, 0, b""
        while got < need:
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("server closed the connection while loading")
            data = tail + chunk
            lines = data.split(b"\r\n")
            tail = lines.pop()
            got += len(lines)
            if len(errors) < 5:
                errors.extend(l.decode(errors="replace") for l in lines if l.startswith(b"-"))
        buf, count, size = [], 0, 0

    lines = REPLY_LINES.get(vtype, 1)
    for payload, k in commands(vtype, n, per_key, key_size, value_size):
        buf.append(payload)
        count += lines
        elements += k
        size += len(payload)
        if size >= batch_bytes:
            flush()
    flush()
    keys = n if vtype == "string" else max(1, n // per_key)
    return {"keys": keys, "elements": elements, "seconds": time.monotonic() - t0,
            "errors": errors[:5]}
