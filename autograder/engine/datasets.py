"""scikit-learn's bundled datasets (diabetes, breast cancer, digits) as float64 tensors, without scikit-learn.

The files are copied from scikit-learn's package (autograder/data/VENDORED.txt says which and under what licence),
so a learner grades without installing scikit-learn and scipy (about 200 MB) and without its import time: no
download, and the same numbers `sklearn.datasets.load_*` returns (diabetes unscaled, as
`load_diabetes(scaled=False)`; tests/test_datasets.py compares). Each call returns fresh tensors, so a check may
change them freely.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch


DATA = Path(__file__).resolve().parents[1] / "data"


@functools.cache
def _load(name: str) -> tuple[np.ndarray, np.ndarray]:
    folder = DATA
    if name == "diabetes":
        return np.loadtxt(folder / "diabetes_data_raw.csv.gz"), np.loadtxt(folder / "diabetes_target.csv.gz")
    if name == "breast_cancer":
        table = np.loadtxt(folder / "breast_cancer.csv.gz", delimiter=",", skiprows=1)
        return table[:, :-1], table[:, -1]
    if name == "digits":
        table = np.loadtxt(folder / "digits.csv.gz", delimiter=",")
        return table[:, :-1], table[:, -1]
    raise KeyError(name)


def load(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(features (N, D), targets (N,)) as float64 tensors: "diabetes" (442 x 10), "breast_cancer" (569 x 30, target 1 =
    benign), "digits" (1797 x 64, pixels 0..16, target the digit)."""
    features, targets = _load(name)
    return torch.tensor(features, dtype=torch.float64), torch.tensor(targets, dtype=torch.float64)
