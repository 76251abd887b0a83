"""Does `coursekit grade-class` grade a folder of submissions: a gradebook row per student with points per exercise
and the total, a results.json and a report per student, a progress line, the same grade as `pytest autograder`?"""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

from tests.grading import KIT_ROOT, grade

CHAPTERS = ("ch01_tensors", "ch02_autograd")


def test_grade_class_writes_gradebook_results_and_reports(tmp_path):
    subs, out = tmp_path / "submissions", tmp_path / "out"
    for student, source in (("ada", "solutions"), ("bo", "exercises")):
        (subs / student).mkdir(parents=True)
        for chapter in CHAPTERS:
            shutil.copy(KIT_ROOT / source / f"{chapter}.py", subs / student)
    # A third student with a broken ch02: one chapter's syntax error costs only that chapter.
    shutil.copytree(subs / "ada", subs / "cy")
    (subs / "cy" / "ch02_autograd.py").write_text("def gradient(:\n")
    done = subprocess.run([sys.executable, "-m", "coursekit", "grade-class", str(subs), "--out", str(out),
                           "--workers", "2", "--chapters", *CHAPTERS, "--check-timeout", "5"],
                          cwd=KIT_ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "graded 3 submissions" in done.stdout and "memory per worker" in done.stdout
    assert "grading [" in done.stderr  # the progress bar
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert [r["student"] for r in rows] == ["ada", "bo", "cy"]
    assert list(rows[0])[:3] == ["student", "1.1", "1.2"] and list(rows[0])[-2:] == ["total", "max_total"]
    ada, bo, cy = rows
    assert float(ada["total"]) == float(ada["max_total"]) > 0
    assert float(bo["total"]) == 0
    assert all(float(cy[e]) == float(ada[e]) for e in ("1.1", "1.2", "1.3", "1.4"))
    assert all(float(cy[e]) == 0 for e in ("2.1", "2.2", "2.3", "2.4"))
    for student in ("ada", "bo", "cy"):
        results = json.loads((out / "results" / f"{student}.json").read_text())
        assert results["score"] == float(next(r for r in rows if r["student"] == student)["total"])
        assert (out / "reports" / f"{student}.txt").read_text().startswith("Graded: ")
    assert "syntax error" in (out / "reports" / "cy.txt").read_text()
    # The same grade as a learner's own `pytest autograder` run of the same folder.
    alone = grade(subs / "cy", *(f"autograder/test_{c}.py" for c in CHAPTERS))
    class_run = json.loads((out / "results" / "cy.json").read_text())
    assert {t["name"]: t["score"] for t in alone.results["tests"]} == \
           {t["name"]: t["score"] for t in class_run["tests"]}
