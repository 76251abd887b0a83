"""Chapter 11: fighting overfitting. L1/L2 penalties, inverted Dropout, weight decay vs L2, and the gap they narrow.

Guide: docs/en/chapters/ch11-overfitting.md
"""
from __future__ import annotations

import copy
from typing import Callable, Iterable

import torch
from torch import Tensor, nn
from torch.nn import functional as F


def l2_penalty(model: nn.Module, lam: float) -> Tensor:
    """Exercise 11.1: the L2 penalty  lam * sum_w w^2  over the model's weights, biases excluded.

    A weight is every parameter whose name (in model.named_parameters()) does not end in "bias": BatchNorm's
    weight and other 1-dim parameters count, "head.bias" and "my_bias" do not; a parameter shared by two layers
    counts once. lam >= 0 is a Python float (lam = 0 gives a zero penalty).
    Returns a 0-dim tensor in the parameters' dtype (float16 to float64) and device, connected to the graph:
    pen.backward() gives every weight the gradient 2 * lam * w and leaves the biases alone. Computing the penalty
    changes no parameter and no .grad.
    """
    ### BEGIN SOLUTION
    squares = [p.pow(2).sum() for name, p in model.named_parameters() if not name.endswith("bias")]
    return lam * torch.stack(squares).sum()
    ### END SOLUTION


def l1_penalty(model: nn.Module, lam: float) -> Tensor:
    """Exercise 11.2: the L1 penalty  lam * sum_w |w|  over the model's weights, biases excluded.

    Weights, lam, dtype and device as in Exercise 11.1. Returns a 0-dim tensor, connected to the graph:
    pen.backward() gives every weight lam * sign(w), which is 0 where w is exactly 0 (torch.sign(0) = 0, the
    subgradient torch.abs uses), and leaves the biases alone. Computing the penalty changes no parameter and no .grad.
    """
    ### BEGIN SOLUTION
    magnitudes = [p.abs().sum() for name, p in model.named_parameters() if not name.endswith("bias")]
    return lam * torch.stack(magnitudes).sum()
    ### END SOLUTION


def regularized_loss(model: nn.Module, x: Tensor, y: Tensor, loss_fn: Callable[[Tensor, Tensor], Tensor],
                     l1: float = 0.0, l2: float = 0.0) -> Tensor:
    """Exercise 11.3: the training objective with penalties: data loss + L1 penalty + L2 penalty.

    loss = loss_fn(model(x), y) + l1_penalty(model, l1) + l2_penalty(model, l2)      a 0-dim tensor, in the graph
    l1 and l2 default to 0.0: then loss is the data loss alone.
    loss_fn averages over the batch; the penalties are added once, whatever the batch size (never scaled by it).
    Use this chapter's l1_penalty and l2_penalty.
    """
    ### BEGIN SOLUTION
    return loss_fn(model(x), y) + l1_penalty(model, l1) + l2_penalty(model, l2)
    ### END SOLUTION


class Dropout(nn.Module):
    """Exercise 11.4: inverted dropout, written from scratch.

    In training mode every element of x is zeroed independently with probability p (the DROP probability), and the
    survivors are scaled by 1 / (1 - p), so the expected output equals x:
        mask ~ Bernoulli(1 - p), same shape as x, on x's device;   out = x * mask / (1 - p)
    out has x's shape, dtype (float16 to float64) and device. The mask comes from torch's global random generator
    (torch.manual_seed makes it reproducible), a new one at every call; p = 0 keeps every element.
    In eval mode (model.eval()) the module is the identity: out = x, no scaling. x itself is never modified.
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        """The part of Exercise 11.4 to write: x (any shape) -> same shape, dtype and device; masked in training
        mode, identity in eval."""
        ### BEGIN SOLUTION
        if not self.training or self.p == 0.0:
            return x
        keep = torch.rand_like(x) >= self.p  # (same shape as x): True with probability 1 - p
        return x * keep / (1.0 - self.p)
        ### END SOLUTION


def weight_decay_vs_l2(model: nn.Module, x: Tensor, y: Tensor, loss_fn: Callable[[Tensor, Tensor], Tensor],
                       make_optimizer: Callable[[Iterable[nn.Parameter], float], torch.optim.Optimizer],
                       weight_decay: float, steps: int) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """Exercise 11.5: train two copies of `model` side by side, one with weight decay and one with an L2 penalty.

    decayed:   optimizer make_optimizer(params, weight_decay), loss = loss_fn(m(x), y)
    penalized: optimizer make_optimizer(params, 0.0),          loss = loss_fn(m(x), y) + (weight_decay / 2) * ||theta||^2
    where ||theta||^2 sums the squares of ALL parameters (weight decay reaches biases too). Each copy takes `steps`
    full-batch steps. `model` itself stays untouched (train deep copies): its parameters, and the .grad it may
    hold, keep their values. Returns the two state_dicts (decayed, penalized), which hold the copies' tensors, never
    the model's own. For SGD (with or without momentum) and for Adam they are equal: those optimizers add
    weight_decay * theta to the gradient, the gradient of the penalty. AdamW decays the weights directly
    (decoupled), outside Adam's scaling, so there they differ.
    """
    ### BEGIN SOLUTION
    decayed, penalized = copy.deepcopy(model), copy.deepcopy(model)
    decayed_optimizer = make_optimizer(decayed.parameters(), weight_decay)
    penalized_optimizer = make_optimizer(penalized.parameters(), 0.0)
    for _ in range(steps):
        decayed_optimizer.zero_grad()
        loss_fn(decayed(x), y).backward()
        decayed_optimizer.step()

        penalized_optimizer.zero_grad()
        squares = torch.stack([p.pow(2).sum() for p in penalized.parameters()]).sum()
        (loss_fn(penalized(x), y) + weight_decay / 2 * squares).backward()
        penalized_optimizer.step()
    return decayed.state_dict(), penalized.state_dict()
    ### END SOLUTION


def train_and_measure_gap(model: nn.Module, x_train: Tensor, y_train: Tensor, x_val: Tensor, y_val: Tensor,
                          optimizer: torch.optim.Optimizer, steps: int, l2: float = 0.0) -> tuple[float, float]:
    """Exercise 11.6: train a classifier, then measure its training and validation losses.

    Training: `steps` full-batch steps in training mode (model.train()) with the given optimizer on
        loss = F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2)      (this chapter's l2_penalty)
    clearing the gradients before each backward (the model may arrive with old ones). l2 defaults to 0.0.
    Measuring: in eval mode (model.eval(), so Dropout is off) and without gradients (torch.no_grad()), the mean
    cross-entropy (no penalty) on the training set and on the validation set.
    Returns (train_loss, val_loss) as Python floats; val_loss - train_loss is the generalization gap.
    """
    ### BEGIN SOLUTION
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        train_loss = F.cross_entropy(model(x_train), y_train).item()
        val_loss = F.cross_entropy(model(x_val), y_val).item()
    return train_loss, val_loss
    ### END SOLUTION
