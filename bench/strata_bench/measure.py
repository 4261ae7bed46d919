"""One measured point: server counters before, one redis-benchmark test, counters after.

Every record carries the parameters and these figures (names as in the results files):
  rps, *_latency_ms            redis-benchmark (p999 only with text output, see rbench)
  requests_served              cmdstat_<command>.calls delta (else requests_completed, else -n)
  server_cpu_s                 utime+stime of the server process (/proc/PID/stat) over the run
  server_cpu_us_per_req        server_cpu_s / requests_served, in microseconds
  server_cpu_pct               server_cpu_s / wall: 100 = one core busy
  server_oncpu_us_per_req      the same from /proc/PID/task/*/schedstat (ns resolution; utime+stime
                               counts in 10 ms ticks), a cross-check
  others_on_server_cpus_pct    busy time on the server's cores not spent in the server: other
                               processes competing (a shared machine); large = distrust the point
  server_cpu_by_core_pct       {core: %} from the server's threads (/proc/PID/task/*/stat)
  core_busy_pct, core_steal_pct  every core, all processes (psutil over the same window)
  client_cpu_s, client_cpu_pct redis-benchmark's own CPU (wait4 rusage): near 100% per client
                               thread means the load generator, not the server, is the limit
  error_replies                total_error_replies delta
  fsyncs_per_s, batch_avg, ... WAL figures from INFO (info.WAL_COUNTERS / WAL_GAUGES)
  disk_*_per_s                 the data directory's block device (/proc/diskstats)
  loadavg_before/after         1-minute load average: a busy machine shows here
"""
import os

from . import info as info_mod
from . import procstat, rbench, resp
from .meta import parse_cpu_list


def probe(server, test):
    """None if the server accepts the test's command, else its error text (recorded as
    'unsupported'). Probe keys are deleted afterwards."""
    cmd = rbench.TEST_PROBES.get(test.lower())
    if not cmd:
        return None
    try:
        with server.client() as c:
            try:
                c.call(*cmd)
            finally:
                try:
                    c.call("DEL", *rbench.PROBE_KEYS)
                except resp.ReplyError:
                    pass
    except resp.ReplyError as e:
        return str(e)
    return None


def _requests_basis(rec, test, n, info_b, info_a):
    cmd = rbench.test_command(test)
    b, a = info_mod.command_calls(info_b, cmd), info_mod.command_calls(info_a, cmd)
    if a is not None and b is not None and a > b:
        return a - b, "cmdstat_" + cmd
    if rec.get("requests_completed"):
        return rec["requests_completed"], "redis-benchmark"
    return n, "-n"


def run_point(server, params, client_cpus, raw_path=None, csv_output=True, client_threads=None,
              disk_device=None, sample_interval=0.25):
    """Runs one redis-benchmark test against `server` and returns the record (a flat dict).

    params: test, requests, clients, pipeline, keyspace, data_size (+ anything else, copied into
    the record). A command the server rejects gives status 'unsupported' without running.
    """
    test = params["test"]
    rec = dict(params)
    rec.update(server=server.name, server_kind=server.kind, threads=server.threads,
               appendonly=server.appendonly, appendfsync=server.appendfsync,
               server_cpus=server.cpus, client_cpus=client_cpus, status="ok", error=None)
    err = probe(server, test)
    if err:
        rec.update(status="unsupported", error=err)
        return rec
    argv = rbench.command_line(server.port, test, params["requests"], params["clients"],
                               params["pipeline"], params.get("keyspace"),
                               params.get("data_size"), client_threads, csv_output)
    rec["rb_command"] = " ".join(["taskset", "-c", client_cpus] + argv)
    rec["latency_source"] = "csv" if csv_output else "text"

    info_b = server.info()
    load_b = os.getloadavg()[0]
    disk_b = procstat.diskstats(disk_device)
    thr_b = procstat.thread_ticks(server.pid)
    cpu_b = procstat.process_cpu_seconds(server.pid)
    ns_b = procstat.oncpu_seconds(server.pid)
    sampler = procstat.CoreSampler(sample_interval).start()
    try:
        res = rbench.run(argv, client_cpus, server.registry, raw_path, csv_output=csv_output)
    finally:
        sampler.stop()
    cpu_a = procstat.process_cpu_seconds(server.pid)
    ns_a = procstat.oncpu_seconds(server.pid)
    thr_a = procstat.thread_ticks(server.pid)
    disk_a = procstat.diskstats(disk_device)
    load_a = os.getloadavg()[0]
    info_a = server.info()

    wall = res.wall_s
    for k in rbench.RESULT_FIELDS[1:]:
        rec[k] = None
    if res.rows:
        row = res.rows[-1]
        for k in rbench.RESULT_FIELDS[1:]:
            rec[k] = row.get(k)
    if res.error:
        rec.update(status="error", error=res.error)
    served, basis = _requests_basis(rec, test, params["requests"], info_b, info_a)
    server_cpu = cpu_a - cpu_b
    oncpu = (ns_a - ns_b) if ns_a is not None and ns_b is not None else None
    server_cores = parse_cpu_list(server.cpus)
    busy = sampler.busy_pct
    on_server_cores = sum(busy[c] or 0 for c in server_cores if c < len(busy))
    eb = info_mod.field(info_b, "total_error_replies")
    ea = info_mod.field(info_a, "total_error_replies")
    rec.update(
        wall_s=round(wall, 4),
        requests_served=served,
        requests_basis=basis,
        server_cpu_s=round(server_cpu, 4),
        server_cpu_us_per_req=round(server_cpu / served * 1e6, 4) if served else None,
        server_cpu_pct=round(100 * server_cpu / wall, 1) if wall > 0 else None,
        server_oncpu_us_per_req=round(oncpu / served * 1e6, 4) if served and oncpu else None,
        # Busy time of the server's cores not spent in the server: other processes competing.
        others_on_server_cpus_pct=(round(max(0.0, on_server_cores - 100 * server_cpu / wall), 1)
                                   if wall > 0 else None),
        server_cpu_by_core_pct={str(k): round(100 * v / wall, 1)
                                for k, v in sorted(procstat.cpu_by_core(thr_b, thr_a).items())},
        server_threads_os=len(thr_a),
        core_busy_pct=sampler.busy_pct,
        core_steal_pct=sampler.steal_pct,
        core_series=sampler.series,
        client_cpu_s=round(res.client_cpu_s, 4),
        client_cpu_pct=round(100 * res.client_cpu_s / wall, 1) if wall > 0 else None,
        client_cpu_us_per_req=round(res.client_cpu_s / served * 1e6, 4) if served else None,
        error_replies=(ea - eb) if isinstance(ea, int) and isinstance(eb, int) else None,
        loadavg_before=round(load_b, 2),
        loadavg_after=round(load_a, 2),
        used_memory=info_mod.field(info_a, "used_memory"),
    )
    rec.update(info_mod.wal_figures(info_b, info_a, wall))
    rec.update(procstat.disk_rates(disk_b, disk_a, wall))
    return rec


def run_point_safe(server, params, client_cpus, *args, **kw):
    """run_point() that never raises for a server-side failure: a server that died before or
    during the point is restarted once for the next point, and the point is recorded with status
    'error' and the server's last log lines."""
    if server.proc is not None and server.proc.poll() is not None:
        rec = dict(params, server=server.name, threads=server.threads, status="error",
                   error="server had exited (status %s): %s" % (
                       server.proc.returncode, " | ".join(server.log_tail(3).splitlines())))
        _restart(server)
        return rec
    try:
        return run_point(server, params, client_cpus, *args, **kw)
    except (OSError, ConnectionError, resp.ReplyError, ValueError) as e:
        rec = dict(params, server=server.name, threads=server.threads, status="error",
                   error="%s: %s" % (e.__class__.__name__, e))
        if server.proc.poll() is not None:
            rec["error"] += "; server exited (status %s): %s" % (
                server.proc.returncode, " | ".join(server.log_tail(3).splitlines()))
            _restart(server)
        return rec


def _restart(server):
    from .servers import StartError
    server.stop()
    try:
        server.start()
    except StartError:
        pass  # the next point records the failure again


def brief(rec):
    """One short line for the progress output."""
    if rec["status"] != "ok":
        return "%s: %s" % (rec["status"], (rec.get("error") or "")[:100])
    s = "%s rps, p50 %s ms, p99 %s ms" % (fmt_int(rec.get("rps")), rec.get("p50_latency_ms"),
                                          rec.get("p99_latency_ms"))
    if rec.get("p999_latency_ms") is not None:
        s += ", p99.9 %s ms" % rec["p999_latency_ms"]
    s += ", server %.2f us CPU/req (%s%% of a core), client %s%%" % (
        rec["server_cpu_us_per_req"] or 0, rec["server_cpu_pct"], rec["client_cpu_pct"])
    if (rec.get("others_on_server_cpus_pct") or 0) > 10:
        s += ("; NOTE other processes used %s%% of the server CPUs"
              % rec["others_on_server_cpus_pct"])
    if rec.get("fsyncs_per_s") is not None:
        s += ", %.0f fsyncs/s" % rec["fsyncs_per_s"]
    return s


def fmt_int(v):
    return "-" if v is None else "{:,.0f}".format(v)
