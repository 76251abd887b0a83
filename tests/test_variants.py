"""Do the checks catch every known-wrong implementation and accept every correct one in another style?

The variants live in tests/variants/chNN_topic.py. Grading is one exercise at a time, so the k-th variant of every
exercise of every chapter can be graded together in one run ("round k").
"""
from __future__ import annotations

import ast
import importlib
import pkgutil
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import tests.variants
from tests.grading import KIT_ROOT, Grade, copy_solutions, grade
from tests.variants import VARIANTS, Variant

for module in pkgutil.iter_modules(tests.variants.__path__):
    importlib.import_module(f"tests.variants.{module.name}")


def rounds(chapters: set[str]) -> list[list[Variant]]:
    """Round k holds the k-th variant of every exercise of the given chapters."""
    by_exercise = defaultdict(list)
    for variant in VARIANTS:
        if variant.chapter_module in chapters:
            by_exercise[variant.exercise].append(variant)
    depth = max(len(v) for v in by_exercise.values())
    return [[v[k] for v in by_exercise.values() if k < len(v)] for k in range(depth)]


# CPython 3.11's ast.parse is not thread-safe ("AST constructor recursion depth mismatch", gh-106905), and the rounds
# are written from two threads: one parse at a time.
_PARSING = threading.Lock()


def variant_imports(chapter: str) -> str:
    """The variants file's own imports (F, nn, ...), so each variant runs with the names it was written with."""
    with _PARSING:
        tree = ast.parse(Path(tests.variants.__path__[0], f"{chapter}.py").read_text())
    imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
               and not (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests"))]
    return "\n".join(ast.unparse(node) for node in imports) + "\n"


_GRADES: dict[Variant, Grade] = {}


def grade_round(number: int, variants: list[Variant], chapters: set[str], folder: Path,
                kit: Path = KIT_ROOT) -> dict[Variant, Grade]:
    """Grade the round's variants together: the reference solutions with each variant appended (it replaces the
    function of the same name), graded by the kit at `kit` (this one, or a learner edition built from it)."""
    target = copy_solutions(folder)
    for chapter in chapters:
        with open(target / f"{chapter}.py", "a", encoding="utf-8") as file:
            file.write("\n" + variant_imports(chapter))
            for variant in (v for v in variants if v.chapter_module == chapter):
                file.write(f"\n\n# --- variant: {variant.name}\n{variant.source}\n")
    result = grade(target, *(f"autograder/test_{chapter}.py" for chapter in sorted(chapters)), kit=kit)
    return {variant: result for variant in variants}


def graded(variant: Variant, request, tmp_path_factory) -> Grade:
    """Grade all the rounds of the chapters this session selected, two processes at a time, once."""
    if variant not in _GRADES:
        chapters = {item.callspec.params["variant"].chapter_module for item in request.session.items
                    if getattr(item, "callspec", None) and "variant" in item.callspec.params}
        all_rounds = rounds(chapters)
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(grade_round, number, variants, chapters, tmp_path_factory.mktemp(f"round{number}"))
                       for number, variants in enumerate(all_rounds)]
            for future in futures:
                _GRADES.update(future.result())
    return _GRADES[variant]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: f"{v.chapter_module}: {v.name}")
def test_variant_graded_as_expected(variant: Variant, request, tmp_path_factory, variant_tally):
    result = graded(variant, request, tmp_path_factory)
    score, maximum = result.exercise(variant.exercise)
    variant_tally.append((variant, score < maximum))
    if variant.is_correct:
        assert score == maximum, (f"a correct implementation lost points ({score}/{maximum}):\n{variant.source}\n"
                                  f"{result.outputs(variant.exercise)}")
    else:
        assert score < maximum, f"a wrong implementation kept full marks ({score}/{maximum}):\n{variant.source}"
        if variant.breaks:
            failing = failed_checks(result, variant)
            guarding = clause_guards(variant)
            assert failing & guarding, (
                f"it breaks clause {variant.breaks!r}, but none of the checks guarding it ({sorted(guarding)}) failed; "
                f"only {sorted(failing)} did:\n{variant.source}")


def clause_guards(variant: Variant) -> set[str]:
    """The names of the checks that guard the clause the variant breaks."""
    from tests.test_contract import exercises_of

    exercise = next(e for e in exercises_of(variant.chapter_module) if e.id == variant.exercise)
    return {name for name, clauses in exercise.guards.items() if variant.breaks in clauses}


def failed_checks(result: Grade, variant: Variant) -> set[str]:
    """The check functions of the variant's exercise that lost points (results.json names a check by its question)."""
    import importlib

    checks = importlib.import_module(f"autograder.test_{variant.chapter_module}")
    by_question = {}
    for name in dir(checks):
        test = getattr(checks, name)
        marks = [m for m in getattr(test, "pytestmark", []) if m.name == "exercise_check"]
        if marks and marks[0].kwargs["exercise"].id != variant.exercise:
            continue  # another exercise's check may ask the same question (7.1's and 7.8's stale gradients)
        if name.startswith("test_") and callable(test):
            by_question[(test.__doc__ or name).strip().splitlines()[0]] = name
    failed = set()
    for test in result.results["tests"]:
        if test["number"] == variant.exercise and test["score"] < test["max_score"]:
            question = test["name"].split(": ", 1)[1]
            failed.add(by_question.get(question, question))
    return failed


def test_every_exercise_has_variants():
    """Every exercise has at least two wrong implementations and one correct one (DESIGN.md)."""
    from tests.test_course_consistency import exercise_ids

    wrong, right = defaultdict(int), defaultdict(int)
    for variant in VARIANTS:
        (right if variant.is_correct else wrong)[variant.exercise] += 1
    missing = [e for e in exercise_ids() if wrong[e] < 2 or right[e] < 1]
    assert not missing, f"exercises without 2 wrong and 1 correct variants: {missing}"
