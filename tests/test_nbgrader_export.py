"""Does the exported nbgrader course work end to end with real nbgrader: generate_assignment, a submitted notebook,
autograde, and the gradebook's score equal to the kit's own grade of the same code?"""
from __future__ import annotations

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


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
           "PYTHONPATH": str(KIT_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("course")
    export(course, [CHAPTER])
    nbgrader(course, "generate_assignment", CHAPTER, "--force")
    return course


def test_source_notebook_has_solution_and_graded_cells(course):
    notebook = nbformat.read(str(course / "source" / CHAPTER / f"{CHAPTER}.ipynb"), as_version=4)
    solutions = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")]
    graded = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(solutions) == len(graded) == 4
    assert all("### BEGIN SOLUTION" in c.source for c in solutions)
    assert all(c.metadata["nbgrader"]["points"] > 0 and CHECK_MARKER in c.source for c in graded)
    release = (course / "release" / CHAPTER / f"{CHAPTER}.ipynb").read_text()
    assert "BEGIN SOLUTION" not in release and "raise NotImplementedError" in release


def test_autograde_score_equals_the_kits_grade(course, tmp_path):
    """A mixed submission: three exercises solved, one (1.4 one_hot) left as the released stub, one wrong (1.3)."""
    source = nbformat.read(str(course / "source" / CHAPTER / f"{CHAPTER}.ipynb"), as_version=4)
    release = nbformat.read(str(course / "release" / CHAPTER / f"{CHAPTER}.ipynb"), as_version=4)
    submitted = nbformat.v4.new_notebook(metadata=release.metadata)
    for solved, stub in zip(source.cells, release.cells):
        cell = stub
        grade_id = stub.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id in (f"{CHAPTER}-add_bias_column", f"{CHAPTER}-standardize"):
            cell = solved
        elif grade_id == f"{CHAPTER}-pairwise_squared_distances":
            cell = nbformat.v4.new_code_cell(
                "def pairwise_squared_distances(a, b):\n    return (a[:, None, :] - b[None, :, :]).abs().sum(-1)\n",
                metadata=stub.metadata)
        submitted.cells.append(cell)
    folder = course / "submitted" / "alice" / CHAPTER
    folder.mkdir(parents=True)
    nbformat.write(submitted, str(folder / f"{CHAPTER}.ipynb"))
    nbgrader(course, "autograde", CHAPTER, "--create", "--force")

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(CHAPTER, "alice")
        nbgrader_score, nbgrader_max = submission.score, submission.max_score
        by_cell = {g.name: g.score for g in gradebook.find_submission_notebook(CHAPTER, CHAPTER, "alice").grades}

    # The kit's own grade of the same code, as a file.
    code = "\n\n".join(c.source for c in submitted.cells if c.cell_type == "code" and CHECK_MARKER not in c.source)
    target = tmp_path / "submission"
    target.mkdir()
    (target / f"{CHAPTER}.py").write_text(code)
    kit = grade_submission(target, tmp_path / "results.json", chapters=[CHAPTER])
    assert nbgrader_max == kit["max_score"] == 13
    assert nbgrader_score == kit["score"], by_cell
    assert 0 < kit["score"] < kit["max_score"]
    assert by_cell["test-1-4"] == 0 and by_cell["test-1-1"] > 0
