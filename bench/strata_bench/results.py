"""Self-describing results: one directory per run under bench/results/ holding

  results.jsonl   one JSON object per point: every parameter and figure, plus "meta" (machine,
                  cores, versions, git commit, command line, all tool arguments)
  results.csv     the same points, one row each; nested figures as JSON; meta as meta_* columns
  meta.json       the meta block alone
  summary.md      the Markdown summary (ratios to redis-server), *.png plots, raw/ (redis-benchmark
                  output, server logs, callgrind files)

and a `latest-<mode>` symlink next to the run directories. Both files are rewritten/appended
after every point, so an interrupted sweep keeps what it measured. --wandb mirrors the records
and plots to Weights & Biases when the wandb package is importable.
"""
import csv
import json
import os


def _cell(v):
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(v, separators=(",", ":"))
    return "" if v is None else v


class Results:
    def __init__(self, root, meta, use_wandb=False, wandb_project="strata-bench"):
        self.meta = meta
        base = os.path.join(root, meta["run_id"])
        path, i = base, 1
        while os.path.exists(path):
            i += 1
            path = "%s-%d" % (base, i)
        self.dir = path
        self.raw_dir = os.path.join(self.dir, "raw")
        os.makedirs(self.raw_dir)
        self.csv_path = os.path.join(self.dir, "results.csv")
        self.jsonl_path = os.path.join(self.dir, "results.jsonl")
        self.records = []
        self.images = []
        self._write_meta()
        link = os.path.join(root, "latest-" + meta["mode"])
        try:
            if os.path.islink(link):
                os.unlink(link)
            os.symlink(os.path.basename(self.dir), link)
        except OSError:
            pass
        self.wandb = WandbLogger(meta, wandb_project) if use_wandb else None

    def _write_meta(self):
        # Rewritten on every record: the modes add to the meta block after the start.
        with open(os.path.join(self.dir, "meta.json"), "w") as f:
            json.dump(self.meta, f, indent=2, sort_keys=True)

    def raw(self, name):
        return os.path.join(self.raw_dir, name)

    def add(self, rec):
        rec = dict(rec, run_id=self.meta["run_id"], git_commit=self.meta.get("git_commit"))
        self.records.append(rec)
        self._write_meta()
        with open(self.jsonl_path, "a") as f:
            f.write(json.dumps(dict(rec, meta=self.meta), sort_keys=False) + "\n")
        self._write_csv()
        if self.wandb:
            self.wandb.log(rec)
        return rec

    def _write_csv(self):
        cols = []
        for r in self.records:
            for k in r:
                if k not in cols:
                    cols.append(k)
        meta_cols = ["meta_" + k for k in self.meta]
        tmp = self.csv_path + ".tmp"
        with open(tmp, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(cols + meta_cols)
            meta_vals = [_cell(v) for v in self.meta.values()]
            for r in self.records:
                w.writerow([_cell(r.get(k)) for k in cols] + meta_vals)
        os.replace(tmp, self.csv_path)

    def write_text(self, name, text):
        p = os.path.join(self.dir, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def add_images(self, paths):
        self.images.extend(paths)
        if self.wandb:
            self.wandb.images(paths)

    def close(self):
        if self.wandb:
            self.wandb.finish()


class WandbLogger:
    """Optional: logs each record (numbers only) and the plots. wandb cannot be installed from
    Debian; when it is not importable this says so once and does nothing."""

    def __init__(self, meta, project):
        self.run = None
        try:
            import wandb  # noqa: F401  (optional dependency)
        except Exception as e:  # noqa: BLE001
            print("--wandb: the wandb package is not importable here (%s); results are only "
                  "written to files." % e.__class__.__name__)
            return
        self.wandb = wandb
        self.run = wandb.init(project=project, name=meta["run_id"], config=meta,
                              reinit=True)

    def log(self, rec):
        if not self.run:
            return
        flat = {}
        for k, v in rec.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                flat[k] = v
            elif isinstance(v, str) and len(v) < 200:
                flat[k] = v
        self.run.log(flat)

    def images(self, paths):
        if self.run:
            self.run.log({os.path.basename(p): self.wandb.Image(p) for p in paths})

    def finish(self):
        if self.run:
            self.run.finish()
