"""Class grading throughput: `coursekit grade-class` next to native nbgrader, in one run; then a whole class.

Usage: python benchmarks/bench_batch.py [--copies 10] [--class-size 100] [--workers 2] [--spawn-class 4]

1. N one-chapter submissions (ch01; half of them correct, half with 1.1 wrong and 1.4 left as the stub, each copy
   made distinct by a comment), graded by `coursekit grade-class` and by `nbgrader autograde` of native nbgrader
   notebooks: the same code in solution cells, and test cells of plain asserts, as an nbgrader user writes them
   (shapes, dtypes, values against torch's own functions), worth the kit's points per exercise. Both tools start as
   fresh processes, the way an instructor runs them; both wall times include every start-up. Both must give every
   student the same total, or the benchmark stops.
2. `--class-size` full-kit submissions (every chapter) graded by `coursekit grade-class --workers W`.
3. `--spawn-class` full-kit submissions graded one process per chapter, to show each chapter's share of the
   children's CPU time (the one check that starts a `spawn` DataLoader worker lives in ch03), after the CPU time of
   a child that grades nothing (the fixed cost of a grading process).

On a loaded machine wall times mislead; every comparison also reports CPU seconds (the command and all it waited for).
"""
from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(KIT_ROOT))
CHAPTER = "ch01_tensors"
WRONG_BIAS = ("def add_bias_column(x):\n"
              "    return torch.cat([torch.ones(x.shape[1], 1), x], dim=1)  # (D, 1) ones: a named mistake\n")

NATIVE_TESTS = {  # exercise id -> an nbgrader user's test cell: plain asserts, torch as the oracle
    "1.1": """import torch
x = torch.randn(5, 3)
out = add_bias_column(x)
assert out.shape == (5, 4), "add_bias_column should return (N, D + 1)"
assert torch.equal(out[:, 0], torch.ones(5)), "the first column should be ones"
assert torch.equal(out[:, 1:], x)
assert add_bias_column(x.double()).dtype == torch.float64
""",
    "1.2": """import torch
x = torch.randn(20, 4) * 3 + 1
before = x.clone()
z, mean, std = standardize(x)
assert torch.allclose(mean, x.mean(dim=0)) and torch.allclose(std, x.std(dim=0, correction=0))
assert torch.allclose(z, (x - x.mean(0)) / x.std(0, correction=0), atol=1e-6)
assert torch.equal(x, before), "standardize must not change its input"
z, _, _ = standardize(torch.ones(5, 2))
assert torch.isfinite(z).all()
""",
    "1.3": """import torch
a, b = torch.randn(5, 3), torch.randn(7, 3)
d = pairwise_squared_distances(a, b)
assert d.shape == (5, 7)
assert torch.allclose(d, torch.cdist(a, b) ** 2, atol=1e-5)
""",
    "1.4": """import torch
labels = torch.tensor([0, 2, 1, 4, 2, 3])
out = one_hot(labels, 5)
assert out.shape == (6, 5) and out.dtype == torch.float32
assert torch.equal(out, torch.nn.functional.one_hot(labels, 5).float())
assert one_hot(labels, 7, dtype=torch.float64).dtype == torch.float64
""",
}


CPU_SECONDS = 0.0  # CPU time of the last `timed` command and everything it waited for (a loaded machine's clock lies)


def timed(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, str]:
    global CPU_SECONDS
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_SECONDS = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def one_chapter_code(number: int) -> str:
    """Student `number`'s ch01: the reference, or (odd numbers) 1.1 wrong and 1.4 the stub."""
    from coursekit.nbgrader_export import _top_level

    code = (KIT_ROOT / "solutions" / f"{CHAPTER}.py").read_text()
    if number % 2:
        stubs = dict(_top_level(KIT_ROOT / "exercises" / f"{CHAPTER}.py"))
        parts = [(name, text) for name, text in _top_level(KIT_ROOT / "solutions" / f"{CHAPTER}.py")]
        code = "\n\n\n".join(WRONG_BIAS if name == "add_bias_column" else stubs[name] if name == "one_hot" else text
                             for name, text in parts) + "\n"
    return code + f"\n# submitted by student {number}\n"


def full_kit_class(root: Path, size: int) -> Path:
    chapters = sorted(p.stem for p in (KIT_ROOT / "solutions").glob("ch[0-9][0-9]_*.py"))
    for number in range(size):
        folder = root / f"student{number:03d}"
        folder.mkdir(parents=True)
        for chapter in chapters:
            source = (KIT_ROOT / "solutions" / f"{chapter}.py").read_text()
            (folder / f"{chapter}.py").write_text(source + f"\n# submitted by student {number}\n")
    return root


def kit_one_chapter(scratch: Path, copies: int, workers: int) -> tuple[float, dict[str, float]]:
    subs = scratch / "kit-subs"
    for number in range(copies):
        (subs / f"student{number:03d}").mkdir(parents=True)
        (subs / f"student{number:03d}" / f"{CHAPTER}.py").write_text(one_chapter_code(number))
    seconds, _ = timed([sys.executable, "-m", "coursekit", "grade-class", str(subs), "--out", str(scratch / "kit-out"),
                        "--workers", str(workers), "--chapters", CHAPTER, "--no-progress"], KIT_ROOT)
    totals = {r["student"]: float(r["total"]) for r in csv.DictReader((scratch / "kit-out/gradebook.csv").open())}
    return seconds, totals


def native_notebook(code: str, points: dict[str, float]):
    """An nbgrader notebook as its users write one: a solution cell, then one assert cell per exercise."""
    import nbformat

    def meta(cell, grade_id, **flags):
        cell.metadata["nbgrader"] = {"grade_id": grade_id, "schema_version": 3, "grade": False, "solution": False,
                                     "locked": False, **flags}
        return cell

    cells = [meta(nbformat.v4.new_code_cell(code), "answers", solution=True)]
    for exercise, test in NATIVE_TESTS.items():
        cells.append(meta(nbformat.v4.new_code_cell(test), f"test-{exercise.replace('.', '-')}", grade=True,
                          locked=True, points=points[exercise]))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def native_nbgrader(scratch: Path, copies: int, points: dict[str, float]) -> tuple[float, dict[str, float]]:
    import nbformat

    course = scratch / "native-course"
    (course / "source" / CHAPTER).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'bench'\n")
    source = native_notebook((KIT_ROOT / "solutions" / f"{CHAPTER}.py").read_text(), points)
    nbformat.write(source, str(course / "source" / CHAPTER / f"{CHAPTER}.ipynb"))
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    timed([sys.executable, "-m", "nbgrader", "generate_assignment", CHAPTER, "--force"], course, env)
    for number in range(copies):
        folder = course / "submitted" / f"student{number:03d}" / CHAPTER
        folder.mkdir(parents=True)
        nbformat.write(native_notebook(one_chapter_code(number), points), str(folder / f"{CHAPTER}.ipynb"))
    seconds, _ = timed([sys.executable, "-m", "nbgrader", "autograde", CHAPTER, "--create", "--force"], course, env)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        totals = {f"student{n:03d}": gradebook.find_submission(CHAPTER, f"student{n:03d}").score for n in range(copies)}
    return seconds, totals


def chapter_cpu(scratch: Path, size: int, workers: int) -> dict[str, float]:
    """Children's CPU seconds per chapter, one process per student and chapter, over `size` full-kit students."""
    from coursekit.batch import Options, Student, grade_class

    subs = full_kit_class(scratch / "spawn-class", size)
    students = [Student(p.name, p) for p in sorted(subs.iterdir())]
    outcome = grade_class(students, scratch / "spawn-out", Options(workers=workers, progress=False, per_chapter=True))
    return outcome.cpu_by_chapter


def empty_child_cpu(scratch: Path, workers: int) -> float:
    """CPU seconds of one child that has nothing to grade: the fixed cost of a grading process."""
    from coursekit.batch import Options, Student, grade_class

    folder = scratch / "empty-class" / "empty"
    folder.mkdir(parents=True)
    for path in (scratch, folder.parent, folder):
        path.chmod(0o755)
    outcome = grade_class([Student("empty", folder)], scratch / "empty-out",
                          Options(workers=workers, progress=False, per_chapter=True))
    return sum(outcome.cpu_by_chapter.values()) / len(outcome.cpu_by_chapter)


def main() -> None:
    from coursekit.nbgrader_export import exercise_points

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--class-size", type=int, default=100)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--spawn-class", type=int, default=4, help="students for the CPU-per-chapter table (0: skip)")
    args = parser.parse_args()
    points = {e: p for e, _, p in exercise_points([CHAPTER])[CHAPTER]}
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as scratch:
        scratch = Path(scratch)
        kit_seconds, kit_totals = kit_one_chapter(scratch, args.copies, args.workers)
        kit_cpu = CPU_SECONDS
        nb_seconds, nb_totals = native_nbgrader(scratch, args.copies, points)
        nb_cpu = CPU_SECONDS
        if kit_totals != nb_totals:
            raise SystemExit(f"the two graders disagree: kit {kit_totals}, nbgrader {nb_totals}")
        print(f"{args.copies} one-chapter ({CHAPTER}) submissions, {os.cpu_count()} cores, totals "
              f"{sorted(set(kit_totals.values()))} of {sum(points.values()):g} on both sides:")
        print(f"  coursekit grade-class --workers {args.workers}:   {kit_seconds:7.1f} s  "
              f"({args.copies / kit_seconds:.2f} submissions/s)")
        print(f"  nbgrader autograde, native assert cells: {nb_seconds:7.1f} s  "
              f"({args.copies / nb_seconds:.2f} submissions/s)")
        print(f"  throughput ratio: {nb_seconds / kit_seconds:.1f}x wall; CPU {kit_cpu:.1f} s vs {nb_cpu:.1f} s "
              f"(autograde only): {nb_cpu / kit_cpu:.1f}x; load average {os.getloadavg()[0]:.1f}")
        if args.class_size:
            subs = full_kit_class(scratch / "class", args.class_size)
            seconds, output = timed([sys.executable, "-m", "coursekit", "grade-class", str(subs), "--out",
                                     str(scratch / "class-out"), "--workers", str(args.workers), "--no-progress"],
                                    KIT_ROOT)
            print(f"{args.class_size} full-kit submissions, --workers {args.workers}: {seconds:.1f} s wall, start-up "
                  f"included ({seconds / args.class_size:.2f} s per submission)")
            for line in output.splitlines():
                if line.startswith(("graded", "memory", "gradebook")):
                    print("  " + line)
        if args.spawn_class:
            idle = empty_child_cpu(scratch, args.workers)
            print(f"a child process that grades nothing (an empty submission, one process per chapter): "
                  f"{idle:.2f} s CPU")
            cpu = chapter_cpu(scratch, args.spawn_class, args.workers)
            total = sum(cpu.values())
            print(f"children's CPU per chapter, {args.spawn_class} full-kit submissions, one process per chapter "
                  f"({total / args.spawn_class:.2f} s per submission):")
            for chapter, seconds in sorted(cpu.items()):
                print(f"  {chapter:<28} {seconds / args.spawn_class:6.2f} s  {100 * seconds / total:5.1f}%")
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
