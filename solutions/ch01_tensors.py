"""Chapter 01: tensors. Shapes, broadcasting, and leaving the caller's data alone.

Guide: docs/en/chapters/ch01-tensors.md
"""
from __future__ import annotations

import torch
from torch import Tensor


def add_bias_column(x: Tensor) -> Tensor:
    """Exercise 1.1: put a column of ones in front of the features, so a bias becomes one more weight.

    x: (N, D)  ->  (N, D + 1), where out[:, 0] == 1 and out[:, 1:] == x.
    Same dtype and device as x: any floating dtype, float16 and bfloat16 included.
    x may be non-contiguous (a transpose, a slice) and is left unchanged.
    """
    ### BEGIN SOLUTION
    ones = torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device)  # (N, 1)
    return torch.cat([ones, x], dim=1)  # (N, D + 1)
    ### END SOLUTION


def standardize(x: Tensor, eps: float = 1e-8) -> tuple[Tensor, Tensor, Tensor]:
    """Exercise 1.2: scale every feature (column) to mean 0 and standard deviation 1, without changing x.

    mean = x.mean(0)                                   (D,)
    std  = sqrt(mean((x - mean)^2, dim 0))             (D,)  the population std (correction=0)
    z    = (x - mean) / max(std, eps)                  (N, D)
    x is float32 or float64; z, mean and std have its dtype and device. eps defaults to 1e-8.
    Returns the tuple (z, mean, std). x itself must be left exactly as it was.
    """
    ### BEGIN SOLUTION
    mean = x.mean(dim=0)  # (D,)
    std = x.std(dim=0, correction=0)  # (D,)
    return (x - mean) / std.clamp_min(eps), mean, std
    ### END SOLUTION


def pairwise_squared_distances(a: Tensor, b: Tensor) -> Tensor:
    """Exercise 1.3: squared Euclidean distance between every row of a and every row of b, by broadcasting.

    a: (N, D), b: (M, D)  ->  (N, M), out[i, j] = sum_k (a[i, k] - b[j, k])^2
    a and b are float32 or float64, of one dtype and on one device; the result has their dtype and device.
    No Python loops: the number of tensor operations must not grow with N or M.
    """
    ### BEGIN SOLUTION
    differences = a[:, None, :] - b[None, :, :]  # (N, M, D)
    return differences.pow(2).sum(dim=-1)  # (N, M)
    ### END SOLUTION


def one_hot(labels: Tensor, num_classes: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """Exercise 1.4: one-hot encode integer class labels, on the labels' device.

    labels: (N,) int64 in [0, num_classes)  ->  (N, num_classes), out[i, labels[i]] == 1, else 0.
    The result has dtype `dtype`: float32 unless told otherwise; any floating dtype or int64.
    """
    ### BEGIN SOLUTION
    encoded = torch.zeros(labels.shape[0], num_classes, dtype=dtype, device=labels.device)  # (N, C)
    return encoded.scatter_(1, labels[:, None], 1)
    ### END SOLUTION
