"""Progress lines on stderr while a sweep runs: "[i/N] what | elapsed m:ss | ETA m:ss".

The ETA weighs points by an expected cost (e.g. requests / expected rate) when the mode gives one,
so a long -P 1 point and a short -P 64 point do not count the same.
"""
import sys
import time


def fmt_duration(s):
    if s is None:
        return "?"
    s = int(round(s))
    if s >= 3600:
        return "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)
    return "%d:%02d" % (s // 60, s % 60)


class Progress:
    def __init__(self, weights, stream=None):
        """weights: one expected cost per point (the number of points is len(weights))."""
        self.weights = list(weights) or [1.0]
        self.total = len(self.weights)
        self.done_w = 0.0
        self.i = 0
        self.t0 = time.monotonic()
        self.stream = stream or sys.stderr

    def eta(self):
        elapsed = time.monotonic() - self.t0
        if self.done_w <= 0:
            return None
        left = sum(self.weights[self.i:])
        return elapsed / self.done_w * left

    def start(self, label):
        """Call before point i+1; prints the line."""
        elapsed = time.monotonic() - self.t0
        print("[%*d/%d] %s | elapsed %s | ETA %s" % (len(str(self.total)), self.i + 1, self.total,
                                                    label, fmt_duration(elapsed),
                                                    fmt_duration(self.eta())),
              file=self.stream, flush=True)

    def finish(self, note=None):
        """Call after the point; `note` (a short result) is printed indented."""
        self.done_w += self.weights[self.i] if self.i < len(self.weights) else 1.0
        self.i += 1
        if note:
            print("        " + note, file=self.stream, flush=True)

    def elapsed(self):
        return time.monotonic() - self.t0
