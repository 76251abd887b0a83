"""How fast do the learner's small commands answer, next to the floor of `python -c "import torch"`?

Usage: python benchmarks/bench_startup.py [--repeats 7]

`coursekit hint`, `coursekit progress` and `coursekit explain` read the course's metadata (with `ast`, from the
checks' source) and the progress store (sqlite): they import neither torch nor pytest. Each command is a fresh
process, as a learner runs it; runs interleave. Target (issue 10): under 0.2 x the floor.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=KIT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "NO_COLOR": "1", "COURSEKIT_PROGRESS": str(Path(folder) / "progress.sqlite")}
        commands = {
            'python -c "import torch" (the floor)': [sys.executable, "-c", "import torch"],
            "coursekit hint 8.1": [sys.executable, "-m", "coursekit", "hint", "8.1"],
            "coursekit progress": [sys.executable, "-m", "coursekit", "progress"],
            "coursekit explain 8.1": [sys.executable, "-m", "coursekit", "explain", "8.1"],
        }
        for command in commands.values():  # bytecode caches and the file cache, unmeasured
            timed(command, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(options.repeats):
            for name, command in commands.items():
                times[name].append(timed(command, env))
    floor = statistics.median(next(iter(times.values())))
    print(f"{'command':<40} {'median s':>9} {'x floor':>8}   (runs: {options.repeats}, {os.cpu_count()} cores)")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<40} {median:>9.3f} {median / floor:>8.2f}")
    print("target: hint, progress and explain under 0.2 x the floor")


if __name__ == "__main__":
    main()
