#!/usr/bin/env bash
# Quick side-by-side throughput check: strata-server vs a stock redis-server, one after the other,
# each pinned to the server CPUs, driven by the same redis-benchmark pinned to the client CPUs.
# Prints a table (rps, p50, p99 for both, ratio strata/redis) and keeps the raw CSV under
# bench/results/. Also run as `make bench-quick`.
#
# Environment (defaults in brackets):
#   N [200000]            requests per benchmark test
#   CLIENTS [50]          redis-benchmark -c
#   KEYSPACE [100000]     redis-benchmark -r
#   TESTS [set,get]       redis-benchmark -t
#   PIPELINES ["1 16"]    redis-benchmark -P values, one run each
#   SERVER_CPUS [0]       taskset CPU list for the servers
#   CLIENT_CPUS [1]       taskset CPU list for redis-benchmark
#   STRATA_BIN [build/strata-server]   our binary (set to a redis-server binary to dry-run)
#   STRATA_ARGS [--threads 1]          extra directives for our binary
#   REDIS_BIN [redis-server on PATH]
#   RESULTS_DIR [bench/results]
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-200000}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
TESTS=${TESTS:-set,get}
PIPELINES=${PIPELINES:-1 16}
SERVER_CPUS=${SERVER_CPUS:-0}
CLIENT_CPUS=${CLIENT_CPUS:-1}
STRATA_BIN=${STRATA_BIN:-build/strata-server}
STRATA_ARGS=${STRATA_ARGS:---threads 1}
REDIS_BIN=${REDIS_BIN:-$(command -v redis-server || true)}
RESULTS_DIR=${RESULTS_DIR:-bench/results}

die() { echo "bench/quick.sh: $*" >&2; exit 2; }

[ -x "$STRATA_BIN" ] || die "strata binary '$STRATA_BIN' not found or not executable: build it with \`make\`
  (or dry-run the script with redis on both sides: STRATA_BIN=$(command -v redis-server || echo /usr/bin/redis-server) $0)"
STRATA_BIN=$(realpath "$STRATA_BIN")  # servers start in their own temporary directories
if [ -z "$REDIS_BIN" ] || [ ! -x "$REDIS_BIN" ]; then
  die "redis-server not found (apt-get install redis-server)"
fi
command -v redis-benchmark >/dev/null || die "redis-benchmark not found (apt-get install redis-tools)"
command -v redis-cli >/dev/null || die "redis-cli not found (apt-get install redis-tools)"
command -v taskset >/dev/null || die "taskset not found (util-linux)"
taskset -c "$SERVER_CPUS" true 2>/dev/null || die "cannot pin to SERVER_CPUS=$SERVER_CPUS"
taskset -c "$CLIENT_CPUS" true 2>/dev/null || die "cannot pin to CLIENT_CPUS=$CLIENT_CPUS"

mkdir -p "$RESULTS_DIR"
stamp=$(date +%Y%m%d-%H%M%S)
work=$(mktemp -d /tmp/strata-bench.XXXXXX)
server_pid=""

stop_server() {
  [ -n "$server_pid" ] || return 0
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      # Until we wait for it, an exited child is a zombie that still answers kill -0: read its
      # state from /proc instead.
      [ -e "/proc/$server_pid" ] || break
      [ "$(awk '{print $3}' "/proc/$server_pid/stat" 2>/dev/null)" != Z ] || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
cleanup() { stop_server; rm -rf "$work"; }
trap cleanup EXIT
trap 'echo; echo "interrupted"; exit 130' INT TERM

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

is_redis_binary() { "$1" --version 2>/dev/null | grep -q '^Redis server'; }

# start_server NAME BINARY EXTRA_ARGS...: sets server_pid and port, waits for PING.
start_server() {
  local name=$1 bin=$2; shift 2
  local dir="$work/$name"
  mkdir -p "$dir"
  port=$(free_port)
  local args=(--port "$port" --bind 127.0.0.1)
  if is_redis_binary "$bin"; then
    args=(--save '' --appendonly no "${args[@]}" --dir "$dir")
  fi
  (cd "$dir" && exec taskset -c "$SERVER_CPUS" "$bin" "${args[@]}" "$@") >"$dir/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "$name exited during start-up; log tail:" >&2; tail -n 20 "$dir/server.log" >&2; exit 1
    fi
    [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  echo "$name did not answer PING within 10s; log tail:" >&2; tail -n 20 "$dir/server.log" >&2
  exit 1
}

# run_bench NAME: one redis-benchmark per pipeline depth; rows go to $combined.
combined="$RESULTS_DIR/quick-$stamp.csv"
echo '"server","pipeline","test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"' >"$combined"
run_bench() {
  local name=$1 p raw
  for p in $PIPELINES; do
    raw="$RESULTS_DIR/quick-$stamp-$name-P$p.csv"
    echo "  $name: redis-benchmark -t $TESTS -n $N -c $CLIENTS -r $KEYSPACE -P $p" >&2
    taskset -c "$CLIENT_CPUS" redis-benchmark -p "$port" -t "$TESTS" -n "$N" -c "$CLIENTS" \
      -r "$KEYSPACE" -P "$p" --csv >"$raw" 2>"$work/bench-$name-$p.err" || {
        echo "redis-benchmark failed against $name:" >&2; cat "$work/bench-$name-$p.err" >&2; exit 1; }
    if grep -qiE 'error|ERR ' "$raw" "$work/bench-$name-$p.err"; then
      echo "warning: error replies from $name at -P $p:" >&2
      grep -hiE 'error|ERR ' "$raw" "$work/bench-$name-$p.err" | head -n 5 >&2
    fi
    # Skip the header; prefix server and pipeline.
    tail -n +2 "$raw" | grep '^"' | sed "s/^/\"$name\",\"$p\",/" >>"$combined"
  done
}

echo "server cpus: $SERVER_CPUS, client cpus: $CLIENT_CPUS, N=$N, -c $CLIENTS, -r $KEYSPACE" >&2
if is_redis_binary "$STRATA_BIN"; then
  echo "note: STRATA_BIN is a redis-server: this is a dry run with redis on both sides" >&2
  STRATA_ARGS=""
fi
# shellcheck disable=SC2086  # STRATA_ARGS is a word list on purpose
start_server strata "$STRATA_BIN" $STRATA_ARGS
run_bench strata
stop_server
start_server redis "$REDIS_BIN"
run_bench redis
stop_server

table="$RESULTS_DIR/quick-$stamp.txt"
/usr/bin/python3 - "$combined" >"$table" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
by = {}
order = []
for r in rows:
    key = (r["test"], int(r["pipeline"]))
    if key not in by:
        order.append(key)
    by.setdefault(key, {})[r["server"]] = r
hdr = ("test", "pipeline", "strata rps", "redis rps", "ratio",
       "strata p50", "redis p50", "strata p99", "redis p99")
lines = [hdr]
def f(r, k, fmt):
    return fmt % float(r[k]) if r else "-"
for key in order:
    s, d = by[key].get("strata"), by[key].get("redis")
    ratio = "%.2f" % (float(s["rps"]) / float(d["rps"])) if s and d and float(d["rps"]) else "-"
    lines.append((key[0], str(key[1]), f(s, "rps", "%.0f"), f(d, "rps", "%.0f"), ratio,
                  f(s, "p50_latency_ms", "%.3f"), f(d, "p50_latency_ms", "%.3f"),
                  f(s, "p99_latency_ms", "%.3f"), f(d, "p99_latency_ms", "%.3f")))
w = [max(len(l[i]) for l in lines) for i in range(len(hdr))]
for i, l in enumerate(lines):
    print("  ".join(c.rjust(w[j]) if j else c.ljust(w[j]) for j, c in enumerate(l)))
    if i == 0:
        print("  ".join("-" * x for x in w))
print("(latencies in ms; ratio = strata rps / redis rps)")
EOF
cat "$table"
echo "raw CSV: $combined and $RESULTS_DIR/quick-$stamp-*-P*.csv" >&2
