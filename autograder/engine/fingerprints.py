"""What a value is, as bytes: the key under which the learner edition looks up the reference's recorded answer.

The learner edition (engine/recorded_reference.py) holds no reference code; it holds what the reference returned
when the kit graded the reference itself, keyed by a fingerprint of each call: the function's name, its arguments
and, for a call that drew from torch's generator, where the generator stood. Two calls with the same fingerprint get
the same answer from the reference (it is deterministic given its inputs and torch's generator), so a recorded
answer may stand in for a fresh one.

A fingerprint covers what a reference function can read: a tensor's dtype, shape, device type, `requires_grad`,
values and `.grad`; a module's class, mode, parameters and buffers (and a check's own module's public attributes);
a generator's state; torch's optimizers (hyperparameters, parameters, state) and plain DataLoaders over a
TensorDataset (batch size, order, generator); a check's own functions by name, closure and defaults; numbers by their
exact `repr` (so -0.0, nan and inf are told apart); containers item by item with their class. What it cannot cover
(the learner's or the reference's own classes, a spy that records calls, a scheduler) has no fingerprint
(`Unknown`), and a call with such an argument is not recorded: the edition leaves that check to the instructor's
grader.
"""
from __future__ import annotations

import hashlib
import math
import numbers
import types
from typing import Any

import torch
from torch import nn


class Unknown(Exception):
    """A value with no fingerprint: what the reference does with it cannot be looked up."""


_ATOMS = (type(None), bool, int, float, complex, str, bytes, torch.dtype, torch.device, torch.memory_format,
          torch.layout)
# Functions the reference may be handed that are torch's or Python's own: named, they are the same everywhere.
_NAMED_MODULES = ("torch", "math", "operator", "builtins", "functools")


def fingerprint(*values: Any) -> str:
    """A hex digest of `values`; raises Unknown when one of them has no fingerprint."""
    digest = hashlib.sha256()
    for value in values:
        _feed(digest, value, depth=0)
    return digest.hexdigest()


def rng_state() -> bytes:
    """torch's global generator, which a reference function that draws (dropout, shuffling, init) reads."""
    return bytes(torch.random.get_rng_state().numpy().tobytes())


def _feed(digest, value: Any, depth: int) -> None:
    if depth > 20:
        raise Unknown("nested too deeply")
    kind = type(value)
    digest.update(f"<{kind.__module__}.{kind.__qualname__}>".encode())
    if kind in _ATOMS:
        digest.update(repr(value).encode() if not (kind is float and math.isnan(value)) else b"nan")
    elif isinstance(value, torch.Tensor):
        _feed_tensor(digest, value, depth)
    elif isinstance(value, nn.Module):
        _feed_module(digest, value, depth)
    elif isinstance(value, torch.Generator):
        digest.update(str(value.device).encode() + bytes(value.get_state().numpy().tobytes()))
    elif isinstance(value, torch.optim.Optimizer) and kind.__module__.startswith("torch.optim"):
        _feed_optimizer(digest, value, depth)
    elif kind is torch.utils.data.DataLoader:
        _feed_loader(digest, value, depth)
    elif kind is torch.utils.data.TensorDataset:
        _feed(digest, list(value.tensors), depth + 1)
    elif isinstance(value, (tuple, list)) or kind is torch.Size:
        digest.update(str(len(value)).encode())
        for item in value:
            _feed(digest, item, depth + 1)
    elif isinstance(value, dict):
        digest.update(str(len(value)).encode())
        for key, item in value.items():
            _feed(digest, key, depth + 1)
            _feed(digest, item, depth + 1)
    elif isinstance(value, numbers.Number) and kind.__module__ == "numpy":
        digest.update(repr(value.item()).encode())
    elif callable(value) and getattr(value, "__module__", None) and str(value.__module__).split(".")[0] in _NAMED_MODULES:
        digest.update(f"{value.__module__}.{getattr(value, '__qualname__', repr(value))}".encode())
    elif isinstance(value, types.FunctionType) and _known_class_module(value.__module__):
        # a function of a check's: the same code in every edition; what it closes over and its defaults are its inputs
        digest.update(f"{value.__module__}.{value.__qualname__}".encode())
        _feed(digest, [cell.cell_contents for cell in value.__closure__ or ()], depth + 1)
        _feed(digest, (value.__defaults__, value.__kwdefaults__), depth + 1)
    else:
        raise Unknown(f"a {kind.__qualname__}")


def _feed_tensor(digest, tensor: torch.Tensor, depth: int) -> None:
    if type(tensor) not in (torch.Tensor, nn.Parameter) and not isinstance(tensor, getattr(nn, "Buffer", ())):
        raise Unknown(f"a tensor subclass {type(tensor).__qualname__}")
    digest.update(f"{tensor.dtype}{tuple(tensor.shape)}{tensor.device.type}{tensor.requires_grad}".encode())
    if tensor.device.type != "meta":  # meta holds no values: its shape and dtype are all a function can read
        data = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(data.view(torch.uint8).numpy().tobytes() if data.numel() else b"")
    if tensor.grad is not None:
        _feed(digest, tensor.grad, depth + 1)


def _known_class(kind: type) -> bool:
    """torch's own classes and the checks' (their code is the kit's, the same in every edition); not the learner's
    or the reference's, whose behaviour is what is being graded."""
    return kind.__module__.startswith("torch.") or _known_class_module(kind.__module__)


def _known_class_module(module: str) -> bool:
    return module.startswith(("autograder.test_ch", "test_ch"))


def _feed_module(digest, module: nn.Module, depth: int) -> None:
    for name, sub in module.named_modules():
        kind = type(sub)
        if not _known_class(kind):
            raise Unknown(f"a module of class {kind.__qualname__}")
        if sub._forward_hooks or sub._forward_pre_hooks or sub._backward_hooks or sub._backward_pre_hooks:
            raise Unknown(f"a module with hooks ({name or 'the model'})")
        digest.update(f"{name}:{kind.__qualname__}:{sub.training}:{sub.extra_repr()}".encode())
        if not kind.__module__.startswith("torch."):  # a check's module may keep more (a counter): that too
            _feed(digest, {key: item for key, item in vars(sub).items() if not key.startswith("_")}, depth + 1)
    for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
        digest.update(name.encode())
        _feed(digest, tensor, depth + 1)


def _feed_optimizer(digest, optimizer: torch.optim.Optimizer, depth: int) -> None:
    """Its hyperparameters per group, the values of the parameters it steps, and its state (momentum buffers...)."""
    if optimizer._optimizer_step_pre_hooks or optimizer._optimizer_step_post_hooks:
        raise Unknown("an optimizer with hooks")
    for group in optimizer.param_groups:
        _feed(digest, {key: value for key, value in group.items() if key != "params"}, depth + 1)
        _feed(digest, list(group["params"]), depth + 1)
    _feed(digest, [optimizer.state.get(p, {}) for group in optimizer.param_groups for p in group["params"]], depth + 1)


def _feed_loader(digest, loader, depth: int) -> None:
    """What a loop over it yields: the dataset, the batch size, the order (a sampler's generator state)."""
    sampler = loader.sampler
    if type(sampler).__module__ != "torch.utils.data.sampler" or loader.num_workers or \
            loader.collate_fn is not torch.utils.data.default_collate and \
            getattr(loader.collate_fn, "__module__", "") != "torch.utils.data._utils.collate":
        raise Unknown("a DataLoader with its own sampler, workers or collate_fn")
    _feed(digest, (loader.dataset, loader.batch_size, loader.drop_last, type(sampler).__qualname__,
                   getattr(sampler, "generator", None), loader.generator), depth + 1)
