"""The test cells of an exported nbgrader notebook call `score(chapter, exercise_id)`: a student's feedback.

In the student's own Jupyter it grades the notebook's code (every cell run so far except the check cells) with the
kit's grader in a separate, sandboxed process (`coursekit grade-submission`), once per chapter and version of the
code, prints the feedback and returns the exercise's points. It is feedback only: the kernel is the student's, and a
notebook can replace this function. Under `nbgrader autograde` (NBGRADER_EXECUTION=autograde) it grades nothing; the
grade is made outside the kernel by nbgrader_preprocessors.KitVerdict, which overwrites these cells' output. Nothing
goes to stderr (nbgrader gives 0 to a cell that writes there).
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[1]
CHECK_MARKER = "# coursekit: autograded check"
_GRADED: dict[tuple[str, str], dict] = {}


def _notebook_code() -> str:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("score() grades a notebook's code: call it from a notebook cell")
    cells = [cell for cell in shell.user_ns.get("In", []) if cell and CHECK_MARKER not in cell]
    return "\n\n".join(cells) + "\n"


def grade_code(chapter: str, code: str) -> dict:
    """results.json of grading `code` as chapter's file (cached per chapter and code)."""
    key = (chapter, hashlib.sha256(code.encode()).hexdigest())
    if key not in _GRADED:
        with tempfile.TemporaryDirectory(prefix="coursekit-notebook-") as scratch:
            folder = Path(scratch) / "submission"
            folder.mkdir()
            (folder / f"{chapter}.py").write_text(code, encoding="utf-8")
            results = Path(scratch) / "results.json"
            env = {**os.environ, "PYTHONWARNINGS": "ignore"}
            subprocess.run([sys.executable, "-m", "coursekit", "grade-submission", str(folder), "--results",
                            str(results), "--chapters", chapter], cwd=KIT_ROOT, env=env, capture_output=True,
                           text=True, timeout=1800)
            _GRADED[key] = json.loads(results.read_text(encoding="utf-8")) if results.exists() else {"tests": []}
    return _GRADED[key]


def score(chapter: str, exercise_id: str) -> float | None:
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        print(f"Exercise {exercise_id}: graded by the course grader, outside this notebook.")
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = grade_code(chapter, _notebook_code())
    tests = [t for t in results.get("tests", []) if t.get("number") == exercise_id]
    if not tests:
        print(f"Exercise {exercise_id} could not be graded: the grader gave no result for it.")
        return 0.0
    got, points = sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)
    print(f"Exercise {exercise_id}: {got:g} / {points:g} points")
    for test in tests:
        if test["score"] < test["max_score"] and test.get("output"):
            print(f"- {test['name']}\n  " + test["output"].replace("\n", "\n  "))
    return float(got)
