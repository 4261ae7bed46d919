"""strata_bench: the benchmark tool behind bench/bench.py (see docs/BENCHMARKS.md).

Modules, one job each:
  resp       RESP encoding/decoding and a tiny blocking client (no dependencies)
  info       INFO parser and the table of WAL / persistence field names
  rbench     redis-benchmark command line, runner, and parsers for its --csv and text output
  procstat   /proc parsers and samplers: process CPU time, per-thread/per-core CPU, diskstats
  callgrind  totals of a callgrind output file
  servers    start / pin / wait-for-ready / stop servers by pid (also on Ctrl-C and failure)
  measure    one measured point: counters before, redis-benchmark, counters after
  meta       machine, versions, git commit
  results    CSV + JSON lines writers, optional Weights & Biases logging
  report     ratio tables (console and Markdown)
  plots      PNG plots (matplotlib, Agg backend)
  progress   "[i/N] elapsed, ETA" lines
  loader     pipelined key loader for the memory sweep
  modes/     quick, cpu, disk, mem, instr
"""
