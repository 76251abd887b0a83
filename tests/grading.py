"""Run the autograder the way a learner does (a separate `pytest autograder` process) and read its results.json."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = KIT_ROOT / "solutions"


@dataclass
class Grade:
    returncode: int
    output: str
    results: dict

    def exercise(self, exercise_id: str) -> tuple[float, float]:
        """(score, max_score) of one exercise, summed over its checks."""
        tests = [t for t in self.results["tests"] if t["number"] == exercise_id]
        assert tests, f"exercise {exercise_id} was not graded; output:\n{self.output[-3000:]}"
        return sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)

    def outputs(self, exercise_id: str) -> str:
        return "\n".join(t["output"] for t in self.results["tests"] if t["number"] == exercise_id)

    def exercise_ids(self) -> set[str]:
        return {t["number"] for t in self.results["tests"]}


def grade(target: Path | str, *test_files: str, extra: tuple[str, ...] = (), timeout: float = 600,
          env: dict[str, str | None] | None = None, kit: Path = KIT_ROOT) -> Grade:
    """Grade `target` with the kit at `kit` (this one, or a learner edition built from it)."""
    results = Path(os.environ.get("TMPDIR", "/tmp")) / f"results-{os.getpid()}-{abs(hash((str(target), test_files, extra)))}.json"
    results.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", *(test_files or ("autograder",)), "--target", str(target),
               "--results", str(results), "-q", *extra]
    done = subprocess.run(command, cwd=kit, capture_output=True, text=True, timeout=timeout,
                          env=grading_env(**(env or {})))
    output = done.stdout + done.stderr
    assert results.exists(), f"no results.json was written; `{' '.join(command)}` printed:\n{output[-4000:]}"
    data = json.loads(results.read_text())
    results.unlink()
    return Grade(done.returncode, output, data)


# The progress store the graded runs of one test session share; tests/conftest.py removes it when the session ends.
PROGRESS_STORE = Path(tempfile.gettempdir()) / f"coursekit-progress-{os.getpid()}.sqlite"


def grading_env(**extra: str | None) -> dict[str, str]:
    """The environment of a grading subprocess: English, no colour, and a progress store of its own (the kit's tests
    never touch the learner's .coursekit/)."""
    env = {**os.environ, "COURSEKIT_LANG": "en", "NO_COLOR": "1", "COURSEKIT_PROGRESS": str(PROGRESS_STORE)}
    env.pop("FORCE_COLOR", None)
    env.update(extra)
    return {name: value for name, value in env.items() if value is not None}  # None: leave the variable unset


def copy_solutions(destination: Path) -> Path:
    """A graded folder holding the reference solutions, to be broken on purpose."""
    destination.mkdir(parents=True, exist_ok=True)
    for path in SOLUTIONS.glob("ch[0-9][0-9]_*.py"):
        shutil.copy(path, destination / path.name)
    return destination
