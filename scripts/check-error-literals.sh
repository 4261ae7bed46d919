#!/usr/bin/env bash
# Every error reply string lives in common/errors.h (that header says so; COMMAND DOCS-free
# grep keeps it true). Fails, listing them, if a string literal that starts like an error reply
# ("ERR ...", "WRONGTYPE ...", "-OOM ...") appears in the server's source anywhere else.
# Prints one summary line, "error literals: N passed, M failed", for tests/run_all.sh.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
codes='ERR|WRONGTYPE|NOPERM|OOM|EXECABORT|BUSY|NOSCRIPT|MISCONF|NOAUTH|WRONGPASS|NOPROTO|READONLY|LOADING|TRYAGAIN|BUSYKEY|UNBLOCKED|MASTERDOWN|NOREPLICAS|CROSSSLOT'
found=$(git grep --untracked -nE "\"-?(${codes}) " -- common protocol storage commands wal backend server \
          ':!common/errors.h' 2>/dev/null | grep -vE '^[^:]+:[0-9]+: *//')
if [ -n "$found" ]; then
  echo "error reply literals outside common/errors.h (move them there):"
  echo "$found"
  echo "error literals: 0 passed, 1 failed"
  exit 1
fi
echo "error literals: 1 passed, 0 failed"
