"""Chapter 09: linear regression. The closed-form least-squares fit, the same fit by gradient descent, and R^2.

Guide: docs/en/chapters/ch09-linear-regression.md
"""
from __future__ import annotations

import torch
from torch import Tensor, nn


def least_squares(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Exercise 9.1: the closed-form least-squares fit of y ~ x @ w + b.

    x: (N, D), y: (N,)  ->  (w, b) with w: (D,) and b: () (a 0-dim tensor), in x's dtype (float32 or float64)
    and on x's device, minimizing  mean((x @ w + b - y)^2).
    N >= D + 1 and [1 | x] has full column rank, so the minimizer is unique (with N = D + 1 the fit is exact).
    With X1 = [1 | x] (a column of ones in front, N x (D + 1)) and theta = (b, w_1, ..., w_D):
        theta = argmin ||X1 theta - y||^2,  the solution of the normal equations  X1^T X1 theta = X1^T y.
    Use torch.linalg.lstsq, or solve the normal equations (torch.linalg.solve). x and y are left unchanged.
    """
    ### BEGIN SOLUTION
    ones = torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device)  # (N, 1)
    design = torch.cat([ones, x], dim=1)  # (N, D + 1)
    theta = torch.linalg.lstsq(design, y.unsqueeze(1)).solution.squeeze(1)  # (D + 1,)
    return theta[1:], theta[0]  # (D,), ()
    ### END SOLUTION


def fit_linear_regression(model: nn.Module, x: Tensor, y: Tensor, optimizer: torch.optim.Optimizer,
                          steps: int) -> list[float]:
    """Exercise 9.2: train `model` by full-batch gradient descent on the mean squared error.

    model maps x: (N, D) to predictions (N, 1); y: (N,). For each of `steps` steps:
        loss = mean((model(x)[:, 0] - y)^2)        a scalar; mind the (N, 1) vs (N,) broadcast
        clear the gradients (the model may arrive with old ones in .grad), backpropagate, optimizer.step()
    Use the optimizer you are given (do not make a new one): its settings and its state (momentum) carry over.
    Returns the loss of every step, measured before that step's update, as Python floats: a list of length `steps`.
    """
    ### BEGIN SOLUTION
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        predictions = model(x).squeeze(1)  # (N,)
        loss = (predictions - y).pow(2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
    ### END SOLUTION


def r2_score(predictions: Tensor, targets: Tensor) -> Tensor:
    """Exercise 9.3: the coefficient of determination R^2 of predictions (N,) for targets (N,).

    R^2 = 1 - sum((targets - predictions)^2) / sum((targets - mean(targets))^2)        a 0-dim tensor
    1 is a perfect fit, 0 is no better than always predicting the mean of the targets, below 0 is worse (there is
    no lower bound: R^2 is not clipped at 0). The inputs share one dtype, float32 or float64; the targets are not
    all equal. Differentiable with respect to the predictions; same dtype and device as the inputs. The inputs are
    left unchanged.
    """
    ### BEGIN SOLUTION
    residual = (targets - predictions).pow(2).sum()
    total = (targets - targets.mean()).pow(2).sum()
    return 1 - residual / total
    ### END SOLUTION
