"""Known-wrong and alternative-correct implementations of the exercises, one module per chapter.

Each variant is a real function, written as a learner would write it and decorated with what it is:

    @wrong("1.1", "ones column appended on the right")
    def add_bias_column(x): ...

    @correct("1.1", "indexing into torch.ones instead of torch.cat")
    def add_bias_column(x): ...

The kit's tests build a graded folder from the reference solutions with the variant's source appended (it replaces
the function or class of the same name), grade it, and require: every `wrong` variant loses points on its exercise
(and only there), every `correct` variant keeps full marks.
"""
from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Variant:
    exercise: str
    description: str
    is_correct: bool
    source: str
    chapter_module: str
    breaks: str | None = None  # the clause id (Exercise.clauses) this wrong implementation breaks, and only it

    @property
    def name(self) -> str:
        return f"{self.exercise} {'correct' if self.is_correct else 'wrong'}: {self.description}"


VARIANTS: list[Variant] = []


def _register(exercise: str, description: str, is_correct: bool, breaks: str | None = None) -> Callable:
    def decorate(thing):
        if inspect.isclass(thing):
            # inspect.getsource finds a class by name, so every variant class would get the first one's source
            # (Python < 3.13). The decorator line of the calling module pins down this one.
            caller = sys._getframe(1)
            file_lines = inspect.getsourcelines(sys.modules[thing.__module__])[0]
            source = "".join(inspect.getblock(file_lines[caller.f_lineno - 1:]))
        else:
            source = inspect.getsource(thing)
        source = _without_variant_decorators(textwrap.dedent(source))
        VARIANTS.append(Variant(exercise, description, is_correct, source, thing.__module__.rsplit(".", 1)[-1],
                                breaks))
        return thing

    return decorate


def _without_variant_decorators(source: str) -> str:
    """The source minus its @wrong(...) / @correct(...) decorator, which may span several lines."""
    node = ast.parse(source).body[0]
    dropped = set()
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") in ("wrong", "correct"):
            dropped.update(range(decorator.lineno - 1, decorator.end_lineno))
    return "\n".join(line for number, line in enumerate(source.splitlines()) if number not in dropped)


def wrong(exercise: str, description: str, breaks: str | None = None) -> Callable:
    """A known-wrong implementation (MISTAKES.md): the checks of `exercise` must take points from it.

    `breaks` names the one clause of the exercise's contract it breaks: then a check guarding that clause must be
    among those that fail (tests/test_variants.py), which proves the clause's checks can fail on their own."""
    return _register(exercise, description, is_correct=False, breaks=breaks)


def correct(exercise: str, description: str) -> Callable:
    """A correct implementation in another style: the checks of `exercise` must give it full marks."""
    return _register(exercise, description, is_correct=True)
