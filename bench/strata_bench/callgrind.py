"""Totals of a callgrind output file (valgrind --tool=callgrind --callgrind-out-file=F).

The file names its events ("events: Ir ...") and ends each part with "totals: n ..." (older
versions also write "summary: n ..." in the header). Pure and unit-tested.
"""


def parse_totals(text, event="Ir"):
    """Total count of `event` in a callgrind out file's text (all parts summed), or None."""
    events = None
    totals, summaries = [], []
    for line in text.splitlines():
        if line.startswith("events:"):
            events = line.split(":", 1)[1].split()
        elif line.startswith("totals:"):
            totals.append(line.split(":", 1)[1].split())
        elif line.startswith("summary:"):
            summaries.append(line.split(":", 1)[1].split())
    rows = totals or summaries
    if not rows:
        return None
    idx = events.index(event) if events and event in events else 0
    return sum(int(r[idx]) for r in rows if len(r) > idx)


def read_totals(paths, event="Ir"):
    """Sum of parse_totals() over several files (callgrind writes one per process/thread dump)."""
    total = None
    for p in paths:
        with open(p, errors="replace") as f:
            v = parse_totals(f.read(), event)
        if v is not None:
            total = (total or 0) + v
    return total
