# Generated from solutions/ch02_autograd.py by `coursekit stubs` (stub 3ec723c4fd89). This file is yours: fill in each exercise, then run `pytest autograder`.
"""Chapter 02: autograd. Gradients from PyTorch, by hand, and by finite differences; one SGD step.

Guide: docs/en/chapters/ch02-autograd.md
"""
from __future__ import annotations

from typing import Callable, Iterable

import torch
from torch import Tensor


def gradient(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Exercise 2.1: the gradient of a scalar function f at x, computed with torch.autograd.grad.

    Returns df/dx, a tensor shaped like x. x.grad and x.requires_grad must be left as they were: use
    torch.autograd.grad (which returns gradients) rather than .backward() (which accumulates them into .grad).
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 2.1 is not written yet. Guide: docs/en/chapters/ch02-autograd.md#ex-2-1")


def linear_regression_mse_gradients(X: Tensor, y: Tensor, w: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Exercise 2.2: gradients of the mean squared error of a linear model, by the formula (no autograd).

    X: (N, D), y: (N,), w: (D,), b: () scalar tensor.
    r = X @ w + b - y                                   (N,)
    L = mean(r^2)
    dL/dw = (2 / N) * X^T r                             (D,)
    dL/db = (2 / N) * sum(r)                            ()
    Returns (dL/dw, dL/db).
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 2.2 is not written yet. Guide: docs/en/chapters/ch02-autograd.md#ex-2-2")


def numerical_gradient(f: Callable[[Tensor], Tensor], x: Tensor, eps: float = 1e-6) -> Tensor:
    """Exercise 2.3: the gradient of a scalar function f at x by central differences, in float64.

    grad[i] = (f(x + eps * e_i) - f(x - eps * e_i)) / (2 * eps),  e_i the i-th unit vector.
    Work on a float64 copy of x (float32 cannot resolve eps = 1e-6); return a float64 tensor shaped like x.
    x must be left as it was.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 2.3 is not written yet. Guide: docs/en/chapters/ch02-autograd.md#ex-2-3")


def sgd_step(params: Iterable[Tensor], lr: float) -> None:
    """Exercise 2.4: one step of plain gradient descent, p <- p - lr * p.grad, then clear the gradients.

    Update each parameter in place under torch.no_grad(), so it stays the same leaf tensor with requires_grad=True;
    skip parameters whose .grad is None; afterwards set every .grad to None (or zero it) so the next backward
    starts from zero instead of accumulating.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 2.4 is not written yet. Guide: docs/en/chapters/ch02-autograd.md#ex-2-4")
