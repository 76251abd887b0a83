"""Learner code that breaks the grader's assumptions costs one check and the run still ends with a report (issue 11,
item 5): an exception whose __str__ raises, a runaway recursion under a raised recursion limit, a loop that blocks
the alarm signal. And the class grader's result lines: only the child's own grading code can write one."""
from __future__ import annotations

import json
import os

import pytest

from coursekit import child
from tests.grading import KIT_ROOT, grade

REFERENCE_CH01 = (KIT_ROOT / "solutions/ch01_tensors.py").read_text()
BREAKERS = {
    "an exception whose __str__ raises": (
        "class Sneaky(BaseException):\n    def __str__(self):\n        raise RuntimeError('no message')\n\n\n"
        "def add_bias_column(x):\n    raise Sneaky()\n", "failed", "whose message could not be shown"),
    "a runaway recursion under a raised recursion limit": (
        "def add_bias_column(x):\n    import sys\n    sys.setrecursionlimit(10 ** 8)\n\n"
        "    def down(n):\n        return down(n + 1) + 1\n    return down(0)\n", None, None),
    "a loop with the alarm blocked": (
        "def add_bias_column(x):\n    import signal\n    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n"
        "    while True:\n        pass\n", "time limit", None),
}


@pytest.mark.parametrize("breaker", BREAKERS, ids=str)
def test_it_costs_one_exercise_and_the_report_comes(tmp_path, breaker):
    source, status, message = BREAKERS[breaker]
    (tmp_path / "ch01_tensors.py").write_text(REFERENCE_CH01 + "\n\n" + source)
    graded = grade(tmp_path, "autograder/test_ch01_tensors.py", extra=("--check-timeout", "3"), timeout=900)
    assert "INTERNALERROR" not in graded.output and "score report" in graded.output, graded.output[-3000:]
    by_exercise: dict[str, list[dict]] = {}
    for test in graded.results["tests"]:
        by_exercise.setdefault(test["name"].split()[0], []).append(test)
    assert sum(t["score"] for t in by_exercise["1.1"]) == 0
    for exercise in ("1.2", "1.3", "1.4"):  # the rest of the chapter is graded as usual
        assert all(t["score"] == t["max_score"] for t in by_exercise[exercise]), by_exercise[exercise]
    if status:
        assert status in json.dumps(by_exercise["1.1"]) or status in graded.output
    if message:  # in the report, or in the results of 1.1's checks
        assert message in graded.output or message in json.dumps(by_exercise["1.1"]), graded.output[-3000:]


def test_a_recursion_limit_above_the_cap_is_capped_and_restored():
    import sys

    from autograder.engine import global_state

    before = sys.getrecursionlimit()
    global_state.cap_recursion()
    try:
        sys.setrecursionlimit(10 ** 8)
        assert sys.getrecursionlimit() == global_state.RECURSION_CAP
    finally:
        global_state.forget_internals()  # takes the cap away again
        sys.setrecursionlimit(before)
    sys.setrecursionlimit(before + 1)
    assert sys.getrecursionlimit() == before + 1
    sys.setrecursionlimit(before)


KEY = os.urandom(32)


def test_only_the_childs_own_lines_are_read():
    line = child.seal(KEY, 0, {"e": "done", "i": 3, "s": "passed", "m": ""})
    assert child.unseal(KEY, 0, line.rstrip(b"\n")) == {"e": "done", "i": 3, "s": "passed", "m": ""}


@pytest.mark.parametrize("forged", [
    b'{"e":"done","i":3,"s":"passed","m":""}',  # unsigned
    b'{"e":"done","i":3,"s":"passed","m":""}\t' + b"0" * 32,  # a made-up digest
    b"\t\t\t", b"", b"\x00" * 100, b"x" * (child.LINE_LIMIT + 1),  # garbage, endless
], ids=["unsigned", "made-up digest", "tabs", "empty", "zeros", "too long"])
def test_a_forged_or_malformed_line_is_refused(forged):
    assert child.unseal(KEY, 0, forged) is None


def test_a_replayed_or_altered_line_is_refused():
    line = child.seal(KEY, 0, {"e": "done", "i": 3, "s": "failed", "m": "wrong"}).rstrip(b"\n")
    assert child.unseal(KEY, 1, line) is None  # the same line again, as the next one
    assert child.unseal(os.urandom(32), 0, line) is None  # another child's key
    assert child.unseal(KEY, 0, line.replace(b"failed", b"passed")) is None
    signed_list = child.seal(KEY, 0, ["not", "a", "message"]).rstrip(b"\n")  # type: ignore[arg-type]
    assert child.unseal(KEY, 0, signed_list) is None  # schema: an object with a kind
