"""Tensor-aware assertions whose failure messages teach.

Each assertion checks in the order a learner can act on: is it a tensor, then its shape, dtype, device, its graph,
and only then its values. Every message says what was called, what came back and what was expected.
`torch.testing.assert_close` is the oracle for values; it is captured here before any learner code can touch it.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch
from torch.testing import assert_close as _assert_close

from autograder.engine import mistakes
from autograder.engine.calls import Called, describe, dtype_advice
from autograder.engine.devices import DeviceFailure


def _unpack(actual: Any, what: str | None) -> tuple[Any, str]:
    if isinstance(actual, Called):
        return actual.value, what or f"Called {actual.text}."
    return actual, what or "The result"


def mistake(mistake_id: str, context: str = "") -> None:
    """Fail, naming a known mistake from the catalog (engine/mistakes.py) after `context` (what was called)."""
    raise mistakes.NamedMistake(mistake_id, context)  # the same text as before, and the id as a field


def that(condition: bool, message: str) -> None:
    """A plain assertion with a message written for the learner."""
    if not condition:
        raise AssertionError(message)


def close(actual: Any, expected: Any, *, what: str | None = None, rtol: float | None = None,
          atol: float | None = None, check_dtype: bool = True) -> None:
    """Compare a result with the reference's: tuples item by item, tensors by shape, dtype, device, then values."""
    value, context = _unpack(actual, what)
    if isinstance(expected, (tuple, list)):
        that(isinstance(value, (tuple, list)) and len(value) == len(expected),
             f"{context}\nIt returned {describe(value)}; expected a {type(expected).__name__} of {len(expected)} items.")
        for index, (got, want) in enumerate(zip(value, expected)):
            close(got, want, what=f"{context}\nItem {index} of what it returned:", rtol=rtol, atol=atol,
                  check_dtype=check_dtype)
        return
    if not isinstance(expected, torch.Tensor):
        that(value == expected, f"{context}\nIt returned {value!r}; expected {expected!r}.")
        return
    tensor_like(value, expected, what=context, check_dtype=check_dtype,
                input_dtypes=getattr(actual, "input_dtypes", None))
    if expected.is_meta:
        return  # meta tensors carry no values: shape, dtype and device were the check
    try:
        _assert_close(value.detach(), expected.detach(), rtol=rtol, atol=atol, check_dtype=check_dtype)
    except AssertionError as error:
        raise AssertionError(
            f"{context}\nThe values differ from the reference solution's.\n{error}\n"
            f"First values returned: {_preview(value)}\nFirst values expected: {_preview(expected)}"
        ) from None


def float_list(actual: Any, length: int, *, what: str | None = None, items: str = "losses") -> list[float]:
    """A list of `length` Python floats (loss histories): a list of tensors keeps every step's graph alive."""
    value, context = _unpack(actual, what)
    shown = describe(value) if not isinstance(value, list) else f"a list of {len(value)} items"
    that(isinstance(value, list) and len(value) == length, f"{context}\nIt returned {shown}; expected a list of "
         f"{length} {items}.")
    odd = sorted({type(v).__name__ for v in value if type(v) is not float})
    that(not odd, f"{context}\nThe {items} are of type {', '.join(odd)}; expected Python floats. Append "
         "loss.item(): keeping the loss tensor keeps its whole graph alive, and the list grows with every step.")
    return value


def tensor_like(value: Any, expected: torch.Tensor, *, what: str, check_dtype: bool = True,
                input_dtypes: tuple | None = None) -> None:
    """Type, shape, dtype and device of `value` equal those of `expected`, each with its own message."""
    that(isinstance(value, torch.Tensor),
         f"{what}\nIt returned {describe(value)}; expected a tensor like {describe(expected)}.")
    if value.shape != expected.shape:
        raise AssertionError(f"{what}\nIt returned shape {tuple(value.shape)}; expected shape "
                             f"{tuple(expected.shape)}.{_shape_mistake(value.shape, expected.shape)}")
    if check_dtype:
        that(value.dtype == expected.dtype,
             f"{what}\nIt returned dtype {value.dtype}; expected {expected.dtype}. "
             f"{dtype_advice(expected.dtype, input_dtypes)}")
    if value.device != expected.device:
        raise DeviceFailure(
            f"{what}\nIt returned a tensor on {value.device}; expected one on {expected.device}, the device of the "
            "input. Create new tensors with device=x.device, and keep the result of .to(device).")


def _shape_mistake(got: torch.Size, want: torch.Size) -> str:
    if len(got) == 2 and got[0] == got[1] and want in (torch.Size([got[0]]), torch.Size([got[0], 1])):
        return " " + mistakes.describe("broadcast_n1_n")
    if tuple(got) == tuple(reversed(want)) and got != want:
        return " " + mistakes.describe("dims_swapped")
    return ""


def _preview(tensor: torch.Tensor, count: int = 6) -> str:
    flat = tensor.detach().reshape(-1)[:count].tolist()
    return "[" + ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in flat) + \
        (", ...]" if tensor.numel() > count else "]")


def unchanged(tensor: torch.Tensor, original: torch.Tensor, version: int, *, what: str) -> None:
    """The learner's code must not modify its input in place."""
    that(tensor._version == version and torch.equal(tensor, original),
         f"{what}\n{mistakes.describe('input_modified_in_place')}")


def connected(output: Any, inputs: Mapping[str, torch.Tensor], *, what: str | None = None) -> None:
    """The output has a graph back to every named input: no .item(), .detach(), .data or torch.tensor(...) in between."""
    value, context = _unpack(output, what)
    hint = mistakes.describe("graph_broken")
    that(isinstance(value, torch.Tensor) and value.grad_fn is not None,
         f"{context}\nThe result has no grad_fn: autograd cannot differentiate it. {hint}")
    for name, tensor in inputs.items():
        grads = torch.autograd.grad(value.sum(), [tensor], retain_graph=True, allow_unused=True)
        that(grads[0] is not None, f"{context}\nThe result does not depend on `{name}` as far as autograd can see. {hint}")


def gradients_correct(function, inputs: Mapping[str, torch.Tensor], *, what: str) -> None:
    """float64 gradcheck of function(**inputs); on failure, name the argument and the index that disagree."""
    from autograder.engine.gradients import gradcheck_message

    message = gradcheck_message(function, inputs)
    if message:
        raise AssertionError(f"{what}\n{message}")
