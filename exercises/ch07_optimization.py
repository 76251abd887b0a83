# Generated from solutions/ch07_optimization.py by `coursekit stubs` (stub ae288f811274). This file is yours: fill in each exercise, then run `pytest autograder`.
"""Chapter 07: optimization. Gradient descent, minibatch SGD, momentum, adaptive methods, Adam, AdamW, schedules.

Guide: docs/en/chapters/ch07-optimization.md
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor, nn


def full_batch_gradient_descent(model: nn.Module, loss_fn: Callable[[Tensor, Tensor], Tensor], x: Tensor, y: Tensor,
                                lr: float, steps: int) -> list[float]:
    """Exercise 7.1: plain gradient descent, every step on the gradient of the loss over the WHOLE dataset.

    For each of `steps` steps:   loss = loss_fn(model(x), y)             (x: (N, D), y: (N, ...))
                                 theta <- theta - lr * d loss / d theta   for every parameter of the model
    Update the parameters in place (they must stay the model's own leaf tensors) and zero their gradients
    before each backward() (the model may arrive with stale ones), without torch.optim.
    Returns the loss before each step, as Python floats: a list of length `steps`.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 7.1 is not written yet. Guide: docs/en/chapters/ch07-optimization.md#ex-7-1")


def minibatch_sgd(model: nn.Module, loss_fn: Callable[[Tensor, Tensor], Tensor], x: Tensor, y: Tensor, lr: float,
                  epochs: int, batch_size: int, generator: torch.Generator) -> list[float]:
    """Exercise 7.2: minibatch stochastic gradient descent: one update per minibatch, reshuffled every epoch.

    For each epoch:  order = torch.randperm(N, generator=generator)      (a fresh permutation every epoch)
                     for each slice b of `order` of length batch_size (the last one may be shorter, never dropped):
                         loss = loss_fn(model(x[b]), y[b]);  theta <- theta - lr * d loss / d theta
    Update in place without torch.optim, as in Exercise 7.1. Draw randomness only from `generator`.
    Returns the loss of every minibatch before its update, as Python floats: epochs * ceil(N / batch_size) of them.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 7.2 is not written yet. Guide: docs/en/chapters/ch07-optimization.md#ex-7-2")


class SGD(torch.optim.Optimizer):
    """Exercise 7.3: SGD with momentum, weight decay and Nesterov momentum, equal to torch.optim.SGD.

    For every parameter p with a gradient g, using the hyperparameters of p's own parameter group:
        d = g + weight_decay * p                      (L2 weight decay, added to the gradient)
        b = d                   on p's first step     (the momentum buffer, kept per parameter in self.state[p])
        b = momentum * b + d    afterwards
        d = d + momentum * b    if nesterov, else  d = b      (only when momentum != 0)
        p <- p - lr * d
    Parameters whose .grad is None are skipped (their buffer is left as it is).
    The buffer is a tensor of its own (d.clone() on the first step), never p.grad itself: zero_grad(set_to_none=False)
    and backward() overwrite p.grad in place, and would overwrite the buffer with it.
    Parameters of any floating dtype (float16 and bfloat16 included), on any device: the state tensors (a 0-dim
    step counter aside) have the parameter's shape, dtype and device. p.grad is read, never changed.
    Defaults: lr=1e-3, momentum=0, weight_decay=0, nesterov=False. Raise ValueError for a negative lr, momentum or
    weight_decay, and for nesterov=True with momentum=0 (as torch.optim.SGD does).
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"lr, momentum and weight_decay must be >= 0, got {lr}, {momentum}, {weight_decay}")
        if nesterov and momentum == 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure=None):
        """Exercise 7.3: one update of every parameter that has a gradient (see the class docstring)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # YOUR CODE HERE
        raise NotImplementedError("Exercise 7.3 is not written yet. Guide: docs/en/chapters/ch07-optimization.md#ex-7-3")
        return loss


class RMSprop(torch.optim.Optimizer):
    """Exercise 7.4: RMSprop, an adaptive method (a step size per parameter), equal to torch.optim.RMSprop.

    For every parameter p with a gradient g (hyperparameters from p's own group; s starts at zeros(p)):
        g = g + weight_decay * p
        s = alpha * s + (1 - alpha) * g^2              (moving average of squared gradients, self.state[p])
        p <- p - lr * g / (sqrt(s) + eps)              (eps added AFTER the square root)
    Parameters whose .grad is None are skipped.
    Parameters of any floating dtype (float16 and bfloat16 included), on any device: the state tensors (a 0-dim
    step counter aside) have the parameter's shape, dtype and device. p.grad is read, never changed.
    Defaults: lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0. Raise ValueError for a negative lr, eps or
    weight_decay, or an alpha outside [0, 1).
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0):
        if lr < 0 or not 0 <= alpha < 1 or eps < 0 or weight_decay < 0:
            raise ValueError(f"invalid hyperparameters: lr={lr}, alpha={alpha}, eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        """Exercise 7.4: one RMSprop update of every parameter that has a gradient (see the class docstring)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # YOUR CODE HERE
        raise NotImplementedError("Exercise 7.4 is not written yet. Guide: docs/en/chapters/ch07-optimization.md#ex-7-4")
        return loss


class Adam(torch.optim.Optimizer):
    """Exercise 7.5: Adam with bias correction (and L2 weight decay in the gradient), equal to torch.optim.Adam.

    For every parameter p with a gradient g; t counts p's own steps (1 on its first); m, v start at zeros(p):
        g = g + weight_decay * p                       (L2: the decay goes through the adaptive scaling)
        m = beta1 * m + (1 - beta1) * g                v = beta2 * v + (1 - beta2) * g^2
        m_hat = m / (1 - beta1^t)                      v_hat = v / (1 - beta2^t)       (bias correction)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)
    Keep t, m and v per parameter in self.state[p]. Parameters whose .grad is None are skipped.
    Parameters of any floating dtype (float16 and bfloat16 included), on any device: the state tensors (a 0-dim
    step counter aside) have the parameter's shape, dtype and device. p.grad is read, never changed.
    Defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0. Raise ValueError for a negative lr, eps or
    weight_decay, or a beta outside [0, 1).
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        if lr < 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"invalid hyperparameters: lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        """Exercise 7.5: one Adam update of every parameter that has a gradient (see the class docstring)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # YOUR CODE HERE
        raise NotImplementedError("Exercise 7.5 is not written yet. Guide: docs/en/chapters/ch07-optimization.md#ex-7-5")
        return loss


class AdamW(torch.optim.Optimizer):
    """Exercise 7.6: AdamW, Adam with DECOUPLED weight decay, equal to torch.optim.AdamW.

    For every parameter p with a gradient g, first shrink the weights directly (not through the gradient):
        p <- p * (1 - lr * weight_decay)
    then take the Adam step of Exercise 7.5 on the raw gradient g (no weight_decay * p added to g):
        m = beta1 * m + (1 - beta1) * g   v = beta2 * v + (1 - beta2) * g^2   (t, m, v per parameter)
        p <- p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
    Parameters whose .grad is None are skipped (neither decayed nor stepped).
    Parameters of any floating dtype (float16 and bfloat16 included), on any device: the state tensors (a 0-dim
    step counter aside) have the parameter's shape, dtype and device. p.grad is read, never changed.
    Defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2 (AdamW decays by default). Raise ValueError
    for a negative lr, eps or weight_decay, or a beta outside [0, 1).
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2):
        if lr < 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"invalid hyperparameters: lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        """Exercise 7.6: one AdamW update of every parameter that has a gradient (see the class docstring)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # YOUR CODE HERE
        raise NotImplementedError("Exercise 7.6 is not written yet. Guide: docs/en/chapters/ch07-optimization.md#ex-7-6")
        return loss


def warmup_cosine(step: int, base_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0) -> float:
    """Exercise 7.7: the learning rate for optimizer step number `step` (0 for the first) under warmup + cosine.

    step < warmup_steps:                 lr = base_lr * (step + 1) / warmup_steps        (linear warmup; never 0)
    warmup_steps <= step < total_steps:  progress = (step - warmup_steps) / (total_steps - warmup_steps)
                                         lr = min_lr + (base_lr - min_lr) * (1 + cos(pi * progress)) / 2
    step >= total_steps:                 lr = min_lr
    Returns a Python float; min_lr defaults to 0. So the first step after warmup uses base_lr, and the rate falls to
    min_lr along a cosine.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 7.7 is not written yet. Guide: docs/en/chapters/ch07-optimization.md#ex-7-7")


def train_with_schedule(model: nn.Module, loss_fn: Callable[[Tensor, Tensor], Tensor], x: Tensor, y: Tensor,
                        optimizer: torch.optim.Optimizer, scheduler: torch.optim.lr_scheduler.LRScheduler,
                        steps: int) -> tuple[list[float], list[float]]:
    """Exercise 7.8: full-batch training for `steps` steps under a learning-rate scheduler, recording the lr.

    Each step: zero the gradients, loss = loss_fn(model(x), y), backward, optimizer.step(), then scheduler.step().
    Record the learning rate each optimizer.step() actually used: optimizer.param_groups[0]["lr"] read before it.
    Returns (losses, lrs): the loss before each step and the lr of each step, both lists of `steps` Python floats.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 7.8 is not written yet. Guide: docs/en/chapters/ch07-optimization.md#ex-7-8")
