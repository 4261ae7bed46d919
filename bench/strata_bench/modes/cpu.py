"""CPU sweep (make bench-cpu): server threads x clients x pipeline depth x commands, both servers.

strata runs with --threads T (worker i pinned to the i-th server CPU); redis-server with
--io-threads T --io-threads-do-reads yes when T > 1. One server start per (server, threads); a
command the server rejects (e.g. HSET before the hash family exists) is recorded as
'unsupported' and the sweep goes on. Latency comes from redis-benchmark's text output by default
so that p99.9 is available (--latency-source csv to use --csv and go without p99.9).
"""
from .. import measure, plots, report, servers
from ..meta import parse_cpu_list
from ..progress import Progress
from .common import log

METRICS = ("rps", "p50_latency_ms", "p99_latency_ms", "p999_latency_ms",
           "server_cpu_us_per_req", "client_cpu_pct", "others_on_server_cpus_pct")


def sweep(ctx, configs, point_params, label_fn):
    """Shared driver of the cpu and disk sweeps.

    configs: [(server_name, start_kwargs, extra_record_fields)]; one server start each.
    point_params: [params] run on every config. A config whose server fails to start, or whose
    check (start_kwargs['check'](server) -> error or None) fails, records 'unsupported' points.
    """
    plan = [(c, pp) for c in configs for pp in point_params]
    prog = Progress([ctx.weight(pp["pipeline"]) for _, pp in plan])
    log("%s: %d points (%d server configurations); servers on cpus %s, redis-benchmark on cpus "
        "%s; results in %s" % (ctx.mode, len(plan), len(configs), ctx.args.server_cpus,
                               ctx.args.client_cpus, ctx.results.dir))
    a = ctx.args
    for name, kw, extra in configs:
        kw = dict(kw)
        check = kw.pop("check", None)
        srv = ctx.server(name, **kw)
        problem = None
        try:
            srv.start()
            log("  %s: pid %d: %s" % (name, srv.pid, " ".join(srv.argv)))
            problem = check(srv) if check else None
        except servers.StartError as e:
            last = [l for l in e.log_tail.splitlines() if l.strip()]
            problem = "%s: %s" % (e, " ".join(l.strip() for l in last[-2:]))
        for pp in point_params:
            prog.start(label_fn(name, kw, extra, pp))
            if problem:
                rec = dict(pp, server=name, threads=kw.get("threads", 1), status="unsupported",
                           error=problem, **extra)
            else:
                raw = ctx.results.raw("%s-%s-P%d-c%d-r%d.txt" % (
                    srv.log_path.rsplit("/", 1)[-1][:-4], pp["test"], pp["pipeline"],
                    pp["clients"], pp["rep"]))
                rec = measure.run_point_safe(srv, pp, a.client_cpus, raw,
                                        csv_output=a.latency_source == "csv",
                                        client_threads=a.client_threads,
                                        disk_device=ctx.disk_device)
                rec.update(extra)
            ctx.results.add(rec)
            prog.finish(measure.brief(rec))
        srv.stop()
    return prog.elapsed()


def redis_threads(a):
    """Redis io-threads values. Its I/O threads busy-poll, so more of them than server CPUs
    (e.g. 2 on the single server core of a 2-core machine) starves the main thread and measures
    only that (20x slower here): by default the --threads list is capped at the number of server
    CPUs; --redis-io-threads gives the list explicitly."""
    if a.redis_io_threads:
        return [int(x) for x in a.redis_io_threads.split(",") if x.strip()]
    n = len(parse_cpu_list(a.server_cpus))
    out = []
    for t in a.threads:
        if min(t, n) not in out:
            out.append(min(t, n))
    return out


def point_params(a):
    return [dict(test=t, requests=a.requests if p == 1 else a.requests_pipelined, clients=c,
                 pipeline=p, keyspace=a.keyspace, data_size=a.data_size, rep=r)
            for c in a.clients for p in a.pipelines for t in a.tests for r in range(a.reps)]


def run(ctx):
    a = ctx.args
    configs = []
    for name in a.servers:
        for t in redis_threads(a) if name == "redis" else a.threads:
            configs.append((name, dict(threads=t), {}))

    def label(name, kw, extra, pp):
        return "%s threads=%d %s -c %d -P %d%s" % (
            name, kw["threads"], pp["test"].upper(), pp["clients"], pp["pipeline"],
            (" rep %d" % (pp["rep"] + 1)) if a.reps > 1 else "")
    elapsed = sweep(ctx, configs, point_params(a), label)
    return summarize(ctx, elapsed)


def _problems(recs, status):
    """[(where, reason)] for points with this status, one line per distinct configuration."""
    out = {}
    for r in recs:
        if r.get("status") != status:
            continue
        where = " ".join(str(x) for x in (
            r["server"], ("tier=%s" % r["tier"]) if "tier" in r else "",
            ("appendonly=%s" % r["appendonly_mode"]) if "appendonly_mode" in r else "",
            ("threads=%s" % r["threads"]) if "tier" not in r else "") if x)
        reason = (r.get("error") or "").strip()[:200]
        out.setdefault((where, reason), set()).add(r["test"].upper())
    return [("%s %s" % (w, ",".join(sorted(t))), e) for (w, e), t in sorted(out.items())]


HEADERS = ["test", "-c", "-P", "threads", "strata rps", "redis rps", "rps ratio",
           "strata CPU us/req", "redis CPU us/req", "CPU ratio",
           "p50 s/r", "p99 s/r", "p99.9 s/r", "client CPU s/r"]


def table_rows(records):
    agg = report.aggregate(records, ("server", "test", "clients", "pipeline", "threads"), METRICS)
    rows = []
    for (t, c, p, th), s, d in report.pair(agg, ("test", "clients", "pipeline", "threads")):
        def g(row, k):
            return row.get(k) if row and row.get("status") == "ok" else None

        def st(row):
            return row.get("status") if row and row.get("status") != "ok" else None

        def lat(k):
            return "%s / %s" % (report.fmt(g(s, k), "{:.3f}"), report.fmt(g(d, k), "{:.3f}"))
        rows.append([
            t.upper(), c, p, th,
            st(s) or report.fmt(g(s, "rps")), st(d) or report.fmt(g(d, "rps")),
            report.fmt_ratio(report.ratio(g(s, "rps"), g(d, "rps"))),
            report.fmt(g(s, "server_cpu_us_per_req"), "{:.2f}"),
            report.fmt(g(d, "server_cpu_us_per_req"), "{:.2f}"),
            report.fmt_ratio(report.ratio(g(s, "server_cpu_us_per_req"),
                                          g(d, "server_cpu_us_per_req"))),
            lat("p50_latency_ms"), lat("p99_latency_ms"), lat("p999_latency_ms"),
            "%s / %s" % (report.fmt(g(s, "client_cpu_pct"), "{:.0f}%"),
                         report.fmt(g(d, "client_cpu_pct"), "{:.0f}%")),
        ])
    return rows


NOTES = ("threads = strata --threads / redis --io-threads (capped at the number of server CPUs "
         "for redis, whose I/O threads busy-poll; '-' = not run); "
         "ratios are strata / redis (rps: above 1 = strata faster; CPU: below 1 = strata does less "
         "work per request); s/r = strata / redis; latencies in ms (p99.9 from redis-benchmark's "
         "percentile distribution); redis threads = --io-threads; client CPU = redis-benchmark's "
         "own CPU use (100% per client thread = the load generator is the limit); "
         "'unsupported' = the server rejected the command.")


def summarize(ctx, elapsed_s, title="cpu sweep", plot_fn=plots.cpu, headers=HEADERS,
              rows_fn=table_rows, notes=NOTES, extra_lines=()):
    a, recs = ctx.args, ctx.results.records
    rows = rows_fn(recs)
    pngs = plot_fn(recs, ctx.results.dir)
    ctx.results.add_images(pngs)
    text = report.text_table(headers, rows)
    print()
    print(text)
    print(notes)
    print("results: %s" % ctx.results.dir)
    skipped = _problems(recs, "unsupported")
    errors = _problems(recs, "error")
    md = ["# bench %s: %s" % (ctx.mode, ctx.meta["run_id"]), ""]
    md += report.meta_lines(ctx.meta, [
        "- pinning: servers on cpus %s, redis-benchmark on cpus %s%s" % (
            a.server_cpus, a.client_cpus,
            (" (--threads %d)" % a.client_threads) if a.client_threads else ""),
        "- redis-benchmark -r %d, -n %d at -P 1 and %d at -P > 1, one test per run, %d "
        "repetition(s); took %.0f s" % (a.keyspace, a.requests, a.requests_pipelined, a.reps,
                                         elapsed_s)] + list(extra_lines))
    md += ["", report.md_table(headers, rows), "", notes, ""]
    for label, items in (("Skipped (unsupported)", skipped), ("Errors", errors)):
        if items:
            md += ["%s:" % label, ""] + ["- %s: %s" % (w, e) for w, e in items] + [""]
    busy = [r for r in recs if (r.get("others_on_server_cpus_pct") or 0) > 10]
    if busy:
        md += ["Note: in %d of %d points other processes used more than 10%% of the server's "
               "CPUs (others_on_server_cpus_pct in results.csv); the machine was not idle."
               % (len(busy), len(recs)), ""]
    for p in pngs:
        name = p.rsplit("/", 1)[-1]
        md += ["![%s](%s)" % (name[:-4], name), ""]
    ctx.results.write_text("summary.md", "\n".join(md))
    ctx.results.write_text("table.txt", text + "\n" + notes + "\n")
    return 0
