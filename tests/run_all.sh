#!/usr/bin/env bash
# Runs every test suite and ends with one line: "TOTAL_PASSED passed, TOTAL_FAILED failed".
#   1. the doctest unit binary (build/unit_tests): counts test cases from its summary line
#   2. the end-to-end suite (tests/integration/run.py) against STRATA_SERVER_KIND (default strata)
#   3. source checks (scripts/check-error-literals.sh: error reply strings only in common/errors.h)
# Both run with a throwaway MariaDB (tests/mariadb.sh, in $tmp/mdb) whose STRATA_TEST_MYSQL_*
# variables are exported; it is stopped at exit. If it cannot start, that counts as 1 failed.
# A suite that is missing, crashes, times out or prints no summary counts as at least 1 failed.
# Exit status: 0 iff nothing failed.
# Environment: UNIT_TESTS_BIN (default build/unit_tests), STRATA_SERVER_KIND, STRATA_SERVER_BIN,
#              UNIT_TIMEOUT / INTEGRATION_TIMEOUT in seconds (defaults 100 / 420).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

PY=/usr/bin/python3
UNIT=${UNIT_TESTS_BIN:-build/unit_tests}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-100}
INTEGRATION_TIMEOUT=${INTEGRATION_TIMEOUT:-420}

tmp=$(mktemp -d)
mariadb_dir=
# Stop MariaDB (by the pid tests/mariadb.sh recorded) before removing $tmp, which holds its data.
cleanup() {
  [ -n "$mariadb_dir" ] && bash tests/mariadb.sh stop "$mariadb_dir" >/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT   # run the EXIT trap on Ctrl-C / SIGTERM too
trap 'exit 143' TERM

strip_colors() { sed -e 's/\x1b\[[0-9;]*m//g'; }

# ---- throwaway MariaDB for the MySQL backend tests (unit and integration) -----------------------
# Its socket lives under $tmp/mdb; tests/mariadb.sh falls back to a short /tmp/strata-mdb.* dir when
# that path would be too long for a unix socket.
mariadb_failed=0
echo "=== MariaDB: tests/mariadb.sh start $tmp/mdb ==="
mariadb_dir=$tmp/mdb
if bash tests/mariadb.sh start "$mariadb_dir" && [ -f "$mariadb_dir/env" ]; then
  # shellcheck source=/dev/null
  source "$mariadb_dir/env"
else
  echo "MariaDB could not start (see above); MySQL backend tests will not run: counting 1 failed"
  mariadb_failed=1
fi
echo

# ---- unit tests ---------------------------------------------------------------------------------
unit_passed=0
unit_failed=0
echo "=== unit tests: $UNIT ==="
if [ ! -x "$UNIT" ]; then
  echo "unit test binary $UNIT is missing (build it with make)"
  unit_failed=1
else
  timeout -k 10 "$UNIT_TIMEOUT" "$UNIT" 2>&1 | tee "$tmp/unit.log"
  unit_rc=${PIPESTATUS[0]}
  # "[doctest] test cases: 12 | 11 passed | 1 failed | 0 skipped"
  summary=$(strip_colors <"$tmp/unit.log" | grep -a '\[doctest\] test cases:' | tail -n 1)
  if [[ $summary =~ test\ cases:\ *([0-9]+)\ *\|\ *([0-9]+)\ passed\ *\|\ *([0-9]+)\ failed ]]; then
    unit_passed=${BASH_REMATCH[2]}
    unit_failed=${BASH_REMATCH[3]}
    if [ "$unit_rc" -ne 0 ] && [ "$unit_failed" -eq 0 ]; then
      echo "unit tests exited with status $unit_rc despite no failed test cases"
      unit_failed=1
    fi
  else
    echo "unit tests crashed or printed no summary (exit status $unit_rc)"
    unit_failed=$((unit_failed > 0 ? unit_failed : 1))
  fi
fi

# ---- integration tests --------------------------------------------------------------------------
it_passed=0
it_failed=0
it_skipped=0
echo
echo "=== integration tests: tests/integration/run.py (STRATA_SERVER_KIND=${STRATA_SERVER_KIND:-strata}) ==="
timeout -k 10 "$INTEGRATION_TIMEOUT" "$PY" tests/integration/run.py 2>&1 | tee "$tmp/it.log"
it_rc=${PIPESTATUS[0]}
last=$(tail -n 1 "$tmp/it.log")
if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
  it_passed=${BASH_REMATCH[1]}
  it_failed=${BASH_REMATCH[2]}
  it_skipped=${BASH_REMATCH[4]:-0}
  if [ "$it_rc" -ne 0 ] && [ "$it_failed" -eq 0 ]; then
    echo "integration tests exited with status $it_rc despite no failed tests"
    it_failed=1
  fi
else
  [ "$it_rc" -eq 124 ] && echo "integration tests timed out after ${INTEGRATION_TIMEOUT}s"
  echo "integration tests crashed or printed no summary (exit status $it_rc)"
  it_failed=1
fi

# ---- source checks ------------------------------------------------------------------------------
# Every error reply string lives in common/errors.h.
echo
echo "=== source checks: scripts/check-error-literals.sh ==="
check_passed=0
check_failed=0
if out=$(scripts/check-error-literals.sh 2>&1); then check_passed=1; else check_failed=1; fi
echo "$out" | tail -n 40

# ---- summary ------------------------------------------------------------------------------------
total_passed=$((unit_passed + it_passed + check_passed))
total_failed=$((unit_failed + it_failed + mariadb_failed + check_failed))
source bench/tests/run_suite.sh  # bench tool unit tests (bench/**): adds to total_passed/total_failed
echo
echo "=== summary ==="
echo "unit:        $unit_passed passed, $unit_failed failed"
echo "integration: $it_passed passed, $it_failed failed, $it_skipped skipped"
echo "checks:      $check_passed passed, $check_failed failed"
[ "$mariadb_failed" -ne 0 ] && echo "mariadb:     failed to start (counted as 1 failed)"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
