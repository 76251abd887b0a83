"""Counting the tensor operations a call performs: how the checks tell vectorized code from a Python loop."""
from __future__ import annotations

from typing import Callable

from torch.utils._python_dispatch import TorchDispatchMode


class _Counter(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += 1
        return func(*args, **(kwargs or {}))


def count_operations(function: Callable, *args, **kwargs) -> int:
    """How many aten operations function(*args, **kwargs) dispatches."""
    with _Counter() as counter:
        function(*args, **kwargs)
    return counter.count
