"""Exercises and their checks: the metadata (points, hints, guide) sits next to the checks that use it."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

GUIDE_ROOT = "docs/en/chapters"


@dataclass(eq=False)
class Exercise:
    """One exercise: its id ("6.2"), the function or class the learner writes, and hints from gentle to explicit.

    `hints_zh` are the same hints in Chinese, in the same order.

    `clauses` is the exercise's contract: each promise of its docstring under a short id, quoted word for word
    ({"shape": "x: (N, D)  ->  (N, D + 1)", ...}). Every check names the clauses it guards
    (`@exercise.check(points=2, clauses=["shape"])`); the kit's tests (tests/test_contract.py) fail when a docstring
    line is in no clause, a quote is not in the docstring, or a clause has no check and no wrong implementation
    that its checks catch.
    """

    id: str
    function: str
    hints: list[str] = field(default_factory=list)
    hints_zh: list[str] = field(default_factory=list)
    clauses: dict[str, str] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list, repr=False)  # the names of its check functions, in file order
    guards: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)  # check name -> clause ids

    def __post_init__(self):
        assert len(self.hints) >= 1, f"Exercise {self.id} needs at least one hint (CURRICULUM.md)"

    @property
    def chapter_number(self) -> int:
        return int(self.id.split(".")[0])

    def guide(self, chapter: str) -> str:
        """The guide section for this exercise, e.g. docs/en/chapters/ch01-tensors.md#ex-1-1."""
        return f"{GUIDE_ROOT}/{chapter.replace('_', '-')}.md#ex-{self.id.replace('.', '-')}"

    def check(self, points: float = 1, timeout: float | None = None, clauses: tuple[str, ...] | list[str] = ()):
        """Decorate a test function as one check of this exercise, worth `points` when every run of it passes.

        `clauses`: the ids (from `Exercise.clauses`) of the promises this check guards."""

        def decorate(test):
            unknown = [c for c in clauses if c not in self.clauses]
            assert not unknown, f"{test.__name__} guards clauses {unknown} that exercise {self.id} does not declare"
            if test.__name__ not in self.checks:
                self.checks.append(test.__name__)
            self.guards[test.__name__] = tuple(clauses)
            test = pytest.mark.exercise_check(exercise=self, points=points)(test)
            if timeout is not None:
                test = pytest.mark.timeout(timeout)(test)
            return test

        return decorate
