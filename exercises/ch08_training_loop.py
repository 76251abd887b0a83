# Generated from solutions/ch08_training_loop.py by `coursekit stubs` (stub 754396b66dd0). This file is yours: fill in each exercise, then run `pytest autograder`.
"""Chapter 08: the training loop. One epoch of training, an honest evaluation, and fit with early stopping.

Guide: docs/en/chapters/ch08-training-loop.md
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader

LossFunction = Callable[[Tensor, Tensor], Tensor]


def train_one_epoch(model: nn.Module, loader: DataLoader, loss_fn: LossFunction, optimizer: torch.optim.Optimizer,
                    device: torch.device) -> float:
    """Exercise 8.1: train `model` for one pass over `loader`; return the mean loss per sample, as a Python float.

    The model (and so its optimizer) already sits on `device`; the loader yields (inputs, targets) batches on the
    cpu, maybe shuffled, and its last batch may be smaller. Put the model in training mode, then for every batch:
    move it to `device`, zero the gradients (the model may arrive with old gradients in .grad), compute
    loss_fn(model(inputs), targets) (the mean over the batch), backpropagate, and take one optimizer step.

    Return the mean over samples, not over batches: with n_b samples and mean loss l_b in batch b,
        epoch_loss = sum_b n_b * l_b / sum_b n_b
    Accumulate plain numbers (loss.item()), never the loss tensors themselves: those keep every batch's graph alive.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 8.1 is not written yet. Guide: docs/en/chapters/ch08-training-loop.md#ex-8-1")


def evaluate(model: nn.Module, loader: DataLoader, loss_fn: LossFunction, device: torch.device,
             metric: Optional[LossFunction] = None) -> dict[str, float]:
    """Exercise 8.2: measure `model` on `loader` without training it: {"loss": mean loss, "metric": mean metric}.

    Put the model in evaluation mode (Dropout off, BatchNorm uses its running statistics) and turn gradient
    tracking off (torch.no_grad()). For every (inputs, targets) batch, moved to `device`, compute
    loss_fn(outputs, targets) and, when `metric` is given, metric(outputs, targets): both are means over the batch.
    Return per-sample means, as Python floats, weighted by batch size as in Exercise 8.1 (a smaller last batch
    counts less):
        {"loss": sum_b n_b * loss_b / N}                     when metric is None (the default): no other key
        {"loss": ..., "metric": sum_b n_b * metric_b / N}    otherwise
    No parameter, buffer or .grad may change (the model may hold gradients from training), and no autograd graph
    may be built.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 8.2 is not written yet. Guide: docs/en/chapters/ch08-training-loop.md#ex-8-2")


def fit(model: nn.Module, train_loader: DataLoader, val_loader: DataLoader, loss_fn: LossFunction,
        optimizer: torch.optim.Optimizer, device: torch.device, *, epochs: int, patience: int,
        train_epoch: Optional[Callable[..., float]] = None,
        evaluate_epoch: Optional[Callable[..., dict[str, float]]] = None) -> dict:
    """Exercise 8.3: train for up to `epochs` epochs with early stopping; leave the model with its best weights.

    Every epoch: train_loss = train_epoch(model, train_loader, loss_fn, optimizer, device), then
    val_loss = evaluate_epoch(model, val_loader, loss_fn, device)["loss"]; append both to the history.
    (train_epoch and evaluate_epoch default to this chapter's train_one_epoch and evaluate.)
    An epoch improves when val_loss < the best val_loss so far (a tie is no improvement); then keep a copy of the
    weights (one that later training cannot change). Stop once `patience` epochs in a row have not improved
    (epochs >= 1, patience >= 1, and every loss is a finite number). At the end, load the best weights back into
    the model's own parameters (the ones the optimizer holds) and return
        {"train_loss": [float per epoch run], "val_loss": [float per epoch run], "best_epoch": index of the best}
    The losses are Python floats, whatever number type the epoch functions return; best_epoch counts from 0.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 8.3 is not written yet. Guide: docs/en/chapters/ch08-training-loop.md#ex-8-3")
