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
    ### BEGIN SOLUTION
    if pred.shape != target.shape:
        raise ValueError(f"mse_loss: pred has shape {tuple(pred.shape)} but target has shape {tuple(target.shape)}; "
                         "they must match (reshape one of them first)")
    if reduction not in REDUCTIONS:
        raise ValueError(f"mse_loss: reduction must be one of {REDUCTIONS}, not {reduction!r}")
    loss = (pred - target) ** 2  # same shape as pred
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    if logits.shape != targets.shape:
        raise ValueError(f"bce_with_logits: logits have shape {tuple(logits.shape)} but targets have shape "
                         f"{tuple(targets.shape)}; they must match")
    if reduction not in REDUCTIONS:
        raise ValueError(f"bce_with_logits: reduction must be one of {REDUCTIONS}, not {reduction!r}")
    # torch.maximum passes half the gradient to each side of a tie, so at z = 0 exactly the gradient is still
    # sigmoid(0) - y (clamp or relu would pass all of it or none, and abs passes none).
    positive_part = torch.maximum(logits, torch.zeros_like(logits))
    loss = positive_part - logits * targets + torch.log1p(torch.exp(-logits.abs()))  # same shape as logits
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    if reduction not in REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {REDUCTIONS}, not {reduction!r}")
    true_class = logits.gather(1, targets[:, None]).squeeze(1)  # (N,)
    loss = torch.logsumexp(logits, dim=1) - true_class  # (N,)
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss
    ### END SOLUTION
