"""Memory sweep (make bench-mem): RSS bytes per key (strings) and per element (collections) at
each size, both servers, each point on a freshly started server.

RSS is VmRSS from /proc/PID/status just before and just after the load (delta / elements); INFO
used_memory gives the allocator's view beside it. Collections are loaded as n / E keys of E
elements (--elements-per-key, default 100: the small-collection regime where Redis uses listpack
encodings); a type the server rejects is recorded as 'unsupported'.
"""
from .. import info as info_mod
from .. import loader, plots, report, resp, servers
from ..progress import Progress
from .common import log


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


def run(ctx):
    a = ctx.args
    sizes = [int(x) for x in a.sizes.split(",") if x.strip()]
    types = [t.strip() for t in a.types.split(",") if t.strip()]
    for t in types:
        if t not in loader.COMMANDS:
            raise SystemExit("unknown type %r (%s)" % (t, ", ".join(loader.COMMANDS)))
    plan = [(n, t, s) for n in sizes for t in types for s in a.servers]
    prog = Progress([n for n, _, _ in plan])
    log("mem: %d points; servers on cpus %s; results in %s"
        % (len(plan), a.server_cpus, ctx.results.dir))
    for n, t, name in plan:
        prog.start("%s %s x %s" % (name, t, "{:,}".format(n)))
        rec = dict(server=name, type=t, elements=n,
                   elements_per_key=1 if t == "string" else a.elements_per_key,
                   key_size=a.key_size, value_size=a.value_size, threads=a.threads[0],
                   server_cpus=a.server_cpus, status="ok", error=None)
        srv = ctx.server(name, threads=a.threads[0], tag="%s-%d" % (t, n))
        try:
            srv.start()
            rec["server_kind"] = srv.kind
            with srv.client(timeout=120) as c:
                try:
                    c.call(*loader.PROBES[t])
                    c.call("DEL", "__bench_probe_mem")
                except resp.ReplyError as e:
                    rec.update(status="unsupported", error=str(e))
                if rec["status"] == "ok":
                    info_b = info_mod.parse_info(c.call("INFO", "all"))
                    rss_b = rss_bytes(srv.pid)
                    res = loader.load(c, t, n, a.elements_per_key, a.key_size, a.value_size)
                    rss_a = rss_bytes(srv.pid)
                    info_a = info_mod.parse_info(c.call("INFO", "all"))
                    dbsize = c.call("DBSIZE")
                    el = res["elements"]
                    um_b = info_mod.field(info_b, "used_memory")
                    um_a = info_mod.field(info_a, "used_memory")
                    rec.update(
                        keys=res["keys"], elements_loaded=el, dbsize=dbsize,
                        load_seconds=round(res["seconds"], 3),
                        load_elements_per_s=round(el / res["seconds"]) if res["seconds"] else None,
                        rss_before=rss_b, rss_after=rss_a,
                        rss_bytes_per_element=round((rss_a - rss_b) / el, 1),
                        rss_bytes_per_key=round((rss_a - rss_b) / res["keys"], 1),
                        used_memory_before=um_b, used_memory_after=um_a,
                        used_memory_bytes_per_element=(round((um_a - um_b) / el, 1)
                                                       if isinstance(um_a, int)
                                                       and isinstance(um_b, int) else None),
                        mem_allocator=info_mod.field(info_a, "mem_allocator"),
                    )
                    if res["errors"]:
                        rec.update(status="error", error="; ".join(res["errors"]))
                    elif dbsize != res["keys"]:
                        rec.update(status="error",
                                   error="DBSIZE %s after loading %d keys" % (dbsize, res["keys"]))
        except servers.StartError as e:
            rec.update(status="error", error=str(e))
        finally:
            srv.stop()
        ctx.results.add(rec)
        if rec["status"] == "ok":
            prog.finish("%.1f RSS bytes/element (%.1f/key), used_memory %.1f bytes/element, "
                        "loaded in %.1f s" % (rec["rss_bytes_per_element"],
                                              rec["rss_bytes_per_key"],
                                              rec["used_memory_bytes_per_element"] or 0,
                                              rec["load_seconds"]))
        else:
            prog.finish("%s: %s" % (rec["status"], rec["error"]))
    return summarize(ctx, prog.elapsed())


HEADERS = ["type", "elements", "keys", "strata B/elem", "redis B/elem", "ratio",
           "strata used_memory B/elem", "redis used_memory B/elem", "strata B/key", "redis B/key"]


def table_rows(records):
    rows = []
    for (t, n), s, d in report.pair(records, ("type", "elements")):
        def g(row, k):
            return row.get(k) if row and row.get("status") == "ok" else None

        def st(row):
            return row.get("status") if row and row.get("status") != "ok" else None
        base = s if g(s, "keys") else d
        rows.append([t, "{:,}".format(n), report.fmt(g(base, "keys")),
                     st(s) or report.fmt(g(s, "rss_bytes_per_element"), "{:.1f}"),
                     st(d) or report.fmt(g(d, "rss_bytes_per_element"), "{:.1f}"),
                     report.fmt_ratio(report.ratio(g(s, "rss_bytes_per_element"),
                                                   g(d, "rss_bytes_per_element"))),
                     report.fmt(g(s, "used_memory_bytes_per_element"), "{:.1f}"),
                     report.fmt(g(d, "used_memory_bytes_per_element"), "{:.1f}"),
                     report.fmt(g(s, "rss_bytes_per_key"), "{:.1f}"),
                     report.fmt(g(d, "rss_bytes_per_key"), "{:.1f}")])
    return rows


def summarize(ctx, elapsed_s):
    a, recs = ctx.args, ctx.results.records
    rows = table_rows(recs)
    png = plots.mem(recs, ctx.results.dir)
    ctx.results.add_images([png] if png else [])
    notes = ("B/elem = RSS delta (VmRSS after - before the load) / elements loaded; for strings "
             "an element is a key; ratio = strata / redis (below 1: strata uses less memory); "
             "used_memory = INFO's allocator figure delta; %d-byte keys and %d-byte values/"
             "members; collections as keys of %d elements." % (a.key_size, a.value_size,
                                                              a.elements_per_key))
    text = report.text_table(HEADERS, rows)
    print()
    print(text)
    print(notes)
    print("results: %s" % ctx.results.dir)
    md = ["# bench mem: %s" % ctx.meta["run_id"], ""]
    md += report.meta_lines(ctx.meta, [
        "- servers pinned to cpus %s, strata --threads %d; loader: one pipelined connection; "
        "took %.0f s" % (a.server_cpus, a.threads[0], elapsed_s)])
    md += ["", report.md_table(HEADERS, rows), "", notes, ""]
    for r in recs:
        if r["status"] != "ok":
            md.append("- %s %s %s: %s: %s" % (r["server"], r["type"], r["elements"],
                                              r["status"], r["error"]))
    if png:
        md += ["", "![mem](mem.png)", ""]
    ctx.results.write_text("summary.md", "\n".join(md))
    ctx.results.write_text("table.txt", text + "\n" + notes + "\n")
    return 0
