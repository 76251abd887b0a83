"""Class grading throughput: `coursekit grade-class` next to `nbgrader autograde`, in one run; then a whole class.

Usage: python benchmarks/bench_batch.py [--copies 10] [--class-size 100] [--workers 2]

1. N copies of a one-chapter submission (ch01, the reference code, each copy made distinct by a comment): graded by
   `coursekit grade-class` and, as the equivalent notebooks, by `nbgrader autograde` of the exported course. Both
   wall times include every start-up (each tool is started as a fresh process, the way an instructor runs it).
2. `--class-size` full-kit submissions (every chapter) graded by `coursekit grade-class --workers W`, with the memory
   per worker that the run reports.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

KIT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(KIT_ROOT))
CHAPTER = "ch01_tensors"


def timed(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def class_of(root: Path, size: int, chapters: list[str]) -> Path:
    for number in range(size):
        folder = root / f"student{number:03d}"
        folder.mkdir(parents=True)
        for chapter in chapters:
            source = (KIT_ROOT / "solutions" / f"{chapter}.py").read_text()
            (folder / f"{chapter}.py").write_text(source + f"\n# submitted by student {number}\n")
    return root


def kit_one_chapter(scratch: Path, copies: int, workers: int) -> tuple[float, str]:
    subs = class_of(scratch / "kit-subs", copies, [CHAPTER])
    return timed([sys.executable, "-m", "coursekit", "grade-class", str(subs), "--out", str(scratch / "kit-out"),
                  "--workers", str(workers), "--chapters", CHAPTER, "--no-progress"], KIT_ROOT)


def nbgrader_one_chapter(scratch: Path, copies: int) -> float:
    from coursekit.nbgrader_export import export

    course = scratch / "course"
    export(course, [CHAPTER])
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
           "PYTHONPATH": str(KIT_ROOT)}
    timed([sys.executable, "-m", "nbgrader", "generate_assignment", CHAPTER, "--force"], course, env)
    source = nbformat.read(str(course / "source" / CHAPTER / f"{CHAPTER}.ipynb"), as_version=4)
    for number in range(copies):
        folder = course / "submitted" / f"student{number:03d}" / CHAPTER
        folder.mkdir(parents=True)
        notebook = nbformat.from_dict(source)
        notebook.cells[1].source += f"\n# submitted by student {number}"
        nbformat.write(notebook, str(folder / f"{CHAPTER}.ipynb"))
    seconds, _ = timed([sys.executable, "-m", "nbgrader", "autograde", CHAPTER, "--create", "--force"], course, env)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--class-size", type=int, default=100)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as scratch:
        scratch = Path(scratch)
        kit_seconds, _ = kit_one_chapter(scratch, args.copies, args.workers)
        nb_seconds = nbgrader_one_chapter(scratch, args.copies)
        print(f"{args.copies} copies of a one-chapter ({CHAPTER}) submission, {os.cpu_count()} cores:")
        print(f"  coursekit grade-class --workers {args.workers}: {kit_seconds:7.1f} s  "
              f"({args.copies / kit_seconds:.2f} submissions/s)")
        print(f"  nbgrader autograde:                {nb_seconds:7.1f} s  ({args.copies / nb_seconds:.2f} submissions/s)")
        print(f"  throughput ratio: {nb_seconds / kit_seconds:.1f}x")
        if args.class_size:
            chapters = sorted(p.stem for p in (KIT_ROOT / "solutions").glob("ch[0-9][0-9]_*.py"))
            subs = class_of(scratch / "class", args.class_size, chapters)
            seconds, output = timed([sys.executable, "-m", "coursekit", "grade-class", str(subs), "--out",
                                     str(scratch / "class-out"), "--workers", str(args.workers), "--no-progress"],
                                    KIT_ROOT)
            print(f"{args.class_size} full-kit submissions ({len(chapters)} chapters), --workers {args.workers}: "
                  f"{seconds:.1f} s ({seconds / args.class_size:.2f} s per submission)")
            for line in output.splitlines():
                if line.startswith(("graded", "memory", "gradebook")):
                    print("  " + line)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
