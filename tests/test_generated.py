"""Do checks on hypothesis-drawn inputs report what happened: the smallest failing input, a time limit as a time
limit (not as hypothesis's FlakyFailure), and an input that fails only sometimes as such?"""
from __future__ import annotations

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
