"""The grading engine the chapters' checks share: loading, assertions, devices, global state, reports."""
from autograder.engine.calls import Called, call
from autograder.engine.exercises import Exercise
from autograder.engine import expect

__all__ = ["Called", "Exercise", "call", "expect"]
