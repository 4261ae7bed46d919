"""Stream mode (make bench-stream): XADD, XRANGE of 10 entries, XREADGROUP and XACK
(rbench.COMMANDS) at -P 1 and -P 16, this server against redis-server: quick mode's interleaved
runner and ratio table with other tests. PING (ping_mbulk) runs beside them as the ceiling: the
most requests/s one redis-benchmark core drives here, so a stream command that reaches it is
limited by the load generator, not by the server."""
from .quick import run  # noqa: F401
