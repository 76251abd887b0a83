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
    ### BEGIN SOLUTION
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)  # (B, ...), (B, ...)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)  # () mean over the batch
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    model.eval()
    loss_total, metric_total, count = 0.0, 0.0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)  # (B, ...), (B, ...)
            outputs = model(inputs)
            loss_total += float(loss_fn(outputs, targets)) * len(inputs)
            if metric is not None:
                metric_total += float(metric(outputs, targets)) * len(inputs)
            count += len(inputs)
    results = {"loss": loss_total / count}
    if metric is not None:
        results["metric"] = metric_total / count
    return results
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    train_epoch = train_epoch or train_one_epoch
    evaluate_epoch = evaluate_epoch or evaluate
    history = {"train_loss": [], "val_loss": [], "best_epoch": -1}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(epochs):
        history["train_loss"].append(float(train_epoch(model, train_loader, loss_fn, optimizer, device)))
        val_loss = float(evaluate_epoch(model, val_loader, loss_fn, device)["loss"])
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, waited, history["best_epoch"] = val_loss, 0, epoch
            # state_dict() returns the live tensors: clone them, or the next step changes the "best" copy too
            best_state = {name: value.detach().clone() for name, value in model.state_dict().items()}
        else:
            waited += 1
            if waited >= patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history
    ### END SOLUTION
