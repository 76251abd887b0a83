"""Do checks on hypothesis-drawn inputs report what happened: the smallest failing input, a time limit as a time
limit (not as hypothesis's FlakyFailure), and an input that fails only sometimes as such? And does replaying the
examples drawn once give each run exactly what hypothesis itself would: the same inputs, fresh, under the same seeded
`random`?"""
from __future__ import annotations

import random

import pytest
from _pytest.outcomes import Failed
from hypothesis import strategies as st

from autograder.engine import generated


def test_a_failure_names_the_smallest_failing_input():
    @generated.examples(n=st.integers(0, 1000), max_examples=30)
    def check(n):
        assert n < 10, f"got {n}"

    with pytest.raises(AssertionError, match=r"Smallest failing input found: n=10\b"):
        check()


def test_the_same_examples_every_run():
    def drawn_once() -> list[int]:
        seen = []

        @generated.examples(n=st.integers(0, 10**6), max_examples=8)
        def check(n):
            seen.append(n)

        check()
        return seen

    first, second = drawn_once(), drawn_once()
    assert first == second and len(set(first)) > 1


def test_a_time_limit_inside_an_example_stays_a_time_limit():
    calls = []

    @generated.examples(n=st.integers(0, 100), max_examples=20)
    def check(n):
        calls.append(n)
        if len(calls) == 3:
            raise Failed("Timeout >10.0s")

    with pytest.raises(Failed, match="Timeout"):
        check()


def test_an_input_that_fails_only_sometimes_is_named_so():
    state = {"calls": 0}

    @generated.examples(n=st.integers(0, 100), max_examples=20)
    def check(n):
        state["calls"] += 1
        assert state["calls"] > 1, "only the very first call fails"

    with pytest.raises(AssertionError, match="failure once and a pass another time"):
        check()


def test_a_replay_gives_the_check_what_hypothesis_gives_it():
    seen: list[tuple] = []

    @generated.examples(xs=st.lists(st.integers(-5, 5), max_size=4), max_examples=15)
    def check(xs):
        seen.append((tuple(xs), random.random()))  # the inputs, and the seeded random hypothesis gives an example
        xs.append(99)  # a check (or learner code) that changes its input must not change the next run's

    check()
    replayed = list(seen)
    check()
    assert seen[len(replayed):] == replayed, "two replays differ"
    seen.clear()
    check.__wrapped__()  # hypothesis itself, drawing as it goes
    assert seen == replayed and len(set(seen)) > 1


def test_examples_are_drawn_once_per_process():
    draws = []

    @st.composite
    def counted(draw):
        draws.append(1)
        return draw(st.integers(0, 9))

    @generated.examples(n=counted(), max_examples=5)
    def check(n):
        pass

    assert check.record_examples() is check.record_examples()
    drawn = len(draws)
    check()
    check()
    assert len(draws) == drawn > 0


def test_a_failing_replay_is_shrunk_by_hypothesis_to_the_same_failure():
    @generated.examples(xs=st.lists(st.integers(0, 1000), min_size=1, max_size=6), max_examples=40)
    def check(xs):
        assert sum(xs) < 500, f"sum {sum(xs)}"

    assert any(sum(e["xs"]) >= 500 for e in check.record_examples())  # the replay meets a failure first
    with pytest.raises(AssertionError, match=r"(?s)^sum 500\b.*Smallest failing input found: xs=\[500\]$"):
        check()


def test_a_stub_fails_on_its_first_example_and_hypothesis_does_not_shrink_it():
    """An untouched stub raises the same NotImplementedError on every input, and the report says "not attempted"
    without an input: running hypothesis again to shrink one was a third of a first run on untouched stubs."""
    calls = []

    @generated.examples(n=st.integers(0, 100), max_examples=20)
    def check(n):
        calls.append(n)
        raise NotImplementedError("Exercise 1.1 (add_bias_column) is not written yet")

    check.record_examples()
    with pytest.raises(NotImplementedError, match="is not written yet"):
        check()
    assert len(calls) == 1


def test_any_other_error_is_still_rerun_by_hypothesis():
    calls = []

    @generated.examples(n=st.integers(0, 100), max_examples=20)
    def check(n):
        calls.append(n)
        raise NotImplementedError("torch has no kernel for this")  # torch's, not the stub's: a real failure

    check.record_examples()
    with pytest.raises(NotImplementedError, match="no kernel"):
        check()
    assert len(calls) > 1


def test_what_else_is_loaded_never_changes_the_examples(tmp_path, monkeypatch):
    """Hypothesis would mix constants from every "local" module loaded (a learner's own file included) into its
    draws; the engine switches that off, so a check draws the same inputs whatever was imported before it."""
    import importlib
    import sys

    @generated.examples(n=st.integers(0, 10**9), max_examples=200)
    def check(n):
        pass

    before = [e["n"] for e in check.record_examples(fresh=True)]
    (tmp_path / "learner_constants.py").write_text(
        "CONSTANTS = [" + ", ".join(str(123456789 + i) for i in range(5)) + "]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("learner_constants")
    try:
        after = [e["n"] for e in check.record_examples(fresh=True)]
    finally:
        sys.modules.pop("learner_constants", None)
    assert after == before and not set(after) & set(range(123456789, 123456789 + 5))


def drawn_with(secret: str | None, name: str = "check") -> list[int]:
    """The inputs a check of 9 public examples ran on, with the instructor's secret set to `secret`."""
    seen = []

    def check(n):
        seen.append(n)

    check.__name__ = check.__qualname__ = name
    generated.use_hidden_inputs(secret)
    try:
        generated.examples(n=st.integers(0, 10**9), max_examples=9)(check)()
    finally:
        generated.use_hidden_inputs(None)
    return seen


def test_hidden_inputs_add_examples_no_learner_edition_holds():
    """With a secret (grade-class --hidden-inputs), every drawn check also runs on a third more examples, drawn from
    the secret: the same for every run with that secret, others for another secret, and the public ones first."""
    public = drawn_with(None)
    first, again, other = drawn_with("course-2026"), drawn_with("course-2026"), drawn_with("another course")
    assert len(public) == 9 and first[:9] == public and len(first) == 9 + generated.hidden_count(9)
    assert first == again
    hidden, hidden_other = first[9:], other[9:]
    assert hidden != hidden_other and set(hidden) - set(public)


def test_a_failure_on_a_hidden_input_is_shown_as_it_is():
    """hypothesis shrinks only the public examples; a failure on the instructor's own input names that input."""
    public, collecting = [], [True]

    @generated.examples(n=st.integers(0, 10**9), max_examples=9)
    def check(n):
        if collecting:
            public.append(n)
        else:
            assert n in public, f"got {n}"

    check()  # no secret: the public examples, which the check keeps
    collecting.clear()
    generated.use_hidden_inputs("course-2026")
    try:
        with pytest.raises(AssertionError, match=r"Failing input \(one of the instructor's own\): n=\d+"):
            check()
    finally:
        generated.use_hidden_inputs(None)
