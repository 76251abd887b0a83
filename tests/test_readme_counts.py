"""Are the counts the README states the ones the kit has (exercises, checks, clauses, variants, named mistakes)?"""
from __future__ import annotations

import re

from autograder.engine import mistakes
from tests.test_contract import CHAPTERS, KIT_ROOT, exercises_of
from tests.variants import VARIANTS


def stated() -> dict[str, int]:
    readme = re.sub(r"\s+", " ", (KIT_ROOT / "README.md").read_text(encoding="utf-8"))
    match = re.search(r"Today: (\d+) chapters, (\d+) exercises, (\d+) checks guarding (\d+) docstring clauses; "
                      r"(\d+) known-wrong implementations, all caught; (\d+) correct ones in other styles, all accepted",
                      readme)
    assert match, "README.md's Grading section no longer states the kit's counts in the expected sentence"
    names = ("chapters", "exercises", "checks", "clauses", "wrong", "correct")
    return dict(zip(names, map(int, match.groups())))


def test_readme_counts_are_the_kits():
    exercises = [e for chapter in CHAPTERS for e in exercises_of(chapter)]
    measured = {
        "chapters": len(CHAPTERS),
        "exercises": len(exercises),
        "checks": sum(len(e.checks) for e in exercises),
        "clauses": sum(len(e.clauses) for e in exercises),
        "wrong": sum(not v.is_correct for v in VARIANTS),
        "correct": sum(v.is_correct for v in VARIANTS),
    }
    assert stated() == measured


def test_readme_counts_the_named_mistakes():
    readme = re.sub(r"\s+", " ", (KIT_ROOT / "README.md").read_text(encoding="utf-8"))
    match = re.search(r"(\d+) of the mistakes are named in the report", readme)
    assert match, "README.md no longer says how many mistakes the report names"
    assert int(match.group(1)) == len(mistakes.CATALOG)


def test_readme_test_command_is_the_one_ci_runs():
    """The README says which command CI runs; .ci/run must run exactly that command, on a line of its own."""
    readme = re.sub(r"\s+", " ", (KIT_ROOT / "README.md").read_text(encoding="utf-8"))
    match = re.search(r"The kit's own test suite \(what CI runs\): `([^`]+)`", readme)
    assert match, "README.md no longer states the kit's test command in the expected sentence"
    ci_lines = [line.strip() for line in (KIT_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert match.group(1) in ci_lines, f".ci/run does not run the README's test command `{match.group(1)}`"
