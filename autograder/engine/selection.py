"""Choosing exercises to grade: `--exercise 8.1`, `--exercise train_one_epoch`, `--exercise 8`, and `-k` with the same
words (pytest's -k matches substrings of test names, so `-k 8.1` would select nothing, and `-k 1.1` would also
select 11.1: such a -k is taken as --exercise instead)."""
from __future__ import annotations

import re

import pytest

from autograder.engine import catalog

_ID = re.compile(r"^\d+(\.\d+)?$")


def _matches(word: str, exercise_id: str, function: str) -> bool:
    word = word.strip()
    if _ID.match(word):
        return word == exercise_id or ("." not in word and exercise_id.split(".")[0] == str(int(word)))
    return word.lower() == function.lower()


def keyword_as_exercises(config: pytest.Config) -> None:
    """`-k 8.1`, `-k train_one_epoch`, `-k "8.1 or 8.2"`: when every alternative names an exercise (by id, function
    or chapter number), select through --exercise and drop the -k."""
    keyword = (config.getoption("keyword") or "").strip()
    if not keyword:
        return
    words = [w.strip() for w in re.split(r"\s+or\s+|,", keyword) if w.strip()]
    entries = catalog.read()
    if words and all(any(_matches(w, e.id, e.function) for e in entries.values()) for w in words):
        config.option.exercise = list(config.getoption("--exercise") or []) + words
        config.option.keyword = ""


def exercise_filter(wanted: list[str], exercises) -> set[str]:
    """The ids of the collected exercises that `wanted` names; a word that names none is a usage error that lists
    what exists (a selection never comes out empty in silence)."""
    known = {e.id: e for e in exercises}
    chosen: set[str] = set()
    for word in wanted:
        found = {i for i, e in known.items() if _matches(word, i, e.function)}
        if not found:
            raise pytest.UsageError(
                f"--exercise {word}: no such exercise among the checks collected. Give an id (8.1), a function name "
                f"(train_one_epoch) or a chapter number (8); collected: {', '.join(sorted(known, key=_order))}.")
        chosen |= found
    return chosen


def _order(exercise_id: str) -> tuple[int, ...]:
    return tuple(int(p) for p in exercise_id.split("."))
