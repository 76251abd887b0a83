"""Is the score report a tutor: statuses and points, the named mistake first, the hint at the learner's level, the
guide, progress bars; colour only where asked, plain characters otherwise; plots for training exercises?"""
from __future__ import annotations

import re

from autograder.engine import mistakes
from autograder.engine.outcomes import Check, ExerciseResult
from autograder.engine.report import ReportStyle, gradescope_results, text_report
from tests.grading import grade

ANSI = re.compile(r"\033\[[0-9;]*m")


def result(exercise_id="8.1", status="failed", message="Called f(x).\nIt returned 1; expected 2.", points=3):
    exercise = ExerciseResult(exercise_id, "train_one_epoch", "ch08_training_loop",
                              ["nudge", "explicit recipe"], "docs/en/chapters/ch08-training-loop.md#ex-8-1")
    check = Check("test_x", "Does it?", points)
    check.runs.append(("test_x", status, "" if status == "passed" else message))
    exercise.checks["test_x"] = check
    return exercise


def test_failure_names_the_mistake_first_then_message_hint_and_guide():
    message = f"Called train_one_epoch(...).\nThe values differ. {mistakes.describe('zero_grad_missing')}"
    report = text_report([result(message=message), result("8.2", "passed")], target="exercises/", devices="cpu")
    lines = report.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip().startswith("8.1 "))
    assert "failed" in lines[first] and "0 / 3" in lines[first]
    assert lines[first + 1].strip() == mistakes.describe("zero_grad_missing")
    assert "was optimizer.zero_grad() called?" in lines[first + 1]
    assert lines[first + 2].strip() == "Called train_one_epoch(...)."
    assert mistakes.describe("zero_grad_missing") not in "\n".join(lines[first + 2:])  # said once, not twice
    assert "Hint 1 of 3: nudge (next hint: coursekit hint 8.1)" in report
    assert "Guide: docs/en/chapters/ch08-training-loop.md#ex-8-1" in report
    assert "[##########----------]" in report   # chapter: 3 of 6 points
    assert "Total: 3 / 6 points. Exercises: 1 passed, 1 failed." in report


def test_hints_escalate_to_the_guide():
    levels = [text_report([result()], target="t/", devices="cpu", style=ReportStyle(hint_levels={"8.1": n}))
              for n in (0, 1, 2, 7)]
    assert "Hint 1 of 3: nudge" in levels[0]
    assert "Hint 2 of 3: explicit recipe (next hint" in levels[1]
    assert "Hint 3 of 3: Read the guide section" in levels[2] and "ch08-training-loop.md#ex-8-1" in levels[2]
    assert "next hint" not in levels[2] and levels[3] == levels[2]


def test_plain_report_has_no_escape_codes_and_colour_report_does():
    exercises = [result(), result("8.2", "passed"), result("8.3", "not attempted", "Not attempted yet")]
    plain = text_report(exercises, target="t/", devices="cpu")
    coloured = text_report(exercises, target="t/", devices="cpu", style=ReportStyle(colour=True))
    assert not ANSI.search(plain) and "\033[32m" in coloured and "\033[31m" in coloured and "█" in coloured
    assert ANSI.sub("", coloured).replace("█", "#").replace("░", "-").count("passed") == plain.count("passed")


def test_broken_chapter_is_explained_once():
    message = "exercises/ch08_training_loop.py does not import: Python found a syntax error on line 3."
    exercises = [result(i, "broken", message) for i in ("8.1", "8.2", "8.3")]
    report = text_report(exercises, target="t/", devices="cpu")
    assert report.count("does not import") == 1 and "Hint" not in report and "3 broken" in report


def test_results_json_carries_integrity_and_translated_mistake():
    message = f"Called mse_loss(...). {mistakes.describe('broadcast_n1_n')}"
    style = ReportStyle(lang="zh", integrity=("ab" * 32, "modified"))
    data = gradescope_results([result("6.1", message=message)], report="r", started=0, style=style)
    assert data["extra_data"] == {"autograder_sha256": "ab" * 32, "autograder_integrity": "modified"}
    output = data["tests"][0]["output"]
    assert output.startswith("常见错误：损失把 (N,1) 与 (N,) 广播成了 (N,N)。")
    assert "Known mistake" not in output and "提示 1/3" in output and "docs/zh/chapters/" in output


def test_colour_follows_the_terminal_settings():
    """FORCE_COLOR colours the report of a real run; NO_COLOR (the kit's test default) keeps it plain."""
    files = ("autograder/test_ch02_autograd.py",)
    coloured = grade("solutions", *files, env={"NO_COLOR": None, "FORCE_COLOR": "1"})
    plain = grade("solutions", *files)
    assert "\033[32m" in coloured.output.split("score report")[-1]
    assert not ANSI.search(plain.output) and "[####################]" in plain.output
    assert not ANSI.search(coloured.results["output"])  # results.json is always plain


def test_plots_save_loss_curves_of_training_exercises(tmp_path):
    plots = tmp_path / "plots"
    training = ("autograder/test_ch07_optimization.py", "autograder/test_ch08_training_loop.py",
                "autograder/test_ch09_linear_regression.py", "autograder/test_ch10_logistic_regression.py")
    graded = grade("solutions", *training, extra=("--plots", str(plots)))
    assert "Loss curves saved:" in graded.output
    for exercise in ("7-1", "7-2", "7-8", "8-3", "9-2", "10-1"):  # every exercise that trains over many steps
        picture = plots / f"ex-{exercise}-loss.png"
        assert picture.is_file() and picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", graded.output[-2000:]
        assert picture.name in graded.output
