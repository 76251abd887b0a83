"""How long does grading take, next to the floor of `python -c "import torch"` measured in the same run?

Usage: python benchmarks/bench_grading.py [--repeats 5]

The commands run interleaved (floor, one chapter, whole kit, floor, ...) so that machine noise hits them alike;
the report gives medians, the ratio of each median to the floor's, and each command's peak memory (max RSS).
A second baseline, `import torch, torch._dynamo`, shows what torch itself loads on the first meta-tensor operation
(the device checks need it on machines without a GPU), so the grader's own share can be read off.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[1]
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:random_order"]
COMMANDS = {
    "floor: python -c 'import torch'": [sys.executable, "-c", "import torch"],
    # What torch itself imports on the first meta-tensor op, optimizer or gradcheck: every grading run needs it.
    "torch + torch._dynamo": [sys.executable, "-c", "import torch, torch._dynamo"],
    "one chapter (ch01) --target solutions": [*PYTEST, "autograder/test_ch01_tensors.py", "--target", "solutions"],
    "chapters 01-02 --target solutions": [*PYTEST, "autograder/test_ch01_tensors.py",
                                          "autograder/test_ch02_autograd.py", "--target", "solutions"],
    "whole kit --target solutions": [*PYTEST, "autograder", "--target", "solutions"],
}


# As a learner runs it: Python caches compiled bytecode (some sandboxes set PYTHONDONTWRITEBYTECODE, which makes
# every run recompile the kit and pytest re-rewrite every check file).
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def run_once(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident memory in MiB) of one run of `command`."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=KIT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0,):
        raise SystemExit(f"{' '.join(command)} exited with {code}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    times = {name: [] for name in COMMANDS}
    memory = {name: 0.0 for name in COMMANDS}
    for name, command in COMMANDS.items():  # warm the file cache once, unmeasured
        run_once(command)
    for _ in range(repeats):
        for name, command in COMMANDS.items():
            seconds, mib = run_once(command)
            times[name].append(seconds)
            memory[name] = max(memory[name], mib)
    floor = statistics.median(next(iter(times.values())))
    print(f"{'command':<42} {'median s':>9} {'x floor':>8} {'peak MiB':>9}   (runs: {repeats}, {os.cpu_count()} cores)")
    for name in COMMANDS:
        median = statistics.median(times[name])
        print(f"{name:<42} {median:>9.2f} {median / floor:>8.2f} {memory[name]:>9.0f}")


if __name__ == "__main__":
    main()
