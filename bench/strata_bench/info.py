"""Parser for INFO replies, and the one table of persistence / WAL field names the tool reads.

parse_info() turns the text into {section: {field: value}}; values that look like numbers become
int/float, and "k=v,k=v" values (cmdstat_*, db0, errorstat_*) become dicts. Pure and unit-tested.
"""

# Figures the persistence sweep reports, and the INFO fields (any section, first one present
# wins) they come from. Edit here when the WAL's INFO fields land or change name.
#   counters (per second over a run):  fsyncs, wal_batches, wal_bytes
#   gauges   (value after the run):    batch_avg
WAL_COUNTERS = {
    "fsyncs": ("wal_fsyncs", "aof_fsyncs"),
    "wal_batches": ("wal_batches", "wal_group_commits"),
    "wal_bytes": ("wal_bytes_written", "wal_bytes", "aof_current_size"),
}
WAL_GAUGES = {
    "batch_avg": ("wal_batch_avg", "wal_avg_batch_size"),
    "batch_max": ("wal_batch_max",),
}


def _number(s):
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return s


def _value(s):
    # "calls=3,usec=10,usec_per_call=3.33" -> dict; anything else (e.g. "0-3", "a,b") is a scalar.
    parts = s.split(",")
    if "=" in s and all("=" in p and not p.startswith("=") for p in parts):
        return {k: _number(v) for k, _, v in (p.partition("=") for p in parts)}
    return _number(s)


def parse_info(text):
    """Parses INFO output (str or bytes) into {section_name_lowercase: {field: value}}.

    Fields before any "# Section" header go to section "". Blank lines are ignored; a field name
    may itself contain ':' only before the first ':' (as Redis guarantees), e.g.
    "cmdstat_config|get:calls=1,..." -> field "cmdstat_config|get".
    """
    if isinstance(text, (bytes, bytearray)):
        text = text.decode(errors="replace")
    sections = {}
    cur = sections.setdefault("", {})
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            cur = sections.setdefault(line.lstrip("#").strip().lower(), {})
            continue
        key, sep, val = line.partition(":")
        if not sep:
            continue
        cur[key] = _value(val)
    if not sections[""]:
        del sections[""]
    return sections


def flatten(sections):
    """{section: {k: v}} -> {k: v}; on a clash the first section wins."""
    out = {}
    for fields in sections.values():
        for k, v in fields.items():
            out.setdefault(k, v)
    return out


def field(sections, *names, default=None):
    """The first of `names` found in any section, else default."""
    flat = flatten(sections)
    for n in names:
        if n in flat:
            return flat[n]
    return default


def command_calls(sections, command):
    """calls= of cmdstat_<command> (lower case), or None when the server does not report it."""
    cs = sections.get("commandstats", {}).get("cmdstat_" + command.lower())
    if isinstance(cs, dict) and isinstance(cs.get("calls"), int):
        return cs["calls"]
    return None


def _num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def wal_figures(before, after, seconds):
    """Persistence figures between two parsed INFOs over `seconds` of wall time.

    Returns {"fsyncs_per_s": x, "wal_batches_per_s": ..., "wal_bytes_per_s": ..., "batch_avg": ...,
    "wal_fields": "names found"}; a figure whose field the server does not report is None.
    """
    out = {}
    found = []
    for fig, names in WAL_COUNTERS.items():
        val = None
        for n in names:
            a, b = _num(field(after, n)), _num(field(before, n))
            if a is not None and b is not None:
                val = (a - b) / seconds if seconds > 0 else None
                found.append(n)
                break
        out[fig + "_per_s"] = val
    for fig, names in WAL_GAUGES.items():
        val = None
        for n in names:
            v = _num(field(after, n))
            if v is not None:
                val = v
                found.append(n)
                break
        out[fig] = val
    out["wal_fields"] = ",".join(found)
    return out
