"""Does the exported nbgrader course work end to end with real nbgrader, as an instructor and a student use it:
generate_assignment, release_assignment, fetch_assignment and submit (the student), collect, autograde, export; is
the gradebook's score the kit's own grade of the same code, even when the notebook forges its test cells' results?"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursekit.gradescope import grade_submission
from coursekit.nbgrader_export import CHECK_MARKER, export
from tests.grading import KIT_ROOT

CHAPTER = "ch01_tensors"
COURSE_ID = "pytorch-course-test"
FORGERY = """try:  # in the student's kernel, replace the function every test cell calls
    import coursekit.notebook
    coursekit.notebook.score = lambda chapter, exercise_id: None  # no result, no error: nbgrader's full marks
except ImportError:  # where the kit grades the file, coursekit cannot be imported: the code is graded as it is
    pass
"""


def nbgrader(cwd: Path, exchange: Path, *args: str) -> subprocess.CompletedProcess:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, f"--Exchange.root={exchange}"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("nbgrader")
    course, exchange = root / "course", root / "exchange"
    export(course, [CHAPTER], course_id=COURSE_ID)
    assert f"course_id = {COURSE_ID!r}" in (course / "nbgrader_config.py").read_text()
    nbgrader(course, exchange, "generate_assignment", CHAPTER, "--force")
    nbgrader(course, exchange, "release_assignment", CHAPTER, "--force")  # needs course_id: it failed without
    return course, exchange


def test_source_notebook_has_guide_solutions_and_graded_cells(course):
    course, _ = course
    notebook = nbformat.read(str(course / "source" / CHAPTER / f"{CHAPTER}.ipynb"), as_version=4)
    solutions = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")]
    graded = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(solutions) == len(graded) == 4
    assert all("### BEGIN SOLUTION" in c.source for c in solutions)
    assert all(c.metadata["nbgrader"]["points"] > 0 and CHECK_MARKER in c.source for c in graded)


def test_release_carries_the_guide_and_the_kits_stubs(course):
    course, _ = course
    release = nbformat.read(str(course / "release" / CHAPTER / f"{CHAPTER}.ipynb"), as_version=4)
    text = "\n".join(c.source for c in release.cells)
    assert "BEGIN SOLUTION" not in text and "return torch.cat" not in text
    markdown = "\n".join(c.source for c in release.cells if c.cell_type == "markdown")
    guide = (KIT_ROOT / "docs/en/chapters/ch01-tensors.md").read_text()
    assert "## Exercise 1.1: add a bias column" in markdown and "<summary>Hint 1</summary>" in markdown
    assert guide.split("\n## Exercise 1.1", 1)[0].splitlines()[0] in markdown  # the guide's title
    assert ":::stub" not in markdown and "{ #ex-1-1 }" not in markdown
    stubs = (KIT_ROOT / "exercises" / f"{CHAPTER}.py").read_text()
    for cell in (c for c in release.cells if c.metadata.get("nbgrader", {}).get("solution")):
        message = cell.source.split("raise NotImplementedError(", 1)[1].split(")", 1)[0]
        assert message.strip() and message in stubs  # the kit's own message, e.g. "Exercise 1.1 ...", not ()


def test_autograde_of_a_forging_submission_gives_the_kits_grade(course, tmp_path):
    """Through the exchange, as a student submits: 1.1 forges every test cell's result, 1.2 is solved, 1.3 is wrong,
    1.4 is left as the released stub. The gradebook must hold the kit's grade of that code, not the forged one."""
    course, exchange = course
    student = tmp_path / "student"
    student.mkdir()
    nbgrader(student, exchange, "fetch_assignment", CHAPTER, f"--course={COURSE_ID}")
    path = student / CHAPTER / f"{CHAPTER}.ipynb"
    notebook = nbformat.read(str(path), as_version=4)
    source = nbformat.read(str(course / "source" / CHAPTER / f"{CHAPTER}.ipynb"), as_version=4)
    solved = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
              if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id == f"{CHAPTER}-add_bias_column":
            cell.source = FORGERY + cell.source
        elif grade_id == f"{CHAPTER}-standardize":
            cell.source = solved[grade_id]
        elif grade_id == f"{CHAPTER}-pairwise_squared_distances":
            cell.source = ("def pairwise_squared_distances(a, b):\n"
                           "    return (a[:, None, :] - b[None, :, :]).abs().sum(-1)\n")
    nbformat.write(notebook, str(path))
    nbgrader(student, exchange, "submit", CHAPTER, f"--course={COURSE_ID}")
    nbgrader(course, exchange, "collect", CHAPTER)
    nbgrader(course, exchange, "autograde", CHAPTER, "--force")
    nbgrader(course, exchange, "export")

    from nbgrader.api import Gradebook

    user = next(p.name for p in (course / "submitted").iterdir())
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(CHAPTER, user)
        nbgrader_score, nbgrader_max = submission.score, submission.max_score
        by_cell = {g.name: g.score for g in gradebook.find_submission_notebook(CHAPTER, CHAPTER, user).grades}
    exported = {row["assignment"]: row for row in csv.DictReader((course / "grades.csv").open())}
    assert float(exported[CHAPTER]["raw_score"]) == nbgrader_score

    # The kit's own grade of the same code, as a file (the code cells other than the checks, in order).
    submitted = nbformat.read(str(course / "submitted" / user / CHAPTER / f"{CHAPTER}.ipynb"), as_version=4)
    code = "\n\n".join(c.source for c in submitted.cells if c.cell_type == "code" and CHECK_MARKER not in c.source)
    target = tmp_path / "submission"
    target.mkdir()
    (target / f"{CHAPTER}.py").write_text(code)
    kit = grade_submission(target, tmp_path / "results" / "results.json", chapters=[CHAPTER])
    points = {e: sum(t["max_score"] for t in kit["tests"] if t["number"] == e) for e in ("1.1", "1.2", "1.3", "1.4")}
    assert nbgrader_max == kit["max_score"] == sum(points.values())
    assert nbgrader_score == kit["score"] < nbgrader_max, by_cell  # the kit's grade, not the forged full marks
    assert by_cell["test-1-1"] == by_cell["test-1-4"] == 0 and by_cell["test-1-2"] == points["1.2"]
    assert by_cell["test-1-3"] < points["1.3"]
    autograded = nbformat.read(str(course / "autograded" / user / CHAPTER / f"{CHAPTER}.ipynb"), as_version=4)
    feedback = "\n".join(o.get("text", "") for c in autograded.cells for o in c.get("outputs", [])
                         if CHECK_MARKER in c.source)
    assert f"Exercise 1.1: 0 / {points['1.1']:g} points" in feedback
    assert f"Exercise 1.2: {points['1.2']:g} / {points['1.2']:g} points" in feedback
