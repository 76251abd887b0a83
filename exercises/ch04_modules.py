# Generated from solutions/ch04_modules.py by `coursekit stubs` (stub 514cb9bed5ea). This file is yours: fill in each exercise, then run `pytest autograder`.
"""Chapter 04: modules. An nn.Module owns its parameters, so .parameters(), .to(), state_dict() and train()/eval() work.

Guide: docs/en/chapters/ch04-modules.md
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor, nn


class LinearRegression(nn.Module):
    """Exercise 4.1: linear regression as a module: one nn.Linear layer, nothing after it.

    y_hat = x W^T + b,   x: (N, in_features) -> (N, out_features),   W: (out_features, in_features), b: (out_features,)
    The layer is an attribute (self.linear = nn.Linear(...)), so its parameters are registered: model.parameters()
    finds them, model.to(...) moves them, state_dict() saves them.
    out_features defaults to 1: the output is then (N, 1), nothing squeezed.
    """

    def __init__(self, in_features: int, out_features: int = 1):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError("Exercise 4.1 is not written yet. Guide: docs/en/chapters/ch04-modules.md#ex-4-1")

    def forward(self, x: Tensor) -> Tensor:
        """x: (N, in_features) -> (N, out_features)."""
        # YOUR CODE HERE
        raise NotImplementedError("Exercise 4.1 is not written yet. Guide: docs/en/chapters/ch04-modules.md#ex-4-1")


class LogisticRegression(nn.Module):
    """Exercise 4.2: binary logistic regression that returns logits, with probabilities on request.

    forward:        z = x w^T + b          x: (N, in_features) -> (N,)   raw scores (logits), no sigmoid
    predict_proba:  p = sigmoid(z) = 1 / (1 + exp(-z))                -> (N,)   finite for any z
    Training pairs the logits with nn.BCEWithLogitsLoss, which applies the sigmoid itself, stably.
    Its one nn.Linear(in_features, 1) is registered: in_features + 1 parameters, which follow model.to(...).
    predict_proba leaves the model's train/eval mode as it found it (it calls neither .train() nor .eval()).
    """

    def __init__(self, in_features: int):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError("Exercise 4.2 is not written yet. Guide: docs/en/chapters/ch04-modules.md#ex-4-2")

    def forward(self, x: Tensor) -> Tensor:
        """x: (N, in_features) -> logits (N,)."""
        # YOUR CODE HERE
        raise NotImplementedError("Exercise 4.2 is not written yet. Guide: docs/en/chapters/ch04-modules.md#ex-4-2")

    def predict_proba(self, x: Tensor) -> Tensor:
        """The probability of class 1 for each row of x: sigmoid(forward(x)), shape (N,), finite for any logit."""
        # YOUR CODE HERE
        raise NotImplementedError("Exercise 4.2 is not written yet. Guide: docs/en/chapters/ch04-modules.md#ex-4-2")


class MLP(nn.Module):
    """Exercise 4.3: a multilayer perceptron with every layer registered.

    sizes = [d_0, d_1, ..., d_L]: L nn.Linear layers, layer k maps d_{k-1} -> d_k.
    After every layer but the last: activation() (a new module made by calling `activation` for each such layer,
    e.g. nn.ReLU: an nn.PReLU then learns one slope per layer), then nn.Dropout(dropout). The last layer's output is returned as it is.
        x: (N, d_0) -> (N, d_L)
    Keep the layers in nn.Sequential or nn.ModuleList (a plain Python list hides them from .parameters()), create
    them in __init__ (never in forward), and let dropout follow self.training (identity after model.eval()).
    activation defaults to nn.ReLU and dropout to 0.0; fewer than two sizes raise ValueError.
    """

    def __init__(self, sizes: Sequence[int], activation: Callable[[], nn.Module] = nn.ReLU, dropout: float = 0.0):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError("Exercise 4.3 is not written yet. Guide: docs/en/chapters/ch04-modules.md#ex-4-3")

    def forward(self, x: Tensor) -> Tensor:
        """x: (N, sizes[0]) -> (N, sizes[-1])."""
        # YOUR CODE HERE
        raise NotImplementedError("Exercise 4.3 is not written yet. Guide: docs/en/chapters/ch04-modules.md#ex-4-3")


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Exercise 4.4: the number of parameter values (scalars) in a model, as a Python int.

    count = sum of p.numel() over model.parameters(), only those with p.requires_grad when trainable_only.
    Buffers (BatchNorm's running statistics) are not parameters; a parameter shared by two layers counts once.
    trainable_only defaults to True.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 4.4 is not written yet. Guide: docs/en/chapters/ch04-modules.md#ex-4-4")
