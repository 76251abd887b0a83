"""Gradescope: build autograder.zip, and grade one submission the way Gradescope asks.

    coursekit gradescope --out autograder.zip [--visibility after_published]
    coursekit grade-submission SUBMISSION --results results.json [--visibility ...]

The zip holds Gradescope's two scripts and the kit under source/ (Gradescope unpacks it to /autograder/source):
setup.sh installs the CPU build of torch and what grading needs; run_autograder grades /autograder/submission with
the same sandboxed grader as `coursekit grade-class` and writes /autograder/results/results.json (Gradescope's
format: https://gradescope-autograders.readthedocs.io/en/latest/specs/). The root is COURSEKIT_AUTOGRADER_ROOT
when set (the kit's tests use a temporary folder), /autograder otherwise.
"""
from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

from coursekit.batch import CHAPTER_FILE, KIT_ROOT, Options, Student, grade_class

VISIBILITIES = ["visible", "hidden", "after_due_date", "after_published"]
SOURCE_PARTS = ["autograder", "coursekit", "solutions", "exercises", "pyproject.toml", "README.md"]
GRADING_PACKAGES = ["numpy", "pytest>=8", "pytest-timeout>=2.3", "scikit-learn", "matplotlib"]

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
cd /autograder/source
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip >/dev/null
PIP="python3 -m pip install --quiet --break-system-packages"
$PIP torch=={torch} --index-url https://download.pytorch.org/whl/cpu || $PIP torch=={torch}
$PIP {packages}
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade /autograder/submission, write /autograder/results/results.json.
set -uo pipefail
ROOT="${{COURSEKIT_AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{COURSEKIT_PYTHON:-python3}}"
mkdir -p "$ROOT/results"
cd "$ROOT/source"
exec "$PYTHON" -m coursekit grade-submission "$ROOT/submission" --results "$ROOT/results/results.json" \\
    --visibility {visibility} --check-timeout {check_timeout:g}
"""


def build_zip(out: Path, visibility: str = "after_published", check_timeout: float = 10.0) -> Path:
    """Write autograder.zip: setup.sh, run_autograder, and the kit under source/."""
    import torch

    torch_version = torch.__version__.split("+")[0]
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_script(archive, "setup.sh", SETUP_SH.format(torch=torch_version, packages=" ".join(
            f"'{p}'" for p in GRADING_PACKAGES)))
        _add_script(archive, "run_autograder", RUN_AUTOGRADER.format(visibility=visibility,
                                                                      check_timeout=check_timeout))
        for part in SOURCE_PARTS:
            path = KIT_ROOT / part
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            for file in files:
                if "__pycache__" in file.parts or file.suffix in (".pyc", ".bak"):
                    continue
                archive.write(file, "source/" + file.relative_to(KIT_ROOT).as_posix())
    return out


def _add_script(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFREG | 0o755) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def submission_folder(submission: Path) -> Path:
    """The folder that holds the chapter files: the submission itself, or where in it a student's zip put them."""
    if any(CHAPTER_FILE.match(p.name) for p in submission.glob("*.py")):
        return submission
    found = sorted(p for p in submission.rglob("*.py") if CHAPTER_FILE.match(p.name) and "__MACOSX" not in p.parts)
    return found[0].parent if found else submission


def grade_submission(submission: Path, results: Path, visibility: str = "visible",
                     check_timeout: float = 10.0, timeout: float = 300.0, memory_mb: int = 2048,
                     workers: int | None = None, chapters: list[str] | None = None) -> dict:
    """Grade one submission with the class grader (sandboxed, one child per chapter); write results.json."""
    folder = submission_folder(submission.resolve())
    with tempfile.TemporaryDirectory(prefix="coursekit-gradescope-") as scratch:
        options = Options(workers=workers or max(os.cpu_count() or 1, 1), timeout=timeout, memory_mb=memory_mb,
                          check_timeout=check_timeout, visibility=visibility, progress=False,
                          chapters=chapters)
        outcome = grade_class([Student("submission", folder)], Path(scratch), options, hidden=[results.parent])
        results.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(scratch) / "results" / "submission.json", results)
    return outcome.results["submission"]


def _build(args) -> int:
    path = build_zip(args.out, args.visibility, args.check_timeout)
    print(f"{path}: upload it as the assignment's autograder (Gradescope: Configure Autograder > Zip file upload). "
          f"Results visibility: {args.visibility}.")
    return 0


def _grade(args) -> int:
    results = grade_submission(args.submission, args.results, args.visibility, args.check_timeout, args.timeout,
                               args.memory, chapters=args.chapters or None)
    print(results.get("output", ""))
    print(f"score: {results['score']:g} / {results['max_score']:g}; results: {args.results}")
    return 0


def add_parser(commands) -> None:
    build = commands.add_parser("gradescope", help="build autograder.zip for Gradescope")
    build.add_argument("--out", type=Path, default=Path("autograder.zip"))
    build.add_argument("--visibility", choices=VISIBILITIES, default="after_published",
                       help="when students see their results (default: after_published, i.e. hidden until you "
                            "publish grades)")
    build.add_argument("--check-timeout", type=float, default=10.0)
    build.set_defaults(run=_build)
    grade = commands.add_parser("grade-submission", help="grade one submission, sandboxed; write results.json")
    grade.add_argument("submission", type=Path)
    grade.add_argument("--results", type=Path, required=True)
    grade.add_argument("--visibility", choices=VISIBILITIES, default="visible")
    grade.add_argument("--check-timeout", type=float, default=10.0)
    grade.add_argument("--timeout", type=float, default=300.0)
    grade.add_argument("--memory", type=int, default=2048, metavar="MB")
    grade.add_argument("--chapters", nargs="*", help="only these chapters, e.g. ch01_tensors")
    grade.set_defaults(run=_grade)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `coursekit gradescope` or `coursekit grade-submission`")
