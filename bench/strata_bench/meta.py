"""What a results file says about where and how it was made: machine, cores, versions, git commit,
the CPU split, and the command line. Also the default split of cores between server and client."""
import datetime
import os
import platform
import socket
import subprocess
import sys


def _run(argv, cwd=None):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=20, cwd=cwd,
                           env=dict(os.environ, GIT_OPTIONAL_LOCKS="0"))
        return r.stdout.strip() if r.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def parse_cpu_list(s):
    """'0-2,5' -> [0, 1, 2, 5]."""
    out = []
    for part in str(s).split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def format_cpu_list(cpus):
    """[0, 1, 2, 5] -> '0-2,5'."""
    cpus = sorted(set(cpus))
    parts, i = [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        parts.append(str(cpus[i]) if i == j else "%d-%d" % (cpus[i], cpus[j]))
        i = j + 1
    return ",".join(parts)


def _physical_cores(cpus):
    """Groups logical CPUs by physical core (SMT siblings together), in CPU order."""
    groups, seen = [], set()
    for c in cpus:
        if c in seen:
            continue
        try:
            with open("/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list" % c) as f:
                sib = [s for s in parse_cpu_list(f.read()) if s in cpus]
        except OSError:
            sib = [c]
        sib = sib or [c]
        seen.update(sib)
        groups.append(sib)
    return groups


def default_cpu_split(cpus=None):
    """(server_cpus, client_cpus) as taskset lists.

    1 CPU: both on it. 2 CPUs: server on the first, client on the second. More: whole physical
    cores (SMT siblings stay together), the first half (rounded up) for the server and the rest
    for redis-benchmark, which then runs with --threads = its number of CPUs.
    """
    cpus = sorted(cpus if cpus is not None else os.sched_getaffinity(0))
    if len(cpus) == 1:
        return str(cpus[0]), str(cpus[0])
    groups = _physical_cores(cpus)
    if len(groups) == 1:  # one core with SMT siblings: split the siblings
        groups = [[c] for c in groups[0]]
    half = (len(groups) + 1) // 2
    server = [c for g in groups[:half] for c in g]
    client = [c for g in groups[half:] for c in g]
    return format_cpu_list(server), format_cpu_list(client)


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _mem_total_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def git_info(repo):
    dirty = _run(["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
                 cwd=repo)
    return {
        "git_commit": _run(["git", "rev-parse", "--short", "HEAD"], cwd=repo),
        "git_commit_full": _run(["git", "rev-parse", "HEAD"], cwd=repo),
        # Tracked files changed since that commit: the binary may not be exactly the commit.
        "git_dirty": None if dirty is None else bool(dirty),
    }


def collect(repo, mode, args_dict, strata_bin=None, redis_bin=None):
    """The run's metadata (a flat dict of JSON-able values)."""
    import importlib
    versions = {}
    for mod in ("psutil", "matplotlib"):
        try:
            versions[mod] = importlib.import_module(mod).__version__
        except Exception:  # noqa: BLE001 - a missing optional module is just not recorded
            versions[mod] = None
    now = datetime.datetime.now().astimezone()
    m = {
        "run_id": "%s-%s" % (mode, now.strftime("%Y%m%d-%H%M%S")),
        "mode": mode,
        "date": now.isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "kernel": platform.release(),
        "cpu_model": _cpu_model(),
        "cores_online": os.cpu_count(),
        "cores_allowed": format_cpu_list(os.sched_getaffinity(0)),
        "mem_total_gib": _mem_total_gib(),
        "python": platform.python_version(),
        "python_bin": sys.executable,
        "psutil_version": versions["psutil"],
        "matplotlib_version": versions["matplotlib"],
        "redis_benchmark_version": _run(["redis-benchmark", "--version"]),
        "redis_server_version": _run([redis_bin, "--version"]) if redis_bin else None,
        "strata_version": _run([strata_bin, "--version"]) if strata_bin else None,
        "strata_bin": strata_bin,
        "redis_bin": redis_bin,
        "command_line": " ".join(sys.argv),
        "args": args_dict,
    }
    if mode == "instr":
        m["valgrind_version"] = _run(["valgrind", "--version"])
    m.update(git_info(repo))
    return m
