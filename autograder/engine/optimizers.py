"""Step-by-step equivalence of a learner's optimizer with torch.optim, PyTorch being the oracle (MISTAKES.md B1).

Both optimizers get the same seeded parameters in two parameter groups (the second overriding some hyperparameters),
then the same gradients for several steps: gradients that change size and sign from step to step, and the first
parameter without a gradient on one step (it must be skipped, and the loop must go on to the next one). Parameters are compared after every step, and the first
difference is explained: a wrong first step points at the update formula, a later one at the state kept between
steps, a difference only in the second group at hyperparameters read from the wrong place.
"""
from __future__ import annotations

import contextlib
from typing import Callable

import torch
from torch.testing import assert_close as _assert_close

from autograder.engine.calls import describe
from autograder.engine.devices import DeviceFailure, MixedDevicesError, SameDeviceChecker

# Building the first optimizer of a process imports torch._dynamo (seconds on a busy machine). Do it now, while the
# checks are collected: inside a check it would count against the check's time limit, and a timeout that interrupts
# the import leaves torch._dynamo half-imported, failing every later optimizer check of the run.
torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.0)

# Group 0 holds parameters 0 and 1, group 1 holds parameter 2. Parameter 2 has the shape of parameter 0, so state
# kept by position in the group ("the first parameter's buffer") is silently shared instead of raising.
SHAPES = ((3,), (5, 2), (3,))
GROUP_OF = (0, 0, 1)
SCALES = (1.0, -0.3, 2.5, -0.7, 1.4)  # the gradients' size and sign change every step
# (parameter, step index): parameter 0 has grad None on the third step. The first of its group, so that `break` for
# `continue` (every later parameter of the group skipped too) changes parameter 1.
NO_GRADIENT = (0, 2)


def seeded_parameters(device="cpu", dtype=torch.float64, seed=0) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=generator, dtype=dtype).to(device).requires_grad_(True) for shape in SHAPES]


def seeded_gradients(step: int, device="cpu", dtype=torch.float64, seed=0) -> list[torch.Tensor | None]:
    generator = torch.Generator().manual_seed(1000 * (seed + 1) + step)
    grads = [(torch.randn(shape, generator=generator, dtype=dtype) * SCALES[step % len(SCALES)]).to(device)
             for shape in SHAPES]
    return [None if (index, step) == NO_GRADIENT else g for index, g in enumerate(grads)]


def grouped(params: list[torch.Tensor], overrides: dict) -> list[dict]:
    return [{"params": params[:2]}, {"params": params[2:], **overrides}]


def run_step(optimizer, text: str) -> None:
    """optimizer.step(), with learner errors turned into feedback and meta runs under the same-device checker."""
    on_meta = any(p.is_meta for group in optimizer.param_groups for p in group["params"])
    try:
        with SameDeviceChecker() if on_meta else contextlib.nullcontext():
            optimizer.step()
    except NotImplementedError:
        raise
    except MixedDevicesError as error:
        raise DeviceFailure(f"{text}\nstep() failed: {error}") from None
    except Exception as error:  # noqa: BLE001 - any learner error becomes feedback
        raise AssertionError(f"{text}\nstep() raised {type(error).__name__}: {error}") from error


def build(factory: Callable, groups: list[dict], text: str):
    try:
        return factory(groups)
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001
        raise AssertionError(f"{text}\nBuilding it raised {type(error).__name__}: {error}") from error


def compare_with_oracle(make_learner: Callable, make_oracle: Callable, *, setup: str, overrides: dict,
                        device="cpu", steps: int = 4, dtype=torch.float64, seed: int = 0,
                        first_step_hint: str = "", later_step_hint: str = "") -> None:
    """Run the learner's optimizer and torch's side by side; fail at the first parameter that differs.

    make_learner / make_oracle: param groups -> optimizer. setup: how both were built, for the messages.
    overrides: the hyperparameters group 1 sets for itself.
    """
    device = torch.device(device)
    mine, theirs = seeded_parameters(device, dtype, seed), seeded_parameters(device, dtype, seed)
    shown = ", ".join(f"{k}={v}" for k, v in overrides.items())
    text = (f"Built {setup} on {len(SHAPES)} {str(dtype).replace('torch.', '')} parameters on {device} in two "
            f"parameter groups (group 1 sets {shown}), and ran {steps} steps with gradients that change size and sign "
            f"(parameter {NO_GRADIENT[0]} has no gradient at step {NO_GRADIENT[1] + 1}), next to torch.optim.")
    learner_optimizer = build(make_learner, grouped(mine, overrides), text)
    oracle = make_oracle(grouped(theirs, overrides))
    for step in range(steps):
        for params in (mine, theirs):
            for p, g in zip(params, seeded_gradients(step, device, dtype, seed)):
                p.grad = None if g is None else g.clone()
        run_step(learner_optimizer, text)
        oracle.step()
        for index, (got, want) in enumerate(zip(mine, theirs)):
            where = (f"{text}\nAfter step {step + 1}, parameter {index} (group {GROUP_OF[index]}, shape "
                     f"{tuple(want.shape)})")
            _same(got, want, where, lambda: _diagnosis(step, index, mine, theirs, first_step_hint, later_step_hint))


def _same(got: torch.Tensor, want: torch.Tensor, where: str, diagnosis: Callable[[], str]) -> None:
    if not isinstance(got, torch.Tensor) or got.shape != want.shape or got.dtype != want.dtype \
            or got.device != want.device:
        failure = DeviceFailure if isinstance(got, torch.Tensor) and got.device != want.device else AssertionError
        raise failure(f"{where} is {describe(got)}; expected {describe(want)}. Update the parameter in place "
                             "(p.add_(...), p.mul_(...)) so it keeps its shape, dtype and device.")
    if want.is_meta:
        return
    try:
        _assert_close(got.detach(), want.detach())
    except AssertionError as error:
        raise AssertionError(f"{where} differs from torch.optim's.\n{error}\nYours:     {_preview(got)}\n"
                             f"torch's:   {_preview(want)}\n{diagnosis()}".rstrip()) from None


def _diagnosis(step, index, mine, theirs, first_step_hint, later_step_hint) -> str:
    if (index, step) == NO_GRADIENT:
        return (f"Parameter {index} had no gradient (p.grad is None) at this step: skip such parameters entirely "
                "(`if p.grad is None: continue`), leaving the parameter and its state as they are.")
    if step == NO_GRADIENT[1] and index > NO_GRADIENT[0] and GROUP_OF[index] == GROUP_OF[NO_GRADIENT[0]]:
        return (f"Parameter {NO_GRADIENT[0]}, before it in the same group, had no gradient at this step: skip only "
                "that parameter (`continue`), not the rest of the group (`break`).")
    others_fine = all(_close(a, b) for i, (a, b) in enumerate(zip(mine, theirs)) if GROUP_OF[i] == 0)
    if GROUP_OF[index] == 1 and others_fine:
        return ("Group 0 matches but group 1, which sets its own hyperparameters, does not: read every "
                "hyperparameter from the group you are updating (group['lr'] inside `for group in "
                "self.param_groups`), not from self.defaults; and keep state per parameter (self.state[p]), not by "
                "position in the group.")
    if step == 0:
        return ("Already the first step differs, so the update formula itself is off. " + first_step_hint).rstrip()
    return (f"Step 1 matched, so the formula is right for a fresh state; what carries over from step to step is "
            f"not. " + later_step_hint).rstrip()


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    try:
        _assert_close(a.detach(), b.detach())
    except AssertionError:
        return False
    return True


def _preview(tensor: torch.Tensor, count: int = 5) -> str:
    flat = tensor.detach().reshape(-1)[:count].tolist()
    return "[" + ", ".join(f"{v:.6g}" for v in flat) + (", ...]" if tensor.numel() > count else "]")
