"""Spies for checking loops: what mode a model ran in, what a callable was given, and losses that survive meta.

- ModeSpy wraps a module and logs (module.training, torch.is_grad_enabled()) on every forward (MISTAKES.md B6):
  it tells a loop that never called model.train() / model.eval(), or evaluated with gradients on.
- Recorder wraps a callable and logs the arguments of every call: it tells whether fit used the functions it was
  given, how many epochs it ran and on which device.
- valueless_on_meta wraps a loss or metric so that a loop calling `.item()` or `float(...)` on its result can still
  run on the meta device: meta tensors have no values, so there `.item()` returns nan instead of raising.
- state_of / expect_same_state compare every parameter and buffer of two models, with messages that name them.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch import nn

from autograder.engine import expect


class ModeSpy(nn.Module):
    """Forward to `inner`, logging (self.training, torch.is_grad_enabled()) for every call in `records`."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner
        self.records: list[tuple[bool, bool]] = []

    def forward(self, *args, **kwargs):
        self.records.append((self.training, torch.is_grad_enabled()))
        return self.inner(*args, **kwargs)

    def describe(self) -> str:
        """The records as a learner reads them: one entry per forward call."""
        shown = [f"({'train' if training else 'eval'} mode, grad {'on' if grad else 'off'})"
                 for training, grad in self.records[:6]]
        more = f", ... ({len(self.records)} calls)" if len(self.records) > 6 else ""
        return ", ".join(shown) + more if shown else "no forward call at all"


class Recorder:
    """Call `function`, remembering each call's positional and keyword arguments in `calls`."""

    def __init__(self, function: Callable, name: str | None = None):
        self.function = function
        self.calls: list[tuple[tuple, dict]] = []
        self.__name__ = name or getattr(function, "__name__", "function")

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return self.function(*args, **kwargs)


class ValuelessOnMeta(torch.Tensor):
    """A meta tensor whose `.item()` and `float()` give nan: there is no value to read, but the loop may go on."""

    def item(self) -> float:
        return math.nan if self.is_meta else super().item()

    def __float__(self) -> float:
        return math.nan if self.is_meta else super().__float__()


def valueless_on_meta(function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a loss or metric: on meta its tensor result becomes ValuelessOnMeta (still attached to the graph)."""

    def wrapped(*args, **kwargs):
        result = function(*args, **kwargs)
        if isinstance(result, torch.Tensor) and result.is_meta:
            return result.as_subclass(ValuelessOnMeta)
        return result

    wrapped.__name__ = getattr(function, "__name__", "loss_fn")
    return wrapped


def state_of(model: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of every parameter and buffer, detached: later training cannot change it."""
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def expect_same_state(model: nn.Module, expected: dict[str, torch.Tensor], *, what: str, hint: str = "",
                      rtol: float | None = None, atol: float | None = None) -> None:
    """Every parameter and buffer of `model` equals `expected` (shape, dtype, device, then values)."""
    got = model.state_dict()
    for name, want in expected.items():
        expect.that(name in got, f"{what}\nThe model has no `{name}` any more.")
        expect.close(got[name], want, what=f"{what}\nParameter or buffer `{name}` of the model afterwards:"
                     + (f"\n{hint}" if hint else ""), rtol=rtol, atol=atol)
