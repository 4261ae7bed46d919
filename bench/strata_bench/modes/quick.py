"""Quick mode (make bench-quick): SET/GET at -P 1 and -P 16, this server against redis-server, one
table of ratios. For before/after checks of a change; well under two minutes by default.

Both servers run at the same time on the server CPUs (the idle one costs nothing measurable), so
the points can interleave: each repetition runs every (pipeline, test) on both servers back to
back, alternating which goes first. Slow drift on a shared machine then hits both alike, and the
table reports medians over the repetitions with the spread of the ratio.
"""
from .. import measure, plots, report
from ..progress import Progress
from .common import log

METRICS = ("rps", "p50_latency_ms", "p99_latency_ms", "server_cpu_us_per_req", "server_cpu_pct",
           "client_cpu_pct")


def run(ctx):
    a = ctx.args
    names = a.servers
    points = []
    for rep in range(a.reps):
        order = names if rep % 2 == 0 else list(reversed(names))
        for p in a.pipelines:
            for t in a.tests:
                for name in order:
                    points.append((rep, p, t, name))
    prog = Progress([ctx.weight(p) for _, p, _, _ in points])
    log("quick: %d points; servers on cpus %s, redis-benchmark on cpus %s; results in %s"
        % (len(points), a.server_cpus, a.client_cpus, ctx.results.dir))
    srv = {}
    for name in names:
        srv[name] = ctx.server(name, threads=a.threads[0]).start()
        log("  %s: pid %d, port %d: %s" % (name, srv[name].pid, srv[name].port,
                                            " ".join(srv[name].argv)))
    for rep, p, t, name in points:
        prog.start("%s %s -P %d (rep %d)" % (name, t.upper(), p, rep + 1))
        params = dict(test=t, requests=ctx.requests_for(p), clients=a.clients[0], pipeline=p,
                      keyspace=a.keyspace, data_size=a.data_size, rep=rep)
        rec = measure.run_point_safe(srv[name], params, a.client_cpus,
                                ctx.results.raw("%s-%s-P%d-r%d.csv" % (name, t, p, rep)),
                                csv_output=a.latency_source == "csv",
                                client_threads=a.client_threads, disk_device=ctx.disk_device)
        ctx.results.add(rec)
        prog.finish(measure.brief(rec))
    for s in srv.values():
        s.stop()
    return summarize(ctx, prog.elapsed())


def table_rows(records):
    agg = report.aggregate(records, ("server", "test", "pipeline"), METRICS)
    # Ratio spread: per repetition, strata/redis, then min..max.
    per_rep = {}
    for r in records:
        if r.get("status") == "ok":
            per_rep.setdefault((r["test"], r["pipeline"], r["rep"]), {})[r["server"]] = r
    rows = []
    for (t, p), s, d in report.pair(agg, ("test", "pipeline")):
        rr = [report.ratio(v["strata"]["rps"], v["redis"]["rps"])
              for (tt, pp, _), v in per_rep.items() if (tt, pp) == (t, p) and len(v) == 2]
        rr = [x for x in rr if x is not None]
        g = lambda row, k: row.get(k) if row else None  # noqa: E731
        rows.append([
            t.upper(), str(p),
            report.fmt(g(s, "rps")), report.fmt(g(d, "rps")),
            report.fmt_ratio(report.ratio(g(s, "rps"), g(d, "rps"))),
            ("%.2f-%.2f" % (min(rr), max(rr))) if len(rr) > 1 else "-",
            report.fmt(g(s, "server_cpu_us_per_req"), "{:.2f}"),
            report.fmt(g(d, "server_cpu_us_per_req"), "{:.2f}"),
            report.fmt_ratio(report.ratio(g(s, "server_cpu_us_per_req"),
                                          g(d, "server_cpu_us_per_req"))),
            report.fmt(g(s, "p50_latency_ms"), "{:.3f}"),
            report.fmt(g(d, "p50_latency_ms"), "{:.3f}"),
            report.fmt(g(s, "p99_latency_ms"), "{:.3f}"),
            report.fmt(g(d, "p99_latency_ms"), "{:.3f}"),
            report.fmt(g(s, "client_cpu_pct"), "{:.0f}%"),
            report.fmt(g(d, "client_cpu_pct"), "{:.0f}%"),
        ])
    return rows


HEADERS = ["test", "-P", "strata rps", "redis rps", "rps ratio", "ratio range",
           "strata CPU us/req", "redis CPU us/req", "CPU ratio", "strata p50", "redis p50",
           "strata p99", "redis p99", "client CPU (s)", "client CPU (r)"]


def summarize(ctx, elapsed_s):
    a, recs = ctx.args, ctx.results.records
    rows = table_rows(recs)
    png = plots.quick(recs, ctx.results.dir)
    ctx.results.add_images([png] if png else [])
    notes = ("rps ratio = strata / redis (above 1: strata faster); CPU ratio = strata / redis "
             "server CPU time per request (below 1: strata does less work); medians over %d "
             "repetitions, 'ratio range' = lowest..highest per-repetition rps ratio; latencies "
             "in ms; client CPU = redis-benchmark's CPU use (near 100%%: the load generator is "
             "the bottleneck)." % a.reps)
    text = report.text_table(HEADERS, rows)
    print()
    print(text)
    print(notes)
    print("results: %s (summary.md, results.csv, results.jsonl%s)"
          % (ctx.results.dir, ", " + png.rsplit("/", 1)[-1] if png else ""))
    md = ["# bench quick: %s" % ctx.meta["run_id"], ""]
    md += report.meta_lines(ctx.meta, [
        "- pinning: servers on cpus %s, redis-benchmark on cpus %s; strata --threads %d"
        % (a.server_cpus, a.client_cpus, a.threads[0]),
        "- redis-benchmark -c %d -r %d, -n %d at -P 1 and %d at -P > 1, one test per run, %d "
        "repetitions interleaved; took %.0f s" % (a.clients[0], a.keyspace, a.requests,
                                                  a.requests_pipelined, a.reps, elapsed_s)])
    md += ["", report.md_table(HEADERS, rows), "", notes, ""]
    if png:
        md += ["![quick](%s)" % png.rsplit("/", 1)[-1], ""]
    ctx.results.write_text("summary.md", "\n".join(md))
    ctx.results.write_text("table.txt", text + "\n" + notes + "\n")
    return 0
