"""The tool's modes: quick, cpu, disk, mem, instr (each a run(ctx) function)."""
