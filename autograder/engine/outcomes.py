"""From pytest's per-test results to statuses, per check, per exercise and per chapter.

Status of one test run: passed, failed, timeout (probably an infinite loop), not attempted (the stub still raises
NotImplementedError) or broken (the chapter's file does not import). A check (one test function, possibly run on
several devices) scores its points only when every run passes. An exercise is "not attempted" when nothing passed
and every failure was the stub's NotImplementedError.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from _pytest.outcomes import Failed

from autograder.engine.calls import is_unwritten_stub
from autograder.engine.loading import ChapterBroken

PASSED, FAILED, TIMEOUT, NOT_ATTEMPTED, BROKEN = "passed", "failed", "timeout", "not attempted", "broken"
_SEVERITY = {PASSED: 0, NOT_ATTEMPTED: 1, FAILED: 2, TIMEOUT: 3, BROKEN: 4}
TIMEOUT_MESSAGE = ("It ran past the time limit of {seconds:g} s and was stopped: probably an infinite loop "
                   "(a `while` whose condition never changes, or a loop over a DataLoader that never ends).")


def classify(exception: BaseException | None, seconds: float) -> tuple[str, str]:
    """The status of one test run and the message to show for it."""
    if exception is None:
        return PASSED, ""
    if isinstance(exception, ChapterBroken):
        return BROKEN, str(exception)
    if is_unwritten_stub(exception):
        return NOT_ATTEMPTED, f"Not attempted yet: {exception}"
    if isinstance(exception, Failed) and str(exception).startswith("Timeout"):
        return TIMEOUT, TIMEOUT_MESSAGE.format(seconds=seconds)
    if isinstance(exception, AssertionError):
        return FAILED, str(exception)
    return FAILED, f"The check itself hit {type(exception).__name__}: {exception}"


@dataclass
class Check:
    """One test function of one exercise, and the results of its runs (one per device)."""

    name: str
    question: str
    points: float
    runs: list[tuple[str, str, str]] = field(default_factory=list)  # (run id, status, message)

    @property
    def status(self) -> str:
        return max((status for _, status, _ in self.runs), key=_SEVERITY.__getitem__, default=PASSED)

    @property
    def score(self) -> float:
        return self.points if self.runs and self.status == PASSED else 0.0

    @property
    def message(self) -> str:
        for run_id, status, message in self.runs:
            if status != PASSED:
                return f"{run_id} {message}" if run_id.startswith("[") else message
        return ""


@dataclass
class ExerciseResult:
    id: str
    function: str
    chapter: str
    hints: list[str]
    guide: str
    checks: dict[str, Check] = field(default_factory=dict)
    hints_zh: list[str] = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(c.points for c in self.checks.values())

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks.values())

    @property
    def status(self) -> str:
        statuses = [c.status for c in self.checks.values()]
        if BROKEN in statuses:
            return BROKEN
        if all(s == PASSED for s in statuses):
            return PASSED
        if all(s == NOT_ATTEMPTED for s in statuses):
            return NOT_ATTEMPTED
        return TIMEOUT if TIMEOUT in statuses else FAILED

    @property
    def first_failure(self) -> str:
        return next((c.message for c in self.checks.values() if c.status != PASSED), "")


def sort_key(exercise_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in exercise_id.split("."))
