#!/usr/bin/env bash
# Kept for old habits: the quick comparison is now `bench/bench.py quick` (also `make bench-quick`).
# Arguments pass through, e.g. bench/quick.sh --reps 5 --pipelines 1,16,64. See docs/BENCHMARKS.md.
exec /usr/bin/python3 "$(dirname "$0")/bench.py" quick "$@"
