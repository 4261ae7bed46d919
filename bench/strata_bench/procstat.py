"""CPU and disk counters from /proc, and the psutil per-core sampler.

- parse_stat(): one /proc/PID/stat or /proc/PID/task/TID/stat line -> utime, stime (clock ticks),
  state, num_threads, processor (the CPU it last ran on). Pure, unit-tested.
- process_cpu_seconds(pid): utime+stime of the whole process (all threads), in seconds;
  oncpu_seconds(pid): the same from schedstat, in nanoseconds (a finer-grained cross-check).
- thread_ticks(pid) + cpu_by_core(): the server's CPU time split by the core each thread ran on
  (exact for pinned threads; for unpinned ones it goes to the last core seen).
- parse_diskstats(): /proc/diskstats -> writes, sectors written, flushes per device. Pure.
- CoreSampler: psutil per-core utilisation over a window (busy, steal) plus a time series.
"""
import os
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def parse_stat(text):
    """A /proc/.../stat line -> {"comm", "state", "utime", "stime", "num_threads", "processor"}.

    comm may contain spaces and parentheses, so fields are counted from the last ')'.
    """
    lpar, rpar = text.index("("), text.rindex(")")
    rest = text[rpar + 2:].split()
    # rest[0] is field 3 (state); field k is rest[k - 3].
    return {
        "comm": text[lpar + 1:rpar],
        "state": rest[0],
        "utime": int(rest[14 - 3]),
        "stime": int(rest[15 - 3]),
        "num_threads": int(rest[20 - 3]),
        "processor": int(rest[39 - 3]) if len(rest) > 39 - 3 else None,
    }


def _read(path):
    with open(path) as f:
        return f.read()


def process_cpu_seconds(pid):
    """utime + stime of process `pid` (all its threads) in seconds."""
    st = parse_stat(_read("/proc/%d/stat" % pid))
    return (st["utime"] + st["stime"]) / CLK_TCK


def thread_ticks(pid):
    """{tid: (utime+stime ticks, processor, comm)} for every thread of `pid` (gone ones skipped)."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            st = parse_stat(_read("/proc/%d/task/%s/stat" % (pid, tid)))
        except (OSError, ValueError):
            continue
        out[int(tid)] = (st["utime"] + st["stime"], st["processor"], st["comm"])
    return out


def oncpu_seconds(pid):
    """Time on CPU of all threads of `pid`, in seconds with nanosecond resolution (first field of
    /proc/PID/task/TID/schedstat), or None when schedstat is unavailable. A cross-check of
    process_cpu_seconds(), whose clock-tick granularity is 10 ms."""
    total, seen = 0, False
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return None
    for tid in tids:
        try:
            total += int(_read("/proc/%d/task/%s/schedstat" % (pid, tid)).split()[0])
            seen = True
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9 if seen else None


def cpu_by_core(before, after):
    """Seconds of CPU per core between two thread_ticks() snapshots: {core: seconds}."""
    out = {}
    for tid, (ticks, proc, _) in after.items():
        d = ticks - before.get(tid, (0, None, None))[0]
        if d > 0 and proc is not None:
            out[proc] = out.get(proc, 0.0) + d / CLK_TCK
    return out


def parse_diskstats(text):
    """/proc/diskstats -> {device: {"writes", "sectors_written", "flushes", "reads"}} (ints).

    Kernels before 4.18 have no discard fields and before 5.5 no flush fields: missing -> None.
    """
    out = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) < 14:
            continue
        out[f[2]] = {
            "reads": int(f[3]),
            "writes": int(f[7]),
            "sectors_written": int(f[9]),
            "flushes": int(f[18]) if len(f) > 18 else None,
        }
    return out


def device_of(path):
    """The whole-disk block device name (e.g. 'vda') holding `path`, or None (tmpfs, overlay)."""
    try:
        st = os.stat(path)
        sys_path = os.path.realpath("/sys/dev/block/%d:%d" % (os.major(st.st_dev),
                                                              os.minor(st.st_dev)))
    except OSError:
        return None
    if not os.path.exists(sys_path):
        return None
    if os.path.exists(os.path.join(sys_path, "partition")):
        sys_path = os.path.dirname(sys_path)
    return os.path.basename(sys_path)


def diskstats(device):
    """Current counters of `device` from /proc/diskstats, or None."""
    if not device:
        return None
    try:
        return parse_diskstats(_read("/proc/diskstats")).get(device)
    except OSError:
        return None


def disk_rates(before, after, seconds):
    """Per-second deltas of two diskstats() snapshots: {"disk_writes_per_s", "disk_flushes_per_s",
    "disk_write_kib_per_s"}; None where unknown."""
    keys = ("disk_writes_per_s", "disk_flushes_per_s", "disk_write_kib_per_s")
    if not before or not after or seconds <= 0:
        return dict.fromkeys(keys)
    fl = None
    if after["flushes"] is not None and before["flushes"] is not None:
        fl = (after["flushes"] - before["flushes"]) / seconds
    return {
        "disk_writes_per_s": (after["writes"] - before["writes"]) / seconds,
        "disk_flushes_per_s": fl,
        "disk_write_kib_per_s":
            (after["sectors_written"] - before["sectors_written"]) / 2 / seconds,
    }


class CoreSampler:
    """Per-core CPU utilisation (all processes) over a window, sampled with psutil.

    start() / stop(); then busy_pct[i] and steal_pct[i] are the exact averages over the window
    (from psutil.cpu_times deltas) and series holds (t, [busy% per core]) samples every
    `interval` seconds from a background thread, for plots.
    """

    def __init__(self, interval=0.25):
        import psutil  # Debian's python3-psutil
        self.psutil = psutil
        self.interval = interval
        self.series = []
        self.busy_pct = []
        self.steal_pct = []
        self._stop = threading.Event()
        self._thread = None

    @staticmethod
    def _busy(t):
        total = sum(t)
        idle = t.idle + getattr(t, "iowait", 0.0)
        return total, total - idle, getattr(t, "steal", 0.0)

    def start(self):
        self._t0 = time.monotonic()
        self._before = self.psutil.cpu_times(percpu=True)
        self.psutil.cpu_percent(percpu=True)  # sets psutil's reference point
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(self.interval):
            self.series.append((round(time.monotonic() - self._t0, 3),
                                self.psutil.cpu_percent(percpu=True)))

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join()
        after = self.psutil.cpu_times(percpu=True)
        for b, a in zip(self._before, after):
            tb, bb, sb = self._busy(b)
            ta, ba, sa = self._busy(a)
            dt = ta - tb
            self.busy_pct.append(round(100.0 * (ba - bb) / dt, 1) if dt > 0 else None)
            self.steal_pct.append(round(100.0 * (sa - sb) / dt, 1) if dt > 0 else None)
        return self
