"""Backing-tier benchmark (make bench-tier): what `--backend sqlite|mysql` costs and what it gives,
beside `--backend none` and redis-server in the same run. Four parts (--parts):

  hit     Keys resident in memory. strata --backend none / sqlite / mysql and redis-server, all
          with appendonly yes, appendfsync everysec, so the only difference between the strata
          configurations is the tier. All servers are up at once, the key space (-r) is preloaded
          so that GETs hit, and every (pipeline, test) runs on each server back to back, the
          order alternating between repetitions. Before every point the tool waits until no
          server has a checkpoint outstanding, so one server's checkpoint does not land in
          another's measurement (a SET point's own checkpoints do land in it: that is the cost).
  absent  GETs of keys that were never set (`GET nokey:__rand_int__`) on the same servers, while
          the backend holds the preloaded keys: with a tier the key index answers "not there"
          without a database round trip, so the rate should match --backend none.
  miss    Read-through. --miss-keys keys of --miss-value-size bytes are written, a checkpoint
          is awaited (INFO backend: checkpoint_backlog_keys == 0 and checkpoint_lsn >= the WAL's
          last LSN after the load), and the server is stopped (SIGTERM) and started again: then
          every key is only in the backend and memory is empty. redis-benchmark GETs random keys
          (-r miss-keys, -c miss-clients, -P 1, -n miss-requests < miss-keys); a repeat of a key
          already read hits memory, so the miss count comes from the server (INFO
          readthrough_keys), and both requests/s and read-throughs/s are reported. Every
          repetition restarts the server, so each starts cold. MySQL is run at each
          --pool-sizes (mysql-pool-size: the read connections and threadpool size).
  mixed   Hit latency while misses are in flight: after a restart the first --hot-keys keys are
          read back (MGET, so they are resident) and redis-benchmark GETs them (-r hot-keys)
          alone, then again while a second redis-benchmark GETs random keys of the whole cold
          set on 50 other connections. Both load generators share the client CPUs.

MySQL is a throwaway MariaDB (tests/integration/mariadb.py, started and stopped by pid), pinned
to the server CPUs (--db-cpus): the database competes with the server, not with the load
generator, and on this 2-core machine everything server-side shares one core.
"""
import importlib.util
import math
import os
import subprocess
import time

from .. import info as info_mod
from .. import measure, procstat, rbench, report, resp, servers
from ..progress import Progress
from .common import log

TIERS = ("none", "sqlite", "mysql")
PARTS = ("hit", "absent", "miss", "mixed")
ABSENT_COMMAND = ("GET", "nokey:__rand_int__")
BACKEND_DELTAS = ("readthrough_loads", "readthrough_keys", "readthrough_found",
                  "readthrough_errors", "checkpoints", "checkpoint_rows")
HIT_METRICS = ("rps", "p50_latency_ms", "p99_latency_ms", "server_cpu_us_per_req",
               "total_cpu_us_per_req", "client_cpu_pct", "others_on_server_cpus_pct")
DEFAULTS = dict(reps=3, miss_reps=3, mixed_reps=3, pool_sizes="20,4")
QUICK = dict(reps=1, miss_reps=1, mixed_reps=1, pool_sizes="20")  # --quick


# ---- pure helpers (unit-tested in bench/tests/test_tier.py) ----------------------------------

def key_name(i):
    """redis-benchmark's key for random number i under -r: key:%012d."""
    return b"key:%012d" % i


def value_for(i, size):
    """A value of exactly `size` bytes that names its key's number (so a wrong install shows)."""
    if size <= 0:
        return b""
    base = b"%012d:" % i
    return (base * (size // len(base) + 1))[:size]


def set_payload(start, n, size=None, value=None):
    """Pipelined RESP for SET key_name(i) value, i in [start, start + n): value_for(i, size), or
    the fixed `value` when given."""
    out = []
    for i in range(start, start + n):
        k = key_name(i)
        v = value if value is not None else value_for(i, size)
        out.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
    return b"".join(out)


def first_touch_fraction(requests, keyspace):
    """Expected share of `requests` uniform random picks from `keyspace` keys that pick a key
    for the first time (= the miss share of a cold read-through run): E[distinct] / requests,
    E[distinct] = K (1 - (1 - 1/K)^n)."""
    if requests <= 0 or keyspace <= 0:
        return None
    distinct = keyspace * (1.0 - math.exp(requests * math.log1p(-1.0 / keyspace))) \
        if keyspace > 1 else 1.0
    return distinct / requests


def checkpoint_settled(backend, target_lsn=None):
    """INFO backend fields -> True when nothing is waiting for a checkpoint: no dirty keys, no
    WAL records above the checkpoint LSN, and (when given) checkpoint_lsn >= target_lsn."""
    if not backend:
        return False
    if backend.get("checkpoint_backlog_keys") != 0:
        return False
    if backend.get("checkpoint_backlog_lsns") not in (0, None):
        return False
    if target_lsn is not None and (backend.get("checkpoint_lsn") or 0) < target_lsn:
        return False
    return True


def backend_deltas(before, after, fields=BACKEND_DELTAS):
    """{field: after - before} for the INFO backend counters present in both (else None)."""
    out = {}
    for f in fields:
        b, a = (before or {}).get(f), (after or {}).get(f)
        out[f] = (a - b) if isinstance(a, int) and isinstance(b, int) else None
    return out


def config_label(tier, pool=None):
    """'sqlite', 'mysql', 'mysql pool=4' (pool given only where it varies)."""
    return tier if pool is None else "%s pool=%d" % (tier, pool)


def hit_plan(configs, reps, pipelines, tests):
    """[(rep, pipeline, test, config)]: every (pipeline, test) on every config back to back, the
    config order reversed on odd repetitions (A B C D, D C B A, ...)."""
    out = []
    for rep in range(reps):
        order = list(configs) if rep % 2 == 0 else list(reversed(configs))
        for p in pipelines:
            for t in tests:
                for c in order:
                    out.append((rep, p, t, c))
    return out


def per_rep_ratios(records, num, den, keys=("test", "pipeline"), metric="rps"):
    """{key tuple: [ratio per repetition]} of config `num` to config `den` over records that
    share keys + rep (records with status ok only)."""
    by = {}
    for r in records:
        if r.get("status") != "ok" or r.get(metric) is None:
            continue
        by.setdefault(tuple(r.get(k) for k in keys) + (r.get("rep"),), {})[r["config"]] = r[metric]
    out = {}
    for k, v in by.items():
        if num in v and den in v and v[den]:
            out.setdefault(k[:-1], []).append(v[num] / v[den])
    return out


def fmt_ratio_range(median_ratio, ratios):
    """'0.97 (0.95-0.99)' or '0.97' with one repetition, '-' without a ratio."""
    if median_ratio is None:
        return "-"
    if len(ratios) > 1:
        return "%.2f (%.2f-%.2f)" % (median_ratio, min(ratios), max(ratios))
    return "%.2f" % median_ratio


def fmt_range(agg_row, metric, spec="{:,.0f}"):
    """'123,456 (120,000-130,000)': median with min-max over repetitions."""
    if not agg_row or agg_row.get(metric) is None:
        return "-"
    m, lo, hi = agg_row[metric], agg_row.get(metric + "_min"), agg_row.get(metric + "_max")
    s = spec.format(m)
    if agg_row.get("n", 1) > 1 and lo is not None and hi is not None and lo != hi:
        s += " (%s-%s)" % (spec.format(lo), spec.format(hi))
    return s


# ---- MariaDB --------------------------------------------------------------------------------

def _mariadb_module(repo):
    """tests/integration/mariadb.py, loaded by path (the name `mariadb` may also be the Python
    connector's)."""
    path = os.path.join(repo, "tests", "integration", "mariadb.py")
    spec = importlib.util.spec_from_file_location("strata_it_mariadb", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def start_mariadb(ctx, cpus):
    """A throwaway MariaDB pinned to `cpus`, or (None, reason)."""
    try:
        mod = _mariadb_module(ctx.repo)
    except Exception as e:  # noqa: BLE001 - the file is someone else's; report, don't crash
        return None, "cannot load tests/integration/mariadb.py: %s" % e
    prefix = list(ctx.registry.prefix) + ["taskset", "-c", cpus]

    class PinnedMariaDB(mod.MariaDB):
        def command_line(self):
            return prefix + super().command_line()
    db = PinnedMariaDB()
    try:
        db.start()
    except Exception as e:  # noqa: BLE001 - MariaDBError, OSError, timeouts
        try:
            db.destroy()
        except Exception:  # noqa: BLE001
            pass
        return None, "MariaDB did not start: %s" % str(e).splitlines()[0]
    ctx.meta["mariadb_version"] = _version([mod.MARIADBD, "--version"])
    ctx.meta["mariadb_args"] = db.command_line()[len(prefix):]
    ctx.meta["mariadb_cpus"] = cpus
    return db, None


def _version(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None


def tier_directives(tier, db=None, database=None, pool=None):
    a = ["--backend", tier]
    if tier == "mysql" and db is not None:
        a += ["--mysql-socket", db.socket, "--mysql-user", db.user,
              "--mysql-password", db.password, "--mysql-database", database]
    if tier == "mysql" and pool is not None:
        a += ["--mysql-pool-size", str(pool)]
    return a


# ---- server helpers -------------------------------------------------------------------------

def _check(srv, tier):
    """None if the server runs with appendonly yes, everysec and the tier; else why not."""
    for name, want in (("appendonly", "yes"), ("appendfsync", "everysec")):
        got = srv.config_get(name)
        if got != want:
            return "CONFIG GET %s is %r, not %r" % (name, got, want)
    if srv.kind == "strata" and tier is not None:
        got = srv.config_get("backend")
        if got != tier:
            return "CONFIG GET backend is %r, not %r" % (got, tier)
    return None


def _start(ctx, srv, tier):
    """Starts srv; returns None or the reason it cannot be measured."""
    try:
        srv.start()
    except servers.StartError as e:
        last = [l.strip() for l in e.log_tail.splitlines() if l.strip()]
        return "%s: %s" % (e, " ".join(last[-2:]))
    log("  %s: pid %d, port %d: %s" % (srv.name, srv.pid, srv.port, " ".join(srv.argv)))
    return _check(srv, tier)


def backend_info(srv):
    try:
        return srv.info().get("backend") or {}
    except (OSError, resp.ReplyError, ConnectionError):
        return {}


def wal_last_lsn(srv):
    return info_mod.field(srv.info(), "wal_last_lsn")


def wait_checkpoint(srv, target_lsn=None, timeout_s=60.0):
    """Polls INFO backend until checkpoint_settled(); returns (seconds waited, ok)."""
    t0 = time.monotonic()
    while True:
        b = backend_info(srv)
        if checkpoint_settled(b, target_lsn):
            return time.monotonic() - t0, True
        if time.monotonic() - t0 > timeout_s or (srv.proc and srv.proc.poll() is not None):
            return time.monotonic() - t0, False
        time.sleep(0.05)


def quiesce(tier_servers, timeout_s=30.0):
    """Waits until no tier server has a checkpoint outstanding. Returns the seconds waited."""
    t0 = time.monotonic()
    for srv in tier_servers:
        _, ok = wait_checkpoint(srv, None, max(1.0, timeout_s - (time.monotonic() - t0)))
        if not ok:
            log("  note: %s still has a checkpoint backlog after %.0f s: %s"
                % (srv.name, timeout_s, {k: v for k, v in backend_info(srv).items()
                                         if k.startswith("checkpoint_backlog")}))
    return time.monotonic() - t0


def _cpu_s(pid):
    """utime+stime of pid in seconds, or 0.0 without a pid (no database) or once it is gone."""
    if not pid:
        return 0.0
    try:
        return procstat.process_cpu_seconds(pid)
    except (OSError, ValueError):
        return 0.0


def drain_figures(s, tier, rec, cpu0, dcpu0, db_pid):
    """After a point on a tier server: waits until the checkpoint of the point's writes has
    committed (write-behind: a short SET point ends before its rows reach the backend), then
    charges the server's CPU from the start of the point to the commit, plus MariaDB's, to the
    point's requests: total_cpu_us_per_req. For servers without a tier it is the point's CPU."""
    out = {"drain_s": 0.0}
    if tier not in (None, "none") and rec.get("status") == "ok":
        try:
            waited, ok = wait_checkpoint(s, wal_last_lsn(s), 60)
        except (OSError, ConnectionError, resp.ReplyError):
            waited, ok = 0.0, False
        out.update(drain_s=round(waited, 3), drain_ok=ok)
    n = rec.get("requests_served") or rec.get("requests")
    scpu, dcpu = _cpu_s(s.pid) - cpu0, _cpu_s(db_pid) - dcpu0
    if n and rec.get("status") == "ok":
        out.update(total_cpu_us_per_req=round((scpu + dcpu) / n * 1e6, 4),
                   db_cpu_us_per_req=round(dcpu / n * 1e6, 4) if db_pid else None)
    return out


def preload(srv, start, n, size=None, value=None, batch=10000):
    """SET key_name(i) for i in [start, start+n) over one pipelined connection. Returns seconds;
    raises RuntimeError on an error reply."""
    t0 = time.monotonic()
    with srv.client(timeout=120) as c:
        for b in range(start, start + n, batch):
            k = min(batch, start + n - b)
            errs = c.pipeline_raw(set_payload(b, k, size, value), k)
            if errs:
                raise RuntimeError("preload of %s: %s" % (srv.name, errs[0]))
    return time.monotonic() - t0


def verify_sample(srv, keyspace, size, sample=1000, step=None):
    """MGETs `sample` keys spread over the key space and counts wrong or missing values (a
    read-through that installs the wrong value, or reports a key as absent, shows here)."""
    step = step or max(1, keyspace // sample)
    idx = list(range(0, keyspace, step))[:sample]
    bad = 0
    with srv.client(timeout=120) as c:
        for j in range(0, len(idx), 500):
            part = idx[j:j + 500]
            got = c.call("MGET", *[key_name(i) for i in part])
            bad += sum(1 for i, v in zip(part, got) if v != value_for(i, size))
    return bad, len(idx)


def warm(srv, n, size, batch=1000):
    """Reads keys 0..n-1 (MGET batches: one read-through per batch). Returns (missing, s)."""
    t0 = time.monotonic()
    missing = 0
    with srv.client(timeout=120) as c:
        for b in range(0, n, batch):
            part = range(b, min(n, b + batch))
            got = c.call("MGET", *[key_name(i) for i in part])
            missing += sum(1 for i, v in zip(part, got) if v != value_for(i, size))
    return missing, time.monotonic() - t0


# ---- one redis-benchmark run with the figures this mode needs --------------------------------

def bench_point(ctx, srv, argv, raw_name, params, background=None):
    """Runs redis-benchmark `argv` against srv and returns a record: redis-benchmark's figures,
    the server's CPU, its INFO backend deltas (read-throughs, checkpoints) and, with
    `background` (argv of a second redis-benchmark), that second load running throughout."""
    a = ctx.args
    rec = dict(params, server=srv.name, server_kind=srv.kind, status="ok", error=None,
               rb_command=" ".join(["taskset", "-c", a.client_cpus] + argv))
    bg = None
    try:
        if background:
            rec["background_command"] = " ".join(["taskset", "-c", a.client_cpus] + background)
            bg_out = open(ctx.results.raw(raw_name + ".background"), "w")
            bg = subprocess.Popen(list(ctx.registry.prefix) + ["taskset", "-c", a.client_cpus]
                                  + background, stdout=bg_out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
            bg_out.close()
            ctx.registry.add(bg, "redis-benchmark (background)")
            time.sleep(a.background_ramp)
            if bg.poll() is not None:
                raise RuntimeError("the background redis-benchmark exited early (status %s)"
                                   % bg.returncode)
        b_before = backend_info(srv)
        cpu_b = procstat.process_cpu_seconds(srv.pid)
        sampler = procstat.CoreSampler(0.25).start()
        try:
            res = rbench.run(argv, a.client_cpus, ctx.registry, ctx.results.raw(raw_name),
                             csv_output=True)
        finally:
            sampler.stop()
        cpu_a = procstat.process_cpu_seconds(srv.pid)
        b_after = backend_info(srv)
        rec["used_memory"] = info_mod.field(srv.info(), "used_memory")
    except (OSError, ConnectionError, resp.ReplyError, RuntimeError) as e:
        rec.update(status="error", error="%s: %s" % (e.__class__.__name__, e))
        return rec
    finally:
        if bg is not None:
            servers.stop_process(bg, 5.0)
            ctx.registry.discard(bg)
    row = res.rows[-1] if res.rows else {}
    for k in rbench.CSV_FIELDS[1:]:
        rec[k] = row.get(k)
    if res.error:
        rec.update(status="error", error=res.error)
    wall = res.wall_s
    n = params.get("requests") or 0
    cpu = cpu_a - cpu_b
    busy = sampler.busy_pct
    cores = [c for c in _cpus(srv.cpus) if c < len(busy)]
    on_cores = sum(busy[c] or 0 for c in cores)
    d = backend_deltas(b_before, b_after)
    rec.update(
        wall_s=round(wall, 4),
        server_cpu_s=round(cpu, 4),
        server_cpu_pct=round(100 * cpu / wall, 1) if wall > 0 else None,
        server_cpu_us_per_req=round(cpu / n * 1e6, 4) if n else None,
        others_on_server_cpus_pct=round(max(0.0, on_cores - 100 * cpu / wall), 1)
        if wall > 0 else None,
        core_busy_pct=busy,
        client_cpu_s=round(res.client_cpu_s, 4),
        client_cpu_pct=round(100 * res.client_cpu_s / wall, 1) if wall > 0 else None,
        loadavg=round(os.getloadavg()[0], 2),
    )
    rec.update(d)
    if d.get("readthrough_keys") is not None and wall > 0:
        rec["readthroughs_per_s"] = round(d["readthrough_keys"] / wall, 1)
        rec["miss_fraction"] = round(d["readthrough_keys"] / n, 4) if n else None
    return rec


def _cpus(s):
    from ..meta import parse_cpu_list
    return parse_cpu_list(s)


def _brief(rec):
    s = measure.brief(rec) if "requests_served" in rec else (
        "%s: %s" % (rec["status"], (rec.get("error") or "")[:100]) if rec["status"] != "ok" else
        "%s rps, p50 %s ms, p99 %s ms, server %s%% of a core, client %s%%" % (
            measure.fmt_int(rec.get("rps")), rec.get("p50_latency_ms"),
            rec.get("p99_latency_ms"), rec.get("server_cpu_pct"), rec.get("client_cpu_pct")))
    if rec.get("readthrough_keys"):
        s += "; %s read-throughs (%s/s)" % (measure.fmt_int(rec["readthrough_keys"]),
                                             measure.fmt_int(rec.get("readthroughs_per_s")))
    return s


# ---- the run ----------------------------------------------------------------------------------

def run(ctx):
    a = ctx.args
    # Knobs left unset take the default, or with --quick the smaller figure.
    for k, v in QUICK.items():
        if getattr(a, k) is None:
            setattr(a, k, v if a.quick else DEFAULTS[k])
    parts = [p.strip() for p in a.parts.split(",") if p.strip()]
    tiers = [t.strip() for t in a.tiers.split(",") if t.strip()]
    pools = [int(x) for x in str(a.pool_sizes).split(",") if x.strip()]
    for p in parts:
        if p not in PARTS:
            raise SystemExit("unknown part %r (%s)" % (p, ", ".join(PARTS)))
    for t in tiers:
        if t not in TIERS:
            raise SystemExit("unknown tier %r (%s)" % (t, ", ".join(TIERS)))
    if a.miss_requests is None:
        a.miss_requests = max(1, a.miss_keys // 4)
    db_cpus = a.db_cpus or a.server_cpus
    ctx.meta.update(tier_parts=parts, tier_tiers=tiers, pool_sizes=pools)
    db, db_problem = None, None
    t0 = time.monotonic()
    try:
        if "mysql" in tiers:
            log("tier: starting MariaDB (pinned to cpus %s)" % db_cpus)
            db, db_problem = start_mariadb(ctx, db_cpus)
            if db_problem:
                log("  " + db_problem + ": the mysql configurations are recorded as unsupported")
            else:
                log("  MariaDB: pid %d, socket %s" % (db.pid, db.socket))
        if "hit" in parts or "absent" in parts:
            run_hit(ctx, parts, tiers, db, db_problem)
        if "miss" in parts or "mixed" in parts:
            run_miss(ctx, parts, [t for t in tiers if t != "none"], pools, db, db_problem)
    finally:
        ctx.registry.stop_all()
        if db is not None:
            db.destroy()
    return summarize(ctx, time.monotonic() - t0)


def _unsupported(params, reason):
    return dict(params, status="unsupported", error=reason)


def run_hit(ctx, parts, tiers, db, db_problem):
    a = ctx.args
    configs = []  # (config label, server name, tier)
    if "strata" in a.servers:
        configs += [(t, "strata", t) for t in tiers]
    if "redis" in a.servers:
        configs.append(("redis", "redis", None))
    tests = list(a.tests) if "hit" in parts else []
    if "absent" in parts:
        tests.append("absent")
    plan = hit_plan([c[0] for c in configs], a.reps, a.pipelines, tests)
    prog = Progress([ctx.weight(p) for _, p, _, _ in plan])
    log("tier/hit+absent: %d points on %s; servers on cpus %s, redis-benchmark on cpus %s; "
        "results in %s" % (len(plan), ", ".join(c[0] for c in configs), a.server_cpus,
                           a.client_cpus, ctx.results.dir))
    srv, problem = {}, {}
    value = b"x" * (a.data_size or 3)
    for label, name, tier in configs:
        extra = []
        if name == "strata":
            extra = tier_directives(tier, db, "strata_bench_hit", a.mysql_pool_size)
        s = ctx.server(name, threads=a.threads[0], appendonly="yes", appendfsync="everysec",
                       extra=extra, tag="hit-" + label)
        if tier == "mysql" and db_problem:
            problem[label] = db_problem
            continue
        problem[label] = _start(ctx, s, tier)
        if problem[label]:
            continue
        srv[label] = s
        try:
            took = preload(s, 0, a.keyspace, value=value)
            log("  %s: preloaded %d keys in %.1f s" % (label, a.keyspace, took))
        except (RuntimeError, OSError, ConnectionError) as e:
            problem[label] = str(e)
    tier_srv = [srv[c[0]] for c in configs if c[2] not in (None, "none") and c[0] in srv]
    quiesce(tier_srv)
    for rep, p, t, label in plan:
        name = next(c[1] for c in configs if c[0] == label)
        tier = next(c[2] for c in configs if c[0] == label)
        prog.start("%s %s -P %d (rep %d)" % (label, "GET never-set" if t == "absent"
                                              else t.upper(), p, rep + 1))
        params = dict(part="hit" if t != "absent" else "absent", config=label, tier=tier,
                      test=t if t != "absent" else "get", requests=ctx.requests_for(p),
                      clients=a.clients[0], pipeline=p, keyspace=a.keyspace,
                      data_size=a.data_size, rep=rep)
        if problem.get(label):
            rec = _unsupported(dict(params, server=name), problem[label])
        else:
            s = srv[label]
            waited = quiesce(tier_srv)
            raw = "hit-%s-%s-P%d-r%d.csv" % (label, t, p, rep)
            db_pid = db.pid if tier == "mysql" and db is not None else None
            cpu0, dcpu0 = _cpu_s(s.pid), _cpu_s(db_pid)
            if t == "absent":
                argv = rbench.command_line(s.port, "get", params["requests"], params["clients"],
                                           p, a.keyspace, None, a.client_threads, True)
                argv = [x for i, x in enumerate(argv) if not (x == "-t" or (
                    i > 0 and argv[i - 1] == "-t"))] + list(ABSENT_COMMAND)
                rec = bench_point(ctx, s, argv, raw, params)
            else:
                b_before = backend_info(s)
                rec = measure.run_point_safe(s, params, a.client_cpus, ctx.results.raw(raw),
                                             csv_output=True, client_threads=a.client_threads,
                                             disk_device=ctx.disk_device)
                rec.update(backend_deltas(b_before, backend_info(s)))
            rec["quiesce_s"] = round(waited, 3)
            rec.update(drain_figures(s, tier, rec, cpu0, dcpu0, db_pid))
        ctx.results.add(rec)
        prog.finish(_brief(rec))
    for s in srv.values():
        s.stop()


def run_miss(ctx, parts, tiers, pools, db, db_problem):
    a = ctx.args
    if "strata" not in a.servers or not tiers:
        return
    n, size = a.miss_keys, a.miss_value_size
    configs = []  # (label, tier, pool)
    for t in tiers:
        if t == "mysql":
            configs += [(config_label("mysql", p if len(pools) > 1 else None), "mysql", p)
                        for p in pools]
        else:
            configs.append((t, t, None))
    mixed_configs = [c for c in configs
                     if c[1] != "mysql" or c[2] == pools[0]] if "mixed" in parts else []
    miss_plan = []
    if "miss" in parts:
        for rep in range(a.miss_reps):
            order = configs if rep % 2 == 0 else list(reversed(configs))
            miss_plan += [("miss", rep, c) for c in order]
    for rep in range(a.mixed_reps):
        order = mixed_configs if rep % 2 == 0 else list(reversed(mixed_configs))
        miss_plan += [("mixed", rep, c) for c in order]
    weights = [a.miss_requests * 3 if k == "miss" else a.requests * 4 for k, _, _ in miss_plan]
    prog = Progress(weights)
    log("tier/miss+mixed: %d points on %s; %d keys x %d B, memory emptied by a restart before "
        "every point" % (len(miss_plan), ", ".join(c[0] for c in configs), n, size))
    srv, problem = {}, {}
    for tier in dict.fromkeys(c[1] for c in configs):
        s = ctx.server("strata", threads=a.threads[0], appendonly="yes",
                       appendfsync="everysec",
                       extra=tier_directives(tier, db, "strata_bench_miss", pools[0]),
                       tag="miss-" + tier)
        if tier == "mysql" and db_problem:
            problem[tier] = db_problem
            continue
        problem[tier] = _start(ctx, s, tier)
        if problem[tier]:
            continue
        try:
            took = preload(s, 0, n, size=size)
            target = wal_last_lsn(s)
            waited, ok = wait_checkpoint(s, target, timeout_s=120)
            log("  %s: preloaded %d keys x %d B in %.1f s; checkpoint committed %.1f s later "
                "(WAL last LSN %s)" % (tier, n, size, took, waited, target))
            if not ok:
                problem[tier] = "no checkpoint committed within 120 s of the preload: %s" % (
                    backend_info(s))
            ctx.meta.setdefault("miss_preload", {})[tier] = dict(
                seconds=round(took, 3), checkpoint_wait_s=round(waited, 3), wal_last_lsn=target)
        except (RuntimeError, OSError, ConnectionError, resp.ReplyError) as e:
            problem[tier] = str(e)
        srv[tier] = s
    for kind, rep, (label, tier, pool) in miss_plan:
        prog.start("%s %s (rep %d)" % (kind, label, rep + 1))
        base = dict(part=kind, config=label, tier=tier, pool_size=pool, rep=rep, server="strata",
                    backend_keys=n, value_size=size)
        if problem.get(tier):
            rec = _unsupported(base, problem[tier])
            ctx.results.add(rec)
            prog.finish(_brief(rec))
            continue
        s = srv[tier]
        restart = cold_restart(s, tier, pool)
        base.update(restart)
        if restart.get("restart_error"):
            rec = dict(base, status="error", error=restart["restart_error"])
            ctx.results.add(rec)
            prog.finish(_brief(rec))
            continue
        if kind == "miss":
            run_miss_point(ctx, s, base, label, rep, prog)
        else:
            run_mixed_point(ctx, s, base, label, rep, prog)
    for s in srv.values():
        s.stop()


def cold_restart(s, tier, pool):
    """Stops the server (SIGTERM) after making sure a checkpoint holds everything, and starts it
    again with the pool size; memory is then empty and every key is only in the backend."""
    out = {}
    target = wal_last_lsn(s)
    waited, ok = wait_checkpoint(s, target, timeout_s=60)
    out["pre_restart_checkpoint_wait_s"] = round(waited, 3)
    if not ok:
        out["restart_error"] = "checkpoint still outstanding before the restart: %s" % (
            backend_info(s))
        return out
    s.stop()
    if tier == "mysql" and pool is not None:
        i = s.extra.index("--mysql-pool-size")
        s.extra[i + 1] = str(pool)
    t0 = time.monotonic()
    try:
        s.start()
    except servers.StartError as e:
        out["restart_error"] = "%s: %s" % (e, e.log_tail[-300:])
        return out
    out["restart_s"] = round(time.monotonic() - t0, 3)
    b = backend_info(s)
    out.update(index_keys=b.get("index_keys"), index_loaded_keys=b.get("index_loaded_keys"),
               backend_only_keys=b.get("backend_only_keys"))
    return out


def run_miss_point(ctx, s, base, label, rep, prog):
    a = ctx.args
    n = a.miss_keys
    params = dict(base, test="get", requests=a.miss_requests, clients=a.miss_clients, pipeline=1,
                  keyspace=n, data_size=None,
                  expected_first_touch=round(first_touch_fraction(a.miss_requests, n), 4))
    argv = rbench.command_line(s.port, "get", a.miss_requests, a.miss_clients, 1, n, None,
                               a.client_threads, True)
    rec = bench_point(ctx, s, argv, "miss-%s-r%d.csv" % (label.replace(" ", "-"), rep), params)
    if rec["status"] == "ok":
        try:
            bad, checked = verify_sample(s, n, a.miss_value_size)
            rec.update(verify_checked=checked, verify_wrong=bad)
            if bad:
                log("  WARNING: %d of %d sampled keys read back wrong or missing" % (bad, checked))
        except (OSError, ConnectionError, resp.ReplyError) as e:
            rec.update(verify_error=str(e))
    ctx.results.add(rec)
    prog.finish(_brief(rec))


def run_mixed_point(ctx, s, base, label, rep, prog):
    a = ctx.args
    hot, n = a.hot_keys, a.miss_keys
    try:
        missing, took = warm(s, hot, a.miss_value_size)
    except (OSError, ConnectionError, resp.ReplyError) as e:
        rec = dict(base, status="error", error="warming the hot set: %s" % e)
        ctx.results.add(rec)
        prog.finish(_brief(rec))
        return
    base = dict(base, hot_keys=hot, warm_s=round(took, 3), warm_missing=missing)
    if missing:
        log("  WARNING: %d of %d hot keys read back wrong or missing" % (missing, hot))
    hit_argv = rbench.command_line(s.port, "get", a.requests, a.clients[0], 1, hot, None,
                                   a.client_threads, True)
    bg_argv = rbench.command_line(s.port, "get", 100000000, a.miss_clients, 1, n, None, None,
                                  True)
    loads = ("alone", "with misses") if rep % 2 == 0 else ("with misses", "alone")
    notes = []
    for load in loads:
        params = dict(base, test="get", requests=a.requests, clients=a.clients[0], pipeline=1,
                      keyspace=hot, load=load)
        rec = bench_point(ctx, s, hit_argv, "mixed-%s-%s-r%d.csv" % (
            label.replace(" ", "-"), load.replace(" ", "-"), rep), params,
            background=bg_argv if load == "with misses" else None)
        ctx.results.add(rec)
        notes.append("%s: %s" % (load, _brief(rec)))
    prog.finish(("\n        ").join(notes))


# ---- tables, plot, summary --------------------------------------------------------------------

def _configs(records, part):
    out = []
    for r in records:
        if r.get("part") == part and r.get("config") not in out:
            out.append(r["config"])
    return out


def hit_rows(records, part="hit"):
    """(headers, rows) of the hit or absent table: requests/s per configuration (median with
    min-max over repetitions), tier / none and none / redis with the per-repetition range, CPU
    per request (the point alone, and including the write-behind drain and MariaDB), p99."""
    recs = [r for r in records if r.get("part") == part]
    if not recs:
        return [], []
    cfgs = _configs(recs, part)
    tiered = [c for c in cfgs if c not in ("none", "redis")]
    agg = report.aggregate(recs, ("config", "test", "pipeline"), HIT_METRICS)
    by = {(r["config"], r["test"], r["pipeline"]): r for r in agg}
    ratios = [(c, "none") for c in tiered if "none" in cfgs]
    if "redis" in cfgs:
        ratios += [(c, "redis") for c in cfgs if c != "redis"]
    short = "/".join(_short(c) for c in cfgs)
    headers = (["test", "-P"] + ["%s rps" % c for c in cfgs]
               + ["%s/%s" % rr for rr in ratios]
               + ["CPU us/req " + short, "incl. write-behind " + short, "p99 ms " + short])
    keys = []
    for r in agg:
        if (r["test"], r["pipeline"]) not in keys:
            keys.append((r["test"], r["pipeline"]))
    rows = []
    for t, p in keys:
        def g(c, m, _t=t, _p=p):
            row = by.get((c, _t, _p))
            return row.get(m) if row and row.get("status") == "ok" else None

        def st(c, _t=t, _p=p):
            row = by.get((c, _t, _p))
            return row.get("status") if row and row.get("status") != "ok" else None

        def each(m, spec):
            return " / ".join(report.fmt(g(c, m), spec) for c in cfgs)
        name = "GET never-set" if part == "absent" else t.upper()
        row = [name, p] + [st(c) or fmt_range(by.get((c, t, p)), "rps") for c in cfgs]
        for num, den in ratios:
            rr = per_rep_ratios(recs, num, den).get((t, p), [])
            row.append(fmt_ratio_range(report.ratio(g(num, "rps"), g(den, "rps")), rr))
        row += [each("server_cpu_us_per_req", "{:.2f}"), each("total_cpu_us_per_req", "{:.2f}"),
                each("p99_latency_ms", "{:.2f}")]
        rows.append(row)
    return headers, rows


def _short(c):
    return {"none": "n", "sqlite": "s", "mysql": "m", "redis": "r"}.get(c, c)


MISS_HEADERS = ["config", "reps", "GET rps", "read-throughs/s", "misses / requests",
                "p50 ms", "p99 ms", "server CPU %", "others on server CPU %", "restart s",
                "keys only in backend"]


def miss_rows(records):
    recs = [r for r in records if r.get("part") == "miss"]
    agg = report.aggregate(recs, ("config",), (
        "rps", "readthroughs_per_s", "miss_fraction", "p50_latency_ms", "p99_latency_ms",
        "server_cpu_pct", "others_on_server_cpus_pct", "restart_s", "backend_only_keys"))
    rows = []
    for r in agg:
        if r["status"] != "ok":
            rows.append([r["config"], 0, r["status"]] + ["-"] * (len(MISS_HEADERS) - 3))
            continue
        rows.append([r["config"], r["n"], fmt_range(r, "rps"), fmt_range(r, "readthroughs_per_s"),
                     report.fmt(r["miss_fraction"], "{:.2f}"),
                     report.fmt(r["p50_latency_ms"], "{:.2f}"),
                     fmt_range(r, "p99_latency_ms", "{:.2f}"),
                     report.fmt(r["server_cpu_pct"], "{:.0f}"),
                     report.fmt(r["others_on_server_cpus_pct"], "{:.0f}"),
                     report.fmt(r["restart_s"], "{:.2f}"),
                     report.fmt(r["backend_only_keys"])])
    return rows


MIXED_HEADERS = ["config", "hit load", "reps", "hit GET rps", "hit p50 ms", "hit p99 ms",
                 "hit max ms", "read-throughs/s meanwhile", "p99 with/alone", "client CPU %"]


def mixed_rows(records):
    recs = [r for r in records if r.get("part") == "mixed"]
    agg = report.aggregate(recs, ("config", "load"), (
        "rps", "p50_latency_ms", "p99_latency_ms", "max_latency_ms", "readthroughs_per_s",
        "client_cpu_pct"))
    by = {(r["config"], r["load"]): r for r in agg}
    rows = []
    for r in agg:
        if r["status"] != "ok":
            rows.append([r["config"], r["load"] or "-", 0, r["status"]]
                        + ["-"] * (len(MIXED_HEADERS) - 4))
            continue
        alone = by.get((r["config"], "alone"))
        ratio = report.ratio(r["p99_latency_ms"], alone["p99_latency_ms"]) \
            if alone and alone.get("status") == "ok" and r["load"] != "alone" else None
        rows.append([r["config"], r["load"], r["n"], fmt_range(r, "rps"),
                     fmt_range(r, "p50_latency_ms", "{:.2f}"),
                     fmt_range(r, "p99_latency_ms", "{:.2f}"),
                     report.fmt(r["max_latency_ms"], "{:.1f}"),
                     report.fmt(r["readthroughs_per_s"]),
                     report.fmt_ratio(ratio) if r["load"] != "alone" else "-",
                     report.fmt(r["client_cpu_pct"], "{:.0f}")])
    return rows


def plot(records, out_dir):
    from .. import plots
    ok = [r for r in records if r.get("status") == "ok"]
    panels = [p for p in ("hit", "absent", "miss", "mixed") if any(r.get("part") == p
                                                                   for r in ok)]
    if not panels:
        return None
    cols = min(2, len(panels))
    rows = (len(panels) + cols - 1) // cols
    fig, grid = plots.plt.subplots(rows, cols, figsize=(7.0 * cols, 4.2 * rows), squeeze=False)
    axes = [ax for row in grid for ax in row]
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    for ax, part in zip(axes, panels):
        recs = [r for r in ok if r.get("part") == part]
        if part in ("hit", "absent"):
            # Requests/s relative to strata --backend none (the target: tiers within 5%).
            agg = report.aggregate(recs, ("config", "test", "pipeline"), ("rps",))
            by = {(r["config"], r["test"], r["pipeline"]): r["rps"] for r in agg}
            cfgs = [c for c in _configs(recs, part) if c != "none"]
            keys = []
            for r in agg:
                if (r["test"], r["pipeline"]) not in keys:
                    keys.append((r["test"], r["pipeline"]))
            cats = ["%s -P %d" % ("GET never-set" if part == "absent" else t.upper(), p)
                    for t, p in keys]
            series = []
            for i, c in enumerate(cfgs):
                rr = per_rep_ratios(recs, c, "none")
                vals = [report.ratio(by.get((c, t, p)), by.get(("none", t, p))) for t, p in keys]
                spread = [(min(rr[k]), max(rr[k])) if rr.get(k) else None for k in keys]
                color = plots.COLORS["redis"] if c == "redis" else plots._EXTRA[(i + 1) % 8]
                series.append(("redis" if c == "redis" else "strata " + c, color, vals, spread))
            if not series:
                continue
            plots._grouped_bars(ax, cats, series)
            ax.axhline(1.0, color="black", linewidth=0.8)
            ax.axhline(0.95, color="gray", linewidth=0.8, linestyle="--")
            ax.set_ylabel("requests/s / strata --backend none", fontsize=8)
            ax.set_title(("keys in memory (hits)" if part == "hit" else
                          "GETs of never-set keys") + ": ratio to --backend none "
                         "(median, bars: range over reps)", fontsize=9)
        elif part == "miss":
            agg = report.aggregate(recs, ("config",), ("rps", "readthroughs_per_s"))
            cats = [r["config"] for r in agg]
            plots._grouped_bars(ax, cats, [
                ("GET requests/s", plots._EXTRA[0], [r["rps"] for r in agg],
                 [(r["rps_min"], r["rps_max"]) for r in agg]),
                ("read-throughs/s", plots._EXTRA[1], [r["readthroughs_per_s"] for r in agg],
                 [(r["readthroughs_per_s_min"], r["readthroughs_per_s_max"]) for r in agg])])
            ax.set_ylabel("per second", fontsize=8)
            ax.set_title("cold keys (read-through), -c %s -P 1" % recs[0].get("clients"),
                         fontsize=9)
        else:
            agg = report.aggregate(recs, ("config", "load"), ("p50_latency_ms",
                                                              "p99_latency_ms"))
            cfgs = _configs(recs, part)
            series = []
            for i, (load, m) in enumerate((("alone", "p50_latency_ms"),
                                           ("alone", "p99_latency_ms"),
                                           ("with misses", "p50_latency_ms"),
                                           ("with misses", "p99_latency_ms"))):
                vals = []
                for c in cfgs:
                    row = next((r for r in agg if r["config"] == c and r["load"] == load), None)
                    vals.append(row[m] if row else None)
                series.append(("%s %s" % (m.split("_")[0], load), plots._EXTRA[i], vals, None))
            plots._grouped_bars(ax, cfgs, series)
            ax.set_ylabel("hit latency ms", fontsize=8)
            ax.set_title("hits on resident keys, alone / with misses in flight", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=6)
    fig.suptitle("backing tier: strata --backend none/sqlite/mysql (appendonly everysec) "
                 "and redis-server", fontsize=10)
    return plots._save(fig, os.path.join(out_dir, "tier.png"))


NOTES = {
    "hit": "Keys resident (preloaded); medians over repetitions with (min-max); ratios: median "
           "and per-repetition range. CPU us/req = the server's CPU during the point; incl. "
           "write-behind = the server's CPU (+ MariaDB's) from the start of the point until the "
           "checkpoint holding its writes committed; both per request, in the order of the rps "
           "columns (n = none, s = sqlite, m = mysql, r = redis); p99 in ms.",
    "absent": "GET nokey:__rand_int__ (never set) while the tier's backend holds the "
              "preloaded keys; read-throughs during these points: %s.",
    "miss": "Memory emptied by a restart before every repetition; misses / requests = "
            "readthrough_keys / -n (expected first-touch share %s); read-throughs/s = "
            "readthrough_keys / wall time.",
    "mixed": "Hit GETs on %s resident keys (-c %s -P 1), alone and while a second "
             "redis-benchmark GETs random keys of all %s (-c %s, mostly misses) on the same "
             "client CPUs.",
}


def summarize(ctx, elapsed_s):
    a, recs = ctx.args, ctx.results.records
    png = plot(recs, ctx.results.dir)
    ctx.results.add_images([png] if png else [])
    md = ["# bench tier: %s" % ctx.meta["run_id"], ""]
    md += report.meta_lines(ctx.meta, [
        "- pinning: servers and MariaDB on cpus %s, redis-benchmark on cpus %s"
        % (a.server_cpus, a.client_cpus),
        "- strata --threads %d --appendonly yes --appendfsync everysec --backend TIER; "
        "redis-server --appendonly yes --appendfsync everysec; MariaDB: %s"
        % (a.threads[0], ctx.meta.get("mariadb_version") or "-"),
        "- took %.0f s" % elapsed_s])
    out_text = []
    sections = []
    h, rows = hit_rows(recs, "hit")
    if rows:
        sections.append(("Hit path: -c %d -r %d, -n %d at -P 1 and %d at -P > 1, %d reps"
                         % (a.clients[0], a.keyspace, a.requests, a.requests_pipelined, a.reps),
                         h, rows, NOTES["hit"]))
    h, rows = hit_rows(recs, "absent")
    if rows:
        rt = sum(r.get("readthrough_keys") or 0 for r in recs if r.get("part") == "absent")
        sections.append(("GETs of never-set keys", h, rows, NOTES["absent"] % rt))
    rows = miss_rows(recs)
    if rows:
        ft = first_touch_fraction(a.miss_requests, a.miss_keys)
        sections.append(("Miss path (read-through): %d keys x %d B, GET -c %d -P 1 -r %d -n %d"
                         % (a.miss_keys, a.miss_value_size, a.miss_clients, a.miss_keys,
                            a.miss_requests), MISS_HEADERS, rows,
                         NOTES["miss"] % ("%.2f" % ft if ft else "-")))
    rows = mixed_rows(recs)
    if rows:
        sections.append(("Hits while misses are in flight", MIXED_HEADERS, rows,
                         NOTES["mixed"] % (a.hot_keys, a.clients[0], a.miss_keys,
                                           a.miss_clients)))
    for title, headers, rows, note in sections:
        text = report.text_table(headers, rows)
        out_text += [title, text, note, ""]
        md += ["", "## " + title, "", report.md_table(headers, rows), "", note]
    probs = {}
    for r in recs:
        if r.get("status") != "ok":
            k = (r.get("part"), r.get("config"), r.get("status"), (r.get("error") or "")[:200])
            probs[k] = probs.get(k, 0) + 1
    if probs:
        md += ["", "Not measured:", ""] + ["- %s %s: %s in %d points: %s"
                                           % (k[0], k[1], k[2], v, k[3])
                                           for k, v in probs.items()]
    wrong = [r for r in recs if r.get("verify_wrong") or r.get("warm_missing")]
    if wrong:
        md += ["", "WARNING: %d points read back wrong or missing values (verify_wrong / "
               "warm_missing in results.csv)." % len(wrong)]
    busy = [r for r in recs if (r.get("others_on_server_cpus_pct") or 0) > 10
            and r.get("part") in ("hit", "absent")]
    if busy:
        md += ["", "Note: in %d of %d hit/absent points other processes used more than 10%% of "
               "the server's CPUs (others_on_server_cpus_pct)." % (
                   len(busy), len([r for r in recs if r.get("part") in ("hit", "absent")]))]
    if png:
        md += ["", "![tier](%s)" % os.path.basename(png), ""]
    print()
    print("\n".join(out_text))
    print("results: %s" % ctx.results.dir)
    ctx.results.write_text("summary.md", "\n".join(md) + "\n")
    ctx.results.write_text("table.txt", "\n".join(out_text))
    return 0
