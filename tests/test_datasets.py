"""Are the vendored datasets exactly scikit-learn's (the oracle: sklearn.datasets.load_*)?"""
import numpy as np
import pytest

from autograder.engine import datasets

sklearn_datasets = pytest.importorskip("sklearn.datasets")  # in the `test` extra, not in the learner's set


@pytest.mark.parametrize(("name", "loader"), [
    ("diabetes", lambda: sklearn_datasets.load_diabetes(scaled=False, return_X_y=True)),
    ("breast_cancer", lambda: sklearn_datasets.load_breast_cancer(return_X_y=True)),
    ("digits", lambda: sklearn_datasets.load_digits(return_X_y=True)),
])
def test_vendored_data_equal_scikit_learns(name, loader):
    features, targets = datasets.load(name)
    want_features, want_targets = loader()
    np.testing.assert_array_equal(features.numpy(), want_features)
    np.testing.assert_array_equal(targets.numpy(), want_targets)


def test_each_call_returns_fresh_tensors():
    first, _ = datasets.load("diabetes")
    first.zero_()
    second, _ = datasets.load("diabetes")
    assert second.abs().sum() > 0
