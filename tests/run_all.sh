#!/usr/bin/env bash
# Runs every test suite and ends with one line: "TOTAL_PASSED passed, TOTAL_FAILED failed".
#   1. the doctest unit binary (build/unit_tests): counts test cases from its summary line
#   2. the end-to-end suite (tests/integration/run.py) against STRATA_SERVER_KIND (default strata)
# A suite that is missing, crashes, times out or prints no summary counts as at least 1 failed.
# Exit status: 0 iff nothing failed.
# Environment: UNIT_TESTS_BIN (default build/unit_tests), STRATA_SERVER_KIND, STRATA_SERVER_BIN,
#              UNIT_TIMEOUT / INTEGRATION_TIMEOUT in seconds (defaults 100 / 190).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

PY=/usr/bin/python3
UNIT=${UNIT_TESTS_BIN:-build/unit_tests}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-100}
INTEGRATION_TIMEOUT=${INTEGRATION_TIMEOUT:-190}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

strip_colors() { sed -e 's/\x1b\[[0-9;]*m//g'; }

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

# ---- summary ------------------------------------------------------------------------------------
total_passed=$((unit_passed + it_passed))
total_failed=$((unit_failed + it_failed))
source bench/tests/run_suite.sh  # bench tool unit tests (bench/**): adds to total_passed/total_failed
echo
echo "=== summary ==="
echo "unit:        $unit_passed passed, $unit_failed failed"
echo "integration: $it_passed passed, $it_failed failed, $it_skipped skipped"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
