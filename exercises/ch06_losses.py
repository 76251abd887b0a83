# Generated from solutions/ch06_losses.py by `coursekit stubs` (stub c520fa3813bc). This file is yours: fill in each exercise, then run `pytest autograder`.
"""Chapter 06: loss functions. Mean squared error, binary and multi-class cross-entropy, written to be stable.

Guide: docs/en/chapters/ch06-losses.md
"""
from __future__ import annotations

import torch
from torch import Tensor

REDUCTIONS = ("mean", "sum", "none")


def mse_loss(pred: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Exercise 6.1: mean squared error that refuses inputs of different shapes.

    loss_i = (pred_i - target_i)^2                      elementwise, same shape as pred
    reduction="mean" (the default): the mean of all loss_i (a 0-dim tensor); "sum": their sum; "none": loss itself.

    pred and target: any shape, the same floating dtype (float16 and bfloat16 included) and device; the loss has
    that dtype and device. Use torch operations only, so autograd can differentiate the loss with respect to pred.
    Leave pred and target unchanged.
    pred and target must have exactly the same shape: a (N, 1) prediction minus a (N,) target broadcasts to
    (N, N) and gives a wrong loss without any error. Raise ValueError (saying both shapes) when the shapes
    differ, and ValueError for a reduction other than "mean", "sum" or "none".
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 6.1 is not written yet. Guide: docs/en/chapters/ch06-losses.md#ex-6-1")


def bce_with_logits(logits: Tensor, targets: Tensor, reduction: str = "mean") -> Tensor:
    """Exercise 6.2: binary cross-entropy on raw logits, stable for |logit| up to 1e4.

    With p = sigmoid(z), the loss -[y log p + (1 - y) log(1 - p)] is rewritten so nothing overflows:
    loss_i = max(z_i, 0) - z_i * y_i + log(1 + exp(-|z_i|))       elementwise, targets y_i in [0, 1]
    reduction="mean" | "sum" | "none" as in Exercise 6.1 (default "mean"). Never take log(sigmoid(z)): it is -inf
    for z = -200, and exp(-z) overflows float32 for z < -88.
    logits and targets: the same floating dtype (float16 and bfloat16 included) and device; the loss has that dtype
    and device. Keep the graph: autograd differentiates the loss with respect to the logits, finitely at any logit,
    and the gradient is sigmoid(z_i) - y_i at z_i = 0 too (mind the subgradients of max and |z| there).
    Leave logits and targets unchanged.
    Raise ValueError when logits and targets differ in shape, or for an unknown reduction.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 6.2 is not written yet. Guide: docs/en/chapters/ch06-losses.md#ex-6-2")


def cross_entropy(logits: Tensor, targets: Tensor, reduction: str = "mean") -> Tensor:
    """Exercise 6.3: cross-entropy from raw logits and integer class indices, through log-sum-exp.

    logits: (N, C) raw scores (no softmax applied), targets: (N,) integers in [0, C)
    loss_i = -log softmax(z_i)[y_i] = logsumexp_k(z_ik) - z_i[y_i]                (N,)
    logsumexp_k(z_k) = m + log(sum_k exp(z_k - m)), m = max_k z_k: stable for logits of 1000.
    reduction="mean" | "sum" | "none" as in Exercise 6.1 ("none" gives the (N,) losses; default "mean").
    logits: any floating dtype (float16 and bfloat16 included); targets int64 on the logits' device; the loss has
    the logits' dtype and device. Keep the graph: autograd differentiates the loss with respect to the logits.
    Leave logits and targets unchanged. Raise ValueError for an unknown reduction.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 6.3 is not written yet. Guide: docs/en/chapters/ch06-losses.md#ex-6-3")
