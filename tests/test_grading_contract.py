"""Does `pytest autograder` keep the contract of DESIGN.md: full marks for the reference, zero for the stubs,
a broken chapter costing only itself, timeouts named, the same grade in any order, global state restored?"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.grading import KIT_ROOT, copy_solutions, grade

TWO_CHAPTERS = ("autograder/test_ch01_tensors.py", "autograder/test_ch02_autograd.py")


def test_reference_scores_full_marks():
    result = grade("solutions")
    assert result.returncode == 0, result.output[-3000:]
    assert result.results["score"] == result.results["max_score"] > 0
    assert all(t["status"] == "passed" for t in result.results["tests"])
    assert "Exercises:" in result.output and "failed" not in result.output.split("Exercises:")[-1]


def test_untouched_stubs_score_zero_and_are_not_attempted():
    result = grade("exercises")
    assert result.returncode != 0
    assert result.results["score"] == 0
    report = result.output.split("score report")[-1].split("Total:")[0]
    for exercise in result.exercise_ids():
        line = next(l for l in report.splitlines() if l.strip().startswith(exercise + " "))
        assert "not attempted" in line, line
    assert " passed" not in report and " failed" not in report and " broken" not in report


def broken_copy(tmp_path: Path, chapter_source: str) -> Path:
    target = copy_solutions(tmp_path / "target")
    (target / "ch01_tensors.py").write_text(chapter_source)
    return target


REFERENCE_CH01 = (KIT_ROOT / "solutions/ch01_tensors.py").read_text()
BROKEN_CHAPTERS = {
    "syntax error": ("def add_bias_column(x)\n    return x\n", "syntax error on line 1"),
    "sys.exit at import": ("import sys\nsys.exit(3)\n", "called sys.exit(3) while being imported"),
    "infinite loop at import": ("while True:\n    pass\n", "probably an infinite loop"),
    "exception at import": ("import torch\nraise ValueError('oops')\n", "ValueError: oops on line 2"),
    "default dtype changed at import": (REFERENCE_CH01 + "\ntorch.set_default_dtype(torch.float64)\n",
                                        "default dtype went from torch.float32 to torch.float64"),
    "assert_close patched at import": (REFERENCE_CH01 + "\nimport torch.testing\n"
                                       "torch.testing.assert_close = lambda *a, **k: None\n",
                                       "torch.testing.assert_close was replaced"),
}


@pytest.mark.parametrize("case", BROKEN_CHAPTERS, ids=str)
def test_broken_chapter_costs_only_itself(case, tmp_path):
    source, message = BROKEN_CHAPTERS[case]
    result = grade(broken_copy(tmp_path, source), *TWO_CHAPTERS, extra=("--check-timeout", "3"))
    for exercise in ("1.1", "1.2", "1.3", "1.4"):
        assert result.exercise(exercise)[0] == 0
        assert message in result.outputs(exercise), result.outputs(exercise)
    for exercise in ("2.1", "2.2", "2.3", "2.4"):
        score, maximum = result.exercise(exercise)
        assert score == maximum, result.outputs(exercise)
    assert "broken" in result.output.split("score report")[-1]


FAULTY_FUNCTIONS = {
    "NaN output": ("def add_bias_column(x):\n    return torch.full((x.shape[0], x.shape[1] + 1), float('nan'), "
                   "dtype=x.dtype, device=x.device)\n",
                   "1.1", "The values differ from the reference"),
    "wrong shape": ("def one_hot(labels, num_classes, dtype=torch.float32):\n"
                    "    return torch.nn.functional.one_hot(labels, num_classes).T.to(dtype)\n",
                    "1.4", "The dimensions are swapped"),
    "infinite loop": ("def standardize(x, eps=1e-8):\n    while True:\n        pass\n", "1.2",
                      "probably an infinite loop"),
    "changes the default dtype": ("def one_hot(labels, num_classes, dtype=torch.float32):\n"
                                  "    torch.set_default_dtype(torch.float64)\n"
                                  "    return torch.nn.functional.one_hot(labels, num_classes).to(dtype)\n",
                                  "1.4", "changed torch's global state"),
    "raises its own error": ("def add_bias_column(x):\n    raise RuntimeError('half done')\n", "1.1",
                             "it raised RuntimeError: half done"),
    "tensors on the default device": ("def add_bias_column(x):\n"
                                      "    return torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype), x], dim=1)\n",
                                      "1.1", "different devices"),
}


@pytest.mark.parametrize("case", FAULTY_FUNCTIONS, ids=str)
def test_faulty_function_costs_only_its_exercise(case, tmp_path):
    source, broken_exercise, message = FAULTY_FUNCTIONS[case]
    result = grade(broken_copy(tmp_path, REFERENCE_CH01 + "\n\n" + source), *TWO_CHAPTERS,
                   extra=("--check-timeout", "3"))
    assert result.exercise(broken_exercise)[0] < result.exercise(broken_exercise)[1]
    assert message in result.outputs(broken_exercise), result.outputs(broken_exercise)
    for exercise in result.exercise_ids() - {broken_exercise}:
        score, maximum = result.exercise(exercise)
        assert score == maximum, f"{exercise}: {result.outputs(exercise)}"


def test_same_grade_in_any_order(tmp_path):
    """A mixed submission (right, wrong, not attempted, state-changing) gets the same grade in shuffled orders."""
    target = copy_solutions(tmp_path / "target")
    shutil.copy(KIT_ROOT / "exercises/ch02_autograd.py", target / "ch02_autograd.py")
    (target / "ch01_tensors.py").write_text(REFERENCE_CH01 + "\n\n" + FAULTY_FUNCTIONS["changes the default dtype"][0]
                                            + "\n\n" + FAULTY_FUNCTIONS["NaN output"][0])
    grades = [grade(target, *TWO_CHAPTERS, extra=order) for order in
              [(), ("-p", "random_order", "--random-order-bucket=global", "--random-order-seed=1"),
               ("-p", "random_order", "--random-order-bucket=global", "--random-order-seed=2")]]
    scores = [{t["name"]: t["score"] for t in g.results["tests"]} for g in grades]
    assert scores[0] == scores[1] == scores[2]
    assert 0 < grades[0].results["score"] < grades[0].results["max_score"]


def test_results_file_follows_gradescope_format():
    result = grade("solutions", "autograder/test_ch01_tensors.py", extra=("--visibility", "after_published"))
    data = result.results
    assert set(data) >= {"score", "max_score", "tests", "visibility", "execution_time", "output"}
    assert data["visibility"] == "after_published"
    for test in data["tests"]:
        assert set(test) == {"name", "number", "score", "max_score", "status", "output", "visibility"}
        assert test["status"] in ("passed", "failed") and test["visibility"] == "after_published"
    assert json.loads(json.dumps(data)) == data


def test_report_names_devices_and_missing_gpu():
    result = grade("solutions", "autograder/test_ch01_tensors.py")
    import torch

    if not torch.cuda.is_available():
        assert "No GPU was available" in result.output
        assert "[meta]" in result.output or "meta" in result.output.split("score report")[-1]
