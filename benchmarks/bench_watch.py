"""Watch mode: how long from saving a chapter file to its verdict, next to a cold grading of that chapter?

Usage: python benchmarks/bench_watch.py [--chapter 12] [--repeats 5]

Grades a copy of the reference solutions. "cold" is `pytest autograder/test_chNN_*.py --target COPY` from the start
of the process to its exit (torch, torch._dynamo, pytest and the checks load every time). "watch: save -> verdict"
is the time from writing the file to the "[watch] done" line that `coursekit watch` prints after the report, in a
real pseudo-terminal: the file watcher sees the save, the warm grading server forks, the fork grades and prints.
Runs interleave so that machine noise hits both alike. Target (issue 10): watch at most 0.25 x cold.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pexpect

KIT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(KIT_ROOT))

from coursekit.watch import resolve_chapter  # noqa: E402


def grade_cold(test_file: str, target: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", test_file, "--target", str(target), "-q"],
                   cwd=KIT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chapter", default="12")
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()
    chapter = resolve_chapter(options.chapter, KIT_ROOT)
    test_file = f"autograder/test_{chapter}.py"
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "target"
        target.mkdir()
        for path in (KIT_ROOT / "solutions").glob("ch[0-9][0-9]_*.py"):
            shutil.copy(path, target / path.name)
        env = {**os.environ, "NO_COLOR": "1", "COURSEKIT_PROGRESS": str(Path(folder) / "progress.sqlite")}
        watcher = pexpect.spawn(sys.executable, ["-m", "coursekit", "watch", options.chapter, "--target", str(target)],
                                cwd=str(KIT_ROOT), env=env, encoding="utf-8", timeout=300)
        try:
            watcher.expect(r"\[watch\] done in")  # the first report, at start-up
            grade_cold(test_file, target, env)  # warm the file cache, unmeasured
            cold, watched = [], []
            source = (target / f"{chapter}.py").read_text()
            for repeat in range(options.repeats):
                cold.append(grade_cold(test_file, target, env))
                time.sleep(1)
                start = time.perf_counter()
                (target / f"{chapter}.py").write_text(source + f"\n# save {repeat}\n")
                watcher.expect(r"\[watch\] done in")
                watched.append(time.perf_counter() - start)
        finally:
            watcher.sendline("q")
            watcher.close(force=True)
    a, b = statistics.median(cold), statistics.median(watched)
    print(f"{'command':<44} {'median s':>9}   (runs: {options.repeats}, {os.cpu_count()} cores, {chapter})")
    print(f"{'cold: pytest ' + test_file.split('/')[-1]:<44} {a:>9.2f}")
    print(f"{'watch: save -> verdict':<44} {b:>9.2f}")
    print(f"watch / cold: {b / a:.2f} (target: <= 0.25)")


if __name__ == "__main__":
    main()
