"""Calling learner code: errors become sentences, and meta-device calls run under the same-device checker."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Callable

import torch

from autograder.engine.devices import DeviceFailure, MixedDevicesError, SameDeviceChecker


@dataclass
class Called:
    """What a learner's function returned, and a description of the call for failure messages."""

    value: Any
    text: str


def describe(value: Any) -> str:
    """A short description of an argument: tensors by dtype, shape and device; containers by their items."""
    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).replace("torch.", "")
        return f"{dtype} tensor of shape {tuple(value.shape)} on {value.device}"
    if isinstance(value, torch.nn.Module):
        return f"a {type(value).__name__} module"
    if isinstance(value, (list, tuple)) and len(value) <= 4:
        inner = ", ".join(describe(v) for v in value)
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, dict) and len(value) <= 4:
        return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in value.items()) + "}"
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"


def describe_call(function: Callable, args: tuple, kwargs: dict) -> str:
    name = getattr(function, "__name__", repr(function))
    parts = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _uses_meta(values) -> bool:
    from torch.utils._pytree import tree_flatten

    leaves, _ = tree_flatten(values)
    for leaf in leaves:
        if isinstance(leaf, torch.Tensor) and leaf.is_meta:
            return True
        if isinstance(leaf, torch.nn.Module) and any(p.is_meta for p in leaf.parameters()):
            return True
    return False


def is_unwritten_stub(error: BaseException) -> bool:
    """The stub's own NotImplementedError ("Exercise N.M is not written yet"), or a bare one a learner left."""
    return isinstance(error, NotImplementedError) and (not str(error) or "is not written yet" in str(error))


def call(function: Callable, *args, **kwargs) -> Called:
    """Run learner code and return Called(value, text).

    The stub's own NotImplementedError passes through untouched: that is how the report knows an exercise was not
    attempted. Any other exception (a NotImplementedError from torch included) becomes an AssertionError that says
    what was called and what it raised.
    """
    text = describe_call(function, args, kwargs)
    checker = SameDeviceChecker() if _uses_meta((args, kwargs)) else contextlib.nullcontext()
    try:
        with checker:
            value = function(*args, **kwargs)
    except NotImplementedError as error:
        if is_unwritten_stub(error):
            raise
        raise AssertionError(f"Called {text}: it raised NotImplementedError: {error}. (Some operations have no "
                             "implementation on every device; a plainer torch operation usually does.)") from error
    except MixedDevicesError as error:
        raise DeviceFailure(f"Called {text}: {error}") from None
    except Exception as error:  # noqa: BLE001 - any learner error becomes feedback
        raise AssertionError(f"Called {text}: it raised {type(error).__name__}: {error}") from error
    return Called(value, text)
