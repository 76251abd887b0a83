"""Watch mode: how long from saving a chapter file to the new report, next to grading that chapter once?

Usage: python benchmarks/bench_watch.py [--chapter 1] [--repeats 5]

Grades a copy of the reference solutions. "grade once" is `pytest autograder/test_chNN_*.py --target COPY` from the
start of the process to its exit; "watch: save -> report" is the time from writing the file to the line after the
report ("[watch] done ...") that `coursekit watch` prints. Runs interleave so that machine noise hits both alike.
Target (the issue): watch within 1.5x of grading once.
"""
from __future__ import annotations

import argparse
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(KIT_ROOT))

from coursekit.watch import resolve_chapter  # noqa: E402


def grade_once(test_file: str, target: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", test_file, "--target", str(target), "-q", "-p", "no:random_order"],
                   cwd=KIT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chapter", default="1")
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()
    chapter = resolve_chapter(options.chapter)
    test_file = f"autograder/test_{chapter}.py"
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "target"
        target.mkdir()
        for path in (KIT_ROOT / "solutions").glob("ch[0-9][0-9]_*.py"):
            shutil.copy(path, target / path.name)
        env = {**os.environ, "NO_COLOR": "1", "COURSEKIT_PROGRESS": str(Path(folder) / "progress.sqlite")}
        watcher = subprocess.Popen([sys.executable, "-m", "coursekit", "watch", chapter, "--target", str(target)],
                                   cwd=KIT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in watcher.stdout], daemon=True).start()

        def until_done() -> None:
            while "[watch] done" not in lines.get(timeout=300):
                pass

        try:
            until_done()  # the first report, at start-up
            grade_once(test_file, target, env)  # warm the file cache, unmeasured
            once, watched = [], []
            source = (target / f"{chapter}.py").read_text()
            for repeat in range(options.repeats):
                once.append(grade_once(test_file, target, env))
                time.sleep(3)  # let the watcher's next child finish importing, as it would while you edit
                start = time.perf_counter()
                (target / f"{chapter}.py").write_text(source + f"\n# save {repeat}\n")
                until_done()
                watched.append(time.perf_counter() - start)
        finally:
            watcher.terminate()
            watcher.wait()
    a, b = statistics.median(once), statistics.median(watched)
    print(f"{'command':<40} {'median s':>9}   (runs: {options.repeats}, {os.cpu_count()} cores, {chapter})")
    print(f"{'grade once: pytest ' + test_file.split('/')[-1]:<40} {a:>9.2f}")
    print(f"{'watch: save -> report':<40} {b:>9.2f}")
    print(f"watch / grade once: {b / a:.2f} (target: <= 1.5)")


if __name__ == "__main__":
    main()
