"""Persistence sweep (make bench-disk): appendonly no / everysec / always, for strata also per
backing tier (none / sqlite / mysql), beside redis-server with the same appendonly settings.

Support is detected, not assumed: strata is started with `--appendonly yes --appendfsync MODE`
(plus the tier's directives); if it refuses to start, or CONFIG GET does not then report the
mode, every point of that configuration is recorded as 'unsupported' with the reason. So the
sweep lights up by itself when the WAL or a tier lands.

Figures besides the usual: fsyncs/s, WAL batches/s and average batch size from INFO (the field
names are one table in info.py: WAL_COUNTERS / WAL_GAUGES), and for both servers the block
device's write and flush (cache flush = fsync reaching the disk) rates from /proc/diskstats for
the disk holding the data directory (--data-dir; tmpfs would make fsync free).
"""
from .. import plots, report
from . import cpu as cpu_mode

# Directives that select a strata backing tier; adjust when the tier lands, or override per run
# with --tier-args TIER=ARGS. (Design: `backend` directive; mysql-* for the connection.)
TIER_ARGS = {
    "none": [],
    "sqlite": ["--backend", "sqlite"],
    "mysql": ["--backend", "mysql"],
}

APPENDONLY = {  # mode -> (appendonly, appendfsync)
    "no": ("no", None),
    "everysec": ("yes", "everysec"),
    "always": ("yes", "always"),
}

METRICS = ("rps", "p50_latency_ms", "p99_latency_ms", "p999_latency_ms",
           "server_cpu_us_per_req", "fsyncs_per_s", "batch_avg", "disk_flushes_per_s",
           "disk_writes_per_s")


def _check(mode, tier):
    ao, fs = APPENDONLY[mode]

    def check(srv):
        got_ao = srv.config_get("appendonly")
        if got_ao != ao:
            return "CONFIG GET appendonly is %r, not %r" % (got_ao, ao)
        if fs:
            got = srv.config_get("appendfsync")
            if got != fs:
                return "CONFIG GET appendfsync is %r, not %r" % (got, fs)
        if tier != "none" and srv.kind == "strata":
            got = srv.config_get("backend")
            if got is not None and got != tier:
                return "CONFIG GET backend is %r, not %r" % (got, tier)
        return None
    return check


def run(ctx):
    a = ctx.args
    tier_args = dict(TIER_ARGS)
    for spec in a.tier_args:
        k, _, v = spec.partition("=")
        tier_args[k.strip()] = v.split()
    modes = [m.strip() for m in a.appendonly_modes.split(",") if m.strip()]
    tiers = [t.strip() for t in a.tiers.split(",") if t.strip()]
    for m in modes:
        if m not in APPENDONLY:
            raise SystemExit("unknown appendonly mode %r (no, everysec, always)" % m)
    configs = []
    for name in a.servers:
        for tier in (tiers if name == "strata" else ["none"]):
            for m in modes:
                ao, fs = APPENDONLY[m]
                extra_args = tier_args.get(tier)
                if extra_args is None:
                    raise SystemExit("unknown tier %r: give its directives with --tier-args "
                                     "%s=ARGS" % (tier, tier))
                configs.append((name, dict(threads=a.threads[0], appendonly=ao, appendfsync=fs,
                                           extra=extra_args, tag="%s-%s" % (tier, m),
                                           check=_check(m, tier)),
                                {"tier": tier, "appendonly_mode": m}))
    params = cpu_mode.point_params(a)

    def label(name, kw, extra, pp):
        return "%s tier=%s appendonly=%s %s -P %d" % (name, extra["tier"],
                                                      extra["appendonly_mode"],
                                                      pp["test"].upper(), pp["pipeline"])
    elapsed = cpu_mode.sweep(ctx, configs, params, label)
    return cpu_mode.summarize(
        ctx, elapsed, "disk sweep", plots.disk, HEADERS, table_rows, NOTES,
        ["- data directory: %s (block device %s)" % (ctx.work_dir, ctx.disk_device)])


HEADERS = ["test", "-P", "appendonly", "strata tier", "strata rps", "redis rps", "rps ratio",
           "CPU us/req s/r", "p50 s/r", "p99 s/r", "p99.9 s/r", "strata fsyncs/s",
           "strata batch avg", "disk flushes/s s/r"]

NOTES = ("ratios are strata / redis; s/r = strata / redis; latencies in ms; fsyncs/s and batch "
         "avg come from strata's INFO (WAL fields, '-' when it reports none); disk flushes/s = "
         "cache flushes completed by the data directory's block device (/proc/diskstats), for "
         "both servers; 'unsupported' = the server refused that persistence setting or tier.")


def table_rows(records):
    agg = report.aggregate(records, ("server", "tier", "test", "pipeline", "appendonly_mode"),
                           METRICS)
    redis = {(r["test"], r["pipeline"], r["appendonly_mode"]): r for r in agg
             if r["server"] == "redis"}
    # A tier strata refused in every mode gets no rows (the summary lists why).
    dead = {r["tier"] for r in agg if r["server"] == "strata"} - {
        r["tier"] for r in agg if r["server"] == "strata" and r["status"] != "unsupported"}
    dead.discard("none")
    rows = []
    for s in agg:
        if s["server"] != "strata" or s["tier"] in dead:
            continue
        d = redis.get((s["test"], s["pipeline"], s["appendonly_mode"]))
        rows.append(_row(s, d))
    if not any(r["server"] == "strata" for r in agg):
        rows = [_row(None, d) for d in redis.values()]
    return rows


def _row(s, d):
    def g(row, k):
        return row.get(k) if row and row.get("status") == "ok" else None

    def st(row):
        return row.get("status") if row and row.get("status") != "ok" else None

    def both(k, spec):
        return "%s / %s" % (report.fmt(g(s, k), spec), report.fmt(g(d, k), spec))
    base = s or d
    return [base["test"].upper(), base["pipeline"], base["appendonly_mode"],
            s["tier"] if s else "-",
            st(s) or report.fmt(g(s, "rps")), st(d) or report.fmt(g(d, "rps")),
            report.fmt_ratio(report.ratio(g(s, "rps"), g(d, "rps"))),
            both("server_cpu_us_per_req", "{:.2f}"), both("p50_latency_ms", "{:.3f}"),
            both("p99_latency_ms", "{:.3f}"), both("p999_latency_ms", "{:.3f}"),
            report.fmt(g(s, "fsyncs_per_s")), report.fmt(g(s, "batch_avg"), "{:.1f}"),
            both("disk_flushes_per_s", "{:,.0f}")]
