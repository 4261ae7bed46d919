"""Instructions per request (make bench-instr): each server under
`valgrind --tool=callgrind`, serving a fixed SET+GET workload (redis-benchmark -t set,get -P 16)
twice, at --requests and at --requests-high per test, each time in a fresh process. Start-up,
shutdown and the tool's own INFO calls are the same in both runs, so

    instructions per request = (Ir(high) - Ir(low)) / (served(high) - served(low))

where served = the SET + GET calls the server counted (INFO commandstats). The server is stopped
with SIGTERM, which both servers handle by exiting normally, so callgrind writes its file.
strata runs with --threads 1. Ir counts user-space instructions only (no kernel work).
"""
from .. import callgrind, plots, rbench, report, servers
from .. import info as info_mod
from ..progress import Progress
from .common import log


def run(ctx):
    a = ctx.args
    counts = [a.requests, a.requests_high]
    if counts[1] <= counts[0]:
        raise SystemExit("--requests-high must be larger than --requests")
    pipeline = a.pipelines[0]
    plan = [(name, n) for name in a.servers for n in counts]
    prog = Progress([n for _, n in plan])
    log("instr: %d callgrind runs (-t %s -P %d -c %d, -n %s); results in %s"
        % (len(plan), ",".join(a.tests), pipeline, a.clients[0],
           " and ".join(str(c) for c in counts), ctx.results.dir))
    runs = {}
    for name, n in plan:
        prog.start("%s under callgrind, -n %d per test" % (name, n))
        out = ctx.results.raw("callgrind.%s.n%d.out" % (name, n))
        vg = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out]
        srv = ctx.server(name, threads=1, valgrind=vg, tag="n%d" % n)
        rec = dict(kind="run", server=name, requests=n, pipeline=pipeline, clients=a.clients[0],
                   keyspace=a.keyspace, tests=",".join(a.tests), status="ok", error=None,
                   callgrind_file=out)
        try:
            srv.start()
            argv = rbench.command_line(srv.port, ",".join(a.tests), n, a.clients[0], pipeline,
                                       a.keyspace, a.data_size, a.client_threads, True)
            res = rbench.run(argv, a.client_cpus, ctx.registry,
                             ctx.results.raw("%s-n%d.csv" % (name, n)))
            inf = srv.info()
            served = sum(info_mod.command_calls(inf, rbench.test_command(t)) or 0
                         for t in a.tests)
            rec.update(rb_command=" ".join(res.argv),
                       rps_under_valgrind=[r["rps"] for r in res.rows],
                       requests_served=served, server_command=" ".join(srv.argv))
            if res.error:
                rec.update(status="error", error=res.error)
        except servers.StartError as e:
            rec.update(status="error", error="%s %s" % (e, e.log_tail[-300:]))
        finally:
            rc = srv.stop()
        rec["exit_status"] = rc
        if rec["status"] == "ok":
            rec["instructions"] = callgrind.read_totals([out]) if _exists(out) else None
            if rec["instructions"] is None:
                rec.update(status="error", error="no callgrind totals in %s (exit status %s)"
                           % (out, rc))
        ctx.results.add(rec)
        runs[(name, n)] = rec
        prog.finish("%s: %s instructions, %s requests served" % (
            rec["status"], report.fmt(rec.get("instructions")),
            report.fmt(rec.get("requests_served"))) if rec["status"] == "ok"
            else "%s: %s" % (rec["status"], rec["error"]))
    results = []
    for name in a.servers:
        lo, hi = runs.get((name, counts[0])), runs.get((name, counts[1]))
        r = dict(kind="result", server=name, pipeline=pipeline, tests=",".join(a.tests),
                 requests_low=counts[0], requests_high=counts[1], status="error")
        if lo and hi and lo["status"] == hi["status"] == "ok":
            dr = hi["requests_served"] - lo["requests_served"]
            di = hi["instructions"] - lo["instructions"]
            r.update(status="ok", instructions_low=lo["instructions"],
                     instructions_high=hi["instructions"], served_low=lo["requests_served"],
                     served_high=hi["requests_served"],
                     instr_per_request=round(di / dr, 1) if dr > 0 else None)
        results.append(ctx.results.add(r))
    return summarize(ctx, results, prog.elapsed())


def _exists(p):
    import os
    return os.path.exists(p)


HEADERS = ["server", "Ir (low)", "Ir (high)", "served (low)", "served (high)",
           "instructions/request", "ratio to redis"]


def summarize(ctx, results, elapsed_s):
    a = ctx.args
    base = next((r.get("instr_per_request") for r in results if r["server"] == "redis"), None)
    rows = [[r["server"], report.fmt(r.get("instructions_low")),
             report.fmt(r.get("instructions_high")), report.fmt(r.get("served_low")),
             report.fmt(r.get("served_high")),
             report.fmt(r.get("instr_per_request")) if r["status"] == "ok" else r["status"],
             report.fmt_ratio(report.ratio(r.get("instr_per_request"), base))]
            for r in results]
    png = plots.instr(results, ctx.results.dir)
    ctx.results.add_images([png] if png else [])
    notes = ("Ir = instructions executed in user space by the server process (callgrind totals); "
             "served = SET+GET calls counted by the server; instructions/request = difference of "
             "Ir / difference of served, so start-up and shutdown cancel out; ratio below 1: "
             "strata executes fewer instructions.")
    text = report.text_table(HEADERS, rows)
    print()
    print(text)
    print(notes)
    print("results: %s" % ctx.results.dir)
    md = ["# bench instr: %s" % ctx.meta["run_id"], ""]
    md += report.meta_lines(ctx.meta, [
        "- %s" % ctx.meta.get("valgrind_version"),
        "- workload: redis-benchmark -t %s -P %d -c %d -r %d, -n %d then -n %d per test, each "
        "on a fresh server under callgrind (strata --threads 1); took %.0f s"
        % (",".join(a.tests), a.pipelines[0], a.clients[0], a.keyspace, a.requests,
           a.requests_high, elapsed_s)])
    md += ["", report.md_table(HEADERS, rows), "", notes, ""]
    if png:
        md += ["![instr](instr.png)", ""]
    ctx.results.write_text("summary.md", "\n".join(md))
    ctx.results.write_text("table.txt", text + "\n" + notes + "\n")
    return 0
