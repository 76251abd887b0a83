"""Is every promise of every exercise's docstring guarded by a check, and proven able to fail on its own?

An exercise's docstring is its contract (DESIGN.md, "Every clause is a check"). Its Exercise declaration quotes each
promise under a clause id; each check names the clauses it guards; each clause has a known-wrong implementation
(tests/variants/, `@wrong(..., breaks="clause")`) that breaks only it, and tests/test_variants.py requires one of
that clause's checks to fail on it.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import re
from functools import cache
from pathlib import Path

import pytest

import tests.variants
from tests.variants import VARIANTS

KIT_ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(path.stem.removeprefix("test_") for path in (KIT_ROOT / "autograder").glob("test_ch[0-9][0-9]_*.py"))

for module in pkgutil.iter_modules(tests.variants.__path__):
    importlib.import_module(f"tests.variants.{module.name}")


@cache
def exercises_of(chapter: str) -> list:
    from autograder.engine.exercises import Exercise

    checks = importlib.import_module(f"autograder.test_{chapter}")
    return [value for value in vars(checks).values() if isinstance(value, Exercise)]


@cache
def reference_module(chapter: str):
    spec = importlib.util.spec_from_file_location(f"contract_reference_{chapter}", KIT_ROOT / "solutions" / f"{chapter}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def all_exercises():
    return [pytest.param(chapter, exercise, id=exercise.id) for chapter in CHAPTERS for exercise in exercises_of(chapter)]


def normalized(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def docstring_lines(chapter: str, function: str) -> list[str]:
    doc = inspect.getdoc(getattr(reference_module(chapter), function)) or ""
    return [normalized(line) for line in doc.splitlines() if line.strip()]


@pytest.mark.parametrize(("chapter", "exercise"), all_exercises())
def test_every_quoted_clause_is_in_the_docstring(chapter, exercise):
    """Each clause quotes its docstring word for word (white space aside), so the contract and the checks agree."""
    assert exercise.clauses, f"exercise {exercise.id} declares no clauses: quote its docstring's promises"
    doc = " ".join(docstring_lines(chapter, exercise.function))
    missing = {cid: quote for cid, quote in exercise.clauses.items() if normalized(quote) not in doc}
    assert not missing, f"exercise {exercise.id}: these clauses are not in {exercise.function}'s docstring: {missing}"


@pytest.mark.parametrize(("chapter", "exercise"), all_exercises())
def test_every_docstring_line_is_in_a_clause(chapter, exercise):
    """No promise of the docstring goes unchecked: every line of it holds (part of) some clause's quote."""
    lines = docstring_lines(chapter, exercise.function)
    doc = " ".join(lines)
    covered = [False] * len(doc)
    for quote in map(normalized, exercise.clauses.values()):
        for match in re.finditer(re.escape(quote), doc):
            covered[match.start():match.end()] = [True] * (match.end() - match.start())
    uncovered, position = [], 0
    for line in lines:
        if not any(covered[position:position + len(line)]):
            uncovered.append(line)
        position += len(line) + 1
    assert not uncovered, f"exercise {exercise.id}: docstring lines in no clause: {uncovered}"


@pytest.mark.parametrize(("chapter", "exercise"), all_exercises())
def test_every_clause_has_a_check_and_every_check_a_clause(chapter, exercise):
    unguarded = set(exercise.clauses) - {c for clauses in exercise.guards.values() for c in clauses}
    assert not unguarded, f"exercise {exercise.id}: clauses no check guards: {sorted(unguarded)}"
    bare = [name for name in exercise.checks if not exercise.guards.get(name)]
    assert not bare, f"exercise {exercise.id}: checks that name no clause: {bare}"


@pytest.mark.parametrize(("chapter", "exercise"), all_exercises())
def test_every_clause_has_a_wrong_implementation_that_breaks_it(chapter, exercise):
    """A check guarding a clause is proven able to fail only by code that breaks that clause (tests/test_variants.py
    grades these)."""
    broken = {v.breaks for v in VARIANTS if v.exercise == exercise.id and not v.is_correct}
    unknown = broken - set(exercise.clauses) - {None}
    assert not unknown, f"exercise {exercise.id}: variants break undeclared clauses {sorted(unknown)}"
    missing = set(exercise.clauses) - broken
    assert not missing, f"exercise {exercise.id}: no wrong implementation breaks the clauses {sorted(missing)}"
