# Generated from solutions/ch02_autograd.py by `coursekit stubs` (stub b47910b62213). This file is yours: fill in each exercise, then run `pytest autograder`.
"""Chapter 02: autograd. Gradients from PyTorch, by hand, and by finite differences; one SGD step.

Guide: docs/en/chapters/ch02-autograd.md
"""
from __future__ import annotations

from typing import Callable, Iterable

import torch
from torch import Tensor


def gradient(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Exercise 2.1: the gradient of a scalar function f at x, computed with torch.autograd.grad.

    x: a float32 or float64 tensor of any shape, on any device, with or without requires_grad.
    Returns df/dx: a tensor of x's shape, dtype and device.
    x's values and x.grad are left as they were: use torch.autograd.grad (which returns gradients) rather than
    .backward() (which accumulates them into .grad).
    x.requires_grad is left as it was: differentiate at a fresh leaf, never call x.requires_grad_() on the caller's x.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 2.1 is not written yet. Guide: docs/en/chapters/ch02-autograd.md#ex-2-1")


def linear_regression_mse_gradients(X: Tensor, y: Tensor, w: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Exercise 2.2: gradients of the mean squared error of a linear model, by the formula (no autograd: it is
    called under torch.no_grad()).

    X: (N, D), y: (N,), w: (D,), b: () scalar tensor; all float32 or all float64, on one device.
    r = X @ w + b - y                                   (N,)
    L = mean(r^2)
    dL/dw = (2 / N) * X^T r                             (D,)
    dL/db = (2 / N) * sum(r)                            ()
    Returns the tuple (dL/dw, dL/db), in the inputs' dtype and on their device.
    Computed in the inputs' dtype: float64 inputs give float64-accurate results.
    No autograd inside either: no tensor made during the call may require grad (torch.enable_grad() is no way out).
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 2.2 is not written yet. Guide: docs/en/chapters/ch02-autograd.md#ex-2-2")


def numerical_gradient(f: Callable[[Tensor], Tensor], x: Tensor, eps: float = 1e-6) -> Tensor:
    """Exercise 2.3: the gradient of a scalar function f at x by central differences, in float64.

    grad[i] = (f(x + eps * e_i) - f(x - eps * e_i)) / (2 * eps),  e_i the i-th unit vector.
    x: a float32 or float64 tensor of any shape; f returns a 0-dim tensor. eps defaults to 1e-6.
    Work on a float64 copy of x (float32 cannot resolve eps = 1e-6); return a float64 tensor shaped like x.
    x must be left as it was.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 2.3 is not written yet. Guide: docs/en/chapters/ch02-autograd.md#ex-2-3")


def sgd_step(params: Iterable[Tensor], lr: float) -> None:
    """Exercise 2.4: one step of plain gradient descent, p <- p - lr * p.grad, then clear the gradients.

    params: any iterable of float32 or float64 leaf tensors (a list, or a generator such as model.parameters(),
    which can be walked only once), on any device.
    Update each parameter in place under torch.no_grad(), so it stays the same leaf tensor with requires_grad=True;
    the update goes through autograd's version counter (p._version increases: never through p.data), and is
    computed in the parameter's dtype: float64 parameters give float64-accurate results;
    skip parameters whose .grad is None; afterwards set every .grad to None (or zero it) so the next backward
    starts from zero instead of accumulating.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 2.4 is not written yet. Guide: docs/en/chapters/ch02-autograd.md#ex-2-4")
