# Generated from solutions/ch10_logistic_regression.py by `coursekit stubs` (stub da0ef943680e). This file is yours: fill in each exercise, then run `pytest autograder`.
"""Chapter 10: logistic regression. Training from logits, thresholded predictions, accuracy, the decision boundary.

Guide: docs/en/chapters/ch10-logistic-regression.md
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F


def train_logistic_regression(model: nn.Module, x: Tensor, y: Tensor, optimizer: torch.optim.Optimizer,
                              steps: int) -> list[float]:
    """Exercise 10.1: train a binary classifier by full-batch gradient descent on the binary cross-entropy of logits.

    model maps x: (N, D) to logits z (N, 1) (no sigmoid inside); y: (N,) of 0.0 / 1.0. For each of `steps` steps:
        loss = mean( max(z, 0) - z * y + log(1 + exp(-|z|)) )      = F.binary_cross_entropy_with_logits(z, y)
        clear the gradients (the model may arrive with old ones in .grad), backpropagate, optimizer.step()
    The logits go straight into the loss: a sigmoid first would lose precision for confident predictions, and the
    loss stays exact for |z| past 88, where exp(z) overflows float32. Use the optimizer you are given (its settings
    and its state carry over). Returns the loss of every step (before its update) as Python floats: a list of length
    `steps`.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 10.1 is not written yet. Guide: docs/en/chapters/ch10-logistic-regression.md#ex-10-1")


def predict_labels(logits: Tensor, threshold: float = 0.5) -> Tensor:
    """Exercise 10.2: turn logits into class labels: 1 where P(y = 1 | x) = sigmoid(z) >= threshold, else 0.

    logits: (N,) of any floating dtype (float16, bfloat16, float32, float64)  ->  (N,) int64 labels on the logits'
    device; logits is left unchanged. threshold is a probability in (0, 1), 0.5 by default; at 0.5 the rule is simply
    z >= 0 (z = 0 gives label 1).
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 10.2 is not written yet. Guide: docs/en/chapters/ch10-logistic-regression.md#ex-10-2")


def accuracy(logits: Tensor, targets: Tensor, threshold: float = 0.5) -> float:
    """Exercise 10.3: the fraction of samples whose predicted label (predict_labels) equals the target.

    logits: (N,) or (N, 1), as a model with one output gives them, of any floating dtype; targets: (N,) of 0/1
    (float or integer). threshold as in Exercise 10.2, 0.5 by default. Returns a Python float in [0, 1]; the logits
    and targets are left unchanged. Mind the shapes: (N, 1) == (N,) broadcasts to (N, N).
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 10.3 is not written yet. Guide: docs/en/chapters/ch10-logistic-regression.md#ex-10-3")


def decision_boundary(weight: Tensor, bias: Tensor, threshold: float = 0.5) -> tuple[Tensor, Tensor]:
    """Exercise 10.4: the line where a 2-feature logistic regression predicts P(y = 1 | x) = threshold.

    weight: (2,), bias: () (for nn.Linear(2, 1): model.weight[0] and model.bias[0]), float32 or float64; threshold
    in (0, 1), 0.5 by default.
    On the boundary  w1 * x1 + w2 * x2 + b = logit(threshold) = log(threshold / (1 - threshold)),  so
        x2 = slope * x1 + intercept,  slope = -w1 / w2,  intercept = (logit(threshold) - b) / w2.
    Returns (slope, intercept) as 0-dim tensors in weight's dtype and on its device (w2 is not zero), differentiable
    with respect to weight and bias. Plotting this line over the data draws the boundary.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 10.4 is not written yet. Guide: docs/en/chapters/ch10-logistic-regression.md#ex-10-4")
