"""scikit-learn's bundled datasets (diabetes, breast cancer, digits) as float64 tensors, read without importing sklearn.

The checks need real data but not scikit-learn's import time (about a second, more than a whole check may take).
The CSV files ship inside the scikit-learn package (sklearn/datasets/data/), so they are found from its install
location and read with numpy: no download, and the same numbers `sklearn.datasets.load_*` returns (diabetes unscaled,
as `load_diabetes(scaled=False)`). Each call returns fresh tensors, so a check may change them freely.
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
import torch


def _data_dir() -> Path:
    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("scikit-learn is not installed: the checks on real data read its bundled datasets")
    return Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data"


@functools.cache
def _load(name: str) -> tuple[np.ndarray, np.ndarray]:
    folder = _data_dir()
    if name == "diabetes":
        return np.loadtxt(folder / "diabetes_data_raw.csv.gz"), np.loadtxt(folder / "diabetes_target.csv.gz")
    if name == "breast_cancer":
        table = np.loadtxt(folder / "breast_cancer.csv", delimiter=",", skiprows=1)
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
