"""Lasting progress: does a grading run of exercises/ keep each exercise's last result with its time, does
`coursekit progress` show it, do hints escalate through `coursekit hint`, does `coursekit compare` wait for a pass
(of the code as it is now), does a run that grades only some checks of an exercise leave it unrecorded, and does the
website's progress page draw the export?"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.engine.progress_store import ProgressStore
from tests.grading import KIT_ROOT, copy_solutions, grade

CH01 = "autograder/test_ch01_tensors.py"


def coursekit(*args: str, store: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COURSEKIT_PROGRESS": str(store), "COURSEKIT_LANG": "en", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "coursekit", *args], cwd=KIT_ROOT, capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.fixture(scope="module")
def graded_store(tmp_path_factory):
    """A progress store after grading a copy where 1.1 is wrong and the rest of chapter 1 right."""
    folder = tmp_path_factory.mktemp("progress")
    store = folder / "progress.sqlite"
    target = copy_solutions(folder / "target")
    with open(target / "ch01_tensors.py", "a", encoding="utf-8") as file:
        file.write("\n\ndef add_bias_column(x):\n    return torch.cat([x, torch.ones_like(x[:, :1])], dim=1)\n")
    # hint level 1 for 1.1 before grading: the report must show the second hint
    assert coursekit("hint", "1.1", store=store).returncode == 0
    result = grade(target, CH01, extra=("--record-progress",), env={"COURSEKIT_PROGRESS": str(store)})
    return store, target, result


def test_grading_keeps_the_last_result_of_each_exercise(graded_store):
    store, _, result = graded_store
    results = ProgressStore(store).results()
    score, maximum = result.exercise("1.1")  # the wrong 1.1 may still earn a check's points
    assert results["1.1"]["status"] == "failed" and results["1.1"]["score"] == score < maximum
    assert results["1.2"]["status"] == "passed" and results["1.2"]["first_passed"] > 0
    assert all(r["updated"] > 1e9 for r in results.values())
    assert ProgressStore(store).runs()[0]["points"] == result.results["max_score"]


def test_report_shows_the_hint_level_reached(graded_store):
    _, _, result = graded_store
    lines = result.output.split("score report")[-1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("1.1 "))
    end = next(i for i, line in enumerate(lines) if line.strip().startswith("1.2 "))
    assert any(line.strip().startswith("Hint 2 of 3: ") for line in lines[start:end]), "\n".join(lines)


def test_hint_command_escalates_to_the_guide(tmp_path):
    store = tmp_path / "p.sqlite"
    outputs = [coursekit("hint", "8.1", store=store).stdout for _ in range(4)]
    assert "Hint 2 of 3" in outputs[0] and "Hint 3 of 3" in outputs[1] and "docs/en/chapters/" in outputs[1]
    assert outputs[2] == outputs[3] == outputs[1] and "last hint" in outputs[1]
    assert "Hint 1 of 3" in coursekit("hint", "8.1", "--reset", store=store).stdout
    assert coursekit("hint", "99.9", store=store).returncode == 2


def test_progress_command_shows_what_is_done(graded_store):
    store, _, _ = graded_store
    shown = coursekit("progress", store=store)
    assert shown.returncode == 0, shown.stderr
    line = next(l for l in shown.stdout.splitlines() if l.strip().startswith("1.2 "))
    assert "passed" in line and "5 / 5" in line
    assert "not graded yet" in next(l for l in shown.stdout.splitlines() if l.strip().startswith("8.1 "))
    assert "Next: 1.1 add_bias_column" in shown.stdout
    assert "Nothing graded yet" in coursekit("progress", store=store.parent / "empty.sqlite").stdout


def test_other_targets_are_not_recorded_unless_asked(tmp_path):
    store = tmp_path / "p.sqlite"
    grade("solutions", "autograder/test_ch12_devices.py", env={"COURSEKIT_PROGRESS": str(store)})
    assert not store.exists() or not ProgressStore(store).results()


def test_compare_waits_for_a_pass(graded_store):
    store, target, _ = graded_store
    locked = coursekit("compare", "1.1", "--target", str(target), store=store)
    assert locked.returncode == 1 and "has not passed yet" in locked.stderr and "def " not in locked.stderr
    shown = coursekit("compare", "1.2", "--target", str(target), store=store)
    assert shown.returncode == 0, shown.stderr
    header, rule, *rows = shown.stdout.splitlines()
    assert header.startswith("yours (") and "| reference (solutions/ch01_tensors.py)" in header
    assert rows[0].startswith("def standardize(") and "| def standardize(" in rows[0]


def test_compare_refuses_code_changed_since_it_passed(graded_store, tmp_path):
    store, target, _ = graded_store
    edited = tmp_path / "edited"
    shutil.copytree(target, edited)
    path = edited / "ch01_tensors.py"
    # only spacing at line ends changes: still the code that passed
    path.write_text("\n".join(line + "  " for line in path.read_text().splitlines()) + "\n")
    assert coursekit("compare", "1.2", "--target", str(edited), store=store).returncode == 0
    # a different standardize (appended, so it replaces the one that passed)
    with open(path, "a", encoding="utf-8") as file:
        file.write("\n\ndef standardize(x):\n    return (x - x.mean(0)) / x.std(0)\n")
    refused = coursekit("compare", "1.2", "--target", str(edited), store=store)
    assert refused.returncode == 1 and "has changed since exercise 1.2 passed" in refused.stderr, refused
    assert "def " not in refused.stdout + refused.stderr
    assert coursekit("compare", "1.2", "--target", str(target), store=store).returncode == 0


def test_a_store_without_source_hashes_is_upgraded(tmp_path):
    """A store written before source hashes were kept opens, and its passes no longer unlock compare."""
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE results (exercise TEXT PRIMARY KEY, chapter TEXT, function TEXT, status TEXT, "
                   "score REAL, points REAL, message TEXT, updated REAL, first_passed REAL)")
        db.execute("INSERT INTO results VALUES ('1.2', 'ch01_tensors', 'standardize', 'passed', 5, 5, '', 1e9, 1e9)")
    db.close()
    assert ProgressStore(path).results()["1.2"]["source_hash"] is None
    refused = coursekit("compare", "1.2", "--target", "solutions", store=path)
    assert refused.returncode == 1 and "has changed since exercise 1.2 passed" in refused.stderr


def test_a_partial_run_records_no_partial_exercise(tmp_path):
    """-k that leaves out one check of 1.3, and a run of one check of 1.1 by node id, record neither; 1.2, all of
    whose checks ran, is recorded."""
    store = tmp_path / "p.sqlite"
    env = {"COURSEKIT_PROGRESS": str(store)}
    selected = grade("solutions", CH01, extra=("--record-progress", "-k", "test_1_2_ or (test_1_3_ and not loops)"),
                     env=env)
    assert selected.exercise("1.3")[0] > 0  # graded and reported all the same
    assert set(ProgressStore(store).results()) == {"1.2"}
    one_check = grade("solutions", f"{CH01}::test_1_1_non_contiguous_input", extra=("--record-progress",), env=env)
    assert one_check.exercise_ids() == {"1.1"}
    assert set(ProgressStore(store).results()) == {"1.2"}
    assert len(ProgressStore(store).runs()) == 1


def test_export_feeds_the_progress_page(graded_store, tmp_path):
    store, _, _ = graded_store
    assert coursekit("progress", "--export", str(tmp_path / "p.json"), store=store).returncode == 0
    data = json.loads((tmp_path / "p.json").read_text())
    assert data["results"]["1.2"]["status"] == "passed" and data["catalog"]["8.1"]["function"] == "train_one_epoch"
    assert coursekit("progress", "--export", str(tmp_path / "p.js"), store=store).returncode == 0
    script = (tmp_path / "p.js").read_text()
    assert script.startswith("window.COURSEKIT_PROGRESS = {")
    for language in ("en", "zh"):
        page = (KIT_ROOT / "docs" / language / "progress.md").read_text()
        assert 'id="coursekit-progress"' in page and "assets/progress/progress-data.js" in page
        assert "assets/progress/progress-page.js" in page


def test_progress_page_draws_the_export_in_a_browser(graded_store, tmp_path):
    """The page's script, in Chromium, from file:// (offline): one row per exercise with its status."""
    chromium = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    playwright = pytest.importorskip("playwright.sync_api")
    if not chromium.exists():
        pytest.skip(f"{chromium} not found")
    store, _, _ = graded_store
    coursekit("progress", "--export", str(tmp_path / "progress-data.js"), store=store)
    (tmp_path / "progress-page.js").write_text((KIT_ROOT / "docs/assets/progress/progress-page.js").read_text())
    (tmp_path / "page.html").write_text('<meta charset="utf-8"><div id="coursekit-progress" data-lang="zh"></div>'
                                        '<script src="progress-data.js"></script><script src="progress-page.js">'
                                        "</script>", encoding="utf-8")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto((tmp_path / "page.html").as_uri())
        assert page.get_attribute('tr[data-exercise="1.2"]', "data-status") == "passed"
        assert page.get_attribute('tr[data-exercise="1.1"]', "data-status") == "failed"
        assert page.get_attribute('tr[data-exercise="8.1"]', "data-status") == "never"
        assert "通过" in page.inner_text('tr[data-exercise="1.2"]')
        assert "已通过 3/" in page.inner_text(".coursekit-progress-total")
        browser.close()


def test_explain_shows_every_failing_check_in_full(graded_store):
    store, _, result = graded_store
    explained = coursekit("explain", "1.1", store=store)
    assert explained.returncode == 0, explained.stderr
    failing = [t for t in result.results["tests"] if t["number"] == "1.1" and t["status"] == "failed"]
    assert explained.stdout.splitlines()[0].startswith("Exercise 1.1 `add_bias_column`: failed, ")
    assert explained.stdout.count("\n--- test_1_1_") == len({t["name"] for t in failing}) > 0
    assert "Guide: docs/en/chapters/ch01-tensors.md#ex-1-1" in explained.stdout
    assert "passed its last grading" in coursekit("explain", "1.2", store=store).stdout
    assert coursekit("explain", "8.1", store=store).returncode == 1  # never graded: says how to grade it
    assert coursekit("explain", "99.9", store=store).returncode == 2


def kit_copy(destination: Path) -> Path:
    """A second kit (what a learner's second clone is): the commands must act on it, not on this one."""
    for folder in ("autograder", "exercises", "solutions"):
        shutil.copytree(KIT_ROOT / folder, destination / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(KIT_ROOT / "pyproject.toml", destination / "pyproject.toml")
    return destination


def in_kit(kit: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "COURSEKIT_PROGRESS"}
    env.update({"COURSEKIT_LANG": "en", "NO_COLOR": "1", "PYTHONPATH": str(KIT_ROOT)})  # the package from here
    return subprocess.run([sys.executable, "-m", "coursekit", *args], cwd=kit / "exercises", capture_output=True,
                          text=True, env=env, timeout=60)


def test_reset_puts_one_exercise_back_and_keeps_a_backup(tmp_path):
    kit = kit_copy(tmp_path / "kit")
    mine = kit / "exercises" / "ch01_tensors.py"
    reference = (KIT_ROOT / "solutions" / "ch01_tensors.py").read_text()
    mine.write_text(reference)  # every exercise of chapter 1 solved
    done = in_kit(kit, "reset", "1.2")
    assert done.returncode == 0, done.stderr
    assert "is back to its stub" in done.stdout
    backups = list((kit / ".coursekit" / "backups").glob("ch01_tensors.*.1.2.py"))
    assert len(backups) == 1 and backups[0].read_text() == reference
    now = mine.read_text()
    assert 'raise NotImplementedError("Exercise 1.2 is not written yet.' in now
    assert "### BEGIN SOLUTION" in now  # the other exercises are still the learner's (here: the reference's)
    assert "already the stub" in in_kit(kit, "reset", "1.2").stdout
    assert in_kit(kit, "reset", "99.9").returncode == 2


def test_reset_makes_every_exercise_exactly_the_generated_stub():
    """For all exercises: the stub reset writes (without nbgrader) equals the definition nbgrader's ClearSolutions
    makes from the same solution."""
    import ast

    from autograder.engine import catalog
    from coursekit.reset import _definition_span, stub_definition

    from coursekit.stubs import generate  # nbgrader's ClearSolutions: the oracle

    for entry in catalog.read().values():
        generated = generate(KIT_ROOT / "solutions" / f"{entry.chapter}.py")
        first, last = _definition_span(ast.parse(generated), entry.function)
        made = stub_definition((KIT_ROOT / "solutions" / f"{entry.chapter}.py").read_text(), entry.function,
                               entry.id, entry.guide)
        assert made == "\n".join(generated.splitlines()[first - 1:last]), entry.id


def test_commands_act_on_the_kit_around_the_working_directory(tmp_path):
    kit = kit_copy(tmp_path / "kit")
    hinted = in_kit(kit, "hint", "8.1")
    assert hinted.returncode == 0 and "Hint 2 of" in hinted.stdout
    assert (kit / ".coursekit" / "progress.sqlite").is_file()  # the store of the kit we are in
    assert ProgressStore(kit / ".coursekit" / "progress.sqlite").hint_level("8.1") == 1


@pytest.mark.parametrize("command", [("progress",), ("hint", "8.1", "--all"), ("explain", "1.1")])
def test_a_reader_that_stops_early_gets_no_traceback(graded_store, command):
    """`coursekit progress | head -1`: the reader closes the pipe after one line; the command stops quietly."""
    store, _, _ = graded_store
    env = {**os.environ, "COURSEKIT_PROGRESS": str(store), "COURSEKIT_LANG": "en", "NO_COLOR": "1"}
    writer = subprocess.Popen([sys.executable, "-m", "coursekit", *command], cwd=KIT_ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    writer.stdout.read(1)
    writer.stdout.close()  # what `head -c 1` does once it has its byte
    errors = writer.stderr.read().decode()
    writer.wait(timeout=60)
    assert "Traceback" not in errors and "BrokenPipeError" not in errors, errors
