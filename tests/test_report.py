"""Is the score report a tutor: statuses and points, the named mistake first, the most telling failure of an
exercise, cuts that say so, the learner's own line, what their code printed, the hint at the learner's level, the
guide, progress bars, where to start and what next; colour only where asked, plain characters otherwise; plots for
training exercises; stubs counted as not attempted, not as failures; Ctrl-C named as such?"""
from __future__ import annotations

import re

import os
import signal
import subprocess
import sys
import time

from autograder.engine import mistakes
from autograder.engine.feedback import Failure, Location
from autograder.engine.outcomes import Check, ExerciseResult
from autograder.engine.report import MESSAGE_LINES, ReportStyle, gradescope_results, site_url, text_report
from tests.grading import KIT_ROOT, copy_solutions, grade, grading_env

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


def test_hints_escalate_and_the_report_keeps_the_concrete_one():
    """`coursekit hint` ends on a pointer into the guide; the report never swaps the most explicit concrete hint
    reached for it (the guide has its own line)."""
    levels = [text_report([result()], target="t/", devices="cpu", style=ReportStyle(hint_levels={"8.1": n}))
              for n in (0, 1, 2, 7)]
    assert "Hint 1 of 3: nudge" in levels[0]
    assert "Hint 2 of 3: explicit recipe" in levels[1] and "next hint" not in levels[1]
    assert levels[3] == levels[2] == levels[1] and "Read the guide section" not in levels[2]
    assert "Guide: docs/en/chapters/ch08-training-loop.md#ex-8-1" in levels[2]


def exercise_with(*checks):
    """An ExerciseResult whose checks (name, status, message, failure) ran in this order."""
    exercise = ExerciseResult("6.2", "bce_with_logits", "ch06_losses", ["nudge"], "docs/en/chapters/ch06-losses.md#ex-6-2")
    for name, status, message, failure in checks:
        check = Check(name, f"{name}?", 2)
        check.runs.append((name, status, message))
        if failure is not None:
            check.failures[name] = failure
        exercise.checks[name] = check
    return exercise


def test_the_failure_that_names_a_mistake_leads_and_the_others_are_counted():
    noise = "Called bce_with_logits(...).\nRelative difference: 1.7e-06 (up to 1.3e-06 allowed)"
    named = mistakes.NamedMistake("log_sigmoid_unstable", "Called bce_with_logits(z=-200).")
    exercise = exercise_with(("test_values", "failed", noise, None),
                             ("test_stable", "failed", str(named), Failure(str(named), named.mistake_ids)),
                             ("test_shape", "failed", "It returned shape (3,).", None),
                             ("test_ok", "passed", "", None))
    report = text_report([exercise], target="exercises/", devices="cpu")
    lines = report.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip().startswith("6.2 "))
    assert lines[first + 1].strip() == mistakes.describe("log_sigmoid_unstable")
    assert lines[first + 2].strip() == "Called bce_with_logits(z=-200)."
    assert "1.7e-06" not in report  # the check whose failure looks like float noise does not lead
    assert "2 more checks failed: `pytest autograder --exercise 6.2 --tb=short` shows them." in report
    explained = text_report([exercise], target="exercises/", devices="cpu", style=ReportStyle(explain=True))
    assert "2 more checks failed: `coursekit explain 6.2` shows them." in explained


def test_a_mistake_named_in_text_only_is_found_too():
    """A result that crossed a pipe as text (grade-class) still leads with its named mistake."""
    text = "Called f(x).\n" + mistakes.describe("dims_swapped")
    exercise = exercise_with(("test_values", "failed", "Called f(x).\nvalues differ", None),
                             ("test_shape", "failed", text, None))
    lines = text_report([exercise], target="t/", devices="cpu").splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip().startswith("6.2 "))
    assert lines[first + 1].strip() == mistakes.describe("dims_swapped")


def test_a_long_message_is_cut_in_the_middle_and_says_so():
    body = ["Called f(x)."] + [f"detail {i}" for i in range(20)] + ["read every hyperparameter from the group"]
    exercise = exercise_with(("test_long", "failed", "\n".join(body), None))
    report = text_report([exercise], target="t/", devices="cpu")
    block = report.split("bce_with_logits")[1].split("Hint")[0].strip().splitlines()[1:]
    assert len(block) == MESSAGE_LINES
    assert block[0].strip() == "Called f(x)." and block[-1].strip() == "read every hyperparameter from the group"
    cut = [line for line in block if "more lines of this message" in line]
    assert len(cut) == 1 and "[15 more lines of this message: `pytest autograder --exercise 6.2 --tb=short`" in cut[0]
    short = exercise_with(("test_short", "failed", "Called f(x).\nIt returned 1; expected 2.", None))
    assert "more lines" not in text_report([short], target="t/", devices="cpu")


def test_the_learners_own_line_and_printed_output_are_shown():
    failure = Failure("Called f(x): it raised IndexError: out of range", (),
                      Location("exercises/ch06_losses.py", 12, "return z.mean(dim=5)"))
    exercise = exercise_with(("test_a", "failed", failure.text(), failure))
    exercise.checks["test_a"].outputs["test_a"] = "p is 1\n" * 40 + "done\n"
    report = text_report([exercise], target="exercises/", devices="cpu")
    assert "Your code: exercises/ch06_losses.py, line 12: return z.mean(dim=5)" in report
    assert report.count("Your code: ") == 1  # the text form carries it too; said once
    assert "Your code printed 41 lines:" in report and "| p is 1   (x40)" in report and "| done" in report


def test_untouched_stubs_say_where_to_start_and_later_runs_what_is_next():
    stubs = [result(i, "not attempted", "Not attempted yet") for i in ("8.2", "8.1")]
    start = text_report(stubs, target="exercises/", devices="cpu").splitlines()[-1]
    assert start.startswith("Start here: exercise 8.1 `train_one_epoch` in exercises/ch08_training_loop.py.")
    assert "docs/en/chapters/ch08-training-loop.md#ex-8-1" in start and "--exercise 8.1" in start
    assert "http://127.0.0.1:8000/chapters/ch08-training-loop.html#ex-8-1" in start
    later = text_report([result("8.1", "passed"), result("8.2", "not attempted", "Not attempted yet")],
                        target="exercises/", devices="cpu").splitlines()[-1]
    assert later.startswith("Next: exercise 8.2 `train_one_epoch` (not attempted) in exercises/ch08_training_loop.py")
    half = result("8.1", "not attempted", "Not attempted yet")  # a check that passes even on the stub
    trivial = Check("test_exists", "Is it a class?", 1)
    trivial.runs.append(("test_exists", "passed", ""))
    half.checks["test_exists"] = trivial
    assert text_report([half], target="exercises/", devices="cpu").splitlines()[-1].startswith("Start here:")
    done = text_report([result("8.1", "passed")], target="exercises/", devices="cpu").splitlines()[-1]
    assert done == "Every exercise graded here passed."
    site = KIT_ROOT / "mkdocs.yml"  # the pages are .html files, not folders (use_directory_urls: false)
    assert "use_directory_urls: false" in site.read_text()
    assert site_url("docs/en/chapters/ch01-tensors.md#ex-1-1", "zh") == \
        "http://127.0.0.1:8000/zh/chapters/ch01-tensors.html#ex-1-1"


def test_a_real_run_shows_the_learners_line_and_print_output(tmp_path):
    target = copy_solutions(tmp_path / "target")
    with open(target / "ch12_devices.py", "a", encoding="utf-8") as handle:
        handle.write("\n\ndef choose_device(prefer=None):\n    print('choosing', prefer)\n"
                     "    return torch.device(prefer or 'cpu').index.bit_length()\n")
    graded = grade(target, "autograder/test_ch12_devices.py", extra=("--exercise", "12.1"))
    report = graded.output.split("score report")[-1]
    assert "Your code: " in report and "ch12_devices.py, line" in report
    assert "return torch.device(prefer or 'cpu').index.bit_length()" in report
    assert "Your code printed" in report and "| choosing" in report


def test_what_learner_code_logs_is_shown_like_what_it_prints(tmp_path):
    """pytest's log capture is off while grading: a logging.warning reaches stderr and the report shows it under its
    exercise (with pytest's capture on, it vanished into a "Captured log" section the report never shows)."""
    target = copy_solutions(tmp_path / "target")
    with open(target / "ch12_devices.py", "a", encoding="utf-8") as handle:
        handle.write("\n\ndef choose_device(prefer=None):\n    import logging\n"
                     "    logging.getLogger('mine').warning('choosing %s', prefer)\n"
                     "    return torch.device(prefer or 'cpu').index.bit_length()\n")
    graded = grade(target, "autograder/test_ch12_devices.py", extra=("--exercise", "12.1"))
    report = graded.output.split("score report")[-1]
    assert "Your code printed" in report and "| choosing" in report


def test_stubs_count_as_not_attempted_in_pytests_own_summary():
    graded = grade("exercises", "autograder/test_ch12_devices.py")
    assert graded.returncode != 0  # not everything passed
    last = graded.output.strip().splitlines()[-1]
    assert "not attempted" in last and "failed" not in last, last
    assert "Start here: exercise 12.1 `choose_device` in exercises/ch12_devices.py" in graded.output


def test_ctrl_c_names_what_was_not_graded(tmp_path):
    """A real SIGINT in the middle of a run: the report says what was not graded, and the bar does not call what ran
    the whole."""
    target = copy_solutions(tmp_path / "target")
    with open(target / "ch12_devices.py", "a", encoding="utf-8") as handle:  # 12.4 is slow enough to be stopped
        handle.write("\n_predict = predict\n\n\ndef predict(*a, **k):\n    import time\n    time.sleep(60)\n"
                     "    return _predict(*a, **k)\n")
    process = subprocess.Popen([sys.executable, "-m", "pytest", "autograder/test_ch12_devices.py", "--target",
                                str(target), "-p", "no:random_order", "--check-timeout", "100", "-v"],
                               cwd=KIT_ROOT, env=grading_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    output = ""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and "test_12_4" not in output:  # chapter 12's last exercise is running
        output += os.read(process.stdout.fileno(), 4096).decode()
    time.sleep(1)
    process.send_signal(signal.SIGINT)
    output += process.communicate(timeout=60)[0]
    report = output.split("score report")[-1]
    assert "Interrupted: not graded: 12.4 predict." in report, report
    progress = next(line for line in report.splitlines() if line.startswith("Progress"))
    assert "100%" not in progress, progress


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


def test_checks_left_to_the_instructor_neither_earn_nor_cost_and_are_named():
    """In the learner edition a check the edition cannot decide (outcomes.HIDDEN) is left out of the points, the
    exercise says how many points the instructor checks, and one whose every check is left shows no hint."""
    from autograder.engine.outcomes import HIDDEN, PASSED, Check, ExerciseResult
    from autograder.engine.report import text_report

    partly = ExerciseResult("11.6", "train_and_measure_gap", "ch11_overfitting", ["a hint"], "docs/en/x.md#ex-11-6")
    partly.checks["a"] = Check("a", "Does it train?", 5, runs=[("a", PASSED, "")])
    partly.checks["b"] = Check("b", "Does it match?", 2, runs=[("[cpu]", HIDDEN, "it builds the reference's MLP")])
    wholly = ExerciseResult("11.5", "weight_decay_vs_l2", "ch11_overfitting", ["secret hint"], "docs/en/x.md#ex-11-5")
    wholly.checks["c"] = Check("c", "Same?", 5, runs=[("c", HIDDEN, "given a function")])
    assert (partly.score, partly.points, partly.hidden_points, partly.status) == (5, 5, 2, PASSED)
    assert (wholly.points, wholly.hidden_points, wholly.status) == (0, 5, HIDDEN)
    text = text_report([partly, wholly], target="exercises/", devices="cpu")
    assert "5 / 5  (+2 checked by your instructor)" in text and "0 / 0  (+5 checked by your instructor)" in text
    assert "secret hint" not in text
    assert "Checked here: 5 points. 7 more points are checked only by your instructor's grader" in text
    assert "Every exercise graded here passed." in text
