"""redis-benchmark: the command line, a runner that also measures the client's own CPU time, and
parsers for both of its output formats.

- parse_csv(): the --csv output (7.x columns: test, rps, avg/min/p50/p95/p99/max latency in ms).
- parse_text(): the default (neither --csv nor -q) output, which carries the same summary numbers
  (printed from the same HdrHistogram with the same %.3f format) plus the "Latency by percentile
  distribution" block; p99.9 is read from that block (see percentile_from_distribution()).
Both parsers are pure and unit-tested; they return one dict per test, keyed like CSV_FIELDS.
"""
import csv
import hashlib
import io
import os
import re
import subprocess
import tempfile
import time

CSV_FIELDS = ("test", "rps", "avg_latency_ms", "min_latency_ms", "p50_latency_ms",
              "p95_latency_ms", "p99_latency_ms", "max_latency_ms")
# What a parsed test result holds; p999_latency_ms and requests_completed only from text output.
RESULT_FIELDS = CSV_FIELDS + ("p999_latency_ms", "requests_completed")

# redis-benchmark -t name -> the command it sends (for cmdstat_<command> in INFO).
TEST_COMMANDS = {
    "ping_inline": "ping", "ping_mbulk": "ping", "ping": "ping", "set": "set", "get": "get",
    "incr": "incr", "lpush": "lpush", "rpush": "rpush", "lpop": "lpop", "rpop": "rpop",
    "sadd": "sadd", "hset": "hset", "spop": "spop", "zadd": "zadd", "zpopmin": "zpopmin",
    "lrange": "lrange", "lrange_100": "lrange", "lrange_300": "lrange", "lrange_500": "lrange",
    "lrange_600": "lrange", "mset": "mset", "xadd": "xadd",
}
# A probe command per test: sent once before a run to see whether the server knows the command.
TEST_PROBES = {
    "set": ("SET", "__bench_probe_s", "x"), "get": ("GET", "__bench_probe_s"),
    "incr": ("INCR", "__bench_probe_i"), "lpush": ("LPUSH", "__bench_probe_l", "x"),
    "rpush": ("RPUSH", "__bench_probe_l", "x"), "lpop": ("LPOP", "__bench_probe_l"),
    "rpop": ("RPOP", "__bench_probe_l"), "sadd": ("SADD", "__bench_probe_se", "x"),
    "spop": ("SPOP", "__bench_probe_se"), "hset": ("HSET", "__bench_probe_h", "f", "x"),
    "zadd": ("ZADD", "__bench_probe_z", "1", "x"), "zpopmin": ("ZPOPMIN", "__bench_probe_z"),
    "mset": ("MSET", "__bench_probe_m", "x"), "xadd": ("XADD", "__bench_probe_x", "*", "f", "x"),
}
# Script tests (make bench-script): not redis-benchmark -t names but EVALSHA of these bodies. The
# probe (SCRIPT LOAD) loads the script into the server before the run; the sha is the body's.
SCRIPTS = {
    "evalsha_incr": ("return redis.call('INCR', KEYS[1])", 1),
    # Ten calls on three declared keys: a counter, a hash and a capped list.
    "evalsha_10": ("local n = redis.call('INCR', KEYS[1])\n"
                   "redis.call('GET', KEYS[1])\n"
                   "redis.call('HSET', KEYS[2], 'n', n)\n"
                   "redis.call('HINCRBY', KEYS[2], 'calls', 1)\n"
                   "redis.call('HGET', KEYS[2], 'n')\n"
                   "redis.call('LPUSH', KEYS[3], n)\n"
                   "redis.call('LTRIM', KEYS[3], 0, 9)\n"
                   "redis.call('LLEN', KEYS[3])\n"
                   "redis.call('EXISTS', KEYS[1])\n"
                   "return redis.call('EXPIRE', KEYS[1], 3600)", 3),
}
for _name, (_body, _nkeys) in SCRIPTS.items():
    TEST_COMMANDS[_name] = "evalsha"
    TEST_PROBES[_name] = ("SCRIPT", "LOAD", _body)


# Stream tests (make bench-stream), commands of their own (redis-benchmark 7.0 has no -t xadd):
# xadd appends with "*" to one growing stream (as later redis-benchmarks' XADD test does);
# xrange_10 reads a stream its probe filled; xreadgroup reads one new entry per call for one consumer of a group (each joins its PEL), from
# a stream its probe fills with 1M entries and gives the group.
COMMANDS = {"xadd": ["XADD", "bench:xadd", "*", "myfield", "myvalue"],
            "xrange_10": ["XRANGE", "bench:stream", "-", "+", "COUNT", "10"],
            "xreadgroup": ["XREADGROUP", "GROUP", "bench", "c1", "COUNT", "1", "STREAMS",
                           "bench:groupstream", ">"],
            "xack": ["XACK", "bench:ackstream", "bench", "__rand_int__-1"]}
TEST_COMMANDS["xrange_10"] = "xrange"
TEST_PROBES["xrange_10"] = ("EVAL", "for i = 1, 100 do redis.call('XADD', KEYS[1], '*', 'f', 'v') "
                                    "end", "1", "bench:stream")
TEST_COMMANDS["xreadgroup"] = "xreadgroup"
TEST_PROBES["xreadgroup"] = ("EVAL", "redis.call('DEL', KEYS[1]) "
                                     "for i = 1, 1000000 do redis.call('XADD', KEYS[1], i .. '-1', "
                                     "'f', 'v') end "
                                     "redis.call('XGROUP', 'CREATE', KEYS[1], 'bench', '0')",
                             "1", "bench:groupstream")
# xack acknowledges random IDs of a stream whose 100k entries (IDs <i>-1, as -r 100000 draws
# them) its probe delivered to the group: the first ack of an ID removes it from the PEL.
TEST_COMMANDS["xack"] = "xack"
TEST_PROBES["xack"] = ("EVAL", "redis.call('DEL', KEYS[1]) "
                               "for i = 0, 99999 do redis.call('XADD', KEYS[1], i .. '-1', 'f', 'v') end "
                               "redis.call('XGROUP', 'CREATE', KEYS[1], 'bench', '0') "
                               "for i = 1, 10 do redis.call('XREADGROUP', 'GROUP', 'bench', 'c1', "
                               "'COUNT', 10000, 'STREAMS', KEYS[1], '>') end",
                       "1", "bench:ackstream")


def custom(test):
    """True for tests that are a command line of their own, not a redis-benchmark -t name."""
    return test in SCRIPTS or test in COMMANDS


def script_command(test):
    """The EVALSHA arguments redis-benchmark sends for a script test (keys __rand_int__-keyed)."""
    body, nkeys = SCRIPTS[test]
    sha = hashlib.sha1(body.encode()).hexdigest()
    keys = ["s%d:key:__rand_int__" % i for i in range(nkeys)]
    return ["EVALSHA", sha, str(nkeys)] + keys


PROBE_KEYS = ("__bench_probe_s", "__bench_probe_i", "__bench_probe_l", "__bench_probe_se",
              "__bench_probe_h", "__bench_probe_z", "__bench_probe_m", "__bench_probe_x")


def test_command(test):
    """'SET' / 'set' / 'LRANGE_100 (first 100 elements)' -> 'set' / 'set' / 'lrange'."""
    t = test.strip().split(" ")[0].lower()
    return TEST_COMMANDS.get(t, t.split("_")[0])


def command_line(port, test, requests, clients, pipeline, keyspace=None, data_size=None,
                 threads=None, csv_output=True, host="127.0.0.1", extra=()):
    """The redis-benchmark argv (without taskset) for one test."""
    argv = ["redis-benchmark", "-h", host, "-p", str(port), "-n", str(requests),
            "-c", str(clients), "-P", str(pipeline)]
    if not custom(test):
        argv[5:5] = ["-t", test]
    if keyspace:
        argv += ["-r", str(keyspace)]
    if data_size:
        argv += ["-d", str(data_size)]
    if threads and threads > 1:
        argv += ["--threads", str(threads)]
    if csv_output:
        argv.append("--csv")
    argv += list(extra)
    if test in SCRIPTS:
        argv += script_command(test)
    elif test in COMMANDS:
        argv += COMMANDS[test]
    return argv


def _float(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def parse_csv(text):
    """Rows of redis-benchmark --csv output -> [dict(test=..., rps=float, ...)].

    Accepts the 7.x header (skipped), rows with fewer columns (6.x wrote only test,rps: the rest
    come back None), and ignores lines that are not CSV rows (warnings on stdout).
    """
    out = []
    lines = [l for l in text.replace("\r", "\n").splitlines() if l.startswith('"')]
    for row in csv.reader(io.StringIO("\n".join(lines))):
        if not row or row[0] == "test":
            continue
        rec = {k: None for k in RESULT_FIELDS}
        rec["test"] = row[0]
        for k, v in zip(CSV_FIELDS[1:], row[1:]):
            rec[k] = _float(v)
        out.append(rec)
    return out


_DIST_RE = re.compile(r"^\s*([\d.]+)% <= ([\d.]+) milliseconds \(cumulative count (\d+)\)")
_TITLE_RE = re.compile(r"^====== (.*) ======\s*$")
_COMPLETED_RE = re.compile(r"^\s*(\d+) requests completed in ([\d.]+) seconds")
_THROUGHPUT_RE = re.compile(r"throughput summary: ([\d.]+) requests per second")


def percentile_from_distribution(points, pct):
    """The latency at percentile `pct` from "Latency by percentile distribution" points.

    points: [(printed_percentile, value_ms, cumulative_count)] in order. Returns the value of the
    first point whose cumulative count reaches pct% of the total (the last point's count). The
    points are HdrHistogram iteration steps at 50%, 75%, 87.5%, ... (halving the rest each time),
    each the first value whose cumulative count reaches its step; so the answer is exact when the
    step before pct already reaches it, and otherwise the value at the next step (99.902% for
    p99.9): an upper bound off by at most 0.002 percentage points of the requests.
    """
    if not points:
        return None
    total = points[-1][2]
    if total <= 0:
        return None
    need = total * pct / 100.0
    for _, value, count in points:
        if count >= need - 1e-9:
            return value
    return points[-1][1]


def parse_text(text):
    """The default redis-benchmark output (not --csv, not -q) -> [dict] like parse_csv(), plus
    p999_latency_ms (from the percentile distribution) and requests_completed. A test whose block
    has no "throughput summary" (cut short) is left out."""
    out = []
    rec = None
    dists = []
    in_dist = False
    want_numbers = False
    for line in text.replace("\r", "\n").splitlines():
        m = _TITLE_RE.match(line)
        if m:
            rec = {k: None for k in RESULT_FIELDS}
            rec["test"] = m.group(1)
            out.append(rec)
            dists.append([])
            in_dist = want_numbers = False
            continue
        if rec is None:
            continue
        if line.startswith("Latency by percentile distribution"):
            in_dist = True
            continue
        if in_dist:
            d = _DIST_RE.match(line)
            if d:
                dists[-1].append((float(d.group(1)), float(d.group(2)), int(d.group(3))))
                continue
            in_dist = False
        m = _COMPLETED_RE.match(line)
        if m:
            rec["requests_completed"] = int(m.group(1))
            continue
        m = _THROUGHPUT_RE.search(line)
        if m:
            rec["rps"] = float(m.group(1))
            continue
        if line.split() == ["avg", "min", "p50", "p95", "p99", "max"]:
            want_numbers = True
            continue
        if want_numbers:
            nums = line.split()
            if len(nums) == 6:
                for k, v in zip(CSV_FIELDS[2:], nums):
                    rec[k] = _float(v)
            want_numbers = False
    for r, d in zip(out, dists):
        r["p999_latency_ms"] = percentile_from_distribution(d, 99.9)
    return [r for r in out if r["rps"] is not None]


def error_message(stderr_text, stdout_text=""):
    """The server error that made redis-benchmark stop ("Error from server: ..."), or None."""
    for line in (stderr_text + "\n" + stdout_text).replace("\r", "\n").splitlines():
        if "Error from server" in line or line.startswith("ERR ") or "Could not connect" in line:
            return line.strip()
    return None


class RunResult:
    """One redis-benchmark invocation: parsed rows, exit status, wall and client CPU time."""

    def __init__(self, argv, returncode, stdout, stderr, wall_s, client_cpu_s, csv_output):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.wall_s = wall_s
        self.client_cpu_s = client_cpu_s
        self.rows = parse_csv(stdout) if csv_output else parse_text(stdout)
        self.error = None
        if returncode != 0 or not self.rows:
            self.error = (error_message(stderr, stdout)
                          or "redis-benchmark exited with status %s and printed no result: %s"
                          % (returncode, (stderr or stdout).strip()[-300:]))


def run(argv, cpus, registry, out_path=None, timeout_s=900, csv_output=True):
    """Runs redis-benchmark pinned to `cpus` (taskset list) and waits for it.

    The child's CPU time comes from wait4()'s rusage, so it covers the whole run. Its stdout and
    stderr are kept in out_path and out_path + ".err" when given. `registry`
    (servers.ProcessRegistry) kills it on Ctrl-C or failure.
    """
    full = ["taskset", "-c", cpus] + list(argv)
    with tempfile.TemporaryFile("w+") as out_tmp, tempfile.TemporaryFile("w+") as err_tmp:
        t0 = time.monotonic()
        p = subprocess.Popen(list(registry.prefix) + full, stdout=out_tmp, stderr=err_tmp,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        registry.add(p, "redis-benchmark")
        status = rusage = None
        try:
            while status is None:
                pid, st, ru = os.wait4(p.pid, os.WNOHANG)
                if pid == p.pid:
                    status, rusage = st, ru
                elif time.monotonic() - t0 > timeout_s:
                    p.kill()
                    _, status, rusage = os.wait4(p.pid, 0)
                else:
                    time.sleep(0.005)
        finally:
            if status is None:  # interrupted (Ctrl-C, SIGTERM): do not leave it running
                p.kill()
                p.wait()
            else:
                p.returncode = os.waitstatus_to_exitcode(status)
            registry.discard(p)
        wall = time.monotonic() - t0
        out_tmp.seek(0)
        err_tmp.seek(0)
        stdout, stderr = out_tmp.read(), err_tmp.read()
    if out_path:
        with open(out_path, "w") as f:
            f.write(stdout)
        with open(out_path + ".err", "w") as f:
            f.write(stderr)
    return RunResult(full, p.returncode, stdout, stderr, wall,
                     rusage.ru_utime + rusage.ru_stime, csv_output)
