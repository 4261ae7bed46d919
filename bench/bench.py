#!/usr/bin/python3
"""strata benchmark tool: this server side by side with a stock redis-server, pinned with taskset,
driven by stock redis-benchmark. Run with Debian's /usr/bin/python3 (psutil, matplotlib).

  bench.py quick   SET/GET at -P 1 and -P 16, one table of ratios (under two minutes)
  bench.py script  EVALSHA of a 1-call and a 10-call script, the same table (quick's runner)
  bench.py stream  XADD, XRANGE of 10 entries, XREADGROUP, XACK: the same table (quick's runner)
  bench.py cpu     threads x clients x pipeline x commands (SET GET INCR LPUSH HSET ZADD)
  bench.py disk    appendonly no / everysec / always (x backing tier for strata)
  bench.py mem     bytes per key: strings and collections at 100k and 1M
  bench.py instr   instructions per request under callgrind (two request counts, difference)
  bench.py stall   worst command latency while a set and the keyspace grow (resize stalls)
  bench.py tier    backing tier: hits, read-through misses, never-set keys (none/sqlite/mysql)

`bench.py MODE --help` lists every knob with its default for that mode. Results go to
bench/results/<mode>-<date>/ (CSV, JSON lines, summary.md, PNGs); see docs/BENCHMARKS.md.
"""
import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from strata_bench import meta, servers  # noqa: E402

ALL_TESTS = "set,get,incr,lpush,hset,zadd"


def default_threads(server_cpus):
    """1..N in powers of two plus N, N = number of server CPUs; at least 1,2 (on a 2-core
    machine both threads then share the server's one core: this shows threading overhead, not
    scaling)."""
    n = len(meta.parse_cpu_list(server_cpus))
    out, t = [], 1
    while t < n:
        out.append(t)
        t *= 2
    out.append(n)
    return sorted(set(out) | {1, 2}) if n <= 2 else sorted(set(out))


MODE_DEFAULTS = {
    "quick": dict(tests="set,get", pipelines="1,16", clients="50", threads="1",
                  requests=100000, requests_pipelined=500000, reps=3, latency_source="csv"),
    "script": dict(tests="evalsha_incr,evalsha_10", pipelines="1,16", clients="50", threads="1",
                   requests=100000, requests_pipelined=500000, reps=3, latency_source="csv"),
    "stream": dict(tests="xadd,xrange_10,xreadgroup,xack,ping_mbulk", pipelines="1,16", clients="50", threads="1",
                   requests=100000, requests_pipelined=500000, reps=3, latency_source="csv"),
    "cpu": dict(tests=ALL_TESTS, pipelines="1,16,64", clients="50", threads=None,
                requests=200000, requests_pipelined=1000000, reps=1, latency_source="text"),
    "disk": dict(tests="set", pipelines="1,16", clients="50", threads="1",
                 requests=100000, requests_pipelined=500000, reps=1, latency_source="text"),
    "mem": dict(tests="set", pipelines="1", clients="50", threads="1",
                requests=0, requests_pipelined=0, reps=1, latency_source="csv"),
    "stall": dict(tests="sadd,set", pipelines="16", clients="1", threads="1",
                  requests=0, requests_pipelined=0, reps=1, latency_source="csv"),
    "instr": dict(tests="set,get", pipelines="16", clients="50", threads="1",
                  requests=100000, requests_pipelined=100000, reps=1, latency_source="csv"),
    # reps=None: 3, or 1 with --quick (modes/tier.py)
    "tier": dict(tests="set,get", pipelines="16,1", clients="50", threads="1",
                 requests=100000, requests_pipelined=2000000, reps=None, latency_source="csv"),
}

HELP = {
    "quick": "SET/GET at -P 1 and -P 16 on both servers, one ratio table (make bench-quick)",
    "script": "EVALSHA of a 1-call and a 10-call script at -P 1 and -P 16, one ratio table "
              "(make bench-script)",
    "stream": "XADD, XRANGE of 10 entries, XREADGROUP and XACK at -P 1 and -P 16, one ratio "
              "table, with PING as the load generator's ceiling (make bench-stream)",
    "cpu": "CPU sweep: threads x clients x pipeline x commands (make bench-cpu)",
    "disk": "persistence sweep: appendonly no/everysec/always, backing tiers (make bench-disk)",
    "mem": "memory sweep: RSS bytes per key/element, strings and collections (make bench-mem)",
    "instr": "instructions per request under callgrind (make bench-instr)",
    "stall": "worst command latency while a set and the keyspace grow large (make bench-stall)",
    "tier": "backing tier: hit path, read-through misses, hits under misses, never-set keys, "
            "strata --backend none/sqlite/mysql beside redis-server (make bench-tier)",
}


def _ints(s):
    return [int(x) for x in str(s).split(",") if x.strip()]


def _strs(s):
    return [x.strip().lower() for x in str(s).split(",") if x.strip()]


def add_common(p, mode):
    d = MODE_DEFAULTS[mode]
    scpu, ccpu = meta.default_cpu_split()
    g = p.add_argument_group("servers and pinning")
    g.add_argument("--strata-bin", default=os.path.join(REPO, "build", "strata-server"),
                   help="this project's server binary (default: %(default)s); a redis-server "
                        "binary here dry-runs the tool with redis on both sides")
    g.add_argument("--redis-bin", default=shutil.which("redis-server") or "/usr/bin/redis-server",
                   help="stock redis-server (default: %(default)s)")
    g.add_argument("--servers", default="strata,redis",
                   help="which servers, in order (default: %(default)s)")
    g.add_argument("--server-cpus", default=scpu,
                   help="taskset CPU list for the servers (default here: %(default)s)")
    g.add_argument("--client-cpus", default=ccpu,
                   help="taskset CPU list for redis-benchmark (default here: %(default)s)")
    g.add_argument("--client-threads", type=int, default=None,
                   help="redis-benchmark --threads (default: its number of CPUs when > 1)")
    g.add_argument("--strata-args", default="", help="extra directives for strata, e.g. "
                   "\"--shards 32\"")
    g.add_argument("--redis-args", default="", help="extra directives for redis-server")
    g = p.add_argument_group("workload")
    g.add_argument("--tests", default=d["tests"],
                   help="redis-benchmark -t names, comma-separated (default: %(default)s)")
    g.add_argument("--pipelines", default=d["pipelines"], help="-P values (default: %(default)s)")
    g.add_argument("--clients", default=d["clients"], help="-c values (default: %(default)s)")
    g.add_argument("--threads", default=d["threads"],
                   help="server threads: strata --threads, redis --io-threads (default: %s)"
                        % (d["threads"] or "1..server CPUs, at least 1,2"))
    g.add_argument("--requests", type=int, default=d["requests"],
                   help="-n at -P 1 (default: %(default)s)")
    g.add_argument("--requests-pipelined", type=int, default=d["requests_pipelined"],
                   help="-n at -P > 1 (default: %(default)s)")
    g.add_argument("--keyspace", type=int, default=100000,
                   help="-r random key space (default: %(default)s)")
    g.add_argument("--data-size", type=int, default=None,
                   help="-d value size in bytes (default: redis-benchmark's 3)")
    g.add_argument("--reps", type=int, default=d["reps"],
                   help="repetitions of every point (default: %s)"
                        % (d["reps"] or "3, 1 with --quick"))
    g.add_argument("--latency-source", choices=("csv", "text"), default=d["latency_source"],
                   help="redis-benchmark --csv, or its default text output which also gives "
                        "p99.9 (default: %(default)s)")
    g = p.add_argument_group("output")
    g.add_argument("--results-dir", default=os.path.join(HERE, "results"),
                   help="where run directories go (default: %(default)s)")
    g.add_argument("--data-dir", default=None,
                   help="parent of the servers' data directories (default: the run directory, "
                        "i.e. the repository's disk; mind tmpfs for the disk sweep)")
    g.add_argument("--keep-data", action="store_true", help="keep the servers' data directories")
    g.add_argument("--wandb", action="store_true",
                   help="also log to Weights & Biases (optional; only if `import wandb` works)")
    g.add_argument("--wandb-project", default="strata-bench")


def add_tier(p):
    g = p.add_argument_group("backing tier (docs/BENCHMARKS.md, 'Backing tier')")
    g.add_argument("--quick", action="store_true",
                   help="fewer points: 1 repetition of each part, MySQL pool size 20 only "
                        "(knobs given explicitly still win)")
    g.add_argument("--parts", default="hit,absent,miss,mixed",
                   help="hit: resident keys; absent: GETs of never-set keys; miss: read-through "
                        "after a restart; mixed: hit latency with misses in flight "
                        "(default: %(default)s)")
    g.add_argument("--tiers", default="none,sqlite,mysql",
                   help="strata --backend values (default: %(default)s)")
    g.add_argument("--mysql-pool-size", type=int, default=20,
                   help="mysql-pool-size of the hit path (default: %(default)s)")
    g.add_argument("--pool-sizes", default=None,
                   help="mysql-pool-size values of the miss path (default: 20,4; 20 with "
                        "--quick); the mixed part uses the first")
    g.add_argument("--miss-keys", type=int, default=200000,
                   help="keys written, then only in the backend after a restart "
                        "(default: %(default)s)")
    g.add_argument("--miss-value-size", type=int, default=100,
                   help="their value size in bytes (default: %(default)s)")
    g.add_argument("--miss-requests", type=int, default=None,
                   help="GETs per miss point, -r miss-keys (default: miss-keys / 4, so ~88%% "
                        "of them are first reads of a key)")
    g.add_argument("--miss-clients", type=int, default=50,
                   help="-c of the miss load: each connection waits on its own read-through "
                        "(default: %(default)s)")
    g.add_argument("--miss-reps", type=int, default=None,
                   help="repetitions of each miss point, each after a restart (default: 3, 1 "
                        "with --quick)")
    g.add_argument("--mixed-reps", type=int, default=None,
                   help="repetitions of the mixed part (default: 3, 1 with --quick)")
    g.add_argument("--hot-keys", type=int, default=10000,
                   help="resident keys the mixed part's hits go to (default: %(default)s)")
    g.add_argument("--background-ramp", type=float, default=0.5,
                   help="seconds the miss load runs before the hits start (default: "
                        "%(default)s)")
    g.add_argument("--db-cpus", default=None,
                   help="taskset CPU list for MariaDB (default: the server CPUs)")


def build_parser():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    for mode in ("quick", "script", "stream", "cpu", "disk", "mem", "instr", "stall", "tier"):
        p = sub.add_parser(mode, help=HELP[mode], description=HELP[mode])
        add_common(p, mode)
        if mode == "disk":
            p.add_argument("--appendonly-modes", default="no,everysec,always",
                           help="no | everysec | always (default: %(default)s)")
            p.add_argument("--tiers", default="none,sqlite,mysql",
                           help="strata backing tiers, see --tier-args (default: %(default)s)")
            p.add_argument("--tier-args", action="append", default=[], metavar="TIER=ARGS",
                           help="strata directives for a tier, e.g. "
                                "'mysql=--backend mysql --mysql-host 127.0.0.1' (repeatable)")
        if mode == "cpu":
            p.add_argument("--redis-io-threads", default=None,
                           help="redis --io-threads values (default: --threads capped at the "
                                "number of server CPUs: its I/O threads busy-poll)")
        if mode == "mem":
            p.add_argument("--sizes", default="100000,1000000",
                           help="elements loaded per point (default: %(default)s)")
            p.add_argument("--types", default="string,list,hash,set,zset,stream",
                           help="value types (default: %(default)s)")
            p.add_argument("--elements-per-key", type=int, default=100,
                           help="collection size: elements per key (default: %(default)s)")
            p.add_argument("--key-size", type=int, default=16, help="(default: %(default)s)")
            p.add_argument("--value-size", type=int, default=16,
                           help="string values, hash values and collection members "
                                "(default: %(default)s)")
        if mode == "tier":
            add_tier(p)
        if mode == "stall":
            p.add_argument("--set-members", type=int, default=10000000,
                           help="SADDs of random members into one set (default: %(default)s)")
            p.add_argument("--keys", type=int, default=20000000,
                           help="SETs of random keys (default: %(default)s)")
            p.add_argument("--batch", type=int, default=16,
                           help="commands per pipelined batch (default: %(default)s)")
        if mode == "instr":
            p.add_argument("--requests-high", type=int, default=200000,
                           help="-n of the second run (the first uses --requests) "
                                "(default: %(default)s)")
    return ap


def normalize(args):
    args.servers = _strs(args.servers)
    args.tests = _strs(args.tests)
    args.pipelines = _ints(args.pipelines)
    args.clients = _ints(args.clients)
    args.threads = _ints(args.threads) if args.threads else default_threads(args.server_cpus)
    if args.client_threads is None:
        n = len(meta.parse_cpu_list(args.client_cpus))
        args.client_threads = n if n > 1 else None
    args.strata_bin = os.path.abspath(args.strata_bin)
    args.redis_bin = os.path.abspath(args.redis_bin)
    args.results_dir = os.path.abspath(args.results_dir)
    if args.data_dir:
        args.data_dir = os.path.abspath(args.data_dir)
    return args


def check(args):
    problems = []
    for name in args.servers:
        if name not in ("strata", "redis"):
            problems.append("unknown server %r (use strata and/or redis)" % name)
    if "strata" in args.servers and not os.access(args.strata_bin, os.X_OK):
        problems.append("strata binary %s not found: build it with `make` (or dry-run with "
                        "--strata-bin %s)" % (args.strata_bin, args.redis_bin))
    if "redis" in args.servers and not os.access(args.redis_bin, os.X_OK):
        problems.append("redis-server %s not found (apt-get install redis-server)"
                        % args.redis_bin)
    for tool, pkg in (("redis-benchmark", "redis-tools"), ("taskset", "util-linux")):
        if not shutil.which(tool):
            problems.append("%s not found (apt-get install %s)" % (tool, pkg))
    if args.mode == "instr" and not shutil.which("valgrind"):
        problems.append("valgrind not found (apt-get install valgrind)")
    for what, cpus in (("--server-cpus", args.server_cpus), ("--client-cpus", args.client_cpus)):
        if subprocess.run(["taskset", "-c", cpus, "true"], stderr=subprocess.DEVNULL).returncode:
            problems.append("cannot pin to %s %s" % (what, cpus))
    if set(meta.parse_cpu_list(args.server_cpus)) & set(meta.parse_cpu_list(args.client_cpus)):
        print("warning: server and client CPUs overlap (%s / %s): they will compete"
              % (args.server_cpus, args.client_cpus), file=sys.stderr)
    return problems


def main(argv=None):
    sys.stdout.reconfigure(line_buffering=True)  # the table and the progress lines interleave
    args = normalize(build_parser().parse_args(argv))
    problems = check(args)
    if problems:
        for pr in problems:
            print("bench.py: " + pr, file=sys.stderr)
        return 2
    servers.install_signal_handlers()
    from strata_bench.modes import common
    import importlib
    mode = importlib.import_module("strata_bench.modes." + args.mode)
    try:
        with common.Context(args, args.mode, REPO) as ctx:
            return mode.run(ctx)
    except KeyboardInterrupt:
        return 130
    except servers.StartError as e:
        print("bench.py: %s\n%s" % (e, e.log_tail), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
