"""Stall mode (make bench-stall): the worst command latency while one set and the keyspace grow
large, where a whole-table resize would stop the server for a while (docs/BENCHMARKS.md).

For each server, in a fresh process: one connection sends SADD of new random members to one set
in pipelined batches of --batch commands until the set has --set-members, then SET of new random
keys until there are --keys. The figures are the client's own (this process, pinned to the
client CPUs, timing each batch from its send to its last reply), nothing from the server: the
worst batch, where it happened (members or keys already there), the p99.9 and median batch.
A whole-table resize shows as one batch taking the whole resize. (redis-benchmark's max latency
does not show it: a 962 ms stall measured here read as 7 ms there.)
"""
import os
import random
import socket
import time

from .. import meta, report
from ..progress import Progress
from .common import log

HEADERS = ["phase", "commands", "server", "cmds/s", "median batch ms", "p99.9 batch ms",
           "worst batch ms", "worst at"]


def _cmd(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def _drive(port, make, n, batch):
    """Sends n commands, `batch` per write, on one connection; each reply is one line (an
    integer or +OK). Returns (seconds per batch, commands sent before each batch, wall s)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rnd = random.Random(7)
    lat, at = [], []
    t0 = time.perf_counter()
    sent = 0
    while sent < n:
        k = min(batch, n - sent)
        payload = b"".join(make(rnd) for _ in range(k))
        t = time.perf_counter()
        s.sendall(payload)
        lines = 0
        while lines < k:
            data = s.recv(1 << 16)
            if not data:
                raise RuntimeError("connection closed after %d commands" % sent)
            lines += data.count(b"\n")
        lat.append(time.perf_counter() - t)
        at.append(sent)
        sent += k
    wall = time.perf_counter() - t0
    s.close()
    return lat, at, wall


PHASES = (  # name, how many (an argument), one command with a new random member or key
    ("sadd", "set_members", lambda r: _cmd(b"SADD", b"__stall_set", b"m%d" % r.getrandbits(48))),
    ("set", "keys", lambda r: _cmd(b"SET", b"k:%d" % r.getrandbits(48), b"x")),
)


def run(ctx):
    a = ctx.args
    os.sched_setaffinity(0, meta.parse_cpu_list(a.client_cpus))
    prog = Progress([1] * (len(a.servers) * len(PHASES)))
    log("stall: %s; SADD x %d into one set, then SET x %d keys; batches of %d; results in %s"
        % (",".join(a.servers), a.set_members, a.keys, a.batch, ctx.results.dir))
    t0 = time.monotonic()
    rows = []
    for name in a.servers:
        srv = ctx.server(name, threads=a.threads[0]).start()
        try:
            for phase, count_arg, make in PHASES:
                n = getattr(a, count_arg)
                prog.start("%s %s x %d" % (name, phase.upper(), n))
                lat, at, wall = _drive(srv.port, make, n, a.batch)
                order = sorted(range(len(lat)), key=lat.__getitem__)
                worst = order[-1]
                ms = lambda q: 1000 * lat[order[min(len(order) - 1, int(q * len(order)))]]  # noqa
                rec = dict(kind="run", server=name, phase=phase, commands=n, batch=a.batch,
                           status="ok", cmds_per_s=n / wall, median_batch_ms=ms(0.5),
                           p999_batch_ms=ms(0.999), worst_batch_ms=1000 * lat[worst],
                           worst_at=at[worst])
                ctx.results.add(rec)
                rows.append([phase.upper(), str(n), name, report.fmt(rec["cmds_per_s"]),
                             "%.3f" % rec["median_batch_ms"], "%.3f" % rec["p999_batch_ms"],
                             "%.1f" % rec["worst_batch_ms"], str(at[worst])])
                prog.finish("worst batch %.1f ms at %d, median %.3f ms"
                            % (rec["worst_batch_ms"], at[worst], rec["median_batch_ms"]))
        finally:
            srv.stop()
    text = report.text_table(HEADERS, rows)
    print()
    print(text)
    print("results: %s (summary.md, results.jsonl)" % ctx.results.dir)
    md = ["# bench stall: %s" % ctx.meta["run_id"], ""]
    md += report.meta_lines(ctx.meta, [
        "- servers on cpus %s, this client on cpus %s; strata --threads %d; batches of %d; "
        "took %.0f s" % (a.server_cpus, a.client_cpus, a.threads[0], a.batch,
                         time.monotonic() - t0)])
    md += ["", report.md_table(HEADERS, rows), "", __doc__.split("\n\n", 1)[1], ""]
    ctx.results.write_text("summary.md", "\n".join(md))
    return 0
