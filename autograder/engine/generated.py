"""Checks on inputs drawn by hypothesis: many cases per check, and still the same grade on every run.

    @standardize.check(points=2, clauses=["values"])
    @generated.examples(x=strategies.tensors(shapes=strategies.shapes(2)), max_examples=15)
    def test_1_2_matches_reference(learner, reference, x):
        ...

The settings make a grade deterministic and bounded: `derandomize=True` draws the same examples every run (the seed
comes from the test's name), no example database is read or written (a learner's earlier failures never change
today's grade), no deadline (a busy machine is not a failure), and a fixed number of examples. When a check fails,
hypothesis shrinks the input and the failure message ends with the smallest failing input it found, described the
way the rest of the report describes values.

Drawing is most of a check's cost (hypothesis's engine and strategies, not the check), and it does not depend on
the code graded: hypothesis draws the same examples for a check that passes whatever the check does with them. So a
check's examples are drawn once per process (`record`), without running the check, and each run replays fresh
copies of them, each under the seeded `random` that hypothesis gives an example. Only when one fails does hypothesis
run the check itself: it meets the same failing example, shrinks it, and the message shows the smallest one. The
class grader records every check before it forks a child per student, so no student pays for drawing. And the kit
ships the examples of most checks already drawn (engine/example_store.py), so a run that finds them stored does
not draw at all.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import inspect
from typing import Any, Callable

import hypothesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Flaky
from hypothesis.internal.entropy import deterministic_PRNG  # the seeding hypothesis applies around each example

from autograder.engine import edition, example_store
from autograder.engine.calls import describe, is_unwritten_stub

DEFAULT_EXAMPLES = 12


def _no_local_constants() -> None:
    """Hypothesis mixes into its draws constants it finds in the "local" modules loaded so far (any file outside the
    standard library and site-packages): the checks, the reference, the learner's own file. So a check drew other
    inputs after another chapter was imported, or when the learner's code held other numbers, and `--exercise 1.1`
    could grade 1.1 on other inputs than a whole run did. Its own edge values (0, -0.0, inf, nan, the extremes of each
    type) stay; the checks name the values they need themselves (engine/strategies.py)."""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError:  # a hypothesis without local constants draws the same either way
        return
    if hasattr(providers, "_get_local_constants"):
        empty = Constants()
        providers._get_local_constants = lambda: empty


_no_local_constants()


def examples(max_examples: int = DEFAULT_EXAMPLES, **strategies) -> Callable:
    """Run the decorated check once per drawn example; its other arguments stay pytest fixtures."""

    def decorate(test: Callable) -> Callable:
        drawn: dict[str, Any] = {}
        stopped: list[BaseException] = []  # the time limit's own exception, if it fired inside an example
        recording: list[dict[str, Any]] | None = None  # while drawing without running: the examples drawn
        recorded: list = []  # [] until drawn; then [examples], or [None] when they cannot be replayed

        @functools.wraps(test)
        def one_example(*args, **kwargs):
            if recording is not None:
                recording.append({name: kwargs[name] for name in strategies})
                return None
            drawn.clear()
            drawn.update({name: kwargs[name] for name in strategies})
            try:
                return test(*args, **kwargs)
            except BaseException as error:
                if not isinstance(error, Exception):  # pytest-timeout's Failed, KeyboardInterrupt, SystemExit
                    stopped.append(error)
                raise

        run_all = settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
                           phases=(Phase.explicit, Phase.generate, Phase.shrink), print_blob=False,
                           report_multiple_bugs=False, suppress_health_check=list(HealthCheck))(
            given(**strategies)(one_example))
        fixtures = list(inspect.signature(run_all).parameters)

        def record(fresh: bool = False) -> list[dict[str, Any]] | None:
            """This check's examples: from the kit's store (engine/example_store.py) or drawn once (hypothesis with a
            body that only keeps what it was given). `fresh`: drawn now, whatever was stored or drawn before."""
            nonlocal recording
            if fresh:
                recorded.clear()
            elif not recorded:
                stored = example_store.stored(test)
                if stored is not None:
                    recorded.append(stored)
            if not recorded:
                recording = []
                try:
                    run_all(**dict.fromkeys(fixtures))
                    copy.deepcopy(recording)  # what cannot be copied is drawn afresh by hypothesis every run
                    recorded.append(recording)
                except Exception:  # noqa: BLE001 - a strategy that fails to draw: the hypothesis path reports it
                    recorded.append(None)
                finally:
                    recording = None
            return recorded[0]

        hidden: dict[str, list] = {}  # secret -> the examples drawn from it (the instructor's own inputs)

        def hidden_examples(secret: str) -> list:
            """`hidden_count` more examples drawn from a seed made of the instructor's secret and the check's name:
            inputs no learner edition holds, the same for every student of the class."""
            nonlocal recording
            if secret not in hidden:
                seed = int.from_bytes(hashlib.sha256(f"{secret}:{test.__module__}.{test.__qualname__}".encode())
                                      .digest()[:8], "big")
                draw = hypothesis.seed(seed)(settings(
                    max_examples=hidden_count(max_examples), database=None, deadline=None, phases=(Phase.generate,),
                    suppress_health_check=list(HealthCheck))(given(**strategies)(one_example)))
                recording = []
                try:
                    draw(**dict.fromkeys(fixtures))
                    hidden[secret] = copy.deepcopy(recording)
                finally:
                    recording = None
            return hidden[secret]

        def replay(args, kwargs) -> tuple[BaseException | None, bool]:
            """Run the check on fresh copies of the recorded examples, then on the instructor's hidden ones if a
            secret is set; (the first failure, whether it was on a hidden input), or (None, False) when all pass."""
            public = record() or []
            secret = hidden_inputs_secret()
            examples = [*public, *(hidden_examples(secret) if secret and record() is not None else [])]
            for number, example in enumerate(examples):
                try:
                    with deterministic_PRNG():
                        one_example(*args, **kwargs, **copy.deepcopy(example))
                except BaseException as failure:  # noqa: BLE001 - hypothesis runs it again to shrink it
                    if stopped:
                        raise stopped[0] from None
                    return failure, number >= len(public)
            return None, False

        @functools.wraps(run_all)
        def check(*args, **kwargs):
            stopped.clear()
            failed_on: dict[str, Any] = {}
            if record() is not None:
                failure, on_hidden_input = replay(args, kwargs)
                if failure is None:
                    return None  # every example passed, as it would have under hypothesis
                if is_unwritten_stub(failure):  # "not attempted" whatever the input: nothing for hypothesis to shrink
                    raise failure
                if on_hidden_input:  # hypothesis shrinks only the public examples: this one is shown as it is
                    raise _with_input(failure, "Failing input (one of the instructor's own)", drawn)
                if edition.is_learner_edition():  # shrinking asks the reference about inputs it never recorded
                    raise _with_input(failure, "Failing input", drawn)
                failed_on = dict(drawn)
                stopped.clear()
            try:
                run_all(*args, **kwargs)
            except BaseException as failure:
                if stopped:  # a time limit or Ctrl-C: that, not what hypothesis made of it, is the outcome
                    raise stopped[0] from None
                if isinstance(failure, Flaky):
                    raise flaky(drawn) from None
                if not isinstance(failure, AssertionError):
                    raise
                if not drawn:  # it failed before any example was drawn: there is no input to show
                    raise
                # Hypothesis replays the smallest failing example last, so `drawn` holds it now.
                raise _with_input(failure, "Smallest failing input found", drawn) from None
            if failed_on:  # the replay failed where hypothesis, on the same examples, passed
                raise flaky(failed_on)
            return None

        # pytest must see the fixtures only, not the drawn arguments (hypothesis's own signature already hides them).
        check.__signature__ = inspect.signature(run_all)
        check.hypothesis_strategies = strategies
        check.record_examples = record
        check.record_hidden_examples = lambda: hidden_inputs_secret() and record() is not None and \
            hidden_examples(hidden_inputs_secret())
        return check

    return decorate


_HIDDEN_INPUTS: list[str] = []  # the instructor's secret, when one is set (plugin.py: --hidden-inputs)


def use_hidden_inputs(secret: str | None) -> None:
    """Also run every drawn check on examples drawn from `secret` (grade-class, the Gradescope bundle)."""
    _HIDDEN_INPUTS[:] = [secret] if secret else []


def hidden_inputs_secret() -> str | None:
    return _HIDDEN_INPUTS[0] if _HIDDEN_INPUTS else None


def hidden_count(max_examples: int) -> int:
    """How many hidden examples a check with `max_examples` public ones runs: a third more, at least two."""
    return max(2, max_examples // 3)


def flaky(drawn: dict[str, Any]) -> AssertionError:
    """The failure for an input that failed once and passed another time."""
    return AssertionError(f"The same input gave a failure once and a pass another time ({describe_drawn(drawn)}). "
                          "Is the code random without a seed, or does it keep state from one call to the next?")


def _with_input(failure: BaseException, label: str, drawn: dict[str, Any]) -> BaseException:
    """The failure with the drawn input it failed on appended (an assertion's), else the failure itself."""
    if not isinstance(failure, AssertionError) or not drawn:
        return failure
    return _same_kind(failure, f"{failure}\n{label}: {describe_drawn(drawn)}")


def _same_kind(failure: AssertionError, message: str) -> AssertionError:
    """The failure with the input appended, of the same class (the report tells device failures apart by class)."""
    try:
        return type(failure)(message)
    except Exception:  # noqa: BLE001 - a subclass with another constructor: a plain AssertionError says the same
        return AssertionError(message)


def describe_drawn(drawn: dict[str, Any]) -> str:
    return ", ".join(f"{name}={describe_value(value)}" for name, value in drawn.items()) or "(none)"


def describe_value(value: Any) -> str:
    """A tensor by dtype, shape and device and, when small, its values; anything else as the report describes it."""
    import torch

    if isinstance(value, torch.Tensor) and value.numel() <= 12 and not value.is_meta:
        return f"{describe(value)} = {value.detach().cpu().tolist()}"
    return describe(value)
