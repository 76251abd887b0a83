"""Checking that learner code refuses bad input: the right exception, or a message that says what came back instead."""
from __future__ import annotations

from typing import Callable

from autograder.engine.calls import describe, describe_call, is_unwritten_stub


def raises(exception: type[BaseException], function: Callable, *args, why: str = "", **kwargs) -> BaseException:
    """Call function(*args, **kwargs) and require it to raise `exception`; return the exception raised.

    The stub's NotImplementedError passes through untouched (the exercise is not written yet). Returning normally, or
    raising another type, fails with a message naming the call, what happened, and `why` the call must be refused.
    """
    text = describe_call(function, args, kwargs)
    try:
        value = function(*args, **kwargs)
    except NotImplementedError as error:
        if is_unwritten_stub(error):
            raise
        if issubclass(NotImplementedError, exception):
            return error
        raise AssertionError(f"Called {text}: it raised NotImplementedError: {error}\n"
                             f"Expected a {exception.__name__}. {why}".rstrip()) from None
    except exception as error:
        return error
    except Exception as error:  # noqa: BLE001 - any other learner error becomes feedback
        raise AssertionError(f"Called {text}: it raised {type(error).__name__}: {error}\n"
                             f"Expected a {exception.__name__}. {why}".rstrip()) from None
    raise AssertionError(f"Called {text}: it returned {describe(value)} instead of raising {exception.__name__}. "
                         f"{why}".rstrip())
