#!/usr/bin/env bash
# A throwaway MariaDB for tests (see /work/shared/ENVIRONMENT.md, "A throwaway MariaDB for tests").
#
#   tests/mariadb.sh start DIR   bootstraps DIR/data (reused when it already holds a datadir),
#                                starts mariadbd in the background on a free 127.0.0.1 port and a
#                                unix socket, waits until it answers (bounded), creates the user
#                                strata@localhost + strata@127.0.0.1 (ALL PRIVILEGES, generated
#                                password) and the database strata_test, and writes DIR/env:
#                                  export STRATA_TEST_MYSQL_SOCKET=...  STRATA_TEST_MYSQL_HOST=127.0.0.1
#                                  export STRATA_TEST_MYSQL_PORT=...    STRATA_TEST_MYSQL_USER=strata
#                                  export STRATA_TEST_MYSQL_PASSWORD=.. STRATA_TEST_MYSQL_PID=...
#                                  export STRATA_TEST_MYSQL_DATABASE=strata_test
#                                On failure: exits non-zero and prints the tail of DIR/mariadb.log.
#   tests/mariadb.sh stop DIR    SIGTERM to the pid recorded in DIR (only if it still is the
#                                mariadbd on DIR/data), waits up to MARIADB_STOP_TIMEOUT s (default
#                                20), then SIGKILL. Leaves DIR (and the data) in place.
#
# The server logs to DIR/mariadb.log (mariadb-install-db to DIR/install-db.log); its stdin/stdout/stderr are detached from this script. The
# socket lives at DIR/mysqld.sock, or under a short mktemp -d /tmp/strata-mdb.XXXXXX directory
# (recorded in DIR/sockdir, removed by stop) when that path would not fit in sun_path (108 bytes).
# Environment: MARIADB_START_TIMEOUT (default 20 s), MARIADB_STOP_TIMEOUT (default 20 s).
set -uo pipefail

die() { echo "mariadb.sh: $*" >&2; exit 1; }

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }

[ $# -eq 2 ] || usage
action=$1
mkdir -p "$2" || die "cannot create $2"
dir=$(cd "$2" && pwd -P) || die "cannot enter $2"
data=$dir/data
log=$dir/mariadb.log
pidfile=$dir/mariadbd.pid      # written by us ($!), not by mariadbd
START_TIMEOUT=${MARIADB_START_TIMEOUT:-20}
STOP_TIMEOUT=${MARIADB_STOP_TIMEOUT:-20}

# Alive = /proc/PID exists and is not a zombie (a reaped-late process shows state Z for a while).
alive() {
  local st
  st=$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# True when PID is a mariadbd started on our datadir (guards against a recycled pid).
is_ours() {
  local cmd
  cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *mariadbd* && $cmd == *"--datadir=$data "* ]]
}

log_tail() {
  echo "--- last lines of $log ---" >&2
  tail -n 25 "$log" >&2 2>/dev/null || echo "(no log)" >&2
}

free_port() {
  /usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

do_stop() {
  local pid sockdir i
  pid=$(cat "$pidfile" 2>/dev/null) || pid=
  if [ -n "$pid" ] && alive "$pid" && is_ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid" && is_ours "$pid"; then
      echo "mariadb.sh: mariadbd $pid ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null
      for ((i = 0; i < 50; i++)); do
        alive "$pid" || break
        sleep 0.1
      done
      alive "$pid" && die "mariadbd $pid still alive after SIGKILL"
    fi
  fi
  rm -f "$pidfile"
  sockdir=$(cat "$dir/sockdir" 2>/dev/null) || sockdir=
  if [ -n "$sockdir" ] && [[ $sockdir == /tmp/strata-mdb.* ]]; then
    rm -rf "$sockdir"
  fi
  rm -f "$dir/sockdir"
  return 0
}

do_start() {
  local pid port attempt i sock sockdir password
  pid=$(cat "$pidfile" 2>/dev/null) || pid=
  if [ -n "$pid" ] && alive "$pid" && is_ours "$pid"; then
    die "a mariadbd ($pid) already runs on $data; stop it first"
  fi
  command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] ||
    die "mariadbd not found (install mariadb-server-core)"
  command -v mariadb >/dev/null || die "mariadb client not found (install mariadb-client-core)"
  local mariadbd_bin
  mariadbd_bin=$(command -v mariadbd || echo /usr/sbin/mariadbd)

  sock=$dir/mysqld.sock
  if [ ${#sock} -gt 100 ]; then
    sockdir=$(mktemp -d /tmp/strata-mdb.XXXXXX) || die "mktemp failed"
    echo "$sockdir" >"$dir/sockdir"
    sock=$sockdir/mysqld.sock
  fi
  : >>"$log"

  if [ ! -d "$data/mysql" ]; then
    rm -rf "$data"
    if ! mariadb-install-db --no-defaults --datadir="$data" --auth-root-authentication-method=normal \
        --skip-test-db --user=root --skip-log-bin --innodb-log-file-size=16M \
        --innodb-buffer-pool-size=64M >"$dir/install-db.log" 2>&1; then
      echo "--- last lines of $dir/install-db.log ---" >&2
      tail -n 25 "$dir/install-db.log" >&2
      die "mariadb-install-db failed (datadir $data)"
    fi
  fi

  # Retry with another port when someone grabbed ours between free_port and the bind.
  for attempt in 1 2 3; do
    port=$(free_port) || die "cannot pick a free port"
    rm -f "$sock"
    echo "=== $(date '+%F %T') mariadb.sh start: port $port socket $sock ===" >>"$log"
    "$mariadbd_bin" --no-defaults --datadir="$data" --socket="$sock" --port="$port" \
      --bind-address=127.0.0.1 --skip-networking=0 --user=root --skip-name-resolve \
      --skip-log-bin --innodb-buffer-pool-size=64M --innodb-log-file-size=16M \
      --innodb-flush-log-at-trx-commit=2 --performance-schema=OFF --max-allowed-packet=1G \
      --pid-file="$dir/mariadbd.server.pid" --log-error="$log" \
      </dev/null >>"$log" 2>&1 &
    pid=$!
    echo "$pid" >"$pidfile"
    for ((i = 0; i < START_TIMEOUT * 20; i++)); do
      alive "$pid" || break
      if mariadb --no-defaults -uroot --socket="$sock" --connect-timeout=2 -e 'SELECT 1' \
          >/dev/null 2>&1; then
        break
      fi
      sleep 0.05
    done
    if ! alive "$pid"; then
      wait "$pid" 2>/dev/null
      if tail -n 20 "$log" | grep -qiE 'address already in use|another server running on port'; then
        continue
      fi
      rm -f "$pidfile"
      log_tail
      die "mariadbd exited during start-up (datadir $data, port $port)"
    fi
    if ! mariadb --no-defaults -uroot --socket="$sock" -e 'SELECT 1' >/dev/null 2>&1; then
      log_tail
      do_stop
      die "mariadbd did not answer within ${START_TIMEOUT}s (datadir $data, port $port)"
    fi
    break
  done
  alive "$pid" || { log_tail; die "could not start mariadbd after 3 port attempts"; }

  password=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
  local out
  if ! out=$(mariadb --no-defaults -uroot --socket="$sock" 2>&1 <<SQL
CREATE OR REPLACE USER 'strata'@'localhost' IDENTIFIED BY '$password';
CREATE OR REPLACE USER 'strata'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO 'strata'@'localhost' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'strata'@'127.0.0.1' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS strata_test;
FLUSH PRIVILEGES;
SQL
  ); then
    echo "$out" >&2
    do_stop
    die "creating the strata user failed"
  fi

  {
    printf 'export STRATA_TEST_MYSQL_SOCKET=%q\n' "$sock"
    printf 'export STRATA_TEST_MYSQL_HOST=127.0.0.1\n'
    printf 'export STRATA_TEST_MYSQL_PORT=%q\n' "$port"
    printf 'export STRATA_TEST_MYSQL_USER=strata\n'
    printf 'export STRATA_TEST_MYSQL_PASSWORD=%q\n' "$password"
    printf 'export STRATA_TEST_MYSQL_DATABASE=strata_test\n'
    printf 'export STRATA_TEST_MYSQL_PID=%q\n' "$pid"
  } >"$dir/env.tmp" && mv "$dir/env.tmp" "$dir/env" || { do_stop; die "cannot write $dir/env"; }
  echo "mariadb.sh: mariadbd $pid ready on 127.0.0.1:$port and $sock (env: $dir/env)"
}

case $action in
  start) do_start ;;
  stop) do_stop ;;
  *) usage ;;
esac
