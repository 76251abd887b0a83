"""Exercises and their checks: the metadata (points, hints, guide) sits next to the checks that use it."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

GUIDE_ROOT = "docs/en/chapters"


@dataclass(eq=False)
class Exercise:
    """One exercise: its id ("6.2"), the function or class the learner writes, and hints from gentle to explicit.

    `hints_zh` are the same hints in Chinese, in the same order."""

    id: str
    function: str
    hints: list[str] = field(default_factory=list)
    hints_zh: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list, repr=False)  # the names of its check functions, in file order

    def __post_init__(self):
        assert len(self.hints) >= 1, f"Exercise {self.id} needs at least one hint (CURRICULUM.md)"

    @property
    def chapter_number(self) -> int:
        return int(self.id.split(".")[0])

    def guide(self, chapter: str) -> str:
        """The guide section for this exercise, e.g. docs/en/chapters/ch01-tensors.md#ex-1-1."""
        return f"{GUIDE_ROOT}/{chapter.replace('_', '-')}.md#ex-{self.id.replace('.', '-')}"

    def check(self, points: float = 1, timeout: float | None = None):
        """Decorate a test function as one check of this exercise, worth `points` when every run of it passes."""

        def decorate(test):
            if test.__name__ not in self.checks:
                self.checks.append(test.__name__)
            test = pytest.mark.exercise_check(exercise=self, points=points)(test)
            if timeout is not None:
                test = pytest.mark.timeout(timeout)(test)
            return test

        return decorate
