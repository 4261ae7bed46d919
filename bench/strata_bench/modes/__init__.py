"""The tool's modes: quick, cpu, disk, mem, instr, tier (each a run(ctx) function)."""
