"""From pytest's per-test results to statuses, per check, per exercise and per chapter.

Status of one test run: passed, failed, timeout (probably an infinite loop), not attempted (the stub still raises
NotImplementedError) or broken (the chapter's file does not import). A check (one test function, possibly run on
several devices) scores its points only when every run passes. An exercise is "not attempted" when every check that
did not pass met the stub's NotImplementedError.

Each run keeps (run id, status, message) as text, which is what crosses a pipe from a grading child; where the run
happened in this process its failure also keeps its fields (feedback.Failure: named mistakes, the learner's line)
and what the learner's code printed, and the report renders those.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from _pytest.outcomes import Failed

from autograder.engine.calls import is_unwritten_stub
from autograder.engine.devices import DeviceFailure
from autograder.engine.feedback import Failure, named_mistakes
from autograder.engine.loading import ChapterBroken

PASSED, FAILED, TIMEOUT, NOT_ATTEMPTED, BROKEN = "passed", "failed", "timeout", "not attempted", "broken"
# A run on the meta stand-in that failed for a reason meta cannot prove (devices.META_RULE): it costs nothing.
INCONCLUSIVE = "inconclusive"
# A check the learner edition cannot decide without the reference's code (engine/recorded_reference.py): it neither
# earns nor costs points in the learner's own run; the instructor's grader runs it.
HIDDEN = "instructor"
_SEVERITY = {PASSED: 0, INCONCLUSIVE: 0, HIDDEN: 0.5, NOT_ATTEMPTED: 1, FAILED: 2, TIMEOUT: 3, BROKEN: 4}
TIMEOUT_MESSAGE = ("It ran past the time limit of {seconds:g} s and was stopped: probably an infinite loop "
                   "(a `while` whose condition never changes, or a loop over a DataLoader that never ends).")
TIMEOUT_PRINTING = ("It ran past the time limit of {seconds:g} s and was stopped while printing a great deal "
                    "({lines} lines so far): printing takes time. Print less (or only once, outside the loop), then "
                    "grade again.")
PRINTING_LINES = 1000  # past this many lines of output in one check, the time went to printing as much as to looping


def timeout_message(seconds: float, output: str = "") -> str:
    lines = output.count("\n")
    if lines >= PRINTING_LINES:
        return TIMEOUT_PRINTING.format(seconds=seconds, lines=lines)
    return TIMEOUT_MESSAGE.format(seconds=seconds)


def classify(exception: BaseException | None, seconds: float, output: str = "",
             on_meta: bool = False) -> tuple[str, str]:
    """The status of one test run and the message to show for it.

    `on_meta`: the run used the meta stand-in, where only a DeviceFailure counts (devices.META_RULE); the stub's
    NotImplementedError and a broken chapter still say what they say everywhere."""
    if exception is None:
        return PASSED, ""
    if on_meta and not isinstance(exception, (DeviceFailure, ChapterBroken)) and not is_unwritten_stub(exception):
        return INCONCLUSIVE, f"not checkable on meta ({type(exception).__name__}); the cpu run decides"
    if isinstance(exception, ChapterBroken):
        return BROKEN, str(exception)
    if is_unwritten_stub(exception):
        return NOT_ATTEMPTED, f"Not attempted yet: {exception}"
    if isinstance(exception, Failed) and str(exception).startswith("Timeout"):
        return TIMEOUT, timeout_message(seconds, output)
    if isinstance(exception, AssertionError):
        return FAILED, str(exception)
    return FAILED, f"The check itself hit {type(exception).__name__}: {exception}"


def failure_of(exception: BaseException | None, status: str, message: str, location=None) -> Failure | None:
    """The fields of a failing run (None for a pass)."""
    if status == PASSED:
        return None
    named = named_mistakes(exception, message) if status in (FAILED, TIMEOUT) else ()
    return Failure(message, named, location)


@dataclass
class Check:
    """One test function of one exercise, and the results of its runs (one per device)."""

    name: str
    question: str
    points: float
    runs: list[tuple[str, str, str]] = field(default_factory=list)  # (run id, status, message)
    failures: dict[str, Failure] = field(default_factory=dict)  # run id -> fields, where the run happened here
    outputs: dict[str, str] = field(default_factory=dict)  # run id -> what the learner's code printed

    @property
    def status(self) -> str:
        worst = max((status for _, status, _ in self.runs), key=_SEVERITY.__getitem__, default=PASSED)
        return PASSED if worst == INCONCLUSIVE else worst

    @property
    def score(self) -> float:
        return self.points if self.runs and self.status == PASSED else 0.0

    @property
    def checkable_points(self) -> float:
        """The points this run could decide (none for a check left to the instructor's grader)."""
        return 0.0 if self.status == HIDDEN else self.points

    @property
    def message(self) -> str:
        for run_id, status, message in self.runs:
            if status not in (PASSED, INCONCLUSIVE, HIDDEN):
                return f"{run_id} {message}" if run_id.startswith("[") else message
        return ""

    @property
    def failure(self) -> Failure | None:
        """The first failing run as fields (from this process, or rebuilt from its text when it came from a pipe)."""
        for run_id, status, message in self.runs:
            if status not in (PASSED, HIDDEN):
                shown = f"{run_id} " if run_id.startswith("[") else ""
                known = self.failures.get(run_id)
                if known is not None:
                    return Failure(shown + known.message, known.mistakes, known.location, known.output)
                return Failure(shown + message, named_mistakes(None, message) if status in (FAILED, TIMEOUT) else ())
        return None


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
        """The points this run could decide: in the learner edition, not those of checks left to the instructor."""
        return sum(c.checkable_points for c in self.checks.values())

    @property
    def hidden_points(self) -> float:
        return sum(c.points for c in self.checks.values() if c.status == HIDDEN)

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks.values())

    @property
    def status(self) -> str:
        statuses = [c.status for c in self.checks.values() if c.status != HIDDEN]
        if not statuses and self.checks:
            return HIDDEN
        if BROKEN in statuses:
            return BROKEN
        if all(s == PASSED for s in statuses):
            return PASSED
        if NOT_ATTEMPTED in statuses and all(s in (NOT_ATTEMPTED, PASSED) for s in statuses):
            return NOT_ATTEMPTED  # what did not pass met the stub's NotImplementedError (a check may pass on a stub)
        return TIMEOUT if TIMEOUT in statuses else FAILED

    @property
    def first_failure(self) -> str:
        return next((c.message for c in self.checks.values() if c.status not in (PASSED, HIDDEN)), "")

    def failing(self) -> list[Check]:
        return [c for c in self.checks.values() if c.status not in (PASSED, HIDDEN)]

    def telling(self) -> tuple[Check, Failure] | None:
        """The failure to lead with: the first that names a known mistake, else the first in the checks' order
        (the checks go from the plain, shape and dtype, to the subtle); a check that failed before one that met the
        stub's NotImplementedError (a class half written)."""
        failures = [(c, c.failure) for c in self.failing()]
        failures = [(c, f) for c, f in failures if f is not None]
        if not failures:
            return None
        attempted = [(c, f) for c, f in failures if c.status != NOT_ATTEMPTED] or failures
        return next(((c, f) for c, f in attempted if f.mistakes), attempted[0])

    @property
    def output(self) -> str:
        """What the learner's code printed during this exercise's checks, in the order the checks ran."""
        return "".join(text for c in self.checks.values() for text in c.outputs.values() if text)


def sort_key(exercise_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in exercise_id.split("."))
