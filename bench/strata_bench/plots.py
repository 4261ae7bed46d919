"""PNG plots (matplotlib with the Agg backend: no display needed). Each function takes the run's
records, writes into the run directory and returns the paths it wrote (None/[] if nothing to
plot). Points with a status other than 'ok' are left out; medians over repetitions."""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from . import report  # noqa: E402

COLORS = {"strata": "#1f77b4", "redis": "#d62728"}
_EXTRA = ["#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#ff7f0e"]


def _color(name, i=0):
    return COLORS.get(name, _EXTRA[i % len(_EXTRA)])


def _ok(records):
    return [r for r in records if r.get("status") == "ok"]


def _si(v, _pos=None):
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return ("%.1f" % (v / div)).rstrip("0").rstrip(".") + suffix
    return "%g" % v


def _save(fig, path):
    from matplotlib.ticker import FuncFormatter
    for ax in fig.get_axes():
        if ax.get_yscale() == "linear" and "requests/s" in (ax.get_ylabel() + ax.get_title()):
            ax.yaxis.set_major_formatter(FuncFormatter(_si))
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _grid(n):
    cols = min(3, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.8 * rows), squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat


def _grouped_bars(ax, categories, series, width=0.8):
    """series: [(label, color, [value per category], [(lo, hi) or None per category])]."""
    k = max(1, len(series))
    w = width / k
    for i, (label, color, vals, spread) in enumerate(series):
        xs = [j + (i - (k - 1) / 2) * w for j in range(len(categories))]
        ys = [v if v is not None else 0 for v in vals]
        err = None
        if spread and any(s for s in spread):
            err = [[(v - s[0]) if s and v is not None else 0 for v, s in zip(vals, spread)],
                   [(s[1] - v) if s and v is not None else 0 for v, s in zip(vals, spread)]]
        ax.bar(xs, ys, w, label=label, color=color, yerr=err, capsize=2 if err else 0)
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels(categories, fontsize=8)


def quick(records, out_dir):
    agg = report.aggregate(_ok(records), ("server", "test", "pipeline"),
                           ("rps", "server_cpu_us_per_req", "p99_latency_ms"))
    if not agg:
        return None
    cats = []
    for r in agg:
        c = "%s -P %d" % (r["test"].upper(), r["pipeline"])
        if c not in cats:
            cats.append(c)
    servers = []
    for r in agg:
        if r["server"] not in servers:
            servers.append(r["server"])
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for ax, (m, title) in zip(axes, (("rps", "requests/s (higher is better)"),
                                     ("server_cpu_us_per_req",
                                      "server CPU us per request (lower is better)"),
                                     ("p99_latency_ms", "p99 latency ms (lower is better)"))):
        series = []
        for i, s in enumerate(servers):
            vals, spread = [], []
            for c in cats:
                row = next((r for r in agg if r["server"] == s
                            and "%s -P %d" % (r["test"].upper(), r["pipeline"]) == c), None)
                vals.append(row[m] if row else None)
                spread.append((row[m + "_min"], row[m + "_max"]) if row and row[m] is not None
                              else None)
            series.append((s, _color(s, i), vals, spread))
        _grouped_bars(ax, cats, series)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("strata vs redis-server (medians, bars = min..max over repetitions)", fontsize=10)
    return _save(fig, os.path.join(out_dir, "quick.png"))


def _series_label(r, keys):
    parts = []
    for k in keys:
        v = r.get(k)
        parts.append({"server": "%s", "pipeline": "P%s", "threads": "t%s", "clients": "c%s",
                      "tier": "tier %s", "appendonly": "%s"}.get(k, k + "=%s") % v)
    return " ".join(parts)


def _lines_by_test(agg, tests, x, y, series_keys, ylabel, path, title, logx=False):
    fig, axes = _grid(len(tests))
    for ax, t in zip(axes, tests):
        rows = [r for r in agg if r["test"] == t]
        groups = report.group(rows, series_keys)
        # Colour = the series without the server (e.g. P16), line style = the server.
        shades = []
        for k in groups:
            if k[1:] not in shades:
                shades.append(k[1:])
        for k, rs in groups.items():
            rs = sorted(rs, key=lambda r: r[x])
            xs = [r[x] for r in rs]
            ys = [r[y] for r in rs]
            name = rs[0].get("server")
            ls = "-" if name == "strata" else "--"
            mk = "o" if name == "strata" else "s"
            ax.plot(xs, ys, marker=mk, linestyle=ls, label=_series_label(rs[0], series_keys),
                    color=_EXTRA[shades.index(k[1:]) % len(_EXTRA)] if len(shades) > 1
                    else _color(name))
        ax.set_title(t.upper(), fontsize=10)
        ax.set_xlabel(x)
        ax.set_ylabel(ylabel, fontsize=8)
        if logx:
            ax.set_xscale("log", base=2)
        xs_all = sorted({r[x] for r in rows})
        ax.set_xticks(xs_all)
        ax.set_xticklabels([str(v) for v in xs_all])
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
        if rows:
            ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def cpu(records, out_dir):
    ok = _ok(records)
    if not ok:
        return []
    keys = ("server", "test", "threads", "clients", "pipeline")
    agg = report.aggregate(ok, keys, ("rps", "server_cpu_us_per_req", "p50_latency_ms",
                                      "p99_latency_ms", "p999_latency_ms"))
    tests = []
    for r in agg:
        if r["test"] not in tests:
            tests.append(r["test"])
    out = []
    multi_clients = len({r["clients"] for r in agg}) > 1
    ser = ("server", "pipeline") + (("clients",) if multi_clients else ())
    out.append(_lines_by_test(agg, tests, "threads", "rps", ser, "requests/s",
                              os.path.join(out_dir, "cpu_throughput_vs_threads.png"),
                              "throughput vs server threads (redis: io-threads)"))
    ser2 = ("server", "threads") + (("clients",) if multi_clients else ())
    out.append(_lines_by_test(agg, tests, "pipeline", "rps", ser2, "requests/s",
                              os.path.join(out_dir, "cpu_throughput_vs_pipeline.png"),
                              "throughput vs pipeline depth", logx=True))
    out.append(_lines_by_test(agg, tests, "pipeline", "server_cpu_us_per_req", ser2,
                              "server CPU us / request",
                              os.path.join(out_dir, "cpu_time_per_request.png"),
                              "server CPU time per request (utime+stime / requests; lower is "
                              "better)", logx=True))
    # Latency percentiles: one bar group per configuration.
    fig, axes = _grid(len(tests))
    for ax, t in zip(axes, tests):
        rows = [r for r in agg if r["test"] == t]
        cats = ["%s t%d P%d%s" % (r["server"][0], r["threads"], r["pipeline"],
                                  (" c%d" % r["clients"]) if multi_clients else "") for r in rows]
        series = [(lab, col, [r[k] for r in rows], None) for lab, col, k in
                  (("p50", "#9ecae1", "p50_latency_ms"), ("p99", "#3182bd", "p99_latency_ms"),
                   ("p99.9", "#08519c", "p999_latency_ms"))]
        _grouped_bars(ax, cats, series)
        ax.set_yscale("log")
        ax.set_title(t.upper() + " latency (ms, log)", fontsize=10)
        ax.tick_params(axis="x", labelrotation=60)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("latency percentiles (s = strata, r = redis; t threads, P pipeline)",
                 fontsize=10)
    out.append(_save(fig, os.path.join(out_dir, "cpu_latency.png")))
    out.append(cpu_per_core(ok, tests, out_dir, "cpu_per_core.png",
                            ("server", "threads", "pipeline")))
    return [p for p in out if p]


def cpu_per_core(ok, tests, out_dir, name, cfg_keys):
    """Per configuration and core: the server's own CPU there (solid) and all processes (light)."""
    fig, axes = _grid(len(tests))
    ncores = max((len(r.get("core_busy_pct") or []) for r in ok), default=0)
    if not ncores:
        plt.close(fig)
        return None
    for ax, t in zip(axes, tests):
        rows = [r for r in ok if r["test"] == t]
        seen, cfgs = set(), []
        for r in rows:
            k = tuple(r.get(c) for c in cfg_keys)
            if k not in seen:
                seen.add(k)
                cfgs.append(r)
        cats = [" ".join(str(r.get(c)) for c in cfg_keys) for r in cfgs]
        w = 0.8 / ncores
        for c in range(ncores):
            xs = [j + (c - (ncores - 1) / 2) * w for j in range(len(cfgs))]
            busy = [(r.get("core_busy_pct") or [0] * ncores)[c] or 0 for r in cfgs]
            mine = [(r.get("server_cpu_by_core_pct") or {}).get(str(c), 0) for r in cfgs]
            ax.bar(xs, busy, w, color=_EXTRA[c % len(_EXTRA)], alpha=0.3,
                   label="cpu%d all" % c)
            ax.bar(xs, mine, w * 0.6, color=_EXTRA[c % len(_EXTRA)],
                   label="cpu%d server" % c)
        ax.set_xticks(range(len(cfgs)))
        ax.set_xticklabels(cats, fontsize=7, rotation=60)
        ax.set_ylim(0, 105)
        ax.set_ylabel("% of the core", fontsize=8)
        ax.set_title(t.upper(), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=6)
    fig.suptitle("CPU per core during the run: light = all processes (psutil), "
                 "dark = the server's threads (/proc/PID/task)", fontsize=10)
    return _save(fig, os.path.join(out_dir, name))


def disk(records, out_dir):
    ok = _ok(records)
    if not ok:
        return []
    keys = ("server", "tier", "test", "appendonly_mode", "pipeline")
    agg = report.aggregate(ok, keys, ("rps", "p50_latency_ms", "p99_latency_ms",
                                      "p999_latency_ms", "fsyncs_per_s", "disk_flushes_per_s",
                                      "server_cpu_us_per_req"))
    modes = [m for m in ("no", "everysec", "always") if any(r["appendonly_mode"] == m for r in agg)]
    cfgs = []
    for r in agg:
        c = (r["server"], r["tier"], r["pipeline"], r["test"])
        if c not in cfgs:
            cfgs.append(c)
    out = []
    figs = (("rps", "requests/s", "disk_throughput.png"),
            ("p99_latency_ms", "p99 latency ms", "disk_latency_p99.png"),
            ("disk_flushes_per_s", "block-device flushes/s (/proc/diskstats)", "disk_flushes.png"),
            ("server_cpu_us_per_req", "server CPU us/request", "disk_cpu_per_request.png"))
    for m, label, name in figs:
        fig, ax = plt.subplots(figsize=(max(6, 1.8 * len(modes) * max(1, len(cfgs)) / 2), 4))
        series = []
        for i, c in enumerate(cfgs):
            vals = []
            for mode in modes:
                row = next((r for r in agg
                            if (r["server"], r["tier"], r["pipeline"], r["test"]) == c
                            and r["appendonly_mode"] == mode), None)
                vals.append(row[m] if row else None)
            lab = "%s%s P%d %s" % (c[0], "" if c[1] in (None, "none") else "/" + c[1], c[2],
                                   c[3].upper())
            series.append((lab, _EXTRA[i % len(_EXTRA)] if len(cfgs) > 2 else _color(c[0], i),
                           vals, None))
        _grouped_bars(ax, ["appendonly " + ("no" if x == "no" else "yes, fsync " + x)
                           for x in modes], series)
        ax.set_ylabel(label, fontsize=8)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=7)
        ax.set_title("persistence sweep: " + label, fontsize=10)
        out.append(_save(fig, os.path.join(out_dir, name)))
    return out


def mem(records, out_dir):
    ok = [r for r in records if r.get("status") == "ok"]
    if not ok:
        return None
    cats = []
    for r in ok:
        c = "%s %s" % (r["type"], _human(r["elements"]))
        if c not in cats:
            cats.append(c)
    servers = []
    for r in ok:
        if r["server"] not in servers:
            servers.append(r["server"])
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(cats)), 4))
    series = []
    for i, s in enumerate(servers):
        vals = []
        for c in cats:
            row = next((r for r in ok if r["server"] == s
                        and "%s %s" % (r["type"], _human(r["elements"])) == c), None)
            vals.append(row["rss_bytes_per_element"] if row else None)
        series.append((s, _color(s, i), vals, None))
    _grouped_bars(ax, cats, series)
    ax.set_ylabel("RSS bytes per element (string: per key)", fontsize=8)
    ax.set_title("memory: RSS delta / elements (lower is better)", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, os.path.join(out_dir, "mem.png"))


def instr(rows, out_dir):
    rows = [r for r in rows if r.get("instr_per_request")]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.bar([r["server"] for r in rows], [r["instr_per_request"] for r in rows],
           color=[_color(r["server"], i) for i, r in enumerate(rows)])
    for i, r in enumerate(rows):
        ax.text(i, r["instr_per_request"], "{:,.0f}".format(r["instr_per_request"]),
                ha="center", va="bottom", fontsize=9)
    ax.set_ylabel("instructions per request (Ir)", fontsize=8)
    ax.set_title("callgrind, SET+GET at -P %s (lower is better)" % rows[0].get("pipeline"),
                 fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, os.path.join(out_dir, "instr.png"))


def _human(n):
    if n >= 1000000 and n % 1000000 == 0:
        return "%dM" % (n // 1000000)
    if n >= 1000 and n % 1000 == 0:
        return "%dk" % (n // 1000)
    return str(n)
