"""What every mode shares: the run context (arguments, results, child processes, work directory)
and helpers to build servers and points."""
import datetime
import hashlib
import os
import shutil
import sys

from .. import meta as meta_mod
from .. import procstat, results, servers


class Context:
    """One tool run. Use as a context manager: on the way out (normally, on failure or Ctrl-C)
    every child process is stopped by pid and the servers' data directory is removed."""

    def __init__(self, args, mode, repo):
        self.args, self.mode, self.repo = args, mode, repo
        self.registry = servers.ProcessRegistry()
        self.meta = meta_mod.collect(repo, mode, vars(args), args.strata_bin, args.redis_bin)
        self.meta.update(server_cpus=args.server_cpus, client_cpus=args.client_cpus,
                         client_threads=args.client_threads)
        self.results = results.Results(args.results_dir, self.meta, args.wandb,
                                       args.wandb_project)
        self.work_dir = os.path.join(args.data_dir or self.results.dir, "data")
        os.makedirs(self.work_dir, exist_ok=True)
        self.disk_device = procstat.device_of(self.work_dir)
        # Other people rebuild build/strata-server while sweeps run: benchmark a private copy,
        # so every point of the run measures the same binary (its sha256 is in the metadata).
        self.strata_bin = args.strata_bin
        if "strata" in args.servers:
            os.makedirs(os.path.join(self.work_dir, "bin"), exist_ok=True)
            self.strata_bin = os.path.join(self.work_dir, "bin", "strata-server")
            shutil.copy2(args.strata_bin, self.strata_bin)
            self.meta["strata_bin_sha256"] = _sha256(self.strata_bin)
            self.meta["strata_bin_mtime"] = datetime.datetime.fromtimestamp(
                os.path.getmtime(args.strata_bin)).astimezone().isoformat(timespec="seconds")
        self.meta["data_dir"] = self.work_dir
        self.meta["data_device"] = self.disk_device
        self._n = 0

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.registry.stop_all()
        if not self.args.keep_data:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        self.results.close()
        if exc_type is KeyboardInterrupt:
            print("\ninterrupted: servers stopped; partial results in %s" % self.results.dir,
                  file=sys.stderr)
        return False

    def binary(self, name):
        return self.strata_bin if name == "strata" else self.args.redis_bin

    def server(self, name, threads=1, appendonly="no", appendfsync=None, extra=(), valgrind=None,
               tag=""):
        """A Server (not started) for 'strata' or 'redis' with this run's pinning and extra args."""
        self._n += 1
        binary = self.binary(name)
        kind = servers.binary_kind(binary)
        user_extra = (self.args.strata_args if name == "strata" else self.args.redis_args) or ""
        label = "%s%s-%d" % (name, ("-" + tag) if tag else "", self._n)
        return servers.Server(
            name, kind, binary, self.args.server_cpus, os.path.join(self.work_dir, label),
            self.registry, threads=threads, appendonly=appendonly, appendfsync=appendfsync,
            extra=list(extra) + user_extra.split(), valgrind=valgrind,
            ready_timeout=120.0 if valgrind else 15.0,
            log_path=self.results.raw("%s.log" % label))

    def requests_for(self, pipeline):
        return self.args.requests if pipeline == 1 else self.args.requests_pipelined

    def weight(self, pipeline):
        """Expected relative cost of a point, for the ETA."""
        return self.requests_for(pipeline) / (1.0 if pipeline == 1 else min(pipeline, 10.0))


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def log(*a):
    print(*a, file=sys.stderr, flush=True)
