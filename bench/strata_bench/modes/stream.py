"""Stream mode (make bench-stream): XADD, XRANGE of 10 entries, XREADGROUP and XACK
(rbench.COMMANDS) at -P 1 and -P 16, this server against redis-server: quick mode's interleaved
runner and ratio table with other tests."""
from .quick import run  # noqa: F401
