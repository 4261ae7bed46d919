"""Script mode (make bench-script): EVALSHA of `return redis.call('INCR', KEYS[1])` and of a
10-call script (rbench.SCRIPTS) at -P 1 and -P 16, this server against redis-server: quick mode's
interleaved runner and ratio table with other tests."""
from .quick import run  # noqa: F401
