"""Tables for the console and for summary.md: aggregation over repetitions, pairing of strata and
redis points that share every other parameter, ratios, and text / Markdown rendering. Pure."""
import statistics


def median(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def group(records, keys):
    """{tuple(rec[k] for k in keys): [records]} keeping first-seen order."""
    out = {}
    for r in records:
        out.setdefault(tuple(r.get(k) for k in keys), []).append(r)
    return out


def aggregate(records, keys, metrics):
    """Medians of `metrics` over records sharing `keys` (repetitions), plus min/max, n and status.

    Returns [dict(keys..., metric=median, metric_min, metric_max, n, status, error)].
    """
    out = []
    for k, rs in group(records, keys).items():
        row = dict(zip(keys, k))
        ok = [r for r in rs if r.get("status") == "ok"]
        row["n"] = len(ok)
        row["status"] = "ok" if ok else rs[0].get("status")
        row["error"] = None if ok else rs[0].get("error")
        for m in metrics:
            vals = [r.get(m) for r in ok if r.get(m) is not None]
            row[m] = median(vals)
            row[m + "_min"] = min(vals) if vals else None
            row[m + "_max"] = max(vals) if vals else None
        out.append(row)
    return out


def pair(rows, keys, a="strata", b="redis", server_key="server"):
    """[(key_tuple, row_a or None, row_b or None)] for rows sharing `keys`, in first-seen order."""
    out = {}
    for r in rows:
        k = tuple(r.get(x) for x in keys)
        out.setdefault(k, {})[r.get(server_key)] = r
    return [(k, d.get(a), d.get(b)) for k, d in out.items()]


def ratio(x, y):
    if x is None or y is None or y == 0:
        return None
    return x / y


def fmt(v, spec="{:,.0f}"):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return spec.format(v)


def fmt_ratio(v):
    return "-" if v is None else "%.2f" % v


def text_table(headers, rows, right=None):
    """Fixed-width table; columns listed in `right` (indexes) are right-aligned (default: all but
    the first)."""
    rows = [[str(c) for c in r] for r in rows]
    w = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    right = set(range(1, len(headers))) if right is None else set(right)

    def line(cells):
        return "  ".join(c.rjust(w[i]) if i in right else c.ljust(w[i])
                         for i, c in enumerate(cells)).rstrip()
    return "\n".join([line(headers), "  ".join("-" * x for x in w)] + [line(r) for r in rows])


def md_table(headers, rows, right=None):
    right = set(range(1, len(headers))) if right is None else set(right)
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join(("---:" if i in right else "---") for i in range(len(headers))) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return "\n".join(out)


def meta_lines(meta, extra=()):
    """Markdown bullet lines describing a run."""
    lines = [
        "- date: %s; git commit: `%s`%s" % (meta.get("date"), meta.get("git_commit"),
                                           " (with uncommitted changes to tracked files)"
                                           if meta.get("git_dirty") else ""),
        "- machine: %s, %s cores online (%s allowed), %s GiB, kernel %s" % (
            meta.get("cpu_model"), meta.get("cores_online"), meta.get("cores_allowed"),
            meta.get("mem_total_gib"), meta.get("kernel")),
        "- servers: %s; %s" % (meta.get("strata_version"), meta.get("redis_server_version")),
        "- load generator: %s" % meta.get("redis_benchmark_version"),
        "- command: `%s`" % meta.get("command_line"),
    ]
    return lines + list(extra)
