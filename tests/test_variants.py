"""Do the checks catch every known-wrong implementation and accept every correct one in another style?

The variants live in tests/variants/chNN_topic.py. Grading is one exercise at a time, so the k-th variant of every
exercise of a chapter can be graded together in one run ("round k").
"""
from __future__ import annotations

import ast
import importlib
import pkgutil
from collections import defaultdict
from pathlib import Path

import pytest

import tests.variants
from tests.grading import Grade, copy_solutions, grade
from tests.variants import VARIANTS, Variant

for module in pkgutil.iter_modules(tests.variants.__path__):
    importlib.import_module(f"tests.variants.{module.name}")


def rounds(chapter: str) -> list[list[Variant]]:
    by_exercise = defaultdict(list)
    for variant in VARIANTS:
        if variant.chapter_module == chapter:
            by_exercise[variant.exercise].append(variant)
    depth = max(len(v) for v in by_exercise.values())
    return [[v[k] for v in by_exercise.values() if k < len(v)] for k in range(depth)]


def variant_imports(chapter: str) -> str:
    """The variants file's own imports (F, nn, ...), so each variant runs with the names it was written with."""
    tree = ast.parse(Path(tests.variants.__path__[0], f"{chapter}.py").read_text())
    imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
               and not (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests"))]
    return "\n".join(ast.unparse(node) for node in imports) + "\n"


_GRADES: dict[str, dict[Variant, Grade]] = {}


def graded(chapter: str, tmp_path_factory) -> dict[Variant, Grade]:
    if chapter not in _GRADES:
        grades = {}
        for number, variants in enumerate(rounds(chapter)):
            target = copy_solutions(tmp_path_factory.mktemp(f"{chapter}-round{number}"))
            with open(target / f"{chapter}.py", "a", encoding="utf-8") as file:
                file.write("\n" + variant_imports(chapter))
                for variant in variants:
                    file.write(f"\n\n# --- variant: {variant.name}\n{variant.source}\n")
            result = grade(target, f"autograder/test_{chapter}.py")
            grades.update({variant: result for variant in variants})
        _GRADES[chapter] = grades
    return _GRADES[chapter]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: f"{v.chapter_module}: {v.name}")
def test_variant_graded_as_expected(variant: Variant, tmp_path_factory, variant_tally):
    result = graded(variant.chapter_module, tmp_path_factory)[variant]
    score, maximum = result.exercise(variant.exercise)
    variant_tally.append((variant, score < maximum))
    if variant.is_correct:
        assert score == maximum, (f"a correct implementation lost points ({score}/{maximum}):\n{variant.source}\n"
                                  f"{result.outputs(variant.exercise)}")
    else:
        assert score < maximum, f"a wrong implementation kept full marks ({score}/{maximum}):\n{variant.source}"


def test_every_exercise_has_variants():
    """Every exercise has at least two wrong implementations and one correct one (DESIGN.md)."""
    from tests.test_course_consistency import exercise_ids

    wrong, right = defaultdict(int), defaultdict(int)
    for variant in VARIANTS:
        (right if variant.is_correct else wrong)[variant.exercise] += 1
    missing = [e for e in exercise_ids() if wrong[e] < 2 or right[e] < 1]
    assert not missing, f"exercises without 2 wrong and 1 correct variants: {missing}"
