"""Selecting and running: does `-k 8.1`, `-k train_one_epoch` or `--exercise 8.1` select exactly that exercise
(and `-k 1.1` not 11.1), does a selection that matches nothing say so, does bare `pytest` at the kit's root grade
(while `pytest tests` stays the kit's suite), and do `pytest` and `pytest autograder` work from a subfolder?"""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.grading import KIT_ROOT, grading_env


def collect(*args: str, cwd=KIT_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", *args], cwd=cwd,
                          capture_output=True, text=True, env=grading_env(), timeout=300)


def collected(done: subprocess.CompletedProcess) -> list[str]:
    return [line for line in done.stdout.splitlines() if "::" in line]


def exercise_ids(nodes: list[str]) -> set[str]:
    """test_8_1_... -> 8.1 (the checks' names start with their exercise's id)."""
    return {".".join(node.split("::")[1].split("_")[1:3]) for node in nodes}


@pytest.mark.parametrize("selection", [("-k", "8.1"), ("-k", "train_one_epoch"), ("--exercise", "8.1"),
                                       ("--exercise", "train_one_epoch")], ids=" ".join)
def test_an_exercise_is_selected_by_id_or_function(selection):
    nodes = collected(collect("autograder/test_ch08_training_loop.py", *selection))
    assert nodes and exercise_ids(nodes) == {"8.1"}, nodes


def test_an_id_is_not_a_substring_match():
    nodes = collected(collect("autograder/test_ch01_tensors.py", "autograder/test_ch11_overfitting.py", "-k", "1.1"))
    assert exercise_ids(nodes) == {"1.1"}, nodes
    chapter = collected(collect("autograder", "--exercise", "12"))
    assert exercise_ids(chapter) == {"12.1", "12.2", "12.3", "12.4"}


def test_a_selection_that_matches_nothing_says_so():
    unknown = collect("autograder/test_ch08_training_loop.py", "--exercise", "8.9")
    assert unknown.returncode != 0 and "--exercise 8.9: no such exercise" in unknown.stdout + unknown.stderr
    nothing = collect("autograder/test_ch08_training_loop.py", "-k", "no_such_thing")
    assert nothing.returncode != 0 and "selected no check" in nothing.stdout + nothing.stderr


def test_bare_pytest_at_the_root_grades_and_pytest_tests_is_the_kits_suite():
    graded = collected(collect())
    assert graded and all(node.startswith("autograder/") for node in graded)
    own = collected(collect("tests/test_selection.py"))
    assert own and all(node.startswith("tests/") for node in own)


def test_pytest_from_a_subfolder_grades():
    here = KIT_ROOT / "exercises"
    bare = collected(collect(cwd=here))
    assert bare and all("autograder/test_ch" in node for node in bare)
    graded = subprocess.run([sys.executable, "-m", "pytest", "autograder/test_ch12_devices.py", "--target",
                             "solutions", "--exercise", "12.1", "-q"], cwd=here, capture_output=True, text=True,
                            env=grading_env(), timeout=300)
    assert graded.returncode == 0, graded.stdout[-2000:] + graded.stderr[-2000:]
    assert "12.1  choose_device" in graded.stdout and "Exercises: 1 passed." in graded.stdout
