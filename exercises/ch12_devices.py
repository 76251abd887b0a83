# Generated from solutions/ch12_devices.py by `coursekit stubs` (stub 40e93f9404bb). This file is yours: fill in each exercise, then run `pytest autograder`.
"""Chapter 12: devices. Pick the best device, move whole batches there, and write code that runs on any of them.

Guide: docs/en/chapters/ch12-devices.md
"""
from __future__ import annotations

import copy
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader


def choose_device() -> torch.device:
    """Exercise 12.1: the best device this machine offers: CUDA if available, else Apple's MPS, else the CPU.

    Returns a torch.device: torch.device("cuda"), torch.device("mps") or torch.device("cpu"). Ask PyTorch at call
    time (torch.cuda.is_available(), torch.backends.mps.is_available()); never assume a GPU is there.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 12.1 is not written yet. Guide: docs/en/chapters/ch12-devices.md#ex-12-1")


def to_device(batch: Any, device: torch.device) -> Any:
    """Exercise 12.2: a copy of `batch` with every tensor in it moved to `device`, however deeply nested.

    Tensors become tensor.to(device). Dicts (OrderedDict and other dict subclasses too), lists and tuples become new
    containers of the same type (a namedtuple stays the same namedtuple) whose items are moved the same way,
    recursively. Anything else (ints, strings, None)
    is returned as it is. The caller's batch and its containers are left unchanged.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 12.2 is not written yet. Guide: docs/en/chapters/ch12-devices.md#ex-12-2")


class MaskedMeanPool(nn.Module):
    """Exercise 12.3: average padded sequences over their real time steps only, on whatever device x is on."""

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        """The mean over the first lengths[b] time steps of every sequence b; padding is ignored.

        x: (B, T, D) padded sequences, lengths: (B,) integers in [1, T], on the same device as x.
            mask[b, t] = 1 if t < lengths[b] else 0                     (B, T)
            out[b]     = sum_t mask[b, t] * x[b, t] / lengths[b]        (B, D), dtype of x
        Build the mask with tensor operations on x's device (no Python loop over the batch): a tensor created
        without device= lands on the default device, not beside x.
        """
        # YOUR CODE HERE
        raise NotImplementedError("Exercise 12.3 is not written yet. Guide: docs/en/chapters/ch12-devices.md#ex-12-3")


def predict(model: nn.Module, loader: DataLoader, device: torch.device) -> Tensor:
    """Exercise 12.4: the model's outputs for every sample of `loader`, in order, as one tensor on `device`.

    The model already sits on `device`; the loader yields (inputs, targets) batches on the cpu (targets are not
    needed). Switch to eval mode, turn off gradient tracking, move each batch's inputs to `device`, and concatenate
    the outputs along dim 0:  (N, ...) for N samples. Nothing may assume a particular device.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 12.4 is not written yet. Guide: docs/en/chapters/ch12-devices.md#ex-12-4")
