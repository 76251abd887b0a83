"""Hypothesis strategies the checks share: tensors of every dtype a docstring allows, with extreme and exact values.

Values are drawn as float64 and cast, so float16 and bfloat16 (which numpy lacks) come out of the same strategy, and
`special` values (exact zeros, ties, values past float32's exp overflow) are mixed in on purpose: a wrong
implementation that agrees on smooth random numbers must still meet the kink at 0, the tie, and |z| > 88.
"""
from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
WIDE_FLOAT_DTYPES = (torch.float32, torch.float64)


def sizes(min_size: int = 1, max_size: int = 9) -> st.SearchStrategy[int]:
    return st.integers(min_size, max_size)


def shapes(dims: int, min_size: int = 1, max_size: int = 7) -> st.SearchStrategy[tuple[int, ...]]:
    return st.tuples(*(sizes(min_size, max_size) for _ in range(dims)))


def float_dtypes(low_precision: bool = True) -> st.SearchStrategy[torch.dtype]:
    return st.sampled_from(FLOAT_DTYPES if low_precision else WIDE_FLOAT_DTYPES)


def values(bound: float = 10.0, special: tuple[float, ...] = (0.0,)) -> st.SearchStrategy[float]:
    """Finite floats in [-bound, bound], with the `special` values drawn often."""
    plain = st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=64)
    return st.one_of(st.sampled_from(special), plain) if special else plain


@st.composite
def tensors(draw, shape, dtype=torch.float32, elements: st.SearchStrategy[float] | None = None,
            unique: bool = False) -> torch.Tensor:
    """A cpu tensor of `shape` (a tuple or a strategy of tuples) and `dtype` (a dtype or a strategy of dtypes)."""
    shape = draw(shape) if isinstance(shape, st.SearchStrategy) else tuple(shape)
    dtype = draw(dtype) if isinstance(dtype, st.SearchStrategy) else dtype
    data = draw(arrays(np.float64, shape, elements=elements if elements is not None else values(), unique=unique))
    return torch.from_numpy(data).to(dtype)


@st.composite
def labels(draw, count, num_classes) -> torch.Tensor:
    """int64 class indices: `count` of them in [0, num_classes), both possibly drawn from strategies."""
    count = draw(count) if isinstance(count, st.SearchStrategy) else count
    num_classes = draw(num_classes) if isinstance(num_classes, st.SearchStrategy) else num_classes
    drawn = draw(st.lists(st.integers(0, num_classes - 1), min_size=count, max_size=count))
    return torch.tensor(drawn, dtype=torch.int64)


def seeds() -> st.SearchStrategy[int]:
    return st.integers(0, 2**31 - 1)
