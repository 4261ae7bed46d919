# Sourced by tests/run_all.sh (bash, from the repository root) once it has added up its own
# suites: runs the bench tool's unit tests and adds their counts to total_passed / total_failed.
#   /usr/bin/python3 -m unittest discover -s bench/tests
# Counting: passed = tests run - failures - errors - skipped - unexpected successes; a run that
# crashes, times out or prints no "Ran N tests" / "OK|FAILED" summary counts as 1 failed.
# Environment: BENCH_TEST_TIMEOUT in seconds (default 60).
echo
echo "=== bench tool unit tests: bench/tests (unittest) ==="
_bt_log=$(mktemp)
timeout -k 10 "${BENCH_TEST_TIMEOUT:-60}" /usr/bin/python3 -m unittest discover -s bench/tests 2>&1 |
  tee "$_bt_log"
_bt_rc=${PIPESTATUS[0]}
_bt_ran=$(grep -aE '^Ran [0-9]+ tests? in ' "$_bt_log" | tail -n 1 | awk '{print $2}')
_bt_status=$(grep -aE '^(OK|FAILED)( \(.*\))?$' "$_bt_log" | tail -n 1)
_bt_count() {  # "FAILED (failures=2, errors=1)" -> the number after NAME=, or 0
  local v
  v=$(echo "$_bt_status" | grep -oE "$1=[0-9]+" | head -n 1 | cut -d= -f2)
  echo "${v:-0}"
}
if [ -n "$_bt_ran" ] && [ -n "$_bt_status" ]; then
  bench_failed=$(( $(_bt_count failures) + $(_bt_count errors)
                   + $(_bt_count 'unexpected successes') ))
  bench_passed=$(( _bt_ran - bench_failed - $(_bt_count skipped) ))
  if [ "$_bt_rc" -ne 0 ] && [ "$bench_failed" -eq 0 ]; then
    echo "bench tool unit tests exited with status $_bt_rc despite no failed tests"
    bench_failed=1
  fi
else
  [ "$_bt_rc" -eq 124 ] && echo "bench tool unit tests timed out"
  echo "bench tool unit tests crashed or printed no summary (exit status $_bt_rc)"
  bench_passed=0
  bench_failed=1
fi
echo "bench tool: $bench_passed passed, $bench_failed failed"
total_passed=$((total_passed + bench_passed))
total_failed=$((total_failed + bench_failed))
rm -f "$_bt_log"
unset -f _bt_count
